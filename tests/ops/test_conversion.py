"""Op-table rows of ``kittygrad/ops/conversion.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed

ROWS = [
    Row("zero_", lambda m, a, b: (a * 1).zero_() + b, 2, shapes=fixed((3,), (3,))),
    Row("fill_", lambda m, a, b: (a * 1).fill_(b.sum()) * b, 2, shapes=fixed((3,), (3,))),
    Row("copy_", lambda m, a, b: (a * 1).copy_(b) * a, 2, shapes=fixed((2, 3), (3,))),
    Row("to", lambda m, a: a.to(m.float64) * 2, fd=False, also=("double", "type")),
    Row("float", lambda m, a: a.double().float(), fd=False),
    Row("clone", lambda m, a: a.clone(), also=("contiguous",)),
]
