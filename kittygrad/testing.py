"""``kittygrad.testing``: ``assert_close`` and ``make_tensor``, as ``torch.testing``.

>>> import kittygrad as kitty
>>> kitty.testing.assert_close(kitty.tensor([1.0, 2.0]), kitty.tensor([1.0, 2.0 + 1e-7]))
"""
from __future__ import annotations

import collections.abc
import math
import warnings
from typing import Any, Callable

from . import _display
from . import backend as B
from . import dtypes as D
from .creation import as_tensor, default_generator
from .errors import KittyTypeError, KittyValueError
from .ops.shape import _shape_arg
from .tensor import Tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

#: torch's default (rtol, atol) per dtype; every other dtype compares exactly
_DEFAULT_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
                       "float64": (1e-7, 1e-7)}


class _Failure(Exception):
    """A mismatch found while walking the inputs: the exception to raise and where it happened."""

    def __init__(self, kind: type, message: str, path: str = "") -> None:
        super().__init__(message)
        self.kind, self.message, self.path = kind, message, path


def assert_close(
    actual: Any,
    expected: Any,
    *,
    allow_subclasses: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg: str | Callable[[str], str] | None = None,
) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close, as ``torch.testing.assert_close``.

    Tensors, NumPy arrays and Python numbers are compared elementwise with
    ``|actual - expected| <= atol + rtol * |expected|`` (torch's default tolerances per dtype when
    none are given: float16 1e-3/1e-5, float32 1.3e-6/1e-5, float64 1e-7/1e-7, exact otherwise), after
    their shape, device, dtype (``check_dtype``) and strides (``check_stride``) are checked;
    sequences and mappings are compared item by item. ``msg`` replaces the message (a string) or
    rewrites it (a callable).

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.testing.assert_close(kitty.tensor([1.0, 2.0]), kitty.tensor([1.0, 2.5]))
    ... except AssertionError as err:
    ...     print(err)
    Tensor-likes are not close!
    <BLANKLINE>
    Mismatched elements: 1 / 2 (50.0%)
    Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)
    Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)
    """
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise KittyValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype, check_layout=check_layout,
                   check_stride=check_stride)
    try:
        _compare(actual, expected, "", options)
    except _Failure as failure:
        if failure.kind is not AssertionError:
            raise failure.kind(failure.message) from None
        message = failure.message
        if isinstance(msg, str):
            raise AssertionError(msg) from None
        if callable(msg):
            message = msg(message)
        if failure.path:
            message += f"\n\nThe failure occurred for item {failure.path}"
        raise AssertionError(message) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan: bool = True, msg: str = "") -> None:
    """Deprecated: :func:`assert_close` with ``equal_nan=True`` and no dtype check (warns, as torch).

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kitty.testing.assert_allclose(kitty.ones(2), [1.0, 1.0])
    """
    pkg = _display.name  # torch's text under kittygrad.run
    warnings.warn(f"`{pkg}.testing.assert_allclose()` is deprecated since {_torch_version(pkg)}1.12 and will be "
                  f"removed in a future release. Please use `{pkg}.testing.assert_close()` instead. You can find "
                  "detailed upgrade instructions in https://github.com/pytorch/pytorch/issues/61844.",
                  FutureWarning, stacklevel=2)
    if not isinstance(expected, type(actual)) and hasattr(actual, "dtype"):
        expected = as_tensor(expected, dtype=actual.dtype)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True,
                 check_dtype=False, check_stride=False, msg=msg or None)


def _torch_version(pkg: str) -> str:
    """The prefix of a torch version number in a deprecation message: none under torch's name."""
    return "" if pkg == "torch" else "torch "


def _no_pair(actual, expected, path) -> _Failure:
    return _Failure(
        KittyTypeError,
        f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.",
        path,
    )


def _compare(actual, expected, path: str, options: dict) -> None:
    if actual is None and expected is None:
        return
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        if not options["allow_subclasses"] and type(actual) is not type(expected):
            raise _no_pair(actual, expected, path)
        return _compare_tensors(actual, expected, path, options)
    if B.is_array(actual) and B.is_array(expected):
        return _compare_tensors(as_tensor(actual), as_tensor(expected), path, options)
    if isinstance(actual, bool) and isinstance(expected, bool):
        if actual is not expected:
            raise _Failure(AssertionError, f"Booleans mismatch: {actual} is not {expected}", path)
        return
    if _is_number(actual) and _is_number(expected):
        return _compare_numbers(actual, expected, path, options)
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Failure(
                AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", path
            )
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, f"{path}[{i!r}]", options)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        missing = sorted((k for k in expected if k not in actual), key=repr)
        extra = sorted((k for k in actual if k not in expected), key=repr)
        if missing or extra:
            raise _Failure(
                AssertionError,
                "The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {missing}\nAdditional keys in the actual mapping: {extra}",
                path,
            )
        for key in expected:
            _compare(actual[key], expected[key], f"{path}[{key!r}]", options)
        return
    raise _no_pair(actual, expected, path)


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_sequence(x) -> bool:
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, (str, bytes))


