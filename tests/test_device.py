"""Devices as PyTorch scripts use them, checked live against torch (a CPU-only build).

``kittygrad.device`` with torch's constructor forms and errors; ``Tensor.device``/``to``/``cpu``/
``cuda``; ``device=`` on every factory; ``kittygrad.cuda``, ``backends``, ``accelerator``, ``mps``;
the deterministic-algorithms switch. Where torch has no GPU backend either, kittygrad raises its one
clear error (``kittygrad.device.unavailable``) instead of torch's mix of AssertionError,
NotImplementedError and RuntimeError.
"""
from __future__ import annotations

import contextlib
import io
import pickle
import re

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.errors import KittyRuntimeError, KittyTypeError, KittyValueError

NO_GPU = "kittygrad has no GPU backend installed"


def _norm(message: str) -> str:
    return message.replace("torch.", "kittygrad.")


def _outcome(fn):
    """``("ok", value)`` or ``("raise", exception type's builtin base, message)``."""
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - comparing what each library raises
        base = next(c for c in type(e).__mro__ if c.__module__ == "builtins")
        return ("raise", base, _norm(str(e)))


def _same_outcome(kitty_fn, torch_fn, compare=lambda k, t: k == t):
    k, t = _outcome(kitty_fn), _outcome(torch_fn)
    if t[0] == "raise":
        assert k[0] == "raise", f"torch raised {t[1].__name__}: {t[2]!r}; kittygrad returned {k[1]!r}"
        assert issubclass(k[1], t[1]), (k, t)
        assert k[2] == t[2]
    else:
        assert k[0] == "ok", f"kittygrad raised {k[1].__name__}: {k[2]}; torch returned {t[1]!r}"
        assert compare(k[1], t[1]), (k[1], t[1])
    return k, t


def _no_gpu(excinfo, device_text: str | None = None):
    assert excinfo.type is KittyRuntimeError
    message = str(excinfo.value)
    assert message.startswith(NO_GPU), message
    assert "kittygrad runs on the CPU (use device='cpu')" in message
    if device_text is not None:
        assert f"{device_text} is not available" in message, message


# ---- kittygrad.device ---------------------------------------------------------------------------
def _subst(lib, value):
    """Build a library's own device for the ``("DEV", text)`` placeholder in a case."""
    if isinstance(value, tuple) and value and value[0] == "DEV":
        return lib.device(value[1])
    return value


CONSTRUCT = [
    (("cpu",), {}), (("cpu:0",), {}), (("cpu", 0), {}), ((("DEV", "cpu:0"),), {}), ((), {"type": "cpu", "index": 0}),
    ((), {"type": "cpu"}), (("cpu",), {"index": 0}), (("cpu", None), {}), ((), {"type": "cpu", "index": None}),
    ((), {"device": "cpu"}), ((), {"device": ("DEV", "cpu:1")}), (("cpu:1",), {}), (("cpu:127",), {}),
    (("cuda",), {}), (("cuda:1",), {}), (("cuda", 3), {}), (("mps",), {}), (("meta",), {}), (("xpu",), {}),
    (("xpu:3",), {}), (("hip",), {}), (("xla",), {}), (("privateuseone:0",), {}), ((("DEV", "cuda:1"),), {}),
    # errors, with torch's types and messages
    (("gpu",), {}), (("gpu:0",), {}), (("CPU",), {}), (("cpu_",), {}), ((" cpu",), {}), (("cpu:",), {}),
    (("cpu:x",), {}), (("cpu:-1",), {}), (("cpu:00",), {}), (("cpu:01",), {}), (("cpu:+1",), {}),
    (("cuda:1:2",), {}), (("cuda0",), {}), ((":0",), {}), (("",), {}), (("cpu:99999999999",), {}),
    (("cpu", -1), {}), (("cuda", -2), {}), ((-1,), {}), (("cpu:0", 0), {}), ((), {"type": "cpu:0"}),
    ((), {"type": "cpu:0", "index": 1}), (("cpu", "0"), {}), (("cpu", 1.0), {}), (("cpu", True), {}),
    (((("DEV", "cpu")), 0), {}), ((1.5, 0), {}), ((None,), {}), ((), {}), ((1.5,), {}), ((True,), {}),
    (("cpu", 0, 1), {}), (("cpu",), {"foo": 1}), (("cpu",), {"device": "cpu"}),
]


@pytest.mark.parametrize("args,kwargs", CONSTRUCT, ids=[repr(c) for c in CONSTRUCT])
def test_device_constructor_matches_torch(args, kwargs):
    def make(lib):
        def build():
            d = lib.device(*[_subst(lib, a) for a in args], **{k: _subst(lib, v) for k, v in kwargs.items()})
            return (repr(d), str(d), d.type, d.index)

        return build

    _same_outcome(make(kitty), make(torch))


