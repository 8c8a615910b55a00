"""The breadth of torch's namespaces that is not an op-table row: predicates, legacy typed tensors and
constructors, tensors over raw memory, resizing, Python callables, refusals, and the errors of the
new op families -- each compared with torch (values, dtypes, error types and messages)."""
from __future__ import annotations

import array
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty


def _outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - compared below
            return e


def _same(k, t):
    """kittygrad's result (or error) ``k`` is torch's ``t``."""
    if isinstance(t, Exception):
        assert isinstance(k, Exception), f"torch raised {t!r}, kittygrad returned {k!r}"
        assert _base(k) is _base(t), f"{k!r} vs {t!r}"
        # kittygrad may add to torch's message (which op; what to do instead), never change it
        assert str(k).startswith(str(t).rstrip(".")), f"message {str(k)!r} != torch {str(t)!r}"
        return
    assert not isinstance(k, Exception), f"kittygrad raised {k!r}; torch gave {t!r}"
    if isinstance(t, torch.Tensor):
        assert isinstance(k, kitty.Tensor)
        assert str(k.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(k.detach().numpy(), t.detach().numpy(), rtol=1e-6, equal_nan=True)
    elif isinstance(t, (tuple, list)):
        assert len(k) == len(t)
        for a, b in zip(k, t):
            _same(a, b)
    else:
        assert k == t


def _base(e):
    for cls in (IndexError, TypeError, ValueError, NotImplementedError, RuntimeError, BufferError):
        if isinstance(e, cls):
            return cls
    return type(e)


def both(fn):
    """Run ``fn(lib)`` with kittygrad and with torch and require the same outcome."""
    _same(_outcome(lambda: fn(kitty)), _outcome(lambda: fn(torch)))


# ---- predicates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"])
def test_dtype_predicates(dtype):
    both(lambda m: m.ones(2, dtype=getattr(m, dtype)).is_signed())
    both(lambda m: m.is_signed(m.ones(2, dtype=getattr(m, dtype))))
    both(lambda m: (m.is_complex(m.ones(1, dtype=getattr(m, dtype))), m.ones(1, dtype=getattr(m, dtype)).is_complex()))
    both(lambda m: m.ones(2, dtype=getattr(m, dtype)).is_floating_point())


def test_can_cast_every_pair():
    names = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
    for a in names:
        for b in names:
            both(lambda m, a=a, b=b: m.can_cast(getattr(m, a), getattr(m, b)))


@pytest.mark.parametrize("values", [[0.0], [1.5], [], [1, 2], 3, True])
def test_is_nonzero(values):
    both(lambda m: m.is_nonzero(m.tensor(values)))
    both(lambda m: m.tensor(values).is_nonzero())


def test_identity_predicates_and_views():
    for m in (kitty, torch):
        x = m.ones(2, 3)
        assert not m.is_conj(x) and not m.is_neg(x) and not x.is_conj() and not x.is_neg()
        assert not x.is_inference() and not m.is_inference(x)
        assert m.is_same_size(x, m.zeros(2, 3)) and not x.is_same_size(m.zeros(3, 2))
        assert not m.is_storage(x) and not m.is_distributed(x)
        assert x.conj() is x and m.conj(x) is x and x.resolve_conj() is x and x.resolve_neg() is x
        assert m.conj_physical(x) is x and x.conj_physical_() is x and m.real(x) is x
        assert m.positive(x) is x and x.positive() is x
        assert x.adjoint()._base is x and tuple(x.adjoint().shape) == (3, 2)
        assert x.is_set_to(x) and x.is_set_to(x.detach()) and not x.is_set_to(x.view(6))
        assert x.type_as(m.zeros(1, dtype=m.int64)).dtype is m.int64
        assert x.dim_order() == (0, 1, 2)[:2]
        assert m.ones(2, 3, 4).permute(2, 0, 1).dim_order() == (1, 2, 0)
    both(lambda m: m.imag(m.ones(2)))
    both(lambda m: m.ones(3).adjoint())
    both(lambda m: m.positive(m.tensor([True])))


# ---- legacy typed tensors and constructors --------------------------------------------------------


LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
          "ByteTensor", "BoolTensor"]


