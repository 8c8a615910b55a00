"""Max and average pooling (1-D and 2-D) over strided windows."""
from __future__ import annotations

import itertools
import math

from ... import backend as B
from ...autograd.function import Op
from ...device import keep_channels_last
from ...errors import KittyNotImplementedError, KittyRuntimeError
from .._fused import _ntuple, xp
from .._prep import all_finite, as_tensor_arg, dtype_name, torch_named
from ..nn.conv import _crop, _pad_array

# ---------------------------------------------------------------------------------------------
# pooling: a loop over the kernel offsets, each a strided slice (no window copy)


def _pool_out(n, k, s, p, d, ceil_mode):
    num = n + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_geometry(name, x, kernel, stride, padding, dilation, ceil_mode):
    nd = len(kernel)
    sp = x.shape[2:]
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise KittyRuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and "
                f"dilation={d}"
            )
    out_sz = tuple(_pool_out(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(sp, kernel, stride, padding, dilation))
    if any(o < 1 for o in out_sz):
        raise KittyRuntimeError(
            f"Given input size: ({'x'.join(map(str, x.shape[1:]))}). Calculated output size: "
            f"({'x'.join(map(str, (x.shape[1],) + out_sz))}). Output size is too small"
        )
    pads = tuple(
        (p, max(p, (o - 1) * s + d * (k - 1) + 1 - n - p))
        for n, k, s, p, d, o in zip(sp, kernel, stride, padding, dilation, out_sz)
    )
    del nd
    return out_sz, pads


def _offset_slices(kernel, stride, dilation, out_sz):
    for q, kidx in enumerate(itertools.product(*(range(k) for k in kernel))):
        yield q, (slice(None), slice(None)) + tuple(
            slice(k * d, k * d + s * (o - 1) + 1, s) for k, d, s, o in zip(kidx, dilation, stride, out_sz)
        )


class MaxPoolNd(Op):
    """Max over each window; the gradient goes to the first maximum (as torch)."""

    saved_fields = ("arg", "args", "tiled")
    _name = "MaxPoolWithIndicesBackward"
    graph_formal_inputs = (0,)  # torch: max_pool2d_with_indices_backward(grad, self, ...)

    def forward(self, x, kernel=(1,), stride=(1,), padding=(0,), dilation=(1,), ceil_mode=False, return_indices=False):
        out_sz, pads = _pool_geometry("max_pool", x, kernel, stride, padding, dilation, ceil_mode)
        # windows that tile the input (stride == kernel, no padding/dilation) get a faster backward
        self.tiled = stride == kernel and all(d == 1 for d in dilation) and not any(lo or hi for lo, hi in pads)
        low = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
        xpad = _pad_array(x, pads, low)
        k = math.prod(kernel)
        views = [xpad[sl] for _, sl in _offset_slices(kernel, stride, dilation, out_sz)]
        # the maximum first, by elementwise maxima (NaN wins, as in torch); then each window's
        # first offset that holds it, from the last offset down: a few compares on the small
        # output beat updating the running maximum and its offset under a mask at every offset
        out = views[0].copy()
        for v in views[1:]:
            xp.maximum(out, v, out=out)
        arg = xp.full(out.shape, k - 1, xp.int8 if k < 128 else xp.int64)
        if x.dtype.kind == "f" and bool(xp.isnan(out).any()):
            arg = self._offsets_with_nan(views, arg)
        else:
            for q in range(k - 2, -1, -1):
                arg = B.select(views[q] == out, arg.dtype.type(q), arg)
        self.arg = arg
        self.args = (x.shape, xpad.shape, pads, kernel, stride, dilation, out_sz)
        if return_indices:
            return out, self._indices(x.shape, pads, kernel, stride, dilation, out_sz)
        return out

    @staticmethod
    def _offsets_with_nan(views, arg):
        """Each window's offset when some windows hold NaN: the running maximum's, updated where an
        offset is larger or NaN (so a window's last NaN wins, as torch picks it)."""
        out = views[0].copy()
        arg[...] = 0
        for q, v in enumerate(views[1:], start=1):
            upd = (v > out) | xp.isnan(v)
            xp.copyto(out, v, where=upd)
            xp.copyto(arg, q, where=upd)
        return arg

    def _indices(self, xshape, pads, kernel, stride, dilation, out_sz):
        nd = len(kernel)
        offs = xp.unravel_index(self.arg, kernel)
        flat = xp.zeros(self.arg.shape, xp.int64)
        for i in range(nd):
            o = xp.arange(out_sz[i]).reshape((-1,) + (1,) * (nd - 1 - i))
            pos = o * stride[i] + offs[i] * dilation[i] - pads[i][0]
            flat = flat * xshape[2 + i] + pos
        return flat

    def backward(self, g, *unused):
        xshape, pshape, pads, kernel, stride, dilation, out_sz = self.args
        if self.tiled:
            # every input element is in at most one window: write each offset's share directly
            blocks = xp.zeros_like(g, shape=xshape[:2] + tuple(v for o, k in zip(out_sz, kernel) for v in (o, k)))
            fast = B.is_array(g) and all_finite(g)  # (see masked_grad)
            for q, kidx in enumerate(itertools.product(*(range(k) for k in kernel))):
                sl = (slice(None), slice(None)) + tuple(v for i in kidx for v in (slice(None), i))
                # a select, as torch (an infinite gradient must not leave nan at the others)
                if fast:
                    xp.multiply(g, self.arg == q, out=blocks[sl])
                else:
                    blocks[sl] = xp.where(self.arg == q, g, 0)
            full = blocks.reshape(xshape[:2] + tuple(o * k for o, k in zip(out_sz, kernel)))
            if full.shape == tuple(xshape):
                return (full,)
            gx = xp.zeros_like(g, shape=xshape)
            gx[(slice(None), slice(None)) + tuple(slice(0, n) for n in full.shape[2:])] = full
            return (gx,)
        gx = xp.zeros_like(g, shape=pshape)  # (zeros_like: a graph-building g stays one)
        for q, sl in _offset_slices(kernel, stride, dilation, out_sz):
            gx[sl] += xp.where(self.arg == q, g, 0)
        return (_crop(gx, pads, xshape[2:]),)


class AvgPoolNd(Op):
    saved_fields = ("args", "div")
    saved_inputs = ()
    graph_formal_inputs = (0,)  # torch: avg_pool2d_backward(grad, self, ...)
    graph_constants = ("div",)  # window sizes: depend on shapes only

    def forward(self, x, kernel=(1,), stride=(1,), padding=(0,), ceil_mode=False, count_include_pad=True, divisor_override=None):
        nd = len(kernel)
        dil = (1,) * nd
        out_sz, pads = _pool_geometry("avg_pool", x, kernel, stride, padding, dil, ceil_mode)
        xpad = _pad_array(x, pads)
        out = None
        for _, sl in _offset_slices(kernel, stride, dil, out_sz):
            out = xpad[sl].copy() if out is None else out + xpad[sl]
        if divisor_override:
            div = x.dtype.type(divisor_override)
        else:
            div = xp.ones((), x.dtype)
            for i, (n, k, s, (lo, hi), o) in enumerate(zip(x.shape[2:], kernel, stride, pads, out_sz)):
                ind = xp.zeros(n + lo + hi)
                if count_include_pad:
                    ind[: n + 2 * lo] = 1
                else:
                    ind[lo : lo + n] = 1
                csum = xp.concatenate([[0.0], xp.cumsum(ind)])
                starts = xp.arange(o) * s
                cnt = (csum[starts + k] - csum[starts]).astype(x.dtype)
                div = div * cnt.reshape((-1,) + (1,) * (nd - 1 - i))
        self.div = div
        self.args = (x.shape, xpad.shape, pads, kernel, stride, out_sz)
        if out.dtype.kind == "i":
            # int64 (the one integer dtype torch averages): its kernel divides the integer sums in
            # C, truncating toward zero; floor division, one up where negative and inexact
            q = out // div
            return q + ((q < 0) & (q * div != out))
        return out / div

    def backward(self, g):
        xshape, pshape, pads, kernel, stride, out_sz = self.args
        gd = g / self.div
        gx = xp.zeros_like(g, shape=pshape)
        for _, sl in _offset_slices(kernel, stride, (1,) * len(kernel), out_sz):
            gx[sl] += gd
        return (_crop(gx, pads, xshape[2:]),)


def _check_max_pool1d(shape, k, s, p, d, ceil_mode):
    # torch's max_pool1d without indices runs a kernel of its own, with checks worded its own way
    if len(shape) not in (2, 3):
        raise KittyRuntimeError(
            f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but "
            f"got:{list(shape)}"
        )
    if k <= 0:
        raise KittyRuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise KittyRuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise KittyRuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise KittyRuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and kernel_size={k}"
        )
    if d <= 0:
        raise KittyRuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = _pool_out(shape[-1], k, s, p, d, ceil_mode)
    if out < 1:
        raise KittyRuntimeError(f"max_pool1d() Invalid computed output size: {out}")


