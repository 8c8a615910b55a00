"""Argument checks and small behaviours of nn (and a few top-level helpers) against torch: the
error type and text for each bad input, the warnings, and what the cheap paths return."""
from __future__ import annotations

import warnings

import pytest
import torch

import kittygrad as kitty


def outcome(fn):
    """``('ok', value)`` or ``(base exception type, message)``: kittygrad's errors subclass torch's types."""
    try:
        return "ok", fn()
    except (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError, AssertionError) as err:
        base = next(c for c in type(err).__mro__ if c.__module__ == "builtins")
        return base.__name__, str(err)


def same_outcome(call):
    """Run ``call(lib)`` with torch and kittygrad: same success, or same error type and text."""
    expected, got = outcome(lambda: call(torch)), outcome(lambda: call(kitty))
    assert got[0] == expected[0], (got, expected)
    if got[0] != "ok":  # the same text, up to the library's name in printed dtypes
        assert got[1] == expected[1].replace("torch.", "kittygrad.")
    return got[1], expected[1]


@pytest.mark.parametrize("mode", ["default", "warn", "error", "loud", 0, 1, 2, 3, -1, True, 1.5, None, [1]])
def test_deterministic_debug_mode_accepts_and_refuses_as_torch(mode):
    try:
        got, expected = same_outcome(lambda lib: (lib.set_deterministic_debug_mode(mode),
                                                  lib.get_deterministic_debug_mode())[1])
        if got is not None:
            assert got == expected
    finally:
        torch.set_deterministic_debug_mode(0)
        kitty.set_deterministic_debug_mode(0)


@pytest.mark.parametrize("given", [{}, {"mode": "default"}, {"options": {}}, {"mode": "default", "options": {}}])
def test_compile_refuses_mode_with_options_only(given):
    try:
        same_outcome(lambda lib: lib.compile(lambda x: x, **given) is not None)
    finally:  # torch.compile loads dynamo, which turns distribution validation off process-wide
        torch.distributions.Distribution.set_default_validate_args(True)


@pytest.mark.parametrize("name, kwargs", [("upsample_nearest", {"scale_factor": 2}),
                                          ("upsample_bilinear", {"size": (3, 4)}),
                                          ("upsample", {"scale_factor": 2})])
def test_deprecated_upsample_warns_at_the_caller(name, kwargs):
    x = [[[[1.0, 2.0], [3.0, 4.0]]]]
    messages = []
    for lib in (torch, kitty):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = getattr(lib.nn.functional, name)(lib.tensor(x), **kwargs)
        assert [w.filename for w in caught] == [__file__]
        messages.append([str(w.message) for w in caught])
        assert out.shape[-2:] == ((3, 4) if name == "upsample_bilinear" else (4, 4))
    assert messages[0] == messages[1]


def test_margin_ranking_loss_refuses_mixed_ranks():
    def call(lib):
        return lib.nn.functional.margin_ranking_loss(lib.ones(3), lib.ones(3), lib.ones(1, 3))

    assert outcome(lambda: call(kitty))[0] == outcome(lambda: call(torch))[0] == "RuntimeError"


def test_triplet_margin_with_distance_loss_refuses_an_unknown_reduction():
    a = [[0.0, 1.0]]
    same_outcome(lambda lib: lib.nn.functional.triplet_margin_with_distance_loss(
        lib.tensor(a), lib.tensor(a), lib.tensor(a), reduction="avg"))


def test_kl_div_binding_hides_only_the_mean_advice():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kitty.kl_div(kitty.zeros(2), kitty.ones(2), 1)
        warnings.warn("still seen", UserWarning)
    assert [str(w.message) for w in caught] == ["still seen"]


@pytest.mark.parametrize("kwargs", [{}, {"output_size": 2, "output_ratio": 0.5}, {"output_ratio": 1.5},
                                    {"output_size": 2}, {"output_ratio": 0.5}])
