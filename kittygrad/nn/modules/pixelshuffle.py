"""``PixelShuffle`` and ``PixelUnshuffle``: moving channels into space and back."""
from __future__ import annotations

from .. import functional as F
from ._functional_module import _FunctionalModule

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(_FunctionalModule, function=F.pixel_shuffle, settings=("upscale_factor",)):
    """``(N, C*r*r, H, W)`` to ``(N, C, H*r, W*r)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.PixelShuffle(2)(kitty.zeros(1, 8, 3, 3)).shape
    kittygrad.Size([1, 2, 6, 6])
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor


class PixelUnshuffle(_FunctionalModule, function=F.pixel_unshuffle, settings=("downscale_factor",)):
    """``(N, C, H*r, W*r)`` to ``(N, C*r*r, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.PixelUnshuffle(2)(kitty.zeros(1, 2, 6, 6)).shape
    kittygrad.Size([1, 8, 3, 3])
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor
