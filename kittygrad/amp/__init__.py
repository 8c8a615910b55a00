"""``kittygrad.amp``: automatic mixed precision, as ``torch.amp`` (``autocast``, ``GradScaler``).

>>> import kittygrad as kitty
>>> with kitty.amp.autocast("cpu", dtype=kitty.float16):
...     (kitty.ones(1, 2) @ kitty.ones(2, 1)).dtype
kittygrad.float16
"""
from __future__ import annotations

from . import autocast_mode, grad_scaler
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available"]