def test_fractional_max_pool_needs_exactly_one_target(kwargs):
    same_outcome(lambda lib: lib.nn.FractionalMaxPool2d(2, **kwargs).output_size)


def test_fractional_max_pool_keeps_its_samples_in_the_state_dict():
    assert list(kitty.nn.FractionalMaxPool2d(2, output_ratio=0.5, _random_samples=kitty.rand(1, 1, 2)).state_dict()) \
        == list(torch.nn.FractionalMaxPool2d(2, output_ratio=0.5, _random_samples=torch.rand(1, 1, 2)).state_dict())


def test_load_state_dict_report_and_refusal():
    same_outcome(lambda lib: lib.nn.Linear(1, 1).load_state_dict([("weight", lib.ones(1, 1))]))
    for strict in (True, False):
        texts = [repr(lib.nn.Linear(1, 1).load_state_dict(lib.nn.Linear(1, 1).state_dict(), strict=strict))
                 for lib in (torch, kitty)]
        assert texts[0] == texts[1] == "<All keys matched successfully>"
    partial = [repr(lib.nn.Linear(1, 1).load_state_dict({"bias": lib.zeros(1)}, strict=False)) for lib in (torch, kitty)]
    assert partial[0] == partial[1]


@pytest.mark.parametrize("dtype", ["int64", "bool", "float64"])
def test_module_to_takes_floating_dtypes_only(dtype):
    same_outcome(lambda lib: str(lib.nn.Linear(1, 1).to(getattr(lib, dtype)).weight.dtype).split(".")[-1])


def test_extra_state_base_methods_refuse():
    # torch's text goes on to point at its issue tracker; kittygrad's stops before that
    for name, args in (("get_extra_state", ()), ("set_extra_state", (None,))):
        got = outcome(lambda: getattr(kitty.nn.Module(), name)(*args))
        expected = outcome(lambda: getattr(torch.nn.Module(), name)(*args))
        assert got[0] == expected[0] == "RuntimeError"
        assert expected[1].startswith(got[1]) and f"Module.{name}()" in got[1]


def test_load_state_dict_pre_hook_gets_the_module():
    seen = []
    m = kitty.nn.Linear(1, 1)
    handle = m.register_load_state_dict_pre_hook(lambda module, sd, prefix, *rest: seen.append((module, prefix)))
    m.load_state_dict(m.state_dict())
    handle.remove()
    m.load_state_dict(m.state_dict())
    assert seen == [(m, "")]


@pytest.mark.parametrize("enable", [True, False])
@pytest.mark.parametrize("layer_kwargs", [{}, {"batch_first": True}, {"norm_first": True}])
def test_transformer_encoder_nested_tensor_flag(enable, layer_kwargs):
    flags = []
    for lib in (torch, kitty):
        layer = lib.nn.TransformerEncoderLayer(4, 2, 8, **layer_kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flags.append(lib.nn.TransformerEncoder(layer, 1, enable_nested_tensor=enable).use_nested_tensor)
    assert flags[0] == flags[1]


def test_transformer_keeps_custom_stacks_and_checks_batches():
    enc, dec = kitty.nn.Identity(), kitty.nn.Identity()
    model = kitty.nn.Transformer(d_model=4, nhead=2, custom_encoder=enc, custom_decoder=dec)
    assert model.encoder is enc and model.decoder is dec
    for batch_first in (False, True):
        def call(lib):
            model = lib.nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                       dim_feedforward=8, batch_first=batch_first)
            src, tgt = (lib.zeros(2, 3, 4), lib.zeros(2, 5, 4)) if batch_first else (lib.zeros(3, 2, 4), lib.zeros(5, 3, 4))
            return model(src, tgt)

        same_outcome(call)


