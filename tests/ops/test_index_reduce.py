"""Op-table rows of ``kittygrad/ops/index_reduce.py`` (torch warns that index_reduce is in beta)."""
from __future__ import annotations

import warnings

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, distinct, fixed


def _quiet(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def _i(m):
    return m.tensor([0, 2, 0, 3])


ROWS = [
    Row("index_reduce", lambda m, a, s: _quiet(lambda: m.index_reduce(a, 0, _i(m), s, "prod")), 2,
        shapes=fixed((4, 3), (4, 3))),
    Row("index_reduce_mean", lambda m, a, s: _quiet(lambda: a.index_reduce(1, _i(m), s, "mean", include_self=False)),
        2, shapes=fixed((2, 4), (2, 4))),
    Row("index_reduce_amax", lambda m, a, s: _quiet(lambda: a.index_reduce(0, _i(m), s * 0.5, "amax")), 2,
        shapes=fixed((4, 2), (4, 2)), domain=distinct),
    Row("index_reduce_", lambda m, a, s: _quiet(lambda: (a * 1).index_reduce_(0, _i(m), s * 0.5, "amin", include_self=False)),
        2, shapes=fixed((4, 2), (4, 2)), domain=distinct),
]
