"""Memory: backward frees the graph and what it saved; training does not grow; a logged,
detached tensor does not pin the graph. Measured with weakref, gc and tracemalloc (NumPy reports
its array buffers to tracemalloc)."""
from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np

import kittygrad as kitty
from hardening._figures import record

MB = 1 << 20


def _current():
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_backward_frees_saved_arrays_and_graph():
    tracemalloc.start()
    try:
        x = kitty.randn(512, 512, requires_grad=True)  # 1 MiB in float32
        base = _current()
        h = x
        for _ in range(8):
            h = (h * 1.01).tanh().exp()  # each step saves arrays of 1 MiB
        loss = h.sum()
        node = weakref.ref(h.grad_fn)
        del h
        held = _current() - base
        assert held > 8 * MB, f"the graph should hold its saved arrays ({held / MB:.1f} MiB)"
        loss.backward()
        after = _current() - base  # loss (and through it the nodes) still alive; x.grad exists
        assert after < 1.5 * MB, f"{after / MB:.2f} MiB still held after backward"
        assert node() is not None  # nodes stay (as torch's), only what they saved is gone
        del loss
        gc.collect()
        assert node() is None, "the graph outlives its last output"
        record("memory: graph of 8x3 ops on 1 MiB", f"{held / MB:.1f} MiB before backward, {after / MB:.2f} MiB after (x.grad included)")
    finally:
        tracemalloc.stop()


def test_graph_freed_without_gc_cycles():
    """The graph is freed by reference counting alone (no cycles between tensors and nodes)."""
    gc.disable()
    try:
        x = kitty.randn(64, requires_grad=True)
        y = (x * 2).sigmoid()
        node = weakref.ref(y.grad_fn)
        out = weakref.ref(y)
        y.sum().backward()
        del y
        assert out() is None and node() is None
    finally:
        gc.enable()


def _mlp(seed):
    rng = np.random.default_rng(seed)
    model = kitty.nn.Sequential(kitty.nn.Linear(8, 32), kitty.nn.ReLU(), kitty.nn.Linear(32, 1))
    with kitty.no_grad():
        for p in model.parameters():
            p.copy_(kitty.tensor(rng.standard_normal(tuple(p.shape)) * 0.3, dtype=p.dtype))
    return model


def test_training_steps_do_not_grow():
    model = _mlp(0)
    opt = kitty.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(1)
    xs = kitty.tensor(rng.standard_normal((64, 8)), dtype=kitty.float32)
    ys = kitty.tensor(rng.standard_normal((64, 1)), dtype=kitty.float32)
    log = []
    steps, warm = 1000, 100

    def step():
        opt.zero_grad()
        loss = kitty.nn.functional.mse_loss(model(xs), ys)
        loss.backward()
        opt.step()
        log.append(loss.item())

    tracemalloc.start()
    try:
        for _ in range(warm):
            step()
        before = _current()
        objects_before = len(gc.get_objects())
        for _ in range(steps - warm):
            step()
        growth = _current() - before
        objects = len(gc.get_objects()) - objects_before
    finally:
        tracemalloc.stop()
    # the log's Python floats (24 B each, in a list) are the only expected growth
    per_step = growth / (steps - warm)
    record("memory growth per training step", f"{per_step:.0f} B/step over {steps} steps of Adam on an MLP "
           f"(the loss log's floats included), {objects / (steps - warm):.2f} gc-tracked objects/step")
    assert per_step < 256, f"{per_step:.0f} bytes per step"
    assert objects < 0.05 * (steps - warm)
    assert log[-1] < log[0]


def test_logged_detached_tensor_does_not_pin_the_graph():
    x = kitty.randn(256, 256, requires_grad=True)
    h = (x * 3).tanh()
    loss = (h * h).mean()
    node = weakref.ref(loss.grad_fn)
    inner = weakref.ref(h.grad_fn)
    logged = loss.detach()
    as_number = loss.item()
    del h, loss
    gc.collect()
    assert node() is None and inner() is None
    assert logged.item() == as_number and logged.grad_fn is None and not logged.requires_grad


def test_no_grad_forward_builds_nothing():
    x = kitty.randn(128, 128, requires_grad=True)
    tracemalloc.start()
    try:
        base = _current()
        with kitty.no_grad():
            for _ in range(50):
                y = (x * 2).exp().tanh()
        grown = _current() - base
    finally:
        tracemalloc.stop()
    assert y.grad_fn is None
    assert grown < 3 * 128 * 128 * 4 + 64 * 1024
