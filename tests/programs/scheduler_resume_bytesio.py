"""Training with learning-rate schedules and resuming through an in-memory checkpoint: per-batch
OneCycleLR (cos and linear annealing, three_phase) and CosineAnnealingWarmRestarts stepped with a
fractional epoch (scheduler.step(epoch + i / iters)), CyclicLR (triangular2, exp_range) with SGD
momentum cycling, PolynomialLR, ConstantLR/LinearLR chained with ChainedScheduler, SequentialLR
with milestones, ReduceLROnPlateau(mode='max', threshold_mode='abs', cooldown, min_lr) driven by a
validation metric, param groups with different lrs and add_param_group, print(optimizer),
optimizer.state_dict() structure, and a checkpoint of model / optimizer / scheduler saved into
io.BytesIO, loaded back and resumed, matching the uninterrupted run exactly.

tolerance: rtol=1e-4 atol=1e-7
"""
import copy
import io

import torch
import torch.nn as nn
from torch.optim import lr_scheduler

torch.manual_seed(0)
X = torch.randn(48, 5)
Y = X @ torch.tensor([[1.0], [-2.0], [0.5], [0.0], [3.0]]) + 0.1 * torch.randn(48, 1)


def make_model():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 1))


def fmt(lrs):
    return "[" + ", ".join(f"{lr:.6f}" for lr in lrs) + "]"


def batches(epoch):
    g = torch.Generator().manual_seed(epoch)
    perm = torch.randperm(48, generator=g)
    return [perm[i:i + 12] for i in range(0, 48, 12)]


# -- OneCycleLR per batch
for kw in ({}, {"anneal_strategy": "linear", "three_phase": True, "pct_start": 0.25}):
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, epochs=3, steps_per_epoch=4, **kw)
    trace = []
    for epoch in range(3):
        for idx in batches(epoch):
            loss = nn.functional.mse_loss(model(X[idx]), Y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            trace.append(sched.get_last_lr()[0])
    print("onecycle", kw.get("anneal_strategy", "cos"), fmt(trace[::2]))
    print("  momentum", f"{opt.param_groups[0]['momentum']:.4f}", f"loss {loss.item():.4f}")

# -- CosineAnnealingWarmRestarts with fractional epochs
model = make_model()
opt = torch.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.01)
sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=1e-4)
iters = 4
for epoch in range(6):
    for i, idx in enumerate(batches(epoch)):
        loss = nn.functional.mse_loss(model(X[idx]), Y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step(epoch + i / iters)
    print(f"warm-restarts epoch {epoch} lr {sched.get_last_lr()[0]:.6f} T_cur {sched.T_cur:.2f} "
          f"T_i {sched.T_i} loss {loss.item():.4f}")

# -- CyclicLR
for mode in ("triangular2", "exp_range"):
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    sched = lr_scheduler.CyclicLR(opt, base_lr=0.001, max_lr=0.01, step_size_up=3, mode=mode,
                                  gamma=0.9)
    lrs, moms = [], []
    for _ in range(14):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    print(mode, fmt(lrs))
    print("  momentum", fmt(moms[:7]))

# -- param groups, PolynomialLR, chained / sequential schedules
model = make_model()
opt = torch.optim.SGD([{"params": model[0].parameters()},
                       {"params": model[2].weight, "lr": 0.02}], lr=0.1, momentum=0.5)
opt.add_param_group({"params": [model[2].bias], "lr": 0.005, "weight_decay": 1e-3})
print(opt)
print([len(g["params"]) for g in opt.param_groups], [g["lr"] for g in opt.param_groups])
sched = lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
for _ in range(5):
    opt.step()
    sched.step()
    print("poly", fmt(sched.get_last_lr()))

opt = torch.optim.SGD(make_model().parameters(), lr=0.1)
chain = lr_scheduler.ChainedScheduler([
    lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2),
    lr_scheduler.ExponentialLR(opt, gamma=0.9),
])
seq_opt = torch.optim.SGD(make_model().parameters(), lr=0.1)
seq = lr_scheduler.SequentialLR(seq_opt, schedulers=[
    lr_scheduler.LinearLR(seq_opt, start_factor=0.1, total_iters=3),
    lr_scheduler.StepLR(seq_opt, step_size=2, gamma=0.5),
], milestones=[3])
c_lrs, s_lrs = [], []
for _ in range(8):
    opt.step()
    chain.step()
    seq_opt.step()
    seq.step()
    c_lrs.append(chain.get_last_lr()[0])
    s_lrs.append(seq.get_last_lr()[0])
