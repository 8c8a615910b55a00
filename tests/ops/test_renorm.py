"""Op-table rows of ``kittygrad/ops/renorm.py``."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed

ROWS = [
    Row("renorm", lambda m, a: m.renorm(a, 2, 0, 1.5), shapes=fixed((3, 4))),
    Row("renorm_p1_dim1", lambda m, a: a.renorm(1, -1, 2.0), shapes=fixed((2, 3, 4))),
]
