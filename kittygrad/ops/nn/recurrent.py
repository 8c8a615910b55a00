"""Recurrent ops: RNN (tanh/ReLU), GRU and LSTM over sequences, torch's ``_VF`` namespace."""
from __future__ import annotations

from ... import backend as B
from ...backend_random import default_generator
from ...autograd.function import Op
from ...errors import KittyRuntimeError
from .. import _kernels as _k
from .. import _gemm
from .. import activation as _activation
from .. import joining as _joining
from .. import linalg as _linalg
from .._fused import _const, _float, _same_dtype, _sigmoid, xp
from .._prep import as_tensor_arg, masked_grad, torch_named
from ..linalg import _saving_all
from ..nn.padding import _tslice

# ---------------------------------------------------------------------------------------------
# recurrent layers: a whole (multi-layer, bidirectional) sequence in one node


def _lstm_step(xw_t, h, c, w_hh, b_hh, gates_t, H: int, pre, c_t, tc_t):
    """One LSTM time step, written into the sequence's buffers: the pre-activations into ``pre``
    (``xw_t + h w_hh^T``, plus ``b_hh``), the gates (i, f, g, o) into ``gates_t``, the new cell state
    into ``c_t`` and its tanh into ``tc_t``; returns the output gate (a view of ``gates_t``).

    A step is some fifteen NumPy calls on small arrays, so it writes where the values are kept
    rather than into new arrays copied there after."""
    xp.matmul(h, w_hh.T, out=pre)
    pre += xw_t
    if b_hh is not None:
        pre += b_hh
    _sigmoid(pre, out=gates_t)  # (all four gates in one call: g's is then replaced by its tanh)
    i, f, gg, o = gates_t[:, :H], gates_t[:, H : 2 * H], gates_t[:, 2 * H : 3 * H], gates_t[:, 3 * H :]
    xp.tanh(pre[:, 2 * H : 3 * H], out=gg)
    xp.multiply(f, c, out=c_t)
    c_t += i * gg
    xp.tanh(c_t, out=tc_t)
    return o


def _lstm_slopes(gates, tcs, cprevs, H: int):
    """What backpropagation through an LSTM's steps multiplies by, for every step at once: the
    slope from h to c, ``o (1 - tanh(c)^2)``; those from c to the i, f and g pre-activations,
    ``g i (1 - i)``, ``c_prev f (1 - f)`` and ``i (1 - g^2)``, side by side (T, N, 3, H); and from
    h to o's, ``tanh(c) o (1 - o)``. None depends on the gradient, so the step loop is left with
    a few products on small arrays (each a NumPy call's fixed cost) and the GEMM."""
    i, f, g, o = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H : 3 * H], gates[..., 3 * H :]
    to_c = tcs * tcs
    xp.subtract(1, to_c, out=to_c)
    to_c *= o
    to_ifg = xp.empty(gates.shape[:2] + (3, H), gates.dtype)
    xp.multiply(g * i, 1 - i, out=to_ifg[:, :, 0])
    xp.multiply(cprevs * f, 1 - f, out=to_ifg[:, :, 1])
    squares = g * g
    xp.subtract(1, squares, out=squares)
    xp.multiply(i, squares, out=to_ifg[:, :, 2])
    to_o = tcs * o
    to_o *= 1 - o
    return to_c, to_ifg, to_o


def _started_from(states, first, reverse: bool):
    """The state each time step started from, in time order: the previous step's (the next one's
    when the direction runs backwards in time), ``first`` for the step that came first."""
    prev = xp.empty_like(states)
    if reverse:
        prev[:-1], prev[-1] = states[1:], first
    else:
        prev[1:], prev[0] = states[:-1], first
    return prev


def _torch_leaf_order(node, mode, blocks: int, per: int, has_biases: bool, proj: bool, float32: bool) -> tuple:
    """The order torch's backward reaches an RNN's leaves (their hooks fire so): the last layer's
    (and last direction's) weights first; within one, as torch's graph hands them out. Its
    step-by-step ops: the projection, then the hidden bias and weight, then the input's. Its fused
    float32 LSTM layer (which one node records): the weights, then the biases, the hidden one
    first unless the states need a gradient; the first layer's bias beside its weight when the
    input needs none. The states and the input last."""
    if not (mode == "LSTM" and not proj and float32):
        within = ((per - 1,) if proj else ()) + ((3, 1, 2, 0) if has_biases else (1, 0))
        return (*[3 + k * per + i for k in reversed(range(blocks)) for i in within], 1, 2, 0)
    edges = node._next_nodes  # (set before forward when a gradient will be needed)
    states_grad = len(edges) > 2 and (edges[1] is not None or edges[2] is not None)
    order = []
    for k in reversed(range(blocks)):
        if not has_biases:
            within = (0, 1)
        elif k == 0 and edges and edges[0] is None:
            within = (0, 2, 1, 3)
        else:
            within = (0, 1, 2, 3) if states_grad else (0, 1, 3, 2)
        order += [3 + k * per + i for i in within]
    return (*order, 1, 2, 0)


