"""nn.utils.rnn (PackedSequence, pad/pack/unpack) and RNN/LSTM/GRU on packed batches against torch:
values, gradients (to the padded input, the initial states and every weight), final states, errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as TR

import kittygrad as kitty
from _compare import copy_weights, randn
from kittygrad.nn.utils import rnn as KR
from torch_errors import raised_as_torch  # (tests/ is on sys.path under pytest)

TOL = dict(rtol=1e-6, atol=1e-8)


def pair(a, requires_grad=True):
    t = torch.tensor(a, requires_grad=requires_grad)
    k = kitty.tensor(a, requires_grad=requires_grad)
    return t, k


def close(k, t, **tol):
    np.testing.assert_allclose(k.detach().numpy(), t.detach().numpy(), **(tol or TOL))


def same_ints(k, t):
    if t is None:
        assert k is None
        return
    assert str(k.dtype) == "kittygrad.int64"
    np.testing.assert_array_equal(k.numpy(), t.numpy())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", [[4, 3, 3, 1], [2, 4, 2, 1, 4, 2], [3, 3, 3]])
def test_pack_and_pad_round_trip_match_torch(lengths, batch_first):
    sorted_ = lengths == sorted(lengths, reverse=True)
    shape = (len(lengths), 4, 2) if batch_first else (4, len(lengths), 2)
    tx, kx = pair(randn(*shape))
    for enforce in ([True, False] if sorted_ else [False]):
        tp = TR.pack_padded_sequence(tx, lengths, batch_first=batch_first, enforce_sorted=enforce)
        kp = KR.pack_padded_sequence(kx, kitty.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce)
        close(kp.data, tp.data)
        for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
            same_ints(getattr(kp, field), getattr(tp, field))
        tpad, tlen = TR.pad_packed_sequence(tp, batch_first=batch_first, padding_value=-2.0, total_length=6)
        kpad, klen = KR.pad_packed_sequence(kp, batch_first=batch_first, padding_value=-2.0, total_length=6)
        close(kpad, tpad)
        same_ints(klen, tlen)
        w = randn(*tpad.shape, seed=3)
        (tpad * torch.tensor(w)).sum().backward()
        (kpad * kitty.tensor(w)).sum().backward()
        close(kx.grad, tx.grad)


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_and_unpad_match_torch(side, batch_first):
    arrays = [randn(3, 2), randn(1, 2, seed=1), randn(4, 2, seed=2)]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ks = [kitty.tensor(a, requires_grad=True) for a in arrays]
    tp = TR.pad_sequence(ts, batch_first=batch_first, padding_value=1.5, padding_side=side)
    kp = KR.pad_sequence(ks, batch_first=batch_first, padding_value=1.5, padding_side=side)
    close(kp, tp)
    w = randn(*tp.shape, seed=4)
    (tp * torch.tensor(w)).sum().backward()
    (kp * kitty.tensor(w)).sum().backward()
    for k, t in zip(ks, ts):
        close(k.grad, t.grad)
    if side == "right":
        lengths = torch.tensor([3, 1, 4])
        for k, t in zip(KR.unpad_sequence(kp, kitty.tensor([3, 1, 4]), batch_first), TR.unpad_sequence(tp, lengths, batch_first)):
            close(k, t)


def test_pack_sequence_unpack_sequence_and_tensor_input():
    arrays = [randn(2, 3), randn(4, 3, seed=1), randn(1, 3, seed=2)]
    tp = TR.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False)
    kp = KR.pack_sequence([kitty.tensor(a) for a in arrays], enforce_sorted=False)
    close(kp.data, tp.data)
    same_ints(kp.sorted_indices, tp.sorted_indices)
    for k, t in zip(KR.unpack_sequence(kp), TR.unpack_sequence(tp)):
        close(k, t)
    close(KR.pad_sequence(kitty.tensor(randn(2, 3, 2))), TR.pad_sequence(torch.tensor(randn(2, 3, 2))))
    ints = KR.pack_sequence([kitty.tensor([1, 2, 3]), kitty.tensor([4, 5])])
    assert repr(ints) == repr(TR.pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5])])).replace("torch", "kittygrad")


def test_packed_sequence_fields_and_conversions():
    kp = KR.pack_sequence([kitty.ones(2, 1), kitty.ones(1, 1)])
    assert KR.PackedSequence._fields == TR.PackedSequence._fields
    data, batch_sizes, sorted_indices, unsorted_indices = kp
    assert sorted_indices is None and unsorted_indices is None
    assert kp.to(kitty.float32) is kp
    d = kp.double()
    assert d.data.dtype == kitty.float64 and d.batch_sizes.dtype == kitty.int64 and isinstance(d, KR.PackedSequence)
    assert kp.long().data.dtype == kitty.int64 and kp.is_cuda is False and kp.is_pinned() is False
    legacy = KR.PackedSequence((data, batch_sizes))
    assert legacy.data is data and legacy.batch_sizes is batch_sizes
    explicit = KR.PackedSequence(data, batch_sizes, kitty.tensor([1, 0]))
    same_ints(explicit.unsorted_indices, torch.tensor([1, 0]))
    with pytest.raises(RuntimeError, match="no GPU backend|CPU only"):
        kp.cuda()


@pytest.mark.parametrize("make", [
    lambda lib: lib.pack_padded_sequence(lib_x(lib), [2, 3, 1]),
    lambda lib: lib.pack_padded_sequence(lib_x(lib), [3, 2]),
    lambda lib: lib.pack_padded_sequence(lib_x(lib), [3, 0, 1], enforce_sorted=False),
    lambda lib: lib.pad_packed_sequence(lib.pack_padded_sequence(lib_x(lib), [3, 2, 1]), total_length=2),
    lambda lib: lib.pad_sequence([lib_x(lib)[0]], padding_side="middle"),
    lambda lib: lib.pad_sequence([]),
    lambda lib: lib.PackedSequence(lib_x(lib)),
], ids=["unsorted", "batch", "zero_length", "total_length", "padding_side", "empty", "legacy_form"])
def test_errors_match_torch(make):
    ours, theirs = raised_as_torch(lambda: make(TR), lambda: make(KR))
    assert ours == theirs


def lib_x(lib):
    return (torch if lib is TR else kitty).zeros(4, 3, 2)


RNN_CASES = [
    # id, factory, lengths, enforce_sorted, give initial state
    ("LSTM_sorted", lambda m: m.nn.LSTM(3, 4), [5, 3, 3, 1], True, False),
    ("LSTM_bi_2layer_unsorted_h0", lambda m: m.nn.LSTM(3, 4, num_layers=2, bidirectional=True), [2, 5, 1, 5, 3], False, True),
    ("LSTM_bi_batch_first_nobias", lambda m: m.nn.LSTM(3, 2, bias=False, batch_first=True, bidirectional=True),
     [4, 1, 4], False, False),
    ("GRU_bi_2layer", lambda m: m.nn.GRU(3, 4, num_layers=2, bidirectional=True, dropout=0.0), [5, 4, 2, 2], True, True),
    ("GRU_unsorted_one_length", lambda m: m.nn.GRU(3, 4), [3, 3, 3], False, True),
    ("RNN_tanh_bi", lambda m: m.nn.RNN(3, 4, bidirectional=True), [5, 2, 4], False, True),
    ("RNN_relu_3layer", lambda m: m.nn.RNN(3, 4, num_layers=3, nonlinearity="relu"), [5, 5, 3, 2, 1], True, False),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", RNN_CASES, ids=[c[0] for c in RNN_CASES])
def test_rnn_on_packed_batch_matches_torch(case, dtype):
    name, make, lengths, enforce, with_h0 = case
    torch.manual_seed(0)
    tm = make(torch).to(getattr(torch, dtype))
    km = make(kitty).to(getattr(kitty, dtype))
    copy_weights(km, tm)
    lstm = isinstance(tm, torch.nn.LSTM)
    batch_first = tm.batch_first
    n, T = len(lengths), max(lengths)
    x = randn(*((n, T, 3) if batch_first else (T, n, 3)))
    ndir = 2 if tm.bidirectional else 1
    h0 = [randn(tm.num_layers * ndir, n, tm.hidden_size, seed=s) for s in (1, 2)[: 2 if lstm else 1]] if with_h0 else None
    results = []
    for lib, mod, R in ((torch, tm, TR), (kitty, km, KR)):
        dt = getattr(lib, dtype)
        xs = lib.tensor(x, dtype=dt, requires_grad=True)
        states = [lib.tensor(h, dtype=dt, requires_grad=True) for h in h0] if h0 else []
        packed = R.pack_padded_sequence(xs, lib.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce)
        hx = (tuple(states) if lstm else states[0]) if states else None
        out, hn = mod(packed, hx)
        assert isinstance(out, R.PackedSequence)
        finals = list(hn) if lstm else [hn]
        padded, _ = R.pad_packed_sequence(out, batch_first=batch_first)
        rng = np.random.default_rng(5)
        loss = sum((t * lib.tensor(rng.standard_normal(tuple(t.shape)), dtype=dt)).sum() for t in [padded, *finals])
        loss.backward()
        results.append((out, padded, finals, xs, states, mod))
    (t_out, t_pad, t_fin, t_x, t_st, _), (k_out, k_pad, k_fin, k_x, k_st, _) = results
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-7, atol=1e-9)
    gtol = dict(rtol=2e-3, atol=2e-4) if dtype == "float32" else dict(rtol=1e-6, atol=1e-8)
    close(k_out.data, t_out.data, **tol)
    same_ints(k_out.batch_sizes, t_out.batch_sizes)
    same_ints(k_out.sorted_indices, t_out.sorted_indices)
    close(k_pad, t_pad, **tol)
    for k, t in zip(k_fin, t_fin):
        close(k, t, **tol)
    close(k_x.grad, t_x.grad, **gtol)
    for k, t in zip(k_st, t_st):
        close(k.grad, t.grad, **gtol)
    for pname, p in tm.named_parameters():
        close(km.get_parameter(pname).grad, p.grad, **gtol)


def test_rnn_packed_errors_match_torch():
    for lib, R in ((torch, TR), (kitty, KR)):
        lstm = lib.nn.LSTM(3, 4)
        packed = R.pack_sequence([lib.zeros(3, 3), lib.zeros(2, 3)])
        # torch raises from inside its kernel here; kittygrad names the expected hidden size
        with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]" if lib is kitty else ""):
            lstm(packed, (lib.zeros(1, 3, 4), lib.zeros(1, 3, 4)))
    # torch's packed path does not check the feature size (it runs on a (3, 2) input); kittygrad refuses it
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 2"):
        kitty.nn.LSTM(3, 4)(KR.pack_sequence([kitty.zeros(3, 2)]))


def test_gru_packed_train_mode_trains_like_torch():
    torch.manual_seed(0)
    tm, km = torch.nn.GRU(2, 3, batch_first=True), kitty.nn.GRU(2, 3, batch_first=True)
    copy_weights(km, tm)
    topt, kopt = torch.optim.Adam(tm.parameters(), lr=0.05), kitty.optim.Adam(km.parameters(), lr=0.05)
    seqs = [randn(5, 2), randn(2, 2, seed=1), randn(4, 2, seed=2)]
    for _ in range(3):
        for lib, R, mod, opt in ((torch, TR, tm, topt), (kitty, KR, km, kopt)):
            opt.zero_grad()
            _, h = mod(R.pack_sequence([lib.tensor(s, dtype=lib.float32) for s in seqs], enforce_sorted=False))
            h.pow(2).sum().backward()
            opt.step()
    for name, p in tm.named_parameters():
        close(km.get_parameter(name), p, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("kw", [{}, {"bidirectional": True}, {"batch_first": True}, {"num_layers": 2},
                                {"dtype": "float64"}, {"packed": [3, 1]}, {"packed": [3, 3]}, {"packed": [1, 3]}])
def test_rnn_outputs_print_torchs_grad_fn_names(monkeypatch, mode, kw):
    """Under ``kittygrad.run`` an RNN's output and final states print the nodes torch makes them by
    (a float32 LSTM's output ``MkldnnRnnLayerBackward0``, the states ``StackBackward0``, packed
    ones put back in order ``IndexSelectBackward0``), not the fused op's one name for all."""
    from kittygrad import _display

    monkeypatch.setattr(_display, "name", "torch")  # as kittygrad.run sets it
    kw = dict(kw)
    lengths = kw.pop("packed", None)
    dtype = kw.pop("dtype", "float32")
    x = randn(3, 2, 2).astype(dtype)
    names = []
    for lib in (torch, kitty):
        module = getattr(lib.nn, mode)(2, 2, dtype=getattr(lib, dtype), **kw)
        inp = lib.tensor(x)
        if lengths is not None:
            inp = lib.nn.utils.rnn.pack_padded_sequence(inp, lengths, enforce_sorted=False if lengths[0] < lengths[1] else True)
        out, states = module(inp)
        out = out.data if lengths is not None else out
        states = states if isinstance(states, tuple) else (states,)
        names.append([repr(t).split("grad_fn=")[1] for t in (out, *states)])
    assert names[1] == names[0]