def _check_pool(kind, nd, name, shape, kernel, stride, padding, dilation, ceil_mode, indices):
    """Raise torch's error for invalid pooling arguments, in the order torch's kernels check them.

    The padding bound is checked twice, as in torch: against the dilated (effective) kernel while
    sizing the output, then against the kernel itself, so ``kernel_size=3, padding=2,
    dilation=2`` is refused although its effective kernel is 5. 1-D pooling other than
    ``max_pool1d`` without indices runs as 2-D pooling over a height of 1 (so the messages show
    that height).
    """
    if kind == "max" and nd == 1 and not indices:
        return _check_max_pool1d(shape, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    if nd == 1:
        if len(shape) not in (2, 3):
            raise KittyRuntimeError(
                f"Expected 2 to 3 dimensions, but got {len(shape)}-dimensional tensor for argument #1 'self' "
                f"(while checking arguments for {name})"
            )
        shape = tuple(shape[:-1]) + (1, shape[-1])
        kernel, stride, padding, dilation = (1,) + kernel, (1,) + stride, (0,) + padding, (1,) + dilation
        nd = 2
    elif len(shape) not in (nd + 1, nd + 2):
        if nd == 2 and kind == "avg":
            raise KittyRuntimeError(
                f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:{list(shape)}"
            )
        raise KittyRuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    sp = tuple(shape[-nd:])
    for k, s, p, d in zip(kernel, stride, padding, dilation):
        if s == 0:
            raise KittyRuntimeError("stride should not be zero")
        if p < 0:
            raise KittyRuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > (d * (k - 1) + 1) // 2:
            raise KittyRuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and "
                f"dilation={d}"
            )
    labels = ["T", "H", "W"][-nd:]
    if any(d <= 0 for d in dilation):
        got = " ".join(f"dilation{lab}: {d}" for lab, d in zip(labels, dilation))
        raise KittyRuntimeError(f"dilation should be greater than zero, but got {got}")
    if kind == "avg" and nd == 3 and any(n < k for n, k in zip(sp, kernel)):
        raise KittyRuntimeError(
            f"input image (T: {sp[0]} H: {sp[1]} W: {sp[2]}) smaller than kernel size "
            f"(kT: {kernel[0]} kH: {kernel[1]} kW: {kernel[2]})"
        )
    if any(p > k // 2 for k, p in zip(kernel, padding)):
        if nd == 2:
            got = f"padW = {padding[1]}, padH = {padding[0]}, kW = {kernel[1]}, kH = {kernel[0]}"
        else:
            got = (f"kT: {kernel[0]} kW: {kernel[2]} kH: {kernel[1]} padT: {padding[0]} padW: {padding[2]} "
                   f"padH: {padding[1]}")
        raise KittyRuntimeError(f"pad should be smaller than or equal to half of kernel size, but got {got}")
    out = tuple(_pool_out(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(sp, kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        c = shape[-nd - 1]
        raise KittyRuntimeError(
            f"Given input size: ({'x'.join(map(str, (c,) + sp))}). Calculated output size: "
            f"({'x'.join(map(str, (c,) + out))}). Output size is too small"
        )


def _pool_args(nd, name, input, kernel_size, stride, padding, kind, dilation=1, ceil_mode=False, indices=False):
    x = as_tensor_arg(input)
    kernel = _ntuple(kernel_size, nd, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _ntuple(stride, nd, "stride")
    padding = _ntuple(padding, nd, "padding")
    dilation = _ntuple(dilation, nd, "dilation")
    _check_pool(kind, nd, name, tuple(x._data.shape), kernel, stride, padding, dilation, bool(ceil_mode), indices)
    unbatched = x._data.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    return x, unbatched, kernel, stride, padding, dilation


def _max_pool(nd, name, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unbatched, kernel, stride, padding, dilation = _pool_args(
        nd, name, input, kernel_size, stride, padding, "max", dilation, ceil_mode, bool(return_indices)
    )
    if x._data.dtype.kind in "iub":
        # torch's 1-d kernel without indices takes floats only; the others take integers, not bool
        if nd == 1 and not return_indices:
            raise KittyNotImplementedError(f'"max_pool1d_impl" not implemented for \'{dtype_name(x)}\'')
        if x._data.dtype.kind == "b":
            raise KittyNotImplementedError(f'"max_pool{max(nd, 2)}d" not implemented for \'Bool\'')
    out = MaxPoolNd.apply(
        x, kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=bool(ceil_mode),
        return_indices=bool(return_indices),
    )
    out = tuple(keep_channels_last(o, x) for o in out) if return_indices else keep_channels_last(out, x)
    if unbatched:
        out = tuple(o.squeeze(0) for o in out) if return_indices else out.squeeze(0)
    label = _pool_node(nd, "MaxPool{}DWithIndicesBackward0")
    return (torch_named(out[0], label), out[1]) if return_indices else torch_named(out, label)


def _pool_node(nd: int, name: str) -> str:
    """The node torch records last for a pool: its 1-d pools run the 2-d kernel on an unsqueezed
    input and squeeze the result; the others are one kernel (``name`` with their dims)."""
    return "SqueezeBackward1" if nd == 1 else name.format(nd)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of ``(N, C, L)``; ``return_indices`` also gives the argmax positions.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.max_pool1d(kitty.tensor([[[1., 3., 2., 0.]]]), 2)
    tensor([[[3., 2.]]])
    """
    return _max_pool(1, "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of ``(N, C, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.max_pool2d(kitty.ones(1, 1, 4, 4), 2).shape
    kittygrad.Size([1, 1, 2, 2])
    """
    return _max_pool(2, "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _avg_pool(nd, name, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    x, unbatched, kernel, stride, padding, _ = _pool_args(nd, name, input, kernel_size, stride, padding, "avg",
                                                          ceil_mode=ceil_mode)
    dt = x._data.dtype
    # torch's CPU kernels average int64 (the 1-d pool runs the 2-d one) and, in 3-d, no 16-bit floats
    if dt.kind in "iub" and dt != xp.int64 or nd == 3 and dt.itemsize == 2:
        kernel = "avg_pool3d_out_frame" if nd == 3 else "avg_pool2d"
        raise KittyNotImplementedError(f'"{kernel}" not implemented for \'{dtype_name(x)}\'')
    if divisor_override is not None and divisor_override == 0:
        raise KittyRuntimeError("divisor must be not zero")
    out = AvgPoolNd.apply(
        x, kernel=kernel, stride=stride, padding=padding, ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad), divisor_override=divisor_override,
    )
    out = keep_channels_last(out, x)
    return torch_named(out.squeeze(0) if unbatched else out, _pool_node(nd, "AvgPool{}DBackward0"))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True):
    """Mean over sliding windows of ``(N, C, L)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.avg_pool1d(kitty.tensor([[[1., 3., 2., 0.]]]), 2)
    tensor([[[2., 1.]]])
    """
    return _avg_pool(1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True, divisor_override=None):
    """Mean over sliding windows of ``(N, C, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.avg_pool2d(kitty.ones(1, 1, 4, 4), 2).shape
    kittygrad.Size([1, 1, 2, 2])
    """
    return _avg_pool(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
