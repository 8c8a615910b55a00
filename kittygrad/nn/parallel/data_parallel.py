"""``nn.DataParallel``: torch's single-process, multi-GPU wrapper. On a machine without GPUs (always,
for kittygrad) torch's DataParallel keeps no devices and calls the module as it is, so scripts that
wrap their model "in case there are several GPUs" run unchanged; this is that wrapper. For several
processes, use :class:`DistributedDataParallel`.

>>> import kittygrad as kitty
>>> model = kitty.nn.DataParallel(kitty.nn.Linear(2, 3))
>>> list(model.state_dict())
['module.weight', 'module.bias']
"""

from __future__ import annotations

from typing import Any

from ..modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Wraps ``module`` (kept as ``.module``, so the state dict's keys start with ``module.``) and
    calls it: with no GPUs there is nothing to split the batch over (``device_ids`` is ``[]``), as
    torch's on a CPU-only machine.

    >>> import kittygrad as kitty
    >>> kitty.nn.DataParallel(kitty.nn.Linear(2, 3))(kitty.ones(4, 2)).shape
    kittygrad.Size([4, 3])
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.device_ids: list = []

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)