def test_packed_sequence_forms_and_to():
    data, sizes = kitty.tensor([1.0, 2.0, 3.0]), kitty.tensor([2, 1])
    legacy = kitty.nn.utils.rnn.PackedSequence((data, sizes))
    assert legacy.data is data and legacy.batch_sizes is sizes and legacy.unsorted_indices is None
    same_outcome(lambda lib: lib.nn.utils.rnn.PackedSequence((lib.ones(2),)))
    assert legacy.to(kitty.float32) is legacy
    moved = legacy.to(kitty.float64)
    assert type(moved) is type(legacy) and moved.data.dtype == kitty.float64 and moved.batch_sizes is sizes
    shuffled = kitty.nn.utils.rnn.PackedSequence(data, sizes, kitty.tensor([1, 0]))
    assert shuffled.unsorted_indices.tolist() == [1, 0]


@pytest.mark.parametrize("idx", [[10], [3, 12], [-11, 2], [14, 11]])
@pytest.mark.parametrize("call", [
    lambda lib, idx: lib.nn.functional.embedding(idx, lib.ones(10, 4), max_norm=1.0),
    lambda lib, idx: lib.nn.functional.embedding_bag(idx, lib.ones(10, 4), lib.tensor([0]), max_norm=1.0),
    lambda lib, idx: lib.embedding_renorm_(lib.ones(10, 4), idx, 1.0, 2.0),
], ids=["embedding", "embedding_bag", "embedding_renorm_"])
def test_max_norm_index_errors_come_from_the_renorm(call, idx):
    # with max_norm the rows are renormalised before the lookup, so the row pick names the index
    same_outcome(lambda lib: call(lib, lib.tensor(idx)))


def test_embedding_bag_per_sample_weights_need_sum_mode():
    def call(lib, mode):
        bag = lib.nn.EmbeddingBag(5, 2, mode=mode)
        return bag(lib.tensor([[1, 2], [3, 4]]), per_sample_weights=lib.ones(2, 2)).shape

    same_outcome(lambda lib: call(lib, "mean"))
    same_outcome(lambda lib: tuple(call(lib, "sum")))


def test_embedding_bag_starts_with_a_zero_padding_row():
    bag = kitty.nn.EmbeddingBag(5, 3, padding_idx=-2)
    assert bag.weight[3].tolist() == [0.0, 0.0, 0.0] and bag.weight[2].abs().sum().item() > 0


def _pool_error_cases():
    # (id, call): bad pooling arguments, each kernel family with the wording torch's kernel uses
    cases = []
    for nd in (1, 2, 3):
        for ri in (False, True):
            def mp(lib, nd=nd, ri=ri, shape=None, **kw):
                x = lib.zeros(shape or (2, 3) + (7,) * nd)
                return getattr(lib.nn.functional, f"max_pool{nd}d")(x, return_indices=ri, **kw)

            cases += [
                (f"max{nd}d-ri{ri}-pad-effective", lambda lib, mp=mp: mp(lib, kernel_size=2, padding=2)),
                # within half the dilated kernel (5) but over half the kernel itself (3): refused
                (f"max{nd}d-ri{ri}-pad-kernel", lambda lib, mp=mp: mp(lib, kernel_size=3, padding=2, dilation=2)),
                (f"max{nd}d-ri{ri}-pad-negative", lambda lib, mp=mp: mp(lib, kernel_size=2, padding=-1)),
                (f"max{nd}d-ri{ri}-stride0", lambda lib, mp=mp: mp(lib, kernel_size=2, stride=0)),
                (f"max{nd}d-ri{ri}-dilation0", lambda lib, mp=mp: mp(lib, kernel_size=2, dilation=0)),
                (f"max{nd}d-ri{ri}-too-small", lambda lib, mp=mp: mp(lib, kernel_size=20)),
                (f"max{nd}d-ri{ri}-ndim", lambda lib, mp=mp, nd=nd: mp(lib, kernel_size=2, shape=(2,) * (nd + 3))),
            ]

        def ap(lib, nd=nd, n=7, shape=None, **kw):
            return getattr(lib.nn.functional, f"avg_pool{nd}d")(lib.zeros(shape or (2, 3) + (n,) * nd), **kw)

        cases += [
            (f"avg{nd}d-pad", lambda lib, ap=ap: ap(lib, kernel_size=2, padding=2)),
            (f"avg{nd}d-stride0", lambda lib, ap=ap: ap(lib, kernel_size=2, stride=0)),
            (f"avg{nd}d-too-small", lambda lib, ap=ap: ap(lib, kernel_size=20)),
            # 3-D average pooling also wants the unpadded input to hold a whole window
            (f"avg{nd}d-padded-fits", lambda lib, ap=ap: ap(lib, n=3, kernel_size=4, padding=2)),
            (f"avg{nd}d-ndim", lambda lib, ap=ap, nd=nd: ap(lib, kernel_size=2, shape=(2,) * (nd + 3))),
        ]
    return cases


