"""Reductions: ``sum``, ``mean``, ``prod``, ``var``/``std``, ``max``/``min``, ``logsumexp``, cumulative
ops."""
from __future__ import annotations

import builtins
import math
import warnings

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.function import Op
from ..autograd.graph_array import GraphArray, add_at
from ..errors import KittyIndexError, KittyRuntimeError, KittyTypeError, user_stacklevel
from . import _kernels as _k
from . import _return_types as RT
from ._prep import (
    accumulating, along_index, bundle, cast, dtype_name, index_int, normalize_dim, normalize_dims, scaled_own,
    tensor_input, times_grad, torch_named,
)
from .comparison import maximum, minimum
from .joining import cat, flip


def _wrap(arr):
    return F.Tensor._wrap(arr)  # (which makes NumPy scalars arrays)


def _int_dim(dim, fname):
    if type(dim) is int:
        return dim
    as_int = index_int(dim)
    if as_int is None:
        raise KittyTypeError(f"{fname}(): argument 'dim' must be int, not {type(dim).__name__}")
    return as_int


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

    saved_fields = ("axis", "keepdim", "out", "x")
    saved_inputs = (0,)
    saves_output = True

    def _torch_overload(self) -> str:
        # torch: ProdBackward0 over every element, ProdBackward1 along a dim (unknown once freed: 0)
        return "1" if getattr(self, "axis", None) is not None else "0"

    def forward(self, x, axis=None, keepdim=False):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        # (NumPy's prod warns of an overflow from its own module, where kittygrad's filter of such
        # warnings does not reach: torch's inf comes without a word)
        with B.errstate(over="ignore", invalid="ignore"):
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

    saved_fields = ("axes", "keepdim", "out", "x")
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
        x, axes, keepdim = self.x, self.axes, self.keepdim
        # (axes: under vmap the reduction keeps the batch dim, and each sample shares its own max)
        out = _expand_back(self.out, x.shape, axes, keepdim)
        mask = (x == out) | (xp.isnan(x) & xp.isnan(out)) if x.dtype.kind == "f" else x == out
        share = _expand_back(g, x.shape, axes, keepdim) / mask.sum(axis=axes, keepdims=axes is not None)
        return (xp.where(mask, share, 0).astype(g.dtype, copy=False),)


class MinAll(MaxAll):
    _name = "MinBackward1"
    _reduce = "min"


class _Selecting(Op):
    """Values that are elements of x picked along an axis by integer indices; the gradient goes
    back to those positions (accumulated when an index repeats)."""

    saved_fields = ("axis", "idx", "in_shape", "keepdim")
    _unique = True

    def _pick(self, x, idx, axis, keepdim=True):
        xp = self.xp
        self.in_shape, self.idx, self.axis, self.keepdim = x.shape, idx, axis, keepdim
        vals = _k.take_along(x, idx, axis)
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
            gx = add_at(gx, along_index(self.idx, self.axis), g)
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


class Cummax(_Selecting):
    """Running max and the index where it was (last) reached; a NaN wins and then stays."""

    _unique = False
    _op = "max"

    def forward(self, x, axis=0):
        xp = self.xp
        run = _k.running(xp.maximum if self._op == "max" else xp.minimum, x, axis)
        # x_i equal to the running value at i means x_i reached it (ties move the index, as torch)
        reached = x == run
        if x.dtype.kind == "f":
            reached |= xp.isnan(x)
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        pos = xp.arange(x.shape[axis]).reshape(shape)
        idx = _k.running(xp.maximum, xp.where(reached, pos, 0), axis)
        return self._pick(x, idx, axis)

    def backward(self, g, g_idx=None):
        # Each output's gradient goes to the position its index names, summed in order as torch's
        # scatter_add (the same bits); through one flat index, which takes NumPy's fast path of
        # add.at (a tuple of index arrays along the axis took 6x torch's time)
        xp = self.xp
        if type(g) is not B.ndarray or g.size == 0:
            return super().backward(g, g_idx)
        n = g.shape[self.axis]
        rows_g = xp.ascontiguousarray(xp.moveaxis(g, self.axis, -1))
        rows_idx = xp.moveaxis(self.idx, self.axis, -1)
        target = rows_idx + xp.arange(0, rows_idx.size, n).reshape(rows_idx.shape[:-1] + (1,))
        gx = xp.zeros(rows_g.shape, g.dtype)
        B.index_add(gx.reshape(-1), target.reshape(-1), rows_g.reshape(-1))
        return (xp.moveaxis(gx, -1, self.axis),)


