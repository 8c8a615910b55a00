"""``kittygrad.random``: the default generator and its state (torch.random).

>>> import kittygrad as kitty
>>> with kitty.random.fork_rng():
...     _ = kitty.rand(3)  # draws inside do not move the generator outside
>>> kitty.random.default_generator is kitty.default_generator
True
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from .backend_random import Generator
from .creation import default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = [
    "Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed",
    "set_rng_state",
]


@contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: Any = None) -> Iterator[None]:
    """Inside the block, random draws do not change the default generator's state afterwards: it
    is saved on entry and restored on exit (kittygrad has only the CPU generator, so ``devices``
    and ``device_type`` have nothing more to fork).

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(0); a = kitty.rand(1)
    >>> _ = kitty.manual_seed(0)
    >>> with kitty.random.fork_rng():
    ...     _ = kitty.rand(5)
    >>> bool((kitty.rand(1) == a).all())
    True
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