DTYPES = dict(zip(LEGACY, ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]))


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_tensor_types(name):
    both(lambda m: getattr(m, name)([1, 0, 2]))
    both(lambda m: getattr(m, name)(2, 3).shape == (2, 3))
    both(lambda m: getattr(m, name)().shape == (0,))
    both(lambda m: getattr(m, name)(m.Size([2])).shape == (2,))
    for m in (kitty, torch):
        cls = getattr(m, name)
        assert str(cls.dtype).split(".")[-1] == DTYPES[name]
        t = m.ones(2, dtype=cls.dtype)
        assert isinstance(t, cls) and isinstance(t, m.Tensor) and type(t) is m.Tensor
        other = m.ones(2, dtype=m.float64 if cls.dtype is not m.float64 else m.float32)
        assert not isinstance(other, cls)
        assert cls.__name__ == name and not issubclass(cls, m.Tensor)


def test_legacy_constructor_details():
    both(lambda m: m.LongTensor([1.7, -1.5]))
    both(lambda m: m.FloatTensor(m.tensor([1.0, 2.0])))
    assert isinstance(_outcome(lambda: kitty.DoubleTensor(kitty.tensor([1.0]))), TypeError)
    x = kitty.tensor([1.0, 2.0])
    alias = kitty.FloatTensor(x)
    alias[0] = 5.0
    assert x[0].item() == 5.0  # an alias, as torch
    assert repr(kitty.FloatTensor) == "<class 'kittygrad.FloatTensor'>"


def test_tensor_new():
    both(lambda m: m.ones(2, dtype=m.int64).new(2, 3).shape == (2, 3))
    both(lambda m: m.ones(2, dtype=m.int64).new([1.5, 2]))
    both(lambda m: m.ones(2).new().shape == (0,))
    both(lambda m: m.ones(2).new(m.Size([3])).shape == (3,))
    both(lambda m: m.ones(2).new(m.tensor([1.0, 2.0])))
    assert isinstance(_outcome(lambda: kitty.ones(2).new(kitty.tensor([1, 2]))), TypeError)
    assert kitty.ones(2, dtype=kitty.int16).new(2).dtype is kitty.int16


def test_range_scalar_tensor_typename():
    both(lambda m: m.range(1, 4))
    both(lambda m: m.range(0, 1, 0.25, dtype=m.float64))
    both(lambda m: m.range(1, 4, dtype=m.int64))
    both(lambda m: m.range(3))
    with pytest.warns(UserWarning, match="deprecated"):
        kitty.range(1, 2)
    both(lambda m: m.scalar_tensor(3))
    both(lambda m: m.scalar_tensor(True))
    both(lambda m: m.scalar_tensor(3, dtype=m.int64))
    for m in (kitty, torch):
        assert m.typename(m.ones(1, dtype=m.int64)) == m.__name__ + ".LongTensor"
        assert m.typename(3) == "int" and m.typename("x") == "str"


# ---- raw memory -----------------------------------------------------------------------------------


def test_frombuffer():
    both(lambda m: m.frombuffer(bytearray(b"\x01\x00\x00\x00\x02\x00\x00\x00"), dtype=m.int32))
    both(lambda m: m.frombuffer(bytearray(8), dtype=m.int16, count=2, offset=2))
    both(lambda m: m.frombuffer(array.array("f", [1.5, 2.5]), dtype=m.float32))
    both(lambda m: m.frombuffer(bytearray(7), dtype=m.float32))
    buf = bytearray(8)
    t = kitty.frombuffer(buf, dtype=kitty.int32)
    buf[0] = 7
    assert t[0].item() == 7  # shares the buffer


