"""nn.init, nn.utils and the parts of nn.functional not covered by the op table."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
import kittygrad.nn.functional as F
from kittygrad.ops import _prep


@pytest.mark.parametrize(
    "args",
    [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2), ("selu",)],
)
def test_calculate_gain_matches_torch(args):
    assert kitty.nn.init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))


def test_calculate_gain_errors():
    with pytest.raises(ValueError):
        kitty.nn.init.calculate_gain("swish")
    with pytest.raises(ValueError):
        kitty.nn.init.calculate_gain("leaky_relu", "x")


def _stats(fn, shape=(200, 300), **kw):
    t = kitty.empty(*shape, dtype=kitty.float64)
    fn(t, **kw)
    return t.numpy()


def test_random_inits_follow_their_distributions():
    kitty.manual_seed(0)
    fan_in, fan_out = 300, 200
    a = _stats(kitty.nn.init.uniform_, a=-2, b=3)
    assert a.min() >= -2 and a.max() < 3 and abs(a.mean() - 0.5) < 0.05
    n = _stats(kitty.nn.init.normal_, mean=1, std=2)
    assert abs(n.mean() - 1) < 0.05 and abs(n.std() - 2) < 0.05
    x = _stats(kitty.nn.init.xavier_uniform_, gain=2.0)
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(x).max() <= bound and np.abs(x).max() > 0.98 * bound
    xn = _stats(kitty.nn.init.xavier_normal_)
    assert abs(xn.std() - math.sqrt(2 / (fan_in + fan_out))) < 0.003
    ku = _stats(kitty.nn.init.kaiming_uniform_, nonlinearity="relu")
    kb = math.sqrt(2) * math.sqrt(3 / fan_in)
    assert np.abs(ku).max() <= kb and np.abs(ku).max() > 0.98 * kb
    kn = _stats(kitty.nn.init.kaiming_normal_, mode="fan_out", nonlinearity="relu")
    assert abs(kn.std() - math.sqrt(2 / fan_out)) < 0.003
    tn = _stats(kitty.nn.init.trunc_normal_, std=1.0, a=-0.5, b=1.0)
    assert tn.min() >= -0.5 and tn.max() <= 1.0 and tn.std() > 0.3


def test_deterministic_inits_match_torch():
    for name, shape in [("eye_", (3, 5)), ("ones_", (2, 3)), ("zeros_", (4,)), ("dirac_", (4, 2, 3, 3))]:
        k = getattr(kitty.nn.init, name)(kitty.empty(*shape))
        t = getattr(torch.nn.init, name)(torch.empty(*shape))
        np.testing.assert_array_equal(k.numpy(), t.numpy(), err_msg=name)
    k = kitty.nn.init.constant_(kitty.empty(2, 2), 0.25)
    assert (k.numpy() == 0.25).all()
    k = kitty.nn.init.dirac_(kitty.empty(4, 2, 3), groups=2)
    t = torch.nn.init.dirac_(torch.empty(4, 2, 3), groups=2)
    np.testing.assert_array_equal(k.numpy(), t.numpy())


def test_orthogonal():
    for shape in [(4, 6), (6, 4), (3, 2, 2)]:
        w = kitty.nn.init.orthogonal_(kitty.empty(*shape, dtype=kitty.float64), gain=2.0).numpy().reshape(shape[0], -1)
        small = min(w.shape)
        gram = w @ w.T if w.shape[0] == small else w.T @ w
        np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-10)


def test_init_errors_and_grad_free():
    with pytest.raises(ValueError):
        kitty.nn.init.xavier_uniform_(kitty.empty(3))
    with pytest.raises(ValueError):
        kitty.nn.init.kaiming_uniform_(kitty.empty(3, 3), mode="fan_avg")
    with pytest.raises(ValueError):
        kitty.nn.init.eye_(kitty.empty(3))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        kitty.nn.init.kaiming_uniform_(kitty.empty(0, 3))
    assert any("zero-element" in str(w.message) for w in rec)
    p = kitty.nn.Parameter(kitty.zeros(3, 3))
    kitty.nn.init.normal_(p)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    g = kitty.Generator().manual_seed(3)
    a = kitty.nn.init.uniform_(kitty.empty(5), generator=g).numpy().copy()
    g.manual_seed(3)
    b = kitty.nn.init.uniform_(kitty.empty(5), generator=g).numpy()
    np.testing.assert_array_equal(a, b)


def _grads_pair(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal(5), rng.standard_normal((2, 2))]
    kp = [kitty.tensor(a, requires_grad=True) for a in arrays]
    tp = [torch.tensor(a, requires_grad=True) for a in arrays]
    for k, t, a in zip(kp, tp, arrays):
        (k * kitty.tensor(a) * 3).sum().backward()
        (t * torch.tensor(a) * 3).sum().backward()
    return kp, tp


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    kp, tp = _grads_pair()
    kn = kitty.nn.utils.clip_grad_norm_(kp, max_norm, norm_type=norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(kn.item(), tn.item(), rtol=1e-10)
    for k, t in zip(kp, tp):
        np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy(), rtol=1e-10)


def test_clip_grad_value_and_errors():
    kp, tp = _grads_pair()
    kitty.nn.utils.clip_grad_value_(kp, 0.7)
    torch.nn.utils.clip_grad_value_(tp, 0.7)
    for k, t in zip(kp, tp):
        np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy())
    bad = kitty.tensor([1.0], requires_grad=True)
    bad.grad = kitty.tensor([float("inf")])
    with pytest.raises(RuntimeError):
        kitty.nn.utils.clip_grad_norm_([bad], 1.0, error_if_nonfinite=True)
    assert kitty.nn.utils.clip_grad_norm_([kitty.zeros(2, requires_grad=True)], 1.0).item() == 0.0


def test_parameters_to_vector_roundtrip():
    tl, kl = torch.nn.Linear(3, 2), kitty.nn.Linear(3, 2)
    kl.load_state_dict({k: kitty.tensor(v.detach().numpy()) for k, v in tl.state_dict().items()})
    kv = kitty.nn.utils.parameters_to_vector(kl.parameters())
    tv = torch.nn.utils.parameters_to_vector(tl.parameters())
    np.testing.assert_allclose(kv.detach().numpy(), tv.detach().numpy())
    (kv * kitty.arange(8.0)).sum().backward()
    np.testing.assert_array_equal(kl.bias.grad.numpy(), [6.0, 7.0])
    kitty.nn.utils.vector_to_parameters(kitty.arange(8.0), kl.parameters())
    np.testing.assert_array_equal(kl.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    with pytest.raises(TypeError):
        kitty.nn.utils.vector_to_parameters([1.0], kl.parameters())


def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(kitty.tensor(idx)).numpy(), torch.nn.functional.one_hot(torch.tensor(idx)).numpy())
    k = F.one_hot(kitty.tensor([1, 0]), num_classes=4)
    assert k.dtype == kitty.int64 and tuple(k.shape) == (2, 4)
    with pytest.raises(RuntimeError):
        F.one_hot(kitty.tensor([5]), 3)
    with pytest.raises(RuntimeError):
        F.one_hot(kitty.tensor([-1]))


def test_dropout_statistics_and_determinism():
    kitty.manual_seed(0)
    x = kitty.ones(200, 100, requires_grad=True)
    y = F.dropout(x, 0.3)
    vals = y.detach().numpy()
    kept = vals != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(vals[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), vals)
    kitty.manual_seed(5)
    a = F.dropout(kitty.ones(10), 0.5).numpy().copy()
    kitty.manual_seed(5)
    b = F.dropout(kitty.ones(10), 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert F.dropout(kitty.ones(3), 1.0).numpy().sum() == 0
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError):
        F.dropout(x, 1.5)
    d2 = F.dropout2d(kitty.ones(4, 50, 3, 3), 0.5).numpy()
    per_channel = d2.reshape(4, 50, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    drop = kitty.nn.Dropout(0.5)
    drop.eval()
    z = kitty.randn(4, 4)
    assert drop(z) is z


def test_functional_errors_are_torch_types():
    x = kitty.randn(1, 2, 5, 5)
    with pytest.raises(RuntimeError):
        F.conv2d(x, kitty.randn(3, 3, 3, 3))
    with pytest.raises(RuntimeError):  # torch's functional form raises RuntimeError (its module, ValueError)
        F.conv2d(x, kitty.randn(3, 2, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError):
        F.pad(x, (1, 2, 3))
    with pytest.raises(RuntimeError):
        F.pad(x, (5, 5), mode="reflect")
    with pytest.raises(RuntimeError):
        F.linear(x, kitty.randn(3, 4))
    with pytest.raises(RuntimeError):
        F.layer_norm(x, (4,))
    with pytest.raises(RuntimeError):
        F.group_norm(x, 3)
    with pytest.raises(ValueError):
        F.batch_norm(kitty.randn(1, 3), None, None, training=True)
    with pytest.raises(IndexError):
        F.embedding(kitty.tensor([7]), kitty.randn(5, 2))
    with pytest.raises(RuntimeError):
        F.gelu(x, approximate="fast")
    with pytest.raises(ValueError):
        kitty.nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError):
        kitty.nn.BatchNorm2d(3)(kitty.randn(2, 3))
    with pytest.raises(RuntimeError):
        kitty.nn.LSTM(3, 4)(kitty.randn(5, 2, 4))
    with pytest.raises(RuntimeError):
        kitty.nn.GRU(3, 4)(kitty.randn(5, 2, 3), kitty.randn(1, 3, 4))


def test_batch_norm_running_stats_and_eval_like_torch():
    tb, kb = torch.nn.BatchNorm1d(3, momentum=None), kitty.nn.BatchNorm1d(3, momentum=None)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((8, 3)) * 2 + 1
        tb(torch.tensor(x, dtype=torch.float32))
        kb(kitty.tensor(x, dtype=kitty.float32))
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(kb, name).numpy(), getattr(tb, name).numpy(), rtol=1e-5, err_msg=name)
    tb.eval()
    kb.eval()
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(
        kb(kitty.tensor(x, dtype=kitty.float32)).detach().numpy(), tb(torch.tensor(x, dtype=torch.float32)).detach().numpy(), rtol=1e-5
    )


def test_rnn_dropout_is_applied_between_layers_only_in_training():
    kitty.manual_seed(0)
    rnn = kitty.nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = kitty.randn(5, 2, 3)
    rnn.eval()
    a = rnn(x)[0].detach().numpy()
    b = rnn(x)[0].detach().numpy()
    np.testing.assert_array_equal(a, b)
    rnn.train()
    c = rnn(x)[0]
    assert not np.allclose(c.detach().numpy(), a)
    c.sum().backward()
    assert all(p.grad is not None for p in rnn.parameters())


def test_sdpa_matches_torch_with_mixed_masks():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 3, 4, 8)) for _ in range(3))
    mask = rng.standard_normal((4, 4))
    kout = F.scaled_dot_product_attention(*(kitty.tensor(a) for a in (q, k, v)), attn_mask=kitty.tensor(mask))
    tout = torch.nn.functional.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(mask))
    np.testing.assert_allclose(kout.numpy(), tout.numpy(), rtol=1e-10)


@pytest.mark.parametrize("mask_kind", ["bool", "float"])
@pytest.mark.parametrize("shapes, kw, applies", [
    (((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8)), {}, True),
    (((1, 4, 3, 8), (1, 2, 5, 8), (1, 2, 5, 8)), {"enable_gqa": True}, True),
    (((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 8)), {"dropout_p": 0.5}, False),
    (((3, 4, 8), (3, 6, 8), (3, 6, 8)), {}, False),
    (((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)), {}, False),
])
def test_sdpa_takes_a_mask_with_is_causal_where_torchs_flash_kernel_does(mask_kind, shapes, kw, applies):
    # torch's CPU flash kernel applies both; its math fallback refuses the pair
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]
    L, S = shapes[0][-2], shapes[1][-2]
    mask = rng.standard_normal((L, S)) > -0.3 if mask_kind == "bool" else rng.standard_normal((L, S))
    mask[0, 0] = False if mask_kind == "bool" else -np.inf  # one query left with no key at all
    outs = []
    for lib, fn in ((kitty, F.scaled_dot_product_attention), (torch, torch.nn.functional.scaled_dot_product_attention)):
        q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays)
        if not applies:
            with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
                fn(q, k, v, attn_mask=lib.tensor(mask), is_causal=True, **kw)
            continue
        out = fn(q, k, v, attn_mask=lib.tensor(mask), is_causal=True, **kw)
        out.pow(2).sum().backward()
        outs.append([t.detach().numpy() for t in (out, q.grad, k.grad, v.grad)])
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)])
def test_max_pool_ties_send_the_gradient_to_the_first_maximum(kwargs):
    x = np.zeros((1, 2, 4, 6))
    x[0, 1, 1:3, 2:5] = 1.0
    kx = kitty.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    F.max_pool2d(kx, **kwargs).sum().backward()
    torch.nn.functional.max_pool2d(tx, **kwargs).sum().backward()
    np.testing.assert_array_equal(kx.grad.numpy(), tx.grad.numpy())


def test_conv_padding_strings_speak_as_torch(monkeypatch):
    messages = []
    for lib in (torch, kitty):
        with pytest.raises(RuntimeError) as caught:
            lib.nn.functional.conv2d(lib.ones(1, 2, 5, 5), lib.ones(1, 2, 3, 3), padding="SAME")
        messages.append(str(caught.value))
    assert messages[1] == messages[0]
    # an even kernel pads one side more: torch warns once a process that it copies the input
    monkeypatch.setattr(_prep, "WARNED_ONCE", set())
    with pytest.warns(UserWarning, match="^Using padding='same' with even kernel lengths and odd dilation may "
                                         "require a zero-padded copy of the input be created$"):
        F.conv2d(kitty.ones(1, 2, 5, 5), kitty.ones(1, 2, 4, 3), padding="same")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.conv2d(kitty.ones(1, 2, 5, 5), kitty.ones(1, 2, 4, 3), padding="same")
        F.conv1d(kitty.ones(1, 2, 5), kitty.ones(1, 2, 4), padding="same", dilation=2)  # even total: no copy
