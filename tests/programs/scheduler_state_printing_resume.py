"""Printing and resuming the training-loop state: print(scheduler.state_dict()) for the usual
schedulers after a few steps (StepLR, MultiStepLR, LambdaLR, MultiplicativeLR, LinearLR,
ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts, OneCycleLR with its phase table, CyclicLR
with momentum, ReduceLROnPlateau, SequentialLR, ChainedScheduler), the warning for
scheduler.step() before optimizer.step() caught with warnings.catch_warnings, L-BFGS with a
strong-Wolfe line search and the keys of its state, and a warm-up + cosine run checkpointed into
io.BytesIO mid-way and resumed (model, optimizer, scheduler and RNG state), matching the
uninterrupted run.

tolerance: rtol=1e-4 atol=1e-7
"""
import io
import warnings

import torch
import torch.nn as nn
from torch.optim import lr_scheduler as L


def fresh_opt(**kw):
    torch.manual_seed(0)
    params = [nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(3))]
    return torch.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.02}], lr=0.1, momentum=0.9, **kw)


def show(name, build, steps=3, metric=None):
    opt = fresh_opt()
    sched = build(opt)
    for i in range(steps):
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric[i])
    state = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in sched.state_dict().items()}
    print(name, state)
    print("   lrs", [round(g["lr"], 6) for g in opt.param_groups])


show("step", lambda o: L.StepLR(o, step_size=2, gamma=0.5))
show("multistep", lambda o: L.MultiStepLR(o, milestones=[1, 2], gamma=0.1))
show("lambda", lambda o: L.LambdaLR(o, lr_lambda=lambda e: 0.5 ** e))
show("multiplicative", lambda o: L.MultiplicativeLR(o, lr_lambda=[lambda e: 0.9, lambda e: 0.8]))
show("linear", lambda o: L.LinearLR(o, start_factor=0.5, total_iters=4))
show("constant", lambda o: L.ConstantLR(o, factor=0.25, total_iters=2))
show("poly", lambda o: L.PolynomialLR(o, total_iters=6, power=2.0))
show("warm_restarts", lambda o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2, eta_min=0.001))
show("onecycle", lambda o: L.OneCycleLR(o, max_lr=[0.5, 0.1], total_steps=10, anneal_strategy="linear"))
show("onecycle3", lambda o: L.OneCycleLR(o, max_lr=0.5, total_steps=12, three_phase=True))
show("plateau", lambda o: L.ReduceLROnPlateau(o, mode="max", patience=1, factor=0.5), metric=[0.5, 0.4, 0.4])
show("sequential", lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.2, total_iters=2), L.ExponentialLR(o, 0.9)], [2]))
show("chained", lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.5, total_iters=2), L.ExponentialLR(o, 0.9)]))
opt = fresh_opt()
cyc = L.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2")
for _ in range(3):
    opt.step()
    cyc.step()
print("cyclic", sorted(cyc.state_dict()), cyc.state_dict()["base_momentums"], cyc.state_dict()["max_momentums"])
print("   momentum", [round(g["momentum"], 6) for g in opt.param_groups])

print("== warnings")
opt = fresh_opt()
sched = L.StepLR(opt, step_size=1)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    sched.step()
for w in caught:
    print(w.category.__name__, w.message)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    sched.get_lr()
print([str(w.message) for w in caught])

print("== lbfgs")
torch.manual_seed(2)
A = torch.randn(20, 3)
b = A @ torch.tensor([1.0, -2.0, 0.5]) + 0.05 * torch.randn(20)
w = torch.zeros(3, requires_grad=True)
lbfgs = torch.optim.LBFGS([w], lr=1, history_size=3, max_iter=5, line_search_fn="strong_wolfe")


def closure():
    lbfgs.zero_grad()
    loss = ((A @ w - b) ** 2).mean() + 0.01 * (w ** 4).sum()
    loss.backward()
    return loss


for it in range(3):
    print(it, f"{lbfgs.step(closure).item():.6f}")
state = lbfgs.state_dict()["state"][0]
print(sorted(state), state["n_iter"], state["func_evals"], len(state["al"]), [a is None for a in state["al"]])
print([f"{v:.4f}" for v in w.tolist()])

print("== checkpoint and resume")
X = torch.randn(64, 5)
Y = X @ torch.randn(5, 1) + 0.1 * torch.randn(64, 1)


def build():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 16), nn.GELU(), nn.Dropout(0.1), nn.Linear(16, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
    warm = L.LinearLR(opt, start_factor=0.1, total_iters=3)
    cos = L.CosineAnnealingLR(opt, T_max=9, eta_min=1e-4)
    return model, opt, L.SequentialLR(opt, [warm, cos], milestones=[3])


def epoch(model, opt, sched):
    perm = torch.randperm(64)
    total = 0.0
    for i in range(0, 64, 16):
        idx = perm[i:i + 16]
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(X[idx]), Y[idx])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        total += loss.item()
    sched.step()
    return total / 4


torch.manual_seed(4)
model, opt, sched = build()
torch.manual_seed(4)
straight = [epoch(model, opt, sched) for _ in range(12)]
torch.manual_seed(4)
model, opt, sched = build()
torch.manual_seed(4)
resumed = [epoch(model, opt, sched) for _ in range(6)]
buffer = io.BytesIO()
torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
            "rng": torch.get_rng_state(), "epoch": 6}, buffer)
buffer.seek(0)
checkpoint = torch.load(buffer)
model, opt, sched = build()
model.load_state_dict(checkpoint["model"])
opt.load_state_dict(checkpoint["opt"])
sched.load_state_dict(checkpoint["sched"])
torch.set_rng_state(checkpoint["rng"])
resumed += [epoch(model, opt, sched) for _ in range(checkpoint["epoch"], 12)]
print([f"{v:.5f}" for v in straight])
print(all(abs(a - b) < 1e-7 for a, b in zip(straight, resumed)), sched.last_epoch, sched.get_last_lr())
print(checkpoint["sched"]["_milestones"], [sorted(s) for s in checkpoint["sched"]["_schedulers"]])
