"""torch.func in the style of its tutorials: per-sample gradients with vmap(grad) and
functional_call, Jacobians both ways, a Hessian, jvp, and forward-mode AD with dual numbers.

tolerance: rtol=1e-4 atol=1e-5
"""
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, hessian, jacfwd, jacrev, jvp, stack_module_state, vjp, vmap

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}
data = torch.randn(6, 5)
targets = torch.randint(0, 3, (6,))


def compute_loss(params, buffers, sample, target):
    logits = functional_call(model, (params, buffers), (sample.unsqueeze(0),))
    return F.cross_entropy(logits, target.unsqueeze(0))


per_sample = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, data, targets)
for name, g in per_sample.items():
    print(name, tuple(g.shape), f"{g.norm().item():.5f}")
# the mean of per-sample gradients is the batch gradient
model.zero_grad()
F.cross_entropy(model(data), targets).backward()
print(all(torch.allclose(per_sample[n].mean(0), p.grad, atol=1e-6) for n, p in model.named_parameters()))


def f(x):
    return torch.sin(x) * x.pow(2).sum()


x = torch.randn(4)
jr, jf = jacrev(f)(x), jacfwd(f)(x)
print(tuple(jr.shape), torch.allclose(jr, jf, atol=1e-6), f"{jr.sum().item():.5f}")
h = hessian(lambda v: (v.pow(3) * torch.arange(1.0, 5.0)).sum())(x)
print(h.diagonal())
out, tangent = jvp(f, (x,), (torch.ones(4),))
print(f"{out.sum().item():.5f}", f"{tangent.sum().item():.5f}")
out, pullback = vjp(f, x)
print(pullback(torch.ones(4))[0])

with fwAD.dual_level():
    dual = fwAD.make_dual(x, torch.ones_like(x))
    y = torch.tanh(dual).exp().sum()
    primal, tan = fwAD.unpack_dual(y)
print(f"{primal.item():.5f}", f"{tan.item():.5f}")
ensemble = [nn.Linear(5, 2) for _ in range(3)]
stacked, _ = stack_module_state(ensemble)
print({k: tuple(v.shape) for k, v in stacked.items()})