def _tolerances(options: dict, *dtype_names: str) -> tuple[float, float]:
    if options["rtol"] is not None:
        return options["rtol"], options["atol"]
    pairs = [_DEFAULT_TOLERANCES.get(name, (0.0, 0.0)) for name in dtype_names]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _compare_numbers(actual, expected, path: str, options: dict) -> None:
    if type(actual) is not type(expected):
        if options["check_dtype"]:
            raise _Failure(
                AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.", path
            )
        actual, expected = float(actual), float(expected)
    rtol, atol = _tolerances(options, "float64" if isinstance(actual, float) else "int64")
    if actual == expected or (options["equal_nan"] and actual != actual and expected != expected):
        return
    diff = abs(actual - expected)
    if diff <= atol + rtol * abs(expected):
        return
    raise _Failure(AssertionError, _scalar_message(actual, expected, rtol, atol), path)


def _scalar_message(actual, expected, rtol: float, atol: float) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = abs_diff / abs(expected) if expected != 0 else math.inf
    return _message("Scalars", rtol, atol, f"Expected {expected} but got {actual}.",
                    ("Absolute difference", abs_diff, None), ("Relative difference", rel_diff, None))


def _message(identifier: str, rtol: float, atol: float, extra: str, absolute: tuple, relative: tuple) -> str:
    exact = rtol == 0 and atol == 0
    lines = [f"{identifier} are not {'equal' if exact else 'close'}!", "", extra]
    for (label, value, index), tol in ((absolute, atol), (relative, rtol)):
        line = f"{label}: {value}" if index is None else f"{label}: {value} at index {index}"
        lines.append(line if exact else f"{line} (up to {tol} allowed)")
    return "\n".join(lines)


def _compare_tensors(actual: Tensor, expected: Tensor, path: str, options: dict) -> None:
    checks = [("shape", lambda t: t.shape, True), ("device", lambda t: t.device, options["check_device"]),
              ("dtype", lambda t: t.dtype, options["check_dtype"]), ("stride()", lambda t: t.stride(),
                                                                    options["check_stride"])]
    for name, get, wanted in checks:
        if wanted and get(actual) != get(expected):
            raise _Failure(
                AssertionError,
                f"The values for attribute '{name}' do not match: {get(actual)!r} != {get(expected)!r}.",
                path,
            )
    rtol, atol = _tolerances(options, actual.dtype.name, expected.dtype.name)
    a, e = actual._data, expected._data
    if a.dtype != e.dtype:
        common = D.promote(actual.dtype, expected.dtype).np
        a, e = a.astype(common), e.astype(common)
    if a.ndim == 0:
        scalars = a.item(), e.item()  # (bools stay bools in the message)
    if a.dtype.kind == "f":
        matches = B.xp.isclose(a, e, rtol=rtol, atol=atol, equal_nan=options["equal_nan"])
    else:  # integers and bools, exactly or within the given tolerances (in int64: no overflow)
        a, e = a.astype("int64"), e.astype("int64")
        matches = a == e if rtol == 0 and atol == 0 else B.xp.abs(a - e) <= atol + rtol * B.xp.abs(e)
    if matches.all():
        return
    if a.ndim == 0:
        raise _Failure(AssertionError, _scalar_message(*scalars, rtol, atol), path)
    raise _Failure(AssertionError, _tensor_message(a, e, matches, rtol, atol), path)


def _tensor_message(a, e, matches, rtol: float, atol: float) -> str:
    total, shape = matches.size, matches.shape
    mismatched = total - int(matches.sum())
    a, e, matches = a.reshape(-1), e.reshape(-1), matches.reshape(-1)
    with B.xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        abs_diff = B.xp.abs(a - e)
        abs_diff[matches] = 0
        # integers: relative differences in the default float dtype, as torch's true division
        ratio_dtype = a.dtype if a.dtype.kind == "f" else D.get_default_dtype().np
        rel_diff = (abs_diff.astype(ratio_dtype) / B.xp.abs(e).astype(ratio_dtype)).astype(ratio_dtype)
        rel_diff[matches] = 0
    i_abs, i_rel = int(B.xp.argmax(abs_diff)), int(B.xp.argmax(rel_diff))  # (a NaN wins, as torch.max)
    extra = f"Mismatched elements: {mismatched} / {total} ({mismatched / total:.1%})"
    return _message("Tensor-likes", rtol, atol, extra,
                    ("Greatest absolute difference", abs_diff[i_abs].item(), _unravel(i_abs, shape)),
                    ("Greatest relative difference", rel_diff[i_rel].item(), _unravel(i_rel, shape)))


