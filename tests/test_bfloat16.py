"""bfloat16 as a real dtype, checked against torch: the dtype itself, promotion, printing and
conversions, and a representative set of ops forward and backward at bfloat16's tolerance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty
import kittygrad.nn.functional as KF

TF = torch.nn.functional
RTOL, ATOL = 1.6e-2, 1e-5  # torch.testing.assert_close's defaults for bfloat16
# a gradient passes through several bfloat16 roundings, which torch places a little differently
# (it keeps some intermediates of a backward in bfloat16): allow about one bfloat16 step near 1
GRAD_ATOL = 1e-2


def _pair(*shape, seed=0, positive=False):
    """The same bfloat16 values as a kittygrad and a torch leaf that require grad."""
    values = np.random.default_rng(seed + 17 * len(shape)).standard_normal(shape).astype(np.float32)
    if positive:
        values = np.abs(values) + 0.5
    t = torch.tensor(values).bfloat16().requires_grad_()
    k = kitty.tensor(values).bfloat16().requires_grad_()
    return k, t


def _backward(k, t, seed=99):
    """Backpropagate a random weighting of the outputs (the same in both libraries), in float32."""
    weights = np.random.default_rng(seed).standard_normal(tuple(t.shape)).astype(np.float32)
    (k.float() * kitty.tensor(weights)).sum().backward()
    (t.float() * torch.tensor(weights)).sum().backward()


def _close(k, t, rtol=RTOL, atol=ATOL):
    assert k.dtype.name == str(t.dtype).split(".")[1], (k.dtype, t.dtype)
    assert tuple(k.shape) == tuple(t.shape)
    np.testing.assert_allclose(k.detach().float()._data, t.detach().float().numpy(), rtol=rtol, atol=atol)


# ---- the dtype --------------------------------------------------------------------------------------


def test_dtype_attributes_match_torch():
    assert repr(kitty.bfloat16) == "kittygrad.bfloat16"
    assert kitty.bfloat16.is_floating_point and kitty.bfloat16.is_signed
    assert kitty.bfloat16.itemsize == torch.bfloat16.itemsize == 2
    k, t = kitty.finfo(kitty.bfloat16), torch.finfo(torch.bfloat16)
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(k, field) == getattr(t, field), field
    assert str(k) == str(t)


@pytest.mark.parametrize("other", ["float16", "float32", "float64", "int64", "int8", "uint8", "bool"])
def test_promotion_matches_torch(other):
    got = kitty.promote_types(kitty.bfloat16, getattr(kitty, other))
    assert got.name == str(torch.promote_types(torch.bfloat16, getattr(torch, other))).split(".")[1]
    k = kitty.ones(2, dtype=kitty.bfloat16) + kitty.ones(2, dtype=getattr(kitty, other))
    t = torch.ones(2, dtype=torch.bfloat16) + torch.ones(2, dtype=getattr(torch, other))
    assert k.dtype.name == str(t.dtype).split(".")[1]


def test_scalars_keep_bfloat16():
    k, t = kitty.ones(3, dtype=kitty.bfloat16), torch.ones(3, dtype=torch.bfloat16)
    for fn in (lambda x: x * 2.5, lambda x: x + 3, lambda x: x / 3, lambda x: x + x.new_tensor(1.0, dtype=None)):
        _close(fn(k), fn(t))
    assert (k + kitty.tensor(1.0)).dtype is kitty.bfloat16  # a 0-d float32 tensor does not promote


def test_printing_matches_torch():
    values = [1.0, 2.5, 3.14159, 1000.7]
    got = repr(kitty.tensor(values, dtype=kitty.bfloat16))
    assert got.replace("kittygrad", "torch") == repr(torch.tensor(values, dtype=torch.bfloat16))
    assert repr(kitty.tensor([1.0, 2.0]).bfloat16()).replace("kittygrad", "torch") == repr(
        torch.tensor([1.0, 2.0]).bfloat16()
    )
    assert str(kitty.tensor([[1e-5, 2e8]], dtype=kitty.bfloat16)).replace("kittygrad", "torch") == str(
        torch.tensor([[1e-5, 2e8]], dtype=torch.bfloat16)
    )


def test_conversions_match_torch():
    values = [1.0, 2.5, 3.14159, 1000.7, -0.1]
    k, t = kitty.tensor(values).bfloat16(), torch.tensor(values).bfloat16()
    assert k.tolist() == t.tolist()
    assert k[2].item() == t[2].item() and type(k[2].item()) is float
    assert k.to(kitty.float32).tolist() == t.to(torch.float32).tolist()
    assert kitty.tensor(values).to(kitty.bfloat16).tolist() == t.tolist()
    assert k.element_size() == 2 and k.is_floating_point()
    assert k.type() == "kittygrad.BFloat16Tensor" and isinstance(k, kitty.BFloat16Tensor)
    with pytest.raises(TypeError, match="Got unsupported ScalarType BFloat16"):
        k.numpy()
    with pytest.raises(TypeError, match="Got unsupported ScalarType BFloat16"):
        t.numpy()


@pytest.mark.parametrize("factory", ["zeros", "ones", "empty", "arange", "full", "rand", "randn", "eye"])
def test_factories_take_bfloat16(factory):
    args = {"arange": (5,), "full": ((2, 3), 1.5), "eye": (3,)}.get(factory, ((2, 3),))
    k = getattr(kitty, factory)(*args, dtype=kitty.bfloat16)
    t = getattr(torch, factory)(*args, dtype=torch.bfloat16)
    assert k.dtype is kitty.bfloat16 and tuple(k.shape) == tuple(t.shape)
    if factory not in ("empty", "rand", "randn"):
        assert k.tolist() == t.tolist()


def test_set_default_dtype_bfloat16():
    try:
        kitty.set_default_dtype(kitty.bfloat16)
        torch.set_default_dtype(torch.bfloat16)
        assert kitty.get_default_dtype() is kitty.bfloat16
        for make in (lambda m: m.tensor([1.5, 2.0]), lambda m: m.arange(3.0), lambda m: m.zeros(2) + 1.5):
            k, t = make(kitty), make(torch)
            assert k.dtype is kitty.bfloat16 and t.dtype is torch.bfloat16
            assert k.tolist() == t.tolist()
    finally:
        kitty.set_default_dtype(kitty.float32)
        torch.set_default_dtype(torch.float32)


# ---- ops forward and backward ---------------------------------------------------------------------

UNARY = {
    "neg": lambda m, x: -x,
    "exp": lambda m, x: m.exp(x),
    "log": lambda m, x: m.log(x.abs() + 0.5),
    "tanh": lambda m, x: m.tanh(x),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "relu": lambda m, x: m.relu(x),
    "gelu": lambda m, x: m.nn.functional.gelu(x),
    "gelu_tanh": lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
    "sqrt": lambda m, x: m.sqrt(x.abs() + 0.5),
    "pow": lambda m, x: x**2,
    "sum": lambda m, x: x.sum(),
    "sum_dim": lambda m, x: x.sum(dim=1),
    "mean": lambda m, x: x.mean(),
    "mean_dim": lambda m, x: x.mean(dim=0, keepdim=True),
    "softmax": lambda m, x: m.softmax(x, dim=-1),
    "log_softmax": lambda m, x: m.log_softmax(x, dim=-1),
    "layer_norm": lambda m, x: m.nn.functional.layer_norm(x, (x.shape[-1],)),
    "index": lambda m, x: x[1:, [0, 2]] * 2,
    "transpose": lambda m, x: x.t() * 3,
    "cat": lambda m, x: m.cat([x, x * 2], dim=0),
    "stack": lambda m, x: m.stack([x, x + 1], dim=1),
    "max": lambda m, x: x.max(dim=1).values,
    "clamp": lambda m, x: x.clamp(-0.5, 0.5),
    "norm": lambda m, x: x.norm(dim=1),
    "var": lambda m, x: x.var(dim=0),
    "sort": lambda m, x: x.sort(dim=1).values,
    "cumsum": lambda m, x: x.cumsum(dim=1),
    "max_pool": lambda m, x: m.nn.functional.max_pool1d(x.unsqueeze(0), 2),
    "dropout_eval": lambda m, x: m.nn.functional.dropout(x, 0.5, training=False),
    "batch_norm": lambda m, x: m.nn.functional.batch_norm(x, None, None, training=True),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_one_input_ops_match_torch(name):
    k, t = _pair(4, 6, seed=1)
    fn = UNARY[name]
    ko, to = fn(kitty, k), fn(torch, t)
    # batch_norm: x - mean cancels to values near zero, where torch's order of float32 operations
    # leaves a different last bit than ours; those values are far below the inputs' bfloat16 step
    _close(ko, to, atol=1e-3 if name == "batch_norm" else ATOL)
    _backward(ko, to)
    _close(k.grad, t.grad, atol=GRAD_ATOL)


BINARY = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / (b.abs() + 0.5),
    "maximum": lambda m, a, b: m.maximum(a, b),
    "where": lambda m, a, b: m.where(a > b, a, b),
    "matmul": lambda m, a, b: a @ b.t(),
    "linear": lambda m, a, b: m.nn.functional.linear(a, b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_two_input_ops_match_torch(name):
    (ka, ta), (kb, tb) = _pair(5, 8, seed=2), _pair(5, 8, seed=3)
    fn = BINARY[name]
    ko, to = fn(kitty, ka, kb), fn(torch, ta, tb)
    _close(ko, to)
    _backward(ko, to)
    _close(ka.grad, ta.grad)
    _close(kb.grad, tb.grad)


def test_comparisons_match_torch():
    (ka, ta), (kb, tb) = _pair(5, 8, seed=2), _pair(5, 8, seed=3)
    for fn in (
        lambda a, b: a < b,
        lambda a, b: a >= b,
        lambda a, b: a == a,
        lambda a, b: a.argmax(dim=1),
        lambda a, b: (a / 0).isinf(),
        lambda a, b: (a * float("nan")).isnan(),
        lambda a, b: a.isfinite(),
    ):
        ko, to = fn(ka, kb), fn(ta, tb)
        assert ko.dtype.name == str(to.dtype).split(".")[1]
        assert ko.tolist() == to.tolist()


def test_conv2d_matches_torch():
    (kx, tx), (kw, tw), (kb, tb) = _pair(2, 3, 6, 6, seed=4), _pair(4, 3, 3, 3, seed=5), _pair(4, seed=6)
    ko, to = KF.conv2d(kx, kw, kb, padding=1), TF.conv2d(tx, tw, tb, padding=1)
    _close(ko, to)
    _backward(ko, to)
    # the exact gradients of the same bfloat16 values (the output's gradient arrives rounded to
    # bfloat16, as in both libraries), in float64
    exact = [t.detach().double().requires_grad_() for t in (tx, tw, tb)]
    out = TF.conv2d(*exact, padding=1)
    weights = np.random.default_rng(99).standard_normal(tuple(out.shape)).astype(np.float32)
    (out * torch.tensor(weights).bfloat16().double()).sum().backward()
    for k, t, e in zip((kx, kw, kb), (tx, tw, tb), exact):
        ref = e.grad.numpy()
        got = k.grad.float()._data.astype(np.float64)
        # kittygrad sums in float32 and rounds once: within one bfloat16 step (2**-7 relative)
        np.testing.assert_allclose(got, ref, rtol=2**-7, atol=1e-6 * np.abs(ref).max())
        # torch's bfloat16 convolution backward rounds partial sums on CPUs without native bfloat16
        # (33 steps, 0.4% of the largest gradient, off on an AMD EPYC; on an AVX-512 Xeon within
        # 1.6% of kittygrad's): torch is held to a bound on that scale
        np.testing.assert_allclose(t.grad.double().numpy(), ref, rtol=0, atol=2**-5 * np.abs(ref).max())


def test_cross_entropy_matches_torch():
    kx, tx = _pair(6, 5, seed=7)
    target = [0, 3, 1, 4, 2, 2]
    ko = KF.cross_entropy(kx, kitty.tensor(target))
    to = TF.cross_entropy(tx, torch.tensor(target))
    _close(ko, to)
    ko.backward()
    to.backward()
    _close(kx.grad, tx.grad, atol=1e-3)


def test_gradients_are_bfloat16():
    k, _ = _pair(3, 4)
    (k.float() * 2).sum().backward()
    assert k.grad.dtype is kitty.bfloat16
    k.grad = None
    (k * 2).sum().backward()
    assert k.grad.dtype is kitty.bfloat16


def test_inplace_on_bfloat16_records_the_gradient():
    (k, t) = _pair(3, 4, seed=8)
    ko, to = k * 1.0, t * 1.0
    ko.mul_(3).add_(1)
    to.mul_(3).add_(1)
    _close(ko, to)
    ko.sum().backward()
    to.sum().backward()
    _close(k.grad, t.grad)


def test_views_of_bfloat16_share_memory_as_torch():
    k = kitty.arange(6.0, dtype=kitty.bfloat16)
    for view in (lambda x: x.reshape(2, 3), lambda x: x.view(3, 2), lambda x: x[1:4], lambda x: x.reshape(2, 3).t()):
        v = view(k)
        assert v._base is k and v.dtype is kitty.bfloat16
    k.reshape(2, 3)[0, 0] = 7.5
    assert k[0].item() == 7.5


@pytest.mark.parametrize("half", ["bfloat16", "float16"])
@pytest.mark.parametrize("layer", ["LayerNorm(16)", "BatchNorm1d(16)", "GroupNorm(4, 16)", "RMSNorm(16)"])
def test_norm_layers_take_a_16_bit_input_with_float32_parameters_like_torch(half, layer):
    # what autocast (and a half input to a float32 model) hands them: torch normalises in float32
    # and returns the input's dtype; its parameters' gradients stay float32
    data = np.random.default_rng(0).standard_normal((4, 16)).astype(np.float32)
    got = []
    for lib in (torch, kitty):
        module = eval(f"lib.nn.{layer}", {"lib": lib})
        x = lib.tensor(data).to(getattr(lib, half)).requires_grad_()
        y = module(x)
        y.float().pow(2).sum().backward()
        got.append((str(y.dtype).split(".")[-1], str(x.grad.dtype).split(".")[-1], str(module.weight.grad.dtype).split(".")[-1],
                    y.float().detach().numpy()))
    assert got[1][:3] == got[0][:3]
    assert np.allclose(got[1][3], got[0][3], atol=0.05 if half == "bfloat16" else 5e-3)


def test_layer_norm_under_cpu_autocast_returns_the_autocast_dtype():
    for lib in (torch, kitty):
        with lib.autocast("cpu", dtype=lib.bfloat16):
            y = lib.nn.LayerNorm(16)(lib.nn.Linear(8, 16)(lib.randn(4, 8)))
        assert str(y.dtype).endswith("bfloat16")


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_of_many_rows_sums_in_float32(dtype, weighted, reduction):
    """A 16-bit sum of 3001 class weights stops growing (at 256 in bfloat16), which made the mean
    loss and its gradient ~12x too large; the rows and weights are summed in float32, as torch."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3001, 7)).astype(np.float32)
    t = rng.integers(0, 7, 3001)
    out = []
    for lib in (kitty, torch):
        logits = lib.tensor(x).to(getattr(lib, dtype)).requires_grad_()
        weight = lib.ones(7).to(getattr(lib, dtype)) if weighted else None
        loss = lib.nn.functional.cross_entropy(logits, lib.tensor(t), weight=weight, reduction=reduction)
        loss.backward()
        out.append((float(loss.detach().float()), logits.grad.float().numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-2)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=4e-2, atol=1e-5)  # (a few 16-bit ulps)


