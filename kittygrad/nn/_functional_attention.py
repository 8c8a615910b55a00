"""Attention in ``kittygrad.nn.functional`` (re-exported there): torch's
``multi_head_attention_forward``, which ``nn.MultiheadAttention`` runs, and the mask helpers it
shares with ``scaled_dot_product_attention``.

Masks follow torch: a boolean ``key_padding_mask`` or ``attn_mask`` says True = may *not* attend
and becomes an additive mask of 0 / -inf; a float mask is added to the scores as it is.
"""
from __future__ import annotations

import math
import warnings

from .. import backend as B
from ..backend_random import default_generator
from .. import creation as C
from .. import dtypes as D
from ..errors import KittyRuntimeError, KittyValueError
from ..ops import activation as _act
from ..ops import joining as _joining
from ..ops._prep import as_tensor_arg, cast
from ..ops.nn.attention import attention_weights
from ..ops.nn.linear import linear
from ..ops.nn.padding import pad
from ..tensor import Tensor

__all__ = ["multi_head_attention_forward"]


def _mask_to_additive(mask, dtype, shape=None):
    """A boolean keep-mask (True = attend) or a float mask as an additive float tensor."""
    m = as_tensor_arg(mask, "attn_mask")
    if m._data.dtype.kind == "b":
        arr = B.xp.where(m._data, 0.0, -B.xp.inf).astype(dtype)
        return Tensor._wrap(arr)
    return cast(m, D._BY_NP[dtype]) if m._data.dtype != dtype else m


def _masked_softmax(scores: Tensor) -> Tensor:
    """Softmax over the last dim of masked attention scores, where a query the mask lets attend to
    nothing (a fully padded sequence) gets zeros, as torch's attention kernels give: not the NaN of
    a softmax over -inf alone, whose gradient would poison every key and value."""
    empty = B.xp.isneginf(scores._data).all(axis=-1, keepdims=True)
    if not empty.any():
        return _act.softmax(scores, -1)
    blocked = Tensor._wrap(empty)
    return _act.softmax(scores.masked_fill(blocked, 0.0), -1).masked_fill(blocked, 0.0)


def _canonical_mask(mask, name: str, other, other_name: str, dtype):
    """torch's reading of an attention mask: boolean (True = ignore) as an additive 0 / -inf mask
    in ``dtype``; a float one as it is (in ``dtype``); anything else refused."""
    if mask is None:
        return None
    m = as_tensor_arg(mask, name)
    kind = m._data.dtype.kind
    if kind not in "bf":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if other is not None and m._data.dtype != as_tensor_arg(other, other_name)._data.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same type for both instead.",
                      stacklevel=3)
    if kind == "b":
        return Tensor._wrap(B.xp.where(m._data, -B.xp.inf, 0.0).astype(dtype))
    return _mask_to_additive(m, dtype)


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads: int) -> bool:
    """torch's checks of the inputs' dimensions; True for batched (3-D) input."""
    nd = query.ndim
    if nd not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {nd}-D query tensor")
    kind = "batched (3-D)" if nd == 3 else "unbatched (2-D)"
    if key.ndim != nd or value.ndim != nd:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {nd}-D but found {key.ndim}-D "
                             f"and {value.ndim}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.ndim != nd - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or {nd - 1}-D but found "
                             f"{key_padding_mask.ndim}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.ndim not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.ndim}-D tensor instead")
        if nd == 2 and attn_mask.ndim == 3:
            want = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != want:
                raise AssertionError(f"Expected `attn_mask` shape to be {want} but got {tuple(attn_mask.shape)}")
    return nd == 3


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate: bool, q_w, k_w, v_w):
    """q, k, v: the packed ``(3E, E)`` weight cut in three, or the separate weights (checked)."""
    E = query.shape[-1]
    b = in_proj_bias
    bq, bk, bv = (b[:E], b[E : 2 * E], b[2 * E :]) if b is not None else (None, None, None)
    if not separate:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        w = in_proj_weight
        return linear(query, w[:E], bq), linear(key, w[E : 2 * E], bk), linear(value, w[2 * E :], bv)
    for w, name in ((q_w, "q_proj_weight"), (k_w, "k_proj_weight"), (v_w, "v_proj_weight")):
        if w is None:
            raise AssertionError(f"use_separate_proj_weight is True but {name} is None")
    for w, x, which in ((q_w, query, "query"), (k_w, key, "key"), (v_w, value, "value")):
        if tuple(w.shape) != (E, x.shape[-1]):
            raise AssertionError(f"expecting {which} weights shape of {(E, x.shape[-1])}, but got {tuple(w.shape)}")
    for bias, which in ((bq, "query"), (bk, "key"), (bv, "value")):
        if bias is not None and tuple(bias.shape) != (E,):
            raise AssertionError(f"expecting {which} bias shape of {(E,)}, but got {tuple(bias.shape)}")
    return linear(query, q_w, bq), linear(key, k_w, bk), linear(value, v_w, bv)


