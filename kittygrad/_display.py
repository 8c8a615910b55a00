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
