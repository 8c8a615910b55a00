"""WGAN-GP on a 2-D toy distribution: a critic and a generator MLP, the gradient penalty computed
with torch.autograd.grad(create_graph=True) on random interpolates between real and fake samples,
Adam with betas=(0.5, 0.9), n_critic critic steps per generator step, and the Wasserstein estimate.

tolerance: rtol=1e-3 atol=1e-5
"""
import torch
import torch.nn as nn

torch.manual_seed(0)


def sample_real(n):
    # a ring of 8 gaussians
    k = torch.randint(0, 8, (n,))
    angle = k.float() * (2 * torch.pi / 8)
    centers = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1) * 2.0
    return centers + 0.05 * torch.randn(n, 2)


class Generator(nn.Module):
    def __init__(self, z_dim=4, hidden=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(z_dim, hidden), nn.ReLU(True),
            nn.Linear(hidden, hidden), nn.ReLU(True),
            nn.Linear(hidden, 2),
        )

    def forward(self, z):
        return self.net(z)


class Critic(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.net(x).view(-1)


def gradient_penalty(critic, real, fake):
    alpha = torch.rand(real.size(0), 1)
    alpha = alpha.expand_as(real)
    interpolates = alpha * real + (1 - alpha) * fake
    interpolates.requires_grad_(True)
    scores = critic(interpolates)
    grads = torch.autograd.grad(
        outputs=scores,
        inputs=interpolates,
        grad_outputs=torch.ones_like(scores),
        create_graph=True,
        retain_graph=True,
        only_inputs=True,
    )[0]
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


z_dim = 4
G = Generator(z_dim)
D = Critic()
print(G)
print("critic params", sum(p.numel() for p in D.parameters()))
opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9))

lambda_gp = 10.0
n_critic = 5
batch = 64

# one penalty by hand, and check the double backward reaches the critic weights
real = sample_real(batch)
fake = G(torch.randn(batch, z_dim)).detach()
gp = gradient_penalty(D, real, fake)
print(f"initial gp {gp.item():.5f}", gp.requires_grad, gp.grad_fn is not None)
gp.backward()
for name, p in D.named_parameters():
    print(name, None if p.grad is None else round(p.grad.norm().item(), 5))
D.zero_grad(set_to_none=True)
print("grad after zero_grad", D.net[0].weight.grad)

for it in range(12):
    for _ in range(n_critic):
        real = sample_real(batch)
        z = torch.randn(batch, z_dim)
        with torch.no_grad():
            fake = G(z)
        d_real = D(real).mean()
        d_fake = D(fake).mean()
        gp = gradient_penalty(D, real, fake)
        d_loss = d_fake - d_real + lambda_gp * gp
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
    wasserstein = (d_real - d_fake).item()

    for p in D.parameters():
        p.requires_grad_(False)
    z = torch.randn(batch, z_dim)
    g_loss = -D(G(z)).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    for p in D.parameters():
        p.requires_grad_(True)

    if it % 3 == 0:
        print(f"iter {it:2d} d_loss {d_loss.item():.4f} g_loss {g_loss.item():.4f} "
              f"gp {gp.item():.4f} W {wasserstein:.4f}")

print("critic grads cleared by set_to_none?", D.net[0].weight.grad is not None)
with torch.no_grad():
    samples = G(torch.randn(256, z_dim))
print("sample mean", samples.mean(0))
print("sample std", samples.std(0))
print("radius mean", samples.norm(dim=1).mean().item())
