"""Short cuts for small ops that tutorial loops call thousands of times, each against the general
route it skips (to the bit) and against torch: NLL of log-probabilities with every target in
range, ``cat`` of tensors that agree, an in-place update that records nothing, and
``pad_sequence`` as one node."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.autograd import function as function_module
from kittygrad.autograd.grad_mode import _state
from kittygrad.ops import joining
from kittygrad.ops.nn import loss as loss_module


def _nll_both_routes(logp: np.ndarray, target: np.ndarray, reduction: str, upstream: np.ndarray):
    """(loss, grad) by the plain route and by the general one (a weight of ones selects it: the
    same formulas, every weight 1)."""
    results = []
    for weight in (None, kitty.ones(logp.shape[1], dtype=kitty.tensor(logp).dtype)):
        x = kitty.tensor(logp, requires_grad=True)
        out = kitty.nn.functional.nll_loss(x, kitty.tensor(target), weight=weight, reduction=reduction)
        out.backward(kitty.tensor(upstream.astype(logp.dtype)))
        results.append((out.detach().numpy(), x.grad.numpy()))
    return results


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_plain_route_gives_the_general_route_s_bits(dtype, reduction):
    rng = np.random.default_rng(3)
    logp = rng.standard_normal((9, 5)).astype(dtype)
    logp[2, 1], logp[4, 3], logp[6, 0] = np.inf, -np.inf, np.nan
    target = rng.integers(0, 5, 9)
    target[2], target[4] = 1, 3  # the inf and -inf are picked
    upstream = rng.standard_normal(9 if reduction == "none" else ()).astype(np.float64)
    (plain_loss, plain_grad), (general_loss, general_grad) = _nll_both_routes(logp, target, reduction, upstream)
    assert plain_loss.dtype == general_loss.dtype and plain_grad.dtype == general_grad.dtype
    np.testing.assert_array_equal(plain_loss, general_loss)
    np.testing.assert_array_equal(plain_grad, general_grad)
    ref = torch.tensor(logp.astype(np.float64), requires_grad=True)
    expected = torch.nn.functional.nll_loss(ref, torch.tensor(target), reduction=reduction)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(plain_grad.astype(np.float64), ref.grad.numpy(), rtol=2e-3, atol=1e-3)


def test_nll_plain_route_is_taken_only_when_every_target_counts(monkeypatch):
    taken = []
    original = loss_module.ClassNll._plain_nll_forward
    monkeypatch.setattr(loss_module.ClassNll, "_plain_nll_forward",
                        lambda self, *a: taken.append(1) or original(self, *a))
    logp = kitty.randn(4, 3).log_softmax(1)
    kitty.nn.functional.nll_loss(logp, kitty.tensor([0, 2, 1, 2]))
    assert taken == [1]
    kitty.nn.functional.nll_loss(logp, kitty.tensor([0, 2, 1, 2]), ignore_index=2)  # a target ignored
    kitty.nn.functional.nll_loss(logp, kitty.tensor([0, 2, 1, 2]), weight=kitty.ones(3))
    for lib in (kitty, torch):
        with pytest.raises((IndexError, RuntimeError), match="out of bounds"):
            lib.nn.functional.nll_loss(lib.zeros(2, 3), lib.tensor([0, 3]))
    assert taken == [1]


@pytest.mark.parametrize("parts, dim", [
    (((2, 3), (2, 1)), 1), (((2, 3), (4, 3)), 0), (((2, 3), (2, 3)), -1), (((2, 1, 3), (2, 4, 3), (2, 2, 3)), -2),
    (((3,), (0,), (2,)), 0),
])
def test_cat_of_agreeing_tensors_takes_the_short_route_and_matches_torch(monkeypatch, parts, dim):
    taken = []
    original = joining._plain_cat
    monkeypatch.setattr(joining, "_plain_cat", lambda ts, d: taken.append(original(ts, d)) or taken[-1])
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in parts]
    ks = [kitty.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_k, out_t = kitty.cat(ks, dim), torch.cat(ts, dim)
    assert taken[-1] is not None
    np.testing.assert_array_equal(out_k.detach().numpy(), out_t.detach().numpy())
    g = rng.standard_normal(tuple(out_t.shape)).astype(np.float32)
    out_k.backward(kitty.tensor(g))
    out_t.backward(torch.tensor(g))
    for k, t in zip(ks, ts):
        np.testing.assert_array_equal(k.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("make", [
    lambda m: m.cat([m.zeros(2, 3), m.zeros(3, 3)], 1),  # sizes differ off dim
    lambda m: m.cat([m.zeros(2, 3), m.zeros(2)], 0),  # ranks differ
    lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 3)], 2),  # dim out of range
    lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 3, dtype=m.float64)], 0),  # promotes
    lambda m: m.cat([m.zeros(2, 3), m.zeros(0)], 0),  # an empty 1-D tensor is skipped
    lambda m: m.cat([m.zeros(0), m.zeros(2, 3)], 0),
    lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 1, dtype=m.long)], True),  # a bool dim
    lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 3)], 1.0),
    lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 3)], m.tensor(1)),
])
def test_cat_cases_the_short_route_refuses_behave_as_torch(make):
    results = []
    for lib in (kitty, torch):
        try:
            out = make(lib)
            results.append((str(out.dtype).split(".")[-1], tuple(out.shape)))
        except (RuntimeError, IndexError, TypeError) as e:
            results.append((type(e).__mro__[-3].__name__ if type(e).__module__ != "builtins" else type(e).__name__,
                            str(e).split("\n")[0]))
    assert results[0][1] == results[1][1]


def test_inplace_update_without_recording_restores_grad_mode_when_it_fails():
    x = kitty.zeros(3)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        x.add_(kitty.ones(2, 3))
    assert _state.enabled is True
    p = kitty.zeros(3, requires_grad=True)
    p.grad = kitty.ones(3)
    p.data.add_(p.grad.data, alpha=-0.5)  # the tutorial's update, grad mode on
    assert p.grad_fn is None and p.requires_grad and _state.enabled is True
    np.testing.assert_array_equal(p.detach().numpy(), np.full(3, -0.5, np.float32))
    with kitty.no_grad():
        p.sub_(p.grad, alpha=0.5)
    assert _state.enabled is True and p.grad_fn is None
    np.testing.assert_array_equal(p.detach().numpy(), np.full(3, -1.0, np.float32))


def test_inplace_update_without_recording_is_still_seen_by_observers():
    seen = []
    function_module.observers.append(lambda kind, name, *rest: seen.append((kind, name)))
    try:
        x = kitty.zeros(3)
        x.mul_(kitty.ones(3))
    finally:
        function_module.observers.pop()
    assert ("inplace", "mul_") in seen and ("op", "Mul") not in seen  # the out-of-place half stays hidden


def test_inplace_division_of_integers_by_integers_is_still_refused():
    for lib in (kitty, torch):
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
            lib.tensor([4, 6]).div_(lib.tensor([2, 3]))


def test_forward_ad_sees_a_no_grad_inplace_update():
    import kittygrad.autograd.forward_ad as fwAD

    with fwAD.dual_level():
        x = fwAD.make_dual(kitty.ones(3), kitty.full((3,), 2.0))
        y = x * 1
        with kitty.no_grad():
            y.add_(kitty.ones(3), alpha=3.0)
        np.testing.assert_array_equal(fwAD.unpack_dual(y).tangent.numpy(), np.full(3, 2.0, np.float32))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_is_one_node_with_torch_s_values_and_gradients(batch_first, side):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((n, 2)).astype(np.float32) for n in (3, 1, 4, 0)]
    ks = [kitty.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_k = kitty.nn.utils.rnn.pad_sequence(ks, batch_first=batch_first, padding_value=7.0, padding_side=side)
    out_t = torch.nn.utils.rnn.pad_sequence(ts, batch_first=batch_first, padding_value=7.0, padding_side=side)
    np.testing.assert_array_equal(out_k.detach().numpy(), out_t.detach().numpy())
    assert out_k.is_contiguous() and out_k.stride() == out_t.stride()
    assert {type(n[0]).__name__ for n in out_k.grad_fn.next_functions} == {"AccumulateGrad"}
    g = rng.standard_normal(tuple(out_t.shape)).astype(np.float32)
    out_k.backward(kitty.tensor(g))
    out_t.backward(torch.tensor(g))
    for k, t in zip(ks, ts):
        np.testing.assert_array_equal(k.grad.numpy(), t.grad.numpy())


def test_pad_sequence_refusals_and_fill_values_match_torch():
    cases = [
        lambda m: m.nn.utils.rnn.pad_sequence([m.ones(2, 3), m.ones(1, 4)]),
        lambda m: m.nn.utils.rnn.pad_sequence([m.tensor(1.0), m.tensor(2.0)]),
        lambda m: m.nn.utils.rnn.pad_sequence([m.ones(2, dtype=m.long), m.ones(1, dtype=m.long)], padding_value=1e30),
        lambda m: m.nn.utils.rnn.pad_sequence([m.ones(2, dtype=m.long), m.ones(1, dtype=m.float64)], padding_value=2.7),
        lambda m: m.nn.utils.rnn.pad_sequence([m.ones(2), m.ones(3, dtype=m.float64)], padding_value=2.7),
        lambda m: m.nn.utils.rnn.pad_sequence([m.ones(3, 2), m.arange(2.0)]),  # broadcast, as copy_
    ]
    for make in cases:
        got = []
        for lib in (kitty, torch):
            try:
                got.append(make(lib).tolist())
            except RuntimeError as e:
                got.append(str(e).split(" (")[0])
        assert got[0] == got[1]


@pytest.mark.parametrize("value, dtype", [
    (3e9, "int32"), (2147483647.5, "int32"), (-1.0, "uint8"), (255.5, "uint8"), (-0.5, "uint8"), (9.3e18, "int64"),
    (9.2e18, "int64"), (-129.0, "int8"), (float("nan"), "int16"), (float("inf"), "int32"), (2**40, "int32"),
    (-1, "uint8"), (2.5, "int64"), (-2.5, "int8"), (300.0, "bool"),
])
def test_a_float_fill_outside_an_integer_dtype_is_refused_as_torch(value, dtype):
    got = []
    for lib in (kitty, torch):
        try:
            got.append(lib.full((2,), value, dtype=getattr(lib, dtype)).tolist())
        except RuntimeError as e:
            got.append(str(e))
    assert got[0] == got[1]


def test_pad_sequence_of_a_lower_rank_sequence_broadcasts_it_with_torch_s_gradient():
    grads = []
    for lib in (kitty, torch):
        a = lib.ones(3, 2, requires_grad=True)
        b = lib.arange(2.0).requires_grad_()
        out = lib.nn.utils.rnn.pad_sequence([a, b], padding_value=-1.0)
        (out * lib.arange(12.0).reshape(3, 2, 2)).sum().backward()
        grads.append((out.tolist(), a.grad.tolist(), b.grad.tolist()))
    assert grads[0] == grads[1]
    with pytest.raises(RuntimeError):
        kitty.nn.utils.rnn.pad_sequence([kitty.ones(3, 2), kitty.ones(2, 2, 5)])


def _both(make):
    """make(lib) under kittygrad and torch: its result (a list) or its error's first line."""
    got = []
    for lib in (kitty, torch):
        try:
            got.append(make(lib))
        except (RuntimeError, IndexError) as e:
            got.append(str(e).split("\n")[0].replace("torch.", "").replace("kittygrad.", ""))
    return got