def test_label_smoothing_over_many_classes_sums_the_class_weights_in_float32():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 1000)).astype(np.float32)
    t, w = rng.integers(0, 1000, 6), rng.uniform(0.5, 1.5, 1000).astype(np.float32)
    losses = []
    for lib in (kitty, torch):
        logits = lib.tensor(x).to(lib.bfloat16).requires_grad_()
        loss = lib.nn.functional.cross_entropy(logits, lib.tensor(t), weight=lib.tensor(w).to(lib.bfloat16), label_smoothing=0.1)
        losses.append(float(loss.detach().float()))
    np.testing.assert_allclose(losses[0], losses[1], rtol=2e-2)  # (it was 6.5 against 6.78 before)


# ---- float16 computed in float32 where torch's CPU kernels do -------------------------------------

_FLOAT16_OPMATH = {
    "linear": (lambda F, x, w, b: F.linear(x, w, b)),
    "addmm": (lambda F, x, w, b: (torch if F is TF else kitty).addmm(b, x, w.t(), beta=0.5, alpha=2.0)),
    "gelu": (lambda F, x, w, b: F.gelu(x)),
    "gelu_tanh": (lambda F, x, w, b: F.gelu(x, approximate="tanh")),
    "silu": (lambda F, x, w, b: F.silu(x)),
    "mish": (lambda F, x, w, b: F.mish(x)),
    "softplus": (lambda F, x, w, b: F.softplus(x)),
    "elu": (lambda F, x, w, b: F.elu(x)),
    "hardswish": (lambda F, x, w, b: F.hardswish(x)),
}


