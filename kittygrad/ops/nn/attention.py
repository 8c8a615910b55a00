"""Attention as ops: ``scaled_dot_product_attention`` in one node (torch's flash-kernel cases) and
the attention weights ``nn.MultiheadAttention`` hands back."""
from __future__ import annotations

import functools

from ... import backend as B
from ...autograd.function import Op
from .. import _gemm
from .. import activation as _act
from .. import linalg as _linalg
from .._fused import _const

# ---------------------------------------------------------------------------------------------
# attention weights handed back to the caller


class AttentionWeights(Op):
    """Passes the attention probabilities on (output 0) and returns them to the caller (output 1:
    per batch, averaged over heads when asked, without the batch dim for unbatched input).

    Both come from one node on purpose: with the seed's locks, a separate op computing the
    returned weights would be a pending use of the probabilities, so ``out, _ = mha(x, x, x)``
    would hold back every gradient until ``_`` called backward. An unused output is no use.
    """

    saved_fields = ("average", "batched", "heads", "n", "shape")
    _name = "AttentionWeightsBackward"

    def forward(self, w, n, heads, average, batched):
        self.shape, self.n, self.heads, self.average, self.batched = w.shape, n, heads, average, batched
        w4 = w.reshape((n, heads) + w.shape[1:])
        ret = w4.mean(axis=1) if average else w4.copy()
        return w, (ret if batched else ret[0])

    def backward(self, g_pass, g_ret):
        xp = self.xp
        if not self.batched:  # only batch 0 was returned
            full = xp.zeros_like(g_ret, shape=(self.n,) + g_ret.shape)
            full[0] = g_ret
            g_ret = full
        if self.average:
            g_ret = xp.broadcast_to(g_ret[:, None] / self.heads, (self.n, self.heads) + g_ret.shape[1:])
        return g_pass + g_ret.reshape(self.shape), None, None, None, None


def attention_weights(weights, n: int, heads: int, average: bool = True, batched: bool = True):
    """``(weights, returned)``: see :class:`AttentionWeights` (used by ``nn.MultiheadAttention``).

    >>> import kittygrad as kitty
    >>> w, ret = attention_weights(kitty.ones(4, 3, 5), 2, 2)
    >>> ret.shape
    kittygrad.Size([2, 3, 5])
    """
    weights, returned = AttentionWeights.apply(weights, n, heads, average, batched)
    node = getattr(returned, "_grad_fn", None)
    if node is not None:
        # the caller sees this node on the weights it is handed, which torch makes last by a
        # squeeze (unbatched input), a mean over heads, or a view splitting the heads off
        node.torch_label = "SqueezeBackward1" if not batched else "MeanBackward1" if average else "ViewBackward0"
    return weights, returned


# ---------------------------------------------------------------------------------------------
# scaled dot-product attention in one node


@functools.lru_cache(maxsize=16)
def _causal_additive(length: int, dtype_name: str, transposed: bool = False):
    """0 on and below the diagonal, -inf above, (length, length) in that dtype (``transposed``:
    -inf below, contiguous: a broadcast of a transposed view costs 2.4x the pass); read-only (shared)."""
    mask = B.xp.full((length, length), -B.xp.inf, dtype=dtype_name)
    mask = B.xp.tril(mask, -1) if transposed else B.xp.triu(mask, 1)
    mask.flags.writeable = False
    return mask


def _product_like(a, b, like):
    """``a @ b`` for (batch, heads, length, features) stacks, laid out in memory as (batch, length,
    heads, features) where ``like`` lies so (heads split off a linear layer's output, then
    transposed): the transposes and the reshape back to (batch, length, features) around attention
    are then views instead of copies. torch's flash kernel lays its output out as its query.

    >>> import numpy as np
    >>> like = np.zeros((2, 5, 3, 4)).swapaxes(1, 2)
    >>> _product_like(np.ones((2, 3, 5, 5)), np.ones((2, 3, 5, 4)), like).swapaxes(1, 2).flags.c_contiguous
    True
    """
    if like.shape[1] == 1 or like.shape[2] == 1 or abs(like.strides[1]) >= abs(like.strides[2]):
        return a @ b
    out = B.xp.empty((a.shape[0], a.shape[2], a.shape[1], b.shape[3]), B.xp.result_type(a, b))
    B.xp.matmul(a, b, out=out.swapaxes(1, 2))
    return out.swapaxes(1, 2)