def test_device_from_an_index_is_an_accelerator_that_kittygrad_lacks():
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        torch.device(0)
    with pytest.raises(RuntimeError) as excinfo:
        kitty.device(0)
    _no_gpu(excinfo, "accelerator device 0")


PAIRS = [("cpu", "cpu"), ("cpu", "cpu:0"), ("cpu:0", "cpu:0"), ("cpu:0", "cpu:1"), ("cuda", "cpu"),
         ("cuda:1", "cuda:1"), ("meta", "meta")]


@pytest.mark.parametrize("a,b", PAIRS)
def test_device_equality_and_hash_match_torch(a, b):
    assert (kitty.device(a) == kitty.device(b)) == (torch.device(a) == torch.device(b))
    assert (kitty.device(a) != kitty.device(b)) == (torch.device(a) != torch.device(b))
    if kitty.device(a) == kitty.device(b):
        assert hash(kitty.device(a)) == hash(kitty.device(b))
    assert len({kitty.device(a), kitty.device(b)}) == len({torch.device(a), torch.device(b)})


def test_device_compares_unequal_to_strings_and_is_immutable_and_picklable():
    assert (kitty.device("cpu") == "cpu") is (torch.device("cpu") == "cpu") is False
    assert kitty.device("cpu") != 0
    with pytest.raises(AttributeError):
        kitty.device("cpu").type = "cuda"
    for text in ("cpu", "cpu:0", "cuda:1"):
        d = kitty.device(text)
        assert pickle.loads(pickle.dumps(d)) == d
    assert repr(kitty.device) == "<class 'kittygrad.device'>"
    assert f"{kitty.device('cpu:0')}" == f"{torch.device('cpu:0')}" == "cpu:0"


def test_device_as_a_context_manager_sets_the_default_device():
    for lib in (kitty, torch):
        dev = lib.device("cpu:0")
        with dev as entered:
            assert entered is dev
            assert repr(lib.get_default_device()) == "device(type='cpu', index=0)"
            with lib.device("cpu"):
                assert repr(lib.get_default_device()) == "device(type='cpu')"
            assert lib.get_default_device() == dev
            assert repr(lib.zeros(1).device) == "device(type='cpu')"
        assert repr(lib.get_default_device()) == "device(type='cpu')"


def test_a_gpu_or_meta_device_context_is_refused_and_leaves_the_default_alone():
    with pytest.raises(RuntimeError) as excinfo:
        with kitty.device("cuda"):
            pass
    _no_gpu(excinfo, "device 'cuda'")
    with pytest.raises(KittyRuntimeError, match="does not support the meta device"):
        with kitty.device("meta"):
            pass
    assert kitty.get_default_device() == kitty.device("cpu")


def test_get_and_set_default_device_match_torch():
    try:
        for value in ("cpu:0", None, "cpu", kitty.device("cpu"), None):
            kitty.set_default_device(value)
            torch.set_default_device(_subst(torch, ("DEV", str(value))) if isinstance(value, kitty.device) else value)
            assert repr(kitty.get_default_device()) == repr(torch.get_default_device())
        for bad in ("gpu", 5.0, -1):
            k, t = _outcome(lambda b=bad: kitty.set_default_device(b)), _outcome(lambda b=bad: torch.set_default_device(b))
            assert k[0] == t[0] == "raise" and issubclass(k[1], t[1])
            if bad != 5.0:  # torch names its device() overloads here, kittygrad the argument
                assert k[2] == t[2]
        with pytest.raises(RuntimeError) as excinfo:
            kitty.set_default_device("cuda")  # torch defers this error to the first factory call
        _no_gpu(excinfo, "device 'cuda'")
        assert kitty.get_default_device() == kitty.device("cpu")
    finally:
        kitty.set_default_device(None)
        torch.set_default_device(None)


# ---- Tensor's device API ------------------------------------------------------------------------
def test_tensor_device_attributes_match_torch():
    k, t = kitty.zeros(2), torch.zeros(2)
    assert repr(k.device) == repr(t.device) == "device(type='cpu')"
    assert str(k.device) == "cpu" and k.device == kitty.device("cpu")
    for name in ("is_cuda", "is_cpu", "is_meta", "is_mps", "is_xpu"):
        assert getattr(k, name) is getattr(t, name), name
    assert k.get_device() == t.get_device() == -1
    assert k.cpu() is k and t.cpu() is t
    assert k.cpu(memory_format=kitty.contiguous_format) is k


