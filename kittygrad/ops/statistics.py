"""Statistics: ``cov``, ``corrcoef``, ``quantile``/``nanquantile``, ``mode``, and the counting ops
``bincount``, ``histc``, ``histogram``, ``histogramdd`` (the differentiable ones are composed of
differentiable ops)."""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..errors import KittyIndexError, KittyNotImplementedError, KittyRuntimeError, KittyTypeError
from ._prep import as_tensor_arg, cast, dtype_name, normalize_dim, torch_named
from ._return_types import _make, mode as mode_result
from .gather_scatter import gather
from .joining import stack
from .unary import _fin

builtins_range = range
histogram_result = _make("histogram", ("hist", "bin_edges"))
histogramdd_result = _make("histogramdd", ("hist", "bin_edges"))


def _wrap(arr):
    return F.Tensor._wrap(arr)  # (which makes NumPy scalars arrays)


# ---------------------------------------------------------------------------------------------
# covariance and correlation


def cov(input, *, correction: int = 1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (observations in columns);
    ``fweights`` (integer frequencies) and ``aweights`` (importance) weight the observations.

    >>> import kittygrad as kitty
    >>> kitty.cov(kitty.tensor([[1., 2., 4.], [3., 1., 0.]]))
    tensor([[ 2.3333, -2.1667],
            [-2.1667,  2.3333]])
    """
    input = as_tensor_arg(input)
    nd = input._data.ndim
    if nd > 2:
        raise KittyRuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {nd} dimensions")
    x = _fin(input)
    x = x.reshape(1, -1) if nd < 2 else x
    n = x._data.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        wt = as_tensor_arg(wt, name)
        if wt._data.ndim > 1:
            raise KittyRuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with {wt._data.ndim} dimensions")
        if wt.numel() != n:
            raise KittyRuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the input but got {wt.numel()} != {n}")
        if name == "fweights" and wt._data.dtype.kind not in "iu":
            raise KittyRuntimeError("cov(): expected fweights to have integral dtype but got fweights with " + dtype_name(wt) + " dtype")
        if name == "aweights" and not B.is_float(wt._data.dtype):
            raise KittyRuntimeError("cov(): expected aweights to have floating point dtype but got aweights with " + dtype_name(wt) + " dtype")
        if bool((wt._data < 0).any()):
            raise KittyRuntimeError(f"cov(): {name} cannot be negative")
        w = wt if w is None else w * wt
        if name == "aweights":  # float weights take part in the arithmetic: float32 data, float64 weights -> float64
            x = cast(x, D.result_type(x, wt))
    if w is None:
        avg = x.mean(1)
        norm = float(n - correction)
    else:
        w = cast(w, x.dtype)
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * cast(as_tensor_arg(aweights), x.dtype)).sum() / w_sum
    if isinstance(norm, float):
        norm = max(norm, 0.0)
    else:
        norm = norm.clamp_min(0)
    xm = x - avg.unsqueeze(1)
    c = (xm if w is None else xm * w).matmul(xm.t()) / norm
    return c.squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the variables in the rows of ``input``.

    >>> import kittygrad as kitty
    >>> kitty.corrcoef(kitty.tensor([[1., 2., 4.], [3., 1., 0.]]))
    tensor([[ 1.0000, -0.9286],
            [-0.9286,  1.0000]])
    """
    input = as_tensor_arg(input)
    nd = input._data.ndim
    if nd > 2:
        raise KittyRuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with {nd} dimensions")
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c.clamp(-1, 1)


# ---------------------------------------------------------------------------------------------
# order statistics


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, name, ignore_nan):
    input = as_tensor_arg(input)
    if not B.is_float(input._data.dtype):
        raise KittyRuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise KittyRuntimeError(
            f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, but got {interpolation}"
        )
    scalar_q = not isinstance(q, F.Tensor)
    qs = B.xp.asarray([q] if scalar_q else q._data, dtype=B.xp.float64).reshape(-1)
    if not scalar_q:
        if q._data.ndim > 1:
            raise KittyRuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q._data.dtype != input._data.dtype:
            raise KittyRuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if qs.size and ((qs < 0).any() or (qs > 1).any()):
        bad = float(qs[(qs < 0) | (qs > 1)][0]) if scalar_q else None
        raise KittyRuntimeError(
            f"{name}() q must be in the range [0, 1] but got {bad}" if scalar_q else f"{name}() q values must be in the range [0, 1]"
        )
    if input.numel() == 0:
        raise KittyRuntimeError(f"{name}() input tensor must be non-empty")
    if dim is None:
        x = input.reshape(-1)
        d = 0
    else:
        d = normalize_dim(dim, max(input._data.ndim, 1))
        x = input if input._data.ndim else input.reshape(1)
    values = x.sort(d).values  # NaN sort last
    data = values._data
    nan = B.xp.isnan(data)
    n = data.shape[d]
    if ignore_nan:
        count = (~nan).sum(axis=d, keepdims=True)
        last = B.xp.maximum(count - 1, 0).astype(B.xp.float64)  # all NaN: the first (a NaN), as torch
    else:
        last = B.xp.full(B.xp.sum(nan, axis=d, keepdims=True).shape, n - 1, dtype=B.xp.float64)
    # quantile of a slice holding a NaN: its last sorted value, a NaN, as torch does (so the
    # gradient reaches that element too)
    stuck = B.xp.zeros_like(last, dtype=bool) if ignore_nan else B.xp.any(nan, axis=d, keepdims=True)
    outs = []
    for qv in qs:
        pos = B.xp.where(stuck, last, qv * last)
        lo = B.xp.floor(pos)
        hi = B.xp.ceil(pos)
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = B.xp.round(pos)  # halves to even, as torch
        lo_t = _wrap(lo.astype(B.xp.int64))
        hi_t = _wrap(hi.astype(B.xp.int64))
        a, b = gather(values, d, lo_t), gather(values, d, hi_t)
        if interpolation == "midpoint":
            r = (a + b) * 0.5
        elif interpolation == "linear":
            weight = _wrap((pos - lo).astype(data.dtype))
            r = a.lerp(b, weight)
        else:
            r = a
        outs.append(r if keepdim and dim is not None else r.squeeze(d))
    if input._data.ndim == 0:
        outs = [o.reshape(()) for o in outs]
    elif dim is None and keepdim:
        outs = [o.reshape((1,) * input._data.ndim) for o in outs]
    # torch's quantile ends on a squeeze of a list of dims, whatever the shapes: its node names it
    if scalar_q or q._data.ndim == 0:  # a 0-d q tensor adds no dimension either
        return torch_named(outs[0], "SqueezeBackward4")
    return torch_named(stack(outs, 0), "SqueezeBackward4")


def quantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """The ``q``-th quantiles (a number or a 1-D tensor in [0, 1]) of ``input`` along ``dim`` (or
    of all its values); a slice holding a NaN gives NaN.

    >>> import kittygrad as kitty
    >>> kitty.quantile(kitty.tensor([1., 4., 2., 8.]), 0.5)
    tensor(3.)
    """
    return _quantile(input, q, dim, keepdim, interpolation, "quantile", False)


def nanquantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """``quantile`` ignoring NaNs (an all-NaN slice gives NaN).

    >>> import kittygrad as kitty
    >>> kitty.nanquantile(kitty.tensor([1., float('nan'), 3.]), 0.5)
    tensor(2.)
    """
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile", True)


def mode(input, dim: int = -1, keepdim: bool = False):
    """The most frequent value along ``dim`` (the smallest on ties) and the index of its last
    occurrence; the gradient goes to that element.

    >>> import kittygrad as kitty
    >>> kitty.mode(kitty.tensor([3., 1., 3., 1., 2.])).values
    tensor(1.)
    """
    input = as_tensor_arg(input)
    nd = input._data.ndim
    d = normalize_dim(dim, max(nd, 1))
    x = input if nd else input.reshape(1)
    data = B.xp.moveaxis(x._data, d, -1)
    if data.shape[-1] == 0:  # (before the reshape: -1 rows of 0 is ambiguous)
        raise KittyIndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    flat = data.reshape(-1, data.shape[-1])
    idx = B.xp.empty(flat.shape[0], dtype=B.xp.int64)
    for r, row in enumerate(flat):
        order = B.xp.argsort(row, kind="stable")
        srt = row[order]
        vals, starts, counts = B.xp.unique(srt, return_index=True, return_counts=True)
        best = int(B.xp.argmax(counts))  # the first (smallest) of the most frequent
        idx[r] = order[starts[best] + counts[best] - 1]  # its last occurrence (stable order)
    idx = idx.reshape(data.shape[:-1] + (1,))
    idx = B.xp.moveaxis(idx, -1, d)
    indices = _wrap(idx)
    # gather keeps its own copy of the index: the returned indices may be changed in place
    values = gather(x, d, _wrap(idx.copy()))
    if not keepdim or not nd:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return mode_result(torch_named(values, "ModeBackward0"), indices)


