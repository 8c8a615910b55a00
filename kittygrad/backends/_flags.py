"""The one way a backend's ``flags(...)`` sets its module-level switches for a block."""
from __future__ import annotations

import contextlib
import sys


@contextlib.contextmanager
def flags_for_block(module_name: str, **values):
    """Set the module's attributes named in ``values`` for a ``with`` block, then restore them
    (also when the block raises), as torch's ``cudnn.flags`` and ``mkldnn.flags`` do.

    >>> import kittygrad as kitty
    >>> with flags_for_block("kittygrad.backends.cudnn", benchmark=True):
    ...     kitty.backends.cudnn.benchmark
    True
    """
    module = sys.modules[module_name]
    saved = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)
