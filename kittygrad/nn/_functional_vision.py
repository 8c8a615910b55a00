"""The sliding-block and sampling functions of ``kittygrad.nn.functional`` (re-exported there):
``unfold`` / ``fold`` (im2col and its adjoint) and ``affine_grid`` / ``grid_sample`` (spatial
transformers), composed from differentiable tensor ops.

``grid_sample`` gathers each output point's taps (1 for nearest, 2 per dim for (tri)linear, 4 per
dim for bicubic) and weights them; the weights are differentiable functions of the grid, the tap
positions are constants, so gradients reach both the input and the grid as in torch.
"""
from __future__ import annotations

import itertools
import warnings

from .. import backend as B
from .. import creation as C
from ..errors import KittyIndexError, KittyNotImplementedError, KittyRuntimeError, KittyValueError
from ..ops import joining as _joining
from ..ops._prep import dtype_name, torch_named
from ..ops.comparison import where
from ..ops.nn.padding import pad
from ..tensor import Tensor

__all__ = ["unfold", "fold", "affine_grid", "grid_sample", "pixel_shuffle", "pixel_unshuffle"]

xp = B.xp


def _at_least_3d(name: str, input: Tensor) -> None:
    if input.ndim < 3:
        raise KittyRuntimeError(
            f"{name} expects input to have at least 3 dimensions, but got input with {input.ndim} dimension(s)"
        )


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C*r*r, H, W)`` to ``(*, C, H*r, W*r)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.pixel_shuffle(kitty.zeros(1, 4, 2, 3), 2).shape
    kittygrad.Size([1, 1, 4, 6])
    """
    r = upscale_factor
    _at_least_3d("pixel_shuffle", input)
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise KittyRuntimeError(
            f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
            f"but input.size(-3)={c} is not divisible by {r * r}"
        )
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    perm = tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2)
    return torch_named(x.permute(*perm).reshape(*lead, c // (r * r), h * r, w * r), "PixelShuffleBackward0")


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H*r, W*r)`` to ``(*, C*r*r, H, W)``, the inverse of ``pixel_shuffle``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.pixel_unshuffle(kitty.zeros(1, 1, 4, 6), 2).shape
    kittygrad.Size([1, 4, 2, 3])
    """
    r = downscale_factor
    _at_least_3d("pixel_unshuffle", input)
    *lead, c, h, w = input.shape
    for size, dim, what in ((w, -1, "width"), (h, -2, "height")):
        if size % r:
            raise KittyRuntimeError(
                f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but input.size({dim})={size} is "
                f"not divisible by {r}"
            )
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    perm = tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3)
    return torch_named(x.permute(*perm).reshape(*lead, c * r * r, h // r, w // r), "PixelUnshuffleBackward0")


def _pair(value, name: str = "argument") -> tuple:
    pair = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
    if len(pair) != 2:
        raise KittyRuntimeError(f"{name} must be a single int or a pair of ints, got {pair}")
    return tuple(int(v) for v in pair)


def _blocks(spatial: tuple, kernel: tuple, dilation: tuple, padding: tuple, stride: tuple) -> tuple:
    """The number of sliding blocks along each spatial dim (torch's message when one is empty)."""
    counts = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                   for n, k, d, p, s in zip(spatial, kernel, dilation, padding, stride))
    if any(c < 1 for c in counts):
        raise KittyRuntimeError(
            f"Given input with spatial size {tuple(spatial)}, kernel_size={kernel}, dilation={dilation}, "
            f"padding={padding}, calculated shape of the array of sliding blocks as {counts}, but its components "
            "must be at least one."
        )
    return counts


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding local blocks (im2col): ``(N, C, H, W)`` to ``(N, C * kh * kw, L)``, one
    column per block position, channels major and kernel offsets minor.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.unfold(kitty.arange(9.).reshape(1, 1, 3, 3), 2)
    tensor([[[0., 1., 3., 4.],
             [1., 2., 4., 5.],
             [3., 4., 6., 7.],
             [4., 5., 7., 8.]]])
    """
    if input.ndim < 3:  # torch reads one dim past the input's first
        n = max(input.ndim, 1)
        raise KittyIndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {n})")
    if input.ndim > 4:
        raise KittyRuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, "
            f"but got: {list(input.shape)}"
        )
    kernel, dilation, padding, stride = (_pair(v) for v in (kernel_size, dilation, padding, stride))
    batched = input.ndim == 4
    x = input if batched else input.unsqueeze(0)
    oh, ow = _blocks(tuple(x.shape[-2:]), kernel, dilation, padding, stride)
    if any(padding):
        x = pad(x, (padding[1], padding[1], padding[0], padding[0]))
    pieces = []
    for i, j in itertools.product(range(kernel[0]), range(kernel[1])):
        top, left = i * dilation[0], j * dilation[1]
        pieces.append(x[:, :, top : top + stride[0] * (oh - 1) + 1 : stride[0],
                        left : left + stride[1] * (ow - 1) + 1 : stride[1]])
    cols = _joining.stack(pieces, 2).reshape(x.shape[0], -1, oh * ow)
    return cols if batched else cols.squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding local blocks back into an image (col2im, the adjoint of ``unfold``):
    ``(N, C * kh * kw, L)`` to ``(N, C, H, W)``; overlapping values add up.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.fold(kitty.ones(1, 4, 4), (3, 3), 2)
    tensor([[[[1., 2., 1.],
              [2., 4., 2.],
              [1., 2., 1.]]]])
    """
    if input.ndim not in (2, 3):
        raise KittyRuntimeError(
            f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions "
            f"for input, but got: {list(input.shape)}"
        )
    out_hw, kernel, dilation, padding, stride = (_pair(v) for v in (output_size, kernel_size, dilation, padding, stride))
    batched = input.ndim == 3
    cols = input if batched else input.unsqueeze(0)
    window = kernel[0] * kernel[1]
    if cols.shape[1] % window:
        raise KittyRuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
            f"input.size(1)={cols.shape[1]} and kernel_size={kernel}."
        )
    oh, ow = _blocks(out_hw, kernel, dilation, padding, stride)
    if cols.shape[2] != oh * ow:
        raise KittyRuntimeError(
            f"Given output_size={out_hw}, kernel_size={kernel}, dilation={dilation}, padding={padding}, "
            f"stride={stride}, expected size of input's dimension 2 to match the calculated number of sliding "
            f"blocks {oh} * {ow} = {oh * ow}, but got input.size(2)={cols.shape[2]}."
        )
    n, channels = cols.shape[0], cols.shape[1] // window
    hp, wp = out_hw[0] + 2 * padding[0], out_hw[1] + 2 * padding[1]
    # where each (kernel offset, block) value lands in the padded image, flattened
    ki, kj = xp.divmod(xp.arange(window), kernel[1])
    bi, bj = xp.divmod(xp.arange(oh * ow), ow)
    rows = ki[:, None] * dilation[0] + bi[None, :] * stride[0]
    columns = kj[:, None] * dilation[1] + bj[None, :] * stride[1]
    target = C.tensor((rows * wp + columns).reshape(-1))
    image = C.zeros(n, channels, hp * wp, dtype=cols.dtype).index_add(2, target, cols.reshape(n, channels, -1))
    image = image.reshape(n, channels, hp, wp)
    if any(padding):  # (cropped to a fresh block: torch's col2im writes a contiguous image)
        image = image[:, :, padding[0] : padding[0] + out_hw[0], padding[1] : padding[1] + out_hw[1]].contiguous()
    return image if batched else image.squeeze(0)