def test_empty_strided():
    for size, stride in [((2, 3), (3, 1)), ((2, 3), (1, 2)), ((2, 3, 4, 5), (60, 1, 15, 3)), ((2, 1, 3), (3, 99, 1)),
                         ((0, 3), (3, 1))]:
        both(lambda m, size=size, stride=stride: (tuple(m.empty_strided(size, stride).shape),
                                                  m.empty_strided(size, stride).dtype is m.float32))
        assert kitty.empty_strided(size, stride).stride() == torch.empty_strided(size, stride).stride() or 0 in size \
            or 1 in size
    with pytest.raises(RuntimeError, match="dense layout"):
        kitty.empty_strided((2, 3), (1, 1))


def test_refusals_say_why():
    with pytest.raises(RuntimeError, match="file-backed"):
        kitty.from_file("weights.bin")
    with pytest.raises(RuntimeError, match="complex"):
        kitty.view_as_real(kitty.ones(2, 2))
    for name in ("from_file", "complex", "polar", "view_as_real", "view_as_complex"):
        assert getattr(kitty, name).__kittygrad_refused__


# ---- resizing and Python callables ----------------------------------------------------------------


def test_resize():
    both(lambda m: m.arange(6.0).resize_(2, 2))
    both(lambda m: m.arange(3.0).resize_(2, 2).shape == (2, 2))
    both(lambda m: m.arange(3.0).resize_(2, 2)[0])
    both(lambda m: m.arange(3.0, requires_grad=True).resize_(1, 3))
    both(lambda m: (m.arange(3.0, requires_grad=True) * 1).resize_(1, 3))
    both(lambda m: m.arange(6.0).resize_as_(m.ones(3)))
    both(lambda m: m.arange(6.0).resize(2, 3))
    both(lambda m: m.arange(6.0).resize_as(m.ones(3, 2)))
    x = kitty.arange(6.0)
    y = x.resize_(2, 2)
    assert y is x and x.shape == (2, 2)


def test_apply_and_map():
    both(lambda m: m.tensor([1.0, 2.0]).apply_(lambda v: v * 10))
    both(lambda m: m.tensor([1, 2]).apply_(lambda v: v / 4))
    both(lambda m: m.tensor([1.0, 2], requires_grad=True).apply_(lambda v: v))
    both(lambda m: m.tensor([[1.0, 2], [3, 4]]).map_(m.tensor([10.0, 20]), lambda a, b: a + b))
    both(lambda m: m.tensor([1.0, 2]).map2_(m.tensor([10.0, 20]), m.tensor([1.0, 1]), lambda a, b, c: a + b + c))
    k = _outcome(lambda: kitty.tensor([1.0, 2]).map_(kitty.tensor([10, 20]), lambda a, b: a + b))
    assert isinstance(k, TypeError)


def test_sum_to_size_values_and_gradients():
    both(lambda m: m.ones(2, 3, 4).sum_to_size(3, 1))
    both(lambda m: m.ones(2, 3).sum_to_size((1, 3)))
    both(lambda m: m.ones(2, 3, 4).sum_to_size(2, 1))
    grads = []
    for m in (kitty, torch):
        x = m.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
        (x.sum_to_size(3, 1) * m.tensor([[1.0], [2.0], [3.0]])).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(*grads)


# ---- in-place ops: semantics and errors -----------------------------------------------------------


TORCH_INPLACE = [n for n in dir(torch) if n.endswith("_") and not n.startswith("_") and callable(getattr(torch, n))]


def test_top_level_inplace_functions_exist():
    missing = [n for n in TORCH_INPLACE if not hasattr(kitty, n)]
    # the nn ones (dropout_ & co.), embedding_renorm_, resize_as_* and rrelu_ are nn's or storage's
    assert set(missing) <= {"as_strided_", "alpha_dropout_", "dropout_", "feature_alpha_dropout_", "feature_dropout_",
                            "embedding_renorm_", "resize_as_sparse_", "feature_dropout_"}, missing


def test_comparisons_into_self():
    both(lambda m: m.tensor([1, 2, 3]).lt_(m.tensor([2.5, 2.5, 2.5])))
    both(lambda m: m.tensor([True, False]).gt_(0))
    both(lambda m: m.tensor([1.0, 2.0]).eq_(m.ones(2, 2)))
    both(lambda m: m.tensor([1.0, 2.0], requires_grad=True).eq_(1.0))
    for m in (kitty, torch):
        x = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x * 1
        y.ge_(0)
        y.sum().backward()
        assert y.requires_grad and x.grad.tolist() == [0.0, 0.0, 0.0]


