"""Normalisation ops: batch, instance, layer, group and RMS norm."""
from __future__ import annotations

import math

from ... import backend as B
from ... import dtypes as D
from ...autograd import function as F
from ...autograd.function import Op
from ...autograd.grad_mode import no_grad
from ...errors import KittyRuntimeError, KittyValueError
from .. import _kernels as _k
from .._fused import _assign, _const, _float, _same_dtype, xp
from .._prep import as_tensor_arg, cast, dtype_name, normalize_dims, torch_named
from ..norms import VectorNorm

# ---------------------------------------------------------------------------------------------
# normalisation: one fused op for batch, layer, group and RMS norm


class Norm(Op):
    """``(x - mean) / sqrt(var + eps) * w + b`` with the statistics over some axes.

    ``stat_shape``/``axes``: x is viewed as ``stat_shape`` and reduced over ``axes``.
    ``param_shape``: the shape w and b broadcast as. ``center=False`` gives RMS norm.
    ``stats``: given (mean, var) arrays (batch norm in eval mode); no gradient flows into them.
    ``sink``: a dict that receives the batch mean and biased variance (running statistics).
    """

    saved_fields = ("args", "dt", "fixed", "rstd", "shapes", "wb", "xhat")
    _name = "NativeBatchNormBackward"
    saved_inputs = (1,)  # backward reads the weight (x enters only through the saved xhat)
    graph_formal_undefined = True  # torch's double backward leaves the formal inputs' gradients undefined

    @property
    def graph_formal_inputs(self):
        # torch: native_batch_norm_backward / native_layer_norm_backward(grad, input, weight, ...);
        # its group and RMS norms are composites, whose gradients take no such formal inputs
        return (0, 1) if self._name in ("NativeBatchNormBackward", "NativeLayerNormBackward") else ()

    def forward(self, x, w, b, stat_shape=(), axes=(), param_shape=(), center=True, eps=1e-5, stats=None, sink=None, name=None):
        self.dt = dt = x.dtype
        if dt == xp.float16:  # statistics in float32, as torch: x * x overflows float16 beyond 256
            x = x.astype(xp.float32)
        xr = x.reshape(stat_shape)
        xc = None
        if stats is not None:
            mean, var = stats
            self.fixed = True
        else:
            self.fixed = False
            if center:
                mean = _mean_over(xr, axes)
                xc = _k.by_materializing(xp.subtract, xr, mean)
                var = _mean_of_product(xc, xc, axes)
            else:
                mean = None
                var = _mean_of_product(xr, xr, axes)
            if sink is not None:
                sink["mean"], sink["var"] = mean, var
        rstd = 1 / xp.sqrt(var + eps)
        if xc is not None:  # the centred copy is this op's own: scaled in place, one pass fewer
            xc *= rstd
            xhat = xc.reshape(x.shape)
        else:
            xhat = ((xr - mean) * rstd if mean is not None else xr * rstd).reshape(x.shape)
        self.xhat, self.rstd = xhat, rstd.astype(x.dtype, copy=False)
        self.args = (stat_shape, axes, param_shape, center)
        self.wb = w.reshape(param_shape) if w is not None else None
        self.shapes = (w.shape if w is not None else None, b.shape if b is not None else None)
        if name is not None:
            self._name = name
        # without weight the output must not be the saved xhat itself: an in-place change to the
        # output (allowed, as torch saves no output here) would corrupt the gradient
        # (the weight copied out over the result first, the bias added as long rows: see by_materializing, by_rows)
        out = _k.by_materializing(xp.multiply, xhat, self.wb) if w is not None else (xhat if b is not None else xhat.copy())
        if b is not None:
            if out is xhat or out.shape != xhat.shape or out.dtype != xhat.dtype:
                out = out + b.reshape(param_shape)
            else:
                _k.by_rows(xp.add, out, b.reshape(param_shape), out=out)  # the product above is a fresh array
        return out.astype(dt, copy=False)

    def composite(self, x, w, b, stat_shape=(), axes=(), param_shape=(), center=True, eps=1e-5, stats=None, sink=None, name=None):
        """The same normalisation from differentiable ops (no side effects: ``sink`` is left alone)."""
        dt = x.dtype
        if dt == D.float16:
            x = x.float()
        xr = x.reshape(stat_shape)
        axes = tuple(axes)
        if stats is not None:
            mean, var = _const(stats[0], xr), _const(stats[1], xr)
        elif center:
            mean = xr.mean(axes, keepdim=True)
            xc = xr - mean
            var = (xc * xc).mean(axes, keepdim=True)
        else:
            mean = None
            var = (xr * xr).mean(axes, keepdim=True)
        rstd = (var + eps).rsqrt()
        xhat = ((xr - mean) * rstd if mean is not None else xr * rstd).reshape(x.shape)
        out = xhat * w.reshape(param_shape) if w is not None else xhat
        if b is not None:
            out = out + b.reshape(param_shape)
        return out.to(dt)

    def backward(self, g):
        need = self.needs_input_grad
        stat_shape, axes, param_shape, center = self.args
        xhat, rstd = self.xhat, self.rstd
        gx = gw = gb = None
        if type(g) is B.ndarray and g.shape == xhat.shape and xhat.ndim:
            return self._array_backward(g, need)
        if need[1]:
            gw = B.sum_to_shape(g * xhat, param_shape).reshape(self.shapes[0])
        if need[2]:
            gb = B.sum_to_shape(g, param_shape).reshape(self.shapes[1])
        if need[0]:
            gh = g * self.wb if self.wb is not None else g
            gh = gh.reshape(stat_shape)
            if self.fixed:
                gx = gh * rstd
            else:
                xr = xhat.reshape(stat_shape)
                proj = (gh * xr).mean(axis=axes, keepdims=True)
                inner = gh - xr * proj
                if center:
                    inner = inner - gh.mean(axis=axes, keepdims=True)
                gx = inner * rstd
            gx = gx.reshape(g.shape)
        if self.dt == xp.float16:
            return tuple(None if a is None else a.astype(self.dt) for a in (gx, gw, gb))
        return gx, gw, gb

    def _array_backward(self, g, need):
        """``backward`` on arrays, with one scratch array reused and the input's gradient built
        in place: gx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)), gh = g * weight."""
        xp = B.xp
        stat_shape, axes, param_shape, center = self.args
        xhat, rstd = self.xhat, self.rstd
        grouped = self._grouped_backward(g, need)
        if grouped is not None:
            return grouped
        gx = gw = gb = None
        scratch = None
        if need[1]:
            if _rows_of(g, param_shape) is not None and _rows_of(xhat, param_shape) is not None:
                # one weight per trailing element (layer norm): a column sum of products, fused
                gw = B.array_einsum("ij,ij->j", _rows_of(g, param_shape), _rows_of(xhat, param_shape)).reshape(self.shapes[0])
            else:
                scratch = xp.multiply(g, xhat)
                gw = B.sum_to_shape(scratch, param_shape).reshape(self.shapes[0])
                if B.may_share_memory(gw, scratch):  # nothing was summed (per-sample weights): gw is it
                    scratch = None
        if need[2]:
            rows = _rows_of(g, param_shape) if g.flags.c_contiguous else None  # (einsum is slow on strides 0)
            # (layer norm: one bias per trailing element, a column sum)
            gb = (B.array_einsum("ij->j", rows) if rows is not None else B.sum_to_shape(g, param_shape)).reshape(self.shapes[1])
        if need[0]:
            work = xp.result_type(g, xhat)  # (float32 for float16 inputs, as their statistics)
            if self.wb is None:
                gh = xp.array(g, dtype=work)
            elif g.dtype == work == self.wb.dtype:
                gh = _k.by_materializing(xp.multiply, g, self.wb)
            else:
                gh = xp.multiply(g, self.wb, dtype=work)
            gh = gh.reshape(stat_shape)
            if self.fixed:
                gh *= rstd
            else:
                xr = xhat.reshape(stat_shape)
                if scratch is None or scratch.dtype != gh.dtype:
                    scratch = xp.empty_like(gh)
                scratch = scratch.reshape(stat_shape)
                proj = _mean_of_product(gh, xr, axes)
                shift = _mean_over(gh, axes) if center else None
                _k.by_materializing(xp.multiply, xr, proj, out=scratch)
                gh -= scratch
                if shift is not None:
                    gh -= shift
                gh *= rstd
            gx = gh.reshape(g.shape)
        if self.dt == xp.float16:
            return tuple(None if a is None else a.astype(self.dt) for a in (gx, gw, gb))
        return gx, gw, gb


    def _grouped_backward(self, g, need):
        """The group-norm layout's backward (statistics per sample and group of channels, one
        weight per channel), from two reductions per (sample, channel) row: P = sum(g * xhat) and
        Q = sum(g). The weight's and bias's gradients are P's and Q's column sums, and the group
        means the input's gradient needs are weighted sums of them, so
        gx = rstd * (g * w - mean(g * w) - xhat * mean(g * w * xhat)) takes two products and two
        sums in place over the input's size. At (32, 64, 16, 16) NumPy's sum over the batch and
        spatial axes took 93 us where the row sums take 30, and forward + backward went 1.15 ->
        0.91 ms.
        None where the layout is another (layer norm, batch norm, fixed statistics, half inputs)."""
        xp = B.xp
        stat_shape, axes, param_shape, center = self.args
        xhat, wb = self.xhat, self.wb
        if not (center and not self.fixed and axes == (2,) and len(stat_shape) == 3 and g.ndim >= 3
                and len(param_shape) == g.ndim and param_shape[0] == 1 and param_shape[1] == g.shape[1]
                and not any(n != 1 for n in param_shape[2:]) and g.dtype == xhat.dtype
                and g.dtype in (xp.float32, xp.float64) and xhat.flags.c_contiguous
                and (wb is None or wb.dtype == g.dtype)):
            return None
        n, c = g.shape[:2]
        groups = stat_shape[1]
        size = xhat.size // (n * c)
        if n * c * size == 0 or c % groups or not g.flags.c_contiguous and any(g.strides):
            return None
        g3 = xp.ascontiguousarray(g).reshape(n, c, size)  # (a gradient from sum(): one value broadcast)
        x3 = xhat.reshape(n, c, size)
        p = _k.dot_last(g3, x3, keepdims=False)
        q = _k.sum_last(g3, keepdims=False)
        gw = p.sum(0).reshape(self.shapes[0]) if need[1] else None
        gb = q.sum(0).reshape(self.shapes[1]) if need[2] else None
        gx = None
        if need[0]:
            w = wb.reshape(c) if wb is not None else xp.ones(c, g.dtype)
            per_group = c // groups
            count = g.dtype.type(per_group * size)
            proj = (p * w).reshape(n, groups, -1).sum(-1) / count  # mean(g * w * xhat) per group
            shift = (q * w).reshape(n, groups, -1).sum(-1) / count  # mean(g * w)
            rstd = self.rstd.reshape(n, groups)
            scale = (rstd[:, :, None] * w.reshape(groups, per_group)).reshape(n, c, 1)
            gx = g3 * scale
            gx += x3 * xp.repeat(-rstd * proj, per_group, axis=1).reshape(n, c, 1)
            gx += xp.repeat(-rstd * shift, per_group, axis=1).reshape(n, c, 1)
            gx = gx.reshape(g.shape)
        return gx, gw, gb


