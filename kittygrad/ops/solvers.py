"""Solvers beyond ``solve``/``inv``: the ``_ex`` forms that report failures in an ``info`` tensor
(``inv_ex``, ``solve_ex``, ``cholesky_ex``), solving with a Cholesky factor (``cholesky_solve``,
``cholesky_inverse``) and the tensor forms (``tensorinv``, ``tensorsolve``)."""
from __future__ import annotations

import math

from .. import backend as B
from ..autograd import function as F
from ..autograd.function import Op
from ..errors import KittyNotImplementedError, KittyRuntimeError, KittyTypeError
from . import _return_types as RT
from ._prep import broadcast_shape_of, bundle, dtype_name, expand_to, tensor_input, torch_named
from ._refusals import Removed
from .decompositions import (
    LinAlgError,
    SolveTriangular,
    _batch_prefix,
    _cholesky_np,
    _first_failure,
    _lu_np,
    _mT,
    _run,
    _square,
    _tri_solve_np,
    lu_factor_ex,
    lu_solve,
    solve_triangular,
)
from .inverses import Inv, solve
from ._prep import warn_once as _warn_once

_inv_ex_result = RT._make("linalg_inv_ex", ("inverse", "info"))
_solve_ex_result = RT._make("linalg_solve_ex", ("result", "info"))
_cholesky_ex_result = RT._make("linalg_cholesky_ex", ("L", "info"))
_triangular_solve_result = RT._make("triangular_solve", ("solution", "cloned_coefficient"))


def _info_tensor(info):
    return F.Tensor._wrap(B.xp.asarray(info, dtype=B.NP_DTYPES["int32"]))


# ---------------------------------------------------------------------------------------------
# inv_ex, solve_ex


def _lu_info(a):
    """LAPACK getrf's info for each matrix (0, or the 1-based index of the first zero pivot)."""
    return _lu_np(a)[2].astype(B.NP_DTYPES["int32"])


def inv_ex(A, *, check_errors: bool = False):
    """``(inverse, info)``: the inverse without an error for singular matrices; ``info`` > 0 is
    the (1-based) zero pivot of the LU factorization, where the inverse is inf/NaN, as torch's.
    ``check_errors=True`` raises for them instead.

    >>> import kittygrad as kitty
    >>> kitty.linalg.inv_ex(kitty.tensor([[1., 2.], [2., 4.]])).info
    tensor(2, dtype=kittygrad.int32)
    """
    a = _square(A, "linalg.inv")
    try:  # LAPACK finds every matrix invertible: the inverse op, info all zero
        out = Inv.apply(a)
        return _inv_ex_result(out, _info_tensor(_no_failures(a)))
    except LinAlgError:
        pass
    info = _lu_info(a._data)
    failure = _first_failure(info)
    if check_errors and failure is not None:
        raise LinAlgError(
            f"linalg.inv_ex: {_batch_prefix(info, failure[0])}The diagonal element {failure[1]} is zero, the "
            "inversion could not be completed because the input matrix is singular."
        )
    lu, piv, _ = lu_factor_ex(a)
    n = a._data.shape[-1]
    eye = F.Tensor._wrap(B.xp.broadcast_to(B.xp.eye(n, dtype=a._data.dtype), a._data.shape).copy())
    return _inv_ex_result(lu_solve(lu, piv, eye), _info_tensor(info))


def solve_ex(A, B, *, left: bool = True, check_errors: bool = False):
    """``(result, info)``: ``linalg.solve`` without an error for singular matrices (``info`` > 0,
    the result inf/NaN there, as torch's); ``check_errors=True`` raises for them instead.

    >>> import kittygrad as kitty
    >>> kitty.linalg.solve_ex(kitty.eye(2) * 2, kitty.ones(2)).result
    tensor([0.5000, 0.5000])
    """
    a = _square(A, "linalg.solve")
    try:  # also every check of shapes and dtypes
        x = solve(a, B, left=left)
        return _solve_ex_result(x, _info_tensor(_no_failures(a)))
    except LinAlgError:
        pass
    info = _lu_info(a._data)
    failure = _first_failure(info)
    if check_errors and failure is not None:
        raise LinAlgError(
            f"torch.linalg.solve_ex: {_batch_prefix(info, failure[0])}The solver failed because the input matrix is "
            "singular."
        )
    b = tensor_input(B, "B")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return _solve_ex_result(_lu_solve_any(a.mT, b.mT).mT, _info_tensor(info))
    return _solve_ex_result(_lu_solve_any(a, b), _info_tensor(info))


def _no_failures(a):
    """An info of zeros for each matrix of ``a``'s batch."""
    return B.xp.zeros(a._data.shape[:-2])


