"""``kittygrad.jit``: torch.jit's API for eager code. kittygrad has no TorchScript compiler.

``script``, ``trace`` and ``trace_module`` are documented no-ops, as ``kittygrad.compile`` is: they
return what they are given, which then runs eagerly with the same results (code written for
TorchScript is valid eager Python). ``trace`` does not run the function on its example inputs
(torch does, which also updates a BatchNorm's running statistics in training mode).
``save`` and ``load`` are refused: a TorchScript archive carries the model's code, and kittygrad
never runs code from a file; save weights with ``kittygrad.save(model.state_dict(), path)``.
The markers that only matter to the script compiler (``ignore``, ``unused``, ``export``,
``interface``, ``annotate``, ``script_if_tracing``) return what they mark unchanged, as in torch.

>>> import kittygrad as kitty
>>> @kitty.jit.script
... def twice(x):
...     return x * 2
>>> twice(kitty.ones(2))
tensor([2., 2.])
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, TypeVar

from .control_flow import fork, wait  # noqa: F401  (torch.jit.fork/wait: TorchScript's tasks, run at once)
from .errors import KittyNotImplementedError

__all__ = ["fork", "wait", "script", "trace", "trace_module", "save", "load", "ignore", "unused", "export", "interface", "annotate",
           "script_if_tracing", "is_scripting", "is_tracing"]

#: what a marker decorator returns: the very callable it was given
_Marked = TypeVar("_Marked", bound=Callable)


def _refused(what: str) -> KittyNotImplementedError:
    return KittyNotImplementedError(
        f"kittygrad.jit.{what} is not available: a TorchScript archive carries the model's code, and kittygrad "
        "never runs code from a file (script and trace return the model itself, which runs eagerly). Save the "
        "weights with kittygrad.save(model.state_dict(), path) and load them into a model built in your script."
    )


def script(obj: Any, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """``obj`` itself, to run eagerly (a documented no-op: kittygrad has no TorchScript compiler).

    >>> import kittygrad as kitty
    >>> lin = kitty.nn.Linear(1, 1)
    >>> kitty.jit.script(lin) is lin
    True
    """
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace: bool = True, check_inputs=None,
          check_tolerance: float = 1e-5, strict: bool = True, **kwargs):
    """``func`` itself, to run eagerly (a documented no-op: kittygrad has no tracer; ``func`` is not run
    on ``example_inputs``).

    >>> import kittygrad as kitty
    >>> kitty.jit.trace(abs, kitty.ones(1)) is abs
    True
    """
    return func


def trace_module(mod, inputs, optimize=None, check_trace: bool = True, check_inputs=None,
                 check_tolerance: float = 1e-5, strict: bool = True, **kwargs):
    """``mod`` itself, as :func:`trace`.

    >>> import kittygrad as kitty
    >>> lin = kitty.nn.Linear(1, 1)
    >>> kitty.jit.trace_module(lin, {"forward": kitty.ones(1)}) is lin
    True
    """
    return mod


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
