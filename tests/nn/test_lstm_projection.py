"""nn.LSTM with projections (``proj_size``) against torch, weights copied over from torch's
state_dict: outputs, h_n/c_n, gradients of the input, the initial states and every parameter
(float32 and float64), padded, unbatched and packed input, dropout between layers, the
functional ``lstm`` binding, double backward, parameter names/shapes/order, init and errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as TR

import kittygrad as kitty
from _compare import GRAD_TOL, TOL, check, copy_weights, randn
from kittygrad.nn.utils import rnn as KR

# torch warns once that oneDNN has no projected LSTM; that is torch's business
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")

CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=3, bidirectional=True),
    dict(num_layers=2, bias=False, batch_first=True),
    dict(bidirectional=True, batch_first=True, bias=False),
]


def _lstm(**kw):
    return lambda m: m.nn.LSTM(4, 6, proj_size=3, **kw)


def _states(kw, n):
    rows = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    return randn(rows, n, 3, seed=1), randn(rows, n, 6, seed=2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()) or "default")
def test_padded_matches_torch(kw, dtype):
    x = randn(3, 5, 4) if kw.get("batch_first") else randn(5, 3, 4)
    h0, c0 = _states(kw, 3)
    # given states: gradients reach them too
    check(_lstm(**kw), [x, h0, c0], dtype, call=lambda m, x, h, c: m(x, (h, c)), what=f"{kw} with hx")
    # zero states
    check(_lstm(**kw), [x], dtype, call=lambda m, x: m(x), what=f"{kw} without hx")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unbatched_matches_torch(dtype):
    kw = dict(num_layers=2, bidirectional=True)
    h0, c0 = _states(kw, 1)
    check(_lstm(**kw), [randn(5, 4), h0[:, 0], c0[:, 0]], dtype, call=lambda m, x, h, c: m(x, (h, c)))
    check(_lstm(batch_first=True), [randn(5, 4)], dtype)


def test_output_shapes():
    lstm = kitty.nn.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3, batch_first=True)
    out, (h, c) = lstm(kitty.randn(2, 7, 4))
    assert tuple(out.shape) == (2, 7, 6)
    assert tuple(h.shape) == (4, 2, 3)
    assert tuple(c.shape) == (4, 2, 6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [dict(), dict(num_layers=2, bidirectional=True), dict(bias=False, bidirectional=True)])
@pytest.mark.parametrize("with_states", [False, True])
def test_packed_matches_torch(kw, dtype, with_states):
    lengths = [2, 5, 3, 5, 1]
    torch.manual_seed(0)
    tm = _lstm(**kw)(torch).to(getattr(torch, dtype))
    km = _lstm(**kw)(kitty).to(getattr(kitty, dtype))
    copy_weights(km, tm)
    seqs = [randn(n, 4, seed=i) for i, n in enumerate(lengths)]
    t_seqs = [torch.tensor(s, dtype=getattr(torch, dtype), requires_grad=True) for s in seqs]
    k_seqs = [kitty.tensor(s, dtype=getattr(kitty, dtype), requires_grad=True) for s in seqs]
    t_hx = k_hx = None
    if with_states:
        h0, c0 = _states(kw, len(lengths))
        t_hx = tuple(torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in (h0, c0))
        k_hx = tuple(kitty.tensor(a, dtype=getattr(kitty, dtype), requires_grad=True) for a in (h0, c0))
    t_out, (th, tc) = tm(TR.pack_sequence(t_seqs, enforce_sorted=False), t_hx)
    k_out, (kh, kc) = km(KR.pack_sequence(k_seqs, enforce_sorted=False), k_hx)
    tol, gtol = TOL[dtype], GRAD_TOL[dtype]
    for k, t in ((k_out.data, t_out.data), (kh, th), (kc, tc)):
        assert tuple(k.shape) == tuple(t.shape)
        np.testing.assert_allclose(k.detach().numpy(), t.detach().numpy(), **tol)
    w = [randn(*t.shape, seed=9 + i) for i, t in enumerate((t_out.data, th, tc))]
    sum((t * torch.tensor(a, dtype=t.dtype)).sum() for t, a in zip((t_out.data, th, tc), w)).backward()
    sum((k * kitty.tensor(a, dtype=k.dtype)).sum() for k, a in zip((k_out.data, kh, kc), w)).backward()
    for k, t in zip(k_seqs + list(k_hx or ()), t_seqs + list(t_hx or ())):
        np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy(), **gtol)
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(km.get_parameter(name).grad.numpy(), p.grad.numpy(), err_msg=name, **gtol)


@pytest.mark.parametrize("seed", [0, 7])
def test_dropout_between_layers_matches_torch(seed):
    torch.manual_seed(seed)
    kitty.manual_seed(seed)
    tm = torch.nn.LSTM(3, 5, num_layers=3, dropout=0.4, proj_size=2, bidirectional=True)
    km = kitty.nn.LSTM(3, 5, num_layers=3, dropout=0.4, proj_size=2, bidirectional=True)
    for name, p in tm.named_parameters():  # the same draws made the same weights
        np.testing.assert_allclose(km.get_parameter(name).detach().numpy(), p.detach().numpy(), rtol=1e-6, atol=1e-7)
    x = np.linspace(-1, 1, 5 * 2 * 3).reshape(5, 2, 3)
    tx = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    kx = kitty.tensor(x, dtype=kitty.float32, requires_grad=True)
    t_out, (th, tc) = tm(tx)
    k_out, (kh, kc) = km(kx)
    for k, t in ((k_out, t_out), (kh, th), (kc, tc)):
        np.testing.assert_allclose(k.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    (t_out.sum() + th.sum()).backward()
    (k_out.sum() + kh.sum()).backward()
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(km.get_parameter(name).grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("kw", [dict(), dict(num_layers=2, bidirectional=True), dict(bias=False, num_layers=2)])
def test_parameters_names_shapes_order_and_init(kw):
    for seed in (0, 3):
        torch.manual_seed(seed)
        kitty.manual_seed(seed)
        tm, km = torch.nn.LSTM(4, 6, proj_size=3, **kw), kitty.nn.LSTM(4, 6, proj_size=3, **kw)
        t_named, k_named = list(tm.named_parameters()), list(km.named_parameters())
        assert [n for n, _ in k_named] == [n for n, _ in t_named]
        assert [tuple(p.shape) for _, p in k_named] == [tuple(p.shape) for _, p in t_named]
        assert km._flat_weights_names == tm._flat_weights_names
        assert [[tuple(p.shape) for p in group] for group in km.all_weights] == \
               [[tuple(p.shape) for p in group] for group in tm.all_weights]
        assert list(km.state_dict()) == list(tm.state_dict())
        bound = 1 / np.sqrt(6)
        for (name, k), (_, t) in zip(k_named, t_named):  # U(-1/sqrt(H), 1/sqrt(H)) from torch's stream
            assert np.abs(k.detach().numpy()).max() <= bound
            np.testing.assert_allclose(k.detach().numpy(), t.detach().numpy(), rtol=5e-7, atol=5e-7, err_msg=name)
        assert kitty.rand(3).tolist() == pytest.approx(torch.rand(3).tolist())  # the streams moved alike


def test_state_dict_from_torch_loads_and_round_trips():
    tm = torch.nn.LSTM(4, 6, proj_size=3, num_layers=2, bidirectional=True)
    km = kitty.nn.LSTM(4, 6, proj_size=3, num_layers=2, bidirectional=True)
    copy_weights(km, tm)  # strict
    for name, t in tm.state_dict().items():
        np.testing.assert_array_equal(km.state_dict()[name].numpy(), t.numpy())
    with pytest.raises(RuntimeError):  # a stack without projections lacks weight_hr_*
        kitty.nn.LSTM(4, 6, num_layers=2, bidirectional=True).load_state_dict(km.state_dict())


def test_repr_matches_torch():
    for kw in (dict(proj_size=3), dict(proj_size=2, num_layers=2, bidirectional=True, bias=False), dict()):
        assert repr(kitty.nn.LSTM(4, 6, **kw)) == repr(torch.nn.LSTM(4, 6, **kw))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
def test_functional_lstm_binding_matches_torch(dtype, bias):
    """``torch.lstm`` / ``_VF.lstm`` tell projections from h0 narrower than c0."""
    torch.manual_seed(1)
    tm = torch.nn.LSTM(4, 6, proj_size=3, num_layers=2, bidirectional=True, bias=bias).to(getattr(torch, dtype))
    tw = [p.detach().clone().requires_grad_(True) for p in tm._flat_weights]
    kw_ = [kitty.tensor(p.detach().numpy(), requires_grad=True) for p in tm._flat_weights]
    x, (h0, c0) = randn(5, 2, 4), _states(dict(num_layers=2, bidirectional=True), 2)
    ts = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in (x, h0, c0)]
    ks = [kitty.tensor(a, dtype=getattr(kitty, dtype), requires_grad=True) for a in (x, h0, c0)]
    t_outs = torch.lstm(ts[0], (ts[1], ts[2]), tw, bias, 2, 0.0, False, True, False)
    k_outs = kitty.lstm(ks[0], (ks[1], ks[2]), kw_, bias, 2, 0.0, False, True, False)
    for k, t in zip(k_outs, t_outs):
        np.testing.assert_allclose(k.detach().numpy(), t.detach().numpy(), **TOL[dtype])
    sum((o * (i + 1)).sum() for i, o in enumerate(t_outs)).backward()
    sum((o * (i + 1)).sum() for i, o in enumerate(k_outs)).backward()
    for k, t in zip(ks + kw_, ts + tw):
        np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy(), **GRAD_TOL[dtype])


def test_double_backward_matches_torch():
    torch.manual_seed(2)
    tm = torch.nn.LSTM(3, 4, proj_size=2, num_layers=2, bidirectional=True).double()
    km = kitty.nn.LSTM(3, 4, proj_size=2, num_layers=2, bidirectional=True).to(kitty.float64)
    copy_weights(km, tm)
    x = randn(4, 2, 3)
    tx, kx = torch.tensor(x, requires_grad=True), kitty.tensor(x, requires_grad=True)
    t_out, (th, tc) = tm(tx)
    k_out, (kh, kc) = km(kx)
    (tg,) = torch.autograd.grad((t_out ** 2).sum() + th.sum() + tc.sum(), tx, create_graph=True)
    (kg,) = kitty.autograd.grad((k_out ** 2).sum() + kh.sum() + kc.sum(), kx, create_graph=True)
    np.testing.assert_allclose(kg.detach().numpy(), tg.detach().numpy(), rtol=1e-7, atol=1e-9)
    (tg ** 2).sum().backward()
    (kg ** 2).sum().backward()
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-8)
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(km.get_parameter(name).grad.numpy(), p.grad.numpy(), rtol=1e-6, atol=1e-8, err_msg=name)


def test_gradcheck_of_the_fused_op():
    kitty.manual_seed(0)
    lstm = kitty.nn.LSTM(2, 3, proj_size=2, bidirectional=True).to(kitty.float64)
    x = kitty.randn(3, 2, 2, dtype=kitty.float64, requires_grad=True)
    h0 = kitty.randn(2, 2, 2, dtype=kitty.float64, requires_grad=True)
    c0 = kitty.randn(2, 2, 3, dtype=kitty.float64, requires_grad=True)

    def fn(x, h0, c0, *weights):
        return kitty.lstm(x, (h0, c0), list(weights), True, 1, 0.0, False, True, False)

    assert kitty.autograd.gradcheck(fn, (x, h0, c0, *lstm._flat_weights))


def _raised(make):
    try:
        make()
    except Exception as err:  # noqa: BLE001 - the type and message are compared
        return type(err), str(err)
    return None


@pytest.mark.parametrize("make", [
    lambda m: m.nn.LSTM(4, 6, proj_size=-1),
    lambda m: m.nn.LSTM(4, 6, proj_size=6),
    lambda m: m.nn.LSTM(4, 6, proj_size=7),
    lambda m: m.nn.GRU(4, 6, proj_size=2),
    lambda m: m.nn.RNN(4, 6, proj_size=2),
    lambda m: m.nn.RNN(4, 6, proj_size=0),
])
def test_constructor_errors_match_torch(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, k = _raised(lambda: make(torch)), _raised(lambda: make(kitty))
    assert t is not None and k is not None
    assert issubclass(k[0], t[0]) and k[1] == t[1]


def test_wrong_state_shapes_are_refused():
    for lib in (torch, kitty):
        lstm = lib.nn.LSTM(4, 6, proj_size=3)
        x = lib.zeros(5, 2, 4)
        with pytest.raises(RuntimeError, match=r"\(1, 2, 3\), got \[1, 2, 6\]"):
            lstm(x, (lib.zeros(1, 2, 6), lib.zeros(1, 2, 6)))
        with pytest.raises(RuntimeError, match=r"\(1, 2, 6\), got \[1, 2, 3\]"):
            lstm(x, (lib.zeros(1, 2, 3), lib.zeros(1, 2, 3)))
        packed = (TR if lib is torch else KR).pack_sequence([lib.zeros(3, 4), lib.zeros(2, 4)])
        # torch's packed path raises from inside its kernel; kittygrad names the expected cell size
        with pytest.raises(RuntimeError, match=r"\(1, 2, 6\), got \[1, 2, 3\]" if lib is kitty else None):
            lstm(packed, (lib.zeros(1, 2, 3), lib.zeros(1, 2, 3)))
