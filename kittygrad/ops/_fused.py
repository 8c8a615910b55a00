"""Small array helpers shared by the nn op families (dtype checks, stable sigmoid/softplus)."""
from __future__ import annotations

from .. import backend as B
from ..autograd import function as F
from ..errors import KittyNotImplementedError, KittyRuntimeError
from . import _kernels as _k
from ._prep import as_tensor_arg, dtype_name

xp = B.xp


# ---------------------------------------------------------------------------------------------
# small helpers


def _needs(node) -> tuple:
    """``needs_input_grad`` of a node, or () when the op runs without recording a graph."""
    return getattr(node, "needs_input_grad", ())


def _float(x, kernel: str):
    """``x`` as a float tensor, or the NotImplementedError torch's ``kernel`` (its C++ name) raises."""
    x = as_tensor_arg(x)
    if not B.is_float(x._data.dtype):
        raise KittyNotImplementedError(f'"{kernel}" not implemented for \'{dtype_name(x)}\'')
    return x


def _same_dtype(name: str, *tensors) -> None:
    ref = None
    for t in tensors:
        if t is None:
            continue
        if ref is None:
            ref = t
        elif t._data.dtype != ref._data.dtype:
            raise KittyRuntimeError(
                f"{name}: expected all tensors to have the same dtype, but got {dtype_name(ref)} and "
                f"{dtype_name(t)}; convert one with .to(...)"
            )


def _ntuple(v, n: int, name: str = "argument") -> tuple:
    if isinstance(v, (list, tuple)):
        if len(v) == 1 and n > 1:
            return tuple(int(v[0]) for _ in range(n))
        if len(v) != n:
            raise KittyRuntimeError(f"expected {name} to be a single integer value or a list of {n} values")
        return tuple(int(a) for a in v)
    return (int(v),) * n


# Both formulas below pick a branch with one mask instead of using |x|: they also run on
# GraphArrays (double backward), and |x|'s gradient 0 at x == 0 would cancel the slope there
# (softplus''(0) came out 0 instead of 0.25). With one mask, every term differentiates along the
# same smooth branch.


def _sigmoid(x, out=None):
    """The logistic sigmoid, stable for large |x|.

    On arrays ``1 / (1 + exp(-x))`` in three in-place passes (SciPy's float32 ``expit`` is ~5x
    slower here), written into ``out`` if given (an array of x's shape and dtype: an LSTM step's
    gates); where ``exp(-x)`` overflows (x below about -88 in float32) ``expit`` recomputes
    those few elements, so the tiny results keep their subnormal values instead of 0. On the
    graph-building arrays of a double backward, the same from ops, through exp(-|x|) <= 1."""
    if type(x) is B.ndarray:
        if x.dtype.itemsize < 4:  # half precision: computed in float32 and rounded once, as torch
            rounded = _sigmoid(x.astype(xp.float32)).astype(x.dtype)
            if out is None:
                return rounded
            out[...] = rounded
            return out
        # (out=: a 0-d x gives an array, not a scalar)
        e = xp.negative(x, out=xp.empty_like(x) if out is None else out)
        with B.errstate(over="ignore"):
            xp.exp(e, out=e)
        overflowed = xp.isinf(e)
        e += 1
        out = xp.reciprocal(e, out=e)
        if overflowed.any():
            out[overflowed] = B.special.expit(x[overflowed])
        return out
    nonneg = x >= 0
    e = xp.exp(xp.where(nonneg, -x, x))  # exp(-|x|) <= 1: no overflow
    return xp.where(nonneg, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _softplus(x):
    """log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))."""
    if type(x) is B.ndarray and x.ndim:  # arrays (no graph to keep on one branch): in place
        out = xp.abs(x)
        xp.negative(out, out=out)
        xp.exp(out, out=out)
        xp.log1p(out, out=out)
        out += _k.bounded(xp.maximum, x, 0)
        return out
    nonneg = x >= 0
    zero = x.dtype.type(0)  # typed: NumPy 1.x's np.where promotes a 0-d float32 with a Python 0 to float64
    return B.select(nonneg, x, zero) + xp.log1p(xp.exp(B.select(nonneg, -x, x)))


def _const(arr, like):
    """A constant Tensor (no gradient) holding ``arr`` in ``like``'s dtype."""
    return F.Tensor._wrap(xp.asarray(arr, dtype=like._data.dtype))


def _assign(t, arr) -> None:
    """Write ``arr`` into tensor ``t`` in place, outside autograd (running statistics, init)."""
    t._data[...] = arr
    t._vc[0] += 1
