"""Op-table rows of ``kittygrad/ops/shape.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, _narrow_write, fixed

ROWS = [
    Row("transpose", lambda m, a: m.transpose(a, 0, -1), min_dims=1, also=("swapaxes", "swapdims")),
    Row("t", lambda m, a: m.t(a), max_dims=2),
    Row("T", lambda m, a: a.T * 1, shapes=fixed((2, 3))),
    Row("mT", lambda m, a: a.mT * 1, shapes=fixed((4, 2, 3))),
    Row("permute", lambda m, a: m.permute(a, (2, 0, 1)), shapes=fixed((2, 3, 4))),
    Row("squeeze", lambda m, a: m.squeeze(a), shapes=fixed((1, 3, 1, 2))),
    Row("squeeze_dim", lambda m, a: a.squeeze(0), shapes=fixed((1, 3))),
    Row("unsqueeze", lambda m, a: m.unsqueeze(a, 1), min_dims=1),
    Row("expand", lambda m, a: a.expand(2, 3, 4), shapes=fixed((3, 1)), also=("expand_as",)),
    Row("broadcast_to", lambda m, a: m.broadcast_to(a, (2, 3, 4)), shapes=fixed((1, 4))),
    Row("broadcast_tensors", lambda m, a, b: m.broadcast_tensors(a, b), 2, broadcast=True),
    Row("view", lambda m, a: a.view(-1), min_dims=1, also=("view_as",)),
    Row("reshape", lambda m, a: m.reshape(a, (2, -1)), shapes=fixed((2, 3, 2)), also=("reshape_as",)),
    Row("reshape_copy", lambda m, a: a.transpose(0, 1).reshape(-1), shapes=fixed((2, 3))),
    Row("reshape_same", lambda m, a: a.reshape(a.shape) * 2, min_dims=1),
    Row("flatten", lambda m, a: m.flatten(a, 1), shapes=fixed((2, 3, 2))),
    Row("view_write", lambda m, a, b: _narrow_write(m, a, b), 2, shapes=fixed((3, 4), (3, 2))),
]
