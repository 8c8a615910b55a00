"""Deterministic algorithms: torch's switch, stored.

kittygrad's kernels are deterministic already (NumPy on the CPU, no atomics, no autotuning), so
``use_deterministic_algorithms(True)`` changes no result and nothing ever warns or raises for a
nondeterministic op; the setting is kept so scripts can read back what they set.

>>> import kittygrad as kitty
>>> kitty.use_deterministic_algorithms(True); kitty.are_deterministic_algorithms_enabled()
True
>>> kitty.use_deterministic_algorithms(False)
"""
from __future__ import annotations

from ..errors import KittyRuntimeError, KittyTypeError

_state = {"mode": False, "warn_only": False}
_DEBUG_MODES = ("default", "warn", "error")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (stored: kittygrad's are all deterministic).

    >>> import kittygrad as kitty
    >>> kitty.use_deterministic_algorithms(True, warn_only=True)
    >>> kitty.is_deterministic_algorithms_warn_only_enabled()
    True
    >>> kitty.use_deterministic_algorithms(False)
    """
    for name, value, where in (("mode", mode, " (position 1)"), ("warn_only", warn_only, "")):
        if not isinstance(value, bool):
            raise KittyTypeError(
                f"_set_deterministic_algorithms(): argument '{name}'{where} must be bool, not {type(value).__name__}"
            )
    _state["mode"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` is set.

    >>> import kittygrad as kitty
    >>> kitty.are_deterministic_algorithms_enabled()
    False
    """
    return _state["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True, warn_only=True)`` is set.

    >>> import kittygrad as kitty
    >>> kitty.is_deterministic_algorithms_warn_only_enabled()
    False
    """
    return _state["warn_only"]


def set_deterministic_debug_mode(debug_mode: str | int) -> None:
    """The same switch by name: ``"default"`` (0) off, ``"warn"`` (1) warn only, ``"error"`` (2) on.

    >>> import kittygrad as kitty
    >>> kitty.set_deterministic_debug_mode("warn"); kitty.get_deterministic_debug_mode()
    1
    >>> kitty.set_deterministic_debug_mode(0)
    """
    if isinstance(debug_mode, int):
        level = debug_mode
    elif not isinstance(debug_mode, str):
        raise KittyTypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    elif debug_mode in _DEBUG_MODES:  # a name: its position is the level
        level = _DEBUG_MODES.index(debug_mode)
    else:
        raise KittyRuntimeError(
            f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got {debug_mode}"
        )
    if level not in (0, 1, 2):
        raise KittyRuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {level}")
    use_deterministic_algorithms(level > 0, warn_only=level == 1)


def get_deterministic_debug_mode() -> int:
    """0 (off), 1 (warn only) or 2 (on), as ``set_deterministic_debug_mode`` numbers them.

    >>> import kittygrad as kitty
    >>> kitty.get_deterministic_debug_mode()
    0
    """
    if not _state["mode"]:
        return 0
    return 1 if _state["warn_only"] else 2
