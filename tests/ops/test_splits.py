"""Op-table rows of ``kittygrad/ops/splits.py``: ``split_with_sizes``, the ``unsafe_*`` splits,
``hsplit``/``vsplit``/``dsplit``, ``narrow_copy``."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed


def _pieces_written(m, a):
    pieces = m.unsafe_split(a * 1, 2)
    pieces[0].mul_(3)  # allowed on the unsafe_ pieces, as torch
    return pieces


ROWS = [
    Row("split_with_sizes", lambda m, a: m.split_with_sizes(a, [1, 3], 1), shapes=fixed((2, 4))),
    Row("split_with_sizes_method", lambda m, a: a.split_with_sizes([2, 1]), shapes=fixed((3, 2))),
    Row("unsafe_split", _pieces_written, shapes=fixed((5, 2))),
    Row("unsafe_split_with_sizes", lambda m, a: m.unsafe_split_with_sizes(a, [2, 2], 1), shapes=fixed((2, 4))),
    Row("unsafe_chunk", lambda m, a: m.unsafe_chunk(a, 2, 0), shapes=fixed((3, 2))),
    Row("hsplit", lambda m, a: m.hsplit(a, 2), shapes=fixed((2, 4))),
    Row("hsplit_method_indices", lambda m, a: a.hsplit([1]), shapes=fixed((2, 4))),
    Row("hsplit_1d", lambda m, a: m.hsplit(a, [1, 3]), shapes=fixed((4,))),
    Row("vsplit", lambda m, a: m.vsplit(a, 2), shapes=fixed((4, 2))),
    Row("vsplit_method_indices", lambda m, a: a.vsplit([1]), shapes=fixed((4, 2))),
    Row("dsplit", lambda m, a: m.dsplit(a, [1]), shapes=fixed((1, 2, 4))),
    Row("dsplit_method_sections", lambda m, a: a.dsplit(2), shapes=fixed((1, 2, 4))),
    Row("narrow_copy", lambda m, a: (m.narrow_copy(a, 1, 1, 2), a.narrow_copy(0, 0, 2)), shapes=fixed((2, 4))),
]
