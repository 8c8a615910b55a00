"""Matrix decompositions: Cholesky, QR, SVD, the LU family and triangular solves, with the
helpers the inverses share."""
from __future__ import annotations

import math

from .. import backend as B
from .. import backend as _backend  # for functions whose argument is named B, as torch's
from ..autograd import function as F
from ..autograd.function import Op
from ..autograd.graph_array import GraphArray
from ..dtypes import from_numpy_dtype
from ..errors import KittygradError, KittyNotImplementedError, KittyRuntimeError
from . import _return_types as RT
from ._prep import broadcast_shape_of, bundle, cast, dtype_name, expand_to, tensor_input, torch_named
from .arithmetic import add
from .gather_scatter import take_along_dim
from ._prep import warn_once as _warn_once
from .linalg import tril, triu

# torch.return_types of the LU family (built with the shared factory, named as torch names them)
_lu_factor_result = RT._make("linalg_lu_factor", ("LU", "pivots"))
_lu_factor_ex_result = RT._make("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_lu_result = RT._make("linalg_lu", ("P", "L", "U"))
_lu_unpack_result = RT._make("lu_unpack", ("P", "L", "U"))
_lu_with_info_result = RT._make("_lu_with_info", ("LU", "pivots", "info"))


class LinAlgError(KittygradError, RuntimeError):
    """A matrix had no factorization or inverse (``torch.linalg.LinAlgError``)."""


def _mT(a):
    return B.xp.swapaxes(a, -1, -2)


def _square(a, fname, need_float=True):
    a = tensor_input(a, "A")
    nd = a._data.ndim
    if nd < 2:
        raise KittyRuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")
    n, m = a._data.shape[-2:]
    if n != m:
        raise KittyRuntimeError(f"{fname}: A must be batches of square matrices, but they are {n} by {m} matrices")
    if need_float and not _backend.is_float(a._data.dtype):
        raise KittyRuntimeError(f"{fname}: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    return a


def _is_graph(*xs) -> bool:
    return any(isinstance(x, GraphArray) for x in xs)


def _raw(x):
    """The values of an array or of a GraphArray (decisions about branches are made on values)."""
    return x.t._data if _is_graph(x) else x


def _run(cls, *args, **params):
    """``cls``'s forward on arrays; on GraphArrays (double backward) ``cls`` applied to their
    Tensors, so the result carries a graph. Lets a backward formula call another primitive."""
    if any(isinstance(a, GraphArray) for a in args):
        ts = [a.t if isinstance(a, GraphArray) else F.Tensor._wrap(B.asarray(a)) for a in args]
        out = cls.apply(*ts, **params)
        return tuple(GraphArray(o) for o in out) if isinstance(out, tuple) else GraphArray(out)
    return object.__new__(cls).forward(*args, **params)


def _eps(dtype) -> float:
    return float(B.finfo(dtype).eps)


# ---------------------------------------------------------------------------------------------
# NumPy kernels: LU with partial pivoting, pivots to permutations, triangular substitution


def _batch_prefix(info, first: int) -> str:
    """torch's "(Batch element k): " before a factorization's error, for a batch of matrices."""
    return f"(Batch element {first}): " if info.ndim else ""


def _first_failure(info):
    """``(batch index, value)`` of the first non-zero entry of ``info``, or None."""
    bad = B.xp.flatnonzero(info.reshape(-1))
    if not bad.size:
        return None
    first = int(bad[0])
    return first, int(info.reshape(-1)[first])


def _lapack(name: str, dtype):
    """LAPACK's ``?{name}`` (getrf, sytrf, sytrs) for a float32 or float64 ``dtype``, when the
    backend has one; else None (then the NumPy emulations run)."""
    lapack = getattr(B.linalg_extra, "lapack", None)
    if lapack is None or dtype.name not in ("float32", "float64"):
        return None
    return getattr(lapack, ("s" if dtype.name == "float32" else "d") + name, None)


def _lu_np(a):
    """LU with partial pivoting of a batch of (m, n) matrices, as LAPACK's getrf computes it:
    ``(LU, pivots, info)`` with 0-based pivots (row j was swapped with row pivots[j]) and info the
    1-based index of the first zero pivot (0 if none).

    The pivot is the first entry of largest magnitude (idamax), the column is scaled by the
    pivot's reciprocal (getrf's dscal), and a pivot that is exactly zero leaves its column as it is
    and is recorded in info (LAPACK's definition of an exactly singular matrix).
    """
    xp = B.xp
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    nb = int(xp.prod(batch, dtype=xp.int64))
    lu = xp.array(a, copy=True).reshape((nb, m, n))
    piv = xp.zeros((nb, k), dtype=xp.int64)
    info = xp.zeros(nb, dtype=xp.int64)
    getrf = _lapack("getrf", lu.dtype) if k else None
    if getrf is not None:
        # LAPACK itself, one matrix at a time (the loop below took 3.6x torch's time at 8 x 128 x 128)
        for i in range(nb):
            lu[i], piv[i], status = getrf(lu[i])
            info[i] = max(int(status), 0)  # (a negative status, an illegal argument, cannot come from here)
        return lu.reshape(batch + (m, n)), piv.reshape(batch + (k,)), info.reshape(batch)
    rows = xp.arange(nb)
    tiny = B.finfo(lu.dtype).tiny
    with B.errstate(all="ignore"):
        for j in range(k):
            p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=-1)
            piv[:, j] = p
            top = lu[rows, p].copy()
            lu[rows, p] = lu[:, j]
            lu[:, j] = top
            pivot = lu[:, j, j]
            zero = pivot == 0  # LAPACK's rule (getf2): only an exact zero stops the elimination
            info = xp.where((info == 0) & zero, j + 1, info)
            if j + 1 == m:
                continue
            col = lu[:, j + 1:, j]
            big = (xp.abs(pivot) >= tiny)[:, None]  # getf2 divides when the reciprocal would overflow
            scaled = xp.where(big, col * (1 / pivot)[:, None], col / pivot[:, None])
            col = xp.where(zero[:, None], col, scaled)
            lu[:, j + 1:, j] = col
            update = col[:, :, None] * lu[:, j, None, j + 1:]
            lu[:, j + 1:, j + 1:] -= xp.where(zero[:, None, None], 0, update)
    return lu.reshape(batch + (m, n)), piv.reshape(batch + (k,)), info.reshape(batch)


def _perm(piv0, m):
    """The row order of an LU factorization from its 0-based swaps: ``A[..., perm, :] = L @ U``."""
    xp = B.xp
    batch, k = piv0.shape[:-1], piv0.shape[-1]
    nb = int(xp.prod(batch, dtype=xp.int64))
    perm = xp.broadcast_to(xp.arange(m), batch + (m,)).reshape(nb, m).copy()
    p = piv0.reshape(nb, k)
    rows = xp.arange(perm.shape[0])
    for j in range(k):
        held = perm[:, j].copy()
        perm[:, j] = perm[rows, p[:, j]]
        perm[rows, p[:, j]] = held
    return perm.reshape(batch + (m,))


#: from this order on a triangular solve goes to LAPACK (below, the substitution's few steps win)
_LAPACK_TRIANGULAR_MIN = 16


def _tri_solve_np(t, b, upper, unit):
    """X with T X = B for a batch of triangular T, by substitution. Only T's upper (or lower)
    triangle is read, and not its diagonal when ``unit``; a zero on the diagonal gives inf/nan
    as LAPACK's trsm does, never an error.

    From order 16 each matrix goes to LAPACK's trtrs (one row at a time in Python took 8x
    torch's time at 8 x 128 x 128), unless it reports a zero on the diagonal: those batches are
    substituted here, which gives trsm's inf and nan."""
    xp = B.xp
    n = t.shape[-1]
    batch = B.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    dtype = xp.result_type(t, b)
    x = xp.array(xp.broadcast_to(b, batch + b.shape[-2:]), dtype=dtype)
    t = t.astype(dtype, copy=False)
    if n >= _LAPACK_TRIANGULAR_MIN and dtype.kind in "fc" and x.size and _lapack_solved(t, x, upper, unit, batch):
        return x
    with B.errstate(all="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            done = slice(i + 1, n) if upper else slice(0, i)
            row = x[..., i, :] - (t[..., i, None, done] @ x[..., done, :])[..., 0, :]
            if not unit:
                row = row / t[..., i, i, None]
            x[..., i, :] = row
    return x


def _lapack_solved(t, x, upper, unit, batch) -> bool:
    """Solve every matrix of the batch in place in ``x`` with LAPACK's trtrs; False (``x`` left
    for the substitution) as soon as one has a zero on its diagonal."""
    xp = B.xp
    t = xp.broadcast_to(t, batch + t.shape[-2:])
    solved = []
    for index in xp.ndindex(*batch):
        try:
            solved.append(B.linalg_extra.solve_triangular(
                t[index], x[index], lower=not upper, unit_diagonal=unit, check_finite=False))
        except xp.linalg.LinAlgError:  # a zero on the diagonal: trtrs refuses, trsm would not
            return False
    for index, value in zip(xp.ndindex(*batch), solved):
        x[index] = value
    return True


def _gather_rows(xp, x, order):
    """``x[..., order, :]`` with a batch of row orders (differentiable on GraphArrays)."""
    idx = B.xp.broadcast_to(order[..., :, None], order.shape[:-1] + (order.shape[-1], x.shape[-1]))
    batch = B.broadcast_shapes(idx.shape[:-2], x.shape[:-2])
    idx = B.xp.broadcast_to(idx, batch + idx.shape[-2:])
    if x.shape[:-2] != batch:
        x = xp.broadcast_to(x, batch + x.shape[-2:])
    return xp.take_along_axis(x, idx, axis=-2)


# ---------------------------------------------------------------------------------------------
# triangular solves


class SolveTriangular(Op):
    """X with T X = B for triangular T (its other triangle is not read; nor its diagonal when
    ``unit``). Gradients: gB = T^-T g, gT = -gB X^T on the triangle read."""

    saved_fields = ("out", "t", "unit", "upper")
    saved_inputs = (0,)
    saves_output = True

    def forward(self, t, b, upper=False, unit=False):
        self.t, self.upper, self.unit = t, upper, unit
        self.out = _tri_solve_np(t, b, upper, unit)
        return self.out

    def backward(self, g):
        xp = self.xp
        need = self.needs_input_grad
        gb = _run(SolveTriangular, _mT(self.t), g, upper=not self.upper, unit=self.unit)
        gt = None
        if need[0]:
            gt = -(gb @ _mT(self.out))
            off = 1 if self.unit else 0
            gt = xp.triu(gt, off) if self.upper else xp.tril(gt, -off)
        return gt, (gb if need[1] else None)


def _solve_tri(t, b, upper, unit):
    """SolveTriangular on Tensors whose batch dims broadcast."""
    batch = broadcast_shape_of(t._data.shape[:-2], b._data.shape[:-2])
    t = expand_to(t, batch + t._data.shape[-2:])
    b = expand_to(b, batch + b._data.shape[-2:])
    return SolveTriangular.apply(t, b, upper=upper, unit=unit)


def solve_triangular(A, B, *, upper: bool, left: bool = True, unitriangular: bool = False):
    """X with A X = B (X A = B when ``left=False``) for a triangular A; only the triangle named by
    ``upper`` is read (and not the diagonal when ``unitriangular``).

    >>> import kittygrad as kitty
    >>> kitty.linalg.solve_triangular(kitty.eye(2) * 2, kitty.ones(2, 1), upper=True)
    tensor([[0.5000],
            [0.5000]])
    """
    a, b = tensor_input(A, "A"), tensor_input(B, "B")
    for t, name in ((a, "A"), (b, "B")):
        if t._data.ndim < 2:
            raise KittyRuntimeError(f"linalg.solve_triangular: The input tensor {name} must have at least 2 dimensions.")
    n, m = a._data.shape[-2:]
    if n != m:
        raise KittyRuntimeError(
            f"linalg.solve_triangular: A must be batches of square matrices, but they are {n} by {m} matrices"
        )
    for t in (a, b):
        if not _backend.is_float(t._data.dtype):
            raise KittyNotImplementedError(f"\"triangular_solve_cpu\" not implemented for '{dtype_name(t)}'")
    if a._data.dtype != b._data.dtype:  # torch promotes the two
        wide = from_numpy_dtype(_backend.promote_types(a._data.dtype, b._data.dtype))
        a, b = cast(a, wide), cast(b, wide)
    rows = b._data.shape[-2] if left else b._data.shape[-1]
    if rows != n:
        shape_b = "x".join(map(str, b._data.shape[-2:]))
        raise KittyRuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {shape_b})"
        )
    if left:
        return _solve_tri(a, b, upper, unitriangular)
    return _solve_tri(a.mT, b.mT, not upper, unitriangular).mT


