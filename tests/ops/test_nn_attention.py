"""Op-table rows of ``kittygrad/ops/nn/attention.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, _attention_weights, fixed

ROWS = [
    Row("attention_weights", lambda m, w: _attention_weights(m, w, True, True), shapes=fixed((4, 3, 5))),
    Row("attention_weights_heads", lambda m, w: _attention_weights(m, w, False, True), shapes=fixed((4, 3, 5))),
    Row("attention_weights_unbatched", lambda m, w: _attention_weights(m, w, True, False), shapes=fixed((4, 3, 5))),
]