def _lu_solve_any(a, b):
    """A X = B through the LU factorization (inf/NaN for singular A), B a matrix or a vector
    as ``solve`` reads it."""
    vector = b._data.ndim == 1 or (b._data.ndim == a._data.ndim - 1 and b._data.shape == a._data.shape[:-1])
    bm = b.unsqueeze(-1) if vector else b
    batch = broadcast_shape_of(a._data.shape[:-2], bm._data.shape[:-2])
    a = expand_to(a, batch + a._data.shape[-2:])
    bm = expand_to(bm, batch + bm._data.shape[-2:])
    lu, piv, _ = lu_factor_ex(a)
    x = lu_solve(lu, piv, bm)
    return x.squeeze(-1) if vector else x


# ---------------------------------------------------------------------------------------------
# cholesky_ex


class CholeskyEx(Op):
    """``(L, info)`` (``U = L^T`` with ``upper``): the Cholesky factor, or the partial one with
    info > 0 where A is not positive-definite. Gradient as ``linalg.cholesky``'s, with triangular
    solves (inf/NaN rather than an error where L has a zero on its diagonal)."""

    saved_fields = ("out", "upper")
    saves_output = True

    def forward(self, a, upper=False):
        xp = self.xp
        self.upper = upper
        try:
            low = xp.linalg.cholesky(a)
            info = xp.zeros(a.shape[:-2], dtype=B.NP_DTYPES["int32"])
        except xp.linalg.LinAlgError:
            low, info = _cholesky_np(a)
        low = low.astype(a.dtype, copy=False)
        self.out = _mT(low).copy() if upper else low
        return self.out, info

    def backward(self, g, _info=None):
        xp = self.xp
        low = _mT(self.out) if self.upper else self.out
        g_low = _mT(g) if self.upper else g
        p = xp.tril(_mT(low) @ g_low)
        p = 0.5 * (p + _mT(xp.tril(p, -1)))
        with B.errstate(all="ignore"):
            x = _run(SolveTriangular, _mT(low), p, upper=True, unit=False)  # L^-T P
            ga = _mT(_run(SolveTriangular, _mT(low), _mT(x), upper=True, unit=False))  # L^-T P L^-1
        return (0.5 * (ga + _mT(ga)),)


def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False):
    """``(L, info)``: the Cholesky factor without an error when A is not positive-definite
    (``info`` > 0 is then the order of the first leading minor that is not); ``check_errors=True``
    raises instead.

    >>> import kittygrad as kitty
    >>> kitty.linalg.cholesky_ex(kitty.tensor([[1., 2.], [2., 1.]])).info
    tensor(2, dtype=kittygrad.int32)
    """
    a = _square(A, "linalg.cholesky")
    low, info = CholeskyEx.apply(a, upper=upper)
    if check_errors:
        failure = _first_failure(info._data)
        if failure is not None:
            raise LinAlgError(
                f"linalg.cholesky_ex: {_batch_prefix(info._data, failure[0])}The factorization could not be "
                f"completed because the input is not positive-definite (the leading minor of order {failure[1]} "
                "is not positive-definite)."
            )
    return _cholesky_ex_result(low, info)


# ---------------------------------------------------------------------------------------------
# with a Cholesky factor


def _lower(f, upper):
    """The lower-triangular factor L with A = L L^T, from L (or from U = L^T when ``upper``)."""
    return _mT(f) if upper else f


class CholeskySolve(Op):
    """X = (L L^T)^-1 B (A = U^T U with ``upper``); only the factor's triangle is read.

    Gradients are torch's: gB = cholesky_solve(g, L) and, treating every entry of the factor as
    free (its other triangle too), gL = -(gB X^T + X gB^T) L (gU = -U (...) with ``upper``).
    """

    saved_fields = ("f", "out", "upper")
    saved_inputs = (1,)
    saves_output = True

    def forward(self, b, f, upper=False):
        self.f, self.upper = f, upper
        low = _lower(f, upper)
        y = _tri_solve_np(low, b, upper=False, unit=False)
        self.out = _tri_solve_np(_mT(low), y, upper=True, unit=False).astype(b.dtype, copy=False)
        return self.out

    def backward(self, g):
        need = self.needs_input_grad
        gb = _run(CholeskySolve, g, self.f, upper=self.upper)
        gf = None
        if need[1]:
            common = gb @ _mT(self.out)
            common = common + _mT(common)
            gf = -(self.f @ common) if self.upper else -(common @ self.f)
        return (gb if need[0] else None), gf


