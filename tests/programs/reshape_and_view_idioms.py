"""Reshaping idioms from model utilities: unfold (sliding windows), as_strided, view vs reshape on
non-contiguous tensors (and the error view raises), expand + contiguous, flatten(start_dim),
unflatten, movedim/moveaxis, einops-style rearrangements (patchify / space-to-depth) with
permute+reshape, chunk/split with sizes and tensor_split, meshgrid with both indexings,
cartesian_prod, combinations, tril/triu_indices, stride()/is_contiguous(), and
storage sharing (data_ptr equality after views)."""
import torch

torch.manual_seed(0)
x = torch.arange(10.0)
w = x.unfold(0, 4, 2)
print(w, w.shape, w.stride(), w.is_contiguous())
img = torch.arange(2 * 5 * 6).reshape(1, 2, 5, 6)
patches = img.unfold(2, 3, 2).unfold(3, 3, 3)
print(patches.shape, patches[0, 1, 1, 0])
print(torch.as_strided(x, (3, 3), (2, 1)), torch.as_strided(x, (2, 2), (1, 3), 1))
print(x.as_strided((4,), (2,)).tolist(), x.view(2, 5).stride(), x.view(2, 5).t().stride())

m = torch.arange(12).reshape(3, 4)
t = m.t()
print(t.is_contiguous(), t.stride(), t.reshape(12), t.contiguous().view(-1), t.contiguous().is_contiguous())
try:
    t.view(12)
except RuntimeError as e:
    print("RuntimeError:", str(e).split(".")[0])
print(m.view(-1, 2).shape, m.view(2, -1).shape, m.reshape(-1).shape, m.view(torch.int64).dtype, m[:, 1:3].reshape(-1))
print(m[:, ::2].is_contiguous(), m[1:].is_contiguous(), m[:, 1].stride(), m.transpose(0, 1).transpose(0, 1).is_contiguous())
e = torch.tensor([1, 2, 3]).unsqueeze(1).expand(3, 4)
print(e, e.stride(), e.is_contiguous(), e.contiguous().stride(), e.expand(2, 3, 4).shape, e.expand(-1, 4).shape)
print(torch.tensor([[1], [2]]).expand_as(torch.zeros(2, 3)), torch.zeros(3, 1).expand(3, 5).sum())
print(m.data_ptr() == m.view(4, 3).data_ptr(), m.nbytes, m[1].storage_offset(), m[1:, 2:].storage_offset())

a = torch.randn(2, 3, 4, 5)
print(a.flatten().shape, a.flatten(1).shape, a.flatten(1, 2).shape, a.flatten(-2).shape, torch.flatten(a, 0, 1).shape)
print(a.unflatten(1, (3, 1)).shape, a.unflatten(-1, (-1, 5)).shape, torch.zeros(6).unflatten(0, (2, 3)).shape)
print(a.movedim(1, -1).shape, a.movedim((0, 1), (2, 3)).shape, torch.moveaxis(a, 3, 0).shape, a.swapaxes(1, 2).shape)
print(a.permute(0, 2, 3, 1).shape, a.mT.shape, a.squeeze(0).shape, a[:, :1].squeeze(1).shape, a[:1, :, :1].squeeze((0, 2)).shape)
print(torch.equal(a.movedim(1, 3), a.permute(0, 2, 3, 1)), a.unsqueeze(-1).shape, a.view(6, 20).T.shape)

# einops-like: "b c (h p1) (w p2) -> b (h w) (p1 p2 c)" for a ViT patch embedding
b_, c, H, W, p = 2, 3, 4, 6, 2
im = torch.arange(b_ * c * H * W, dtype=torch.float32).reshape(b_, c, H, W)
tokens = im.reshape(b_, c, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1).reshape(b_, (H // p) * (W // p), p * p * c)
print(tokens.shape, tokens[0, 0], tokens[1, -1, :4])
back = tokens.reshape(b_, H // p, W // p, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(b_, c, H, W)
print(torch.equal(back, im))
# space-to-depth and its inverse vs pixel_(un)shuffle
s2d = im.reshape(b_, c, H // 2, 2, W // 2, 2).permute(0, 3, 5, 1, 2, 4).reshape(b_, c * 4, H // 2, W // 2)
print(s2d.shape, torch.equal(torch.nn.functional.pixel_unshuffle(im, 2).sum(1), s2d.sum(1)))
# multi-head split/merge
q = torch.randn(2, 5, 8)
heads = q.view(2, 5, 2, 4).transpose(1, 2)
print(heads.shape, heads.is_contiguous(), torch.equal(heads.transpose(1, 2).reshape(2, 5, 8), q))

v = torch.arange(10)
print(v.chunk(3), v.chunk(4), torch.arange(5).chunk(6))
print(v.split(4), v.split([2, 3, 5]), torch.split(m, [1, 3], dim=1))
print(v.tensor_split(3), v.tensor_split([2, 7]), torch.tensor_split(m, 2, dim=1)[1], torch.hsplit(m, 2)[0].shape, torch.vsplit(m, [1])[1].shape)
print(torch.unbind(m, 1)[2], m.unbind()[0], len(torch.zeros(0, 3).split(2)))

gx, gy = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")
print(gx, gy)
hx, hy = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="xy")
print(hx, hy, hx.shape)
grid = torch.stack(torch.meshgrid(torch.linspace(-1, 1, 3), torch.linspace(0, 1, 2), indexing="ij"), dim=-1)
print(grid.shape, grid.reshape(-1, 2))
print(torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4, 5])))
print(torch.cartesian_prod(torch.tensor([7, 8])), torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([0]), torch.tensor([5, 6])).shape)
print(torch.combinations(torch.tensor([1, 2, 3, 4])), torch.combinations(torch.tensor([1, 2, 3]), r=3))
print(torch.combinations(torch.tensor([1, 2, 3]), with_replacement=True))
print(torch.tril_indices(3, 3), torch.triu_indices(3, 4, offset=1), torch.tril_indices(4, 3, -1).shape)
ti = torch.triu_indices(4, 4, 1)
sim = torch.randn(4, 4)
print(sim[ti[0], ti[1]], torch.zeros(4, 4).index_put_((ti[0], ti[1]), torch.ones(6)).sum())
print(torch.block_diag(torch.ones(2, 2), torch.tensor([[5]])), torch.diag_embed(torch.tensor([[1, 2], [3, 4]])).shape)
print(torch.diagonal(m), torch.diagonal(m, 1), m.diagonal(offset=-1), torch.diag(torch.tensor([1, 2])), torch.diag(m, 1))
print(torch.atleast_2d(torch.tensor(3)).shape, torch.atleast_3d(torch.ones(2)).shape, torch.column_stack([torch.arange(3), torch.arange(3)]))
print(torch.rot90(m[:2, :3]), torch.flipud(m[:2]), torch.fliplr(m[:2, :2]), torch.roll(m, shifts=(1, -1), dims=(0, 1)))
print(torch.tile(torch.tensor([1, 2]), (2, 2)), torch.repeat_interleave(torch.tensor([1, 2, 3]), torch.tensor([3, 0, 1])))
print(torch.narrow(m, 1, 1, 2), m.narrow(0, -1, 1), m.select(1, -1), torch.index_select(m, 1, torch.tensor([3, 0])))
