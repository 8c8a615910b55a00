"""The pooling functions of ``kittygrad.nn.functional`` beyond the fused max/avg kernels (re-exported
there): 3-D max/avg pooling, power-average (LP) pooling, max unpooling, adaptive and fractional
max pooling, and the ``*_with_indices`` forms.

Adaptive and fractional max pooling pick each window's first maximum with NumPy (windows in
row-major order, as torch scans them) and then gather those elements, so the gradient flows to
exactly the chosen elements. Fractional pooling draws its window offsets from kittygrad's
generator as torch does (``_random_samples`` of shape ``(N, C, nd)``).
"""
from __future__ import annotations

import math

from .. import backend as B
from .. import creation as C
from .. import dtypes as D
from ..device import keep_channels_last
from ..errors import KittyNotImplementedError, KittyRuntimeError, KittyValueError
from ..ops import activation as _act
from ..ops._prep import dtype_name, torch_named
from ..ops.nn.pooling import _avg_pool, _max_pool, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, _pool_node
from ..tensor import Tensor

__all__ = [
    "max_pool3d", "avg_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "fractional_max_pool2d",
    "fractional_max_pool3d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices",
]

xp = B.xp


def _tuple(value, nd: int) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * nd


# ---------------------------------------------------------------------------------------------
# 3-D max / avg pooling and the *_with_indices forms


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over sliding windows of ``(N, C, D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.max_pool3d(kitty.ones(1, 1, 4, 4, 4), 2).shape
    kittygrad.Size([1, 1, 2, 2, 2])
    """
    return _max_pool(3, "max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over sliding windows of ``(N, C, D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.avg_pool3d(kitty.ones(1, 1, 4, 4, 4), 2).shape
    kittygrad.Size([1, 1, 2, 2, 2])
    """
    return _avg_pool(3, "avg_pool3d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False):
    """``max_pool1d`` returning ``(output, indices)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.max_pool1d_with_indices(kitty.tensor([[[1., 3., 2., 0.]]]), 2)[1]
    tensor([[[1, 2]]])
    """
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False):
    """``max_pool2d`` returning ``(output, indices)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.max_pool2d_with_indices(kitty.arange(4.).reshape(1, 1, 2, 2), 2)[1]
    tensor([[[[3]]]])
    """
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
                            return_indices: bool = False):
    """``max_pool3d`` returning ``(output, indices)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.max_pool3d_with_indices(kitty.arange(8.).reshape(1, 1, 2, 2, 2), 2)[1]
    tensor([[[[[7]]]]])
    """
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---------------------------------------------------------------------------------------------
# LP pooling