# ---------------------------------------------------------------------------------------------
# the LU family


class LUFactor(Op):
    """LU with partial pivoting (``lu_factor_ex``): packed LU, 1-based int32 pivots, int32 info.

    Gradient (A = P L U, torch's formulas for square, wide and tall matrices; at a singular matrix
    the triangular solves with U give inf/NaN, as torch's do):
    square, P^T gA = L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T.
    """

    saved_fields = ("lu", "perm")
    saves_output = True

    def forward(self, a):
        lu, piv0, info = _lu_np(a)
        self.lu, self.perm = lu, _perm(piv0, a.shape[-2])
        i32 = _backend.NP_DTYPES["int32"]
        return lu, (piv0 + 1).astype(i32), info.astype(i32)

    def backward(self, g, *_):
        return (_lu_grad(self.xp, self.lu, self.perm, g),)


def _lu_square_grad(xp, L, U, gL, gU):
    m = xp.tril(_mT(L) @ gL, -1) + xp.triu(gU @ _mT(U))
    y = _run(SolveTriangular, _mT(L), m, upper=True, unit=True)  # L^-T m
    return _mT(_run(SolveTriangular, U, _mT(y), upper=True, unit=False))  # y U^-T


def _lu_grad(xp, lu, perm, g):
    m, n = lu.shape[-2:]
    k = min(m, n)
    L = xp.tril(lu[..., :, :k], -1) + B.xp.eye(m, k, dtype=_raw(lu).dtype)
    U = xp.triu(lu[..., :k, :])
    gL, gU = xp.tril(g[..., :, :k], -1), xp.triu(g[..., :k, :])
    with B.errstate(all="ignore"):
        if m == n:
            ga = _lu_square_grad(xp, L, U, gL, gU)
        elif m < n:
            # A = P L [U1 | U2]: the columns of U2 solve L U2 = (P^T A)_2
            g2 = _run(SolveTriangular, _mT(L), gU[..., :, m:], upper=True, unit=True)
            g1 = _lu_square_grad(xp, L, U[..., :, :m], gL - g2 @ _mT(U[..., :, m:]), gU[..., :, :m])
            ga = xp.concatenate([g1, g2], axis=-1)
        else:
            # A = P [L1; L2] U: the rows of L2 solve L2 U = (P^T A)_2
            g2 = _mT(_run(SolveTriangular, U, _mT(gL[..., n:, :]), upper=True, unit=False))
            g1 = _lu_square_grad(xp, L[..., :n, :], U, gL[..., :n, :], gU - _mT(L[..., n:, :]) @ g2)
            ga = xp.concatenate([g1, g2], axis=-2)
    return _gather_rows(xp, ga, B.xp.argsort(perm, axis=-1))


