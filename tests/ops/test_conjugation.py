"""Op-table rows of ``kittygrad/ops/conjugation.py``: the complex-number API on real tensors."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row

ROWS = [
    Row("conj", lambda m, a: m.conj(a) * a.conj(), also=("conj_physical",)),
    Row("conj_physical", lambda m, a: m.conj_physical(a) + a.conj_physical()),
    Row("resolve_conj", lambda m, a: m.resolve_conj(a) + a.resolve_neg() + m.resolve_neg(a), also=("resolve_neg",)),
    # imag raises for real tensors in both libraries (tests/test_namespace_breadth.py checks it)
    Row("real", lambda m, a: m.real(a) * 2, also=("imag",)),
    Row("adjoint", lambda m, a: m.adjoint(a) * a.adjoint(), min_dims=2),
]
