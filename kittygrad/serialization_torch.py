"""PyTorch's checkpoint files, read and written without torch and without running code from them.

Reading covers the zip archive ``torch.save`` writes (``<name>/data.pkl`` plus one member per
storage) and the stream torch wrote before 1.6 (five pickles, then the raw storages). Every
pickle is walked opcode by opcode with :mod:`pickletools` before anything is built: a length
that runs past the data, a memo index that would make the unpickler grow its table, a ``FRAME``
longer than what is left, and the opcodes a checkpoint never uses (``INST``, ``OBJ``,
``NEWOBJ``, extension codes, text persistent ids, out-of-band buffers) are refused there, so
nothing is allocated beyond the file's size. The unpickler then resolves globals from an
explicit allow-list only (tensor and parameter rebuild functions, the storage types of the
supported dtypes, dtypes, ``torch.Size``, ``collections.OrderedDict``, ``set``, ``frozenset``,
``complex`` and latin-1 ``_codecs.encode``); any other global raises
:class:`SerializationError` naming it. What the pickle machine builds are inert placeholders
(no instance ``__dict__``, their ``__setstate__`` refuses): tensors, dtypes and containers are
made from them only after the whole pickle has been read and every storage checked against
the archive.

Writing emits protocol-2 pickle opcodes directly (no ``pickle.Pickler``, so no object's own
``__reduce__`` is consulted) for tensors, parameters, dtypes, sizes and plain containers, and
stores each storage uncompressed, 64-byte aligned, as torch does; ``torch.load(path,
weights_only=True)`` reads the result.
"""

from __future__ import annotations

import _compat_pickle
import collections
import io
import math
import os
import pickle
import pickletools
import struct
import zipfile
from typing import IO, Any

from . import backend as B
from . import dtypes as D
from .device import device
from .errors import KittyTypeError, KittyValueError
from .nn.parameter import Parameter
from .serialization_errors import SerializationError
from .tensor import Size, Tensor

__all__ = ["load_torch_zip", "load_torch_stream", "save_torch", "is_zip"]

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
MAX_NDIM = 64

#: torch's storage classes and dtype attribute names, by the kittygrad dtype name they hold
STORAGE_TYPES = {
    "FloatStorage": "float32",
    "DoubleStorage": "float64",
    "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16",
    "LongStorage": "int64",
    "IntStorage": "int32",
    "ShortStorage": "int16",
    "CharStorage": "int8",
    "ByteStorage": "uint8",
    "BoolStorage": "bool",
}
STORAGE_OF = {v: k for k, v in STORAGE_TYPES.items()}
TORCH_DTYPES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "bfloat16": "bfloat16", "int64": "int64", "long": "int64",
    "int32": "int32", "int": "int32", "int16": "int16", "short": "int16", "int8": "int8",
    "uint8": "uint8", "bool": "bool",
}  # fmt: skip
#: storages torch has and kittygrad cannot hold, so the error can say why rather than "not allowed"
NO_KITTY_DTYPE = {"ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8",
                  "QUInt8Storage": "quint8", "QInt32Storage": "qint32"}  # fmt: skip

_NEVER_IN_A_CHECKPOINT = frozenset(
    {"INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "EXT1", "EXT2", "EXT4", "PERSID", "NEXT_BUFFER", "READONLY_BUFFER"}
)
_MEMO_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})


def _np_dtype(name: str):
    """NumPy's dtype for a kittygrad dtype name; bfloat16 exists only where kittygrad has it."""
    dt = B.NP_DTYPES.get(name)
    if dt is None or name not in D._BY_NAME:
        raise SerializationError(f"the checkpoint holds {name} tensors, and this kittygrad has no {name} dtype")
    return dt


# ---------------------------------------------------------------------------------------------
# what the restricted unpickler builds: inert placeholders


