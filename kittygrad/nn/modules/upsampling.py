"""``Upsample`` (resizing with ``F.interpolate``) and its fixed-mode forms."""
from __future__ import annotations

from .. import functional as F
from ._functional_module import _FunctionalModule

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


def _float_factor(scale_factor):
    # Stored as floats (one, or one per dim), as torch prints them; 0 or None means "use size".
    if not isinstance(scale_factor, tuple):
        return float(scale_factor) if scale_factor else None
    return tuple(map(float, scale_factor))


class Upsample(_FunctionalModule, function=F.interpolate, settings=("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor")):
    """Resize with ``F.interpolate`` ('nearest', 'linear', 'bilinear', 'bicubic', 'trilinear').

    >>> import kittygrad as kitty
    >>> kitty.nn.Upsample(scale_factor=2)(kitty.zeros(1, 1, 3, 3)).shape
    kittygrad.Size([1, 1, 6, 6])
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None, recompute_scale_factor=None) -> None:
        super().__init__()
        self.name = self._get_name()
        self.size = size
        self.scale_factor = _float_factor(scale_factor)
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def extra_repr(self) -> str:
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample`` with ``mode='nearest'`` for ``(N, C, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.UpsamplingNearest2d(scale_factor=2)(kitty.zeros(1, 1, 2, 2)).shape
    kittygrad.Size([1, 1, 4, 4])
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample`` with ``mode='bilinear', align_corners=True`` for ``(N, C, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.UpsamplingBilinear2d(size=(3, 3))(kitty.zeros(1, 1, 2, 2)).shape
    kittygrad.Size([1, 1, 3, 3])
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
