"""kittygrad's dtypes and PyTorch's type-promotion rules."""
from __future__ import annotations

import math as _math
import warnings as _warnings

from . import _display
from . import backend as B
from .errors import KittyRuntimeError, KittyTypeError

_CATEGORY_BOOL, _CATEGORY_INT, _CATEGORY_FLOAT = 0, 1, 2


class dtype(metaclass=_display.PublicType):  # noqa: N801 - torch's name
    """A tensor element type, as ``torch.dtype`` (``kitty.float32``, ``kitty.int64``, ...).

    >>> import kittygrad as kitty
    >>> type(kitty.float32)
    <class 'kittygrad.dtype'>
    """

    _public_name = "dtype"

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name: str) -> None:
        self.name = name
        self.np = B.NP_DTYPES[name]
        self.is_floating_point = name.startswith("float") or name == "bfloat16"
        self.is_signed = name != "uint8" and name != "bool"
        self.itemsize = self.np.itemsize
        self._category = (
            _CATEGORY_FLOAT if self.is_floating_point else _CATEGORY_BOOL if name == "bool" else _CATEGORY_INT
        )

    @property
    def is_complex(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"{_display.name}.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


float16 = half = dtype("float16")
bfloat16 = dtype("bfloat16")  # NumPy's bfloat16 comes from ml_dtypes (see backend.py)
float32 = float = dtype("float32")  # noqa: A001 - torch's alias
float64 = double = dtype("float64")
int8 = dtype("int8")
int16 = short = dtype("int16")
int32 = int = dtype("int32")  # noqa: A001 - torch's alias
int64 = long = dtype("int64")
uint8 = dtype("uint8")
bool = dtype("bool")  # noqa: A001 - torch's name



class _ComplexDtype(dtype):
    """torch's complex dtypes, which kittygrad does not have: the names exist (so a script may test
    ``x.dtype in (torch.complex64, torch.complex128)``), and making a tensor of one is a clear error."""

    __slots__ = ()

    def __init__(self, name: str, itemsize: builtins_int) -> None:
        self.name, self.np, self.itemsize = name, None, itemsize
        self.is_floating_point, self.is_signed, self._category = False, True, 3

    @property
    def is_complex(self) -> builtins_bool:
        return True


complex32 = chalf = _ComplexDtype("complex32", 4)
complex64 = cfloat = _ComplexDtype("complex64", 8)
complex128 = cdouble = _ComplexDtype("complex128", 16)

ALL = (float16, bfloat16, float32, float64, int8, int16, int32, int64, uint8, bool)
_BY_NAME = {d.name: d for d in ALL}
_BY_NP = {d.np: d for d in ALL}

_default_float = float32


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def get_default_dtype() -> dtype:
    """The dtype of float tensors created from Python floats (``float32`` unless changed)."""
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Set the default float dtype (``float32``, ``float64``, ``float16`` or ``bfloat16``), as torch.

    >>> import kittygrad as kitty
    >>> kitty.set_default_dtype(kitty.bfloat16)
    >>> kitty.tensor([1.5]).dtype
    kittygrad.bfloat16
    >>> kitty.set_default_dtype(kitty.float32)
    """
    global _default_float
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise KittyTypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def from_numpy_dtype(np_dtype) -> dtype:
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        raise KittyTypeError(
            f"can't convert an array of type {np_dtype}; the supported types are: "
            "float64, float32, float16, bfloat16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(d) -> dtype:
    """Accept a kittygrad dtype, a NumPy dtype/type, or a Python type (float, int, bool)."""
    if isinstance(d, dtype):
        if d.np is None:
            raise KittyTypeError(f"{_display.name}.{d.name}: kittygrad has no complex dtypes (NumPy float and "
                                 "integer tensors only)")
        return d
    if d is builtins_float:
        return float64  # torch reads Python's float as double, whatever the default dtype
    if d is builtins_int:
        return int64
    if d is builtins_bool:
        return bool
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        return from_numpy_dtype(B.xp.dtype(d))
    except (TypeError, KittyTypeError):
        raise KittyTypeError(f"expected a kittygrad dtype such as kitty.float32, got {d!r}") from None


import builtins as _builtins  # noqa: E402

builtins_float, builtins_int, builtins_bool = _builtins.float, _builtins.int, _builtins.bool


def scalar_dtype(value) -> dtype:
    """The dtype torch gives a Python scalar: bool → bool, int → int64, float → default float (a NumPy
    scalar counts as the Python number it holds, as torch reads it)."""
    if B.is_array_like_scalar(value):
        value = value.item()
    if isinstance(value, builtins_bool):
        return bool
    if isinstance(value, builtins_int):
        return int64
    if isinstance(value, builtins_float):
        return _default_float
    if isinstance(value, complex):
        raise KittyTypeError("complex numbers are not supported by kittygrad")
    raise KittyTypeError(f"expected a number, got {type(value).__name__}")


def promote(a: dtype, b: dtype) -> dtype:
    """Promote two dtypes of the same priority (torch.promote_types)."""
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    return _BY_NP[B.promote_types(a.np, b.np)]


promote_types = promote


def result_type(*operands) -> dtype:
    """torch.result_type for tensors and Python scalars.

    Dimensioned tensors set the type; zero-dim tensors and then Python scalars count only when
    they are of a higher category (bool < int < float), as in PyTorch.
    """
    dim_t = zero_t = scal = None
    for op in operands:
        if isinstance(getattr(op, "dtype", None), dtype):  # a Tensor (this module sits below tensor.py)
            d = op.dtype
            if op.ndim:
                dim_t = d if dim_t is None else promote(dim_t, d)
            else:
                zero_t = d if zero_t is None else promote(zero_t, d)
        else:
            d = scalar_dtype(op)
            scal = d if scal is None else promote(scal, d)
    result = dim_t
    for lower in (zero_t, scal):
        if lower is None:
            continue
        if result is None:
            result = lower
        elif lower._category > result._category:
            # a scalar of a higher category gives that category's default (float32 / int64)
            result = lower if lower is not scal else (_default_float if lower._category == _CATEGORY_FLOAT else lower)
    return result


# ---- finfo / iinfo (torch.finfo, torch.iinfo) --------------------------------------------------

#: IEEE layout of each floating dtype: (exponent bits, mantissa bits)
_FLOAT_LAYOUT = {"float16": (5, 10), "bfloat16": (8, 7), "float32": (8, 23), "float64": (11, 52)}


class finfo(metaclass=_display.PublicType):  # noqa: N801 - torch's name
    """Machine limits of a floating dtype, as ``torch.finfo`` (the default dtype when none is given).

    >>> import kittygrad as kitty
    >>> kitty.finfo(kitty.float16)
    finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)
    >>> kitty.finfo().eps
    1.1920928955078125e-07
    """

    _public_name = "finfo"

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type=None) -> None:  # noqa: A002 - torch's argument name
        if type is None:
            type = _default_float  # noqa: A001
        elif type is builtins_float:
            type = float64  # noqa: A001 - torch reads Python's float as double here
        elif not isinstance(type, dtype):
            raise KittyTypeError(
                f"finfo(): argument 'type' (position 1) must be kittygrad.dtype, not {_builtins.type(type).__name__}"
            )
        if type.name not in _FLOAT_LAYOUT:
            raise KittyTypeError(
                "kittygrad.finfo() requires a floating point input type. Use kittygrad.iinfo to handle 'kittygrad.finfo'"
            )
        exp_bits, mant_bits = _FLOAT_LAYOUT[type.name]
        self.bits = type.itemsize * 8
        self.eps = 2.0 ** -mant_bits
        self.max = (2.0 - 2.0 ** -mant_bits) * 2.0 ** (2 ** (exp_bits - 1) - 1)
        self.min = -self.max
        self.tiny = self.smallest_normal = 2.0 ** (2 - 2 ** (exp_bits - 1))
        self.resolution = 10.0 ** -_math.floor(-_math.log10(self.eps))
        self.dtype = type.name

    def __eq__(self, other) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    __hash__ = None  # unhashable, as torch's

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )

    __str__ = __repr__


class iinfo(metaclass=_display.PublicType):  # noqa: N801 - torch's name
    """Machine limits of an integer dtype, as ``torch.iinfo``.

    >>> import kittygrad as kitty
    >>> kitty.iinfo(kitty.uint8)
    iinfo(min=0, max=255, dtype=uint8)
    >>> kitty.iinfo(kitty.int64).max
    9223372036854775807
    """

    _public_name = "iinfo"

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type) -> None:  # noqa: A002 - torch's argument name
        if type is builtins_int:
            type = int64  # noqa: A001
        elif not isinstance(type, dtype):
            raise KittyTypeError(
                f"iinfo(): argument 'type' (position 1) must be kittygrad.dtype, not {_builtins.type(type).__name__}"
            )
        if type is bool:
            raise KittyTypeError("kittygrad.bool is not supported by kittygrad.iinfo")
        if type.is_floating_point:
            raise KittyTypeError(
                "kittygrad.iinfo() requires an integer input type. Use kittygrad.finfo to handle 'kittygrad.iinfo'"
            )
        self.bits = type.itemsize * 8
        if type.is_signed:
            self.min, self.max = -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        else:
            self.min, self.max = 0, 2 ** self.bits - 1
        self.dtype = type.name

    def __eq__(self, other) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    __hash__ = None

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"

    __str__ = __repr__



_LEGACY_TYPE_NAMES = {
    "HalfTensor": "float16", "BFloat16Tensor": "bfloat16", "FloatTensor": "float32", "DoubleTensor": "float64",
    "ByteTensor": "uint8", "CharTensor": "int8", "ShortTensor": "int16", "IntTensor": "int32", "LongTensor": "int64",
    "BoolTensor": "bool",
}


def legacy_type_name(dt) -> str:
    """torch's legacy name of a dtype's tensor type, as its error messages print it (``torch.FloatTensor``)."""
    name = next(k for k, v in _LEGACY_TYPE_NAMES.items() if v == dt.name)
    return f"{_display.name}.{name}"


def set_default_tensor_type(t) -> None:
    """Legacy ``torch.set_default_tensor_type``: set the default float dtype from a tensor type's name.

    Takes the name (``"torch.DoubleTensor"`` or ``"kittygrad.DoubleTensor"``); warns that it is
    deprecated, as torch. kittygrad's legacy classes (``kitty.DoubleTensor``, ...) are all
    ``kitty.Tensor``, so the class form cannot say which dtype is meant and is refused.

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kitty.set_default_tensor_type("torch.DoubleTensor")
    >>> kitty.get_default_dtype()
    kittygrad.float64
    >>> kitty.set_default_dtype(kitty.float32)
    """
    _warnings.warn(
        "kittygrad.set_default_tensor_type() is deprecated as in PyTorch 2.1, please use "
        "kittygrad.set_default_dtype() and kittygrad.set_default_device() as alternatives.",
        UserWarning, stacklevel=2,
    )
    if not isinstance(t, str):
        raise KittyTypeError(
            f"set_default_tensor_type() needs the type's name, such as 'torch.DoubleTensor', got {t!r}: "
            "kittygrad's legacy tensor classes are all kittygrad.Tensor. Or use kittygrad.set_default_dtype()."
        )
    module, _, name = t.rpartition(".")
    if module not in ("torch", "kittygrad") or name not in _LEGACY_TYPE_NAMES or _LEGACY_TYPE_NAMES[name] not in _BY_NAME:
        raise KittyTypeError(f"invalid type: '{t}'")
    d = _BY_NAME[_LEGACY_TYPE_NAMES[name]]
    if not d.is_floating_point:
        raise KittyTypeError("only floating-point types are supported as the default type")
    set_default_dtype(d)


def wrap_int(value, np_dtype):
    """``value`` wrapped into the integer dtype's range, two's complement, as torch converts a Python
    int for an integer tensor's arithmetic and fills (``uint8 - 1`` is 255).

    >>> import numpy as np
    >>> wrap_int(-1, np.dtype("uint8")), wrap_int(200, np.dtype("int8")), wrap_int(7, np.dtype("int16"))
    (255, -56, 7)
    """
    bits = 8 * np_dtype.itemsize
    wrapped = value & ((1 << bits) - 1)
    if np_dtype.kind == "i" and wrapped >= 1 << (bits - 1):
        wrapped -= 1 << bits
    return wrapped


def typed_scalar(value, np_dtype):
    """``value`` as a NumPy scalar of ``np_dtype`` for arithmetic: a Python int wraps into an integer
    dtype's range, as torch's arithmetic does (``uint8 tensor - 1`` wraps to 255 where it was 0).

    >>> import numpy as np
    >>> typed_scalar(-1, np.dtype("uint8")).item()
    255
    """
    if type(value) is _builtins.int and np_dtype.kind in "iu":  # (this module's ``int`` is torch's int32)
        return np_dtype.type(wrap_int(value, np_dtype))
    return np_dtype.type(value)


def fill_scalar(value, np_dtype):
    """``value`` as a NumPy scalar of ``np_dtype`` for a fill (``full``, ``fill_``, ``masked_fill``,
    ``x[i] = v``), by torch's rule: for an integer dtype, an int above its maximum, or below a signed
    one's minimum, or a float inf or nan, is an error; a negative int for an unsigned dtype wraps
    (``full((1,), -1, dtype=uint8)`` holds 255).

    >>> import numpy as np
    >>> fill_scalar(-1, np.dtype("uint8")).item()
    255
    """
    if np_dtype.kind in "iu":
        info = B.xp.iinfo(np_dtype)
        if type(value) is _builtins.int:
            fits = value <= info.max and (np_dtype.kind == "u" or value >= info.min)
        elif isinstance(value, _builtins.float):
            # (a float is compared as it is, exactly: 255.5 or -0.5 does not fit uint8, in torch)
            fits = info.min <= value <= info.max  # (False for nan)
        else:
            fits = True
        if not fits:
            c_name = "int" if np_dtype.name == "int32" else f"{np_dtype.name}_t"  # (torch's words)
            raise KittyRuntimeError(f"value cannot be converted to type {c_name} without overflow")
    return typed_scalar(value, np_dtype)