def _lu_input(A, fname, pivot):
    a = tensor_input(A, "A")
    if a._data.ndim < 2:
        raise KittyRuntimeError(f"{fname}: Expected tensor with 2 or more dimensions. Got size: {list(a._data.shape)} instead")
    if not _backend.is_float(a._data.dtype):
        raise KittyNotImplementedError(f"\"lu_cpu\" not implemented for '{dtype_name(a)}'")
    if not pivot:
        raise KittyRuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    return a


def _check_info(info, fname):
    bad = B.xp.flatnonzero(info.reshape(-1))
    if bad.size:
        first = int(bad[0])
        where = f"(Batch element {first}): " if info.ndim else ""
        k = int(info.reshape(-1)[first])
        raise KittyRuntimeError(
            f"{fname}: {where}U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. "
            "If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or "
            "linalg.lu_factor_ex(A, pivot)"
        )


def lu_factor_ex(A, *, pivot: bool = True, check_errors: bool = False):
    """``(LU, pivots, info)``: the packed LU factorization with partial pivoting, without raising
    for singular matrices (``info`` > 0 names the first zero pivot, 1-based).

    >>> import kittygrad as kitty
    >>> kitty.linalg.lu_factor_ex(kitty.tensor([[0., 1.], [2., 3.]])).pivots
    tensor([2, 2], dtype=kittygrad.int32)
    """
    a = _lu_input(A, "torch.lu_factor", pivot)
    lu, piv, info = LUFactor.apply(a)
    if check_errors:
        _check_info(info._data, "torch.linalg.lu_factor_ex")
    return _lu_factor_ex_result(lu, piv, info)


