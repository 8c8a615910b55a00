"""Wrappers whose argument checks read values run batched under vmap (no per-sample loop): a range
check holds for every sample when it holds for all of them at once, and reductions such as ``all``
give one result per sample. Each is compared with torch.func and with the function per sample."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.func as tf

import kittygrad as kitty
import kittygrad.func as kf

RNG = np.random.default_rng(11)


def _both(make_fn, *arrays, **vmap_kwargs):
    """``vmap(make_fn(lib))`` of the arrays in kittygrad (with loop-fallback warnings as errors) and torch."""
    out = []
    for lib, func in ((kitty, kf), (torch, tf)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out.append(func.vmap(make_fn(lib), **vmap_kwargs)(*[lib.tensor(a) for a in arrays]))
    return out


def test_binary_cross_entropy_is_batched():
    p = RNG.uniform(0.05, 0.95, (5, 7)).astype(np.float32)
    t = RNG.uniform(0, 1, (5, 7)).astype(np.float32)
    k, r = _both(lambda lib: lambda a, b: lib.nn.functional.binary_cross_entropy(a, b), p, t)
    np.testing.assert_allclose(k.numpy(), r.numpy(), rtol=1e-6)
    bad = p.copy()
    bad[3, 2] = 1.5  # one sample out of range: the call fails, as it does per sample
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        kf.vmap(kitty.nn.functional.binary_cross_entropy)(kitty.tensor(bad), kitty.tensor(t))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        kitty.nn.functional.binary_cross_entropy(kitty.tensor([float("nan")]), kitty.tensor([1.0]))


def test_one_hot_is_batched():
    idx = RNG.integers(0, 6, (4, 3))
    k, r = _both(lambda lib: lambda a: lib.nn.functional.one_hot(a, 6), idx)
    assert k.dtype == kitty.int64 and k.shape == (4, 3, 6)
    assert np.array_equal(k.numpy(), r.numpy())
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        kf.vmap(lambda a: kitty.nn.functional.one_hot(a, 5))(kitty.tensor(idx))


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_all_and_any_are_batched(name, dim):
    x = RNG.uniform(0, 1, (4, 3, 5)) > 0.3

    def make(lib):
        fn = getattr(lib, name)
        return (lambda a: fn(a)) if dim is None else (lambda a: fn(a, dim))

    k, r = _both(make, x)
    assert k.dtype == kitty.bool and np.array_equal(k.numpy(), r.numpy())


def test_all_of_uint8_keeps_uint8():
    x = np.array([[1, 2], [0, 3]], np.uint8)
    for lib in (kitty, torch):
        assert str(lib.all(lib.tensor(x)).dtype).endswith("uint8")
    k, r = _both(lambda lib: lambda a: lib.all(a), x)
    assert np.array_equal(k.numpy(), r.numpy()) and str(k.dtype).endswith("uint8")
