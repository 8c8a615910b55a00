"""Attention weights for ``scaled_dot_product_attention`` (softmax of scaled scores)."""
from __future__ import annotations

from ...autograd.function import Op

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
    return AttentionWeights.apply(weights, n, heads, average, batched)
