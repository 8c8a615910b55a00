"""Op-table rows of ``kittygrad/ops/nn/padding.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import F, Row, fixed

ROWS = [
    Row("pad", lambda m, x: F(m).pad(x, (1, 2, 0, 1), value=0.5), shapes=fixed((2, 3, 4))),
    Row("pad_crop", lambda m, x: F(m).pad(x, (-1, 2, 1, -2)), shapes=fixed((2, 4, 5))),
    Row("pad_reflect", lambda m, x: F(m).pad(x, (2, 1, 1, 2), mode="reflect"), shapes=fixed((1, 2, 4, 5))),
    Row("pad_replicate", lambda m, x: F(m).pad(x, (2, 3), mode="replicate"), shapes=fixed((2, 3, 4))),
    Row("pad_circular", lambda m, x: F(m).pad(x, (1, 2, 2, 1), mode="circular"), shapes=fixed((1, 2, 3, 4))),
    Row("pad_1d", lambda m, a: m.nn.functional.pad(a, (1, 2)), min_dims=1),
    Row("pad_2d_value", lambda m, a: m.nn.functional.pad(a, (1, 0, 2, 1), value=0.5), min_dims=2),
    Row("pad_negative", lambda m, a: m.nn.functional.pad(a, (-1, 2, 0, -1)), shapes=fixed((3, 4))),
    Row("pad_reflect", lambda m, a: m.nn.functional.pad(a, (2, 1), mode="reflect"), shapes=fixed((2, 4))),
    Row("pad_reflect_2d", lambda m, a: m.nn.functional.pad(a, (1, 1, 2, 0), mode="reflect"), shapes=fixed((2, 3, 4))),
    Row("pad_replicate", lambda m, a: m.nn.functional.pad(a, (2, 3, 1, 1), mode="replicate"), shapes=fixed((1, 2, 3, 2))),
    Row("pad_circular", lambda m, a: m.nn.functional.pad(a, (1, 2), mode="circular"), shapes=fixed((2, 2, 3))),
    # negative pads crop: reflect and replicate read the padded range, circular wraps what is left
    Row("pad_reflect_crop", lambda m, a: m.nn.functional.pad(a, (-1, 2, 1, -2), mode="reflect"), shapes=fixed((1, 2, 4, 5))),
    Row("pad_replicate_crop", lambda m, a: m.nn.functional.pad(a, (3, -2), mode="replicate"), shapes=fixed((2, 3, 4))),
    Row("pad_circular_crop", lambda m, a: m.nn.functional.pad(a, (-1, 2), mode="circular"), shapes=fixed((2, 2, 5))),
    # one node for the batch (PadSequence): each sequence's gradient is its slice of the output's
    Row("pad_sequence", lambda m, a, b, c: m.nn.utils.rnn.pad_sequence([a, b, c], padding_value=0.5), 3,
        shapes=fixed((2, 3), (4, 3), (0, 3))),
    Row("pad_sequence_batch_first_left", lambda m, a, b: m.nn.utils.rnn.pad_sequence(
        [a, b], batch_first=True, padding_value=-1.0, padding_side="left"), 2, shapes=fixed((1, 2, 2), (3, 2, 2))),
]
