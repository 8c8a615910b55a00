"""Gradients of gradients: Hessian-free Newton steps and a WGAN-GP gradient penalty, on digits.

1. Softmax regression on scikit-learn's 8x8 digits, trained by Newton's method without ever
   forming the Hessian: conjugate gradient solves ``H d = -g`` using Hessian-vector products,
   each one a double backward (``kitty.autograd.grad(..., create_graph=True)`` then ``grad``).
2. A WGAN-GP critic step: the critic's loss contains the norm of its own input gradient, so
   its backward runs through a gradient.

The functions take the library as an argument, so the test suite runs the same code with torch
and compares the numbers.

    python examples/higher_order.py [--newton-steps 6] [--smoke]
"""
from __future__ import annotations

import argparse
import time

import kittygrad as kitty


def load_digits(lib):
    from sklearn.datasets import load_digits as sk_digits

    data = sk_digits()
    x = lib.tensor(data.data / 16.0, dtype=lib.float64)
    y = lib.tensor(data.target)
    return x, y


def softmax_regression_loss(lib, w, x, y, l2: float = 1e-3):
    """Mean cross-entropy of ``x @ w`` plus a small L2 term (the bias is a column of w)."""
    ones = lib.ones(x.shape[0], 1, dtype=x.dtype)
    logits = lib.cat([x, ones], dim=1) @ w
    return lib.nn.functional.cross_entropy(logits, y) + l2 * (w * w).sum()


def hessian_vector_product(lib, loss_fn, w, v):
    """``H v`` for the Hessian of ``loss_fn`` at ``w``: the gradient of ``<grad, v>``."""
    (g,) = lib.autograd.grad(loss_fn(w), w, create_graph=True)
    (hv,) = lib.autograd.grad((g * v).sum(), w)
    return g.detach(), hv


def newton_cg_step(lib, loss_fn, w, cg_iters: int = 10):
    """One Newton step ``w - H^{-1} g`` with H^{-1} g from conjugate gradient on HVPs."""
    (g,) = lib.autograd.grad(loss_fn(w), w)
    d = lib.zeros_like(g)
    r = -g
    p = r.clone()
    rr = (r * r).sum()
    for _ in range(cg_iters):
        _, hp = hessian_vector_product(lib, loss_fn, w, p)
        alpha = rr / (p * hp).sum()
        d = d + alpha * p
        r = r - alpha * hp
        rr_new = (r * r).sum()
        if rr_new.item() < 1e-20:
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    with lib.no_grad():
        return (w + d).requires_grad_(True)


def critic_step_with_gradient_penalty(lib, critic, real, fake, eps, weight: float = 10.0):
    """The WGAN-GP critic loss: Wasserstein estimate plus ``weight * (|grad_x critic| - 1)^2``."""
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (g,) = lib.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + weight * penalty
    loss.backward()
    return loss, penalty


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--newton-steps", type=int, default=6)
    parser.add_argument("--critic-steps", type=int, default=60)
    parser.add_argument("--smoke", action="store_true", help="a short run that checks both parts worked")
    args = parser.parse_args(argv)
    newton_steps = 3 if args.smoke else args.newton_steps
    critic_steps = 40 if args.smoke else args.critic_steps

    kitty.manual_seed(0)
    x, y = load_digits(kitty)
    n_train = 1500
    xtr, ytr, xte, yte = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    w = kitty.zeros(65, 10, dtype=kitty.float64, requires_grad=True)

    def loss_fn(weights):
        return softmax_regression_loss(kitty, weights, xtr, ytr)

    print("1. Newton's method with Hessian-vector products (double backward)")
    start = time.perf_counter()
    first = loss_fn(w).item()
    for step in range(1, newton_steps + 1):
        w = newton_cg_step(kitty, loss_fn, w)
        with kitty.no_grad():
            ones = kitty.ones(xte.shape[0], 1, dtype=xte.dtype)
            acc = ((kitty.cat([xte, ones], dim=1) @ w).argmax(1) == yte).double().mean().item()
        print(f"   step {step}  train loss {loss_fn(w).item():.4f}  test accuracy {acc:.2%}")
    final = loss_fn(w).item()
    print(f"   loss {first:.4f} -> {final:.4f} in {time.perf_counter() - start:.1f} s")

    print("2. WGAN-GP critic: real digits vs. noise, with the gradient penalty")
    critic = kitty.nn.Sequential(kitty.nn.Linear(64, 32), kitty.nn.LeakyReLU(0.2), kitty.nn.Linear(32, 1)).double()
    opt = kitty.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    gap = 0.0
    for step in range(1, critic_steps + 1):
        idx = kitty.randint(0, n_train, (64,))
        real = xtr[idx]
        fake = kitty.rand(64, 64, dtype=kitty.float64)
        eps = kitty.rand(64, 1, dtype=kitty.float64)
        opt.zero_grad()
        loss, penalty = critic_step_with_gradient_penalty(kitty, critic, real, fake, eps)
        opt.step()
        gap = -(loss - 10 * penalty).item()
        if step % max(1, critic_steps // 4) == 0:
            print(f"   step {step:3d}  critic loss {loss.item():+.4f}  penalty {penalty.item():.4f}  W-estimate {gap:.4f}")
    if args.smoke:
        assert final < 0.5 * first, (first, final)
        assert gap > 0, gap
    return final


if __name__ == "__main__":
    main()
