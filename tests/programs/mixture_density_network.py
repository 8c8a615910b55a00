"""A mixture density network on an inverse (one-to-many) regression problem: the net outputs
mixture logits, means and log-scales; torch.distributions builds MixtureSameFamily(Categorical,
Independent(Normal)) and training minimises -log_prob; then the mixture's mean, variance, sampling
with a fixed seed, and the most probable component are compared.

tensors print four decimals, and after 48 Adam steps float32 rounding may flip the last one:
tolerance: rtol=1e-4 atol=2e-4
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

torch.manual_seed(0)

# inverse of y = x + 0.3 sin(2 pi x): given y predict x (multi-valued)
n = 256
x_true = torch.rand(n, 1)
y_obs = x_true + 0.3 * torch.sin(2 * torch.pi * x_true) + 0.05 * torch.randn(n, 1)
inputs, targets = y_obs, x_true


class MDN(nn.Module):
    def __init__(self, in_dim=1, out_dim=1, hidden=32, k=3):
        super().__init__()
        self.k, self.out_dim = k, out_dim
        self.body = nn.Sequential(nn.Linear(in_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.pi = nn.Linear(hidden, k)
        self.mu = nn.Linear(hidden, k * out_dim)
        self.log_sigma = nn.Linear(hidden, k * out_dim)

    def forward(self, x):
        h = self.body(x)
        logits = self.pi(h)
        mu = self.mu(h).view(-1, self.k, self.out_dim)
        sigma = F.softplus(self.log_sigma(h)).view(-1, self.k, self.out_dim) + 1e-3
        mix = Categorical(logits=logits)
        comp = Independent(Normal(mu, sigma), 1)
        return MixtureSameFamily(mix, comp)


model = MDN()
dist = model(inputs[:4])
print(type(dist).__name__, dist.batch_shape, dist.event_shape)
print("component", type(dist.component_distribution).__name__, dist.component_distribution.batch_shape)
print("mixture probs sum", dist.mixture_distribution.probs.sum(-1))
print("log_prob shape", dist.log_prob(targets[:4]).shape)

opt = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(12):
    perm = torch.randperm(n)
    total = 0.0
    for i in range(0, n, 64):
        idx = perm[i:i + 64]
        d = model(inputs[idx])
        loss = -d.log_prob(targets[idx]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    if epoch % 3 == 0:
        print(f"epoch {epoch:2d} nll {total / n:.4f}")

model.eval()
grid = torch.linspace(0.0, 1.0, 5).unsqueeze(1)
with torch.no_grad():
    d = model(grid)
    print("weights", d.mixture_distribution.probs)
    print("means", d.component_distribution.base_dist.loc.squeeze(-1))
    print("mixture mean", d.mean.squeeze(-1))
    print("mixture var", d.variance.squeeze(-1))
    best = d.mixture_distribution.probs.argmax(-1)
    mode_guess = d.component_distribution.base_dist.loc.squeeze(-1).gather(1, best[:, None]).squeeze(1)
    print("best component", best, mode_guess)
    print("nll on grid", -d.log_prob(torch.full((5, 1), 0.5)))
    cdf_like = d.component_distribution.base_dist.cdf(torch.full((5, 3, 1), 0.5)).squeeze(-1)
    print("component cdf", cdf_like)

    torch.manual_seed(1)
    s = d.sample((2000,))
    print("sample shape", s.shape)
    print("sample mean close", torch.allclose(s.mean(0), d.mean, atol=0.05))
    print("sample var close", torch.allclose(s.var(0), d.variance, atol=0.05))
