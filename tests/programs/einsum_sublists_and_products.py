"""Research-code tensor products: einsum in its string and sublist spellings (ellipsis, traces,
diagonals, bilinear forms, torch's words for sizes that do not broadcast), tensordot with dim lists,
kron, block_diag, cartesian_prod, combinations, meshgrid ij/xy and tril/triu_indices with offsets,
each result with its shape, dtype, strides and contiguity."""
import torch

def show(name, t):
    if isinstance(t, torch.Tensor):
        print(name, tuple(t.shape), t.dtype, t.stride(), t.is_contiguous())
        print(t)
    else:
        print(name, t)

torch.manual_seed(0)
a = torch.randn(2, 3, 4)
b = torch.randn(2, 4, 5)
show("bmm", torch.einsum("bij,bjk->bik", a, b))
show("ellipsis", torch.einsum("...ij,...jk", a, b))
show("trace", torch.einsum("ii", torch.randn(3, 3)))
show("diag", torch.einsum("ii->i", torch.arange(9.).reshape(3, 3)))
show("outer", torch.einsum("i,j->ij", torch.arange(3.), torch.arange(4.)))
x = torch.randn(3, 4)
W = torch.randn(5, 4, 6)
y = torch.randn(3, 6)
show("bilinear", torch.einsum("bi,kij,bj->bk", x, W, y))
show("sum all", torch.einsum("ijk->", a))
show("transpose", torch.einsum("ijk->kji", a))
show("batch diag", torch.einsum("bii->bi", torch.randn(2, 3, 3)))
show("list form", torch.einsum(a, [0, 1, 2], b, [0, 2, 3], [0, 1, 3]))
show("ellipsis list", torch.einsum(a, [Ellipsis, 1, 2], [Ellipsis, 2, 1]))
show("spaces", torch.einsum("b i j , b j k -> b i k", a, b))
show("int einsum", torch.einsum("ij,jk->ik", torch.arange(6).reshape(2, 3), torch.arange(6).reshape(3, 2)))
for eq, shapes in [("ij,jk->ik", [(2, 3), (4, 2)]), ("ii->i", [(2, 3)]), ("...i,...i->...", [(1, 5, 3), (7, 4, 3)])]:
    try:
        torch.einsum(eq, *[torch.randn(*s) for s in shapes])
    except RuntimeError as e:
        print(type(e).__name__, e)
try:
    torch.einsum(torch.ones(2), [52])
except ValueError as e:
    print(type(e).__name__, e)
show("sublist implicit", torch.einsum(torch.ones(2, 3), [0, 1], torch.arange(3.), [1]))

torch.manual_seed(1)
A = torch.arange(60.).reshape(3, 4, 5)
B = torch.arange(24.).reshape(4, 3, 2)
show("tensordot", torch.tensordot(A, B, dims=([1, 0], [0, 1])))
show("tensordot int", torch.tensordot(torch.randn(3, 4), torch.randn(4, 5), dims=1))
show("tensordot 0", torch.tensordot(torch.arange(2.), torch.arange(3.), dims=0))
show("tensordot tensor dims", torch.tensordot(A, B, dims=torch.tensor([[1, 0], [0, 1]])))
show("kron", torch.kron(torch.tensor([[1, 2], [3, 4]]), torch.eye(2, dtype=torch.long)))
show("kron 3d", torch.kron(torch.ones(2, 1, 2), torch.arange(3.).reshape(3, 1)))
show("block_diag", torch.block_diag(torch.tensor([[1, 2]]), torch.tensor([3.]), torch.tensor([[4], [5]])))
show("block_diag scalar", torch.block_diag(torch.tensor(7), torch.tensor([[1, 2], [3, 4]])))
show("cartesian", torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4, 5])))
show("cartesian1", torch.cartesian_prod(torch.tensor([1, 2])))
show("comb", torch.combinations(torch.tensor([1, 2, 3, 4]), r=3))
show("comb rep", torch.combinations(torch.tensor([1., 2, 3]), with_replacement=True))
show("comb r0", torch.combinations(torch.tensor([1, 2, 3]), r=0))
show("comb r5", torch.combinations(torch.tensor([1, 2, 3]), r=5))
gx, gy = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")
show("mesh ij x", gx)
show("mesh ij y", gy)
gx, gy = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="xy")
show("mesh xy x", gx)
show("mesh xy y", gy)
show("tril_idx", torch.tril_indices(4, 3, offset=-1))
show("triu_idx", torch.triu_indices(3, 5, offset=2))
show("triu_idx neg", torch.triu_indices(4, 4, -2))
show("tril_idx big", torch.tril_indices(3, 3, 5))
show("tril_idx 0", torch.tril_indices(0, 3))