def _mean_over(a, axes: tuple):
    """``a.mean(axes, keepdims=True)``; over the trailing axes (layer norm) as row sums through
    :func:`_kernels.sum_last`, 3-4x faster than NumPy's mean along a short last axis."""
    k = len(axes)
    if type(a) is B.ndarray and a.ndim > k and axes == tuple(range(a.ndim - k, a.ndim)) and a.flags.c_contiguous:
        n = math.prod(a.shape[a.ndim - k:])
        if n:
            rows = _k.sum_last(a.reshape(-1, n), keepdims=False)
            rows /= rows.dtype.type(n)
            return rows.reshape(a.shape[: a.ndim - k] + (1,) * k)
    return a.mean(axis=axes, keepdims=True)


def _mean_of_product(a, b, axes: tuple):
    """``(a * b).mean(axes, keepdims=True)``; over trailing axes of contiguous arrays (layer and
    instance norm) as one fused product-sum per row (einsum: NumPy's own loop, not BLAS), which
    saves a pass and a temporary the size of the input."""
    k = len(axes)
    if (type(a) is B.ndarray and type(b) is B.ndarray and a.shape == b.shape and a.ndim > k
            and axes == tuple(range(a.ndim - k, a.ndim)) and a.flags.c_contiguous and b.flags.c_contiguous):
        n = math.prod(a.shape[a.ndim - k:])
        if n:
            rows = B.array_einsum("ij,ij->i", a.reshape(-1, n), b.reshape(-1, n))
            rows /= rows.dtype.type(n)
            return rows.reshape(a.shape[: a.ndim - k] + (1,) * k)
    return (a * b).mean(axis=axes, keepdims=True)


