"""Padding, upsampling, pixel shuffle and distance modules."""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d",
    "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d", "Upsample", "PixelShuffle",
    "PixelUnshuffle", "CosineSimilarity", "PairwiseDistance",
]


class _PadNd(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        n = self._n
        self.padding = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * (2 * n)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``.

    >>> import kittygrad as kitty
    >>> kitty.nn.ConstantPad1d((0, 1), 2.)(kitty.ones(1, 2))
    tensor([[1., 1., 2.]])
    """

    _n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``.

    >>> import kittygrad as kitty
    >>> kitty.nn.ConstantPad2d(1, 3.5)(kitty.zeros(1, 1, 2, 2)).shape
    kittygrad.Size([1, 1, 4, 4])
    """

    _n = 2


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros.

    >>> import kittygrad as kitty
    >>> kitty.nn.ZeroPad1d(1)(kitty.ones(1, 2))
    tensor([[0., 1., 1., 0.]])
    """

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros.

    >>> import kittygrad as kitty
    >>> kitty.nn.ZeroPad2d((1, 0, 0, 1))(kitty.ones(1, 2, 2)).shape
    kittygrad.Size([1, 3, 3])
    """

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad the last dim by reflection (no edge repeat).

    >>> import kittygrad as kitty
    >>> kitty.nn.ReflectionPad1d(1)(kitty.tensor([[[1., 2., 3.]]]))
    tensor([[[2., 1., 2., 3., 2.]]])
    """

    _n, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two dims by reflection.

    >>> import kittygrad as kitty
    >>> kitty.nn.ReflectionPad2d(1)(kitty.zeros(1, 1, 3, 3)).shape
    kittygrad.Size([1, 1, 5, 5])
    """

    _n, _mode = 2, "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating the edge.

    >>> import kittygrad as kitty
    >>> kitty.nn.ReplicationPad1d(1)(kitty.tensor([[[1., 2.]]]))
    tensor([[[1., 1., 2., 2.]]])
    """

    _n, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two dims by repeating the edges.

    >>> import kittygrad as kitty
    >>> kitty.nn.ReplicationPad2d(1)(kitty.zeros(1, 1, 2, 2)).shape
    kittygrad.Size([1, 1, 4, 4])
    """

    _n, _mode = 2, "replicate"


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around.

    >>> import kittygrad as kitty
    >>> kitty.nn.CircularPad1d(1)(kitty.tensor([[[1., 2., 3.]]]))
    tensor([[[3., 1., 2., 3., 1.]]])
    """

    _n, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Pad the last two dims by wrapping around.

    >>> import kittygrad as kitty
    >>> kitty.nn.CircularPad2d(1)(kitty.zeros(1, 1, 2, 2)).shape
    kittygrad.Size([1, 1, 4, 4])
    """

    _n, _mode = 2, "circular"


class Upsample(Module):
    """Resize with ``F.interpolate`` ('nearest', 'linear', 'bilinear', 'trilinear').

    >>> import kittygrad as kitty
    >>> kitty.nn.Upsample(scale_factor=2)(kitty.zeros(1, 1, 3, 3)).shape
    kittygrad.Size([1, 1, 6, 6])
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None, recompute_scale_factor=None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners, self.recompute_scale_factor)

    def extra_repr(self) -> str:
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class PixelShuffle(Module):
    """``(N, C*r*r, H, W)`` to ``(N, C, H*r, W*r)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.PixelShuffle(2)(kitty.zeros(1, 8, 3, 3)).shape
    kittygrad.Size([1, 2, 6, 6])
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``(N, C, H*r, W*r)`` to ``(N, C*r*r, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.PixelUnshuffle(2)(kitty.zeros(1, 2, 6, 6)).shape
    kittygrad.Size([1, 8, 3, 3])
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class CosineSimilarity(Module):
    """Cosine similarity along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.nn.CosineSimilarity()(kitty.tensor([[1., 0.]]), kitty.tensor([[2., 0.]]))
    tensor([1.])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm distance along the last dim.

    >>> import kittygrad as kitty
    >>> kitty.nn.PairwiseDistance(eps=0)(kitty.tensor([[0., 0.]]), kitty.tensor([[3., 4.]]))
    tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
