"""Sorting, ranking and searching on data without ties, as leaderboard / retrieval / binning code
uses them: sort (descending, stable, along dims), argsort, topk (largest and smallest, sorted or
not), kthvalue, msort, median, unique (sorted, return_inverse, return_counts, dim=0),
unique_consecutive, searchsorted (right=True, sorter), bucketize, histc, bincount (weights,
minlength), cummax/cummin, tril_indices/triu_indices with offsets, combinations, cartesian_prod,
block_diag, cdist (p=1, 2, inf), diff, flip/roll/rot90, argmax/argmin with keepdim."""
import torch

torch.manual_seed(0)
scores = torch.randn(4, 6)
print(scores)
vals, idx = torch.sort(scores, dim=1, descending=True)
print(vals, idx, sep="\n")
print(torch.sort(scores, dim=0).indices, scores.sort(stable=True, descending=False).indices[0])
print(torch.argsort(scores, dim=1), scores.argsort(dim=0, descending=True), torch.argsort(scores[0], stable=True))
print(torch.msort(scores[:, :3]), torch.sort(torch.tensor([3, 1, 2]), descending=True))
names = ["ann", "bob", "cid", "dee", "eve", "fay"]
points = torch.tensor([12.5, 40.0, 33.25, 7.0, 28.5, 19.75])
order = points.argsort(descending=True)
for rank, i in enumerate(order.tolist(), 1):
    print(f"{rank}. {names[i]:>4} {points[i].item():6.2f}")
rank_of = torch.empty_like(order)
rank_of[order] = torch.arange(len(order))
print(rank_of, rank_of.dtype)

top = torch.topk(scores, 3, dim=1)
print(top)
print(torch.topk(scores, 2, dim=0, largest=False), scores.topk(3, sorted=True).indices)
print(torch.topk(points, 4, largest=False, sorted=True), torch.topk(points, 1).values.item())
print(torch.kthvalue(scores, 2, dim=1), torch.kthvalue(points, 3), scores.kthvalue(1, dim=0, keepdim=True).values.shape)
print(torch.median(points), torch.median(scores, dim=1), points.median(0))
print(scores.argmax(dim=1, keepdim=True), scores.argmin(dim=0, keepdim=True), scores.argmax(), torch.argmin(scores, 1))
print(torch.max(scores, dim=1, keepdim=True), torch.min(scores, 0).indices)

labels = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])
u, inv, cnt = torch.unique(labels, sorted=True, return_inverse=True, return_counts=True)
print(u, inv, cnt, sep="\n")
print(torch.equal(u[inv], labels), torch.unique(labels, return_counts=True)[1].sum())
pairs = torch.tensor([[1, 2], [3, 4], [1, 2], [0, 9], [3, 4]])
print(torch.unique(pairs, dim=0), torch.unique(pairs, dim=0, return_inverse=True, return_counts=True))
runs = torch.tensor([7, 7, 7, 2, 2, 9, 7, 7])
print(torch.unique_consecutive(runs, return_counts=True), torch.unique_consecutive(runs, return_inverse=True)[1])

edges = torch.tensor([0.0, 10.0, 20.0, 30.0, 40.0])
ages = torch.tensor([3.5, 10.0, 17.25, 29.9, 30.0, 45.0, -1.0])
print(torch.searchsorted(edges, ages), torch.searchsorted(edges, ages, right=True))
print(torch.bucketize(ages, edges), torch.bucketize(ages, edges, right=True), torch.bucketize(ages, edges).dtype)
shuffled = torch.tensor([30.0, 0.0, 40.0, 10.0, 20.0])
print(torch.searchsorted(shuffled, torch.tensor([5.0, 25.0, 50.0]), sorter=torch.argsort(shuffled)))
batched = torch.tensor([[1.0, 3.0, 5.0, 7.0], [2.0, 4.0, 6.0, 8.0]])
print(torch.searchsorted(batched, torch.tensor([[4.0], [4.0]])), torch.searchsorted(batched, torch.tensor([[0.5, 9.0], [5.0, 6.5]]), out_int32=True))
cdf = torch.tensor([0.1, 0.35, 0.7, 1.0])
print(torch.searchsorted(cdf, torch.tensor([0.05, 0.5, 0.99, 0.36])))

