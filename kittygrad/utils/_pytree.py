"""``torch.utils._pytree``: flatten nested tuples, lists, dicts and namedtuples to their leaves and
rebuild them (the same functions ``kittygrad.func`` uses for its transforms).

>>> from kittygrad.utils._pytree import tree_flatten, tree_map
>>> tree_flatten({"a": 1, "b": (2, 3)})[0]
[1, 2, 3]
>>> tree_map(lambda v: v * 10, [1, (2,)])
[10, (20,)]
"""
from __future__ import annotations

from typing import Any

from ..func._pytree import TreeSpec, tree_flatten, tree_map, tree_unflatten

__all__ = ["TreeSpec", "tree_flatten", "tree_unflatten", "tree_map", "tree_leaves", "tree_structure"]


def tree_leaves(tree: Any) -> list:
    """The leaves of ``tree``, in flattening order.

    >>> tree_leaves([1, {"x": 2}])
    [1, 2]
    """
    return tree_flatten(tree)[0]


def tree_structure(tree: Any) -> TreeSpec:
    """The structure of ``tree`` without its leaves (what ``tree_unflatten`` rebuilds from).

    >>> tree_unflatten([5, 6], tree_structure((1, [2])))
    (5, [6])
    """
    return tree_flatten(tree)[1]
