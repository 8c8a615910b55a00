"""A variational autoencoder on 2-D points with torch.distributions (Normal, kl_divergence,
rsample).

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn
from torch.distributions import Normal, kl_divergence

torch.manual_seed(0)
data = torch.cat([torch.randn(64, 2) * 0.3 + 2.0, torch.randn(64, 2) * 0.3 - 2.0])


class VAE(nn.Module):
    def __init__(self, latent=2):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2 * latent))
        self.dec = nn.Sequential(nn.Linear(latent, 16), nn.Tanh(), nn.Linear(16, 2))

    def forward(self, x):
        mu, log_sigma = self.enc(x).chunk(2, dim=-1)
        q = Normal(mu, log_sigma.exp())
        z = q.rsample()
        recon = self.dec(z)
        prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
        kl = kl_divergence(q, prior).sum(-1)
        log_lik = Normal(recon, 0.5).log_prob(x).sum(-1)
        return -(log_lik - kl).mean(), kl.mean()


model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(50):
    loss, kl = model(data)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch} elbo {-loss.item():.4f} kl {kl.item():.4f}")
d = Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0]))
print(d, d.batch_shape, d.event_shape)
print(d.log_prob(torch.tensor([0.5, 0.5])), d.entropy(), d.mean, d.stddev)
print(d.sample((3,)).shape, d.cdf(torch.tensor([0.0, 1.0])))
