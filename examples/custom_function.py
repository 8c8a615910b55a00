"""A custom autograd Function (PyTorch's API), its gradient checked by finite differences.

    python examples/custom_function.py
"""
from __future__ import annotations

import argparse

import kittygrad as kitty


class SoftClip(kitty.autograd.Function):
    """y = x / (1 + |x|): a smooth clip to (-1, 1); dy/dx = 1 / (1 + |x|)^2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + x.abs())

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 + x.abs()) ** 2


def finite_difference(f, x: kitty.Tensor, eps: float = 1e-6) -> kitty.Tensor:
    """Central differences of sum(f(x)), one coordinate at a time (float64)."""
    grad = kitty.zeros_like(x)
    with kitty.no_grad():
        for i in range(x.numel()):
            bump = kitty.zeros_like(x).view(-1)
            bump[i] = eps
            bump = bump.view(x.shape)
            grad.view(-1)[i] = ((f(x + bump).sum() - f(x - bump).sum()) / (2 * eps)).item()
    return grad


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="same run; asserts the check passes")
    parser.parse_args(argv)
    kitty.manual_seed(0)
    x = kitty.randn(3, 4, dtype=kitty.float64, requires_grad=True)
    y = SoftClip.apply(x)
    print("y.grad_fn:", y.grad_fn.name())
    y.sum().backward()
    numeric = finite_difference(SoftClip.apply, x.detach())
    err = (x.grad - numeric).abs().sum().item()
    print("analytic gradient:\n", x.grad)
    print(f"largest disagreement with finite differences: {err:.2e}")
    assert err < 1e-6, "the custom backward disagrees with finite differences"
    return err


if __name__ == "__main__":
    main()
