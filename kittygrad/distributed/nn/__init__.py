"""``kittygrad.distributed.nn``: torch.distributed.nn, the collectives that carry gradients.

The functions live in :mod:`kittygrad.distributed.nn.functional` and are re-exported here, as
torch does. Left out of torch's top level: ``RemoteModule`` (and its ``api``/``jit`` support
packages), which needs torch.distributed.rpc, which kittygrad does not have; and the names that
torch's star import merely leaks (``Function``, ``dist``, ``torch``, ``warnings``).

>>> import kittygrad.distributed.nn as dist_nn
>>> dist_nn.all_gather is dist_nn.functional.all_gather
True
"""

from __future__ import annotations

from . import functional
from .functional import (
    ReduceOp,
    all_gather,
    all_reduce,
    all_to_all,
    all_to_all_single,
    broadcast,
    gather,
    group,
    reduce,
    reduce_scatter,
    scatter,
)

__all__ = ["functional", *functional.__all__]
