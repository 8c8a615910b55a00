"""More reductions: prod, max/min (full, per dim, amax/amin), arg-reductions, logsumexp,
cumulative ops, median/kthvalue, sort/topk, all/any, unique, nan-aware sums.

Full ``max``/``min``/``amax``/``amin``/``median`` spread the gradient evenly over tied elements;
the per-dim forms that return indices send it to the selected index only, as torch does.
"""
from __future__ import annotations

import builtins as _bi

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.function import Op
from ..errors import KittyIndexError, KittyRuntimeError, KittyTypeError
from . import _return_types as RT
from ._prep import KittyNotImplementedError, along_index, bundle, cast, dtype_name, normalize_dim, normalize_dims, tensor_input
from .reduce import _expand_back, _reduction_input


def _wrap(arr):
    return F.Tensor._wrap(B.xp.asarray(arr))


def _int_dim(dim, fname):
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise KittyTypeError(f"{fname}(): argument 'dim' must be int, not {type(dim).__name__}")
    return dim


def _nonempty_dim(x, axis, fname):
    if x._data.ndim and x._data.shape[axis] == 0:
        raise KittyIndexError(f"{fname}(): Expected reduction dim {axis} to have non-zero size.")


def _nonempty(x, fname):
    if x._data.size == 0:
        raise KittyRuntimeError(
            f"{fname}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
            "reduction dim with the 'dim' argument."
        )


# ---------------------------------------------------------------------------------------------
# primitives


class Prod(Op):
    """Product over one axis (or all); the gradient is exact also where inputs are zero."""

    saved_inputs = (0,)
    saves_output = True

    def forward(self, x, axis=None, keepdim=False):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        self.out = B.xp.asarray(x.prod(axis=axis, keepdims=keepdim))
        return self.out

    def backward(self, g):
        xp = self.xp
        x, axis = self.x, self.axis
        axes = None if axis is None else (axis,)
        g = _expand_back(g, x.shape, axes, self.keepdim)
        zero = x == 0
        if not zero.any():
            return (g * _expand_back(self.out, x.shape, axes, self.keepdim) / x,)
        safe = xp.where(zero, 1, x)
        nonzero_prod = safe.prod(axis=axis, keepdims=True)
        count = zero.sum(axis=axis, keepdims=True)
        others = xp.where(zero, xp.where(count == 1, nonzero_prod, 0), xp.where(count == 0, nonzero_prod / safe, 0))
        return (g * others,)

    def _graph_backward(self, grads):
        """Double backward: the product of the *other* entries as exclusive cumulative products,
        which stay functions of every input also at zeros (the masked formula above would turn
        them into constants there)."""
        from .._graph_array import GraphArray
        from .joining import cat, flip

        x = self._graph_saved()["x"].t
        flat = x.reshape(-1) if self.axis is None else x
        axis = 0 if self.axis is None else self.axis
        n = flat.shape[axis]
        ones = flat.narrow(axis, 0, 1) * 0 + 1

        def exclusive(t):
            return cat([ones, cumprod(t, axis).narrow(axis, 0, n - 1)], axis) if n > 1 else ones

        others = exclusive(flat) * flip(exclusive(flip(flat, (axis,))), (axis,))
        g = grads[0]
        if g is None:
            return (None,)
        axes = None if self.axis is None else (self.axis,)
        g = _expand_back(g, x.shape, axes, self.keepdim)
        return (GraphArray(g.t * others.reshape(x.shape)),)


class Amax(Op):
    """Max over axes; tied maxima share the gradient evenly. The mask compares x with the
    output, which is one of x's elements, so ties are exact. A NaN result gives the slice a NaN
    gradient, as torch's amax (no element equals it)."""

    saved_inputs = (0,)
    saves_output = True
    _reduce = "max"

    def forward(self, x, axes=None, keepdim=False):
        self.x, self.axes, self.keepdim = x, axes, keepdim
        self.out = B.xp.asarray(getattr(x, self._reduce)(axis=axes, keepdims=keepdim))
        return self.out

    def backward(self, g):
        x, axes, keepdim = self.x, self.axes, self.keepdim
        out = _expand_back(self.out, x.shape, axes, keepdim)
        mask = x == out
        count = mask.sum(axis=axes, keepdims=True)
        with B.errstate(invalid="ignore", divide="ignore"):  # (a NaN result: 0 / 0)
            return (_expand_back(g, x.shape, axes, keepdim) * mask / count,)


