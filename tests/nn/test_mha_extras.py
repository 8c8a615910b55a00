"""nn.MultiheadAttention's ``add_bias_kv`` / ``add_zero_attn`` and
``nn.functional.multi_head_attention_forward`` against torch, weights copied over from torch's
state_dict: outputs, attention weights, gradients of the inputs and every parameter (float32 and
float64) under every mask kind, parameter names/order/init, repr and errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import kittygrad as kitty
import kittygrad.nn.functional as KF
from _compare import GRAD_TOL, TOL, Const, check, copy_weights, randn

E, HEADS, L, S, N = 8, 2, 4, 5, 3

EXTRAS = [dict(add_bias_kv=True), dict(add_zero_attn=True), dict(add_bias_kv=True, add_zero_attn=True)]
ids = lambda kw: "-".join(k for k, v in kw.items() if v is True) or "plain"  # noqa: E731


def _mha(**kw):
    return lambda m: m.nn.MultiheadAttention(E, HEADS, **kw)


def _bool_mask(shape, seed):
    m = np.random.default_rng(seed).random(shape) < 0.3
    m[..., 0] = False  # every query keeps a key
    return m


MASKS = {
    "none": lambda: {},
    "bool_attn_2d": lambda: {"attn_mask": _bool_mask((L, S), 1)},
    "float_attn_3d": lambda: {"attn_mask": Const(randn(N * HEADS, L, S, seed=2))},
    "bool_padding": lambda: {"key_padding_mask": _bool_mask((N, S), 3)},
    "float_padding": lambda: {"key_padding_mask": Const(np.where(_bool_mask((N, S), 4), -np.inf, 0.0))},
    "both": lambda: {"attn_mask": _bool_mask((L, S), 5), "key_padding_mask": _bool_mask((N, S), 6)},
}


def _call(names, **fixed):
    def call(mod, q, k, v, *masks):
        return mod(q, k, v, **dict(zip(names, masks)), **fixed)

    return call


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("mask", sorted(MASKS))
@pytest.mark.parametrize("kw", EXTRAS, ids=ids)
def test_module_matches_torch(kw, mask, need_weights, dtype):
    masks = MASKS[mask]()
    arrays = [randn(L, N, E, seed=10), randn(S, N, E, seed=11), randn(S, N, E, seed=12), *masks.values()]
    check(_mha(**kw), arrays, dtype, call=_call(list(masks), need_weights=need_weights), what=f"{kw} {mask}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", EXTRAS, ids=ids)
def test_module_variants_match_torch(kw, dtype):
    # batch_first self-attention, per-head weights
    x = randn(N, L, E, seed=1)
    check(_mha(batch_first=True, **kw), [x], dtype, call=lambda m, x: m(x, x, x, average_attn_weights=False))
    # kdim / vdim (separate projections), no bias
    arrays = [randn(L, N, E, seed=2), randn(S, N, 3, seed=3), randn(S, N, 5, seed=4), _bool_mask((N, S), 5)]
    check(_mha(kdim=3, vdim=5, bias=False, **kw), arrays, dtype, call=_call(["key_padding_mask"]))
    # unbatched, with a per-head 3-D mask
    arrays = [randn(L, E, seed=6), randn(S, E, seed=7), randn(S, E, seed=8), _bool_mask((HEADS, L, S), 9)]
    check(_mha(**kw), arrays, dtype, call=_call(["attn_mask"]))
    check(_mha(**kw), arrays[:3] + [_bool_mask((S,), 10)], dtype, call=_call(["key_padding_mask"], need_weights=False))
    # causal hint: torch's fused path masks from the hint alone
    causal = np.triu(np.ones((L, S), bool), 1)
    check(_mha(**kw), arrays[:3] + [causal], dtype, call=_call(["attn_mask"], need_weights=False, is_causal=True))


def test_fully_padded_sequence_gets_zeros_on_the_fused_path():
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(E, HEADS).double()
    km = kitty.nn.MultiheadAttention(E, HEADS).to(kitty.float64)
    copy_weights(km, tm)
    x = randn(L, N, E)
    pad = np.zeros((N, L), bool)
    pad[1] = True
    t_out, _ = tm(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(pad), need_weights=False)
    k_out, _ = km(*[kitty.tensor(x)] * 3, key_padding_mask=kitty.tensor(pad), need_weights=False)
    np.testing.assert_allclose(k_out.detach().numpy(), t_out.detach().numpy(), **TOL["float64"])


@pytest.mark.parametrize("kw", EXTRAS + [dict(kdim=3, vdim=5, add_bias_kv=True), dict(bias=False, add_bias_kv=True)], ids=str)
def test_parameters_names_order_init_and_repr(kw):
    for seed in (0, 5):
        torch.manual_seed(seed)
        kitty.manual_seed(seed)
        tm, km = torch.nn.MultiheadAttention(E, HEADS, **kw), kitty.nn.MultiheadAttention(E, HEADS, **kw)
        t_named, k_named = list(tm.named_parameters()), list(km.named_parameters())
        assert [n for n, _ in k_named] == [n for n, _ in t_named]
        assert [tuple(p.shape) for _, p in k_named] == [tuple(p.shape) for _, p in t_named]
        assert list(km.state_dict()) == list(tm.state_dict())
        for (name, k), (_, t) in zip(k_named, t_named):  # xavier_normal_ for bias_k / bias_v, from torch's stream
            np.testing.assert_allclose(k.detach().numpy(), t.detach().numpy(), rtol=5e-6, atol=5e-7, err_msg=name)
        assert kitty.rand(3).tolist() == pytest.approx(torch.rand(3).tolist())  # the streams moved alike
        assert repr(km) == repr(tm)
        assert km.add_zero_attn == tm.add_zero_attn
        assert (km.bias_k is None) == (tm.bias_k is None)


def test_state_dict_from_torch_loads():
    tm = torch.nn.MultiheadAttention(E, HEADS, add_bias_kv=True, add_zero_attn=True)
    km = kitty.nn.MultiheadAttention(E, HEADS, add_bias_kv=True, add_zero_attn=True)
    copy_weights(km, tm)  # strict
    np.testing.assert_array_equal(km.bias_k.detach().numpy(), tm.bias_k.detach().numpy())
    np.testing.assert_array_equal(km.bias_v.detach().numpy(), tm.bias_v.detach().numpy())
    with pytest.raises(RuntimeError):  # a module without bias_k / bias_v refuses them
        kitty.nn.MultiheadAttention(E, HEADS).load_state_dict(km.state_dict())


# ---------------------------------------------------------------------------------------------
# the functional form


def _functional_args(lib, dtype, separate=False, bias_kv=False, bias=True, seed=0):
    rng = np.random.default_rng(seed)
    mk = lambda *shape: lib.tensor(rng.standard_normal(shape), dtype=getattr(lib, dtype), requires_grad=True)  # noqa: E731
    w = dict(in_proj_weight=None if separate else mk(3 * E, E), in_proj_bias=mk(3 * E) if bias else None,
             bias_k=mk(1, 1, E) if bias_kv else None, bias_v=mk(1, 1, E) if bias_kv else None,
             out_proj_weight=mk(E, E), out_proj_bias=mk(E) if bias else None)
    if separate:
        w.update(q_proj_weight=mk(E, E), k_proj_weight=mk(E, 3), v_proj_weight=mk(E, 5))
    return w


def _run_functional(lib, dtype, inputs, weights, **kw):
    F = TF if lib is torch else KF
    q, k, v = (lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) for a in inputs)
    out = F.multi_head_attention_forward(
        q, k, v, E, HEADS, weights["in_proj_weight"], weights["in_proj_bias"], weights["bias_k"], weights["bias_v"],
        kw.pop("add_zero_attn", False), kw.pop("dropout_p", 0.0), weights["out_proj_weight"], weights["out_proj_bias"],
        q_proj_weight=weights.get("q_proj_weight"), k_proj_weight=weights.get("k_proj_weight"),
        v_proj_weight=weights.get("v_proj_weight"), **kw,
    )
    return (q, k, v), out


FUNCTIONAL_CASES = {
    "packed": dict(),
    "bias_kv_zero_attn_masks": dict(bias_kv=True, add_zero_attn=True, masks=True),
    "separate_no_bias": dict(separate=True, bias=False, bias_kv=True, kdim=3, vdim=5),
    "per_head_weights_no_grad_path": dict(add_zero_attn=True, masks=True, need_weights=False),
    "static_kv": dict(static=True, add_zero_attn=True),
    "eval_dropout": dict(bias_kv=True, dropout_p=0.5, training=False),
    "unbatched": dict(unbatched=True, bias_kv=True, add_zero_attn=True, masks=True),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(FUNCTIONAL_CASES))
def test_functional_matches_torch(case, dtype):
    spec = dict(FUNCTIONAL_CASES[case])
    kdim, vdim = spec.pop("kdim", E), spec.pop("vdim", E)
    unbatched = spec.pop("unbatched", False)
    shape = (lambda n, e: (n, e)) if unbatched else (lambda n, e: (n, N, e))
    inputs = [randn(*shape(L, E), seed=1), randn(*shape(S, kdim), seed=2), randn(*shape(S, vdim), seed=3)]
    build = dict(separate=spec.pop("separate", False), bias_kv=spec.pop("bias_kv", False), bias=spec.pop("bias", True))
    extra = {}
    if spec.pop("masks", False):
        extra["attn_mask"] = _bool_mask((L, S), 4)
        extra["key_padding_mask"] = _bool_mask((S,) if unbatched else (N, S), 5)
    static = spec.pop("static", False)
    results = []
    for lib in (torch, kitty):
        weights = _functional_args(lib, dtype, **build)
        kw = dict(spec, use_separate_proj_weight=build["separate"], average_attn_weights=case != "per_head_weights_no_grad_path",
                  **{name: lib.tensor(m) for name, m in extra.items()})
        statics = []
        if static:
            statics = [lib.tensor(randn(N * HEADS, S, E // HEADS, seed=s), dtype=getattr(lib, dtype), requires_grad=True)
                       for s in (6, 7)]
            kw.update(static_k=statics[0], static_v=statics[1])
        ins, (out, attn) = _run_functional(lib, dtype, inputs, weights, **kw)
        loss = (out * lib.tensor(randn(*out.shape, seed=8), dtype=out.dtype)).sum()
        if attn is not None:
            loss = loss + (attn * lib.tensor(randn(*attn.shape, seed=9), dtype=attn.dtype)).sum()
        loss.backward()
        leaves = list(ins) + [w for w in weights.values() if w is not None] + statics
        results.append((out, attn, leaves))
    (t_out, t_attn, t_leaves), (k_out, k_attn, k_leaves) = results
    np.testing.assert_allclose(k_out.detach().numpy(), t_out.detach().numpy(), **TOL[dtype])
    assert (k_attn is None) == (t_attn is None)
    if t_attn is not None:
        assert tuple(k_attn.shape) == tuple(t_attn.shape)
        np.testing.assert_allclose(k_attn.detach().numpy(), t_attn.detach().numpy(), **TOL[dtype])
    for i, (k, t) in enumerate(zip(k_leaves, t_leaves)):
        assert (k.grad is None) == (t.grad is None), i
        if t.grad is not None:
            np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy(), err_msg=f"leaf {i}", **GRAD_TOL[dtype])


def _error(lib, **change):
    """The error type and message of one misuse of multi_head_attention_forward, in either library."""
    F = TF if lib is torch else KF
    x = lib.zeros(L, N, E)
    args = dict(query=x, key=lib.zeros(S, N, E), value=lib.zeros(S, N, E), embed_dim_to_check=E, num_heads=HEADS,
                in_proj_weight=lib.zeros(3 * E, E), in_proj_bias=None, bias_k=None, bias_v=None, add_zero_attn=False,
                dropout_p=0.0, out_proj_weight=lib.zeros(E, E), out_proj_bias=None)
    args.update({k: (v(lib) if callable(v) else v) for k, v in change.items()})
    try:
        F.multi_head_attention_forward(**args)
    except Exception as err:  # noqa: BLE001 - the type and message are compared
        return type(err), str(err)
    return None


@pytest.mark.parametrize("change", [
    dict(bias_k=lambda m: m.zeros(1, 1, E)),
    dict(bias_v=lambda m: m.zeros(1, 1, E)),
    dict(bias_k=lambda m: m.zeros(1, 1, E), bias_v=lambda m: m.zeros(1, 1, E), static_k=lambda m: m.zeros(N * HEADS, S, 4)),
    dict(bias_k=lambda m: m.zeros(1, 1, E), bias_v=lambda m: m.zeros(1, 1, E), static_v=lambda m: m.zeros(N * HEADS, S, 4)),
    dict(static_k=lambda m: m.zeros(N * HEADS + 1, S, 4)),
    dict(static_v=lambda m: m.zeros(N * HEADS, S, 3)),
    dict(embed_dim_to_check=E + 1),
    dict(key_padding_mask=lambda m: m.zeros(N, S + 1, dtype=m.bool)),
    dict(key_padding_mask=lambda m: m.zeros(N, S, dtype=m.int64)),
    dict(key=lambda m: m.zeros(S, N, 4), value=lambda m: m.zeros(S, N, 4)),
    dict(value=lambda m: m.zeros(S + 1, N, E)),
    dict(query=lambda m: m.zeros(L, E)),
    dict(attn_mask=lambda m: m.zeros(2, 2, L, S)),
    dict(in_proj_weight=None),
    dict(attn_mask=lambda m: m.zeros(L, S), is_causal=True, key=lambda m: m.zeros(S, N, E)),
    dict(is_causal=True),
    dict(add_zero_attn=True, key_padding_mask=lambda m: m.zeros(N + 1, S, dtype=m.bool)),
])
def test_functional_errors_match_torch(change):
    t, k = _error(torch, **change), _error(kitty, **change)
    if t is None:
        assert k is None
        return
    assert k is not None, t
    assert issubclass(k[0], t[0]), (k, t)
    assert k[1] == t[1].replace("torch.Size", "kittygrad.Size"), (k, t)  # shapes printed as Sizes, as torch


def test_mismatched_mask_types_warn_as_torch():
    for lib in (torch, kitty):
        mha = lib.nn.MultiheadAttention(E, HEADS, add_zero_attn=True)
        x = lib.zeros(L, N, E)
        with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
            mha(x, x, x, key_padding_mask=lib.zeros(N, L, dtype=lib.bool), attn_mask=lib.zeros(L, L))


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("average", [True, False])
def test_returned_weights_name_torchs_last_node(batched, average):
    """The weights handed back print the node torch makes them by last (``print(attn)`` under the
    runner shows it): a mean over heads, a view splitting the heads off, or the squeeze of
    unbatched input."""
    names = []
    for lib in (torch, kitty):
        lib.manual_seed(0)
        mha = lib.nn.MultiheadAttention(E, HEADS, batch_first=True)
        x = lib.randn(N, L, E) if batched else lib.randn(L, E)
        _, w = mha(x, x, x, average_attn_weights=average)
        names.append(w.grad_fn.name() if lib is torch else w.grad_fn.torch_name())
    assert names[1] == names[0]
