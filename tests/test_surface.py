"""The everyday torch surface, checked against torch: finfo/iinfo, testing.assert_close/make_tensor,
compile, matmul precision, default dtypes, jit, onnx and kittygrad.functional."""
from __future__ import annotations

import importlib
import math
import warnings

import numpy as np
import pytest
import torch
import torch.functional

import kittygrad as kitty
from kittygrad.errors import KittygradError

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def _outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - compared below
            return e


def _normalize(text: str) -> str:
    return text.replace("torch.", "kittygrad.")  # classes print under the display name, as torch's


def _same_outcome(k, t):
    if isinstance(t, Exception):
        assert isinstance(k, Exception), f"torch raised {t!r}, kittygrad returned {k!r}"
        assert isinstance(k, type(t).__mro__[0]) or type(t).__name__ in [c.__name__ for c in type(k).__mro__], (k, t)
        assert str(k) == _normalize(str(t)), (str(k), str(t))
    else:
        assert not isinstance(k, Exception), k


# ---- finfo / iinfo ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_as_torch(name):
    k, t = kitty.finfo(getattr(kitty, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(k, attr) == getattr(t, attr), attr
        assert type(getattr(k, attr)) is type(getattr(t, attr)), attr
    assert repr(k) == repr(t) and str(k) == str(t)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_as_torch(name):
    k, t = kitty.iinfo(getattr(kitty, name)), torch.iinfo(getattr(torch, name))
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(k, attr) == getattr(t, attr) and type(getattr(k, attr)) is type(getattr(t, attr))
    assert repr(k) == repr(t)


def test_finfo_iinfo_defaults_and_errors():
    assert repr(kitty.finfo()) == repr(torch.finfo())
    assert repr(kitty.finfo(float)) == repr(torch.finfo(float))
    assert repr(kitty.iinfo(int)) == repr(torch.iinfo(int))
    kitty.set_default_dtype(kitty.float64)
    try:
        assert kitty.finfo().dtype == "float64"
    finally:
        kitty.set_default_dtype(kitty.float32)
    assert kitty.finfo(kitty.float32) == kitty.finfo(kitty.float32) != kitty.finfo(kitty.float64)
    for case in (lambda m: m.finfo(m.int32), lambda m: m.iinfo(m.float32), lambda m: m.iinfo(m.bool),
                 lambda m: m.finfo("float32")):
        k, t = _outcome(lambda: case(kitty)), _outcome(lambda: case(torch))
        assert isinstance(k, TypeError) and isinstance(k, KittygradError)
        assert str(k) == _normalize(str(t))


# ---- testing.assert_close ---------------------------------------------------------------------

_A = [1.0, 2.0, 3.0]
CLOSE_CASES = {
    "equal": lambda m: m.testing.assert_close(m.tensor(_A), m.tensor(_A)),
    "within float32 tolerance": lambda m: m.testing.assert_close(m.tensor(_A), m.tensor([1.0, 2.0, 3.0000001])),
    "one mismatch": lambda m: m.testing.assert_close(m.tensor(_A), m.tensor([1.0, 2.5, 3.0])),
    "two mismatches": lambda m: m.testing.assert_close(m.tensor(_A), m.tensor([1.1, 2.5, 3.0])),
    "2-d index": lambda m: m.testing.assert_close(m.tensor([[1.0, 2.0], [3.0, 4.0]]), m.tensor([[1.0, 2.0], [3.0, 5.0]])),
    "ints are equal or not": lambda m: m.testing.assert_close(m.tensor([[1, 2], [3, 4]]), m.tensor([[1, 2], [3, 5]])),
    "uint8": lambda m: m.testing.assert_close(m.tensor([1, 2], dtype=m.uint8), m.tensor([2, 1], dtype=m.uint8)),
    "bools": lambda m: m.testing.assert_close(m.tensor([True, False]), m.tensor([True, True])),
    "0-d": lambda m: m.testing.assert_close(m.tensor(1.0), m.tensor(2.0)),
    "0-d ints": lambda m: m.testing.assert_close(m.tensor(3), m.tensor(4)),
    "0-d bools": lambda m: m.testing.assert_close(m.tensor(True), m.tensor(False)),
    "dtype": lambda m: m.testing.assert_close(m.tensor(_A), m.tensor(_A, dtype=m.float64)),
    "dtype unchecked": lambda m: m.testing.assert_close(m.tensor(_A), m.tensor(_A, dtype=m.float64), check_dtype=False),
    "promoted": lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.001], dtype=m.float64),
                                                check_dtype=False),
    "int vs float unchecked": lambda m: m.testing.assert_close(m.tensor([1, 2]), m.tensor([1.0, 3.0]), check_dtype=False),
    "shape": lambda m: m.testing.assert_close(m.tensor(_A), m.tensor(_A)[:2]),
    "stride": lambda m: m.testing.assert_close(m.ones(2, 3), m.ones(3, 2).t(), check_stride=True),
    "msg string": lambda m: m.testing.assert_close(m.tensor(_A), m.tensor([1.0, 2.5, 3.0]), msg="custom"),
    "msg callable": lambda m: m.testing.assert_close(m.tensor(_A), m.tensor([1.0, 2.5, 3.0]), msg=lambda s: s + " EXTRA"),
    "only rtol": lambda m: m.testing.assert_close(m.tensor(_A), m.tensor(_A), rtol=1e-3),
    "only atol": lambda m: m.testing.assert_close(m.tensor(_A), m.tensor(_A), atol=1),
    "exact tolerances": lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]), m.tensor([1.0, 3.0]), rtol=0, atol=0),
    "loose tolerances": lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]), m.tensor([1.0, 2.4]), rtol=0, atol=0.5),
    "nan": lambda m: m.testing.assert_close(m.tensor([float("nan")]), m.tensor([float("nan")])),
    "nan equal": lambda m: m.testing.assert_close(m.tensor([float("nan")]), m.tensor([float("nan")]), equal_nan=True),
    "nan vs number": lambda m: m.testing.assert_close(m.tensor([1.0, 5.0]), m.tensor([float("nan"), 2.0])),
    "inf": lambda m: m.testing.assert_close(m.tensor([1.0, float("inf")]), m.tensor([1.0, float("inf")])),
    "inf vs -inf": lambda m: m.testing.assert_close(m.tensor([1.0, float("inf")]), m.tensor([1.0, float("-inf")])),
    "zero expected": lambda m: m.testing.assert_close(m.tensor([1.0, 1.0]), m.tensor([1.0, 0.0])),
    "many": lambda m: m.testing.assert_close(m.zeros(1000), m.ones(1000)),
    "float16": lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]).half(), m.tensor([1.0, 2.01]).half()),
    "float16 close": lambda m: m.testing.assert_close(m.tensor([1.0, 2.0]).half(), m.tensor([1.0, 2.001]).half()),
    "requires grad": lambda m: m.testing.assert_close(m.tensor([1.0, 2.0], requires_grad=True), m.tensor([1.0, 2.0])),
    "empty": lambda m: m.testing.assert_close(m.tensor([]), m.tensor([])),
    "python floats": lambda m: m.testing.assert_close(1.0, 1.5),
    "python ints": lambda m: m.testing.assert_close(1, 2),
    "python zero": lambda m: m.testing.assert_close(1.0, 0.0),
    "python bools": lambda m: m.testing.assert_close(True, False),
    "int vs float": lambda m: m.testing.assert_close(1, 1.0),
    "lists": lambda m: m.testing.assert_close([m.tensor(_A), m.tensor(_A)], [m.tensor(_A), m.tensor([1.0, 2.5, 3.0])]),
    "list of floats": lambda m: m.testing.assert_close([1.0, 2.0], [1.0, 2.5]),
    "tuple vs list": lambda m: m.testing.assert_close((1.0,), [1.0]),
    "lengths": lambda m: m.testing.assert_close([1, 2], [1, 2, 3]),
    "dict": lambda m: m.testing.assert_close({"x": m.tensor(_A)}, {"x": m.tensor([1.0, 2.5, 3.0])}),
    "keys": lambda m: m.testing.assert_close({"a": 1, "b": 2}, {"a": 1, "c": 2}),
    "nested": lambda m: m.testing.assert_close([{"a": [1.0, 2.0]}], [{"a": [1.0, 3.0]}]),
    "nested msg": lambda m: m.testing.assert_close([m.tensor(_A)], [m.tensor([1.0, 2.5, 3.0])], msg="x"),
    "nested shape": lambda m: m.testing.assert_close([m.tensor(_A)], [m.tensor(_A)[:1]]),
    "tensor vs list": lambda m: m.testing.assert_close(m.tensor(_A), _A),
    "tensor vs float": lambda m: m.testing.assert_close(m.tensor(1.0), 1.0),
    "tensor vs array": lambda m: m.testing.assert_close(m.tensor([1.0]), np.array([1.0])),
    "arrays": lambda m: m.testing.assert_close(np.array([1.0]), np.array([2.0])),
    "strings": lambda m: m.testing.assert_close("a", "b"),
    "nones": lambda m: m.testing.assert_close(None, None),
    "subclass allowed": lambda m: m.testing.assert_close(m.nn.Parameter(m.ones(1)), m.ones(1)),
    "subclass refused": lambda m: m.testing.assert_close(m.nn.Parameter(m.ones(1)), m.ones(1), allow_subclasses=False),
}