print("chained", fmt(c_lrs))
print("sequential", fmt(s_lrs))

# -- ReduceLROnPlateau on a validation "accuracy"
opt = torch.optim.Adam(make_model().parameters(), lr=0.01)
plateau = lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=1, threshold=0.01,
                                         threshold_mode="abs", cooldown=1, min_lr=0.002)
for epoch, acc in enumerate([0.50, 0.60, 0.605, 0.61, 0.60, 0.62, 0.621, 0.60, 0.59, 0.58]):
    plateau.step(acc)
    print(f"plateau epoch {epoch} acc {acc:.3f} lr {opt.param_groups[0]['lr']:.5f} "
          f"best {plateau.best:.3f} bad {plateau.num_bad_epochs} cooldown {plateau.cooldown_counter}")


# -- checkpoint / resume through BytesIO
def train(model, opt, sched, epochs):
    for epoch in epochs:
        for idx in batches(epoch):
            loss = nn.functional.mse_loss(model(X[idx]), Y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return loss.item()


model = make_model()
opt = torch.optim.Adam(model.parameters(), lr=0.03, betas=(0.8, 0.99))
sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.3)
train(model, opt, sched, range(3))
sd = opt.state_dict()
print(sorted(sd.keys()), sorted(sd["state"].keys()), sorted(sd["state"][0].keys()))
print(sd["state"][0]["step"], sd["state"][1]["exp_avg"][:3])
print({k: v for k, v in sd["param_groups"][0].items() if k in ("lr", "betas", "eps", "params", "initial_lr")})
print(sched.state_dict()["last_epoch"], sched.state_dict()["base_lrs"])

buf = io.BytesIO()
torch.save({"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict()}, buf)
print("checkpoint bytes > 0:", buf.tell() > 0)
reference = copy.deepcopy(model)
ref_opt = torch.optim.Adam(reference.parameters(), lr=0.03, betas=(0.8, 0.99))
ref_opt.load_state_dict(opt.state_dict())
ref_sched = lr_scheduler.StepLR(ref_opt, step_size=2, gamma=0.3)
ref_sched.load_state_dict(sched.state_dict())
ref_loss = train(reference, ref_opt, ref_sched, range(3, 6))

buf.seek(0)
ckpt = torch.load(buf, map_location="cpu", weights_only=True)
print(ckpt["epoch"], type(ckpt["model"]).__name__, list(ckpt["model"].keys()))
resumed = make_model()
resumed.load_state_dict(ckpt["model"])
r_opt = torch.optim.Adam(resumed.parameters(), lr=0.03, betas=(0.8, 0.99))
r_opt.load_state_dict(ckpt["optimizer"])
r_sched = lr_scheduler.StepLR(r_opt, step_size=2, gamma=0.3)
r_sched.load_state_dict(ckpt["scheduler"])
print("resumed lr", fmt(r_sched.get_last_lr()), r_opt.state[resumed[0].weight]["step"])
res_loss = train(resumed, r_opt, r_sched, range(ckpt["epoch"], 6))
print(f"reference {ref_loss:.6f} resumed {res_loss:.6f}")
print(all(torch.equal(a, b) for a, b in zip(reference.parameters(), resumed.parameters())))
print(resumed[2].weight)
