"""Op-table rows of ``kittygrad/ops/searching.py``: ``searchsorted``, ``bucketize``, ``isin``."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed

ROWS = [
    Row("searchsorted", lambda m, s, v: m.searchsorted(s.sort().values, v), 2, shapes=fixed((6,), (2, 3)), grad=False),
    Row("searchsorted_batched", lambda m, s, v: m.searchsorted(s.sort().values, v, side="right", out_int32=True), 2,
        shapes=fixed((2, 5), (2, 3)), grad=False),
    Row("searchsorted_sorter", lambda m, s, v: m.searchsorted(s, v, sorter=s.argsort()), 2,
        shapes=fixed((5,), (4,)), grad=False),
    Row("bucketize", lambda m, v, b: m.bucketize(v, b.sort().values) + m.bucketize(v, b.sort().values, right=True), 2,
        shapes=fixed((2, 3), (4,)), grad=False),
    Row("bucketize_int", lambda m, v, b: m.bucketize(v, b.sort().values), 2, inputs="int", shapes=fixed((5,), (4,))),
    Row("isin", lambda m, a, b: m.isin(a.round(), b.round()) | m.isin(a.round(), 0.0, invert=True), 2, grad=False),
    Row("isin_int", lambda m, a, b: m.isin(a, b), 2, inputs="int", shapes=fixed((3, 4), (5,))),
]
ROWS += [
    Row("nonzero_static", lambda m, a: m.nonzero_static(a.round(), size=4), grad=False),
    Row("nonzero_static_fill", lambda m, a: m.nonzero_static(a, size=2, fill_value=7), inputs="int", shapes=fixed((5,))),
]
