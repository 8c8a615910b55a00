"""The ``size`` argument of the tensor factories (``zeros``, ``ones``, ``empty``, ``rand``,
``randn``, ``full``, ``randint`` and the ``Tensor.new_*`` methods), read as torch reads it.

torch declares it as one "tuple of ints" that may also come as varargs, so its errors are worded
in those terms: a factory called with no size at all is refused (``zeros()`` is no 0-d tensor:
that is ``zeros(())``), and a float, None or nested size names the argument and its position.
Internal callers therefore pass a shape that may be empty as one tuple, never unpacked.

>>> factory_size("zeros", (2, 3)), factory_size("zeros", ((2, 3),)), factory_size("zeros", ((),))
((2, 3), (2, 3), ())
>>> factory_size("zeros", (2.5,))
Traceback (most recent call last):
...
kittygrad.errors.KittyTypeError: zeros(): argument 'size' (position 1) must be tuple of ints, not float
"""
from __future__ import annotations

from . import _display
from .device import _type_name as _device_type_name
from .errors import KittyTypeError
from .ops._prep import index_int


def _type_name(value) -> str:
    # torch names a value by its C type name: a NumPy scalar or array as ``numpy.float64``, a
    # dtype as ``torch.dtype``
    cls = type(value)
    return f"numpy.{cls.__name__}" if cls.__module__ == "numpy" else _device_type_name(value)


def _is_sequence(value) -> bool:
    # only a list or a tuple (a Size is one) holds sizes: a range, an array or a tensor does not
    return isinstance(value, (tuple, list))


def _leading_int(value) -> int | None:
    """The first size as torch's type check takes it: an int (no bool), a NumPy integer, an
    integer 0-d tensor."""
    return value if type(value) is int else index_int(value)


def _unpacked(fn: str, seq) -> tuple:
    """Sizes after the first: torch converts them one by one, where a bool passes as 0 or 1, and
    names a failure by its 1-based position."""
    out = []
    for pos, value in enumerate(seq):
        if type(value) is not int:
            n = int(value) if isinstance(value, bool) else index_int(value)
            if n is None:
                raise KittyTypeError(
                    f"{fn}(): argument 'size' failed to unpack the object at pos {pos + 1} with error "
                    f"\"type must be tuple of ints,but got {_type_name(value)}\""
                )
            value = n
        out.append(value)
    return tuple(out)


def _refusal(message: str, generic) -> KittyTypeError:
    """The error for a size of the wrong type: ``message``, unless ``generic`` (of a factory with
    several overloads) gives torch's "no overload matches" error instead."""
    other = generic() if generic is not None else None
    return other if other is not None else KittyTypeError(message)


def _sequence_size(fn: str, seq, where: str, generic) -> tuple:
    # torch's type check looks at the first size only: the others fail later, while unpacking,
    # which no other overload can rescue
    if seq and _leading_int(seq[0]) is None:
        if not where:  # as a keyword, the sequence itself is what torch names
            raise _refusal(f"{fn}(): argument 'size' must be tuple of ints, not {_type_name(seq)}", generic)
        raise _refusal(
            f"{fn}(): argument 'size'{where} must be tuple of ints, but found element of type "
            f"{_type_name(seq[0])} at pos 0", generic
        )
    return _unpacked(fn, seq)


def no_overload(fn: str, args: tuple, keywords: dict, leading=("",)) -> KittyTypeError:
    """torch's error for a call of ``fn`` that matches none of its overloads (``rand``/``randn``
    have one with a generator and one without), for these arguments."""
    got = ", ".join([_type_name(a) for a in args] + [f"{k}={_type_name(v)}" for k, v in keywords.items()])
    tail = (f"tuple of ints size, *, {{gen}}Tensor out = None, {_display.name}.dtype dtype = None, "
            f"{_display.name}.layout layout = None, {_display.name}.device device = None, "
            "bool pin_memory = False, bool requires_grad = False")
    lines = "".join(
        f" * ({lead}{tail.format(gen=gen)})\n"
        for lead in leading
        for gen in (f"{_display.name}.Generator generator, ", "")
    )
    return KittyTypeError(f"{fn}() received an invalid combination of arguments - got ({got}), but expected one of:\n{lines}")


def factory_size(fn: str, args: tuple, keyword=None, *, varargs: bool = True, position: int = 1,
                 generic=None) -> tuple:
    """The shape a factory ``fn`` was given as ``args`` (its varargs, or its one positional size)
    or as the ``size`` keyword, checked as torch checks it. ``varargs=False`` for a size that is
    one positional argument only (``full``, ``randint``, at ``position``). ``generic``, for a
    factory with several overloads (``rand``, ``randn``): called when the size is missing or of
    the wrong type, it gives torch's "no overload matches" error where torch raises that, or None."""
    if keyword is not None:
        if args:
            raise _refusal(f"{fn}() got multiple values for argument 'size'", generic)
        if _is_sequence(keyword):
            return _sequence_size(fn, keyword, "", generic)
        raise _refusal(f"{fn}(): argument 'size' must be tuple of ints, not {_type_name(keyword)}", generic)
    if len(args) == 1:
        size = args[0]
        if _is_sequence(size):
            if all(type(n) is int for n in size):  # the common case: no per-element work
                return tuple(size)
            return _sequence_size(fn, size, f" (position {position})", generic)
        n = _leading_int(size) if varargs else None
        if n is None:
            raise _refusal(
                f"{fn}(): argument 'size' (position {position}) must be tuple of ints, not {_type_name(size)}", generic
            )
        return (n,)
    if args and varargs and _leading_int(args[0]) is not None:
        return _unpacked(fn, args)
    if not args:
        raise _refusal(f'{fn}() missing 1 required positional arguments: "size"', generic)
    raise _refusal(f"{fn}() takes 1 positional argument but {len(args)} were given", generic)
