"""The LDL^T factorization of symmetric indefinite matrices (Bunch-Kaufman pivoting, as LAPACK's
sytrf stores it): ``linalg.ldl_factor``, ``ldl_factor_ex`` and ``ldl_solve``. Not differentiable,
as in torch."""
from __future__ import annotations

import math

from .. import backend as B
from .. import backend as _backend  # for ldl_solve, whose argument is named B, as torch's
from ..autograd.function import Op
from ..errors import KittyRuntimeError
from . import _return_types as RT
from ._prep import broadcast_shape_of, dtype_name, expand_to, tensor_input, torch_named
from .decompositions import LinAlgError, _lapack

_ldl_factor_result = RT._make("linalg_ldl_factor", ("LD", "pivots"))
_ldl_factor_ex_result = RT._make("linalg_ldl_factor_ex", ("LD", "pivots", "info"))

_ALPHA = (1 + math.sqrt(17)) / 8  # Bunch-Kaufman's threshold


def _argmax_abs(x):
    """The first index of the largest magnitude (BLAS idamax)."""
    return int(B.xp.argmax(B.xp.abs(x)))


def _sytf2(a):
    """Bunch-Kaufman LDL^T of one symmetric matrix from its lower triangle, as LAPACK's unblocked
    sytf2 (uplo='L'): ``(LD, pivots, info)`` with LAPACK's 1-based pivots (negative for the two
    rows of a 2 x 2 block) and info the first exactly zero pivot (1-based, 0 if none)."""
    xp = B.xp
    n = a.shape[-1]
    w = xp.tril(a).astype(a.dtype, copy=True)
    ipiv = xp.zeros(n, dtype=B.NP_DTYPES["int32"])
    info = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = abs(float(w[k, k]))
        if k + 1 < n:
            imax = k + 1 + _argmax_abs(w[k + 1:, k])
            colmax = abs(float(w[imax, k]))
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0 or math.isnan(absakk):
            info = info or k + 1  # a zero column: D[k, k] = 0, nothing to eliminate
            kp = k
        else:
            if absakk >= _ALPHA * colmax:
                kp = k
            else:
                # the largest off-diagonal entry of row/column imax in the trailing matrix
                jmax = k + _argmax_abs(w[imax, k:imax])
                rowmax = abs(float(w[imax, jmax]))
                if imax + 1 < n:
                    jmax = imax + 1 + _argmax_abs(w[imax + 1:, imax])
                    rowmax = max(rowmax, abs(float(w[jmax, imax])))
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(float(w[imax, imax])) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:  # swap rows and columns kk and kp of the trailing lower triangle
                below = w[kp + 1:, kk].copy()
                w[kp + 1:, kk] = w[kp + 1:, kp]
                w[kp + 1:, kp] = below
                mid = w[kk + 1:kp, kk].copy()
                w[kk + 1:kp, kk] = w[kp, kk + 1:kp]
                w[kp, kk + 1:kp] = mid
                w[kk, kk], w[kp, kp] = w[kp, kp], w[kk, kk]
                if kstep == 2:
                    w[k + 1, k], w[kp, k] = w[kp, k], w[k + 1, k]
            if kstep == 1:
                if k + 1 < n:  # rank-1 update of the trailing lower triangle, then L's column
                    x = w[k + 1:, k].copy()
                    temp = -(1 / w[k, k]) * x
                    w[k + 1:, k + 1:] += xp.tril(x[:, None] * temp[None, :])
                    w[k + 1:, k] = x * (1 / w[k, k])
            elif k + 2 < n:  # rank-2 update with the 2 x 2 block's inverse
                d21 = w[k + 1, k]
                d11 = w[k + 1, k + 1] / d21
                d22 = w[k, k] / d21
                t = 1 / (d11 * d22 - 1)
                d21 = t / d21
                c0, c1 = w[k + 2:, k].copy(), w[k + 2:, k + 1].copy()
                wk = d21 * (d11 * c0 - c1)
                wkp1 = d21 * (d22 * c1 - c0)
                w[k + 2:, k + 2:] -= xp.tril(c0[:, None] * wk[None, :] + c1[:, None] * wkp1[None, :])
                w[k + 2:, k], w[k + 2:, k + 1] = wk, wkp1
        if kstep == 1:
            ipiv[k] = kp + 1
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    return w, ipiv, info


def _valid_pivots(ipiv, n: int) -> bool:
    """Whether ``ipiv`` is a pivot vector sytrs can walk without leaving the matrix: each entry in
    1..n, or a pair of equal entries in -n..-1 (a 2 x 2 block)."""
    k = 0
    while k < n:
        v = int(ipiv[k])
        if 1 <= v <= n:
            k += 1
        elif -n <= v <= -1 and k + 1 < n and int(ipiv[k + 1]) == v:
            k += 2
        else:
            return False
    return True


