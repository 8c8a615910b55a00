"""Build facts, where torch keeps them (``torch.version``): scripts read ``torch.version.cuda`` to
decide whether a GPU build is present.

>>> import kittygrad as kitty
>>> kitty.version.cuda is None, kitty.version.hip is None
(True, True)
"""
from __future__ import annotations

__version__ = "0.1.0"
#: no GPU toolkit is compiled in: kittygrad runs on NumPy
cuda: str | None = None
hip: str | None = None
xpu: str | None = None
debug: bool = False
git_version: str = "unknown"
