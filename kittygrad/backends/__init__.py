"""``kittygrad.backends``: torch's backend switches, as a CPU-only torch build answers them.

``cudnn``, ``mkldnn`` and ``cuda.matmul`` hold the flags scripts set (``cudnn.benchmark = True``);
kittygrad has none of these backends, so the flags are stored and change nothing. ``mps``,
``mkl`` and ``openmp`` say they are not available, ``cpu`` names the CPU capability.

>>> import kittygrad as kitty
>>> kitty.backends.cudnn.benchmark = True; kitty.backends.cudnn.is_available()
False
>>> kitty.backends.cudnn.benchmark = False
"""
from __future__ import annotations

from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp, opt_einsum