@pytest.mark.parametrize("call", [
    lambda x: x.cuda(), lambda x: x.cuda(0), lambda x: x.cuda("cuda:1"), lambda x: x.cuda(device="cuda:1"),
    lambda x: x.cuda(non_blocking=True), lambda x: x.xpu(), lambda x: x.to("cuda"), lambda x: x.to("cuda:0"),
    lambda x: x.to(device="mps"), lambda x: x.to("cuda", torch.float64 if isinstance(x, torch.Tensor) else kitty.float64),
    lambda x: x.to(0), lambda x: x.to(dtype=None, device="xpu"),
])
def test_asking_for_gpu_data_raises_one_clear_error(call):
    with pytest.raises(Exception):  # noqa: B017 - torch's type varies (AssertionError, RuntimeError)
        call(torch.zeros(2))
    with pytest.raises(RuntimeError) as excinfo:
        call(kitty.zeros(2))
    _no_gpu(excinfo)


def test_asking_for_meta_data_is_refused_clearly():
    # (.to("meta") gives a tensor without data: tests/test_meta.py)
    for call in (lambda: kitty.zeros(2, device="meta"),
                 lambda: kitty.zeros(2).new_full((2,), 1.0, device=kitty.device("meta"))):
        with pytest.raises(KittyRuntimeError, match=r"does not support the meta device \('meta'\).*shape propagation"):
            call()


# ---- Tensor.to ----------------------------------------------------------------------------------
def _lib_args(lib, spec, other):
    """Resolve a case's placeholders: "f64" → lib.float64, ("DEV", s) → lib.device(s), "OTHER" → other."""
    names = {"f32": "float32", "f64": "float64", "i64": "int64", "i32": "int32"}

    def one(v):
        if isinstance(v, str) and v in names:
            return getattr(lib, names[v])
        if isinstance(v, str) and v in ("preserve_format", "contiguous_format", "channels_last", "channels_last_3d"):
            return getattr(lib, v)
        if v == "OTHER":
            return other
        return _subst(lib, v)

    args, kwargs = spec
    return [one(a) for a in args], {k: one(v) for k, v in kwargs.items()}


TO_CASES = [
    (("f64",), {}), (("f32",), {}), (("f32",), {"copy": True}), (("cpu",), {}), (("cpu:0",), {}),
    ((("DEV", "cpu"),), {}), ((("DEV", "cpu:1"),), {}), ((), {"device": "cpu"}), ((), {"device": None}), ((), {}),
    ((None,), {}), ((None, None), {}), (("cpu", "f64"), {}), (("cpu",), {"dtype": "f64"}),
    ((), {"device": "cpu", "dtype": "f64"}), (("OTHER",), {}), (("OTHER",), {"copy": True}), (("OTHER", True), {}),
    (("OTHER", True, True), {}), (("OTHER", False, True), {}), ((), {"tensor": "OTHER"}), (("f64", True), {}),
    (("f32", False, True), {}), (("f32",), {"non_blocking": True}), (("cpu", "f32", False, True), {}),
    (("cpu", "f32", True), {}), (("cpu", None), {}), ((None, "f64"), {}), (("cpu", None, False, True), {}),
    ((), {"copy": True}), ((), {"non_blocking": True}), ((), {"device": "cpu", "copy": True}),
    ((None,), {"copy": True}), ((float,), {}), ((int,), {}), ((bool,), {}), (("i32",), {}),
    ((("DEV", "cpu"), "f64"), {}), (("f64",), {"copy": True, "non_blocking": False}),
    ((), {"dtype": "f32", "non_blocking": False, "copy": False, "memory_format": "preserve_format"}),
    (("f32",), {"memory_format": "preserve_format"}), (("f32",), {"memory_format": "contiguous_format"}),
    ((), {"memory_format": None}), (("OTHER",), {"memory_format": "preserve_format"}),
    # errors: torch's TypeError and message
    (("f32", "f64"), {}), (("cpu", "cpu"), {}), (("float32",), {}), (("gpu",), {}), ((), {"dtype": "float32"}),
    (("f32",), {"dtype": "f64"}), (("cpu",), {"device": "cpu"}), (("OTHER",), {"dtype": "f64"}),
    (("OTHER",), {"device": "cpu"}), (("f64",), {"device": "cpu"}), (("cpu", "f64"), {"dtype": None}),
    ((), {"copy": 1}), ((), {"non_blocking": "a"}), (("f32",), {"copy": None}), (("f32", 1), {}),
    (("f32", 1.0), {}), (("f32", "cpu"), {}), (("cpu", "f32", "cpu"), {}), (([1],), {}), ((None, False, True), {}),
    ((), {"memory_format": "a"}), (("f32", False, True, "preserve_format"), {}), (("OTHER", 1), {}),
    (("cpu", "f32", False, True, "preserve_format"), {}), ((), {"other": "OTHER"}), ((-1,), {}),
    (("f32",), {"memory_format": "channels_last"}), ((), {"copy": True, "memory_format": "channels_last_3d"}),
]


