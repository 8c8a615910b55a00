"""Nested containers of tensors ("pytrees"): flatten them to a list of leaves and build them back.

The transforms in ``kittygrad.func`` take and return tuples, lists, dicts and namedtuples of
tensors; everything else (a Tensor, a number, ``None`` counts as an empty container) is a leaf.
"""

from __future__ import annotations

from typing import Any, Callable


class TreeSpec:
    """The shape of a pytree without its leaves: what :func:`tree_unflatten` rebuilds from.

    >>> leaves, spec = tree_flatten({"a": (1, 2), "b": [3]})
    >>> leaves, tree_unflatten([x * 10 for x in leaves], spec)
    ([1, 2, 3], {'a': (10, 20), 'b': [30]})
    """

    __slots__ = ("kind", "meta", "children", "num_leaves")

    def __init__(self, kind: str, meta: Any = None, children: tuple = ()) -> None:
        self.kind = kind  # "leaf", "none", "tuple", "list", "dict" or "namedtuple"
        self.meta = meta  # dict keys, or the namedtuple class
        self.children = children
        self.num_leaves = 1 if kind == "leaf" else sum(c.num_leaves for c in children)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TreeSpec) and (self.kind, self.meta, self.children) == (
            other.kind,
            other.meta,
            other.children,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.num_leaves))

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        return f"{self.kind}({', '.join(map(repr, self.children))})"


LEAF = TreeSpec("leaf")


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    """The leaves of ``tree`` in order (dicts in insertion order) and its :class:`TreeSpec`.

    >>> tree_flatten((1, [2, None]))[0]
    [1, 2]
    """
    leaves: list = []
    spec = _flatten_into(tree, leaves)
    return leaves, spec


def _flatten_into(node: Any, leaves: list) -> TreeSpec:
    """``node``'s spec, its leaves appended to ``leaves``. (A module-level recursion: a nested
    function that calls itself is a reference cycle, which would hold the leaves until the
    cyclic collector ran.)"""
    if node is None:
        return TreeSpec("none")
    if _is_namedtuple(node):
        return TreeSpec("namedtuple", type(node), tuple(_flatten_into(c, leaves) for c in node))
    if type(node) is tuple or type(node) is list:
        return TreeSpec(type(node).__name__, None, tuple(_flatten_into(c, leaves) for c in node))
    if type(node) is dict:
        keys = tuple(node)
        return TreeSpec("dict", keys, tuple(_flatten_into(node[k], leaves) for k in keys))
    leaves.append(node)
    return LEAF


def tree_unflatten(leaves: list, spec: TreeSpec) -> Any:
    """Rebuild the pytree that ``spec`` describes from ``leaves`` (one per leaf, in order).

    >>> tree_unflatten([1, 2], tree_flatten((0, {"k": 0}))[1])
    (1, {'k': 2})
    """
    return _build(spec, iter(leaves))


def _build(s: TreeSpec, it) -> Any:
    """The subtree ``s`` describes, its leaves taken from the iterator ``it`` (module level, as
    ``_flatten_into``)."""
    if s.kind == "leaf":
        return next(it)
    if s.kind == "none":
        return None
    kids = [_build(c, it) for c in s.children]
    if s.kind == "tuple":
        return tuple(kids)
    if s.kind == "list":
        return kids
    if s.kind == "dict":
        return dict(zip(s.meta, kids))
    return s.meta(*kids)


def tree_map(fn: Callable, tree: Any) -> Any:
    """``tree`` with ``fn`` applied to every leaf.

    >>> tree_map(lambda v: v + 1, {"a": [1, 2]})
    {'a': [2, 3]}
    """
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(v) for v in leaves], spec)
