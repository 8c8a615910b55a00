"""The Transformer family: encoder and decoder layers, their stacks, and ``Transformer`` (torch's
structure and parameter names, so torch's state dicts load unchanged)."""
from __future__ import annotations

import copy
import warnings
from typing import Any, Callable

from ... import creation as C
from ...amp import autocast_mode as _autocast
from ...autograd.grad_mode import is_grad_enabled
from ...errors import KittyRuntimeError
from ...tensor import Tensor
from .. import _functional_attention as _attention
from .. import functional as F
from .. import init
from .activation import GELU, MultiheadAttention, ReLU
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer", "TransformerDecoder",
           "Transformer"]


def _activation_fn(activation):
    """torch's legacy activation names; any callable (a function or a module) is used as given."""
    if not isinstance(activation, str):
        return activation
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise KittyRuntimeError(f"activation should be relu/gelu, not {activation}")


def _relu_or_gelu(activation) -> int:
    """torch's flag for the fused path: 1 for ReLU, 2 for GELU, 0 for any other activation."""
    if activation in ("relu", F.relu) or isinstance(activation, ReLU):
        return 1
    if activation in ("gelu", F.gelu) or isinstance(activation, GELU):
        return 2
    return 0


def _causal_mask(sz: int, device=None, dtype=None) -> Tensor:
    """``-inf`` above the diagonal, 0 elsewhere (a bool dtype gives True above the diagonal)."""
    return C.full((sz, sz), float("-inf"), dtype=dtype, device=device).triu(1)


def _canonical_mask(mask, name: str, other, other_name: str, src: Tensor):
    """A mask as the attention reads it (boolean as additive -inf / 0 in ``src``'s dtype), with
    torch's warning when it and ``other`` differ in type."""
    return _attention._canonical_mask(mask, name, other, other_name, src._data.dtype)


def _seq_len(x: Tensor, batch_first: bool) -> int:
    """The sequence length of ``(S, E)``, ``(S, N, E)`` or, with ``batch_first``, ``(N, S, E)``."""
    return x.shape[0] if x.ndim == 2 else x.shape[1 if batch_first else 0]


def _batch_size(x: Tensor, batch_first: bool) -> int:
    """The batch size of a batched ``(S, N, E)`` or, with ``batch_first``, ``(N, S, E)`` sequence."""
    return x.shape[0] if batch_first else x.shape[1]


def _detect_is_causal(mask: Tensor | None, is_causal: bool | None, size: int) -> bool:
    """torch's hint: True when asked, or (with no answer given) when ``mask`` is exactly the causal mask."""
    if is_causal is not None or mask is None:
        return is_causal is True
    causal = _causal_mask(size, dtype=mask.dtype)
    return tuple(mask.shape) == tuple(causal.shape) and bool((mask == causal).all())


