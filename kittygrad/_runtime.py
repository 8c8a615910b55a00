"""torch's process-wide runtime switches that a CPU NumPy build answers: inter-op threads, the
warn-always flag, denormal flushing, the C++ ABI query, and torch's out-of-memory error types.

Each is documented with what it does here; none pretends to change something it cannot.

>>> import kittygrad as kitty
>>> kitty.get_num_interop_threads() >= 1
True
"""
from __future__ import annotations

import importlib
import os

from .device import device as _device
from .errors import KittyRuntimeError

_interop_threads: int | None = None
_warn_always = False


class OutOfMemoryError(KittyRuntimeError):
    """torch's out-of-memory error (``torch.OutOfMemoryError``, also ``torch.cuda.OutOfMemoryError``);
    kittygrad raises it where NumPy cannot allocate an array."""


class AcceleratorError(KittyRuntimeError):
    """torch's error from an accelerator runtime; a CPU build never raises it, scripts catch it."""


def get_num_interop_threads() -> int:
    """Threads for running independent ops in parallel (torch's inter-op pool): the CPU count, or what
    :func:`set_num_interop_threads` set. kittygrad runs ops one after another, so the value is only reported.

    >>> import kittygrad as kitty
    >>> kitty.get_num_interop_threads() >= 1
    True
    """
    return _interop_threads if _interop_threads is not None else (os.cpu_count() or 1)


def set_num_interop_threads(n: int) -> None:
    """Record the inter-op thread count (once per process, as torch); kittygrad has no inter-op pool, so
    this changes nothing but :func:`get_num_interop_threads`.

    >>> import kittygrad as kitty
    >>> kitty.set_num_interop_threads  # doctest: +ELLIPSIS
    <function set_num_interop_threads at ...>
    """
    global _interop_threads
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise KittyRuntimeError(f"Expected positive number of threads, got {n!r}")
    if _interop_threads is not None:
        raise KittyRuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                                "set_num_interop_threads called")
    _interop_threads = n


def init_num_threads() -> None:
    """torch's per-thread OpenMP set-up; NumPy's BLAS needs none, so this does nothing.

    >>> import kittygrad as kitty
    >>> kitty.init_num_threads()
    """


def set_warn_always(enabled: bool) -> None:
    """When on, warnings kittygrad gives once per process (``warn once``) are given every time.

    >>> import kittygrad as kitty
    >>> kitty.set_warn_always(False); kitty.is_warn_always_enabled()
    False
    """
    global _warn_always
    _warn_always = bool(enabled)


def is_warn_always_enabled() -> bool:
    """Whether :func:`set_warn_always` is on.

    >>> import kittygrad as kitty
    >>> kitty.is_warn_always_enabled()
    False
    """
    return _warn_always


def set_flush_denormal(mode: bool) -> bool:
    """torch flushes denormal floats to zero through the CPU's control register; NumPy gives no handle on
    it, so kittygrad leaves denormals alone and returns ``False`` (torch's answer where it is unsupported).

    >>> import kittygrad as kitty
    >>> kitty.set_flush_denormal(True)
    False
    """
    return False


def compiled_with_cxx11_abi() -> bool:
    """Whether the C++ extension ABI is the C++11 one: ``True``, as torch's wheels; kittygrad itself has
    no compiled part, so only code that builds torch C++ extensions asks.

    >>> import kittygrad as kitty
    >>> kitty.compiled_with_cxx11_abi()
    True
    """
    return True


def first_warning(seen: set, key) -> bool:
    """Whether a warn-once warning for ``key`` is due: the first time, or every time under
    :func:`set_warn_always`; ``key`` is added to ``seen``."""
    due = _warn_always or key not in seen
    seen.add(key)
    return due


def get_device_module(device=None):
    """The module of a device type (``kittygrad.cpu``, ``kittygrad.cuda``, ``kittygrad.mps``): the CPU's
    when none is given, as on a machine without an accelerator.

    >>> import kittygrad as kitty
    >>> kitty.get_device_module("cpu") is kitty.cpu
    True
    """
    kind = "cpu" if device is None else (device if isinstance(device, str) else str(device)).split(":")[0]
    _device(kind)  # torch's error for a string that names no device type
    try:
        return importlib.import_module(f"{__package__}.{kind}")
    except ModuleNotFoundError:
        raise KittyRuntimeError(f"Device '{kind}' does not have a corresponding module registered as "
                                f"'kittygrad.{kind}'.") from None