@pytest.mark.parametrize("case", sorted(CLOSE_CASES))
def test_assert_close_as_torch(case):
    _same_outcome(_outcome(lambda: CLOSE_CASES[case](kitty)), _outcome(lambda: CLOSE_CASES[case](torch)))


def test_assert_close_message_format():
    with pytest.raises(AssertionError) as e:
        kitty.testing.assert_close(kitty.tensor([1.0, 2.0, 3.0]), kitty.tensor([1.0, 2.5, 3.0]))
    assert str(e.value) == (
        "Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\n"
        "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)\n"
        "Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)"
    )


# ---- testing.make_tensor ----------------------------------------------------------------------

MAKE_CASES = [
    dict(dtype="float32"), dict(dtype="float64", low=-1, high=1), dict(dtype="float16"), dict(dtype="int64", low=0, high=5),
    dict(dtype="int64"), dict(dtype="uint8"), dict(dtype="int8", low=-1, high=1, exclude_zero=True), dict(dtype="bool"),
    dict(dtype="int32", low=1.5, high=3.5), dict(dtype="float32", noncontiguous=True),
    dict(dtype="float32", low=-1e40, high=1e40), dict(dtype="uint8", low=-5, high=300),
    dict(dtype="float32", low=-1e-30, high=1e-30, exclude_zero=True), dict(dtype="float32", requires_grad=True),
]


