"""``kittygrad.mps``: torch's Apple-GPU namespace, as a torch build without MPS answers it.

``is_available()`` is False and ``device_count()`` 0; ``manual_seed`` is a no-op (there is no MPS
generator); the calls that need the backend raise the one no-GPU error of
``kittygrad.device.unavailable``.

>>> import kittygrad as kitty
>>> kitty.mps.is_available()
False
"""
from __future__ import annotations

from .device import unavailable


def _refuse(fn: str):
    return unavailable("device 'mps'", f"kittygrad.mps.{fn}()")


def is_available() -> bool:
    """False: kittygrad has no MPS backend.

    >>> import kittygrad as kitty
    >>> kitty.mps.is_available()
    False
    """
    return False


def device_count() -> int:
    """The number of MPS devices: 0.

    >>> import kittygrad as kitty
    >>> kitty.mps.device_count()
    0
    """
    return 0


def manual_seed(seed: int) -> None:
    """Seed the MPS generator: a no-op, as torch's without MPS (there is no MPS generator).

    >>> import kittygrad as kitty
    >>> kitty.mps.manual_seed(0)
    """


def seed() -> None:
    """Seed the MPS generator randomly: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> kitty.mps.seed()  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    kittygrad.errors.KittyRuntimeError: kittygrad has no GPU backend installed: ...
    """
    raise _refuse("seed")


def get_rng_state(device="mps"):
    """The MPS generator's state: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> kitty.mps.get_rng_state()  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    kittygrad.errors.KittyRuntimeError: kittygrad has no GPU backend installed: ...
    """
    raise _refuse("get_rng_state")


def set_rng_state(new_state, device="mps") -> None:
    """Set the MPS generator's state: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> kitty.mps.set_rng_state(kitty.zeros(2))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    kittygrad.errors.KittyRuntimeError: kittygrad has no GPU backend installed: ...
    """
    raise _refuse("set_rng_state")


def synchronize() -> None:
    """Wait for the MPS device's work: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> kitty.mps.synchronize()  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    kittygrad.errors.KittyRuntimeError: kittygrad has no GPU backend installed: ...
    """
    raise _refuse("synchronize")


def empty_cache() -> None:
    """Release the MPS allocator's cached memory: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> kitty.mps.empty_cache()  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    kittygrad.errors.KittyRuntimeError: kittygrad has no GPU backend installed: ...
    """
    raise _refuse("empty_cache")


def current_allocated_memory() -> int:
    """Bytes held by MPS tensors: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> kitty.mps.current_allocated_memory()  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    kittygrad.errors.KittyRuntimeError: kittygrad has no GPU backend installed: ...
    """
    raise _refuse("current_allocated_memory")


def driver_allocated_memory() -> int:
    """Bytes the Metal driver holds for the process: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> kitty.mps.driver_allocated_memory()  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    kittygrad.errors.KittyRuntimeError: kittygrad has no GPU backend installed: ...
    """
    raise _refuse("driver_allocated_memory")
