"""Op-table rows of ``kittygrad/ops/triangle_indices.py`` (factories: the inputs are not used)."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed

ROWS = [
    Row("tril_indices", lambda m, a: m.tril_indices(3, 4, 1), shapes=fixed(()), grad=False),
    Row("triu_indices", lambda m, a: m.triu_indices(4, 3, -1, dtype=m.int32), shapes=fixed(()), grad=False),
    Row("tril_indices_empty", lambda m, a: m.tril_indices(0, 3) + m.triu_indices(2, 2, 5), shapes=fixed(()), grad=False),
]
