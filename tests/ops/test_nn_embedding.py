"""Op-table rows of ``kittygrad/ops/nn/embedding.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import F, Row, _int_tensor, fixed

ROWS = [
    Row("embedding", lambda m, w: F(m).embedding(_int_tensor(m, [[1, 3, 1], [0, 4, 3]]), w, padding_idx=3), shapes=fixed((5, 3)), fd=False),
    # renormalises rows in place outside autograd: the row checks the values (the gradient is the + w)
    Row("embedding_renorm_", lambda m, w: m.embedding_renorm_(w.detach().clone(), _int_tensor(m, [0, 2, 2]), 1.0, 2.0) + w,
        shapes=fixed((4, 3)), fd=False),
    Row("embedding_freq", lambda m, w: F(m).embedding(_int_tensor(m, [1, 1, 2, 1]), w, scale_grad_by_freq=True), shapes=fixed((4, 2)), fd=False),
]
