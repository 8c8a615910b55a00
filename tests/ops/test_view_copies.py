"""Op-table rows of ``kittygrad/ops/view_copies.py``: the ``*_copy`` twins of the view ops."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed

ROWS = [
    Row("alias_copy", lambda m, a: m.alias_copy(a) * 2),
    Row("detach_copy", lambda m, a: m.detach_copy(a), grad=False),  # torch has no derivative for it
    Row("diagonal_copy", lambda m, a: m.diagonal_copy(a, 1), shapes=fixed((3, 4))),
    Row("expand_copy", lambda m, a: m.expand_copy(a, [2, 3]), shapes=fixed((3,))),
    Row("permute_copy", lambda m, a: m.permute_copy(a, (2, 0, 1)), shapes=fixed((2, 3, 4))),
    Row("select_copy", lambda m, a: m.select_copy(a, 1, -1), shapes=fixed((2, 3))),
    Row("slice_copy", lambda m, a: m.slice_copy(a, 1, 1, None, 2), shapes=fixed((2, 5))),
    Row("split_copy", lambda m, a: m.split_copy(a, 2, 1), shapes=fixed((2, 5))),
    Row("split_with_sizes_copy", lambda m, a: m.split_with_sizes_copy(a, [1, 2]), shapes=fixed((3, 2))),
    Row("squeeze_copy", lambda m, a: m.squeeze_copy(a) + m.squeeze_copy(a, 0), shapes=fixed((1, 3))),
    Row("t_copy", lambda m, a: m.t_copy(a) * 2 + m.transpose_copy(a, 0, 1), shapes=fixed((2, 3)),
        also=("transpose_copy",)),
    Row("unbind_copy", lambda m, a: m.unbind_copy(a, 1), shapes=fixed((2, 3))),
    Row("unfold_copy", lambda m, a: m.unfold_copy(a, 1, 2, 1), shapes=fixed((2, 4))),
    Row("unsqueeze_copy", lambda m, a: m.unsqueeze_copy(a, -1), shapes=fixed((2, 3))),
    Row("view_copy", lambda m, a: m.view_copy(a, [3, 2]) + m.view_copy(a, (3, -1)), shapes=fixed((2, 3))),
]
