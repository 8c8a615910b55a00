"""Op-table rows of ``kittygrad/ops/nn/conv.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import F, Row, fixed

ROWS = [
    Row("conv2d", lambda m, x, w, b: F(m).conv2d(x, w, b, padding=1), 3, shapes=fixed((2, 3, 5, 4), (4, 3, 3, 3), (4,))),
    Row("conv2d_strided", lambda m, x, w: F(m).conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)), 2,
        shapes=fixed((2, 2, 6, 7), (3, 2, 3, 2))),
    Row("conv2d_groups", lambda m, x, w, b: F(m).conv2d(x, w, b, stride=2, groups=2), 3, shapes=fixed((1, 4, 5, 5), (6, 2, 2, 3), (6,))),
    Row("conv2d_same", lambda m, x, w: F(m).conv2d(x, w, padding="same", dilation=2), 2, shapes=fixed((1, 2, 5, 6), (2, 2, 2, 3))),
    Row("conv2d_unbatched", lambda m, x, w: F(m).conv2d(x, w), 2, shapes=fixed((2, 4, 4), (3, 2, 2, 2))),
    Row("conv1d", lambda m, x, w, b: F(m).conv1d(x, w, b, stride=2, padding=2, dilation=2), 3, shapes=fixed((2, 3, 9), (4, 3, 3), (4,))),
    Row("conv1d_depthwise", lambda m, x, w: F(m).conv1d(x, w, groups=3, padding="same"), 2, shapes=fixed((2, 3, 6), (6, 1, 4))),
    Row("conv3d", lambda m, x, w: F(m).conv3d(x, w, padding=1, stride=2), 2, shapes=fixed((1, 2, 4, 3, 4), (2, 2, 2, 3, 2))),
    Row("conv_transpose2d", lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), 3,
        shapes=fixed((2, 3, 3, 4), (3, 2, 3, 3), (2,))),
    Row("conv_transpose2d_groups", lambda m, x, w: F(m).conv_transpose2d(x, w, stride=(1, 2), groups=2, dilation=(2, 1)), 2,
        shapes=fixed((1, 4, 3, 3), (4, 3, 2, 2))),
    Row("conv_transpose1d", lambda m, x, w, b: F(m).conv_transpose1d(x, w, b, stride=3, padding=1), 3,
        shapes=fixed((2, 2, 4), (2, 3, 4), (3,))),
    Row("conv_transpose3d", lambda m, x, w, b: F(m).conv_transpose3d(x, w, b, stride=(2, 1, 2), padding=(1, 0, 1),
                                                                  output_padding=(1, 0, 0)), 3,
        shapes=fixed((2, 2, 2, 3, 2), (2, 3, 3, 2, 2), (3,))),
    Row("conv_transpose3d_groups", lambda m, x, w: F(m).conv_transpose3d(x, w, stride=2, groups=2, dilation=(1, 2, 1),
                                                                      output_padding=(0, 1, 1)), 2,
        shapes=fixed((1, 4, 2, 2, 3), (4, 1, 2, 2, 2))),
    Row("conv_transpose3d_unbatched", lambda m, x, w: F(m).conv_transpose3d(x, w, padding=1, dilation=2), 2,
        shapes=fixed((2, 3, 3, 2), (2, 2, 2, 2, 2))),
]
