"""An LSTM step written into the sequence's buffers (``ops.nn.recurrent._lstm_step``) and its
backward through precomputed slopes (``_lstm_slopes``): fewer NumPy calls a step, the forward's
bits unchanged and the gradients as accurate as before."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.ops import _fused


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_into_a_buffer_is_sigmoids_bits(dtype):
    """``_sigmoid(x, out=buffer)`` (an LSTM step's gates) fills the buffer with the bits
    ``_sigmoid(x)`` returns: overflowing exponentials (x far below 0) go to expit, NaN and
    infinities pass, half precision is computed in float32 and rounded once."""
    x = np.concatenate([np.random.default_rng(0).standard_normal(4096) * 40,
                        [-1000.0, -746.0, -104.0, -89.0, -88.7, -87.0, -0.0, 0.0, 88.0, 1000.0, np.nan, np.inf, -np.inf]])
    x = x.astype(dtype).reshape(-1, 7)
    out = np.empty_like(x)
    assert _fused._sigmoid(x, out=out) is out
    np.testing.assert_array_equal(out, _fused._sigmoid(x))


def _lstm_reference(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One layer, one direction, as the step was written before: new arrays, then copied."""
    hidden = h.shape[-1]
    xw = x @ w_ih.T + b_ih
    out = []
    for t in range(x.shape[0]):
        a = xw[t] + h @ w_hh.T
        a += b_hh
        with np.errstate(over="ignore"):
            i_f, o = _fused._sigmoid(a[:, : 2 * hidden]), _fused._sigmoid(a[:, 3 * hidden:])
        g = np.tanh(a[:, 2 * hidden: 3 * hidden])
        c = i_f[:, hidden:] * c + i_f[:, :hidden] * g
        h = o * np.tanh(c)
        out.append(h)
    return np.stack(out), h, c


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lstm_forward_keeps_its_bits(dtype):
    rng = np.random.default_rng(1)
    T, N, I, H = 9, 4, 5, 6
    x, h0, c0 = (rng.standard_normal(s).astype(dtype) for s in ((T, N, I), (N, H), (N, H)))
    w_ih, w_hh = (rng.standard_normal(s).astype(dtype) * 3 for s in ((4 * H, I), (4 * H, H)))  # (saturated gates too)
    b_ih, b_hh = (rng.standard_normal(4 * H).astype(dtype) for _ in range(2))
    m = kitty.nn.LSTM(I, H).to(kitty.float64 if dtype == np.float64 else kitty.float32)
    with kitty.no_grad():
        for p, v in zip((m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0, m.bias_hh_l0), (w_ih, w_hh, b_ih, b_hh)):
            p.copy_(kitty.tensor(v))
    out, (hn, cn) = m(kitty.tensor(x), (kitty.tensor(h0[None]), kitty.tensor(c0[None])))
    ref_out, ref_h, ref_c = _lstm_reference(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    np.testing.assert_array_equal(out.detach().numpy(), ref_out)
    np.testing.assert_array_equal(hn.detach().numpy()[0], ref_h)
    np.testing.assert_array_equal(cn.detach().numpy()[0], ref_c)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_gradients_are_as_accurate_as_float32_allows(bidirectional):
    """35 steps, 2 layers: float32 gradients within a few units of float32's rounding of torch's
    float64 ones (the slopes are computed for all steps first, so the products round differently
    from the step-by-step formulas, not worse)."""
    torch.manual_seed(0)
    ref = torch.nn.LSTM(16, 16, 2, bidirectional=bidirectional).double()
    ours = kitty.nn.LSTM(16, 16, 2, bidirectional=bidirectional)
    ours.load_state_dict({k: kitty.tensor(v.detach().numpy().astype(np.float32)) for k, v in ref.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((35, 8, 16))
    w = np.random.default_rng(3).standard_normal((35, 8, 32 if bidirectional else 16))
    xt, xk = torch.tensor(x, requires_grad=True), kitty.tensor(x.astype(np.float32), requires_grad=True)
    for model, inp, lib in ((ref, xt, torch), (ours, xk, kitty)):
        out, (h, c) = model(inp)
        ((out * lib.tensor(w if lib is torch else w.astype(np.float32))).sum() + h.sum() + c.sum()).backward()
    grads = [(p.grad.numpy(), q.grad.numpy()) for p, q in zip(ref.parameters(), ours.parameters())] + [(xt.grad.numpy(), xk.grad.numpy())]
    for exact, got in grads:
        assert np.abs(got - exact).max() <= 2e-6 * np.abs(exact).max()