class _Refused(pickle.UnpicklingError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _Inert:
    """Base of the placeholders: slots only, and BUILD (a pickle setting their state) refused."""

    __slots__ = ()
    what = "value"

    def __setstate__(self, state) -> None:
        raise pickle.UnpicklingError(
            f"the pickle tries to set the state of a {self.what}, which a checkpoint never does"
        )


class _Global(_Inert):
    """An allowed callable as the pickle sees it (a fresh one for each reference)."""

    __slots__ = ("name", "fn")
    what = "function"

    def __init__(self, name: str, fn) -> None:
        self.name, self.fn = name, fn

    def __call__(self, *args):
        return self.fn(*args)


class _StorageType(_Inert):
    __slots__ = ("dtype",)
    what = "storage type"

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype


class _DtypeRef(_Inert):
    __slots__ = ("name",)
    what = "dtype"

    def __init__(self, name: str) -> None:
        self.name = name


class _Storage(_Inert):
    __slots__ = ("key", "dtype", "numel", "location")
    what = "storage"

    def __init__(self, key: str, dtype: str, numel: int, location: str) -> None:
        self.key, self.dtype, self.numel, self.location = key, dtype, numel, location


class _TensorRef(_Inert):
    __slots__ = ("storage", "offset", "size", "stride", "requires_grad", "parameter")
    what = "tensor"

    def __init__(self, storage, offset, size, stride, requires_grad, parameter) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad, self.parameter = requires_grad, parameter


class _SizeRef(tuple):
    __slots__ = ()

    def __setstate__(self, state) -> None:
        raise pickle.UnpicklingError("the pickle tries to set the state of a torch.Size")


class _ODict(collections.OrderedDict):
    """An OrderedDict being unpickled; BUILD may attach only torch's ``_metadata``."""

    def __setstate__(self, state) -> None:
        if type(state) is not dict or set(state) - {"_metadata"}:
            raise pickle.UnpicklingError("the pickle sets attributes other than _metadata on an OrderedDict")
        self.__dict__["_kg_metadata"] = state.get("_metadata")


def _bad(why: str):
    raise pickle.UnpicklingError(why)


def _check_int(v, what: str) -> int:
    if type(v) is not int or v < 0:
        _bad(f"{what} is {v!r}, expected a non-negative int")
    return v


def _dims(v, what: str) -> tuple:
    if not isinstance(v, tuple) or len(v) > MAX_NDIM:
        _bad(f"a tensor's {what} is {type(v).__name__}, expected a tuple of at most {MAX_NDIM} ints")
    return tuple(_check_int(d, f"a tensor's {what} entry") for d in v)


def _no_hooks(hooks) -> None:
    if hooks is not None and not (isinstance(hooks, dict) and not hooks):
        _bad("the checkpoint carries backward hooks, which kittygrad never restores from a file")


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    if type(storage) is not _Storage:
        _bad("a tensor is rebuilt from something that is not a storage")
    size, stride = _dims(size, "size"), _dims(stride, "stride")
    if len(size) != len(stride):
        _bad(f"a tensor has {len(size)} sizes but {len(stride)} strides")
    if type(requires_grad) is not bool:
        _bad("a tensor's requires_grad flag is not a bool")
    _no_hooks(hooks)
    if metadata is not None and not (isinstance(metadata, dict) and not metadata):
        _bad("a tensor carries extra metadata (conjugate/negative bits or Python attributes)")
    return _TensorRef(storage, _check_int(offset, "a storage offset"), size, stride, requires_grad, False)


def _rebuild_parameter(data, requires_grad, hooks, state=None):
    if type(data) is not _TensorRef or type(requires_grad) is not bool:
        _bad("a parameter is rebuilt from something that is not a tensor")
    _no_hooks(hooks)
    if state is not None and not (isinstance(state, (dict, tuple)) and not any(state)):
        _bad("a parameter carries Python attributes, which kittygrad does not restore")
    return _TensorRef(data.storage, data.offset, data.size, data.stride, requires_grad, True)


def _latin1_bytes(text, encoding="utf-8"):
    # protocol 2 writes bytes as _codecs.encode(str, "latin1"); nothing else is accepted
    if type(text) is not str or encoding not in ("latin1", "latin-1"):
        _bad("_codecs.encode is allowed only to turn a str into latin-1 bytes")
    return text.encode("latin1")


def _make_set(items=()):
    if type(items) not in (list, tuple):
        _bad("a set is built from something that is not a list")
    return set(items)


def _make_frozenset(items=()):
    return frozenset(_make_set(items))


def _make_complex(real=0.0, imag=0.0):
    if type(real) not in (int, float) or type(imag) not in (int, float):
        _bad("a complex number is built from something that is not two numbers")
    return complex(real, imag)


def _make_device(kind="cpu", index=None):
    """A ``torch.device`` in a checkpoint (torch's weights-only loader takes them too)."""
    if type(kind) is not str or (index is not None and type(index) is not int):
        _bad("a device is built from something that is not a type string and an index")
    return device(kind) if index is None else device(kind, index)


def _make_size(dims=()):
    return _SizeRef(_dims(tuple(dims) if type(dims) is list else dims, "Size"))


def _make_odict(items=()):
    if type(items) not in (list, tuple):
        _bad("an OrderedDict is built from something that is not a list of pairs")
    out = _ODict()
    for pair in items:
        if type(pair) not in (list, tuple) or len(pair) != 2:
            _bad("an OrderedDict is built from something that is not a list of pairs")
        out[pair[0]] = pair[1]
    return out


ALLOWED_CALLABLES = {
    "torch._utils._rebuild_tensor_v2": _rebuild_tensor,
    "torch._utils._rebuild_tensor": _rebuild_tensor,
    "torch._utils._rebuild_parameter": _rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
    "collections.OrderedDict": _make_odict,
    "torch.Size": _make_size,
    "torch.device": _make_device,
    "builtins.set": _make_set,
    "builtins.frozenset": _make_frozenset,
    "builtins.complex": _make_complex,
    "_codecs.encode": _latin1_bytes,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only allow-listed globals, each to a fresh placeholder; storages come from
    persistent ids and are recorded in ``storages`` by key."""

    def __init__(self, stream: io.BytesIO, storages: dict, ids: int) -> None:
        super().__init__(stream)
        self.storages = storages
        self.id_length = ids  # 5 entries in the zip format, 6 in the legacy one

    def find_class(self, module: str, name: str):
        module, name = _py3_name(module, name)
        if module == "torch":
            if name in STORAGE_TYPES:
                return _StorageType(STORAGE_TYPES[name])
            if name in TORCH_DTYPES:
                return _DtypeRef(TORCH_DTYPES[name])
            if name in NO_KITTY_DTYPE:
                _bad(f"the checkpoint holds {NO_KITTY_DTYPE[name]} tensors, and kittygrad has no such dtype")
        fn = ALLOWED_CALLABLES.get(f"{module}.{name}")
        if fn is None:
            raise _Refused(f"{module}.{name}")
        return _Global(f"{module}.{name}", fn)

    def persistent_load(self, pid):
        if type(pid) is not tuple or len(pid) != self.id_length or pid[0] != "storage":
            _bad(f"unsupported persistent id {str(pid)[:80]!r}")
        stype, key, location, numel = pid[1:5]
        if type(stype) is not _StorageType or type(key) is not str or type(location) is not str:
            _bad("malformed storage reference")
        _check_int(numel, "a storage's length")
        if self.id_length == 6 and pid[5] is not None:
            _bad("the checkpoint uses storage views of the pre-1.0 format")
        known = self.storages.get(key)
        if known is None:
            known = self.storages[key] = _Storage(key, stype.dtype, numel, location)
        elif (known.dtype, known.numel) != (stype.dtype, numel):
            _bad(f"storage {key!r} is described twice with different types or lengths")
        return known


def _py3_name(module: str, name: str) -> tuple[str, str]:
    """The Python 3 name of a global that a protocol < 3 pickle spells the Python 2 way."""
    renamed = _compat_pickle.NAME_MAPPING.get((module, name))
    if renamed is not None:
        return renamed
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _is_allowed(module: str, name: str) -> bool:
    module, name = _py3_name(module, name)
    if module == "torch" and (name in STORAGE_TYPES or name in TORCH_DTYPES or name in NO_KITTY_DTYPE):
        return True
    return f"{module}.{name}" in ALLOWED_CALLABLES


def _refusal(where: str, name: str) -> SerializationError:
    return SerializationError(
        f"{where}: the pickle references the global {name!r}, which is not on kittygrad's allow-list "
        "(tensors, storages, dtypes, torch.Size, OrderedDict, plain containers and numbers); kittygrad never "
        "runs code from a file, so it was not loaded"
    )


def _scan(stream: io.BytesIO, size: int, where: str) -> int:
    """Check one pickle's opcodes (from the stream's position) without building anything; return
    the offset after its STOP."""
    memo = 0
    try:
        for op, arg, _ in pickletools.genops(stream):
            name = op.name
            if name in ("GLOBAL", "INST"):  # refuse by name before anything is built
                module, _, attr = arg.partition(" ")
                if not _is_allowed(module, attr):
                    raise _refusal(where, ".".join(_py3_name(module, attr)))
            if name in _NEVER_IN_A_CHECKPOINT:
                raise SerializationError(f"{where}: the pickle uses the {name} opcode, which a checkpoint never needs")
            if name in _MEMO_PUTS:
                if arg > memo:  # the unpickler would size its memo table by this index
                    raise SerializationError(f"{where}: the pickle's memo index {arg} skips ahead (damaged or hostile)")
                memo = max(memo, arg + 1)
            elif name == "MEMOIZE":
                memo += 1
            elif name == "FRAME" and arg > size - stream.tell():
                raise SerializationError(f"{where}: a pickle frame claims {arg} bytes, more than the data holds")
            elif name == "STOP":
                return stream.tell()
    except SerializationError:
        raise
    except Exception as e:  # genops reports truncation, bad lengths and unknown opcodes as ValueError & co.
        raise SerializationError(f"{where}: the pickle is truncated or damaged ({type(e).__name__}: {e})") from None
    raise SerializationError(f"{where}: the pickle has no end")


def _unpickle(stream: io.BytesIO, size: int, where: str, storages: dict, ids: int) -> tuple[Any, int]:
    """Scan, then unpickle, the pickle at the stream's position; returns it and where it ended."""
    start = stream.tell()
    end = _scan(stream, size, where)
    stream.seek(start)
    try:
        obj = _RestrictedUnpickler(stream, storages, ids).load()
    except _Refused as e:
        raise _refusal(where, e.name) from None
    except Exception as e:
        raise SerializationError(
            f"{where}: the pickle cannot be read as a checkpoint ({type(e).__name__}: {e})"
        ) from None
    stream.seek(end)
    return obj, end


# ---------------------------------------------------------------------------------------------
# placeholders -> kittygrad objects


class _Builder:
    def __init__(self, arrays: dict, where: str) -> None:
        self.arrays = arrays  # storage key -> 1-D array of its dtype
        self.where = where
        self.done: dict[int, Any] = {}  # id(placeholder) -> what it became

    def fail(self, why: str):
        raise SerializationError(f"{self.where}: {why}")

    def build(self, obj):
        t = type(obj)
        if obj is None or t in (bool, int, float, str, bytes, complex):
            return obj
        key = id(obj)
        if key in self.done:
            return self.done[key]
        if t is _TensorRef:
            out = self.tensor(obj)
        elif t is _DtypeRef:
            _np_dtype(obj.name)
            out = D._BY_NAME[obj.name]
        elif t is _SizeRef:
            out = Size(obj)
        elif t is list:
            out = self.done[key] = []
            out.extend(self.build(v) for v in obj)
        elif t is tuple:
            out = tuple(self.build(v) for v in obj)
        elif t is dict or t is _ODict:
            out = self.done[key] = {} if t is dict else collections.OrderedDict()
            for k, v in obj.items():
                out[self.build(k)] = self.build(v)
            meta = obj.__dict__.get("_kg_metadata") if t is _ODict else None
            if meta is not None:
                out._metadata = self.build(meta)
        elif t is set or t is frozenset:
            out = t(self.build(v) for v in obj)
        elif t is device:
            out = obj
        else:
            what = obj.what if isinstance(obj, _Inert) else t.__name__
            self.fail(f"a bare {what} cannot be loaded (kittygrad loads tensors, dtypes, sizes and plain containers)")
        self.done[key] = out
        return out

    def tensor(self, ref: _TensorRef) -> Tensor:
        flat = self.arrays[ref.storage.key]
        size, stride, offset = ref.size, ref.stride, ref.offset
        if not view_fits(flat.shape[0], offset, size, stride):
            self.fail(
                f"a tensor of size {list(size)} at offset {offset} runs past its storage of {flat.shape[0]} elements"
            )
        arr = strided_view(flat, offset, size, stride)
        if ref.requires_grad and arr.dtype.kind != "f" and ref.storage.dtype != "bfloat16":
            self.fail("a non-float tensor cannot require grad")
        if ref.parameter:
            return Parameter(Tensor._wrap(arr), requires_grad=ref.requires_grad)
        out = Tensor._wrap(arr)
        if ref.requires_grad:
            out.requires_grad_(True)
        return out


def view_fits(length: int, offset: int, size: tuple, stride: tuple) -> bool:
    """Whether every element of a view (element ``offset``, sizes, non-negative strides) lies
    inside a storage of ``length`` elements: what a loader checks before it makes the view.

    >>> view_fits(6, 1, (2, 2), (1, 2)), view_fits(6, 3, (2, 2), (1, 2))
    (True, False)
    """
    if math.prod(size) == 0:
        return offset <= length
    return offset + sum((n - 1) * s for n, s in zip(size, stride)) < length


def strided_view(flat, offset: int, size: tuple, stride: tuple):
    """A view of ``flat`` (a 1-D array) with element strides, as a torch storage holds a tensor;
    plain slices where possible. The caller has checked that every element lies inside ``flat``.

    >>> import numpy as np
    >>> strided_view(np.arange(6), 1, (2, 2), (1, 2)).tolist()
    [[1, 3], [2, 4]]
    """
    count = math.prod(size)
    expect, step = [], 1
    for n in reversed(size):
        expect.append(step)
        step *= n
    if (
        count == 0
        or tuple(reversed(expect)) == stride
        or all(n == 1 or s == e for n, s, e in zip(size, stride, reversed(expect)))
    ):
        return flat[offset : offset + count].reshape(size)
    item = flat.itemsize
    return B.xp.lib.stride_tricks.as_strided(flat[offset:], shape=size, strides=tuple(s * item for s in stride))


def _remap(storages: dict, arrays: dict, map_location) -> None:
    """Apply a callable ``map_location(storage, location)``: it gets each storage as a 1-D tensor."""
    for key, st in storages.items():
        got = map_location(Tensor._wrap(arrays[key]), st.location)
        if got is None:
            continue
        if not isinstance(got, Tensor) or got._data.dtype != arrays[key].dtype or got._data.shape != arrays[key].shape:
            raise SerializationError(
                "map_location must return the storage it was given (kittygrad loads everything on the CPU)"
            )
        arrays[key] = got._data.reshape(-1)


def _typed(raw, st: _Storage, little: bool):
    dt = _np_dtype(st.dtype)
    arr = raw.view(dt.newbyteorder("<" if little else ">"))
    return B.canonical(arr if arr.dtype.isnative else arr.astype(dt))  # (bfloat16 is recognised by identity)


# ---------------------------------------------------------------------------------------------
# the zip archive


def is_zip(head: bytes) -> bool:
    """Whether a file's first bytes are a zip archive's (torch.save's default format).

    >>> is_zip(b"PK\\x03\\x04rest"), is_zip(b"KITTYGRD")
    (True, False)
    """
    return head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06")


#: what zipfile raises for a damaged archive (NotImplementedError: a version or method it lacks)
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError, struct.error,
               NotImplementedError)  # fmt: skip
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, (skipped fields), name length, extra length


def _member_spans(fp, infos, size: int, where: str) -> dict:
    """Where each member's data starts; members must be stored, lie inside the file and not overlap."""
    spans, starts = {}, []
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            raise SerializationError(
                f"{where}: member {info.filename!r} is compressed or encrypted; torch.save stores members as they "
                "are, and kittygrad does not inflate archive members (a compressed member could be a zip bomb)"
            )
        fp.seek(info.header_offset)
        head = fp.read(_LOCAL_HEADER.size)
        if len(head) != _LOCAL_HEADER.size or _LOCAL_HEADER.unpack(head)[0] != b"PK\x03\x04":
            raise SerializationError(f"{where}: the local header of member {info.filename!r} is missing or damaged")
        _, name_len, extra_len = _LOCAL_HEADER.unpack(head)
        start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
        if info.file_size != info.compress_size or start + info.file_size > size:
            raise SerializationError(f"{where}: member {info.filename!r} claims more bytes than the file holds")
        spans[info.filename] = start
        starts.append((info.header_offset, start + info.file_size))
    starts.sort()
    for (_, end), (nxt, _) in zip(starts, starts[1:]):
        if nxt < end:
            raise SerializationError(f"{where}: two archive members overlap (damaged or hostile archive)")
    return spans


def load_torch_zip(source, where: str, map_location=None, mmap_path: str | None = None) -> Any:
    """Read a ``torch.save`` zip archive from a path or a seekable binary file object.

    >>> import io, kittygrad as kitty
    >>> buf = io.BytesIO(); save_torch({"w": kitty.ones(2)}, buf)
    >>> load_torch_zip(buf, "<buf>")
    {'w': tensor([1., 1.])}
    """
    try:
        zf = zipfile.ZipFile(source)
    except _ZIP_ERRORS as e:
        raise SerializationError(f"{where} is a damaged zip archive ({type(e).__name__}: {e})") from None
    with zf:
        try:
            return _read_zip(zf, where, map_location, mmap_path)
        except SerializationError:
            raise
        except _ZIP_ERRORS as e:
            raise SerializationError(f"{where} is a damaged zip archive ({type(e).__name__}: {e})") from None


def _read_zip(zf: zipfile.ZipFile, where: str, map_location, mmap_path: str | None) -> Any:
    infos = zf.infolist()
    by_name = {i.filename: i for i in infos}
    if len(by_name) != len(infos):
        raise SerializationError(f"{where}: the archive names a member twice (damaged or hostile archive)")
    pickles = [n for n in by_name if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pickles) != 1:
        raise SerializationError(
            f"{where} is a zip archive but not a torch.save checkpoint (it has no <name>/data.pkl)"
        )
    prefix = pickles[0][: -len("data.pkl")]
    fp = zf.fp
    fp.seek(0, os.SEEK_END)
    spans = _member_spans(fp, infos, fp.tell(), where)
    little = True
    if prefix + "byteorder" in by_name:
        order = zf.read(prefix + "byteorder")
        if order not in (b"little", b"big"):
            raise SerializationError(f"{where}: unknown byte order {order[:20]!r}")
        little = order == b"little"
    storages: dict[str, _Storage] = {}
    data = zf.read(pickles[0])
    root, end = _unpickle(io.BytesIO(data), len(data), where, storages, ids=5)
    if end != len(data):
        raise SerializationError(f"{where}: {len(data) - end} unexpected bytes follow the pickle")
    mapped = B.xp.memmap(mmap_path, dtype=B.NP_DTYPES["uint8"], mode="c") if mmap_path is not None else None
    arrays = {}
    for key, st in storages.items():
        member = f"{prefix}data/{key}"
        info = by_name.get(member)
        if info is None:
            raise SerializationError(f"{where}: storage {key!r} is referenced but the archive has no {member}")
        nbytes = st.numel * _np_dtype(st.dtype).itemsize
        if info.file_size != nbytes:
            raise SerializationError(
                f"{where}: storage {key!r} should hold {st.numel} {st.dtype} values ({nbytes} bytes) "
                f"but its member has {info.file_size} bytes"
            )
        if mapped is not None:  # shares the file's pages (copy-on-write); no CRC check, as nothing is read yet
            raw = mapped[spans[member] : spans[member] + nbytes]
        else:  # zf.read checks the member's CRC-32
            raw = B.xp.frombuffer(bytearray(zf.read(member)), dtype=B.NP_DTYPES["uint8"])
        arrays[key] = _typed(raw, st, little)
    if callable(map_location):
        _remap(storages, arrays, map_location)
    return _build(root, arrays, where)