# ---------------------------------------------------------------------------------------------
# affine grids and grid sampling


def _unit_range(steps: int, align_corners: bool, dtype):
    """torch's normalised coordinates of ``steps`` pixel centres (or corners) in [-1, 1]."""
    if steps <= 1:
        return xp.zeros(max(steps, 1), dtype)
    coords = B.linspace(-1.0, 1.0, steps, xp.dtype(dtype))
    if not align_corners:  # in the dtype, rounded twice, as torch scales its linspace
        coords = coords * coords.dtype.type(steps - 1)
        coords = coords / coords.dtype.type(steps)
    return coords


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine maps: ``theta`` ``(N, 2, 3)`` for ``size``
    ``(N, C, H, W)`` gives ``(N, H, W, 2)`` (``(N, 3, 4)`` and 5-D sizes for volumes), each point
    the map of its normalised ``(x, y[, z])`` output coordinate.

    >>> import kittygrad as kitty
    >>> eye = kitty.tensor([[[1., 0., 0.], [0., 1., 0.]]])
    >>> kitty.nn.functional.affine_grid(eye, [1, 1, 1, 2], align_corners=False)
    tensor([[[[-0.5000,  0.0000],
              [ 0.5000,  0.0000]]]])
    """
    if align_corners is None:
        warnings.warn(
            "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please "
            "specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for "
            "details.",
            stacklevel=2,
        )
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise KittyValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    given, size = size, list(size)  # messages show the size as the caller passed it
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise KittyValueError(
                f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {given}. Got {theta.shape}."
            )
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise KittyValueError(
                f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {given}. Got {theta.shape}."
            )
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. "
            f"Got size {given}."
        )
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when align_corners=True. "
            "This is not an intended use case of affine_grid. See the documentation of affine_grid for details.",
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise KittyValueError(f"Expected non-zero, positive output size. Got {given}")
    dt = theta.dtype.np
    axes = [_unit_range(n, align_corners, dt) for n in spatial]  # (D,) H, W
    mesh = xp.meshgrid(*axes, indexing="ij")
    # the base grid lists the coordinates x first (the last spatial dim), then 1
    base = xp.stack([*reversed(mesh), xp.ones_like(mesh[0])], -1).reshape(-1, len(spatial) + 1)
    grid = C.tensor(base) @ theta.transpose(1, 2)
    return grid.reshape(size[0], *spatial, len(spatial))


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    dist = (coord - low).abs()
    extra = dist.fmod(span)
    flips = (dist.detach() / span).floor()
    even = (flips.fmod(2) == 0)
    return where(even, extra + low, span - extra + low)


def _apply_padding(coord: Tensor, size: int, padding_mode: str, align_corners: bool, volume: bool = False) -> Tensor:
    """torch's ``compute_coordinates``: border clips, reflection reflects then clips."""
    if padding_mode == "zeros":
        return coord
    if padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
    # torch's clip reads a NaN coordinate (a NaN grid entry, or an infinite one reflected) as 0
    # for images and as the last index for volumes (its 2-D and 3-D kernels differ there)
    return where(coord != coord, float(size - 1) if volume else 0.0, coord.clamp(0, size - 1))