def test_setitem_that_records_nothing_writes_in_place_with_torch_s_results_and_versions():
    def fill(lib):
        buf = lib.zeros(6, 4)
        view = buf[1:]
        for i in range(5):
            view[i] = lib.arange(4.0) + i  # a row through a view: the base sees it, both count it
        buf[0, 1:3] = 7.0
        buf[lib.tensor([0, 2])] = lib.ones(4)
        buf[buf > 6] = -1.0
        return buf.tolist(), buf._version, view._version

    got = _both(fill)
    assert got[0] == got[1]


@pytest.mark.parametrize("make", [
    lambda m: m.zeros(3).expand(2, 3).__setitem__((slice(None), 0), m.ones(2)),  # elements that share memory
    lambda m: m.zeros(2, 3).__setitem__(5, 1.0),  # out of range
    lambda m: m.zeros(2, 3).__setitem__((slice(None), 0), m.ones(3)),  # no broadcast
    lambda m: m.zeros(2, 3).__setitem__(m.tensor([True, False, True]), 1.0),  # mask of the wrong size
])
def test_setitem_that_records_nothing_refuses_as_torch(make):
    got = _both(make)
    assert got[0] == got[1]


def test_setitem_that_must_be_recorded_or_seen_still_is():
    x = kitty.zeros(3)
    x[0] = kitty.ones(()).requires_grad_()  # a value that requires grad: recorded
    assert x.requires_grad and x.grad_fn is not None
    w = kitty.ones(3, requires_grad=True)
    saved = kitty.ones(3)
    y = (saved * w).sum()  # mul saves `saved` for w's gradient
    saved[0] = 5.0  # written in place, counted
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    seen = []
    function_module.observers.append(lambda kind, name, *rest: seen.append((kind, name)))
    try:
        kitty.zeros(3)[1] = 2.0
    finally:
        function_module.observers.pop()
    assert seen == [("inplace", "indexput_")]
    with kitty.inference_mode():
        frozen = kitty.zeros(3)
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
        frozen[0] = 1.0


