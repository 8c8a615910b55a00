"""Op-table rows of ``kittygrad/ops/conditioning.py``, and ``cond``'s gradient for the norms where
torch's own backward fails.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed, matrix_shapes, well_conditioned

import kittygrad as kitty

INF = float("inf")


def _drop_column(m, a):
    """``a`` with its last column exactly zero: rank at most n - 1."""
    keep = m.ones(a.shape[-1], dtype=a.dtype)
    keep[-1] = 0
    return a * keep


ROWS = [
    Row("linalg.cond", lambda m, a: m.linalg.cond(a), shapes=matrix_shapes("bnm"), also=("linalg_cond",)),
    Row("cond_2", lambda m, a: (m.linalg.cond(a, 2), m.linalg.cond(a, -2)), shapes=fixed((2, 3, 4))),
    Row("cond_nuc", lambda m, a: m.linalg.cond(a, "nuc"), shapes=fixed((2, 3, 3)), domain=well_conditioned),
    # torch's backward for these norms fails (an in-place write on inv_ex's output): forward only
    # here, gradients in test_norm_cond_gradient_is_the_composites
    Row("cond_norms", lambda m, a: m.stack([m.linalg.cond(a, p) for p in (1, -1, INF, -INF, "fro")]),
        shapes=matrix_shapes("bnn"), grad=False),
    Row("linalg.matrix_rank", lambda m, a: (m.linalg.matrix_rank(a), m.linalg.matrix_rank(_drop_column(m, a)),
                                            m.linalg.matrix_rank(a, atol=1.0), m.linalg.matrix_rank(a, rtol=0.5),
                                            m.linalg.matrix_rank(a, 0.5)),
        shapes=matrix_shapes("bnm"), grad=False, also=("matrix_rank",)),
    Row("matrix_rank_hermitian", lambda m, a: (m.linalg.matrix_rank(a + a.mT, hermitian=True),
                                               m.linalg.matrix_rank(_drop_column(m, a) @ _drop_column(m, a).mT,
                                                                    hermitian=True)),
        shapes=matrix_shapes("bnn"), grad=False),
    Row("matrix_rank_tensor_tolerances", lambda m, a: m.linalg.matrix_rank(
        a, atol=m.tensor([0.5, 2.0], dtype=a.dtype), rtol=m.tensor(0.1, dtype=a.dtype)), shapes=fixed((2, 3, 4)),
        grad=False),
]


@pytest.mark.parametrize("p", [1, -1, INF, -INF, "fro"])
def test_norm_cond_gradient_is_the_composites(p):
    """norm(A) * norm(A^-1): kittygrad differentiates it; torch's cond does not (its backward
    fails), so compare with torch's gradient of the same composition."""
    a = np.random.default_rng(0).standard_normal((2, 3, 3)) + 3 * np.eye(3)
    x = kitty.tensor(a, requires_grad=True)
    kitty.linalg.cond(x, p).sum().backward()
    y = torch.tensor(a, requires_grad=True)
    (torch.linalg.matrix_norm(y, p) * torch.linalg.matrix_norm(torch.linalg.inv(y), p)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-9)


def test_singular_and_empty_as_torch():
    s = np.stack([[[1.0, 2.0], [2.0, 4.0]], np.eye(2)])
    for p in (1, -1, INF, -INF, "fro"):  # (±2 and nuc: the rounding of a tiny singular value)
        np.testing.assert_array_equal(kitty.linalg.cond(kitty.tensor(s), p).numpy(),
                                      torch.linalg.cond(torch.tensor(s), p).numpy())
    for p in (None, 1, "nuc"):
        out = kitty.linalg.cond(kitty.ones(0, 0), p)
        assert out.shape == () and float(out) == 0.0 and out.dtype == kitty.float32


_ERRORS = [
    lambda m: m.linalg.cond(m.ones(2, 2), 3),
    lambda m: m.linalg.cond(m.ones(2, 2), "foo"),
    lambda m: m.linalg.cond(m.ones(2, 3), "foo"),
    lambda m: m.linalg.cond(m.ones(2, 3), 1),
    lambda m: m.linalg.cond(m.ones(2, 3), -INF),
    lambda m: m.linalg.cond(m.ones(2, 3), "nuc"),
    lambda m: m.linalg.cond(m.ones(3)),
    lambda m: m.linalg.cond(m.ones(2, 2, dtype=m.int64)),
    lambda m: m.linalg.matrix_rank(m.ones(3)),
    lambda m: m.linalg.matrix_rank(m.ones(2, 2, dtype=m.int64)),
]


@pytest.mark.parametrize("fn", _ERRORS)
def test_errors_as_torch(fn):
    with pytest.raises(RuntimeError) as theirs:
        fn(torch)
    with pytest.raises(RuntimeError) as ours:
        fn(kitty)
    assert str(ours.value) == str(theirs.value)
