"""ConvTranspose3d, LazyConvTranspose3d, F.conv_transpose3d and torch.conv_transpose3d against torch:
values and gradients with torch's weights copied in, torch's initialisation from the same seed,
``output_size=``, printed form and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty
from _compare import check, randn

CASES = [
    # id, factory, input shape, call
    ("plain", lambda m: m.nn.ConvTranspose3d(3, 2, 2), (2, 3, 2, 3, 2), None),
    (
        "strided_padded",
        lambda m: m.nn.ConvTranspose3d(2, 4, (3, 2, 3), stride=(2, 1, 3), padding=(1, 0, 1), output_padding=(1, 0, 2)),
        (1, 2, 3, 2, 3),
        None,
    ),
    (
        "groups_dilation_nobias",
        lambda m: m.nn.ConvTranspose3d(4, 6, 2, stride=2, groups=2, dilation=(2, 1, 1), bias=False),
        (2, 4, 2, 2, 3),
        None,
    ),
    ("unbatched", lambda m: m.nn.ConvTranspose3d(2, 3, 3, padding=1), (2, 3, 3, 2), None),
    (
        "output_size_spatial",
        lambda m: m.nn.ConvTranspose3d(2, 3, 3, stride=2),
        (1, 2, 2, 3, 2),
        lambda mod, x: mod(x, output_size=[6, 7, 5]),
    ),
    (
        "output_size_full",
        lambda m: m.nn.ConvTranspose3d(2, 3, 2, stride=(3, 2, 2), padding=1),
        (2, 2, 2, 2, 3),
        lambda mod, x: mod(x, output_size=(2, 3, 4, 3, 5)),
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, make, shape, call", CASES, ids=[c[0] for c in CASES])
def test_module_matches_torch(name, make, shape, call, dtype):
    check(make, [randn(*shape)], dtype=dtype, call=call, what=name)


def test_initialisation_draws_torchs_numbers():
    for seed in (0, 5):
        torch.manual_seed(seed)
        kitty.manual_seed(seed)
        tm = torch.nn.ConvTranspose3d(4, 6, (2, 3, 1), groups=2)
        km = kitty.nn.ConvTranspose3d(4, 6, (2, 3, 1), groups=2)
        assert tuple(km.weight.shape) == tuple(tm.weight.shape) == (4, 3, 2, 3, 1)
        for name, tp in tm.named_parameters():
            np.testing.assert_allclose(
                km.get_parameter(name).detach().numpy(), tp.detach().numpy(), rtol=1e-6, atol=1e-7
            )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"stride": 2, "padding": (1, 0, 1), "output_padding": 1, "groups": 2, "bias": False, "dilation": (1, 2, 1)},
    ],
)
def test_repr_and_state_dict_keys(kwargs):
    tm, km = torch.nn.ConvTranspose3d(4, 2, 3, **kwargs), kitty.nn.ConvTranspose3d(4, 2, 3, **kwargs)
    assert repr(km) == repr(tm)
    assert list(km.state_dict()) == list(tm.state_dict())
    assert km.transposed is tm.transposed is True


def test_functional_and_top_level_binding():
    x, w, b = randn(2, 4, 2, 3, 2), randn(4, 1, 2, 3, 2, seed=1), randn(2, seed=2)
    kwargs = dict(stride=(1, 2, 2), padding=(0, 1, 0), output_padding=(0, 1, 1), groups=2, dilation=(2, 1, 1))
    ref = torch.nn.functional.conv_transpose3d(*(torch.tensor(a) for a in (x, w, b)), **kwargs).numpy()
    for fn in (kitty.nn.functional.conv_transpose3d, kitty.conv_transpose3d):
        got = fn(*(kitty.tensor(a) for a in (x, w, b)), **kwargs)
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10, atol=1e-12)
    # positional order as torch's: input, weight, bias, stride, padding, output_padding, groups, dilation
    got = kitty.conv_transpose3d(kitty.tensor(x), kitty.tensor(w), None, 2, 1, 1, 2, 1)
    ref = torch.conv_transpose3d(torch.tensor(x), torch.tensor(w), None, 2, 1, 1, 2, 1)
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-10, atol=1e-12)


def _both_raise(fn_k, fn_t, kind):
    with pytest.raises(kind):
        fn_t()
    with pytest.raises(kind):
        fn_k()


def test_errors_match_torchs_types():
    # padding modes other than zeros are refused, as torch does
    _both_raise(
        lambda: kitty.nn.ConvTranspose3d(2, 2, 3, padding_mode="reflect"),
        lambda: torch.nn.ConvTranspose3d(2, 2, 3, padding_mode="reflect"),
        ValueError,
    )
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose3d'):
        kitty.nn.ConvTranspose3d(2, 2, 3, padding_mode="circular")
    _both_raise(
        lambda: kitty.nn.ConvTranspose3d(3, 2, 3, groups=2),
        lambda: torch.nn.ConvTranspose3d(3, 2, 3, groups=2),
        ValueError,
    )
    # an output_size out of reach
    km, tm = kitty.nn.ConvTranspose3d(2, 2, 3, stride=2), torch.nn.ConvTranspose3d(2, 2, 3, stride=2)
    _both_raise(
        lambda: km(kitty.zeros(1, 2, 2, 2, 2), output_size=[9, 5, 5]),
        lambda: tm(torch.zeros(1, 2, 2, 2, 2), output_size=[9, 5, 5]),
        ValueError,
    )
    # 4-D weight, wrong channel count, output_padding too large, 3-D input
    w5 = kitty.zeros(2, 3, 2, 2, 2)
    tw5 = torch.zeros(2, 3, 2, 2, 2)
    _both_raise(
        lambda: kitty.nn.functional.conv_transpose3d(kitty.zeros(1, 2, 3, 3, 3), kitty.zeros(2, 3, 2, 2)),
        lambda: torch.nn.functional.conv_transpose3d(torch.zeros(1, 2, 3, 3, 3), torch.zeros(2, 3, 2, 2)),
        RuntimeError,
    )
    _both_raise(
        lambda: kitty.nn.functional.conv_transpose3d(kitty.zeros(1, 3, 3, 3, 3), w5),
        lambda: torch.nn.functional.conv_transpose3d(torch.zeros(1, 3, 3, 3, 3), tw5),
        RuntimeError,
    )
    _both_raise(
        lambda: kitty.nn.functional.conv_transpose3d(kitty.zeros(1, 2, 3, 3, 3), w5, output_padding=1),
        lambda: torch.nn.functional.conv_transpose3d(torch.zeros(1, 2, 3, 3, 3), tw5, output_padding=1),
        RuntimeError,
    )
    _both_raise(
        lambda: kitty.nn.functional.conv_transpose3d(kitty.zeros(2, 3, 3), w5),
        lambda: torch.nn.functional.conv_transpose3d(torch.zeros(2, 3, 3), tw5),
        RuntimeError,
    )


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        ({"stride": 2}, (2, 4, 2, 3, 2)),
        ({"padding": 1, "groups": 2, "bias": False, "output_padding": 1, "stride": 2}, (1, 4, 3, 2, 2)),
        ({}, (4, 2, 3, 2)),  # unbatched: channels are dim 0
    ],
)
def test_lazy_module_matches_torch(kwargs, shape):
    kitty.manual_seed(11)
    torch.manual_seed(11)
    km, tm = kitty.nn.LazyConvTranspose3d(6, 2, **kwargs), torch.nn.LazyConvTranspose3d(6, 2, **kwargs)
    assert repr(km) == repr(tm)
    assert km.has_uninitialized_params() and tm.has_uninitialized_params()
    x = randn(*shape).astype(np.float32)
    kx, tx = kitty.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ko, to = km(kx), tm(tx)
    # the first forward draws the same initial weights from the same stream
    assert type(km) is kitty.nn.ConvTranspose3d and type(tm) is torch.nn.ConvTranspose3d
    assert repr(km) == repr(tm)
    for name, tp in tm.named_parameters():
        np.testing.assert_allclose(km.get_parameter(name).detach().numpy(), tp.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ko.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-5)
    ko.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(km.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_lazy_rejects_wrong_rank():
    with pytest.raises(RuntimeError):
        torch.nn.LazyConvTranspose3d(2, 2)(torch.zeros(2, 3, 3))
    with pytest.raises(RuntimeError, match="Expected 4D"):
        kitty.nn.LazyConvTranspose3d(2, 2)(kitty.zeros(2, 3, 3))


def test_spectral_norm_uses_the_output_channel_dim():
    # transposed layers keep their output channels in weight dim 1: the power iteration's u has that size
    tm = torch.nn.utils.spectral_norm(torch.nn.ConvTranspose3d(2, 5, 2))
    km = kitty.nn.utils.spectral_norm(kitty.nn.ConvTranspose3d(2, 5, 2))
    assert tuple(km.weight_u.shape) == tuple(tm.weight_u.shape) == (5,)
    tp = torch.nn.utils.parametrizations.spectral_norm(torch.nn.ConvTranspose3d(2, 5, 2))
    kp = kitty.nn.utils.parametrizations.spectral_norm(kitty.nn.ConvTranspose3d(2, 5, 2))
    assert tuple(kp.parametrizations.weight[0]._u.shape) == tuple(tp.parametrizations.weight[0]._u.shape) == (5,)
