"""``torch.utils.data._utils.collate``: :func:`collate` with a type -> function table, and the
table :func:`default_collate` reads (``default_collate_fn_map``: an entry added to it is used by
every later ``default_collate``, as torch's documentation shows), with its leaf functions.

>>> import kittygrad as kitty
>>> from kittygrad.utils.data._utils.collate import collate, default_collate_fn_map
>>> table = {**default_collate_fn_map, str: lambda batch, *, collate_fn_map=None: "+".join(batch)}
>>> collate([("a", 1), ("b", 2)], collate_fn_map=table)
['a+b', tensor([1, 2])]
"""
from .._collate import (
    _ERR,
    _TEXT_DTYPE,
    COLLATE_TABLE,
    collate,
    collate_float_fn,
    collate_int_fn,
    collate_numpy_array_fn,
    collate_numpy_scalar_fn,
    collate_str_fn,
    collate_tensor_fn,
    default_collate,
    default_convert,
)

default_collate_fn_map = COLLATE_TABLE  # the same dict, so additions reach default_collate
default_collate_err_msg_format = _ERR
np_str_obj_array_pattern = _TEXT_DTYPE

__all__ = [
    "collate",
    "collate_float_fn",
    "collate_int_fn",
    "collate_numpy_array_fn",
    "collate_numpy_scalar_fn",
    "collate_str_fn",
    "collate_tensor_fn",
    "default_collate",
    "default_collate_err_msg_format",
    "default_collate_fn_map",
    "default_convert",
    "np_str_obj_array_pattern",
]
