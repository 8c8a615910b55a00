"""Activation checkpointing: identical gradients (vs no checkpointing and vs torch), less memory."""
import tracemalloc

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tcp

import kittygrad as kitty
import kittygrad.utils.checkpoint
from kittygrad.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential


def mlp(lib, depth=6, width=8, dropout=0.0, seed=0):
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(depth):
        lin = lib.nn.Linear(width, width).double()
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(rng.standard_normal((width, width)) / np.sqrt(width)))
            lin.bias.copy_(lib.tensor(rng.standard_normal(width) * 0.1))
        layers += [lin, lib.nn.Tanh()]
        if dropout:
            layers.append(lib.nn.Dropout(dropout))
    return lib.nn.Sequential(*layers)


def grads_of(model, x):
    return [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]


def test_module_and_function_are_importable_as_in_torch():
    assert kittygrad.utils.checkpoint.checkpoint is checkpoint
    assert kitty.utils.checkpoint.checkpoint_sequential is checkpoint_sequential
    assert issubclass(CheckpointError, RuntimeError)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_gradients_identical_to_unchecked_and_to_torch(use_reentrant):
    x_np = np.random.default_rng(1).standard_normal((4, 8))
    results = {}
    for name, lib, ckpt in (("kitty", kitty, checkpoint), ("torch", torch, tcp.checkpoint)):
        model = mlp(lib)
        blocks = [model[0:4], model[4:8], model[8:]]
        for mode in ("plain", "ckpt"):
            model.zero_grad()
            x = lib.tensor(x_np, requires_grad=True)
            h = x
            for block in blocks:
                h = ckpt(block, h, use_reentrant=use_reentrant) if mode == "ckpt" else block(h)
            (h ** 2).sum().backward()
            results[name, mode] = [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()]
    for a, b in zip(results["kitty", "ckpt"], results["kitty", "plain"]):
        np.testing.assert_array_equal(a, b)  # same ops on the same values: bit-identical
    for a, b in zip(results["kitty", "ckpt"], results["torch", "ckpt"]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_dropout_mask_is_replayed():
    model = mlp(kitty, depth=4, dropout=0.5)
    x_np = np.random.default_rng(2).standard_normal((5, 8))
    out = []
    for use in (False, True):
        model.zero_grad()
        x = kitty.tensor(x_np, requires_grad=True)
        kitty.manual_seed(123)
        y = checkpoint_sequential(model, 3, x, use_reentrant=False) if use else model(x)
        kitty.randn(3)  # the RNG moves on between forward and backward
        y.sum().backward()
        out.append((y.detach().numpy().copy(), grads_of(model, x)))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    for a, b in zip(out[0][1], out[1][1]):
        np.testing.assert_array_equal(a, b)


def test_without_preserved_rng_state_the_mask_differs():
    drop = kitty.nn.Dropout(0.5)
    x = kitty.ones(200, dtype=kitty.float64, requires_grad=True)
    kitty.manual_seed(0)
    y = checkpoint(drop, x, use_reentrant=False, preserve_rng_state=False)
    y.sum().backward()
    # the recomputed mask is a fresh draw: the gradient does not match the forward's mask
    assert not np.array_equal(x.grad.numpy() != 0, y.detach().numpy() != 0)


def test_autograd_grad_closures_and_kwargs():
    w = kitty.randn(3, dtype=kitty.float64, requires_grad=True)
    x = kitty.randn(3, dtype=kitty.float64, requires_grad=True)
    h = w.exp()  # a non-leaf captured by the closure
    y = checkpoint(lambda t, scale: (t * h * scale).sin(), x, scale=2.0, use_reentrant=False)
    gx, gw = kitty.autograd.grad(y.sum(), (x, w))
    rx, rw = kitty.autograd.grad((x * w.exp() * 2.0).sin().sum(), (x, w))
    np.testing.assert_allclose(gx.numpy(), rx.numpy())
    np.testing.assert_allclose(gw.numpy(), rw.numpy())
    assert x.grad is None and w.grad is None  # grad() accumulates nothing
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda t, scale: t, x, scale=2.0, use_reentrant=True)


def test_parameters_get_gradients_even_if_the_input_does_not_require_grad():
    lin = kitty.nn.Linear(3, 2)
    y = checkpoint(lin, kitty.ones(1, 3), use_reentrant=False)
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.ones((2, 3)))


def test_reentrant_checkpoint_of_inputs_without_grad_records_nothing_as_torch():
    # torch's reentrant checkpoint is a custom Function of the arguments: none requires grad, so
    # its output does not, and the parameters inside get no gradient (it warns)
    for lib, cp in ((kitty, kittygrad.utils.checkpoint), (torch, tcp)):
        lin = lib.nn.Linear(3, 2)
        with pytest.warns(UserWarning, match="^None of the inputs have requires_grad=True. Gradients will be None$"):
            y = cp.checkpoint(lin, lib.ones(1, 3), use_reentrant=True)
        assert not y.requires_grad
        head = lib.nn.Linear(2, 1)
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            y = cp.checkpoint_sequential(lib.nn.Sequential(lin, lib.nn.Tanh(), head), 2, lib.ones(1, 3),
                                         use_reentrant=True)
        y.sum().backward()
        assert lin.weight.grad is None and head.weight.grad is not None  # (the last segment is not checkpointed)