@pytest.mark.parametrize("case", range(len(MAKE_CASES)))
def test_make_tensor_draws_as_torch(case):
    kw = dict(MAKE_CASES[case])
    name = kw.pop("dtype")
    torch.manual_seed(7)
    t = torch.testing.make_tensor(3, 4, dtype=getattr(torch, name), device="cpu", **kw)
    kitty.manual_seed(7)
    k = kitty.testing.make_tensor(3, 4, dtype=getattr(kitty, name), device="cpu", **kw)
    assert k.shape == tuple(t.shape) and k.dtype.name == name and k.requires_grad == t.requires_grad
    assert k.is_contiguous() == t.is_contiguous() and k.stride() == t.stride()
    np.testing.assert_array_equal(k.detach().numpy(), t.detach().numpy())


def test_make_tensor_shapes_and_errors():
    assert kitty.testing.make_tensor([2, 3], dtype=kitty.float32, device="cpu").shape == (2, 3)
    assert kitty.testing.make_tensor(kitty.Size([2]), dtype=kitty.float32, device="cpu").shape == (2,)
    assert kitty.testing.make_tensor(dtype=kitty.float32, device="cpu").shape == ()
    cases = [
        lambda m: m.testing.make_tensor(2, dtype=m.float32, device="cpu", low=5, high=1),
        lambda m: m.testing.make_tensor(2, dtype=m.int64, device="cpu", low=1, high=1),
        lambda m: m.testing.make_tensor(2, dtype=m.float32, device="cpu", low=float("nan")),
        lambda m: m.testing.make_tensor(2, dtype=m.int64, device="cpu", requires_grad=True),
        lambda m: m.testing.make_tensor(2, dtype=m.uint8, device="cpu", low=300, high=400),
    ]
    for case in cases:
        _same_outcome(_outcome(lambda: case(kitty)), _outcome(lambda: case(torch)))
    with pytest.warns(FutureWarning, match="low==high"):
        assert kitty.testing.make_tensor(2, dtype=kitty.float32, device="cpu", low=1, high=1).tolist() == [1.0, 1.0]


