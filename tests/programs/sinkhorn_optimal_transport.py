"""Entropic optimal transport between two point clouds with log-domain Sinkhorn iterations
(torch.logsumexp over the rows and columns of -C/eps plus log-weights), the transport plan and its
marginals, the OT cost differentiated with respect to the source positions by autograd through the
unrolled iterations, a few gradient steps that move the source cloud onto the target, and the
debiased Sinkhorn divergence. Runs in float64 as OT code usually does for small eps.

tolerance: rtol=1e-6 atol=1e-9
"""
import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def sinkhorn(x, y, a, b, eps=0.05, n_iters=200):
    C = torch.cdist(x, y, p=2) ** 2
    log_a, log_b = a.log(), b.log()
    f = torch.zeros_like(a)
    g = torch.zeros_like(b)
    for _ in range(n_iters):
        f = -eps * torch.logsumexp((g[None, :] - C) / eps + log_b[None, :], dim=1)
        g = -eps * torch.logsumexp((f[:, None] - C) / eps + log_a[:, None], dim=0)
    log_P = (f[:, None] + g[None, :] - C) / eps + log_a[:, None] + log_b[None, :]
    P = log_P.exp()
    cost = (P * C).sum()
    dual = (a * f).sum() + (b * g).sum()
    return cost, dual, P


n, m = 12, 15
x = torch.randn(n, 2) * 0.5 + torch.tensor([1.0, -1.0])
y = torch.randn(m, 2) * 0.3
a = torch.full((n,), 1.0 / n)
b = torch.rand(m) + 0.5
b = b / b.sum()
print("default dtype", torch.get_default_dtype(), x.dtype)

cost, dual, P = sinkhorn(x, y, a, b)
print(f"primal cost {cost.item():.8f} dual {dual.item():.8f}")
print("plan shape", tuple(P.shape), "mass", round(P.sum().item(), 8))
print("row marginal error", (P.sum(1) - a).abs().max().item() < 1e-8)
print("col marginal error", f"{(P.sum(0) - b).abs().max().item():.3e}")
print("plan argmax per source", P.argmax(dim=1).tolist())

x_param = x.clone().requires_grad_(True)
cost, _, _ = sinkhorn(x_param, y, a, b, n_iters=100)
(grad,) = torch.autograd.grad(cost, x_param)
print("grad shape", tuple(grad.shape), "norm", round(grad.norm().item(), 8))
print("grad rows", grad[:3])


def sinkhorn_divergence(x, y, a, b, eps=0.05, n_iters=100):
    xy = sinkhorn(x, y, a, b, eps, n_iters)[1]
    xx = sinkhorn(x, x, a, a, eps, n_iters)[1]
    yy = sinkhorn(y, y, b, b, eps, n_iters)[1]
    return xy - 0.5 * (xx + yy)


opt = torch.optim.SGD([x_param], lr=2.0)
for step in range(15):
    loss = sinkhorn_divergence(x_param, y, a, b, n_iters=60)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 5 == 0 or step == 14:
        print(f"step {step:2d} divergence {loss.item():.8f} centroid {x_param.mean(0).tolist()}")

with torch.no_grad():
    final, _, _ = sinkhorn(x_param, y, a, b)
print(f"final OT cost {final.item():.8f}")