def lu_factor(A, *, pivot: bool = True):
    """``(LU, pivots)``: L (below the diagonal, unit diagonal implied) and U packed in one matrix,
    with LAPACK's 1-based row swaps; raises for a singular matrix (see ``lu_factor_ex``).

    >>> import kittygrad as kitty
    >>> kitty.linalg.lu_factor(kitty.tensor([[0., 1.], [2., 3.]])).LU
    tensor([[2., 3.],
            [0., 1.]])
    """
    lu, piv, info = LUFactor.apply(_lu_input(A, "torch.lu_factor", pivot))
    _check_info(info._data, "torch.linalg.lu_factor")
    return _lu_factor_result(lu, piv)


def _pivots_input(LU, pivots, fname, length):
    p = tensor_input(pivots, "pivots")
    if p._data.dtype != B.NP_DTYPES["int32"]:
        raise KittyRuntimeError(
            f"{fname}: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
            "Note: this function is intended to be used with the output produced by torch.linalg.lu_factor"
        )
    pv = p._data
    if pv.shape[-1:] != (length,) or (pv.size and (pv.min() < 1 or pv.max() > LU._data.shape[-2])):
        raise KittyRuntimeError(
            "pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you properly pass the "
            "result of lu_factor?"
        )
    return pv


def lu_unpack(LU_data, LU_pivots, unpack_data: bool = True, unpack_pivots: bool = True):
    """``(P, L, U)`` from ``lu_factor``'s packed result, with A = P L U (empty tensors for the
    parts not asked for).

    >>> import kittygrad as kitty
    >>> LU, pivots = kitty.linalg.lu_factor(kitty.tensor([[0., 1.], [2., 3.]]))
    >>> kitty.lu_unpack(LU, pivots).P
    tensor([[0., 1.],
            [1., 0.]])
    """
    lu = tensor_input(LU_data, "LU_data")
    m, n = lu._data.shape[-2:]
    k = min(m, n)
    pv = _pivots_input(lu, LU_pivots, "torch.lu_unpack", k)
    dt = lu._data.dtype
    empty = F.Tensor._wrap(B.xp.zeros((0,), dtype=dt))
    P = _permutation_matrix(pv, m, dt) if unpack_pivots else empty
    if not unpack_data:
        return _lu_unpack_result(P, empty, empty)
    L, U = _unpack_data(lu, m, n, k)
    return _lu_unpack_result(P, *bundle(L, U, name="LuUnpack"))


