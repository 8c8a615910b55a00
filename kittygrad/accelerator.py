"""``kittygrad.accelerator``: torch 2.6's device-agnostic accelerator API, with no accelerator.

kittygrad runs on the CPU, which torch does not count as an accelerator: ``is_available()`` is
False, ``current_accelerator()`` None and ``device_count()`` 0, so the usual
``acc.current_accelerator() if acc.is_available() else "cpu"`` picks the CPU. The calls that need
an accelerator raise the one no-GPU error of ``kittygrad.device.unavailable``.

>>> import kittygrad as kitty
>>> kitty.accelerator.current_accelerator() or kitty.device("cpu")
device(type='cpu')
"""
from __future__ import annotations

from .device import device, unavailable


def _refuse(fn: str):
    return unavailable("an accelerator device", f"kittygrad.accelerator.{fn}()")


def is_available() -> bool:
    """False: kittygrad has no accelerator backend.

    >>> import kittygrad as kitty
    >>> kitty.accelerator.is_available()
    False
    """
    return False


def current_accelerator(check_available: bool = False) -> device | None:
    """The accelerator's device type: None, there is none.

    >>> import kittygrad as kitty
    >>> kitty.accelerator.current_accelerator() is None
    True
    """
    return None


def device_count() -> int:
    """The number of accelerator devices: 0.

    >>> import kittygrad as kitty
    >>> kitty.accelerator.device_count()
    0
    """
    return 0


def current_device_index() -> int:
    """The current accelerator device's index: refused, there is none.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.accelerator.current_device_index()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: an accelerator device is not available (kittygrad.accelerator.current_device_index() needs it); ...
    """
    raise _refuse("current_device_index")


def set_device_index(device, /) -> None:
    """Select an accelerator device: refused, there is none.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.accelerator.set_device_index(0)
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: an accelerator device is not available (kittygrad.accelerator.set_device_index() needs it); ...
    """
    raise _refuse("set_device_index")


current_device_idx = current_device_index  # torch's older names
set_device_idx = set_device_index


def synchronize(device=None, /) -> None:
    """Wait for an accelerator device's work: refused, there is none.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.accelerator.synchronize()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: an accelerator device is not available (kittygrad.accelerator.synchronize() needs it); ...
    """
    raise _refuse("synchronize")


def empty_cache() -> None:
    """Release an accelerator allocator's cached memory: refused, there is none.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.accelerator.empty_cache()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: an accelerator device is not available (kittygrad.accelerator.empty_cache() needs it); ...
    """
    raise _refuse("empty_cache")


def memory_allocated(device_index=None, /) -> int:
    """Bytes held by tensors on an accelerator: refused, there is none.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.accelerator.memory_allocated()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: an accelerator device is not available (kittygrad.accelerator.memory_allocated() needs it); ...
    """
    raise _refuse("memory_allocated")


def max_memory_allocated(device_index=None, /) -> int:
    """The peak of ``memory_allocated``: refused, there is no accelerator.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.accelerator.max_memory_allocated()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: an accelerator device is not available (kittygrad.accelerator.max_memory_allocated() needs it); ...
    """
    raise _refuse("max_memory_allocated")