def _unravel(flat: int, shape: tuple) -> tuple:
    index = []
    for n in reversed(shape):
        flat, i = divmod(flat, n)
        index.append(i)
    return tuple(reversed(index))


def make_tensor(
    *shape,
    dtype: D.dtype,
    device,
    low: float | None = None,
    high: float | None = None,
    requires_grad: bool = False,
    noncontiguous: bool = False,
    exclude_zero: bool = False,
    memory_format=None,
) -> Tensor:
    """A tensor of ``shape`` with values drawn uniformly from ``[low, high)``, as ``torch.testing.make_tensor``.

    Defaults by dtype: bool [0, 2), integers [-9, 10) (clamped to the dtype: [0, 10) for uint8),
    floats [-9, 9); bounds outside the dtype's range are clamped to it, integer bounds rounded up.
    ``noncontiguous`` returns every second element of a wider tensor; ``exclude_zero`` replaces zeros
    with 1 (integers) or the dtype's ``finfo.tiny`` (floats). The draws are torch's: after the same
    ``manual_seed``, kittygrad and torch make the same tensor.

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(0)
    >>> kitty.testing.make_tensor(2, 3, dtype=kitty.int64, device="cpu", low=0, high=5)
    tensor([[4, 4, 3],
            [0, 3, 4]])
    """
    size = _shape_arg(shape) if shape else ()
    dtype = D.to_dtype(dtype)
    if noncontiguous and memory_format is not None:
        raise KittyValueError(
            "The parameters `noncontiguous` and `memory_format` are mutually exclusive, but got "
            f"noncontiguous={noncontiguous} and memory_format={memory_format}"
        )
    if requires_grad and not dtype.is_floating_point:
        raise KittyValueError(
            f"`requires_grad=True` is not supported for boolean and integral dtypes, but got dtype={dtype!r}"
        )
    noncontiguous = noncontiguous and math.prod(size) > 1
    if noncontiguous:
        size = (*size[:-1], 2 * size[-1])
    gen = default_generator
    if dtype is D.bool:
        low, high = _bounds(dtype, low, high, 0, 2, 0, 2)
        arr = gen.integers(low, high, size, dtype.np)
    elif dtype.is_floating_point:
        info = D.finfo(dtype)
        low, high = _bounds(dtype, low, high, info.min, info.max, -9, 9)
        if high - low >= info.max:  # the span overflows the dtype: draw half of it, then double
            arr = gen.uniform(low / 2, high / 2, size, dtype.np) * 2
        else:
            arr = gen.uniform(low, high, size, dtype.np)
    else:
        info = D.iinfo(dtype)
        # (randint cannot reach int64's maximum, so its exclusive bound stays the maximum, as torch)
        top = info.max + (1 if dtype is not D.int64 else 0)
        low, high = _bounds(dtype, low, high, info.min, top, -9, 10)
        arr = gen.integers(low, high, size, dtype.np)
    if noncontiguous:
        arr = arr[..., 1::2]
    if exclude_zero:
        arr[arr == 0] = 1 if not dtype.is_floating_point else D.finfo(dtype).tiny
    t = as_tensor(arr, device=device)
    if memory_format is not None:
        t = t.clone(memory_format=memory_format)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _bounds(dtype, low, high, lowest, highest, default_low, default_high) -> tuple:
    """torch's checks and clamping of make_tensor's bounds (``highest`` exclusive)."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise KittyValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and dtype.is_floating_point:
        pkg = _display.name
        warnings.warn(
            f"Passing `low==high` to `{pkg}.testing.make_tensor` for floating or complex types is deprecated since "
            f"{_torch_version(pkg)}2.1 and will be removed in 2.3. Use `{pkg}.full(...)` instead.", FutureWarning,
            stacklevel=3,
        )
    elif low >= high:
        raise KittyValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise KittyValueError(
            f"The value interval specified by `low` and `high` is [{low}, {high}), but {dtype!r} only supports "
            f"[{lowest}, {highest})"
        )
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if dtype.is_floating_point:
        return low, high
    return math.ceil(low), math.ceil(high)  # integer draws take whole bounds
