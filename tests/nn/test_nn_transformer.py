"""nn.Transformer, TransformerDecoderLayer and TransformerDecoder against torch with torch's weights
loaded (state_dict keys identical): outputs, input and parameter gradients, masks, errors, repr."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from _compare import Const, check, copy_weights, randn
from torch_errors import raised_as_torch  # (tests/ is on sys.path under pytest)


def causal(n):
    """torch's float causal mask, as an input that does not require grad."""
    return Const(np.triu(np.full((n, n), -np.inf), 1))


def quiet(make):
    """Build without the nested-tensor warning both libraries give for batch_first=False."""
    def build(m):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return make(m)
    return build


PAD_S = np.array([[False, False, False, True, True], [False] * 5])
PAD_T = np.array([[False, False, True], [False, False, False]])

CASES = [
    # id, factory, input arrays, call, train (dropout=0 in train mode)
    ("DecoderLayer", lambda m: m.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), [randn(4, 2, 8), randn(5, 2, 8, seed=1)],
     None, True),
    ("DecoderLayer_prenorm_gelu_batch_first", lambda m: m.nn.TransformerDecoderLayer(
        8, 2, 16, dropout=0.0, activation="gelu", norm_first=True, batch_first=True),
     [randn(2, 3, 8), randn(2, 5, 8, seed=1), causal(3)],
     lambda mod, t, mem, mask: mod(t, mem, tgt_mask=mask, tgt_is_causal=True), True),
    ("DecoderLayer_masks_eval", lambda m: m.nn.TransformerDecoderLayer(8, 4, 12, batch_first=True),
     [randn(2, 3, 8), randn(2, 5, 8, seed=1), np.triu(np.ones((3, 3), bool), 1), PAD_T, PAD_S],
     lambda mod, t, mem, mask, tp, mp: mod(t, mem, tgt_mask=mask, tgt_key_padding_mask=tp,
                                            memory_key_padding_mask=mp), False),
    ("DecoderLayer_memory_mask_nobias", lambda m: m.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, bias=False),
     [randn(3, 2, 8), randn(4, 2, 8, seed=1), Const(randn(3, 4, seed=2))],
     lambda mod, t, mem, mm: mod(t, mem, memory_mask=mm), True),
    ("DecoderLayer_module_activation_unbatched", lambda m: m.nn.TransformerDecoderLayer(
        8, 2, 16, dropout=0.0, activation=m.nn.Tanh()), [randn(3, 8), randn(4, 8, seed=1)], None, True),
    ("Decoder", lambda m: m.nn.TransformerDecoder(m.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2,
                                                  norm=m.nn.LayerNorm(8)),
     [randn(4, 2, 8), randn(5, 2, 8, seed=1), causal(4)], lambda mod, t, mem, mask: mod(t, mem, tgt_mask=mask), True),
    ("Transformer", quiet(lambda m: m.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0)),
     [randn(5, 2, 8), randn(4, 2, 8, seed=1), causal(4)],
     lambda mod, s, t, mask: mod(s, t, tgt_mask=mask), True),
    ("Transformer_batch_first_padding_eval", lambda m: m.nn.Transformer(
        8, 4, 1, 2, 16, batch_first=True, norm_first=True), [randn(2, 5, 8), randn(2, 3, 8, seed=1), PAD_S, PAD_T],
     lambda mod, s, t, sp, tp: mod(s, t, tgt_mask=mod.generate_square_subsequent_mask(3, dtype=s.dtype),
                                   src_key_padding_mask=sp, tgt_key_padding_mask=tp,
                                   memory_key_padding_mask=sp), False),
    ("Transformer_src_causal", quiet(lambda m: m.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, activation="gelu")),
     [randn(4, 2, 8), randn(4, 2, 8, seed=1), causal(4)],
     lambda mod, s, t, mask: mod(s, t, src_mask=mask, tgt_mask=mask, memory_mask=mask, src_is_causal=True,
                                 tgt_is_causal=True), True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(case, dtype):
    name, make, arrays, call, train = case
    check(make, arrays, dtype, call=call, train=train, what=name)


def both(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        return make(torch), make(kitty)


def test_state_dict_keys_repr_and_init_match_torch():
    def make(m):
        return m.nn.Transformer(8, 2, 2, 1, 16)

    tm, km = both(make)
    assert list(km.state_dict()) == list(tm.state_dict())
    assert [tuple(v.shape) for v in km.state_dict().values()] == [tuple(v.shape) for v in tm.state_dict().values()]
    assert repr(km) == repr(tm)
    copy_weights(km, tm)
    # Xavier-uniform on every matrix: the bound is sqrt(6 / (fan_in + fan_out))
    w = km.encoder.layers[0].linear1.weight
    assert float(w.abs().max()) <= (6 / (8 + 16)) ** 0.5
    assert km.d_model == 8 and km.nhead == 2 and km.batch_first is False


def test_generate_square_subsequent_mask():
    for kw in ({}, {"dtype": "float64"}):
        t = torch.nn.Transformer.generate_square_subsequent_mask(4, **{k: getattr(torch, v) for k, v in kw.items()})
        k = kitty.nn.Transformer.generate_square_subsequent_mask(4, **{k: getattr(kitty, v) for k, v in kw.items()})
        assert str(k.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(k.numpy(), t.numpy())


def test_nested_tensor_warning_matches_torch():
    for lib in (torch, kitty):
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16)
        with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False "
                                             "because encoder_layer.self_attn.batch_first was not True"):
            enc = lib.nn.TransformerEncoder(layer, 1)
        assert enc.use_nested_tensor is False
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lib.nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)


