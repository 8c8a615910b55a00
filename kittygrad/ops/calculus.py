"""Finite differences and numerical integration: ``diff``, ``gradient``, ``trapezoid`` (``trapz``),
``cumulative_trapezoid``; composed of differentiable ops (narrow, subtraction, sums)."""
from __future__ import annotations

from .. import backend as B
from ..autograd import function as F
from ..errors import KittyRuntimeError, KittyTypeError
from ._prep import as_tensor_arg, normalize_dim, torch_named
from .arithmetic import add, div, mul, sub
from .comparison import logical_xor
from .joining import cat, narrow
from .reduction import cumsum, sum
from .unary import _fin


def _slice(t, dim, start, stop=None):
    size = t._data.shape[dim]
    stop = size if stop is None else (stop if stop >= 0 else size + stop)
    start = start if start >= 0 else size + start
    return narrow(t, dim, start, max(stop - start, 0))


# ---------------------------------------------------------------------------------------------
# differences


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``prepend``/``append`` are joined first;
    bool tensors use xor).

    >>> import kittygrad as kitty
    >>> kitty.diff(kitty.tensor([1, 3, 6, 10]))
    tensor([2, 3, 4])
    """
    input = as_tensor_arg(input)
    if input._data.ndim == 0:
        raise KittyRuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise KittyRuntimeError(f"order must be non-negative but got {n}")
    d = normalize_dim(dim, input._data.ndim)
    parts = [p for p in (prepend, input, append) if p is not None]
    if len(parts) > 1:
        parts = [as_tensor_arg(p, "prepend") for p in parts]
        for p in parts:
            if p._data.ndim != input._data.ndim:
                raise KittyRuntimeError(
                    f"diff expects prepend or append to be the same dimension as input, but got "
                    f"{p._data.ndim} and {input._data.ndim}"
                )
        input = cat(parts, d)
    out = input
    for _ in range(n):
        size = out._data.shape[d]
        if size == 0:
            break
        hi, lo = _slice(out, d, 1), _slice(out, d, 0, size - 1)
        out = logical_xor(hi, lo) if out._data.dtype.kind == "b" else sub(hi, lo)
    return out


def _spacing_list(spacing):
    """``spacing`` as a list when it is one (of numbers, or of coordinate tensors: torch's
    signatures take one kind or the other, never a mix), else None (a number, or unspecified)."""
    if spacing is None or isinstance(spacing, (int, float, F.Tensor)):
        return None
    spacing = list(spacing)
    if any(isinstance(s, F.Tensor) for s in spacing):
        for i, s in enumerate(spacing):
            if not isinstance(s, F.Tensor):
                raise KittyTypeError(f"expected Tensor as element {i} in argument 1, but got {type(s).__name__}")
    return spacing


def _spacings(input, spacing, dims):
    """One spacing per dim: a number, or a 1-D coordinates array (plain values, no gradient)."""
    if spacing is None:
        return [1.0] * len(dims)
    if not isinstance(spacing, list):
        return [float(spacing)] * len(dims)
    out = []
    for s, d in zip(spacing, dims):
        if isinstance(s, F.Tensor):
            if s._data.ndim != 1:
                raise KittyRuntimeError(
                    "torch.gradient expected each element of spacing to have one dimension, but got an element "
                    f"with {s._data.ndim} dimensions!"
                )
            if s._data.shape[0] != input._data.shape[d]:
                raise KittyRuntimeError(
                    f"torch.gradient expected each tensor to be on the same device and of the same "
                    f"size along dim {d}, but got {s._data.shape[0]} coordinates for size "
                    f"{input._data.shape[d]}"
                )
            out.append(s._data.astype(B.xp.float64))
        else:
            out.append(float(s))
    return out


def _coeff(values, dtype, dim, ndim):
    shape = [1] * ndim
    shape[dim] = values.shape[0]
    return F.Tensor._wrap(B.xp.asarray(values, dtype=dtype.np).reshape(shape))


def _gradient_along(f, d, h, edge_order):
    n = f._data.shape[d]
    nd = f._data.ndim
    if isinstance(h, float):  # uniform spacing
        inner = div(sub(_slice(f, d, 2), _slice(f, d, 0, n - 2)), 2 * h)
        if edge_order == 1:
            first = div(sub(_slice(f, d, 1, 2), _slice(f, d, 0, 1)), h)
            last = div(sub(_slice(f, d, n - 1), _slice(f, d, n - 2, n - 1)), h)
        else:
            first = div(add(add(mul(_slice(f, d, 0, 1), -1.5), mul(_slice(f, d, 1, 2), 2.0)),
                            mul(_slice(f, d, 2, 3), -0.5)), h)
            last = div(add(add(mul(_slice(f, d, n - 3, n - 2), 0.5), mul(_slice(f, d, n - 2, n - 1), -2.0)),
                           mul(_slice(f, d, n - 1), 1.5)), h)
        return cat([first, inner, last], d)
    # coordinates: NumPy's (and torch's) second-order formula for uneven spacing
    dx = B.xp.diff(h)
    h1, h2 = dx[:-1], dx[1:]
    a, b, c = -h2 / (h1 * (h1 + h2)), (h2 - h1) / (h1 * h2), h1 / (h2 * (h1 + h2))
    dt = f.dtype
    inner = add(add(mul(_slice(f, d, 0, n - 2), _coeff(a, dt, d, nd)), mul(_slice(f, d, 1, n - 1), _coeff(b, dt, d, nd))),
                mul(_slice(f, d, 2), _coeff(c, dt, d, nd)))
    if edge_order == 1:
        first = div(sub(_slice(f, d, 1, 2), _slice(f, d, 0, 1)), float(dx[0]))
        last = div(sub(_slice(f, d, n - 1), _slice(f, d, n - 2, n - 1)), float(dx[-1]))
    else:
        p, q = float(dx[0]), float(dx[1])
        c0, c1, c2 = -(2 * p + q) / (p * (p + q)), (p + q) / (p * q), -p / (q * (p + q))
        first = add(add(mul(_slice(f, d, 0, 1), c0), mul(_slice(f, d, 1, 2), c1)), mul(_slice(f, d, 2, 3), c2))
        p, q = float(dx[-2]), float(dx[-1])
        c0, c1, c2 = q / (p * (p + q)), -(q + p) / (p * q), (2 * q + p) / (q * (p + q))
        last = add(add(mul(_slice(f, d, n - 3, n - 2), c0), mul(_slice(f, d, n - 2, n - 1), c1)), mul(_slice(f, d, n - 1), c2))
    return cat([first, inner, last], d)


def gradient(input, *, spacing=None, dim=None, edge_order: int = 1):
    """Estimate the derivative along each dim (or ``dim``) with central differences inside and
    one-sided ones at the edges (``edge_order`` 1 or 2); ``spacing`` is a number, a number per dim,
    or 1-D coordinates per dim. Returns a tuple, one tensor per dim.

    >>> import kittygrad as kitty
    >>> kitty.gradient(kitty.tensor([1., 4., 9., 16.]))
    (tensor([3., 4., 6., 7.]),)
    """
    input = as_tensor_arg(input)
    nd = input._data.ndim
    listed = _spacing_list(spacing)  # (torch checks, in this order: the list's length, edge_order, dims)
    if listed is not None:
        spacing = listed
        if dim is None and len(spacing) != nd:
            raise KittyRuntimeError(
                "torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal to "
                f"'self.dim() = {nd}', since dim argument was not given, but got a list of length {len(spacing)}"
            )
        n_dims = 1 if isinstance(dim, int) else None if dim is None else len(dim)
        if n_dims is not None and len(spacing) != n_dims:
            raise KittyRuntimeError(
                f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                f"arguments to have the same length, but got a spacing argument of length {len(spacing)} "
                f"and a dim argument of length {n_dims}."
            )
    if edge_order not in (1, 2):
        raise KittyRuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if dim is None:
        dims = list(range(nd))
    elif isinstance(dim, int):
        dims = [normalize_dim(dim, nd)]
    else:
        dims = [normalize_dim(d, nd) for d in dim]
        for i, d in enumerate(dims):
            if d in dims[:i]:
                raise KittyRuntimeError(f"dim {d} appears multiple times in the list of dims")
    for d in dims:
        if input._data.shape[d] < edge_order + 1:
            raise KittyRuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    f = _fin(input)
    return tuple(_gradient_along(f, d, h, edge_order) for d, h in zip(dims, _spacings(input, spacing, dims)))


# ---------------------------------------------------------------------------------------------
# integration


def _pieces(y, x, dx, dim, name):
    """The trapezoids' areas along ``dim``: ``(y[i+1] + y[i]) / 2 * (x[i+1] - x[i])``."""
    y = _fin(as_tensor_arg(y, "y"))
    if y._data.ndim == 0:
        raise KittyRuntimeError(f"{name}: expected y to have at least one dimension")
    d = normalize_dim(dim, y._data.ndim)
    n = y._data.shape[d]
    if n == 0:
        return y, d, None
    mid = div(add(_slice(y, d, 1), _slice(y, d, 0, n - 1)), 2)
    if x is None:
        return y, d, mul(mid, 1 if dx is None else dx)
    if not isinstance(x, F.Tensor):
        raise KittyTypeError(f"{name}(): argument 'x' must be Tensor, not {type(x).__name__}")
    x = _fin(x)
    if x._data.ndim == 1:
        if x._data.shape[0] != n:
            raise KittyRuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y._data.ndim
        shape[d] = n
        x = x.reshape(shape)
        steps = diff(x, dim=d)
    else:
        steps = diff(x, dim=dim)
    return y, d, mul(mid, steps)


def trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """The trapezoidal rule along ``dim``: sample points ``x`` (a tensor) or a spacing ``dx``
    (default 1).

    >>> import kittygrad as kitty
    >>> kitty.trapezoid(kitty.tensor([1., 2., 3.]))
    tensor(4.)
    """
    if x is not None and dx is not None:
        raise KittyRuntimeError("trapezoid: only one of x and dx may be given")
    y, d, areas = _pieces(y, x, dx, dim, "trapezoid")
    if areas is None:  # no samples along dim: zeros with no history, as torch gives
        shape = y._data.shape[:d] + y._data.shape[d + 1:]
        return F.Tensor._wrap(B.xp.zeros(shape, y._data.dtype))
    # torch sums first and then scales by the spacing (mul) or halves (div, with sample points x)
    return torch_named(sum(areas, d), "MulBackward1" if x is None else "DivBackward1")


def trapz(y, x=None, *, dx=None, dim: int = -1):
    """The trapezoidal rule (torch's older name of ``trapezoid``).

    >>> import kittygrad as kitty
    >>> kitty.trapz(kitty.tensor([1., 2., 3.]), dx=2)
    tensor(8.)
    """
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """The running trapezoidal integral along ``dim`` (one element fewer than ``y``).

    >>> import kittygrad as kitty
    >>> kitty.cumulative_trapezoid(kitty.tensor([1., 2., 3.]))
    tensor([1.5000, 4.0000])
    """
    if x is not None and dx is not None:
        raise KittyRuntimeError("cumulative_trapezoid: only one of x and dx may be given")
    y, d, areas = _pieces(y, x, dx, dim, "cumulative_trapezoid")
    if areas is None:
        return y
    out = cumsum(areas, d)
    return out if x is None else torch_named(out, "DivBackward1")  # torch halves the running sums last