def _lp(pooled: Tensor, norm_type: float, window: int) -> Tensor:
    return (pooled.sign() * _act.relu(pooled.abs())).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: ``(sum over the window of x^p) ^ (1/p)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.lp_pool1d(kitty.tensor([[[3., 4.]]]), 2, 2)
    tensor([[[5.]]])
    """
    if norm_type == math.inf:  # the limit p -> inf: the largest magnitude in the window, as torch
        return max_pool1d(input.abs(), kernel_size, stride, 0, ceil_mode=ceil_mode)
    pooled = avg_pool1d(input.pow(norm_type), kernel_size, stride if stride is not None else None, 0, ceil_mode)
    return _lp(pooled, norm_type, _tuple(kernel_size, 1)[0])


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """2-D power-average pooling.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.lp_pool2d(kitty.ones(1, 1, 2, 2), 1, 2)
    tensor([[[[4.]]]])
    """
    if norm_type == math.inf:
        return max_pool2d(input.abs(), kernel_size, stride, 0, ceil_mode=ceil_mode)
    kh, kw = _tuple(kernel_size, 2)
    pooled = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(pooled, norm_type, kh * kw)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """3-D power-average pooling.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.lp_pool3d(kitty.ones(1, 1, 2, 2, 2), 1, 2)
    tensor([[[[[8.]]]]])
    """
    if norm_type == math.inf:
        return max_pool3d(input.abs(), kernel_size, stride, 0, ceil_mode=ceil_mode)
    kd, kh, kw = _tuple(kernel_size, 3)
    pooled = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(pooled, norm_type, kd * kh * kw)


# ---------------------------------------------------------------------------------------------
# max unpooling


def _unpool_output_size(input: Tensor, kernel: tuple, stride: tuple, padding: tuple, output_size) -> list:
    nd = len(kernel)
    default = [(input.shape[-nd + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(nd)]
    if output_size is None:
        return default
    output_size = list(output_size)
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise KittyValueError(
            f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a length of "
            f"'{len(output_size)}'"
        )
    for d in range(nd):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < output_size[d] < high:
            raise KittyValueError(f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})')
    return [int(s) for s in output_size]


def _max_unpool(nd: int, input: Tensor, indices: Tensor, kernel_size, stride, padding, output_size) -> Tensor:
    kernel = _tuple(kernel_size, nd)
    stride = _tuple(stride, nd) if stride is not None else kernel
    padding = _tuple(padding, nd)
    sizes = _unpool_output_size(input, kernel, stride, padding, output_size)
    if tuple(indices.shape) != tuple(input.shape):
        raise KittyRuntimeError(
            f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) but got "
            f"indices tensor with shape: {list(indices.shape)}"
        )
    volume = 1
    for s in sizes:
        volume *= s
    lead = tuple(input.shape[:-nd])
    idx = indices.reshape(*lead, -1)
    if idx.numel() and (int(idx.max()) >= volume or int(idx.min()) < 0):
        bad = int(idx.max()) if int(idx.max()) >= volume else int(idx.min())
        shown = sizes + [1] if nd == 1 else sizes
        raise KittyRuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {'x'.join(map(str, shown))})")
    out = C.zeros(*lead, volume, dtype=input.dtype).scatter(-1, idx, input.reshape(*lead, -1))
    return out.reshape(*lead, *sizes)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The inverse of ``max_pool1d``: each value goes back to the position its index names; zeros
    elsewhere.

    >>> import kittygrad as kitty
    >>> out, idx = kitty.nn.functional.max_pool1d(kitty.tensor([[[1., 3., 2., 0.]]]), 2, return_indices=True)
    >>> kitty.nn.functional.max_unpool1d(out, idx, 2)
    tensor([[[0., 3., 2., 0.]]])
    """
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The inverse of ``max_pool2d`` (``output_size`` resolves the ambiguous sizes).

    >>> import kittygrad as kitty
    >>> out, idx = kitty.nn.functional.max_pool2d(kitty.arange(16.).reshape(1, 1, 4, 4), 2, return_indices=True)
    >>> kitty.nn.functional.max_unpool2d(out, idx, 2).shape
    kittygrad.Size([1, 1, 4, 4])
    """
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The inverse of ``max_pool3d``.

    >>> import kittygrad as kitty
    >>> out, idx = kitty.nn.functional.max_pool3d(kitty.ones(1, 1, 2, 2, 2), 2, return_indices=True)
    >>> kitty.nn.functional.max_unpool3d(out, idx, 2).sum()
    tensor(1.)
    """
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


# ---------------------------------------------------------------------------------------------
# adaptive and fractional max pooling: choose the positions, then gather


def _pick_first_max(x: Tensor, nd: int, candidates) -> tuple[Tensor, Tensor]:
    """``candidates``: int array ``(L, *out, K)`` of flat spatial positions per plane (L planes);
    returns the gathered maxima and their positions, shaped ``x.shape[:-nd] + out``."""
    lead = tuple(x.shape[:-nd])
    out_shape = candidates.shape[1:-1]
    cand = candidates.reshape(candidates.shape[0], -1, candidates.shape[-1])
    if cand.size == 0:  # an empty batch or output: nothing to choose
        index = C.zeros(*lead, *out_shape, dtype=D.int64)
        return C.zeros(*lead, *out_shape, dtype=x.dtype), index
    planes = x._data.reshape(cand.shape[0], -1)  # (the array: .numpy() refuses bfloat16, as torch)
    values = xp.take_along_axis(planes[:, None, :], cand, axis=-1)
    chosen = xp.take_along_axis(cand, values.argmax(-1)[..., None], axis=-1)[..., 0]  # argmax: the first maximum
    index = C.tensor(chosen.reshape(*lead, -1).astype(xp.int64))
    out = x.reshape(*lead, -1).gather(-1, index)
    return out.reshape(*lead, *out_shape), index.reshape(*lead, *out_shape)


def _combine(per_dim: list, spatial: tuple):
    """Flat candidate positions ``(L, *out, K)`` from per-dim positions, each ``(L, out_d, k_d)``."""
    nd = len(per_dim)
    strides = [int(xp.prod(spatial[d + 1 :])) for d in range(nd)]
    total = 0
    for d, pos in enumerate(per_dim):
        shape = [pos.shape[0]] + [1] * nd + [1] * nd
        shape[1 + d] = pos.shape[1]
        shape[1 + nd + d] = pos.shape[2]
        total = total + pos.reshape(shape) * strides[d]
    full = tuple(total.shape)
    return total.reshape(*full[: 1 + nd], -1)


def _spatial_args(name: str, input: Tensor, nd: int) -> Tensor:
    if input.ndim not in (nd + 1, nd + 2):
        raise KittyRuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(input.shape)}")
    return input


def _adaptive_max(name: str, nd: int, input: Tensor, output_size, return_indices: bool):
    x = _spatial_args(name, input, nd)
    if x._data.dtype.kind in "iub":
        # torch's kernels take floats only (the 1-d pool runs the 2-d one)
        kernel = "adaptive_max_pool3d_cpu" if nd == 3 else "adaptive_max_pool2d"
        raise KittyNotImplementedError(f"\"{kernel}\" not implemented for '{dtype_name(x)}'")
    spatial = tuple(x.shape[-nd:])
    sizes = [spatial[d] if s is None else int(s) for d, s in enumerate(_tuple(output_size, nd))]
    if len(sizes) != nd:
        raise KittyRuntimeError(f"{name}(): internal error: output_size.size() must be {nd}")
    planes = int(xp.prod(x.shape[:-nd])) if x.ndim > nd else 1
    per_dim = []
    for n_in, n_out in zip(spatial, sizes):
        starts = [(i * n_in) // n_out for i in range(n_out)]
        ends = [-((-(i + 1) * n_in) // n_out) for i in range(n_out)]
        width = max((e - s for s, e in zip(starts, ends)), default=1)
        pos = xp.array([[min(s + j, e - 1) for j in range(width)] for s, e in zip(starts, ends)], dtype=xp.int64)
        per_dim.append(xp.broadcast_to(pos.reshape(1, n_out, width), (planes, n_out, width)))
    out, index = _pick_first_max(x, nd, _combine(per_dim, spatial))
    out, index = keep_channels_last(out, x), keep_channels_last(index, x)  # (as torch's kernel)
    out = torch_named(out, _pool_node(nd, "AdaptiveMaxPool{}DBackward0"))
    return (out, index) if return_indices else out


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool1d`` returning ``(output, indices)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.adaptive_max_pool1d_with_indices(kitty.tensor([[1., 3., 2., 0.]]), 2)[1]
    tensor([[1, 2]])
    """
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool2d`` returning ``(output, indices)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.adaptive_max_pool2d_with_indices(kitty.arange(4.).reshape(1, 2, 2), 1)[1]
    tensor([[[3]]])
    """
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """``adaptive_max_pool3d`` returning ``(output, indices)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.adaptive_max_pool3d_with_indices(kitty.arange(8.).reshape(1, 2, 2, 2), 1)[1]
    tensor([[[[7]]]])
    """
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, True)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed output length (windows as torch picks them).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.adaptive_max_pool1d(kitty.tensor([[1., 3., 2., 0.]]), 2)
    tensor([[3., 2.]])
    """
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed ``(H, W)`` (an int, a pair; ``None`` keeps a size).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.adaptive_max_pool2d(kitty.ones(1, 3, 5, 7), (2, None)).shape
    kittygrad.Size([1, 3, 2, 7])
    """
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed ``(D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.adaptive_max_pool3d(kitty.ones(1, 2, 3, 4, 5), 1).shape
    kittygrad.Size([1, 2, 1, 1, 1])
    """
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


def _intervals(samples, n_in: int, n_out: int, pool: int, dtype):
    """torch's window starts of fractional pooling, per plane, in the input's precision."""
    starts = xp.empty((samples.shape[0], n_out), xp.int64)
    if n_out > 1:
        alpha = dtype.type(n_in - pool) / dtype.type(n_out - 1)
        steps = xp.arange(n_out - 1).astype(dtype)
        starts[:, :-1] = (((steps[None, :] + samples[:, None]) * alpha).astype(xp.int64)
                          - (samples[:, None] * alpha).astype(xp.int64))
    if n_out > 0:
        starts[:, -1] = n_in - pool
    return starts


def _fractional_max(name: str, nd: int, input: Tensor, kernel_size, output_size, output_ratio, return_indices,
                    _random_samples):
    x = _spatial_args(name, input, nd)
    spatial = tuple(x.shape[-nd:])
    if output_size is not None:  # an explicit size wins over a ratio
        sizes = list(_tuple(output_size, nd))
    elif output_ratio is not None:
        sizes = [int(n * r) for n, r in zip(spatial, _tuple(output_ratio, nd))]
    else:
        raise KittyValueError(f"{name} requires specifying either an output_size or an output_ratio")
    kernel = _tuple(kernel_size, nd)
    batch = 1 if x.ndim == nd + 1 else x.shape[0]
    channels = x.shape[-nd - 1]
    if _random_samples is None:
        _random_samples = C.rand(batch, channels, nd, dtype=x.dtype)
    labels = ("time", "height", "width")[3 - nd :]
    for label, n_in, n_out, k in zip(labels, spatial, sizes, kernel):
        if n_out + k - 1 > n_in:
            # (torch names the 3-D check after its out= variant, the 2-D one after the function)
            raise KittyRuntimeError(f"{name if nd == 2 else name + '_out'}(): pool {label} {k} too large relative to input {label} {n_in}")
    samples = _random_samples.detach().numpy().reshape(-1, nd)
    # the samples are stored per plane as (W, H) for 2-D and (T, H, W) for 3-D, as torch reads them
    order = (1, 0) if nd == 2 else (0, 1, 2)
    per_dim = []
    for d in range(nd):
        starts = _intervals(samples[:, order[d]], spatial[d], sizes[d], kernel[d], x.dtype.np)
        per_dim.append(starts[:, :, None] + xp.arange(kernel[d])[None, None, :])
    out, index = _pick_first_max(x, nd, _combine(per_dim, spatial))
    return (out, index) if return_indices else out


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    """``fractional_max_pool2d`` returning ``(output, indices)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.fractional_max_pool2d_with_indices(kitty.ones(1, 1, 5, 5), 2, output_size=3)[0].shape
    kittygrad.Size([1, 1, 3, 3])
    """
    return _fractional_max("fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio, True,
                           _random_samples)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    """``fractional_max_pool3d`` returning ``(output, indices)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.fractional_max_pool3d_with_indices(kitty.ones(1, 4, 4, 4), 2, output_size=2)[0].shape
    kittygrad.Size([1, 2, 2, 2])
    """
    return _fractional_max("fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio, True,
                           _random_samples)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """Max pooling over pseudo-random, overlapping windows that shrink the input to ``output_size``
    (or ``output_ratio`` of it); Graham, 2014.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.fractional_max_pool2d(kitty.ones(1, 1, 7, 7), 3, output_ratio=0.5).shape
    kittygrad.Size([1, 1, 3, 3])
    """
    return _fractional_max("fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio, return_indices,
                           _random_samples)


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    """3-D fractional max pooling.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.fractional_max_pool3d(kitty.ones(1, 1, 5, 5, 5), 2, output_size=3).shape
    kittygrad.Size([1, 1, 3, 3, 3])
    """
    return _fractional_max("fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio, return_indices,
                           _random_samples)