def test_a_view_made_without_a_node_behaves_as_torch_s_view():
    def follow(lib):
        base = lib.arange(12.0).reshape(3, 4)
        row, cell = base[1], base[2, 3]  # made while nothing requires grad: no node
        row[0] = -1.0  # written through: the base sees it, the versions count it
        w = lib.full((3, 4), 2.0, requires_grad=True)
        base.mul_(w)  # the base now requires grad: the views re-derive their grad_fn when used
        (row * 3).sum().backward(retain_graph=True)
        first = w.grad.tolist()
        w.grad = None
        cell.backward()
        return base.tolist(), row.tolist(), cell.item(), row._version, first, w.grad.tolist(), row.is_leaf

    got = _both(follow)
    assert got[0] == got[1]


def test_a_view_made_under_no_grad_without_a_node_is_refused_as_torch():
    def refused(lib):
        base = lib.zeros(3, requires_grad=True) * 1
        with lib.no_grad():
            v = base[1:]
        v.add_(1.0)  # through a view made under no_grad, with grad on: torch refuses
        return v.tolist()

    got = _both(refused)  # (kittygrad words torch's reason its own way)
    assert all(isinstance(g, str) and g.startswith("A view was created in no_grad mode and is being modified in") for g in got)


def test_zero_fill_and_copy_that_record_nothing_write_in_place_as_torch():
    def run(lib):
        g = lib.arange(12.0).reshape(3, 4)
        g[1].zero_()  # through a view: the base sees it, both count it
        g[2].fill_(lib.tensor(2.5))
        ints = lib.zeros(2, 3, dtype=lib.int32)
        ints.copy_(lib.tensor([1.7, -2.7, 3.2]))  # broadcast and cast (truncated toward zero)
        half = lib.zeros(3, dtype=lib.bfloat16).fill_(1.0 / 3.0)
        same = lib.zeros(2, 2).copy_(lib.ones(2))
        return (g.tolist(), g._version, ints.tolist(), ints._version, half.float().tolist(), same.tolist(),
                lib.zeros(2).fill_(True).tolist())

    got = _both(run)
    assert got[0] == got[1]


