"""``torch.return_types``: the named tuples that ``max(dim)``, ``sort``, ``topk`` and others return.

>>> import kittygrad as kitty
>>> isinstance(kitty.tensor([3.0, 1.0]).sort(), kitty.return_types.sort)
True
"""
from .ops._return_types import *  # noqa: F403 - the module is this namespace
from .ops._return_types import __all__  # noqa: F401
