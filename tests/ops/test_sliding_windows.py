"""Op-table rows of ``kittygrad/ops/sliding_windows.py``: ``Tensor.unfold`` and ``as_strided``."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed

def _written(m, a):
    x = a * 1
    x.as_strided((2,), (2,), 1).mul_(a[:2])  # non-overlapping: a writable view
    return x


ROWS = [
    Row("unfold", lambda m, a: a.unfold(1, 3, 2), shapes=fixed((2, 7))),
    Row("unfold_overlap_dim0", lambda m, a: a.unfold(0, 2, 1) * 2, shapes=fixed((4, 3))),
    Row("unfold_gaps", lambda m, a: a.unfold(-1, 1, 3), shapes=fixed((2, 2, 8))),
    Row("as_strided", lambda m, a: m.as_strided(a * 1, (3, 2), (1, 1)), shapes=fixed((6,))),
    Row("as_strided_offset", lambda m, a: (a * 1).as_strided((2, 2), (1, 3), 1) * 2, shapes=fixed((2, 3))),
    Row("as_strided_write", lambda m, a: _written(m, a), shapes=fixed((6,))),
    Row("unfold_int", lambda m, a: a.unfold(0, 2, 2), inputs="int", shapes=fixed((5,))),
]
