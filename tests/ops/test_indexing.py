"""Op-table rows of ``kittygrad/ops/indexing.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, _inplace_view, _setitem, fixed

ROWS = [
    Row("__getitem__", lambda m, a: a[1:, ..., ::2], shapes=fixed((3, 2, 5)), also=("getitem",)),
    Row("getitem_int", lambda m, a: a[0, -1], shapes=fixed((3, 4))),
    Row("getitem_none", lambda m, a: a[None, :, 1], shapes=fixed((3, 4))),
    Row("getitem_list", lambda m, a: a[[0, 2, 0]], shapes=fixed((3, 4))),
    Row("getitem_bool", lambda m, a: a[a > 0], shapes=fixed((3, 4)), fd=False),
    Row("getitem_tensor", lambda m, a: a[:, m.tensor([1, 1, 0])], shapes=fixed((2, 3))),
    Row("__setitem__", lambda m, a, b: _setitem(m, a, b), 2, shapes=fixed((3, 4), (4,)), also=("setitem",)),
    Row("inplace_view", lambda m, a, b: _inplace_view(a, b), 2, shapes=fixed((3, 4), (4,))),
]
