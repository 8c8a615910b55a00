"""``torch.multiprocessing``: Python's ``multiprocessing`` plus ``spawn`` / ``start_processes``.

Everything of the standard library's ``multiprocessing`` is here under the same names (``Process``,
``Queue``, ``Pool``, ``get_context``, ``set_start_method``, ...). kittygrad's tensors hold NumPy
arrays, which pickle by value: a tensor sent to another process is a copy, so the sharing
strategies are torch's names but select nothing.

:func:`spawn` starts ``nprocs`` processes running ``fn(i, *args)``, as torch's does; the common
use, the DistributedDataParallel tutorial's ``mp.spawn(train, args=(world_size,), nprocs=world_size)``
with ``init_process_group`` inside ``train``, runs its processes under MPI (see :mod:`.spawn`).

>>> import kittygrad.multiprocessing as mp
>>> sorted(mp.get_all_sharing_strategies())
['file_descriptor', 'file_system']
"""

from __future__ import annotations

import multiprocessing as _std
from multiprocessing import *  # noqa: F401,F403  (torch.multiprocessing re-exports the standard library's)

from .spawn import (
    ProcessContext,
    ProcessExitedException,
    ProcessRaisedException,
    SpawnContext,
    spawn,
    start_processes,
)

__all__ = list(_std.__all__) + [
    "ProcessContext", "ProcessExitedException", "ProcessRaisedException", "SpawnContext", "spawn",
    "start_processes", "get_sharing_strategy", "set_sharing_strategy", "get_all_sharing_strategies",
]

_STRATEGIES = ("file_descriptor", "file_system")
_strategy = "file_descriptor"


def get_all_sharing_strategies() -> set:
    """The names of torch's tensor-sharing strategies on Linux (here they all send tensors by value).

    >>> sorted(get_all_sharing_strategies())
    ['file_descriptor', 'file_system']
    """
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    """The current sharing strategy's name.

    >>> get_sharing_strategy()
    'file_descriptor'
    """
    return _strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Select a sharing strategy by name (recorded; tensors travel between processes by value).

    >>> set_sharing_strategy("file_descriptor")
    """
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"Invalid sharing strategy {new_strategy!r}: expected one of {list(_STRATEGIES)}")
    _strategy = new_strategy
