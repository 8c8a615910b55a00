"""Copies and dtype conversion: ``to``/``type`` (ToCopy), ``clone`` and ``expand``."""
from __future__ import annotations

from .. import backend as B
from ..autograd.function import Op


class ToCopy(Op):
    """A dtype cast (``x.to(dtype)``); the gradient is cast back by the engine."""

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, g):
        return g, None


class Clone(Op):
    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return (g,)


class Expand(Op):
    """Broadcast to a larger shape without copying (``expand``/``broadcast_to``)."""

    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        return B.xp.broadcast_to(x, shape)

    def backward(self, g):
        return B.sum_to_shape(g, self.in_shape), None