# ---- compile, compiler, matmul precision, default dtypes --------------------------------------


def test_compile_is_a_documented_no_op():
    model = kitty.nn.Linear(2, 1)
    assert kitty.compile(model) is model
    assert kitty.compile(model, mode="max-autotune", fullgraph=True, dynamic=False, backend="eager") is model

    @kitty.compile
    def f(x):
        return x + 1

    @kitty.compile(mode="reduce-overhead")
    def g(x):
        return x * 2

    assert f(kitty.ones(1)).tolist() == [2.0] and g(kitty.ones(1)).tolist() == [2.0]
    assert f.__name__ == "f" and g.__name__ == "g"
    assert "no-op" in kitty.compile.__doc__
    for lib in (torch, kitty):
        with pytest.raises(RuntimeError, match="Either mode or options can be specified"):
            lib.compile(model, mode="default", options={})
    assert not kitty.compiler.is_compiling() and not kitty.compiler.is_dynamo_compiling()
    assert kitty.compiler.disable(f) is f and kitty.compiler.disable()(f) is f
    kitty.compiler.reset()


def test_float32_matmul_precision():
    assert kitty.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    try:
        for p in ("high", "medium", "highest"):
            kitty.set_float32_matmul_precision(p)
            assert kitty.get_float32_matmul_precision() == p
        kitty.set_float32_matmul_precision("medium")
        with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
            kitty.set_float32_matmul_precision("bad")
        assert kitty.get_float32_matmul_precision() == "medium"
        _same_outcome(_outcome(lambda: kitty.set_float32_matmul_precision(1)),
                      _outcome(lambda: torch.set_float32_matmul_precision(1)))
    finally:
        kitty.set_float32_matmul_precision("highest")
        torch.set_float32_matmul_precision("highest")


def test_default_dtype_and_legacy_tensor_type():
    assert kitty.get_default_dtype() is kitty.float32
    try:
        kitty.set_default_dtype(kitty.float64)
        assert kitty.tensor([1.5]).dtype is kitty.float64 and kitty.zeros(1).dtype is kitty.float64
    finally:
        kitty.set_default_dtype(kitty.float32)
    try:
        with pytest.warns(UserWarning, match="set_default_tensor_type\\(\\) is deprecated"):
            kitty.set_default_tensor_type("torch.DoubleTensor")
        assert kitty.get_default_dtype() is kitty.float64
        with pytest.warns(UserWarning):
            kitty.set_default_tensor_type("kittygrad.FloatTensor")
        assert kitty.get_default_dtype() is kitty.float32
        for bad, lib_bad in (("kittygrad.LongTensor", "torch.LongTensor"),):
            k = _outcome(lambda: kitty.set_default_tensor_type(bad))
            t = _outcome(lambda: torch.set_default_tensor_type(lib_bad))
            assert isinstance(k, TypeError) and str(k) == str(t)
        with pytest.raises(TypeError, match="needs the type's name"), pytest.warns(UserWarning):
            kitty.set_default_tensor_type(kitty.DoubleTensor)
        with pytest.raises(TypeError, match="invalid type"), pytest.warns(UserWarning):
            kitty.set_default_tensor_type("torch.NotATensor")
    finally:
        kitty.set_default_dtype(kitty.float32)
        torch.set_default_dtype(torch.float32)


# ---- jit, onnx --------------------------------------------------------------------------------


def test_jit_script_and_trace_return_the_eager_model_and_archives_are_refused():
    model = kitty.nn.Linear(2, 1)
    x = kitty.ones(1, 2)
    assert kitty.jit.script(model) is model and kitty.jit.trace(model, x) is model
    assert kitty.jit.trace_module(model, {"forward": x}) is model

    @kitty.jit.script
    def double(t: kitty.Tensor) -> kitty.Tensor:
        return t * 2

    assert double(x).tolist() == [[2.0, 2.0]]
    for call in (lambda: kitty.jit.save(model, "x.pt"), lambda: kitty.jit.load("x.pt")):
        with pytest.raises(NotImplementedError, match="never runs code from a file") as e:
            call()
        assert isinstance(e.value, KittygradError)


