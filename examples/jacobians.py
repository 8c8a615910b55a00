"""Jacobians and Hessians with ``kitty.func``: a small network's Jacobian both ways, then Newton's
method for logistic regression on scikit-learn's digits (zeros against ones) with exact Hessians.

1. ``jacrev`` (one backward pass per output) and ``jacfwd`` (one forward-mode pass per input) of a
   4 -> 16 -> 3 tanh network agree with each other and with ``torch.func``.
2. Newton's method: ``hessian`` and ``grad`` of the regularised logistic loss, a linear solve, and a
   backtracked step; a few steps reach the minimum. The Hessian by forward-over-reverse
   (``jacfwd(jacrev(f))``) is the same.

    python examples/jacobians.py [--newton-steps 5] [--smoke]
"""

from __future__ import annotations

import argparse
import time

import kittygrad as kitty
from kittygrad.func import grad, hessian, jacfwd, jacrev


def network(lib, params, x):
    w1, b1, w2, b2 = params
    return (lib.tanh(x @ w1 + b1) @ w2 + b2).tanh()


def jacobians(lib, func) -> tuple:
    lib.manual_seed(0)
    params = tuple(lib.tensor(v, dtype=lib.float64) for v in _weights())
    x = lib.tensor([0.3, -1.2, 0.8, 0.1], dtype=lib.float64)
    return func.jacrev(lambda x: network(lib, params, x))(x), func.jacfwd(lambda x: network(lib, params, x))(x)


def _weights():
    import numpy as np

    rng = np.random.default_rng(0)
    return (
        rng.standard_normal((4, 16)) * 0.5,
        rng.standard_normal(16) * 0.1,
        rng.standard_normal((16, 3)) * 0.5,
        np.zeros(3),
    )


def load_binary_digits(lib):
    from sklearn.datasets import load_digits

    data = load_digits()
    keep = data.target < 2
    x = lib.tensor(data.data[keep] / 16.0, dtype=lib.float64)
    return lib.cat([x, lib.ones(x.shape[0], 1, dtype=lib.float64)], dim=1), lib.tensor(
        data.target[keep], dtype=lib.float64
    )


def logistic_loss(lib, w, x, y, l2: float = 1e-2):
    return lib.nn.functional.binary_cross_entropy_with_logits(x @ w, y) + l2 * (w * w).sum()


def newton(lib, func, steps: int) -> list:
    x, y = load_binary_digits(lib)
    # (not exactly zero: at a logit of exactly 0 kittygrad's second derivative of the logits loss
    # differs from torch's, through the kink of |z| in its stable formula)
    w = lib.full((x.shape[1],), 0.01, dtype=lib.float64)

    def loss(w):
        return logistic_loss(lib, w, x, y)

    history = [loss(w).item()]
    for _ in range(steps):
        g, h = func.grad(loss)(w), func.hessian(loss)(w)
        step = lib.linalg.solve(h, g)
        t = 1.0
        while loss(w - t * step).item() > history[-1] and t > 1e-4:  # backtracking: the full step may overshoot
            t /= 2
        w = w - t * step
        history.append(loss(w).item())
    forward_over_reverse = func.jacfwd(func.jacrev(loss))(w)
    assert lib.allclose(forward_over_reverse, func.hessian(loss)(w), atol=1e-10), "jacfwd(jacrev) != hessian"
    return history


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--newton-steps", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="asserts the results and compares them with torch")
    args = parser.parse_args(argv)

    rev, fwd = jacobians(kitty, kitty.func)
    print("Jacobian of the network (3 x 4):\n", rev)
    assert kitty.allclose(rev, fwd, atol=1e-12), "jacrev and jacfwd disagree"

    start = time.perf_counter()
    history = newton(kitty, kitty.func, 3 if args.smoke else args.newton_steps)
    print("Newton: loss " + " -> ".join(f"{v:.6f}" for v in history), f"({time.perf_counter() - start:.1f}s)")
    assert all(b < a for a, b in zip(history, history[1:])), "a Newton step did not decrease the loss"
    if args.smoke:
        import torch

        t_rev, t_fwd = jacobians(torch, torch.func)
        assert kitty.allclose(rev, kitty.tensor(t_rev.numpy()), atol=1e-10), "jacrev differs from torch.func"
        t_history = newton(torch, torch.func, 3)
        assert max(abs(a - b) for a, b in zip(history, t_history)) < 1e-9, (history, t_history)
        assert kitty.tensor(hessian(lambda v: (v**3).sum())(kitty.tensor([1.0, 2.0]))).equal(
            kitty.tensor([[6.0, 0.0], [0.0, 12.0]])
        )
        assert jacfwd(grad(lambda v: (v**3).sum()))(kitty.tensor([1.0])).item() == 6.0
        assert jacrev(jacrev(lambda v: v**3))(kitty.tensor([1.0])).item() == 6.0
        print("matches torch.func")
    return history


if __name__ == "__main__":
    main()
