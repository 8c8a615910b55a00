"""Vector and matrix norms: ``linalg.vector_norm``, ``linalg.matrix_norm``, ``linalg.norm``, ``norm``."""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from ..autograd.function import Op
from ..errors import KittyRuntimeError, KittyTypeError
from ._prep import accumulating, cast, dtype_name, dtype_scalar_name, normalize_dim, normalize_dims, tensor_input
from .decompositions import SVDVals
from .reduction import _expand_back, amax, amin
from .reduction import sum as _sum
from .unary import abs as _abs


class VectorNorm(Op):
    """The p-norm over axes; at a zero vector the gradient is 0, as torch."""

    saved_fields = ("axes", "keepdim", "ord", "out", "x")
    saved_inputs = (0,)
    saves_output = True

    def forward(self, x, ord=2, axes=None, keepdim=False):
        xp = self.xp
        self.x, self.ord, self.axes, self.keepdim = x, ord, axes, keepdim
        dtype, x = x.dtype, accumulating(x)
        a = xp.abs(x)
        if ord == 2:
            with B.errstate(over="ignore"):  # squares past the float range give inf, as torch's
                out = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        elif ord == float("inf"):
            out = a.max(axis=axes, keepdims=keepdim) if x.size else xp.zeros(xp.sum(a, axis=axes, keepdims=keepdim).shape)
        elif ord == -float("inf"):
            out = a.min(axis=axes, keepdims=keepdim)
        elif ord == 0:  # the count of exact non-zeros, by definition (torch's)
            out = (x != 0).sum(axis=axes, keepdims=keepdim)
        elif ord == 1:
            out = a.sum(axis=axes, keepdims=keepdim)
        else:
            with B.errstate(divide="ignore", invalid="ignore", over="ignore"):
                out = (a**ord).sum(axis=axes, keepdims=keepdim) ** (1.0 / ord)
        self.out = xp.asarray(out, dtype=dtype)
        return self.out

    def backward(self, g):

        xp = self.xp
        x, p, axes, kd = self.x, self.ord, self.axes, self.keepdim
        g = _expand_back(g, x.shape, axes, kd)
        out = _expand_back(self.out, x.shape, axes, kd)
        with B.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                # out is exactly 0 only for a zero vector (or one whose squares underflow, as in
                # torch): there torch's documented subgradient is 0, not a rounding-dependent branch
                gx = xp.where(out == 0, 0, g * x / out)
            elif p == 0:  # piecewise constant: torch sends no gradient at all
                return (None,)
            elif p == 1:
                gx = g * xp.sign(x)
            elif p in (float("inf"), -float("inf")):
                # out is the max (min) of |x| itself, computed without rounding: these ties are
                # exact, and torch spreads the gradient evenly over them
                mask = xp.abs(x) == out
                count = mask.sum(axis=axes, keepdims=True)
                gx = g * xp.sign(x) * mask / count
            else:
                # sign(x) |x|^(p-1) / norm^(p-1), 0 where x is 0 (as torch: for p < 2 the power would
                # give 0 * inf there) and where the norm is 0 (the zero vector's subgradient, as for
                # p == 2); safe bases keep the unused branch finite for double backward
                zero = out == 0
                a = xp.abs(x)
                off = (a == 0) | zero
                gx = xp.where(off, 0, g * xp.sign(x) * xp.where(off, 1, a) ** (p - 1) / xp.where(zero, 1, out) ** (p - 1))
        return (gx.astype(self.x.dtype, copy=False),)


