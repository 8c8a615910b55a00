"""Reductions and statistics as metrics and preprocessing code uses them: max/min/median/mode/
kthvalue with dim and keepdim (namedtuples printed), cummax/cummin, unique with return_inverse/
return_counts/dim, unique_consecutive, bincount with weights, histc, histogram, bucketize and
searchsorted (right=True, side=, sorter=), quantile interpolation modes, and nan handling:
nansum, nanmean, nanmedian, isnan().any(), nan_to_num, torch.where with scalars, and reductions
over empty tensors."""
import torch

torch.manual_seed(0)
x = torch.tensor([[3.0, 1.0, 4.0, 1.0], [5.0, 9.0, 2.0, 6.0], [5.0, 3.0, 5.0, 8.0]])
print(x.max(dim=1))
print(x.min(dim=0, keepdim=True))
print(torch.max(x, 1).indices, torch.max(x, 1)[0], x.max(), x.argmax(), x.argmin(dim=1), x.argmax(0, keepdim=True))
print(x.median(), x.median(dim=1), torch.median(torch.tensor([1.0, 2.0, 3.0, 4.0])))
print(x.mode(dim=1))
print(torch.mode(torch.tensor([2, 1, 2, 3, 3, 3, 1])), torch.tensor([4, 4, 1, 1]).mode())
print(x.kthvalue(2, dim=1), torch.kthvalue(x.flatten(), 5))
print(x.cummax(dim=1))
print(torch.cummin(torch.tensor([5, 3, 4, 1, 2]), 0))
print(x.amax(dim=(0, 1)), x.amin(1), torch.aminmax(x, dim=0), x.sum((0, 1)), x.mean(-1, keepdim=True))
print(x.var(1), x.var(1, unbiased=False), x.std(0, correction=0), torch.var_mean(x, 1), x.prod(1), x.logsumexp(1))
print(x.norm(), x.norm(dim=1), x.norm(p=1, dim=0), torch.linalg.vector_norm(x, ord=float("inf"), dim=1), x.count_nonzero(0))
print(x.sum(dim=1, keepdim=True).shape, x.mean(dim=[0, 1]).shape, x.max(dim=-1, keepdim=True).values.shape, x.all(), x.bool().any(1))

u = torch.tensor([3, 1, 2, 3, 1, 1, 7])
print(torch.unique(u), torch.unique(u, sorted=True, return_inverse=True), torch.unique(u, return_counts=True))
vals, inv, cnt = torch.unique(u, return_inverse=True, return_counts=True)
print(vals[inv], torch.equal(vals[inv], u), cnt.sum())
rows = torch.tensor([[1, 2], [3, 4], [1, 2], [0, 9], [3, 4]])
print(torch.unique(rows, dim=0), torch.unique(rows, dim=0, return_counts=True, return_inverse=True))
print(torch.unique(rows.t(), dim=1), torch.unique(torch.tensor([[1.5, 1.5], [0.5, 2.5]])))
print(torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1, 1, 2])))
print(torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True, return_counts=True))
print(torch.unique_consecutive(rows, dim=0), torch.unique(torch.tensor([True, False, True])))

lab = torch.tensor([0, 2, 2, 5, 1, 0])
print(torch.bincount(lab), torch.bincount(lab, minlength=8), torch.bincount(lab, weights=torch.tensor([0.5, 1.0, 1.5, 2.0, 0.25, 1.0])))
print(torch.bincount(torch.tensor([], dtype=torch.long)), torch.bincount(lab, weights=torch.ones(6, dtype=torch.float64)).dtype)
data = torch.tensor([1.0, 2.0, 1.0, 2.5, 4.0, 0.0, 3.99, 4.0])
print(torch.histc(data, bins=4, min=0, max=4), torch.histc(data, bins=3), torch.histc(torch.tensor([7.0, 7.0]), bins=2))
h = torch.histogram(data, bins=4)
print(h.hist, h.bin_edges)
print(torch.histogram(data, bins=torch.tensor([0.0, 1.0, 3.0, 5.0]), density=True))
bounds = torch.tensor([1.0, 3.0, 5.0, 7.0])
q = torch.tensor([[0.5, 1.0, 3.0], [4.0, 7.0, 9.0]])
print(torch.bucketize(q, bounds), torch.bucketize(q, bounds, right=True), torch.bucketize(q, bounds, out_int32=True).dtype)
print(torch.searchsorted(bounds, q), torch.searchsorted(bounds, q, right=True), torch.searchsorted(bounds, q, side="right"))
print(torch.searchsorted(torch.tensor([[1, 3, 5], [2, 4, 6]]), torch.tensor([[3, 6], [1, 7]])), torch.searchsorted(bounds, 3.0))
unsorted = torch.tensor([5.0, 1.0, 7.0, 3.0])
print(torch.searchsorted(unsorted, torch.tensor([2.0, 6.0]), sorter=unsorted.argsort()))
r = torch.arange(10.0)
for mode in ["linear", "lower", "higher", "nearest", "midpoint"]:
    print(mode, torch.quantile(r, torch.tensor([0.25, 0.5, 0.9]), interpolation=mode), r.quantile(0.33, interpolation=mode))
