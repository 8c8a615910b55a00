"""Tensor creation, dtypes, type promotion, properties, conversions and repr, against torch."""
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from _hypothesis_budget import examples
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kittygrad as kitty
from kittygrad.ops import _prep
from torch_errors import raised_as_torch

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def name(dtype) -> str:
    return str(dtype).split(".")[-1]


# ---- dtypes and promotion ---------------------------------------------------------------------
def test_dtype_aliases_and_repr():
    assert kitty.half is kitty.float16 and kitty.float is kitty.float32 and kitty.double is kitty.float64
    assert kitty.long is kitty.int64 and kitty.int is kitty.int32 and kitty.short is kitty.int16
    assert repr(kitty.float32) == "kittygrad.float32"
    assert kitty.float64.is_floating_point and not kitty.int64.is_floating_point


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_tensor_tensor_promotion_matches_torch(a, b):
    ka = kitty.ones(2, dtype=getattr(kitty, a)) + kitty.ones(2, dtype=getattr(kitty, b))
    ta = torch.ones(2, dtype=getattr(torch, a)) + torch.ones(2, dtype=getattr(torch, b))
    assert name(ka.dtype) == name(ta.dtype)


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_tensor_scalar_promotion_matches_torch(a, scalar):
    if a == "bool" and scalar is True:
        k, t = kitty.ones(2, dtype=kitty.bool) * True, torch.ones(2, dtype=torch.bool) * True
    else:
        k = kitty.ones(2, dtype=getattr(kitty, a)) * scalar
        t = torch.ones(2, dtype=getattr(torch, a)) * scalar
    assert name(k.dtype) == name(t.dtype)
    np.testing.assert_array_equal(k.numpy(), t.numpy())


@pytest.mark.parametrize("dim_dtype", ["int32", "float32", "float16"])
@pytest.mark.parametrize("zero_dtype", ["int64", "float64"])
def test_zero_dim_tensors_count_only_when_higher_category(dim_dtype, zero_dtype):
    k = kitty.ones(2, dtype=getattr(kitty, dim_dtype)) + kitty.tensor(1, dtype=getattr(kitty, zero_dtype))
    t = torch.ones(2, dtype=getattr(torch, dim_dtype)) + torch.tensor(1, dtype=getattr(torch, zero_dtype))
    assert name(k.dtype) == name(t.dtype)


def test_true_division_of_ints_gives_default_float():
    assert kitty.tensor([1, 2]) .div(2).dtype is kitty.float32
    assert (kitty.tensor([3]) / kitty.tensor([2])).tolist() == [1.5]


def test_result_type_and_promote_types():
    assert kitty.promote_types(kitty.int64, kitty.int32) is kitty.int64
    assert kitty.result_type(kitty.tensor([1]), 1.0) is kitty.float32


# ---- creation -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [[1, 2, 3], [1.0, 2], [[True, False]], 3, 2.5, True, [[1, 2], [3, 4]], [], np.float64(2.0), np.arange(3)],
)
def test_tensor_infers_dtype_like_torch(data):
    k, t = kitty.tensor(data), torch.tensor(data)
    assert name(k.dtype) == name(t.dtype)
    assert list(k.shape) == list(t.shape)