def _to_summary(x, y):
    name = None if y.grad_fn is None else re.sub(r"\d+$", "", y.grad_fn.name())
    return (y is x, str(y.dtype).split(".")[-1], y.requires_grad, y.is_leaf, name, y.stride(), y.detach().tolist())


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("spec", TO_CASES, ids=[repr(c) for c in TO_CASES])
def test_to_overloads_match_torch(spec, requires_grad):
    data = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
    k = kitty.tensor(data, requires_grad=requires_grad)
    t = torch.tensor(data, requires_grad=requires_grad)
    k_other, t_other = kitty.tensor([1, 2]), torch.tensor([1, 2])

    def run(lib, x, other):
        args, kwargs = _lib_args(lib, spec, other)
        return lambda: _to_summary(x, x.to(*args, **kwargs))

    _same_outcome(run(kitty, k, k_other), run(torch, t, t_other))


@pytest.mark.parametrize("shape,perm,spec", [
    ((2, 3), (1, 0), (("f64",), {})),
    ((2, 3), (1, 0), (("f64",), {"memory_format": "contiguous_format"})),
    ((2, 3), (1, 0), (("f64",), {"memory_format": "preserve_format"})),
    ((2, 3), (1, 0), ((), {"copy": True})),
    ((2, 3), (1, 0), ((), {"copy": True, "memory_format": "contiguous_format"})),
    ((2, 3), (1, 0), ((), {"memory_format": "contiguous_format"})),
    ((1, 2, 3, 4), (0, 1, 2, 3), ((), {"memory_format": "channels_last"})),
    ((1, 2, 3, 4), (0, 1, 2, 3), (("f64",), {"memory_format": "channels_last"})),
    ((2, 3, 4, 5), (0, 1, 2, 3), ((), {"copy": True, "memory_format": "channels_last"})),
    ((2, 3, 4, 5), (0, 1, 2, 3), ((), {"memory_format": "channels_last_3d"})),
    ((1, 2, 3, 4, 5), (0, 1, 2, 3, 4), ((), {"memory_format": "channels_last_3d"})),
    ((2, 3), (0, 1), ((), {"memory_format": "channels_last"})),
])
def test_to_memory_format_gives_torchs_strides(shape, perm, spec):
    data = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)

    def run(lib):
        x = lib.tensor(data).permute(*perm)
        args, kwargs = _lib_args(lib, spec, None)
        return lambda: _to_summary(x, x.to(*args, **kwargs))

    _same_outcome(run(kitty), run(torch))


def test_a_channels_last_tensor_stays_and_goes_back_as_torch():
    data = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    for fmt in ("channels_last", "contiguous_format", "preserve_format"):
        k = kitty.tensor(data).to(memory_format=kitty.channels_last)
        t = torch.tensor(data).to(memory_format=torch.channels_last)
        assert _to_summary(k, k.to(memory_format=getattr(kitty, fmt))) == _to_summary(t, t.to(memory_format=getattr(torch, fmt)))
        assert k.is_contiguous() == t.is_contiguous()


def test_to_copies_are_differentiable_as_torchs():
    data = np.array([[1.5, -2.0], [0.25, 3.0]], dtype=np.float32)
    for spec in ((("f64",), {}), ((), {"copy": True}), (("cpu:0",), {}), ((), {"memory_format": "channels_last"})):
        grads = []
        for lib in (kitty, torch):
            x = lib.tensor(data.reshape(1, 1, 2, 2) if "memory_format" in spec[1] else data, requires_grad=True)
            args, kwargs = _lib_args(lib, spec, None)
            y = x.to(*args, **kwargs)
            (y * y).sum().backward()
            grads.append((x.grad.detach().numpy(), str(x.grad.dtype).split(".")[-1]))
        np.testing.assert_allclose(grads[0][0], grads[1][0])
        assert grads[0][1] == grads[1][1]


def test_to_with_python_types_follows_torch_not_the_default_dtype():
    old = kitty.get_default_dtype()
    try:
        kitty.set_default_dtype(kitty.float64)
        assert kitty.zeros(2, dtype=kitty.float32).to(float).dtype is kitty.float64
        kitty.set_default_dtype(kitty.float32)
        assert kitty.zeros(2).to(float).dtype is kitty.float64  # torch: Python float is float64
    finally:
        kitty.set_default_dtype(old)


def test_to_refuses_numbers_where_torch_has_quirks():
    # torch reads x.to(True) as dtype bool and x.to(5.0) as float64; kittygrad asks for a dtype
    for arg in (True, 5.0):
        with pytest.raises(KittyTypeError, match=r"to\(\) received an invalid combination of arguments"):
            kitty.zeros(2).to(arg)


