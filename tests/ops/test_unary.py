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


def test_rounding_refuses_bool_and_integer_decimals_as_torch():
    """Integer tensors round to a copy unless ``decimals`` is given (even 0); bools have no
    rounding, abs, rounded division or remainder kernel; ``~`` of a float has the operator's message.
    Each answer (result or error type and message) is torch's."""
    import pytest
    import torch

    import kittygrad as kitty

    def outcome(m, call):
        try:
            return repr(call(m)).replace("kittygrad", "torch")
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            builtin = next(c for c in type(e).__mro__ if c.__module__ == "builtins")  # (kittygrad's subclass)
            return builtin.__name__, str(e)

    b, i = lambda m: m.tensor([True, False]), lambda m: m.tensor([3, -15])
    calls = [
        lambda m: m.round(i(m)), lambda m: m.round(i(m), decimals=0), lambda m: i(m).round(decimals=-1),
        lambda m: i(m).round_(), lambda m: i(m).round_(decimals=0), lambda m: m.round(b(m)),
        lambda m: m.round(b(m), decimals=1), lambda m: m.floor(b(m)), lambda m: b(m).ceil_(), lambda m: m.fix(b(m)),
        lambda m: m.floor(i(m)), lambda m: m.sign(b(m)), lambda m: b(m).abs(), lambda m: b(m).abs_(),
        lambda m: b(m) // b(m), lambda m: b(m) // 1, lambda m: m.div(b(m), True, rounding_mode="trunc"),
        lambda m: b(m) % b(m), lambda m: True % b(m), lambda m: m.fmod(b(m), True), lambda m: b(m).remainder_(b(m)),
        lambda m: ~m.tensor([1.0]), lambda m: m.tensor([1.0]).bitwise_not(), lambda m: ~b(m),
    ]
    for n, call in enumerate(calls):
        assert outcome(kitty, call) == outcome(torch, call), n
    with pytest.raises(NotImplementedError):
        kitty.tensor([True]).floor_divide_(kitty.tensor([True]))


def test_nan_to_num_of_bfloat16_defaults_to_its_extremes():
    """The infinities become bfloat16's largest finite values, not float32's (which round to inf)."""
    import torch

    import kittygrad as kitty

    values = [float("nan"), float("inf"), -float("inf"), 1.5]
    t = torch.tensor(values, dtype=torch.bfloat16)
    k = kitty.tensor(values, dtype=kitty.bfloat16)
    assert k.nan_to_num().tolist() == t.nan_to_num().tolist()
    assert k.clone().nan_to_num_(neginf=-2.0).tolist() == t.clone().nan_to_num_(neginf=-2.0).tolist()
