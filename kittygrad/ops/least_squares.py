"""Least squares: ``linalg.lstsq`` with torch's drivers and results (differentiable in the
solution and the residuals, with torch's pseudo-inverse based gradient)."""
from __future__ import annotations

import math

from .. import backend as B
from ..autograd import function as F
from ..autograd.function import Op
from ..errors import KittyRuntimeError, KittyTypeError
from . import _return_types as RT
from ._prep import broadcast_shape_of, dtype_name, expand_to, tensor_input
from ._refusals import Removed
from .decompositions import _eps, _mT, _raw, _run, _tri_solve_np
from .inverses import Pinv

_lstsq_result = RT._make("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _qr_solve(a, b):
    """LAPACK's gels: the least-squares solution of a full-rank A by QR (m >= n), or the minimum
    norm solution of an underdetermined one by the QR of A^T; with the residual's squares."""
    xp = B.xp
    m, n = a.shape[-2:]
    if min(m, n) == 0:  # LAPACK's quick return zeroes B: no solution, no residual
        return xp.zeros(a.shape[:-2] + (n, b.shape[-1]), dtype=a.dtype), xp.zeros_like(b)
    with B.errstate(all="ignore"):
        if m >= n:
            q, r = xp.linalg.qr(a)
            qtb = _mT(q) @ b
            x = _tri_solve_np(r, qtb, upper=True, unit=False)
            rest = b - q @ qtb  # the part of B outside A's range: its squares are the residuals
        else:
            q, r = xp.linalg.qr(_mT(a))
            x = q @ _tri_solve_np(_mT(r), b, upper=False, unit=False)
            rest = None
    return x, rest


def _svd_solve(a, b, rcond):
    """The minimum-norm least-squares solution through the SVD, singular values at or below
    ``rcond`` times the largest counting as zero (LAPACK's gelsd/gelss rule); with the ranks, the
    singular values and what of B lies outside A's range."""
    xp = B.xp
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    if k == 0:
        x = xp.zeros(batch + (n, b.shape[-1]), dtype=a.dtype)
        return x, xp.zeros(batch, dtype=xp.int64), xp.zeros(batch + (0,), dtype=a.dtype), b
    with B.errstate(all="ignore"):
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        keep = s > rcond * s[..., :1]
        inv = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
        utb = _mT(u) @ b
        x = _mT(vh) @ (inv[..., :, None] * utb)
        rest = b - u @ utb
    return x.astype(a.dtype, copy=False), keep.sum(axis=-1).astype(xp.int64), s.astype(a.dtype, copy=False), rest


def _sign(x):
    return -1.0 if x < 0 else 1.0


def _icond_step(largest, x, sest, w, gamma, eps):
    """One step of incremental condition estimation (LAPACK's laic1): from ``sest``, an estimate
    of the largest (``largest``) or smallest singular value of a triangle with approximate singular
    vector ``x``, the estimate for the triangle grown by the column ``w`` over ``gamma``; with the
    sine and cosine that grow x. Returns ``(estimate, s, c)``."""
    alpha = float(x @ w)
    absalp, absgam, absest = abs(alpha), abs(gamma), abs(sest)
    if largest:
        if sest == 0:
            s1 = max(absgam, absalp)
            if s1 == 0:
                return 0.0, 0.0, 1.0
            s, c = alpha / s1, gamma / s1
            tmp = math.sqrt(s * s + c * c)
            return s1 * tmp, s / tmp, c / tmp
        if absgam <= eps * absest:
            tmp = max(absest, absalp)
            s1, s2 = absest / tmp, absalp / tmp
            return tmp * math.sqrt(s1 * s1 + s2 * s2), 1.0, 0.0
        if absalp <= eps * absest:
            return (absest, 1.0, 0.0) if absgam <= absest else (absgam, 0.0, 1.0)
        if absest <= eps * absalp or absest <= eps * absgam:
            if absgam <= absalp:
                tmp = absgam / absalp
                s = math.sqrt(1 + tmp * tmp)
                return absalp * s, _sign(alpha) / s, (gamma / absalp) / s
            tmp = absalp / absgam
            c = math.sqrt(1 + tmp * tmp)
            return absgam * c, (alpha / absgam) / c, _sign(gamma) / c
        zeta1, zeta2 = alpha / absest, gamma / absest
        b = (1 - zeta1 * zeta1 - zeta2 * zeta2) * 0.5
        c = zeta1 * zeta1
        t = c / (b + math.sqrt(b * b + c)) if b > 0 else math.sqrt(b * b + c) - b
        sine, cosine = -zeta1 / t, -zeta2 / (1 + t)
        tmp = math.sqrt(sine * sine + cosine * cosine)
        return math.sqrt(t + 1) * absest, sine / tmp, cosine / tmp
    if sest == 0:
        sine, cosine = (1.0, 0.0) if max(absgam, absalp) == 0 else (-gamma, alpha)
        s1 = max(abs(sine), abs(cosine))
        s, c = sine / s1, cosine / s1
        tmp = math.sqrt(s * s + c * c)
        return 0.0, s / tmp, c / tmp
    if absgam <= eps * absest:
        return absgam, 0.0, 1.0
    if absalp <= eps * absest:
        return (absgam, 0.0, 1.0) if absgam <= absest else (absest, 1.0, 0.0)
    if absest <= eps * absalp or absest <= eps * absgam:
        if absgam <= absalp:
            tmp = absgam / absalp
            c = math.sqrt(1 + tmp * tmp)
            return absest * (tmp / c), -(gamma / absalp) / c, _sign(alpha) / c
        tmp = absalp / absgam
        s = math.sqrt(1 + tmp * tmp)
        return absest / s, -_sign(gamma) / s, (alpha / absgam) / s
    zeta1, zeta2 = alpha / absest, gamma / absest
    norma = max(1 + zeta1 * zeta1 + abs(zeta1 * zeta2), abs(zeta1 * zeta2) + zeta2 * zeta2)
    if 1 + 2 * (zeta1 - zeta2) * (zeta1 + zeta2) >= 0:  # the root is closer to zero
        b = (zeta1 * zeta1 + zeta2 * zeta2 + 1) * 0.5
        c = zeta2 * zeta2
        t = c / (b + math.sqrt(abs(b * b - c)))
        sine, cosine = zeta1 / (1 - t), -zeta2 / t
        est = math.sqrt(t + 4 * eps * eps * norma) * absest
    else:  # closer to one: shifted
        b = (zeta2 * zeta2 + zeta1 * zeta1 - 1) * 0.5
        c = zeta1 * zeta1
        t = -c / (b + math.sqrt(b * b + c)) if b >= 0 else b - math.sqrt(b * b + c)
        sine, cosine = -zeta1 / t, -zeta2 / (1 + t)
        est = math.sqrt(1 + t + 4 * eps * eps * norma) * absest
    tmp = math.sqrt(sine * sine + cosine * cosine)
    return est, sine / tmp, cosine / tmp


def _gelsy_rank(r, rcond, eps):
    """The order of the largest leading triangle of R whose estimated condition number stays
    within 1/rcond (LAPACK gelsy's incremental estimate)."""
    xp = B.xp
    k = min(r.shape)
    if k == 0 or r[0, 0] == 0:
        return 0
    smax = smin = abs(float(r[0, 0]))
    xmin, xmax = xp.ones(1), xp.ones(1)
    rank = 1
    while rank < k:
        w, gamma = r[:rank, rank].astype(xp.float64), float(r[rank, rank])
        sminpr, s1, c1 = _icond_step(False, xmin, smin, w, gamma, eps)
        smaxpr, s2, c2 = _icond_step(True, xmax, smax, w, gamma, eps)
        if not smaxpr * rcond <= sminpr:
            break
        xmin, xmax = xp.append(xmin * s1, c1), xp.append(xmax * s2, c2)
        smin, smax = sminpr, smaxpr
        rank += 1
    return rank


def _gelsy(a, b, rcond):
    """LAPACK's gelsy as torch calls it (the columns keep their order: no pivoting): A = Q R, the
    rank from the incremental condition estimate of R's leading triangles, and the minimum-norm z
    with [R11 R12] z = (Q^T B)[:rank] (the rest of R taken as zero). Returns the solutions and
    ranks."""
    xp = B.xp
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    count = int(xp.prod(batch, dtype=xp.int64))
    x = xp.zeros((count, n, b.shape[-1]), dtype=a.dtype)
    rank = xp.zeros(count, dtype=xp.int64)
    if min(m, n) == 0:
        return x.reshape(batch + x.shape[-2:]), rank.reshape(batch)
    q, r = xp.linalg.qr(a)
    qtb = (_mT(q) @ b).reshape((count, -1, b.shape[-1]))
    r = r.reshape((count,) + r.shape[-2:])
    eps = _eps(a.dtype)
    with B.errstate(all="ignore"):
        for i in range(count):
            rank[i] = k = _gelsy_rank(r[i], rcond, eps)
            if k:
                z_q, z_r = xp.linalg.qr(_mT(r[i, :k]))
                x[i] = z_q @ _tri_solve_np(_mT(z_r), qtb[i, :k], upper=False, unit=False)
    return x.reshape(batch + x.shape[-2:]), rank.reshape(batch)


class Lstsq(Op):
    """``(solution, residuals, rank, singular_values)`` of min ||A X - B|| (batches already
    broadcast). Gradients are torch's: the solution's through the pseudo-inverse of A at its
    default tolerance (P = pinv(A), X = P B: gB = P^T gX, gA = pinv's gradient for gP = gX B^T),
    the residuals' ||A x - b||^2 by the envelope theorem (gA = 2 r gR x^T, gB = -2 r gR)."""

    saved_fields = ("a", "b", "out")
    saved_inputs = (0, 1)
    saves_output = True

    def forward(self, a, b, rcond=None, driver="gelsy"):
        xp = self.xp
        m, n = a.shape[-2:]
        self.a, self.b = a, b
        empty_i = xp.zeros((0,), dtype=xp.int64)
        empty_f = xp.zeros((0,), dtype=a.dtype)
        if driver == "gels":
            x, rest = _qr_solve(a, b)
            rank, sv, full = empty_i, empty_f, True
        else:
            if rcond is None:
                rcond = _eps(a.dtype) * max(m, n)
            elif rcond < 0:  # LAPACK: machine precision
                rcond = _eps(a.dtype)
            if driver == "gelsy":
                x, rank = _gelsy(a, b, rcond)
                sv, rest = empty_f, None
            else:
                x, rank, sv, rest = _svd_solve(a, b, rcond)
            full = bool((rank == n).all())
        self.out = x.astype(a.dtype, copy=False)
        if m > n and driver != "gelsy" and full:
            residuals = (rest * rest).sum(axis=-2).astype(a.dtype, copy=False)
        else:
            residuals = empty_f
        return self.out, residuals, rank, sv

    def backward(self, gx, gres, *_):
        need = self.needs_input_grad
        a, b, x = self.a, self.b, self.out
        p = _run(Pinv, a)
        ga = gb = None
        if need[0]:
            gp = gx @ _mT(b)  # the gradient reaching pinv(A) through X = pinv(A) B
            pt, gpt = _mT(p), _mT(gp)
            u = gpt @ p @ pt
            v = pt @ (p @ gpt)
            ga = -(pt @ gp @ pt) + u - a @ (p @ u) + v - (v @ p) @ a
        if need[1]:
            gb = _mT(p) @ gx
        if _raw(gres).size and B.xp.any(_raw(gres)):
            r = (a @ x - b) * gres[..., None, :]
            if need[0]:
                ga = ga + 2 * (r @ _mT(x))
            if need[1]:
                gb = gb - 2 * r
        return ga, gb


def lstsq(A, B, rcond: float | None = None, *, driver: str | None = None):
    """``(solution, residuals, rank, singular_values)``: X minimising ||A X - B|| (the minimum-norm
    one where A has not full rank), as ``torch.linalg.lstsq``. ``driver`` is LAPACK's ('gelsy', the
    default, 'gelsd', 'gelss', or 'gels', which assumes A has full rank); as in torch, ``rank`` is
    empty for 'gels', ``singular_values`` for 'gels'/'gelsy', and ``residuals`` (the squared
    residual of each column) unless m > n, the driver is not 'gelsy' and every matrix has full
    rank. B may be a (batch of) vector. Differentiable in the solution and the residuals.

    >>> import kittygrad as kitty
    >>> A = kitty.tensor([[1., 0.], [0., 1.], [0., 0.]])
    >>> kitty.linalg.lstsq(A, kitty.tensor([[1.], [2.], [3.]]), driver="gelsd").residuals
    tensor([9.])
    """
    a, b = tensor_input(A, "A"), tensor_input(B, "B")
    if a._data.ndim < 2:
        raise KittyRuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if not (0 <= a._data.ndim - b._data.ndim <= 1):
        raise KittyRuntimeError(
            "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and (input.dim() - other.dim()) <= 1"
        )
    if a._data.dtype.name not in ("float32", "float64") or b._data.dtype.name not in ("float32", "float64"):
        raise KittyRuntimeError("This function doesn't handle types other than float and double")
    if a._data.dtype != b._data.dtype:
        raise KittyRuntimeError(
            f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's dtype "
            f"{dtype_name(a)} and other's dtype {dtype_name(b)}"
        )
    if driver is None:
        driver = "gelsy"
    if not isinstance(driver, str):
        raise KittyTypeError(f"linalg_lstsq(): argument 'driver' must be str, not {type(driver).__name__}")
    if driver not in _DRIVERS:
        raise KittyRuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    vector = b._data.ndim == a._data.ndim - 1
    bm = b.unsqueeze(-1) if vector else b
    batch = broadcast_shape_of(a._data.shape[:-2], bm._data.shape[:-2])
    if bm._data.shape[-2] != a._data.shape[-2]:
        raise KittyRuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    a = expand_to(a, batch + a._data.shape[-2:])
    bm = expand_to(bm, batch + bm._data.shape[-2:])
    x, residuals, rank, sv = Lstsq.apply(a, bm, rcond=None if rcond is None else float(rcond), driver=driver)
    if vector:
        x = x.squeeze(-1)
    # torch's rank and singular values carry no gradient
    sv = F.Tensor._wrap(sv._data)
    return _lstsq_result(x, residuals, rank, sv)


#: ``torch.lstsq`` / ``Tensor.lstsq``: removed from torch, an error there too
torch_lstsq = Removed("torch.lstsq", "torch.linalg.lstsq (its arguments are reversed)")
