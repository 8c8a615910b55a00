"""Op-table rows of ``kittygrad/ops/nn/linear.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import F, Row, fixed

ROWS = [
    Row("linear", lambda m, x, w, b: F(m).linear(x, w, b), 3, shapes=fixed((2, 3, 4), (5, 4), (5,))),
    Row("linear_nobias", lambda m, x, w: F(m).linear(x, w), 2, shapes=fixed((4,), (3, 4))),
    Row("linear_stack_view", lambda m, x, w, b: F(m).linear(x.transpose(0, 1), w, b), 3, shapes=fixed((2, 3, 2, 4), (5, 4), (5,))),
    Row("bilinear", lambda m, a, b, w, c: F(m).bilinear(a, b, w, c), 4, shapes=fixed((3, 2), (3, 4), (5, 2, 4), (5,))),
]
