"""LayerNorm, GroupNorm, RMSNorm, and ``_AffineNorm``, the affine part every norm layer shares
(batch and instance norm: ``batchnorm.py``, ``instancenorm.py``)."""
from __future__ import annotations

from ... import creation as C
from ...tensor import Tensor
from .. import functional as F
from .. import init as nn_init
from ..parameter import Parameter
from ._functional_module import _FunctionalModule

__all__ = ["LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm"]


class _AffineNorm(_FunctionalModule):
    """Base of the norm layers: an elementwise learnable ``weight`` (starting at one) and ``bias``
    (starting at zero) over the normalised shape, and ``forward`` through the layer's functional.

    A disabled weight or bias is registered as None, so the attribute always exists, as in torch.

    >>> import kittygrad as kitty
    >>> kitty.nn.LayerNorm(3, bias=False).bias is None
    True
    """

    def _add_affine(self, shape: tuple, weight: bool, bias: bool | None, dtype) -> None:
        """``bias=None``: the layer has no ``bias`` at all (RMSNorm); there is no bias without a weight."""
        def slot(present: bool) -> Parameter | None:
            return Parameter(C.empty(tuple(shape), dtype=dtype)) if present else None

        self.register_parameter("weight", slot(weight))
        if bias is not None:
            self.register_parameter("bias", slot(weight and bias))

    def reset_parameters(self) -> None:
        # Constant fills draw no random numbers, so the generator's stream is left as torch leaves it.
        for name, fill in (("weight", nn_init.ones_), ("bias", nn_init.zeros_)):
            param = self._parameters.get(name)
            if param is not None:
                fill(param)


def _shape(normalized_shape) -> tuple:
    return (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)


class LayerNorm(_AffineNorm, function=F.layer_norm, settings=("normalized_shape", "weight", "bias", "eps")):
    """Normalise over the last dims (``normalized_shape``), then scale and shift elementwise.

    >>> import kittygrad as kitty
    >>> kitty.nn.LayerNorm(4)(kitty.randn(2, 3, 4)).shape
    kittygrad.Size([2, 3, 4])
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self._add_affine(self.normalized_shape, elementwise_affine, bias, dtype)
        self.reset_parameters()

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class GroupNorm(_AffineNorm, function=F.group_norm, settings=("num_groups", "weight", "bias", "eps")):
    """Normalise groups of channels of each sample, then a per-channel affine.

    >>> import kittygrad as kitty
    >>> kitty.nn.GroupNorm(2, 4)(kitty.randn(3, 4, 5)).shape
    kittygrad.Size([3, 4, 5])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self._add_affine((num_channels,), affine, bias, dtype)
        self.reset_parameters()

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.bias is not None}"


class RMSNorm(_AffineNorm, function=F.rms_norm, settings=("normalized_shape", "weight", "eps")):
    """``x / sqrt(mean(x**2) + eps) * weight`` over the last dims (``eps=None``: the dtype's eps).

    >>> import kittygrad as kitty
    >>> kitty.nn.RMSNorm(4)(kitty.randn(2, 4)).shape
    kittygrad.Size([2, 4])
    """

    def __init__(self, normalized_shape, eps: float | None = None, elementwise_affine: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self._add_affine(self.normalized_shape, elementwise_affine, None, dtype)
        self.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:  # torch names this input `x`
        return self._call(x)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(_FunctionalModule, function=F.local_response_norm, settings=("size", "alpha", "beta", "k")):
    """Normalise each element by the squares of its ``size`` neighbouring channels (AlexNet).

    >>> import kittygrad as kitty
    >>> kitty.nn.LocalResponseNorm(2)(kitty.ones(1, 3, 2)).shape
    kittygrad.Size([1, 3, 2])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