# ---- device= on every factory -------------------------------------------------------------------
def _factories(lib):
    x = lib.ones(2, 3)
    return {
        "tensor": lambda d: lib.tensor([1.0, 2.0], device=d),
        "as_tensor": lambda d: lib.as_tensor([1.0, 2.0], device=d),
        "zeros": lambda d: lib.zeros(2, 3, device=d),
        "ones": lambda d: lib.ones((2,), device=d),
        "empty": lambda d: lib.empty(2, device=d),
        "full": lambda d: lib.full((2,), 1.5, device=d),
        "arange": lambda d: lib.arange(3, device=d),
        "linspace": lambda d: lib.linspace(0, 1, 3, device=d),
        "logspace": lambda d: lib.logspace(0, 1, 3, device=d),
        "eye": lambda d: lib.eye(2, device=d),
        "rand": lambda d: lib.rand(2, device=d),
        "randn": lambda d: lib.randn(2, 3, device=d),
        "randint": lambda d: lib.randint(0, 5, (3,), device=d),
        "randperm": lambda d: lib.randperm(4, device=d),
        "normal": lambda d: lib.normal(0.0, 1.0, (2,), device=d),
        "zeros_like": lambda d: lib.zeros_like(x, device=d),
        "ones_like": lambda d: lib.ones_like(x, device=d),
        "empty_like": lambda d: lib.empty_like(x, device=d),
        "full_like": lambda d: lib.full_like(x, 2.0, device=d),
        "rand_like": lambda d: lib.rand_like(x, device=d),
        "randn_like": lambda d: lib.randn_like(x, device=d),
        "randint_like": lambda d: lib.randint_like(x, 3, device=d),
        "Tensor": lambda d: lib.Tensor([1.0], device=d),
        "new_tensor": lambda d: x.new_tensor([1.0], device=d),
        "new_zeros": lambda d: x.new_zeros(2, device=d),
        "new_ones": lambda d: x.new_ones((2,), device=d),
        "new_empty": lambda d: x.new_empty(2, device=d),
        "new_full": lambda d: x.new_full((2,), 1.0, device=d),
    }


FACTORIES = sorted(_factories(kitty))


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("dev", ["cpu", "cpu:0", ("DEV", "cpu"), ("DEV", "cpu:3"), None])
def test_factories_take_a_cpu_device(name, dev):
    k = _factories(kitty)[name](_subst(kitty, dev))
    t = _factories(torch)[name](_subst(torch, dev))
    assert repr(k.device) == repr(t.device) == "device(type='cpu')"
    assert tuple(k.shape) == tuple(t.shape) and str(k.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]


@pytest.mark.parametrize("name", FACTORIES)
@pytest.mark.parametrize("dev", ["cuda", "cuda:1", ("DEV", "cuda"), "mps", "xpu"])
def test_factories_refuse_a_gpu_device_with_the_one_error(name, dev):
    with pytest.raises(Exception):  # noqa: B017 - torch: AssertionError / NotImplementedError / RuntimeError
        _factories(torch)[name](_subst(torch, dev))
    with pytest.raises(RuntimeError) as excinfo:
        _factories(kitty)[name](_subst(kitty, dev))
    _no_gpu(excinfo, f"device '{dev[1] if isinstance(dev, tuple) else dev}'")


@pytest.mark.parametrize("make", [
    lambda m, d: m.nn.Linear(4, 2, device=d), lambda m, d: m.nn.Linear(4, 2, True, d),
    lambda m, d: m.nn.Embedding(5, 3, device=d), lambda m, d: m.nn.LSTM(3, 4, device=d),
    lambda m, d: m.nn.TransformerEncoderLayer(8, 2, 16, device=d),
], ids=["Linear", "Linear positional", "Embedding", "LSTM", "TransformerEncoderLayer"])
def test_layers_refuse_a_gpu_device_as_the_factories(make):
    # the layers' device= was dropped, so a layer asked for on a GPU was built on the CPU
    assert {p.device.type for p in make(kitty, "cpu").parameters()} == {"cpu"}
    for dev in ("cuda", "cuda:1", "mps"):
        with pytest.raises(Exception):  # noqa: B017 - torch: AssertionError / NotImplementedError
            make(torch, dev)
        with pytest.raises(RuntimeError) as excinfo:
            make(kitty, dev)
        _no_gpu(excinfo, f"device '{dev}'")
    _same_outcome(lambda: make(kitty, "gpu"), lambda: make(torch, "gpu"))


