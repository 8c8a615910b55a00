"""Top-level functions of the op families beyond the foundation (``kitty.sin``, ``kitty.cat``, ...)."""
from __future__ import annotations

__all__: list = []
