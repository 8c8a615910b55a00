"""Fit a line with autograd: the gradient by backward(), the update under no_grad.

    python examples/linear_regression.py [--steps 300] [--smoke]
"""
from __future__ import annotations

import argparse

import kittygrad as kitty


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--smoke", action="store_true", help="a short run that checks the fit improved")
    args = parser.parse_args(argv)
    steps = 60 if args.smoke else args.steps

    kitty.manual_seed(0)
    true_w, true_b = 2.5, -1.0
    x = kitty.linspace(-1, 1, 100).unsqueeze(1)
    y = true_w * x + true_b + 0.1 * kitty.randn(100, 1)

    w = kitty.zeros(1, requires_grad=True)
    b = kitty.zeros(1, requires_grad=True)
    first = None
    for step in range(steps):
        loss = ((x * w + b - y) ** 2).mean()
        loss.backward()
        with kitty.no_grad():  # the update itself must not be recorded
            w -= args.lr * w.grad
            b -= args.lr * b.grad
        w.grad = None
        b.grad = None
        first = loss.item() if first is None else first
        if step % max(1, steps // 6) == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():.5f}  w {w.item():+.3f}  b {b.item():+.3f}")
    final = loss.item()
    print(f"fitted y = {w.item():.3f} x + {b.item():.3f}   (true: y = {true_w} x + {true_b})")
    if args.smoke:
        assert final < 0.2 * first, f"loss did not fall enough: {first:.4f} -> {final:.4f}"
    return final


if __name__ == "__main__":
    main()
