"""kittygrad.nn.parallel: ``DistributedDataParallel`` (data parallelism over kittygrad.distributed).

>>> from kittygrad.nn.parallel import DistributedDataParallel
>>> DistributedDataParallel.__name__
'DistributedDataParallel'
"""

from __future__ import annotations

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
