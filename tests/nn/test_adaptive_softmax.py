"""nn.AdaptiveLogSoftmaxWithLoss against torch: the same seeded weights, outputs, loss, gradients,
full log-probabilities, predictions and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty


def _build(lib, **options):
    lib.manual_seed(0)
    return lib.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 10], div_value=2.0, **options)


@pytest.mark.parametrize("head_bias", [False, True])
def test_matches_torch_with_the_same_seed(head_bias):
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((6, 16)).astype(np.float32)
    targets = [1, 7, 12, 19, 4, 9]
    results = []
    for lib in (torch, kitty):
        model = _build(lib, head_bias=head_bias)
        x = lib.tensor(x0, requires_grad=True)
        out = model(x, lib.tensor(targets))
        out.loss.backward()
        grads = [p.grad.numpy() for _, p in model.named_parameters()]
        results.append((repr(model), [n for n, _ in model.named_parameters()], out.output.detach().numpy(),
                        out.loss.item(), x.grad.numpy(), grads, model.log_prob(lib.tensor(x0)).detach().numpy(),
                        model.predict(lib.tensor(x0)).tolist(), type(out).__name__, out._fields))
    want, got = results
    assert got[0] == want[0] and got[1] == want[1] and got[7] == want[7] and got[8:] == want[8:]
    np.testing.assert_allclose(got[2], want[2], atol=1e-5)
    assert abs(got[3] - want[3]) < 1e-5
    np.testing.assert_allclose(got[4], want[4], atol=1e-6)
    for g, w in zip(got[5], want[5]):
        np.testing.assert_allclose(g, w, atol=1e-6)
    np.testing.assert_allclose(got[6], want[6], atol=1e-5)


def test_unbatched_input_and_a_batch_that_skips_a_cluster():
    for lib in (torch, kitty):
        model = _build(lib)
        assert tuple(model(lib.randn(16), lib.tensor(12)).output.shape) == ()
        assert tuple(model(lib.randn(3, 16), lib.tensor([0, 1, 2])).output.shape) == (3,)


@pytest.mark.parametrize("code,kind,pattern", [
    ("lib.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 5])", ValueError, "unique, positive integers"),
    ("lib.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [10, 5])", ValueError, "sorted in an increasing order"),
    ("lib.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [5, 20])", ValueError, "between 1 and n_classes-1"),
    ("m(lib.randn(4, 16), lib.tensor([1, 2, 3, 25]))", RuntimeError, r"Target values should be in \[0, 19\]"),
    ("m(lib.randn(4, 16), lib.tensor([1, 2, 3]))", RuntimeError, "same size in the batch dimension"),
    ("m(lib.randn(2, 3, 16), lib.tensor([1, 2]))", RuntimeError, "1D target tensor expects 2D input"),
    ("m(lib.randn(4, 16), lib.tensor([[1]]))", RuntimeError, "multi-target not supported"),
])
def test_errors_as_torch(code, kind, pattern):
    for lib in (torch, kitty):
        with pytest.raises(kind, match=pattern):
            eval(code, {"lib": lib, "m": _build(lib)})
