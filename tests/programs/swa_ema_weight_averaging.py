"""Stochastic weight averaging and EMA with torch.optim.swa_utils: AveragedModel (the default
running mean, get_ema_multi_avg_fn, a custom avg_fn, use_buffers=True), n_averaged, SWALR with
cos and linear annealing next to a CosineAnnealingLR before the SWA phase, update_bn on a loader
of tuples, and the averaged model's state_dict keys and eval accuracy on a toy classifier.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, get_ema_multi_avg_fn, update_bn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
n = 256
x = torch.randn(n, 4)
y = ((x[:, 0] * x[:, 1] > 0) ^ (x[:, 2] > 0.5)).long()
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(1))


def make_model():
    return nn.Sequential(nn.Linear(4, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2))


model = make_model()
swa_model = AveragedModel(model)
ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9), use_buffers=True)
print(type(swa_model).__name__, swa_model.n_averaged, swa_model.n_averaged.dtype)
print([k for k in swa_model.state_dict().keys()][:5], len(swa_model.state_dict()))

opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)
swa_sched = SWALR(opt, swa_lr=0.02, anneal_epochs=3, anneal_strategy="cos")
swa_start = 5
for epoch in range(10):
    model.train()
    total = 0.0
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema_model.update_parameters(model)
        total += loss.item() * len(xb)
    if epoch >= swa_start:
        swa_model.update_parameters(model)
        swa_sched.step()
    else:
        cosine.step()
    print(f"epoch {epoch} loss {total / n:.4f} lr {opt.param_groups[0]['lr']:.5f} n_averaged {swa_model.n_averaged.item()}")

# the SWA weights are the mean of the snapshots; BN statistics must be recomputed
print(swa_model.module[1].running_mean[:3])
update_bn(loader, swa_model)
print(swa_model.module[1].running_mean[:3], swa_model.module[1].num_batches_tracked)


def accuracy(m):
    m.eval()
    with torch.no_grad():
        return (m(x).argmax(1) == y).float().mean().item()


print(f"model {accuracy(model):.4f} swa {accuracy(swa_model):.4f} ema {accuracy(ema_model):.4f}")
print(ema_model.n_averaged.item(), torch.allclose(ema_model.module[1].running_var, model[1].running_var, rtol=0.5))

# a custom avg_fn: the running max of each parameter
maxer = AveragedModel(nn.Linear(2, 1), avg_fn=lambda avg, new, num: torch.maximum(avg, new))
src = nn.Linear(2, 1)
for scale in (1.0, -2.0, 0.5):
    with torch.no_grad():
        src.weight.fill_(scale)
        src.bias.fill_(-scale)
    maxer.update_parameters(src)
print(maxer.module.weight, maxer.module.bias, maxer.n_averaged)

# the mean of three snapshots, checked by hand
avg = AveragedModel(nn.Linear(3, 1, bias=False))
snaps = []
for k in range(3):
    lin = nn.Linear(3, 1, bias=False)
    snaps.append(lin.weight.detach().clone())
    avg.update_parameters(lin)
print(torch.allclose(avg.module.weight, torch.stack(snaps).mean(0)), avg.module.weight.requires_grad)

# SWALR alone: linear annealing from the optimizer's lr to swa_lr
p = nn.Parameter(torch.zeros(1))
o = torch.optim.SGD([p], lr=1.0)
s = SWALR(o, swa_lr=0.1, anneal_epochs=4, anneal_strategy="linear")
lrs = [o.param_groups[0]["lr"]]
for _ in range(6):
    o.step()
    s.step()
    lrs.append(o.param_groups[0]["lr"])
print([round(v, 4) for v in lrs], s.get_last_lr())
