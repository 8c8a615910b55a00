"""``kittygrad.cpu``: torch.cpu's surface; kittygrad always runs here.

>>> import kittygrad as kitty
>>> kitty.cpu.is_available(), kitty.cpu.device_count()
(True, 1)
"""
from __future__ import annotations

from . import amp

__all__ = ["amp", "is_available", "device_count", "current_device", "synchronize"]


def is_available() -> bool:
    """True: the CPU is always there.

    >>> import kittygrad as kitty
    >>> kitty.cpu.is_available()
    True
    """
    return True


def device_count() -> int:
    """1, as torch.cpu.device_count().

    >>> import kittygrad as kitty
    >>> kitty.cpu.device_count()
    1
    """
    return 1


def current_device() -> str:
    """``"cpu"``, as torch.cpu.current_device().

    >>> import kittygrad as kitty
    >>> kitty.cpu.current_device()
    'cpu'
    """
    return "cpu"


def synchronize(device=None) -> None:
    """Nothing to wait for: CPU ops finish before they return (a deliberate no-op, as torch's).

    >>> import kittygrad as kitty
    >>> kitty.cpu.synchronize()
    """
