"""Op-table rows of ``kittygrad/ops/nn/normalization.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import F, Row, fixed

ROWS = [
    Row("batch_norm", lambda m, x, w, b: F(m).batch_norm(x, None, None, w, b, training=True), 3, shapes=fixed((4, 3, 2, 2), (3,), (3,))),
    Row("batch_norm_1d", lambda m, x: F(m).batch_norm(x, None, None, training=True, eps=1e-3), shapes=fixed((5, 3))),
    Row("batch_norm_eval", lambda m, x, w, b: F(m).batch_norm(
        x, m.tensor([0.125, -0.25, 0.375], dtype=x.dtype), m.tensor([1.5, 0.5, 2.0], dtype=x.dtype), w, b), 3,
        shapes=fixed((4, 3, 5), (3,), (3,))),
    Row("instance_norm", lambda m, x, w, b: F(m).instance_norm(x, weight=w, bias=b), 3, shapes=fixed((2, 3, 4, 2), (3,), (3,))),
    Row("layer_norm", lambda m, x, w, b: F(m).layer_norm(x, (3, 4), w, b), 3, shapes=fixed((2, 3, 4), (3, 4), (3, 4))),
    Row("layer_norm_noaffine", lambda m, x: F(m).layer_norm(x, (5,)), shapes=fixed((3, 5))),
    Row("group_norm", lambda m, x, w, b: F(m).group_norm(x, 2, w, b), 3, shapes=fixed((2, 4, 3, 2), (4,), (4,))),
    Row("rms_norm", lambda m, x, w: F(m).rms_norm(x, (4,), w), 2, shapes=fixed((3, 2, 4), (4,))),
    Row("rms_norm_eps", lambda m, x: F(m).rms_norm(x, (2, 3), eps=1e-3), shapes=fixed((4, 2, 3))),
]
