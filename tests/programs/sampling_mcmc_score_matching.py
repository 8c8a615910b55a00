"""Samplers and score-based methods: Gamma/Beta/Dirichlet/Poisson/StudentT/... draws on the torch
stream, implicit-reparameterisation gradients of Gamma/Dirichlet/Beta rsample, Metropolis-Hastings
on a banana with torch.rand, Langevin dynamics with the score of a MixtureSameFamily from
autograd.grad, denoising and sliced score matching (create_graph Hutchinson trace), an exact
Jacobian trace and autograd.functional.jacobian.

tolerance: rtol=1e-3 atol=5e-4
"""
import math
import torch
import torch.nn as nn
import torch.distributions as dist

# Sampling from Beta/Gamma/Dirichlet etc.
torch.manual_seed(0)
g = dist.Gamma(torch.tensor([2.0, 0.5]), torch.tensor([1.0, 3.0]))
s = g.sample((3,))
print(s, s.shape)
print(g.rsample((2,)))
b = dist.Beta(torch.tensor(0.5), torch.tensor(0.5))
print(b.sample((4,)))
d = dist.Dirichlet(torch.ones(3) * 0.3)
print(d.sample((2,)), d.sample().sum())
print(dist.Poisson(torch.tensor([1.0, 4.0])).sample((3,)))
print(dist.Exponential(2.0).sample((3,)))
print(dist.StudentT(3.0).sample((3,)))
print(dist.Chi2(torch.tensor(4.0)).sample((2,)))
print(dist.Binomial(10, torch.tensor(0.3)).sample((4,)))
print(dist.Categorical(logits=torch.tensor([0.1, 0.2, 0.7])).sample((6,)))
print(dist.Multinomial(5, torch.tensor([0.2, 0.3, 0.5])).sample())
print(dist.LogNormal(0.0, 1.0).sample((3,)))
print(dist.Laplace(0.0, 1.0).sample((3,)))
print(dist.Geometric(torch.tensor(0.3)).sample((4,)))
print(dist.Uniform(-1.0, 1.0).sample((3,)))
print(dist.Cauchy(0.0, 1.0).sample((2,)))
print(dist.HalfNormal(1.0).sample((2,)))
print(dist.VonMises(torch.tensor(0.0), torch.tensor(2.0)).sample((3,)))

# Gamma rsample gradient
torch.manual_seed(1)
conc = torch.tensor([1.5, 3.0], requires_grad=True)
x = dist.Gamma(conc, 1.0).rsample((5,))
x.sum().backward()
print(conc.grad)
alpha = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = dist.Dirichlet(alpha).rsample()
(y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
print(y, alpha.grad)
a = torch.tensor(2.0, requires_grad=True)
bb = torch.tensor(3.0, requires_grad=True)
z = dist.Beta(a, bb).rsample((4,))
z.mean().backward()
print(z, a.grad, bb.grad)

# Metropolis-Hastings on a 2D banana
torch.manual_seed(2)
def log_target(x):
    return -0.5 * (x[..., 0] ** 2 / 4 + (x[..., 1] - 0.25 * x[..., 0] ** 2) ** 2)
x = torch.zeros(2)
samples = []
acc = 0
for i in range(1000):
    prop = x + 0.8 * torch.randn(2)
    log_a = log_target(prop) - log_target(x)
    if torch.log(torch.rand(1)) < log_a:
        x = prop
        acc += 1
    samples.append(x)
S = torch.stack(samples[250:])
print(f"accept {acc / 1000:.4f}", S.mean(0), S.std(0))

# Langevin dynamics with score from autograd.grad
torch.manual_seed(3)
mix = dist.MixtureSameFamily(dist.Categorical(torch.tensor([0.3, 0.7])),
                             dist.Independent(dist.Normal(torch.tensor([[-2.0, 0.0], [2.0, 1.0]]), torch.ones(2, 2) * 0.5), 1))
x = torch.randn(256, 2)
eps = 0.01
for i in range(100):
    x = x.detach().requires_grad_(True)
    logp = mix.log_prob(x).sum()
    score, = torch.autograd.grad(logp, x)
    x = x + eps * score + math.sqrt(2 * eps) * torch.randn_like(x)
print(x.shape, x.requires_grad, x.mean(0))
print(mix.mean, mix.variance)
print(mix)

# denoising score matching
torch.manual_seed(4)
net = nn.Sequential(nn.Linear(2, 64), nn.Softplus(), nn.Linear(64, 64), nn.Softplus(), nn.Linear(64, 2))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
data = mix.sample((512,))
sigma = 0.3
for it in range(100):
    noise = torch.randn_like(data) * sigma
    xn = data + noise
    target = -noise / sigma ** 2
    loss = 0.5 * ((net(xn) - target) ** 2).sum(-1).mean() * sigma ** 2
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"dsm {loss.item():.4f}")

# sliced score matching with Hutchinson trace via create_graph
torch.manual_seed(5)
xs = data[:64].clone().requires_grad_(True)
s = net(xs)
v = torch.randn_like(xs)
sv = (s * v).sum()
gsv = torch.autograd.grad(sv, xs, create_graph=True)[0]
ssm = (gsv * v).sum(-1) + 0.5 * (s * v).sum(-1) ** 2
print(f"ssm {ssm.mean().item():.4f}")
ssm.mean().backward()
print(net[0].weight.grad.norm())

# exact jacobian trace
xs = data[:4].clone().requires_grad_(True)
out = net(xs)
tr = 0
for i in range(2):
    tr = tr + torch.autograd.grad(out[:, i].sum(), xs, create_graph=True, retain_graph=True)[0][:, i]
print(tr)
J = torch.autograd.functional.jacobian(lambda z: net(z).sum(0), xs)
print(J.shape)
