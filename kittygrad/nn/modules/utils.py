"""Argument helpers custom layers import from ``torch.nn.modules.utils``: ``_single``/``_pair``/
``_triple``/``_quadruple`` turn a number or a sequence into a tuple of fixed length, and
``consume_prefix_in_state_dict_if_present`` strips a wrapper's prefix (``module.``) from a state dict.

>>> from kittygrad.nn.modules.utils import _pair
>>> _pair(3), _pair((1, 2))
((3, 3), (1, 2))
"""
from __future__ import annotations

from collections import abc
from typing import Any, Callable


def _ntuple(n: int, name: str = "parse") -> Callable[[Any], tuple]:
    """A converter to ``n``-tuples: an iterable is taken as it is (as a tuple), anything else repeated.

    >>> _ntuple(3)(0)
    (0, 0, 0)
    """

    def to_tuple(value: Any) -> tuple:
        if isinstance(value, abc.Iterable):
            return tuple(value)
        return (value,) * n

    to_tuple.__name__ = name
    return to_tuple


_single, _pair, _triple, _quadruple = (_ntuple(n, name) for n, name in enumerate(
    ("_single", "_pair", "_triple", "_quadruple"), start=1))


def _reverse_repeat_tuple(values, n: int) -> tuple:
    """Each element of ``values``, last first, repeated ``n`` times: per-dimension padding in
    ``F.pad``'s order (last dimension first, both sides).

    >>> _reverse_repeat_tuple((1, 2), 2)
    (2, 2, 1, 1)
    """
    return tuple(v for v in reversed(values) for _ in range(n))


def _list_with_default(out_size, defaults) -> list:
    """An adaptive pool's output size with ``None`` entries taken from the input's trailing sizes.

    >>> _list_with_default([None, 3], [8, 5, 7])
    [5, 3]
    """
    if isinstance(out_size, int):
        return out_size
    if len(out_size) >= len(defaults):  # the input must have a batch (or channel) dim before them
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    tail = list(defaults)[len(defaults) - len(out_size):]
    return [given if given is not None else default for given, default in zip(out_size, tail)]


def consume_prefix_in_state_dict_if_present(state_dict: dict, prefix: str) -> None:
    """Remove ``prefix`` from the start of every key of ``state_dict`` that has it, in place, also in
    its ``_metadata`` (a DataParallel/DDP checkpoint's ``module.`` before loading it into a bare model).

    >>> sd = {"module.weight": 1, "module.bias": 2}
    >>> consume_prefix_in_state_dict_if_present(sd, "module."); sd
    {'weight': 1, 'bias': 2}
    """
    for key in [k for k in state_dict if k.startswith(prefix)]:  # renamed keys move to the end, as in torch
        state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = vars(state_dict).get("_metadata") if hasattr(state_dict, "__dict__") else None
    if metadata is None:
        return
    for key in list(metadata):
        if key == prefix.rstrip(".") or key.startswith(prefix):
            stripped = "" if key == prefix.rstrip(".") else key[len(prefix):]
            metadata[stripped] = metadata.pop(key)
