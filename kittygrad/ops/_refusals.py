"""Functions that exist only to say no: ``Refused`` (torch has the function, kittygrad refuses it
on purpose, with a reason the API coverage table shows) and ``Removed`` (torch keeps the name of
a function it removed, and calling it raises there too)."""
from __future__ import annotations

from ..errors import KittyNotImplementedError, KittyRuntimeError


class Refused:
    """A torch function kittygrad has on purpose as an error: calling it raises
    ``NotImplementedError`` with the reason, which ``__kittygrad_refused__`` also carries (the API
    coverage table lists the function as refused).

    >>> f = Refused("linalg.eig", "its results are complex.")
    >>> f.__kittygrad_refused__
    'its results are complex.'
    """

    def __init__(self, name: str, reason: str) -> None:
        self.__name__ = self.__qualname__ = name.rsplit(".", 1)[-1]
        self._name = name
        self.__kittygrad_refused__ = reason
        self.__doc__ = f"``{name}``: refused by kittygrad. {reason}"

    def __call__(self, *args, **kwargs):
        raise KittyNotImplementedError(f"{self._name}: {self.__kittygrad_refused__}")

    def __get__(self, obj, owner=None):
        return self  # also usable as a Tensor method: the tensor is one more refused argument

    def __repr__(self) -> str:
        return f"<refused function {self._name}>"


class Removed:
    """A function PyTorch removed but still names (calling it raises ``RuntimeError`` there):
    the same error, pointing to the replacement.

    >>> f = Removed("torch.symeig", "torch.linalg.eigh")
    >>> f.__name__
    'symeig'
    """

    def __init__(self, name: str, replacement: str) -> None:
        self.__name__ = self.__qualname__ = name.rsplit(".", 1)[-1]
        self._name = name
        self._replacement = replacement
        self.__doc__ = f"``{name}``: removed from PyTorch in 1.9; use ``{replacement}``."

    def __call__(self, *args, **kwargs):
        raise KittyRuntimeError(
            f"{self._name} was deprecated in PyTorch 1.9 and is now removed; use {self._replacement} instead."
        )

    def __get__(self, obj, owner=None):
        return self

    def __repr__(self) -> str:
        return f"<removed function {self._name}>"