def _rows_of(a, param_shape: tuple):
    """``a`` as (rows, elements) when ``param_shape`` covers its trailing dims exactly (one
    parameter per trailing element, the layer-norm layout) and that is a view: ``a`` contiguous,
    or one value broadcast everywhere (a gradient from ``sum()``); else None."""
    k = len(param_shape)
    if (type(a) is not B.ndarray or a.ndim <= k or a.shape[a.ndim - k:] != tuple(param_shape)
            or not (a.flags.c_contiguous or not any(a.strides))):
        return None
    return a.reshape(-1, math.prod(param_shape))


def _norm_params(name, x, weight, bias):
    """``(x, weight, bias, dtype to return in or None)``, checked. A 16-bit float input with float32
    parameters (a model under ``autocast``, or a half input to a float32 layer) is what torch's CPU
    kernels take too: normalised in float32, and the result comes back in the input's dtype."""
    w = as_tensor_arg(weight, "weight") if weight is not None else None
    b = as_tensor_arg(bias, "bias") if bias is not None else None
    dt = x._data.dtype
    params = [p._data.dtype for p in (w, b) if p is not None]
    if dt in _HALF and any(p != dt for p in params) and all(p in (dt, xp.float32) for p in params):
        widen = [None if p is None else (p if p._data.dtype == xp.float32 else cast(p, D.float32)) for p in (w, b)]
        return (cast(x, D.float32), *widen, D.from_numpy_dtype(dt))
    _same_dtype(name, x, w, b)
    return x, w, b, None