POOL_ERRORS = _pool_error_cases()


@pytest.mark.parametrize("call", [c[1] for c in POOL_ERRORS], ids=[c[0] for c in POOL_ERRORS])
def test_pooling_argument_errors_match_torch(call):
    same_outcome(call)


@pytest.mark.parametrize("shape, pad", [((2, 3, 4), (1, 9)), ((2, 3, 4, 5), (1, 1, 9, 9)), ((2, 3, 4, 5), (9, 9, 1, 1)),
                                        ((2, 3, 4, 5), (9, 9, 9, 9)), ((2, 3, 4, 5, 6), (0, 0, 1, 1, 9, 9)),
                                        ((2, 3, 4, 5, 6), (1, 1, 9, 0, 1, 1))])
def test_reflect_pad_error_names_the_dim_and_argument(shape, pad):
    same_outcome(lambda lib: lib.nn.functional.pad(lib.zeros(shape), pad, mode="reflect"))


@pytest.mark.parametrize("shape, pad, mode", [
    ((2, 3), (1, 1, 1, 1), "reflect"), ((2, 3, 4, 5), (1, 1), "replicate"), ((1, 2, 3, 4, 5, 6), (1, 1), "circular"),
    ((2, 3), (), "reflect"), ((2, 3), (1, 1, 1), "wrap"),  # the mode is checked before the length
    ((1, 0, 4), (1, 1), "reflect"), ((0, 3), (1, 1), "replicate"), ((0, 2, 3, 3), (1, 1, 1, 1), "reflect"),
    ((1, 1, 3, 4), (-3, -1, -2, -1), "reflect"), ((1, 1, 3, 4), (-3, -1, -2, -1), "replicate"),
    ((1, 3, 4), (-5, 1), "reflect"), ((1, 1, 2, 3, 4), (-4, 0, -3, 0, -2, 0), "replicate"),
    ((1, 1, 3, 4), (1, 1, -2, -1), "reflect"),  # one padded dim emptied is allowed
])
def test_non_constant_pad_shapes_are_checked_as_torch(shape, pad, mode):
    same_outcome(lambda lib: tuple(lib.nn.functional.pad(lib.zeros(shape), pad, mode=mode).shape))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_conv_transpose_output_padding_error_lists_the_values(nd):
    same_outcome(lambda lib: getattr(lib.nn, f"ConvTranspose{nd}d")(4, 4, 3, stride=2, output_padding=2)(
        lib.zeros((2, 4) + (5,) * nd)))


@pytest.mark.parametrize("shape, size", [((1, 3, 5, 5), (30, 30)), ((1, 3, 5, 5), [1, 4, 30, 30]),
                                         ((3, 5, 5), (4, 30, 30)), ((3, 5, 5), (1, 4, 10, 12)),
                                         ((1, 3, 5, 5), (4, 10, 12))])
def test_conv_transpose_output_size_errors_print_the_size_as_given(shape, size):
    # the size keeps the caller's tuple or list, and an unbatched input counts one leading dim
    same_outcome(lambda lib: lib.nn.ConvTranspose2d(3, 4, 3, stride=2)(lib.zeros(*shape), output_size=size))


@pytest.mark.parametrize("dim, size", [(1, ((2, 3),)), (1, (2, 3.0)), (1, 6), ("features", (2, 3)), (-1, [2, 3])])
def test_unflatten_checks_each_size_entry_and_leaves_the_dim(dim, size):
    same_outcome(lambda lib: repr(lib.nn.Unflatten(dim, size)))


