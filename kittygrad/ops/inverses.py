"""Inverses and solvers: ``inv``, ``det``/``slogdet``, ``solve``, ``pinv``, ``matrix_power``;
stable at singular inputs."""
from __future__ import annotations

from .. import backend as B
from ..autograd import function as F
from ..autograd.function import Op
from ..errors import KittyRuntimeError, KittyTypeError
from . import _return_types as RT
from ._prep import broadcast_shape_of, dtype_name, expand_to, tensor_input, torch_named
from .comparison import where
from .decompositions import SVD, LinAlgError, _batch_prefix, _eps, _first_failure, _is_graph, _lu_np, _mT, _perm, _raw, _run, _square, _tri_solve_np
from .linalg import matmul
from .unary import log

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
        info = _lu_np(a)[2]  # which matrix of the batch, and its first zero pivot (1-based), as torch says
        where, pivot = _first_failure(info) or (0, a.shape[-1])
        raise LinAlgError(
            f"{fname}: {_batch_prefix(info, where)}The diagonal element {pivot} is zero, the inversion could not "
            "be completed because the input matrix is singular."
        ) from None


class Inv(Op):
    """A^-1; gradient -A^-T g A^-T (from the output, so double backward differentiates it)."""

    saved_fields = ("out",)
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

    saved_fields = ("a", "out")
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

    saved_fields = ("a",)
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

    saved_fields = ("a", "a_shape", "b_shape", "out")
    saved_inputs = (0,)
    saves_output = True

    def forward(self, a, b):
        self.a = a
        try:
            with B.errstate(all="ignore"):
                # b given the rank of a: NumPy 1.x reads a b one rank lower as a stack of vectors
                b_ranked = b.reshape((1,) * (a.ndim - b.ndim) + b.shape) if b.ndim < a.ndim else b
                self.out = self.xp.linalg.solve(a, b_ranked).astype(a.dtype, copy=False)
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
# the pseudo-inverse


class Pinv(Op):
    """Moore-Penrose pseudo-inverse P (singular values at or below the threshold count as zero).

    Gradient for a fixed rank (torch's formula, for ``hermitian`` too, with the input as given):
    gA = -P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A).
    """

    saved_fields = ("a", "out")
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
    if a._data.ndim < 2 or not B.is_float(a._data.dtype):
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


def inv(A):
    """The inverse of a (batch of) square matrix; raises ``LinAlgError`` when singular.

    >>> import kittygrad as kitty
    >>> kitty.linalg.inv(kitty.eye(2) * 2)
    tensor([[0.5000, 0.0000],
            [0.0000, 0.5000]])
    """
    return Inv.apply(_square(A, "linalg.inv"))


inverse = inv


def det(A):
    """The determinant of a (batch of) square matrix (gradients also for singular matrices).

    >>> import kittygrad as kitty
    >>> kitty.linalg.det(kitty.eye(2) * 3)
    tensor(9.)
    """
    return Det.apply(_square(A, "linalg.det"))


def slogdet(A):
    """``(sign, logabsdet)`` of the determinant, as a named tuple.

    >>> import kittygrad as kitty
    >>> kitty.linalg.slogdet(kitty.eye(2) * -1).sign
    tensor(1.)
    """
    return RT.linalg_slogdet(*Slogdet.apply(_square(A, "linalg.slogdet")))


def logdet(A):
    """log(det(A)) (NaN for a negative determinant).

    >>> import kittygrad as kitty
    >>> kitty.logdet(kitty.eye(2))
    tensor(0.)
    """

    sign, logabs = Slogdet.apply(_square(A, "logdet"))
    # a negative determinant: the value is NaN and, as in torch, no gradient flows
    logabs = where(sign < 0, logabs.detach(), logabs)
    return torch_named(logabs + log(sign), "WhereBackward0")  # torch: where(sign < 0, nan, logabsdet)


def solve(A, B, *, left: bool = True):
    """X with A X = B (or X A = B when ``left=False``); B may be a (batch of) vector.

    >>> import kittygrad as kitty
    >>> kitty.linalg.solve(kitty.eye(2) * 2, kitty.tensor([2., 4.]))
    tensor([1., 2.])
    """
    a = _square(A, "linalg.solve")
    b = tensor_input(B, "B")
    if b._data.dtype != a._data.dtype:
        raise KittyRuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type {dtype_name(a)} and B of type {dtype_name(b)} instead"
        )
    if b._data.ndim == 0:
        raise KittyRuntimeError("linalg.solve: The input tensor B must have at least 2 dimensions.")
    n = a._data.shape[-1]
    vector = b._data.ndim == 1 or (b._data.ndim == a._data.ndim - 1 and b._data.shape == a._data.shape[:-1])
    if not left:
        # X A = B: B's rows have A's size. A vector B is a column there, which fits no A but a
        # 1x1 one, and that torch refuses too (it is B / A)
        if vector and n == 1:
            raise KittyRuntimeError(
                "linalg.solve: Vector broadcasting of the left hand side is not supported for left=False. "
                "In this case linalg.solve is equivalent to B / A.squeeze(-1)"
            )
        rows, cols = (b._data.shape[-1], 1) if vector else b._data.shape[-2:]
        if vector or cols != n:
            raise KittyRuntimeError(
                f"linalg.solve: Incompatible shapes of A and B for the equation XA = B ({n}x{n} and {rows}x{cols})"
            )
        return torch_named(solve(a.mT, b.mT).mT, "LinalgSolveExBackward0")  # (torch's one node, too)
    bm = b.unsqueeze(-1) if vector else b
    if bm._data.ndim < 2 or bm._data.shape[-2] != n:
        rows = bm._data.shape[-2] if bm._data.ndim >= 2 else bm._data.shape[-1]
        raise KittyRuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and {rows}x{bm._data.shape[-1]})"
        )
    batch = broadcast_shape_of(a._data.shape[:-2], bm._data.shape[:-2])
    a = expand_to(a, batch + a._data.shape[-2:])
    bm = expand_to(bm, batch + bm._data.shape[-2:])
    x = Solve.apply(a, bm)
    return torch_named(x.squeeze(-1), "LinalgSolveExBackward0") if vector else x  # (torch solves vectors natively)


def matrix_power(A, n: int):
    """A to the integer power ``n`` (negative: of the inverse; 0: the identity).

    >>> import kittygrad as kitty
    >>> kitty.linalg.matrix_power(kitty.eye(2) * 2, 3)
    tensor([[8., 0.],
            [0., 8.]])
    """

    a = _square(A, "linalg.matrix_power", need_float=False)
    if not isinstance(n, int) or isinstance(n, bool):
        raise KittyTypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        eye = F.Tensor._wrap(B.xp.broadcast_to(B.xp.eye(a._data.shape[-1], dtype=a._data.dtype), a._data.shape).copy())
        if a._requires_grad:
            # torch's result stays attached to A, with a zero gradient (NaNs in A do not leak)

            return where(F.Tensor._wrap(B.xp.zeros(a._data.shape, dtype=bool)), a, eye)
        return eye
    if n < 0:
        a, n = inv(a), -n
    result, base = None, a
    while n:  # binary powering
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result