_HALF = (xp.dtype(xp.float16), B.bfloat16)


def _int_norm_input(input, weight, bias, kernel):
    """layer_norm's and group_norm's input: an integer one is refused, first for parameters of
    another dtype (as torch's CPU check for mixed dtypes), else by the kernel."""
    x = as_tensor_arg(input)
    if not B.is_float(x._data.dtype) and any(
            p is not None and as_tensor_arg(p)._data.dtype != x._data.dtype for p in (weight, bias)):
        raise KittyRuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    return _float(x, kernel)


def _narrowed(out, dtype):
    """``out`` back in the input's 16-bit dtype after a float32 normalisation (see _norm_params)."""
    return out if dtype is None else cast(out, dtype)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each channel (dim 1) by batch statistics (training) or the running ones (eval).

    In training, ``running_mean``/``running_var`` (when given) are updated in place with
    ``momentum`` (unbiased variance), as torch.

    >>> import kittygrad as kitty
    >>> x = kitty.randn(8, 3)
    >>> kitty.nn.functional.batch_norm(x, None, None, training=True).mean(0).abs().max() < 1e-5
    tensor(True)
    """
    x, w, b, narrow = _norm_params("batch_norm", _float(input, "batch_norm"), weight, bias)
    shape = x._data.shape
    if x._data.ndim < 2:
        raise KittyValueError(f"expected 2D or higher input (got {x._data.ndim}D input)")
    c = shape[1]
    for t, what in ((running_mean, "running_mean"), (running_var, "running_var"), (w, "weight"), (b, "bias")):
        if t is not None and t._data.size != c:
            raise KittyRuntimeError(f"{what} should contain {c} elements not {t._data.size}")
    axes = (0,) + tuple(range(2, len(shape)))
    param_shape = (1, c) + (1,) * (len(shape) - 2)
    if training:
        count = shape[0] * math.prod(shape[2:])
        if count <= 1:
            raise KittyValueError(
                f"Expected more than 1 value per channel when training, got input size {x.shape}"
            )
        # (the running statistics ride along for vmap's batching rule, which refuses to update
        # unbatched ones from per-sample statistics, as torch.func does)
        sink = {"running": (running_mean, running_var)}
        out = Norm.apply(
            x, w, b, stat_shape=shape, axes=axes, param_shape=param_shape, center=True, eps=eps, sink=sink,
            name="NativeBatchNormBackward",
        )
        if running_mean is not None:
            _update_running(running_mean, sink["mean"], 1.0, momentum)
        if running_var is not None:
            _update_running(running_var, sink["var"], count / (count - 1), momentum)
        return _narrowed(out, narrow)
    stats = _stored_stats(x, running_mean, running_var, param_shape, "running_mean and running_var must be defined in evaluation mode")
    return _narrowed(Norm.apply(
        x, w, b, stat_shape=shape, axes=axes, param_shape=param_shape, eps=eps, stats=stats,
        name="NativeBatchNormBackward",
    ), narrow)


def _update_running(running, stat, scale: float, momentum: float) -> None:
    """``running <- (1 - momentum) * running + momentum * scale * stat`` in place, outside autograd.

    ``stat`` is the batch statistic as Norm's forward left it (an array), or a Tensor where vmap's
    batching rule left one per sample for running statistics batched the same way (an ensemble's
    buffers): then the update goes through tensor ops, which vmap batches."""
    if isinstance(stat, F.Tensor):
        with no_grad():
            running.mul_(1 - momentum).add_(stat.reshape(-1).to(running.dtype), alpha=momentum * scale)
        return
    r = running._data
    flat = stat.reshape(-1)
    _assign(running, (1 - momentum) * r + momentum * (flat * scale if scale != 1.0 else flat).astype(r.dtype))


def _stored_stats(x, running_mean, running_var, shape: tuple, missing: str) -> tuple:
    """The running mean and variance as arrays of x's dtype in ``shape``, for normalising with them."""
    stored = (running_mean, running_var)
    if any(s is None for s in stored):
        raise KittyRuntimeError(missing)
    return tuple(s._data.astype(x._data.dtype).reshape(shape) for s in stored)