class Amin(Amax):
    _reduce = "min"


class MaxAll(Amax):
    """``max()`` of all elements: as torch, the NaNs of a NaN result share its gradient, and the
    share is selected (no 0 * inf at the other elements)."""

    _name = "MaxBackward1"

    def backward(self, g):
        xp = self.xp
        x, out = self.x, self.out
        mask = (x == out) | (xp.isnan(x) & xp.isnan(out)) if x.dtype.kind == "f" else x == out
        return (xp.where(mask, g / mask.sum(), 0).astype(g.dtype, copy=False),)


class MinAll(MaxAll):
    _name = "MinBackward1"
    _reduce = "min"


class _Selecting(Op):
    """Values that are elements of x picked along an axis by integer indices; the gradient goes
    back to those positions (accumulated when an index repeats)."""

    _unique = True

    def _pick(self, x, idx, axis, keepdim=True):
        xp = self.xp
        self.in_shape, self.idx, self.axis, self.keepdim = x.shape, idx, axis, keepdim
        vals = xp.take_along_axis(x, idx, axis)
        if not keepdim:
            vals, idx = xp.squeeze(vals, axis), xp.squeeze(idx, axis)
        # a copy: backward reads self.idx, and the user may change the indices output in place
        return vals, idx.astype(B.NP_DTYPES["int64"])

    def backward(self, g, g_idx=None):
        xp = self.xp
        if not self.keepdim:
            g = xp.expand_dims(g, self.axis)
        gx = xp.zeros_like(g, shape=self.in_shape)  # a GraphArray too when g is one
        if self._unique:
            xp.put_along_axis(gx, self.idx, g, self.axis)
        else:
            gx = B.index_add(gx, along_index(self.idx, self.axis), g)
        return (gx,)


class MaxDim(_Selecting):
    """``max(dim)``: the first maximum along the axis and its index (NaN counts as largest)."""

    _name = "MaxBackward0"
    _arg, _reduce = "argmax", "max"

    def forward(self, x, axis=0, keepdim=False):
        xp = self.xp
        idx = getattr(xp, self._arg)(x, axis=axis, keepdims=True)
        self.in_shape, self.idx, self.axis, self.keepdim = x.shape, idx, axis, keepdim
        vals = xp.asarray(getattr(x, self._reduce)(axis=axis, keepdims=keepdim))
        # a copy: backward reads self.idx, and the user may change the indices output in place
        return vals, (idx if keepdim else xp.squeeze(idx, axis)).astype(B.NP_DTYPES["int64"])


class MinDim(MaxDim):
    _name = "MinBackward0"
    _arg, _reduce = "argmin", "min"


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
        idx = _stable_argsort(x, axis, descending=largest)
        idx = self.xp.take(idx, self.xp.arange(k), axis=axis)
        return self._pick(x, idx, axis)


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


class Cummax(_Selecting):
    """Running max and the index where it was (last) reached; a NaN wins and then stays."""

    _unique = False
    _op = "max"

    def forward(self, x, axis=0):
        xp = self.xp
        run = (xp.maximum if self._op == "max" else xp.minimum).accumulate(x, axis=axis)
        # x_i equal to the running value at i means x_i reached it (ties move the index, as torch)
        reached = x == run
        if x.dtype.kind == "f":
            reached |= xp.isnan(x)
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        pos = xp.arange(x.shape[axis]).reshape(shape)
        idx = xp.maximum.accumulate(xp.where(reached, pos, 0), axis=axis)
        return self._pick(x, idx, axis)


class Cummin(Cummax):
    _op = "min"


class MedianAll(Op):
    """The lower median of all elements (NaN if any is NaN); ties share the gradient evenly."""

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


