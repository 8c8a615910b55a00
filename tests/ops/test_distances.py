"""Op-table rows of ``kittygrad/ops/distances.py``: ``dist``."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, distinct

ROWS = [
    Row("dist", lambda m, a, b: m.dist(a, b) + a.dist(b, 3), 2, broadcast=True),
    Row("dist_inf", lambda m, a, b: m.dist(a, b * 0.5 + 0.1, float("inf")) + m.dist(a, b * 0.5 + 0.1, 1), 2,
        domain=distinct),
]
