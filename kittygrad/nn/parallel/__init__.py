"""kittygrad.nn.parallel: ``DistributedDataParallel`` (data parallelism over kittygrad.distributed), and
``DataParallel`` (torch's multi-GPU wrapper, which on a machine without GPUs calls the module).

>>> from kittygrad.nn.parallel import DistributedDataParallel
>>> DistributedDataParallel.__name__
'DistributedDataParallel'
"""

from __future__ import annotations

from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
