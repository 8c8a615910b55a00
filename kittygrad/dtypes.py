"""kittygrad's dtypes and PyTorch's type-promotion rules."""
from __future__ import annotations

from . import backend as B
from .errors import KittyTypeError

_CATEGORY_BOOL, _CATEGORY_INT, _CATEGORY_FLOAT = 0, 1, 2


class dtype:  # noqa: N801 - torch's name
    """A tensor element type, as ``torch.dtype`` (``kitty.float32``, ``kitty.int64``, ...)."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name: str) -> None:
        self.name = name
        self.np = B.NP_DTYPES[name]
        self.is_floating_point = name.startswith("float")
        self.is_signed = name != "uint8" and name != "bool"
        self.itemsize = self.np.itemsize
        self._category = (
            _CATEGORY_FLOAT if self.is_floating_point else _CATEGORY_BOOL if name == "bool" else _CATEGORY_INT
        )

    @property
    def is_complex(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"kittygrad.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


float16 = half = dtype("float16")
float32 = float = dtype("float32")  # noqa: A001 - torch's alias
float64 = double = dtype("float64")
int8 = dtype("int8")
int16 = short = dtype("int16")
int32 = int = dtype("int32")  # noqa: A001 - torch's alias
int64 = long = dtype("int64")
uint8 = dtype("uint8")
bool = dtype("bool")  # noqa: A001 - torch's name

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool)
_BY_NAME = {d.name: d for d in ALL}
_BY_NP = {d.np: d for d in ALL}

_default_float = float32


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def get_default_dtype() -> dtype:
    """The dtype of float tensors created from Python floats (``float32`` unless changed)."""
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Set the default float dtype (``kitty.float32`` or ``kitty.float64``), as torch."""
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
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(d) -> dtype:
    """Accept a kittygrad dtype, a NumPy dtype/type, or a Python type (float, int, bool)."""
    if isinstance(d, dtype):
        return d
    if d is builtins_float:
        return _default_float
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
    """The dtype torch gives a Python scalar: bool → bool, int → int64, float → default float."""
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
