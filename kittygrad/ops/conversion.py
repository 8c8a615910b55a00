"""Copies and dtype conversion: ``to``/``type`` (ToCopy), ``clone`` and ``expand``."""
from __future__ import annotations

from .. import backend as B
from ..autograd.function import Op


class ToCopy(Op):
    """A dtype cast (``x.to(dtype)``); the gradient is cast back by the engine."""

    bfloat16_kernel = True  # casts and copies are exact on bfloat16 arrays as they are

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, g):
        return g, None


class Clone(Op):
    bfloat16_kernel = True

    def forward(self, x):
        # torch's preserve_format: the copy keeps the input's stride order (a channels-last or
        # transposed tensor stays so), which NumPy's order "K" is; vmap's logical arrays have none
        return x.copy(order="K") if type(x) is B.xp.ndarray else x.copy()

    def backward(self, g):
        return (g,)


class Expand(Op):
    """Broadcast to a larger shape without copying (``expand``/``broadcast_to``)."""

    saved_fields = ("in_shape",)
    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        return B.broadcast_view(x, shape)  # (NumPy's broadcast_to for what is no plain array)

    def backward(self, g):
        return B.sum_to_shape(g, self.in_shape), None


class Fill(Op):
    """Every element becomes ``value``; only a tensor ``value`` receives a gradient (the sum)."""

    bfloat16_kernel = True
    saved_fields = ("value_shape",)

    def forward(self, x, value):
        # (a 0-d value, except under vmap, whose batching rule hands a value per sample, shaped to broadcast)
        self.value_shape = getattr(value, "shape", ())
        return B.xp.full(x.shape, value, dtype=x.dtype)

    @staticmethod
    def write_in_place(data, value) -> None:  # (zero_ of a gradient buffer: one pass, no array made)
        data[...] = value

    def backward(self, g):
        return B.xp.zeros_like(g), g.sum() if not self.value_shape else B.sum_to_shape(g, self.value_shape)


class Copy(Op):
    """``x.copy_(src)`` out of place: src broadcast and cast to x's shape and dtype."""

    bfloat16_kernel = True
    saved_fields = ("src_shape",)
    _name = "CopyBackward"

    def forward(self, x, src):
        self.src_shape = src.shape
        return B.xp.broadcast_to(src, x.shape).astype(x.dtype)

    @staticmethod
    def write_in_place(data, src) -> None:
        if src.dtype == data.dtype and not B.may_share_memory(data, src):
            data[...] = src  # (the cast would copy nothing: one pass)
        else:
            data[...] = src.astype(data.dtype)  # (a copy first: src may overlap data)

    def backward(self, g):
        return None, B.sum_to_shape(g, self.src_shape)

    def _torch_recorded_name(self) -> str:
        return "CopyBackwards"  # (torch's hand-written node for copy_, with no overload number)
