"""Op-table rows of ``kittygrad/ops/activation.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import F, Row, away_from_zero, fixed, inplace_rows

ROWS = [
    *inplace_rows(("sigmoid", None), ("tanh", None), ("relu", away_from_zero)),
    Row("sigmoid", lambda m, a: m.sigmoid(a)),
    Row("tanh", lambda m, a: m.tanh(a)),
    Row("relu", lambda m, a: m.relu(a), domain=away_from_zero),
    Row("softmax", lambda m, a: m.softmax(a, dim=-1), min_dims=1),
    Row("log_softmax", lambda m, a: m.log_softmax(a, dim=0), min_dims=1),
    Row("leaky_relu", lambda m, a: F(m).leaky_relu(a, 0.1), domain=away_from_zero),
    Row("elu", lambda m, a: F(m).elu(a, 0.7), domain=away_from_zero),
    Row("selu", lambda m, a: F(m).selu(a), domain=away_from_zero),
    Row("celu", lambda m, a: F(m).celu(a, 1.5), domain=away_from_zero),
    Row("gelu", lambda m, a: F(m).gelu(a * 2)),
    Row("gelu_tanh", lambda m, a: F(m).gelu(a, approximate="tanh")),
    Row("silu", lambda m, a: F(m).silu(a)),
    Row("mish", lambda m, a: F(m).mish(a * 3)),
    Row("softplus", lambda m, a: F(m).softplus(a, beta=2.0, threshold=1.5), domain=lambda x: x * 2 + 0.013),
    Row("softsign", lambda m, a: F(m).softsign(a), domain=away_from_zero),
    Row("hardtanh", lambda m, a: F(m).hardtanh(a, -0.5, 0.8), domain=lambda x: x * 1.013 + 0.001),
    Row("relu6", lambda m, a: F(m).relu6(a * 5), domain=lambda x: away_from_zero(x) + 0.0003),
    Row("hardswish", lambda m, a: F(m).hardswish(a * 3), domain=lambda x: x + 0.0007),
    Row("hardsigmoid", lambda m, a: F(m).hardsigmoid(a * 3), domain=lambda x: x + 0.0007),
    Row("logsigmoid", lambda m, a: F(m).logsigmoid(a * 3)),
    Row("prelu", lambda m, a, w: F(m).prelu(a, w), 2, shapes=fixed((2, 3, 4), (3,)), domain=away_from_zero),
    Row("prelu_shared", lambda m, a, w: F(m).prelu(a, w), 2, shapes=fixed((5,), (1,)), domain=away_from_zero),
    Row("leaky_relu_inplace", lambda m, a: F(m).leaky_relu(a * 1, 0.2, inplace=True), domain=away_from_zero),
    Row("elu_inplace", lambda m, a: F(m).elu(a * 1, inplace=True), domain=away_from_zero),
    Row("F_softmax", lambda m, x: F(m).softmax(x, dim=1) + F(m).log_softmax(x, dim=-1), shapes=fixed((3, 4))),
]


def test_logsigmoid_of_large_logits_is_positive_zero_as_torch():
    """Where exp(-x) underflows log(sigmoid(x)) is 0.0 in torch, not -0.0 (which prints as ``-0.``)."""
    import numpy as np
    import torch

    import kittygrad as kitty

    for dtype in ("float32", "float64"):
        values = [-1000.0, -1.0, 0.0, 20.0, 110.0, 800.0, 1000.0, float("inf")]
        k = kitty.nn.functional.logsigmoid(kitty.tensor(values, dtype=getattr(kitty, dtype))).numpy()
        t = torch.nn.functional.logsigmoid(torch.tensor(values, dtype=getattr(torch, dtype))).numpy()
        np.testing.assert_allclose(k, t, rtol=1e-6)
        np.testing.assert_array_equal(np.signbit(k), np.signbit(t))


def test_gelu_refuses_an_unknown_approximation_with_torchs_message():
    import pytest
    import torch

    import kittygrad as kitty

    with pytest.raises(RuntimeError) as t:
        torch.nn.functional.gelu(torch.zeros(2), approximate="foo")
    for call in (lambda: kitty.nn.functional.gelu(kitty.zeros(2), approximate="foo"),
                 lambda: kitty.nn.GELU(approximate="foo")(kitty.zeros(2))):
        with pytest.raises(RuntimeError) as k:
            call()
        assert str(k.value) == str(t.value)


def test_half_precision_softmax_rounds_as_torch():
    """float16 softmax is computed in float32 and rounded once; the last-dim log_softmax of float16
    and bfloat16 keeps its row sums and their logs in the input's dtype, as torch's kernel: bit for bit."""
    import numpy as np
    import torch

    import kittygrad as kitty

    torch.manual_seed(0)
    x = torch.randn(16, 50) * 4
    for dtype in ("float16", "bfloat16"):
        t = x.to(getattr(torch, dtype))
        k = kitty.tensor(x.numpy()).to(getattr(kitty, dtype))
        for name in ("softmax", "log_softmax"):
            got = getattr(kitty, name)(k, -1).float().numpy()
            np.testing.assert_array_equal(got, getattr(torch, name)(t, -1).float().numpy(), err_msg=f"{name} {dtype}")
        # another dim: log_softmax is float32 rounded once there
        np.testing.assert_array_equal(kitty.log_softmax(k, 0).float().numpy(), torch.log_softmax(t, 0).float().numpy())