class Cummin(Cummax):
    _op = "min"


def _without_axes(kept, axes):
    """A keepdims reduction's result without its reduced axes (``axes`` as normalize_dims gives
    them: None for all), read off the shape rather than by reducing the input once more."""
    if axes is None:
        return kept.reshape(())
    return kept.reshape(tuple(d for i, d in enumerate(kept.shape) if i not in axes))


class Logsumexp(Op):
    saved_fields = ("axes", "keepdim", "out", "x")
    saved_inputs = (0,)
    saves_output = True

    def forward(self, x, axes=None, keepdim=False):
        xp = self.xp
        self.x, self.axes, self.keepdim = x, axes, keepdim
        if x.size == 0:
            self.out = xp.asarray(xp.full(xp.sum(x, axis=axes, keepdims=keepdim).shape, -xp.inf, x.dtype))
            return self.out
        m = x.max(axis=axes, keepdims=True, initial=-xp.inf)  # (initial: NumPy's faster loop, 1.4-1.7x)
        m = xp.where(xp.isfinite(m), m, 0)
        with B.errstate(divide="ignore"):
            shifted = x - m
            exps = xp.exp(shifted, out=shifted if type(shifted) is B.ndarray and shifted.ndim else None)
            total = _k.sum_last(exps) if axes == (x.ndim - 1,) else exps.sum(axis=axes, keepdims=True)
            s = xp.log(total) + m
        self.out = xp.asarray(s if keepdim else _without_axes(s, axes), dtype=x.dtype)
        return self.out

    def backward(self, g):
        x, axes, keepdim = self.x, self.axes, self.keepdim
        out = _expand_back(self.out, x.shape, axes, keepdim)
        with B.errstate(invalid="ignore"):
            weights = x - out
            if type(weights) is B.ndarray and weights.ndim:  # fresh: exp and scale in place
                self.xp.exp(weights, out=weights)
                weights *= _expand_back(g, x.shape, axes, keepdim)
                return (weights,)
            return (_expand_back(g, x.shape, axes, keepdim) * self.xp.exp(x - out),)


class Cumsum(Op):
    saved_fields = ("axis",)

    def forward(self, x, axis=0):
        self.axis = axis
        return _running_sum(x, axis)

    def backward(self, g):
        a = self.axis
        return (self.xp.flip(_running_sum(self.xp.flip(g, a), a), a),)


def _running_sum(x, axis: int):
    """``cumsum`` along ``axis``, summed in float64 for narrower floats and rounded back, as torch
    accumulates on CPUs: in float32 a million 0.1s would drift by 1% and 2**25 ones stop at 2**24."""
    if x.dtype.kind == "f" and x.dtype.itemsize < 8 or x.dtype == B.bfloat16:
        return _k.running(B.xp.add, x, axis, dtype=B.xp.float64).astype(x.dtype)
    if x.dtype.kind == "f":
        return _k.running(B.xp.add, x, axis)
    # integers arrive as int64 or as the dtype= asked for, which NumPy must not widen
    return B.xp.cumsum(x, axis=axis, dtype=x.dtype)


