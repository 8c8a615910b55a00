"""Op-table rows of ``kittygrad/ops/unary.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

import numpy as np

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, _unary_rows, away_from_int, away_from_tenths, away_from_zero, fixed, positive, sigmoid_open

ROWS = [
    *_unary_rows(),
    Row("abs", lambda m, a: m.abs(a), domain=away_from_zero, also=("__abs__", "absolute")),
    Row("exp", lambda m, a: m.exp(a)),
    Row("log", lambda m, a: m.log(a), domain=positive),
    Row("sqrt", lambda m, a: m.sqrt(a), domain=positive),
    Row("sgn_", lambda m, a: (a * 1).sgn_() * a, domain=away_from_zero),
    Row("fix_", lambda m, a: (a * 1).fix_(), domain=away_from_int),
    Row("round_decimals", lambda m, a: m.round(a, decimals=1), domain=away_from_tenths),
    Row("round_int", lambda m, a: m.round(a.long()), fd=False, grad=False),
    Row("logit_eps", lambda m, a: m.logit(a, eps=0.2), domain=sigmoid_open, fd=False),
    Row("logit_eps_", lambda m, a: (a * 1).logit_(0.2), domain=sigmoid_open, fd=False),
    Row("nan_to_num", lambda m, a: m.nan_to_num(m.log(a), nan=0.5, posinf=2.0, neginf=-3.0), domain=away_from_zero),
    Row("nan_to_num_default", lambda m, a: a.nan_to_num() * 1, shapes=fixed((4,)), fd=False,
        domain=lambda x: np.array([1.0, np.inf, -np.inf, np.nan])),
    Row("nan_to_num_", lambda m, a: (a * 1).nan_to_num_(nan=1.5), domain=away_from_zero),
    Row("log_normal_", lambda m, a: (a * 1).log_normal_(), random=True, fd=False),
]
