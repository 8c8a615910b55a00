"""Op-table rows of ``kittygrad/ops/random_ops.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, fixed

ROWS = [
    Row("normal", lambda m, a, b: m.normal(a, b.abs()), 2, random=True, fd=False, broadcast=True),
    Row("normal_float_std", lambda m, a: m.normal(a, 2.0), random=True, fd=False),
    Row("normal_float_mean", lambda m, a: m.normal(0.5, a.abs()), random=True, fd=False),
    Row("normal_size", lambda m, a: m.normal(0.0, 1.0, size=(2, 3)) + a.sum(), random=True, fd=False),
    Row("bernoulli", lambda m, a: m.bernoulli(a.sigmoid()), random=True, fd=False, also=("bernoulli_method",)),
    Row("bernoulli_p", lambda m, a: a.detach().bernoulli(0.3) + m.bernoulli(a.detach(), p=0.5), random=True,
        fd=False),
    Row("poisson", lambda m, a: m.poisson(a.abs()), random=True, fd=False),
    # binomial's own derivative raises in both libraries: the row checks the draw's shape and dtype
    Row("binomial", lambda m, a: m.binomial((a.detach().abs() * 5).floor(), a.detach().sigmoid()) + a, random=True,
        fd=False),
    Row("multinomial", lambda m, a: m.multinomial(a.abs() + 0.1, 2), random=True, fd=False, shapes=fixed((3, 4)),
        also=("multinomial_method",)),
    Row("multinomial_replacement", lambda m, a: a.abs().multinomial(6, replacement=True), random=True, fd=False,
        shapes=fixed((4,))),
    Row("uniform_", lambda m, a: (a * 1).uniform_(-1, 2), random=True, fd=False),
    Row("normal_", lambda m, a: (a * 1).normal_(1.0, 0.5), random=True, fd=False),
    Row("bernoulli_", lambda m, a: (a * 1).bernoulli_(0.25) + (a * 1).bernoulli_(a.sigmoid()), random=True, fd=False),
    Row("exponential_", lambda m, a: (a * 1).exponential_(2.0), random=True, fd=False),
    Row("geometric_", lambda m, a: (a * 1).geometric_(0.3), random=True, fd=False),
    Row("cauchy_", lambda m, a: (a * 1).cauchy_(), random=True, fd=False),
    Row("random_", lambda m, a: (a * 1).random_(0, 5) + (a * 1).random_(3), random=True, fd=False),
    Row("rand", lambda m, a: m.rand(a.shape) + a, random=True, fd=False),
    Row("randn", lambda m, a: m.randn(2, 3, dtype=a.dtype) * 0 + a.sum(), random=True, fd=False),
    Row("randint", lambda m, a: m.randint(0, 5, (3, 2)), random=True, fd=False),
    Row("randperm", lambda m, a: m.randperm(5), random=True, fd=False),
]
