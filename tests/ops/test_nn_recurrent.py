"""Op-table rows of ``kittygrad/ops/nn/recurrent.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, _rnn, _rnn_shapes

ROWS = [
    Row("rnn_tanh", _rnn("rnn_tanh"), 6, shapes=_rnn_shapes("rnn")),
    Row("rnn_relu", _rnn("rnn_relu", bias=False), 4, shapes=_rnn_shapes("rnn", bias=False), domain=lambda x: x + 0.05),
    Row("gru", _rnn("gru"), 6, shapes=_rnn_shapes("gru")),
    Row("lstm", _rnn("lstm"), 7, shapes=_rnn_shapes("lstm")),
    Row("lstm_deep_bidirectional", _rnn("lstm", layers=2, bidir=True), 19, shapes=_rnn_shapes("lstm", layers=2, bidir=True), fd=False),
    Row("gru_bidirectional_batch_first", _rnn("gru", bidir=True, batch_first=True), 10, shapes=_rnn_shapes("gru", bidir=True)),
    Row("rnn_tanh_deep", _rnn("rnn_tanh", layers=2), 10, shapes=_rnn_shapes("rnn", layers=2)),
]
