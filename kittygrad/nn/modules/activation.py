"""Activation modules and MultiheadAttention.

Every activation is its ``nn.functional`` form plus stored settings: the class names the
functional and the settings (see :class:`._functional_module._FunctionalModule`), which gives
``forward`` and the printed form; each class keeps only its torch constructor.
"""
from __future__ import annotations

from functools import partial

from ... import creation as C
from ...tensor import Tensor
from .. import functional as F
from .. import init as nn_init
from ..parameter import Parameter
from ._functional_module import _FunctionalModule
from .linear import NonDynamicallyQuantizableLinear
from .module import Module

__all__ = [
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Softplus", "Softsign",
    "Hardtanh", "Hardswish", "Hardsigmoid", "Sigmoid", "Tanh", "LogSigmoid", "Tanhshrink", "Softmax",
    "LogSoftmax", "Softmin", "PReLU", "GLU", "MultiheadAttention", "Threshold", "Hardshrink", "Softshrink", "RReLU",
    "Softmax2d",
]


class _InplaceOnly(_FunctionalModule, settings=("inplace",)):
    """An activation whose only setting is ``inplace``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


class ReLU(_InplaceOnly, function=F.relu):
    """``max(x, 0)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.ReLU()(kitty.tensor([-1., 2.]))
    tensor([0., 2.])
    """


class Hardtanh(_FunctionalModule, function=F.hardtanh, settings=("min_val", "max_val", "inplace")):
    """Clamp to ``[min_val, max_val]``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Hardtanh()(kitty.tensor([-2., 0.5]))
    tensor([-1.0000,  0.5000])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if max_val <= min_val:
            raise AssertionError(f"max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace


class ReLU6(Hardtanh, shown=("inplace",)):
    """``min(max(x, 0), 6)`` (a Hardtanh on ``[0, 6]``).

    >>> import kittygrad as kitty
    >>> kitty.nn.ReLU6()(kitty.tensor([7.]))
    tensor([6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)


class LeakyReLU(_FunctionalModule, function=F.leaky_relu, settings=("negative_slope", "inplace")):
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    >>> import kittygrad as kitty
    >>> kitty.nn.LeakyReLU(0.1)(kitty.tensor([-1.]))
    tensor([-0.1000])
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace


class _AlphaInplace(_FunctionalModule, settings=("alpha", "inplace")):
    """ELU and CELU: a scale ``alpha`` and ``inplace``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace


class ELU(_AlphaInplace, function=F.elu):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    >>> import kittygrad as kitty
    >>> kitty.nn.ELU()(kitty.tensor([1.]))
    tensor([1.])
    """


class CELU(_AlphaInplace, function=F.celu):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    >>> import kittygrad as kitty
    >>> kitty.nn.CELU()(kitty.tensor([1.]))
    tensor([1.])
    """


class SELU(_InplaceOnly, function=F.selu):
    """Scaled ELU (self-normalising).

    >>> import kittygrad as kitty
    >>> kitty.nn.SELU()(kitty.tensor([0.]))
    tensor([0.])
    """


class GELU(_FunctionalModule, function=F.gelu, settings=("approximate",)):
    """Gaussian error linear unit, exact (``approximate='none'``) or tanh-approximated.

    >>> import kittygrad as kitty
    >>> kitty.nn.GELU("tanh")
    GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate


class SiLU(_InplaceOnly, function=F.silu):
    """``x * sigmoid(x)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.SiLU()(kitty.tensor([0.]))
    tensor([0.])
    """


class Mish(_InplaceOnly, function=F.mish):
    """``x * tanh(softplus(x))``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Mish()(kitty.tensor([0.]))
    tensor([0.])
    """


class Softplus(_FunctionalModule, function=F.softplus, settings=("beta", "threshold")):
    """``log(1 + exp(beta * x)) / beta`` (linear above ``threshold``).

    >>> import kittygrad as kitty
    >>> kitty.nn.Softplus()(kitty.tensor([0.]))
    tensor([0.6931])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold


class Softsign(_FunctionalModule, function=F.softsign):
    """``x / (1 + |x|)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Softsign()(kitty.tensor([1.]))
    tensor([0.5000])
    """


class Hardswish(_InplaceOnly, function=F.hardswish, shown=()):
    """``x * relu6(x + 3) / 6``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Hardswish()(kitty.tensor([3.]))
    tensor([3.])
    """


class Hardsigmoid(_InplaceOnly, function=F.hardsigmoid, shown=()):
    """``relu6(x + 3) / 6``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Hardsigmoid()(kitty.tensor([0.]))
    tensor([0.5000])
    """


class Sigmoid(_FunctionalModule, function=F.sigmoid):
    """Logistic sigmoid.

    >>> import kittygrad as kitty
    >>> kitty.nn.Sigmoid()(kitty.tensor([0.]))
    tensor([0.5000])
    """


class Tanh(_FunctionalModule, function=F.tanh):
    """Hyperbolic tangent.

    >>> import kittygrad as kitty
    >>> kitty.nn.Tanh()(kitty.tensor([0.]))
    tensor([0.])
    """


class LogSigmoid(_FunctionalModule, function=F.logsigmoid):
    """``log(sigmoid(x))``.

    >>> import kittygrad as kitty
    >>> kitty.nn.LogSigmoid()(kitty.tensor([0.]))
    tensor([-0.6931])
    """


class Tanhshrink(_FunctionalModule, function=F.tanhshrink):
    """``x - tanh(x)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Tanhshrink()(kitty.tensor([0.]))
    tensor([0.])
    """


class _AlongDim(_FunctionalModule, settings=("dim",)):
    """An activation over one dimension, ``dim`` (softmax family, GLU)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim


# A softmax without ``dim`` warns; frames up from the warning: _softmax_dim, the functional,
# forward, Module.__call__, then the user's line. ``partial`` adds no Python frame.
_CALLER = 5


class Softmax(_AlongDim, function=partial(F.softmax, _stacklevel=_CALLER)):
    """Softmax along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Softmax(dim=-1)(kitty.tensor([0., 0.]))
    tensor([0.5000, 0.5000])
    """


class LogSoftmax(_AlongDim, function=partial(F.log_softmax, _stacklevel=_CALLER)):
    """Log-softmax along ``dim`` (stable).

    >>> import kittygrad as kitty
    >>> kitty.nn.LogSoftmax(dim=0)(kitty.tensor([0., 0.]))
    tensor([-0.6931, -0.6931])
    """


class Softmin(_AlongDim, function=partial(F.softmin, _stacklevel=_CALLER)):
    """Softmax of ``-x`` along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Softmin(dim=0)(kitty.tensor([0., 0.]))
    tensor([0.5000, 0.5000])
    """


class GLU(_AlongDim, function=F.glu):
    """Gated linear unit over ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.nn.GLU()(kitty.zeros(2, 4)).shape
    kittygrad.Size([2, 2])
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__(dim)


class PReLU(_FunctionalModule, function=F.prelu, settings=("weight",), shown=("num_parameters",)):
    """Leaky ReLU with a learnable slope (one shared, or one per channel), initialised to ``init``.

    >>> import kittygrad as kitty
    >>> kitty.nn.PReLU()(kitty.tensor([-4.])).item()
    -1.0
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(C.empty(num_parameters, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn_init.constant_(self.weight, self.init)


# ---------------------------------------------------------------------------------------------

_MHA_PARAMETERS = ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias")


class Threshold(_FunctionalModule, function=F.threshold, settings=("threshold", "value", "inplace")):
    """``x`` where ``x > threshold``, ``value`` elsewhere.

    >>> import kittygrad as kitty
    >>> kitty.nn.Threshold(0.5, 9.0)(kitty.tensor([0., 1.]))
    tensor([9., 1.])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace


class _Shrink(_FunctionalModule, settings=("lambd",)):
    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Hardshrink(_Shrink, function=F.hardshrink):
    """``x`` where ``|x| > lambd``, 0 elsewhere.

    >>> import kittygrad as kitty
    >>> kitty.nn.Hardshrink()(kitty.tensor([0.2, 1.]))
    tensor([0., 1.])
    """


class Softshrink(_Shrink, function=F.softshrink):
    """Shrink towards 0 by ``lambd``; 0 inside ``[-lambd, lambd]``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Softshrink()(kitty.tensor([0.2, 1.]))
    tensor([0.0000, 0.5000])
    """


class RReLU(Module):
    """Randomized leaky ReLU: slopes drawn from ``U(lower, upper)`` in training, their mean in
    evaluation.

    >>> import kittygrad as kitty
    >>> kitty.nn.RReLU(0.1, 0.3).eval()(kitty.tensor([-1., 2.]))
    tensor([-0.2000,  2.0000])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False) -> None:
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, training=self.training, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class Softmax2d(Module):
    """Softmax over the channels of ``(N, C, H, W)`` or ``(C, H, W)``, at every position.

    >>> import kittygrad as kitty
    >>> kitty.nn.Softmax2d()(kitty.zeros(1, 2, 1, 1)).flatten()
    tensor([0.5000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return F.softmax(input, -3)


class MultiheadAttention(Module):
    """Multi-head scaled dot-product attention with torch's parameters
    (``in_proj_weight (3E, E)``, ``in_proj_bias``, ``bias_k``, ``bias_v``, ``out_proj``).

    Inputs are ``(L, N, E)`` (or ``(N, L, E)`` with ``batch_first``); returns the output and,
    with ``need_weights``, the attention weights (averaged over heads by default). The maths is
    :func:`kittygrad.nn.functional.multi_head_attention_forward`. ``add_bias_kv`` appends learned
    ``bias_k``, ``bias_v (1, 1, E)`` as one more key/value position; ``add_zero_attn`` a zero one.

    >>> import kittygrad as kitty
    >>> mha = kitty.nn.MultiheadAttention(8, 2, batch_first=True)
    >>> x = kitty.randn(3, 5, 8)
    >>> out, w = mha(x, x, x)
    >>> out.shape, w.shape
    (kittygrad.Size([3, 5, 8]), kittygrad.Size([3, 5, 5]))
    >>> out, w = kitty.nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True)(x, x, x)
    >>> w.shape
    kittygrad.Size([5, 3, 5])
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True, add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None, vdim: int | None = None, batch_first: bool = False, device=None, dtype=None) -> None:
        if min(embed_dim, num_heads) <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        # Keys and values as wide as the queries share one packed (3E, E) projection.
        self._qkv_same_embed_dim = self.kdim == self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim, rest = divmod(embed_dim, num_heads)
        if rest:
            raise AssertionError("embed_dim must be divisible by num_heads")
        E = embed_dim
        if self._qkv_same_embed_dim:
            shapes = {"in_proj_weight": (3 * E, E)}
        else:
            shapes = {"q_proj_weight": (E, E), "k_proj_weight": (E, self.kdim), "v_proj_weight": (E, self.vdim)}
        if bias:
            shapes["in_proj_bias"] = (3 * E,)
        # Every name exists (None when unused), as torch's attributes do.
        for name in _MHA_PARAMETERS:
            shape = shapes.get(name)
            self.register_parameter(name, None if shape is None else Parameter(C.empty(shape, dtype=dtype)))
        self.out_proj = NonDynamicallyQuantizableLinear(E, E, bias=bias, dtype=dtype)
        if add_bias_kv:  # registered after in_proj_bias, as torch's named_parameters() lists them
            self.bias_k = Parameter(C.empty(1, 1, E, dtype=dtype))
            self.bias_v = Parameter(C.empty(1, 1, E, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        # Projections are drawn after out_proj's own init, packed or q, k, v in turn (torch's RNG
        # order); every bias starts at zero, but bias_k and bias_v, drawn last.
        for weight in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if weight is not None:
                nn_init.xavier_uniform_(weight)
        for bias in (self.in_proj_bias, self.out_proj.bias):
            if bias is not None:
                nn_init.zeros_(bias)
        for bias in (self.bias_k, self.bias_v):
            if bias is not None:
                nn_init.xavier_normal_(bias)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None, need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True, is_causal: bool = False):
        # sequence-first for the functional form: batch_first inputs are transposed there and back
        swap = self.batch_first and query.ndim == 3
        if swap:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal,
        )
        return (out.transpose(0, 1) if swap else out), weights