def _cubic_weights(t: Tensor) -> list:
    """The four cubic-convolution weights (A = -0.75) of the taps at offsets -1, 0, 1, 2."""
    a = -0.75

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _taps(coord: Tensor, size: int, mode: str, padding_mode: str, align_corners: bool, volume: bool) -> list:
    """``(position array, weight)`` per tap of one dim; a position outside ``[0, size)`` reads 0."""
    if mode == "bicubic":
        start = coord.detach().floor()
        weights = _cubic_weights(coord - start)
        taps = []
        for offset, weight in zip(range(-1, 3), weights):
            position = start + offset
            if padding_mode != "zeros":  # each tap's integer position is padded, as torch does
                position = _apply_padding(position, size, padding_mode, align_corners, volume)
            taps.append((_as_index(position, size), weight))
        return taps
    coord = _apply_padding(coord, size, padding_mode, align_corners, volume)
    if mode == "nearest":
        return [(_as_index(coord, size, rounded=True), None)]
    low = coord.detach().floor()
    frac = coord - low
    low = _as_index(low, size, outside=-2)  # (low + 1 must stay outside too)
    return [(low, 1 - frac), (low + 1, frac)]


def _as_index(position: Tensor, size: int, outside: int = -1, rounded: bool = False):
    """Integral float positions as int64 (``rounded``: the nearest integers); a NaN, infinite or far
    one becomes a position outside ``[0, size)`` all the same (it reads 0), so the cast is defined
    and NumPy does not warn. Read as float64 (exact for every float dtype) since NumPy's own
    functions do not all take bfloat16 arrays."""
    position = position.detach()._data.astype(xp.float64)
    if rounded:
        position = xp.round(position)
    return xp.nan_to_num(xp.clip(position, outside, size), nan=outside).astype(xp.int64)