def test_inplace_view_ops():
    both(lambda m: m.ones(2, 3, 4).t_())
    both(lambda m: m.ones(2, 3, requires_grad=True).t_())
    both(lambda m: m.ones(2, 3).swapaxes_(0, 1).shape)
    both(lambda m: m.ones(2, 3).swapdims_(0, 1).shape)
    both(lambda m: m.ones(1, 3, 1).squeeze_(0).shape)
    both(lambda m: m.ones(3).unsqueeze_(-1).shape)
    for m in (kitty, torch):
        y = m.ones(2, 3) * 1
        v0 = y._version
        assert y.t_() is y and y._version == v0 + 1 and tuple(y.shape) == (3, 2)
        s = m.ones(3, 4, requires_grad=True) * 1
        a, _ = s.split(2)
        assert isinstance(_outcome(lambda a=a: a.t_()), RuntimeError)
        with m.no_grad():
            w = s[0:2]
        assert isinstance(_outcome(lambda w=w: w.t_()), RuntimeError)
        # a view stays a view of its base through transpose_
        b = m.zeros(2, 3, 4)
        v = b[0]
        v.transpose_(0, 1)
        v[0, 1] = 7.0
        assert b[0, 1, 0].item() == 7.0 and tuple(v.shape) == (4, 3)


def test_twins_refuse_what_torch_refuses():
    both(lambda m: m.ones(2, dtype=m.int64).copysign_(m.tensor([-1, 1])))
    both(lambda m: m.ones(2, dtype=m.int64).deg2rad_())
    both(lambda m: m.ones(2).float_power_(2))
    both(lambda m: m.ones(2, dtype=m.float64).float_power_(2))
    both(lambda m: m.ones(2, requires_grad=True).cumsum_(0))
    both(lambda m: m.arange(5).cumsum_(0))
    both(lambda m: m.tensor([3, 1]).cumprod_(0))


# ---- errors of the new families -------------------------------------------------------------------


ERROR_CASES = [
    lambda m: m.diff(m.tensor(1.0)),
    lambda m: m.diff(m.tensor([1.0, 2]), n=-1),
    lambda m: m.frexp(m.tensor([1, 2])),
    lambda m: m.gcd(m.ones(2), m.ones(2)),
    lambda m: m.logaddexp2(m.tensor([1]), m.tensor([2])),
    lambda m: m.nextafter(m.tensor([1]), m.tensor([2])),
    lambda m: m.heaviside(m.ones(2), m.ones(2, dtype=m.int64)),
    lambda m: m.heaviside(m.ones(2), 0.5),
    lambda m: m.ldexp(m.ones(2), 2),
    lambda m: m.logcumsumexp(m.tensor([1, 2]), 0),
    lambda m: m.cov(m.ones(2, 2, 2)),
    lambda m: m.quantile(m.tensor([1, 2]), 0.5),
    lambda m: m.quantile(m.tensor([1.0, 2]), 1.5),
    lambda m: m.bincount(m.tensor([0, -1])),
    lambda m: m.bincount(m.tensor([1.0])),
    lambda m: m.histc(m.tensor([1, 2]), bins=4),
    lambda m: m.inner(m.ones(2, 3), m.ones(4, 2)),
    lambda m: m.dist(m.tensor([1, 2]), m.tensor([0, 0])),
    lambda m: m.renorm(m.tensor([[1, 2]]), 1, 0, 5),
    lambda m: m.bucketize(m.tensor([3]), m.ones(2, 2)),
    lambda m: m.searchsorted(m.ones(2, 3), m.ones(3, 3)),
    lambda m: m.diagonal_scatter(m.zeros(3, 3), m.ones(3), 1),
    lambda m: m.select_scatter(m.zeros(2, 3), m.ones(2), 0, 1),
    lambda m: m.slice_scatter(m.zeros(4, 3), m.ones(3, 3), start=1, step=2),
    lambda m: m.zeros(3).index_put_((m.tensor([0]),), m.tensor([1])),
    lambda m: m.zeros(2, 3).put(m.tensor([0, 6]), m.tensor([1.0, 2])),
    lambda m: m.zeros(2, 3).put(m.tensor([0, 1]), m.tensor([1.0])),
    lambda m: m.zeros(2, 3).put(m.tensor([0]), m.tensor([1])),
    lambda m: m.zeros(2, 3, 2).fill_diagonal_(2),
    lambda m: m.zeros(2).fill_diagonal_(2),
    lambda m: m.hsplit(m.arange(8).reshape(2, 4), 3),
    lambda m: m.vsplit(m.arange(4), 2),
    lambda m: m.dsplit(m.ones(2, 2), 1),
    lambda m: m.hsplit(m.tensor(1.0), 1),
    lambda m: m.split_with_sizes(m.arange(5), [2, 2]),
    lambda m: m.arange(5.0).unfold(0, 6, 1),
    lambda m: m.arange(5.0).unfold(0, 2, 0),
    lambda m: m.combinations(m.ones(2, 2)),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=range(len(ERROR_CASES)))
