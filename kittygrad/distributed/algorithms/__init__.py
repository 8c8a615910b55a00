"""``kittygrad.distributed.algorithms``: DDP communication hooks (torch.distributed.algorithms)."""

from . import ddp_comm_hooks

__all__ = ["ddp_comm_hooks"]
