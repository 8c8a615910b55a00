"""Op-table rows of ``kittygrad/ops/householder.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them. ``geqrf`` is not
differentiable (in torch either): its row compares the values (detached)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed

import kittygrad as kitty


def _detached(outs):
    return tuple(o.detach() for o in outs)


ROWS = [
    Row("geqrf", lambda m, a: _detached(m.geqrf(a)) + _detached(a.geqrf()), shapes=fixed((5, 3)),
        also=("geqrf_method",)),
    Row("geqrf_wide_batch", lambda m, a: _detached(m.geqrf(a)), shapes=fixed((2, 2, 3))),
    Row("linalg.householder_product", lambda m, a, t: m.linalg.householder_product(a, t), 2,
        shapes=fixed((5, 3), (3,)), also=("householder_product",)),
    Row("householder_product_batch", lambda m, a, t: m.linalg.householder_product(a, t), 2,
        shapes=fixed((2, 4, 3), (2, 2))),
    Row("householder_product_of_geqrf", lambda m, a: m.linalg.householder_product(*m.geqrf(a.detach())),
        shapes=fixed((4, 3)), grad=False),
    Row("orgqr", lambda m, a, t: m.orgqr(a, t) + a.orgqr(t), 2, shapes=fixed((4, 4), (4,)), also=("orgqr_method",)),
    Row("ormqr", lambda m, a, t, c: m.ormqr(a, t, c), 3, shapes=fixed((5, 3), (3,), (5, 2))),
    Row("ormqr_transpose", lambda m, a, t, c: m.ormqr(a, t, c, transpose=True), 3, shapes=fixed((5, 3), (3,), (5, 2))),
    Row("ormqr_right", lambda m, a, t, c: a.ormqr(t, c, left=False) + m.ormqr(a, t, c, False, True), 3,
        shapes=fixed((2, 4, 2), (2, 2), (2, 3, 4)), also=("ormqr_method",)),
    Row("ormqr_wide", lambda m, a, t, c: m.ormqr(a, t, c), 3, shapes=fixed((3, 4), (3,), (3, 2))),
]


def test_geqrf_is_not_differentiable():
    for lib, kind in ((torch, NotImplementedError), (kitty, NotImplementedError)):
        a = lib.tensor(np.eye(3), requires_grad=True)
        out = lib.geqrf(a)
        assert out.a.requires_grad and out.tau.requires_grad
        with pytest.raises(kind, match="the derivative for 'geqrf' is not implemented."):
            out.a.sum().backward()


def test_householder_product_of_geqrf_is_qr():
    a = np.random.default_rng(0).standard_normal((2, 5, 3))
    q = kitty.linalg.householder_product(*kitty.geqrf(kitty.tensor(a)))
    np.testing.assert_allclose(q.numpy(), torch.linalg.qr(torch.tensor(a)).Q.numpy(), atol=1e-12)


_ERRORS = [
    lambda m: m.linalg.householder_product(m.ones(2, 3), m.ones(2)),
    lambda m: m.linalg.householder_product(m.ones(3), m.ones(2)),
    lambda m: m.linalg.householder_product(m.ones(4, 3), m.ones(4)),
    lambda m: m.linalg.householder_product(m.ones(2, 4, 3), m.ones(3, 2)),
    lambda m: m.linalg.householder_product(m.ones(4, 3), m.ones(2, dtype=m.float64)),
    lambda m: m.linalg.householder_product(m.ones(4, 3), m.tensor(1.0)),
    lambda m: m.linalg.householder_product(m.ones(4, 3, dtype=m.int64), m.ones(2, dtype=m.int64)),
    lambda m: m.geqrf(m.ones(3)),
    lambda m: m.geqrf(m.ones(2, 3, dtype=m.int64)),
    lambda m: m.ormqr(m.ones(5, 3), m.ones(4), m.ones(5, 2)),
    lambda m: m.ormqr(m.ones(5, 3), m.ones(3), m.ones(4, 2)),
    lambda m: m.ormqr(m.ones(5, 3), m.ones(3), m.ones(2, 4), left=False),
    lambda m: m.ormqr(m.ones(5), m.ones(3), m.ones(5, 2)),
    lambda m: m.ormqr(m.ones(5, 3), m.ones(3), m.ones(5)),
    lambda m: m.ormqr(m.ones(2, 5, 3), m.ones(3), m.ones(2, 5, 2)),
    lambda m: m.ormqr(m.ones(2, 5, 3), m.ones(2, 3), m.ones(5, 2)),
    lambda m: m.ormqr(m.ones(2, 5, 3), m.ones(2, 3), m.ones(3, 5, 2)),
    lambda m: m.ormqr(m.ones(5, 3), m.ones(3, dtype=m.float64), m.ones(5, 2)),
    lambda m: m.ormqr(m.ones(5, 3), m.ones(3), m.ones(5, 2, dtype=m.float64)),
    lambda m: m.ormqr(m.ones(5, 3, dtype=m.int64), m.ones(3, dtype=m.int64), m.ones(5, 2, dtype=m.int64)),
]


@pytest.mark.parametrize("fn", _ERRORS)
def test_errors_as_torch(fn):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(Exception) as ours:
        fn(kitty)
    assert str(ours.value) == str(theirs.value)
    for kind in (RuntimeError, NotImplementedError, IndexError):
        assert isinstance(ours.value, kind) == isinstance(theirs.value, kind)