def _permutation_matrix(pivots, m, dtype):
    """P with A = P L U from 1-based pivots: P[perm[i], i] = 1."""
    perm = _perm(pivots.astype(B.NP_DTYPES["int64"]) - 1, m)
    p = B.xp.zeros(perm.shape[:-1] + (m, m), dtype=dtype)
    B.xp.put_along_axis(p, perm[..., None, :], 1, axis=-2)
    return F.Tensor._wrap(p)


def _unpack_data(lu, m, n, k):

    eye = F.Tensor._wrap(B.xp.eye(m, k, dtype=lu._data.dtype))
    return add(tril(lu[..., :, :k], -1), eye), triu(lu[..., :k, :])


def lu(A, *, pivot: bool = True):
    """``(P, L, U)`` with A = P L U: P a permutation, L unit lower triangular (m x k), U upper
    triangular (k x n), k = min(m, n). Differentiable in L and U.

    >>> import kittygrad as kitty
    >>> kitty.linalg.lu(kitty.tensor([[0., 1.], [2., 3.]])).U
    tensor([[2., 3.],
            [0., 1.]])
    """
    a = _lu_input(A, "linalg.lu", pivot)
    lu_, piv, _ = LUFactor.apply(a)
    m, n = a._data.shape[-2:]
    P = _permutation_matrix(piv._data, m, a._data.dtype)
    L, U = _unpack_data(lu_, m, n, min(m, n))
    return _lu_result(P, *bundle(L, U, name="LinalgLu"))


def lu_solve(LU, pivots, B, *, left: bool = True, adjoint: bool = False):
    """X with A X = B from A's ``lu_factor`` (``adjoint``: A^T X = B; ``left=False``: X A = B).
    Differentiable in LU and B.

    >>> import kittygrad as kitty
    >>> LU, pivots = kitty.linalg.lu_factor(kitty.eye(2) * 2)
    >>> kitty.linalg.lu_solve(LU, pivots, kitty.ones(2, 1))
    tensor([[0.5000],
            [0.5000]])
    """
    lu_t, b = tensor_input(LU, "LU"), tensor_input(B, "B")
    if lu_t._data.ndim < 2:
        raise KittyRuntimeError("linalg.lu_solve: The input tensor LU must have at least 2 dimensions.")
    if b._data.ndim < 2:
        raise KittyRuntimeError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.")
    n, m = lu_t._data.shape[-2:]
    if n != m:
        raise KittyRuntimeError(f"torch.linalg.lu_solve: A must be batches of square matrices, but they are {n} by {m} matrices")
    if not _backend.is_float(lu_t._data.dtype):
        raise KittyRuntimeError(f"torch.linalg.lu_solve: Expected a floating point or complex tensor as input. Got {dtype_name(lu_t)}")
    if b._data.dtype != lu_t._data.dtype:
        raise KittyRuntimeError(
            f"linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type {dtype_name(lu_t)} "
            f"and B of type {dtype_name(b)} instead"
        )
    p = tensor_input(pivots, "pivots")
    if p._data.dtype != _backend.NP_DTYPES["int32"]:
        raise KittyRuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32")
    if p._data.shape[-1:] != (n,):
        raise KittyRuntimeError("linalg.lu_solve: Number of pivots per batch should be same as the dimension of the matrix")
    if p._data.size and p._data.min() < 1:
        raise KittyRuntimeError(
            "Pivots given to lu_solve must all be greater or equal to 1. Did you properly pass the result of lu_factor?"
        )
    if p._data.size and p._data.max() > n:
        raise KittyRuntimeError(
            "Pivots given to lu_solve must all be smaller or equal to LU.size(-2). Did you properly pass the result of "
            "lu_factor?"
        )
    rows = b._data.shape[-2] if left else b._data.shape[-1]
    if rows != n:
        shape_b = "x".join(map(str, b._data.shape[-2:]))
        raise KittyRuntimeError(
            f"linalg.lu_solve: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
            f"({n}x{n} and {shape_b})"
        )
    perm = _perm(p._data.astype(_backend.NP_DTYPES["int64"]) - 1, n)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return torch_named(_lu_solve_left(lu_t, perm, b.mT, not adjoint).mT, "LinalgLuSolveBackward0")
    return torch_named(_lu_solve_left(lu_t, perm, b, adjoint), "LinalgLuSolveBackward0")  # torch's one node