def test_seed_rule_int_data_with_requires_grad_becomes_float():
    a = kitty.tensor([1, 2, 3], requires_grad=True)
    assert a.dtype is kitty.float32 and a.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        kitty.tensor([1, 2, 3], dtype=kitty.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        kitty.ones(2, dtype=kitty.int32).requires_grad_()


def test_tensor_copies_but_from_numpy_shares():
    arr = np.zeros(3)
    t = kitty.tensor(arr)
    s = kitty.from_numpy(arr)
    arr[0] = 5
    assert t[0].item() == 0 and s[0].item() == 5
    assert kitty.as_tensor(arr).numpy() is not None


@pytest.mark.parametrize("share", ["from_numpy", "as_tensor", "asarray"])
def test_a_read_only_view_is_shared_writably_with_torchs_warning(share):
    """pandas hands out read-only views of its data (``df.values``): torch warns once and writes
    through them; in-place ops must not read the tensor as an expanded one."""
    _prep.WARNED_ONCE.discard("non_writable_numpy")
    data = np.zeros((2, 3))
    view = data[:, 1:]
    view.flags.writeable = False
    with pytest.warns(UserWarning, match="The given NumPy array is not writable"):
        t = getattr(kitty, share)(view)
    t += 1
    t[0, 0] = 7
    assert data.tolist() == [[0, 7, 1], [0, 1, 1]] and not view.flags.writeable
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (once a program, as torch)
        getattr(kitty, share)(view)

@pytest.mark.parametrize("cls, np_dtype", [("Tensor", np.float32), ("FloatTensor", np.float32), ("Tensor", np.float64),
                                           ("LongTensor", np.int64), ("DoubleTensor", np.float64), ("LongTensor", np.int8)])
def test_legacy_constructors_share_an_array_of_their_dtype(cls, np_dtype):
    """``torch.Tensor(arr)`` / ``torch.LongTensor(arr)`` alias an array of their own dtype, as as_tensor."""
    shared = []
    for lib in (torch, kitty):
        arr = np.arange(3).astype(np_dtype)
        t = getattr(lib, cls)(arr)
        arr[0] = 9
        shared.append((name(t.dtype), t[0].item()))
    assert shared[0] == shared[1]

@pytest.mark.parametrize("fn", ["zeros", "ones", "empty", "rand", "randn"])
def test_sizes_as_varargs_or_tuple(fn):
    f = getattr(kitty, fn)
    assert f(2, 3).shape == f((2, 3)).shape == f([2, 3]).shape == kitty.Size([2, 3])
    assert f(2, 3).dtype is kitty.float32


def test_creation_functions_match_torch():
    pairs = [
        (kitty.arange(5), torch.arange(5)),
        (kitty.arange(1, 4, 0.5), torch.arange(1, 4, 0.5)),
        (kitty.arange(0, -3, -1), torch.arange(0, -3, -1)),
        (kitty.linspace(0, 1, 5), torch.linspace(0, 1, 5)),
        (kitty.eye(3, 2), torch.eye(3, 2)),
        (kitty.full((2,), 3), torch.full((2,), 3)),
        (kitty.full((2,), 1.5), torch.full((2,), 1.5)),
        (kitty.zeros_like(kitty.ones(2, dtype=kitty.int8)), torch.zeros_like(torch.ones(2, dtype=torch.int8))),
    ]
    for k, t in pairs:
        assert name(k.dtype) == name(t.dtype)
        np.testing.assert_allclose(k.numpy(), t.numpy(), rtol=1e-6)


def test_negative_sizes_and_bad_data_raise_typed_errors():
    with pytest.raises(RuntimeError, match="negative dimension"):
        kitty.ones(-1)  # (torch.zeros words it its own way: tested below)
    with pytest.raises(RuntimeError, match="NoneType"):
        kitty.tensor(None)
    with pytest.raises(TypeError):
        kitty.tensor([1 + 2j])
    with pytest.raises(TypeError):
        kitty.tensor(np.array([1 + 2j]))
    with pytest.raises(ValueError, match="too many dimensions 'str'"):
        kitty.tensor(["a"])
    with pytest.raises(ValueError):
        kitty.tensor([[1, 2], [3]])



class _Column:
    """A pandas-Series-like column: items looked up by label, NumPy scalars, an __array__."""

    def __init__(self, values, labels=None):
        self.values = np.asarray(values)
        self.labels = list(range(len(self.values))) if labels is None else labels

    def __len__(self):
        return len(self.values)

    def __getitem__(self, label):
        return self.values[self.labels.index(label)]  # (ValueError for a missing label)

    def __iter__(self):
        return iter(self.values)

    def __array__(self, dtype=None, copy=None):
        return self.values


@pytest.mark.parametrize("data", [
    lambda m: _Column(np.array([1.5, 2.5])),  # float64 items: a float64 tensor
    lambda m: _Column(np.array([1, 2], dtype=np.int8)),
    lambda m: _Column(np.array([1.5, 2], dtype=object)),  # Python floats: float32
    lambda m: [_Column(np.array([1.5, 2.5])), [3, 4]],
    lambda m: [range(2), range(2)],
    lambda m: range(3),
])
def test_sequence_like_data_is_read_item_by_item(data):
    k, t = kitty.tensor(data(kitty)), torch.tensor(data(torch))
    assert name(k.dtype) == name(t.dtype) and k.tolist() == t.tolist()
    assert name(kitty.as_tensor(data(kitty)).dtype) == name(torch.as_tensor(data(torch)).dtype)


def test_pandas_series_keeps_its_dtype():
    pd = pytest.importorskip("pandas")
    for s in [pd.Series([1.5, None]), pd.Series([1, 2], dtype="int8"), pd.Series(pd.Categorical([1.5, 2.5])),
              pd.Series([1, 2], dtype="Float64"), pd.Index([0.5, 1.0])]:
        k, t = kitty.tensor(s), torch.tensor(s)
        assert name(k.dtype) == name(t.dtype)
        np.testing.assert_array_equal(k.numpy(), t.numpy())


@pytest.mark.parametrize("data, dtype", [
    ("['ab', 1]", None), ("[[1, 2], ['a', 3]]", None), ("[1, 'a']", "float32"), ("[1, 'a']", "int64"),
    ("[1, None]", None), ("[[1, 2], [None, 3]]", None), ("[1, None]", "float32"), ("[1, None]", "bool"),
    ("None", "float32"), ("{1, 2}", None), ("{1: 2}", None), ("(x for x in [1])", None), ("object()", "float32"),
    ("_Column([1, 2], labels=[5, 6])", None), ("[1, _Column([1, 2], labels=[5, 6])]", None),
    ("_Column(np.array(['a', 'b'], dtype=object))", None),
])
def test_data_that_is_no_number_raises_torchs_errors(data, dtype):
    def make(lib):
        return lambda: lib.tensor(eval(data), dtype=None if dtype is None else getattr(lib, dtype))
    ours, theirs = raised_as_torch(make(torch), make(kitty))
    assert ours == theirs

def test_manual_seed_and_generator_reproduce():
    kitty.manual_seed(3)
    a = kitty.randn(4)
    kitty.manual_seed(3)
    assert a.tolist() == kitty.randn(4).tolist()
    g = kitty.Generator().manual_seed(5)
    x = kitty.rand(3, generator=g)
    g.manual_seed(5)
    assert x.tolist() == kitty.rand(3, generator=g).tolist()
    r = kitty.randint(0, 5, (100,))
    assert r.dtype is kitty.int64 and 0 <= r.numpy().min() and r.numpy().max() < 5


# ---- properties and conversions ----------------------------------------------------------------
def test_properties():
    a = kitty.zeros(2, 3, requires_grad=True)
    assert a.shape == (2, 3) and isinstance(a.shape, kitty.Size) and a.size() == (2, 3) and a.size(-1) == 3
    assert repr(a.shape) == "kittygrad.Size([2, 3])"
    assert a.ndim == a.dim() == 2 and a.numel() == 6 and a.device == kitty.device("cpu")
    assert a.is_leaf and a.grad_fn is None and a.grad is None
    b = a * 2
    assert not b.is_leaf and b.grad_fn.name() == "MulBackward"
    assert a.T.shape == (3, 2) and a.mT.shape == (3, 2)
    assert len(a) == 2 and [row.shape for row in a] == [(3,), (3,)]


def test_conversions():
    a = kitty.tensor([1.7, -2.2])
    assert a.long().dtype is kitty.int64 and a.long().tolist() == [1, -2]
    assert a.int().dtype is kitty.int32 and a.half().dtype is kitty.float16
    assert a.double().dtype is kitty.float64 and a.bool().dtype is kitty.bool
    assert a.to(kitty.float64).dtype is kitty.float64 and a.to("cpu") is a
    assert a.type(kitty.int16).dtype is kitty.int16 and a.type() == "kittygrad.FloatTensor"
    assert a.float() is a
    assert kitty.tensor([[1.5]]).item() == 1.5
    assert np.asarray(a).dtype == np.float32
    with pytest.raises(RuntimeError, match="2 elements cannot be converted"):
        a.item()
    with pytest.raises(RuntimeError, match="requires grad"):
        kitty.ones(1, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(a)
    with pytest.raises(TypeError, match="0-d"):
        len(kitty.tensor(1.0))
    with pytest.raises(RuntimeError, match="no GPU backend installed"):
        a.to("cuda")


def test_detach_shares_storage_and_version():
    a = kitty.ones(3, requires_grad=True)
    d = a.detach()
    assert not d.requires_grad and d.is_leaf
    with kitty.no_grad():
        d.add_(1)
    assert a.tolist() == [2.0, 2.0, 2.0]
    assert a._version == d._version == 1


def test_clone_and_contiguous():
    a = kitty.ones(2, 3, requires_grad=True)
    c = a.clone()
    assert c.grad_fn.name() == "CloneBackward" and c.tolist() == a.tolist()
    t = a.t()
    assert not t.is_contiguous() and t.contiguous().is_contiguous()


def test_hash_is_identity_and_comparisons_give_bool_tensors():
    a, b = kitty.tensor([1, 2]), kitty.tensor([1, 3])
    assert len({a, b}) == 2
    for op in ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"]:
        k = getattr(a, op)(b)
        t = getattr(torch.tensor([1, 2]), op)(torch.tensor([1, 3]))
        assert k.dtype is kitty.bool and k.tolist() == t.tolist()
    assert (a == 1).tolist() == [True, False]


def test_requires_grad_flag_only_on_leaves():
    a = kitty.ones(2, requires_grad=True)
    b = a * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        b.requires_grad = False


def test_pickle_and_deepcopy_of_leaves():
    a = kitty.tensor([1.0, 2.0], requires_grad=True)
    for b in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
        assert b.tolist() == a.tolist() and b.requires_grad and b is not a


# ---- repr -------------------------------------------------------------------------------------
REPR_CASES = [
    lambda m: m.tensor([-5.0, 4.0, 13.0]),
    lambda m: m.tensor(14.0),
    lambda m: m.tensor([1, 2, 3]),
    lambda m: m.tensor([True, False]),
    lambda m: m.tensor([1.5, 2.25, -3.125]),
    lambda m: m.tensor([[1e-5, 1.0], [3.0, 4.0]]),
    lambda m: m.tensor([1e9, 1.0]),
    lambda m: m.tensor([0.0, float("nan"), float("inf"), -float("inf")]),
    lambda m: m.tensor([1.0, 2.0], dtype=m.float64),
    lambda m: m.tensor([1, 2], dtype=m.int32),
    lambda m: m.tensor([1.0, 2.0], dtype=m.float16),
    lambda m: m.zeros(0),
    lambda m: m.zeros(2, 0),
    lambda m: m.zeros(0, dtype=m.int64),
    lambda m: m.arange(2000),
    lambda m: m.arange(2000.0).reshape(40, 50),
    lambda m: m.arange(60.0).reshape(3, 4, 5) / 7,
    lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2,
    lambda m: m.arange(30.0) * 1.5,
    lambda m: m.tensor([[123456.0, 0.001]]),
]


@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_repr_matches_torch(case):
    make = REPR_CASES[case]
    k, t = repr(make(kitty)), repr(make(torch))
    t = t.replace("torch.", "kittygrad.").replace("MulBackward0", "MulBackward")
    assert k == t


@settings(max_examples=examples(40), deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=5), elements=st.floats(-1e6, 1e6, width=32)))
def test_repr_matches_torch_on_random_arrays(arr):
    assert repr(kitty.tensor(arr, dtype=kitty.float32)) == repr(torch.tensor(arr, dtype=torch.float32))


