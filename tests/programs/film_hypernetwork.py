"""Conditioning one network on another: (1) FiLM layers, where a task embedding produces a
per-channel scale (gamma) and shift (beta) applied to hidden features, trained on a family of
sine tasks; (2) a hypernetwork whose output is reshaped into the weights of a target MLP that is
run with torch.func.functional_call, so gradients flow into the hypernetwork only.

tolerance: rtol=2e-3 atol=1e-5
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
N_TASKS = 6
amps = torch.linspace(0.5, 2.0, N_TASKS)
phases = torch.linspace(0.0, math.pi, N_TASKS)


def task_batch(task_ids, n_points=16):
    x = torch.rand(len(task_ids), n_points, 1) * 2 * math.pi - math.pi
    y = amps[task_ids].view(-1, 1, 1) * torch.sin(x + phases[task_ids].view(-1, 1, 1))
    return x, y


class FiLM(nn.Module):
    def __init__(self, cond_dim, n_features):
        super().__init__()
        self.proj = nn.Linear(cond_dim, 2 * n_features)
        nn.init.zeros_(self.proj.weight)
        with torch.no_grad():
            self.proj.bias.copy_(torch.cat([torch.ones(n_features), torch.zeros(n_features)]))

    def forward(self, h, cond):
        gamma, beta = self.proj(cond).chunk(2, dim=-1)
        return gamma.unsqueeze(1) * h + beta.unsqueeze(1)


class FiLMNet(nn.Module):
    def __init__(self, hidden=32, cond_dim=8):
        super().__init__()
        self.task_embed = nn.Embedding(N_TASKS, cond_dim)
        self.l1 = nn.Linear(1, hidden)
        self.film1 = FiLM(cond_dim, hidden)
        self.l2 = nn.Linear(hidden, hidden)
        self.film2 = FiLM(cond_dim, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x, task):
        cond = self.task_embed(task)
        h = F.relu(self.film1(self.l1(x), cond))
        h = F.relu(self.film2(self.l2(h), cond))
        return self.out(h)


net = FiLMNet()
print(net.film1.proj, net.film1.proj.bias[:3], net.film1.proj.bias[-3:])
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
for step in range(300):
    tasks = torch.randint(0, N_TASKS, (12,))
    x, y = task_batch(tasks)
    loss = F.mse_loss(net(x, tasks), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 100 == 0 or step == 299:
        print(f"film step {step:3d} mse {loss.item():.4f}")
with torch.no_grad():
    grid = torch.linspace(-3, 3, 5).view(1, 5, 1).expand(N_TASKS, 5, 1)
    pred = net(grid, torch.arange(N_TASKS)).squeeze(-1)
    true = amps.view(-1, 1) * torch.sin(grid.squeeze(-1) + phases.view(-1, 1))
    print("per-task mse", ((pred - true) ** 2).mean(1).round(decimals=3))
    gb = net.film1.proj(net.task_embed.weight)
    print("gamma mean per task", gb[:, :32].mean(1).round(decimals=2))

# --- a hypernetwork generating the weights of a target network ---
target = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))
shapes = {name: p.shape for name, p in target.named_parameters()}
n_target = sum(p.numel() for p in target.parameters())
print(shapes, n_target)
for p in target.parameters():
    p.requires_grad_(False)


class HyperNet(nn.Module):
    def __init__(self, emb=4):
        super().__init__()
        self.z = nn.Embedding(N_TASKS, emb)
        self.gen = nn.Sequential(nn.Linear(emb, 64), nn.ReLU(), nn.Linear(64, n_target))

    def forward(self, task):
        flat = self.gen(self.z(task)) * 0.5
        params, offset = {}, 0
        for name, shape in shapes.items():
            n = math.prod(shape)
            params[name] = flat[offset:offset + n].view(shape)
            offset += n
        return params


hyper = HyperNet()
params = hyper(torch.tensor(0))
print({k: tuple(v.shape) for k, v in params.items()}, params["0.weight"].grad_fn is not None)
opt = torch.optim.Adam(hyper.parameters(), lr=3e-3)
for step in range(300):
    loss = 0.0
    for t in range(N_TASKS):
        x, y = task_batch(torch.tensor([t]))
        out = functional_call(target, hyper(torch.tensor(t)), (x[0],))
        loss = loss + F.mse_loss(out, y[0])
    loss = loss / N_TASKS
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 100 == 0 or step == 299:
        print(f"hyper step {step:3d} mse {loss.item():.4f}")
print(target[0].weight.grad, hyper.gen[2].weight.grad.shape)
with torch.no_grad():
    xs = torch.linspace(-3, 3, 5).view(5, 1)
    for t in (0, N_TASKS - 1):
        out = functional_call(target, hyper(torch.tensor(t)), (xs,)).squeeze(1)
        print(t, out.round(decimals=2), (amps[t] * torch.sin(xs.squeeze(1) + phases[t])).round(decimals=2))