def cholesky_solve(B, L, upper: bool = False):
    """X with A X = B from A's Cholesky factor (A = L L^T, or A = U^T U with ``upper``).

    >>> import kittygrad as kitty
    >>> kitty.cholesky_solve(kitty.ones(2, 1), kitty.eye(2) * 2)
    tensor([[0.2500],
            [0.2500]])
    """
    b, f = tensor_input(B, "input"), tensor_input(L, "input2")
    if b._data.ndim < 2:
        raise KittyRuntimeError(f"b should have at least 2 dimensions, but has {b._data.ndim} dimensions instead")
    if f._data.ndim < 2:
        raise KittyRuntimeError(f"u should have at least 2 dimensions, but has {f._data.ndim} dimensions instead")
    if b._data.dtype != f._data.dtype:
        raise KittyRuntimeError(
            f"Expected b and A to have the same dtype, but found b of type {dtype_name(b)} and A of type "
            f"{dtype_name(f)} instead."
        )
    n, m = f._data.shape[-2:]
    if n != m:
        raise KittyRuntimeError(f"A must be batches of square matrices, but they are {n} by {m} matrices")
    if b._data.shape[-2] != n:
        raise KittyRuntimeError(
            f"Incompatible matrix sizes for cholesky_solve: each A matrix is {n} by {n} but each b matrix is "
            f"{b._data.shape[-2]} by {b._data.shape[-1]}"
        )
    if f._data.dtype.name not in ("float32", "float64"):
        raise KittyNotImplementedError(f"\"cholesky_solve_cpu\" not implemented for '{dtype_name(f)}'")
    batch = broadcast_shape_of(b._data.shape[:-2], f._data.shape[:-2])
    b = expand_to(b, batch + b._data.shape[-2:])
    f = expand_to(f, batch + f._data.shape[-2:])
    return CholeskySolve.apply(b, f, upper=upper)


class CholeskyInverse(Op):
    """A^-1 from A's Cholesky factor. Gradient (torch's, every entry of the factor free):
    gL = -(A^-1 (g + g^T) A^-1) L, or gU = -U (...) with ``upper``."""

    saved_fields = ("f", "out", "upper")
    saved_inputs = (0,)
    saves_output = True

    def forward(self, f, upper=False):
        self.f, self.upper = f, upper
        low = _lower(f, upper)
        eye = B.xp.broadcast_to(B.xp.eye(f.shape[-1], dtype=f.dtype), f.shape)
        inv_low = _tri_solve_np(low, eye, upper=False, unit=False)
        self.out = (_mT(inv_low) @ inv_low).astype(f.dtype, copy=False)
        return self.out

    def backward(self, g):
        common = self.out @ (g + _mT(g)) @ self.out
        return (-(self.f @ common) if self.upper else -(common @ self.f),)


def cholesky_inverse(L, upper: bool = False):
    """A^-1 from A's Cholesky factor (A = L L^T, or A = U^T U with ``upper``); raises
    ``LinAlgError`` when the factor has a zero on its diagonal.

    >>> import kittygrad as kitty
    >>> kitty.cholesky_inverse(kitty.eye(2) * 2)
    tensor([[0.2500, 0.0000],
            [0.0000, 0.2500]])
    """
    f = tensor_input(L, "input")
    if f._data.ndim < 2:
        raise KittyRuntimeError("cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    n, m = f._data.shape[-2:]
    if n != m:
        raise KittyRuntimeError(f"cholesky_inverse: A must be batches of square matrices, but they are {n} by {m} matrices")
    if f._data.dtype.name not in ("float32", "float64"):
        raise KittyNotImplementedError(f"\"cholesky_inverse_out_cpu\" not implemented for '{dtype_name(f)}'")
    diag = B.xp.diagonal(f._data, axis1=-2, axis2=-1)
    zero = diag == 0
    info = B.xp.where(zero.any(axis=-1), zero.argmax(axis=-1) + 1, 0) if n else B.xp.zeros(diag.shape[:-1], dtype=int)
    failure = _first_failure(B.xp.asarray(info))
    if failure is not None:
        raise LinAlgError(
            f"cholesky_inverse: {_batch_prefix(B.xp.asarray(info), failure[0])}The diagonal element {failure[1]} is "
            "zero, the inversion could not be completed because the input matrix is singular."
        )
    return CholeskyInverse.apply(f, upper=upper)


# ---------------------------------------------------------------------------------------------
# tensor forms


def tensorinv(A, ind: int = 2):
    """The inverse of A for ``tensordot(A, X, ind)``: A reshaped to a square matrix
    (the first ``ind`` dims against the rest), inverted, and shaped ``A.shape[ind:] + A.shape[:ind]``.

    >>> import kittygrad as kitty
    >>> kitty.linalg.tensorinv(kitty.eye(4).reshape(4, 2, 2), ind=1).shape
    kittygrad.Size([2, 2, 4])
    """
    a = tensor_input(A, "A")
    if not isinstance(ind, int) or isinstance(ind, bool):
        raise KittyTypeError(f"linalg_tensorinv(): argument 'ind' must be int, not {type(ind).__name__}")
    if ind <= 0:
        raise KittyRuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = tuple(a._data.shape)
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise KittyRuntimeError(
            f"Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but got "
            f"{cols} != {rows}"
        )
    square = a.reshape(rows, cols)
    inverse, info = inv_ex(square)
    failure = _first_failure(info._data)
    if failure is not None:
        raise LinAlgError(
            f"inv: The diagonal element {failure[1]} is zero, the inversion could not be completed because the "
            "input matrix is singular."
        )
    return torch_named(inverse.reshape(*(shape[ind:] + shape[:ind])), "ReshapeAliasBackward0")  # (torch's node)


def tensorsolve(A, B, dims=None):
    """X with ``tensordot(A, X, X.ndim) == B``: A's dims listed in ``dims`` move to the end first,
    then A is reshaped to a square matrix against B's elements.

    >>> import kittygrad as kitty
    >>> kitty.linalg.tensorsolve(kitty.eye(6).reshape(2, 3, 6), kitty.ones(2, 3))
    tensor([1., 1., 1., 1., 1., 1.])
    """
    a, b = tensor_input(A, "A"), tensor_input(B, "B")
    if dims is not None:
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        nd = a._data.ndim
        a = a.movedim(dims, tuple(range(nd - len(dims), nd)))
    result_shape = tuple(a._data.shape[b._data.ndim:])
    result_n, b_n = math.prod(result_shape), math.prod(b._data.shape)
    if result_n != b_n:
        raise KittyRuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
            f"but got {result_n} != {b_n}"
        )
    return solve(a.reshape(b_n, result_n), b.reshape(b_n)).reshape(*result_shape)


