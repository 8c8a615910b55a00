"""Strided windows as views: ``Tensor.unfold`` (the sliding windows along one dim) and
``as_strided`` (any sizes and strides over a contiguous tensor's memory). Overlapping windows share
memory, so they are read-only, as torch refuses writes through them."""
from __future__ import annotations

from .. import backend as B
from ..autograd.function import Op
from ..autograd.graph_array import add_at
from ..errors import KittyRuntimeError
from ._prep import normalize_dim, tensor_input


class Unfold(Op):
    saved_fields = ("dim", "in_shape", "size", "step")
    is_view = True

    def forward(self, x, dim, size, step):
        self.in_shape, self.dim, self.size, self.step = x.shape, dim, size, step
        windows = B.xp.lib.stride_tricks.sliding_window_view(x, size, axis=dim, writeable=step >= size)
        return windows[(slice(None),) * dim + (slice(None, None, step),)]

    def backward(self, g):
        xp = self.xp
        d, size, step = self.dim, self.size, self.step
        gx = xp.zeros_like(g, shape=self.in_shape)
        n = g.shape[d]
        by_offset = xp.moveaxis(g, -1, 0)
        for k in range(size):  # the k-th element of every window
            region = (slice(None),) * d + (slice(k, k + step * (n - 1) + 1, step),)
            gx[region] = gx[region] + by_offset[k]
        return gx, None, None, None


def unfold(input, dimension: int, size: int, step: int):
    """Every window of ``size`` elements along ``dimension``, ``step`` apart: that dim becomes the
    number of windows and a last dim of ``size`` is added (a view).

    >>> import kittygrad as kitty
    >>> kitty.arange(5).unfold(0, 2, 2)
    tensor([[0, 1],
            [2, 3]])
    """
    x = tensor_input(input)
    if x._data.ndim == 0:
        if size > 1:
            raise KittyRuntimeError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
        return Unfold.apply(x.reshape(1), 0, size, max(step, 1)).reshape(size) if step > 0 else _bad_step(step)
    d = normalize_dim(dimension, x._data.ndim)
    n = x._data.shape[d]
    if size > n:
        raise KittyRuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise KittyRuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        _bad_step(step)
    return Unfold.apply(x, d, size, step)


def _bad_step(step):
    raise KittyRuntimeError(f"step is {step} but must be > 0")


class AsStrided(Op):
    saved_fields = ("flat", "in_shape")
    is_view = True

    def forward(self, x, size, stride, offset):
        item = x.itemsize
        # the element of x's memory each result element reads (for backward)
        flat = B.xp.full(size, offset, dtype=B.xp.int64)
        for d, (n, st) in enumerate(zip(size, stride)):
            shape = [1] * len(size)
            shape[d] = n
            flat = flat + (B.xp.arange(n, dtype=B.xp.int64) * st).reshape(shape)
        self.flat, self.in_shape = flat, x.shape
        unique = flat.size == B.xp.unique(flat).size
        base = x.reshape(-1)[offset:] if x.size else x.reshape(-1)
        return B.xp.lib.stride_tricks.as_strided(base, size, tuple(st * item for st in stride), writeable=unique)

    def backward(self, g):
        numel = 1
        for n in self.in_shape:
            numel *= n
        gx = self.xp.zeros_like(g, shape=(numel,))
        gx = add_at(gx, self.flat.reshape(-1), g.reshape(-1))
        return gx.reshape(self.in_shape), None, None, None


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s memory with the given sizes and strides (in elements) from
    ``storage_offset`` (``input``'s own by default). ``input`` must be contiguous: kittygrad's
    tensors are NumPy arrays, whose storage a non-contiguous view does not expose.

    >>> import kittygrad as kitty
    >>> kitty.as_strided(kitty.arange(4.), (3, 2), (1, 1))
    tensor([[0., 1.],
            [1., 2.],
            [2., 3.]])
    """
    x = tensor_input(input)
    size, stride = tuple(int(n) for n in size), tuple(int(st) for st in stride)
    if len(size) != len(stride):
        raise KittyRuntimeError(f"mismatch in length of strides and shape: size {list(size)}, stride {list(stride)}")
    if any(st < 0 for st in stride):
        raise KittyRuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    if not x._data.flags.c_contiguous:
        raise KittyRuntimeError(
            "as_strided: kittygrad needs a contiguous input (its strides address the input's own memory); "
            "call .contiguous() first"
        )
    own = x.storage_offset()
    offset = 0 if storage_offset is None else int(storage_offset) - own
    if offset < 0:
        raise KittyRuntimeError(f"as_strided: storage_offset {storage_offset} lies before this tensor's memory (it starts at {own})")
    need = offset + (1 + sum((n - 1) * st for n, st in zip(size, stride)) if all(size) else 0)
    if need > x._data.size:
        item = x._data.itemsize
        raise KittyRuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset + own}, and itemsize "
            f"{item} requiring a storage size of {(need + own) * item} are out of bounds for storage of size "
            f"{(x._data.size + own) * item}"
        )
    return AsStrided.apply(x, size, stride, offset)
