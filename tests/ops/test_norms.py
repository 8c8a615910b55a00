"""Op-table rows of ``kittygrad/ops/norms.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, away_from_zero, distinct, fixed, matrix_shapes

ROWS = [
    Row("norm", lambda m, a: m.norm(a), also=("norm_method",)),
    Row("norm_p", lambda m, a: a.norm(p=3, dim=-1), min_dims=1, domain=away_from_zero),
    Row("norm_1_dims", lambda m, a: m.norm(a, 1, dim=(0, 1), keepdim=True), min_dims=2, domain=away_from_zero),
    Row("norm_inf", lambda m, a: m.norm(a, float("inf"), dim=0), min_dims=1, domain=distinct),
    Row("norm_nuc", lambda m, a: m.norm(a, "nuc"), shapes=fixed((3, 4))),
    Row("norm_fro_dim", lambda m, a: a.norm("fro", dim=(1, 2)), shapes=fixed((2, 3, 4))),
    Row("linalg.vector_norm", lambda m, a: m.linalg.vector_norm(a), also=("vector_norm",)),
    Row("vector_norm_ord", lambda m, a: m.linalg.vector_norm(a, 0.5, dim=-1) + m.linalg.vector_norm(a, -1, dim=-1),
        min_dims=1, domain=away_from_zero),
    Row("vector_norm_inf", lambda m, a: m.linalg.vector_norm(a, float("-inf"), dim=(0, 1), keepdim=True), min_dims=2,
        domain=distinct),
    Row("vector_norm_0", lambda m, a: m.linalg.vector_norm(a * (a > 0), 0), domain=away_from_zero),
    Row("linalg.matrix_norm", lambda m, a: m.linalg.matrix_norm(a), shapes=matrix_shapes("bnm"),
        also=("matrix_norm",)),
    Row("matrix_norm_nuc", lambda m, a: m.linalg.matrix_norm(a, "nuc", keepdim=True), shapes=fixed((2, 3, 4))),
    Row("matrix_norm_2", lambda m, a: m.linalg.matrix_norm(a, 2) + m.linalg.matrix_norm(a, -2), shapes=fixed((3, 4))),
    Row("matrix_norm_1", lambda m, a: m.linalg.matrix_norm(a, 1, dim=(0, 1)) + m.linalg.matrix_norm(a, -1),
        shapes=fixed((3, 4)), domain=distinct),
    Row("matrix_norm_inf", lambda m, a: m.linalg.matrix_norm(a, float("inf"), keepdim=True)
        + m.linalg.matrix_norm(a, float("-inf"), keepdim=True), shapes=fixed((2, 3, 4)), domain=distinct),
    Row("linalg.norm", lambda m, a: m.linalg.norm(a), also=("linalg_norm",)),
    Row("linalg_norm_ord", lambda m, a: m.linalg.norm(a, 2) + m.linalg.norm(a, "fro") + m.linalg.norm(a[0], 3),
        shapes=fixed((3, 4)), domain=away_from_zero),
    Row("linalg_norm_dim", lambda m, a: m.linalg.norm(a, dim=(0, 2)) + m.linalg.norm(a, 1, dim=1).sum(),
        shapes=fixed((2, 3, 4)), domain=away_from_zero),
]