def _bias_reached_first(out):
    """``out``, its node told the order torch's instance norm reaches its leaves: the input's
    first, then, as torch repeats the weight and then the bias per sample and reaches the later
    repeat first, the bias's before the weight's. torch's last node is the view of its batch
    norm's output back to the input's shape (a printed output shows it)."""
    if out._grad_fn is not None:
        out._grad_fn._leaf_order = (0, 2, 1)
    return torch_named(out, "ViewBackward0")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each channel of each sample over its spatial dims.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.instance_norm(kitty.randn(2, 3, 5)).shape
    kittygrad.Size([2, 3, 5])
    """
    x, w, b, narrow = _norm_params("instance_norm", _float(input, "batch_norm"), weight, bias)
    shape = x._data.shape
    n, c = shape[:2]
    param_shape = (1, c) + (1,) * (len(shape) - 2)
    stat_shape = (n, c, -1)
    if use_input_stats and math.prod(shape[2:]) <= 1:  # one value per instance: its variance is 0/0
        raise KittyValueError(f"Expected more than 1 spatial element when training, got input size {x.shape}")
    if not use_input_stats:
        missing = "Expected running_mean and running_var to be defined when use_input_stats is false"
        stats = _stored_stats(x, running_mean, running_var, (1, c, 1), missing)
        out = _bias_reached_first(
            Norm.apply(x, w, b, stat_shape=stat_shape, axes=(2,), param_shape=param_shape, eps=eps, stats=stats))
        return torch_named(_narrowed(out, narrow), "ViewBackward0")
    sink = {}
    out = _bias_reached_first(Norm.apply(x, w, b, stat_shape=stat_shape, axes=(2,), param_shape=param_shape, eps=eps, sink=sink))
    count = math.prod(shape[2:])
    if running_mean is not None:
        m = running_mean._data
        _assign(running_mean, (1 - momentum) * m + momentum * sink["mean"].reshape(n, c).mean(0).astype(m.dtype))
    if running_var is not None:
        v = running_var._data
        unbiased = sink["var"].reshape(n, c).mean(0) * (count / max(count - 1, 1))
        _assign(running_var, (1 - momentum) * v + momentum * unbiased.astype(v.dtype))
    # (torch's instance norm is a batch norm of the (1, N * C, ...) view, viewed back)
    return torch_named(_narrowed(out, narrow), "ViewBackward0")


def _check_normalized_shape(name, x, normalized_shape):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(n) for n in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or x._data.shape[x._data.ndim - k :] != normalized_shape or x._data.ndim < k:
        raise KittyRuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(x._data.shape)}"
        )
    return normalized_shape


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims of each sample.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.layer_norm(kitty.tensor([[1., 3.]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    x, w, b, narrow = _norm_params("layer_norm", _int_norm_input(input, weight, bias, "LayerNormKernelImpl"), weight, bias)
    ns = _check_normalized_shape("layer_norm", x, normalized_shape)
    k = len(ns)
    nd = x._data.ndim
    return _narrowed(Norm.apply(
        x, w, b, stat_shape=x._data.shape, axes=tuple(range(nd - k, nd)), param_shape=ns, eps=eps,
        name="NativeLayerNormBackward",
    ), narrow)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    """Normalise each group of channels of each sample.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.group_norm(kitty.randn(2, 4, 3), 2).shape
    kittygrad.Size([2, 4, 3])
    """
    x, w, b, narrow = _norm_params("group_norm", _int_norm_input(input, weight, bias, "GroupNormKernelImpl"), weight, bias)
    shape = x._data.shape
    if x._data.ndim < 2 or shape[1] % num_groups:
        raise KittyRuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{list(shape)} and num_groups={num_groups}"
        )
    c = shape[1]
    for what, t in (("weight", w), ("bias", b)):
        if t is not None and t._data.size != c:
            raise KittyRuntimeError(
                f"Expected {what} to be a vector of size equal to the number of channels in input, but got {what} "
                f"of shape {list(t._data.shape)} and input of shape {list(shape)}"
            )
    return _narrowed(Norm.apply(
        x, w, b, stat_shape=(shape[0], num_groups, -1), axes=(2,), param_shape=(1, c) + (1,) * (len(shape) - 2),
        eps=eps, name="NativeGroupNormBackward",
    ), narrow)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x**2) + eps) * weight`` over the last dims; ``eps`` defaults to the dtype's eps.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.rms_norm(kitty.tensor([[3., 4.]]), (2,)).shape
    kittygrad.Size([1, 2])
    """
    x = _float(input, "rms_norm")
    if eps is None:
        # torch: the epsilon of the input's *opmath* type, float32 for float16 and bfloat16
        # (std::numeric_limits<at::opmath_type<scalar_t>>::epsilon() in rms_norm_symint)
        dt = x._data.dtype
        eps = float(B.finfo(B.xp.float32 if dt.itemsize == 2 else dt).eps)
    x, w, _, narrow = _norm_params("rms_norm", x, weight, None)
    ns = _check_normalized_shape("rms_norm", x, normalized_shape)
    k = len(ns)
    nd = x._data.ndim
    out = _narrowed(Norm.apply(
        x, w, None, stat_shape=x._data.shape, axes=tuple(range(nd - k, nd)), param_shape=ns, center=False,
        eps=eps, name="RmsNormBackward",
    ), narrow)
    return torch_named(out, "MulBackward0")  # (torch's CPU rms_norm is composite: it ends on a product)


# ---------------------------------------------------------------------------------------------
# private helpers other nn code composes with



def _vector_norm(x, p=2.0, dim=None, keepdim=False):
    """``linalg.vector_norm`` for the nn functions (``normalize``, distances): float input, p as a float."""
    x = as_tensor_arg(x)
    if not B.is_float(x._data.dtype):
        raise KittyRuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {dtype_name(x)}")
    axes = normalize_dims(dim, x._data.ndim)
    return VectorNorm.apply(x, ord=float(p), axes=axes, keepdim=keepdim)
