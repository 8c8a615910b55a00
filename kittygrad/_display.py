"""The package name that printed values show (``kittygrad.float32``, ``kittygrad.Size([2])``).

It is ``"kittygrad"``; ``python -m kittygrad.run`` sets it to ``"torch"``, so that an unmodified
PyTorch script that prints dtypes and shapes, or compares ``str(x.dtype) == "torch.float32"``,
sees what it would see under torch.

>>> import kittygrad as kitty
>>> from kittygrad import _display
>>> _display.name
'kittygrad'
"""
from __future__ import annotations

name = "kittygrad"
