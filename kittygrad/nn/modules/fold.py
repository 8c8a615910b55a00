"""``Fold`` and ``Unfold``: sliding local blocks to columns and back (``F.fold`` / ``F.unfold``)."""
from __future__ import annotations

from .. import functional as F
from ._functional_module import _FunctionalModule

__all__ = ["Fold", "Unfold"]


class Fold(_FunctionalModule, function=F.fold, settings=("output_size", "kernel_size", "dilation", "padding", "stride")):
    """Sum columns of sliding blocks ``(N, C * kh * kw, L)`` into an image ``(N, C, H, W)`` (col2im).

    >>> import kittygrad as kitty
    >>> kitty.nn.Fold((3, 3), 2)(kitty.ones(1, 4, 4))
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride


class Unfold(_FunctionalModule, function=F.unfold, settings=("kernel_size", "dilation", "padding", "stride")):
    """Extract sliding local blocks of ``(N, C, H, W)`` as columns ``(N, C * kh * kw, L)`` (im2col).

    >>> import kittygrad as kitty
    >>> kitty.nn.Unfold(2)(kitty.zeros(1, 3, 4, 4)).shape
    kittygrad.Size([1, 12, 9])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride
