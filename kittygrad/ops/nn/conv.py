"""Convolution and transposed convolution (1-D to 3-D) by im2col and one GEMM per direction."""
from __future__ import annotations

import itertools
import math

from ... import backend as B
from ...autograd.function import Op
from ...device import keep_channels_last
from ...errors import KittyRuntimeError
from .. import _gemm
from .. import joining as _joining
from .. import linalg as _linalg
from .._fused import _needs, _ntuple, _same_dtype, xp
from .._autocast import autocast_args
from .._prep import as_tensor_arg, cpp_type_name, dtype_name, warn_once
from ..nn.padding import _tpad, _tslice

# ---------------------------------------------------------------------------------------------
# convolution: im2col through stride tricks, one batched matmul per call


def _windows(x, ksize, stride, dilation):
    """A view ``(N, C, *out, *k)`` of the sliding windows over ``x``'s spatial dims."""
    nd = len(ksize)
    eff = tuple(d * (k - 1) + 1 for k, d in zip(ksize, dilation))
    v = xp.lib.stride_tricks.sliding_window_view(x, eff, axis=tuple(range(2, 2 + nd)))
    idx = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)
    idx += tuple(slice(None, None, d) for d in dilation)
    return v[idx]


def _im2col(xpad, ksize, stride, dilation, groups, limit=None):
    """The ``(G, Cg*K, N*P)`` patch matrix of a padded input, and the output's spatial size.

    The input is read channel-first (``(C, N, *spatial)``), so the innermost copied axis is
    contiguous in memory; this makes the gather several times faster than a row-per-patch layout.
    """
    nd = len(ksize)
    n, c = xpad.shape[:2]
    v = _windows(xpad.swapaxes(0, 1), ksize, stride, dilation)  # (C, N, *out, *k)
    if limit is not None:
        v = v[(slice(None), slice(None)) + tuple(slice(0, m) for m in limit)]
    out_sz = tuple(v.shape[2 : 2 + nd])
    v = v.reshape((groups, c // groups) + v.shape[1:])  # (G, Cg, N, *out, *k)
    perm = (0, 1) + tuple(range(3 + nd, 3 + 2 * nd)) + (2,) + tuple(range(3, 3 + nd))
    cols = v.transpose(perm).reshape(groups, (c // groups) * math.prod(ksize), n * math.prod(out_sz))
    return cols, out_sz


def _to_cmat(g, groups):
    """``(N, O, *sp)`` -> ``(G, O/G, N*P)``, in memory BLAS can read.

    A gradient broadcast from a reduction (``out.sum()``) reshapes to a zero-stride view, which
    NumPy's stacked matmul would not hand to BLAS: its own loop made conv2d's backward 3.7x
    slower at (32, 8, 28, 28) than one copy (28 us) and two GEMMs.
    """
    o = g.shape[1]
    return _gemm.blas_ready(g.swapaxes(0, 1).reshape(groups, o // groups, -1))


def _from_cmat(m, n, out_sz):
    """``(G, Og, N*P)`` -> ``(N, G*Og, *out)``, contiguous."""
    groups, og, _ = m.shape
    return xp.ascontiguousarray(m.reshape((groups * og, n) + tuple(out_sz)).swapaxes(0, 1))


def _col2im(cols, xshape, ksize, stride, dilation, groups, out_sz):
    """Adjoint of :func:`_im2col`: add each patch's gradient back onto the (padded) input.

    Returns an ``(N, C, *spatial)`` view of a channel-first array.
    """
    n, c = xshape[:2]
    cg = c // groups
    gc = cols.reshape((groups, cg) + tuple(ksize) + (n,) + tuple(out_sz))
    gxt = xp.zeros((c, n) + tuple(xshape[2:]), cols.dtype)
    view = gxt.reshape((groups, cg, n) + tuple(xshape[2:]))
    for kidx in itertools.product(*(range(k) for k in ksize)):
        sl = (slice(None), slice(None), slice(None)) + tuple(
            slice(k * d, k * d + s * (o - 1) + 1, s) for k, d, s, o in zip(kidx, dilation, stride, out_sz)
        )
        view[sl] += gc[(slice(None), slice(None)) + kidx]
    return gxt.swapaxes(0, 1)


def _input_grad_by_gather(g, wm, xshape, wshape, stride, padding, dilation, groups):
    """A stride-1 convolution's input gradient as the full correlation of its output gradient with
    the flipped kernel: the gradient padded by k - 1 less the forward's padding, one im2col of it and
    one GEMM, where :func:`_col2im` adds each kernel offset's share into the input gradient in turn
    (k strided read-modify-write passes over it). Taken where that pays: no more output channels
    than input channels, a kernel of two or more offsets, no dilation, and padding below the
    kernel's size (float32 on an AMD EPYC: 30.3 -> 19.6 ms at (32, 16, 28, 28) with a 7 x 7 kernel,
    10.0 -> 8.6 at (32, 64, 16, 16) 3 x 3; with more output than input channels the gathered
    matrix outgrows the passes it saves, 8.7 against 13.9 ms at 16 -> 32 channels 7 x 7).
    None where another case applies."""
    ksize = wshape[2:]
    o, cg = wshape[:2]
    if (type(g) is not xp.ndarray or any(s != 1 for s in stride) or any(d != 1 for d in dilation)
            or o > cg * groups or math.prod(ksize) < 2
            or any(lo > k - 1 or hi > k - 1 for (lo, hi), k in zip(padding, ksize))):
        return None
    pads = tuple((k - 1 - lo, k - 1 - hi) for (lo, hi), k in zip(padding, ksize))
    gp = xp.pad(g, ((0, 0), (0, 0)) + pads)
    ones = (1,) * len(ksize)
    cols, out_sz = _im2col(gp, ksize, ones, ones, groups)  # (G, Og*K, N*P)
    # the kernel flipped in every spatial dim, as (G, Cg, Og*K): output channel, then offset
    flipped = wm.reshape((groups, o // groups, cg) + tuple(ksize))[(Ellipsis,) + (slice(None, None, -1),) * len(ksize)]
    flipped = xp.ascontiguousarray(xp.moveaxis(flipped, 2, 1)).reshape(groups, cg, -1)
    return _from_cmat(flipped @ cols, xshape[0], out_sz)


def _pad_array(x, pads, value=0):
    if not any(lo or hi for lo, hi in pads):
        return x
    return xp.pad(x, ((0, 0), (0, 0)) + tuple(pads), constant_values=value)


def _crop(x, pads, shape):
    if not any(lo or hi for lo, hi in pads):
        return x
    return x[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, shape))]


class ConvNd(Op):
    """N-d cross-correlation (torch's convolution) with stride, padding, dilation and groups:
    one im2col gather and one batched matmul (BLAS) forward, two matmuls and a col2im backward."""

    saved_fields = ("args", "cols", "wm")
    saved_inputs = (0, 1)
    _name = "ConvolutionBackward"
    graph_formal_inputs = (0, 1)  # torch: convolution_backward(grad, input, weight, ...)
    graph_formal_undefined = True  # (whose double backward leaves those gradients undefined)

    def forward(self, x, w, b, stride=(1,), padding=((0, 0),), dilation=(1,), groups=1):
        need = _needs(self)
        xpad = _pad_array(x, padding)
        ksize = w.shape[2:]
        cols, out_sz = _im2col(xpad, ksize, stride, dilation, groups)
        wm = w.reshape(groups, w.shape[0] // groups, -1)
        out = _from_cmat(wm @ cols, x.shape[0], out_sz)
        if b is not None:
            out += b.reshape((1, -1) + (1,) * len(out_sz))
        self.args = (x.shape, xpad.shape, w.shape, stride, padding, dilation, groups, out_sz)
        self.wm = wm
        if len(need) > 1 and need[1]:
            self.cols = cols
        return out

    def composite(self, x, w, b, stride=(1,), padding=((0, 0),), dilation=(1,), groups=1):
        """The same convolution from differentiable ops: one strided slice of the padded input per
        kernel offset, stacked, and one einsum (what double backward differentiates)."""
        n, c = x._data.shape[:2]
        o = w._data.shape[0]
        ksize = w._data.shape[2:]
        out_sz = self.args[-1]
        xpad = _tpad(x, ((0, 0), (0, 0)) + tuple(padding))
        patches = []
        for kidx in itertools.product(*(range(kk) for kk in ksize)):
            p = xpad
            for i, (kk, d, st, m) in enumerate(zip(kidx, dilation, stride, out_sz)):
                p = _tslice(p, 2 + i, kk * d, m, st)
            patches.append(p.reshape(n, groups, c // groups, -1))
        cols = _joining.stack(patches, dim=-1)  # (N, G, Cg, P, K)
        wm = w.reshape(groups, o // groups, c // groups, -1)  # (G, Og, Cg, K)
        out = _linalg.einsum("ngcpk,gock->ngop", cols, wm).reshape((n, o) + tuple(out_sz))
        if b is not None:
            out = out + b.reshape((1, -1) + (1,) * len(out_sz))
        return out

    def backward(self, g):
        need = self.needs_input_grad
        xshape, pshape, wshape, stride, padding, dilation, groups, out_sz = self.args
        gx = gw = gb = None
        if need[0]:
            gx = _input_grad_by_gather(g, self.wm, xshape, wshape, stride, padding, dilation, groups)
        # (the gradient as matrices: for the weight's gradient and col2im, not for the gather)
        gm = _to_cmat(g, groups) if need[1] or (need[0] and gx is None) else None
        if need[0] and gx is None:
            gpad = _col2im(self.wm.transpose(0, 2, 1) @ gm, pshape, wshape[2:], stride, dilation, groups, out_sz)
            gx = xp.ascontiguousarray(_crop(gpad, padding, xshape[2:]))
        if need[1]:
            # (contiguous, as torch's: rows_dot_rows hands back a transposed product, and a weight
            # gradient from autograd.grad must take .view(-1), as a MAML step's flattening does)
            gw = xp.ascontiguousarray(_gemm.rows_dot_rows(gm, self.cols)).reshape(wshape)
        if need[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        return gx, gw, gb


class ConvTransposeNd(Op):
    """The adjoint of :class:`ConvNd` in its input (a "deconvolution"); weight is ``(Cin, Cout/G, *k)``."""

    saved_fields = ("args", "wm", "xm")
    saved_inputs = (0, 1)
    _name = "ConvolutionBackward"
    graph_formal_inputs = (0, 1)  # torch: convolution_backward(grad, input, weight, ...)
    graph_formal_undefined = True  # (whose double backward leaves those gradients undefined)

    def forward(self, x, w, b, stride=(1,), padding=(0,), output_padding=(0,), dilation=(1,), groups=1):
        n, cin = x.shape[:2]
        sp = x.shape[2:]
        ksize = w.shape[2:]
        cout = w.shape[1] * groups
        full = tuple((n_ - 1) * s + d * (k - 1) + 1 + op for n_, s, d, k, op in zip(sp, stride, dilation, ksize, output_padding))
        wm = w.reshape(groups, cin // groups, -1)
        xm = _to_cmat(x, groups)
        outpad = _col2im(wm.transpose(0, 2, 1) @ xm, (n, cout) + full, ksize, stride, dilation, groups, sp)
        out_sz = tuple(f - 2 * p for f, p in zip(full, padding))
        pads = tuple((p, p) for p in padding)
        out = xp.ascontiguousarray(_crop(outpad, pads, out_sz))
        if b is not None:
            out += b.reshape((1, -1) + (1,) * len(sp))
        self.xm, self.wm = xm, wm
        self.args = (x.shape, w.shape, full, pads, stride, dilation, groups)
        return out

    def composite(self, x, w, b, stride=(1,), padding=(0,), output_padding=(0,), dilation=(1,), groups=1):
        """The same transposed convolution from differentiable ops: per kernel offset, the input
        times that offset's weights, spread out by the stride (zeros between) and shifted into
        place by padding; summed, then cropped (what double backward differentiates)."""
        n, cin = x._data.shape[:2]
        sp = x._data.shape[2:]
        ksize = w._data.shape[2:]
        cog = w._data.shape[1]
        full, pads = self.args[2], self.args[3]
        xm = x.reshape(n, groups, cin // groups, -1)  # (N, G, Cg, P)
        wm = w.reshape(groups, cin // groups, cog, -1)  # (G, Cg, Og, K)
        ys = _linalg.einsum("ngcp,gcok->kngop", xm, wm)  # (K, N, G, Og, P)
        out = None
        for q, kidx in enumerate(itertools.product(*(range(kk) for kk in ksize))):
            y = _tslice(ys, 0, q, 1).reshape((n, groups * cog) + tuple(sp))
            for i, (kk, d, st, m, f) in enumerate(zip(kidx, dilation, stride, sp, full)):
                ax = 2 + i
                shape = y._data.shape
                if st > 1:  # spread: m values, each followed by st - 1 zeros
                    pairs = [(0, 0)] * (len(shape) + 1)
                    pairs[ax + 1] = (0, st - 1)
                    y = _tpad(y.reshape(shape[: ax + 1] + (1,) + shape[ax + 1:]), pairs)
                    y = y.reshape(shape[:ax] + (m * st,) + shape[ax + 1:])
                pairs = [(0, 0)] * len(shape)
                pairs[ax] = (kk * d, f - kk * d - m * st)
                y = _tpad(y, pairs)
            out = y if out is None else out + y
        out = _tpad(out, ((0, 0), (0, 0)) + tuple((-lo, -hi) for lo, hi in pads))
        if b is not None:
            out = out + b.reshape((1, -1) + (1,) * len(sp))
        return out

    def backward(self, g):
        need = self.needs_input_grad
        xshape, wshape, full, pads, stride, dilation, groups = self.args
        n = xshape[0]
        gpad = xp.zeros((n, g.shape[1]) + full, g.dtype)
        gpad[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for (lo, _), s in zip(pads, g.shape[2:]))] = g
        cols, _ = _im2col(gpad, wshape[2:], stride, dilation, groups, limit=xshape[2:])
        gx = gw = gb = None
        if need[0]:
            gx = _from_cmat(self.wm @ cols, n, xshape[2:])
        if need[1]:
            gw = xp.ascontiguousarray(_gemm.rows_dot_rows(self.xm, cols)).reshape(wshape)  # (as ConvNd's)
        if need[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        return gx, gw, gb


def _conv_prepare(name, nd, input, weight, bias, groups):
    x, w = as_tensor_arg(input), as_tensor_arg(weight, "weight")
    b = as_tensor_arg(bias, "bias") if bias is not None else None
    x, w, b = autocast_args(name, x, w, b)  # (conv1d/2d/3d and conv_transpose1d/2d/3d share this)
    unbatched = x._data.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    if x._data.ndim != nd + 2:
        raise KittyRuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
            f"size: {list(x._data.shape)}"
        )
    if w._data.ndim != nd + 2:
        raise KittyRuntimeError(f"{name}: weight must be {nd + 2}-D, got {w._data.ndim}-D")
    if groups < 1:
        raise KittyRuntimeError("non-positive groups is not supported")
    _conv_dtypes(name, x, w, b)
    if not B.is_float(x._data.dtype):
        raise KittyRuntimeError(f'"{name}" not implemented for \'{dtype_name(x)}\'')
    return x, w, b, unbatched


def _conv_dtypes(name: str, x, w, b) -> None:
    """Refuse mixed dtypes in torch's words: a convolution checks its bias against the input first
    (a transposed one does not), then its weight.

    A half or bfloat16 input with a weight of another dtype gets torch's message on CPUs where its
    oneDNN path does not take those dtypes (AVX2): torch on an AVX-512 CPU names MKLDNN tensors
    instead, which kittygrad has none of, and its message must not depend on the machine."""
    transposed = "transpose" in name
    if b is not None and not transposed and b._data.dtype != x._data.dtype:
        raise KittyRuntimeError(f"Input type ({cpp_type_name(x)}) and bias type ({cpp_type_name(b)}) should be the same")
    if w._data.dtype != x._data.dtype:
        raise KittyRuntimeError(f"expected scalar type {dtype_name(x)} but found {dtype_name(w)}")
    _same_dtype(name, x, w, b)  # (a transposed convolution's bias)


_SAME_ASYMMETRIC = (
    "Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy of the input "
    "be created"
)


def _conv(nd, name, input, weight, bias, stride, padding, dilation, groups):
    x, w, b, unbatched = _conv_prepare(name, nd, input, weight, bias, groups)
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    ksize = w._data.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise KittyRuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(ksize, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            pads = tuple(pads)
            if any(lo != hi for lo, hi in pads):  # torch pads a copy of the input for the extra side
                warn_once("conv_same_asymmetric", _SAME_ASYMMETRIC)
        else:
            raise KittyRuntimeError(f"Invalid padding string: {padding!r}")
    else:
        pads = tuple((p, p) for p in _ntuple(padding, nd, "padding"))
        if any(p < 0 for p, _ in pads):
            raise KittyRuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise KittyRuntimeError("non-positive stride is not supported")
    cin = x._data.shape[1]
    if w._data.shape[1] * groups != cin:
        raise KittyRuntimeError(
            f"Given groups={groups}, weight of size {list(w._data.shape)}, expected input"
            f"{list(x._data.shape)} to have {w._data.shape[1] * groups} channels, but got {cin} channels instead"
        )
    if w._data.shape[0] % groups:
        raise KittyRuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
            f"weight of size {list(w._data.shape)} instead"
        )
    padded = [n_ + lo + hi for n_, (lo, hi) in zip(x._data.shape[2:], pads)]
    spans = [d * (k - 1) + 1 for k, d in zip(ksize, dilation)]
    if any(n_ < span for n_, span in zip(padded, spans)):  # torch names every spatial size, "a x b"
        raise KittyRuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
            f"({' x '.join(map(str, spans))}). Kernel size can't be greater than actual input size"
        )
    out = keep_channels_last(ConvNd.apply(x, w, b, stride=stride, padding=pads, dilation=dilation, groups=groups), x, w)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """1-D convolution over ``(N, C, L)`` with weight ``(O, C/groups, k)``; padding may be 'same'/'valid'.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv1d(kitty.ones(1, 2, 5), kitty.ones(3, 2, 3)).shape
    kittygrad.Size([1, 3, 3])
    """
    return _conv(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """2-D convolution over ``(N, C, H, W)`` with weight ``(O, C/groups, kh, kw)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv2d(kitty.ones(1, 2, 5, 5), kitty.ones(3, 2, 3, 3), padding=1).shape
    kittygrad.Size([1, 3, 5, 5])
    """
    return _conv(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """3-D convolution over ``(N, C, D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv3d(kitty.ones(1, 1, 3, 3, 3), kitty.ones(2, 1, 2, 2, 2)).shape
    kittygrad.Size([1, 2, 2, 2, 2])
    """
    return _conv(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(nd, name, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, w, b, unbatched = _conv_prepare(name, nd, input, weight, bias, groups)
    stride = _ntuple(stride, nd, "stride")
    padding = _ntuple(padding, nd, "padding")
    output_padding = _ntuple(output_padding, nd, "output_padding")
    dilation = _ntuple(dilation, nd, "dilation")
    if w._data.shape[0] != x._data.shape[1]:
        raise KittyRuntimeError(
            f"Given transposed=1, weight of size {list(w._data.shape)}, expected input{list(x._data.shape)} "
            f"to have {w._data.shape[0]} channels, but got {x._data.shape[1]} channels instead"
        )
    if x._data.shape[1] % groups:
        raise KittyRuntimeError(f"{name}: input channels must be divisible by groups={groups}")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        # torch lists every dim's values; 1-D runs as 2-D there, so its message shows a height of 1
        labels = ("depth", "height", "width") if nd == 3 else ("height", "width")
        ops, ss, ds = ((0,) + output_padding, (1,) + stride, (1,) + dilation) if nd == 1 else (output_padding, stride, dilation)
        got = " ".join(
            " ".join(f"{what}_{lab}: {v}" for lab, v in zip(labels, vals))
            for what, vals in (("output_padding", ops), ("stride", ss), ("dilation", ds))
        )
        raise KittyRuntimeError(f"output padding must be smaller than either stride or dilation, but got {got}")
    out = ConvTransposeNd.apply(
        x, w, b, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups
    )
    out = keep_channels_last(out, x, w)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1):
    """Transposed 1-D convolution; weight is ``(C_in, C_out/groups, k)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv_transpose1d(kitty.ones(1, 2, 4), kitty.ones(2, 3, 3), stride=2).shape
    kittygrad.Size([1, 3, 9])
    """
    return _conv_transpose(1, "conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1):
    """Transposed 2-D convolution; weight is ``(C_in, C_out/groups, kh, kw)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv_transpose2d(kitty.ones(1, 2, 4, 4), kitty.ones(2, 3, 2, 2), stride=2).shape
    kittygrad.Size([1, 3, 8, 8])
    """
    return _conv_transpose(2, "conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1):
    """Transposed 3-D convolution over ``(N, C_in, D, H, W)``; weight is ``(C_in, C_out/groups, kd, kh, kw)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv_transpose3d(kitty.ones(1, 2, 2, 3, 3), kitty.ones(2, 1, 2, 2, 2), stride=2).shape
    kittygrad.Size([1, 1, 4, 6, 6])
    """
    return _conv_transpose(3, "conv_transpose3d", input, weight, bias, stride, padding, output_padding, groups, dilation)
