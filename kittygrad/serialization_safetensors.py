"""safetensors files through the ``safetensors`` package: a flat dict of named tensors plus
string metadata, no pickles at all.

The package parses and validates the file (header size, JSON, dtypes, shapes, offsets that
must tile the data exactly); this module only maps its dtype names to kittygrad's and back.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import safetensors

from . import backend as B
from . import dtypes as D
from .errors import KittyTypeError
from .serialization_errors import SerializationError
from .tensor import Tensor

__all__ = ["SafetensorsDict", "load_safetensors", "save_safetensors", "looks_like_safetensors"]

#: safetensors dtype codes -> kittygrad dtype names
DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64", "I32": "int32",
          "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}  # fmt: skip


class SafetensorsDict(dict):
    """The tensors of a safetensors file, by name, with the file's ``metadata`` (a dict of str).

    :func:`kitty.save <kittygrad.save>` writes the metadata back when it saves this dict.

    >>> import io, kittygrad as kitty
    >>> buf = io.BytesIO()
    >>> kitty.save({"w": kitty.ones(2)}, buf, format="safetensors", metadata={"note": "hi"})
    >>> _ = buf.seek(0); sd = kitty.load(buf); sd.metadata
    {'note': 'hi'}
    """

    metadata: dict[str, str]

    def __init__(self, *args, metadata: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.metadata = dict(metadata or {})


def looks_like_safetensors(head: bytes) -> bool:
    """A little-endian u64 header length, then the JSON header's opening brace.

    >>> looks_like_safetensors(b"\\x02\\x00\\x00\\x00\\x00\\x00\\x00\\x00{}"), looks_like_safetensors(b"KITTYGRD")
    (True, False)
    """
    return len(head) >= 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] >= 2


def load_safetensors(data: bytes, where: str) -> SafetensorsDict:
    """The tensors of the safetensors bytes ``data`` (copied out of ``data``).

    >>> import kittygrad as kitty
    >>> load_safetensors(save_safetensors({"w": kitty.ones(2)}, {"k": "v"}), "<bytes>").metadata
    {'k': 'v'}
    """
    try:
        items = safetensors.deserialize(data)
    except Exception as e:  # the package raises SafetensorError for every malformed file
        raise SerializationError(f"{where} is not a valid safetensors file: {e}") from None
    out = SafetensorsDict()
    for name, spec in items:
        code = spec["dtype"]
        kind = DTYPES.get(code)
        dt = B.NP_DTYPES.get(kind) if kind is not None else None
        if dt is None or kind not in D._BY_NAME:
            raise SerializationError(f"{where}: tensor {name!r} has dtype {code}, which kittygrad has no dtype for")
        shape = tuple(spec["shape"])
        raw = spec["data"]
        if len(raw) != math.prod(shape) * dt.itemsize:
            raise SerializationError(f"{where}: tensor {name!r} has {len(raw)} bytes for shape {list(shape)}")
        arr = B.xp.frombuffer(raw if isinstance(raw, bytearray) else bytearray(raw), dtype=dt.newbyteorder("<"))
        out[name] = Tensor._wrap(B.canonical(arr.astype(dt, copy=False)).reshape(shape))
    # the package validated the whole header above; the metadata is its "__metadata__" entry
    length = struct.unpack("<Q", data[:8])[0]
    meta = json.loads(bytes(data[8 : 8 + length])).get("__metadata__") or {}
    out.metadata = {str(k): str(v) for k, v in meta.items()}
    return out


def save_safetensors(obj: Any, metadata: dict[str, str] | None = None) -> bytes:
    """``obj`` (a dict of str -> tensor) as safetensors bytes; ``metadata`` defaults to
    ``obj.metadata`` when ``obj`` came from a safetensors file.

    >>> import kittygrad as kitty
    >>> save_safetensors({"w": kitty.ones(1)})[8:9]
    b'{'
    """
    if not isinstance(obj, dict):
        raise KittyTypeError(f"a safetensors file holds a dict of named tensors, got {type(obj).__name__}")
    if metadata is None:
        metadata = getattr(obj, "metadata", None)
    if metadata is not None and (
        not isinstance(metadata, dict) or not all(type(k) is str and type(v) is str for k, v in metadata.items())
    ):
        raise KittyTypeError("safetensors metadata must be a dict of str to str")
    specs, keep = {}, []
    for name, t in obj.items():
        if type(name) is not str or not isinstance(t, Tensor):
            raise KittyTypeError(
                f"a safetensors file holds str -> tensor entries, got {type(name).__name__} -> {type(t).__name__} "
                f"(for {name!r})"
            )
        arr = t._data if t._data.flags.c_contiguous else t._data.copy(order="C")  # ascontiguousarray makes 0-d 1-d
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        keep.append(arr)  # the package reads the bytes through their address
        specs[name] = safetensors.TensorSpec(
            dtype=arr.dtype.newbyteorder("=").name, shape=list(arr.shape), data_ptr=arr.ctypes.data, data_len=arr.nbytes
        )
    return bytes(safetensors.serialize(specs, metadata=metadata))
