"""``interpolate(mode="bicubic")`` against torch on sizes the op-table rows don't reach: 1-wide
inputs, equal sizes, user and recomputed scale factors, both ``align_corners``; its errors; and
``nn.Upsample``. (The op-table rows in ``tests/ops/test_nn_functional.py`` run the standard checks.)"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import kittygrad as kitty
from torch_errors import raised_as_torch  # (tests/ is on sys.path under pytest)

CASES = [
    ((2, 3, 5, 7), dict(size=(9, 4))),
    ((1, 1, 8, 6), dict(size=(3, 2))),
    ((1, 1, 7, 5), dict(size=(1, 1))),
    ((1, 1, 1, 1), dict(size=(3, 4))),
    ((1, 1, 1, 5), dict(size=(4, 2))),
    ((1, 2, 6, 5), dict(size=(6, 5))),
    ((2, 2, 5, 6), dict(scale_factor=1.7)),
    ((2, 2, 5, 6), dict(scale_factor=(0.6, 2.3))),
    ((1, 3, 9, 9), dict(scale_factor=0.35)),
    ((1, 3, 9, 9), dict(scale_factor=1.3, recompute_scale_factor=True)),
    ((1, 3, 9, 9), dict(scale_factor=0.45, recompute_scale_factor=True)),
    ((1, 2, 2, 3), dict(scale_factor=4.0)),
]


def _resize(lib, x, dtype, align, kw):
    t = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
    return t, lib.nn.functional.interpolate(t, mode="bicubic", align_corners=align, **kw)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("shape, kw", CASES, ids=[f"{s}-{k}" for s, k in CASES])
def test_bicubic_matches_torch(shape, kw, align, dtype):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    kx, ky = _resize(kitty, x, dtype, align, kw)
    tx, ty = _resize(torch, x, dtype, align, kw)
    assert tuple(ky.shape) == tuple(ty.shape) and str(ky.dtype) == str(ty.dtype).replace("torch", "kittygrad")
    w = rng.standard_normal(tuple(ty.shape))
    (ky * kitty.tensor(w, dtype=ky.dtype)).sum().backward()
    (ty * torch.tensor(w, dtype=ty.dtype)).sum().backward()
    tol = 1e-10 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(ky.detach().numpy(), ty.detach().numpy(), rtol=0, atol=tol)
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=0, atol=tol * 10)


def test_same_size_with_a_scale_factor_has_the_transposed_gradient():
    """9 * 1.1 floors to 9: the sizes match but the weights step by 1 / 1.1. torch's forward uses
    them; its backward copies the gradient through unchanged (torch's gradcheck fails there), so
    the gradient is checked against central differences instead."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 9, 9)), rng.standard_normal((1, 2, 9, 9))
    kx, ky = _resize(kitty, x, "float64", False, dict(scale_factor=1.1))
    _, ty = _resize(torch, x, "float64", False, dict(scale_factor=1.1))
    np.testing.assert_allclose(ky.detach().numpy(), ty.detach().numpy(), rtol=0, atol=1e-12)
    (ky * kitty.tensor(w)).sum().backward()

    def loss(a):
        return (_resize(kitty, a, "float64", False, dict(scale_factor=1.1))[1].detach().numpy() * w).sum()

    fd = np.zeros(x.shape)
    for idx in itertools.product(*map(range, x.shape)):
        step = np.zeros(x.shape)
        step[idx] = 1e-6
        fd[idx] = (loss(x + step) - loss(x - step)) / 2e-6
    np.testing.assert_allclose(kx.grad.numpy(), fd, rtol=0, atol=1e-7)


def test_second_derivative_through_a_square_matches_torch():
    # the resize is linear (its gradient ignores the input), so a second derivative needs y * y
    x = np.random.default_rng(2).standard_normal((1, 1, 4, 5))
    seconds = []
    for lib in (kitty, torch):
        t, y = _resize(lib, x, "float64", False, dict(scale_factor=1.5))
        (g,) = lib.autograd.grad((y * y).sum(), t, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), t)
        seconds.append(h.detach().numpy())
    np.testing.assert_allclose(*seconds, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("align", [False, True])
def test_upsample_module(align):
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 5))
    k = kitty.nn.Upsample(scale_factor=2.5, mode="bicubic", align_corners=align)(kitty.tensor(x))
    t = torch.nn.Upsample(scale_factor=2.5, mode="bicubic", align_corners=align)(torch.tensor(x))
    np.testing.assert_allclose(k.numpy(), t.numpy(), rtol=0, atol=1e-12)


ERRORS = [
    ("bicubic 3-D", lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 4), scale_factor=2, mode="bicubic")),
    ("bicubic 5-D", lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 2, 2, 2), scale_factor=2, mode="bicubic")),
    ("unknown mode", lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 4, 4), scale_factor=2, mode="cubic", align_corners=True)),
    ("linear on 4-D", lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 4, 4), scale_factor=2, mode="linear")),
    ("recompute with size", lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 4, 4), size=3, mode="bicubic",
                                                                   recompute_scale_factor=True)),
    ("neither size nor scale", lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 4, 4), mode="bicubic")),
    ("empty output", lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 4, 4), size=0, mode="bicubic")),
    ("int input", lambda m: m.nn.functional.interpolate(m.zeros(1, 1, 4, 4, dtype=m.int64), size=2, mode="bicubic")),
]
SAME_TEXT = {"linear on 4-D", "recompute with size", "neither size nor scale", "empty output"}


@pytest.mark.parametrize("name, call", ERRORS, ids=[n for n, _ in ERRORS])
def test_errors_are_torchs_types(name, call):
    ours, theirs = raised_as_torch(lambda: call(torch), lambda: call(kitty))
    if name in SAME_TEXT:
        assert ours == theirs


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "area"])
def test_align_corners_refused_only_by_the_non_interpolating_modes(mode):
    with pytest.raises(ValueError) as t:
        torch.nn.functional.interpolate(torch.zeros(1, 1, 4, 4), scale_factor=2, mode=mode, align_corners=False)
    with pytest.raises(ValueError) as k:
        kitty.nn.functional.interpolate(kitty.zeros(1, 1, 4, 4), scale_factor=2, mode=mode, align_corners=False)
    assert str(k.value) == str(t.value)
    for interp in ("bilinear", "bicubic"):  # these take it, either way
        kitty.nn.functional.interpolate(kitty.zeros(1, 1, 4, 4), scale_factor=2, mode=interp, align_corners=True)