def _lu_solve_left(lu_t, perm, b, adjoint):
    """A X = B (A^T X = B) as two triangular solves with the packed factors and a row order."""

    batch = broadcast_shape_of(lu_t._data.shape[:-2], b._data.shape[:-2])
    batch = broadcast_shape_of(batch, perm.shape[:-1])
    lu_t = expand_to(lu_t, batch + lu_t._data.shape[-2:])
    b = expand_to(b, batch + b._data.shape[-2:])
    perm = B.xp.broadcast_to(perm, batch + perm.shape[-1:])

    def rows(x, order):
        idx = B.xp.broadcast_to(order[..., :, None], x._data.shape).astype(B.NP_DTYPES["int64"])
        return take_along_dim(x, F.Tensor._wrap(B.xp.ascontiguousarray(idx)), dim=-2)

    if not adjoint:  # X = U^-1 L^-1 P^T B
        y = _solve_tri(lu_t, rows(b, perm), upper=False, unit=True)
        return _solve_tri(lu_t, y, upper=True, unit=False)
    # A^T = U^T L^T P^T:  X = P L^-T U^-T B
    y = _solve_tri(lu_t.mT, b, upper=False, unit=False)
    z = _solve_tri(lu_t.mT, y, upper=True, unit=True)
    return rows(z, B.xp.argsort(perm, axis=-1))


# torch's texts, word for word (the missing space in "lu_solveand" included), once a process each
_LU_DEPRECATED = (
    "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be removed in "
    "a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\n"
    "LU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
    "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
    "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)"
)
_LU_SOLVE_DEPRECATED = (
    "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future PyTorch "
    "release.\nNote that torch.linalg.lu_solve has its arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\n"
    "should be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)"
)


def torch_lu(A, pivot: bool = True, get_infos: bool = False):
    """``torch.lu`` (``Tensor.lu``): ``(LU, pivots)``, or ``(LU, pivots, info)`` with
    ``get_infos`` (the older spelling of ``linalg.lu_factor_ex``; no error for singular input).

    >>> import kittygrad as kitty
    >>> LU, pivots = kitty.lu(kitty.eye(2))
    >>> pivots
    tensor([1, 2], dtype=kittygrad.int32)
    """
    _warn_once("lu", _LU_DEPRECATED)
    lu_, piv, info = lu_factor_ex(A, pivot=pivot)
    return _lu_with_info_result(lu_, piv, info) if get_infos else (lu_, piv)


def torch_lu_solve(b, LU_data, LU_pivots):
    """``torch.lu_solve(b, LU_data, LU_pivots)``: the older spelling of ``linalg.lu_solve``.

    >>> import kittygrad as kitty
    >>> LU, pivots = kitty.linalg.lu_factor(kitty.eye(2) * 4)
    >>> kitty.lu_solve(kitty.ones(2, 1), LU, pivots)
    tensor([[0.2500],
            [0.2500]])
    """
    _warn_once("lu_solve", _LU_SOLVE_DEPRECATED)
    return lu_solve(LU_data, LU_pivots, b)


# ---------------------------------------------------------------------------------------------
# decompositions and solvers


class Cholesky(Op):
    saved_fields = ("out", "upper")
    saves_output = True

    def forward(self, a, upper=False, name="linalg.cholesky"):
        self.upper = upper
        try:
            L = self.xp.linalg.cholesky(a)
        except B.xp.linalg.LinAlgError:
            raise LinAlgError(_not_positive_definite(a, name)) from None
        if self.xp.isnan(L.diagonal(0, -2, -1)).any():  # LAPACK counts a NaN pivot as a failure
            raise LinAlgError(_not_positive_definite(a, name))
        self.out = _mT(L).copy() if upper else L
        return self.out

    def backward(self, g):
        # A = L L^T. With P = tril(L^T gL) made symmetric with halved diagonal (Phi),
        # gA = L^-T Phi L^-1, symmetrised.
        xp = self.xp
        L = _mT(self.out) if self.upper else self.out  # from the output, so double backward sees it
        gL = _mT(g) if self.upper else g
        P = xp.tril(_mT(L) @ gL)
        P = 0.5 * (P + _mT(xp.tril(P, -1)))
        Linv = xp.linalg.inv(L)
        gA = _mT(Linv) @ P @ Linv
        return (0.5 * (gA + _mT(gA)),)


class QR(Op):
    saved_fields = ("mode", "q", "r")
    saves_output = True

    def forward(self, a, mode="reduced"):
        self.mode = mode
        q, r = self.xp.linalg.qr(a, mode="reduced" if mode == "r" else mode)
        self.q, self.r = q, r
        if mode == "r":  # R only: Q comes back empty, as torch
            q = self.xp.zeros((0,), a.dtype)
        return q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)

    def backward(self, gq, gr):
        xp = self.xp
        if self.mode == "r":
            raise KittyRuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use "
                "linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."
            )
        q, r = self.q, self.r
        m, n = q.shape[-2], r.shape[-1]
        if self.mode == "complete" and m > n:
            raise KittyRuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return (_qr_tall_grad(xp, q, r, gq, gr),)
        # wide: A = Q [X | Y], X square upper triangular
        x_, gx, gy = r[..., :, :m], gr[..., :, :m], gr[..., :, m:]
        y = r[..., :, m:]
        gq2 = gq + (q @ y) @ _mT(gy)
        gu = _qr_tall_grad(xp, q, x_, gq2, gx)
        return (xp.concatenate([gu, q @ gy], axis=-1),)