def _build(root, arrays: dict, where: str) -> Any:
    try:
        return _Builder(arrays, where).build(root)
    except RecursionError:
        raise SerializationError(f"{where}: the object is nested too deeply") from None
    except TypeError as e:  # e.g. a dict key that turned out unhashable
        raise SerializationError(f"{where}: the object cannot be rebuilt ({e})") from None


# ---------------------------------------------------------------------------------------------
# the legacy stream (torch.save(..., _use_new_zipfile_serialization=False))


def load_torch_stream(data: bytes, where: str, map_location=None) -> Any:
    """Read a raw pickle stream: torch's pre-1.6 checkpoint format, or refuse the pickle clearly.

    >>> import pickle
    >>> try:
    ...     load_torch_stream(pickle.dumps([1, 2], protocol=2), "<bytes>")
    ... except SerializationError as e:
    ...     print(str(e)[:53])
    <bytes> is a Python pickle but not a torch checkpoint
    """
    stream, size = io.BytesIO(data), len(data)
    magic, _ = _unpickle(stream, size, where, {}, ids=0)
    if type(magic) is not int or magic != LEGACY_MAGIC:
        raise SerializationError(
            f"{where} is a Python pickle but not a torch checkpoint; kittygrad loads no other pickles "
            "(unpickling arbitrary data can run code)"
        )
    version, _ = _unpickle(stream, size, where, {}, ids=0)
    if version != LEGACY_PROTOCOL:
        raise SerializationError(f"{where}: unsupported legacy protocol version {version!r}")
    info, _ = _unpickle(stream, size, where, {}, ids=0)
    if not isinstance(info, dict) or type(info.get("little_endian")) is not bool:
        raise SerializationError(f"{where}: the legacy header is damaged")
    little = info["little_endian"]
    storages: dict[str, _Storage] = {}
    root, _ = _unpickle(stream, size, where, storages, ids=6)
    keys, pos = _unpickle(stream, size, where, {}, ids=0)
    if type(keys) is not list or any(type(k) is not str for k in keys) or set(keys) != set(storages):
        raise SerializationError(f"{where}: the legacy storage list does not match the storages the object uses")
    count = struct.Struct("<q" if little else ">q")
    arrays = {}
    for key in keys:
        st = storages[key]
        if pos + count.size > len(data) or count.unpack_from(data, pos)[0] != st.numel:
            raise SerializationError(f"{where}: storage {key!r} is truncated or its length is damaged")
        pos += count.size
        nbytes = st.numel * _np_dtype(st.dtype).itemsize
        if pos + nbytes > len(data):
            raise SerializationError(f"{where}: storage {key!r} is truncated")
        raw = B.xp.frombuffer(bytearray(data[pos : pos + nbytes]), dtype=B.NP_DTYPES["uint8"])
        arrays[key] = _typed(raw, st, little)
        pos += nbytes
    if pos != len(data):
        raise SerializationError(f"{where}: {len(data) - pos} unexpected bytes follow the last storage")
    if callable(map_location):
        _remap(storages, arrays, map_location)
    return _build(root, arrays, where)


