"""``torch.signal``: window functions in ``kittygrad.signal.windows``."""
from __future__ import annotations

from . import windows

__all__ = ["windows"]
