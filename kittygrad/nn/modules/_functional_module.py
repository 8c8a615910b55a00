"""``_FunctionalModule``: a layer that is its ``nn.functional`` form plus stored settings.

Most stateless layers (activations, losses, padding, pixel shuffle, distances) keep a few
hyper-parameters and call one functional with them. Instead of a hand-written ``forward`` and
``extra_repr`` in every class, a subclass names its functional and its settings as class
keywords, and keeps only its constructor (the part that is API: names, order, defaults)::

    class LeakyReLU(_FunctionalModule, function=F.leaky_relu, settings=("negative_slope", "inplace")):
        def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None: ...

``forward(input)`` is then ``F.leaky_relu(input, self.negative_slope, self.inplace)`` and the
printed form ``LeakyReLU(negative_slope=0.01)``. Used by activation.py, loss.py, padding.py,
pixelshuffle.py, distance.py, upsampling.py and the norm layers.
"""
from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from ...tensor import Tensor
from .module import Module


def _reader(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """A getter returning the settings as a tuple (for ``_call``). Settings are always read at
    call time, so ``m.negative_slope = 0.2`` after construction takes effect, as in torch."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda module: (one(module),)
    return lambda module: ()


def _show(name: str, value: Any) -> str:
    # torch prints strings quoted (approximate='tanh') and everything else with str().
    return f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}"


def _make_forward(function: Callable[..., Tensor], names: tuple[str, ...]) -> Callable[[Any, Tensor], Tensor]:
    """``forward(input)`` for one class, as a closure over its functional and a getter of its
    settings: a direct call per forward, with no lookup of the functional and no loop (an
    activation's call costs what a hand-written ``forward`` does)."""
    if not names:
        def forward(self, input: Tensor) -> Tensor:
            return function(input)
    elif len(names) == 1:
        get_one = attrgetter(names[0])

        def forward(self, input: Tensor) -> Tensor:
            return function(input, get_one(self))
    else:
        get_all = attrgetter(*names)

        def forward(self, input: Tensor) -> Tensor:
            return function(input, *get_all(self))
    forward._replaceable = True
    return forward


class _FunctionalModule(Module):
    """Base of the modules that forward to one functional with their stored settings.

    Class keywords: ``function`` (called as ``function(*inputs, *settings)``), ``settings`` (the
    attribute names passed, in the functional's positional order) and ``shown`` (the settings
    ``extra_repr`` lists; default: all of them). A subclass without keywords inherits its
    parent's. An ``inplace`` setting is printed only when it is True, as torch does.

    Single-input layers get a ``forward`` made for their class (``_make_forward``); layers of
    several inputs write ``forward(self, x1, x2)`` with torch's argument names and return
    ``self._call(x1, x2)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.LeakyReLU(0.2, inplace=True)
    LeakyReLU(negative_slope=0.2, inplace=True)
    """

    _function: Callable[..., Tensor]
    _settings: tuple[str, ...] = ()
    _shown: tuple[str, ...] = ()
    _read: Callable[[Any], tuple] = staticmethod(_reader(()))

    def __init_subclass__(cls, function: Callable[..., Tensor] | None = None, settings: tuple[str, ...] | None = None, shown: tuple[str, ...] | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if function is not None:
            cls._function = staticmethod(function)
        if settings is not None:
            cls._settings = tuple(settings)
            cls._read = staticmethod(_reader(cls._settings))
            cls._shown = cls._settings
        if shown is not None:
            cls._shown = tuple(shown)
        # A class that names its functional or settings gets its own forward, unless it (or a
        # base between it and here: losses, batch norm) spells forward out.
        replaceable = "forward" not in cls.__dict__ and getattr(cls.forward, "_replaceable", False)
        if replaceable and (function is not None or settings is not None) and hasattr(cls, "_function"):
            forward = _make_forward(cls._function, cls._settings)
            forward.__qualname__ = f"{cls.__qualname__}.forward"
            cls.forward = forward

    def forward(self, input: Tensor) -> Tensor:
        return self._function(input, *self._read(self))

    forward._replaceable = True

    def _call(self, *inputs: Tensor) -> Tensor:
        """``forward`` for layers of several inputs, which spell out their own argument names."""
        return self._function(*inputs, *self._read(self))

    def extra_repr(self) -> str:
        parts = []
        for name in self._shown:
            value = getattr(self, name)
            if name != "inplace" or value:
                parts.append(_show(name, value))
        return ", ".join(parts)
