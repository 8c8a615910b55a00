"""Module's device/dtype methods (to with torch's overloads, to_empty, type, half/float/double,
cpu/cuda), set_submodule/get_*, n_parameters, load_state_dict pre-hooks, and utils.swap_tensors,
against torch."""
from __future__ import annotations

import weakref

import numpy as np
import pytest
import torch

import kittygrad as kitty
from torch_errors import raised_as_torch  # (tests/ is on sys.path under pytest)


def net(lib):
    return lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3), lib.nn.Sequential(lib.nn.ReLU()))


def dtypes(m):
    return [str(t.dtype).split(".")[-1] for t in [*m.parameters(), *m.buffers()]]


@pytest.mark.parametrize("call", [
    lambda lib, m: m.to("cpu", lib.float64),
    lambda lib, m: m.to(lib.float64, True),
    lambda lib, m: m.to(device="cpu", dtype=lib.float16),
    lambda lib, m: m.to(lib.zeros(1, dtype=lib.float64)),
    lambda lib, m: m.to(tensor=lib.zeros(1, dtype=lib.float64), non_blocking=False),
    lambda lib, m: m.to("cpu:0"),
    lambda lib, m: m.to(None),
    lambda lib, m: m.to(memory_format=lib.contiguous_format) if hasattr(lib, "contiguous_format") else m.to(),
    lambda lib, m: m.double().half().float(),
    lambda lib, m: m.type(lib.float64),
    lambda lib, m: m.type("torch.DoubleTensor"),
    lambda lib, m: m.cpu(),
])
def test_to_overloads_match_torch(call):
    tm, km = net(torch), net(kitty)
    assert call(torch, tm) is tm
    assert call(kitty, km) is km
    assert dtypes(km) == dtypes(tm)


@pytest.mark.parametrize("call", [
    lambda lib, m: m.to(lib.int64),
    lambda lib, m: m.to(lib.float32, "x"),
    lambda lib, m: m.to(bogus=1),
    lambda lib, m: m.to(lib.float32, lib.float64),
    lambda lib, m: m.to("foo"),
    lambda lib, m: m.type("foo"),
    lambda lib, m: m.type(lib.int64),
    lambda lib, m: m.to_empty("cpu"),
])
def test_to_errors_match_torch(call):
    ours, theirs = raised_as_torch(lambda: call(torch, net(torch)), lambda: call(kitty, net(kitty)))
    assert ours.replace("kittygrad.", "torch.") == theirs


@pytest.mark.parametrize("call", [
    lambda m: m.to("cuda"), lambda m: m.to(0), lambda m: m.to(device="cuda:1"), lambda m: m.cuda(),
    lambda m: m.cuda(0), lambda m: m.xpu(), lambda m: m.to_empty(device="cuda"), lambda m: m.type("torch.cuda.FloatTensor"),
    lambda m: m.to("mps"),
])
def test_a_gpu_device_is_refused_clearly(call):
    m = net(kitty)
    with pytest.raises(RuntimeError, match="no GPU backend installed"):
        call(m)
    assert dtypes(m) == ["float32"] * 4 + ["float32", "float32", "int64"]


def test_to_keeps_parameter_identity_and_casts_grads():
    m = kitty.nn.Linear(2, 2)
    w = m.weight
    m(kitty.ones(1, 2)).sum().backward()
    m.double()
    assert m.weight is w and w.dtype == kitty.float64 and w.grad.dtype == kitty.float64


def test_to_empty():
    for lib in (torch, kitty):
        m = net(lib)
        w = m[0].weight
        out = m.to_empty(device="cpu")
        assert out is m and m[0].weight is w and tuple(w.shape) == (3, 2) and w.requires_grad
        assert str(m[1].num_batches_tracked.dtype).endswith("int64")
        m2 = net(lib)
        before = m2[0].weight.detach().clone()
        m2.to_empty(device="cpu", recurse=False)  # the container holds nothing itself
        assert bool((m2[0].weight == before).all())