def test_torch_style_helpers():
    a = kitty.zeros(2, 3, dtype=kitty.float64)
    for k, t in ((a, torch.zeros(2, 3, dtype=torch.float64)), (a.t(), torch.zeros(2, 3, dtype=torch.float64).t())):
        assert k.stride() == t.stride() and k.stride(-1) == t.stride(-1)
    assert a.new_zeros(4).dtype is kitty.float64 and a.new_ones((2, 2)).shape == (2, 2)
    assert a.new_full((2,), 7).tolist() == [7.0, 7.0] and a.new_tensor([1, 2]).dtype is kitty.float64
    assert f"{kitty.tensor(3.14159):.2f}" == "3.14"
    assert 2 in kitty.tensor([1, 2]) and 5 not in kitty.tensor([1, 2])
    assert a[1:].storage_offset() == 3
    assert kitty.Tensor([1, 2]).dtype is kitty.float32 and kitty.Tensor(2, 3).shape == (2, 3)


@pytest.mark.parametrize("make", [
    lambda m: m.arange(12.).view(3, 4)[None],
    lambda m: m.arange(12.).view(3, 4)[:, None],
    lambda m: m.arange(12.).view(3, 4)[..., None],
    lambda m: m.arange(12.).view(3, 4).t()[None],
    lambda m: m.arange(4).expand(1, -1),  # BERT's position_ids buffer
    lambda m: m.arange(4).expand(1, 1, 4),
    lambda m: m.arange(4).expand(2, 1, 4),
    lambda m: m.zeros(3, 1).expand(1, 3, 5),
    lambda m: m.tensor(5.).expand(3).unsqueeze(0),
    lambda m: m.broadcast_to(m.arange(4), (1, 4)),
], ids=["None first", "None middle", "None last", "transposed", "expand(1, -1)", "expand 1 1", "expand 2 1",
        "expand column", "stride-0 unsqueeze", "broadcast_to"])
