"""Op-table rows of ``kittygrad/ops/inverses.py``, and the shape errors of ``linalg.solve``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

import pytest
import torch
from torch_errors import raised_as_torch

import kittygrad as kitty
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, _spd, fixed, matrix_shapes, well_conditioned

ROWS = [
    Row("linalg.inv", lambda m, a: m.linalg.inv(a), shapes=matrix_shapes("bnn"), domain=well_conditioned,
        also=("inv",)),
    Row("inverse", lambda m, a: m.inverse(a) + a.inverse(), shapes=matrix_shapes("nn"), domain=well_conditioned),
    Row("linalg.det", lambda m, a: m.linalg.det(a), shapes=matrix_shapes("bnn"), also=("det_linalg",)),
    Row("det", lambda m, a: m.det(a) + a.det(), shapes=matrix_shapes("nn"), domain=well_conditioned),
    Row("det_singular", lambda m, a: m.linalg.det(m.stack([a[0], a[0], a[1]])), shapes=fixed((3, 3)), fd=False),
    Row("linalg.slogdet", lambda m, a: m.linalg.slogdet(a), shapes=matrix_shapes("bnn")),
    Row("slogdet", lambda m, a: m.slogdet(a)[1] + a.slogdet()[0], shapes=matrix_shapes("nn")),
    Row("logdet", lambda m, a: m.logdet(_spd(m, a)) + a.logdet(), shapes=matrix_shapes("nn"), domain=well_conditioned),
    Row("linalg.solve", lambda m, a, b: m.linalg.solve(a, b), 2, shapes=matrix_shapes("bnn", "bnk"),
        domain=well_conditioned, also=("solve",)),
    Row("solve_vector", lambda m, a, b: m.linalg.solve(a, b), 2, shapes=matrix_shapes("nn", "n"),
        domain=well_conditioned),
    Row("solve_batch_vector", lambda m, a, b: m.linalg.solve(a, b), 2, shapes=matrix_shapes("bnn", "bn"),
        domain=well_conditioned),
    Row("solve_broadcast", lambda m, a, b: m.linalg.solve(a, b), 2, shapes=matrix_shapes("nn", "bnk"),
        domain=well_conditioned),
    Row("solve_right", lambda m, a, b: m.linalg.solve(a, b, left=False), 2, shapes=matrix_shapes("nn", "kn"),
        domain=well_conditioned),
    # pinv's gradient is the fixed-rank formula (torch's): the derivative wherever no singular value
    # is discarded; with atol/rtol cutting one it is not, hence no finite differences on that row
    Row("linalg.pinv", lambda m, a: m.linalg.pinv(a), shapes=matrix_shapes("bnm"), also=("pinv",)),
    Row("pinv_hermitian", lambda m, a: m.linalg.pinv(_spd(m, a), hermitian=True), shapes=matrix_shapes("bnn")),
    Row("pinv_tolerances", lambda m, a: m.linalg.pinv(a, atol=0.4) + m.linalg.pinv(a, rtol=0.5)
        + m.linalg.pinv(a, atol=m.tensor([0.3, 0.2], dtype=a.dtype), rtol=m.tensor(0.1, dtype=a.dtype)),
        shapes=fixed((2, 3, 4)), fd=False),
    Row("pinverse", lambda m, a: m.pinverse(a) + m.pinverse(a, rcond=0.3), shapes=fixed((3, 4)), fd=False),
    Row("linalg.matrix_power", lambda m, a: m.linalg.matrix_power(a, 3), shapes=matrix_shapes("bnn"),
        also=("matrix_power",)),
    Row("matrix_power_neg", lambda m, a: a.matrix_power(-2) + m.matrix_power(a, 0), shapes=matrix_shapes("nn"),
        domain=well_conditioned),
    Row("matrix_power_0", lambda m, a: m.linalg.matrix_power(a, 0), shapes=matrix_shapes("bnn")),
]


@pytest.mark.parametrize("a, b, left", [
    ((3, 3), (3,), False), ((3, 3), (3, 1), False), ((3, 3), (2, 2), False), ((3, 3), (4,), False),
    ((2, 3, 3), (2, 3), False), ((2, 3, 3), (3,), False), ((3, 3, 3), (3, 3), False), ((1, 1), (1,), False),
    ((2, 1, 1), (2,), False), ((3, 3), (), False), ((3, 3), (), True), ((3, 3), (4,), True),
])
def test_solve_shape_errors_as_torch(a, b, left):
    # X A = B wants B's rows of A's size: a vector B (a column there) never fits
    def call(m):
        return lambda: m.linalg.solve(m.eye(a[-1]).expand(*a), m.ones(*b), left=left)

    ours, theirs = raised_as_torch(call(torch), call(kitty))
    assert ours == theirs


@pytest.mark.parametrize("a, b", [((3, 3), (1, 3)), ((2, 3, 3), (2, 1, 3)), ((4, 2, 3, 3), (2, 5, 3))])
def test_solve_right_side_shapes_as_torch(a, b):
    ours = kitty.linalg.solve(kitty.eye(a[-1]).expand(*a) * 2, kitty.ones(*b), left=False)
    theirs = torch.linalg.solve(torch.eye(a[-1]).expand(*a) * 2, torch.ones(*b), left=False)
    assert ours.shape == theirs.shape and ours.tolist() == theirs.tolist()