def _check_grid_sample(input: Tensor, grid: Tensor, mode: str) -> None:
    """torch's checks in its order: the shapes both kinds of input share (batch, the grid's last
    dim, non-empty spatial dims), then the rank of the 2-D or 3-D kernel, then the dtypes (the
    kernels take floating inputs only, and a grid of the same dtype)."""
    if input.shape[0] != grid.shape[0]:
        raise KittyRuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input with sizes "
            f"{list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if grid.shape[-1] != input.ndim - 2:
        raise KittyRuntimeError(
            f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but got grid with "
            f"sizes {list(grid.shape)}"
        )
    for d in range(2, input.ndim):
        if input.shape[d] == 0:
            raise KittyRuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but input has sizes "
                f"{list(input.shape)} with dimension {d} being empty"
            )
    # torch picks its 2-D kernel for 4-D input and its 3-D one for anything else
    rank = 4 if input.ndim == 4 else 5
    if input.ndim != rank or grid.ndim != rank:
        raise KittyRuntimeError(
            f"grid_sampler(): expected {rank}D input and grid with same number of dimensions, but got input with "
            f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
        )
    if mode == "bicubic" and rank == 5:
        raise KittyRuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.dtype.is_floating_point:
        kernel = "grid_sampler_2d_cpu_kernel_impl" if rank == 4 else "grid_sampler3d_cpu"
        raise KittyNotImplementedError(f"\"{kernel}\" not implemented for '{dtype_name(input)}'")
    if grid.dtype != input.dtype:
        raise KittyRuntimeError(f"expected scalar type {dtype_name(input)} but found {dtype_name(grid)}")


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Sample ``input`` ``(N, C, H, W)`` at the normalised ``(x, y)`` locations of ``grid``
    ``(N, Ho, Wo, 2)`` (5-D input and grid for volumes), interpolating with ``mode`` (bilinear,
    nearest, bicubic) and reading outside points by ``padding_mode`` (zeros, border, reflection).

    >>> import kittygrad as kitty
    >>> img = kitty.arange(4.).reshape(1, 1, 2, 2)
    >>> kitty.nn.functional.grid_sample(img, kitty.zeros(1, 1, 1, 2), align_corners=True)
    tensor([[[[1.5000]]]])
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise KittyValueError(
            f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise KittyValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', but got: "
            f"'{padding_mode}'"
        )
    if align_corners is None:
        warnings.warn(
            "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please "
            "specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for "
            "details.",
            stacklevel=2,
        )
        align_corners = False
    _check_grid_sample(input, grid, mode)
    nd = input.ndim - 2
    n, channels = input.shape[0], input.shape[1]
    spatial = tuple(input.shape[2:])
    out_spatial = tuple(grid.shape[1:-1])
    flat = input.reshape(n, channels, int(xp.prod(spatial)))  # (-1 is ambiguous when n or C is 0)
    # grid[..., 0] indexes the last spatial dim (x = width), grid[..., 1] the one before, ...
    per_dim = []
    for d in range(nd):
        size = spatial[d]
        coord = _unnormalize(grid[..., nd - 1 - d], size, align_corners)
        per_dim.append(_taps(coord, size, mode, padding_mode, align_corners, nd == 3))
    strides = [int(xp.prod(spatial[d + 1 :])) for d in range(nd)]
    points = int(xp.prod(out_spatial))
    link = None
    if mode == "nearest" and grid.requires_grad:
        # torch's nearest result stays attached to the grid with a zero gradient (the taps do
        # not move with it): a weight that is exactly 1, selected away from the grid, so even a
        # NaN or infinite grid gives zeros
        link = where(C.tensor(xp.zeros(grid.shape[:-1], bool)), grid[..., 0], 1.0).unsqueeze(1)
    out = None
    for combo in itertools.product(*per_dim):
        inside = xp.ones(combo[0][0].shape, bool)
        index = xp.zeros(combo[0][0].shape, xp.int64)
        weight = None
        for d, (position, w) in enumerate(combo):
            inside &= (position >= 0) & (position < spatial[d])
            index += xp.clip(position, 0, spatial[d] - 1) * strides[d]
            weight = w if weight is None else (weight * w if w is not None else weight)
        index_t = C.tensor(index.reshape(n, 1, points)).expand(n, channels, points)
        values = flat.gather(2, index_t).reshape(n, channels, *out_spatial)
        scale = C.tensor(inside.astype(input.dtype.np)).unsqueeze(1)
        if link is not None:
            scale = scale * link
        term = values * (scale if weight is None else scale * weight.unsqueeze(1))
        out = term if out is None else out + term
    return out


# ---------------------------------------------------------------------------------------------
# antialiased resizing (interpolate(..., antialias=True)): PIL's separable filters