def _subclass(lib, name):
    return type("Mine", (getattr(lib.nn, name),), {})


@pytest.mark.parametrize("call", [
    lambda lib: _subclass(lib, "LSTM")(3, 4)(lib.zeros(2, 3, 3, 1)),
    lambda lib: _subclass(lib, "GRUCell")(3, 4)(lib.zeros(2, 3, 3)),
    lambda lib: lib.nn.GRU(3, 4)(lib.zeros(4)),
    lambda lib: lib.nn.RNN(3, 4)(lib.zeros(4)),
    lambda lib: lib.nn.RNNCell(3, 4)(lib.zeros(2, 3), lib.zeros(1, 2, 4)),
    lambda lib: lib.nn.GRUCell(3, 4)(lib.zeros(2, 3), lib.zeros(4)),
    lambda lib: lib.nn.RNNCell(3, 4)(lib.zeros(4, 3), lib.zeros(4)),
    lambda lib: lib.nn.GRUCell(3, 4)(lib.zeros(3), lib.zeros(1, 4)),
    lambda lib: lib.nn.RNNCell(3, 4)(lib.zeros(3, 5), lib.zeros(1, 2, 4)),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.zeros(2, 3), (lib.zeros(1, 2, 4), lib.zeros(2, 4))),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.zeros(2, 3), (lib.zeros(2, 4), lib.zeros(1, 2, 4))),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.zeros(3), (lib.zeros(1, 4), lib.zeros(1, 4))),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.zeros(2, 3), (lib.zeros(2, 4), lib.zeros(3, 4))),
    lambda lib: lib.nn.LSTM(3, 4)(lib.zeros(5, 2, 3), (lib.zeros(2, 4), lib.zeros(2, 4))),
    lambda lib: lib.nn.LSTM(3, 4)(lib.zeros(5, 3), (lib.zeros(1, 1, 4), lib.zeros(1, 4))),
    lambda lib: lib.nn.LSTM(3, 4)(lib.zeros(5, 2, 2), (lib.zeros(2, 4), lib.zeros(2, 4))),  # ranks before sizes
    lambda lib: lib.nn.GRU(3, 4)(lib.zeros(5, 3), lib.zeros(1, 1, 4)),
    # a lone state tensor where an LSTM takes (h0, c0): torch indexes it, its cell's kernel refuses it
    lambda lib: lib.nn.LSTM(3, 4)(lib.zeros(5, 2, 3), lib.zeros(1, 2, 4)),
    lambda lib: lib.nn.LSTM(3, 4)(lib.zeros(5, 2, 3), lib.zeros(3, 2, 4)),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.zeros(2, 3), lib.zeros(2, 4)),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.zeros(3), lib.zeros(3, 4)),  # (unbatched: its first two rows)
])
def test_rnn_and_cell_state_checks_match_torch(call):
    same_outcome(call)


@pytest.mark.parametrize("shapes", [
    ((5, 2), (4, 3), (4, 2, 3), None), ((5, 6, 2), (5, 4, 3), (4, 2, 3), None), ((5, 2), (5, 1, 3), (4, 2, 3), None),
    ((3, 2), (3,), (4, 2, 3), None), ((5, 2), (5, 3), (4, 3, 3), None), ((5, 2), (5, 3), (4, 2, 2), None),
    ((5, 2), (5, 3), (2, 3), None), ((5, 2), (5, 3), (4, 2), None), ((5, 2), (5, 3), (4, 2, 3), (3,)),
    ((5, 2), (5, 3), (4, 2, 3), (1, 4)), ((5, 2), (5, 3), (4, 2, 3), ()), ((5, 2), (5, 3), (4, 2, 3, 1), None),
    ((2,), (3,), (4, 2, 3), (4,)),
])
def test_bilinear_shape_checks_match_torch(shapes):
    a, b, w, bias = shapes
    same_outcome(lambda lib: tuple(lib.nn.functional.bilinear(
        lib.zeros(a), lib.zeros(b), lib.zeros(w), None if bias is None else lib.zeros(bias)).shape))


