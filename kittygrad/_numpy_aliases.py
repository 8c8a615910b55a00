"""torch's NumPy-style keyword aliases: ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``.

torch's argument parser accepts these two NumPy names on every ``torch.<function>`` and Tensor
method that takes ``dim`` / ``keepdim`` (``x.max(axis=1)``, ``torch.cat(ts, axis=0)``,
``x.amax(1, keepdims=True)``), so code written by NumPy users runs. :func:`install` gives the same
to kittygrad's functions and methods, once, at import: a function that takes ``dim`` but not
``axis`` gets a thin wrapper that renames the keyword (functions that take both, such as ``sum``,
are left alone). ``torch.nn.functional`` does not accept them in torch, so neither here.

>>> import kittygrad as kitty
>>> kitty.arange(6.).reshape(2, 3).max(axis=1).values
tensor([2., 5.])
"""
from __future__ import annotations

import functools
import inspect
import types

from .errors import KittyTypeError

#: NumPy's name -> torch's
ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def _parameter_names(fn) -> tuple:
    """The named parameters of ``fn`` (through ``functools.wraps`` layers), or () if unknown."""
    inner = fn
    while hasattr(inner, "__wrapped__"):
        inner = inner.__wrapped__
    code = getattr(inner, "__code__", None)
    if code is None:
        return ()
    return code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]


def with_aliases(fn):
    """``fn``, accepting ``axis``/``keepdims`` for its ``dim``/``keepdim`` (``fn`` itself when it
    has neither, or already takes the NumPy names).

    >>> import kittygrad as kitty
    >>> with_aliases(kitty.ops.reduction.amax)(kitty.ones(2, 3), axis=1, keepdims=True).shape
    kittygrad.Size([2, 1])
    """
    names = _parameter_names(fn)
    renames = {alias: name for alias, name in ALIASES.items() if name in names and alias not in names}
    if not renames:
        return fn

    @functools.wraps(fn)
    def aliased(*args, **kwargs):
        if kwargs:
            for alias, name in renames.items():
                if alias in kwargs:
                    if name in kwargs:
                        raise KittyTypeError(f"{fn.__name__}() got both '{name}' and its alias '{alias}'")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    return aliased


def install(namespace: dict, tensor_class: type) -> None:
    """Give the public functions of ``namespace`` and the public methods of ``tensor_class`` (its
    bases' too) the NumPy aliases."""
    for name, value in list(namespace.items()):
        if not name.startswith("_") and isinstance(value, types.FunctionType):
            namespace[name] = with_aliases(value)
    names = sorted({name for klass in tensor_class.__mro__[:-1] for name in vars(klass) if not name.startswith("_")})
    for name in names:
        method = inspect.getattr_static(tensor_class, name)  # as the class resolves it, unbound
        if isinstance(method, types.FunctionType):
            wrapped = with_aliases(method)
            if wrapped is not method:
                setattr(tensor_class, name, wrapped)
