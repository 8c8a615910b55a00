"""``kittygrad.Size``: the tuple type of tensor shapes, as ``torch.Size``."""
from __future__ import annotations

from . import _display


class Size(tuple, metaclass=_display.PublicType):
    """A tensor's shape: a tuple that prints as ``kittygrad.Size([2, 3])``.

    >>> Size([2, 3]).numel()
    6
    >>> Size
    <class 'kittygrad.Size'>
    """

    _public_name = "Size"

    def __repr__(self) -> str:
        return f"{_display.name}.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple.__mul__(self, times))

    __rmul__ = __mul__