@pytest.mark.parametrize("name", FACTORIES)
def test_factories_refuse_meta_and_bad_devices(name):
    with pytest.raises(KittyRuntimeError, match="does not support the meta device"):
        _factories(kitty)[name]("meta")
    for bad in ("gpu", "cpu:x", -1):
        _same_outcome(lambda b=bad: _factories(kitty)[name](b), lambda b=bad: _factories(torch)[name](b))
    with pytest.raises(TypeError, match="argument 'device' must be kittygrad.device, not float"):
        _factories(kitty)[name](5.0)


# ---- kittygrad.cuda -----------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    "is_available()", "device_count()", "is_initialized()", "is_bf16_supported()", "is_bf16_supported(False)",
    "get_arch_list()", "manual_seed(1)", "manual_seed_all(3)", "manual_seed(1.5)", "manual_seed('a')",
    "manual_seed(None)", "seed()", "seed_all()", "empty_cache()", "memory_allocated()", "memory_allocated(0)",
    "max_memory_allocated()", "memory_reserved()", "max_memory_reserved()", "memory_stats()",
    "get_rng_state_all()", "set_rng_state_all([])", "set_device(-1)", "set_device('cpu')",
])
def test_cuda_queries_match_torch(call):
    _same_outcome(lambda: eval("kitty.cuda." + call), lambda: eval("torch.cuda." + call))


@pytest.mark.parametrize("call", [
    "init()", "current_device()", "get_device_name()", "get_device_name(0)", "get_device_properties(0)",
    "get_device_capability()", "synchronize()", "initial_seed()", "get_rng_state()", "set_device(0)",
    "set_device('cuda:0')", "reset_peak_memory_stats()",
])
def test_cuda_calls_that_need_a_gpu_raise_the_one_error(call):
    with pytest.raises(Exception):  # noqa: B017 - torch: AssertionError or AttributeError
        eval("torch.cuda." + call)
    with pytest.raises(RuntimeError) as excinfo:
        eval("kitty.cuda." + call)
    _no_gpu(excinfo, "device 'cuda'")
    assert f"kittygrad.cuda.{call.split('(')[0]}() needs it" in str(excinfo.value)


def test_cuda_set_rng_state_is_a_no_op_as_torchs_deferred_one():
    assert kitty.cuda.set_rng_state(kitty.zeros(2, dtype=kitty.uint8)) is None
    assert torch.cuda.set_rng_state(torch.zeros(2, dtype=torch.uint8)) is None
    with pytest.raises(KittyValueError, match="Expected a cuda device, but got: cpu"):
        kitty.cuda.set_device(kitty.device("cpu"))


# ---- kittygrad.backends, accelerator, mps -------------------------------------------------------
@pytest.fixture
def restore_backend_flags():
    names = ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit")
    saved = {n: getattr(kitty.backends.cudnn, n) for n in names}
    matmul = kitty.backends.cuda.matmul.allow_tf32
    yield
    for n, v in saved.items():
        setattr(kitty.backends.cudnn, n, v)
    kitty.backends.cuda.matmul.allow_tf32 = matmul
    for kind in ("flash", "mem_efficient", "math", "cudnn"):
        getattr(kitty.backends.cuda, f"enable_{kind}_sdp")(True)


