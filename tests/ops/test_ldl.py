"""Op-table rows of ``kittygrad/ops/ldl.py``, and the factorization against torch's (LAPACK's
sytrf) on symmetric indefinite matrices that need 1 x 1 and 2 x 2 pivots.

The LDL functions are not differentiable (in torch either): rows compare the values (detached)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed, matrix_shapes

import kittygrad as kitty


def _sym(m, a):
    return a + a.mT


def _detached(outs):
    return tuple(o.detach() for o in outs)


def _solve(m, a, b):
    ld, piv = m.linalg.ldl_factor(_sym(m, a).detach())
    return m.linalg.ldl_solve(ld, piv, b).detach()


ROWS = [
    Row("linalg.ldl_factor", lambda m, a: _detached(m.linalg.ldl_factor(_sym(m, a))), shapes=matrix_shapes("bnn"),
        also=("ldl_factor",)),
    Row("linalg.ldl_factor_ex", lambda m, a: _detached(m.linalg.ldl_factor_ex(_sym(m, a), hermitian=True)),
        shapes=fixed((2, 4, 4)), also=("ldl_factor_ex",)),
    Row("linalg.ldl_solve", lambda m, a, b: _solve(m, a, b), 2, shapes=matrix_shapes("bnn", "nk"),
        also=("ldl_solve",)),
]


def _indefinite(rng, n):
    m = rng.standard_normal((n, n))
    m = m + m.T
    k = int(rng.integers(n))
    m[k, k] = 0.0  # small or zero diagonal entries call for 2 x 2 pivots
    m[0, 0] *= 1e-3
    return m


@pytest.mark.parametrize("seed", range(6))
def test_factor_and_solve_as_torch(seed):
    rng = np.random.default_rng(seed)
    a = np.stack([_indefinite(rng, 6) for _ in range(8)])
    ours = kitty.linalg.ldl_factor_ex(kitty.tensor(a))
    theirs = torch.linalg.ldl_factor_ex(torch.tensor(a))
    np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    np.testing.assert_allclose(ours.LD.numpy(), theirs.LD.numpy(), rtol=1e-9, atol=1e-12)
    b = rng.standard_normal((8, 6, 2))
    x = kitty.linalg.ldl_solve(ours.LD, ours.pivots, kitty.tensor(b)).numpy()
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-7, atol=1e-9)


def test_two_by_two_pivot_and_singular():
    ours = kitty.linalg.ldl_factor_ex(kitty.tensor([[0.0, 1.0], [1.0, 0.0]]))
    assert ours.pivots.tolist() == [-2, -2] and int(ours.info) == 0
    sing = kitty.linalg.ldl_factor_ex(kitty.zeros(2, 2))
    assert int(sing.info) == 1 and sing.pivots.tolist() == [1, 2]
    with pytest.raises(kitty.linalg.LinAlgError, match="singular"):
        kitty.linalg.ldl_factor(kitty.zeros(2, 2))
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\)"):
        kitty.linalg.ldl_factor_ex(kitty.stack([kitty.eye(2), kitty.zeros(2, 2)]), check_errors=True)


def test_not_differentiable():
    a = kitty.tensor([[4.0, 2.0], [2.0, -3.0]], requires_grad=True)
    ld, piv = kitty.linalg.ldl_factor(a)
    with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_factor_ex is not implemented"):
        ld.sum().backward()
    b = kitty.ones(2, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_solve is not implemented"):
        kitty.linalg.ldl_solve(ld.detach(), piv, b).sum().backward()


_ERRORS = [
    lambda m: m.linalg.ldl_factor(m.ones(3)),
    lambda m: m.linalg.ldl_factor(m.ones(2, 3)),
    lambda m: m.linalg.ldl_factor(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.ldl_solve(m.eye(3), m.ones(2, dtype=m.int32), m.ones(3, 1)),
    lambda m: m.linalg.ldl_solve(m.eye(3), m.ones(3, dtype=m.int32), m.ones(2, 2)),
    lambda m: m.linalg.ldl_solve(m.eye(3), m.ones(3, dtype=m.int32), m.ones(3, 1, dtype=m.float64)),
    lambda m: m.linalg.ldl_solve(m.ones(3), m.ones(3, dtype=m.int32), m.ones(3, 1)),
    lambda m: m.linalg.ldl_solve(m.eye(3).expand(2, 3, 3), m.ones(3, dtype=m.int32), m.ones(3, 1)),
]


@pytest.mark.parametrize("fn", _ERRORS)
def test_errors_as_torch(fn):
    with pytest.raises(RuntimeError) as theirs:
        fn(torch)
    with pytest.raises(RuntimeError) as ours:
        fn(kitty)
    assert str(ours.value) == str(theirs.value)
