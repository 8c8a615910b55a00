"""Rank and conditioning: ``matrix_rank`` (from the singular values, or the eigenvalues of a
symmetric matrix) and the condition number ``cond`` (differentiable, composed as torch's)."""
from __future__ import annotations

import math

from .. import backend as B
from ..autograd import function as F
from ..errors import KittyRuntimeError, KittyTypeError
from ._prep import broadcast_shape_of, dtype_name, tensor_input, torch_named
from ._refusals import Removed
from .decompositions import _eps, svdvals
from .eigen import _eigh_np
from .gather_scatter import masked_fill
from .norms import matrix_norm
from .solvers import inv_ex

_INF = float("inf")


def _tolerance(x, name):
    """A tolerance as a float64 array (a number or a Tensor), or None."""
    if x is None:
        return None
    if isinstance(x, F.Tensor):
        return x._data.astype(B.NP_DTYPES["float64"])
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return B.xp.asarray(float(x))
    raise KittyTypeError(f"linalg.matrix_rank(): argument '{name}' must be Tensor or float, not {type(x).__name__}")


def matrix_rank(A, tol=None, hermitian: bool = False, *, atol=None, rtol=None):
    """The numerical rank: how many singular values (absolute eigenvalues of the lower triangle
    when ``hermitian``) exceed max(atol, rtol * the largest). Without ``atol`` and ``rtol``, rtol is
    eps * max(m, n); with a positive ``atol`` alone, rtol is 0. ``tol`` (torch's older overload) is
    ``atol`` with ``rtol=0``. Returns int64.

    >>> import kittygrad as kitty
    >>> kitty.linalg.matrix_rank(kitty.tensor([[1., 2.], [2., 4.]]))
    tensor(1)
    """
    a = tensor_input(A, "input")
    if a._data.ndim < 2:
        raise KittyRuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if a._data.dtype.name not in ("float32", "float64"):
        raise KittyRuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol_a, rtol_a = _tolerance(atol, "atol"), _tolerance(rtol, "rtol")
    xp = B.xp
    m, n = a._data.shape[-2:]
    batch = a._data.shape[:-2]
    for t in (atol_a, rtol_a):
        if t is not None:
            batch = broadcast_shape_of(batch, t.shape)
    if min(m, n) == 0:
        return F.Tensor._wrap(xp.zeros(batch, dtype=xp.int64))
    if hermitian:
        if m != n:
            raise KittyRuntimeError(f"linalg.eigh: A must be batches of square matrices, but they are {m} by {n} matrices")
        size = xp.abs(_eigh_np(a._data, "L")[0])
    else:
        with B.errstate(all="ignore"):
            size = xp.linalg.svd(a._data, compute_uv=False)
    top = size.max(axis=-1)
    if rtol_a is None:
        default = _eps(a._data.dtype) * max(m, n)
        rtol_a = default if atol_a is None else xp.where(atol_a > 0, 0.0, default)
    with B.errstate(invalid="ignore"):
        thresh = rtol_a * top if atol_a is None else xp.maximum(atol_a, rtol_a * top)
        count = (size > xp.broadcast_to(thresh, batch)[..., None]).sum(axis=-1)
    return F.Tensor._wrap(xp.asarray(xp.broadcast_to(count, batch), dtype=xp.int64).copy())


def _ord_name(p) -> str:
    """How torch's messages print a norm order: ±1 as integers, ±inf as 'inf', strings as they are."""
    if isinstance(p, str):
        return p
    if math.isinf(p):
        return "inf" if p > 0 else "-inf"
    return str(int(p))


def _check_square(a, p):
    n, m = a._data.shape[-2:]
    if n != m:
        raise KittyRuntimeError(
            f"linalg.cond(ord={_ord_name(p)}): A must be batches of square matrices, but they are {n} by {m} matrices"
        )


def linalg_cond(A, p=None):
    """``kitty.linalg.cond``: the condition number of a (batch of) matrix in the norm ``p``: for
    None/2/-2 the ratio of the extreme singular values (any shape); for 'fro', 'nuc', 1, -1, inf,
    -inf (square matrices) norm(A) * norm(A^-1), infinite where A is singular. 0x0 matrices give
    0, as torch. (Not ``kitty.cond``: ``torch.cond`` is control flow.)

    >>> import kittygrad as kitty
    >>> kitty.linalg.cond(kitty.tensor([[2., 0.], [0., 1.]]))
    tensor(2.)
    """
    a = tensor_input(A, "A")
    if a._data.ndim < 2:
        raise KittyRuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if isinstance(p, str):  # torch checks the shape first for a named norm
        _check_square(a, p)
    valid = p is None or p in ("fro", "nuc") or (
        isinstance(p, (int, float)) and not isinstance(p, bool) and p in (2, -2, 1, -1, _INF, -_INF)
    )
    if not valid:
        raise KittyRuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if a._data.size == 0:
        dt = a._data.dtype if B.is_float(a._data.dtype) else B.NP_DTYPES["float32"]
        return F.Tensor._wrap(B.xp.zeros(a._data.shape[:-2], dtype=dt))
    if p is None or p in (2, -2):
        if not B.is_float(a._data.dtype):
            raise KittyRuntimeError(f"linalg.svd: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
        s = svdvals(a)
        top, bottom = s[..., 0], s[..., -1]
        # torch's last node: a squeeze of the ratio it takes with the extreme values kept as dims
        return torch_named(bottom / top if p == -2 else top / bottom, "SqueezeBackward1")
    _check_square(a, p)
    if p == "nuc":
        s = svdvals(a)
        return s.sum(-1) * (1 / s).sum(-1)
    inverse, info = inv_ex(a)
    singular = F.Tensor._wrap(info._data[..., None, None] > 0)
    inverse = masked_fill(inverse, singular, _INF)
    # torch's last node: the nan_to_num that turns a singular A's NaN into inf
    return torch_named(matrix_norm(a, p) * matrix_norm(inverse, p), "NanToNumBackward0")


#: ``torch.matrix_rank``: removed from torch, an error there too
torch_matrix_rank = Removed("torch.matrix_rank", "torch.linalg.matrix_rank")
