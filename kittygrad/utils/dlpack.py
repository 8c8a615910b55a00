"""``torch.utils.dlpack``: exchange tensors with other array libraries through DLPack (NumPy arrays
and anything with ``__dlpack__``).

>>> import numpy as np
>>> from kittygrad.utils.dlpack import from_dlpack
>>> from_dlpack(np.arange(3.0))
tensor([0., 1., 2.], dtype=kittygrad.float64)
"""
from __future__ import annotations

from ..buffers import from_dlpack, to_dlpack

__all__ = ["from_dlpack", "to_dlpack"]
