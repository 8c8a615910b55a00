"""Folding an eval-mode BatchNorm into the convolution or linear layer before it, for inference:
``bn(conv(x)) == fused(x)`` with one layer's work. The BatchNorm's running statistics and affine
parameters become a per-output-channel scale of the weight and a shift of the bias.

>>> import kittygrad as kitty
>>> conv, bn = kitty.nn.Conv2d(1, 2, 1).eval(), kitty.nn.BatchNorm2d(2).eval()
>>> x = kitty.randn(1, 1, 3, 3)
>>> bool(kitty.allclose(fuse_conv_bn_eval(conv, bn)(x), bn(conv(x)), atol=1e-6))
True
"""
from __future__ import annotations

import copy

from ... import creation as C
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _bn_scale_shift(bn_rm: Tensor, bn_rv: Tensor, bn_eps: float, bn_w, bn_b) -> tuple[Tensor, Tensor]:
    """The BatchNorm as ``y = x * scale + shift`` per channel."""
    inv_std = (bn_rv + bn_eps).rsqrt()
    scale = inv_std if bn_w is None else bn_w * inv_std
    shift = -bn_rm * scale if bn_b is None else bn_b - bn_rm * scale
    return scale, shift


def fuse_conv_bn_weights(conv_w: Tensor, conv_b, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float, bn_w, bn_b,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """The weight and bias of one convolution equal to ``conv`` followed by the eval-mode BatchNorm
    (``transpose``: a transposed convolution, whose output channels are the weight's second dimension).

    >>> import kittygrad as kitty
    >>> w, b = fuse_conv_bn_weights(kitty.ones(2, 1, 1, 1), None, kitty.zeros(2), kitty.ones(2), 0.0, None, None)
    >>> b.tolist()
    [0.0, 0.0]
    """
    with no_grad():
        scale, shift = _bn_scale_shift(bn_rm, bn_rv, bn_eps, bn_w, bn_b)
        out_axis = 1 if transpose else 0
        shape = [1] * conv_w.ndim
        shape[out_axis] = -1
        weight = conv_w * scale.reshape(shape).to(conv_w.dtype)
        bias = (conv_b if conv_b is not None else C.zeros_like(bn_rm)) * scale + shift
    # the bias trains only where the layer had a trainable one (a missing bias folds in as fixed zeros)
    bias_trains = conv_b is not None and conv_b.requires_grad
    return Parameter(weight, conv_w.requires_grad), Parameter(bias.to(conv_w.dtype), bias_trains)


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A copy of ``conv`` with ``bn`` folded in (both must be in eval mode: training BatchNorm uses
    batch statistics, which no fixed weight can reproduce)."""
    if any(m.training for m in (conv, bn)):
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("fuse_conv_bn_eval needs a BatchNorm with running statistics")
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps,
                                                    bn.weight, bn.bias, transpose)
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float, bn_w,
                           bn_b) -> tuple[Parameter, Parameter]:
    """The weight and bias of one linear layer equal to ``linear`` followed by the eval-mode BatchNorm1d.

    >>> import kittygrad as kitty
    >>> w, b = fuse_linear_bn_weights(kitty.ones(2, 3), None, kitty.zeros(2), kitty.full((2,), 4.0), 0.0, None, None)
    >>> w.tolist()
    [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
    """
    return fuse_conv_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` with the following eval-mode ``bn`` folded in (its features must match the
    linear layer's outputs, or broadcast from one)."""
    if any(m.training for m in (linear, bn)):
        raise AssertionError("Fusion only for eval!")
    if not (linear.out_features == bn.num_features or bn.num_features == 1):
        raise AssertionError("To fuse, linear.out_features must equal bn.num_features or bn.num_features must be 1")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused
