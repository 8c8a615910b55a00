"""How ``tensor(data)`` reads what is neither a number, a list nor an array, as torch does.

torch reads data of three kinds only: numbers, arrays (and tensors), and sequences, which are any
objects with item access and a length (a range, a deque, a pandas Series, Index or Categorical),
read item by item by position. Anything else (a set, a dict, a generator, an object that only
converts to an array) is an error, and so is a string among the items.
"""
from __future__ import annotations

from collections.abc import Mapping

from . import _display
from . import backend as B
from . import dtypes as D
from .errors import KittyRuntimeError, KittyTypeError, KittyValueError
from .ops._prep import warn_once


def is_sequence_like(x) -> bool:
    """Whether torch reads ``x`` as a sequence (Python's sequence check: item access that is not a
    mapping's, and a length). Strings pass that check; the callers deal with them first."""
    kind = type(x)
    return hasattr(kind, "__getitem__") and hasattr(kind, "__len__") and not isinstance(x, Mapping)


def sequence_items(x, first_in_shape: bool = True):
    """The items of a sequence-like ``x``, read by position as torch reads them: ``x[0]``, ``x[1]``, ...

    A pandas Series looks its items up by label, so one whose index does not start at 0 cannot be
    read: torch's shape error where the shape is read from it (``first_in_shape``: the data itself,
    or the first item at every depth), the lookup's own error elsewhere. The items keep their own types: a float64 Series holds np.float64
    items, so it makes a float64 tensor where its values as plain floats would make float32. An
    object that converts to an array of numbers of its first item's dtype gives that array (a
    copy: pandas' own arrays are read-only), so a long Series is not read item by item; otherwise
    the items come as a list.
    """
    n = len(x)
    if n == 0:
        return []
    try:
        first = x[0]
    except Exception:  # (any failure to read the first item, as torch's shape reading)
        if not first_in_shape:
            raise
        raise KittyValueError(f"could not determine the shape of object type '{type(x).__name__}'") from None
    if B.is_array_like_scalar(first) and hasattr(x, "__array__"):
        arr = B.asarray(x)
        if arr.ndim == 1 and arr.dtype == first.dtype and arr.dtype in D._BY_NP:
            return arr.copy()
    return [x[i] for i in range(n)]


def not_a_number(x, np_dtype, first_in_shape: bool = False) -> Exception:
    """torch's error for an item ``x`` that is no number, no array and no sequence.

    A string where torch reads the shape (the first item at every depth) is itself read as a
    sequence, endlessly: "too many dimensions". Elsewhere, with no ``np_dtype`` asked for, the error
    is the dtype inference's; with one, it is the conversion of the item to that kind of number.
    """
    name = type(x).__name__
    if isinstance(x, str) and first_in_shape:
        return KittyValueError("too many dimensions 'str'")
    if np_dtype is None:
        if isinstance(x, (str, bytes)):
            return KittyTypeError(f"new(): invalid data type '{name}'")
        return KittyRuntimeError(f"Could not infer dtype of {name}")
    if np_dtype.kind == "f":
        return KittyTypeError(f"must be real number, not {name}")
    return KittyTypeError(f"'{name}' object cannot be interpreted as an integer")


def writable_array(arr):
    """A NumPy array a tensor may share: ``arr`` itself, or, for a read-only one, a writable view of
    the same memory, with torch's warning (once a program). pandas hands out read-only views of its
    own data (``df.values``, ``series.to_numpy()``), and torch writes through them; a read-only
    tensor here would read as an expanded view that refuses every in-place op. Memory that cannot
    be written at all (a bytes buffer, an array its owner locked) stays read-only, and so does a
    broadcast one (a step of 0: an expanded tensor's ``numpy()``), which in-place ops refuse as
    they refuse an expanded tensor."""
    if arr.flags.writeable or any(step == 0 and n > 1 for step, n in zip(arr.strides, arr.shape)):
        return arr
    library = "PyTorch" if _display.name == "torch" else "kittygrad"
    warn_once("non_writable_numpy", (
        f"The given NumPy array is not writable, and {library} does not support non-writable tensors. This means "
        "writing to this tensor will result in undefined behavior. You may want to copy the array to protect its "
        "data or make it writable before converting it to a tensor. This type of warning will be suppressed for "
        "the rest of this program."
    ))
    view = arr.view()
    try:
        view.flags.writeable = True
    except ValueError:
        pass
    return view