class Rnn(Op):
    """Elman RNN (tanh/relu), LSTM or GRU over a whole sequence, all layers and directions.

    Positional inputs: ``x (T, N, I)``, ``h0 (L*D, N, H)``, ``c0`` (LSTM) or None, then the flat
    weights per layer and direction: ``w_ih, w_hh[, b_ih, b_hh]`` (torch's order). Outputs:
    ``(output (T, N, D*H), h_n[, c_n])``. Backward is backpropagation through time.

    An LSTM with projections (``proj=True``) takes ``w_hr (P, H)`` last in each layer's weights
    and carries ``h_t = w_hr (o_t * tanh(c_t))``: ``h0``, ``h_n`` and the output are P wide
    (``w_hh`` is ``(4H, P)``), ``c0`` and ``c_n`` stay H wide.
    """

    saved_fields = ("has_c0", "hidden", "mode", "ndir", "num_layers", "per", "saved", "weights", "proj", "size", "biases")


    def forward(self, x, h0, c0, *weights, mode="RNN_TANH", num_layers=1, bidirectional=False, has_biases=True, dropout=0.0, train=False, generator=None, proj=False):
        ndir = 2 if bidirectional else 1
        per = (4 if has_biases else 2) + (1 if proj else 0)
        self.mode, self.ndir, self.per, self.num_layers = mode, ndir, per, num_layers
        self.proj, self.biases = proj, has_biases
        self.weights = weights
        self._leaf_order = _torch_leaf_order(self, mode, num_layers * ndir, per, has_biases, proj, x.dtype == xp.float32)
        T, n = x.shape[:2]
        # P: the width of h (the output features per direction); H: of the cell (P == H unless projected)
        P = weights[1].shape[1]
        H = weights[-1].shape[1] if proj else P
        self.hidden, self.size = H, P
        lstm = mode == "LSTM"
        self._name = {"LSTM": "LstmBackward", "GRU": "GruBackward"}.get(mode, "RnnBackward")
        dt = x.dtype
        if h0 is None:
            h0 = xp.zeros((num_layers * ndir, n, P), dt)
        if lstm and c0 is None:
            c0 = xp.zeros((num_layers * ndir, n, H), dt)
        self.has_c0 = c0 is not None
        hn = xp.empty((num_layers * ndir, n, P), dt)
        cn = xp.empty((num_layers * ndir, n, H), dt) if lstm else None
        self.saved = []  # per layer: (input, masks, [per direction caches])
        inp = x
        for layer in range(num_layers):
            out = xp.empty((T, n, ndir * P), dt)
            caches = []
            for d in range(ndir):
                k = layer * ndir + d
                ws = weights[k * per : (k + 1) * per]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if has_biases else (None, None)
                xw = inp @ w_ih.T
                if b_ih is not None:
                    xw += b_ih
                if proj:
                    cache = self._run_projected(xw, h0[k], c0[k], w_hh, b_hh, ws[-1], d == 1, out[..., d * P : (d + 1) * P])
                else:
                    cache = self._run(xw, h0[k], c0[k] if lstm else None, w_hh, b_hh, d == 1, out[..., d * H : (d + 1) * H])
                hn[k] = cache["h_last"]
                if lstm:
                    cn[k] = cache["c_last"]
                caches.append(cache)
            mask = None
            if dropout > 0 and train and layer < num_layers - 1:
                mask = generator.dropout_mask(dropout, out.shape, dt) if dropout < 1 else xp.zeros(out.shape, dt)
            self.saved.append((inp, caches, mask))
            inp = out * mask if mask is not None else out
        if lstm:
            return inp, hn, cn
        return inp, hn

    def _run(self, xw, h, c, w_hh, b_hh, reverse, out):
        mode, H = self.mode, self.hidden
        T = xw.shape[0]
        order = range(T - 1, -1, -1) if reverse else range(T)
        hs = xp.empty((T,) + h.shape, h.dtype)  # h after each step (in time order)
        cache = {"reverse": reverse, "h0": h, "c0": c}
        if mode == "LSTM":
            gates = xp.empty(xw.shape, h.dtype)
            cs = xp.empty((T,) + h.shape, h.dtype)
            tcs = xp.empty((T,) + h.shape, h.dtype)
            pre = xp.empty(xw.shape[1:], h.dtype)
            for t in order:
                o = _lstm_step(xw[t], h, c, w_hh, b_hh, gates[t], H, pre, cs[t], tcs[t])
                c, h = cs[t], xp.multiply(o, tcs[t], out=hs[t])
            cache.update(gates=gates, cs=cs, tcs=tcs, c_last=c)
        elif mode == "GRU":
            gates = xp.empty(xw.shape, h.dtype)  # r, z, n
            hn_ = xp.empty((T,) + h.shape, h.dtype)  # the hidden part of n's pre-activation
            for t in order:
                hw = h @ w_hh.T
                if b_hh is not None:
                    hw += b_hh
                rz = _sigmoid(xw[t, :, : 2 * H] + hw[:, : 2 * H])  # (both gates in one call: the same values)
                r, z = rz[:, :H], rz[:, H:]
                nn_ = xp.tanh(xw[t, :, 2 * H :] + r * hw[:, 2 * H :])
                h = (1 - z) * nn_ + z * h
                gates[t, :, : 2 * H], gates[t, :, 2 * H :] = rz, nn_
                hn_[t], hs[t] = hw[:, 2 * H :], h
            cache.update(gates=gates, hn=hn_)
        else:
            relu = mode == "RNN_RELU"
            for t in order:
                a = xw[t] + h @ w_hh.T
                if b_hh is not None:
                    a += b_hh
                h = _k.bounded(xp.maximum, a, 0) if relu else xp.tanh(a)
                hs[t] = h
        cache["hs"] = hs
        cache["h_last"] = h
        out[...] = hs
        return cache

    def _run_projected(self, xw, h, c, w_hh, b_hh, w_hr, reverse, out):
        """One direction of an LSTM with projections: as ``_run``'s LSTM, then ``h = (o * tanh(c)) w_hr^T``."""
        H = self.hidden
        T = xw.shape[0]
        order = range(T - 1, -1, -1) if reverse else range(T)
        hs = xp.empty((T,) + h.shape, h.dtype)
        gates = xp.empty(xw.shape, h.dtype)
        cs = xp.empty((T,) + c.shape, c.dtype)
        tcs = xp.empty((T,) + c.shape, c.dtype)
        cache = {"reverse": reverse, "h0": h, "c0": c}
        w_hr_t = w_hr.T
        pre = xp.empty(xw.shape[1:], h.dtype)
        for t in order:
            o = _lstm_step(xw[t], h, c, w_hh, b_hh, gates[t], H, pre, cs[t], tcs[t])
            c, h = cs[t], xp.matmul(o * tcs[t], w_hr_t, out=hs[t])
        cache.update(gates=gates, cs=cs, tcs=tcs, c_last=c, hs=hs, h_last=h)
        out[...] = hs
        return cache

    def composite(self, x, h0, c0, *weights, mode="RNN_TANH", num_layers=1, bidirectional=False, has_biases=True, dropout=0.0, train=False, generator=None, proj=False):
        """The same recurrence, step by step, from differentiable ops (double backward
        differentiates this); the dropout masks drawn in forward are reused."""
        ndir, per, H, P = self.ndir, self.per, self.hidden, self.size
        lstm = mode == "LSTM"
        T, n = x._data.shape[:2]

        def pick(t, i):  # t[i]
            return _tslice(t, 0, i, 1).reshape(t._data.shape[1:])

        def part(a, j):  # a[:, j * H : (j + 1) * H]
            return _tslice(a, 1, j * H, H)

        if h0 is None:
            h0 = _const(xp.zeros((num_layers * ndir, n, P)), x)
        if lstm and c0 is None:
            c0 = _const(xp.zeros((num_layers * ndir, n, H)), x)
        inp, hn, cn = x, [], []
        for layer in range(num_layers):
            outs = []
            for d in range(ndir):
                idx = layer * ndir + d
                ws = weights[idx * per : (idx + 1) * per]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if has_biases else (None, None)
                xw = _linalg.matmul(inp, w_ih.t())
                if b_ih is not None:
                    xw = xw + b_ih
                h = pick(h0, idx)
                c = pick(c0, idx) if lstm else None
                hs = [None] * T
                for t in (range(T - 1, -1, -1) if d == 1 else range(T)):
                    xt = pick(xw, t)
                    hw = _linalg.matmul(h, w_hh.t())
                    if b_hh is not None:
                        hw = hw + b_hh
                    if lstm:
                        a = xt + hw
                        c = _activation.sigmoid(part(a, 1)) * c + _activation.sigmoid(part(a, 0)) * _activation.tanh(part(a, 2))
                        h = _activation.sigmoid(part(a, 3)) * _activation.tanh(c)
                        if self.proj:
                            h = _linalg.matmul(h, ws[-1].t())
                    elif mode == "GRU":
                        r = _activation.sigmoid(part(xt, 0) + part(hw, 0))
                        z = _activation.sigmoid(part(xt, 1) + part(hw, 1))
                        nn_ = _activation.tanh(part(xt, 2) + r * part(hw, 2))
                        h = (1 - z) * nn_ + z * h
                    else:
                        a = xt + hw
                        h = _activation.relu(a) if mode == "RNN_RELU" else _activation.tanh(a)
                    hs[t] = h
                outs.append(_joining.stack(hs, 0))
                hn.append(h)
                cn.append(c)
            out = _joining.cat(outs, -1) if ndir > 1 else outs[0]
            mask = self.saved[layer][2]
            inp = out * _const(mask, out) if mask is not None else out
        if lstm:
            return inp, _joining.stack(hn, 0), _joining.stack(cn, 0)
        return inp, _joining.stack(hn, 0)

    def backward(self, g_out, g_hn, g_cn=None):
        mode, ndir, per, P, proj = self.mode, self.ndir, self.per, self.size, self.proj
        lstm = mode == "LSTM"
        need = self.needs_input_grad
        weights = self.weights
        grads_w = [None] * len(weights)
        gh0 = xp.zeros(g_hn.shape, g_hn.dtype)
        gc0 = xp.zeros(g_cn.shape, g_cn.dtype) if lstm else None
        dinp = g_out
        for layer in range(self.num_layers - 1, -1, -1):
            inp, caches, mask = self.saved[layer]
            if mask is not None:
                dinp = dinp * mask
            dprev = None
            for d in range(ndir):
                k = layer * ndir + d
                ws = weights[k * per : (k + 1) * per]
                w_ih, w_hh = ws[0], ws[1]
                cache = caches[d]
                gout = dinp[..., d * P : (d + 1) * P]
                if proj:
                    dx_pre, dh_pre, dh0, dc0, grads_w[k * per + per - 1] = self._bptt_projected(cache, gout, g_hn[k], g_cn[k], w_hh, ws[-1])
                else:
                    dx_pre, dh_pre, dh0, dc0 = self._bptt(cache, gout, g_hn[k], g_cn[k] if lstm else None, w_hh)
                gh0[k] = dh0
                if lstm:
                    gc0[k] = dc0
                T, n = inp.shape[:2]
                hprev = self._hprev(cache)
                flat_x = dx_pre.reshape(T * n, -1)
                flat_h = dh_pre.reshape(T * n, -1)
                # (one step of one sample, a cell's: outer products, see _gemm.matmul)
                grads_w[k * per] = _gemm.matmul(flat_x.T, inp.reshape(T * n, -1))
                grads_w[k * per + 1] = _gemm.matmul(flat_h.T, hprev.reshape(T * n, -1))
                if self.biases:
                    grads_w[k * per + 2] = flat_x.sum(0)
                    grads_w[k * per + 3] = flat_h.sum(0)
                contrib = dx_pre @ w_ih
                dprev = contrib if dprev is None else dprev + contrib
            dinp = dprev
        grads_w = [gw if need[3 + i] else None for i, gw in enumerate(grads_w)]
        return (dinp if need[0] else None, gh0 if need[1] else None, gc0 if (lstm and need[2]) else None, *grads_w)

    def _hprev(self, cache):
        """The hidden state each step started from, in time order."""
        return _started_from(cache["hs"], cache["h0"], cache["reverse"])

    def _bptt_projected(self, cache, gout, dh, dc, w_hh, w_hr):
        """``_bptt`` of an LSTM with projections; also returns the gradient of ``w_hr``."""
        H = self.hidden
        hs, gates, cs, tcs = cache["hs"], cache["gates"], cache["cs"], cache["tcs"]
        T = hs.shape[0]
        rev = cache["reverse"]
        order = range(T) if rev else range(T - 1, -1, -1)
        dpre = xp.empty(gates.shape, hs.dtype)
        dhs = xp.empty(hs.shape, hs.dtype)  # the gradient reaching each step's h
        cprev_all = _started_from(cs, cache["c0"], rev)
        dc = dc.copy()
        for t in order:
            dh = dh + gout[t]
            dhs[t] = dh
            dm = dh @ w_hr  # the gradient of o * tanh(c)
            i, f, gg, o = gates[t, :, :H], gates[t, :, H : 2 * H], gates[t, :, 2 * H : 3 * H], gates[t, :, 3 * H :]
            tc = tcs[t]
            dc = dc + dm * o * (1 - tc * tc)
            dpre[t, :, :H] = dc * gg * i * (1 - i)
            dpre[t, :, H : 2 * H] = dc * cprev_all[t] * f * (1 - f)
            dpre[t, :, 2 * H : 3 * H] = dc * i * (1 - gg * gg)
            dpre[t, :, 3 * H :] = dm * tc * o * (1 - o)
            dc = dc * f
            dh = dpre[t] @ w_hh
        m = gates[..., 3 * H :] * tcs  # o * tanh(c) of every step
        dw_hr = dhs.reshape(-1, dhs.shape[-1]).T @ m.reshape(-1, H)
        return dpre, dpre, dh, dc, dw_hr

    def _bptt(self, cache, gout, dh, dc, w_hh):
        mode, H = self.mode, self.hidden
        hs = cache["hs"]
        T = hs.shape[0]
        rev = cache["reverse"]
        order = range(T) if rev else range(T - 1, -1, -1)  # the forward order, reversed
        dh = dh.copy()
        if mode == "LSTM":
            gates = cache["gates"]
            dpre = xp.empty(gates.shape, hs.dtype)
            dc = dc.copy()
            to_c, to_ifg, to_o = _lstm_slopes(gates, cache["tcs"], _started_from(cache["cs"], cache["c0"], rev), H)
            n = gates.shape[1]
            forget = gates[..., H : 2 * H]
            for t in order:
                dh += gout[t]
                dc += dh * to_c[t]
                # (the i, f and g gates' gradients: dc times their slopes, in one product)
                xp.multiply(dc[:, None, :], to_ifg[t], out=dpre[t].reshape(n, 4, H)[:, :3])
                xp.multiply(dh, to_o[t], out=dpre[t, :, 3 * H :])
                dc *= forget[t]
                dh = dpre[t] @ w_hh
            return dpre, dpre, dh, dc
        if mode == "GRU":
            gates, hn_ = cache["gates"], cache["hn"]
            hprev = self._hprev(cache)  # (the states each step started from: only the GRU's formulas read them)
            dx = xp.empty(gates.shape, hs.dtype)
            dhh = xp.empty(gates.shape, hs.dtype)
            for t in order:
                dh = dh + gout[t]
                r, z, nn_ = gates[t, :, :H], gates[t, :, H : 2 * H], gates[t, :, 2 * H :]
                hp = hprev[t]
                dn = dh * (1 - z) * (1 - nn_ * nn_)
                dz = dh * (hp - nn_) * z * (1 - z)
                dr = dn * hn_[t] * r * (1 - r)
                dx[t, :, :H] = dr
                dx[t, :, H : 2 * H] = dz
                dx[t, :, 2 * H :] = dn
                dhh[t, :, :H] = dr
                dhh[t, :, H : 2 * H] = dz
                dhh[t, :, 2 * H :] = dn * r
                dh = dhh[t] @ w_hh + dh * z
            return dx, dhh, dh, None
        relu = mode == "RNN_RELU"
        dpre = xp.empty(hs.shape, hs.dtype)
        for t in order:
            dh = dh + gout[t]
            h = hs[t]
            dpre[t] = masked_grad(h > 0, dh) if relu else dh * (1 - h * h)  # relu'(0) = 0, selected as torch
            dh = dpre[t] @ w_hh
        return dpre, dpre, dh, None