@pytest.mark.parametrize("cell", ["LSTMCell", "GRUCell", "RNNCell", "RNNCell-relu"])
@pytest.mark.parametrize("batched", [True, False])
def test_cell_outputs_print_torchs_grad_fn_names(monkeypatch, cell, batched):
    """A cell's step prints the last op torch's cell makes it by (an LSTM's h ``MulBackward0`` and c
    ``AddBackward0``, a GRU's ``AddBackward0``), an unbatched step ``SqueezeBackward1``."""
    from kittygrad import _display

    monkeypatch.setattr(_display, "name", "torch")  # as kittygrad.run sets it
    name, _, nonlinearity = cell.partition("-")
    kw = {"nonlinearity": nonlinearity} if nonlinearity else {}
    x = randn(2, 3) if batched else randn(3)
    names = []
    for lib in (torch, kitty):
        lib.manual_seed(0)
        out = getattr(lib.nn, name)(3, 2, **kw)(lib.tensor(x, dtype=lib.float32))
        names.append([repr(t).split("grad_fn=")[1] for t in (out if isinstance(out, tuple) else (out,))])
    assert names[1] == names[0]


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("lengths", [[4, 3, 1], [1, 4, 3]])
def test_packing_utilities_print_torchs_grad_fn_names(monkeypatch, batch_first, lengths):
    """``print(packed)`` shows the data's node: torch's packing op, its unpacking's buffer writes
    (CopySlices), transpose or index_select back in order, and unpad's mask indexing."""
    from kittygrad import _display

    monkeypatch.setattr(_display, "name", "torch")  # as kittygrad.run sets it
    x = randn(3, 4, 2)
    names = []
    for lib, R in ((torch, TR), (kitty, KR)):
        t = lib.tensor(x, requires_grad=True) * 1
        t = t if batch_first else t.transpose(0, 1)
        packed = R.pack_padded_sequence(t, lengths, batch_first=batch_first, enforce_sorted=lengths[0] == 4)
        padded, _ = R.pad_packed_sequence(packed, batch_first=batch_first, total_length=5)
        outs = [packed.data, padded, R.pad_sequence([t[0], t[1, :2]], batch_first=batch_first)]
        outs += R.unpack_sequence(packed) + R.unpad_sequence(t, lib.tensor(lengths), batch_first=batch_first)
        # (torch's unpad_sequence transposes a time-first batch in place: the caller's tensor is left batch-first)
        names.append([o.grad_fn.name() for o in outs] + [tuple(t.shape)])
    assert names[1] == names[0]