@pytest.mark.parametrize("c_dtype", ["int64", "int32", "bool", "float16", "float64"])
@pytest.mark.parametrize("batched", [True, False])
def test_lstm_cell_promotes_a_cell_state_of_another_dtype_as_torch(c_dtype, batched):
    # torch's cell adds c to its gate products by plain arithmetic: a long c gives float32 results,
    # a float64 one float64, and the weights still get gradients
    outs = []
    for lib in (torch, kitty):
        lib.manual_seed(0)
        cell = lib.nn.LSTMCell(3, 4)
        x, h = lib.randn(2, 3), lib.randn(2, 4)
        c = lib.arange(8).reshape(2, 4).to(getattr(lib, c_dtype))
        if not batched:
            x, h, c = x[0], h[0], c[0]
        h1, c1 = cell(x, (h, c))
        (h1.sum() + c1.sum()).backward()
        flat = [t.detach().double().reshape(-1).tolist() for t in (h1, c1, cell.weight_hh.grad)]
        outs.append((str(h1.dtype).split(".")[-1], str(c1.dtype).split(".")[-1], tuple(h1.shape), *flat))
    (th, tc, tshape, thv, tcv, tg), (kh, kc, kshape, khv, kcv, kg) = outs
    assert (kh, kc, kshape) == (th, tc, tshape)
    for ours, theirs in ((khv, thv), (kcv, tcv), (kg, tg)):
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6)


def test_rnn_cell_checks_nonlinearity_when_called():
    # torch builds the cell and refuses the nonlinearity (RuntimeError) at the first call
    same_outcome(lambda lib: lib.nn.RNNCell(3, 4, nonlinearity="sigmoid").nonlinearity)
    same_outcome(lambda lib: lib.nn.RNNCell(3, 4, nonlinearity="sigmoid")(lib.zeros(2, 3)))


@pytest.mark.parametrize("which", [0, 1])
def test_lstm_names_the_wrong_state(which):
    def call(lib):
        h = [lib.zeros(1, 3, 4), lib.zeros(1, 3, 4)]
        h[which] = lib.zeros(2, 3, 4)
        return lib.nn.LSTM(2, 4)(lib.zeros(5, 3, 2), tuple(h))

    same_outcome(call)
    same_outcome(lambda lib: lib.nn.GRU(2, 4)(lib.zeros(5, 3, 2), lib.zeros(1, 2, 4)))


def test_group_norm_and_instance_norm_channel_errors():
    same_outcome(lambda lib: lib.nn.GroupNorm(4, 6))
    same_outcome(lambda lib: lib.nn.InstanceNorm1d(4, affine=True)(lib.zeros(2, 3, 5)))
    same_outcome(lambda lib: lib.nn.InstanceNorm2d(4, affine=True)(lib.zeros(3, 5, 5)))
    # without affine the count is unused: torch only warns, and normalises anyway
    for lib in (torch, kitty):
        with pytest.warns(UserWarning, match="does not match num_features"):
            out = lib.nn.InstanceNorm1d(4)(lib.randn(2, 3, 5))
        assert tuple(out.shape) == (2, 3, 5)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.pixel_shuffle(lib.zeros(4, 2), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.zeros(4, 2), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.zeros(1, 1, 4, 5), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.zeros(1, 1, 5, 4), 2),
    lambda lib: lib.nn.functional.scaled_dot_product_attention(
        lib.zeros(1, 6, 3, 4), lib.zeros(1, 4, 3, 4), lib.zeros(1, 4, 3, 4), enable_gqa=True),
])
def test_pixel_shuffle_and_gqa_shape_errors_as_torch(call):
    messages = []
    for lib in (kitty, torch):
        with pytest.raises(RuntimeError) as caught:
            call(lib)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
