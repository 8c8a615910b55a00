"""Cross-entropy's short paths agree with its general path and with torch at the targets that break things.

The common call (2-D float logits, 1-D int64 class indices, no weight or smoothing) skips the
argument conversions, and its node takes a shorter formula when no target is ignored; targets out
of range, ignored, strided or from inference mode must still get torch's outcome.
"""
import numpy as np
import pytest
import torch

import kittygrad as kitty


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_plain_cross_entropy_equals_the_general_path_bitwise(reduction):
    """No weight, no smoothing and no target ignored selects the short path; all-ones class weights
    take the general one, whose formulas it must reproduce: the loss exactly, the gradient to a few
    ulps (NumPy 1.26 computes the short path's in-place float32 exp by another loop)."""
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((37, 11)).astype(np.float32) * 20
    target = rng.integers(0, 11, 37)
    results = []
    for weight in (None, kitty.ones(11)):
        x = kitty.tensor(logits, requires_grad=True)
        loss = kitty.nn.functional.cross_entropy(x, kitty.tensor(target), weight=weight, reduction=reduction)
        loss.backward(kitty.ones_like(loss) * 0.75)
        results.append((loss.detach().numpy(), x.grad.numpy()))
    assert np.array_equal(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6, atol=1e-9)
    xt = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(xt, torch.tensor(target), reduction=reduction)
    ref.backward(torch.ones_like(ref) * 0.75)
    np.testing.assert_allclose(results[0][0], ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(results[0][1], xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ignore_index", [-100, 0, 4, 11])
def test_cross_entropy_takes_the_general_path_when_a_target_may_be_ignored(ignore_index):
    target = np.array([0, 4, 4, 7, 10])
    logits = np.linspace(-3, 3, 55, dtype=np.float32).reshape(5, 11)
    x, xt = kitty.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    loss = kitty.nn.functional.cross_entropy(x, kitty.tensor(target), ignore_index=ignore_index)
    ref = torch.nn.functional.cross_entropy(xt, torch.tensor(target), ignore_index=ignore_index)
    loss.backward()
    ref.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("bad", [-1, -100, 11, 2**62, -(2**62)])
@pytest.mark.parametrize("ignore_index", [-100, 3])
def test_cross_entropy_range_check_in_one_reduction_refuses_as_torch(bad, ignore_index):
    """The short path reads int64 targets as unsigned to test 0 <= t < C in one reduction: a
    negative or too large target still gets torch's outcome (-100 is ignored, the rest refused)."""
    target = np.array([0, 4, bad, 7, 10])
    logits = np.linspace(-3, 3, 55, dtype=np.float32).reshape(5, 11)
    outcomes = []
    for lib in (kitty, torch):
        x = lib.tensor(logits, requires_grad=True)
        try:
            loss = lib.nn.CrossEntropyLoss(ignore_index=ignore_index)(x, lib.tensor(target))
            loss.backward()
            outcomes.append((round(loss.item(), 5), np.round(x.grad.numpy(), 6).tolist()))
        except Exception as e:  # noqa: BLE001 (the outcome compared is the error's type and text)
            outcomes.append((type(e).__name__, str(e).splitlines()[0]))
    if isinstance(outcomes[1][0], str):  # torch names IndexError a RuntimeError subclass: compare texts
        assert outcomes[0][1] == outcomes[1][1], outcomes
    else:
        assert outcomes[0] == outcomes[1], outcomes


@pytest.mark.parametrize("case", ["strided target", "float64", "parameter logits", "inference target"])
def test_cross_entropy_entry_shortcut_agrees_with_the_general_path(case):
    """Common calls (2-D float logits, 1-D int64 targets, no weight or smoothing) skip the argument
    conversions; calls just outside it take them. Both give torch's loss, gradient and node name."""
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((6, 4)).astype(np.float64 if case == "float64" else np.float32)
    target = rng.integers(0, 4, 12 if case == "strided target" else 6)
    results = []
    for lib in (kitty, torch):
        x = lib.nn.Parameter(lib.tensor(logits)) if case == "parameter logits" else lib.tensor(logits, requires_grad=True)
        if case == "inference target":
            with lib.inference_mode():
                t = lib.tensor(target)
            try:
                lib.nn.functional.cross_entropy(x, t)
            except RuntimeError as e:
                results.append(str(e).splitlines()[0])
            continue
        t = lib.tensor(target)[::2] if case == "strided target" else lib.tensor(target)
        loss = lib.nn.functional.cross_entropy(x, t, reduction="sum")
        loss.backward()
        results.append((loss.grad_fn.name() if lib is torch else loss.grad_fn.torch_name(), loss.item(), x.grad.numpy()))
    if case == "inference target":
        assert len(results) == 2 and results[0] == results[1]
        return
    (kn, kl, kg), (tn, tl, tg) = results
    assert kn == tn
    np.testing.assert_allclose(kl, tl, rtol=1e-6)
    np.testing.assert_allclose(kg, tg, rtol=1e-5, atol=1e-7)
