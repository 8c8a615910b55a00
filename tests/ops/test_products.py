"""Op-table rows of ``kittygrad/ops/products.py``: ``kron``, ``inner``, ``combinations``."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed

ROWS = [
    Row("kron", lambda m, a, b: m.kron(a, b), 2, max_dims=2),
    Row("kron_ranks", lambda m, a, b: a.kron(b), 2, shapes=fixed((2, 1, 2), (3, 2))),
    Row("kron_int", lambda m, a, b: m.kron(a, b), 2, inputs="int", shapes=fixed((2, 2), (3,))),
    Row("inner", lambda m, a, b: m.inner(a, b), 2, shapes=fixed((2, 3), (4, 3))),
    Row("inner_scalar", lambda m, a, b: (a.inner(b), m.inner(b[0, 0], a)), 2, shapes=fixed((3,), (2, 3))),
    Row("combinations", lambda m, a: m.combinations(a) * 2, shapes=fixed((4,))),
    Row("combinations_replacement", lambda m, a: m.combinations(a, 3, with_replacement=True), shapes=fixed((3,))),
    Row("combinations_empty", lambda m, a: m.combinations(a, 4), shapes=fixed((3,)), grad=False),
]
