"""channels_last against torch: which results keep the layout (convolutions, pooling, resampling,
``clone`` / ``*_like`` under ``preserve_format``, ``empty(memory_format=)``) and ``Module.to(memory_format=)``,
compared by the strides each library reports."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty

X = np.random.default_rng(0).standard_normal((2, 4, 6, 6)).astype(np.float32)

CALLS = [
    ("conv", lambda m, x: m.nn.functional.conv2d(x, m.ones(3, 4, 3, 3))),
    ("depthwise conv", lambda m, x: m.nn.functional.conv2d(x, m.ones(4, 1, 3, 3), groups=4, padding=1)),
    ("conv_transpose", lambda m, x: m.nn.functional.conv_transpose2d(x, m.ones(4, 2, 2, 2), stride=2)),
    ("max_pool", lambda m, x: m.nn.functional.max_pool2d(x, 3, 2, 1)),
    ("max_pool indices", lambda m, x: m.nn.functional.max_pool2d(x, 2, return_indices=True)[1]),
    ("avg_pool", lambda m, x: m.nn.functional.avg_pool2d(x, 2)),
    ("adaptive_avg_pool", lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, 2)),
    ("adaptive_max_pool", lambda m, x: m.nn.functional.adaptive_max_pool2d(x, 2)),
    ("bilinear", lambda m, x: m.nn.functional.interpolate(x, scale_factor=2, mode="bilinear")),
    ("nearest", lambda m, x: m.nn.functional.interpolate(x, size=(3, 5))),
    ("area", lambda m, x: m.nn.functional.interpolate(x, size=(3, 3), mode="area")),
    ("clone", lambda m, x: x.clone()),
    ("zeros_like", lambda m, x: m.zeros_like(x)),
    ("ones_like", lambda m, x: m.ones_like(x)),
    ("empty_like", lambda m, x: m.empty_like(x)),
    ("full_like", lambda m, x: m.full_like(x, 2.0)),
    ("zeros_like contiguous", lambda m, x: m.zeros_like(x, memory_format=m.contiguous_format)),
    ("transposed clone", lambda m, x: x[0, 0].t().clone()),
    ("sliced clone", lambda m, x: x.permute(0, 2, 3, 1)[:, :, ::2].clone()),
]


@pytest.mark.parametrize("name, call", CALLS, ids=[n for n, _ in CALLS])
def test_channels_last_results_have_torchs_strides(name, call):
    theirs = call(torch, torch.from_numpy(X).to(memory_format=torch.channels_last))
    ours = call(kitty, kitty.tensor(X).to(memory_format=kitty.channels_last))
    assert ours.stride() == theirs.stride()
    if name != "empty_like":  # (torch's holds whatever the memory held)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_a_channels_last_weight_makes_a_channels_last_output():
    for lib in (torch, kitty):
        conv = lib.nn.Conv2d(4, 3, 3).to(memory_format=lib.channels_last)
        assert conv.weight.is_contiguous(memory_format=lib.channels_last) and conv.bias.stride() == (1,)
        assert conv(lib.zeros(2, 4, 6, 6)).stride() == (48, 1, 12, 3)


def test_empty_takes_a_memory_format():
    assert kitty.empty(2, 3, 4, 5, memory_format=kitty.channels_last).stride() == (60, 1, 15, 3)
    for lib in (torch, kitty):
        with pytest.raises(RuntimeError, match="unsupported memory format Preserve"):
            lib.empty(2, 3, 4, 5, memory_format=lib.preserve_format)
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
            lib.empty(2, 3, 4, memory_format=lib.channels_last)
