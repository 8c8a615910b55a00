"""Op-table rows of ``kittygrad/ops/nn/recurrent.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, _rnn, _rnn_shapes, _vf, fixed


def _lstm_projected(layers=1, bidir=False, bias=True):
    """An LSTM with projections (P=2, H=3): torch tells them from h0 narrower than c0."""
    def fn(m, x, h, c, *params):
        return _vf(m).lstm(x, (h, c), list(params), bias, layers, 0.0, False, bidir, False)

    return fn


def _lstm_projected_shapes(T=3, N=2, I=3, H=3, P=2, layers=1, bidir=False, bias=True):
    ndir = 2 if bidir else 1
    shapes = [(T, N, I), (layers * ndir, N, P), (layers * ndir, N, H)]
    for layer in range(layers):
        for _ in range(ndir):
            shapes += [(4 * H, I if layer == 0 else P * ndir), (4 * H, P)]
            shapes += [(4 * H,), (4 * H,)] if bias else []
            shapes.append((P, H))
    return fixed(*shapes)


ROWS = [
    Row("rnn_tanh", _rnn("rnn_tanh"), 6, shapes=_rnn_shapes("rnn")),
    Row("rnn_relu", _rnn("rnn_relu", bias=False), 4, shapes=_rnn_shapes("rnn", bias=False), domain=lambda x: x + 0.05),
    Row("gru", _rnn("gru"), 6, shapes=_rnn_shapes("gru")),
    Row("lstm", _rnn("lstm"), 7, shapes=_rnn_shapes("lstm")),
    Row("lstm_deep_bidirectional", _rnn("lstm", layers=2, bidir=True), 19, shapes=_rnn_shapes("lstm", layers=2, bidir=True), fd=False),
    Row("gru_bidirectional_batch_first", _rnn("gru", bidir=True, batch_first=True), 10, shapes=_rnn_shapes("gru", bidir=True)),
    Row("lstm_projections", _lstm_projected(), 8, shapes=_lstm_projected_shapes()),
    Row("lstm_projections_deep_bidirectional_no_bias", _lstm_projected(2, True, False), 15,
        shapes=_lstm_projected_shapes(layers=2, bidir=True, bias=False), fd=False),
    Row("rnn_tanh_deep", _rnn("rnn_tanh", layers=2), 10, shapes=_rnn_shapes("rnn", layers=2)),
]