def test_cudnn_flags_match_torch_and_can_be_set(restore_backend_flags):
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit"):
        assert getattr(kitty.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    assert kitty.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False
    assert kitty.backends.cudnn.version() is torch.backends.cudnn.version() is None
    kitty.backends.cudnn.benchmark = True
    kitty.backends.cudnn.deterministic = True
    assert kitty.backends.cudnn.benchmark and kitty.backends.cudnn.deterministic
    with kitty.backends.cudnn.flags(enabled=False, deterministic=False):
        assert not kitty.backends.cudnn.enabled and not kitty.backends.cudnn.deterministic
    assert kitty.backends.cudnn.enabled and kitty.backends.cudnn.deterministic


def test_cuda_backend_switches_match_torch(restore_backend_flags):
    for name in ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
        assert getattr(kitty.backends.cuda.matmul, name) == getattr(torch.backends.cuda.matmul, name), name
    kitty.backends.cuda.matmul.allow_tf32 = True
    assert kitty.backends.cuda.matmul.allow_tf32 is True
    _same_outcome(lambda: kitty.backends.cuda.matmul.foo, lambda: torch.backends.cuda.matmul.foo)
    _same_outcome(lambda: setattr(kitty.backends.cuda.matmul, "foo", 1),
                  lambda: setattr(torch.backends.cuda.matmul, "foo", 1))
    assert kitty.backends.cuda.is_built() is torch.backends.cuda.is_built() is False
    for kind in ("flash", "mem_efficient", "math", "cudnn"):
        assert getattr(kitty.backends.cuda, f"{kind}_sdp_enabled")() == getattr(torch.backends.cuda, f"{kind}_sdp_enabled")()
        getattr(kitty.backends.cuda, f"enable_{kind}_sdp")(False)
        assert getattr(kitty.backends.cuda, f"{kind}_sdp_enabled")() is False
        with pytest.raises(RuntimeError, match="expects a bool, but got int"):
            getattr(kitty.backends.cuda, f"enable_{kind}_sdp")(1)




def test_allow_tf32_is_the_float32_matmul_precision_as_torch(restore_backend_flags):
    """nanoGPT sets ``backends.cuda.matmul.allow_tf32 = True``; other scripts set the precision and read either."""
    seen = []
    for lib in (kitty, torch):
        runs = []
        for precision in ("medium", "high", "highest"):
            lib.set_float32_matmul_precision(precision)
            runs.append(lib.backends.cuda.matmul.allow_tf32)
        for flag in (True, False):
            lib.backends.cuda.matmul.allow_tf32 = flag
            runs.append(lib.get_float32_matmul_precision())
        seen.append(runs)
    assert seen[0] == seen[1] == [True, True, False, "high", "highest"]

def test_sdp_kernel_switches_show_in_the_flags_as_torch(restore_backend_flags):
    """nanoGPT-era code wraps attention in ``backends.cuda.sdp_kernel(...)`` (deprecated); it and
    ``nn.attention.sdpa_kernel`` set the ``*_sdp_enabled()`` flags for the block, then restore them."""
    kinds = ("flash", "mem_efficient", "math", "cudnn")

    def flags(lib):
        return [getattr(lib.backends.cuda, f"{kind}_sdp_enabled")() for kind in kinds]

    for lib in (kitty, torch):
        with pytest.warns(FutureWarning, match=r"backends\.cuda\.sdp_kernel\(\)` is deprecated"):
            ctx = lib.backends.cuda.sdp_kernel(enable_flash=True, enable_math=False, enable_mem_efficient=False)
        with ctx:
            inside = flags(lib)
        with lib.nn.attention.sdpa_kernel([lib.nn.attention.SDPBackend.FLASH_ATTENTION, lib.nn.attention.SDPBackend.MATH]):
            inside_new = flags(lib)
        assert (inside, inside_new, flags(lib)) == ([True, False, False, True], [True, False, True, False], [True] * 4)
    assert str(kitty.nn.attention.SDPBackend.MATH) == str(torch.nn.attention.SDPBackend.MATH) == "SDPBackend.MATH"
    assert f"{kitty.nn.attention.SDPBackend.FLASH_ATTENTION}" == f"{torch.nn.attention.SDPBackend.FLASH_ATTENTION}"

def test_mps_and_cpu_backends_match_torch():
    assert kitty.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert kitty.backends.mps.is_built() is torch.backends.mps.is_built() is False
    capability = kitty.backends.cpu.get_cpu_capability()
    assert isinstance(capability, str) and isinstance(torch.backends.cpu.get_cpu_capability(), str)
    assert capability == "DEFAULT"


@pytest.mark.filterwarnings("ignore:Use `current_device_index` instead:FutureWarning")
def test_accelerator_matches_torch():
    for call in ("is_available()", "current_accelerator()", "current_accelerator(check_available=True)",
                 "device_count()"):
        _same_outcome(lambda c=call: eval("kitty.accelerator." + c), lambda c=call: eval("torch.accelerator." + c))
    for call in ("current_device_index()", "set_device_index(0)", "synchronize()", "empty_cache()",
                 "memory_allocated()", "max_memory_allocated()", "current_device_idx()"):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
            eval("torch.accelerator." + call)
        with pytest.raises(RuntimeError) as excinfo:
            eval("kitty.accelerator." + call)
        _no_gpu(excinfo, "an accelerator device")


def test_mps_namespace_matches_torch():
    for call in ("is_available()", "device_count()", "manual_seed(1)"):
        _same_outcome(lambda c=call: eval("kitty.mps." + c), lambda c=call: eval("torch.mps." + c))
    for call in ("seed()", "synchronize()", "empty_cache()", "current_allocated_memory()",
                 "driver_allocated_memory()", "get_rng_state()"):
        with pytest.raises(RuntimeError, match="without MPS backend"):
            eval("torch.mps." + call)
        with pytest.raises(RuntimeError) as excinfo:
            eval("kitty.mps." + call)
        _no_gpu(excinfo, "device 'mps'")


# ---- deterministic algorithms -------------------------------------------------------------------
def test_deterministic_algorithms_switch_matches_torch():
    steps = [
        "use_deterministic_algorithms(True)", "are_deterministic_algorithms_enabled()",
        "is_deterministic_algorithms_warn_only_enabled()", "get_deterministic_debug_mode()",
        "use_deterministic_algorithms(True, warn_only=True)", "get_deterministic_debug_mode()",
        "is_deterministic_algorithms_warn_only_enabled()", "use_deterministic_algorithms(False, warn_only=True)",
        "is_deterministic_algorithms_warn_only_enabled()", "get_deterministic_debug_mode()",
        "set_deterministic_debug_mode('warn')", "get_deterministic_debug_mode()",
        "are_deterministic_algorithms_enabled()", "set_deterministic_debug_mode('error')",
        "is_deterministic_algorithms_warn_only_enabled()", "set_deterministic_debug_mode(True)",
        "get_deterministic_debug_mode()", "set_deterministic_debug_mode(3)", "set_deterministic_debug_mode(-1)",
        "set_deterministic_debug_mode('foo')", "set_deterministic_debug_mode(1.0)",
        "use_deterministic_algorithms(1)", "use_deterministic_algorithms('a')",
        "use_deterministic_algorithms(True, warn_only=1)", "set_deterministic_debug_mode(0)",
        "are_deterministic_algorithms_enabled()",
    ]
    try:
        for step in steps:
            _same_outcome(lambda s=step: eval("kitty." + s), lambda s=step: eval("torch." + s))
    finally:
        kitty.use_deterministic_algorithms(False)
        torch.use_deterministic_algorithms(False)


# ---- memory formats -----------------------------------------------------------------------------
def test_memory_format_constants_print_and_pickle_as_torchs():
    for name in ("preserve_format", "contiguous_format", "channels_last", "channels_last_3d"):
        fmt = getattr(kitty, name)
        assert repr(fmt) == _norm(repr(getattr(torch, name))) == f"kittygrad.{name}"
        assert str(fmt) == _norm(str(getattr(torch, name)))
        assert pickle.loads(pickle.dumps(fmt)) is fmt
        assert isinstance(fmt, kitty.memory_format)
    _same_outcome(lambda: kitty.memory_format(), lambda: torch.memory_format())


# ---- a script written for torch -----------------------------------------------------------------
SCRIPT = """
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)
torch.cuda.manual_seed_all(0)
torch.backends.cudnn.benchmark = True
torch.backends.cudnn.deterministic = True
print("device:", device, repr(device))
model = torch.nn.Linear(4, 2).to(device)
x = torch.randn(3, 4, device=device)
target = torch.zeros(3, 2, device=device)
out = model(x.to(device))
loss = ((out - target.to(device)) ** 2).mean()
loss.backward()
print("shapes:", tuple(x.shape), tuple(out.shape), x.device, out.device, model.weight.grad.device)
print("flags:", x.is_cuda, x.is_cpu, x.get_device(), x.cpu() is x, x.to(device) is x)
with torch.device(device):
    z = torch.zeros(2)
print("default:", z.device, torch.get_default_device())
acc = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
print("accelerator:", acc, torch.cuda.device_count(), torch.cuda.memory_allocated())
torch.cuda.empty_cache()
"""


def test_the_device_boilerplate_of_a_torch_script_runs_unchanged():
    printed = []
    saved = (kitty.backends.cudnn.benchmark, kitty.backends.cudnn.deterministic,
             torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    try:
        for lib in (kitty, torch):
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                exec(SCRIPT, {"torch": lib})  # noqa: S102 - the point is to run torch code as written
            printed.append(buffer.getvalue())
    finally:
        (kitty.backends.cudnn.benchmark, kitty.backends.cudnn.deterministic,
         torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic) = saved
    assert printed[0] == printed[1]
    assert "device: cpu device(type='cpu')" in printed[0]


def test_generator_reports_a_device_object():
    for lib in (kitty, torch):
        g = lib.Generator()
        assert repr(g.device) == "device(type='cpu')" and g.device == lib.device("cpu")
        assert repr(lib.default_generator.device) == "device(type='cpu')"


def test_mkldnn_mkl_and_openmp_say_kittygrad_has_none_of_them():
    """torch's CPU build has all three (so its answers are True); kittygrad has none, and says so,
    so a script that checks before it converts (``x.to_mkldnn()``) takes its plain path. The
    oneDNN flags keep torch's defaults and ``flags`` sets them for a block."""
    assert kitty.backends.mkldnn.is_available() is kitty.backends.mkl.is_available() is False
    assert kitty.backends.openmp.is_available() is False
    assert kitty.backends.mkldnn.enabled == torch.backends.mkldnn.enabled
    assert kitty.backends.mkldnn.deterministic == torch.backends.mkldnn.deterministic
    with kitty.backends.mkldnn.flags(enabled=False, deterministic=True):
        assert kitty.backends.mkldnn.enabled is False and kitty.backends.mkldnn.deterministic is True
    assert kitty.backends.mkldnn.enabled is True and kitty.backends.mkldnn.deterministic is False