class _AttentionBlocks(Module):
    """What the encoder and decoder layers share: attention and feed-forward sub-blocks, each
    followed by its dropout, and residual connections (post-norm, or pre-norm with ``norm_first``)."""

    def _build_feed_forward(self, d_model: int, dim_feedforward: int, dropout: float, layer: dict) -> None:
        self.linear1 = Linear(d_model, dim_feedforward, **layer)
        self.dropout = Dropout(dropout)  # inside the feed-forward block
        self.linear2 = Linear(dim_feedforward, d_model, **layer)

    def _attend(self, attn: MultiheadAttention, x: Tensor, mem: Tensor, mask, key_padding_mask, is_causal: bool,
                drop: Dropout) -> Tensor:
        out, _ = attn(x, mem, mem, attn_mask=mask, key_padding_mask=key_padding_mask, need_weights=False,
                      is_causal=is_causal)
        return drop(out)

    def _feed_forward(self, x: Tensor, drop: Dropout) -> Tensor:
        return drop(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _residual(self, x: Tensor, branch: Callable[[Tensor], Tensor], norm: LayerNorm) -> Tensor:
        # Pre-norm normalises the branch's input; post-norm normalises the sum.
        return x + branch(norm(x)) if self.norm_first else norm(x + branch(x))


class TransformerEncoderLayer(_AttentionBlocks):
    """Self-attention plus a feed-forward block, each with residual connection, dropout and
    layer norm (post-norm by default, ``norm_first`` for pre-norm).

    >>> import kittygrad as kitty
    >>> layer = kitty.nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, batch_first=True)
    >>> layer(kitty.randn(2, 5, 16)).shape
    kittygrad.Size([2, 5, 16])
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        layer = {"bias": bias, "device": device, "dtype": dtype}
        # Submodules in torch's order, which fixes the printed form, the state_dict order and the
        # order the weights are drawn in.
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, **layer)
        self._build_feed_forward(d_model, dim_feedforward, dropout, layer)
        self.norm_first = norm_first
        self.norm1, self.norm2 = (LayerNorm(d_model, eps=layer_norm_eps, **layer) for _ in range(2))
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)  # on each residual branch
        self.activation_relu_or_gelu = _relu_or_gelu(activation)
        self.activation = _activation_fn(activation)

    def forward(self, src: Tensor, src_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool = False) -> Tensor:
        # read here, as torch's layer does (its warning names these arguments), so the attention
        # below gets masks of one type
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask", src)
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src)

        def attention(y):
            return self._attend(self.self_attn, y, y, src_mask, src_key_padding_mask, is_causal, self.dropout1)

        x = self._residual(src, attention, self.norm1)
        return self._residual(x, lambda y: self._feed_forward(y, self.dropout2), self.norm2)


class TransformerDecoderLayer(_AttentionBlocks):
    """Self-attention, attention over the encoder's output (``memory``) and a feed-forward block,
    each with residual connection, dropout and layer norm (post-norm by default, ``norm_first``
    for pre-norm).

    >>> import kittygrad as kitty
    >>> layer = kitty.nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16)
    >>> layer(kitty.randn(4, 3, 8), kitty.randn(6, 3, 8)).shape
    kittygrad.Size([4, 3, 8])
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = F.relu, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        layer = {"bias": bias, "device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, **layer)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, **layer)
        self._build_feed_forward(d_model, dim_feedforward, dropout, layer)
        self.norm_first = norm_first
        self.norm1, self.norm2, self.norm3 = (LayerNorm(d_model, eps=layer_norm_eps, **layer) for _ in range(3))
        self.dropout1, self.dropout2, self.dropout3 = Dropout(dropout), Dropout(dropout), Dropout(dropout)
        self.activation = _activation_fn(activation)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        def self_attention(y):
            return self._attend(self.self_attn, y, y, tgt_mask, tgt_key_padding_mask, tgt_is_causal, self.dropout1)

        def cross_attention(y):
            return self._attend(self.multihead_attn, y, memory, memory_mask, memory_key_padding_mask,
                                memory_is_causal, self.dropout2)

        x = self._residual(tgt, self_attention, self.norm1)
        x = self._residual(x, cross_attention, self.norm2)
        return self._residual(x, lambda y: self._feed_forward(y, self.dropout3), self.norm3)


def _why_not_nested(layer: Module) -> str:
    """Why torch's encoder would not take its nested-tensor fast path for ``layer`` (its wording)."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    attn = layer.self_attn
    reasons = (
        (layer.norm_first, f"{name}.norm_first was True"),
        (not attn.batch_first, f"{name}.self_attn.batch_first was not True(use batch_first for better inference "
                               "performance)"),
        (not attn._qkv_same_embed_dim, f"{name}.self_attn._qkv_same_embed_dim was not True"),
        (getattr(attn, "in_proj_bias", None) is None, f"{name}.self_attn was passed bias=False"),
        (not layer.activation_relu_or_gelu, f"{name}.activation_relu_or_gelu was not True"),
        (layer.norm1.eps != layer.norm2.eps, f"{name}.norm1.eps was not equal to {name}.norm2.eps"),
        (attn.num_heads % 2 == 1, f"{name}.self_attn.num_heads is odd"),
    )
    return next((why for failed, why in reasons if failed), "")


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer``, with an optional final norm.

    kittygrad has no nested tensors: ``enable_nested_tensor`` is recorded (with torch's warning
    when torch would not use them either) and the padded computation always runs. Where torch
    would take its nested-tensor path (inference with a key padding mask), the padded positions of
    the layers' output are zeros, as torch's nested tensor padded back gives them.

    >>> import kittygrad as kitty
    >>> layer = kitty.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    >>> enc = kitty.nn.TransformerEncoder(layer, num_layers=2)
    >>> enc(kitty.randn(3, 5, 8)).shape
    kittygrad.Size([3, 5, 8])
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_not_nested(encoder_layer)
        # the nested-tensor path is taken only when asked for and the layer allows it
        self.use_nested_tensor = enable_nested_tensor and not why_not
        if enable_nested_tensor and why_not:
            warnings.warn(
                f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why_not}", stacklevel=2
            )

    def forward(self, src: Tensor, mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        # read once for every layer, as torch's stack does (its warning names these arguments)
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask", mask, "mask", src)
        mask = _canonical_mask(mask, "mask", None, "", src)
        batch_first = self.layers[0].self_attn.batch_first
        is_causal = _detect_is_causal(mask, is_causal, _seq_len(src, batch_first))
        nested = self._nested_padding(src, mask, src_key_padding_mask)
        if nested is not None:
            src_key_padding_mask = nested
        out = src
        for mod in self.layers:
            out = mod(out, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        if nested is not None:
            out = out.masked_fill(nested.unsqueeze(-1), 0.0)
        if self.norm is not None:
            out = self.norm(out)
        return out

    def _nested_padding(self, src, mask, src_key_padding_mask):
        """Where torch's forward would pack ``src`` into a nested tensor, the (batch, length) boolean
        mask of the positions that nested tensor leaves out, else None. torch keeps the first
        ``n`` tokens of each sequence, ``n`` its unmasked count (``mask_check`` refuses a mask
        whose tokens are not all first), and pads its output back with zeros: the padded
        computation with that mask, zeroed there, gives the same values."""
        first = self.layers[0]
        if (not getattr(self, "use_nested_tensor", False) or first.training or src.ndim != 3
                or src_key_padding_mask is None or mask is not None or _autocast.is_autocast_enabled()):
            return None
        attn = first.self_attn
        args = (src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias,
                first.norm1.weight, first.norm1.bias, first.norm2.weight, first.norm2.bias,
                first.linear1.weight, first.linear1.bias, first.linear2.weight, first.linear2.bias)
        if is_grad_enabled() and any(t is not None and t.requires_grad for t in args):
            return None
        keep = src_key_padding_mask.logical_not()  # (a float mask: its zeros)
        lengths = keep.sum(1)
        packed = C.arange(keep.shape[1])[None, :] >= lengths[:, None]
        if getattr(self, "mask_check", True) and not bool((packed == ~keep).all()):
            return None
        return packed


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer``, with an optional final norm.

    >>> import kittygrad as kitty
    >>> dec = kitty.nn.TransformerDecoder(kitty.nn.TransformerDecoderLayer(8, 2, 16), num_layers=2)
    >>> dec(kitty.randn(4, 3, 8), kitty.randn(6, 3, 8)).shape
    kittygrad.Size([4, 3, 8])
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        batch_first = self.layers[0].self_attn.batch_first
        tgt_is_causal = _detect_is_causal(tgt_mask, tgt_is_causal, _seq_len(tgt, batch_first))
        out = tgt
        for mod in self.layers:
            out = mod(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            out = self.norm(out)
        return out


class Transformer(Module):
    """The encoder-decoder Transformer of "Attention Is All You Need": ``num_encoder_layers``
    encoder layers and ``num_decoder_layers`` decoder layers, each stack closed by a layer norm.
    Every weight matrix starts Xavier-uniform, as in torch.

    >>> import kittygrad as kitty
    >>> model = kitty.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
    ...                              dim_feedforward=16, batch_first=True)
    >>> src, tgt = kitty.randn(2, 6, 8), kitty.randn(2, 4, 8)
    >>> model(src, tgt, tgt_mask=model.generate_square_subsequent_mask(4)).shape
    kittygrad.Size([2, 4, 8])
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = F.relu, custom_encoder: Any | None = None,
                 custom_decoder: Any | None = None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first,
                      bias, device, dtype)
        norm = {"eps": layer_norm_eps, "bias": bias, "device": device, "dtype": dtype}
        # the default stacks are built only when no custom one is given (building draws random weights)
        encoder, decoder = custom_encoder, custom_decoder
        if encoder is None:
            encoder = TransformerEncoder(TransformerEncoderLayer(*layer_args), num_encoder_layers, LayerNorm(d_model, **norm))
        if decoder is None:
            decoder = TransformerDecoder(TransformerDecoderLayer(*layer_args), num_decoder_layers, LayerNorm(d_model, **norm))
        self.encoder, self.decoder = encoder, decoder
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """The causal mask of a length-``sz`` sequence: ``-inf`` above the diagonal, 0 elsewhere.

        >>> import kittygrad as kitty
        >>> kitty.nn.Transformer.generate_square_subsequent_mask(3)
        tensor([[0., -inf, -inf],
                [0., 0., -inf],
                [0., 0., 0.]])
        """
        return _causal_mask(sz, device=device, dtype=dtype)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None, memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        if src.ndim == 3 and _batch_size(src, self.batch_first) != _batch_size(tgt, self.batch_first):
            raise KittyRuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise KittyRuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_is_causal=tgt_is_causal,
                            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                            memory_is_causal=memory_is_causal)