class LdlFactor(Op):
    """``(LD, pivots, info)`` of each matrix of the batch; not differentiable, as in torch."""

    saved_fields = ()

    def forward(self, a):
        xp = self.xp
        batch = a.shape[:-2]
        n = a.shape[-1]
        flat = a.reshape((math.prod(batch), n, n))
        ld = xp.zeros(flat.shape, dtype=a.dtype)
        piv = xp.zeros(flat.shape[:-1], dtype=B.NP_DTYPES["int32"])
        info = xp.zeros(flat.shape[0], dtype=B.NP_DTYPES["int32"])
        # LAPACK's sytrf when the backend has it (the same unblocked sytf2 steps as _sytf2, whose
        # Python loop took 100x torch's time at 8 x 128 x 128)
        sytrf = _lapack("sytrf", a.dtype) if n else None
        with B.errstate(all="ignore"):
            for i in range(flat.shape[0]):
                if sytrf is not None:
                    factored, piv[i], info[i] = sytrf(flat[i], lower=1)
                    ld[i] = xp.tril(factored)
                else:
                    ld[i], piv[i], info[i] = _sytf2(flat[i])
        return ld.reshape(a.shape), piv.reshape(batch + (n,)), info.reshape(batch)

    def backward(self, *grads):
        raise KittyRuntimeError("derivative for aten::linalg_ldl_factor_ex is not implemented")


def _ldl_factor(a):
    # torch records no derivative for the factorization: its node is the generic NotImplemented one
    return torch_named(LdlFactor.apply(a), "NotImplemented")


def _factor_input(A, fname):
    a = tensor_input(A, "A")
    if a._data.ndim < 2:
        raise KittyRuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")
    n, m = a._data.shape[-2:]
    if n != m:
        raise KittyRuntimeError(f"{fname}: A must be batches of square matrices, but they are {n} by {m} matrices")
    if a._data.dtype.name not in ("float32", "float64"):
        raise KittyRuntimeError(f"{fname}: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    return a


def ldl_factor_ex(A, *, hermitian: bool = False, check_errors: bool = False):
    """``(LD, pivots, info)``: A = P L D L^T P^T for symmetric A (its lower triangle is read), in
    LAPACK's compact form: L (unit diagonal implied) below the diagonal of LD, D's 1 x 1 and 2 x 2
    blocks on it, 1-based pivots (negative for both rows of a 2 x 2 block). ``info`` > 0 names a
    zero diagonal element of D (A singular); ``check_errors=True`` raises then. Not differentiable.

    >>> import kittygrad as kitty
    >>> kitty.linalg.ldl_factor_ex(kitty.tensor([[0., 1.], [1., 0.]])).pivots
    tensor([-2, -2], dtype=kittygrad.int32)
    """
    a = _factor_input(A, "torch.linalg.ldl_factor_ex")
    ld, piv, info = _ldl_factor(a)
    if check_errors:
        _raise_singular(info._data, "torch.linalg.ldl_factor_ex")
    return _ldl_factor_ex_result(ld, piv, info)


def _raise_singular(info, fname):
    bad = B.xp.flatnonzero(info.reshape(-1))
    if bad.size:
        first = int(bad[0])
        where = f"(Batch element {first}): " if info.ndim else ""
        k = int(info.reshape(-1)[first])
        raise LinAlgError(
            f"{fname}: {where}The factorization could not be completed because the block diagonal matrix D is "
            f"singular: D[{k}, {k}] is exactly zero."
        )


def ldl_factor(A, *, hermitian: bool = False):
    """``(LD, pivots)``: ``ldl_factor_ex`` that raises ``LinAlgError`` when D is singular.

    >>> import kittygrad as kitty
    >>> kitty.linalg.ldl_factor(kitty.tensor([[4., 2.], [2., -3.]])).LD
    tensor([[ 4.0000,  0.0000],
            [ 0.5000, -4.0000]])
    """
    a = _factor_input(A, "torch.linalg.ldl_factor_ex")
    ld, piv, info = _ldl_factor(a)
    _raise_singular(info._data, "torch.linalg.ldl_factor")
    return _ldl_factor_result(ld, piv)


def _sytrs(ld, ipiv, b):
    """X with A X = B from one matrix's LDL^T (LAPACK's sytrs, uplo='L')."""
    n = ld.shape[-1]
    x = b.copy()
    k = 0
    while k < n:  # L D Y = P^T B
        if ipiv[k] > 0:
            kp = ipiv[k] - 1
            if kp != k:
                x[[k, kp]] = x[[kp, k]]
            x[k + 1:] -= ld[k + 1:, k, None] * x[k, None]
            x[k] = x[k] / ld[k, k]
            k += 1
        else:
            kp = -ipiv[k] - 1
            if kp != k + 1:
                x[[k + 1, kp]] = x[[kp, k + 1]]
            x[k + 2:] -= ld[k + 2:, k, None] * x[k, None] + ld[k + 2:, k + 1, None] * x[k + 1, None]
            akm1k = ld[k + 1, k]
            akm1 = ld[k, k] / akm1k
            ak = ld[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1
            bkm1, bk = x[k] / akm1k, x[k + 1] / akm1k
            x[k] = (ak * bkm1 - bk) / denom
            x[k + 1] = (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T P^T X = Y
        if ipiv[k] > 0:
            x[k] -= ld[k + 1:, k] @ x[k + 1:]
            kp = ipiv[k] - 1
            if kp != k:
                x[[k, kp]] = x[[kp, k]]
            k -= 1
        else:
            x[k] -= ld[k + 1:, k] @ x[k + 1:]
            x[k - 1] -= ld[k + 1:, k - 1] @ x[k + 1:]
            kp = -ipiv[k] - 1
            if kp != k:
                x[[k, kp]] = x[[kp, k]]
            k -= 2
    return x


class LdlSolve(Op):
    """X with A X = B from A's LDL^T (batches already broadcast); not differentiable, as in torch."""

    saved_fields = ()

    def forward(self, ld, pivots, b):
        n = ld.shape[-1]
        count = math.prod(b.shape[:-2])
        flat_ld = ld.reshape((count, n, n))
        flat_piv = pivots.reshape((count, n))
        flat_b = b.reshape((count,) + b.shape[-2:])
        out = self.xp.empty(flat_b.shape, dtype=b.dtype)
        sytrs = _lapack("sytrs", ld.dtype) if n and b.dtype == ld.dtype and b.shape[-1] else None
        with B.errstate(all="ignore"):
            for i in range(flat_b.shape[0]):
                if sytrs is not None and _valid_pivots(flat_piv[i], n):
                    out[i] = sytrs(flat_ld[i], flat_piv[i], flat_b[i], lower=1)[0]
                else:
                    out[i] = _sytrs(flat_ld[i], flat_piv[i], flat_b[i])
        return out.reshape(b.shape)

    def backward(self, *grads):
        raise KittyRuntimeError("derivative for aten::linalg_ldl_solve is not implemented")


def ldl_solve(LD, pivots, B, *, hermitian: bool = False):
    """X with A X = B from A's ``ldl_factor`` (B's batch dims broadcast with LD's). Not
    differentiable, as in torch.

    >>> import kittygrad as kitty
    >>> LD, pivots = kitty.linalg.ldl_factor(kitty.tensor([[0., 1.], [1., 0.]]))
    >>> kitty.linalg.ldl_solve(LD, pivots, kitty.tensor([[1.], [2.]]))
    tensor([[2.],
            [1.]])
    """
    ld, p, b = tensor_input(LD, "LD"), tensor_input(pivots, "pivots"), tensor_input(B, "B")
    fname = "torch.linalg.ldl_solve"
    if ld._data.ndim < 2:
        raise KittyRuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")
    n, m = ld._data.shape[-2:]
    if n != m:
        raise KittyRuntimeError(f"{fname}: A must be batches of square matrices, but they are {n} by {m} matrices")
    if ld._data.dtype.name not in ("float32", "float64"):
        raise KittyRuntimeError(f"{fname}: Expected a floating point or complex tensor as input. Got {dtype_name(ld)}")
    if p._data.shape != ld._data.shape[:-1]:
        raise KittyRuntimeError(
            f"{fname}: Expected LD.shape[:-1] and pivots.shape to be the same, but got pivots with shape "
            f"{list(p._data.shape)} instead"
        )
    if p._data.size and bool((_backend.xp.abs(p._data.astype(_backend.NP_DTYPES["int64"])) > n).any()):
        raise KittyRuntimeError(
            "Pivots given to ldl_solve must all satisfy |pivot| <= LD.size(-2). Did you properly pass the result of "
            "ldl_factor?"
        )
    if b._data.ndim < 2:
        raise KittyRuntimeError(f"b should have at least 2 dimensions, but has {b._data.ndim} dimensions instead")
    if b._data.dtype != ld._data.dtype:
        raise KittyRuntimeError(
            f"Expected b and A to have the same dtype, but found b of type {dtype_name(b)} and A of type "
            f"{dtype_name(ld)} instead."
        )
    if b._data.shape[-2] != n:
        raise KittyRuntimeError(
            f"Incompatible matrix sizes for {fname}: each A matrix is {n} by {n} but each b matrix is "
            f"{b._data.shape[-2]} by {b._data.shape[-1]}"
        )
    batch = broadcast_shape_of(ld._data.shape[:-2], b._data.shape[:-2])
    piv = _backend.xp.broadcast_to(p._data.astype(_backend.NP_DTYPES["int64"]), batch + (n,))
    ld = expand_to(ld, batch + (n, n))
    b = expand_to(b, batch + b._data.shape[-2:])
    return LdlSolve.apply(ld, piv, b)
