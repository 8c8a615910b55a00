"""Op-table rows of ``kittygrad/ops/scans.py``: ``logcumsumexp``."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed

ROWS = [
    Row("logcumsumexp", lambda m, a: m.logcumsumexp(a, -1) + a.logcumsumexp(0)),
    Row("logcumsumexp_wide", lambda m, a: m.logcumsumexp(a * 30, 1), shapes=fixed((2, 5))),
]
