"""``kittygrad.distributed.algorithms`` (torch.distributed.algorithms): DDP communication hooks and
the join context manager for uneven inputs (``Join``, ``Joinable``, ``JoinHook``)."""

from . import ddp_comm_hooks, join
from .join import Join, Joinable, JoinHook

__all__ = ["Join", "JoinHook", "Joinable", "ddp_comm_hooks", "join"]