def test_jit_markers_are_identities_for_eager_code():
    def f(x):
        return x + 1

    for lib in (torch, kitty):
        assert lib.jit.ignore(f) is f and lib.jit.unused(f) is f and lib.jit.export(f) is f
        assert lib.jit.ignore()(f) is f and lib.jit.ignore(drop=False)(f) is f
        assert lib.jit.is_scripting() is False and lib.jit.is_tracing() is False
        assert lib.jit.annotate(list, [1]) == [1]
        with pytest.warns(FutureWarning, match=r"ignore\(True\) has been deprecated"):
            assert lib.jit.ignore(drop=True)(f) is f

    class Net(kitty.nn.Module):
        @kitty.jit.ignore
        def helper(self, x):
            return x * 2

        @kitty.jit.export
        def forward(self, x):
            return self.helper(x)

    assert Net()(kitty.ones(1)).tolist() == [2.0]


def test_onnx_importable_and_export_refused():
    onnx = importlib.import_module("kittygrad.onnx")
    assert onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="no ONNX exporter yet") as e:
        onnx.export(kitty.nn.Linear(1, 1), (kitty.ones(1),), "model.onnx")
    assert isinstance(e.value, KittygradError) and isinstance(e.value, onnx.OnnxExporterError)


# ---- kittygrad.functional ---------------------------------------------------------------------


def test_functional_has_torch_functionals_names():
    missing = [n for n in torch.functional.__all__ if not callable(getattr(kitty.functional, n, None))]
    assert not missing
    assert sorted(kitty.functional.__all__) == sorted(torch.functional.__all__)
    for name in ("cdist", "block_diag", "cartesian_prod", "unravel_index", "chain_matmul", "pca_lowrank",
                 "svd_lowrank", "stft", "istft"):
        assert getattr(kitty, name) is getattr(kitty.functional, name) or name == "chain_matmul"


