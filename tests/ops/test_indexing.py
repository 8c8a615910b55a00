"""Op-table rows of ``kittygrad/ops/indexing.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, _inplace_view, _setitem, fixed


def _setitem_int_slice_list(a, b):
    x = a * 1
    x[1, :, [0, 3]] = b  # b is (4, 2): torch's order of the selected dims
    return x

def _setitem_leading_ones(a, b):
    x = a * 1
    x[0] = b  # b is (1, 1, 3): torch drops a value's leading size-1 dims before writing
    x[1, 2] = b[:, :, 1:2]  # (1, 1, 1) into one element (d2l's multistep_preds[i] = net(...))
    return x


ROWS = [
    Row("__getitem__", lambda m, a: a[1:, ..., ::2], shapes=fixed((3, 2, 5)), also=("getitem",)),
    Row("getitem_int", lambda m, a: a[0, -1], shapes=fixed((3, 4))),
    Row("getitem_none", lambda m, a: a[None, :, 1], shapes=fixed((3, 4))),
    Row("getitem_list", lambda m, a: a[[0, 2, 0]], shapes=fixed((3, 4))),
    Row("getitem_bool", lambda m, a: a[a > 0], shapes=fixed((3, 4)), fd=False),
    Row("getitem_tensor", lambda m, a: a[:, m.tensor([1, 1, 0])], shapes=fixed((2, 3))),
    # torch selects the integers first: (4, 2) here, where NumPy's rule gives (2, 4)
    Row("getitem_int_slice_list", lambda m, a: a[0, :, [1, 2, 2]], shapes=fixed((2, 4, 5))),
    Row("getitem_none_int_mask", lambda m, a: a[None, 1, :, m.tensor([True, False, True, False, True])],
        shapes=fixed((2, 4, 5))),
    Row("setitem_int_slice_list", lambda m, a, b: _setitem_int_slice_list(a, b), 2, shapes=fixed((2, 4, 5), (4, 2))),
    Row("setitem_leading_ones", lambda m, a, b: _setitem_leading_ones(a, b), 2, shapes=fixed((2, 3), (1, 1, 3))),
    Row("__setitem__", lambda m, a, b: _setitem(m, a, b), 2, shapes=fixed((3, 4), (4,)), also=("setitem",)),
    Row("inplace_view", lambda m, a, b: _inplace_view(a, b), 2, shapes=fixed((3, 4), (4,))),
]
