"""Op-table rows of ``kittygrad/ops/solvers.py``, and the ``_ex`` forms at singular and indefinite
matrices (info, results, and the errors of ``check_errors=True``), as torch.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, _quiet, _spd, fixed, matrix_shapes, well_conditioned

import kittygrad as kitty


def _chol(m, a):
    return m.linalg.cholesky(_spd(m, a))


def _eye_plus(m, a, n, shape):
    """``a`` plus 3 times an n x n identity laid out in ``shape`` (a well-conditioned tensor inverse)."""
    return a + 3 * m.eye(n, dtype=a.dtype).reshape(shape)


ROWS = [
    Row("linalg.inv_ex", lambda m, a: m.linalg.inv_ex(a), shapes=matrix_shapes("bnn"), domain=well_conditioned,
        also=("inv_ex",)),
    Row("linalg.solve_ex", lambda m, a, b: m.linalg.solve_ex(a, b), 2, shapes=matrix_shapes("bnn", "bnk"),
        domain=well_conditioned, also=("solve_ex",)),
    Row("solve_ex_vector_right", lambda m, a, b, c: m.linalg.solve_ex(a, b)[0] + m.linalg.solve_ex(a, c, left=False)[0].sum(-2),
        3, shapes=fixed((3, 3), (3,), (2, 3)), domain=well_conditioned),
    Row("linalg.cholesky_ex", lambda m, a: m.linalg.cholesky_ex(_spd(m, a)), shapes=matrix_shapes("bnn"),
        also=("cholesky_ex",)),
    Row("cholesky_ex_upper", lambda m, a: m.linalg.cholesky_ex(_spd(m, a), upper=True), shapes=fixed((3, 3))),
    Row("cholesky_solve", lambda m, b, a: m.cholesky_solve(b, _chol(m, a)), 2, shapes=matrix_shapes("bnk", "bnn")),
    Row("cholesky_solve_upper", lambda m, b, a: b.cholesky_solve(_chol(m, a).mT, upper=True), 2,
        shapes=fixed((3, 2), (2, 3, 3)), also=("cholesky_solve_method",)),
    # the factor as given (its other triangle is not read, yet torch's gradient reaches it): no
    # finite differences there
    Row("cholesky_solve_raw_factor", lambda m, b, f: m.cholesky_solve(b, f), 2, shapes=fixed((3, 2), (3, 3)),
        domain=well_conditioned, fd=False),
    Row("cholesky_inverse", lambda m, a: m.cholesky_inverse(_chol(m, a)), shapes=matrix_shapes("bnn")),
    Row("cholesky_inverse_upper", lambda m, a: _chol(m, a).mT.cholesky_inverse(True), shapes=fixed((3, 3)),
        also=("cholesky_inverse_method",)),
    Row("cholesky_inverse_raw_factor", lambda m, f: m.cholesky_inverse(f), shapes=fixed((3, 3)),
        domain=well_conditioned, fd=False),
    Row("linalg.tensorinv", lambda m, a: m.linalg.tensorinv(_eye_plus(m, a, 4, (4, 2, 2)), ind=1),
        shapes=fixed((4, 2, 2)), also=("tensorinv",)),
    Row("tensorinv_ind2", lambda m, a: m.linalg.tensorinv(_eye_plus(m, a, 6, (2, 3, 6))[..., None], ind=2),
        shapes=fixed((2, 3, 6))),
    Row("linalg.tensorsolve", lambda m, a, b: m.linalg.tensorsolve(_eye_plus(m, a, 6, (2, 3, 6)), b), 2,
        shapes=fixed((2, 3, 6), (2, 3)), also=("tensorsolve",)),
    Row("tensorsolve_dims", lambda m, a, b: m.linalg.tensorsolve(_eye_plus(m, a, 6, (6, 2, 3)), b, dims=(0,)), 2,
        shapes=fixed((6, 2, 3), (2, 3))),
    Row("triangular_solve", lambda m, b, a: _quiet(m.triangular_solve, b, a), 2, shapes=matrix_shapes("bnk", "bnn"),
        domain=well_conditioned),
    Row("triangular_solve_lower_transposed", lambda m, b, a: _quiet(b.triangular_solve, a, False, True)
        + (_quiet(m.triangular_solve, b, a, True, True).solution,), 2, shapes=fixed((3, 2), (2, 3, 3)),
        domain=well_conditioned, also=("triangular_solve_method",)),
]

_SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
_BATCH = np.stack([np.eye(2), _SINGULAR])
_INDEFINITE = [[[1.0, 2.0], [2.0, 1.0]], [[4.0, 2.0, 1.0], [2.0, 1.0, 3.0], [1.0, 3.0, 1.0]],
               [[4.0, 2.0, 1.0], [2.0, 5.0, 3.0], [1.0, 3.0, -1.0]], [[-4.0, 2.0, 1.0], [2.0, 5.0, 3.0], [1.0, 3.0, 1.0]]]


def _same(ours, theirs):
    for k, t in zip(ours, theirs):
        assert str(k.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(k.numpy(), t.numpy(), equal_nan=True)


@pytest.mark.parametrize("a", [_SINGULAR, _BATCH], ids=["single", "batch"])
def test_singular_inv_and_solve_ex_as_torch(a):
    _same(kitty.linalg.inv_ex(kitty.tensor(a)), torch.linalg.inv_ex(torch.tensor(a)))
    b = np.ones(2)
    _same(kitty.linalg.solve_ex(kitty.tensor(a), kitty.tensor(b)), torch.linalg.solve_ex(torch.tensor(a), torch.tensor(b)))


@pytest.mark.parametrize("a", _INDEFINITE)
@pytest.mark.parametrize("upper", [False, True])
def test_partial_cholesky_as_torch(a, upper):
    """Where A is not positive-definite: info is the order of the first failing leading minor, and
    L the factorization as far as it went (torch's, from LAPACK's column-by-column potf2)."""
    a = np.array(a)
    _same(kitty.linalg.cholesky_ex(kitty.tensor(a), upper=upper), torch.linalg.cholesky_ex(torch.tensor(a), upper=upper))


_ERRORS = [
    lambda m: m.linalg.inv_ex(m.tensor(_BATCH), check_errors=True),
    lambda m: m.linalg.inv_ex(m.tensor(_SINGULAR), check_errors=True),
    lambda m: m.linalg.inv_ex(m.ones(2, 3)),
    lambda m: m.linalg.solve_ex(m.tensor(_BATCH), m.ones(2, dtype=m.float64), check_errors=True),
    lambda m: m.linalg.solve_ex(m.eye(2) * 2, m.ones(2, dtype=m.float64)),
    lambda m: m.linalg.cholesky_ex(m.tensor(_BATCH), check_errors=True),
    lambda m: m.linalg.cholesky_ex(m.tensor([[1.0, 2.0], [2.0, 1.0]]), check_errors=True),
    lambda m: m.linalg.cholesky_ex(m.eye(2, dtype=m.int64)),
    lambda m: m.cholesky_inverse(m.tensor(np.stack([np.eye(2), np.zeros((2, 2))]))),
    lambda m: m.cholesky_inverse(m.ones(2, 3)),
    lambda m: m.cholesky_solve(m.ones(2), m.eye(2)),
    lambda m: m.cholesky_solve(m.ones(2, 1), m.ones(2)),
    lambda m: m.cholesky_solve(m.ones(3, 1), m.eye(2)),
    lambda m: m.cholesky_solve(m.ones(2, 1), m.eye(2, dtype=m.float64)),
    lambda m: m.cholesky_solve(m.ones(3, 2, 1), m.eye(2).expand(2, 2, 2)),
    lambda m: m.linalg.tensorinv(m.zeros(2, 2), ind=1),
    lambda m: m.linalg.tensorinv(m.zeros(4, 2, 3), ind=1),
    lambda m: m.linalg.tensorinv(m.eye(4), ind=0),
    lambda m: m.linalg.tensorsolve(m.zeros(2, 2), m.ones(2)),
    lambda m: m.linalg.tensorsolve(m.ones(2, 3, 5), m.ones(2, 3)),
]


@pytest.mark.parametrize("fn", _ERRORS)
def test_errors_as_torch(fn):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(Exception) as ours:
        fn(kitty)
    assert str(ours.value) == str(theirs.value)
    for kind in (RuntimeError, TypeError, NotImplementedError, IndexError):
        assert isinstance(ours.value, kind) == isinstance(theirs.value, kind)
    if "LinAlgError" in type(theirs.value).__name__:
        assert isinstance(ours.value, kitty.linalg.LinAlgError)


def test_cholesky_solve_at_a_zero_diagonal_gives_nan():
    out = kitty.cholesky_solve(kitty.ones(2, 1, dtype=kitty.float64), kitty.zeros(2, 2, dtype=kitty.float64))
    assert np.isnan(out.numpy()).all()


_REMOVED = [
    lambda m: m.solve(m.eye(2), m.eye(2)),
    lambda m: m.eye(2).solve(m.eye(2)),
    lambda m: m.lstsq(m.eye(2), m.eye(2)),
    lambda m: m.eye(2).lstsq(m.eye(2)),
    lambda m: m.matrix_rank(m.eye(2)),
    lambda m: m.eig(m.eye(2)),
    lambda m: m.eye(2).eig(),
    lambda m: m.symeig(m.eye(2)),
    lambda m: m.eye(2).symeig(),
]


@pytest.mark.parametrize("fn", _REMOVED)
def test_functions_torch_removed_raise_as_in_torch(fn):
    with pytest.raises(RuntimeError, match="deprecated"):
        fn(torch)
    with pytest.raises(RuntimeError, match="removed; use torch.linalg"):
        fn(kitty)