print(torch.quantile(x, 0.5, dim=1, keepdim=True), torch.quantile(x, torch.tensor(0.5), dim=0), torch.quantile(x, torch.tensor([0.1, 0.9]), dim=0).shape)

nan = float("nan")
n = torch.tensor([[1.0, nan, 3.0], [nan, nan, nan], [4.0, 5.0, -1.0]])
print(n.isnan(), n.isnan().any(), n.isnan().all(dim=1), n.isnan().sum(1), torch.isfinite(n).sum(), (n == n).float().mean())
print(n.sum(), n.nansum(), n.nansum(dim=1), torch.nanmean(n), n.nanmean(dim=0), n.nanmean(dim=1))
print(n.max(), n.amax(dim=1), n.median(dim=1), n.nanmedian(), n.nanmedian(dim=1))
print(n.argmax(dim=1), n.argmin(), torch.max(n, dim=0).values, torch.fmax(n, torch.zeros(3)), torch.fmin(n, torch.ones(3)))
print(torch.nan_to_num(n), torch.nan_to_num(n, nan=0.0, posinf=1.0), n.nan_to_num(nan=-1.0), torch.nanquantile(n[0], 0.5))
inf = torch.tensor([float("inf"), -float("inf"), nan, 2.0])
print(torch.nan_to_num(inf), torch.nan_to_num(inf, 0.0, 100.0, -100.0), inf.isinf(), inf.isposinf(), inf.isneginf(), inf.sign())
print(torch.nan_to_num(inf.half()), torch.nan_to_num(inf.double()).dtype)
print(torch.where(torch.isnan(n), 0.0, n), torch.where(n > 2, n, -1), torch.where(n.isnan(), torch.zeros(()), n).sum())
print(torch.where(torch.tensor([True, False]), 1, 2.5), torch.where(torch.tensor([True, False]), 2, 3).dtype, n.masked_fill(n.isnan(), 0.0).sum(1))
valid = ~n.isnan()
print((n.nan_to_num() * valid).sum(1) / valid.sum(1).clamp(min=1), valid.float().mean(1), n[valid], n[valid].mean())
print(torch.softmax(torch.tensor([1.0, float("-inf"), 2.0]), 0), torch.logsumexp(torch.tensor([float("-inf"), float("-inf")]), 0))
print(torch.tensor([nan, 1.0, 0.5]).sort(), torch.tensor([nan, 1.0, 0.5]).topk(1), torch.tensor([nan, 2.0]).clamp(0, 1))
print(torch.tensor([1.0, nan]).mean(), torch.tensor([1.0, nan]).std(), torch.tensor([nan]).exp(), torch.maximum(torch.tensor([nan, 1.0]), torch.tensor([0.0, nan])))

e = torch.zeros(0, 3)
print(e.sum(0), e.sum(), e.mean(), e.prod(0), e.amax(1).shape, e.sum(1).shape, e.std(0), torch.tensor([]).max(0) if False else e.numel())
print(torch.zeros(0).nansum(), torch.zeros(0, dtype=torch.long).sum(), torch.zeros(0).all(), torch.zeros(0).any(), torch.zeros(0).logsumexp(0))
try:
    torch.zeros(0).max()
except RuntimeError as err:
    print("RuntimeError:", str(err)[:60])
try:
    e.argmax(0)
except (RuntimeError, IndexError) as err:
    print(type(err).__name__, str(err)[:40])
