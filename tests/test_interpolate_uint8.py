"""``interpolate`` on uint8 images against torch, byte for byte: the nearest modes gather, and
bilinear / bicubic / antialiased resizing run torch's fixed-point separable passes (width first,
each rounded and clamped), which differ from rounding the float result once. Other integer dtypes
(and uint8 where torch has no kernel) raise torch's NotImplementedError texts."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty

IMAGE = np.random.default_rng(0).integers(0, 256, (2, 3, 17, 23), dtype=np.uint8)
RESIZES = [
    dict(size=(7, 9)), dict(size=(30, 41)), dict(size=(17, 40)), dict(size=(40, 5)),
    dict(scale_factor=0.37), dict(scale_factor=(0.6, 2.3)),
]


@pytest.mark.parametrize("kw", RESIZES, ids=[str(k) for k in RESIZES])
@pytest.mark.parametrize("mode, align, antialias", [
    ("bilinear", False, False), ("bilinear", True, False), ("bilinear", False, True), ("bicubic", False, False),
    ("bicubic", True, False), ("bicubic", False, True), ("nearest", None, False), ("nearest-exact", None, False),
])
@pytest.mark.parametrize("channels", [1, 3])
def test_uint8_resize_matches_torch_bytes(kw, mode, align, antialias, channels):
    image = IMAGE[:, :channels]
    theirs = torch.nn.functional.interpolate(torch.from_numpy(image), mode=mode, align_corners=align,
                                             antialias=antialias, **kw)
    ours = kitty.nn.functional.interpolate(kitty.tensor(image), mode=mode, align_corners=align,
                                           antialias=antialias, **kw)
    assert ours.dtype == kitty.uint8
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dtype, shape, mode", [
    ("uint8", (1, 1, 4), "linear"), ("uint8", (1, 1, 4, 4), "area"), ("uint8", (1, 1, 4, 4, 4), "area"),
    ("uint8", (1, 1, 4, 4, 4), "trilinear"), ("int64", (1, 1, 4), "nearest"), ("int64", (1, 1, 4, 4), "nearest"),
    ("int32", (1, 1, 4, 4), "bilinear"), ("int8", (1, 1, 4, 4), "bicubic"), ("bool", (1, 1, 4, 4, 4), "nearest-exact"),
])
def test_integer_inputs_torch_cannot_resize_raise_its_text(dtype, shape, mode):
    with pytest.raises(NotImplementedError) as theirs:
        torch.nn.functional.interpolate(torch.zeros(shape, dtype=getattr(torch, dtype)), size=2, mode=mode)
    with pytest.raises(NotImplementedError) as ours:
        kitty.nn.functional.interpolate(kitty.zeros(shape, dtype=getattr(kitty, dtype)), size=2, mode=mode)
    assert str(ours.value) == str(theirs.value)


def test_unknown_mode_lists_lanczos():
    with pytest.raises(NotImplementedError) as theirs:
        torch.nn.functional.interpolate(torch.zeros(1, 1, 4, 4), size=2, mode="cubic")
    with pytest.raises(NotImplementedError) as ours:
        kitty.nn.functional.interpolate(kitty.zeros(1, 1, 4, 4), size=2, mode="cubic")
    assert str(ours.value) == str(theirs.value)