# ---------------------------------------------------------------------------------------------
# counting


def bincount(input, weights=None, minlength: int = 0):
    """How many times each non-negative integer occurs in the 1-D ``input`` (or the sum of its
    ``weights``); at least ``minlength`` bins.

    >>> import kittygrad as kitty
    >>> kitty.bincount(kitty.tensor([0, 1, 1, 3]))
    tensor([1, 2, 0, 1])
    """
    input = as_tensor_arg(input)
    data = input._data
    if data.dtype.kind not in "iub":
        raise KittyNotImplementedError(f'"bincount_cpu" not implemented for \'{dtype_name(input)}\'')
    if data.ndim != 1 or (data.size and data.min() < 0):
        raise KittyRuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise KittyRuntimeError("minlength should be >= 0")
    if weights is None:
        return _wrap(B.xp.bincount(data, minlength=minlength).astype(B.xp.int64))
    weights = as_tensor_arg(weights, "weights")
    if weights._data.shape != data.shape:
        raise KittyRuntimeError("weights should be 1-d and have the same length as input")
    wd = weights._data
    out_dtype = wd.dtype if wd.dtype.kind == "f" else B.xp.float64
    return _wrap(B.xp.bincount(data, weights=wd.astype(B.xp.float64), minlength=minlength).astype(out_dtype))


def _float_only(input, what="histogram"):
    input = as_tensor_arg(input)
    if not B.is_float(input._data.dtype):
        raise KittyNotImplementedError(f'"{what}_cpu" not implemented for \'{dtype_name(input)}\'')
    return input


def histc(input, bins: int = 100, min=0, max=0):  # noqa: A002 - torch's names
    """A histogram of ``bins`` equal bins between ``min`` and ``max`` (the data's range when both
    are 0); values outside are ignored.

    >>> import kittygrad as kitty
    >>> kitty.histc(kitty.tensor([1., 2., 1.]), bins=4, min=0, max=3)
    tensor([0., 2., 1., 0.])
    """
    input = _float_only(input)
    if bins <= 0:
        raise KittyRuntimeError(f"torch.histc: bins must be > 0, but got {bins} for dimension 0")
    data = input._data.reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise KittyRuntimeError(f"torch.histc: max must be larger than min, but got min {min} and max {max}")
    counts = _counts(data, bins, lo, hi, None)
    return _wrap(counts.astype(data.dtype))


def _counts(data, bins, lo, hi, weight):
    keep = (data >= lo) & (data <= hi)
    vals = data[keep].astype(B.xp.float64)
    pos = B.xp.floor((vals - lo) * bins / (hi - lo)).astype(B.xp.int64)
    pos = B.xp.minimum(pos, bins - 1)  # max goes into the last bin
    w = None if weight is None else weight[keep].astype(B.xp.float64)
    return B.xp.bincount(pos, weights=w, minlength=bins)[:bins].astype(B.xp.float64)