def test_errors_match_torch(case):
    both(case)


def test_mode_gradient_and_ties():
    for values in ([3.0, 1.0, 3.0, 1.0, 2.0], [[1, 2, 2, 3, 3], [5, 5, 1, 1, 0]]):
        both(lambda m, v=values: m.mode(m.tensor(v)))
    grads = []
    for m in (kitty, torch):
        x = m.tensor([3.0, 1.0, 3.0, 1.0, 2.0], requires_grad=True)
        m.mode(x).values.backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(*grads)


def test_histogram_and_bincount_dtypes():
    both(lambda m: m.bincount(m.tensor([0, 1, 1, 3]), weights=m.tensor([1, 1, 2, 3])))
    both(lambda m: m.bincount(m.tensor([0, 1, 1, 3]), weights=m.tensor([0.5, 1, 2, 3], dtype=m.float64)))
    both(lambda m: m.bincount(m.tensor([], dtype=m.int64)))
    both(lambda m: m.histc(m.tensor([2.0, 2.0]), bins=4))
    both(lambda m: m.histc(m.tensor([1.0, 2, 1, 5, 7]), bins=4, min=0, max=3))
    both(lambda m: tuple(m.histogram(m.tensor([1.0, 2, 1, 5, 7]), bins=3, range=(0.0, 4.0))))


def test_search_and_sets():
    both(lambda m: m.searchsorted(m.tensor([1, 3, 5, 7, 9]), 4))
    both(lambda m: m.searchsorted(m.tensor([1, 3, 5]), m.tensor([3]), side="right", right=False))
    both(lambda m: m.bucketize(3, m.tensor([1, 3, 5, 7, 9])))
    both(lambda m: m.isin(2, m.tensor([1, 2])))
    both(lambda m: m.isin(m.tensor([1.0, 2.0]), m.tensor([2])))


def test_trapezoid_family_and_gradient():
    both(lambda m: m.trapezoid(m.tensor([1, 2, 3])))
    both(lambda m: m.trapezoid(m.ones(3, 0)))
    both(lambda m: m.cumulative_trapezoid(m.ones(2, 1)))
    both(lambda m: m.gradient(m.tensor([1.0])))
    both(lambda m: m.gradient(m.tensor([1.0, 4, 9, 16]), spacing=2))


# ---- torch's top-level bindings of nn ops ---------------------------------------------------------


def _nn_inputs(m):
    g = np.random.default_rng(0)

    def t(*shape, lo=None):
        a = g.standard_normal(shape)
        return m.tensor(np.abs(a) + lo if lo is not None else a, dtype=m.float64)

    return t