def _rnn_impl(mode, input, hx, cx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    x = _float(input, mode.lower())
    if batch_first:
        x = x.transpose(0, 1)
    params = [as_tensor_arg(p, "params") for p in params]
    ndir = 2 if bidirectional else 1
    per = 4 if has_biases else 2
    proj = False
    if mode == "LSTM":
        # projections as torch tells them: h narrower than c (or, a state left out, one more weight per layer)
        if hx is not None and cx is not None:
            proj = hx.shape[-1] != cx.shape[-1]
        else:
            proj = len(params) == (per + 1) * ndir * num_layers
        per += proj
    if len(params) != per * ndir * num_layers:
        raise KittyRuntimeError(
            f"{mode.lower()}: expected {per * ndir * num_layers} parameter tensors, got {len(params)}"
        )
    _same_dtype(mode.lower(), x, hx, cx, *params)
    gen = default_generator

    outs = _saving_all(Rnn, 3 + len(params)).apply(
        x, hx, cx, *params, mode=mode, num_layers=num_layers, bidirectional=bidirectional, has_biases=has_biases,
        dropout=float(dropout), train=bool(train), generator=gen, proj=proj,
    )
    # torch (CPU) makes the sequence in oneDNN's fused layer (an LSTM in float32 without projections),
    # by stacking the steps, or by concatenating the directions; the final states by stacking the layers'
    if bidirectional:
        label = "CatBackward0"
    elif mode == "LSTM" and not proj and x._data.dtype == B.xp.float32:
        label = "MkldnnRnnLayerBackward0"
    else:
        label = "StackBackward0"
    out, *states = name_outputs(outs, [label] + ["StackBackward0"] * (len(outs) - 1))
    if batch_first:
        # (torch's GRU and RNN transpose their output through another overload than its LSTM)
        out = torch_named(out.transpose(0, 1), "TransposeBackward0" if mode == "LSTM" else "TransposeBackward1")
    return (out, *states)


def name_outputs(outs, labels) -> tuple:
    """``outs``, the outputs of one fused node (the sequence, the final states), named as torch names
    the nodes it makes each of them by: the node as the first (``out.grad_fn``), and each output in
    its printout (``print(h_n)`` shows ``grad_fn=<StackBackward0>``). One node keeps them: an output
    the caller never uses holds no gradient back, as it would behind a node of its own."""
    fused = getattr(outs[0], "_grad_fn", None)
    if fused is not None:
        fused.torch_label = labels[0]
        fused.torch_output_labels = tuple(labels)
    return tuple(outs)


def rnn_tanh(input, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool, batch_first: bool):
    """A whole Elman RNN (tanh) as ``torch._VF.rnn_tanh``: returns ``(output, h_n)``.

    >>> import kittygrad as kitty
    >>> from kittygrad.ops.nn.recurrent import rnn_tanh
    >>> ps = [kitty.ones(4, 3), kitty.ones(4, 4), kitty.zeros(4), kitty.zeros(4)]
    >>> rnn_tanh(kitty.zeros(5, 2, 3), kitty.zeros(1, 2, 4), ps, True, 1, 0.0, False, False, False)[0].shape
    kittygrad.Size([5, 2, 4])
    """
    return _rnn_impl("RNN_TANH", input, hx, None, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def rnn_relu(input, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool, batch_first: bool):
    """A whole Elman RNN (relu) as ``torch._VF.rnn_relu``: returns ``(output, h_n)``."""
    return _rnn_impl("RNN_RELU", input, hx, None, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def gru(input, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool, batch_first: bool):
    """A whole GRU as ``torch._VF.gru``: returns ``(output, h_n)``."""
    return _rnn_impl("GRU", input, hx, None, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def lstm(input, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool, batch_first: bool):
    """A whole LSTM as ``torch._VF.lstm`` (``hx = (h0, c0)``): returns ``(output, h_n, c_n)``.

    With projections (``h0`` narrower than ``c0``, as torch tells them) each layer's weights end
    with ``w_hr (P, H)``: ``w_ih, w_hh[, b_ih, b_hh], w_hr``.

    >>> import kittygrad as kitty
    >>> from kittygrad.ops.nn.recurrent import lstm
    >>> ps = [kitty.ones(16, 3), kitty.ones(16, 2), kitty.ones(2, 4)]
    >>> out, h, c = lstm(kitty.zeros(5, 1, 3), (kitty.zeros(1, 1, 2), kitty.zeros(1, 1, 4)), ps, False, 1, 0.0, False, False, False)
    >>> out.shape, h.shape, c.shape
    (kittygrad.Size([5, 1, 2]), kittygrad.Size([1, 1, 2]), kittygrad.Size([1, 1, 4]))
    """
    h0, c0 = hx
    return _rnn_impl("LSTM", input, h0, c0, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
