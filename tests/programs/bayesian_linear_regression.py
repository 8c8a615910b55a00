"""Bayesian linear regression with polynomial features in float64: the closed-form Gaussian
posterior (precision matrix, torch.linalg.cholesky, torch.cholesky_solve and torch.linalg.solve),
the posterior as distributions.MultivariateNormal(scale_tril=...), posterior samples, the predictive
mean and variance, the log marginal likelihood (evidence) written by hand and checked against
MultivariateNormal.log_prob of the marginal, and type-II maximum likelihood of the prior and noise
precisions by gradient ascent on log-parameters with Adam.

tolerance: rtol=1e-6 atol=1e-9
"""
import math

import torch
from torch.distributions import MultivariateNormal

torch.manual_seed(0)
dtype = torch.float64

N, degree = 25, 5
x = torch.linspace(-1, 1, N, dtype=dtype)
y = torch.sin(3 * x) + 0.1 * torch.randn(N, dtype=dtype)


def features(x):
    return torch.stack([x ** k for k in range(degree + 1)], dim=1)


Phi = features(x)
print("design", tuple(Phi.shape), Phi.dtype)


def posterior(alpha, beta):
    D = Phi.shape[1]
    S_inv = alpha * torch.eye(D, dtype=dtype) + beta * Phi.T @ Phi
    L = torch.linalg.cholesky(S_inv)
    m = beta * torch.cholesky_solve((Phi.T @ y).unsqueeze(1), L).squeeze(1)
    return m, S_inv, L


def log_evidence(alpha, beta):
    D = Phi.shape[1]
    m, S_inv, L = posterior(alpha, beta)
    E = beta / 2 * (y - Phi @ m).pow(2).sum() + alpha / 2 * m.dot(m)
    logdet = 2 * torch.log(torch.diagonal(L)).sum()
    return (D / 2 * torch.log(alpha) + N / 2 * torch.log(beta) - E - logdet / 2
            - N / 2 * math.log(2 * math.pi))


alpha, beta = torch.tensor(1.0, dtype=dtype), torch.tensor(25.0, dtype=dtype)
m, S_inv, L = posterior(alpha, beta)
print("posterior mean", m)
m_solve = beta * torch.linalg.solve(S_inv, Phi.T @ y)
print("solve agrees", torch.allclose(m, m_solve))

# posterior covariance's Cholesky factor from the precision's
S = torch.cholesky_inverse(L)
post = MultivariateNormal(m, scale_tril=torch.linalg.cholesky(S))
print("posterior stddevs", post.stddev)
print("covariance agrees", torch.allclose(post.covariance_matrix, torch.linalg.inv(S_inv)))
w_samples = post.sample((4,))
print("weight samples", tuple(w_samples.shape))
print("log_prob of mean", round(post.log_prob(m).item(), 8), "entropy", round(post.entropy().item(), 8))

x_test = torch.tensor([-1.2, -0.5, 0.0, 0.5, 1.2], dtype=dtype)
Phi_t = features(x_test)
pred_mean = Phi_t @ m
pred_var = 1 / beta + (Phi_t @ S * Phi_t).sum(dim=1)
print("predictive mean", pred_mean)
print("predictive std", pred_var.sqrt())
print("sample curves at x=0", (w_samples @ features(torch.zeros(1, dtype=dtype)).T).squeeze(1))

ev = log_evidence(alpha, beta)
K = Phi @ Phi.T / alpha + torch.eye(N, dtype=dtype) / beta
marginal = MultivariateNormal(torch.zeros(N, dtype=dtype), covariance_matrix=K)
print(f"log evidence {ev.item():.8f} via MVN {marginal.log_prob(y).item():.8f}")

log_alpha = torch.tensor(0.0, dtype=dtype, requires_grad=True)
log_beta = torch.tensor(math.log(25.0), dtype=dtype, requires_grad=True)
opt = torch.optim.Adam([log_alpha, log_beta], lr=0.1)
for step in range(60):
    loss = -log_evidence(log_alpha.exp(), log_beta.exp())
    opt.zero_grad()
    loss.backward()
    if step % 15 == 0:
        print(f"step {step:2d} -log ev {loss.item():.8f} grads {log_alpha.grad.item():.6f} {log_beta.grad.item():.6f}")
    opt.step()
print(f"alpha {log_alpha.exp().item():.6f} beta {log_beta.exp().item():.6f} noise std {log_beta.exp().rsqrt().item():.6f}")