class Logsumexp(Op):
    saved_inputs = (0,)
    saves_output = True

    def forward(self, x, axes=None, keepdim=False):
        xp = self.xp
        self.x, self.axes, self.keepdim = x, axes, keepdim
        if x.size == 0:
            self.out = xp.asarray(xp.full(xp.sum(x, axis=axes, keepdims=keepdim).shape, -xp.inf, x.dtype))
            return self.out
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        with B.errstate(divide="ignore"):
            s = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        self.out = xp.asarray(s if keepdim else s.reshape(xp.sum(x, axis=axes).shape), dtype=x.dtype)
        return self.out

    def backward(self, g):
        x, axes, keepdim = self.x, self.axes, self.keepdim
        out = _expand_back(self.out, x.shape, axes, keepdim)
        with B.errstate(invalid="ignore"):
            return (_expand_back(g, x.shape, axes, keepdim) * self.xp.exp(x - out),)


class Cumsum(Op):
    def forward(self, x, axis=0):
        self.axis = axis
        return self.xp.cumsum(x, axis=axis)

    def backward(self, g):
        xp = self.xp
        a = self.axis
        return (xp.flip(xp.cumsum(xp.flip(g, a), axis=a), a),)


class Cumprod(Op):
    saved_inputs = (0,)
    saves_output = True

    def forward(self, x, axis=0):
        self.x, self.axis = x, axis
        self.out = self.xp.cumprod(x, axis=axis)
        return self.out

    def backward(self, g):
        xp = self.xp
        x, out, a = self.x, self.out, self.axis
        if not (x == 0).any():
            return (xp.flip(xp.cumsum(xp.flip(g * out, a), axis=a), a) / x,)
        # exact with zeros: d out_j / d x_i = prod_{k<i} x_k * prod_{i<k<=j} x_k for j >= i
        xm, gm, om = xp.moveaxis(x, a, -1), xp.moveaxis(g, a, -1), xp.moveaxis(out, a, -1)
        gx = xp.zeros_like(g, shape=xm.shape)
        n = xm.shape[-1]
        for i in range(n):
            before = om[..., i - 1] if i else 1
            after = xp.cumprod(xm[..., i + 1 :], axis=-1)
            gx[..., i] = before * (gm[..., i] + (gm[..., i + 1 :] * after).sum(axis=-1))
        return (xp.moveaxis(gx, -1, a),)


class NanSum(Op):
    saved_inputs = (0,)

    def forward(self, x, axes=None, keepdim=False):
        self.x, self.axes, self.keepdim = x, axes, keepdim
        return self.xp.asarray(self.xp.nansum(x, axis=axes, keepdims=keepdim), dtype=x.dtype)

    def backward(self, g):
        x = self.x
        return (_expand_back(g, x.shape, self.axes, self.keepdim) * ~self.xp.isnan(x),)


class NanMean(NanSum):
    def forward(self, x, axes=None, keepdim=False):
        xp = self.xp
        self.x, self.axes, self.keepdim = x, axes, keepdim
        self.count = (~xp.isnan(x)).sum(axis=axes, keepdims=True)
        with B.errstate(invalid="ignore", divide="ignore"):
            s = xp.nansum(x, axis=axes, keepdims=True) / self.count
        return xp.asarray(s if keepdim else s.reshape(xp.sum(x, axis=axes).shape), dtype=x.dtype)

    def backward(self, g):
        (gx,) = NanSum.backward(self, g)
        with B.errstate(invalid="ignore", divide="ignore"):
            return (gx / self.count,)


# ---------------------------------------------------------------------------------------------
# public functions


def _on_1d(x, fn):
    """Run a per-dim op on a 0-d tensor as on shape (1,), giving 0-d results back, as torch."""
    out = fn(x.reshape(1))
    if isinstance(out, tuple):
        return type(out)(*(o.reshape(()) for o in out))
    return out.reshape(())