NN_BINDINGS = [
    lambda m, t: m.conv1d(t(1, 2, 5), t(3, 2, 2), t(3), 1, 1),
    lambda m, t: m.conv2d(t(1, 2, 4, 4), t(3, 2, 2, 2), None, 2),
    lambda m, t: m.conv_transpose1d(t(1, 2, 4), t(2, 3, 2), None, 2),
    lambda m, t: m.avg_pool1d(t(1, 2, 6), 2),
    lambda m, t: m.max_pool1d(t(1, 2, 6), 3, 2),
    lambda m, t: m.max_pool2d(t(1, 1, 4, 4), 2),
    lambda m, t: m.adaptive_avg_pool1d(t(1, 2, 6), 3),
    lambda m, t: m.adaptive_max_pool1d(t(1, 2, 6), 3),
    lambda m, t: m.batch_norm(t(4, 3), t(3), t(3), None, None, True, 0.1, 1e-5, False),
    lambda m, t: m.batch_norm(t(4, 3), None, None, t(3), t(3, lo=0.5), False, 0.1, 1e-5, False),
    lambda m, t: m.instance_norm(t(2, 3, 4), t(3), None, None, None, True, 0.1, 1e-5, False),
    lambda m, t: m.layer_norm(t(2, 3), [3], t(3), t(3)),
    lambda m, t: m.group_norm(t(2, 4, 3), 2, t(4), t(4)),
    lambda m, t: m.dropout(t(2, 3), 0.5, False),
    lambda m, t: m.alpha_dropout(t(2, 3), 0.5, False),
    lambda m, t: m.embedding(t(5, 2), m.tensor([[0, 4], [2, 2]])),
    lambda m, t: m.embedding(t(5, 2), m.tensor([0, 3]), 3),
    lambda m, t: m.bilinear(t(2, 3), t(2, 4), t(5, 3, 4), t(5)),
    lambda m, t: m.cosine_similarity(t(2, 3), t(2, 3)),
    lambda m, t: m.pairwise_distance(t(2, 3), t(2, 3), 1.5),
    lambda m, t: m.pdist(t(4, 3)),
    lambda m, t: m.pixel_shuffle(t(1, 4, 2, 2), 2),
    lambda m, t: m.pixel_unshuffle(t(1, 1, 4, 4), 2),
    lambda m, t: m.channel_shuffle(t(1, 4, 2, 2), 2),
    lambda m, t: m.hardshrink(t(2, 3), 0.3),
    lambda m, t: m.threshold(t(2, 3), 0.1, 20.0),
    lambda m, t: m.rrelu(t(2, 3)),
    lambda m, t: m.rms_norm(t(2, 3), [3], t(3), 1e-6),
    lambda m, t: m.constant_pad_nd(t(2, 3), [1, 2], 0.5),
    lambda m, t: m.kl_div(t(2, 3), t(2, 3, lo=0.1), 1),
    lambda m, t: m.kl_div(t(2, 3), t(2, 3), 2, log_target=True),
    lambda m, t: m.margin_ranking_loss(t(4), t(4), m.tensor([1.0, -1, 1, -1], dtype=m.float64), 0.1, 0),
    lambda m, t: m.hinge_embedding_loss(t(4), m.tensor([1.0, -1, 1, -1], dtype=m.float64)),
    lambda m, t: m.triplet_margin_loss(t(3, 2), t(3, 2), t(3, 2), 1.0, 2, 1e-6, True, 2),
    lambda m, t: m.cosine_embedding_loss(t(3, 2), t(3, 2), m.tensor([1.0, -1, 1], dtype=m.float64)),
    lambda m, t: m.binary_cross_entropy_with_logits(t(3), t(3, lo=0.0).clamp(0, 1), None, t(3, lo=0.5), 2),
    lambda m, t: m.poisson_nll_loss(t(3), t(3, lo=0.0), True, True, 1e-8, 1),
    lambda m, t: m.kl_div(t(2), t(2), 3),
    lambda m, t: m.rnn_tanh_cell(t(2, 3), t(2, 4), t(4, 3), t(4, 4), t(4), t(4)),
    lambda m, t: m.rnn_relu_cell(t(2, 3), t(2, 4), t(4, 3), t(4, 4)),
    lambda m, t: m.gru_cell(t(2, 3), t(2, 4), t(12, 3), t(12, 4), t(12), t(12)),
    lambda m, t: m.lstm_cell(t(2, 3), (t(2, 4), t(2, 4)), t(16, 3), t(16, 4), t(16), t(16)),
]


