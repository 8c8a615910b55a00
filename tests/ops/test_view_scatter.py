"""Op-table rows of ``kittygrad/ops/view_scatter.py``: the ``*_scatter`` ops, ``index_put``/``put``
(and their in-place twins) and ``fill_diagonal_``."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed


def _i(m, *values):
    return m.tensor(list(values))


ROWS = [
    Row("diagonal_scatter", lambda m, a, s: m.diagonal_scatter(a, s, 1), 2, shapes=fixed((3, 4), (3,))),
    Row("diagonal_scatter_dims", lambda m, a, s: a.diagonal_scatter(s, -1, 0, 2), 2, shapes=fixed((3, 2, 4), (2, 2))),
    Row("select_scatter", lambda m, a, s: m.select_scatter(a, s, 1, -1) + a.select_scatter(s * 2, 1, 0), 2,
        shapes=fixed((2, 3), (2,))),
    Row("slice_scatter", lambda m, a, s: m.slice_scatter(a, s, start=1, step=2), 2, shapes=fixed((5, 2), (2, 2))),
    Row("slice_scatter_dim", lambda m, a, s: a.slice_scatter(s, dim=1, start=-1), 2, shapes=fixed((3, 4), (3, 1))),
    Row("index_put", lambda m, a, v: m.index_put(a, (_i(m, 0, 2),), v), 2, shapes=fixed((3, 2), (2, 2))),
    # repeated indices without accumulate: the last write wins, but torch's gradient reaches every
    # value written (so no finite differences)
    Row("index_put_repeated", lambda m, a, v: m.index_put(a, (_i(m, 0, 2, 0),), v), 2, shapes=fixed((3, 2), (3, 2)),
        fd=False),
    Row("index_put_accumulate", lambda m, a, v: a.index_put((_i(m, 0, 2, 0), _i(m, 1, 0, 1)), v, accumulate=True), 2,
        shapes=fixed((3, 2), (3,))),
    Row("index_put_bool", lambda m, a, v: m.index_put(a, (a > 0,), v.sum()), 2, shapes=fixed((2, 3), ())),
    Row("index_put_", lambda m, a, v: (a * 1).index_put_((_i(m, 1, 1),), v, accumulate=True) * a, 2,
        shapes=fixed((3, 2), (2,))),
    Row("index_put_plain_", lambda m, a, v: m.index_put_(a * 1, (_i(m, 0),), v), 2, shapes=fixed((2, 3), (3,))),
    Row("put", lambda m, a, v: m.put(a, _i(m, 0, -1, 3), v) + a.put(_i(m, 1, 1), v[:2], accumulate=True), 2,
        shapes=fixed((2, 3), (3,))),
    Row("put_", lambda m, a, v: ((a * 1).put_(_i(m, 4, 0), v), (a * 1).t().put_(_i(m, 1), v[:1], True)), 2,
        shapes=fixed((2, 3), (2,))),
    Row("fill_diagonal_", lambda m, a: (a * 1).fill_diagonal_(2.0) * a, shapes=fixed((3, 4))),
    Row("fill_diagonal_wrap", lambda m, a: (a * 1).fill_diagonal_(-1.0, wrap=True) * a, shapes=fixed((7, 3))),
    Row("fill_diagonal_cube", lambda m, a: (a * 1).fill_diagonal_(0.5), shapes=fixed((2, 2, 2))),
]