class ScaledDotProductAttention(Op):
    """``softmax(q @ k^T * scale [+ causal mask]) @ v`` for (batch, heads, length, features)
    inputs in one node, as torch's CPU flash-attention kernel records it.

    The probabilities are kept transposed, (..., key, query): a softmax over the last axis of rows
    as short as attention's (64) is slow in NumPy (its max and its broadcasts run a loop per row,
    3x the time), while along the second-to-last axis they run as SIMD passes over whole rows.
    BLAS takes either orientation at one cost. Scaling, masking and normalising are made in place
    on that one fresh array, and backward forms the scores' gradient in place too. Double
    backward differentiates :meth:`composite`.
    """

    saved_fields = ("q", "k", "v", "probs_t", "scale")
    saved_inputs = (0, 1, 2)
    torch_saved = {"query": "q", "key": "k", "value": "v"}

    def forward(self, q, k, v, scale, causal):
        xp = self.xp
        self.q, self.k, self.v, self.scale = q, k, v, scale
        probs_t = k @ xp.swapaxes(q, -1, -2)  # the scores, transposed: a fresh array, finished in place
        probs_t *= scale
        if causal:  # (transposed: -inf where the key comes after the query)
            probs_t += _causal_additive(probs_t.shape[-1], probs_t.dtype.name, transposed=True)
        probs_t -= probs_t.max(axis=-2, keepdims=True)
        xp.exp(probs_t, out=probs_t)
        probs_t *= 1 / B.array_einsum("bhkq->bhq", probs_t)[:, :, None, :]
        self.probs_t = probs_t
        return _product_like(xp.swapaxes(probs_t, -1, -2), v, q)

    def backward(self, g):
        xp = self.xp
        need = self.needs_input_grad
        g = _gemm.blas_ready(g)
        probs_t = self.probs_t
        gq = gk = gv = None
        if need[2]:
            gv = _product_like(probs_t, g, self.v)
        if need[0] or need[1]:
            scores_grad_t = self.v @ xp.swapaxes(g, -1, -2)  # the probabilities' gradient, transposed and fresh
            # softmax's backward, in place: (dP - sum over keys of dP * P) * P
            scores_grad_t -= xp.einsum("bhkq,bhkq->bhq", scores_grad_t, probs_t)[:, :, None, :]
            scores_grad_t *= probs_t
            if need[0]:
                gq = _product_like(xp.swapaxes(scores_grad_t, -1, -2), self.k, self.q)
                gq *= self.scale
            if need[1]:
                gk = _product_like(scores_grad_t, self.q, self.k)
                gk *= self.scale
        return gq, gk, gv

    def composite(self, q, k, v, scale, causal):
        """The same attention from differentiable ops (for double backward)."""
        scores = _linalg.matmul(q, k.transpose(-2, -1)) * scale
        if causal:
            scores = scores + _const(_causal_additive(scores.shape[-1], scores._data.dtype.name), scores)
        return _linalg.matmul(_act.softmax(scores, -1), v)

    def _torch_recorded_name(self) -> str:
        return "ScaledDotProductFlashAttentionForCpuBackward0"


def fused_attention(q, k, v, scale: float, is_causal: bool):
    """Scaled dot-product attention as one :class:`ScaledDotProductAttention` node, or None where
    that node does not apply (then ``scaled_dot_product_attention`` composes it from ops): torch's
    flash kernel's cases, 4-D float32/float64 inputs of one batch and head count, no mask other
    than a square causal one (dropout is the caller's to rule out).

    >>> import kittygrad as kitty
    >>> q = kitty.randn(1, 2, 3, 4, requires_grad=True)
    >>> fused_attention(q, q, q, 0.5, True).grad_fn.name()
    'ScaledDotProductAttentionBackward'
    """
    qd, kd, vd = q._data, k._data, v._data
    if not (qd.ndim == kd.ndim == vd.ndim == 4 and qd.dtype == kd.dtype == vd.dtype and qd.dtype.name in ("float32", "float64")):
        return None
    if qd.shape[:2] != kd.shape[:2] or kd.shape[:3] != vd.shape[:3] or qd.shape[3] != kd.shape[3] or 0 in qd.shape or 0 in vd.shape:
        return None
    if is_causal and qd.shape[2] != kd.shape[2]:
        return None
    return ScaledDotProductAttention.apply(q, k, v, scale=scale, causal=bool(is_causal))