class Cumprod(Op):
    saved_fields = ("axis", "out", "x")
    saved_inputs = (0,)
    saves_output = True

    def forward(self, x, axis=0):
        self.x, self.axis = x, axis
        self.out = _k.running(self.xp.multiply, x, axis) if x.dtype.kind == "f" else self.xp.cumprod(x, axis=axis, dtype=x.dtype)
        return self.out

    def backward(self, g):
        xp = self.xp
        x, out, a = self.x, self.out, self.axis
        if x.ndim and x.shape[a] == 1:
            return (g,)  # each output is its input (torch: an infinite input has gradient g, not nan)
        if not (x == 0).any():
            return (xp.flip(_running_sum(xp.flip(g * out, a), a), a) / x,)
        # With zeros (as torch): along each slice let z be the first zero. Before it the formula
        # above holds (its terms past z are out_j = 0). At z, d out_j / d x_z is the product
        # before z times prod_{z<k<=j} x_k, for j up to the next zero; past z every gradient is 0.
        xm, gm, om = xp.moveaxis(x, a, -1), xp.moveaxis(g, a, -1), xp.moveaxis(out, a, -1)
        is_zero = xm == 0
        zeros_so_far = xp.cumsum(is_zero, axis=-1)
        before = zeros_so_far == 0
        # (the terms past z are left out, not multiplied by out_j = 0: an infinite g_j there
        # would make nan, where the true derivative of out_j there is 0)
        gx = xp.flip(xp.cumsum(xp.flip(xp.where(before, gm * om, 0), -1), axis=-1), -1)
        gx = xp.where(before, gx / xp.where(before, xm, 1), 0)
        between = zeros_so_far == 1  # the first zero and what follows it up to the second
        first = is_zero & between
        between &= ~first
        # prod_{z<k<=j} x_k for j between the zeros, then held (torch's masks: an infinite
        # product there still makes the sum nan through the zeroed gradients past it)
        rising = xp.cumprod(xp.where(between, xm, 1), axis=-1)
        reach = (xp.where(between | first, gm, 0) * rising).sum(axis=-1, keepdims=True)
        z = xp.argmax(is_zero, axis=-1)[..., None]
        head = xp.where(z > 0, xp.take_along_axis(om, xp.maximum(z - 1, 0), axis=-1), 1)
        gx = xp.where(first, head * reach, gx).astype(g.dtype, copy=False)
        return (xp.moveaxis(gx, -1, a),)


class NanSum(Op):
    saved_fields = ("axes", "keepdim", "x")
    saved_inputs = (0,)

    def forward(self, x, axes=None, keepdim=False):
        self.x, self.axes, self.keepdim = x, axes, keepdim
        return self.xp.asarray(self.xp.nansum(x, axis=axes, keepdims=keepdim), dtype=x.dtype)

    def backward(self, g):
        x = self.x
        return (_expand_back(g, x.shape, self.axes, self.keepdim) * ~self.xp.isnan(x),)


class NanMean(NanSum):
    saved_fields = ("count",)

    def forward(self, x, axes=None, keepdim=False):
        xp = self.xp
        self.x, self.axes, self.keepdim = x, axes, keepdim
        self.count = (~xp.isnan(x)).sum(axis=axes, keepdims=True)
        with B.errstate(invalid="ignore", divide="ignore"):
            s = xp.nansum(x, axis=axes, keepdims=True) / self.count
        return xp.asarray(s if keepdim else _without_axes(s, axes), dtype=x.dtype)

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
    # (torch's prod over a dim is its second overload)
    return torch_named(Prod.apply(x, axis=axis if x._data.ndim else None, keepdim=keepdim), "ProdBackward1")


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

    return _max_min(input, dim, keepdim, maximum, MaxAll, MaxDim, RT.max, "max")


def min(input, dim=None, keepdim: bool = False):  # noqa: A001
    """The minimum of all elements; with ``dim``, ``(values, indices)``; with a tensor, ``minimum``.

    >>> import kittygrad as kitty
    >>> kitty.min(kitty.tensor([3., 1., 2.]))
    tensor(1.)
    """

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
        return _wrap(out.astype(B.NP_DTYPES["int64"]))
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
    if not B.is_float(x._data.dtype):
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


def _bool_reduce(input, dim, keepdim, fname):
    x = tensor_input(input)._data
    axes = normalize_dims(dim, x.ndim)
    # the array's own method (vmap's stand-in for a batched array has it too: one result per sample)
    out = getattr(x, fname)(axis=axes, keepdims=keepdim)
    if isinstance(out, B.xp.generic):  # NumPy returns a scalar for a full reduction
        out = B.xp.asarray(out)
    return _wrap(out.astype(x.dtype if x.dtype == B.NP_DTYPES["uint8"] else bool, copy=False))


def all(input, dim=None, keepdim: bool = False):  # noqa: A001
    """True if every element (over ``dim``) is nonzero (uint8 inputs give uint8, as torch).

    >>> import kittygrad as kitty
    >>> kitty.all(kitty.tensor([[True, False], [True, True]]), dim=1)
    tensor([False,  True])
    """
    return _bool_reduce(input, dim, keepdim, "all")


