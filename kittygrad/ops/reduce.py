"""Reductions: sum, mean, var, std (more in later families)."""
from __future__ import annotations

import math

from .. import backend as B
from .. import dtypes as D
from ..autograd.function import Op
from ..errors import KittyRuntimeError
from ._prep import cast, normalize_dims


def _expand_back(g, in_shape, axes, keepdim):
    """Spread a reduced gradient back over the reduced axes (a new array of the input's shape)."""
    if axes is not None and not keepdim:
        g = B.xp.expand_dims(g, axes)
    if B.is_array(g):  # (np.broadcast_to is slow Python; an assignment broadcasts in C)
        out = B.xp.empty(in_shape, g.dtype)
        out[...] = g
        return out
    return B.xp.broadcast_to(g, in_shape).copy()  # a GraphArray (double backward)


class Sum(Op):
    def forward(self, x, axes, keepdim, dtype=None):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        return _expand_back(g, self.in_shape, self.axes, self.keepdim), None, None


class Mean(Op):
    def forward(self, x, axes, keepdim):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        with B.errstate(invalid="ignore", divide="ignore"):
            out = x.mean(axis=axes, keepdims=keepdim)
        self.count = (x.size // out.size) if out.size else 0
        return B.xp.asarray(out, dtype=x.dtype)

    def backward(self, g):
        return _expand_back(g / self.count, self.in_shape, self.axes, self.keepdim), None, None


def _centered(x, axes):
    """``x`` minus its mean over ``axes``, after first subtracting each slice's first element.

    Mathematically the same; but a constant slice then centres to exact zeros, so its variance
    and std are exactly 0 (and std's gradient there is 0, torch's rule at std == 0) on every
    machine. The mean of the raw values can round instead: three 0.1s average to
    0.10000000000000002, which made std 1.7e-17 and its gradient -0.41. Works on GraphArrays too.
    """
    first = x[tuple(slice(0, 1) if axes is None or i in axes else slice(None) for i in range(x.ndim))]
    d = x - first
    return d - d.mean(axis=axes, keepdims=True)


class Var(Op):
    saved_inputs = (0,)

    def forward(self, x, axes, correction, keepdim):
        self.x, self.axes, self.correction, self.keepdim = x, axes, correction, keepdim
        centered = _centered(x, axes)
        n = math.prod(x.shape[i] for i in range(x.ndim) if axes is None or i in axes) if x.size else 0
        self.denom = max(n - correction, 0)
        with B.errstate(invalid="ignore", divide="ignore"):
            out = (centered * centered).sum(axis=axes, keepdims=keepdim) / self.denom
        return B.xp.asarray(out, dtype=x.dtype)

    def backward(self, g):
        g = _expand_back(g, self.x.shape, self.axes, self.keepdim)
        # recomputed from the saved input (not saved in forward), so double backward can
        # differentiate through it
        centered = _centered(self.x, self.axes)
        # a float: with no degrees of freedom (denom 0) the gradient is nan, as torch, not an error
        scale = 2 / self.denom if self.denom else float("inf")
        with B.errstate(invalid="ignore", divide="ignore"):
            return g * scale * centered, None, None, None


class Std(Var):
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
    if x._data.dtype.kind != "f":
        raise KittyRuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {x.dtype.name.capitalize()}"
        )
    return Mean.apply(x, normalize_dims(dim, x._data.ndim), keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _var_args(input, dim, unbiased, keepdim, correction):
    # torch accepts var(x, unbiased) positionally as well as var(x, dim, ...)
    if isinstance(dim, bool):
        unbiased, dim = dim, None
    x = input
    if x._data.dtype.kind != "f":
        raise KittyRuntimeError(
            f"std and var only support floating point and complex dtypes, got {x.dtype.name}"
        )
    return x, normalize_dims(dim, x._data.ndim), _correction(unbiased, correction), keepdim


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
    x, axes, corr, keepdim = _var_args(input, dim, unbiased, keepdim, correction)
    return Std.apply(x, axes, corr, keepdim)
