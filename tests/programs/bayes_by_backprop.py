"""Bayes-by-backprop regression: a BayesianLinear layer whose weights are Gaussians with
softplus-parameterized std, sampled with the reparameterization trick (torch.randn_like), a
closed-form KL divergence to a N(0, 1) prior checked against torch.distributions.kl_divergence,
an ELBO with the KL scaled per minibatch, and predictive mean/std from repeated forward passes.

tolerance: rtol=2e-3 atol=1e-5
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

torch.manual_seed(0)


class BayesianLinear(nn.Module):
    def __init__(self, in_features, out_features, prior_sd=1.0):
        super().__init__()
        self.w_mu = nn.Parameter(torch.empty(out_features, in_features).uniform_(-0.3, 0.3))
        self.w_rho = nn.Parameter(torch.full((out_features, in_features), -4.0))
        self.b_mu = nn.Parameter(torch.zeros(out_features))
        self.b_rho = nn.Parameter(torch.full((out_features,), -4.0))
        self.prior_sd = prior_sd

    def forward(self, x, sample=True):
        if not sample:
            return F.linear(x, self.w_mu, self.b_mu)
        w_sd = F.softplus(self.w_rho)
        b_sd = F.softplus(self.b_rho)
        w = self.w_mu + w_sd * torch.randn_like(w_sd)
        b = self.b_mu + b_sd * torch.randn_like(b_sd)
        return F.linear(x, w, b)

    def kl(self):
        total = 0.0
        for mu, rho in ((self.w_mu, self.w_rho), (self.b_mu, self.b_rho)):
            sd = F.softplus(rho)
            total = total + (torch.log(self.prior_sd / sd) + (sd ** 2 + mu ** 2) / (2 * self.prior_sd ** 2) - 0.5).sum()
        return total

    def extra_repr(self):
        return f"in_features={self.w_mu.shape[1]}, out_features={self.w_mu.shape[0]}, prior_sd={self.prior_sd}"


class BNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = BayesianLinear(1, 32)
        self.l2 = BayesianLinear(32, 1)

    def forward(self, x, sample=True):
        return self.l2(torch.tanh(self.l1(x, sample)), sample)

    def kl(self):
        return self.l1.kl() + self.l2.kl()


# data: y = sin(3x) + noise on two separate intervals, so the gap should be uncertain
x = torch.cat([torch.linspace(-1.0, -0.3, 40), torch.linspace(0.3, 1.0, 40)]).unsqueeze(1)
y = torch.sin(3 * x) + 0.1 * torch.randn_like(x)

model = BNN()
print(model)
layer = model.l1
closed = layer.kl()
q = Normal(layer.w_mu, F.softplus(layer.w_rho))
p = Normal(torch.zeros_like(layer.w_mu), torch.ones_like(layer.w_mu))
qb = Normal(layer.b_mu, F.softplus(layer.b_rho))
pb = Normal(torch.zeros_like(layer.b_mu), torch.ones_like(layer.b_mu))
lib = kl_divergence(q, p).sum() + kl_divergence(qb, pb).sum()
print(f"KL closed form {closed.item():.4f} library {lib.item():.4f}", closed.grad_fn is not None)

opt = torch.optim.Adam(model.parameters(), lr=1e-2)
n_batches = 4
noise_sd = 0.1
for epoch in range(120):
    perm = torch.randperm(80)
    for i in range(n_batches):
        idx = perm[i * 20:(i + 1) * 20]
        pred = model(x[idx])
        nll = -Normal(pred, noise_sd).log_prob(y[idx]).sum() * n_batches
        kl = model.kl()
        loss = (nll + kl) / 80
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 30 == 0 or epoch == 119:
        print(f"epoch {epoch:3d} loss {loss.item():.2f} kl {kl.item():.1f}")

with torch.no_grad():
    grid = torch.tensor([[-0.8], [-0.5], [0.0], [0.5], [0.8]])
    samples = torch.stack([model(grid) for _ in range(200)])  # 200, 5, 1
    mean, sd = samples.mean(0).squeeze(1), samples.std(0).squeeze(1)
    print("target ", torch.sin(3 * grid).squeeze(1).round(decimals=1))
    print("mean   ", mean.round(decimals=1))
    print("sd>0.05", (sd > 0.05).tolist())
    det = model(grid, sample=False).squeeze(1)
    print("mean-weights fit", det.round(decimals=1))
    print("posterior sd of l2 weights", f"{F.softplus(model.l2.w_rho).mean().item():.2f}")
    print(f"{math.exp(model.l1.w_rho.mean().item()):.3f}" if model.l1.w_rho.mean() < 0 else "positive")