def histogram(input, bins, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """A histogram of ``input``: ``bins`` equal bins over ``range`` (default: the data's range) or
    the bin edges given as a 1-D tensor; returns ``(hist, bin_edges)``.

    >>> import kittygrad as kitty
    >>> kitty.histogram(kitty.tensor([1., 2., 1.]), bins=2).hist
    tensor([2., 1.])
    """
    input = _float_only(input)
    data = input._data.reshape(-1)
    w = None
    if weight is not None:
        weight = as_tensor_arg(weight, "weight")
        if weight._data.shape != input._data.shape:
            raise KittyRuntimeError("torch.histogram: if weight tensor is provided it should have the same shape as the input tensor")
        w = weight._data.reshape(-1)
    if isinstance(bins, F.Tensor):
        edges = bins._data.astype(data.dtype)
        if edges.ndim != 1 or edges.size < 1:
            raise KittyRuntimeError("torch.histogram(): bins tensor should have one dimension and at least 1 element")
        idx = B.xp.searchsorted(edges, data, side="right") - 1
        idx = B.xp.where(data == edges[-1], edges.size - 2, idx)  # the last edge closes the last bin
        keep = (idx >= 0) & (idx < edges.size - 1)
        counts = B.xp.bincount(idx[keep], weights=None if w is None else w[keep].astype(B.xp.float64),
                               minlength=edges.size - 1)[: edges.size - 1].astype(B.xp.float64)
    else:
        if isinstance(bins, bool) or not isinstance(bins, int):
            raise KittyTypeError(f"histogram(): argument 'bins' must be int or Tensor, not {type(bins).__name__}")
        if bins <= 0:
            raise KittyRuntimeError("torch.histogram(): bins must be > 0, but got " + str(bins) + " for dimension 0")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif data.size:
            lo, hi = float(data.min()), float(data.max())
        else:
            lo, hi = 0.0, 0.0
        if lo > hi:
            raise KittyRuntimeError(f"torch.histogram(): max must be larger than min, but got min {lo} and max {hi}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = B.xp.linspace(lo, hi, bins + 1).astype(data.dtype)
        counts = _counts(data, bins, lo, hi, w)
    if density:
        widths = B.xp.diff(edges.astype(B.xp.float64))
        with B.errstate(divide="ignore", invalid="ignore"):  # nothing counted: NaN, as torch
            counts = counts / (counts.sum() * widths)
    return histogram_result(_wrap(counts.astype(data.dtype)), _wrap(edges))



def histogramdd(input, bins, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """A D-dimensional histogram of the points in the last dim of ``input`` (``(..., D)``): ``bins``
    is a count for every dim, a count per dim, or the edges per dim (1-D tensors); ``range`` is
    ``[min0, max0, min1, max1, ...]``. Returns ``(hist, bin_edges)``.

    >>> import kittygrad as kitty
    >>> kitty.histogramdd(kitty.tensor([[0., 1.], [1., 0.]]), bins=2).hist
    tensor([[0., 1.],
            [1., 0.]])
    """
    input = _float_only(input, "histogramdd")
    data = input._data
    if data.ndim < 1:
        raise KittyRuntimeError("torch.histogramdd: input tensor should have at least 1 dimension")
    dims = data.shape[-1]
    points = data.reshape(-1, dims).astype(B.xp.float64)
    if isinstance(bins, int):
        spec = [bins] * dims
    else:
        spec = [b._data.astype(B.xp.float64) if isinstance(b, F.Tensor) else int(b) for b in bins]
        if len(spec) != dims:
            raise KittyRuntimeError("histogramdd: The size of bins must be equal to the innermost dimension of the input.")
    ranges = None
    if range is not None:
        flat = [float(v) for v in range]
        if len(flat) != 2 * dims:
            raise KittyRuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram, range should have "
                                    f"{2 * dims} elements, but got {len(flat)}")
        ranges = [(flat[2 * i], flat[2 * i + 1]) for i in builtins_range(dims)]
    w = None
    if weight is not None:
        weight = as_tensor_arg(weight, "weight")
        w = weight._data.reshape(-1).astype(B.xp.float64)
    with B.errstate(divide="ignore", invalid="ignore"):  # nothing counted with density: NaN, as torch
        hist, edges = B.xp.histogramdd(points, bins=spec, range=ranges, weights=w, density=density)
    dt = data.dtype
    return histogramdd_result(_wrap(hist.astype(dt)), tuple(_wrap(e.astype(dt)) for e in edges))
