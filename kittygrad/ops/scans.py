"""Scans in log space: ``logcumsumexp`` (the running ``logsumexp``; ``cumsum``/``cumprod`` and the
running extrema live in ``reduction.py``)."""
from __future__ import annotations

from .. import backend as B
from ..autograd.function import Op
from ..errors import KittyNotImplementedError
from . import _kernels as _k
from ._prep import as_tensor_arg, dtype_name, normalize_dim


def _reverse_logcumsumexp(a, axis):
    xp = B.xp
    return xp.flip(_k.running(xp.logaddexp, xp.flip(a, axis), axis), axis)


class Logcumsumexp(Op):
    saved_fields = ("dim", "out", "x")
    saved_inputs = (0,)
    saves_output = True

    def forward(self, x, dim):
        self.x, self.dim = x, dim
        if x.ndim == 0:
            self.out = x.copy()
        else:
            self.out = _k.running(B.xp.logaddexp, x, dim)
        return self.out

    def backward(self, g):
        # grad_i = sum_{j >= i} g_j * exp(x_i - out_j), summed in log space for the positive and
        # the negative parts of g (as torch), so large values neither overflow nor cancel
        xp = B.xp
        if self.x.ndim == 0:
            return g, None
        d = self.dim
        with B.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_pos = xp.log(xp.where(g > 0, g, 0)) - self.out
            log_neg = xp.log(xp.where(g < 0, -g, 0)) - self.out
            pos = xp.exp(_reverse_logcumsumexp(log_pos, d) + self.x)
            neg = xp.exp(_reverse_logcumsumexp(log_neg, d) + self.x)
        return (pos - neg).astype(g.dtype, copy=False), None

    def composite(self, x, dim):
        """The same values with differentiable ops, for double backward: ``out_j`` is the
        ``logsumexp`` of ``x_i`` over ``i <= j`` (a triangular mask of ``-inf``)."""
        if x.ndim == 0:
            return x * 1
        n = x.shape[dim]
        mask = B.xp.where(B.xp.tri(n, dtype=bool).T, 0.0, -B.xp.inf).astype(x._data.dtype)
        moved = x.movedim(dim, -1).unsqueeze(-1)  # (..., i, 1) + (i, j)
        out = (moved + type(x)._wrap(mask)).logsumexp(-2)
        return out.movedim(-1, dim)


def logcumsumexp(input, dim: int):
    """``log(cumsum(exp(input), dim))``, computed stably.

    >>> import kittygrad as kitty
    >>> kitty.logcumsumexp(kitty.tensor([0., 0.]), 0)
    tensor([0.0000, 0.6931])
    """
    input = as_tensor_arg(input)
    if not B.is_float(input._data.dtype):
        raise KittyNotImplementedError(f'"logcumsumexp_out_cpu" not implemented for \'{dtype_name(input)}\'')
    return Logcumsumexp.apply(input, normalize_dim(dim, max(input._data.ndim, 1)))
