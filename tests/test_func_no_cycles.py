"""The transforms leave no reference cycles behind: what a call made is freed when the call's
results are dropped, not when the cyclic collector next runs.

A batched tensor and its stand-in array refer to each other; before the levels cut those pairs,
each ``vmap`` call left its BatchedTensors (and the per-sample results they hold, 26 MB for the
per-sample gradients of a 784-128 layer) for the collector, and per-sample gradients ran 1.6x
slower for the memory they kept touching.
"""
from __future__ import annotations

import gc
import weakref

import pytest

import kittygrad as kitty
from kittygrad import func

W = kitty.randn(8, 8, generator=kitty.Generator().manual_seed(0))
X = kitty.randn(4, 8, generator=kitty.Generator().manual_seed(1))
MODEL = kitty.nn.Linear(8, 3)


def _scalar(v):
    return kitty.tanh(v @ W).sum()


def _vector(v):
    return kitty.tanh(v @ W)


def _fwd_ad():
    import kittygrad.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        return fwAD.unpack_dual(_vector(fwAD.make_dual(X, kitty.ones_like(X))))


CALLS = {
    "grad": lambda: func.grad(_scalar)(X[0]),
    "grad_and_value has_aux": lambda: func.grad_and_value(lambda v: (_scalar(v), v.sum()), has_aux=True)(X[0]),
    "vjp": lambda: func.vjp(_vector, X[0])[1](kitty.ones(8)),
    "jvp": lambda: func.jvp(_vector, (X[0],), (kitty.ones(8),)),
    "linearize": lambda: func.linearize(_vector, X[0])[1](kitty.ones(8)),
    "jacrev": lambda: func.jacrev(_vector)(X[0]),
    "jacfwd": lambda: func.jacfwd(_vector)(X[0]),
    "hessian": lambda: func.hessian(_scalar)(X[0]),
    "vmap": lambda: func.vmap(_vector)(X),
    "vmap chunk_size": lambda: func.vmap(_vector, chunk_size=3)(X),
    "vmap pytree in_dims": lambda: func.vmap(lambda d: d["a"] * d["b"], in_dims=({"a": 0, "b": None},))({"a": X, "b": W[0]}),
    "vmap(grad)": lambda: func.vmap(func.grad(_scalar))(X),
    "vmap(jacrev)": lambda: func.vmap(func.jacrev(_vector))(X),
    "jacfwd(jacrev)": lambda: func.jacfwd(func.jacrev(_scalar))(X[0]),
    "functional_call": lambda: func.functional_call(MODEL, dict(MODEL.named_parameters()), (X,)),
    "forward_ad": _fwd_ad,
}


def cyclic_garbage(call) -> int:
    """How many objects the second ``call()`` leaves in reference cycles (the first one warms
    caches: first-call imports and tables are not garbage)."""
    call()
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        call()
        return gc.collect()
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("name", list(CALLS))
def test_transform_leaves_no_cyclic_garbage(name):
    found = cyclic_garbage(CALLS[name])
    assert found == 0, f"{name} left {found} objects in reference cycles"


def test_vmap_results_freed_when_dropped():
    """The per-sample gradients (the physical result) die with the caller's reference."""
    w = kitty.randn(16, 32)
    per_sample = func.vmap(func.grad(lambda w, x: (x @ w.T).square().sum()), in_dims=(None, 0))
    gc.disable()
    try:
        out = per_sample(w, kitty.randn(5, 32))
        assert out.shape == (5, 16, 32)
        ref = weakref.ref(out)
        del out
        assert ref() is None
    finally:
        gc.enable()
