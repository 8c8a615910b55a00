"""Array-level helpers for the optimizers' in-place updates.

Each helper writes into its first argument and rounds the way torch's CPU kernels do for the
same op (``lerp_``, ``addcmul_``, ``addcdiv_``, ``add_(alpha=)``), so float32 trajectories
stay within a few ulps of torch's and float64 ones agree to ~1e-15.
"""
from __future__ import annotations

from .. import backend as B

xp = B.xp


def lerp_(a, b, w: float, tmp):
    """``a.lerp_(b, w)``: ``a + w (b - a)`` for ``|w| < 0.5``, else ``b - (b - a)(1 - w)``."""
    xp.subtract(b, a, out=tmp)
    if abs(w) < 0.5:
        tmp *= w
        a += tmp
    else:
        tmp *= 1.0 - w
        xp.subtract(b, tmp, out=a)
    return a


def addcmul_(a, t1, t2, value: float, tmp):
    """``a.addcmul_(t1, t2, value=value)``: ``a + (value * t1) * t2``."""
    xp.multiply(t1, value, out=tmp)
    tmp *= t2
    a += tmp
    return a


def addcdiv_(a, t1, t2, value: float, tmp):
    """``a.addcdiv_(t1, t2, value=value)``: ``a + (value * t1) / t2``."""
    xp.multiply(t1, value, out=tmp)
    tmp /= t2
    a += tmp
    return a


def add_scaled_(a, b, alpha: float, tmp):
    """``a.add_(b, alpha=alpha)``: ``a + alpha * b``."""
    if alpha == 1:
        a += b
    elif alpha == -1:
        a -= b
    else:
        xp.multiply(b, alpha, out=tmp)
        a += tmp
    return a


def grad_with_decay(grad, param, maximize: bool, weight_decay: float):
    """The gradient an update uses: negated for ``maximize``, plus ``weight_decay * param``.

    Returns a new array only when it has to (the parameter's ``.grad`` is never modified).
    """
    if maximize:
        grad = xp.negative(grad)
        if weight_decay != 0:
            tmp = xp.multiply(param, weight_decay)
            grad += tmp
        return grad
    if weight_decay != 0:
        tmp = xp.multiply(param, weight_decay)
        tmp += grad
        return tmp
    return grad


def decayed_grad(param, grad, lr: float, weight_decay: float, maximize: bool, decoupled: bool):
    """The gradient of the Adam family: with ``decoupled`` (AdamW style) the decay shrinks the
    parameter in place (``param *= 1 - lr * weight_decay``) instead of entering the gradient."""
    if decoupled:
        if weight_decay != 0:
            param *= 1 - lr * weight_decay
        weight_decay = 0
    return grad_with_decay(grad, param, maximize, weight_decay)
