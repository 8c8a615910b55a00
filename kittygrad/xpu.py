"""``kittygrad.xpu``: torch's Intel-GPU namespace, as a torch build without XPU answers it.

``is_available()`` is False and ``device_count()`` 0, so device-selection boilerplate
(``"xpu" if torch.xpu.is_available() else "cpu"``) picks the CPU; seeding and ``empty_cache`` are
no-ops, as in torch without XPU; anything that needs the device raises kittygrad's one no-GPU error.

>>> import kittygrad as kitty
>>> kitty.xpu.is_available(), kitty.xpu.device_count()
(False, 0)
"""
from __future__ import annotations

from .device import unavailable


def is_available() -> bool:
    """False: kittygrad has no XPU backend."""
    return False


def device_count() -> int:
    """The number of XPU devices: 0."""
    return 0


def is_initialized() -> bool:
    """False: there is no XPU backend to initialise."""
    return False


def manual_seed(seed: int) -> None:
    """Seed the XPU generators: a no-op without XPU devices, as torch's."""


manual_seed_all = manual_seed


def empty_cache() -> None:
    """Free the XPU allocator's cache: a no-op without XPU devices, as torch's."""


def memory_allocated(device=None) -> int:
    """Bytes the XPU allocator holds: 0 without XPU devices."""
    return 0


def synchronize(device=None) -> None:
    """Wait for XPU work: refused, there is no XPU device."""
    raise unavailable("device 'xpu'", "kittygrad.xpu.synchronize()")


def current_device() -> int:
    """The current XPU device: refused, there is no XPU device."""
    raise unavailable("device 'xpu'", "kittygrad.xpu.current_device()")


def get_device_name(device=None) -> str:
    """An XPU device's name: refused, there is no XPU device."""
    raise unavailable("device 'xpu'", "kittygrad.xpu.get_device_name()")
