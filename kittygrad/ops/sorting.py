"""Sorting and selection by rank: ``sort``, ``argsort``, ``topk``, ``kthvalue``, ``median``,
``unique``."""
from __future__ import annotations

import builtins as _bi

from .. import backend as B
from ..autograd.function import Op
from ..errors import KittyRuntimeError
from . import _return_types as RT
from ._prep import KittyNotImplementedError, normalize_dim, tensor_input, torch_named
from .reduction import _int_dim, _no_bool, _nonempty_dim, _on_1d, _Selecting, _wrap


def _stable_argsort(x, axis, descending=False):
    xp = B.xp
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    # descending and stable: sort the reversed array ascending, then reverse back
    n = x.shape[axis]
    rev = xp.flip(x, axis)
    idx = xp.argsort(rev, axis=axis, kind="stable")
    return xp.flip(n - 1 - idx, axis)


class Sort(_Selecting):
    def forward(self, x, axis=-1, descending=False):
        return self._pick(x, _stable_argsort(x, axis, descending), axis)


class Topk(_Selecting):
    def forward(self, x, k=1, axis=-1, largest=True):
        idx = _partitioned_topk(x, k, axis, largest)
        if idx is None:
            idx = _stable_argsort(x, axis, descending=largest)
            idx = self.xp.take(idx, self.xp.arange(k), axis=axis)
        return self._pick(x, idx, axis)


#: up to this k, top-k takes one argmax pass per pick instead of a partition (k = 2 of 416 per row:
#: 0.70 -> 0.2 ms)
_ARGMAX_TOPK_MAX_K = 8


def _argmax_topk(keys, k: int):
    """The indices of the ``k`` largest along the last axis of the float array ``keys`` (no NaN,
    no -inf), in the stable sort's order: argmax finds the first of the largest, which is then
    set to -inf for the next pick, so ties come out by position."""
    xp = B.xp
    work = xp.array(keys, copy=True, order="C")
    n = work.shape[-1]
    flat = work.reshape(-1)
    starts = xp.arange(0, work.size, n).reshape(work.shape[:-1])
    idx = xp.empty(work.shape[:-1] + (k,), dtype=xp.int64)
    for j in range(k):
        pos = work.argmax(axis=-1)
        idx[..., j] = pos
        flat[pos + starts] = -xp.inf
    return idx


def _partitioned_topk(x, k: int, axis: int, largest: bool):
    """The indices of ``topk`` as the stable sort orders them (ties by position), found without
    sorting the whole axis: a partition finds the k-th value, the elements beyond it and the
    first ties at it are the k candidates, and only those are sorted. 6-9x faster than the full
    stable sort for k <= n / 4 (k 2-50 of 416 or 50257). Returns None where the full sort serves:
    short axes, large k, NaN (whose order the sort defines), non-float dtypes."""
    xp = B.xp
    n = x.shape[axis] if x.ndim else 0
    if type(x) is not B.ndarray or x.dtype.kind != "f" or n < 64 or not 0 < 4 * k <= n or xp.isnan(x).any():
        return None
    keys = xp.moveaxis(x, axis, -1)
    keys = keys if largest else -keys  # (-keys keeps every tie, and the smallest come first)
    if k <= _ARGMAX_TOPK_MAX_K and not (keys == -xp.inf).any():
        return xp.moveaxis(_argmax_topk(keys, k), -1, axis)
    kth = xp.partition(keys, n - k, axis=-1)[..., n - k:n - k + 1]
    beyond = keys > kth
    at = keys == kth
    room = k - xp.count_nonzero(beyond, axis=-1)[..., None]  # the ties at the k-th value that fit
    chosen = beyond | (at & (xp.cumsum(at, axis=-1) <= room))
    idx = xp.nonzero(chosen.reshape(-1, n))[1].reshape(keys.shape[:-1] + (k,))  # (in index order)
    order = _stable_argsort(xp.take_along_axis(keys, idx, -1), -1, descending=True)
    return xp.moveaxis(xp.take_along_axis(idx, order, -1), -1, axis)


