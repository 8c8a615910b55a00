"""torch's ``__name__`` for kittygrad's aliases: ``torch.concat.__name__`` is ``'concat'``.

kittygrad defines an alias as the same function under a second name (``concat = cat``,
``Tensor.absolute = abs``), so it kept the first name, where torch's aliases are functions of
their own, named as they are called. Code that reads the name (a dispatch table keyed by
``fn.__name__``, a log line, a profiler label) sees another function. :func:`install` gives every
public function of the top-level namespace and every public Tensor method whose name differs a
copy under its own name, once, at import: the same code and closure, so a call costs the same,
and the original keeps its name.

>>> import kittygrad as kitty
>>> kitty.concat.__name__, kitty.cat.__name__, kitty.Tensor.absolute.__name__
('concat', 'cat', 'absolute')
"""
from __future__ import annotations

import inspect
import types


def renamed(fn: types.FunctionType, name: str, qualname: str, module: str) -> types.FunctionType:
    """A copy of ``fn`` named ``name`` (``qualname`` and ``module`` where pickle finds the copy)."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    copy.__dict__.update(fn.__dict__)  # (functools.wraps's __wrapped__, an out= rule, a signature)
    copy.__kwdefaults__ = fn.__kwdefaults__
    copy.__doc__, copy.__annotations__ = fn.__doc__, fn.__annotations__
    copy.__qualname__, copy.__module__ = qualname, module
    return copy


def install(namespace: dict, tensor_class: type) -> None:
    """Name the public functions of ``namespace`` and the public methods of ``tensor_class`` (its
    bases' too) as they are called."""
    module = namespace["__name__"]
    for name, value in list(namespace.items()):
        if not name.startswith("_") and isinstance(value, types.FunctionType) and value.__name__ != name:
            namespace[name] = renamed(value, name, name, module)
    names = sorted({name for klass in tensor_class.__mro__[:-1] for name in vars(klass) if not name.startswith("_")})
    for name in names:
        method = inspect.getattr_static(tensor_class, name)  # as the class resolves it, unbound
        if isinstance(method, types.FunctionType) and method.__name__ != name:
            qualname = f"{tensor_class.__name__}.{name}"
            setattr(tensor_class, name, renamed(method, name, qualname, tensor_class.__module__))
