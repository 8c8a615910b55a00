"""Backward frees what forward saved as soon as it has passed each node (issue 18, memory)."""

import tracemalloc

import pytest

import kittygrad as kitty

MB = 1 << 20


@pytest.mark.parametrize("semantics", ["seed", "torch"])
def test_saved_activations_are_freed_as_backward_passes_them(semantics):
    with kitty.autograd.backward_semantics(semantics):
        x = kitty.randn(MB, requires_grad=True)  # 4 MB per float32 activation
        seen = []
        tracemalloc.start()
        try:
            y = x
            for i in range(8):
                y = (y * 0.5).tanh()  # tanh saves its 4 MB output for backward
                y.register_hook(lambda g, i=i: seen.append((i, tracemalloc.get_traced_memory()[0])))
            held = tracemalloc.get_traced_memory()[0]
            y.sum().backward()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    assert held >= 8 * 4 * MB  # the eight saved outputs
    steps = [m for _, m in seen]
    # from the third hook on, each step down the chain has freed one more saved output (4 MB)
    for earlier, later in zip(steps[2:], steps[3:]):
        assert earlier - later >= 3.5 * MB, [s // MB for s in steps]
    # after backward: x.grad and y's own values (the caller still holds y), nothing of the graph
    assert after <= 2 * 4 * MB + MB, after // MB