class KthValue(_Selecting):
    """The element at sorted position ``pos`` along axis (median, kthvalue); NaN rules as torch."""

    _name = "KthvalueBackward0"

    def forward(self, x, axis=0, keepdim=False, k=None, nan_mode=None):
        xp = self.xp
        n = x.shape[axis]
        order = xp.argsort(x, axis=axis, kind="stable")  # NaNs sort last
        if x.dtype.kind == "f" and nan_mode is not None:
            nans = xp.isnan(x).sum(axis=axis, keepdims=True)
            valid = n - nans
            if nan_mode == "median":  # any NaN makes the median NaN (the first NaN)
                pos = xp.where(nans > 0, valid, (n - 1) // 2)
            else:  # nanmedian: the median of the non-NaN values (the first NaN if all are NaN)
                pos = xp.where(valid > 0, (valid - 1) // 2, 0)
        else:
            pos = xp.full((1,) * x.ndim, (n - 1) // 2 if k is None else k - 1)
            pos = xp.broadcast_to(pos, tuple(1 if d == axis else s for d, s in enumerate(x.shape)))
        idx = xp.take_along_axis(order, pos, axis)
        return self._pick(x, idx, axis, keepdim)


class MedianAll(Op):
    """The lower median of all elements (NaN if any is NaN); ties share the gradient evenly."""

    saved_fields = ("out", "x")
    saved_inputs = (0,)
    saves_output = True
    _name = "MedianBackward0"

    def forward(self, x, ignore_nan=False):
        xp = self.xp
        self.x = x
        flat = x.reshape(-1)
        if x.dtype.kind == "f":
            nan = xp.isnan(flat)
            if ignore_nan:
                flat = flat[~nan]
            elif nan.any():
                flat = flat[:0]
                self.out = xp.asarray(xp.nan, dtype=x.dtype)
                return self.out
        if flat.size == 0:
            self.out = xp.asarray(xp.nan if x.dtype.kind == "f" else 0, dtype=x.dtype)
            return self.out
        k = (flat.size - 1) // 2
        self.out = xp.asarray(xp.partition(flat, k)[k], dtype=x.dtype)
        return self.out

    def backward(self, g):
        xp = self.xp
        x, out = self.x, self.out
        mask = (x == out) | (xp.isnan(x) & xp.isnan(out))
        count = mask.sum()
        return (xp.where(mask, g / _bi.max(int(count), 1), 0).astype(g.dtype, copy=False),)


def _kth(input, dim, keepdim, fname, rt_cls, k=None, nan_mode=None):
    x = tensor_input(input)
    _no_bool(x, fname, KittyNotImplementedError, f"\"{fname}_cpu\" not implemented for 'Bool'")
    axis = normalize_dim(_int_dim(dim, fname), x._data.ndim)
    if x._data.ndim == 0:
        if k is not None and k != 1:
            raise KittyRuntimeError(f"{fname}(): selected number k out of range for dimension 0")
        return _on_1d(x, lambda y: rt_cls(*KthValue.apply(y, axis=0, keepdim=keepdim, k=k, nan_mode=nan_mode)))
    _nonempty_dim(x, axis, fname)  # torch checks this first (IndexError)
    n = x._data.shape[axis]
    if k is not None and not 1 <= k <= n:
        raise KittyRuntimeError(f"{fname}(): selected number k out of range for dimension {axis}")
    return rt_cls(*KthValue.apply(x, axis=axis, keepdim=keepdim, k=k, nan_mode=nan_mode))


def median(input, dim=None, keepdim: bool = False):
    """The lower median of all elements (ties share the gradient), or ``(values, indices)`` along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.median(kitty.tensor([3., 1., 2., 4.]))
    tensor(2.)
    """
    if dim is None:
        x = tensor_input(input)
        _no_bool(x, "median", KittyNotImplementedError, "\"median_cpu\" not implemented for 'Bool'")
        return MedianAll.apply(x)
    # (torch records median along a dim as its overload 1, by its own node; kittygrad's is kthvalue's)
    return torch_named(_kth(input, dim, keepdim, "median", RT.median, nan_mode="median"), "MedianBackward1")


def nanmedian(input, dim=None, keepdim: bool = False):
    """``median`` ignoring NaN values.

    >>> import kittygrad as kitty
    >>> kitty.nanmedian(kitty.tensor([3., float('nan'), 1.]))
    tensor(1.)
    """
    if dim is None:
        x = tensor_input(input)
        _no_bool(x, "nanmedian", KittyNotImplementedError, "\"median_cpu\" not implemented for 'Bool'")
        return torch_named(MedianAll.apply(x, ignore_nan=True), "NanmedianBackward0")
    return torch_named(_kth(input, dim, keepdim, "nanmedian", RT.nanmedian, nan_mode="nanmedian"), "NanmedianBackward1")


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """The k-th smallest element along ``dim`` (1-based) and its index.

    >>> import kittygrad as kitty
    >>> kitty.kthvalue(kitty.tensor([3., 1., 2.]), 2).values
    tensor(2.)
    """
    return _kth(input, dim, keepdim, "kthvalue", RT.kthvalue, k=k)


def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """Sorted values along ``dim`` and the indices that sort it (always a stable sort).

    >>> import kittygrad as kitty
    >>> kitty.sort(kitty.tensor([3., 1., 2.])).indices
    tensor([1, 2, 0])
    """
    x = tensor_input(input)
    axis = normalize_dim(_int_dim(dim, "sort"), x._data.ndim)
    if x._data.ndim == 0:
        return _on_1d(x, lambda y: RT.sort(*Sort.apply(y, axis=0, descending=descending)))
    return RT.sort(*Sort.apply(x, axis=axis, descending=descending))


def msort(input):
    """Values sorted along the first dim.

    >>> import kittygrad as kitty
    >>> kitty.msort(kitty.tensor([3., 1., 2.]))
    tensor([1., 2., 3.])
    """
    return sort(input, 0).values


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """Indices that sort ``input`` along ``dim`` (stable).

    >>> import kittygrad as kitty
    >>> kitty.argsort(kitty.tensor([3., 1., 2.]), descending=True)
    tensor([0, 2, 1])
    """
    x = tensor_input(input)._data
    axis = normalize_dim(_int_dim(dim, "argsort"), x.ndim)
    if x.ndim == 0:
        return _wrap(B.xp.zeros((), B.NP_DTYPES["int64"]))
    return _wrap(_stable_argsort(x, axis, descending).astype(B.NP_DTYPES["int64"], copy=False))


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices.

    >>> import kittygrad as kitty
    >>> kitty.topk(kitty.tensor([1., 3., 2.]), 2).values
    tensor([3., 2.])
    """
    x = tensor_input(input)
    _no_bool(x, "topk", message="topk does not support bool dtypes on CPU")
    axis = normalize_dim(_int_dim(dim, "topk"), x._data.ndim)
    n = x._data.shape[axis] if x._data.ndim else 1
    if not 0 <= k <= n:
        raise KittyRuntimeError("selected index k out of range")
    if x._data.ndim == 0:
        return _on_1d(x, lambda y: RT.topk(*Topk.apply(y, k=k, axis=0, largest=largest)))
    return RT.topk(*Topk.apply(x, k=k, axis=axis, largest=largest))


def unique(input, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):  # noqa: A002
    """The distinct values (sorted), optionally with the inverse map and counts; not differentiable.

    >>> import kittygrad as kitty
    >>> kitty.unique(kitty.tensor([3, 1, 3, 2]))
    tensor([1, 2, 3])
    """
    x = tensor_input(input)._data
    axis = None if dim is None else normalize_dim(dim, x.ndim)
    # each NaN is its own value, as torch (NumPy merges them by default)
    values, inverse, counts = B.xp.unique(x, return_inverse=True, return_counts=True, axis=axis, equal_nan=False)
    i64 = B.NP_DTYPES["int64"]
    inverse = inverse.reshape(x.shape if axis is None else (x.shape[axis],)).astype(i64, copy=False)
    out = [_wrap(values)]
    if return_inverse:
        out.append(_wrap(inverse))
    if return_counts:
        out.append(_wrap(counts.astype(i64, copy=False)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """Collapse runs of equal consecutive values (of the flattened tensor, or slices along ``dim``).

    >>> import kittygrad as kitty
    >>> kitty.unique_consecutive(kitty.tensor([1, 1, 2, 2, 1]))
    tensor([1, 2, 1])
    """
    xp = B.xp
    x = tensor_input(input)._data
    i64 = B.NP_DTYPES["int64"]
    if dim is None:
        flat = x.reshape(-1)
        change = flat[1:] != flat[:-1]
        shape = x.shape
    else:
        axis = normalize_dim(dim, x.ndim)
        flat = xp.moveaxis(x, axis, 0)
        change = (flat[1:] != flat[:-1]).reshape(_bi.max(flat.shape[0] - 1, 0), -1).any(axis=1)
        shape = (x.shape[axis],)
    n = flat.shape[0]
    starts = xp.concatenate([xp.zeros(_bi.min(n, 1), bool), change]) if n else xp.zeros(0, bool)
    if n:
        starts[0] = True
    first = xp.nonzero(starts)[0]
    values = flat[first] if dim is None else xp.moveaxis(flat[first], 0, axis)
    out = [_wrap(values)]
    if return_inverse:
        out.append(_wrap((xp.cumsum(starts) - 1).astype(i64).reshape(shape)))
    if return_counts:
        out.append(_wrap(xp.diff(xp.append(first, n)).astype(i64)))
    return out[0] if len(out) == 1 else tuple(out)