def any(input, dim=None, keepdim: bool = False):  # noqa: A001
    """True if some element (over ``dim``) is nonzero.

    >>> import kittygrad as kitty
    >>> kitty.any(kitty.tensor([0., 2.]))
    tensor(True)
    """
    return _bool_reduce(input, dim, keepdim, "any")


def count_nonzero(input, dim=None):
    """The number of nonzero elements (over ``dim``), as int64.

    >>> import kittygrad as kitty
    >>> kitty.count_nonzero(kitty.tensor([[0, 1], [2, 3]]), dim=0)
    tensor([1, 2])
    """
    x = tensor_input(input)._data
    axes = normalize_dims(dim, x.ndim)
    if axes is None:  # (all of them as a tuple: NumPy then counts into an array, not a Python int)
        axes = tuple(range(x.ndim))
    return _wrap(B.xp.count_nonzero(x, axis=axes).astype(B.NP_DTYPES["int64"]))


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
    if not B.is_float(x._data.dtype):
        raise KittyRuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {dtype_name(x)}"
        )
    # (torch's nanmean is a nansum divided by the count of non-NaN elements)
    return NanMean.apply(x, axes=normalize_dims(dim, x._data.ndim), keepdim=keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(var, mean)`` over ``dim`` in one call.

    >>> import kittygrad as kitty
    >>> kitty.var_mean(kitty.tensor([1., 2., 3.]))
    (tensor(1.), tensor(2.))
    """

    x, axes, corr, keepdim = _var_args(tensor_input(input), dim, unbiased, keepdim, correction, "var_mean")
    return bundle(Var.apply(x, axes, corr, keepdim), Mean.apply(x, axes, keepdim), name="VarMean")


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``(std, mean)`` over ``dim`` in one call.

    >>> import kittygrad as kitty
    >>> kitty.std_mean(kitty.tensor([1., 2., 3.]))
    (tensor(1.), tensor(2.))
    """

    x, axes, corr, keepdim = _var_args(tensor_input(input), dim, unbiased, keepdim, correction, "std_mean")
    return bundle(Std.apply(x, axes, corr, keepdim), Mean.apply(x, axes, keepdim), name="StdMean")


def _expand_back(g, in_shape, axes, keepdim):
    """Spread a reduced gradient back over the reduced axes (a read-only view of the input's shape)."""
    if isinstance(g, B.generic):  # (a 0-d array scaled by a number comes back a NumPy scalar)
        g = B.xp.asarray(g)
    if axes is not None and not keepdim:
        # (the reduced axes put back as ones: a reshape, a fraction of expand_dims's Python)
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(in_shape)))
    if B.is_array(g):  # a read-only view: no pass over the input's size
        return B.broadcast_view(g, in_shape)
    return B.xp.broadcast_to(g, in_shape).copy()  # a GraphArray (double backward)


class Sum(Op):
    saved_fields = ("axes", "in_shape", "keepdim")

    def forward(self, x, axes, keepdim, dtype=None):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        if type(x) is B.ndarray:
            # the ufuncs called from the kernels, not through ndarray.sum: NumPy's warnings (inf - inf)
            # then name a kittygrad module, whose RuntimeWarnings kittygrad keeps quiet as torch does
            if dtype is None:  # (rows by einsum, leading axes of many rows in blocks: as accurate as torch's)
                return _k.sum_over(x, axes, keepdim)
            return B.xp.add.reduce(x, axis=axes, dtype=dtype, keepdims=keepdim)
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        return _expand_back(g, self.in_shape, self.axes, self.keepdim), None, None

    def _torch_overload(self) -> str:
        return _over_dims(self)


def _over_dims(node) -> str:
    """torch's overload of sum/mean: 0 over every element, 1 along dims (unknown once freed: 0)."""
    return "1" if getattr(node, "axes", None) is not None else "0"


#: dtypes whose mean NumPy sums in their own dtype (float16's it sums in float32)
_SUMMED_AS_IS = (B.xp.dtype("float32"), B.xp.dtype("float64"))