def _heads(t: Tensor, rows: int, static, name: str, nh: int, hd: int) -> Tensor:
    """(S, N, E) as (N*heads, S, head_dim), or the given static (N*heads, S, head_dim) keys/values."""
    if static is None:
        return t.reshape(rows, nh, hd).transpose(0, 1)
    if static.shape[0] != nh:
        raise AssertionError(f"expecting {name}.size(0) of {nh}, but got {static.shape[0]}")
    if static.shape[2] != hd:
        raise AssertionError(f"expecting {name}.size(2) of {hd}, but got {static.shape[2]}")
    return static


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight, out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None, use_separate_proj_weight: bool = False,
                                 q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True, is_causal: bool = False):
    """Multi-head attention of sequence-first ``query (L, N, E)``, ``key``/``value (S, N, E_k/E_v)``
    (or unbatched ``(L, E)``): returns ``(output (L, N, E), weights or None)``, the weights
    ``(N, L, S)`` averaged over heads (``(N, heads, L, S)`` if not ``average_attn_weights``).

    ``bias_k``/``bias_v`` ``(1, 1, E)`` append a learned key/value position, ``add_zero_attn`` a
    zero one (after the projection); masks are padded to match. ``static_k``/``static_v``
    ``(N*heads, S, E/heads)`` replace the projected keys/values.

    >>> import kittygrad as kitty
    >>> import kittygrad.nn.functional as F
    >>> x = kitty.randn(3, 2, 4)
    >>> out, w = F.multi_head_attention_forward(x, x, x, 4, 2, kitty.randn(12, 4), None, None, None, True, 0.0,
    ...                                         kitty.randn(4, 4), None)
    >>> out.shape, w.shape
    (kittygrad.Size([3, 2, 4]), kittygrad.Size([2, 3, 4]))
    """
    query, key, value = as_tensor_arg(query, "query"), as_tensor_arg(key, "key"), as_tensor_arg(value, "value")
    key_padding_mask = None if key_padding_mask is None else as_tensor_arg(key_padding_mask, "key_padding_mask")
    attn_mask = None if attn_mask is None else as_tensor_arg(attn_mask, "attn_mask")
    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:  # run as a batch of one
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    L, N, E = query.shape
    S = key.shape[0]
    dt = query._data.dtype
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", dt)
    if is_causal and attn_mask is None:
        raise KittyRuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
            "`generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone masks (as torch's fused kernel does)
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", dt)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if E != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {E}")
    hd = E // num_heads
    if hd * num_heads != E:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {num_heads}")
    # (the shapes printed as Sizes, as torch prints them)
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, use_separate_proj_weight,
                             q_proj_weight, k_proj_weight, v_proj_weight)
    if attn_mask is not None:
        want = (L, S) if attn_mask.ndim == 2 else (N * num_heads, L, S)
        if tuple(attn_mask.shape) != want:
            raise KittyRuntimeError(f"The shape of the {attn_mask.ndim}D attn_mask is {attn_mask.shape}, "
                                    f"but should be {want}.")
        if attn_mask.ndim == 2:  # one mask for every sample and head
            attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        # one more key/value position, the learned biases, that no mask hides
        k = _joining.cat([k, bias_k.expand(1, N, bias_k.shape[-1])], 0)
        v = _joining.cat([v, bias_v.expand(1, N, bias_v.shape[-1])], 0)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")
    nh = N * num_heads
    q = q.reshape(L, nh, hd).transpose(0, 1)
    k = _heads(k, k.shape[0], static_k, "static_k", nh, hd)
    v = _heads(v, v.shape[0], static_v, "static_v", nh, hd)
    if add_zero_attn:  # and a zero key/value position, after the projection
        k = _joining.cat([k, C.zeros(nh, 1, hd, dtype=k.dtype)], 1)
        v = _joining.cat([v, C.zeros(nh, 1, hd, dtype=v.dtype)], 1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    S = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != N:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {N}, but got {key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != S:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {S}, but got {key_padding_mask.shape[1]}")
        per_key = key_padding_mask.reshape(N, 1, 1, S).expand(N, num_heads, 1, S).reshape(nh, 1, S)
        attn_mask = per_key if attn_mask is None else attn_mask + per_key
    if not training:
        dropout_p = 0.0
    elif not 0 <= dropout_p <= 1:
        raise KittyValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    scores = (q * math.sqrt(1.0 / hd)) @ k.transpose(-2, -1)
    if is_causal and attn_mask is None:  # the fused path's causal hint: each query sees keys up to its own place
        attn_mask = Tensor._wrap(B.xp.where(B.xp.tri(L, S, dtype=bool), 0.0, -B.xp.inf).astype(dt))
    if attn_mask is None:
        weights = _act.softmax(scores, -1)
    elif need_weights:  # torch's weights path: a query that may attend to nothing gets NaN
        weights = _act.softmax(scores + attn_mask, -1)
    else:  # torch's fused path: such a query gets zeros
        weights = _masked_softmax(scores + attn_mask)
    if dropout_p > 0:
        mask = B.xp.zeros(weights.shape, dt) if dropout_p == 1 else default_generator.dropout_mask(dropout_p, weights.shape, dt)
        weights = weights * Tensor._wrap(mask)
    returned = None
    if need_weights:  # one node gives both, so an ignored `_` holds back no gradient
        weights, returned = attention_weights(weights, N, num_heads, average_attn_weights, batched)
    out = (weights @ v).transpose(0, 1).reshape(L * N, E)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(L, N, out_proj_weight.shape[0])
    return (out if batched else out.squeeze(1)), returned
