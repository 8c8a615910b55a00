"""Tensor creation: tensor, as_tensor, from_numpy, zeros, ones, full, arange, rand, ..."""
from __future__ import annotations

import math
import numbers
import warnings

from . import _display
from . import backend as B
from .backend_random import default_generator, Generator, rng_plugins
from . import dtypes as D
from .device import check_device as _check_device  # the one device check (a GPU device raises)
from .device import laid_out, preserve_format
from .errors import KittyNotImplementedError, KittyRuntimeError, KittyTypeError, KittyValueError, user_stacklevel
from .ops._prep import dtype_scalar_name, index_int, warn_once
from ._factory_sizes import factory_size, no_overload
from ._tensor_data import is_sequence_like, not_a_number, sequence_items, writable_array
from .autograd.inference_tensors import mark_created
from .tensor import Tensor


def _finish(arr, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(arr)
    mark_created(t)
    if requires_grad:
        if not B.is_float(arr.dtype):  # a factory says it in other words than requires_grad_()
            raise KittyRuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad_(True)
    return t


def _to_array(data, dtype=None):
    """Turn nested sequences of numbers/Tensors into an array with torch's dtype inference.

    With ``dtype`` (a NumPy dtype), Python numbers convert straight to it (no float32 detour).
    """
    if isinstance(data, Tensor):
        return data._data
    if B.is_array(data):
        if data.dtype not in D._BY_NP:
            raise KittyTypeError(
                f"can't convert np.ndarray of type numpy.{data.dtype.type.__name__}. The only supported types are: "
                "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
            )
        return data
    if data is None and dtype is not None:
        raise not_a_number(data, dtype)
    if data is None:
        raise KittyRuntimeError("Could not infer dtype of NoneType: tensor() needs a number, a sequence or an array")
    if isinstance(data, complex):
        raise KittyTypeError("complex numbers are not supported by kittygrad")
    if isinstance(data, (str, bytes)):
        raise KittyTypeError(f"new(): invalid data type '{type(data).__name__}'")
    if not isinstance(data, (list, tuple, numbers.Number)) and not B.is_array_like_scalar(data):
        if is_sequence_like(data):  # a range, a pandas Series, ...: read by position, as a list
            return _to_array(sequence_items(data), dtype)
        raise not_a_number(data, dtype)  # (a set, a generator, an object with only __array__)
    typed: list = []  # dtypes of NumPy scalars/arrays and Tensors inside the sequences
    given = data  # (as written: the unwrapped copy holds lists where the caller had tuples)
    if isinstance(data, (list, tuple)):
        data = _unwrap_nested(data, typed, dtype, True, _shape_from_first_items(data))
    integer_target = dtype is not None and dtype.kind in "iu"
    try:
        if dtype is not None and not integer_target:  # the elements were checked above
            return B.asarray(data, dtype=dtype)  # straight to the target (no float32 detour)
        arr = B.asarray(data)
    except ValueError as e:
        _check_ragged(given, dtype)
        raise KittyValueError(f"tensor(): the nested sequences do not form a regular shape ({e})") from None
    if integer_target:
        return _checked_integer_array(arr, dtype)
    kind = arr.dtype.kind
    if (kind == "O" or (kind == "u" and not typed)) and not B.is_array_like_scalar(data):
        # only Python ints past int64 leave NumPy's inference of plain numbers as uint64 or object
        raise KittyValueError(_INT64_OVERFLOW)
    if typed and kind in "fiub":
        return arr.astype(_sequence_dtype(data, typed).np, copy=False)
    if kind == "f":
        return arr.astype(D.get_default_dtype().np) if not B.is_array_like_scalar(data) else arr
    if kind in "iu":
        return arr.astype(D.int64.np, copy=False) if not B.is_array_like_scalar(data) else arr
    if kind == "b":
        return arr
    if kind == "c":
        raise KittyTypeError("complex numbers are not supported by kittygrad")
    raise KittyTypeError(f"Could not infer dtype of {_first_bad(data)}")


_INT64_OVERFLOW = "Overflow when unpacking long long"


def _checked_integer_array(arr, np_dtype):
    """Numbers (inferred as ``arr``) into integer ``np_dtype`` by torch's checked conversion, where
    NumPy would wrap silently or raise its own OverflowError: an int must fit int64 (else
    ValueError), then lie within the dtype's range, where an unsigned dtype also takes down to
    minus its maximum, wrapping (``tensor([-1], dtype=uint8)`` holds 255); a float must lie within
    the range and not be nan (``tensor([255.5], dtype=uint8)`` is an error), and is truncated."""
    kind = arr.dtype.kind
    if kind == "O" or (kind == "u" and arr.dtype.itemsize == 8):  # Python ints past int64
        raise KittyValueError(_INT64_OVERFLOW)
    if arr.size and kind in "iuf":
        info = B.xp.iinfo(np_dtype)
        low = -int(info.max) if kind != "f" and np_dtype.kind == "u" else int(info.min)
        if kind == "f":
            fits = not B.xp.isnan(arr).any() and arr.min() >= low and arr.max() <= info.max
        else:
            fits = int(arr.min()) >= low and int(arr.max()) <= info.max
        if not fits:
            raise KittyRuntimeError(f"value cannot be converted to type {np_dtype.name} without overflow")
    return arr.astype(np_dtype)


def _sequence_dtype(seq, typed: list) -> D.dtype:
    """torch's dtype for nested sequences holding typed items (NumPy scalars and arrays, Tensors):
    their dtypes promoted together with the Python numbers' (float: the default dtype, int: int64,
    bool: bool), so ``[np.float64(1), 2.0]`` is float64 and ``[np.int32(1), np.int32(2)]`` int32."""
    out = D.from_numpy_dtype(typed[0])
    for np_dtype in typed[1:]:
        out = D.promote_types(out, D.from_numpy_dtype(np_dtype))
    for kind in _python_number_kinds(seq, set()):
        out = D.promote_types(out, kind)
    return out


def _python_number_kinds(seq, kinds: set) -> set:
    """The dtypes torch gives the plain Python numbers found in nested sequences."""
    for x in seq:
        if isinstance(x, (list, tuple)):
            _python_number_kinds(x, kinds)
        elif isinstance(x, numbers.Number) and not isinstance(x, B.xp.generic):
            kinds.add(D.scalar_dtype(x))
    return kinds


def _shape_from_first_items(data) -> list:
    """The shape torch reads off nested sequences, before storing them: the lengths along the first
    item at every depth, where a NumPy array gives its whole shape and a tensor ends it (a tensor
    first is read as a number)."""
    sizes = []
    while isinstance(data, (list, tuple)) or (B.is_array(data) and data.ndim):
        if B.is_array(data):
            return sizes + list(data.shape)
        sizes.append(len(data))
        if not data:
            break
        data = data[0]
    return sizes


def _tensor_block(x: Tensor, sizes: list, depth: int, dtype):
    """A tensor that lies where the shape wants a sequence (``[np.ones(2), torch.ones(2)]``: the
    shape comes from the array, first): torch reads it as the sequence of its rows, so it must
    have the sizes left there, down to one number at the end."""
    shape = x._data.shape
    for k, d in enumerate(range(depth, len(sizes))):
        if k == len(shape):
            raise KittyTypeError("not a sequence")
        if shape[k] != sizes[d]:
            raise KittyValueError(f"expected sequence of length {sizes[d]} at dim {d} (got {shape[k]})")
    rows = len(sizes) - depth
    if x._data.size and len(shape) > rows and math.prod(shape[rows:]) != 1:
        raise _not_one_number(x, dtype)  # (its items at the last dim are tensors of several numbers)
    return x._data.reshape(shape[:rows])


def _not_one_number(x: Tensor, dtype):
    # torch's error for a tensor of several numbers read as one: that of converting it to the
    # target's kind of number, where an integer one (the dtype asked for, else the tensor's own)
    # reads it as an index
    if (dtype if dtype is not None else x._data.dtype).kind in "iub":
        return KittyTypeError("only integer tensors of a single element can be converted to an index")
    return KittyValueError("only one element tensors can be converted to Python scalars")


def _unwrap_nested(seq, typed: list, dtype=None, first_in_shape: bool = False, sizes=(), depth: int = 1):
    """``seq`` with its tensors read as numbers and its sequence-like items as lists or arrays,
    checking every item is a number. ``first_in_shape``: ``seq`` lies where torch reads the shape
    (the first item at every depth), so its first item is read for the shape too. ``sizes``: that
    shape, of the outermost sequence; ``depth``: the dim ``seq``'s items are at."""
    out = []
    for i, x in enumerate(seq):
        in_shape = first_in_shape and i == 0
        if isinstance(x, Tensor):
            # torch reads a tensor inside a sequence as a number, which must hold one element;
            # only where the shape read off the first items wants a sequence (not the first
            # item: that ends the shape) is it a block of numbers instead
            if depth < len(sizes) and not in_shape:
                typed.append(x._data.dtype)
                out.append(_tensor_block(x, sizes, depth, dtype))
                continue
            if x._data.size != 1:
                raise _not_one_number(x, dtype)
            typed.append(x._data.dtype)
            out.append(x._data.item())
        elif isinstance(x, (list, tuple)):
            out.append(_unwrap_nested(x, typed, dtype, in_shape, sizes, depth + 1))
        elif isinstance(x, complex):
            raise KittyTypeError("complex numbers are not supported by kittygrad")
        elif isinstance(x, (str, bytes)) or not (
            isinstance(x, numbers.Number) or B.is_array(x) or B.is_array_like_scalar(x)
        ):
            if isinstance(x, (str, bytes)) or not is_sequence_like(x):
                raise not_a_number(x, dtype, in_shape)
            items = sequence_items(x, in_shape)  # (a range, a pandas Series, ...)
            if B.is_array(items):
                typed.append(items.dtype)
                out.append(items)
            else:
                out.append(_unwrap_nested(items, typed, dtype, in_shape, sizes, depth + 1))
        else:
            if B.is_array(x) or isinstance(x, B.xp.generic):
                typed.append(x.dtype)
            out.append(x)
    return out


def _check_ragged(data, dtype=None) -> None:
    """torch's error for nested sequences of uneven lengths: the shape is read along the first
    items, then every sequence is checked against it, depth first ("expected sequence of length 3
    at dim 1 (got 2)"); a number where a sequence belongs is "not a sequence", and a sequence where
    a number belongs fails its conversion to the target's kind of number (``dtype``, else float
    if any number is a float)."""
    sizes = []
    first = data
    while isinstance(first, (list, tuple)):
        sizes.append(len(first))
        if not first:
            return  # (torch makes an empty tensor of such shapes; NumPy's message stands)
        first = first[0]

    def visit(seq, dim):
        if dim == len(sizes):
            if isinstance(seq, (list, tuple)):
                name = type(seq).__name__
                floating = dtype.kind == "f" if dtype is not None else _holds_float(data)
                raise KittyTypeError(f"must be real number, not {name}" if floating
                                     else f"'{name}' object cannot be interpreted as an integer")
            return
        if not isinstance(seq, (list, tuple)):
            raise KittyTypeError("not a sequence")
        if len(seq) != sizes[dim]:
            raise KittyValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(seq)})")
        for item in seq:
            visit(item, dim + 1)

    visit(data, 0)


