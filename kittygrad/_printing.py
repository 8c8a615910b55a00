"""Tensor repr formatted exactly as PyTorch prints it (precision 4, threshold 1000, width 80)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from . import backend as B
from .meta_array import MetaArray
from . import dtypes


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_options = _PrintOptions()
#: profile name -> (precision, threshold, edgeitems), torch's three profiles
_PROFILES = {"default": (4, 1000, 3), "short": (2, 1000, 2), "full": (4, math.inf, 3)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print, as ``torch.set_printoptions``.

    >>> set_printoptions(precision=2); set_printoptions(profile="default")
    """
    if profile in _PROFILES:  # an unknown name changes nothing, as in torch
        precision_, threshold_, edgeitems_ = _PROFILES[profile]
        _options.precision, _options.threshold, _options.edgeitems, _options.linewidth = precision_, threshold_, edgeitems_, 80
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems, "linewidth": linewidth}
    for name, value in given.items():
        if value is not None:
            setattr(_options, name, value)
    _options.sci_mode = sci_mode  # None means "choose per tensor", so it is always set


class _Formatter:
    """Chooses one width and notation (integer-valued, fixed or scientific) for all elements."""

    def __init__(self, values: list, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = _options.precision
        if not floating:
            for v in values:
                self.max_width = max(self.max_width, len(str(v)))
        else:
            finite = [v for v in values if math.isfinite(v) and v != 0]
            if finite:
                absvals = [abs(v) for v in finite]
                vmin, vmax = min(absvals), max(absvals)
                self.int_mode = all(v == math.ceil(v) for v in finite)
                spread = vmax / vmin > 1000.0 or vmax > 1.0e8
                self.sci_mode = spread if self.int_mode else spread or vmin < 1.0e-4
                if _options.sci_mode is not None:  # the width follows the notation actually printed
                    self.sci_mode = _options.sci_mode
                if self.sci_mode:
                    width = max(len(f"{v:.{p}e}") for v in finite)
                elif self.int_mode:
                    width = max(len(f"{v:.0f}") + 1 for v in finite)
                else:
                    width = max(len(f"{v:.{p}f}") for v in finite)
                self.max_width = max(self.max_width, width)
        if _options.sci_mode is not None:
            self.sci_mode = _options.sci_mode

    def format(self, v) -> str:
        p = _options.precision
        if self.floating:
            if self.sci_mode:
                s = f"{v:{self.max_width}.{p}e}"
            elif self.int_mode:
                s = f"{v:.0f}"
                if not (math.isinf(v) or math.isnan(v)):
                    s += "."
            else:
                s = f"{v:.{p}f}"
        else:
            s = str(v)
        return (self.max_width - len(s)) * " " + s


def _summarized(arr, edge):
    """The edge items of every dim (what the formatter measures when the tensor is summarized)."""
    xp = type(arr)
    if arr.ndim == 0:
        return arr

    if arr.shape[0] > 2 * edge:
        arr = B.xp.concatenate([arr[:edge], arr[-edge:]])
    if arr.ndim == 1:
        return arr
    del xp
    return B.xp.stack([_summarized(a, edge) for a in arr]) if len(arr) else arr


def _vector_str(arr, indent, summarize, fmt) -> str:
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((_options.linewidth - indent) / element_length)))
    edge = _options.edgeitems
    if summarize and arr.shape[0] > 2 * edge:
        data = [fmt.format(v) for v in arr[:edge].tolist()] + [" ..."] + [fmt.format(v) for v in arr[-edge:].tolist()]
    else:
        data = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    separator = ",\n" + " " * (indent + 1)  # a continued line starts under the first value
    return "[" + separator.join(lines) + "]"


def _nd_str(arr, indent, summarize, fmt) -> str:
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    edge = _options.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        slices = (
            [_nd_str(arr[i], indent + 1, summarize, fmt) for i in range(edge)]
            + ["..."]
            + [_nd_str(arr[i], indent + 1, summarize, fmt) for i in range(n - edge, n)]
        )
    else:
        slices = [_nd_str(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def tensor_body(arr, indent: int) -> str:
    """The bracketed values part of the repr."""
    summarize = arr.size > _options.threshold
    if B.is_float(arr.dtype) and arr.dtype.itemsize == 2:  # float16 and bfloat16 print as float32
        arr = arr.astype("float32")
    measured = _summarized(arr, _options.edgeitems) if summarize else arr
    fmt = _Formatter(measured.reshape(-1).tolist(), arr.dtype.kind == "f")
    return _nd_str(arr, indent, summarize, fmt)


def _add_suffixes(body: str, suffixes: list, indent: int) -> str:
    parts = [body]
    last_line_len = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _options.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t, prefix: str = "tensor(", indent: int | None = None) -> str:
    arr = t._data
    indent = len(prefix) if indent is None else indent
    d = t.dtype
    default = d in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool)
    suffixes = []
    if type(arr) is MetaArray:  # no values to show, so (as torch) only the default float dtype goes unnamed
        named = d is not dtypes.get_default_dtype()
        suffixes += ["device='meta'", "size=" + str(tuple(arr.shape))] + (["dtype=" + repr(d)] if named else [])
        if t.requires_grad:
            suffixes.append("requires_grad=True")
        return _add_suffixes(prefix + "...", suffixes, indent)
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(arr.shape)))
        if d is not dtypes.get_default_dtype():
            suffixes.append("dtype=" + repr(d))
        body = "[]"
    else:
        if not default:
            suffixes.append("dtype=" + repr(d))
        body = tensor_body(arr, indent)
    # the autograd part of the repr: the grad_fn when there is one, else whether a leaf requires grad
    try:
        fn = t.grad_fn
    except RuntimeError:  # a split output whose base changed in place: torch prints it as <Invalid>
        autograd = "grad_fn=<Invalid>"
    else:
        autograd = None if fn is None else f"grad_fn=<{fn.output_name(t._output_nr)}>"
    if autograd is None and t.requires_grad:
        autograd = "requires_grad=True"
    if autograd is not None:
        suffixes.append(autograd)
    return _add_suffixes(prefix + body, suffixes, indent)
