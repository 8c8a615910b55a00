"""torch's runtime switches and aten-level bindings that scripts call directly (``torch.native_layer_norm``,
``torch.convolution``, ``torch.set_num_interop_threads``, ...), checked against torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty


def _pair(seed=0, shape=(2, 3, 4)):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return torch.tensor(data, requires_grad=True), kitty.tensor(data, requires_grad=True)


def _same(a, b, atol=1e-5):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y, atol)
        return
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_allclose(a.detach().numpy().astype(np.float64), b.detach().numpy().astype(np.float64),
                               atol=atol, rtol=1e-5)


@pytest.mark.parametrize("normalized", [[4], [3, 4]])
def test_native_layer_norm_returns_the_statistics_it_used(normalized):
    (t, k), w = _pair(), np.linspace(0.5, 1.5, int(np.prod(normalized)), dtype=np.float32).reshape(normalized)
    want = torch.native_layer_norm(t, normalized, torch.tensor(w), None, 1e-5)
    got = kitty.native_layer_norm(k, normalized, kitty.tensor(w), None, 1e-5)
    _same(want, got)
    assert [o.requires_grad for o in got] == [o.requires_grad for o in want] == [True, False, False]
    sum(o.sum() for o in want).backward()
    sum(o.sum() for o in got).backward()
    _same(t.grad, k.grad, atol=1e-4)


@pytest.mark.parametrize("training", [True, False])
def test_native_batch_norm(training):
    t, k = _pair(1)
    tm, tv, km, kv = torch.zeros(3), torch.ones(3), kitty.zeros(3), kitty.ones(3)
    want = torch.native_batch_norm(t, None, None, tm, tv, training, 0.1, 1e-5)
    got = kitty.native_batch_norm(k, None, None, km, kv, training, 0.1, 1e-5)
    _same(want, got)
    _same((tm, tv), (km, kv))


def test_native_dropout_draws_as_dropout_and_returns_the_mask():
    t, k = _pair(2)
    torch.manual_seed(3)
    kitty.manual_seed(3)
    want, got = torch.native_dropout(t, 0.3, True), kitty.native_dropout(k, 0.3, True)
    _same(want, got)
    kitty.manual_seed(3)
    assert kitty.equal(got[0], kitty.nn.functional.dropout(k, 0.3))
    _same(torch.native_dropout(t, 0.3, False), kitty.native_dropout(k, 0.3, False))


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_norm_except_dim(dim):
    t, k = _pair(4)
    _same(torch.norm_except_dim(t, 2, dim), kitty.norm_except_dim(k, 2, dim))


def test_deprecated_norm_spellings_warn_and_match():
    t, k = _pair(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(torch.nuclear_norm(t[0]), kitty.nuclear_norm(k[0]))
        _same(torch.nuclear_norm(t, [1, 2], True), kitty.nuclear_norm(k, [1, 2], True))
        _same(torch.frobenius_norm(t, [1], True), kitty.frobenius_norm(k, [1], True))
    with pytest.warns(UserWarning, match="deprecated"):
        kitty.frobenius_norm(k, [1])


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("spatial", [1, 2])
def test_convolution_dispatches_by_rank_and_direction(transposed, spatial):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 2) + (5,) * spatial).astype(np.float32)
    w = rng.standard_normal(((2, 3) if transposed else (3, 2)) + (3,) * spatial).astype(np.float32)
    args = ([2] * spatial, [1] * spatial, [1] * spatial, transposed, [1 if transposed else 0] * spatial, 1)
    _same(torch.convolution(torch.tensor(x), torch.tensor(w), None, *args),
          kitty.convolution(kitty.tensor(x), kitty.tensor(w), None, *args), atol=1e-4)


def test_max_pool1d_with_indices():
    t, k = _pair(7)
    _same(torch.max_pool1d_with_indices(t, 2), kitty.max_pool1d_with_indices(k, 2))


def test_binomial_counts_and_errors():
    kitty.manual_seed(0)
    draws = kitty.binomial(kitty.full((2000,), 10.0), kitty.full((2000,), 0.3))
    assert draws.dtype == kitty.float32 and 2.8 < float(draws.mean()) < 3.2
    assert kitty.binomial(kitty.tensor([4.0, 7.0]), kitty.tensor([1.0])).tolist() == [4.0, 7.0]
    with pytest.raises(ValueError, match="floating-point"):
        kitty.binomial(kitty.tensor([4, 7]), kitty.tensor([0.5, 0.5]))
    count = kitty.tensor([4.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for aten::binomial is not implemented"):
        kitty.binomial(count, kitty.tensor([0.5])).sum().backward()


def test_runtime_switches_answer_as_torch():
    assert kitty.get_num_interop_threads() >= 1
    assert kitty.compiled_with_cxx11_abi() is True
    assert kitty.set_flush_denormal(True) is False  # NumPy gives no handle on the CPU's FTZ flag
    kitty.init_num_threads()
    assert kitty.is_autocast_cache_enabled() is torch.is_autocast_cache_enabled()
    kitty.clear_autocast_cache()
    with pytest.warns(DeprecationWarning):
        assert kitty.get_autocast_gpu_dtype() == kitty.float16
    assert issubclass(kitty.OutOfMemoryError, RuntimeError) and kitty.cuda.OutOfMemoryError is kitty.OutOfMemoryError
    assert issubclass(kitty.AcceleratorError, RuntimeError)


def test_set_warn_always_repeats_warn_once_warnings():
    from kittygrad import _runtime

    seen: set = set()
    assert _runtime.first_warning(seen, "op") and not _runtime.first_warning(seen, "op")
    kitty.set_warn_always(True)
    try:
        assert kitty.is_warn_always_enabled() and _runtime.first_warning(seen, "op")
    finally:
        kitty.set_warn_always(False)


def test_structured_control_flow_runs_eagerly_as_torch():
    for lib in (torch, kitty):
        assert lib.cond(lib.tensor(True), lambda x: x + 1, lambda x: x - 1, (lib.ones(2),)).tolist() == [2.0, 2.0]
        assert lib.cond(0, lambda: 1, lambda: 2) == 2
        i, x = lib.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x * 2), (lib.tensor(0), lib.ones(2)))
        assert int(i) == 3 and x.tolist() == [8.0, 8.0]
        with pytest.raises(RuntimeError, match="single-element tensor"):
            lib.cond(lib.tensor([True, False]), lambda: 1, lambda: 2)
        assert lib.jit.wait(lib.jit.fork(lambda t: t * 2, lib.ones(1))).tolist() == [2.0]
        assert lib.wait(lib.fork(lambda t: t + 1, lib.zeros(1))).tolist() == [1.0]


def test_embedding_renorm_and_grid_bindings_match_torch():
    data = np.random.default_rng(8).standard_normal((5, 3)).astype(np.float32) * 2
    tw, kw = torch.tensor(data), kitty.tensor(data)
    assert torch.embedding_renorm_(tw, torch.tensor([0, 3, 3]), 1.0, 2.0) is tw
    assert kitty.embedding_renorm_(kw, kitty.tensor([0, 3, 3]), 1.0, 2.0) is kw
    _same(tw, kw)
    theta = np.array([[[0.9, 0.1, 0.05], [-0.2, 1.1, 0.0]]], dtype=np.float32)
    grid_t = torch.affine_grid_generator(torch.tensor(theta), [1, 1, 4, 5], False)
    grid_k = kitty.affine_grid_generator(kitty.tensor(theta), [1, 1, 4, 5], False)
    _same(grid_t, grid_k)
    image = np.random.default_rng(9).standard_normal((1, 2, 4, 5)).astype(np.float32)
    for mode in (0, 1, 2):
        for padding in (0, 1, 2):
            _same(torch.grid_sampler(torch.tensor(image), grid_t, mode, padding, False),
                  kitty.grid_sampler(kitty.tensor(image), grid_k, mode, padding, False), atol=1e-5)


def test_get_device_module():
    assert kitty.get_device_module() is kitty.cpu and kitty.get_device_module("cuda:0") is kitty.cuda
    with pytest.raises(RuntimeError, match="device type at start of device string"):
        kitty.get_device_module("foo")