def _norm_input(x, dtype, fname):
    """``x`` (in ``dtype``, if given) for a norm: torch refuses an integer input even with a float
    ``dtype``, and a ``dtype`` that is not float. ``fname`` is the norm the call ends in."""
    x = tensor_input(x)
    if not B.is_float(x._data.dtype):
        raise KittyRuntimeError(
            f"{fname}: Expected a floating point or complex tensor as input. Got {dtype_name(x)}"
        )
    if dtype is not None:
        dt = D.to_dtype(dtype)
        if not B.is_float(dt.np):
            raise KittyRuntimeError(f"{fname}: dtype should be floating point or complex, but got {dtype_scalar_name(dt.np)}")
        x = cast(x, dt)
    return x


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):
    """The vector ``ord``-norm over ``dim`` (all elements by default): 2, 1, inf, -inf, 0 or any p.

    >>> import kittygrad as kitty
    >>> kitty.linalg.vector_norm(kitty.tensor([3., 4.]))
    tensor(5.)
    """
    x = _norm_input(x, dtype, "linalg.vector_norm")
    if isinstance(ord, str):
        raise KittyTypeError("linalg.vector_norm(): argument 'ord' must be Number, not str")
    axes = normalize_dims(dim, x._data.ndim)
    if x._data.size == 0 and (ord < 0 or ord == float("inf")):  # max and min of nothing: no identity
        if axes is None:
            raise KittyRuntimeError(
                f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the operation does not have an identity"
            )
        empty = [d for d in axes if x._data.shape[d] == 0]
        if empty:  # (torch's message runs "dimension 0" into "because")
            raise KittyRuntimeError(
                f"linalg.vector_norm cannot compute the {ord} norm on the dimension {empty[0]}because this dimension is "
                "empty and the operation does not have an identity"
            )
    return VectorNorm.apply(x, ord=float(ord), axes=axes, keepdim=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """The matrix norm over two dims: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf.

    >>> import kittygrad as kitty
    >>> kitty.linalg.matrix_norm(kitty.eye(2))
    tensor(1.4142)
    """

    if not isinstance(ord, (str, int, float)) or isinstance(ord, bool):
        raise KittyTypeError(f"linalg_matrix_norm(): argument 'ord' must be Number or str, not {type(ord).__name__}")
    A = _norm_input(A, dtype, "linalg.matrix_norm")
    nd = A._data.ndim
    if nd < 2:
        raise KittyRuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    dim = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dim) != 2:
        raise KittyRuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    d0, d1 = (normalize_dim(d, nd) for d in dim)
    if d0 == d1:
        raise KittyRuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if ord == "fro":
        return VectorNorm.apply(A, ord=2.0, axes=tuple(sorted((d0, d1))), keepdim=keepdim)
    inf = float("inf")
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = SVDVals.apply(moved)
        out = _sum(s, -1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, inf, -inf):
        red, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = _sum(_abs(A), red, keepdim=True)
        out = amax(sums, other, keepdim=True) if ord > 0 else amin(sums, other, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise KittyRuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def _linalg_norm_kind(A, ord, dim) -> str:
    """The norm ``linalg.norm`` ends in (as routed below), which names its refusals."""
    if ord is None:  # (torch flattens for the default 2-norm, over two dims too)
        return "linalg.vector_norm"
    n = len(dim) if isinstance(dim, (tuple, list)) else (1 if dim is not None else getattr(A, "ndim", 0))
    return "linalg.matrix_norm" if isinstance(ord, str) or n == 2 else "linalg.vector_norm"


def linalg_norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """``kitty.linalg.norm``: a vector norm (1-D, or an int ``dim``) or a matrix norm (2-D, or two dims).

    >>> import kittygrad as kitty
    >>> kitty.linalg.norm(kitty.tensor([[3., 4.]]))
    tensor(5.)
    """
    x = _norm_input(A, dtype, _linalg_norm_kind(A, ord, dim))
    if dim is not None and not isinstance(dim, (tuple, list)):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(x, "fro", dim, keepdim)
        return vector_norm(x, 2, dim, keepdim)
    if dim is None:
        if x._data.ndim not in (1, 2):
            raise KittyRuntimeError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {x._data.ndim}D."
            )
        dim = tuple(range(x._data.ndim))
    if len(dim) == 2 or isinstance(ord, str):  # a named order ('fro', 'nuc') is a matrix norm's
        return matrix_norm(x, ord, dim, keepdim)
    return vector_norm(x, ord, dim, keepdim)


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None):
    """torch.norm: the Frobenius / p-norm over ``dim`` (all elements by default), or 'nuc'.

    >>> import kittygrad as kitty
    >>> kitty.norm(kitty.tensor([3., 4.]))
    tensor(5.)
    """
    x = _norm_input(input, dtype, "linalg.matrix_norm" if p == "nuc" else "linalg.vector_norm")
    if isinstance(dim, int):
        dim = (dim,)
    if p == "fro":
        if dim is not None and len(dim) > 2:
            raise KittyRuntimeError(f"norm: 'fro' expects at most 2 dims, got {len(dim)}")
        return vector_norm(x, 2, dim, keepdim)
    if p == "nuc":
        return matrix_norm(x, "nuc", (0, 1) if dim is None else dim, keepdim)
    if p is None:
        p = 2
    return vector_norm(x, p, dim, keepdim)
