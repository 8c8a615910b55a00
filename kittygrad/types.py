"""Type aliases torch's annotations use (``torch.types.Number``, ``Device``, ``_size``), for code that
annotates with them.

>>> import kittygrad.types as types
>>> isinstance(2.5, types.Number.__args__)
True
"""
from __future__ import annotations

import os
from typing import IO, Sequence, Union

from .device import device as _device_class
from .dtypes import dtype as _dtype
from .size import Size
from .tensor import Tensor

_int, _float, _bool, _complex, _str, _bytes = int, float, bool, complex, str, bytes
_dtype = _dtype
_device = _device_class
_size = Union[Size, list[int], tuple[int, ...]]
_Number = Union[int, float, bool, complex]
Number = _Number
Device = Union[_device_class, str, int, None]
FileLike = Union[str, os.PathLike, IO[bytes]]
IntLikeType = int
FloatLikeType = float
BoolLikeType = bool
_TensorOrTensors = Union[Tensor, Sequence[Tensor]]

__all__ = ["Number", "Device", "FileLike", "IntLikeType", "FloatLikeType", "BoolLikeType", "Size", "Tensor"]
