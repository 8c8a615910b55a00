"""Devices as PyTorch scripts use them: ``kittygrad.device``, the default device, memory formats.

kittygrad runs on the CPU. Every device type torch knows constructs as an object (scripts build,
print and compare them), but asking for data on anything but the CPU raises one error,
:func:`unavailable`'s, that says no GPU backend is installed. The ``meta`` device (tensors without
data, for shape propagation) is refused with its own clear error. Every factory, ``Tensor.to`` and
the ``Tensor`` constructor check their ``device=`` through :func:`check_device`.

>>> import kittygrad as kitty
>>> kitty.device("cpu", 0)
device(type='cpu', index=0)
>>> kitty.zeros(2, device=kitty.device("cpu")).device
device(type='cpu')
"""
from __future__ import annotations

import builtins
import re

from . import _display
from . import backend as B
from . import dtypes as D
from .errors import KittyRuntimeError, KittyTypeError

#: the device types torch accepts in a device string, in the order its error message lists them
DEVICE_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
    "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)
_DEVICE_STRING = re.compile(r"([a-zA-Z_]+)(?::([1-9][0-9]*|0))?")
_MAX_INDEX = 2**31 - 1  # what a device string's index may hold (torch parses it as a C int)
_CPU_HINT = "kittygrad runs on the CPU (use device='cpu')"
_DEVICE_SIGNATURES = " * (kittygrad.device device)\n{note} * (str type, int index = -1)\n"


def unavailable(device_text: str, needed_by: str | None = None) -> KittyRuntimeError:
    """The one error for data asked on a device kittygrad has no backend for (CUDA, MPS, XPU, ...).

    >>> str(unavailable("device 'cuda'"))
    "kittygrad has no GPU backend installed: device 'cuda' is not available; kittygrad runs on the CPU (use device='cpu')"
    """
    by = f" ({needed_by} needs it)" if needed_by else ""
    return KittyRuntimeError(f"kittygrad has no GPU backend installed: {device_text} is not available{by}; {_CPU_HINT}")


def _meta_refused(text: str) -> KittyRuntimeError:
    return KittyRuntimeError(
        f"kittygrad does not support the meta device ('{text}') here: tensors without data, for shape propagation "
        "without allocating memory, are not implemented (a module or tensor moved with .to('meta') keeps its "
        f"shapes as a skeleton for func.functional_call, and computes nothing); {_CPU_HINT}"
    )


def _type_name(value) -> str:
    if isinstance(value, device):
        return f"{_display.name}.device"
    if isinstance(value, D.dtype):
        return f"{_display.name}.dtype"
    if isinstance(value, memory_format):
        return f"{_display.name}.memory_format"
    return type(value).__name__


def _is_int(value) -> bool:
    return isinstance(value, int) and type(value) is not bool  # bool is an int subclass, but no index


def _invalid_device_args(args, kwargs, note: str = "") -> KittyTypeError:
    got = ", ".join([_type_name(a) for a in args] + [f"{k}={_type_name(v)}" for k, v in kwargs.items()])
    return KittyTypeError(
        f"device() received an invalid combination of arguments - got ({got}), but expected one of:\n"
        + _DEVICE_SIGNATURES.format(note=note)
    )


def _parse_string(text: str) -> tuple[str, int | None]:
    if not text:
        raise KittyRuntimeError("Device string must not be empty")
    match = _DEVICE_STRING.fullmatch(text)
    if match is None:
        raise KittyRuntimeError(f"Invalid device string: '{text}'")
    kind, index = match.group(1), match.group(2)
    if kind not in DEVICE_TYPES:
        raise KittyRuntimeError(
            f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device string: {kind}"
        )
    if index is None:
        return kind, None
    if int(index) > _MAX_INDEX:
        raise KittyRuntimeError(f"Could not parse device index '{index}' in device string '{text}'")
    return kind, int(index)