def test_set_get_submodule_match_torch():
    def run(lib, target, strict):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sequential(lib.nn.ReLU()))
        m.set_submodule(target, lib.nn.Tanh(), strict=strict)
        return [name for name, _ in m.named_modules()], type(m.get_submodule(target)).__name__

    for target, strict in [("0", True), ("1.0", True), ("1.new", False), ("2", False)]:
        assert run(kitty, target, strict) == run(torch, target, strict)
    bad = [("", False), ("1.new", True), ("0.weight", False), ("x.y", False)]
    for target, strict in bad:
        ours, theirs = raised_as_torch(lambda: run(torch, target, strict), lambda: run(kitty, target, strict))
        assert ours == theirs
    for lib in (torch, kitty):
        with pytest.raises(ValueError, match="`module` is not an nn.Module, found <class 'int'>"):
            lib.nn.Sequential(lib.nn.ReLU()).set_submodule("0", 3)
        m = lib.nn.Module()
        m.register_module("child", lib.nn.ReLU())
        assert m.get_submodule("child") is m.child
        seq = lib.nn.Sequential(lib.nn.BatchNorm1d(2))
        assert seq.get_parameter("0.weight") is seq[0].weight and seq.get_buffer("0.running_mean") is seq[0].running_mean


def test_n_parameters():
    m = kitty.nn.Sequential(kitty.nn.Linear(3, 4), kitty.nn.Linear(4, 2))
    assert m.n_parameters() == 3 * 4 + 4 + 4 * 2 + 2
    m[0].requires_grad_(False)
    assert m.n_parameters(trainable_only=True) == 10
    shared = kitty.nn.Linear(2, 2)
    assert kitty.nn.Sequential(shared, shared).n_parameters() == 6


def test_load_state_dict_pre_hook_matches_torch():
    for lib in (torch, kitty):
        m = lib.nn.Sequential(lib.nn.Linear(1, 1))
        seen = []

        def rename(mod, sd, prefix, local_metadata, strict, missing, unexpected, errors):
            seen.append(prefix)
            if prefix + "w" in sd:
                sd[prefix + "weight"] = sd.pop(prefix + "w")

        m[0].register_load_state_dict_pre_hook(rename)
        m.load_state_dict({"0.w": lib.full((1, 1), 3.0), "0.bias": lib.zeros(1)})
        assert seen == ["0."] and float(m[0].weight) == 3.0


def test_swap_tensors_matches_torch():
    for lib in (torch, kitty):
        a, b = lib.ones(2, requires_grad=True), lib.zeros(3, dtype=lib.float64)
        a.tag = "a"
        lib.utils.swap_tensors(a, b)
        assert a.tolist() == [0.0, 0.0, 0.0] and b.tolist() == [1.0, 1.0]
        assert str(a.dtype).endswith("float64") and not a.requires_grad and b.requires_grad
        assert b.tag == "a" and not hasattr(a, "tag")
        p, t = lib.nn.Parameter(lib.ones(2)), lib.zeros(2)
        lib.utils.swap_tensors(p, t)
        assert type(p) is type(lib.zeros(1)) and isinstance(t, lib.nn.Parameter) and t.requires_grad
        x, g = lib.ones(2), lib.ones(2)
        x.grad = g
        y = lib.zeros(2)
        lib.utils.swap_tensors(x, y)
        assert x.grad is None and y.grad is g
        # a leaf already in a graph swaps, but a backward through it then fails
        leaf = lib.ones(2, requires_grad=True)
        loss = (leaf * 2).sum()
        lib.utils.swap_tensors(leaf, lib.zeros(2))
        with pytest.raises(RuntimeError, match="poisoned by swap_tensors"):
            loss.backward()
        held = lib.ones(2)
        ref = weakref.ref(held)
        with pytest.raises(RuntimeError, match="Cannot swap t1 because it has weakref associated with it"):
            lib.utils.swap_tensors(held, lib.zeros(2))
        assert ref() is held
    np.testing.assert_array_equal(a.numpy(), np.zeros(3))