def test_added_size_one_dims_report_torchs_strides(make):
    k, t = make(kitty), make(torch)
    assert k.stride() == t.stride()


def test_explicit_dtype_converts_python_data_directly():
    assert kitty.tensor([0.1], dtype=kitty.float64).item() == 0.1
    assert kitty.tensor(0.1, dtype=kitty.float64).item() == 0.1
    assert kitty.tensor([[1, 2]], dtype=kitty.float32).dtype is kitty.float32


def test_tensor_from_a_tensor_or_a_list_of_arrays_warns_as_torch():
    with pytest.warns(UserWarning, match=r"To copy construct from a tensor, it is recommended to use sourceTensor\.detach\(\)\.clone\(\)"):
        copy = kitty.tensor(kitty.ones(2, requires_grad=True))
    assert not copy.requires_grad and copy.tolist() == [1.0, 1.0]
    _prep.WARNED_ONCE.discard("tensor_from_numpy_list")
    with pytest.warns(UserWarning, match="Creating a tensor from a list of numpy.ndarrays is extremely slow"):
        assert kitty.tensor([np.ones(2), np.zeros(2)]).shape == (2, 2)
    with warnings.catch_warnings():  # (that one once a process, as torch)
        warnings.simplefilter("error")
        kitty.tensor([np.ones(2), np.zeros(2)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kitty.tensor([1.0, 2.0])
        kitty.tensor(np.ones(2))
        kitty.as_tensor(kitty.ones(2))
        kitty.distributions.Normal(kitty.tensor(0.0), 1.0).sample()  # the library's own calls stay quiet


@pytest.mark.parametrize("code", [
    # the shape comes off the first items: an array first makes the tensors after it blocks of rows
    "lib.tensor([np.ones(2), lib.ones(2)])", "lib.tensor([np.ones(2, dtype=np.float32), lib.ones(2, dtype=lib.float64)])",
    "lib.tensor([np.ones(2, dtype=np.int8), lib.ones(2, dtype=lib.int32)])", "lib.tensor([np.arange(2), lib.ones(2)])",
    "lib.tensor([[np.ones(2)], [lib.ones(2)]])", "lib.tensor([np.ones(1), lib.ones(1)])", "lib.tensor([[1., 2.], lib.ones(2)])",
    "lib.tensor([np.ones((2, 2)), lib.ones(2, 2).t()])", "lib.tensor([np.ones(0), lib.ones(0)])",
    "lib.tensor([np.ones(2), lib.ones(2, requires_grad=True)])", "lib.tensor([np.ones(2), lib.arange(2)], dtype=lib.int64)",
    "lib.as_tensor([np.ones(2), lib.ones(2)])",
    # ... which must fit it; a tensor first is read as one number
    "lib.tensor([np.ones(2), lib.ones(3)])", "lib.tensor([np.ones((2, 2)), lib.ones(2)])", "lib.tensor([np.ones(2), lib.ones(2, 2)])",
    "lib.tensor([np.ones(2), lib.ones(())])", "lib.tensor([np.ones((2, 2)), lib.ones(2, 3)])", "lib.tensor([lib.ones(2), np.ones(2)])",
    "lib.tensor([lib.ones(2), [1, 2]])",
])
def test_tensors_after_an_array_in_a_list_are_read_as_torch_reads_them(code):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the slow list-of-arrays warning)
        try:
            theirs = eval(code, {"lib": torch, "np": np})
        except Exception:
            ours, theirs = raised_as_torch(lambda: eval(code, {"lib": torch, "np": np}),
                                           lambda: eval(code, {"lib": kitty, "np": np}))
            assert ours == theirs
            return
        ours = eval(code, {"lib": kitty, "np": np})
    assert name(ours.dtype) == name(theirs.dtype) and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("expr", [
    "tensor([300], dtype=M.int8)", "tensor([[1, 2], [3, 400]], dtype=M.int8)", "tensor([-256], dtype=M.uint8)",
    "tensor([-255, 3], dtype=M.uint8)", "tensor([255.5], dtype=M.uint8)", "tensor([-1.0], dtype=M.uint8)",
    "tensor([float('nan')], dtype=M.int32)", "tensor([1e10], dtype=M.int32)", "tensor(np.int64(300), dtype=M.int8)",
    "tensor([1.7, -2.7], dtype=M.int64)", "as_tensor([300], dtype=M.int8)", "as_tensor(np.array([300]), dtype=M.int8)",
    "tensor([2**63])", "tensor([[2**63]])", "tensor(2**70)", "tensor([2**63], dtype=M.int32)", "tensor([-2**63])",
])
def test_python_numbers_into_integer_dtypes_are_checked_like_torch(expr):
    # torch converts each Python number with a range check (an unsigned dtype also takes negatives
    # down to minus its maximum, wrapping); NumPy wraps silently or raises its own OverflowError
    outs = []
    for M in (torch, kitty):
        try:
            outs.append(eval(f"M.{expr}").tolist())
        except (RuntimeError, ValueError) as e:
            outs.append((RuntimeError if isinstance(e, RuntimeError) else ValueError, str(e)))
    assert outs[0] == outs[1]


@pytest.mark.parametrize("fn", [
    lambda M: np.exp(M.tensor([0.0, 1.0])), lambda M: np.sqrt(M.tensor(4.0)), lambda M: np.add(M.tensor([1, 2]), 1),
    lambda M: np.greater(M.tensor([0.5, 2.0]), 1), lambda M: np.clip(M.tensor([-1.0, 3.0]), 0, 1),
    lambda M: np.maximum(M.tensor([[1.0, -2.0]]), 0), lambda M: np.concatenate([M.tensor([1.0]), M.tensor([2.0])]),
])
def test_numpy_ufuncs_on_tensors_hand_back_tensors_as_torch(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch's __array_wrap__ lacks NumPy 2's arguments
        k, t = fn(kitty), fn(torch)
    assert type(k).__name__ == type(t).__name__
    assert str(getattr(k, "dtype", "")).split(".")[-1] == str(getattr(t, "dtype", "")).split(".")[-1]
    np.testing.assert_allclose(np.asarray(k), np.asarray(t), rtol=1e-6)


@pytest.mark.parametrize("arr", [np.array(["a"]), np.array([object()]), np.array([b"x"])])
def test_from_numpy_names_an_unsupported_array_type_as_torch(arr):
    with pytest.raises(TypeError) as t:
        torch.from_numpy(arr)
    with pytest.raises(TypeError) as k:
        kitty.from_numpy(arr)
    assert str(k.value).split(". ")[0] == str(t.value).split(". ")[0]  # the supported lists differ


def test_tensor_classes_print_as_torchs_under_the_runner(monkeypatch):
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")  # as kittygrad.run sets it

    class Mine(kitty.Tensor):
        pass

    got = [repr(type(kitty.ones(1))), repr(kitty.Tensor), repr(type(kitty.nn.Parameter(kitty.ones(1)))),
           repr(kitty.FloatTensor), repr(Mine)]
    want = [repr(type(torch.ones(1))), repr(torch.Tensor), repr(type(torch.nn.Parameter(torch.ones(1)))),
            repr(torch.FloatTensor), repr(type("Mine", (torch.Tensor,), {"__qualname__": Mine.__qualname__}))]
    assert got == want



def test_shape_dtype_and_device_classes_print_as_torchs_under_the_runner(monkeypatch):
    """Tutorials print ``type(x.shape)`` ("torch.Size is a tuple"), ``type(x.dtype)``, ``type(x.device)``."""
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")  # as kittygrad.run sets it

    class MySize(kitty.Size):
        pass

    def classes(lib):
        x = lib.zeros(2, 3)
        return [repr(c) for c in (type(x.shape), type(x.shape[1:]), type(x.dtype), type(lib.complex64),
                                  type(x.device), type(lib.finfo()), type(lib.iinfo(lib.int8)), type(x.layout),
                                  type(lib.channels_last))]

    assert classes(kitty) == classes(torch)
    assert repr(MySize) == f"<class '{__name__}.{MySize.__qualname__}'>"

@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kitty"])
def test_deepcopy_of_parameter_drops_grad_but_plain_tensor_keeps_it(lib):
    p = lib.nn.Parameter(lib.ones(2))
    p.grad = lib.full((2,), 3.0)
    t = lib.ones(2, requires_grad=True)
    t.grad = lib.full((2,), 3.0)
    q, u = copy.deepcopy(p), copy.deepcopy(t)
    assert q.grad is None and type(q) is lib.nn.Parameter and q.requires_grad
    assert u.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("make", [
    lambda m: m.empty(0), lambda m: m.zeros(0, 3), lambda m: m.ones(2, 0, 4), lambda m: m.tensor([]),
    lambda m: m.arange(0), lambda m: m.combinations(m.tensor([1, 2, 3]), r=0), lambda m: m.zeros(3)[3:],
])
def test_empty_tensors_report_torchs_strides(make):
    # NumPy 2 gives a fresh empty array all-zero strides; torch gives the shape's contiguous ones
    ours, theirs = make(kitty), make(torch)
    assert ours.stride() == theirs.stride() and ours.stride(-1) == theirs.stride(-1)


@pytest.mark.parametrize("code", [
    "lib.arange(0, 10, -1)", "lib.arange(10, 0, 1)", "lib.arange(0., 10., -1.)", "lib.arange(0, float('inf'))",
    "lib.arange(0.5, float('nan'))", "lib.zeros(-1)", "lib.zeros(2, -3)", "lib.zeros(size=(-1,))", "lib.ones(-1)",
    "lib.empty(2, -1)", "lib.ones(2).new_zeros(-1)", "lib.ones(2).new_empty((-1,))", "lib.rand(-1)", "lib.full((-1,), 1.)",
])
def test_bad_ranges_and_sizes_are_worded_as_torch_words_them(code):
    ours, theirs = raised_as_torch(lambda: eval(code, {"lib": torch}), lambda: eval(code, {"lib": kitty}))
    assert ours == theirs


@pytest.mark.parametrize("code", [
    # no size at all is refused (a 0-d tensor needs one: ``zeros(())``), keywords or not
    "lib.zeros()", "lib.empty()", "lib.ones()", "lib.rand()", "lib.randn()", "lib.zeros(dtype=lib.float64)",
    "lib.randn(dtype=lib.float64)", "lib.full(fill_value=1.0)", "lib.full((2,))", "lib.ones(2).new_zeros()",
    "lib.ones(2).new_ones()", "lib.ones(2).new_empty()",
    # a float, None or nested size: named by argument and position
    "lib.zeros(2.5)", "lib.ones(2, 3.0)", "lib.randn(2.0)", "lib.zeros(None)", "lib.rand(None)", "lib.zeros(2, (3,))",
    "lib.zeros((2,), 3)", "lib.ones(None, 2)", "lib.randn((2,), 3)", "lib.zeros([2.5])", "lib.zeros((2, 3.0))",
    "lib.zeros(size=2.5)", "lib.zeros(size=[2.5])", "lib.zeros(size=(2, 3.0))", "lib.zeros(np.float64(3))",
    "lib.zeros(lib.tensor(3.0))", "lib.zeros(True)", "lib.zeros(2, lib.tensor(3.))", "lib.zeros(range(3))",
    "lib.full(2.5, 1.)", "lib.full(2, 1.)", "lib.full([2, 3.0], 1.)", "lib.full(2.5)", "lib.empty(2, 3.0)",
    "lib.ones(2).new_zeros(2, 3.0)", "lib.ones(2).new_ones((2.5,))", "lib.ones(2).new_full(2.5, 1)",
    "lib.randint(5, (2.5,))", "lib.randint(0, 5, (2, 3.0))", "lib.randint(0, 5, 2)", "lib.randint(5, size=(2.5,))",
    "lib.rand(2, generator=1)", "lib.randperm(2.5)", "lib.zeros(2.5, device='cuda')",
])
def test_factory_sizes_are_refused_as_torch_refuses_them(code):
    ours, theirs = raised_as_torch(lambda: eval(code, {"lib": torch, "np": np}), lambda: eval(code, {"lib": kitty, "np": np}))
    assert ours.replace("kittygrad.", "torch.") == theirs


@pytest.mark.parametrize("code", [
    "lib.zeros(())", "lib.zeros([])", "lib.zeros(size=())", "lib.full((), 2.0)", "lib.empty(size=())",
    "lib.zeros(2, True)", "lib.zeros(np.int64(3))", "lib.zeros(2, lib.tensor(3))", "lib.randint(5, ())",
    "lib.ones(2).new_zeros(())", "lib.FloatTensor(lib.Size([]))",
])
def test_factory_sizes_torch_takes(code):
    ours, theirs = eval(code, {"lib": kitty, "np": np}), eval(code, {"lib": torch, "np": np})
    assert tuple(ours.shape) == tuple(theirs.shape) and name(ours.dtype) == name(theirs.dtype)


def test_layers_with_empty_parameter_shapes_still_build():
    # kittygrad's own modules make their parameters with one shape tuple, which may be ()
    assert kitty.nn.LayerNorm(()).weight.shape == torch.nn.LayerNorm(()).weight.shape
    assert kitty.nn.RMSNorm(()).weight.shape == torch.nn.RMSNorm(()).weight.shape
