"""Matrix decompositions and what is built on them, with torch's gradients also at singular and
ill-conditioned matrices: determinants (det, slogdet), inverse and solve, triangular solves, the
LU family (lu_factor, lu_factor_ex, lu, lu_unpack, lu_solve, torch.lu, torch.lu_solve) and the
pseudo-inverse (pinv, pinverse).

A formula with a removable singularity (det's gradient, the cofactor matrix det(A) A^-T) picks its
branch from a condition estimate, never from a computed determinant tested against 0: for the same
singular matrix LAPACK returns an exact 0 on one BLAS build and 1e-16 on another, and the gradient
must not depend on which.
"""
from __future__ import annotations

from .. import backend as B
from .. import backend as _backend  # for functions whose argument is named B, as torch's
from ..autograd import function as F
from ..autograd.function import Op
from ..errors import KittygradError, KittyNotImplementedError, KittyRuntimeError, KittyTypeError
from . import _return_types as RT
from ._prep import broadcast_shape_of, bundle, cast, dtype_name, expand_to, tensor_input

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
    if need_float and a._data.dtype.kind != "f":
        raise KittyRuntimeError(f"{fname}: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    return a


def _is_graph(*xs) -> bool:
    from .._graph_array import GraphArray

    return any(isinstance(x, GraphArray) for x in xs)


def _raw(x):
    """The values of an array or of a GraphArray (decisions about branches are made on values)."""
    return x.t._data if _is_graph(x) else x


def _run(cls, *args, **params):
    """``cls``'s forward on arrays; on GraphArrays (double backward) ``cls`` applied to their
    Tensors, so the result carries a graph. Lets a backward formula call another primitive."""
    from .._graph_array import GraphArray

    if any(isinstance(a, GraphArray) for a in args):
        ts = [a.t if isinstance(a, GraphArray) else F.Tensor._wrap(B.asarray(a)) for a in args]
        out = cls.apply(*ts, **params)
        return tuple(GraphArray(o) for o in out) if isinstance(out, tuple) else GraphArray(out)
    return object.__new__(cls).forward(*args, **params)


def _eps(dtype) -> float:
    return float(B.xp.finfo(dtype).eps)


# ---------------------------------------------------------------------------------------------
# NumPy kernels: LU with partial pivoting, pivots to permutations, triangular substitution


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
    rows = xp.arange(nb)
    tiny = xp.finfo(lu.dtype).tiny
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


def _tri_solve_np(t, b, upper, unit):
    """X with T X = B for a batch of triangular T, by substitution. Only T's upper (or lower)
    triangle is read, and not its diagonal when ``unit``; a zero on the diagonal gives inf/nan
    as LAPACK's trsm does, never an error."""
    xp = B.xp
    n = t.shape[-1]
    batch = B.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    dtype = xp.result_type(t, b)
    x = xp.array(xp.broadcast_to(b, batch + b.shape[-2:]), dtype=dtype)
    t = t.astype(dtype, copy=False)
    with B.errstate(all="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            done = slice(i + 1, n) if upper else slice(0, i)
            row = x[..., i, :] - (t[..., i, None, done] @ x[..., done, :])[..., 0, :]
            if not unit:
                row = row / t[..., i, i, None]
            x[..., i, :] = row
    return x


def _gather_rows(xp, x, order):
    """``x[..., order, :]`` with a batch of row orders (differentiable on GraphArrays)."""
    idx = B.xp.broadcast_to(order[..., :, None], order.shape[:-1] + (order.shape[-1], x.shape[-1]))
    batch = B.broadcast_shapes(idx.shape[:-2], x.shape[:-2])
    idx = B.xp.broadcast_to(idx, batch + idx.shape[-2:])
    if x.shape[:-2] != batch:
        x = xp.broadcast_to(x, batch + x.shape[-2:])
    return xp.take_along_axis(x, idx, axis=-2)


# ---------------------------------------------------------------------------------------------
# conditioning, inverses and cofactors (the machinery of det / slogdet)


def _inverse_parts(a):
    """``(inv, singular)``: the inverse of each matrix of the batch (NaN where LAPACK finds the
    matrix exactly singular) and the mask of those. One batched call when nothing is singular."""
    xp = B.xp
    batch = a.shape[:-2]
    with B.errstate(all="ignore"):
        try:
            return xp.linalg.inv(a), xp.zeros(batch, dtype=bool)
        except xp.linalg.LinAlgError:
            pass
        inv = xp.full(a.shape, xp.nan, dtype=a.dtype)
        singular = xp.zeros(batch, dtype=bool)
        for idx in xp.ndindex(*batch):
            try:
                inv[idx] = xp.linalg.inv(a[idx])
            except xp.linalg.LinAlgError:
                singular[idx] = True
    return inv, singular


def _ill_conditioned(a, inv, singular):
    """Matrices whose inverse-based formulas lose their digits: singular, or with a reciprocal
    condition number (1-norm, from the inverse already computed) below sqrt(eps) of the dtype.
    Non-finite matrices are left to the inverse path (their NaNs are the answer; an SVD of them
    would not converge)."""
    xp = B.xp
    with B.errstate(all="ignore"):
        norm_a = xp.abs(a).sum(axis=-2).max(axis=-1)
        norm_inv = xp.abs(inv).sum(axis=-2).max(axis=-1)
        rcond = 1 / (norm_a * norm_inv)
    finite = xp.isfinite(a).all(axis=(-2, -1))
    return finite & (singular | ~(rcond >= _eps(a.dtype) ** 0.5))


def _svd_factors(a):
    """U, S, Vh of a batch of square matrices; a differentiable SVD on GraphArrays."""
    if _is_graph(a):
        from .linalg_extra import SVD

        return _run(SVD, a, full_matrices=False)
    return B.xp.linalg.svd(a)


def _cofactor(xp, a):
    """cof(A) = det(A) A^-T, continuous at singular A, from the SVD A = U diag(s) Vh:
    det(U) det(Vh) U diag(prod of the other singular values) Vh.

    det(U) det(Vh) is +-1 and taken as a constant: for orthogonal U, d det(U) = det(U) tr(U^T dU)
    and U^T dU is skew, so it carries no derivative.
    """
    u, s, vh = _svd_factors(a)
    raw_u, raw_vh = _raw(u), _raw(vh)
    sign = (B.xp.linalg.det(raw_u) * B.xp.linalg.det(raw_vh)).astype(raw_u.dtype)
    ones = B.xp.ones(s.shape[:-1] + (1,), dtype=raw_u.dtype)
    before = xp.concatenate([ones, xp.cumprod(s, axis=-1)[..., :-1]], axis=-1)
    after = xp.flip(xp.concatenate([ones, xp.cumprod(xp.flip(s, axis=-1), axis=-1)[..., :-1]], axis=-1), axis=-1)
    return (u * (before * after * sign[..., None])[..., None, :]) @ vh


def _singular_logdet_grad(a):
    """d log|det A| / dA = cof(A) / det(A) at one exactly singular matrix, in IEEE arithmetic:
    +-inf where the cofactor is non-zero, NaN (0/0) where it is zero. torch's LU-based formula is
    non-finite on the same entries; its values elsewhere (NaN, inf or finite leftovers) and the
    signs (those of det's signed zero) come from the order of operations of its BLAS kernels.

    From A's LU (P, L, U, with U[k, k] the zero pivot): with one zero pivot,
    cof(A) = sign(P) prod_{i != k} U[i, i] P L^-T y x^T (U x = 0, y^T U = 0, x[k] = y[k] = 1);
    with two or more the cofactor is exactly zero. Should the NumPy factorization find no exact
    zero pivot (a rounding difference with LAPACK's), A^-T from that factorization is returned.
    """
    xp = B.xp
    n = a.shape[-1]
    lu, piv0, _ = _lu_np(a)
    perm = _perm(piv0, n)
    parity = int(xp.sum(piv0 != xp.arange(n))) % 2
    diag = xp.diagonal(lu).copy()
    det = (-1.0 if parity else 1.0) * xp.prod(diag)
    zeros = xp.flatnonzero(diag == 0)  # the factorization's own exact-zero rule (see _lu_np)
    with B.errstate(all="ignore"):
        if len(zeros) == 0:
            eye = xp.eye(n, dtype=a.dtype)
            y = _tri_solve_np(_mT(lu), eye, upper=False, unit=False)
            z = _tri_solve_np(_mT(lu), y, upper=True, unit=True)
            return z[xp.argsort(perm)]
        if len(zeros) > 1:
            return xp.zeros_like(a) / det
        k = int(zeros[0])
        u = xp.triu(lu)
        x = xp.zeros(n, dtype=a.dtype)
        x[k] = 1
        x[:k] = _tri_solve_np(u[:k, :k], -u[:k, k, None], upper=True, unit=False)[:, 0]
        y = xp.zeros(n, dtype=a.dtype)
        y[k] = 1
        y[k + 1:] = _tri_solve_np(u[k + 1:, k + 1:].T, -u[k, k + 1:, None], upper=False, unit=False)[:, 0]
        w = _tri_solve_np(lu.T, y[:, None], upper=True, unit=True)[:, 0]
        left = xp.empty_like(w)
        left[perm] = w
        c = (-1.0 if parity else 1.0) * xp.prod(xp.delete(diag, k))
        cof = c * left[:, None] * x[None, :]
        return cof / det


# ---------------------------------------------------------------------------------------------
# inverse, determinants, solve


def _inv(a, fname="linalg.inv"):
    try:
        with B.errstate(all="ignore"):
            return B.xp.linalg.inv(a)
    except B.xp.linalg.LinAlgError:
        raise LinAlgError(
            f"{fname}: The diagonal element is zero, the inversion could not be completed because the input "
            "matrix is singular."
        ) from None


class Inv(Op):
    """A^-1; gradient -A^-T g A^-T (from the output, so double backward differentiates it)."""

    saves_output = True

    def forward(self, a):
        self.out = _inv(a).astype(a.dtype, copy=False)
        return self.out

    def backward(self, g):
        t = _mT(self.out)
        return (-(t @ g @ t),)


class Det(Op):
    """Determinant. Its gradient is g times the cofactor matrix det(A) A^-T, which is continuous:
    the transposed adjugate at a rank n-1 matrix, zero only at rank <= n-2.

    Well-conditioned matrices take det * A^-T (fast); singular or ill-conditioned ones (see
    :func:`_ill_conditioned`) the SVD formula of :func:`_cofactor`, as torch's create_graph
    formula does (its first-order one returns 0 when LAPACK's LU finds an exactly zero pivot).
    """

    saved_inputs = (0,)
    saves_output = True

    def forward(self, a):
        self.a = a
        self.out = self.xp.asarray(self.xp.linalg.det(a), dtype=a.dtype)
        return self.out

    def backward(self, g):
        xp = self.xp
        a, det = self.a, self.out
        n = a.shape[-1]
        if n == 0 or a.size == 0:
            return (xp.zeros_like(g, shape=a.shape),)
        raw = _raw(a)
        inv, singular = _inverse_parts(raw)
        bad = _ill_conditioned(raw, inv, singular)[..., None, None]
        eye = B.xp.eye(n, dtype=raw.dtype)
        if _is_graph(a):
            inv = xp.linalg.inv(xp.where(bad, eye, a))  # identity where the SVD branch is used
        else:
            inv = B.xp.where(bad, eye, inv)
        grad = (g * det)[..., None, None] * _mT(inv)
        if not bad.any():
            return (grad.astype(g.dtype, copy=False),)
        if not _is_graph(a):
            pick = bad[..., 0, 0]
            grad[pick] = B.xp.broadcast_to(g, pick.shape)[pick][..., None, None] * _cofactor(B.xp, raw[pick])
            return (grad.astype(g.dtype, copy=False),)
        # double backward: the SVD branch on every matrix of the batch, those not taking it replaced
        # by a matrix with well separated singular values, whose SVD stays differentiable
        spread = B.xp.diag(B.xp.arange(1, n + 1, dtype=raw.dtype))
        cof = _cofactor(xp, xp.where(bad, a, spread))
        return (xp.where(bad, g[..., None, None] * cof, grad),)


class Slogdet(Op):
    """(sign, log|det|); the gradient of log|det| is A^-T. At an exactly singular matrix it is
    cof(A)/det(A), infinite or NaN entry by entry (see :func:`_singular_logdet_grad`); double
    backward there raises as torch's does (its formula solves with A)."""

    saved_inputs = (0,)

    def forward(self, a):
        self.a = a
        sign, logabs = self.xp.linalg.slogdet(a)
        return self.xp.asarray(sign, dtype=a.dtype), self.xp.asarray(logabs, dtype=a.dtype)

    def backward(self, g_sign, g_logabs):
        xp = self.xp
        a = self.a
        n = a.shape[-1]
        if n == 0 or a.size == 0:
            return (xp.zeros_like(g_logabs, shape=a.shape),)
        if _is_graph(a):
            eye = B.xp.eye(n, dtype=_raw(a).dtype)
            return (xp.linalg.solve(_mT(a), g_logabs[..., None, None] * eye),)
        inv, singular = _inverse_parts(a)
        inv_t = _mT(inv)
        if singular.any():
            inv_t = inv_t.copy()
            for idx in B.xp.ndindex(*singular.shape):
                if singular[idx]:
                    inv_t[idx] = _singular_logdet_grad(a[idx])
        with B.errstate(all="ignore"):
            return ((g_logabs[..., None, None] * inv_t).astype(a.dtype, copy=False),)


class Solve(Op):
    """X = A^-1 B (B a batch of matrices; vectors arrive as n x 1 matrices)."""

    saved_inputs = (0,)
    saves_output = True

    def forward(self, a, b):
        self.a = a
        try:
            with B.errstate(all="ignore"):
                self.out = self.xp.linalg.solve(a, b).astype(a.dtype, copy=False)
        except B.xp.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") from None
        self.a_shape, self.b_shape = a.shape, b.shape
        return self.out

    def backward(self, g):
        xp = self.xp
        need = self.needs_input_grad
        with B.errstate(all="ignore"):
            gb = xp.linalg.solve(_mT(self.a), g)
        ga = -gb @ _mT(self.out) if need[0] else None
        if ga is not None:
            ga = B.sum_to_shape(ga, self.a_shape)
        return ga, (B.sum_to_shape(gb, self.b_shape) if need[1] else None)


# ---------------------------------------------------------------------------------------------
# triangular solves


class SolveTriangular(Op):
    """X with T X = B for triangular T (its other triangle is not read; nor its diagonal when
    ``unit``). Gradients: gB = T^-T g, gT = -gB X^T on the triangle read."""

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
    from ..dtypes import from_numpy_dtype

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
        if t._data.dtype.kind != "f":
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
    if a._data.dtype.kind != "f":
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
    from .elementwise import add
    from .linalg_extra import tril, triu

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
    if lu_t._data.dtype.kind != "f":
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
        return _lu_solve_left(lu_t, perm, b.mT, not adjoint).mT
    return _lu_solve_left(lu_t, perm, b, adjoint)


def _lu_solve_left(lu_t, perm, b, adjoint):
    """A X = B (A^T X = B) as two triangular solves with the packed factors and a row order."""
    from .gather_scatter import take_along_dim

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


def torch_lu(A, pivot: bool = True, get_infos: bool = False):
    """``torch.lu`` (``Tensor.lu``): ``(LU, pivots)``, or ``(LU, pivots, info)`` with
    ``get_infos`` (the older spelling of ``linalg.lu_factor_ex``; no error for singular input).

    >>> import kittygrad as kitty
    >>> LU, pivots = kitty.lu(kitty.eye(2))
    >>> pivots
    tensor([1, 2], dtype=kittygrad.int32)
    """
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
    return lu_solve(LU_data, LU_pivots, b)


# ---------------------------------------------------------------------------------------------
# the pseudo-inverse


class Pinv(Op):
    """Moore-Penrose pseudo-inverse P (singular values at or below the threshold count as zero).

    Gradient for a fixed rank (torch's formula, for ``hermitian`` too, with the input as given):
    gA = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A).
    """

    saved_inputs = (0,)
    saves_output = True

    def forward(self, a, atol=None, rtol=None, hermitian=False):
        xp = self.xp
        self.a = a
        m, n = a.shape[-2:]
        batch = B.broadcast_shapes(a.shape[:-2], *[t.shape for t in (atol, rtol) if t is not None])
        if a.size == 0 or min(m, n) == 0:
            self.out = xp.zeros(batch + (n, m), dtype=a.dtype)
            return self.out
        with B.errstate(all="ignore"):
            if hermitian:
                w, v = xp.linalg.eigh(a)  # the lower triangle, as torch's eigh
                size = xp.abs(w)
            else:
                u, size, vh = xp.linalg.svd(a, full_matrices=False)
            top = size.max(axis=-1)
            if rtol is None:
                default = _eps(a.dtype) * max(m, n)
                rtol = default if atol is None else xp.where(atol > 0, 0.0, default)
            thresh = rtol * top if atol is None else xp.maximum(atol, rtol * top)
            thresh = xp.broadcast_to(thresh, batch)[..., None]
            keep = size > thresh  # torch's documented rule: values below the threshold are dropped
            if hermitian:
                inv = xp.where(keep, 1 / xp.where(keep, w, 1), 0)
                out = (v * inv[..., None, :]) @ _mT(v)
            else:
                inv = xp.where(keep, 1 / xp.where(keep, size, 1), 0)
                out = (_mT(vh) * inv[..., None, :]) @ _mT(u)
        self.out = xp.broadcast_to(out, batch + (n, m)).astype(a.dtype, copy=True)
        return self.out

    def backward(self, g):
        a, p = self.a, self.out
        pt = _mT(p)
        gt = _mT(g)
        x = gt @ p @ pt  # m x n
        y = pt @ (p @ gt)  # m x n
        ga = -(pt @ g @ pt) + x - a @ (p @ x) + y - (y @ p) @ a
        return (B.sum_to_shape(ga, a.shape),)


def _tolerance(x, name):
    if x is None:
        return None
    if isinstance(x, F.Tensor):
        return x._data.astype(B.NP_DTYPES["float64"])
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return B.xp.asarray(float(x))
    raise KittyTypeError(f"linalg.pinv(): argument '{name}' must be Tensor or float, not {type(x).__name__}")


def pinv(A, rcond=None, hermitian: bool = False, *, atol=None, rtol=None):
    """The Moore-Penrose pseudo-inverse (through the SVD, or ``eigh`` of the lower triangle when
    ``hermitian``); singular values at or below max(atol, rtol * largest) count as zero. ``rcond``
    (positional, deprecated in torch) is ``rtol``.

    >>> import kittygrad as kitty
    >>> kitty.linalg.pinv(kitty.tensor([[2., 0.], [0., 0.]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.0000]])
    """
    a = tensor_input(A, "A")
    if a._data.ndim < 2 or a._data.dtype.kind != "f":
        raise KittyRuntimeError(
            f"linalg.pinv({dtype_name(a)}{list(a._data.shape)}): expected a tensor with 2 or more dimensions of "
            "float, double, cfloat or cdouble types"
        )
    if rcond is not None:
        rtol = rcond
    if hermitian and a._data.shape[-1] != a._data.shape[-2]:
        m, n = a._data.shape[-2:]
        raise KittyRuntimeError(f"linalg.eigh: A must be batches of square matrices, but they are {m} by {n} matrices")
    if (atol is not None and rtol is not None) and isinstance(atol, F.Tensor) != isinstance(rtol, F.Tensor):
        raise KittyTypeError(
            "linalg_pinv() received an invalid combination of arguments: atol and rtol must be both Tensors or "
            "both floats"
        )
    atol_a, rtol_a = _tolerance(atol, "atol"), _tolerance(rtol, "rtol")
    for t in (atol_a, rtol_a):
        if t is not None:
            broadcast_shape_of(a._data.shape[:-2], t.shape)
    return Pinv.apply(a, atol=atol_a, rtol=rtol_a, hermitian=hermitian)


def pinverse(input, rcond: float = 1e-15):
    """``torch.pinverse``: the pseudo-inverse with relative tolerance ``rcond`` (``linalg.pinv``).

    >>> import kittygrad as kitty
    >>> kitty.pinverse(kitty.eye(2) * 4)
    tensor([[0.2500, 0.0000],
            [0.0000, 0.2500]])
    """
    return pinv(input, rtol=rcond)
