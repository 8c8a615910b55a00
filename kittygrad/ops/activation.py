"""Softmax and log-softmax along a dim: fused and numerically stable."""
from __future__ import annotations

from .. import dtypes as D
from ..autograd.function import Op
from ._prep import cast, normalize_dim


class Softmax(Op):
    saves_output = True

    def forward(self, x, axis):
        xp = self.xp
        self.axis = axis
        e = xp.exp(x - x.max(axis=axis, keepdims=True, initial=-xp.inf))  # initial: empty inputs
        self.out = xp.asarray(e / e.sum(axis=axis, keepdims=True))  # 0-d: an array, not a NumPy scalar
        return self.out

    def backward(self, g):
        y = self.out
        return y * (g - (g * y).sum(axis=self.axis, keepdims=True)), None


class LogSoftmax(Op):
    saves_output = True

    def forward(self, x, axis):
        xp = self.xp
        self.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True, initial=-xp.inf)  # initial: empty inputs
        self.out = xp.asarray(shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True)))
        return self.out

    def backward(self, g):
        xp = self.xp
        return g - xp.exp(self.out) * g.sum(axis=self.axis, keepdims=True), None


def _softmax_input(input, dim, dtype):
    if dim is None:
        raise TypeError("softmax() missing required argument 'dim'")
    x = cast(input, D.to_dtype(dtype)) if dtype is not None else input
    if x._data.dtype.kind != "f":
        from ..errors import KittyNotImplementedError

        raise KittyNotImplementedError(f'"softmax" not implemented for \'{x.dtype.name.capitalize()}\'')
    return x, normalize_dim(dim, x._data.ndim)


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed without overflow.

    >>> import kittygrad as kitty
    >>> kitty.softmax(kitty.tensor([0., 0.]), dim=0)
    tensor([0.5000, 0.5000])
    """
    x, axis = _softmax_input(input, dim, dtype)
    if x._data.ndim == 0:
        return Softmax.apply(x.reshape(1), 0).reshape(())
    return Softmax.apply(x, axis)


def log_softmax(input, dim=None, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably (no -inf for large logits).

    >>> import kittygrad as kitty
    >>> kitty.log_softmax(kitty.tensor([0., 0.]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    x, axis = _softmax_input(input, dim, dtype)
    if x._data.ndim == 0:
        return LogSoftmax.apply(x.reshape(1), 0).reshape(())
    return LogSoftmax.apply(x, axis)
