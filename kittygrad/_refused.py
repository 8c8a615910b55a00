"""torch names kittygrad has on purpose as errors: calling one raises with the reason, and the API
coverage report lists it as *refused* (``__kittygrad_refused__``)."""
from __future__ import annotations

from .errors import KittyRuntimeError


def refused(name: str, reason: str):
    """A function named ``name`` that raises ``RuntimeError(reason)``.

    >>> f = refused("from_file", "no memory-mapped storages")
    >>> f.__kittygrad_refused__
    'no memory-mapped storages'
    """

    def fn(*args, **kwargs):
        raise KittyRuntimeError(f"{name}: {reason}")

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Refused: {reason}"
    fn.__kittygrad_refused__ = reason
    return fn


NO_COMPLEX = "kittygrad has no complex dtypes (NumPy float and integer tensors only)"