# ---------------------------------------------------------------------------------------------
# writing


class _PickleWriter:
    """Protocol-2 opcodes for the object kinds a torch checkpoint holds, and the storages to store."""

    def __init__(self) -> None:
        self.out = bytearray(b"\x80\x02")
        self.memo: dict[int, int] = {}
        self.keep: list = []  # memoized objects stay alive, so their ids stay unique
        self.storages: dict[int, tuple[str, Any]] = {}  # id(storage array) -> (key, flat array)
        self.active: set[int] = set()

    def memoize(self, obj) -> None:
        index = len(self.memo)
        self.memo[id(obj)] = index
        self.keep.append(obj)
        self.out += b"q" + bytes([index]) if index < 256 else b"r" + struct.pack("<I", index)

    def fetch(self, obj) -> bool:
        index = self.memo.get(id(obj))
        if index is None:
            return False
        self.out += b"h" + bytes([index]) if index < 256 else b"j" + struct.pack("<I", index)
        return True

    def glob(self, module: str, name: str) -> None:
        self.out += b"c" + module.encode() + b"\n" + name.encode() + b"\n"

    def integer(self, v: int) -> None:
        if 0 <= v < 256:
            self.out += b"K" + bytes([v])
        elif 0 <= v < 65536:
            self.out += b"M" + struct.pack("<H", v)
        elif -(2**31) <= v < 2**31:
            self.out += b"J" + struct.pack("<i", v)
        else:
            raw = v.to_bytes(v.bit_length() // 8 + 1, "little", signed=True)
            self.out += (b"\x8a" + bytes([len(raw)]) if len(raw) < 256 else b"\x8b" + struct.pack("<I", len(raw))) + raw

    def text(self, s: str) -> None:
        raw = s.encode("utf-8", "surrogatepass")
        self.out += b"X" + struct.pack("<I", len(raw)) + raw

    def tuple_of(self, items, path: str, depth: int) -> None:
        if not items:
            self.out += b")"
            return
        if len(items) > 3:
            self.out += b"("
        for v in items:
            self.value(v, path, depth + 1)
        self.out += {1: b"\x85", 2: b"\x86", 3: b"\x87"}.get(len(items), b"t")

    def empty_odict(self) -> None:
        self.glob("collections", "OrderedDict")
        self.out += b")R"

    def value(self, obj, path: str = "obj", depth: int = 0) -> None:
        if depth > 200:
            raise KittyValueError(f"kittygrad.save: the object is nested more than 200 levels deep (at {path})")
        t = type(obj)
        if obj is None:
            self.out += b"N"
        elif t is bool:
            self.out += b"\x88" if obj else b"\x89"
        elif t is int:
            self.integer(obj)
        elif t is float:
            self.out += b"G" + struct.pack(">d", obj)
        elif t is str:
            self.text(obj)
        elif t is bytes:
            self.glob("_codecs", "encode")
            self.text(obj.decode("latin1"))
            self.text("latin1")
            self.out += b"\x86R"
        elif isinstance(obj, Tensor):
            self.tensor(obj)
        elif isinstance(obj, D.dtype):
            if obj.name not in TORCH_DTYPES:
                raise KittyTypeError(f"kittygrad.save cannot write dtype {obj} in torch's format")
            self.glob("torch", obj.name)
        elif t is Size:
            self.glob("torch", "Size")
            self.tuple_of(tuple(int(d) for d in obj), path, depth)
            self.out += b"\x85R"
        elif t in (list, tuple, dict, collections.OrderedDict, set):
            self.container(obj, path, depth)
        else:
            raise KittyTypeError(
                f"kittygrad.save(format='torch') cannot store an object of type {t.__module__}.{t.__qualname__} "
                f"(at {path}); it stores tensors, dtypes, sizes, None, bool, int, float, str, bytes and lists, "
                "tuples, sets and dicts of these (what torch.load(weights_only=True) accepts)"
            )

    def container(self, obj, path: str, depth: int) -> None:
        key = id(obj)
        if key in self.active:
            raise KittyValueError(f"kittygrad.save: the object contains a reference cycle (at {path})")
        self.active.add(key)
        try:
            t = type(obj)
            if t is tuple:
                self.tuple_of(obj, path, depth)
            elif t is set:
                self.glob("__builtin__", "set")
                self.out += b"]("
                for v in obj:
                    self.value(v, path, depth + 1)
                self.out += b"e\x85R"
            elif t is list:
                self.out += b"]"
                if obj:
                    self.out += b"("
                    for i, v in enumerate(obj):
                        self.value(v, f"{path}[{i}]", depth + 1)
                    self.out += b"e"
            else:
                if t is dict:
                    self.out += b"}"
                else:
                    self.empty_odict()
                if obj:
                    self.out += b"("
                    for k, v in obj.items():
                        self.value(k, path, depth + 1)
                        self.value(v, f"{path}[{k!r}]", depth + 1)
                    self.out += b"u"
                meta = getattr(obj, "_metadata", None) if t is not dict else None
                if isinstance(meta, dict):
                    self.out += b"}"
                    self.text("_metadata")
                    self.value(meta, f"{path}._metadata", depth + 1)
                    self.out += b"sb"  # SETITEM, then BUILD: the OrderedDict gets its _metadata back
        finally:
            self.active.discard(key)

    def tensor(self, t: Tensor) -> None:
        if self.fetch(t):
            return
        arr = t._data
        dname = D.from_numpy_dtype(arr.dtype.newbyteorder("=") if not arr.dtype.isnative else arr.dtype).name
        key, numel, offset, stride = self.storage_of(arr)
        parameter = isinstance(t, Parameter)
        if parameter:
            self.glob("torch._utils", "_rebuild_parameter")
        self.glob("torch._utils", "_rebuild_tensor_v2")
        self.out += b"(("
        self.text("storage")
        self.glob("torch", STORAGE_OF[dname])
        self.text(key)
        self.text("cpu")
        self.integer(numel)
        self.out += b"tQ"
        self.integer(offset)
        self.tuple_of(tuple(arr.shape), "size", 0)
        self.tuple_of(stride, "stride", 0)
        self.out += b"\x89" if parameter or not t._requires_grad else b"\x88"
        self.empty_odict()
        self.out += b"tR"
        if parameter:
            self.out += b"\x88" if t._requires_grad else b"\x89"
            self.empty_odict()
            self.out += b"\x87R"
        self.memoize(t)

    def storage_of(self, arr) -> tuple[str, int, int, tuple]:
        """The storage holding ``arr`` (its base array when that keeps views as views, else a
        contiguous copy) and ``arr``'s element offset and strides in it."""
        found = view_in_base(arr)
        if found is None:
            # (NumPy's array, not astype: a meta tensor's stand-in then says it has no data)
            root = B.xp.array(arr, dtype=arr.dtype.newbyteorder("="), order="C", copy=True)
            offset, strides = 0, tuple(s // arr.itemsize for s in root.strides)
        else:
            root, offset, strides = found
        known = self.storages.get(id(root))
        if known is None:
            known = self.storages[id(root)] = (str(len(self.storages)), root.reshape(-1))
            self.keep.append(root)
        return known[0], root.size, offset, strides


def view_in_base(arr):
    """``(root, element offset, element strides)`` placing ``arr`` in the array that owns its memory,
    as a storage holds a tensor; None where a storage cannot (another dtype or byte order than the
    owner's, an owner not in C order, a negative or misaligned stride or offset, no memory at all).

    >>> import numpy as np
    >>> base = np.arange(6.0); root, offset, strides = view_in_base(base[1:].reshape(5, 1)[::2])
    >>> root is base, offset, strides
    (True, 1, (2, 1))
    """
    if not isinstance(arr, B.ndarray):  # (a meta tensor's stand-in: it has no memory to place)
        return None
    item = arr.itemsize
    root = arr
    while B.is_array(root.base):
        root = root.base
    if not (arr.dtype.isnative and root.dtype == arr.dtype and root.flags.c_contiguous
            and all(s >= 0 and s % item == 0 for s in arr.strides)):
        return None
    offset = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    if offset % item or offset < 0:
        return None
    return root, offset // item, tuple(s // item for s in arr.strides)


def save_torch(obj: Any, f: IO[bytes], name: str = "archive") -> None:
    """Write ``obj`` to the binary file object ``f`` as a ``torch.save`` zip archive.

    >>> import io, zipfile, kittygrad as kitty
    >>> buf = io.BytesIO(); save_torch({"w": kitty.ones(2)}, buf)
    >>> sorted(zipfile.ZipFile(buf).namelist())[:3]
    ['archive/.format_version', 'archive/.storage_alignment', 'archive/byteorder']
    """
    writer = _PickleWriter()
    writer.value(obj)
    writer.out += b"."
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        _put(zf, f"{name}/data.pkl", bytes(writer.out))
        _put(zf, f"{name}/.format_version", b"1")
        _put(zf, f"{name}/.storage_alignment", b"64")
        _put(zf, f"{name}/byteorder", b"little")
        for key, flat in writer.storages.values():
            _put(zf, f"{name}/data/{key}", flat.view(B.NP_DTYPES["uint8"]) if flat.size else b"", align=64)
        _put(zf, f"{name}/version", b"3\n")


def _put(zf: zipfile.ZipFile, name: str, data, align: int = 0) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    nbytes = len(data) if isinstance(data, bytes) else data.nbytes
    if align:  # pad the local header with an extra field so the data starts at a multiple of `align`
        here = zf.fp.tell() + 30 + len(name.encode()) + 4
        pad = -here % align
        info.extra = struct.pack("<HH", 0x4B47, pad) + bytes(pad)
    info.file_size = nbytes
    with zf.open(info, "w", force_zip64=nbytes >= 2**31 - 1) as out:
        out.write(data)
