"""A categorical VAE with the Gumbel-softmax relaxation on binary 'bar' images. The Gumbel noise is
drawn by hand from torch.rand (-log(-log(u))), so the run is reproducible; F.gumbel_softmax is
used only for properties that hold for any draw (shape, rows sum to one, hard=True is one-hot and
straight-through). Temperature annealing, a KL to the uniform prior over categories, and
reconstructions decoded from argmax codes.

tolerance: rtol=2e-3 atol=1e-5
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
N_LATENT, N_CAT = 4, 4


def make_bars(n):
    """6x6 binary images with one horizontal and one vertical bar at random positions."""
    rows = torch.randint(0, 6, (n,))
    cols = torch.randint(0, 6, (n,))
    img = torch.zeros(n, 6, 6)
    img[torch.arange(n), rows, :] = 1.0
    img[torch.arange(n), :, cols] = 1.0
    return img.view(n, 36)


def gumbel_softmax_manual(logits, tau, hard=False):
    u = torch.rand_like(logits)
    g = -torch.log(-torch.log(u + 1e-20) + 1e-20)
    y = F.softmax((logits + g) / tau, dim=-1)
    if hard:
        index = y.argmax(dim=-1, keepdim=True)
        y_hard = torch.zeros_like(y).scatter_(-1, index, 1.0)
        y = y_hard - y.detach() + y
    return y


class CatVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(36, 64), nn.ReLU(), nn.Linear(64, N_LATENT * N_CAT))
        self.dec = nn.Sequential(nn.Linear(N_LATENT * N_CAT, 64), nn.ReLU(), nn.Linear(64, 36))

    def forward(self, x, tau, hard=False):
        logits = self.enc(x).view(-1, N_LATENT, N_CAT)
        z = gumbel_softmax_manual(logits, tau, hard)
        return self.dec(z.flatten(1)), logits


# properties of the library's gumbel_softmax that do not depend on the draw
logits = torch.randn(3, 5)
soft = F.gumbel_softmax(logits, tau=0.5)
hard = F.gumbel_softmax(logits.requires_grad_(), tau=0.5, hard=True)
print(soft.shape, torch.allclose(soft.sum(-1), torch.ones(3)))
print(hard.sum(-1), ((hard == 0) | (hard == 1)).all().item(), hard.grad_fn is not None)
hard.sum().backward()
print(logits.grad.abs().max().item() < 1e-5)

x = make_bars(128)
print(x.shape, x.sum(1)[:8])
model = CatVAE()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
tau0, tau_min, anneal = 1.0, 0.5, 3e-3
log_prior = math.log(1.0 / N_CAT)
for step in range(200):
    tau = max(tau_min, tau0 * math.exp(-anneal * step))
    recon_logits, q_logits = model(x, tau)
    rec = F.binary_cross_entropy_with_logits(recon_logits, x, reduction="sum") / x.size(0)
    q = F.softmax(q_logits, dim=-1)
    kl = (q * (F.log_softmax(q_logits, dim=-1) - log_prior)).sum((1, 2)).mean()
    loss = rec + kl
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 40 == 0 or step == 199:
        print(f"step {step:3d} tau {tau:.3f} rec {rec.item():.3f} kl {kl.item():.3f}")

model.eval()
with torch.no_grad():
    _, q_logits = model(x[:6], tau_min)
    codes = q_logits.argmax(-1)
    print(codes)
    z = F.one_hot(codes, N_CAT).float().flatten(1)
    recon = torch.sigmoid(model.dec(z))
    err = ((recon > 0.5).float() != x[:6]).float().sum(1)
    print("pixel errors:", err)
    print(x[0].view(6, 6).int())
    print((recon[0] > 0.5).view(6, 6).int())
