"""Turning a list of samples into a batch (``default_collate``) and samples into tensors
(``default_convert``), with torch's rules.

Both are one recursive walk over the structure of a sample: containers (mappings, named
tuples, other sequences) are rebuilt around their converted fields by :func:`_rebuild`; the
leaves of a batch are handed to a function looked up by type in :data:`COLLATE_TABLE`.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any

from ... import backend as B
from ... import dtypes as D
from ...autograd.grad_mode import is_grad_enabled
from ...creation import as_tensor, tensor
from ...errors import KittyRuntimeError, KittyTypeError
from ...ops.joining import stack
from ...tensor import Tensor

__all__ = ["COLLATE_TABLE", "collate", "default_collate", "default_convert"]

_TEXT_DTYPE = re.compile("[SaUO]")  # NumPy dtype codes (strings, objects) that make no tensor
_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _as_tensor(arr) -> Tensor:
    return as_tensor(arr)


def _rebuild(proto: Any, parts: dict | list) -> Any:
    """A container of ``proto``'s kind holding ``parts`` (a dict for a mapping, else a list).

    Named tuples keep their type, plain tuples become lists, mutable containers are shallow
    copies of ``proto`` with the parts written in, other types are called on ``parts``; a type
    that cannot be rebuilt that way gives ``parts`` itself.
    """
    kind = type(proto)
    if isinstance(proto, tuple):
        return kind(*parts) if hasattr(proto, "_fields") else list(parts)
    try:
        if isinstance(proto, (MutableMapping, MutableSequence)):
            out = copy.copy(proto)
            for key, value in parts.items() if isinstance(parts, dict) else enumerate(parts):
                out[key] = value
            return out
        return kind(parts)
    except TypeError:
        return parts


def default_convert(data: Any) -> Any:
    """Convert NumPy arrays and scalars (also inside dicts, lists, tuples) to tensors; used
    when a DataLoader has ``batch_size=None``.

    >>> import numpy as np
    >>> from kittygrad.utils.data import default_convert
    >>> default_convert({"x": np.array([1.0, 2.0])})
    {'x': tensor([1., 2.], dtype=kittygrad.float64)}
    """
    if isinstance(data, Tensor):
        return data
    kind = type(data)
    if kind.__module__ == "numpy" and kind.__name__ not in ("str_", "string_", "bytes_"):
        textual = B.is_array(data) and _TEXT_DTYPE.search(data.dtype.str) is not None
        return data if textual else _as_tensor(data)
    if isinstance(data, Mapping):
        return _rebuild(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(data, [default_convert(item) for item in data])
    return data


def _lookup(kind: type, table: dict | None) -> Callable | None:
    """The table's function for ``kind``: its exact entry, else the first entry it subclasses."""
    if not table:
        return None
    if kind in table:
        return table[kind]
    return next((fn for key, fn in table.items() if issubclass(kind, key)), None)


def collate(batch: list, *, collate_fn_map: dict | None = None) -> Any:
    """Collate ``batch`` by the structure of its first element; ``collate_fn_map`` maps types
    (checked exactly, then as base classes) to functions ``f(batch, *, collate_fn_map)``.

    >>> from kittygrad.utils.data._collate import COLLATE_TABLE, collate
    >>> collate([{"a": 1}, {"a": 2}], collate_fn_map=COLLATE_TABLE)
    {'a': tensor([1, 2])}
    """
    first = batch[0]
    leaf = _lookup(type(first), collate_fn_map)
    if leaf is not None:
        return leaf(batch, collate_fn_map=collate_fn_map)
    if isinstance(first, Mapping):
        return _rebuild(first, {key: collate([s[key] for s in batch], collate_fn_map=collate_fn_map) for key in first})
    if isinstance(first, Sequence):
        if not hasattr(first, "_fields") and any(len(s) != len(first) for s in batch):
            raise KittyRuntimeError("each element in list of batch should be of equal size")
        # each column stays the tuple zip makes: a column of strings comes back as a tuple, as torch
        columns = [collate(col, collate_fn_map=collate_fn_map) for col in zip(*batch)]
        return _rebuild(first, columns)
    raise KittyTypeError(_ERR.format(type(first)))


def collate_tensor_fn(batch: list, **_: Any) -> Tensor:
    """Same-shaped tensors stacked along a new first dimension (dtypes promoted)."""
    shape = batch[0]._data.shape
    for i, x in enumerate(batch):
        if not isinstance(x, Tensor):
            raise KittyTypeError(f"expected Tensor as element {i} in the batch, but got {type(x).__name__}")
        if x._data.shape != shape:
            raise KittyRuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                f"{list(x._data.shape)} at entry {i}"
            )
    if is_grad_enabled() and any(x._requires_grad for x in batch):
        return stack(batch, 0)
    arrays = [x._data for x in batch]
    if len({a.dtype for a in arrays}) > 1:

        common = D.result_type(*batch).np
        arrays = [a.astype(common) for a in arrays]
    return Tensor._wrap(B.xp.stack(arrays))


def collate_numpy_array_fn(batch: list, *, collate_fn_map: dict | None = None) -> Any:
    if _TEXT_DTYPE.search(batch[0].dtype.str) is not None:
        raise KittyTypeError(_ERR.format(batch[0].dtype))
    return collate([_as_tensor(a) for a in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: list, **_: Any) -> Tensor:
    return _as_tensor(B.asarray(batch))


def collate_float_fn(batch: list, **_: Any) -> Tensor:
    return Tensor._wrap(B.asarray(batch, dtype=B.NP_DTYPES["float64"]))


def collate_int_fn(batch: list, **_: Any) -> Tensor:
    return tensor(batch)  # bools stay bool


def collate_str_fn(batch: list, **_: Any) -> list:
    return batch


#: leaf type -> function(batch, *, collate_fn_map) used by :func:`default_collate`
COLLATE_TABLE: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    B.ndarray: collate_numpy_array_fn,
    (B.xp.bool_, B.xp.number, B.xp.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: list) -> Any:
    """Merge a list of samples into a batch, as torch's ``default_collate``.

    Tensors and NumPy arrays are stacked (a new first dimension), Python floats become a
    float64 tensor, ints an int64 tensor (bools a bool tensor), strings stay a list; dicts,
    named tuples, tuples and lists are collated field by field (a tuple becomes a list).

    >>> import kittygrad as kitty
    >>> from kittygrad.utils.data import default_collate
    >>> default_collate([(kitty.tensor([1., 2.]), 0), (kitty.tensor([3., 4.]), 1)])
    [tensor([[1., 2.],
            [3., 4.]]), tensor([0, 1])]
    """
    return collate(batch, collate_fn_map=COLLATE_TABLE)