class device(metaclass=_display.PublicType):
    """Where a tensor lives, as torch's ``torch.device``: a type (``'cpu'``, ``'cuda'``, ...) and an optional index.

    Forms: ``device("cpu")``, ``device("cpu:0")``, ``device("cpu", 0)``, ``device(other)``,
    ``device(type="cpu", index=0)``. Devices compare equal when type and index both match (so
    ``device("cpu") != device("cpu:0")``, as in torch), hash, pickle, and work as a context manager
    that sets the default device of the factories. Only the CPU holds data in kittygrad.

    >>> import kittygrad as kitty
    >>> d = kitty.device("cpu:0"); (d.type, d.index, str(d))
    ('cpu', 0, 'cpu:0')
    >>> kitty.device("cpu") == kitty.device("cpu:0")
    False
    """

    __slots__ = ("_type", "_index")
    _public_name = "device"

    def __init__(self, *args, **kwargs) -> None:
        for key in kwargs:
            if key not in ("type", "index", "device") or (key == "device" and (args or len(kwargs) > 1)):
                raise KittyTypeError(f"device() got an unexpected keyword argument '{key}'")
        if "device" in kwargs:
            args, kwargs = (kwargs["device"],), {}
        if not args and not kwargs or len(args) > 2 or (args and "type" in kwargs) or (len(args) == 2 and "index" in kwargs):
            raise _invalid_device_args(args, kwargs)
        if len(args) == 1 and not kwargs:
            self._type, self._index = self._from_one(args[0])
            return
        if "type" not in kwargs and not args:
            raise _invalid_device_args(args, kwargs)
        kind = args[0] if args else kwargs["type"]
        index = args[1] if len(args) == 2 else kwargs.get("index")
        if not isinstance(kind, str):
            raise KittyTypeError(f"device(): argument 'type' (position 1) must be str, not {_type_name(kind)}")
        if index is not None and not _is_int(index):
            raise KittyTypeError(f"device(): argument 'index' (position 2) must be int, not {_type_name(index)}")
        kind_only, string_index = _parse_string(kind)
        if string_index is not None:  # torch counts a keyword ``type=`` as an explicit index too
            raise KittyRuntimeError(
                f"type (string) must not include an index because index was passed explicitly: {kind}"
            )
        if index is not None and index < 0:
            raise KittyRuntimeError("Device index must not be negative")
        self._type, self._index = kind_only, index

    @staticmethod
    def _from_one(value) -> tuple[str, int | None]:
        if isinstance(value, device):
            return value._type, value._index
        if isinstance(value, str):
            return _parse_string(value)
        if _is_int(value):
            if value < 0:
                raise KittyRuntimeError("Device index must not be negative")
            raise unavailable(f"accelerator device {value}")
        raise _invalid_device_args(
            (value,), {}, f"      didn't match because some of the arguments have invalid types: (!{_type_name(value)}!)\n"
        )

    @property
    def type(self) -> str:
        """The device type, e.g. ``'cpu'``."""
        return self._type

    @property
    def index(self) -> int | None:
        """The device index, or None when the device names no index."""
        return self._index

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self) -> str:
        index = "" if self._index is None else f", index={self._index}"
        return f"device(type='{self._type}'{index})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self) -> device:
        check_device(self)
        _entered.append(_default[0])
        _default[0] = self
        return self

    def __exit__(self, *exc) -> None:
        _default[0] = _entered.pop()


device.__module__ = "kittygrad"

CPU = device("cpu")  # what every kittygrad tensor reports as its ``.device``
B.cpu_device = CPU  # (and every Generator)
META = device("meta")  # what a tensor without data (Module.to("meta")) reports


def asks_for_meta(args: tuple, kwargs: dict) -> bool:
    """Does a ``to(...)`` call name the meta device (positionally first, or as ``device=``)?

    >>> asks_for_meta(("meta",), {}), asks_for_meta((), {"device": "cpu"})
    (True, False)
    """
    dev = kwargs.get("device", args[0] if args else None)
    return (isinstance(dev, str) and dev.split(":")[0] == "meta") or (isinstance(dev, device) and dev.type == "meta")


_default: list[device | None] = [None]  # set_default_device's device (None: the CPU)
_entered: list[device | None] = []  # the defaults that ``with device(...)`` blocks replaced


def check_device(value, fn: str | None = None) -> device | None:
    """``value`` (None, a string, an index or a device) as a CPU device; any other device raises.

    None stays None (the default device). A CUDA/MPS/... device raises :func:`unavailable`'s
    error, ``'meta'`` a clear refusal, a malformed string torch's RuntimeError, another type a
    TypeError naming ``fn``.

    >>> check_device("cpu:0")
    device(type='cpu', index=0)
    """
    if value is None:
        return None
    if isinstance(value, (str, device)) or _is_int(value):
        dev = value if isinstance(value, device) else device(value)
    else:
        where = f"{fn}(): " if fn else ""
        raise KittyTypeError(f"{where}argument 'device' must be kittygrad.device, not {_type_name(value)}")
    if dev._type == "cpu":
        return dev
    if dev._type == "meta":
        raise _meta_refused(str(dev))
    raise unavailable(f"device '{dev}'")


def get_default_device() -> device:
    """The device factories use when given none: the CPU unless ``set_default_device`` or a
    ``with kitty.device(...)`` block chose another CPU device.

    >>> import kittygrad as kitty
    >>> kitty.get_default_device()
    device(type='cpu')
    """
    return CPU if _default[0] is None else _default[0]


def set_default_device(device) -> None:
    """Set the default device of the factories (None resets it to the CPU); a GPU device raises.

    >>> import kittygrad as kitty
    >>> kitty.set_default_device("cpu"); kitty.get_default_device()
    device(type='cpu')
    >>> kitty.set_default_device(None)
    """
    _default[0] = check_device(device, "set_default_device")