def _holds_float(seq) -> bool:
    return any(_holds_float(x) if isinstance(x, (list, tuple)) else
               (x._data if isinstance(x, Tensor) else B.xp.asarray(x)).dtype.kind == "f" for x in seq)


def _first_bad(data):
    return type(data).__name__


def tensor(data, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor (a copy) from nested lists, numbers or arrays.

    Without ``dtype``: Python floats give float32, ints int64, bools bool, as torch. One seed rule:
    integer data with ``requires_grad=True`` and no dtype gives a float32 tensor.

    >>> import kittygrad as kitty
    >>> kitty.tensor([1, 2, 3], requires_grad=True)
    tensor([1., 2., 3.], requires_grad=True)
    """
    _check_device(device)
    _warn_slow_or_copying_data(data)
    target = D.to_dtype(dtype).np if dtype is not None else None
    arr = _to_array(data, target)
    if dtype is not None:
        arr = arr.astype(target)
    elif requires_grad and not B.is_float(arr.dtype):
        arr = arr.astype(D.get_default_dtype().np)
    else:
        arr = arr.copy()
    return _finish(B.array(arr, copy=False), requires_grad)


def _warn_slow_or_copying_data(data) -> None:
    """torch's two warnings about ``tensor(data)``: data that is already a tensor (a copy that
    ``detach().clone()`` says more plainly), and a list of NumPy arrays (read element by element).
    Only for a call from outside kittygrad: the library's own calls are not the user's to change."""
    copying = isinstance(data, Tensor)
    if not copying and not (isinstance(data, list) and data and B.is_array(data[0])):
        return  # (the usual case, decided before the stack is walked)
    level = user_stacklevel()
    if level != 3:  # (this function, tensor, then the caller)
        return
    if copying:
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            f"sourceTensor.detach().clone().requires_grad_(True), rather than {_display.name}.tensor(sourceTensor).",
            UserWarning, stacklevel=level,
        )
    else:  # (torch gives this one once a process; the copy warning at every call)
        warn_once(
            "tensor_from_numpy_list",
            "Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider converting the "
            "list to a single numpy.ndarray with numpy.array() before converting to a tensor.",
        )


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor``, but shares memory with a NumPy array or Tensor when it can.

    >>> import kittygrad as kitty
    >>> kitty.as_tensor([1., 2.])
    tensor([1., 2.])
    """
    _check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or D.to_dtype(dtype) is data.dtype else data.to(D.to_dtype(dtype))
    target = D.to_dtype(dtype).np if dtype is not None else None
    if B.is_array(data):
        data = writable_array(data)
    # Python numbers take the target dtype with tensor()'s overflow checks; an array keeps its memory
    arr = _to_array(data, target if not B.is_array(data) else None)
    if dtype is not None:
        arr = arr.astype(target, copy=False)
    return Tensor._wrap(B.asarray(arr))