def _pair(shape_a, shape_b, seed=0, dtype="float64"):
    g = np.random.default_rng(seed)
    a, b = g.standard_normal(shape_a), g.standard_normal(shape_b)
    return ((kitty.tensor(a, dtype=getattr(kitty, dtype), requires_grad=True),
             kitty.tensor(b, dtype=getattr(kitty, dtype), requires_grad=True)),
            (torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True),
             torch.tensor(b, dtype=getattr(torch, dtype), requires_grad=True)))


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, math.inf])
@pytest.mark.parametrize("shapes", [((3, 4), (5, 4)), ((2, 3, 4), (1, 5, 4)), ((2, 3, 4), (5, 4))])
def test_cdist_values_and_gradients_as_torch(p, shapes):
    (ka, kb), (ta, tb) = _pair(*shapes)
    k, t = kitty.cdist(ka, kb, p=p), torch.cdist(ta, tb, p=p)
    np.testing.assert_allclose(k.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(1).standard_normal(tuple(t.shape))
    (k * kitty.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ka.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(kb.grad.numpy(), tb.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_cdist_zero_distance_has_zero_gradient_as_torch():
    for lib in (kitty, torch):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        lib.cdist(x, x.detach()).sum().backward()
        assert np.isfinite(x.grad.numpy()).all()
    kx = kitty.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    tx = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    kitty.cdist(kx, kx.detach()).sum().backward()
    torch.cdist(tx, tx.detach()).sum().backward()
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_cdist_errors_as_torch():
    cases = [
        lambda m: m.cdist(m.ones(4), m.ones(5, 4)),
        lambda m: m.cdist(m.ones(3, 4), m.ones(5, 3)),
        lambda m: m.cdist(m.ones(3, 4), m.ones(5, 4), p=-1),
        lambda m: m.cdist(m.ones(3, 4, dtype=m.long), m.ones(5, 4, dtype=m.long)),
        lambda m: m.cdist(m.ones(3, 4), m.ones(5, 4), compute_mode="bad"),
        lambda m: m.cdist(m.ones(3, 4), m.ones(5, 4, dtype=m.float64)),
    ]
    for case in cases:
        _same_outcome(_outcome(lambda: case(kitty)), _outcome(lambda: case(torch)))


def test_block_diag_as_torch():
    def build(m):
        return m.block_diag(m.tensor(1.0), m.tensor([2, 3]), m.ones(2, 2, dtype=m.long), m.ones(0, 2), m.ones(2, 0))

    k, t = build(kitty), build(torch)
    assert k.dtype.name == str(t.dtype).split(".")[1] and k.shape == tuple(t.shape)
    np.testing.assert_array_equal(k.numpy(), t.numpy())
    assert kitty.block_diag().shape == tuple(torch.block_diag().shape)
    _same_outcome(_outcome(lambda: kitty.block_diag(kitty.ones(2, 2, 2))),
                  _outcome(lambda: torch.block_diag(torch.ones(2, 2, 2))))
    ka, ta = kitty.tensor([[1.0, 2.0]], requires_grad=True), torch.tensor([[1.0, 2.0]], requires_grad=True)
    kb, tb = kitty.tensor([3.0], requires_grad=True), torch.tensor([3.0], requires_grad=True)
    w = np.arange(6.0).reshape(2, 3)
    (kitty.block_diag(ka, kb) * kitty.tensor(w, dtype=kitty.float32)).sum().backward()
    (torch.block_diag(ta, tb) * torch.tensor(w, dtype=torch.float32)).sum().backward()
    np.testing.assert_array_equal(ka.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(kb.grad.numpy(), tb.grad.numpy())


def test_cartesian_prod_as_torch():
    for args in (([1, 2], [3, 4, 5]), ([1, 2],), ([1.5, 2.5], [0.5], [7.0, 8.0])):
        k = kitty.cartesian_prod(*[kitty.tensor(a) for a in args])
        t = torch.cartesian_prod(*[torch.tensor(a) for a in args])
        np.testing.assert_array_equal(k.numpy(), t.numpy())
    for case in (lambda m: m.cartesian_prod(m.ones(2, 2)), lambda m: m.cartesian_prod(),
                 lambda m: m.cartesian_prod(m.tensor([1, 2]), m.tensor([1.5]))):
        _same_outcome(_outcome(lambda: case(kitty)), _outcome(lambda: case(torch)))
    x = kitty.tensor([1.0, 2.0], requires_grad=True)
    kitty.cartesian_prod(x, kitty.tensor([3.0, 4.0, 5.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_unravel_index_as_torch():
    cases = [
        lambda m: m.unravel_index(m.tensor([4, 1, 11]), (3, 4)),
        lambda m: m.unravel_index(m.tensor(5), (3, 4)),
        lambda m: m.unravel_index(m.tensor([12]), (3, 4)),
        lambda m: m.unravel_index(m.tensor([-1, -13]), (3, 4)),
        lambda m: m.unravel_index(m.tensor([[1, 2], [3, 23]]), (2, 3, 4)),
        lambda m: m.unravel_index(m.tensor([1], dtype=m.int32), (3, 4)),
        lambda m: m.unravel_index(m.tensor([1]), 7),
        lambda m: m.unravel_index(m.tensor([1]), ()),
        lambda m: m.unravel_index(m.tensor([1.0]), (3, 4)),
        lambda m: m.unravel_index(m.tensor([True]), (3, 4)),
        lambda m: m.unravel_index(m.tensor([1]), (3, -4)),
        lambda m: m.unravel_index(m.tensor([1]), (3.0, 4)),
    ]
    for case in cases:
        k, t = _outcome(lambda: case(kitty)), _outcome(lambda: case(torch))
        _same_outcome(k, t)
        if not isinstance(t, Exception):
            assert len(k) == len(t)
            for a, b in zip(k, t):
                assert a.dtype is kitty.int64 and a.shape == tuple(b.shape)
                np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_chain_matmul_as_torch():
    g = np.random.default_rng(0)
    mats = [g.standard_normal(s).astype(np.float32) for s in ((2, 3), (3, 4), (4, 2))]
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        k = kitty.chain_matmul(*[kitty.tensor(m) for m in mats])
    with warnings.catch_warnings():  # (torch warns once per process)
        warnings.simplefilter("ignore")
        t = torch.chain_matmul(*[torch.tensor(m) for m in mats])
    np.testing.assert_allclose(k.numpy(), t.numpy(), rtol=1e-5)
    with pytest.warns(UserWarning):
        one = kitty.chain_matmul(kitty.tensor(mats[0]))
    assert one.tolist() == torch.tensor(mats[0]).tolist()
    for case in (lambda m: m.chain_matmul(),
                 lambda m: m.chain_matmul(m.ones(2, 2), m.ones(2, 2), out=m.empty(0, dtype=m.float64))):
        _same_outcome(_outcome(lambda: case(kitty)), _outcome(lambda: case(torch)))
    o = kitty.empty(0)
    with pytest.warns(UserWarning):
        assert kitty.chain_matmul(kitty.ones(2, 2), kitty.ones(2, 2), out=o) is o


def test_svd_lowrank_and_pca_lowrank_as_torch():
    g = np.random.default_rng(0)
    A = (g.standard_normal((8, 3)) @ g.standard_normal((3, 6)))  # rank 3
    for q in (3, 4):
        kitty.manual_seed(0)
        U, S, V = kitty.svd_lowrank(kitty.tensor(A), q=q)
        tU, tS, tV = torch.svd_lowrank(torch.tensor(A), q=q)
        assert U.shape == tuple(tU.shape) and S.shape == tuple(tS.shape) and V.shape == tuple(tV.shape)
        np.testing.assert_allclose(S.numpy()[:3], tS.numpy()[:3], rtol=1e-8)
        np.testing.assert_allclose((U @ kitty.diag(S) @ V.mT).numpy(), A, atol=1e-10)
    Aw = A.T  # wide
    U, S, V = kitty.svd_lowrank(kitty.tensor(Aw), q=3)
    np.testing.assert_allclose((U @ kitty.diag(S) @ V.mT).numpy(), Aw, atol=1e-10)
    M = g.standard_normal((1, 6))
    U, S, V = kitty.svd_lowrank(kitty.tensor(A + M), q=3, M=kitty.tensor(M))
    np.testing.assert_allclose((U @ kitty.diag(S) @ V.mT).numpy(), A, atol=1e-10)
    X = g.standard_normal((20, 2)) @ g.standard_normal((2, 5)) + 3.0
    U, S, V = kitty.pca_lowrank(kitty.tensor(X), q=2)
    tU, tS, tV = torch.pca_lowrank(torch.tensor(X), q=2)
    np.testing.assert_allclose(S.numpy(), tS.numpy(), rtol=1e-8)
    np.testing.assert_allclose(np.abs(V.numpy()), np.abs(tV.numpy()), atol=1e-8)
    for case in (lambda m: m.pca_lowrank(m.ones(4, 3), q=5), lambda m: m.pca_lowrank(m.ones(4, 3), niter=-1)):
        _same_outcome(_outcome(lambda: case(kitty)), _outcome(lambda: case(torch)))
    x = kitty.tensor(A, requires_grad=True)
    kitty.manual_seed(0)
    kitty.svd_lowrank(x, q=3)[1].sum().backward()
    assert x.grad.shape == A.shape and np.isfinite(x.grad.numpy()).all()


def test_stft_istft_refused_clearly():
    for fn in (lambda: kitty.stft(kitty.zeros(16), 4), lambda: kitty.functional.istft(kitty.zeros(3, 2), 4)):
        with pytest.raises(NotImplementedError, match="complex-valued.*no complex dtype") as e:
            fn()
        assert isinstance(e.value, KittygradError)


def test_functional_reexports_work_with_out():
    x = kitty.tensor([[3.0, 4.0]])
    o = kitty.empty(0)
    assert kitty.functional.norm(x, out=o) is o and o.item() == 5.0
    o = kitty.empty(0)
    kitty.functional.tensordot(kitty.ones(2, 3), kitty.ones(3, 2), dims=1, out=o)
    assert o.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    a, b = kitty.functional.split(kitty.arange(4), 2)
    assert a.tolist() == [0, 1] and b.tolist() == [2, 3]


def test_cpu_namespace():
    assert kitty.cpu.is_available() is torch.cpu.is_available() is True
    assert kitty.cpu.device_count() == torch.cpu.device_count()
    kitty.cpu.synchronize()


@pytest.mark.parametrize("call", [
    lambda m: m.testing.assert_allclose(m.ones(2), m.ones(2)),
    lambda m: m.testing.make_tensor((2,), dtype=m.float32, device="cpu", low=1, high=1),
])
def test_testing_deprecations_warn_torchs_text_under_the_runner(call, monkeypatch):
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")  # as kittygrad.run sets it
    with pytest.warns(FutureWarning) as k:
        call(kitty)
    with pytest.warns(FutureWarning) as t:
        call(torch)
    assert str(k[0].message) == str(t[0].message)