class Mean(Op):
    saved_fields = ("axes", "count", "in_shape", "keepdim")

    def forward(self, x, axes, keepdim):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        if type(x) is B.ndarray and x.dtype in _SUMMED_AS_IS and x.size:
            # NumPy's mean by hand, without its Python: the same sum, divided by the same count
            # (an integer, so float32 divides as NumPy's mean does), a third faster at (32,16,256)
            out = _k.sum_over(x, axes, keepdim)
            self.count = x.size // out.size
            if type(out) is B.ndarray:
                return B.xp.true_divide(out, B.xp.intp(self.count), out=out, casting="unsafe")
            return B.xp.asarray(out / B.xp.intp(self.count), dtype=x.dtype)
        with B.errstate(invalid="ignore", divide="ignore"):
            out = x.mean(axis=axes, keepdims=keepdim)
        self.count = (x.size // out.size) if out.size else 0
        return B.xp.asarray(out, dtype=x.dtype)

    def backward(self, g):
        return _expand_back(g / self.count, self.in_shape, self.axes, self.keepdim), None, None

    def _torch_overload(self) -> str:
        return _over_dims(self)


def _centered(x, axes):
    """``x`` minus its mean over ``axes``, after first subtracting each slice's first element.

    Mathematically the same; but a constant slice then centres to exact zeros, so its variance
    and std are exactly 0 (and std's gradient there is 0, torch's rule at std == 0) on every
    machine. The mean of the raw values can round instead: three 0.1s average to
    0.10000000000000002, which made std 1.7e-17 and its gradient -0.41. The shifted values are
    also small, so their mean is accurate where the raw values sit far from zero (float32 values
    near 1000: var 7e-7 off when centred once, 4e-8 so). Works on GraphArrays too.
    """
    first = x[tuple(slice(0, 1) if axes is None or i in axes else slice(None) for i in range(x.ndim))]
    d = x - first
    if type(d) is B.ndarray and d.ndim:  # a fresh array: centred in place
        if d.dtype in _SUMMED_AS_IS and d.size:
            total = _k.sum_over(d, axes, True)
            d -= total / d.dtype.type(d.size // total.size)
        else:
            d -= d.mean(axis=axes, keepdims=True)
        return d
    return d - d.mean(axis=axes, keepdims=True)


def _squares_summed(a, axes, keepdim):
    """``(a * a).sum(axes, keepdims=keepdim)``, fused where a kernel serves: over every element or
    along the last axis (one pass, no array of squares, as accurate as the pairwise sum)."""
    if type(a) is B.ndarray and a.ndim:
        if axes is None or axes == tuple(range(a.ndim)):
            total = B.xp.asarray(_k.sum_of_squares(a))
            return total.reshape((1,) * a.ndim) if keepdim else total
        if axes == (a.ndim - 1,):
            return _k.dot_last(a, a, keepdim)
        return _k.sum_leading(a * a, axes, keepdim)  # (NumPy's sum unless the axes lead, in blocks)
    return (a * a).sum(axis=axes, keepdims=keepdim)


class Var(Op):
    saved_fields = ("axes", "centered", "correction", "denom", "keepdim", "x")
    saved_inputs = (0,)
    # the centred input, kept for the first-order backward (three passes fewer than centring
    # again); a graph-building backward centres the saved x itself, so this stays a constant there
    graph_constants = ("centered",)

    def forward(self, x, axes, correction, keepdim):
        self.x, self.axes, self.correction, self.keepdim = x, axes, correction, keepdim
        n = math.prod(x.shape[i] for i in range(x.ndim) if axes is None or i in axes) if x.size else 0
        self.denom = builtins.max(n - correction, 0)
        with B.errstate(invalid="ignore", divide="ignore"):  # (an empty slice's mean is nan: quietly)
            self.centered = centered = _centered(accumulating(x), axes)
            out = _squares_summed(centered, axes, keepdim) / self.denom
        return B.xp.asarray(out, dtype=x.dtype)

    def backward(self, g):
        # a float: with no degrees of freedom (denom 0) the gradient is nan, as torch, not an error
        scale = 2 / self.denom if self.denom else float("inf")
        with B.errstate(invalid="ignore", divide="ignore"):
            g = _expand_back(g * scale, self.x.shape, self.axes, self.keepdim)  # (scaled while small)
            if type(g) is B.ndarray and type(self.centered) is B.ndarray:
                # (in place on the centred input where this is its last read, as the floor scales it)
                return scaled_own(self, self.centered, g).astype(self.x.dtype, copy=False), None, None, None
            # a graph-building backward: centred again from the saved input, which double
            # backward differentiates through
            return times_grad(_centered(self.x, self.axes), g), None, None, None


class Std(Var):
    saved_fields = ("out",)
    saves_output = True

    def forward(self, x, axes, correction, keepdim):
        var = super().forward(x, axes, correction, keepdim)
        # an ndarray even when 0-d (NumPy returns a scalar there): double backward maps the saved
        # output back to this node by identity, and a scalar would pass as a constant
        self.out = B.xp.asarray(B.xp.sqrt(var))
        return self.out

    def backward(self, g):
        # d std = d var / (2 std); where std is 0 the gradient is 0, as torch
        with B.errstate(invalid="ignore", divide="ignore"):
            return super().backward(B.xp.where(self.out == 0, 0, g / (2 * self.out)).astype(g.dtype, copy=False))


def _reduction_input(input, dtype=None):
    if dtype is not None:
        return cast(input, D.to_dtype(dtype))
    if input._data.dtype.kind in "biu":
        return cast(input, D.int64)  # torch sums ints (and bools) as int64
    return input


def sum(input, dim=None, keepdim: bool = False, *, dtype=None, axis=None, keepdims=None):  # noqa: A001
    """Sum of all elements, or over ``dim`` (an int or a tuple).

    >>> import kittygrad as kitty
    >>> kitty.tensor([[1., 2.], [3., 4.]]).sum(dim=0)
    tensor([4., 6.])
    """
    dim = axis if dim is None else dim
    keepdim = keepdims if keepdims is not None else keepdim
    x = _reduction_input(input, dtype)
    axes = normalize_dims(dim, x._data.ndim)
    if dtype is not None and x._data.dtype.kind in "iu":  # summed in that dtype (NumPy would widen to int64)
        return Sum.apply(x, axes, keepdim, x._data.dtype)
    return Sum.apply(x, axes, keepdim)


def mean(input, dim=None, keepdim: bool = False, *, dtype=None, axis=None, keepdims=None):
    """Mean of all elements, or over ``dim``; only for floating inputs, as torch.

    >>> import kittygrad as kitty
    >>> kitty.tensor([1., 2., 3.]).mean()
    tensor(2.)
    """
    dim = axis if dim is None else dim
    keepdim = keepdims if keepdims is not None else keepdim
    x = cast(input, D.to_dtype(dtype)) if dtype is not None else input
    if not B.is_float(x._data.dtype):
        raise KittyRuntimeError(
            f"mean(): could not infer output dtype. {'Input' if dtype is None else 'Optional'} dtype must be "
            f"either a floating point or complex dtype. Got: {dtype_name(x)}"
        )
    return Mean.apply(x, normalize_dims(dim, x._data.ndim), keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _var_args(input, dim, unbiased, keepdim, correction, name: str = "var"):
    # torch accepts var(x, unbiased) positionally as well as var(x, dim, ...)
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    x = input
    if not B.is_float(x._data.dtype):
        raise KittyRuntimeError("std and var only support floating point and complex dtypes")
    axes, corr = normalize_dims(dim, x._data.ndim), _correction(unbiased, correction)
    shape = x._data.shape
    count = math.prod(shape) if axes is None else math.prod(shape[a] for a in axes)
    if count - corr <= 0:  # the result is nan or inf: torch says why
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning, stacklevel=user_stacklevel())
    return x, axes, corr, keepdim


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance with Bessel's correction by default (``correction=1``).

    >>> import kittygrad as kitty
    >>> kitty.tensor([1., 2., 3.]).var()
    tensor(1.)
    """
    x, axes, corr, keepdim = _var_args(input, dim, unbiased, keepdim, correction)
    return Var.apply(x, axes, corr, keepdim)


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Standard deviation (``correction=1`` by default).

    >>> import kittygrad as kitty
    >>> kitty.tensor([1., 2., 3.]).std()
    tensor(1.)
    """
    x, axes, corr, keepdim = _var_args(input, dim, unbiased, keepdim, correction, "std")
    return Std.apply(x, axes, corr, keepdim)
