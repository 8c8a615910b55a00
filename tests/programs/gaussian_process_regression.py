"""Exact Gaussian process regression in float64: an RBF kernel from torch.cdist, Cholesky
factorisation with jitter, cholesky_solve and solve_triangular for the posterior mean and variance,
the log marginal likelihood, and fitting log-hyperparameters by Adam through the Cholesky.

tolerance: rtol=1e-4 atol=1e-7
"""
import math

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

n = 25
x_train = torch.rand(n, 1) * 6 - 3
y_train = torch.sin(2 * x_train).squeeze(1) + 0.1 * torch.randn(n)
x_test = torch.linspace(-3.5, 3.5, 9).unsqueeze(1)
print(x_train.dtype, x_train.shape, y_train[:4])


def rbf(a, b, lengthscale, variance):
    d2 = torch.cdist(a / lengthscale, b / lengthscale).pow(2)
    return variance * torch.exp(-0.5 * d2)


def posterior(log_ls, log_var, log_noise, x, y, xs):
    ls, var, noise = log_ls.exp(), log_var.exp(), log_noise.exp()
    K = rbf(x, x, ls, var) + (noise + 1e-6) * torch.eye(x.size(0))
    L = torch.linalg.cholesky(K)
    alpha = torch.cholesky_solve(y.unsqueeze(1), L)
    Ks = rbf(x, xs, ls, var)
    mean = (Ks.T @ alpha).squeeze(1)
    v = torch.linalg.solve_triangular(L, Ks, upper=False)
    var_post = var - (v * v).sum(dim=0)
    return mean, var_post, L, alpha


def neg_log_marginal_likelihood(log_ls, log_var, log_noise, x, y):
    ls, var, noise = log_ls.exp(), log_var.exp(), log_noise.exp()
    K = rbf(x, x, ls, var) + (noise + 1e-6) * torch.eye(x.size(0))
    L = torch.linalg.cholesky(K)
    alpha = torch.cholesky_solve(y.unsqueeze(1), L)
    data_fit = 0.5 * (y.unsqueeze(1) * alpha).sum()
    complexity = torch.log(torch.diagonal(L)).sum()
    return data_fit + complexity + 0.5 * x.size(0) * math.log(2 * math.pi)


log_ls = torch.tensor(0.0, requires_grad=True)
log_var = torch.tensor(0.0, requires_grad=True)
log_noise = torch.tensor(-2.0, requires_grad=True)

mean, var, L, alpha = posterior(log_ls, log_var, log_noise, x_train, y_train, x_test)
print(L.shape, torch.allclose(L @ L.T, rbf(x_train, x_train, 1.0, 1.0) + (math.exp(-2) + 1e-6) * torch.eye(n)))
print("triangular:", torch.equal(L, L.tril()))
print(mean.detach())
print(var.detach())

# cross-check cholesky_solve against linalg.solve and the inverse
K = (L @ L.T).detach()
a1 = torch.linalg.solve(K, y_train.unsqueeze(1))
a2 = torch.cholesky_inverse(L.detach()) @ y_train.unsqueeze(1)
print(torch.allclose(a1, alpha.detach()), torch.allclose(a2, alpha.detach()))
sign, logabsdet = torch.linalg.slogdet(K)
print(f"logdet {logabsdet.item():.6f} vs 2*sum(log diag L) {2 * torch.log(torch.diagonal(L)).sum().item():.6f}", sign.item())

opt = torch.optim.Adam([log_ls, log_var, log_noise], lr=0.05)
for step in range(100):
    nll = neg_log_marginal_likelihood(log_ls, log_var, log_noise, x_train, y_train)
    opt.zero_grad()
    nll.backward()
    opt.step()
    if step % 20 == 0:
        print(f"step {step:3d} nll {nll.item():.6f} ls {log_ls.exp().item():.4f} var {log_var.exp().item():.4f} "
              f"noise {log_noise.exp().item():.5f}")
print(log_ls.grad, log_noise.grad)

with torch.no_grad():
    mean, var, _, _ = posterior(log_ls, log_var, log_noise, x_train, y_train, x_test)
    std = var.clamp_min(0).sqrt()
    for xi, m, s in zip(x_test.squeeze(1).tolist(), mean.tolist(), std.tolist()):
        print(f"x={xi:+.3f} mean={m:+.4f} std={s:.4f} true={math.sin(2 * xi):+.4f}")
    rmse = (mean - torch.sin(2 * x_test.squeeze(1))).pow(2).mean().sqrt()
    print(f"rmse {rmse.item():.4f}")