def accelerator_copy(kind: str):
    """``Tensor.cuda``/``xpu``/...: the copy to an accelerator kittygrad has no backend for, refused."""

    def method(self, device=None, non_blocking: bool = False, memory_format=None):
        if device is None:
            index = None
        else:
            index = device if _is_int(device) else check_device_type(device).index
        raise unavailable(f"device '{kind}'" if index is None else f"device '{kind}:{index}'")

    method.__name__ = kind
    method.__doc__ = (
        f"A copy in {kind.upper()} memory: refused, kittygrad has no GPU backend installed (it runs on the CPU).\n\n"
        f"        >>> import kittygrad as kitty\n"
        f"        >>> kitty.zeros(1).{kind}()  # doctest: +IGNORE_EXCEPTION_DETAIL\n"
        f"        Traceback (most recent call last):\n"
        f"        kittygrad.errors.KittyRuntimeError: kittygrad has no GPU backend installed: ...\n"
    )
    return method


def check_device_type(value) -> device:
    """``value`` (a string or device) parsed as a device, without asking whether it can hold data.

    >>> check_device_type("cuda:1")
    device(type='cuda', index=1)
    """
    return value if isinstance(value, device) else device(value)


# ---- memory formats and layouts -------------------------------------------------------------
class _NamedConstant(metaclass=_display.PublicType):
    """A constant torch exposes as an instance (``kittygrad.channels_last``, ``kittygrad.strided``):
    printed with the package's name, pickled by that name, and never built by user code."""

    __slots__ = ("_name",)

    def __new__(cls, *args, **kwargs):
        raise KittyTypeError(f"cannot create 'kittygrad.{cls.__name__}' instances")

    @classmethod
    def _make(cls, name: str):
        obj = object.__new__(cls)
        obj._name = name
        return obj

    def __repr__(self) -> str:
        return f"{_display.name}.{self._name}"

    def __reduce__(self) -> str:
        return self._name


class memory_format(_NamedConstant):
    """A memory layout for ``to``/``clone``/``empty``: ``preserve_format``, ``contiguous_format``,
    ``channels_last`` (NHWC strides for 4-d tensors), ``channels_last_3d`` (5-d).

    >>> import kittygrad as kitty
    >>> kitty.channels_last
    kittygrad.channels_last
    """

    __slots__ = ()
    _public_name = "memory_format"


class layout(_NamedConstant):
    """How a tensor's elements are stored: ``strided`` (dense, the only layout kittygrad has);
    ``sparse_coo``/``sparse_csr`` exist so code can compare against them (``x.layout == kitty.strided``).

    >>> import kittygrad as kitty
    >>> kitty.ones(2).layout
    kittygrad.strided
    """

    __slots__ = ()
    _public_name = "layout"


memory_format.__module__ = layout.__module__ = "kittygrad"

preserve_format = memory_format._make("preserve_format")
contiguous_format = memory_format._make("contiguous_format")
channels_last = memory_format._make("channels_last")
channels_last_3d = memory_format._make("channels_last_3d")
_CHANNELS_LAST = {channels_last: (4, (0, 2, 3, 1)), channels_last_3d: (5, (0, 2, 3, 4, 1))}

strided = layout._make("strided")
sparse_coo = layout._make("sparse_coo")
sparse_csr = layout._make("sparse_csr")


def is_in_memory_format(arr, fmt: memory_format) -> bool:
    """Whether ``arr`` is laid out as ``fmt`` asks (``contiguous_format``: C order; ``channels_last``:
    NHWC strides for a 4-d array, and so on), as ``Tensor.is_contiguous(memory_format=...)`` asks."""
    if fmt is contiguous_format or fmt is preserve_format:
        return bool(arr.flags.c_contiguous)
    rank, perm = _CHANNELS_LAST[fmt]
    return arr.ndim == rank and bool(arr.transpose(perm).flags.c_contiguous)


def suggest_memory_format(arr) -> memory_format:
    """``channels_last``(``_3d``) for a 4-d (5-d) array laid out channels-last, else ``contiguous_format``."""
    if arr.flags.c_contiguous:
        return contiguous_format
    for fmt, (rank, perm) in _CHANNELS_LAST.items():
        if arr.ndim == rank and arr.transpose(perm).flags.c_contiguous:
            return fmt
    return contiguous_format


def keep_channels_last(out, *sources):
    """``out`` (an op's fresh result Tensor) relaid channels-last when one of ``sources`` (Tensors,
    or None) is laid out so and has ``out``'s rank, as torch's convolution, pooling and resampling
    kernels keep that layout (a later ``view`` then fails as it does there)."""
    if type(out._data) is not B.xp.ndarray:  # (a batched or meta array under vmap: no layout)
        return out
    for src in sources:
        if src is None or type(src._data) is not B.xp.ndarray or src._data.ndim != out._data.ndim:
            continue
        fmt = suggest_memory_format(src._data)
        if fmt is not contiguous_format:
            out._data = laid_out(out._data, fmt)  # (a fresh array nobody else holds)
            break
    return out