def test_use_reentrant_warnings_are_torchs():
    messages = []
    for lib, cp in ((kitty, kittygrad.utils.checkpoint), (torch, tcp)):
        x = lib.ones(2, requires_grad=True)
        with pytest.warns(UserWarning) as one:
            cp.checkpoint(lambda t: t * 2, x)
        with pytest.warns(UserWarning) as two:
            cp.checkpoint_sequential(lib.nn.Sequential(lib.nn.Tanh(), lib.nn.Tanh()), 2, x)
        messages.append([str(w[0].message).replace("kittygrad.", "torch.") for w in (one, two)])
    assert messages[0] == messages[1]


def test_no_grad_and_argument_errors():
    x = kitty.ones(2, requires_grad=True)
    with kitty.no_grad():
        assert not checkpoint(lambda t: t * 2, x, use_reentrant=False).requires_grad
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda t: t * 2, x)
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        checkpoint(lambda t: t, x, use_reentrant=True, debug=True)
    with pytest.raises(ValueError, match="determinism_check"):
        checkpoint(lambda t: t, x, use_reentrant=False, determinism_check="always")


def test_recompute_that_differs_is_an_error():
    calls = []

    def f(t):
        calls.append(1)
        return t * 2 if len(calls) == 1 else (t * 2).sum()

    y = checkpoint(f, kitty.ones(3, requires_grad=True), use_reentrant=False)
    with pytest.raises(CheckpointError, match="Recomputed values have different metadata"):
        y.sum().backward()


def test_inplace_change_of_a_saved_input_is_detected():
    x = kitty.ones(3, requires_grad=True)
    h = x * 1
    y = checkpoint(lambda t: t.exp(), h, use_reentrant=False)
    with kitty.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_context_fn_runs_around_forward_and_recompute():
    log = []

    class Ctx:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            log.append(self.name)

        def __exit__(self, *exc):
            pass

    x = kitty.ones(2, requires_grad=True)
    y = checkpoint(lambda t: t * 3, x, use_reentrant=False, context_fn=lambda: (Ctx("fwd"), Ctx("recompute")))
    assert log == ["fwd"]
    y.sum().backward()
    assert log == ["fwd", "recompute"]


def _peak_bytes(run) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checkpoint_sequential_lowers_peak_memory():
    # activations (batch x width) dominate the parameters (width x width)
    depth, width, batch = 20, 64, 2048
    model = mlp(kitty, depth=depth, width=width)
    x_np = np.random.default_rng(3).standard_normal((batch, width))

    def run(segments):
        model.zero_grad(set_to_none=True)
        x = kitty.tensor(x_np, requires_grad=True)
        y = model(x) if segments is None else checkpoint_sequential(model, segments, x, use_reentrant=False)
        y.sum().backward()
        return x

    run(None)  # warm-up (lazily built caches are not what we measure)
    peaks, grads = {}, {}
    for segments in (None, 5):
        tracemalloc.start()
        try:
            x = run(segments)
            peaks[segments] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        grads[segments] = grads_of(model, x)
    # without: ~20 saved activations (one per Linear + Tanh layer) and the gradients in flight;
    # with 5 segments (8 modules each): 4 boundaries, the plain last segment, and one segment
    # recomputed at a time (measured: 24 vs 13 activations)
    assert peaks[5] < 0.6 * peaks[None]
    for a, b in zip(grads[None], grads[5]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("how", ["grad", "backward"])
def test_double_backward_through_checkpoint_matches_torch(how):
    """A second derivative through a non-reentrant checkpoint (a Hessian-vector product, a
    gradient penalty) as torch gives it: the recomputed gradients stay functions of the argument
    and of a captured non-leaf (they were taken at detached copies, so tanh's x -> 1.6749 where
    torch and finite differences give 1.3643)."""
    rng = np.random.default_rng(4)
    x_np, w_np, v_np = rng.standard_normal((3, 4)), rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    results = {}
    for lib, ckpt in ((kitty, checkpoint), (torch, tcp.checkpoint)):
        x = lib.tensor(x_np, requires_grad=True)
        w = lib.tensor(w_np, requires_grad=True)
        w2 = w * 1.5  # a non-leaf the checkpointed function captures from the enclosing scope
        h = ckpt(lambda t: lib.tanh(t @ w2) * t, x, use_reentrant=False)
        loss = (h ** 3).sum() + (w2 ** 2).sum()
        if how == "grad":
            gx, gw = lib.autograd.grad(loss, (x, w), create_graph=True)
        else:
            loss.backward(create_graph=True)
            gx, gw = x.grad, w.grad
            x.grad = w.grad = None
        first = [gx.detach().numpy().copy(), gw.detach().numpy().copy()]
        ((gx * lib.tensor(v_np)).sum() + (gw ** 2).sum()).backward()
        results[lib] = first + [x.grad.numpy().copy(), w.grad.numpy().copy()]
    for a, b in zip(results[kitty], results[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
