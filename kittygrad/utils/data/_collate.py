"""Turning a list of samples into a batch (``default_collate``) and samples into tensors
(``default_convert``), with torch's rules."""
from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable
from typing import Any

from ... import backend as B
from ...errors import KittyRuntimeError, KittyTypeError
from ...tensor import Tensor

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map"]

_STR_OR_OBJECT = re.compile("[SaUO]")
_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _array_to_tensor(arr) -> Tensor:
    from ...creation import as_tensor

    return as_tensor(arr)


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
    t = type(data)
    if t.__module__ == "numpy" and t.__name__ not in ("str_", "string_", "bytes_"):
        if B.is_array(data) and _STR_OR_OBJECT.search(data.dtype.str) is not None:
            return data
        return _array_to_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({k: default_convert(data[k]) for k in data})
                return clone
            return t({k: default_convert(data[k]) for k in data})
        except TypeError:
            return {k: default_convert(data[k]) for k in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return t(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return t([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch: list, *, collate_fn_map: dict | None = None) -> Any:
    """Collate ``batch`` by the structure of its first element; ``collate_fn_map`` maps types
    (checked exactly, then with isinstance) to functions ``f(batch, *, collate_fn_map)``."""
    elem = batch[0]
    t = type(elem)
    if collate_fn_map is not None:
        if t in collate_fn_map:
            return collate_fn_map[t](batch, collate_fn_map=collate_fn_map)
        for typ, fn in collate_fn_map.items():
            if isinstance(elem, typ):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map) for k in elem})
                return clone
            return t({k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map) for k in elem})
        except TypeError:
            return {k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return t(*(collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise KittyRuntimeError("each element in list of batch should be of equal size")
        transposed = [list(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, s in enumerate(transposed):
                    clone[i] = collate(s, collate_fn_map=collate_fn_map)
                return clone
            return t([collate(s, collate_fn_map=collate_fn_map) for s in transposed])
        except TypeError:
            return [collate(s, collate_fn_map=collate_fn_map) for s in transposed]
    raise KittyTypeError(_ERR.format(t))


def collate_tensor_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    """Stack same-shaped tensors along a new first dimension."""
    from ...autograd.grad_mode import is_grad_enabled

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
        import kittygrad

        stack = getattr(kittygrad, "stack", None)
        if stack is not None:
            return stack(batch, 0)
    dtypes = {x._data.dtype for x in batch}
    arrays = [x._data for x in batch]
    if len(dtypes) > 1:
        from ... import dtypes as D

        target = D.result_type(*batch).np
        arrays = [a.astype(target) for a in arrays]
    return Tensor._wrap(B.xp.stack(arrays))


def collate_numpy_array_fn(batch: list, *, collate_fn_map: dict | None = None) -> Any:
    if _STR_OR_OBJECT.search(batch[0].dtype.str) is not None:
        raise KittyTypeError(_ERR.format(batch[0].dtype))
    return collate([_array_to_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    return _array_to_tensor(B.asarray(batch))


def collate_float_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    return Tensor._wrap(B.asarray(batch, dtype=B.NP_DTYPES["float64"]))


def collate_int_fn(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    from ...creation import tensor

    return tensor(batch)


def collate_str_fn(batch: list, *, collate_fn_map: dict | None = None) -> list:
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
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
    return collate(batch, collate_fn_map=default_collate_fn_map)