def test_custom_encoder_and_decoder():
    for lib in (torch, kitty):
        enc, dec = lib.nn.Identity(), lib.nn.Identity()
        model = lib.nn.Transformer(8, 2, custom_encoder=enc, custom_decoder=lib.nn.Linear(8, 8))
        assert model.encoder is enc
        assert dec is not model.decoder and isinstance(model.decoder, lib.nn.Linear)


@pytest.mark.parametrize("bad", ["batch", "feature", "activation", "causal_without_mask"])
def test_errors_match_torch(bad):
    def run(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if bad == "activation":
                return lib.nn.TransformerDecoderLayer(8, 2, activation="tanh")
            model = lib.nn.Transformer(8, 2, 1, 1, 16)
        src = lib.zeros(5, 2, 8)
        if bad == "batch":
            return model(src, lib.zeros(4, 3, 8))
        if bad == "feature":
            return model(src, lib.zeros(4, 2, 6))
        return model(src, lib.zeros(4, 2, 8), tgt_is_causal=True)

    ours, theirs = raised_as_torch(lambda: run(torch), lambda: run(kitty))
    assert ours == theirs


def test_torch_state_dict_loads_and_trains():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        tm = torch.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0)
        km = kitty.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0)
    km.load_state_dict({k: kitty.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    topt = torch.optim.SGD(tm.parameters(), lr=0.1)
    kopt = kitty.optim.SGD(km.parameters(), lr=0.1)
    src, tgt = randn(5, 3, 8), randn(4, 3, 8, seed=1)
    mask = causal(4).value
    for _ in range(3):
        for lib, model, opt in ((torch, tm, topt), (kitty, km, kopt)):
            opt.zero_grad()
            out = model(lib.tensor(src, dtype=lib.float32), lib.tensor(tgt, dtype=lib.float32),
                        tgt_mask=lib.tensor(mask, dtype=lib.float32))
            out.pow(2).mean().backward()
            opt.step()
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(km.get_parameter(name).detach().numpy(), p.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["no_grad", "frozen", "grad", "train", "float_mask", "not_left_aligned",
                                  "not_left_aligned_unchecked", "with_mask", "norm_first"])
def test_encoder_padded_positions_as_torchs_nested_tensor_path(mode):
    """In inference with a key padding mask torch's encoder runs on a nested tensor and pads its
    output back with zeros (before the final norm); elsewhere the padded positions are computed."""
    pad = np.array([[False, False, True, True], [False] * 4, [True] * 4])
    if mode.startswith("not_left_aligned"):
        pad = np.array([[False, True, False, True], [False] * 4, [False, False, False, True]])
    if mode in ("with_mask", "norm_first"):  # (no nested path: torch's layer fast path gives NaN for an empty row)
        pad[2, 0] = False
    outs = []
    for lib in (torch, kitty):
        lib.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=mode == "norm_first")
            enc = lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(8), mask_check=mode != "not_left_aligned_unchecked")
        src = lib.tensor(randn(3, 4, 8), dtype=lib.float32)
        mask = lib.tensor(pad)
        if mode == "float_mask":
            mask = lib.zeros(3, 4).masked_fill(mask, float("-inf"))
        if mode != "train":
            enc.eval()
        if mode == "frozen":
            enc.requires_grad_(False)
        causal_mask = lib.nn.Transformer.generate_square_subsequent_mask(4) if mode == "with_mask" else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with (lib.enable_grad() if mode in ("grad", "train", "frozen") else lib.no_grad()):
                out = enc(src, mask=causal_mask, src_key_padding_mask=mask)
        outs.append(np.nan_to_num(out.detach().numpy(), nan=7.0))
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-4, atol=1e-5)


def test_mismatched_mask_types_warn_with_the_encoders_names():
    """The encoder stack and the encoder layer read their masks themselves, as torch's do: one
    warning, naming their own arguments (the decoder's come from its attention, per layer)."""
    pad, causal_mask = np.array([[False, False, True], [False] * 3]), np.triu(np.full((3, 3), -np.inf), 1)
    got = []
    for lib in (torch, kitty):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        enc = lib.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        x, kpm, m = lib.tensor(randn(2, 3, 8), dtype=lib.float32), lib.tensor(pad), lib.tensor(causal_mask, dtype=lib.float32)
        messages = []
        for call in (lambda: enc(x, mask=m, src_key_padding_mask=kpm), lambda: layer(x, src_mask=m, src_key_padding_mask=kpm)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                call()
            messages.append([str(w.message) for w in caught])
        got.append(messages)
    assert got[1] == got[0]
    assert "src_key_padding_mask and mask" in got[0][0][0]
