"""Conditional VAE on a toy 4-class dataset of 2-D points: labels turned into F.one_hot(...).float()
and concatenated to the encoder input and to the latent with torch.cat, the reparameterisation
trick, the analytic Gaussian KL term next to a Bernoulli-free Gaussian reconstruction loss, a KL
warm-up factor, and conditional sampling of each class from the prior in eval mode.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

n_classes, x_dim, z_dim = 4, 6, 2
centers = torch.randn(n_classes, x_dim) * 2


def make_data(n):
    y = torch.randint(0, n_classes, (n,))
    x = centers[y] + 0.3 * torch.randn(n, x_dim)
    return x, y


class CVAE(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(x_dim + n_classes, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, z_dim)
        self.logvar = nn.Linear(hidden, z_dim)
        self.dec = nn.Sequential(
            nn.Linear(z_dim + n_classes, hidden), nn.ReLU(), nn.Linear(hidden, x_dim)
        )

    def encode(self, x, c):
        h = self.enc(torch.cat([x, c], dim=1))
        return self.mu(h), self.logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z, c):
        return self.dec(torch.cat([z, c], dim=1))

    def forward(self, x, y):
        c = F.one_hot(y, num_classes=n_classes).float()
        mu, logvar = self.encode(x, c)
        z = self.reparameterize(mu, logvar)
        return self.decode(z, c), mu, logvar


def loss_function(recon, x, mu, logvar, beta):
    rec = F.mse_loss(recon, x, reduction="sum") / x.size(0)
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.size(0)
    return rec + beta * kld, rec, kld


x, y = make_data(256)
onehot = F.one_hot(y[:5])
print("one_hot", onehot.dtype, tuple(onehot.shape), onehot.tolist())
print("one_hot inferred classes", F.one_hot(torch.tensor([0, 2])).shape)

model = CVAE()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(20):
    model.train()
    beta = min(1.0, (epoch + 1) / 5)
    perm = torch.randperm(x.size(0))
    tot = rec_tot = kl_tot = 0.0
    for i in range(0, x.size(0), 64):
        idx = perm[i:i + 64]
        recon, mu, logvar = model(x[idx], y[idx])
        loss, rec, kld = loss_function(recon, x[idx], mu, logvar, beta)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tot += loss.item()
        rec_tot += rec.item()
        kl_tot += kld.item()
    if epoch % 4 == 3:
        print(f"epoch {epoch} beta {beta:.2f} loss {tot / 4:.4f} rec {rec_tot / 4:.4f} kl {kl_tot / 4:.4f}")

model.eval()
with torch.no_grad():
    _, mu, logvar = model(x[:4], y[:4])
    print("posterior mu", mu)
    print("posterior std", (0.5 * logvar).exp())
    for c in range(n_classes):
        z = torch.randn(50, z_dim)
        cond = F.one_hot(torch.full((50,), c, dtype=torch.long), n_classes).float()
        samples = model.decode(z, cond)
        dist = (samples.mean(0) - centers[c]).norm().item()
        nearest = torch.cdist(samples.mean(0, keepdim=True), centers).argmin().item()
        print(f"class {c}: sample-mean distance to its center {dist:.4f}, nearest center {nearest}")
