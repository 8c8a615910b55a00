"""Tensor indexing: ``x[...]`` reads and ``x[...] = v`` writes (basic and advanced indices)."""
from __future__ import annotations

import re
import warnings

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.refusals import check_saved_index
from ..autograd.function import Op, apply_inplace
from ..autograd.graph_array import add_at
from ..errors import KittyIndexError, KittyRuntimeError, KittyTypeError, KittyValueError, user_stacklevel
from ._prep import cast
from .shape import expanded_shape


def _is_basic(idx) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    for i in items:
        if isinstance(i, slice):
            if i.step is not None and i.step <= 0:  # torch has no reversed views (flip copies)
                raise KittyValueError("step must be greater than zero")
            continue
        if i is None or i is Ellipsis:
            continue
        if isinstance(i, int) and not isinstance(i, bool):
            continue
        return False
    return True


def _convert_index(idx, Tensor):
    """Turn Tensors and lists inside an index into arrays NumPy understands."""
    items = idx if isinstance(idx, tuple) else (idx,)
    out = []
    for i in items:
        if isinstance(i, Tensor):
            arr = i._data
            if arr.dtype.kind == "f":
                raise KittyIndexError(
                    "tensors used as indices must be long, int, byte or bool tensors"
                )
            if arr.dtype == B.xp.uint8:
                # torch still reads a uint8 index as a mask (nonzero = True), with a deprecation
                # warning (none for a 0-d one); as integers it would pick other rows
                if arr.ndim:
                    warnings.warn(f"indexing with dtype {D.uint8} is now deprecated, please use a dtype {D.bool} "
                                  "instead.", UserWarning, stacklevel=user_stacklevel())
                arr = arr != 0
            if arr.ndim == 0 and arr.dtype.kind in "iu" and type(arr) is B.ndarray:
                i = int(arr)  # (a 0-d index batched by vmap stays an array: its batching rule reads it)
            else:
                i = arr
        elif isinstance(i, (list, tuple, range)):
            if not len(i):  # an empty list selects nothing (NumPy would read it as float64)
                out.append(B.xp.zeros(0, B.xp.int64))
                continue
            try:
                i = B.asarray([x._data if isinstance(x, Tensor) else x for x in i])
            except ValueError:
                raise KittyIndexError(f"invalid index list {i!r}") from None
            if i.dtype.kind == "f":
                raise KittyIndexError("tensors used as indices must be long, int, byte or bool tensors")
        elif isinstance(i, float):
            raise KittyIndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                "are valid indices (got float)"
            )
        elif not (i is None or i is Ellipsis or isinstance(i, (slice, int)) or B.is_array(i) or B.is_array_like_scalar(i)
                  or hasattr(type(i), "tensor")):  # (inside vmap: a batched index's stand-in array)
            raise KittyIndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got {type(i).__name__})"
            )
        out.append(i)
    return tuple(out)


def _is_int(i) -> bool:
    return (isinstance(i, int) or B.is_array_like_scalar(i) and B.xp.dtype(type(i)).kind in "iu") and not isinstance(i, bool)


def _ints_first(idx):
    """``(ints, rest)``: an index that mixes integers with index arrays, split in two steps.

    torch applies the integers first, as selections, and then the arrays; NumPy counts an integer
    as one more index array. The two orders differ once a slice separates them: for x of shape
    (2, 4, 5), ``x[0, :, [1, 2]]`` is (4, 2) in torch and (2, 4) in NumPy (which moves the
    broadcast index dims to the front). ``None`` when the index does not mix them.
    """
    items = idx if isinstance(idx, tuple) else (idx,)
    if not any(_is_int(i) for i in items) or _is_basic(idx):
        return None
    ints, rest = [], []
    for i in items:
        if _is_int(i):
            ints.append(i)
        elif i is None:
            rest.append(None)  # a new axis: added by the second step, where it stands
        elif i is Ellipsis:
            ints.append(Ellipsis)
            rest.append(Ellipsis)
        elif isinstance(i, slice):
            ints.append(slice(None))
            rest.append(i)
        else:  # an index array; a bool mask covers as many dims as it has
            if isinstance(i, bool):
                return None  # (a bare True/False adds an axis: left to NumPy's rule)
            ints.extend([slice(None)] * (i.ndim if i.dtype.kind == "b" else 1))
            rest.append(i)
    return tuple(ints), tuple(rest)


