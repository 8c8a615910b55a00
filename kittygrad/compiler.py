"""``kittygrad.compile`` and ``kittygrad.compiler``: kittygrad runs eagerly, so compiling is a no-op.

torch.compile traces a model into optimised kernels. kittygrad has no compiler: every op runs
eagerly on NumPy. So ``compile`` is a deliberate no-op that returns the model or function
unchanged (not wrapped), and the rest of ``torch.compiler``'s everyday surface answers as it does
outside a compiled region. Code written for torch.compile therefore runs as it would eagerly.

>>> import kittygrad as kitty
>>> model = kitty.nn.Linear(2, 1)
>>> kitty.compile(model) is model
True
"""
from __future__ import annotations

from typing import Any, Callable

from .errors import KittyRuntimeError

__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "is_exporting", "reset", "allow_in_graph",
           "assume_constant_result", "list_backends"]


def compile(  # noqa: A001 - torch's name
    model: Callable | None = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str | Callable | None = "inductor",
    mode: str | None = None,
    options: dict[str, Any] | None = None,
    disable: bool = False,
):
    """A deliberate no-op: return ``model`` unchanged (kittygrad has no compiler; ops run eagerly).

    Works as ``kitty.compile(model)``, as a decorator ``@kitty.compile`` and, with arguments,
    ``@kitty.compile(mode="max-autotune")``. torch's argument check is kept: ``mode`` and
    ``options`` cannot both be given.

    >>> import kittygrad as kitty
    >>> @kitty.compile(mode="reduce-overhead")
    ... def double(x):
    ...     return 2 * x
    >>> double(kitty.ones(2))
    tensor([2., 2.])
    """
    if None not in (mode, options):  # both given: torch refuses the pair
        raise KittyRuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if model is None:
        return lambda fn: fn
    return model


def disable(fn: Callable | None = None, recursive: bool = True, *, reason: str | None = None):
    """``fn`` unchanged (nothing is compiled, so nothing needs excluding); a decorator with or without arguments.

    >>> import kittygrad as kitty
    >>> kitty.compiler.disable(abs) is abs
    True
    """
    if fn is None:
        return lambda f: f
    return fn


def is_compiling() -> bool:
    """False: kittygrad never traces (``torch.compiler.is_compiling`` outside a compiled region).

    >>> import kittygrad as kitty
    >>> kitty.compiler.is_compiling()
    False
    """
    return False


def is_dynamo_compiling() -> bool:
    """False, as :func:`is_compiling`.

    >>> import kittygrad as kitty
    >>> kitty.compiler.is_dynamo_compiling()
    False
    """
    return False


def is_exporting() -> bool:
    """False: kittygrad has no exporter.

    >>> import kittygrad as kitty
    >>> kitty.compiler.is_exporting()
    False
    """
    return False


def reset() -> None:
    """Nothing to reset: there are no compiled caches (a deliberate no-op).

    >>> import kittygrad as kitty
    >>> kitty.compiler.reset()
    """


def allow_in_graph(fn: Callable) -> Callable:
    """``fn`` unchanged: there is no graph to allow it in (a deliberate no-op).

    >>> import kittygrad as kitty
    >>> kitty.compiler.allow_in_graph(abs) is abs
    True
    """
    return fn


def assume_constant_result(fn: Callable) -> Callable:
    """``fn`` unchanged (a deliberate no-op, as :func:`allow_in_graph`).

    >>> import kittygrad as kitty
    >>> kitty.compiler.assume_constant_result(abs) is abs
    True
    """
    return fn


def list_backends(exclude_tags=("debug", "experimental")) -> list[str]:
    """No compiler backends: an empty list.

    >>> import kittygrad as kitty
    >>> kitty.compiler.list_backends()
    []
    """
    return []
