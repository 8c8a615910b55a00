"""Writing into a copy: the ``*_scatter`` ops (``input`` with ``src`` written into one of its views:
``diagonal_scatter``, ``select_scatter``, ``slice_scatter``), ``index_put`` (``x[indices] = values``,
optionally accumulating) and ``put`` (flat indices); differentiable in both tensors."""
from __future__ import annotations

from .. import backend as B
from ..autograd import function as F
from ..autograd.function import Op, apply_inplace
from ..errors import KittyIndexError, KittyRuntimeError, KittyTypeError
from ._prep import as_tensor_arg, dtype_name, normalize_dim
from .indexing import IndexPut, _convert_index, _numpy_index_error
from .linalg import diagonal
from .joining import select


def _scatter_into(input, src, view_of):
    input, src = as_tensor_arg(input), as_tensor_arg(src, "src")
    out = input.clone()
    view = view_of(out)
    if tuple(src._data.shape) != tuple(view._data.shape):
        raise KittyRuntimeError(
            f"expected src to have a size equal to the slice of self. src size = {list(src._data.shape)}, "
            f"slice size = {list(view._data.shape)}"
        )
    view.copy_(src)
    return out


def diagonal_scatter(input, src, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """A copy of ``input`` whose diagonal (as ``diagonal(offset, dim1, dim2)``) is ``src``.

    >>> import kittygrad as kitty
    >>> kitty.diagonal_scatter(kitty.zeros(2, 2), kitty.ones(2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    return _scatter_into(input, src, lambda t: diagonal(t, offset, dim1, dim2))


def select_scatter(input, src, dim: int, index: int):
    """A copy of ``input`` whose slice ``select(dim, index)`` is ``src``.

    >>> import kittygrad as kitty
    >>> kitty.select_scatter(kitty.zeros(2, 2), kitty.ones(2), 0, 1)
    tensor([[0., 0.],
            [1., 1.]])
    """
    return _scatter_into(input, src, lambda t: select(t, dim, index))


def slice_scatter(input, src, dim: int = 0, start=None, end=None, step: int = 1):
    """A copy of ``input`` whose slice ``start:end:step`` along ``dim`` is ``src``.

    >>> import kittygrad as kitty
    >>> kitty.slice_scatter(kitty.zeros(4), kitty.ones(2), start=1, step=2)
    tensor([0., 1., 0., 1.])
    """
    input = as_tensor_arg(input)
    d = normalize_dim(dim, input._data.ndim)
    idx = (slice(None),) * d + (slice(start, end, step),)
    return _scatter_into(input, src, lambda t: t[idx])


# ---------------------------------------------------------------------------------------------
# index_put and put


class IndexPutAccumulate(Op):
    """``x[idx] += values`` as an out-of-place op, where repeated indices add up (``accumulate=True``)."""

    saved_fields = ("idx", "value_shape")
    _name = "IndexPutBackward"

    def forward(self, x, value, idx):
        self.idx, self.value_shape = idx, B.xp.shape(value)
        out = x.copy()
        try:
            target = out[idx].shape
            B.index_add(out, idx, B.xp.broadcast_to(value, target))
        except IndexError as e:
            raise _numpy_index_error(e, x.shape, idx) from None
        except ValueError as e:
            raise KittyRuntimeError(f"shape mismatch in index_put: {e}") from None
        return out

    def backward(self, g):
        gv = None
        if self.needs_input_grad[1]:
            gv = g[self.idx]
            shape = self.value_shape
            if len(shape) > gv.ndim:
                gv = gv.reshape((1,) * (len(shape) - gv.ndim) + gv.shape)
            gv = B.sum_to_shape(gv, shape)
        return g, gv, None


def _index_put_args(self, indices, values, name):
    if not isinstance(indices, (tuple, list)):
        raise KittyTypeError(f"{name}(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    for i, t in enumerate(indices):
        if not isinstance(t, F.Tensor):
            raise KittyTypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    values = as_tensor_arg(values, "values")
    if values._data.dtype != self._data.dtype:
        raise KittyRuntimeError(
            f"Index put requires the source and destination dtypes match, got {dtype_name(self)} for the "
            f"destination and {dtype_name(values)} for the source."
        )
    idx = _convert_index(tuple(indices), F.Tensor)
    return idx, values


def index_put_(self, indices, values, accumulate: bool = False):
    """``self[indices] = values`` in place (``+=``, with repeated indices adding up, when
    ``accumulate``); ``indices`` is a tuple of index tensors.

    >>> import kittygrad as kitty
    >>> kitty.zeros(3).index_put_((kitty.tensor([0, 0]),), kitty.tensor(1.), accumulate=True)
    tensor([2., 0., 0.])
    """
    idx, values = _index_put_args(self, indices, values, "index_put_")
    return apply_inplace(IndexPutAccumulate if accumulate else IndexPut, self, values, idx)


def index_put(input, indices, values, accumulate: bool = False):
    """A copy of ``input`` with ``input[indices] = values`` (``+=`` when ``accumulate``).

    >>> import kittygrad as kitty
    >>> kitty.index_put(kitty.zeros(3), (kitty.tensor([0, 2]),), kitty.tensor(1.))
    tensor([1., 0., 1.])
    """
    input = as_tensor_arg(input)
    idx, values = _index_put_args(input, indices, values, "index_put")
    cls = IndexPutAccumulate if accumulate else IndexPut
    return cls.apply(input, values, idx)


def _put_args(input, index, source, name):
    index, source = as_tensor_arg(index, "index"), as_tensor_arg(source, "source")
    if index._data.dtype.kind not in "iu":
        raise KittyIndexError(f"{name}(): Expected a long tensor for index, but got {dtype_name(index)}")
    if source._data.dtype != input._data.dtype:
        raise KittyRuntimeError(
            f"{name}(): self and source expected to have the same dtype, but got self.dtype = "
            f"{dtype_name(input)} and source.dtype = {dtype_name(source)}"
        )
    if index.numel() != source.numel():
        raise KittyIndexError(
            f"{name}(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}"
        )
    n = input.numel()
    flat = index._data.reshape(-1).astype(B.xp.int64)
    bad = (flat >= n) | (flat < -n)
    if bad.any():
        raise KittyIndexError(f"out of range: tried to access index {int(flat[bad][0])} on a tensor of {n} elements.")
    return F.Tensor._wrap(B.xp.where(flat < 0, flat + n, flat)), source.reshape(-1)


def put(input, index, source, accumulate: bool = False):
    """A copy of ``input`` with ``source`` written at the flat positions ``index`` (added when
    ``accumulate``).

    >>> import kittygrad as kitty
    >>> kitty.put(kitty.zeros(2, 2), kitty.tensor([0, 3]), kitty.tensor([1., 2.]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    input = as_tensor_arg(input)
    index, source = _put_args(input, index, source, "put_")
    cls = IndexPutAccumulate if accumulate else IndexPut
    return cls.apply(input.reshape(-1), source, (index._data,)).reshape(input.shape)


def put_(self, index, source, accumulate: bool = False):
    """Write ``source`` at the flat positions ``index`` of ``self``, in place (added when ``accumulate``).

    >>> import kittygrad as kitty
    >>> kitty.zeros(2, 2).put_(kitty.tensor([1]), kitty.tensor([5.]))
    tensor([[0., 5.],
            [0., 0.]])
    """
    index, source = _put_args(self, index, source, "put_")
    shape = self._data.shape
    if self._data.flags.c_contiguous:
        flat_idx = B.xp.unravel_index(index._data, shape) if shape else ()
        cls = IndexPutAccumulate if accumulate else IndexPut
        return apply_inplace(cls, self, source if shape else source.reshape(()), flat_idx)
    return self.copy_(put(self.clone(), index, source, accumulate))


# ---------------------------------------------------------------------------------------------
# the diagonal of a matrix (or of a cube with equal sides), in place


def fill_diagonal_(self, fill_value, wrap: bool = False):
    """Fill the main diagonal with ``fill_value`` in place; a tall matrix's diagonal restarts after
    each block of ``cols + 1`` rows when ``wrap``.

    >>> import kittygrad as kitty
    >>> kitty.zeros(2, 3).fill_diagonal_(1)
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    shape = self._data.shape
    if len(shape) < 2:
        raise KittyRuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise KittyRuntimeError("all dimensions of input must be of equal length")
    n = self.numel()
    if len(shape) == 2:
        rows, cols = shape
        step = cols + 1
        end = n if wrap else min(rows, cols) * cols
        flat = B.xp.arange(0, end, step) if n else B.xp.zeros(0, dtype=B.xp.int64)
    else:
        step = sum(shape[0] ** k for k in range(len(shape)))
        flat = B.xp.arange(0, n, step)
    idx = B.xp.unravel_index(flat, shape)
    value = self._data.dtype.type(fill_value)
    return apply_inplace(IndexPut, self, value, idx)


