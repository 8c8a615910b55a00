"""``kitty.save`` / ``kitty.load``: checkpoints that never run code when loaded.

The file is a small container of its own (nothing is pickled)::

    b"KITTYGRD"  magic (8 bytes)
    u32          format version (1)
    u64          header length H
    H bytes      header: UTF-8 JSON describing the object tree, and each array's dtype,
                 shape, offset and size
    padding      to a multiple of 64 bytes
    data         the arrays' raw little-endian bytes, each starting at a multiple of 64
    32 bytes     SHA-256 of everything above

Tensors that share memory (views of one tensor, a weight tied to two layers) are written once:
the array that owns the memory, whole, and each tensor as its place in it (offset, shape and
strides, checked to lie inside the array when loaded). They load sharing memory again, as
torch's storages do.

Loading checks the magic, the sizes and the checksum before it parses anything, then
validates every node of the header against a fixed set of types (tensors, NumPy arrays of
numeric dtypes, kittygrad dtypes and sizes, None, bool, int, float, str, bytes, and lists,
tuples, dicts, OrderedDicts (with a state_dict's ``_metadata``) and Counters of those). A
truncated, corrupted, tampered or foreign file (a pickle, a ``torch.save`` zip, ...) raises
:class:`SerializationError`; no byte of it is ever handed to ``pickle`` or ``eval``. The
checksum detects accidental corruption; it is not a signature against a deliberate forger,
which is why the loader does not need to trust the content either.

``kitty.load`` also reads PyTorch's checkpoints (the ``torch.save`` zip archive and the pre-1.6
stream, through a restricted unpickler: :mod:`kittygrad.serialization_torch`) and safetensors
files (:mod:`kittygrad.serialization_safetensors`); ``kitty.save`` writes those two formats on
request (``format="torch"``, ``format="safetensors"`` or a ``.safetensors`` path). kittygrad's
own format stays the default, and no format's loader ever runs code from the file.

Saving to a path is atomic: the bytes go to a temporary file in the same directory, are
flushed and ``fsync``-ed, and the file is renamed over the target with ``os.replace`` (then
the directory is fsync-ed), so a crash or kill mid-save leaves the previous checkpoint
intact (at worst a stray ``.<name>.<random>.tmp`` file remains). Saving to a file object
writes straight into it.
"""
from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import io
import json
import math
import os
import secrets
import struct
from typing import IO, Any

from . import backend as B
from . import dtypes as D
from . import serialization_safetensors as ST
from . import serialization_torch as PT
from .errors import KittyRuntimeError, KittyTypeError, KittyValueError
from .nn.parameter import Parameter
from .serialization_errors import SerializationError
from .serialization_safetensors import SafetensorsDict
from .tensor import Size, Tensor

__all__ = ["save", "load", "SerializationError", "SafetensorsDict"]

MAGIC = b"KITTYGRD"
VERSION = 1
ALIGN = 64
DIGEST_SIZE = 32
_PREFIX = struct.Struct("<8sIQ")  # magic, version, header length
MAX_DEPTH = 200  # levels of nesting; real state dicts use a handful
MAX_HEADER = 1 << 30
FORMATS = ("kittygrad", "torch", "safetensors")


# ---------------------------------------------------------------------------------------------
# encoding


class _Encoder:
    """Turns an object tree into JSON-ready nodes plus the list of arrays to write."""

    def __init__(self) -> None:
        self.arrays: list = []  # contiguous little-endian arrays, in blob order
        self.records: list[dict] = []
        self.memo: dict[int, int] = {}  # id(array, or tensor stored as a copy) -> blob index
        self.tensor_keys: dict[int, int] = {}  # id(tensor) -> its number in the file (its identity)
        self.keep: list = []  # keeps memoized objects alive while encoding
        self.offset = 0
        self.active: set[int] = set()  # containers on the current path (cycle detection)

    def blob(self, obj, arr) -> int:
        key = id(obj)
        if key in self.memo:
            return self.memo[key]
        name = D._BY_NP.get(arr.dtype if arr.dtype.isnative else arr.dtype.newbyteorder("="))
        if name is None:
            raise KittyTypeError(f"kittygrad.save cannot store arrays of dtype {arr.dtype}")
        le = B.xp.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False)
        index = len(self.records)
        self.records.append(
            {"dtype": name.name, "shape": list(arr.shape), "offset": self.offset, "nbytes": int(le.nbytes)}
        )
        self.arrays.append(le)
        self.offset += -(-int(le.nbytes) // ALIGN) * ALIGN
        self.memo[key] = index
        self.keep.append(obj)
        return index

    def placed(self, t) -> dict:
        """Where tensor ``t`` lies in the file: ``{"k": its number, "i": a blob}``, plus
        ``"view": [offset, shape, strides]`` (in elements) where ``t`` is a view of the array that
        owns its memory. That array is written once, whole, however many tensors view it, so
        tensors that shared memory when saved share it when loaded (as torch's storages do); a
        tensor a storage cannot describe (another dtype than its owner's) is written as a copy.
        """
        k = self.tensor_keys.setdefault(id(t), len(self.tensor_keys))
        arr = t._data
        found = PT.view_in_base(arr)
        if found is None:
            return {"k": k, "i": self.blob(t, arr)}
        root, offset, strides = found
        place = {"k": k, "i": self.blob(root, root)}
        if arr is not root and (offset or arr.shape != root.shape or arr.strides != root.strides):
            place["view"] = [offset, list(arr.shape), list(strides)]
        return place

    def node(self, obj, path: str, depth: int = 0) -> dict:
        if depth > MAX_DEPTH:
            raise KittyValueError(f"kittygrad.save: the object is nested more than {MAX_DEPTH} levels deep (at {path})")
        t = type(obj)
        if obj is None:
            return {"t": "none"}
        if t is bool:
            return {"t": "bool", "v": obj}
        if t is int:
            return {"t": "int", "v": obj}
        if t is float:
            if math.isfinite(obj):
                return {"t": "float", "v": obj}
            return {"t": "float", "v": "nan" if obj != obj else ("inf" if obj > 0 else "-inf")}
        if t is str:
            return {"t": "str", "v": obj}
        if t is bytes:
            return {"t": "bytes", "v": base64.b64encode(obj).decode("ascii")}
        if isinstance(obj, Tensor):
            node = {"t": "tensor", **self.placed(obj), "requires_grad": bool(obj._requires_grad)}
            if type(obj).__name__ == "Parameter" and type(obj).__module__.startswith("kittygrad"):
                node["parameter"] = True
            return node
        if isinstance(obj, D.dtype):
            return {"t": "dtype", "v": obj.name}
        if t is Size:
            return {"t": "size", "v": [int(s) for s in obj]}
        if B.is_array(obj) and t is B.ndarray:
            return {"t": "ndarray", "i": self.blob(obj, obj)}
        if B.is_array_like_scalar(obj):
            arr = B.asarray(obj)
            return {"t": "npscalar", "i": self.blob(obj, arr)}
        if t in (list, tuple, dict, collections.OrderedDict, collections.Counter):
            key = id(obj)
            if key in self.active:
                raise KittyValueError(f"kittygrad.save: the object contains a reference cycle (at {path})")
            self.active.add(key)
            try:
                if t is list or t is tuple:
                    items = [self.node(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(obj)]
                    return {"t": t.__name__, "v": items}
                pairs = [
                    [self.key(k, path), self.node(v, f"{path}[{k!r}]", depth + 1)] for k, v in obj.items()
                ]
                tag = {dict: "dict", collections.OrderedDict: "odict", collections.Counter: "counter"}[t]
                node = {"t": tag, "v": pairs}
                # a state_dict's per-module versions (torch keeps them through save/load, and
                # modules such as BatchNorm read them when loading)
                meta = getattr(obj, "_metadata", None) if t is collections.OrderedDict else None
                if meta is not None:
                    node["m"] = self.node(meta, f"{path}._metadata", depth + 1)
                return node
            finally:
                self.active.discard(key)
        raise KittyTypeError(
            f"kittygrad.save cannot store an object of type {t.__module__}.{t.__qualname__} (at {path}). "
            "It stores tensors, NumPy arrays, kittygrad dtypes, None, bool, int, float, str, bytes, and "
            "lists, tuples and dicts of these (e.g. state_dicts); convert other objects first, e.g. to a "
            "dict of plain values."
        )

    def key(self, k, path: str) -> dict:
        t = type(k)
        if k is None or t in (bool, int, float, str, bytes):
            return self.node(k, path)
        if t is tuple:
            return {"t": "tuple", "v": [self.key(v, path) for v in k]}
        raise KittyTypeError(
            f"kittygrad.save cannot store a dict key of type {t.__qualname__} (in {path}); keys must be "
            "None, bool, int, float, str, bytes or tuples of these"
        )


def _write(f: IO[bytes], header: bytes, arrays: list, records: list[dict]) -> None:
    h = hashlib.sha256()

    def put(b) -> None:
        h.update(b)
        f.write(b)

    prefix = _PREFIX.pack(MAGIC, VERSION, len(header))
    put(prefix)
    put(header)
    put(bytes(-(len(prefix) + len(header)) % ALIGN))
    for arr, rec in zip(arrays, records):
        if rec["nbytes"]:
            put(arr.reshape(-1).view(B.NP_DTYPES["uint8"]))
        pad = -rec["nbytes"] % ALIGN
        if pad:
            put(bytes(pad))
    f.write(h.digest())


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_atomically(path, write) -> None:
    """``write(file)`` into a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def _is_file_object(f) -> bool:
    return hasattr(f, "write") and not isinstance(f, (str, bytes, os.PathLike))


def _choose_format(f, format: str | None) -> str:
    if format is None:
        name = "" if _is_file_object(f) or hasattr(f, "read") else os.fsdecode(os.fspath(f))
        return "safetensors" if name.endswith(".safetensors") else "kittygrad"
    if format not in FORMATS:
        raise KittyValueError(f"kittygrad.save: format must be one of {', '.join(map(repr, FORMATS))}, got {format!r}")
    return format


def save(
    obj: Any,
    f,
    pickle_module=None,
    pickle_protocol: int = 2,
    _use_new_zipfile_serialization: bool = True,
    *,
    format: str | None = None,
    metadata: dict[str, str] | None = None,
) -> None:
    """Save ``obj`` (a tensor, or nested dicts/lists/tuples of tensors and plain values, e.g.
    model and optimizer state dicts) to the path or binary file object ``f``.

    Tensors keep their dtype, shape, exact bits and ``requires_grad``; a tensor object that
    appears several times is stored once and loads as one object. Anything else (an arbitrary
    object, a function, a module) raises ``TypeError`` before the file is touched. Saving to
    a path is atomic. ``pickle_module`` and ``pickle_protocol`` are accepted for torch
    compatibility and ignored (nothing is pickled).

    ``format`` picks the file format: ``"kittygrad"`` (the default), ``"torch"`` (a zip
    archive that ``torch.load(f, weights_only=True)`` reads; views of one array stay views) or
    ``"safetensors"`` (a flat dict of str -> tensor, with ``metadata`` strings; chosen by
    default for a path ending in ``.safetensors``). ``format="torch"`` always writes the zip
    archive (``_use_new_zipfile_serialization`` is accepted and ignored).

    >>> import io, kittygrad as kitty
    >>> from kittygrad.serialization import save, load
    >>> buf = io.BytesIO(); save({"w": kitty.tensor([1.5, 2.0]), "step": 3}, buf)
    >>> _ = buf.seek(0); load(buf)
    {'w': tensor([1.5000, 2.0000]), 'step': 3}
    >>> buf = io.BytesIO(); save({"w": kitty.tensor([1.5, 2.0])}, buf, format="torch")
    >>> _ = buf.seek(0); load(buf)
    {'w': tensor([1.5000, 2.0000])}
    """
    kind = _choose_format(f, format)
    if metadata is not None and kind != "safetensors":
        raise KittyValueError("kittygrad.save: metadata is only stored in safetensors files")
    if kind == "safetensors":
        blob = ST.save_safetensors(obj, metadata)

        def write(fh) -> None:
            fh.write(blob)

    elif kind == "torch":
        try:
            # build the whole archive first, so a refused object leaves the target untouched
            archive = io.BytesIO()
            PT.save_torch(obj, archive)
        except RecursionError:
            raise KittyValueError("kittygrad.save: the object is nested too deeply") from None

        def write(fh) -> None:
            fh.write(archive.getbuffer())

    else:
        enc = _Encoder()
        try:
            root = enc.node(obj, "obj")
        except RecursionError:
            raise KittyValueError("kittygrad.save: the object is nested too deeply") from None
        meta = {"format": "kittygrad", "version": VERSION, "root": root, "arrays": enc.records, "data_size": enc.offset}
        header = json.dumps(meta, allow_nan=False, separators=(",", ":")).encode("utf-8")

        def write(fh) -> None:
            _write(fh, header, enc.arrays, enc.records)

    if _is_file_object(f):
        write(f)
    else:
        _write_atomically(f, write)


# ---------------------------------------------------------------------------------------------
# decoding


def _foreign(head: bytes) -> str:
    if not head:
        return "the file is empty"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return (
            "it is a zip archive (torch.save writes those; they hold pickles, which kittygrad never "
            "loads because unpickling can run arbitrary code)"
        )
    if head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}", b"c"):
        return "it looks like a Python pickle, which kittygrad never loads (unpickling can run arbitrary code)"
    if head.startswith(b"\x93NUMPY"):
        return "it is a NumPy .npy file (use numpy.load and kitty.from_numpy)"
    return "it does not start with the kittygrad checkpoint signature"


def _read_bytes(path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _read_all(f) -> tuple[Any, str]:
    """The file's bytes in a NumPy uint8 buffer (so arrays can be views into it)."""
    if hasattr(f, "read") and not isinstance(f, (str, bytes, os.PathLike)):
        data = f.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise KittyTypeError("kitty.load expects a path or a binary file object (opened with 'rb')")
        buf = B.xp.frombuffer(bytearray(data), dtype=B.NP_DTYPES["uint8"])
        return buf, getattr(f, "name", "<file object>")
    path = os.fspath(f)
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        buf = B.xp.empty(size, dtype=B.NP_DTYPES["uint8"])
        n = fh.readinto(memoryview(buf))
        if n != size:
            buf = buf[:n]
    return buf, str(path)


class _Decoder:
    def __init__(self, buf, data_start: int, data_size: int, records, name: str) -> None:
        self.buf = buf
        self.data_start = data_start
        self.name = name
        if not isinstance(records, list):
            self.fail("'arrays' is not a list")
        self.records = records
        self.data_size = data_size
        self.arrays: dict[int, Any] = {}
        self.tensors: dict[int, Tensor] = {}

    def fail(self, why: str):
        raise SerializationError(f"{self.name} is not a valid kittygrad checkpoint: {why}")

    def array(self, i):
        if type(i) is not int or not 0 <= i < len(self.records):
            self.fail(f"array index {i!r} is out of range")
        if i in self.arrays:
            return self.arrays[i]
        rec = self.records[i]
        if not isinstance(rec, dict) or set(rec) != {"dtype", "shape", "offset", "nbytes"}:
            self.fail(f"array record {i} is malformed")
        name, shape, offset, nbytes = rec["dtype"], rec["shape"], rec["offset"], rec["nbytes"]
        if type(name) is not str or name not in B.NP_DTYPES:
            self.fail(f"array {i} has an unsupported dtype {name!r}")
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape) or len(shape) > 64:
            self.fail(f"array {i} has an invalid shape {shape!r}")
        dt = B.NP_DTYPES[name].newbyteorder("<")
        count = math.prod(shape)
        if type(offset) is not int or type(nbytes) is not int or offset < 0 or offset % ALIGN:
            self.fail(f"array {i} has an invalid offset")
        if nbytes != count * dt.itemsize or offset + nbytes > self.data_size:
            self.fail(f"array {i} does not fit its shape or the file")
        start = self.data_start + offset
        # (through a memoryview: each array then owns its memory as a tensor owns its storage, so a
        # loaded tensor's storage_offset and untyped_storage() are its own, not the file buffer's)
        arr = B.xp.frombuffer(self.buf.data[start : start + nbytes], dtype=dt).reshape(shape)
        if not dt.isnative:
            arr = arr.astype(dt.newbyteorder("="))
        arr = B.canonical(arr)  # (bfloat16 is recognised by identity)
        self.arrays[i] = arr
        return arr

    def node(self, n, depth: int = 0):
        if depth > MAX_DEPTH + 1:
            self.fail("the object is nested too deeply")
        if not isinstance(n, dict) or "t" not in n:
            self.fail("malformed node")
        t = n["t"]
        v = n.get("v")
        keys = set(n)
        if t == "none" and keys == {"t"}:
            return None
        if keys == {"t", "v"}:
            if t == "bool" and type(v) is bool:
                return v
            if t == "int" and type(v) is int:
                return v
            if t == "float":
                if type(v) is float:
                    return v
                if type(v) is int:
                    return float(v)
                if v in ("nan", "inf", "-inf"):
                    return float(v)
            if t == "str" and type(v) is str:
                return v
            if t == "bytes" and type(v) is str:
                try:
                    return base64.b64decode(v.encode("ascii"), validate=True)
                except (ValueError, UnicodeError):
                    self.fail("invalid bytes value")
            if t == "dtype" and type(v) is str and v in D._BY_NAME:
                return D._BY_NAME[v]
            if t == "size" and isinstance(v, list) and all(type(s) is int and s >= 0 for s in v):
                return Size(v)
            if t in ("list", "tuple") and isinstance(v, list):
                items = [self.node(x, depth + 1) for x in v]
                return items if t == "list" else tuple(items)
            if t in ("dict", "odict", "counter") and isinstance(v, list):
                out = {"dict": dict, "odict": collections.OrderedDict, "counter": collections.Counter}[t]()
                for pair in v:
                    if not isinstance(pair, list) or len(pair) != 2:
                        self.fail("malformed dict item")
                    k = self.key(pair[0], depth + 1)
                    out[k] = self.node(pair[1], depth + 1)
                return out
        if t == "odict" and keys == {"t", "v", "m"} and isinstance(v, list) and isinstance(n["m"], dict):
            out = self.node({"t": t, "v": v}, depth)
            meta = self.node(n["m"], depth + 1)
            if not isinstance(meta, dict):
                self.fail("malformed state_dict metadata")
            out._metadata = meta
            return out
        if t == "tensor" and {"t", "i", "requires_grad"} <= keys <= {"t", "i", "requires_grad", "parameter", "k", "view"}:
            i, rg = n["i"], n["requires_grad"]
            if type(rg) is not bool or n.get("parameter", True) is not True:
                self.fail("malformed tensor node")
            # a tensor's number (files written before views were kept have none: one tensor per array)
            key = n.get("k", i)
            if type(key) is not int:
                self.fail("malformed tensor node")
            if key in self.tensors:
                return self.tensors[key]
            arr = self.array(i)
            if "view" in n:
                arr = self._view(arr, n["view"])
            if rg and arr.dtype.kind != "f":
                self.fail("a non-float tensor cannot require grad")
            t_ = _make_tensor(arr, rg, n.get("parameter", False))
            self.tensors[key] = t_
            return t_
        if t in ("ndarray", "npscalar") and keys == {"t", "i"}:
            arr = self.array(n["i"])
            return arr[()] if t == "npscalar" and arr.ndim == 0 else arr
        self.fail(f"unknown or malformed node of type {t!r}")

    def _view(self, arr, view):
        """The view ``[offset, shape, strides]`` (in elements) of the loaded array ``arr``, every
        element of it checked to lie inside ``arr`` before the view is made."""
        if not (isinstance(view, list) and len(view) == 3 and type(view[0]) is int and view[0] >= 0
                and all(isinstance(v, list) and len(v) <= 64 for v in view[1:]) and len(view[1]) == len(view[2])
                and all(type(s) is int and s >= 0 for s in view[1] + view[2])):
            self.fail("malformed tensor view")
        offset, shape, strides = view[0], tuple(view[1]), tuple(view[2])
        flat = arr.reshape(-1)  # (the array is contiguous: a view of it)
        if not PT.view_fits(flat.shape[0], offset, shape, strides):
            self.fail(f"a tensor view of size {list(shape)} at offset {offset} runs past its array")
        return PT.strided_view(flat, offset, shape, strides)

    def key(self, n, depth: int):
        if isinstance(n, dict) and n.get("t") in ("none", "bool", "int", "float", "str", "bytes", "tuple"):
            k = self.node(n, depth)
            if n["t"] == "tuple":
                self._check_hashable(n, depth)
            return k
        self.fail("unsupported dict key")

    def _check_hashable(self, n, depth: int) -> None:
        for x in n["v"]:
            if not isinstance(x, dict) or x.get("t") not in ("none", "bool", "int", "float", "str", "bytes", "tuple"):
                self.fail("unsupported dict key")
            if x["t"] == "tuple":
                self._check_hashable(x, depth + 1)


def _make_tensor(arr, requires_grad: bool, parameter: bool) -> Tensor:
    if parameter:
        return Parameter(Tensor._wrap(arr), requires_grad=requires_grad)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_map_location(map_location) -> None:
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return
    loc = str(map_location)
    if loc != "cpu" and not loc.startswith("cpu"):
        raise KittyRuntimeError(f"kittygrad runs on the CPU only; map_location={map_location!r} is not available")


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None, mmap: bool | None = None, **pickle_load_args) -> Any:
    """Load a checkpoint from a path or binary file object: kittygrad's own format, PyTorch's
    (a ``torch.save`` zip archive, or the stream torch wrote before 1.6), or safetensors.

    No code from the file is ever run, whatever ``weights_only`` says. A kittygrad file is
    verified (signature, sizes, SHA-256) and its structure validated before anything is built.
    A torch file goes through a restricted unpickler: only tensors, storages, dtypes,
    ``torch.Size``, ``OrderedDict`` and plain containers and numbers are accepted, any other
    global raises :class:`SerializationError` naming it; views of one storage load as views of
    one array. A safetensors file loads as a :class:`SafetensorsDict` (its ``metadata`` kept).
    A truncated, corrupted, hostile or foreign file raises :class:`SerializationError`.
    ``map_location`` may be ``None``, ``'cpu'``, a dict or a callable (everything loads on the
    CPU). ``mmap=True`` (a path to a torch zip archive) maps the file copy-on-write instead of
    reading it, so tensors share the file's pages; otherwise nothing returned shares memory
    with the file. ``pickle_module`` and extra keyword arguments are accepted for torch
    compatibility and ignored.

    >>> import io, kittygrad as kitty
    >>> from kittygrad.serialization import save, load
    >>> buf = io.BytesIO(); save([kitty.tensor([1, 2]), "note"], buf)
    >>> _ = buf.seek(0); load(buf, map_location="cpu", weights_only=True)
    [tensor([1, 2]), 'note']
    """
    _check_map_location(map_location)
    path = None
    if hasattr(f, "read") and not isinstance(f, (str, bytes, os.PathLike)):
        data = f.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise KittyTypeError("kitty.load expects a path or a binary file object (opened with 'rb')")
        name = getattr(f, "name", "<file object>")
        if not isinstance(name, str):
            name = "<file object>"
        head = bytes(data[:16])
        f = io.BytesIO(data)
    else:
        path = os.fspath(f)
        name = str(path)
        with open(path, "rb") as fh:
            head = fh.read(16)
    if mmap and path is None:
        raise KittyValueError("kitty.load: mmap=True needs a file path, not a file object")
    if PT.is_zip(head):
        return PT.load_torch_zip(f, name, map_location, mmap_path=os.fsdecode(path) if mmap else None)
    if mmap and head[:8] != MAGIC:
        raise KittyValueError("kitty.load: mmap=True works with torch zip archives (torch.save's default format) only")
    if head[:8] != MAGIC:
        safetensors_file = ST.looks_like_safetensors(head) or name.endswith(".safetensors")
        if safetensors_file or head[:1] == b"\x80":  # \x80: a protocol-2+ pickle, torch's legacy format or refused
            raw = f.getvalue() if path is None else _read_bytes(path)
            if safetensors_file:
                return ST.load_safetensors(raw, name)
            return PT.load_torch_stream(raw, name, map_location)
    buf, _ = _read_all(f)
    size = buf.shape[0]
    head = bytes(buf[:16])

    def fail(why: str):
        raise SerializationError(f"{name} is not a valid kittygrad checkpoint: {why}")

    if head[:8] != MAGIC:
        fail("the file is truncated" if size and MAGIC.startswith(head) else _foreign(head))
    if size < _PREFIX.size:
        fail("the file is truncated")
    magic, version, header_len = _PREFIX.unpack(bytes(buf[: _PREFIX.size]))
    if version != VERSION:
        fail(f"unsupported format version {version} (this kittygrad reads version {VERSION})")
    if header_len > MAX_HEADER or _PREFIX.size + header_len + DIGEST_SIZE > size:
        fail("the file is truncated (or its header length is corrupted)")
    body = memoryview(buf[: size - DIGEST_SIZE])
    digest = hashlib.sha256(body).digest()
    if not hmac.compare_digest(digest, bytes(buf[size - DIGEST_SIZE :])):
        fail("the checksum does not match: the file is truncated, corrupted or was modified")
    header_bytes = bytes(buf[_PREFIX.size : _PREFIX.size + header_len])
    try:
        meta = json.loads(header_bytes.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        fail(f"the header is not valid JSON ({type(e).__name__})")
    if not isinstance(meta, dict) or meta.get("format") != "kittygrad" or meta.get("version") != VERSION:
        fail("the header does not describe a kittygrad checkpoint")
    if set(meta) != {"format", "version", "root", "arrays", "data_size"}:
        fail("the header has unexpected entries")
    data_start = _PREFIX.size + header_len
    data_start += -data_start % ALIGN
    data_size = meta["data_size"]
    if type(data_size) is not int or data_size < 0 or data_start + data_size != size - DIGEST_SIZE:
        fail("the data section's size does not match the file")
    dec = _Decoder(buf, data_start, data_size, meta["arrays"], name)
    try:
        return dec.node(meta["root"])
    except SerializationError:
        raise
    except RecursionError:
        fail("the object is nested too deeply")
    except Exception as e:  # anything the validation above did not foresee is still a bad file
        raise SerializationError(f"{name} is not a valid kittygrad checkpoint: {type(e).__name__}: {e}") from e


def _reject_constant(name: str):
    raise ValueError(f"non-standard JSON constant {name}")