_ZERO_DIM_INDEX = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ "
                   "to convert a 0-dim tensor to a number")


def _numpy_index_error(e: IndexError, shape=None, idx=None) -> KittyIndexError:
    """NumPy's IndexError for indexing an array of ``shape`` with ``idx``, in torch's words."""
    msg = str(e)
    if shape is not None and msg.startswith("too many indices"):
        return KittyIndexError(_ZERO_DIM_INDEX if not shape else f"too many indices for tensor of dimension {len(shape)}")
    if shape is not None and msg.startswith("boolean index did not match"):
        mismatch = _mask_mismatch(shape, idx)
        if mismatch is not None:
            return KittyIndexError(mismatch)
    found = re.fullmatch(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", msg)
    if shape is not None and found:
        # torch moves the indexed dimensions to the front first and counts among them
        value, axis, size = found.groups()
        return KittyIndexError(f"index {value} is out of bounds for dimension {_advanced_dim(shape, idx, int(axis))} "
                               f"with size {size}")
    return KittyIndexError(msg.replace("axis", "dimension"))


def _index_spans(shape, idx):
    """The items of ``idx`` with how many dimensions of ``shape`` each indexes (``...`` the rest)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    spans = [0 if i is None or i is Ellipsis else i.ndim if B.is_array(i) and i.dtype.kind == "b" else 1
             for i in items]
    rest = len(shape) - sum(spans)
    return [(i, rest if i is Ellipsis else span) for i, span in zip(items, spans)]


def _advanced_dim(shape, idx, axis: int) -> int:
    """Where torch reports an out-of-bounds index for ``axis``: among the dimensions that index
    arrays select, when an index array selects that axis; else the axis itself."""
    dim = advanced = 0
    for item, span in _index_spans(shape, idx):
        if B.is_array(item) and item.ndim > 0 or isinstance(item, list):
            if dim <= axis < dim + span:
                return advanced + axis - dim
            advanced += span
        dim += span
    return axis


def _mask_mismatch(shape, idx):
    """torch's message for the first boolean mask in ``idx`` whose shape does not fit ``shape``."""
    dim = 0
    for item, span in _index_spans(shape, idx):
        if B.is_array(item) and item.dtype.kind == "b":
            for k in range(item.ndim):
                if dim + k < len(shape) and item.shape[k] != shape[dim + k]:
                    return (f"The shape of the mask {list(item.shape)} at index {k} does not match the shape of "
                            f"the indexed tensor {list(shape)} at index {dim + k}")
        dim += span
    return None


class Select(Op):
    """Basic indexing (ints, slices, None, ...): a view."""

    saved_fields = ("dtype", "idx", "in_shape")
    is_view = True
    _name = "SliceBackward"

    def _torch_recorded_name(self) -> str:
        # torch records the index's items one by one, left to right: its node is the last one's
        # (an int selects, a slice slices, None unsqueezes; a full ``:`` records nothing)
        items = getattr(self, "idx", None)
        items = items if isinstance(items, tuple) else (items,)
        for item in reversed(items):
            if item is Ellipsis or item == slice(None):
                continue
            if item is None:
                return "UnsqueezeBackward0"
            return "SliceBackward0" if isinstance(item, slice) else "SelectBackward0"
        return "AliasBackward0"

    def forward(self, x, idx):
        self.in_shape, self.dtype, self.idx = x.shape, x.dtype, idx
        return _basic_view(x, idx)

    def backward(self, g):
        gx = B.xp.zeros_like(g, self.dtype, shape=self.in_shape)  # a GraphArray when g is one
        gx[self.idx] = g
        return gx, None


def _basic_view(x, idx):
    """``x[idx]`` for a basic index (ints, slices, None, ``...``): always a view of the array."""
    if type(idx) is int:  # (the commonest index)
        items = (idx, Ellipsis)
    else:
        items = idx if isinstance(idx, tuple) else (idx,)
        if not any(i is Ellipsis for i in items):
            # x[0] of a 1-d array is a NumPy scalar (a copy); x[0, ...] is the 0-d view we need
            items = items + (Ellipsis,)
    try:
        return x[items]
    except IndexError as e:
        raise _numpy_index_error(e, x.shape, idx) from None


class Index(Op):
    """Advanced indexing: a copy; repeated indices accumulate their gradients."""

    saved_fields = ("dtype", "idx", "in_shape")


    def forward(self, x, idx):
        self.in_shape, self.dtype, self.idx = x.shape, x.dtype, idx
        try:
            out = x[idx]
        except IndexError as e:
            raise _numpy_index_error(e, x.shape, idx) from None
        # NumPy lays out x[:, idx] with the indexed dimensions outermost in memory; torch's result
        # from a contiguous input is contiguous (strides, as_strided and view rely on it)
        if x.flags.c_contiguous and not out.flags.c_contiguous:
            out = B.xp.ascontiguousarray(out)
        return out

    def backward(self, g):
        gx = B.xp.zeros_like(g, self.dtype, shape=self.in_shape)
        return add_at(gx, self.idx, g), None


class IndexPut(Op):
    """``x[idx] = value`` as an out-of-place op (used in place by ``__setitem__``)."""

    saved_fields = ("idx", "value_shape")
    _name = "IndexPutBackward"

    def forward(self, x, value, idx):
        self.idx, self.value_shape = idx, B.xp.shape(value)
        out = x.copy()
        _put(out, idx, value)
        return out

    @staticmethod
    def write_in_place(data, value, idx) -> None:
        # (unrecorded, x[idx] = v writes where it stands: out of place, then copied back, the whole
        # tensor went by twice, which made filling a (5000, 256) buffer row by row quadratic)
        _put(data, idx, value)

    def backward(self, g):
        gx = B.xp.copy(g)  # a copy, and an array even when g is a NumPy scalar (0-d output)
        gx[self.idx] = 0
        gv = None
        if self.needs_input_grad[1]:
            gv = g[self.idx]
            shape = self.value_shape
            if len(shape) > gv.ndim:
                gv = gv.reshape((1,) * (len(shape) - gv.ndim) + gv.shape)
            gv = B.sum_to_shape(gv, shape)
        return gx, gv, None


_LEGACY_SEQUENCE = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch 2.9; "
    "use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, "
    "x[torch.tensor(seq)], which will result either in an error or a different result"
)


