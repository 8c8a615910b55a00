"""Bad input catalogue: each misuse raises the built-in exception type torch raises (checked
live against torch), with a message that names what was wrong, raised on purpose by kittygrad
(not a NumPy error from deep inside)."""
from __future__ import annotations

import math
import traceback

import pytest
import torch

import kittygrad as kitty
from hardening._figures import add


def F(m):
    return m.nn.functional


def _lin(m):
    m.manual_seed(0)
    return m.nn.Linear(3, 2)


def _opt_state_mismatch(m):
    lin = _lin(m)
    opt = m.optim.SGD(lin.parameters(), lr=0.1)
    state = opt.state_dict()
    state["param_groups"][0]["params"] = [0, 1, 2]  # three ids for a group of two
    opt.load_state_dict(state)


def _opt_groups_mismatch(m):
    lin = _lin(m)
    opt = m.optim.SGD(lin.parameters(), lr=0.1)
    state = opt.state_dict()
    state["param_groups"] = state["param_groups"] * 2
    opt.load_state_dict(state)


def _adam_mixed_dtypes(m):
    a = m.zeros(2, requires_grad=True)
    b = m.zeros(2, dtype=m.float64, requires_grad=True)
    opt = m.optim.Adam([a, b], lr=0.1)
    opt.step()
    # a gradient of the wrong dtype for its parameter
    a.grad = m.ones(2, dtype=m.float64)


def _set_grad_wrong_shape(m):
    a = m.zeros(2, requires_grad=True)
    a.grad = m.ones(3)


def _load_sd(m, sd_fn, strict=True):
    lin = _lin(m)
    sd = sd_fn(m, lin.state_dict())
    lin.load_state_dict(sd, strict=strict)


# (name, fn(m), words the message must contain (any of each tuple; case-insensitive))
CASES = [
    # ---- creation: sizes, dtypes ----
    ("zeros negative size", lambda m: m.zeros(2, -3), [("negative", "-3")]),
    ("ones negative size", lambda m: m.ones(-1), [("negative", "-1")]),
    ("empty negative size", lambda m: m.empty(-2, 2), [("negative", "-2")]),
    ("full negative size", lambda m: m.full((-1,), 2.0), [("negative", "-1")]),
    ("randn negative size", lambda m: m.randn(3, -1), [("negative", "-1")]),
    ("rand float size", lambda m: m.rand(2.5), [("float", "2.5", "size")]),
    ("zeros str size", lambda m: m.zeros("3"), [("str", "size")]),
    ("arange zero step", lambda m: m.arange(0, 5, 0), [("step",)]),
    ("arange wrong sign", lambda m: m.arange(0, 5, -1), [("bound", "step", "sign")]),
    ("arange nan", lambda m: m.arange(0, float("nan")), [("nan", "finite", "range")]),
    ("arange inf", lambda m: m.arange(0, float("inf")), [("inf", "finite", "range")]),
    ("linspace negative steps", lambda m: m.linspace(0, 1, -1), [("steps", "-1")]),
    ("eye negative", lambda m: m.eye(-2), [("-2", "n")]),
    ("tensor ragged", lambda m: m.tensor([[1, 2], [3]]), [("sequence", "length", "dimension", "shape")]),
    ("tensor of str", lambda m: m.tensor("abc"), [("str", "type", "number")]),
    ("tensor int requires_grad", lambda m: m.tensor([1, 2], dtype=m.int64, requires_grad=True), [("floating", "complex", "grad")]),
    ("randint low >= high", lambda m: m.randint(5, 2, (3,)), [("from", "low", "to", "high", "range")]),
    ("full_like bad input", lambda m: m.full_like([1.0], 2.0), [("tensor", "list")]),
    # ---- shapes ----
    ("add shapes", lambda m: m.ones(2, 3) + m.ones(4), [("size", "shape"), ("3",), ("4",)]),
    ("mm inner dim", lambda m: m.mm(m.ones(2, 3), m.ones(4, 5)), [("3",), ("4",)]),
    ("mm 1-d", lambda m: m.mm(m.ones(3), m.ones(3, 2)), [("2d", "2-d", "2d", "matrix", "dimension", "dim")]),
    ("matmul 0-d", lambda m: m.matmul(m.tensor(1.0), m.ones(2)), [("dimension", "0", "scalar", "1d", "at least")]),
    ("bmm 2-d", lambda m: m.bmm(m.ones(2, 3), m.ones(3, 2)), [("3d", "3-d", "batch", "dim")]),
    ("view wrong numel", lambda m: m.ones(2, 3).view(4), [("shape", "size"), ("4",), ("6",)]),
    ("view two -1", lambda m: m.ones(6).view(-1, -1), [("-1", "one dimension", "infer")]),
    ("reshape wrong numel", lambda m: m.ones(2, 3).reshape(5), [("5",), ("6",)]),
    ("expand smaller", lambda m: m.ones(3).expand(2), [("expand", "size"), ("2",), ("3",)]),
    ("cat mismatched", lambda m: m.cat([m.ones(2, 3), m.ones(2, 4)]), [("size", "sizes"), ("3", "4")]),
    ("cat empty list", lambda m: m.cat([]), [("empty", "non-empty", "tensors")]),
    ("stack mismatched", lambda m: m.stack([m.ones(2), m.ones(3)]), [("size", "equal", "shape")]),
    ("linear wrong features", lambda m: _lin(m)(m.ones(4, 5)), [("shape", "size"), ("5",)]),
    ("conv2d wrong channels", lambda m: F(m).conv2d(m.ones(1, 3, 5, 5), m.ones(2, 4, 3, 3)), [("channel", "weight", "4", "3")]),
    ("conv2d kernel too big", lambda m: F(m).conv2d(m.ones(1, 1, 2, 2), m.ones(1, 1, 3, 3)), [("kernel", "size", "input")]),
    ("layer_norm shape", lambda m: F(m).layer_norm(m.ones(2, 3), (4,)), [("normalized_shape", "shape"), ("4",)]),
    ("cross_entropy batch", lambda m: F(m).cross_entropy(m.ones(3, 4), m.tensor([0, 1])), [("batch", "size", "shape"), ("2",)]),
    ("mse shapes", lambda m: F(m).mse_loss(m.ones(3), m.ones(4)), [("size", "shape"), ("3",), ("4",)]),
    ("unflatten bad", lambda m: m.ones(6).unflatten(0, (4, -1)), [("6", "4", "size", "shape")]),
    ("split bad size", lambda m: m.ones(4).split(0), [("split", "size", "0", "non")]),
    ("chunk zero", lambda m: m.ones(4).chunk(0), [("chunk", "0", "greater")]),
    ("permute wrong count", lambda m: m.ones(2, 3).permute(0), [("dims", "dimension", "number", "permute")]),
    ("permute repeated", lambda m: m.ones(2, 3).permute(0, 0), [("repeat", "duplicate", "dim", "appear")]),
    # ---- dims and indices ----
    ("sum dim out of range", lambda m: m.ones(2, 3).sum(2), [("range", "dimension"), ("2",)]),
    ("sum dim negative", lambda m: m.ones(2, 3).sum(-3), [("range", "dimension"), ("-3",)]),
    ("softmax dim", lambda m: m.softmax(m.ones(2), dim=1), [("range", "dimension"), ("1",)]),
    ("transpose dim", lambda m: m.ones(2, 3).transpose(0, 5), [("range", "dimension"), ("5",)]),
    ("squeeze dim", lambda m: m.ones(2).squeeze(3), [("range", "dimension"), ("3",)]),
    ("unsqueeze dim", lambda m: m.ones(2).unsqueeze(3), [("range", "dimension"), ("3",)]),
    ("cat dim", lambda m: m.cat([m.ones(2), m.ones(2)], dim=1), [("range", "dimension"), ("1",)]),
    ("argmax dim", lambda m: m.ones(2, 2).argmax(dim=4), [("range", "dimension"), ("4",)]),
    ("index out of range", lambda m: m.ones(3)[3], [("3",), ("bounds", "range", "size")]),
    ("index negative out of range", lambda m: m.ones(3)[-4], [("-4",), ("bounds", "range", "size")]),
    ("index too many", lambda m: m.ones(3)[0, 0], [("too many", "dimension", "indices")]),
    ("index float", lambda m: m.ones(3)[1.0], [("float", "integer", "indices")]),
    ("index float tensor", lambda m: m.ones(3)[m.tensor([0.0])], [("long", "int", "indices")]),
    ("index bool mask shape", lambda m: m.ones(3)[m.tensor([True, False])], [("mask", "shape", "size", "index"), ("2",)]),
    ("gather index out of range", lambda m: m.gather(m.ones(2, 2), 1, m.tensor([[0, 5], [1, 0]])), [("index", "out of bounds", "range"), ("5",)]),
    ("gather index float", lambda m: m.gather(m.ones(2, 2), 1, m.tensor([[0.0]])), [("index", "int64", "long")]),
    ("embedding index out of range", lambda m: F(m).embedding(m.tensor([0, 7]), m.ones(5, 2)), [("index", "range", "bounds")]),
    ("cross_entropy target out of range", lambda m: F(m).cross_entropy(m.ones(2, 3), m.tensor([0, 3])), [("target", "bounds", "range"), ("3",)]),
    ("nll float target", lambda m: F(m).nll_loss(m.ones(2, 3), m.ones(2)), [("long", "int64", "target", "float")]),
    ("index_select float index", lambda m: m.index_select(m.ones(3), 0, m.tensor([0.0])), [("index", "long", "int")]),
    ("topk k too big", lambda m: m.ones(3).topk(5), [("k", "range", "selected")]),
    ("narrow out of range", lambda m: m.ones(3).narrow(0, 2, 5), [("start", "length", "size", "exceed")]),
    # ---- dtypes ----
    ("matmul mixed dtypes", lambda m: m.mm(m.ones(2, 2), m.ones(2, 2, dtype=m.float64)), [("float", "double", "dtype")]),
    ("int tensor backward", lambda m: m.ones(2, dtype=m.int64).sum().backward(), [("grad", "require")]),
    ("backward non-scalar", lambda m: (m.ones(2, requires_grad=True) * 2).backward(), [("scalar", "grad")]),
    ("backward no grad", lambda m: m.ones(2).sum().backward(), [("grad", "require")]),
    ("int requires_grad_", lambda m: m.ones(2, dtype=m.int64).requires_grad_(), [("floating", "grad", "complex")]),
    ("bitwise on float", lambda m: m.bitwise_and(m.ones(2), m.ones(2)), [("bitwise", "float", "not implemented", "support")]),
    ("in-place int by float", lambda m: m.ones(2, dtype=m.int64).mul_(0.5), [("result type", "cast", "float", "long")]),
    ("leaf in-place", lambda m: m.ones(2, requires_grad=True).add_(1), [("leaf",), ("in-place", "inplace")]),
    ("sub of bools", lambda m: m.tensor([True]) - m.tensor([False]), [("bool", "subtraction", "-")]),
    ("linear weight dtype", lambda m: F(m).linear(m.ones(2, 3), m.ones(2, 3, dtype=m.float64)), [("dtype", "float", "double")]),
    ("where cond float", lambda m: m.where(m.ones(2), m.ones(2), m.zeros(2)), [("bool", "condition", "byte")]),
    ("masked_fill float mask", lambda m: m.ones(2).masked_fill(m.ones(2), 0.0), [("bool", "mask")]),
    ("dtype to str", lambda m: m.ones(2).to("float32"), [("float32", "device", "dtype", "str")]),
    # ---- values: NaN / inf where they are refused ----
    ("multinomial nan", lambda m: m.multinomial(m.tensor([0.5, float("nan")]), 1), [("nan", "inf", "invalid", "probability")]),
    ("multinomial negative", lambda m: m.multinomial(m.tensor([0.5, -1.0]), 1), [("negative", "invalid", "probability")]),
    ("bernoulli p > 1", lambda m: m.bernoulli(m.tensor([1.5])), [("0 <= p <= 1", "p", "range", "between")]),
    ("bce target out of range", lambda m: F(m).binary_cross_entropy(m.tensor([0.5]), m.tensor([2.0])), [("target", "between", "0", "1")]),
    ("bce input nan", lambda m: F(m).binary_cross_entropy(m.tensor([float("nan")]), m.tensor([1.0])), [("input", "between", "0", "1")]),
    ("dropout p", lambda m: F(m).dropout(m.ones(2), p=1.5), [("probability", "p", "between", "1.5")]),
    ("normal negative std", lambda m: m.normal(0.0, -1.0, (2,)), [("std", "-1", ">= 0", "0.0")]),
    ("clamp min > max", lambda m: m.ones(2).clamp(min=m.ones(2), max="a"), [("max", "str", "tensor", "number")]),
    ("lr negative", lambda m: m.optim.SGD(_lin(m).parameters(), lr=-0.1), [("lr", "learning rate"), ("-0.1",)]),
    ("adam bad beta", lambda m: m.optim.Adam(_lin(m).parameters(), betas=(1.5, 0.9)), [("beta", "betas"), ("1.5",)]),
    ("adam negative eps", lambda m: m.optim.Adam(_lin(m).parameters(), eps=-1.0), [("epsilon", "eps"), ("-1",)]),
    ("sgd negative momentum", lambda m: m.optim.SGD(_lin(m).parameters(), lr=0.1, momentum=-1), [("momentum",), ("-1",)]),
    ("sgd nesterov without momentum", lambda m: m.optim.SGD(_lin(m).parameters(), lr=0.1, nesterov=True), [("nesterov",)]),
    ("weight decay negative", lambda m: m.optim.AdamW(_lin(m).parameters(), weight_decay=-1), [("weight_decay", "weight decay"), ("-1",)]),
    ("optimizer empty params", lambda m: m.optim.SGD([], lr=0.1), [("empty",)]),
    ("optimizer tensor params", lambda m: m.optim.SGD(m.ones(2, requires_grad=True), lr=0.1), [("iterable", "tensor", "params")]),
    ("optimizer non-leaf", lambda m: m.optim.SGD([m.ones(2, requires_grad=True) * 2], lr=0.1), [("leaf",)]),
    ("optimizer duplicate param", lambda m: (lambda p: m.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1))(m.ones(2, requires_grad=True)), [("more than one", "appear", "duplicate", "parameter group")]),
    ("optimizer load_state_dict size", _opt_state_mismatch, [("size", "length", "match", "parameter")]),
    ("optimizer load_state_dict groups", _opt_groups_mismatch, [("group", "length", "parameter")]),
    ("assign grad of wrong dtype", _adam_mixed_dtypes, [("dtype", "type", "float", "double")]),
    ("assign grad of wrong shape", _set_grad_wrong_shape, [("size", "shape"), ("3",)]),
    ("load_state_dict missing key", lambda m: _load_sd(m, lambda m, sd: {"weight": sd["weight"]}), [("missing",), ("bias",)]),
    ("load_state_dict unexpected key", lambda m: _load_sd(m, lambda m, sd: {**sd, "extra": m.ones(1)}), [("unexpected",), ("extra",)]),
    ("load_state_dict wrong shape", lambda m: _load_sd(m, lambda m, sd: {**sd, "weight": m.ones(3, 3)}), [("size", "shape"), ("weight",)]),
    ("load_state_dict wrong shape non-strict", lambda m: _load_sd(m, lambda m, sd: {**sd, "bias": m.ones(5)}, strict=False), [("size", "shape"), ("bias",)]),
    ("load_state_dict not a mapping", lambda m: _lin(m).load_state_dict([1, 2]), [("dict", "mapping", "list")]),
    ("scheduler not an optimizer", lambda m: m.optim.lr_scheduler.StepLR(object(), 1), [("optimizer",)]),
    ("module bad attr", lambda m: _lin(m).no_such_attr, [("no_such_attr",)]),
    ("Linear negative features", lambda m: m.nn.Linear(-1, 2), [("-1", "negative", "size", "dimension")]),
    ("Conv2d groups", lambda m: m.nn.Conv2d(3, 4, 3, groups=2), [("groups", "divisible")]),
    ("Dropout p", lambda m: m.nn.Dropout(2.0), [("probability", "p"), ("2",)]),
    ("DataLoader bad batch_size", lambda m: m.utils.data.DataLoader([1, 2, 3], batch_size=0), [("batch_size",), ("0",)]),
    ("DataLoader negative workers", lambda m: m.utils.data.DataLoader([1, 2], num_workers=-1), [("num_workers",)]),
    ("random_split bad lengths", lambda m: m.utils.data.random_split(range(5), [2, 2]), [("sum", "length")]),
    ("item of many", lambda m: m.ones(3).item(), [("element", "number", "scalar", "3")]),
    ("float() of many", lambda m: float(m.ones(3)), [("element", "scalar", "convert")]),
    ("int() of many", lambda m: int(m.ones(3)), [("element", "scalar", "convert")]),
    ("numpy of requires_grad", lambda m: (m.ones(2, requires_grad=True) * 1).numpy(), [("detach", "grad")]),
    ("bool of many", lambda m: bool(m.ones(3)), [("ambiguous", "more than one")]),
]


