"""Deep Sets on variable-size sets packed into one tensor with a segment index vector (the way
graph/point-cloud code batches): per-element phi network, set pooling with index_add_, scatter_reduce
("sum", "amax", "mean" with include_self=False) and bincount-based means, a segment softmax for
attention pooling written with scatter_reduce amax and index_add_, a rho network predicting a set
statistic, a short training run, and a check that a shuffled packing gives the same outputs.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def make_sets(n_sets):
    sizes = torch.randint(2, 8, (n_sets,))
    batch = torch.repeat_interleave(torch.arange(n_sets), sizes)
    x = torch.randn(int(sizes.sum()), 3)
    # target: the set's max of the first feature plus the mean of the second
    y = torch.zeros(n_sets).scatter_reduce(0, batch, x[:, 0], reduce="amax", include_self=False)
    y = y + torch.zeros(n_sets).index_add_(0, batch, x[:, 1]) / sizes
    return x, batch, y


x, batch, y = make_sets(6)
print("elements", x.shape[0], "batch", batch.tolist())
counts = torch.bincount(batch, minlength=6)
print("bincount", counts.tolist())
sums = torch.zeros(6, 3).index_add_(0, batch, x)
means = sums / counts.unsqueeze(1)
amax = torch.zeros(6, 3).scatter_reduce(0, batch.unsqueeze(1).expand(-1, 3), x, reduce="amax", include_self=False)
mean2 = torch.zeros(6, 3).scatter_reduce(0, batch.unsqueeze(1).expand(-1, 3), x, reduce="mean", include_self=False)
print("sum pool", sums[:2])
print("mean agrees", torch.allclose(means, mean2))
print("amax pool", amax[:2])
print("targets", y)


def segment_softmax(scores, index, n):
    smax = torch.full((n,), float("-inf")).scatter_reduce(0, index, scores, reduce="amax", include_self=True)
    e = (scores - smax[index]).exp()
    denom = torch.zeros(n).index_add_(0, index, e)
    return e / denom[index]


w = segment_softmax(x[:, 2], batch, 6)
print("segment softmax sums", torch.zeros(6).index_add_(0, batch, w))


class DeepSet(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.phi = nn.Sequential(nn.Linear(3, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.att = nn.Linear(hidden, 1)
        self.rho = nn.Sequential(nn.Linear(3 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x, batch, n_sets):
        h = self.phi(x)
        idx = batch.unsqueeze(1).expand_as(h)
        counts = torch.bincount(batch, minlength=n_sets).clamp(min=1).unsqueeze(1)
        mean = torch.zeros(n_sets, h.shape[1]).index_add_(0, batch, h) / counts
        mx = torch.zeros(n_sets, h.shape[1]).scatter_reduce(0, idx, h, reduce="amax", include_self=False)
        a = segment_softmax(self.att(h).squeeze(1), batch, n_sets)
        attn = torch.zeros(n_sets, h.shape[1]).index_add_(0, batch, a.unsqueeze(1) * h)
        return self.rho(torch.cat([mean, mx, attn], dim=1)).squeeze(1)


model = DeepSet()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(40):
    xs, bs, ys = make_sets(16)
    pred = model(xs, bs, 16)
    loss = F.mse_loss(pred, ys)
    opt.zero_grad()
    loss.backward()
    if step % 10 == 0:
        print(f"step {step:2d} loss {loss.item():.5f} att grad {model.att.weight.grad.norm().item():.5f}")
    opt.step()

model.eval()
with torch.no_grad():
    xs, bs, ys = make_sets(8)
    pred = model(xs, bs, 8)
    print(f"test mse {F.mse_loss(pred, ys).item():.5f}")
    perm = torch.randperm(xs.shape[0])
    pred_perm = model(xs[perm], bs[perm], 8)
    print("permutation invariant", torch.allclose(pred, pred_perm, atol=1e-5))
    print("predictions", pred)
