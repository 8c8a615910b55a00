"""Padding layers: constant (and zero), reflection, replication and circular, over the last one, two or three dims."""
from __future__ import annotations

from .. import functional as F
from ._functional_module import _FunctionalModule

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d",
    "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d", "ZeroPad3d", "ConstantPad3d",
    "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d",
]


def _sides(padding, dims: int) -> tuple:
    """One int pads every side; a sequence gives (left, right[, top, bottom]) as F.pad reads it."""
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * (2 * dims)


class _PadNd(_FunctionalModule, function=F.pad, settings=("padding", "_mode")):
    """``F.pad(input, padding, mode)`` over the last ``_dims`` dims; printed as the bare padding."""

    _dims: int
    _mode: str

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _sides(padding, self._dims)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd, settings=("padding", "_mode", "value"), shown=("padding", "value")):
    _mode = "constant"

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    extra_repr = _FunctionalModule.extra_repr


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``.

    >>> import kittygrad as kitty
    >>> kitty.nn.ConstantPad1d((0, 1), 2.)(kitty.ones(1, 2))
    tensor([[1., 1., 2.]])
    """

    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``.

    >>> import kittygrad as kitty
    >>> kitty.nn.ConstantPad2d(1, 3.5)(kitty.zeros(1, 1, 2, 2)).shape
    kittygrad.Size([1, 1, 4, 4])
    """

    _dims = 2


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros.

    >>> import kittygrad as kitty
    >>> kitty.nn.ZeroPad1d(1)(kitty.ones(1, 2))
    tensor([[0., 1., 1., 0.]])
    """

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros.

    >>> import kittygrad as kitty
    >>> kitty.nn.ZeroPad2d((1, 0, 0, 1))(kitty.ones(1, 2, 2)).shape
    kittygrad.Size([1, 3, 3])
    """

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


class ReflectionPad1d(_PadNd):
    """Pad the last dim by reflection (no edge repeat).

    >>> import kittygrad as kitty
    >>> kitty.nn.ReflectionPad1d(1)(kitty.tensor([[[1., 2., 3.]]]))
    tensor([[[2., 1., 2., 3., 2.]]])
    """

    _dims, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two dims by reflection.

    >>> import kittygrad as kitty
    >>> kitty.nn.ReflectionPad2d(1)(kitty.zeros(1, 1, 3, 3)).shape
    kittygrad.Size([1, 1, 5, 5])
    """

    _dims, _mode = 2, "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating the edge.

    >>> import kittygrad as kitty
    >>> kitty.nn.ReplicationPad1d(1)(kitty.tensor([[[1., 2.]]]))
    tensor([[[1., 1., 2., 2.]]])
    """

    _dims, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two dims by repeating the edges.

    >>> import kittygrad as kitty
    >>> kitty.nn.ReplicationPad2d(1)(kitty.zeros(1, 1, 2, 2)).shape
    kittygrad.Size([1, 1, 4, 4])
    """

    _dims, _mode = 2, "replicate"


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around.

    >>> import kittygrad as kitty
    >>> kitty.nn.CircularPad1d(1)(kitty.tensor([[[1., 2., 3.]]]))
    tensor([[[3., 1., 2., 3., 1.]]])
    """

    _dims, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Pad the last two dims by wrapping around.

    >>> import kittygrad as kitty
    >>> kitty.nn.CircularPad2d(1)(kitty.zeros(1, 1, 2, 2)).shape
    kittygrad.Size([1, 1, 4, 4])
    """

    _dims, _mode = 2, "circular"


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``.

    >>> import kittygrad as kitty
    >>> kitty.nn.ConstantPad3d(1, 3.5)(kitty.zeros(1, 1, 2, 2, 2)).shape
    kittygrad.Size([1, 1, 4, 4, 4])
    """

    _dims = 3


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros.

    >>> import kittygrad as kitty
    >>> kitty.nn.ZeroPad3d((1, 0, 0, 1, 0, 0))(kitty.ones(1, 2, 2, 2)).shape
    kittygrad.Size([1, 2, 3, 3])
    """

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


class ReflectionPad3d(_PadNd):
    """Pad the last three dims by reflection.

    >>> import kittygrad as kitty
    >>> kitty.nn.ReflectionPad3d(1)(kitty.zeros(1, 1, 3, 3, 3)).shape
    kittygrad.Size([1, 1, 5, 5, 5])
    """

    _dims, _mode = 3, "reflect"


class ReplicationPad3d(_PadNd):
    """Pad the last three dims by repeating the edges.

    >>> import kittygrad as kitty
    >>> kitty.nn.ReplicationPad3d(1)(kitty.zeros(1, 1, 2, 2, 2)).shape
    kittygrad.Size([1, 1, 4, 4, 4])
    """

    _dims, _mode = 3, "replicate"


class CircularPad3d(_PadNd):
    """Pad the last three dims by wrapping around.

    >>> import kittygrad as kitty
    >>> kitty.nn.CircularPad3d(1)(kitty.zeros(1, 1, 2, 2, 2)).shape
    kittygrad.Size([1, 1, 4, 4, 4])
    """

    _dims, _mode = 3, "circular"
