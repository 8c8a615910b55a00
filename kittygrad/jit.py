"""``kittygrad.jit``: torch.jit's decorators for eager code; TorchScript itself is refused.

kittygrad has no TorchScript compiler: ``script``, ``trace``, ``trace_module``, ``save`` and
``load`` raise a clear error that says what to do instead (run the model eagerly; save weights
with ``kittygrad.save(model.state_dict(), path)``). The markers that only matter to the script
compiler (``ignore``, ``unused``, ``export``, ``interface``, ``annotate``, ``script_if_tracing``)
behave as they do in torch for eager code: they return what they mark unchanged.

>>> import kittygrad as kitty
>>> @kitty.jit.ignore
... def helper(x):
...     return x + 1
>>> helper(1)
2
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, TypeVar

from .errors import KittyNotImplementedError

__all__ = ["script", "trace", "trace_module", "save", "load", "ignore", "unused", "export", "interface", "annotate",
           "script_if_tracing", "is_scripting", "is_tracing"]

#: what a marker decorator returns: the very callable it was given
_Marked = TypeVar("_Marked", bound=Callable)


def _refused(what: str) -> KittyNotImplementedError:
    return KittyNotImplementedError(
        f"kittygrad.jit.{what} is not available: kittygrad has no TorchScript, every model runs eagerly. "
        "Call the model (or function) directly instead; kittygrad.compile(model) returns it unchanged, and "
        "kittygrad.save(model.state_dict(), path) saves its weights."
    )


def script(obj: Any, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """Refused: kittygrad has no TorchScript (run ``obj`` eagerly instead).

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.jit.script(kitty.nn.Linear(1, 1))
    ... except NotImplementedError as err:
    ...     print(err)
    kittygrad.jit.script is not available: kittygrad has no TorchScript, every model runs eagerly. Call the model (or function) directly instead; kittygrad.compile(model) returns it unchanged, and kittygrad.save(model.state_dict(), path) saves its weights.
    """
    raise _refused("script")


def trace(func, example_inputs=None, optimize=None, check_trace: bool = True, check_inputs=None,
          check_tolerance: float = 1e-5, strict: bool = True, **kwargs):
    """Refused: kittygrad has no TorchScript tracer (run ``func`` eagerly instead).

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.jit.trace(abs, kitty.ones(1))
    ... except NotImplementedError as err:
    ...     print(err)
    kittygrad.jit.trace is not available: kittygrad has no TorchScript, every model runs eagerly. Call the model (or function) directly instead; kittygrad.compile(model) returns it unchanged, and kittygrad.save(model.state_dict(), path) saves its weights.
    """
    raise _refused("trace")


def trace_module(mod, inputs, optimize=None, check_trace: bool = True, check_inputs=None,
                 check_tolerance: float = 1e-5, strict: bool = True, **kwargs):
    """Refused, as :func:`trace`.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.jit.trace_module(kitty.nn.Linear(1, 1), {})
    ... except NotImplementedError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad.jit.trace_module is not available: ...
    """
    raise _refused("trace_module")


def save(m, f, _extra_files=None) -> None:
    """Refused: there are no ScriptModules to save (save a ``state_dict`` with ``kittygrad.save``).

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.jit.save(None, "m.pt")
    ... except NotImplementedError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad.jit.save is not available: ...
    """
    raise _refused("save")


def load(f, map_location=None, _extra_files=None):
    """Refused: kittygrad cannot read TorchScript archives (load a ``state_dict`` with ``kittygrad.load``).

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.jit.load("m.pt")
    ... except NotImplementedError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    kittygrad.jit.load is not available: ...
    """
    raise _refused("load")


def ignore(drop=False, **kwargs):
    """Mark a function for the script compiler to leave in Python: for eager code, the function unchanged.

    Works as ``@jit.ignore`` and ``@jit.ignore(drop=...)`` (``drop=True`` warns as torch: use ``unused``).

    >>> import kittygrad as kitty
    >>> kitty.jit.ignore(abs) is abs
    True
    """
    if callable(drop):
        return drop
    if drop:
        warnings.warn(
            "ignore(True) has been deprecated. TorchScript will now drop the function call on compilation. "
            "Use kittygrad.jit.unused now.", FutureWarning, stacklevel=2,
        )
    return lambda fn: fn


def unused(fn: _Marked) -> _Marked:
    """Mark a function or method the script compiler may drop: for eager code, ``fn`` unchanged.

    >>> import kittygrad as kitty
    >>> kitty.jit.unused(abs) is abs
    True
    """
    return fn


def export(fn: _Marked) -> _Marked:
    """Mark a method to compile as an entry point: for eager code, ``fn`` unchanged.

    >>> import kittygrad as kitty
    >>> kitty.jit.export(abs) is abs
    True
    """
    return fn


def interface(obj: _Marked) -> _Marked:
    """Declare a TorchScript interface: for eager code, ``obj`` unchanged.

    >>> import kittygrad as kitty
    >>> kitty.jit.interface(int) is int
    True
    """
    return obj


def annotate(the_type, the_value):
    """A type hint for the script compiler: for eager code, ``the_value`` itself.

    >>> import kittygrad as kitty
    >>> kitty.jit.annotate(list, [])
    []
    """
    return the_value


def script_if_tracing(fn: _Marked) -> _Marked:
    """Script ``fn`` only when tracing: kittygrad never traces, so ``fn`` unchanged.

    >>> import kittygrad as kitty
    >>> kitty.jit.script_if_tracing(abs) is abs
    True
    """
    return fn


def is_scripting() -> bool:
    """False: code never runs under the script compiler in kittygrad.

    >>> import kittygrad as kitty
    >>> kitty.jit.is_scripting()
    False
    """
    return False


def is_tracing() -> bool:
    """False: kittygrad never traces.

    >>> import kittygrad as kitty
    >>> kitty.jit.is_tracing()
    False
    """
    return False