@pytest.mark.parametrize("name", sorted(_FLOAT16_OPMATH))
def test_float16_ops_round_once_as_torchs(name):
    """torch computes these float16 ops in float32 and rounds once; step by step in float16 they
    missed the correctly rounded result in 17-42% of elements (a linear layer's bias added after
    the product's rounding, up to 4 ulp). Now, as torch's, nearly all are the correctly rounded
    float64 result, none more than an ulp away, forward and backward."""
    rng = np.random.default_rng(5)
    x, w, b = (rng.standard_normal(s).astype(np.float16) for s in ((64, 32), (48, 32), (48,)))
    g = rng.standard_normal((64, 48) if name in ("linear", "addmm") else (64, 32)).astype(np.float16)
    fn = _FLOAT16_OPMATH[name]
    k_in = [kitty.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = fn(KF, *k_in)
    out.backward(kitty.tensor(g))
    exact = fn(TF, *[torch.tensor(a.astype(np.float64), requires_grad=True) for a in (x, w, b)])
    ours = out.detach().numpy()
    assert ours.dtype == np.float16
    correct = exact.detach().numpy().astype(np.float16)
    ulps = np.abs(ours.view(np.int16).astype(np.int32) - correct.view(np.int16).astype(np.int32))
    assert ulps.max() <= 1 and (ulps > 0).mean() < 0.02
    t_in = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    fn(TF, *t_in).backward(torch.tensor(g))
    np.testing.assert_allclose(k_in[0].grad.numpy().astype(np.float32), t_in[0].grad.numpy().astype(np.float32),
                               rtol=2e-3, atol=2e-3)