def _legacy_tuple(idx):
    """torch 2.13 still reads a short list holding sequences, tensors, slices, None or ``...`` as a tuple
    of indices (NumPy's old rule), with a deprecation warning: ``x[[rows, cols]]`` is ``x[rows, cols]``."""
    if type(idx) is list and len(idx) < 32 and any(
        isinstance(i, (list, tuple, slice, F.Tensor)) or i is None or i is Ellipsis or B.is_array(i) for i in idx
    ):
        warnings.warn(_LEGACY_SEQUENCE, UserWarning, stacklevel=user_stacklevel())
        return tuple(idx)
    return idx


def getitem(x, idx):
    Tensor = F.Tensor  # set by kittygrad.tensor, which sits above the ops
    if type(idx) is list:
        idx = _legacy_tuple(idx)
    if type(idx) is int or _is_basic(idx):
        if F.unseen(x):  # (a data loader's x[i], a loop's row: the view without a node, 0.6 us of 1.9)
            return F.unrecorded_view(Select, x, _basic_view(x._data, idx), (idx,))
        return Select.apply(x, idx)
    for i in idx if type(idx) is tuple else (idx,):
        check_saved_index(i, x)
    idx = _convert_index(idx, Tensor)
    if _is_basic(idx):
        return Select.apply(x, idx)
    split = _ints_first(idx)
    if split is not None:
        return getitem(Select.apply(x, split[0]), split[1])
    return Index.apply(x, idx)