def laid_out(arr, fmt: memory_format | None):
    """``arr`` (a fresh copy) in the layout ``fmt`` asks for; ``preserve_format`` keeps its strides."""
    if fmt is None or fmt is preserve_format:
        return arr
    rank, perm = _CHANNELS_LAST.get(fmt, (arr.ndim, None))
    if arr.ndim != rank:
        raise KittyRuntimeError(f"required rank {rank} tensor to use {fmt._name} format")
    if type(arr) is not B.xp.ndarray:  # vmap's logical arrays and meta arrays have no layout
        return arr
    if fmt is contiguous_format:
        return arr if arr.flags.c_contiguous else arr.copy(order="C")
    if arr.transpose(perm).flags.c_contiguous:
        return arr
    inverse = tuple(perm.index(i) for i in range(rank))
    return arr.transpose(perm).copy(order="C").transpose(inverse)


# ---- Tensor.to's arguments -------------------------------------------------------------------
_TO_SIGNATURES = (
    " * (kittygrad.device device = None, kittygrad.dtype dtype = None, bool non_blocking = False, bool copy = False, "
    "*, kittygrad.memory_format memory_format = None)\n"
    " * (kittygrad.dtype dtype, bool non_blocking = False, bool copy = False, "
    "*, kittygrad.memory_format memory_format = None)\n"
    " * (Tensor tensor, bool non_blocking = False, bool copy = False, "
    "*, kittygrad.memory_format memory_format = None)\n"
)
_PY_TYPES = {builtins.float: D.float64, builtins.int: D.int64, builtins.bool: D.bool}  # as torch: not the default


def _as_dtype(value):
    if isinstance(value, D.dtype):
        return value
    if not isinstance(value, type):
        return None
    return _PY_TYPES.get(value) or D.to_dtype(value)  # NumPy's scalar types too; complex raises a TypeError


def parse_to(args: tuple, kwargs: dict, tensor_type: type, name: str = "to"):
    """torch's three ``to`` overloads, parsed: ``(device, dtype, non_blocking, copy, memory_format)``.

    ``to(device=None, dtype=None, non_blocking=False, copy=False, *, memory_format=None)``,
    ``to(dtype, non_blocking=False, copy=False, *, memory_format=None)`` and
    ``to(tensor, non_blocking=False, copy=False, *, memory_format=None)``; a tensor gives its dtype.
    Unknown or mistyped arguments raise torch's TypeError; a device other than the CPU raises.

    >>> import kittygrad as kitty
    >>> parse_to(("cpu", kitty.float64), {}, kitty.Tensor)
    (device(type='cpu'), kittygrad.float64, False, False, None)
    """
    if len(args) > 4:
        raise KittyTypeError(f"{name}() takes from 0 to 4 positional arguments but {len(args)} were given")
    first = args[0] if args else None
    if args and _as_dtype(first) is not None:
        names = ("dtype", "non_blocking", "copy")
    elif isinstance(first, tensor_type) or (not args and "tensor" in kwargs):
        names = ("tensor", "non_blocking", "copy")
    else:
        names = ("device", "dtype", "non_blocking", "copy")
    bound = dict(zip(names, args))
    ok = len(args) <= len(names)
    for key, value in kwargs.items():
        ok = ok and (key == "memory_format" or (key in names and key not in bound))
        bound[key] = value
    dev, dtype, fmt = bound.get("device"), bound.get("dtype"), bound.get("memory_format")
    ok = (
        ok
        and (dev is None or isinstance(dev, (str, device)) or _is_int(dev))
        and (dtype is None or _as_dtype(dtype) is not None)
        and ("tensor" not in bound or isinstance(bound["tensor"], tensor_type))
        and all(type(bound.get(k, False)) is builtins.bool for k in ("non_blocking", "copy"))
        and (fmt is None or isinstance(fmt, memory_format))
    )
    if not ok:
        shown = [_type_name(a) if not isinstance(a, tensor_type) else "Tensor" for a in args]
        kw = [f"{k}={'Tensor' if isinstance(v, tensor_type) else _type_name(v)}" for k, v in kwargs.items()]
        got = ", ".join(shown) + "".join(f", {k}" for k in kw) if args else "".join(f"{k}, " for k in kw)
        raise KittyTypeError(
            f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n" + _TO_SIGNATURES
        )
    if "tensor" in bound:
        dtype = bound["tensor"].dtype
    return (check_device(dev), None if dtype is None else _as_dtype(dtype),
            bound.get("non_blocking", False), bound.get("copy", False), fmt)