def _qr_tall_grad(xp, q, r, gq, gr):
    """Gradient of A = QR (m >= n, reduced): gA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q."""
    M = r @ _mT(gr) - _mT(gq) @ q
    low = xp.tril(M, -1)
    sym = low + _mT(low) + xp.eye(M.shape[-1], dtype=M.dtype) * xp.diagonal(M, axis1=-2, axis2=-1)[..., None, :]
    b = gq + q @ sym
    # solve X R^T = b  <=>  R X^T = b^T, a triangular solve: a rank-deficient A (a zero on R's
    # diagonal) gives inf/nan as torch's, where a general solver would raise
    return _mT(_run(SolveTriangular, r, _mT(b), upper=True, unit=False))


class SVD(Op):
    """Reduced (or full) SVD with torch's gradient (full matrices: the extra columns get none)."""

    saved_fields = ("s", "u", "vh")
    saves_output = True  # backward reads U, S and Vh (the outputs' memory), as torch's does

    def forward(self, a, full_matrices=True):
        xp = self.xp
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        dt = a.dtype
        # the outputs themselves (sliced in backward), so double backward maps them to the node
        self.u, self.s, self.vh = u.astype(dt, copy=False), s.astype(dt, copy=False), vh.astype(dt, copy=False)
        return self.u, self.s, self.vh

    def backward(self, gu, gs, gvh):
        k = self.s.shape[-1]
        u, vh = self.u[..., :, :k], self.vh[..., :k, :]
        return (_svd_grad(self.xp, u, self.s, vh, gu[..., :, :k], gs, gvh[..., :k, :]),)


class SVDVals(Op):
    saved_fields = ("u", "vh")

    def forward(self, a):
        xp = self.xp
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        self.u, self.vh = u, vh
        return s.astype(a.dtype, copy=False)

    def backward(self, gs):
        return ((self.u * gs[..., None, :]) @ self.vh,)

    def composite(self, a):
        """Double backward differentiates the singular values of the full SVD op."""
        return SVD.apply(a, full_matrices=False)[1]


def _svd_grad(xp, u, s, vh, gu, gs, gvh):
    """Gradient of A = U diag(S) Vh (reduced, real) for a loss invariant to the sign of singular pairs."""
    v, gv = _mT(vh), _mT(gvh)
    m, n = u.shape[-2], v.shape[-2]
    s2 = s * s
    diff = s2[..., None, :] - s2[..., :, None]  # s_j^2 - s_i^2
    eye = xp.eye(s.shape[-1], dtype=bool)
    with B.errstate(divide="ignore", invalid="ignore"):
        f = xp.where(eye, 0, 1 / xp.where(eye, 1, diff))
    utgu = _mT(u) @ gu
    vtgv = _mT(v) @ gv
    # repeated singular values make f infinite: inf/nan gradients, as torch's (no warning)
    with B.errstate(divide="ignore", invalid="ignore"):
        j = f * (utgu - _mT(utgu))
        kk = f * (vtgv - _mT(vtgv))
        inner = j * s[..., None, :] + s[..., :, None] * kk
        inner = inner + xp.eye(s.shape[-1], dtype=s.dtype) * gs[..., None, :]
        ga = u @ inner @ vh
        inv_s = 1 / s
        if m > s.shape[-1]:
            ga = ga + (gu - u @ utgu) * inv_s[..., None, :] @ vh
        if n > s.shape[-1]:
            ga = ga + u @ (_mT(gv - v @ vtgv) * inv_s[..., :, None])
    return ga


def _cholesky_np(a):
    """``(L, info)``: the Cholesky factor of each matrix's lower triangle, column by column as
    LAPACK's unblocked potf2 (left-looking). Where the leading minor of order j is not positive
    definite, info is j, L[j-1, j-1] holds the non-positive pivot and the columns from j-1 on keep
    A's entries below the diagonal (what torch returns)."""
    xp = B.xp
    n = a.shape[-1]
    batch = a.shape[:-2]
    nb = int(math.prod(batch))
    low = xp.tril(a).reshape((nb, n, n)).copy()
    info = xp.zeros(nb, dtype=xp.int64)
    active = xp.ones(nb, dtype=bool)
    with B.errstate(all="ignore"):
        for j in range(n):
            row = low[:, j, :j]
            d = low[:, j, j] - (row * row).sum(axis=-1)
            ok = d > 0  # NaN fails too
            fail = active & ~ok
            info[fail] = j + 1
            low[fail, j, j] = d[fail]
            active = active & ok
            if not active.any():
                break
            idx = xp.flatnonzero(active)
            root = xp.sqrt(d[idx])
            low[idx, j, j] = root
            below = low[idx, j + 1:, j] - (low[idx, j + 1:, :j] @ low[idx, j, :j, None])[..., 0]
            low[idx, j + 1:, j] = below / root[:, None]
    return low.reshape(a.shape), info.reshape(batch).astype(B.NP_DTYPES["int32"])


def _not_positive_definite(a, name: str) -> str:
    """torch's message for a Cholesky factorization that fails: which batch element (flat index, when
    batched) and the order of its first leading minor that is not positive-definite."""
    info = _cholesky_np(a)[1]
    where, order = _first_failure(info) or (0, a.shape[-1])
    return (
        f"{name}: {_batch_prefix(info, where)}The factorization could not be completed because the input is "
        f"not positive-definite (the leading minor of order {order} is not positive-definite)."
    )


def cholesky(A, *, upper: bool = False):
    """The Cholesky factor L (A = L L^T) of a symmetric positive-definite matrix.

    >>> import kittygrad as kitty
    >>> kitty.linalg.cholesky(kitty.eye(2) * 4)
    tensor([[2., 0.],
            [0., 2.]])
    """
    # torch records linalg.cholesky as cholesky_ex's node (torch.cholesky keeps its own, CholeskyBackward0)
    return torch_named(Cholesky.apply(_square(A, "linalg.cholesky"), upper=upper), "LinalgCholeskyExBackward0")


_CHOLESKY_DEPRECATED = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future PyTorch "
    "release.\nL = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)\nand\n"
    "U = torch.cholesky(A, upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\n"
    "This transform will produce equivalent results for all valid (symmetric positive definite) inputs."
)

_QR_DEPRECATED = (
    "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch release.\n"
    "The boolean parameter 'some' has been replaced with a string parameter 'mode'.\nQ, R = torch.qr(A, some)\n"
    "should be replaced with\nQ, R = torch.linalg.qr(A, 'reduced' if some else 'complete')"
)


def qr(A, mode: str = "reduced"):
    """``(Q, R)`` with A = QR, Q orthonormal columns, R upper triangular ('reduced', 'complete', or
    'r' for R alone, with an empty Q).

    >>> import kittygrad as kitty
    >>> kitty.linalg.qr(kitty.eye(2)).R
    tensor([[1., 0.],
            [0., 1.]])
    """
    a = tensor_input(A, "A")
    if mode not in ("reduced", "complete", "r"):
        raise KittyRuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced', 'complete', or 'r'")
    if a._data.ndim < 2:
        raise KittyRuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if not _backend.is_float(a._data.dtype):
        raise KittyRuntimeError(f"linalg.qr: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    return RT.linalg_qr(*QR.apply(a, mode=mode))


def svd(A, full_matrices: bool = True, *, driver=None):
    """``(U, S, Vh)`` with A = U diag(S) Vh, singular values descending.

    >>> import kittygrad as kitty
    >>> kitty.linalg.svd(kitty.eye(2) * 3).S
    tensor([3., 3.])
    """
    a = tensor_input(A, "A")
    if a._data.ndim < 2:
        raise KittyRuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    if not _backend.is_float(a._data.dtype):
        raise KittyRuntimeError(f"linalg.svd: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    return RT.linalg_svd(*SVD.apply(a, full_matrices=full_matrices))


def svdvals(A, *, driver=None):
    """The singular values, descending.

    >>> import kittygrad as kitty
    >>> kitty.linalg.svdvals(kitty.eye(2) * 3)
    tensor([3., 3.])
    """
    a = tensor_input(A, "A")
    if a._data.ndim < 2:
        raise KittyRuntimeError("linalg.svdvals: The input tensor A must have at least 2 dimensions.")
    if not _backend.is_float(a._data.dtype):
        raise KittyRuntimeError(f"linalg.svdvals: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    return SVDVals.apply(a)


def torch_svd(input, some: bool = True, compute_uv: bool = True):
    """``torch.svd``: ``(U, S, V)`` (V, not Vh), reduced unless ``some=False``.

    >>> import kittygrad as kitty
    >>> kitty.svd(kitty.eye(2)).S
    tensor([1., 1.])
    """
    u, s, vh = svd(input, full_matrices=not some)
    return RT.svd(u, s, vh.mT)


def torch_cholesky(input, upper: bool = False):
    """``torch.cholesky`` (the older name of ``linalg.cholesky``).

    >>> import kittygrad as kitty
    >>> kitty.cholesky(kitty.eye(2) * 9)
    tensor([[3., 0.],
            [0., 3.]])
    """
    _warn_once("cholesky", _CHOLESKY_DEPRECATED)
    return Cholesky.apply(_square(input, "cholesky"), upper=upper, name="cholesky")


def torch_qr(input, some: bool = True):
    """``torch.qr``: ``(Q, R)``, reduced unless ``some=False`` (the older name of ``linalg.qr``).

    >>> import kittygrad as kitty
    >>> kitty.qr(kitty.eye(2)).Q.shape
    kittygrad.Size([2, 2])
    """
    _warn_once("qr", _QR_DEPRECATED)
    return RT.qr(*qr(input, "reduced" if some else "complete"))
