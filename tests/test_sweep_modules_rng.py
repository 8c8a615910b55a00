"""Regression tests from a differential sweep of nn modules, nn.init, RNG and
autograd.functional against torch: each case runs the same code under both libraries."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.nn.modules import module as kitty_module


def _check_error(fn_torch, fn_kitty, exc_type=RuntimeError):
    with pytest.raises(exc_type) as torch_error:
        fn_torch()
    with pytest.raises(exc_type) as kitty_error:
        fn_kitty()
    assert str(kitty_error.value) == str(torch_error.value)


# ---- nn.init --------------------------------------------------------------------------------------


def test_uniform_init_refuses_a_reversed_range():
    _check_error(lambda: torch.nn.init.uniform_(torch.empty(2), 3, 1),
                 lambda: kitty.nn.init.uniform_(kitty.empty(2), 3, 1))


def test_trunc_normal_refuses_a_reversed_range():
    _check_error(lambda: torch.nn.init.trunc_normal_(torch.empty(2), a=1.5, b=1),
                 lambda: kitty.nn.init.trunc_normal_(kitty.empty(2), a=1.5, b=1))


def test_normal_init_refuses_a_negative_std():
    _check_error(lambda: torch.nn.init.normal_(torch.empty(2), std=-1.5),
                 lambda: kitty.nn.init.normal_(kitty.empty(2), std=-1.5))


def test_sparse_with_a_generator_permutes_with_the_default_generator():
    # torch draws the values from ``generator`` but the zero positions from the default generator
    for seed in (1, 2):
        torch.manual_seed(seed)
        kitty.manual_seed(seed)
        expected = torch.nn.init.sparse_(torch.empty(6, 4), 0.5, generator=torch.Generator().manual_seed(3))
        got = kitty.nn.init.sparse_(kitty.empty(6, 4), 0.5, generator=kitty.Generator().manual_seed(3))
        np.testing.assert_array_equal(got.numpy() == 0, expected.numpy() == 0)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)  # float32 normals: a few ulps
        np.testing.assert_array_equal(kitty.rand(3).numpy(), torch.rand(3).numpy())  # both streams moved alike


def test_calculate_correct_fan():
    for mode in ("fan_in", "fan_out", "FAN_OUT"):
        assert kitty.nn.init._calculate_correct_fan(kitty.empty(3, 4, 5), mode) == \
            torch.nn.init._calculate_correct_fan(torch.empty(3, 4, 5), mode)
    _check_error(lambda: torch.nn.init._calculate_correct_fan(torch.empty(3, 4), "fan"),
                 lambda: kitty.nn.init._calculate_correct_fan(kitty.empty(3, 4), "fan"), ValueError)


# ---- nn.Module ------------------------------------------------------------------------------------


def test_unflatten_module_error_names_unflatten():
    _check_error(lambda: torch.nn.Unflatten(1, (2, 4))(torch.ones(4, 6)),
                 lambda: kitty.nn.Unflatten(1, (2, 4))(kitty.ones(4, 6)))
    assert tuple(kitty.nn.Unflatten(-1, (2, -1))(kitty.ones(4, 6)).shape) == \
        tuple(torch.nn.Unflatten(-1, (2, -1))(torch.ones(4, 6)).shape)


@pytest.mark.parametrize("args", [(), ({"mode": "reduce-overhead"},)])
def test_module_compile_runs_in_place_and_returns_none(args):
    kwargs = args[0] if args else {}
    t, k = torch.nn.Linear(2, 1), kitty.nn.Linear(2, 1)
    try:
        assert t.compile(**kwargs) is None and k.compile(**kwargs) is None
    finally:
        # torch's compiler, set up by its first compile, turns distribution argument checks off for
        # the whole process: later tests comparing torch's ValueErrors would see none
        torch.distributions.Distribution.set_default_validate_args(True)
    assert tuple(k(kitty.ones(3, 2)).shape) == (3, 1)


def test_module_compile_refuses_mode_with_options():
    with pytest.raises(RuntimeError):
        kitty.nn.Linear(2, 1).compile(mode="default", options={"a": 1})


def _run_global_hooks(lib, module_ns):
    log = []
    handles = [
        module_ns.register_module_forward_pre_hook(lambda mod, args: log.append(("gpre", type(mod).__name__))),
        module_ns.register_module_forward_hook(lambda mod, args, out: log.append(("gfwd", type(mod).__name__))),
        module_ns.register_module_forward_hook(
            lambda mod, args, kwargs, out: log.append(("gkw", sorted(kwargs))), with_kwargs=True),
    ]
    try:
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
        net[0].register_forward_pre_hook(lambda mod, args: log.append("own pre"))
        net[0].register_forward_hook(lambda mod, args, out: log.append("own fwd"))
        net(lib.ones(1, 2))
    finally:
        for handle in handles:
            handle.remove()
    net(lib.ones(1, 2))  # removed: nothing more is logged
    return log


def test_global_module_forward_hooks_run_before_the_modules_own():
    assert _run_global_hooks(kitty, kitty_module) == _run_global_hooks(torch, torch.nn.modules.module)


def _global_always_call(lib, module_ns):
    log = []

    class Bad(lib.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    handles = [module_ns.register_module_forward_hook(lambda *a: log.append("always"), always_call=True),
               module_ns.register_module_forward_hook(lambda *a: log.append("normal"))]
    try:
        with pytest.raises(ValueError):
            Bad()(lib.ones(1))
    finally:
        for handle in handles:
            handle.remove()
    return log


def test_global_module_forward_hook_always_call():
    assert _global_always_call(kitty, kitty_module) == _global_always_call(torch, torch.nn.modules.module)


def test_global_forward_pre_hook_replaces_the_args():
    handle = kitty_module.register_module_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    try:
        out = kitty.nn.Identity()(kitty.ones(2))
    finally:
        handle.remove()
    np.testing.assert_array_equal(out.numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(kitty.nn.Identity()(kitty.ones(2)).numpy(), [1.0, 1.0])


# ---- autograd.functional ----------------------------------------------------------------------------


def _containers(value):
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_containers(v) for v in value]
    return "Tensor"


@pytest.mark.parametrize("case", [
    ("jacobian", lambda L: (lambda x, y: (x * y, x + y)), True),
    ("jacobian", lambda L: (lambda x, y: x * y), True),
    ("jacobian", lambda L: (lambda x: (x, x * 2)), False),
    ("jacobian", lambda L: (lambda x: x * 2), False),
    ("hessian", lambda L: (lambda x, y: (x * y * y).sum()), True),
])
def test_forward_mode_jacobian_containers(case):
    name, make, tuple_inputs = case
    results = []
    for lib in (torch, kitty):
        xs = (lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])) if tuple_inputs else lib.tensor([1.0, 2.0])
        fn = getattr(lib.autograd.functional, name)
        strategy = {"strategy" if name == "jacobian" else "outer_jacobian_strategy": "forward-mode"}
        results.append(fn(make(lib), xs, vectorize=True, **strategy))
    expected, got = results
    assert _containers(got) == _containers(expected)
    flat = (lambda v: [w for row in v for w in (row if isinstance(row, (list, tuple)) else [row])]
            if isinstance(v, (list, tuple)) else [v])
    for g, e in zip(flat(got), flat(expected)):
        np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy())


@pytest.mark.parametrize("name, args", [
    ("uniform_", ()), ("normal_", ()), ("trunc_normal_", ()), ("orthogonal_", ()), ("sparse_", (0.5,)),
    ("kaiming_normal_", ()), ("kaiming_uniform_", ()), ("xavier_uniform_", ()), ("xavier_normal_", ()),
])
def test_random_inits_refuse_integer_tensors(name, args):
    with pytest.raises(NotImplementedError) as expected:
        getattr(torch.nn.init, name)(torch.zeros(3, 3, dtype=torch.int64), *args)
    with pytest.raises(NotImplementedError) as got:
        getattr(kitty.nn.init, name)(kitty.zeros(3, 3, dtype=kitty.int64), *args)
    kernel = str(expected.value).split('"')[1]  # the kernel torch names: the same one is named here
    assert f'"{kernel}" not implemented' in str(got.value)


def test_state_dict_positional_arguments_warn():
    for lib in (torch, kitty):
        with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
            keys = list(lib.nn.Linear(2, 2).state_dict({}, "p."))
        assert keys == ["p.weight", "p.bias"]


# ---- RNG --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["cuda", "meta"])
def test_generator_for_another_device_is_refused(device):
    with pytest.raises(RuntimeError):
        torch.Generator(device=device)
    with pytest.raises(RuntimeError, match=f"got device '{device}'"):
        kitty.Generator(device=device)


def test_generator_for_the_cpu():
    for device in ("cpu", kitty.device("cpu")):
        g = kitty.Generator(device=device).manual_seed(4)
        np.testing.assert_array_equal(kitty.rand(3, generator=g).numpy(),
                                      torch.rand(3, generator=torch.Generator("cpu").manual_seed(4)).numpy())


@pytest.mark.parametrize("call, error", [
    (lambda lib: lib.randperm(-1), RuntimeError),
    (lambda lib: lib.rand(3, dtype=lib.int64), NotImplementedError),
    (lambda lib: lib.randn(3, dtype=lib.int64), NotImplementedError),
    (lambda lib: lib.rand(2, dtype=lib.bool), NotImplementedError),
    (lambda lib: lib.ones(1, requires_grad=True).requires_grad_(5), TypeError),
    (lambda lib: setattr(lib.ones(1), "requires_grad", 1), RuntimeError),
])
def test_draws_and_requires_grad_refuse_as_torch(call, error):
    _assert_same_error(call, error)


def _assert_same_error(call, error):
    """``call(lib)`` raises ``error`` with the same message under torch and kittygrad."""
    messages = []
    for lib in (torch, kitty):
        with pytest.raises(error) as info:
            call(lib)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_randint_takes_high_and_size_as_keywords():
    torch.manual_seed(3)
    kitty.manual_seed(3)
    assert torch.randint(high=5, size=(4,)).tolist() == kitty.randint(high=5, size=(4,)).tolist()


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Conv2d(2, 2, 3)(lib.ones(1, 2, 2, 2)),
    lambda lib: lib.nn.Conv3d(2, 2, 3)(lib.ones(1, 2, 2, 4, 4)),
    lambda lib: lib.nn.Conv2d(2, 2, 3, dilation=2)(lib.ones(1, 2, 4, 4)),
])
def test_a_kernel_larger_than_the_input_names_every_spatial_size(make):
    _assert_same_error(make, RuntimeError)


def test_a_buffer_is_a_plain_tensor_that_keeps_requires_grad_as_torch():
    for lib in (torch, kitty):
        b = lib.nn.Buffer(lib.ones(1, requires_grad=True), persistent=False)
        assert type(b) is lib.Tensor and b.requires_grad and not b.persistent
        assert isinstance(b, lib.nn.Buffer) and not isinstance(lib.ones(1), lib.nn.Buffer)
        m = lib.nn.Module()
        m.b = lib.nn.Buffer(lib.ones(2))
        m.c = b
        assert type(m.b) is lib.Tensor and list(m.state_dict()) == ["b"]
