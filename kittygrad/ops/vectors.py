"""Functions of vectors: ``linalg.vecdot`` (dot products along a dim) and Vandermonde matrices
(``linalg.vander``, ``torch.vander``), composed from differentiable ops as torch composes them."""
from __future__ import annotations

from .. import backend as B
from ..autograd import function as F
from ..errors import KittyRuntimeError
from ._prep import dtype_name, tensor_input, torch_named
from .arithmetic import mul
from .joining import cat, flip
from .reduction import cumprod
from .reduction import sum as _sum


def vecdot(x, y, *, dim: int = -1):
    """The dot products of ``x`` and ``y`` (broadcast together) along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.linalg.vecdot(kitty.tensor([[1., 2.], [3., 4.]]), kitty.tensor([1., 1.]))
    tensor([3., 7.])
    """
    x, y = tensor_input(x, "x"), tensor_input(y, "y")
    if x._data.dtype != y._data.dtype:
        raise KittyRuntimeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type {dtype_name(x)} and y of "
            f"type {dtype_name(y)} instead"
        )
    if not B.is_float(x._data.dtype):
        raise KittyRuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got {dtype_name(x)}")
    out = _sum(mul(x, y), dim)
    # torch computes two vectors' product by vdot, other shapes by a sum of products
    return torch_named(out, "VdotBackward0") if x._data.ndim == 1 and y._data.ndim == 1 else out


def _powers(x, n):
    """``[1, x, x^2, ..., x^(n-1)]`` along a new last dim (n >= 1): a column of ones, then the
    cumulative products of x (torch's construction, so the gradient is cumprod's)."""
    shape = tuple(x._data.shape)
    dt = x._data.dtype if B.is_float(x._data.dtype) else B.NP_DTYPES["int64"]
    ones = F.Tensor._wrap(B.xp.ones(shape + (1,), dtype=dt))
    if n == 1:
        return ones
    return cat([ones, cumprod(x.unsqueeze(-1).expand(*shape, n - 1), -1)], -1)


def linalg_vander(x, *, N: int | None = None):
    """``kitty.linalg.vander``: the Vandermonde matrix of (a batch of) vector, powers ascending:
    ``V[..., i, j] = x[..., i] ** j`` for j < N (default ``x.size(-1)``; N must exceed 1).
    Integer inputs give int64.

    >>> import kittygrad as kitty
    >>> kitty.linalg.vander(kitty.tensor([1., 2., 3.]))
    tensor([[1., 1., 1.],
            [1., 2., 4.],
            [1., 3., 9.]])
    """
    x = tensor_input(x, "x")
    if x._data.dtype.kind == "b":
        raise KittyRuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got Bool")
    n = N if N is not None else (x._data.shape[-1] if x._data.ndim else 1)
    if n <= 1:
        raise KittyRuntimeError("N must be greater than 1.")
    return _powers(x, n)


def vander(x, N: int | None = None, increasing: bool = False):
    """``torch.vander``: the Vandermonde matrix of a 1-D tensor, powers decreasing left to right
    (ascending with ``increasing=True``); N columns (default ``len(x)``). Integer and bool inputs
    give int64.

    >>> import kittygrad as kitty
    >>> kitty.vander(kitty.tensor([1., 2., 3.]))
    tensor([[1., 1., 1.],
            [4., 2., 1.],
            [9., 3., 1.]])
    """
    x = tensor_input(x, "x")
    if x._data.ndim != 1:
        raise KittyRuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0] if N is None else N
    if n < 0:
        raise KittyRuntimeError("N must be non-negative.")
    if not B.is_float(x._data.dtype):
        x = x.long()
    if n == 0:
        return F.Tensor._wrap(B.xp.ones((x._data.shape[0], 0), dtype=x._data.dtype))
    out = _powers(x, n)
    return out if increasing else flip(out, (1,))