asarray = as_tensor


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (no copy).

    >>> import numpy as np; import kittygrad as kitty  # doctest: +SKIP
    >>> kitty.from_numpy(np.ones(2))  # doctest: +SKIP
    tensor([1., 1.], dtype=kittygrad.float64)
    """
    if not B.is_array(ndarray):
        raise KittyTypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    return Tensor._wrap(_to_array(writable_array(ndarray)))


def _dtype_or_default(dtype, fallback=None):
    if dtype is None:
        return fallback or D.get_default_dtype()
    return D.to_dtype(dtype)


def _sizes(shape: tuple, fn: str = ""):
    for n in shape:
        if n < 0:
            if fn == "zeros":  # (torch's zeros checks its sizes itself, with its own words)
                raise KittyRuntimeError("zeros: Dimension size must be non-negative.")
            raise KittyRuntimeError(
                f"Trying to create tensor with negative dimension {n}: {list(shape)}"
            )
    return shape


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; sizes as varargs or one tuple.

    >>> import kittygrad as kitty
    >>> kitty.zeros(2, 3).shape
    kittygrad.Size([2, 3])
    """
    return _zeros_for("zeros", sizes, size, dtype=dtype, device=device, requires_grad=requires_grad)


def _zeros_for(fn: str, sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros for the factory ``fn`` (``zeros``, and ``empty``/``new_zeros``/``new_empty`` built on
    it): its name in the size errors, where only ``zeros`` words a negative size its own way."""
    shape = _sizes(factory_size(fn, sizes, size), fn)  # (a bad size is named before a bad device, as torch)
    _check_device(device)
    return _finish(B.xp.zeros(shape, _dtype_or_default(dtype).np), requires_grad)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    >>> import kittygrad as kitty
    >>> kitty.ones(2)
    tensor([1., 1.])
    """
    return _ones_for("ones", sizes, size, dtype=dtype, device=device, requires_grad=requires_grad)


def _ones_for(fn: str, sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones for ``ones`` and ``new_ones``, named ``fn`` in the size errors."""
    shape = _sizes(factory_size(fn, sizes, size))
    _check_device(device)
    return _finish(B.xp.ones(shape, _dtype_or_default(dtype).np), requires_grad)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """An uninitialised tensor (kittygrad fills it with zeros, so it is deterministic).

    >>> import kittygrad as kitty
    >>> kitty.empty(2).shape
    kittygrad.Size([2])
    """
    if memory_format is preserve_format:
        raise KittyRuntimeError("unsupported memory format Preserve")
    out = _zeros_for("empty", sizes, size, dtype=dtype, device=device, requires_grad=requires_grad)
    out._data = laid_out(out._data, memory_format)  # channels_last(_3d) asks for NHWC strides
    return out


#: stands for a required argument left out, so that the error can be torch's (which lists them all)
_MISSING = object()


def full(size=_MISSING, fill_value=_MISSING, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value when not given, as torch.

    >>> import kittygrad as kitty
    >>> kitty.full((2,), 7)
    tensor([7, 7])
    """
    return _full_for("full", size, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def _full_for(fn: str, size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``full`` and ``new_full``, named ``fn`` in the argument errors."""
    # torch's order and words: without a size both are missing (a fill_value keyword or not),
    # and a bad size is named before a missing fill_value
    if size is _MISSING:
        raise KittyTypeError(f'{fn}() missing 2 required positional argument: "size", "fill_value"')
    shape = _sizes(factory_size(fn, (size,), varargs=False))
    if fill_value is _MISSING:
        raise KittyTypeError(f'{fn}() missing 1 required positional arguments: "fill_value"')
    _check_device(device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = D.scalar_dtype(fill_value)
    np_dtype = D.to_dtype(dtype).np
    return _finish(B.xp.full(shape, D.fill_scalar(fill_value, np_dtype), dtype=np_dtype), requires_grad)


def _like(input, dtype):
    if not isinstance(input, Tensor):
        raise KittyTypeError(f"argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input.dtype if dtype is None else D.to_dtype(dtype)


def _laid_like(out: Tensor, input: Tensor, memory_format) -> Tensor:
    """``out`` (a fresh constant fill) laid out as torch lays a ``*_like`` result: in
    ``memory_format``, or under ``preserve_format`` (the default) in ``input``'s stride order, so a
    channels-last input gives a channels-last result."""
    if memory_format is None or memory_format is preserve_format:
        if type(input._data) is not B.xp.ndarray or input._data.flags.c_contiguous:
            return out  # (C order already; a batched array under vmap has no layout of its own)
        arr = B.xp.empty_like(input._data, dtype=out._data.dtype, order="K")
        arr[...] = out._data
        out._data = arr
    else:
        out._data = laid_out(out._data, memory_format)
    return out


def zeros_like(input, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """Zeros with ``input``'s shape and dtype."""
    dt = _like(input, dtype)  # checks input before reading its shape
    return _laid_like(zeros(input.shape, dtype=dt, device=device, requires_grad=requires_grad), input, memory_format)


def ones_like(input, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """Ones with ``input``'s shape and dtype."""
    dt = _like(input, dtype)  # checks input before reading its shape
    return _laid_like(ones(input.shape, dtype=dt, device=device, requires_grad=requires_grad), input, memory_format)


def empty_like(input, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """A tensor of ``input``'s shape and dtype whose values are not to be relied on (kittygrad fills zeros).

    >>> import kittygrad as kitty
    >>> kitty.empty_like(kitty.ones(2, 3)).shape
    kittygrad.Size([2, 3])
    """
    dt = _like(input, dtype)  # checks input before reading its shape
    return _laid_like(zeros(input.shape, dtype=dt, device=device, requires_grad=requires_grad), input, memory_format)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """A tensor of ``input``'s shape and dtype filled with ``fill_value``.

    >>> import kittygrad as kitty
    >>> kitty.full_like(kitty.zeros(2), 7.0)
    tensor([7., 7.])
    """
    dt = _like(input, dtype)  # checks input before reading its shape
    out = full(input.shape, fill_value, dtype=dt, device=device, requires_grad=requires_grad)
    return _laid_like(out, input, memory_format)


def _num(x):
    """A bound given as a Tensor or a NumPy scalar, as the Python number it holds (torch reads both so)."""
    return x.item() if isinstance(x, Tensor) or B.is_array_like_scalar(x) else x


def _range_end(x) -> str:
    """A bound as torch's range message prints it: a whole float without its ``.0``."""
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float.

    >>> import kittygrad as kitty
    >>> kitty.arange(3)
    tensor([0, 1, 2])
    """
    _check_device(device)
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if any(isinstance(v, float) and not math.isfinite(v) for v in (start, end, step)):
        if isinstance(start, float) and not math.isfinite(start) or isinstance(end, float) and not math.isfinite(end):
            raise KittyRuntimeError(f"unsupported range: {_range_end(start)} -> {_range_end(end)}")
        raise KittyRuntimeError(f"unsupported range: {start} -> {end} (step {step}): bounds must be finite")
    if step == 0:
        raise KittyRuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise KittyRuntimeError(
            "upper bound and lower bound inconsistent with step sign"
        )
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = D.get_default_dtype() if is_float else D.int64
    dtype = D.to_dtype(dtype)
    if not dtype.is_floating_point and any(isinstance(v, float) for v in (start, end, step)):
        # torch truncates the bounds and the step to the integer dtype first
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise KittyValueError("step must be nonzero")
    n = max(0, math.ceil((end - start) / step))
    arr = (start + step * B.xp.arange(n, dtype="float64")).astype(dtype.np) if dtype.is_floating_point else B.xp.arange(start, end, step, dtype=dtype.np)
    return _finish(arr, requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    >>> import kittygrad as kitty
    >>> kitty.linspace(-1, 1, 5)
    tensor([-1.0000, -0.5000,  0.0000,  0.5000,  1.0000])
    """
    _check_device(device)
    if steps < 0:
        raise KittyRuntimeError("number of steps must be non-negative")
    dtype = _dtype_or_default(dtype)
    if dtype.is_floating_point:  # torch's own rounding, so grids land on the same pixel centres
        return _finish(B.linspace(_num(start), _num(end), steps, dtype.np), requires_grad)
    return _finish(B.xp.linspace(_num(start), _num(end), steps).astype(dtype.np), requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced in the exponent.

    >>> import kittygrad as kitty
    >>> kitty.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    _check_device(device)
    dtype = _dtype_or_default(dtype)
    return _finish((base ** B.xp.linspace(_num(start), _num(end), steps)).astype(dtype.np), requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (``n`` x ``m``).

    >>> import kittygrad as kitty
    >>> kitty.eye(2)
    tensor([[1., 0.],
            [0., 1.]])
    """
    _check_device(device)
    if n < 0 or (m is not None and m < 0):
        raise KittyRuntimeError(f"n must be greater or equal to 0, got {n}")
    return _finish(B.xp.eye(n, m, dtype=_dtype_or_default(dtype).np), requires_grad)


def _gen(generator):
    return generator if generator is not None else default_generator


def _drawn_shape(fn: str, sizes, size, generator, dtype, device, requires_grad) -> tuple:
    """The shape of a ``rand``/``randn`` call. torch has two overloads of each, with a generator
    (required) and without, and words a bad size as that of the one without only where that is
    the one overload the count of arguments fits; else as none matching."""

    def generic():
        given = {k: v for k, v in (("generator", generator), ("dtype", dtype), ("device", device)) if v is not None}
        if requires_grad:
            given["requires_grad"] = requires_grad
        if size is not None:
            given["size"] = size
        varargs = bool(sizes) and index_int(sizes[0]) is not None  # all the ints are one size argument
        count = (1 if varargs else len(sizes)) + len(given)
        return no_overload(fn, sizes, given) if count != 1 or "generator" in given else None

    if generator is not None and not isinstance(generator, Generator):
        raise generic()
    return _sizes(factory_size(fn, sizes, size, generic=generic))


def rand(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1), from ``manual_seed``'s generator or the one given: the same
    numbers as torch after the same seed.

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(0); kitty.rand(3)  # torch.manual_seed(0); torch.rand(3)
    tensor([0.4963, 0.7682, 0.0885])
    """
    shape = _drawn_shape("rand", sizes, size, generator, dtype, device, requires_grad)
    _check_device(device)
    dtype = _dtype_or_default(dtype)
    _float_only(dtype, "rand")
    return _finish(_gen(generator).uniform(0.0, 1.0, shape, dtype.np), requires_grad)


def randn(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples (torch's numbers after the same seed).

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(0); kitty.randn(3)  # torch.manual_seed(0); torch.randn(3)
    tensor([ 1.5410, -0.2934, -2.1788])
    """
    shape = _drawn_shape("randn", sizes, size, generator, dtype, device, requires_grad)
    _check_device(device)
    dtype = _dtype_or_default(dtype)
    _float_only(dtype, "randn")
    return _finish(_gen(generator).normal(0.0, 1.0, shape, dtype.np), requires_grad)


#: the kernel torch's message names when a float-only draw is asked for another dtype
_DRAW_KERNELS = {"rand": "check_uniform_bounds", "randn": "normal_kernel_cpu"}


def _float_only(dtype, name):
    if not dtype.is_floating_point:
        kernel = _DRAW_KERNELS.get(name, name)
        raise KittyNotImplementedError(f'"{kernel}" not implemented for \'{dtype_scalar_name(dtype.np)}\'')


#: the arguments before the size in torch's overloads of randint
_RANDINT_LEADS = ("int high, ", "int low, int high, ")


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Integers in [low, high) (int64 by default), torch's numbers after the same seed.

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(0); kitty.randint(0, 10, (3,))  # as torch.randint(0, 10, (3,))
    tensor([4, 9, 3])
    """
    _check_device(device)
    position = 3  # where the size is, for its errors: after (low, high), after high alone, or 0: a keyword
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise KittyTypeError("randint() missing required argument 'size'")
        low, high, size, position = 0, low, high, 2
    elif high is None:  # randint(high, size=...)
        low, high, position = 0, low, 0
    if isinstance(high, (tuple, list)):
        low, high, size, position = 0, low, high, 2
    # with three arguments, torch's four overloads leave more than one to match: no single one is named
    generic = (lambda: no_overload("randint", (low, high, size), {}, _RANDINT_LEADS)) if position == 3 else None
    given = ((), size) if position == 0 else ((size,), None)
    shape = _sizes(factory_size("randint", *given, varargs=False, position=position, generic=generic))
    if low >= high:
        raise KittyRuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = D.to_dtype(dtype) if dtype is not None else D.int64
    return _finish(_gen(generator).integers(low, high, shape, dtype.np), requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1 (torch's, after the same seed).

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(0); kitty.randperm(5)  # as torch.randperm(5)
    tensor([4, 0, 1, 3, 2])
    """
    if type(n) is not int:
        given, n = n, index_int(n)
        if n is None:
            raise KittyTypeError(f"randperm(): argument 'n' (position 1) must be int, not {type(given).__name__}")
    _check_device(device)
    if n < 0:
        raise KittyRuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = D.to_dtype(dtype) if dtype is not None else D.int64
    return _finish(_gen(generator).permutation(n).astype(dtype.np), requires_grad)


def _drawn_layout(input, memory_format):
    """The array whose memory a ``*_like`` result is drawn along: torch's ``empty_like`` keeps a
    dense input's permuted layout (a transposed input, say) under ``preserve_format``; None for
    C order."""
    keep = memory_format is None or memory_format is preserve_format
    return B.like_layout(input._data) if keep else None


def _relaid(t: Tensor, layout) -> Tensor:
    """``t``'s values (drawn in C order) placed along ``layout``'s memory instead."""
    return t if layout is None else _finish(B.memory_order(t._data, layout), t.requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """Uniforms shaped like ``input`` (drawn along its memory layout, as torch).

    >>> import kittygrad as kitty
    >>> kitty.rand_like(kitty.zeros(2, 3)).shape
    kittygrad.Size([2, 3])
    """
    dt = _like(input, dtype)  # checks input before reading its shape
    layout = _drawn_layout(input, memory_format)
    return _relaid(rand(input.shape, dtype=dt, device=device, requires_grad=requires_grad), layout)


def randn_like(input, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """Standard normals shaped like ``input`` (a permuted layout is drawn one element at a time
    along its memory, as torch fills a non-contiguous tensor).

    >>> import kittygrad as kitty
    >>> kitty.randn_like(kitty.zeros(2, 3)).shape
    kittygrad.Size([2, 3])
    """
    dt = _like(input, dtype)  # checks input before reading its shape
    layout = _drawn_layout(input, memory_format)
    if layout is None:
        return randn(input.shape, dtype=dt, device=device, requires_grad=requires_grad)
    _check_device(device)
    _float_only(dt, "randn")
    values = default_generator.normal(0.0, 1.0, tuple(input.shape), dt.np, contiguous=False)
    return _finish(B.memory_order(values, layout), requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    """Integers in [low, high) shaped like ``input`` (drawn along its memory layout, as torch).

    >>> import kittygrad as kitty
    >>> kitty.randint_like(kitty.zeros(2, 3), 5).shape
    kittygrad.Size([2, 3])
    """
    if high is None:
        low, high = 0, low
    dt = _like(input, dtype)  # checks input before reading its shape
    return _relaid(randint(low, high, input.shape, dtype=dt, device=device), _drawn_layout(input, memory_format))


def manual_seed(seed: int) -> Generator:
    """Seed the default generator so random tensors repeat.

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(0); a = kitty.rand(2); _ = kitty.manual_seed(0)
    >>> bool((a == kitty.rand(2)).all())
    True
    """
    return default_generator.manual_seed(int(seed))  # torch.manual_seed also takes int(seed)


def seed() -> int:
    """Seed the default generator from the system's entropy and return the seed.

    >>> import kittygrad as kitty
    >>> s = kitty.seed(); s == kitty.initial_seed()
    True
    """
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with (as an unsigned 64-bit number).

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(-1); kitty.initial_seed()
    18446744073709551615
    """
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state: torch's 5056-byte layout, as a uint8 tensor.

    >>> import kittygrad as kitty
    >>> s = kitty.get_rng_state(); a = kitty.rand(2); kitty.set_rng_state(s)
    >>> bool((kitty.rand(2) == a).all()), s.dtype, tuple(s.shape)
    (True, kittygrad.uint8, (5056,))
    """
    return default_generator.get_state()


def set_rng_state(state) -> None:
    """Restore the default generator from :func:`get_rng_state` (a state saved by torch loads too)."""
    default_generator.set_state(state)


# The generator lives in the backend, below Tensor: plug in the wrapper of its states (uint8
# tensors, as torch's) and kittygrad's typed errors.
rng_plugins.update(
    wrap_state=Tensor._wrap, RuntimeError=KittyRuntimeError, TypeError=KittyTypeError, ValueError=KittyValueError
)
