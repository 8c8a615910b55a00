"""Op-table rows of ``kittygrad/ops/nn/pooling.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import F, Row, distinct, fixed

ROWS = [
    Row("max_pool2d", lambda m, x: F(m).max_pool2d(x, 2), shapes=fixed((2, 3, 4, 6)), domain=distinct),
    Row("max_pool2d_overlap", lambda m, x: F(m).max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), shapes=fixed((1, 2, 6, 7)),
        domain=distinct),
    Row("max_pool2d_indices", lambda m, x: F(m).max_pool2d(x, (2, 3), stride=1, dilation=(2, 1), return_indices=True),
        shapes=fixed((2, 1, 5, 5)), domain=distinct),
    Row("max_pool1d", lambda m, x: F(m).max_pool1d(x, 3, stride=2, padding=1), shapes=fixed((2, 3, 8)), domain=distinct),
    Row("avg_pool2d", lambda m, x: F(m).avg_pool2d(x, 2), shapes=fixed((2, 3, 4, 6))),
    Row("avg_pool2d_pad", lambda m, x: F(m).avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        shapes=fixed((1, 2, 6, 7))),
    Row("avg_pool2d_divisor", lambda m, x: F(m).avg_pool2d(x, (2, 3), stride=(1, 2), padding=1, divisor_override=4),
        shapes=fixed((1, 2, 4, 5))),
    Row("avg_pool1d", lambda m, x: F(m).avg_pool1d(x, 3, stride=2, padding=1), shapes=fixed((2, 3, 8))),
]