def _triangle(x):
    return xp.clip(1.0 - xp.abs(x), 0.0, None)


def _keys_cubic(x, a: float = -0.5):
    """Keys' cubic with a = -0.5 (PIL's and torch's antialiased bicubic; plain bicubic uses -0.75)."""
    x = xp.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return xp.where(x < 1, near, xp.where(x < 2, far, 0.0))


def _lanczos3(x):
    return xp.where(xp.abs(x) < 3, xp.sinc(x) * xp.sinc(x / 3), 0.0)


#: mode -> (filter, its support in input pixels at scale 1)
_AA_FILTERS = {"bilinear": (_triangle, 1.0), "bicubic": (_keys_cubic, 2.0), "lanczos": (_lanczos3, 3.0)}


def antialias_matrix(n_in: int, n_out: int, mode: str, align_corners: bool, scale=None):
    """The (n_out, n_in) weights of an antialiased resize along one axis: each output pixel averages
    the input pixels under the filter stretched by the downscaling factor (so it covers every input
    pixel it stands for), normalised to sum to 1. Upscaling uses the filter unstretched.

    >>> (antialias_matrix(4, 2, "bilinear", False) * 7).round(6).tolist()
    [[3.0, 3.0, 1.0, 0.0], [0.0, 1.0, 3.0, 3.0]]
    """
    if align_corners:
        step = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        step = 1.0 / scale if scale is not None else n_in / n_out
    kernel, reach = _AA_FILTERS[mode]
    stretch = max(step, 1.0)
    support = reach * stretch
    mat = xp.zeros((n_out, n_in))
    for i in range(n_out):
        centre = step * (i + 0.5)
        first = max(int(centre - support + 0.5), 0)
        last = min(int(centre + support + 0.5), n_in)
        if last <= first:
            continue
        weights = kernel((xp.arange(first, last) - centre + 0.5) / stretch)
        total = weights.sum()
        mat[i, first:last] = weights / total if total != 0 else weights
    return mat


def _fixed_point(weights):
    """``weights`` (float64) as the integers ``round(w * 2**bits)`` and ``bits``: the most fraction
    bits (up to 22) that keep the largest weight below 2**15 even when doubled, as torch's uint8
    resampling sizes them."""
    top = float(xp.abs(weights).max()) if weights.size else 0.0
    bits = 1
    while bits < 22 and int(0.5 + top * (1 << (bits + 1))) < (1 << 15):
        bits += 1
    scaled = weights * (1 << bits)  # rounded half away from zero
    return xp.trunc(scaled + xp.where(scaled < 0, -0.5, 0.5)).astype(xp.int64), bits


def resize_uint8(x: Tensor, matrices) -> Tensor:
    """A uint8 image resized by the (out, in) float weights ``matrices[i]`` along spatial axis ``i``
    as torch does uint8 bilinear / bicubic / antialiased resizing: one axis at a time, the last
    (width) first, each pass with fixed-point weights and its result rounded and clamped to
    0..255 before the next. So a pixel can differ by one or more from rounding the float result
    once (bicubic overshoot is clipped between the passes); measured equal to torch's bytes.
    """
    data = x._data
    spatial0 = data.ndim - len(matrices)
    for axis in reversed(range(spatial0, data.ndim)):
        weights, bits = _fixed_point(matrices[axis - spatial0])
        moved = xp.moveaxis(data, axis, -1).astype(xp.int64)
        summed = (moved @ weights.T + (1 << (bits - 1))) >> bits
        data = xp.moveaxis(xp.clip(summed, 0, 255).astype(xp.uint8), -1, axis)
    return Tensor._wrap(xp.ascontiguousarray(data))


#: (mode, 2-D input) -> the torch kernel an integer input has no implementation in (for messages)
INT_KERNELS = {
    ("nearest", False): "compute_indices_weights_nearest", ("nearest", True): "upsample_nearest2d_channels_last",
    ("nearest-exact", False): "compute_indices_weights_nearest",
    ("nearest-exact", True): "upsample_nearest2d_channels_last",
    ("linear", False): "compute_indices_weights_linear", ("trilinear", False): "compute_indices_weights_linear",
    ("bilinear", True): "upsample_bilinear2d_channels_last", ("bicubic", True): "compute_indices_weights_cubic",
}
