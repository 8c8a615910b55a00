"""kittygrad.nn: modules, layers, losses, functional, init and utils, with torch.nn's API.

>>> import kittygrad as kitty
>>> net = kitty.nn.Sequential(kitty.nn.Linear(4, 8), kitty.nn.ReLU(), kitty.nn.Linear(8, 2))
>>> loss = kitty.nn.functional.cross_entropy(net(kitty.randn(5, 4)), kitty.tensor([0, 1, 1, 0, 1]))
>>> loss.backward(); net[0].weight.grad.shape
kittygrad.Size([8, 4])
"""
from __future__ import annotations

from . import attention, common_types, functional, init, utils
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from . import parallel  # torch.nn.parallel: DistributedDataParallel (loads no MPI until a process group starts)
from .parallel import DataParallel  # (torch.nn.DataParallel)

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "DataParallel", "functional",
           "init", "utils", *_modules_all]
