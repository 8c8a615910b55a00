"""``index_reduce``: reduce slices of ``source`` into the slices of ``input`` that ``index`` names
(``prod``, ``mean``, ``amax``, ``amin``), as ``scatter_reduce`` over whole slices; differentiable."""
from __future__ import annotations

from ..errors import KittyIndexError, KittyRuntimeError
from ._prep import as_tensor_arg, dtype_name, normalize_dim, torch_named
from .gather_scatter import _scatter_reduce_, scatter_reduce
from ._prep import warn_once as _warn_once

_REDUCES = ("prod", "mean", "amax", "amin")
_TORCH_NAME = "IndexReduceBackward0"


def _slice_index(input, dim, index, source):
    input, index, source = as_tensor_arg(input), as_tensor_arg(index, "index"), as_tensor_arg(source, "source")
    name = "index_reduce_"  # torch names the in-place kernel in every message
    if index._data.ndim > 1:
        raise KittyIndexError(
            f"{name}(): Index is supposed to be a vector, but got dim: {index._data.ndim} with type: "
            f"{dtype_name(index)} and size: {list(index._data.shape)}"
        )
    if index._data.dtype.kind not in "iu":
        raise KittyRuntimeError(f"{name}(): Expected dtype int32/int64 for index but got: {dtype_name(index)}")
    nd = max(input._data.ndim, 1)
    d = normalize_dim(dim, nd)
    if source._data.ndim and source._data.shape[d] != index.numel():
        raise KittyRuntimeError(f"{name}(): Number of indices ({index.numel()}) should be equal to source.size(dim): "
                                f"({source._data.shape[d]}), for dim: {d}")
    # (no negative positions: torch's kernel refuses them as it refuses those past the end)
    if index.numel() and (int(index._data.min()) < 0 or input._data.ndim and int(index._data.max()) >= input._data.shape[d]):
        raise KittyIndexError("index out of range in self")
    shape = [1] * source._data.ndim
    if shape:
        shape[d] = -1
    full = index.reshape(shape).expand(*source._data.shape) if shape else index.reshape(())
    # torch marks the op beta, after its checks, once a process (in place or not)
    _warn_once("index_reduce", "index_reduce() is in beta and the API may change at any time.")
    return input, d, full, source


def _check_reduce(reduce, name):
    if reduce not in _REDUCES:
        raise KittyRuntimeError(f"{name}(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")


def index_reduce(input, dim: int, index, source, reduce: str, *, include_self: bool = True):
    """A copy of ``input`` where each slice ``index[i]`` along ``dim`` is reduced (``prod``, ``mean``,
    ``amax``, ``amin``) with slice ``i`` of ``source`` (and with itself unless ``include_self=False``).

    >>> import kittygrad as kitty
    >>> kitty.index_reduce(kitty.ones(2), 0, kitty.tensor([0, 0]), kitty.tensor([2., 3.]), "prod")
    tensor([6., 1.])
    """
    _check_reduce(reduce, "index_reduce")
    input, d, full, source = _slice_index(input, dim, index, source)
    # recorded as a scatter_reduce; torch's node for it is index_reduce's own
    return torch_named(scatter_reduce(input, d, full, source, reduce, include_self=include_self), _TORCH_NAME)


def index_reduce_(self, dim: int, index, source, reduce: str, *, include_self: bool = True):
    """``index_reduce`` in place.

    >>> import kittygrad as kitty
    >>> kitty.zeros(2).index_reduce_(0, kitty.tensor([1]), kitty.tensor([5.]), "amax")
    tensor([0., 5.])
    """
    _check_reduce(reduce, "index_reduce")
    self, d, full, source = _slice_index(self, dim, index, source)
    return torch_named(_scatter_reduce_(self, d, full, source, reduce, include_self=include_self), _TORCH_NAME)

