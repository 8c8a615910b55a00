"""A learning-rate range test ("LR finder") as in fast.ai / pytorch-lr-finder: the model and the
optimizer state are snapshotted with copy.deepcopy(state_dict()), the LR grows exponentially each
step by writing param_group["lr"], the loss is smoothed with a bias-corrected exponential moving
average, the test stops when the loss diverges, the LR with the steepest smoothed-loss descent is
picked, and model and optimizer are restored with load_state_dict before training with it.

tolerance: rtol=1e-3 atol=1e-5
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

X = torch.randn(512, 10)
w_true = torch.randn(10, 3)
Y = (X @ w_true + 0.2 * torch.randn(512, 3)).argmax(dim=1)

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 3))
opt = torch.optim.SGD(model.parameters(), lr=1e-5, momentum=0.9)

model_state = copy.deepcopy(model.state_dict())
opt_state = copy.deepcopy(opt.state_dict())
print("snapshot keys", list(model_state.keys()))
print("opt snapshot", opt_state["param_groups"][0]["lr"], opt_state["state"])


def lr_range_test(start_lr=1e-5, end_lr=10.0, num_iter=60, beta=0.9, diverge=4.0):
    gamma = (end_lr / start_lr) ** (1 / (num_iter - 1))
    lrs, losses = [], []
    avg, best = 0.0, math.inf
    for it in range(num_iter):
        lr = start_lr * gamma ** it
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(0, X.size(0), (32,))
        loss = F.cross_entropy(model(X[idx]), Y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        avg = beta * avg + (1 - beta) * loss.item()
        smoothed = avg / (1 - beta ** (it + 1))
        lrs.append(lr)
        losses.append(smoothed)
        best = min(best, smoothed)
        if smoothed > diverge * best or not math.isfinite(smoothed):
            print(f"stopping early at iter {it}, lr {lr:.4g}")
            break
    return lrs, losses


lrs, losses = lr_range_test()
print("iterations", len(lrs))
for i in range(0, len(lrs), 10):
    print(f"lr {lrs[i]:.4e} smoothed loss {losses[i]:.4f}")

loss_t = torch.tensor(losses[5:])
grads = loss_t[1:] - loss_t[:-1]
steepest = int(grads.argmin().item()) + 5
suggested = lrs[steepest]
print(f"steepest index {steepest} suggested lr {suggested:.4e}")
print("min-loss lr / 10", f"{lrs[int(loss_t.argmin()) + 5] / 10:.4e}")

print("weights moved during test", round((model[0].weight - model_state["0.weight"]).norm().item(), 4))
model.load_state_dict(model_state)
opt.load_state_dict(opt_state)
print("restored", torch.equal(model[0].weight, model_state["0.weight"]), opt.param_groups[0]["lr"], len(opt.state))

for group in opt.param_groups:
    group["lr"] = suggested
for epoch in range(5):
    perm = torch.randperm(X.size(0))
    for i in range(0, X.size(0), 64):
        idx = perm[i:i + 64]
        loss = F.cross_entropy(model(X[idx]), Y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        logits = model(X)
        full = F.cross_entropy(logits, Y).item()
        acc = (logits.argmax(1) == Y).float().mean().item()
    print(f"epoch {epoch} loss {full:.4f} acc {acc:.4f}")