# ---------------------------------------------------------------------------------------------
# the older spellings

_TRIANGULAR_SOLVE_DEPRECATED = (
    "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be removed in a "
    "future PyTorch release.\ntorch.linalg.solve_triangular has its arguments reversed and does not return a copy "
    "of one of the inputs.\nX = torch.triangular_solve(B, A).solution\nshould be replaced with\n"
    "X = torch.linalg.solve_triangular(A, B)."
)


def triangular_solve(b, A, upper: bool = True, transpose: bool = False, unitriangular: bool = False):
    """``torch.triangular_solve``: ``(solution, cloned_coefficient)``, X with A X = b (A^T X = b
    with ``transpose``) for triangular A, and a copy of A (the older form of
    ``linalg.solve_triangular``, whose arguments are reversed).

    >>> import kittygrad as kitty
    >>> kitty.triangular_solve(kitty.ones(2, 1), kitty.eye(2) * 2).solution
    tensor([[0.5000],
            [0.5000]])
    """
    b_t, a = tensor_input(b, "input"), tensor_input(A, "A")
    for t, name in ((b_t, "b"), (a, "A")):
        if t._data.ndim < 2:
            raise KittyRuntimeError(
                f"torch.triangular_solve: Expected {name} to have at least 2 dimensions, but it has {t._data.ndim} "
                "dimensions instead"
            )
    n, m = a._data.shape[-2:]
    if n != m:
        raise KittyRuntimeError(f"A must be batches of square matrices, but they are {n} by {m} matrices")
    if b_t._data.shape[-2] != n:
        raise KittyRuntimeError(
            f"Incompatible matrix sizes for triangular_solve: each A matrix is {n} by {n} but each b matrix is "
            f"{b_t._data.shape[-2]} by {b_t._data.shape[-1]}"
        )
    if b_t._data.dtype != a._data.dtype:
        raise KittyRuntimeError(
            f"Expected b and A to have the same dtype, but found b of type {dtype_name(b_t)} and A of type "
            f"{dtype_name(a)} instead."
        )
    # torch checks the arguments before it warns (once a process), so a refused call does not warn
    _warn_once("triangular_solve", _TRIANGULAR_SOLVE_DEPRECATED)
    coefficient = a.mT if transpose else a
    x = solve_triangular(coefficient, b_t, upper=upper != transpose, unitriangular=unitriangular)
    # both results come from one node, as torch's: the copy of A requires grad when b does too
    return _triangular_solve_result(*bundle(x, a.clone(), name="TriangularSolve"))


#: ``torch.solve`` / ``Tensor.solve``: removed from torch, an error there too
torch_solve = Removed("torch.solve", "torch.linalg.solve (its arguments are reversed)")
