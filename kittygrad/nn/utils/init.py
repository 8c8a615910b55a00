"""``skip_init``: build a module without running its parameter initialisation's cost in torch's
sense. torch constructs it on the meta device and allocates uninitialised memory; kittygrad
builds it normally (the values are then the default initialisation's, which is a valid choice for
"uninitialised").

>>> import kittygrad as kitty
>>> skip_init(kitty.nn.Linear, 3, 4).weight.shape
kittygrad.Size([4, 3])
"""
from __future__ import annotations

import inspect

from ...errors import KittyRuntimeError

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """An instance of ``module_cls(*args, **kwargs)`` whose parameter values the caller will set.
    Like torch, the class must take a ``device`` argument (every built-in layer does)."""
    if "device" not in inspect.signature(module_cls).parameters:
        raise KittyRuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
