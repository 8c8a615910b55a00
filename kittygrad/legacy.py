"""torch's legacy tensor API: the typed tensor classes (``FloatTensor``, ``LongTensor``, ...) with
their constructors and ``isinstance`` checks, ``range``, ``scalar_tensor`` and ``typename``
(``set_default_tensor_type`` lives in ``dtypes.py``)."""
from __future__ import annotations

import warnings

from . import _display
from . import backend as B
from . import creation
from . import dtypes as D
from .device import check_device
from .errors import KittyTypeError, user_stacklevel
from .size import Size
from .tensor import Tensor

_builtin_range = range


def _is_size(args) -> bool:
    if len(args) == 1 and isinstance(args[0], Size):
        return True
    return bool(args) and all(isinstance(a, int) and not isinstance(a, bool) for a in args)


def legacy_new(dtype: D.dtype, type_name: str, args, device=None) -> Tensor:
    """What ``torch.FloatTensor(*args)`` and ``t.new(*args)`` make: an empty 1-D tensor, an
    uninitialised one of the given sizes (zeros here), a tensor of the data, or (for a tensor or
    a NumPy array of the same dtype) an alias of it."""
    check_device(device, type_name)
    if not args:
        return creation.empty(0, dtype=dtype)
    if len(args) == 1 and isinstance(args[0], Tensor):
        src = args[0]
        if src.dtype is not dtype:
            raise KittyTypeError(f"expected {type_name} with dtype {dtype} (got a tensor of dtype {src.dtype})")
        return src.detach()
    if _is_size(args):
        return creation.zeros(tuple(args[0]) if isinstance(args[0], Size) else args, dtype=dtype)  # () is 0-d
    if len(args) > 1:
        raise KittyTypeError(f"{type_name}(): expected sizes (ints) or one sequence of data, got {args!r}")
    if B.is_array(args[0]):  # a NumPy array of the dtype is shared, not copied (as as_tensor)
        return creation.as_tensor(args[0], dtype=dtype)
    return creation.tensor(args[0], dtype=dtype)


class LegacyTensorType(type):
    """The metaclass of ``kittygrad.FloatTensor`` & co.: calling one makes a Tensor of its dtype;
    ``isinstance(t, kittygrad.FloatTensor)`` asks whether ``t`` is a float32 Tensor (as torch)."""

    def __call__(cls, *args, device=None):
        return legacy_new(cls._dtype, cls.__name__, args, device)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls._dtype

    def __repr__(cls) -> str:
        return f"<class '{_display.name}.{cls.__name__}'>"

    @property
    def dtype(cls) -> D.dtype:
        return cls._dtype

    is_sparse = False
    is_cuda = False


def _legacy_type(name: str, dtype: D.dtype):
    doc = (f"The legacy ``kittygrad.{name}``: ``{name}(2, 3)`` makes an uninitialised {dtype.name} tensor, "
           f"``{name}([1, 2])`` one from data; ``isinstance(t, kittygrad.{name})`` checks the dtype.")
    return LegacyTensorType(name, (), {"_dtype": dtype, "__doc__": doc, "__module__": "kittygrad"})


FloatTensor = _legacy_type("FloatTensor", D.float32)
DoubleTensor = _legacy_type("DoubleTensor", D.float64)
HalfTensor = _legacy_type("HalfTensor", D.float16)
BFloat16Tensor = _legacy_type("BFloat16Tensor", D.bfloat16)
LongTensor = _legacy_type("LongTensor", D.int64)
IntTensor = _legacy_type("IntTensor", D.int32)
ShortTensor = _legacy_type("ShortTensor", D.int16)
CharTensor = _legacy_type("CharTensor", D.int8)
ByteTensor = _legacy_type("ByteTensor", D.uint8)
BoolTensor = _legacy_type("BoolTensor", D.bool)

_BY_NAME = {c.__name__: c for c in (FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor, LongTensor, IntTensor,
                                    ShortTensor, CharTensor, ByteTensor, BoolTensor)}


def typename(obj) -> str:
    """The type name torch prints: ``'kittygrad.FloatTensor'`` for a float32 tensor, the qualified
    class name otherwise.

    >>> import kittygrad as kitty
    >>> kitty.typename(kitty.zeros(1)), kitty.typename(3)
    ('kittygrad.FloatTensor', 'int')
    """
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(type(obj), "__module__", "builtins")
    qual = type(obj).__qualname__
    return qual if module in ("builtins", None) else f"{module}.{qual}"


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:  # noqa: A001
    """Values from ``start`` to ``end`` *inclusive* by ``step`` (deprecated in torch: use ``arange``);
    the default float dtype unless ``dtype`` is given.

    >>> import kittygrad as kitty
    >>> kitty.range(1, 4)
    tensor([1., 2., 3., 4.])
    """
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its behavior is inconsistent "
        "with Python's range builtin. Instead, use torch.arange, which produces values in [start, end).",
        UserWarning, stacklevel=user_stacklevel())  # the out= wrapper may sit between
    if end is None:
        raise KittyTypeError('range() missing 1 required positional arguments: "end"')
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    n = int((float(end) - float(start)) // float(step)) + 1 if step else 0
    if step == 0:
        raise KittyTypeError("step must be nonzero")
    vals = B.xp.asarray([start + i * step for i in _builtin_range(max(n, 0))], dtype=B.xp.float64)
    out = Tensor._wrap(vals.astype(dt.np))
    check_device(device, "range")
    if requires_grad:
        out.requires_grad_(True)
    return out


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding the number ``s`` (the default float dtype unless ``dtype`` is given).

    >>> import kittygrad as kitty
    >>> kitty.scalar_tensor(3)
    tensor(3.)
    """
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    return creation.tensor(s, dtype=dt, device=device, requires_grad=requires_grad)
