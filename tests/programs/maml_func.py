"""MAML on sine waves with torch.func: inner SGD steps by grad over a parameter dict, the outer
gradient through them (second order), vmap over a batch of tasks.

tolerance: rtol=1e-3 atol=1e-5
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 1))
params = {k: v for k, v in net.named_parameters()}
opt = torch.optim.Adam(net.parameters(), lr=1e-3)


def sample_tasks(n, k):
    amp = torch.rand(n, 1, 1) * 4.9 + 0.1
    phase = torch.rand(n, 1, 1) * math.pi
    xs = torch.rand(n, 2 * k, 1) * 10 - 5
    ys = amp * torch.sin(xs + phase)
    return xs[:, :k], ys[:, :k], xs[:, k:], ys[:, k:]


def loss_fn(p, x, y):
    return F.mse_loss(functional_call(net, p, (x,)), y)


def adapt_and_evaluate(p, xs, ys, xq, yq, steps=1, lr=0.01):
    for _ in range(steps):
        g = grad(loss_fn)(p, xs, ys)
        p = {k: p[k] - lr * g[k] for k in p}
    return loss_fn(p, xq, yq)


for it in range(30):
    xs, ys, xq, yq = sample_tasks(5, 10)
    losses = vmap(adapt_and_evaluate, in_dims=(None, 0, 0, 0, 0))(params, xs, ys, xq, yq)
    opt.zero_grad()
    losses.mean().backward()
    opt.step()
    if it % 10 == 0:
        print(it, f"{losses.mean().item():.4f}", f"{net[0].weight.grad.abs().sum().item():.4f}")
xs, ys, xq, yq = sample_tasks(1, 10)
before = loss_fn(params, xq[0], yq[0]).item()
after = adapt_and_evaluate(params, xs[0], ys[0], xq[0], yq[0], steps=5).item()
print(f"{before:.4f} -> {after:.4f}", after < before)
