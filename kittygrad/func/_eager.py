"""The parts of ``torch.func`` that exist for graph capture and wrapped tensors, which eager
kittygrad does not have: ``functionalize`` and ``debug_unwrap`` give what torch's give eagerly."""

from __future__ import annotations

import functools
from typing import Callable

from ..errors import KittyRuntimeError
from ..tensor import Tensor
from ._pytree import tree_map

_REMOVE = ("mutations", "mutations_and_views")


def functionalize(func: Callable, *, remove: str = "mutations") -> Callable:
    """``func`` as torch's ``functionalize`` runs it eagerly: the same results, and mutations of the
    inputs still reach the inputs. With ``remove="mutations_and_views"`` no output aliases an input
    or another output (views come back as copies).

    >>> import kittygrad as kitty
    >>> def f(a):
    ...     a.add_(1)
    ...     return a * 2
    >>> x = kitty.zeros(2)
    >>> kitty.func.functionalize(f)(x), x
    (tensor([2., 2.]), tensor([1., 1.]))
    """
    if remove not in _REMOVE:
        raise KittyRuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}. Valid options "
            "are 'mutations' and 'mutations_and_views'."
        )

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        returned = func(*args, **kwargs)
        if remove == "mutations":
            return returned
        return tree_map(lambda v: v.clone() if isinstance(v, Tensor) else v, returned)

    return wrapper


def debug_unwrap(tensor: Tensor, *, recurse: bool = True) -> Tensor:
    """The tensor inside a transform's wrapper: kittygrad's transforms never wrap, so ``tensor``.

    >>> import kittygrad as kitty
    >>> x = kitty.ones(2)
    >>> kitty.func.debug_unwrap(x) is x
    True
    """
    return tensor


__all__ = ["debug_unwrap", "functionalize"]