data = torch.tensor([0.5, 1.5, 1.7, 2.2, 3.9, 0.1, 2.8, 3.3])
print(torch.histc(data, bins=4, min=0, max=4), torch.histc(data, bins=5))
print(torch.bincount(labels), torch.bincount(labels, minlength=12))
weights = torch.linspace(0.5, 1.5, steps=labels.numel())
print(torch.bincount(labels, weights=weights), torch.bincount(labels, weights=weights.double()).dtype)
print(torch.bincount(torch.tensor([], dtype=torch.long), minlength=3))

series = torch.tensor([2.0, 5.0, 3.0, 8.0, 1.0, 9.0, 4.0])
print(torch.cummax(series, dim=0), torch.cummin(series, dim=0))
grid = torch.tensor([[3.0, 1.0, 4.0], [1.5, 9.0, 2.6], [5.3, 5.8, 9.7]])
print(grid.cummax(dim=1).values, grid.cummin(dim=0).indices)

print(torch.tril_indices(3, 3), torch.triu_indices(3, 3, offset=1), torch.tril_indices(3, 4, offset=-1))
print(torch.triu_indices(4, 3), torch.tril_indices(2, 2).dtype)
iu = torch.triu_indices(4, 4, offset=1)
sym = torch.zeros(4, 4)
sym[iu[0], iu[1]] = torch.arange(1.0, 7.0)
print(sym + sym.T)

items = torch.tensor([10, 20, 30, 40])
print(torch.combinations(items), torch.combinations(items, r=3))
print(torch.combinations(items[:3], with_replacement=True), torch.combinations(torch.tensor([1.5, 2.5]), r=1))
print(torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4, 5])))
print(torch.cartesian_prod(torch.tensor([0, 1]), torch.tensor([0, 1]), torch.tensor([7, 8])), torch.cartesian_prod(torch.tensor([4, 5])))
print(torch.block_diag(torch.ones(2, 2), torch.tensor([[5.0, 6.0, 7.0]]), torch.tensor(9.0)))
print(torch.block_diag(torch.tensor([1, 2]), torch.tensor([[3], [4]])), torch.block_diag(torch.eye(2), torch.eye(1).double()).dtype)

a = torch.tensor([[0.0, 0.0], [1.0, 1.0], [3.0, 4.0]])
b = torch.tensor([[1.0, 0.0], [2.0, 2.0]])
print(torch.cdist(a, b), torch.cdist(a, b, p=1), torch.cdist(a, b, p=float("inf")))
print(torch.cdist(a.unsqueeze(0), b.unsqueeze(0)).shape, torch.cdist(a, a).diagonal(), torch.cdist(a, b, p=3))
nearest = torch.cdist(a, b).argmin(dim=1)
print(nearest, torch.cdist(a, b).min(dim=1))

print(torch.diff(series), torch.diff(series, n=2), torch.diff(grid, dim=0), torch.diff(grid, dim=1))
print(torch.diff(series, prepend=torch.tensor([0.0])), torch.diff(torch.tensor([1, 4, 9, 16]), append=torch.tensor([25, 36])))
print(torch.diff(torch.tensor([True, False, False, True])))
m = torch.arange(12).reshape(3, 4)
print(torch.flip(m, dims=[0]), m.flip(1), torch.fliplr(m), torch.flipud(m), m.flip(0, 1))
print(torch.roll(m, 1), torch.roll(m, shifts=-1, dims=1), torch.roll(m, shifts=(1, 2), dims=(0, 1)))
print(torch.rot90(m), torch.rot90(m, k=2), torch.rot90(m, k=-1, dims=[0, 1]), torch.rot90(m, 3, [1, 0]).shape)
print(torch.argmax(m, dim=0, keepdim=True), torch.argmin(m.flip(1), dim=1, keepdim=True), m.argmax(1).dtype)
