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
    >>> try:
    ...     kitty.mps.seed()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'mps' is not available (kittygrad.mps.seed() needs it); ...
    """
    raise _refuse("seed")


def get_rng_state(device="mps"):
    """The MPS generator's state: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.mps.get_rng_state()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'mps' is not available (kittygrad.mps.get_rng_state() needs it); ...
    """
    raise _refuse("get_rng_state")


def set_rng_state(new_state, device="mps") -> None:
    """Set the MPS generator's state: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.mps.set_rng_state(kitty.zeros(2))
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'mps' is not available (kittygrad.mps.set_rng_state() needs it); ...
    """
    raise _refuse("set_rng_state")


def synchronize() -> None:
    """Wait for the MPS device's work: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.mps.synchronize()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'mps' is not available (kittygrad.mps.synchronize() needs it); ...
    """
    raise _refuse("synchronize")


def empty_cache() -> None:
    """Release the MPS allocator's cached memory: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.mps.empty_cache()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'mps' is not available (kittygrad.mps.empty_cache() needs it); ...
    """
    raise _refuse("empty_cache")


def current_allocated_memory() -> int:
    """Bytes held by MPS tensors: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.mps.current_allocated_memory()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'mps' is not available (kittygrad.mps.current_allocated_memory() needs it); ...
    """
    raise _refuse("current_allocated_memory")


def driver_allocated_memory() -> int:
    """Bytes the Metal driver holds for the process: refused, there is no MPS backend.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.mps.driver_allocated_memory()
    ... except RuntimeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad has no GPU backend installed: device 'mps' is not available (kittygrad.mps.driver_allocated_memory() needs it); ...
    """
    raise _refuse("driver_allocated_memory")
