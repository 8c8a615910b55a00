"""TransformerEncoderLayer and TransformerEncoder (torch's structure and parameter names)."""
from __future__ import annotations

import copy

from ...errors import KittyRuntimeError
from ...tensor import Tensor
from .. import functional as F
from .activation import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerEncoder"]


def _activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise KittyRuntimeError(f"activation should be relu/gelu, not {activation}")


class TransformerEncoderLayer(Module):
    """Self-attention plus a feed-forward block, each with residual connection, dropout and
    layer norm (post-norm by default, ``norm_first`` for pre-norm).

    >>> import kittygrad as kitty
    >>> layer = kitty.nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, batch_first=True)
    >>> layer(kitty.randn(2, 5, 16)).shape
    kittygrad.Size([2, 5, 16])
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        layer = {"bias": bias, "dtype": dtype}
        # Submodules in torch's order, which fixes the printed form, the state_dict order and the
        # order the weights are drawn in.
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, **layer)
        self.linear1 = Linear(d_model, dim_feedforward, **layer)
        self.dropout = Dropout(p=dropout)  # inside the feed-forward block
        self.linear2 = Linear(dim_feedforward, d_model, **layer)
        self.norm_first = norm_first
        self.norm1, self.norm2 = (LayerNorm(d_model, eps=layer_norm_eps, **layer) for _ in range(2))
        self.dropout1, self.dropout2 = Dropout(p=dropout), Dropout(p=dropout)  # on each residual branch
        self.activation = _activation_fn(activation) if isinstance(activation, str) else activation

    def _attention(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False, is_causal=is_causal)
        return self.dropout1(out)

    def _feed_forward(self, x: Tensor) -> Tensor:
        hidden = self.dropout(self.activation(self.linear1(x)))
        return self.dropout2(self.linear2(hidden))

    def _residual(self, x: Tensor, branch, norm: LayerNorm) -> Tensor:
        # Pre-norm normalises the branch's input; post-norm normalises the sum.
        return x + branch(norm(x)) if self.norm_first else norm(x + branch(x))

    def forward(self, src: Tensor, src_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        x = self._residual(src, lambda y: self._attention(y, src_mask, src_key_padding_mask, is_causal), self.norm1)
        return self._residual(x, self._feed_forward, self.norm2)


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer``, with an optional final norm.

    >>> import kittygrad as kitty
    >>> layer = kitty.nn.TransformerEncoderLayer(8, 2, 16)
    >>> enc = kitty.nn.TransformerEncoder(layer, num_layers=2)
    >>> enc(kitty.randn(5, 3, 8)).shape
    kittygrad.Size([5, 3, 8])
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None, enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None, is_causal: bool | None = None) -> Tensor:
        out = src
        for mod in self.layers:
            out = mod(out, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        if self.norm is not None:
            out = self.norm(out)
        return out
