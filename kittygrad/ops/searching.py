"""Searching sorted values and sets: ``searchsorted``, ``bucketize``, ``isin``, and
``nonzero_static`` (``nonzero`` padded to a fixed size); none is differentiable."""
from __future__ import annotations

from .. import backend as B
from ..autograd import function as F
from ..errors import KittyRuntimeError, KittyTypeError
from . import _kernels as K
from ._prep import as_tensor_arg, check_scalar


def _wrap(arr):
    return F.Tensor._wrap(arr)  # (which makes NumPy scalars arrays)


def _index_dtype(out_int32: bool):
    return B.xp.int32 if out_int32 else B.xp.int64


def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False, side=None, sorter=None):
    """Where each value of ``input`` would go in ``sorted_sequence`` (its last dim sorted) to keep
    it sorted: the first such index, or the last with ``right=True`` / ``side="right"``.

    >>> import kittygrad as kitty
    >>> kitty.searchsorted(kitty.tensor([1, 3, 5, 7]), kitty.tensor([3, 6]))
    tensor([1, 3])
    """
    seq = as_tensor_arg(sorted_sequence, "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise KittyRuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise KittyRuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True"
            )
        right = side == "right"
    scalar = not isinstance(input, F.Tensor)
    values = B.xp.asarray(check_scalar(input, "searchsorted")) if scalar else input._data
    s = seq._data
    if sorter is not None:
        sorter = as_tensor_arg(sorter, "sorter")
        if sorter._data.shape != s.shape:
            raise KittyRuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got "
                                    f"boundary tensor {list(s.shape)} and got sorter tensor {list(sorter._data.shape)}")
        s = B.xp.take_along_axis(s, sorter._data, axis=-1)
    how = "right" if right else "left"
    if s.ndim > 1 and (scalar or s.shape[:-1] != values.shape[:-1]):
        raise KittyRuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
            f"boundaries tensor and input value tensor must match, but we got boundaries tensor {list(s.shape)} "
            f"and input value tensor {list(values.shape)}"
        )
    if type(s) is not B.ndarray or type(values) is not B.ndarray:
        out = B.xp.searchsorted(s, values, side=how)  # (inside vmap: the batched stand-in searches)
    else:
        out = K.search_sorted(s, values, right)
    return _wrap(out.astype(_index_dtype(out_int32)))  # (an array, or a NumPy integer: never a Python one)


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False):
    """The bucket of each value of ``input`` among the sorted 1-D ``boundaries``: the index ``i``
    with ``boundaries[i-1] < x <= boundaries[i]`` (``<=`` and ``<`` swap with ``right=True``).

    >>> import kittygrad as kitty
    >>> kitty.bucketize(kitty.tensor([3, 6, 9]), kitty.tensor([1, 3, 5, 7, 9]))
    tensor([1, 3, 4])
    """
    boundaries = as_tensor_arg(boundaries, "boundaries")
    if boundaries._data.ndim != 1:
        raise KittyRuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """Whether each of ``elements`` is in ``test_elements`` (either may be a number).

    >>> import kittygrad as kitty
    >>> kitty.isin(kitty.tensor([1, 2, 3]), kitty.tensor([2, 3]))
    tensor([False,  True,  True])
    """
    if not isinstance(elements, F.Tensor) and not isinstance(test_elements, F.Tensor):
        raise KittyTypeError("isin(): at least one of elements and test_elements must be a Tensor")
    e = elements._data if isinstance(elements, F.Tensor) else B.xp.asarray(check_scalar(elements, "isin"))
    t = test_elements._data if isinstance(test_elements, F.Tensor) else B.xp.asarray(check_scalar(test_elements, "isin"))
    return _wrap(B.xp.isin(e, t, invert=invert))




def nonzero_static(input, *, size: int, fill_value: int = -1):
    """The indices of the nonzero elements (as ``nonzero``), exactly ``size`` rows: cut, or padded
    with ``fill_value``.

    >>> import kittygrad as kitty
    >>> kitty.nonzero_static(kitty.tensor([0, 3, 4]), size=3)
    tensor([[ 1],
            [ 2],
            [-1]])
    """
    input = as_tensor_arg(input)
    if size < 0:
        raise KittyRuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got {size}")
    found = B.xp.argwhere(input._data).astype(B.xp.int64)[:size]
    out = B.xp.full((size, input._data.ndim), fill_value, dtype=B.xp.int64)
    out[: found.shape[0]] = found
    return _wrap(out)