def prod(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Product of all elements, or over the int ``dim``; exact gradients also at zeros.

    >>> import kittygrad as kitty
    >>> kitty.prod(kitty.tensor([[1., 2.], [3., 4.]]), 1)
    tensor([ 2., 12.])
    """
    x = _reduction_input(tensor_input(input), dtype)
    if dim is None:
        return Prod.apply(x)
    axis = normalize_dim(_int_dim(dim, "prod"), x._data.ndim)
    return Prod.apply(x, axis=axis if x._data.ndim else None, keepdim=keepdim)


def _max_min(input, dim, keepdim, other_fn, full_cls, dim_cls, rt_cls, fname):
    x = tensor_input(input)
    if isinstance(dim, F.Tensor):
        return other_fn(x, dim)
    if dim is None:
        _nonempty(x, fname)
        return full_cls.apply(x)
    axis = normalize_dim(_int_dim(dim, fname), x._data.ndim)
    if x._data.ndim == 0:
        return _on_1d(x, lambda y: rt_cls(*dim_cls.apply(y, axis=0, keepdim=keepdim)))
    _nonempty_dim(x, axis, fname)
    return rt_cls(*dim_cls.apply(x, axis=axis, keepdim=keepdim))


def max(input, dim=None, keepdim: bool = False):  # noqa: A001 - torch's name
    """The maximum of all elements; with ``dim``, ``(values, indices)`` along it; with a tensor,
    the elementwise ``maximum``.

    >>> import kittygrad as kitty
    >>> kitty.max(kitty.tensor([[1., 5.], [4., 2.]]), dim=1)
    kittygrad.return_types.max(
    values=tensor([5., 4.]),
    indices=tensor([1, 0]))
    """
    from .more_elementwise import maximum

    return _max_min(input, dim, keepdim, maximum, MaxAll, MaxDim, RT.max, "max")


def min(input, dim=None, keepdim: bool = False):  # noqa: A001
    """The minimum of all elements; with ``dim``, ``(values, indices)``; with a tensor, ``minimum``.

    >>> import kittygrad as kitty
    >>> kitty.min(kitty.tensor([3., 1., 2.]))
    tensor(1.)
    """
    from .more_elementwise import minimum

    return _max_min(input, dim, keepdim, minimum, MinAll, MinDim, RT.min, "min")


def _amax_amin(cls, input, dim, keepdim, fname):
    x = tensor_input(input)
    axes = normalize_dims(dim, x._data.ndim)
    if axes is None:
        _nonempty(x, fname)
    else:
        for a in axes:
            _nonempty_dim(x, a, fname)
    return cls.apply(x, axes=axes, keepdim=keepdim)


def amax(input, dim=(), keepdim: bool = False):
    """The maximum over ``dim`` (an int or tuple; all dims by default); ties share the gradient.

    >>> import kittygrad as kitty
    >>> kitty.amax(kitty.tensor([[1., 5.], [4., 2.]]), dim=0)
    tensor([4., 5.])
    """
    return _amax_amin(Amax, input, dim, keepdim, "amax")


def amin(input, dim=(), keepdim: bool = False):
    """The minimum over ``dim``; ties share the gradient.

    >>> import kittygrad as kitty
    >>> kitty.amin(kitty.tensor([[1., 5.], [4., 2.]]), dim=0)
    tensor([1., 2.])
    """
    return _amax_amin(Amin, input, dim, keepdim, "amin")


def aminmax(input, *, dim=None, keepdim: bool = False):
    """``(min, max)`` over ``dim`` (or all elements) as a named tuple.

    >>> import kittygrad as kitty
    >>> kitty.aminmax(kitty.tensor([3, 1, 2]))
    kittygrad.return_types.aminmax(
    min=tensor(1),
    max=tensor(3))
    """
    dims = () if dim is None else _int_dim(dim, "aminmax")
    return RT.aminmax(*bundle(amin(input, dims, keepdim), amax(input, dims, keepdim), name="Aminmax"))


def _no_bool(x, fname, kind=KittyRuntimeError, message=None):
    if x._data.dtype.kind == "b":
        raise kind(message or f"{fname}(): does not support bool input")


def _arg(input, dim, keepdim, fn, fname):
    x = tensor_input(input)
    _no_bool(x, fname)
    x = x._data
    if dim is None:
        if x.size == 0:
            raise KittyIndexError(f"{fname}(): Expected reduction dim to be specified for input.numel() == 0.")
        out = fn(x.reshape(-1))
        if keepdim:
            out = B.xp.reshape(out, (1,) * x.ndim)
        return _wrap(B.xp.asarray(out, dtype=B.NP_DTYPES["int64"]))
    axis = normalize_dim(_int_dim(dim, fname), x.ndim)
    if x.ndim == 0:
        return _wrap(B.xp.zeros((), B.NP_DTYPES["int64"]))
    if x.shape[axis] == 0:
        raise KittyIndexError(f"{fname}(): Expected reduction dim {axis} to have non-zero size.")
    return _wrap(fn(x, axis=axis, keepdims=keepdim).astype(B.NP_DTYPES["int64"], copy=False))


def argmax(input, dim=None, keepdim: bool = False):
    """Index of the (first) maximum, of the flattened tensor or along ``dim``; not differentiable.

    >>> import kittygrad as kitty
    >>> kitty.argmax(kitty.tensor([[1., 5.], [4., 2.]]), dim=1)
    tensor([1, 0])
    """
    return _arg(input, dim, keepdim, B.xp.argmax, "argmax")


def argmin(input, dim=None, keepdim: bool = False):
    """Index of the (first) minimum.

    >>> import kittygrad as kitty
    >>> kitty.argmin(kitty.tensor([3., 1., 2.]))
    tensor(1)
    """
    return _arg(input, dim, keepdim, B.xp.argmin, "argmin")


def logsumexp(input, dim, keepdim: bool = False):
    """log(sum(exp(x))) over ``dim``, computed without overflow.

    >>> import kittygrad as kitty
    >>> kitty.logsumexp(kitty.tensor([0., 0.]), dim=0)
    tensor(0.6931)
    """
    x = tensor_input(input)
    if x._data.dtype.kind != "f":
        x = cast(x, D.get_default_dtype())
    axes = normalize_dims(dim, x._data.ndim)
    return Logsumexp.apply(x, axes=axes, keepdim=keepdim)


def _cumulative(cls, input, dim, dtype, fname):
    x = tensor_input(input)
    dim = _int_dim(dim, fname)
    if dtype is not None:
        x = cast(x, D.to_dtype(dtype))
    elif x._data.dtype.kind in "biu":
        x = cast(x, D.int64)
    axis = normalize_dim(dim, x._data.ndim)
    if x._data.ndim == 0:
        return _on_1d(x, lambda y: cls.apply(y, axis=0))
    return cls.apply(x, axis=axis)


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim`` (ints and bools accumulate as int64).

    >>> import kittygrad as kitty
    >>> kitty.cumsum(kitty.tensor([1, 2, 3]), 0)
    tensor([1, 3, 6])
    """
    return _cumulative(Cumsum, input, dim, dtype, "cumsum")


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim``; exact gradients also at zeros.

    >>> import kittygrad as kitty
    >>> kitty.cumprod(kitty.tensor([1., 2., 3.]), 0)
    tensor([1., 2., 6.])
    """
    return _cumulative(Cumprod, input, dim, dtype, "cumprod")


def _cum_select(cls, rt_cls, input, dim, fname):
    x = tensor_input(input)
    axis = normalize_dim(_int_dim(dim, fname), x._data.ndim)
    if x._data.ndim == 0:
        return _on_1d(x, lambda y: rt_cls(*cls.apply(y, axis=0)))
    return rt_cls(*cls.apply(x, axis=axis))


def cummax(input, dim):
    """Running maximum along ``dim`` and the index where it was attained.

    >>> import kittygrad as kitty
    >>> kitty.cummax(kitty.tensor([1., 3., 2.]), 0).values
    tensor([1., 3., 3.])
    """
    return _cum_select(Cummax, RT.cummax, input, dim, "cummax")


def cummin(input, dim):
    """Running minimum along ``dim`` and its index.

    >>> import kittygrad as kitty
    >>> kitty.cummin(kitty.tensor([3., 1., 2.]), 0).values
    tensor([3., 1., 1.])
    """
    return _cum_select(Cummin, RT.cummin, input, dim, "cummin")


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
    return _kth(input, dim, keepdim, "median", RT.median, nan_mode="median")


def nanmedian(input, dim=None, keepdim: bool = False):
    """``median`` ignoring NaN values.

    >>> import kittygrad as kitty
    >>> kitty.nanmedian(kitty.tensor([3., float('nan'), 1.]))
    tensor(1.)
    """
    if dim is None:
        x = tensor_input(input)
        _no_bool(x, "nanmedian", KittyNotImplementedError, "\"median_cpu\" not implemented for 'Bool'")
        return MedianAll.apply(x, ignore_nan=True)
    return _kth(input, dim, keepdim, "nanmedian", RT.nanmedian, nan_mode="nanmedian")


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


def _bool_reduce(input, dim, keepdim, fn, fname):
    x = tensor_input(input)._data
    axes = normalize_dims(dim, x.ndim)
    out = fn(x, axis=axes, keepdims=keepdim)
    if x.dtype == B.NP_DTYPES["uint8"]:
        return _wrap(B.xp.asarray(out, dtype=x.dtype))
    return _wrap(B.xp.asarray(out, dtype=bool))


def all(input, dim=None, keepdim: bool = False):  # noqa: A001
    """True if every element (over ``dim``) is nonzero (uint8 inputs give uint8, as torch).

    >>> import kittygrad as kitty
    >>> kitty.all(kitty.tensor([[True, False], [True, True]]), dim=1)
    tensor([False,  True])
    """
    return _bool_reduce(input, dim, keepdim, B.xp.all, "all")


def any(input, dim=None, keepdim: bool = False):  # noqa: A001
    """True if some element (over ``dim``) is nonzero.

    >>> import kittygrad as kitty
    >>> kitty.any(kitty.tensor([0., 2.]))
    tensor(True)
    """
    return _bool_reduce(input, dim, keepdim, B.xp.any, "any")


def count_nonzero(input, dim=None):
    """The number of nonzero elements (over ``dim``), as int64.

    >>> import kittygrad as kitty
    >>> kitty.count_nonzero(kitty.tensor([[0, 1], [2, 3]]), dim=0)
    tensor([1, 2])
    """
    x = tensor_input(input)._data
    axes = normalize_dims(dim, x.ndim)
    return _wrap(B.xp.asarray(B.xp.count_nonzero(x, axis=axes), dtype=B.NP_DTYPES["int64"]))


def nansum(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Sum treating NaN as zero.

    >>> import kittygrad as kitty
    >>> kitty.nansum(kitty.tensor([1., float('nan'), 2.]))
    tensor(3.)
    """
    x = _reduction_input(tensor_input(input), dtype)
    return NanSum.apply(x, axes=normalize_dims(dim, x._data.ndim), keepdim=keepdim)


def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Mean of the non-NaN elements.

    >>> import kittygrad as kitty
    >>> kitty.nanmean(kitty.tensor([1., float('nan'), 2.]))
    tensor(1.5000)
    """
    x = tensor_input(input)
    if dtype is not None:
        x = cast(x, D.to_dtype(dtype))
    if x._data.dtype.kind != "f":
        raise KittyRuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {dtype_name(x)}"
        )
    return NanMean.apply(x, axes=normalize_dims(dim, x._data.ndim), keepdim=keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(var, mean)`` over ``dim`` in one call.

    >>> import kittygrad as kitty
    >>> kitty.var_mean(kitty.tensor([1., 2., 3.]))
    (tensor(1.), tensor(2.))
    """
    from .reduce import _var_args, Mean, Var

    x, axes, corr, keepdim = _var_args(tensor_input(input), dim, unbiased, keepdim, correction)
    return bundle(Var.apply(x, axes, corr, keepdim), Mean.apply(x, axes, keepdim), name="VarMean")


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(std, mean)`` over ``dim`` in one call.

    >>> import kittygrad as kitty
    >>> kitty.std_mean(kitty.tensor([1., 2., 3.]))
    (tensor(1.), tensor(2.))
    """
    from .reduce import _var_args, Mean, Std

    x, axes, corr, keepdim = _var_args(tensor_input(input), dim, unbiased, keepdim, correction)
    return bundle(Std.apply(x, axes, corr, keepdim), Mean.apply(x, axes, keepdim), name="StdMean")


def unique(input, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False, dim=None):  # noqa: A002
    """The distinct values (sorted), optionally with the inverse map and counts; not differentiable.

    >>> import kittygrad as kitty
    >>> kitty.unique(kitty.tensor([3, 1, 3, 2]))
    tensor([1, 2, 3])
    """
    x = tensor_input(input)._data
    axis = None if dim is None else normalize_dim(dim, x.ndim)
    values, inverse, counts = B.xp.unique(x, return_inverse=True, return_counts=True, axis=axis)
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