@pytest.mark.parametrize("case", NN_BINDINGS, ids=range(len(NN_BINDINGS)))
def test_nn_bindings_match_torch(case):
    both(lambda m: case(m, _nn_inputs(m)))


def test_nn_bindings_in_place_and_gradients():
    for m in (kitty, torch):
        x = m.ones(3)
        assert m.dropout_(x, 0.5, False) is x and m.threshold_(x, 2.0, 0.0) is x and x.tolist() == [0.0, 0.0, 0.0]
    grads = []
    for m in (kitty, torch):
        t = _nn_inputs(m)
        x, w = t(1, 2, 5), t(3, 2, 2)
        x.requires_grad_(True)
        w.requires_grad_(True)
        m.conv1d(x, w).sum().backward()
        h, c = t(2, 4), t(2, 4)
        h.requires_grad_(True)
        y, c2 = m.lstm_cell(t(2, 3), (h, c), t(16, 3), t(16, 4))
        (y.sum() + c2.sum()).backward()
        grads.append((x.grad.numpy(), w.grad.numpy(), h.grad.numpy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    assert kitty.GradScaler is kitty.amp.GradScaler


# ---- windows, DLPack, layouts, subclasses -------------------------------------------------------


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"])
def test_signal_windows(name):
    for n in (0, 1, 2, 5, 8):
        for periodic in (True, False):
            k, t = getattr(kitty, name)(n, periodic), getattr(torch, name)(n, periodic)
            assert k.dtype is kitty.float32 and tuple(k.shape) == tuple(t.shape)
            np.testing.assert_allclose(k.numpy(), t.numpy(), atol=1e-6)
    np.testing.assert_allclose(getattr(kitty, name)(4, dtype=kitty.float64).numpy(),
                               getattr(torch, name)(4, dtype=torch.float64).numpy(), atol=1e-12)
    both(lambda m: getattr(m, name)(3, dtype=m.int64))
    both(lambda m: getattr(m, name)(-1))
    both(lambda m: getattr(m, name)(3, requires_grad=True).requires_grad)
    both(lambda m: m.hamming_window(6, False, 0.5, 0.4))
    both(lambda m: m.kaiser_window(6, True, 5.0))


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_signal_windows_print_as_torch(name, dtype):
    # computed in float64 and in another order, the symmetric ends were 1.4998e-32 (hann) or -1.3878e-17
    # (blackman) instead of torch's 0 and float32 -2.9802e-08, and the repr showed it
    for n in (5, 8, 17):
        for periodic in (True, False):
            k = getattr(kitty, name)(n, periodic, dtype=getattr(kitty, dtype))
            t = getattr(torch, name)(n, periodic, dtype=getattr(torch, dtype))
            assert str(k).replace("kittygrad", "torch") == str(t)
            np.testing.assert_allclose(k.numpy(), t.numpy(), rtol=0, atol=2e-7 if dtype == "float32" else 1e-15)
            assert k.numpy()[[0, -1]].tolist() == t.numpy()[[0, -1]].tolist()


def test_dlpack_shares_memory_both_ways():
    t = torch.arange(3.0)
    k = kitty.from_dlpack(t)
    t[0] = 5.0
    assert k.tolist() == [5.0, 1.0, 2.0]
    k2 = kitty.arange(3.0)
    t2 = torch.from_dlpack(k2)
    k2[1] = 7.0
    assert t2.tolist() == [0.0, 7.0, 2.0]
    assert kitty.from_dlpack(kitty.to_dlpack(kitty.arange(2))).tolist() == [0, 1]
    assert np.from_dlpack(kitty.ones(2)).tolist() == [1.0, 1.0]
    both(lambda m: m.from_dlpack(m.ones(1, requires_grad=True) * 1))


def test_empty_permuted_and_get_device():
    for size, order in [((2, 3, 4), (0, 2, 1)), ((2, 3, 4, 5), (0, 2, 3, 1)), ((2, 3), (0, 1))]:
        assert kitty.empty_permuted(size, order).stride() == torch.empty_permuted(size, order).stride()
        assert tuple(kitty.empty_permuted(size, order).shape) == size
    both(lambda m: m.get_device(m.ones(1)))


def test_as_subclass_and_refused_casts():
    class Tagged(kitty.Tensor):
        pass

    x = kitty.ones(2, requires_grad=True) * 2
    y = x.as_subclass(Tagged)
    assert type(y) is Tagged and y.requires_grad and y.grad_fn is not None
    (y * 3).sum().backward()
    p = kitty.ones(2).as_subclass(kitty.nn.Parameter)
    assert isinstance(p, kitty.nn.Parameter)
    with pytest.raises(TypeError):
        kitty.ones(1).as_subclass(int)
    for name in ("cfloat", "cdouble", "chalf"):
        with pytest.raises(RuntimeError, match="kittygrad has no"):
            getattr(kitty.ones(1), name)()
        assert getattr(kitty.Tensor, name).__kittygrad_refused__


def test_index_reduce_and_statics():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both(lambda m: m.index_reduce(m.ones(3), 0, m.tensor([0, 0]), m.tensor([2.0, 3.0]), "sum"))
        both(lambda m: m.index_reduce(m.ones(3), 0, m.tensor([0.0]), m.tensor([2.0]), "prod"))
        both(lambda m: m.index_reduce(m.ones(3), 0, m.tensor([[0]]), m.tensor([[2.0]]), "prod"))
        both(lambda m: m.index_reduce(m.ones(3), 0, m.tensor([0, 1]), m.tensor([2.0]), "prod"))
        both(lambda m: m.index_reduce(m.ones(3), 0, m.tensor([5]), m.tensor([2.0]), "prod"))
        both(lambda m: m.zeros(2).index_reduce_(0, m.tensor([1]), m.tensor([5.0]), "amax"))
    both(lambda m: m.nonzero_static(m.tensor([[0, 1], [2, 0]]), size=1, fill_value=9))
    both(lambda m: m.histogramdd(m.tensor([[0.0, 1], [1, 0]]), bins=[2, 2, 2]))
    both(lambda m: m.trapz(m.tensor([1.0, 2.0]), m.tensor([0.0, 1.0])))


def test_feature_dropout_hardshrink_nonzero_static_methods():
    both(lambda m: m.feature_dropout(m.ones(3), 0.5, True))
    both(lambda m: m.feature_dropout(m.ones(3, 2), 1.5, True))
    both(lambda m: m.feature_dropout(m.ones(3, 2), 0.5, False))
    both(lambda m: m.feature_dropout_(m.ones(2, 3), 1.0, True))
    x = kitty.ones(8, 4, 3)
    y = kitty.feature_dropout(x, 0.5, True)
    per_channel = y.numpy().reshape(8, 4, 3)
    assert set(np.unique(per_channel)) <= {0.0, 2.0} and (per_channel == per_channel[..., :1]).all()
    both(lambda m: m.tensor([-1.0, 0.3, 0.5, 0.7]).hardshrink())
    both(lambda m: m.tensor([-1.0, 0.3, 0.5, 0.7]).hardshrink(0.6))
    both(lambda m: m.tensor([0, 2, 3]).nonzero_static(size=2))
    for name in ("view_as_real_copy", "view_as_complex_copy"):
        assert getattr(kitty, name).__kittygrad_refused__


def test_math_constants_are_torchs_floats():
    for name in ("pi", "e", "inf", "nan"):
        k, t = getattr(kitty, name), getattr(torch, name)
        assert type(k) is type(t) is float
        assert k == t or (k != k and t != t)
    assert kitty.sin(kitty.tensor(kitty.pi / 2)).item() == torch.sin(torch.tensor(torch.pi / 2)).item()