def setitem(x, idx, value) -> None:
    Tensor = F.Tensor  # set by kittygrad.tensor, which sits above the ops
    if type(idx) is list:
        idx = _legacy_tuple(idx)
    if not _is_basic(idx):
        idx = _convert_index(idx, Tensor)
        split = _ints_first(idx)
        if split is not None:  # written through the view the integers select, in torch's order
            setitem(Select.apply(x, split[0]), split[1], value)
            return
    if isinstance(value, Tensor):
        value = _drop_leading_ones(value)
        if _is_basic(idx):  # a write through a view: torch's copy_ expands the value, in its words
            expanded_shape(value._data.shape, value.dtype, _target(x, idx).shape)
        value = cast(value, x.dtype)
    elif isinstance(value, (int, float, bool)) or B.is_array_like_scalar(value):
        # a NumPy scalar counts as the number it holds; an int wraps into an unsigned dtype and is
        # checked against a signed one's range, as torch's fills
        value = D.fill_scalar(value.item() if B.is_array_like_scalar(value) else value, x._data.dtype)
    else:
        # torch takes numbers (NumPy scalars too) and tensors only: a NumPy array, even a 0-d one,
        # is refused, so ``x[i] = torch.from_numpy(a)`` is the spelling that works in both
        kind = "numpy.ndarray" if B.is_array(value) else type(value).__name__
        raise KittyTypeError(f"can't assign a {kind} to a {D.legacy_type_name(x.dtype)}")
    if x._requires_grad:  # a bad index is reported before the leaf (or view of a leaf) rule, as torch
        _target(x, idx)
    apply_inplace(IndexPut, x, value, idx)
    node = x._grad_fn
    if type(node) is IndexPut and _is_basic(idx):  # (x no view: a view's write is the base's CopySlices)
        fills = not isinstance(value, Tensor) or value._data.ndim == 0
        node.torch_label = _basic_write_label(idx, x._data.shape, fills)


def _put(out, idx, value) -> None:
    """``out[idx] = value`` (``out`` an array), NumPy's refusals in torch's words."""
    try:
        out[idx] = value
    except IndexError as e:
        raise _numpy_index_error(e, out.shape, idx) from None
    except (ValueError, TypeError):  # (NumPy's TypeError: a 2-d value for a boolean mask)
        raise KittyRuntimeError(
            f"shape mismatch: value tensor of shape {list(B.xp.shape(value))} cannot be broadcast to "
            f"indexing result of shape {list(out[idx].shape)}"
        ) from None


def _target(x, idx):
    """The part of ``x`` that ``x[idx] = ...`` writes, a bad index reported in torch's words."""
    try:
        return x._data[idx]
    except IndexError as e:
        raise _numpy_index_error(e, x._data.shape, idx) from None


def _drop_leading_ones(value):
    """torch drops a written value's leading size-1 dimensions first, so ``x[i] = net(row)`` with a
    (1, 1) output fills one element (NumPy refuses a 2-d value for a 0-d target)."""
    shape = value._data.shape
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return value.reshape(shape[k:]) if k else value


def _basic_write_label(idx, shape, fills: bool) -> str:
    """The node torch records for ``x[idx] = value`` with ints, slices, None and ``...`` only: the
    write goes through the view ``x[idx]`` (``CopySlices``), unless that view would be all of x
    (``...`` and full slices), where torch fills x or copies into it directly."""
    items = idx if isinstance(idx, tuple) else (idx,)
    spanned = sum(i is not None and i is not Ellipsis for i in items)
    dim = 0
    for i in items:
        if i is Ellipsis:
            dim += len(shape) - spanned
        elif isinstance(i, slice) and i.indices(shape[dim]) == (0, shape[dim], 1):
            dim += 1
        else:
            return "CopySlices"
    return "FillBackward3" if fills else "CopyBackwards"