def test_zero_that_records_nothing_still_counts_for_saved_tensors_and_observers():
    w = kitty.ones(3, requires_grad=True)
    saved = kitty.ones(3)
    y = (saved * w).sum()
    saved.zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    seen = []
    function_module.observers.append(lambda kind, name, *rest: seen.append((kind, name)))
    try:
        kitty.ones(3).zero_()
    finally:
        function_module.observers.pop()
    assert seen == [("inplace", "fill_")]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "bfloat16"])
def test_inplace_arithmetic_written_in_place_gives_the_out_of_place_bits(dtype):
    rng = np.random.default_rng(5)
    a0 = (rng.standard_normal((3, 4)) * 7).astype(np.float64)
    b0 = (rng.standard_normal(4) * 3).astype(np.float64)
    dt = getattr(kitty, dtype)
    cases = [
        (lambda x, y: x.add_(y), lambda x, y: x + y),
        (lambda x, y: x.sub_(y), lambda x, y: x - y),
        (lambda x, y: x.mul_(y), lambda x, y: x * y),
        (lambda x, y: x.add_(y, alpha=3), lambda x, y: x + 3 * y),
        (lambda x, y: x.sub_(y, alpha=2), lambda x, y: x - 2 * y),
        (lambda x, y: x.add_(2), lambda x, y: x + 2),
        (lambda x, y: x.mul_(x), lambda x, y: x * x),  # the operand is self
    ]
    for inplace, outplace in cases:
        x, y = kitty.tensor(a0).to(dt), kitty.tensor(b0).to(dt)
        want = outplace(x, y)
        version = x._version
        got = inplace(x, y)
        assert got is x and x._version == version + 1
        np.testing.assert_array_equal(x.float().numpy(), want.float().numpy())
        if dtype != "bfloat16":
            tx = torch.tensor(a0).to(getattr(torch, dtype))
            ty = torch.tensor(b0).to(getattr(torch, dtype))
            np.testing.assert_allclose(x.numpy().astype(np.float64), inplace(tx, ty).numpy().astype(np.float64),
                                       rtol=1e-3 if dtype == "float16" else 1e-6)


def test_inplace_arithmetic_with_a_promoting_operand_takes_the_general_route():
    x = kitty.ones(3, dtype=kitty.float32)
    x.add_(kitty.tensor([0.1, 0.2, 0.3], dtype=kitty.float64))  # computed in float64, then rounded (torch)
    t = torch.ones(3, dtype=torch.float32)
    t.add_(torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64))
    np.testing.assert_array_equal(x.numpy(), t.numpy())
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        kitty.ones(3, dtype=kitty.int64).mul_(kitty.tensor([0.5, 0.5, 0.5]))
