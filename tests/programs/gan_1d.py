"""A tiny GAN learning a 1-D Gaussian: generator and discriminator with their own optimizers,
detach() for the discriminator step, BCEWithLogitsLoss.

tolerance: rtol=2e-3 atol=1e-5
"""
import torch
import torch.nn as nn

torch.manual_seed(0)
G = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
D = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
criterion = nn.BCEWithLogitsLoss()
real_label, fake_label = 1.0, 0.0
noise = torch.linspace(-1, 1, 64).unsqueeze(1)
real = 3.0 + 0.5 * torch.linspace(-1.7, 1.7, 64).unsqueeze(1)
for step in range(60):
    D.zero_grad()
    out_real = D(real)
    err_real = criterion(out_real, torch.full_like(out_real, real_label))
    fake = G(noise)
    out_fake = D(fake.detach())
    err_fake = criterion(out_fake, torch.full_like(out_fake, fake_label))
    err_d = err_real + err_fake
    err_d.backward()
    opt_d.step()
    G.zero_grad()
    out = D(fake)
    err_g = criterion(out, torch.full_like(out, real_label))
    err_g.backward()
    opt_g.step()
    if step % 10 == 0:
        print(f"[{step}] Loss_D: {err_d.item():.4f} Loss_G: {err_g.item():.4f} D(x): {out_real.sigmoid().mean().item():.4f}")
with torch.no_grad():
    samples = G(noise)
print(f"generated mean {samples.mean().item():.3f} std {samples.std().item():.3f}")
