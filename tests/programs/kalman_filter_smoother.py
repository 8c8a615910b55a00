"""A linear-Gaussian state-space model in float64: simulate a damped 2-D oscillator observed with
noise, run a Kalman filter (predict/update with @, torch.linalg.solve for the gain, the innovation
log-likelihood via torch.linalg.cholesky and torch.distributions.MultivariateNormal) and the
Rauch-Tung-Striebel smoother (torch.inverse), compare filtered and smoothed errors, and learn the
log process-noise and the damping by gradient descent through the whole filter.

tolerance: rtol=1e-6 atol=1e-9
"""
import math

import torch
from torch.distributions import MultivariateNormal

torch.manual_seed(0)
dtype = torch.float64


def transition(damping, dt=0.1, omega=2.0):
    return torch.stack([
        torch.stack([torch.ones((), dtype=dtype), torch.tensor(dt, dtype=dtype)]),
        torch.stack([-omega ** 2 * dt * torch.ones((), dtype=dtype), 1 - damping * dt]),
    ])


T = 60
A_true = transition(torch.tensor(0.3, dtype=dtype))
H = torch.tensor([[1.0, 0.0]], dtype=dtype)
Q_true = 0.01 * torch.eye(2, dtype=dtype)
R = torch.tensor([[0.05]], dtype=dtype)

x = torch.tensor([1.0, 0.0], dtype=dtype)
states, obs = [], []
Lq, Lr = torch.linalg.cholesky(Q_true), torch.linalg.cholesky(R)
for t in range(T):
    x = A_true @ x + Lq @ torch.randn(2, dtype=dtype)
    states.append(x)
    obs.append(H @ x + Lr @ torch.randn(1, dtype=dtype))
states = torch.stack(states)
obs = torch.stack(obs)
print("states", tuple(states.shape), "obs", tuple(obs.shape), obs.dtype)


def kalman_filter(A, Q, ys, m0, P0):
    m, P = m0, P0
    means, covs, pred_means, pred_covs = [], [], [], []
    loglik = torch.zeros((), dtype=dtype)
    for y in ys:
        m_pred = A @ m
        P_pred = A @ P @ A.T + Q
        S = H @ P_pred @ H.T + R
        innov = y - H @ m_pred
        loglik = loglik + MultivariateNormal(torch.zeros(1, dtype=dtype), scale_tril=torch.linalg.cholesky(S)).log_prob(innov)
        K = torch.linalg.solve(S, H @ P_pred).T  # S is symmetric, so K = P_pred H^T S^-1
        m = m_pred + K @ innov
        I_KH = torch.eye(2, dtype=dtype) - K @ H
        P = I_KH @ P_pred @ I_KH.T + K @ R @ K.T  # Joseph form
        means.append(m)
        covs.append(P)
        pred_means.append(m_pred)
        pred_covs.append(P_pred)
    return (torch.stack(means), torch.stack(covs), torch.stack(pred_means), torch.stack(pred_covs), loglik)


def rts_smoother(A, means, covs, pred_means, pred_covs):
    ms, Ps = [means[-1]], [covs[-1]]
    for t in range(len(means) - 2, -1, -1):
        G = covs[t] @ A.T @ torch.inverse(pred_covs[t + 1])
        m = means[t] + G @ (ms[0] - pred_means[t + 1])
        P = covs[t] + G @ (Ps[0] - pred_covs[t + 1]) @ G.T
        ms.insert(0, m)
        Ps.insert(0, P)
    return torch.stack(ms), torch.stack(Ps)


m0 = torch.zeros(2, dtype=dtype)
P0 = torch.eye(2, dtype=dtype)
means, covs, pm, pc, ll = kalman_filter(A_true, Q_true, obs, m0, P0)
sm, sP = rts_smoother(A_true, means, covs, pm, pc)
print(f"log-likelihood {ll.item():.8f}")
print("filtered rmse", round((means - states).pow(2).mean().sqrt().item(), 8))
print("smoothed rmse", round((sm - states).pow(2).mean().sqrt().item(), 8))
print("final filtered cov", covs[-1])
print("smoothed var <= filtered var", bool((sP.diagonal(dim1=1, dim2=2) <= covs.diagonal(dim1=1, dim2=2) + 1e-12).all()))
print("smoothed first state", sm[0])

damping = torch.tensor(1.0, dtype=dtype, requires_grad=True)
log_q = torch.tensor(math.log(0.1), dtype=dtype, requires_grad=True)
opt = torch.optim.Adam([damping, log_q], lr=0.05)
for step in range(40):
    A = transition(damping)
    Q = log_q.exp() * torch.eye(2, dtype=dtype)
    *_, ll = kalman_filter(A, Q, obs, m0, P0)
    loss = -ll / T
    opt.zero_grad()
    loss.backward()
    if step % 10 == 0:
        print(f"step {step:2d} nll/T {loss.item():.8f} d_damping {damping.grad.item():.6f} d_logq {log_q.grad.item():.6f}")
    opt.step()
print(f"learned damping {damping.item():.6f} q {log_q.exp().item():.6f}")
