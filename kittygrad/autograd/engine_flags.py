"""torch.autograd's engine switches that kittygrad's single-threaded engine answers as torch does
on a CPU: multithreaded backward (stored; kittygrad's walk runs on the calling thread either
way), view replay (off), the gradient-layout policy (kittygrad's gradients always match their
parameter's layout), and ``is_tensor_like``.

>>> import kittygrad as kitty
>>> with kitty.autograd.set_multithreading_enabled(False):
...     kitty.autograd.is_multithreading_enabled()
False
"""
from __future__ import annotations

from . import engine as _engine

_flags = {"multithreading": True, "grad_layout_policy": True}


class _Switch:
    """A context manager that sets one flag and puts the previous value back on exit."""

    _flag = ""

    def __init__(self, mode: bool = True) -> None:
        self._previous = _flags[self._flag]
        _flags[self._flag] = bool(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> bool:
        _flags[self._flag] = self._previous
        return False


class set_multithreading_enabled(_Switch):  # noqa: N801 - torch's name
    """Turn multithreaded backward on or off (kittygrad stores the flag: its walk is one thread)."""

    _flag = "multithreading"


class enforce_grad_layout_policy(_Switch):  # noqa: N801 - torch's name
    """Turn the gradient-layout contract on or off (kittygrad's gradients always follow it)."""

    _flag = "grad_layout_policy"


def is_multithreading_enabled() -> bool:
    """Whether multithreaded backward is on (the flag :class:`set_multithreading_enabled` sets)."""
    return _flags["multithreading"]


def is_view_replay_enabled() -> bool:
    """Always False: kittygrad replays views through its own CopySlices, not torch's switch."""
    return False


def is_tensor_like(inp) -> bool:
    """True for a Tensor or an object that takes part in torch's function override protocol.

    >>> import kittygrad as kitty
    >>> is_tensor_like(kitty.ones(1)), is_tensor_like(3)
    (True, False)
    """
    return isinstance(inp, _engine.Tensor) or hasattr(type(inp), "__torch_function__")
