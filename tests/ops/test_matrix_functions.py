"""Op-table rows of ``kittygrad/ops/matrix_functions.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed, matrix_shapes

import kittygrad as kitty

ROWS = [
    Row("linalg.matrix_exp", lambda m, a: m.linalg.matrix_exp(a), shapes=matrix_shapes("bnn"), also=("matrix_exp",)),
    Row("matrix_exp_torch", lambda m, a: m.matrix_exp(a) + a.matrix_exp(), shapes=fixed((3, 3))),
    # large norms: the scaling and squaring path (and its Fréchet derivative) does the work
    Row("matrix_exp_scaled", lambda m, a: m.linalg.matrix_exp(a * 3), shapes=fixed((2, 4, 4)), rtol=1e-3),
]


@pytest.mark.parametrize("scale", [1e-3, 1.0, 10.0, 40.0])
def test_accuracy_across_norms(scale):
    a = np.random.default_rng(1).standard_normal((3, 5, 5)) * scale
    k = kitty.linalg.matrix_exp(kitty.tensor(a)).numpy()
    t = torch.linalg.matrix_exp(torch.tensor(a)).numpy()
    np.testing.assert_allclose(k, t, rtol=1e-11 * max(1.0, scale), atol=1e-12 * np.abs(t).max())


def test_errors_and_empty():
    for fn in (lambda m: m.linalg.matrix_exp(m.ones(2, 3)), lambda m: m.linalg.matrix_exp(m.ones(3)),
               lambda m: m.linalg.matrix_exp(m.eye(2, dtype=m.int64))):
        with pytest.raises(RuntimeError) as theirs:
            fn(torch)
        with pytest.raises(RuntimeError) as ours:
            fn(kitty)
        assert str(ours.value) == str(theirs.value)
    assert tuple(kitty.linalg.matrix_exp(kitty.ones(2, 0, 0)).shape) == (2, 0, 0)


def test_nilpotent_exact():
    """exp of a nilpotent matrix is a finite sum: exp([[0, 1], [0, 0]]) = [[1, 1], [0, 1]]."""
    out = kitty.linalg.matrix_exp(kitty.tensor([[0.0, 1.0], [0.0, 0.0]], dtype=kitty.float64)).numpy()
    np.testing.assert_allclose(out, [[1.0, 1.0], [0.0, 1.0]], atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_exp_of_zero_is_exactly_the_identity(dtype):
    # the Padé solve left 0.9999999999999999 on float64's diagonal: the identity printed as 1.0000
    a = np.zeros((2, 3, 3), dtype=dtype)
    a[1] = np.eye(3)
    k = kitty.linalg.matrix_exp(kitty.tensor(a))
    t = torch.linalg.matrix_exp(torch.tensor(a))
    assert k.numpy()[0].tolist() == np.eye(3).tolist()
    assert str(k[0]).replace("kittygrad", "torch") == str(t[0])
    np.testing.assert_allclose(k.numpy(), t.numpy(), rtol=1e-6)