def _builtin(exc):
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls
    return Exception


def _last_frame_file(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    return frames[-1].filename if frames else ""


def _id(c):
    return c.values[0] if hasattr(c, "values") else c[0]


@pytest.mark.parametrize("name,fn,words", CASES, ids=[_id(c) for c in CASES])
def test_bad_input(name, fn, words):
    with pytest.raises(Exception) as t_info:
        fn(torch)
    expected = _builtin(t_info.value)
    with pytest.raises(Exception) as k_info:
        fn(kitty)
    exc = k_info.value
    add(f"bad inputs tried of the catalogue's {len(CASES)} (each checked against torch live)", 1)
    assert isinstance(exc, expected), f"torch raises {type(t_info.value).__name__}, kittygrad {type(exc).__name__}: {exc}"
    last = _last_frame_file(exc)
    assert "/numpy/" not in last, f"a NumPy error leaked from {last}: {exc}"
    msg = str(exc).lower()
    assert len(msg) >= 12, f"message too short: {msg!r}"
    for alternatives in words:
        assert any(w.lower() in msg for w in alternatives), f"message {str(exc)!r} names none of {alternatives}"


def test_nan_and_inf_flow_through_like_torch():
    """Non-finite values are data, not errors: the same NaN/inf positions as torch."""
    vals = [0.0, -0.0, 1.0, float("nan"), float("inf"), -float("inf")]
    for fname in ("exp", "log", "sqrt", "tanh", "sigmoid", "reciprocal", "sin", "floor", "sign"):
        k = getattr(kitty, fname)(kitty.tensor(vals, dtype=kitty.float64)).tolist()
        t = getattr(torch, fname)(torch.tensor(vals, dtype=torch.float64)).tolist()
        for a, b in zip(k, t):
            assert (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-15), (fname, k, t)
    k = kitty.tensor(vals).max()
    assert math.isnan(k.item()) and math.isnan(torch.tensor(vals).max().item())
