"""Op-table rows of ``kittygrad/ops/nn/loss.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import F, Row, _int_tensor, _probs, away_from_zero, fixed

ROWS = [
    Row("mse_loss", lambda m, a, b: F(m).mse_loss(a, b), 2, shapes=fixed((3, 4), (3, 4))),
    Row("mse_loss_none", lambda m, a, b: F(m).mse_loss(a, b, reduction="none"), 2, shapes=fixed((3, 4), (3, 4))),
    Row("l1_loss", lambda m, a, b: F(m).l1_loss(a, b, reduction="sum"), 2, shapes=fixed((5,), (5,)), domain=away_from_zero),
    Row("smooth_l1_loss", lambda m, a, b: F(m).smooth_l1_loss(a, b, beta=0.5), 2, shapes=fixed((4, 3), (4, 3))),
    Row("huber_loss", lambda m, a, b: F(m).huber_loss(a, b, reduction="sum", delta=0.7), 2, shapes=fixed((4, 3), (4, 3))),
    Row("cross_entropy", lambda m, x: F(m).cross_entropy(x, _int_tensor(m, [0, 2, 1, 2])), shapes=fixed((4, 3))),
    Row("cross_entropy_weighted", lambda m, x: F(m).cross_entropy(
        x, _int_tensor(m, [0, 2, -100, 1]), weight=m.tensor([0.25, 1.0, 3.0], dtype=x.dtype), label_smoothing=0.2), shapes=fixed((4, 3))),
    Row("cross_entropy_spatial", lambda m, x: F(m).cross_entropy(
        x, _int_tensor(m, [[[0, 1], [2, 2], [1, 0]], [[2, 0], [1, 1], [0, 5]]]), ignore_index=5, reduction="none"), shapes=fixed((2, 3, 3, 2))),
    Row("cross_entropy_sum_smooth", lambda m, x: F(m).cross_entropy(x, _int_tensor(m, [3, 0]), reduction="sum", label_smoothing=0.1),
        shapes=fixed((2, 4))),
    Row("cross_entropy_probs", lambda m, x, t: F(m).cross_entropy(x, t.softmax(-1), weight=m.tensor([1.0, 0.5, 2.0], dtype=x.dtype),
        label_smoothing=0.1), 2, shapes=fixed((4, 3), (4, 3))),
    Row("cross_entropy_unbatched", lambda m, x: F(m).cross_entropy(x, _int_tensor(m, 2)), shapes=fixed((4,))),
    Row("nll_loss", lambda m, x: F(m).nll_loss(x, _int_tensor(m, [1, 0, 3]), weight=m.tensor([1.0, 2.0, 0.5, 1.5], dtype=x.dtype)),
        shapes=fixed((3, 4))),
    Row("nll_loss_none", lambda m, x: F(m).nll_loss(x, _int_tensor(m, [[1, 0], [2, -100]]), reduction="none"), shapes=fixed((2, 3, 2))),
    # every target counted, no weight: the plain route (ClassNll._plain_nll_forward)
    Row("nll_loss_plain", lambda m, x: F(m).nll_loss(x, _int_tensor(m, [1, 0, 3])), shapes=fixed((3, 4))),
    Row("nll_loss_plain_sum", lambda m, x: F(m).nll_loss(x, _int_tensor(m, [[1, 0], [2, 2]]), reduction="sum"),
        shapes=fixed((2, 3, 2))),
    Row("binary_cross_entropy", lambda m, x, t: F(m).binary_cross_entropy(x, t, weight=m.tensor([0.5, 2.0, 1.0], dtype=x.dtype)), 2,
        shapes=fixed((4, 3), (4, 3)), domain=_probs),
    Row("binary_cross_entropy_with_logits", lambda m, x, t, pw: F(m).binary_cross_entropy_with_logits(x, t.sigmoid(), pos_weight=pw), 3,
        shapes=fixed((4, 3), (4, 3), (3,)), grad=(True, True, False)),
    Row("bce_with_logits_weight", lambda m, x, t, w: F(m).binary_cross_entropy_with_logits(x * 4, t.sigmoid(), w, reduction="sum"), 3,
        shapes=fixed((2, 3), (2, 3), (2, 1)), grad=(True, True, False)),
    Row("kl_div", lambda m, x, t: F(m).kl_div(x.log_softmax(-1), t.softmax(-1), reduction="batchmean"), 2, shapes=fixed((3, 4), (3, 4))),
    Row("kl_div_log_target", lambda m, x, t: F(m).kl_div(x, t, reduction="sum", log_target=True), 2, shapes=fixed((3, 4), (3, 4))),
    Row("kl_div_zero_target", lambda m, x, t: F(m).kl_div(x, t.relu(), reduction="none"), 2, shapes=fixed((2, 3), (2, 3)),
        domain=away_from_zero),
]
