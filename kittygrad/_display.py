"""The package name that printed values show (``kittygrad.float32``, ``kittygrad.Size([2])``).

It is ``"kittygrad"``; ``python -m kittygrad.run`` sets it to ``"torch"``, so that an unmodified
PyTorch script that prints dtypes and shapes, or compares ``str(x.dtype) == "torch.float32"``,
sees what it would see under torch.

>>> import kittygrad as kitty
>>> from kittygrad import _display
>>> _display.name
'kittygrad'
"""
from __future__ import annotations

name = "kittygrad"


class TensorType(type):
    """The metaclass of Tensor, only for how its classes print: ``print(type(x))`` shows
    ``<class 'kittygrad.Tensor'>`` (``<class 'torch.Tensor'>`` under ``kittygrad.run``, as torch),
    and a subclass of kittygrad's, such as ``nn.Parameter``, its module under the display name."""

    def __repr__(cls) -> str:
        module = cls.__module__
        if module == "kittygrad.tensor":
            module = name  # Tensor is exported at the top, as torch.Tensor
        elif module.startswith("kittygrad."):
            module = name + module[len("kittygrad"):]
        return f"<class '{module}.{cls.__qualname__}'>"


class PublicType(type):
    """The metaclass of the small classes torch exports at its top (``Size``, ``dtype``, ``device``,
    ``finfo``, ...), for how they print: ``print(type(x.shape))`` shows ``<class 'torch.Size'>`` under
    ``kittygrad.run``, as torch, not the module kittygrad defines the class in. Each class names
    itself in ``_public_name`` (a private subclass, such as the complex dtypes', prints as its base);
    a subclass in a user's module prints as Python prints any class."""

    def __repr__(cls) -> str:
        if not cls.__module__.startswith("kittygrad"):
            return super().__repr__()
        return f"<class '{name}.{cls._public_name}'>"
