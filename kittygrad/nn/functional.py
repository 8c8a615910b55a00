"""``kittygrad.nn.functional``: torch.nn.functional's functions.

The fused primitives (convolution, pooling, normalisation, losses, activations with their own
backward) live in :mod:`kittygrad.ops.nn` (one file per family) and are re-exported here; the rest is composed
from tensor ops.

>>> import kittygrad as kitty
>>> import kittygrad.nn.functional as F
>>> F.relu(kitty.tensor([-1., 2.]))
tensor([0., 2.])
"""
from __future__ import annotations

import math
import warnings

from .. import backend as B
from .. import dtypes as D
from ..autograd.function import apply_inplace
from ..device import keep_channels_last
from ..errors import KittyNotImplementedError, KittyRuntimeError, KittyValueError
from ..ops import activation as _act
from ..ops import comparison as _cmp
from ..ops._prep import as_tensor_arg, binary, cast, dtype_name, dtype_scalar_name, normalize_dim, torch_named
from ..ops.activation import (
    celu,
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    logsigmoid,
    mish,
    prelu,
    relu6,
    selu,
    silu,
    softplus,
    softsign,
)
from ..ops.nn.conv import conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d
from ..ops.nn.attention import fused_attention
from ..ops.nn.embedding import embedding
from ..ops.nn.linear import bilinear, linear
from ..ops.nn.loss import (
    _check_reduction,
    _legacy_reduction,
    binary_cross_entropy, binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from ..ops.nn.normalization import _vector_norm, batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from ..ops.nn.padding import pad
from ..ops.nn.pooling import _pool_label, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from ..ops.nn.resize import _nearest_along
from ..tensor import Tensor
from ._functional_activation import (
    alpha_dropout,
    celu_,
    elu_,
    feature_alpha_dropout,
    gumbel_softmax,
    hardshrink,
    hardtanh_,
    leaky_relu_,
    local_response_norm,
    rrelu,
    rrelu_,
    selu_,
    softshrink,
    threshold,
    threshold_,
)
from ._functional_dropout import dropout, dropout1d, dropout2d, dropout3d
from ._functional_attention import _mask_to_additive, _masked_softmax, multi_head_attention_forward
from ._functional_loss import (
    ctc_loss,
    gaussian_nll_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
)
from ._functional_pooling import (
    adaptive_max_pool1d, adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d, adaptive_max_pool3d_with_indices,
    avg_pool3d,
    fractional_max_pool2d, fractional_max_pool2d_with_indices,
    fractional_max_pool3d, fractional_max_pool3d_with_indices,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from ._functional_sparse import embedding_bag
from ._functional_vision import (
    affine_grid, antialias_matrix, fold, grid_sample, pixel_shuffle, pixel_unshuffle, resize_uint8, unfold, INT_KERNELS,
)

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm", "bilinear",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "celu", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "cosine_embedding_loss", "cosine_similarity", "cross_entropy",
    "dropout", "dropout1d", "dropout2d", "dropout3d", "elu", "embedding", "gelu", "glu", "group_norm",
    "hardsigmoid", "hardswish", "hardtanh", "hinge_embedding_loss", "huber_loss", "instance_norm",
    "interpolate", "kl_div", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax", "logsigmoid",
    "margin_ranking_loss", "max_pool1d", "max_pool2d", "mish", "mse_loss", "nll_loss", "normalize",
    "one_hot", "pad", "pairwise_distance", "pixel_shuffle", "pixel_unshuffle", "prelu", "relu", "relu6",
    "relu_", "rms_norm", "scaled_dot_product_attention", "selu", "sigmoid", "silu", "smooth_l1_loss",
    "soft_margin_loss", "softmax", "softmin", "softplus", "softsign", "tanh", "tanhshrink",
    "triplet_margin_loss", "upsample",
]
# composed in the family modules beside this one (activation, loss, pooling, sparse, vision), and below
__all__ += [
    "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "affine_grid",
    "alpha_dropout", "avg_pool3d", "celu_", "channel_shuffle", "conv_tbc", "ctc_loss", "elu_", "embedding_bag",
    "feature_alpha_dropout", "fold", "fractional_max_pool2d", "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d", "fractional_max_pool3d_with_indices", "gaussian_nll_loss", "grid_sample",
    "gumbel_softmax", "hardshrink", "hardtanh_", "leaky_relu_", "local_response_norm", "lp_pool1d", "lp_pool2d",
    "lp_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d", "max_pool3d_with_indices",
    "max_unpool1d", "max_unpool2d", "max_unpool3d", "multi_head_attention_forward", "multi_margin_loss",
    "multilabel_margin_loss", "multilabel_soft_margin_loss", "native_channel_shuffle", "pdist", "poisson_nll_loss", "rrelu", "rrelu_",
    "selu_", "softshrink", "threshold", "threshold_", "triplet_margin_with_distance_loss", "unfold",
    "upsample_bilinear", "upsample_nearest",
]


# ---------------------------------------------------------------------------------------------
# activations composed from tensor ops


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.relu(kitty.tensor([-1., 2.]))
    tensor([0., 2.])
    """
    if inplace:
        return apply_inplace(_act.Relu, input)
    return _act.Relu.apply(input)


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.relu_(kitty.tensor([-1., 2.]))
    tensor([0., 2.])
    """
    return apply_inplace(_act.Relu, input)


def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.sigmoid(kitty.tensor([0.]))
    tensor([0.5000])
    """
    return _act.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.tanh(kitty.tensor([0.]))
    tensor([0.])
    """
    return _act.tanh(input)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.tanhshrink(kitty.tensor([0.]))
    tensor([0.])
    """
    return input - _act.tanh(input)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, stable for large inputs.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.softmax(kitty.tensor([0., 0.]), dim=0)
    tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return _act.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, fused and stable (finite for logits of +-1e4).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.log_softmax(kitty.tensor([0., 0.]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _act.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.softmin(kitty.tensor([0., 0.]), dim=0)
    tensor([0.5000, 0.5000])
    """
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    x = cast(input, D.to_dtype(dtype)) if dtype is not None else input
    return _act.softmax(-x, dim)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)`` for the two halves ``a, b`` of ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.glu(kitty.tensor([1., 0.])).shape
    kittygrad.Size([1])
    """
    if input.ndim == 0:
        raise KittyRuntimeError("glu does not support scalars because halving size must be even")
    d = normalize_dim(dim, input.ndim)
    n = input.shape[d]
    if n % 2:
        raise KittyRuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    if not B.is_float(input._data.dtype):  # (torch's kernel gates floats only, after its size checks)
        raise KittyNotImplementedError(f"\"glu_cpu\" not implemented for '{dtype_name(input)}'")
    lead = (slice(None),) * d
    a = input[lead + (slice(0, n // 2),)]
    b = input[lead + (slice(n // 2, n),)]
    return torch_named(a * _act.sigmoid(b), "GluBackward0")


# ---------------------------------------------------------------------------------------------
# one-hot, pixel shuffle


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices to a one-hot int64 tensor with a new last dim.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.one_hot(kitty.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    t = as_tensor_arg(tensor)
    if t._data.dtype.kind not in "iu":
        raise KittyRuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    arr = t._data.astype(B.xp.int64, copy=False)
    if num_classes == -1:
        if arr.size == 0:
            raise KittyRuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(arr.max()) + 1
    if arr.size and arr.min() < 0:
        raise KittyRuntimeError("Class values must be non-negative.")
    if arr.size and arr.max() >= num_classes:
        raise KittyRuntimeError("Class values must be smaller than num_classes.")
    # by ops (not on the array) so that vmap batches it
    return cast(_cmp.eq(Tensor._wrap(arr).unsqueeze(-1), Tensor._wrap(B.xp.arange(num_classes))), D.int64)


# ---------------------------------------------------------------------------------------------
# separable resampling: adaptive average pooling and interpolation as small matrix products


def _along(x: Tensor, axis: int, mat) -> Tensor:
    """Apply ``mat`` (out, in) along ``axis`` of ``x`` with one matmul."""
    m = Tensor._wrap(mat.astype(x._data.dtype))
    nd = x.ndim
    if axis == nd - 1:
        return x @ m.t()
    if axis == nd - 2:
        return m @ x
    return (x.transpose(axis, nd - 1) @ m.t()).transpose(axis, nd - 1)


def _adaptive_matrix(n_in: int, n_out: int):
    mat = B.xp.zeros((n_out, n_in))
    for i in range(n_out):
        start = (i * n_in) // n_out
        end = -((-(i + 1) * n_in) // n_out)
        mat[i, start:end] = 1.0 / (end - start)
    return mat


def _adaptive_avg(input: Tensor, output_size, nd: int, name: str) -> Tensor:
    x = as_tensor_arg(input)
    if x.ndim not in (nd + 1, nd + 2):
        raise KittyRuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D tensor, but got {list(x.shape)}")
    sizes = output_size if isinstance(output_size, (list, tuple)) else (output_size,) * nd
    if len(sizes) != nd:
        raise KittyRuntimeError(f"{name}: output_size must be {nd}, got {len(sizes)} elements")
    if not B.is_float(x._data.dtype):
        # torch averages no integers here (the 1-d pool runs its 2-d kernel); the matrix product
        # below would cast the weights to the integer dtype and give zeros; an output of one
        # element per plane is a mean over the spatial dims there, refused in mean's words
        if all((x.shape[x.ndim - nd + i] if s is None else s) == 1 for i, s in enumerate(sizes)):
            raise KittyRuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
                f"dtype. Got: {dtype_name(x)}"
            )
        kernel = "adaptive_avg_pool3d_cpu" if nd == 3 else "adaptive_avg_pool2d"
        raise KittyNotImplementedError(f"\"{kernel}\" not implemented for '{dtype_name(x)}'")
    out = x
    for i, s in enumerate(sizes):
        axis = x.ndim - nd + i
        n_in = x.shape[axis]
        s = n_in if s is None else int(s)
        if s == n_in:
            continue
        out = _along(out, axis, _adaptive_matrix(n_in, s))
    out = keep_channels_last(out, x) if out is not x else x * 1
    # (torch takes the mean for an output of one element per plane)
    label = "MeanBackward1" if all(s == 1 for s in out.shape[-nd:]) else f"AdaptiveAvgPool{nd}DBackward0"
    return torch_named(out, _pool_label(nd, label))


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output length (windows as torch picks them).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.adaptive_avg_pool1d(kitty.tensor([[[1., 2., 3., 4.]]]), 2)
    tensor([[[1.5000, 3.5000]]])
    """
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed ``(H, W)`` (an int, a pair, ``None`` keeps a size).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.adaptive_avg_pool2d(kitty.ones(1, 3, 5, 7), 1).shape
    kittygrad.Size([1, 3, 1, 1])
    """
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed ``(D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.adaptive_avg_pool3d(kitty.ones(1, 2, 3, 4, 5), (1, 2, None)).shape
    kittygrad.Size([1, 2, 1, 2, 5])
    """
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def _source_coords(n_in: int, n_out: int, align_corners, scale, clamp: bool):
    """Where each output element samples the input, in input coordinates (float64).

    ``align_corners`` maps the corner elements onto each other; otherwise pixel centres are
    matched, with the step ``1 / scale_factor`` when one is given (as torch, which keeps the
    user's factor unless ``recompute_scale_factor``) else ``n_in / n_out``. Linear modes clamp a
    coordinate left of the first centre to 0; cubic keeps it and lets the tap indices clamp.
    """
    xp = B.xp
    dst = xp.arange(n_out, dtype=xp.float64)
    if align_corners:
        return dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    step = (n_in / n_out) if scale is None else 1.0 / scale
    src = (dst + 0.5) * step - 0.5
    return xp.maximum(src, 0.0) if clamp else src


# Keys' cubic convolution parameter; -0.75 (not the textbook -0.5) is what torch and OpenCV use.
_CUBIC_A = -0.75


def _cubic_weights(t):
    """The four tap weights of Keys' kernel for fractional offsets ``t`` in [0, 1): shape (n, 4),
    for the taps at floor - 1, floor, floor + 1, floor + 2. Each row sums to 1.

    >>> _cubic_weights(B.xp.array([0.0, 0.5])).tolist()
    [[0.0, 1.0, 0.0, 0.0], [-0.09375, 0.59375, 0.59375, -0.09375]]
    """
    xp = B.xp
    a = _CUBIC_A

    def near(d):  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return xp.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=-1)


def _nearest_index(n_in: int, n_out: int, mode: str, scale, dtype):
    """The source element each output reads in 'nearest' / 'nearest-exact' resizing (non-decreasing)."""
    xp = B.xp
    dst = xp.arange(n_out, dtype=xp.float64)
    rows = xp.arange(n_out)
    # The floor of a computed coordinate picks the source element, so its rounding decides
    # where a coordinate that is an integer in exact arithmetic lands. As torch: float32
    # arithmetic below float64; for float64 given a size, the exact quotient (a float64
    # product such as 97 * (2 / 98) rounds below the integer it stands for). Measured on all
    # sizes 1..59 -> 1..109: every pair agrees with torch but 10 float32 'nearest-exact'
    # ones; a float64 scale_factor still differs at a few (e.g. 1.3).
    off = 0 if mode == "nearest" else 1
    if dtype == xp.float64 and scale is None:
        idx = ((2 * rows + off) * n_in) // (2 * n_out)
    elif dtype == xp.float64:
        idx = xp.floor((dst + 0.5 * off) * (1.0 / scale)).astype(xp.int64)
    else:
        f32 = xp.float32
        s = (f32(n_in) / f32(n_out)) if scale is None else f32(1.0 / scale)
        idx = xp.floor((dst.astype(f32) + f32(0.5 * off)) * s).astype(xp.int64)
    return xp.minimum(idx, n_in - 1)


def _interp_matrix(n_in: int, n_out: int, mode: str, align_corners, scale, dtype=None):
    xp = B.xp
    mat = xp.zeros((n_out, n_in))
    rows = xp.arange(n_out)
    if mode in ("nearest", "nearest-exact"):
        mat[rows, _nearest_index(n_in, n_out, mode, scale, dtype)] = 1.0
        return mat
    if mode == "bicubic":
        src = _source_coords(n_in, n_out, align_corners, scale, clamp=False)
        base = xp.floor(src)
        # taps past either edge read the edge element (border replication), so near the border
        # several taps land on one column: add.at accumulates their weights there
        taps = xp.clip(base.astype(xp.int64)[:, None] + xp.arange(-1, 3), 0, n_in - 1)
        xp.add.at(mat, (rows[:, None], taps), _cubic_weights(src - base))
        return mat
    src = _source_coords(n_in, n_out, align_corners, scale, clamp=True)
    i0 = xp.minimum(xp.floor(src).astype(xp.int64), n_in - 1)
    i1 = xp.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    xp.add.at(mat, (rows, i0), 1 - lam)
    xp.add.at(mat, (rows, i1), lam)
    return mat


# the interpolating modes (they take align_corners) and the spatial dims each one needs
_LINEAR_MODES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_PLAIN_MODES = ("nearest", "nearest-exact", "area")


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None, recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims: ``mode`` 'nearest', 'nearest-exact', 'linear', 'bilinear',
    'bicubic' (4-D input; Keys' kernel with a = -0.75, edge elements repeated past the border),
    'trilinear' or 'area'; give ``size`` or ``scale_factor``. ``antialias=True`` (bilinear, bicubic,
    or 'lanczos', 4-D input) filters before downscaling, as PIL and torch do.

    Each spatial dim is resized by one matrix product with a constant (out, in) weight matrix,
    so the gradient is the product with its transpose; the nearest modes gather instead (their
    gradient sums the outputs each element was copied to).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.interpolate(kitty.ones(1, 1, 2, 2), scale_factor=2).shape
    kittygrad.Size([1, 1, 4, 4])
    >>> kitty.nn.functional.interpolate(kitty.tensor([[[[0., 1.]]]]), size=(1, 4), mode="bicubic")
    tensor([[[[-0.1055,  0.2266,  0.7734,  1.1055]]]])
    """
    x = as_tensor_arg(input)
    nd = x.ndim - 2
    # the checks in torch's order, so a call with several faults reports the same one
    if mode in _PLAIN_MODES and align_corners is not None:
        raise KittyValueError(
            "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear"
        )
    spatial = x.shape[2:]
    has_size, has_scale = size is not None, scale_factor is not None
    if has_size and has_scale:
        raise KittyValueError("only one of size or scale_factor should be defined")
    if has_size:
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * max(nd, 0)
        if isinstance(size, (list, tuple)) and len(sizes) != nd:
            raise KittyValueError(
                f"Input and output must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {list(spatial)} and output size of {size}. Please provide input tensor in "
                "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
            )
        if recompute_scale_factor:
            raise KittyValueError("recompute_scale_factor is not meaningful with an explicit size.")
        scales = (None,) * nd
    elif has_scale:
        scales = tuple(scale_factor) if isinstance(scale_factor, (list, tuple)) else (scale_factor,) * max(nd, 0)
        if isinstance(scale_factor, (list, tuple)) and len(scales) != nd:
            raise KittyValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but got input with "
                f"spatial dimensions of {list(spatial)} and scale_factor of shape {scale_factor}. Please provide "
                "input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
            )
        sizes = tuple(int(math.floor(n * s)) for n, s in zip(spatial, scales))
        if recompute_scale_factor:
            # the weights then follow the integer sizes, not the factor the user gave
            scales = (None,) * nd
    else:
        raise KittyValueError("either size or scale_factor should be defined")
    if mode == "lanczos" and not antialias:
        raise KittyValueError("Lanczos mode requires antialias=True")
    if mode == "lanczos" and align_corners:
        raise KittyValueError("Lanczos mode does not support align_corners=True")
    if antialias:
        if mode not in ("bilinear", "bicubic", "lanczos") or x.ndim != 4:
            raise KittyValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
                                  "requires a 4-D tensor as input")
        if not B.is_float(x._data.dtype) and x._data.dtype != B.xp.uint8:
            raise KittyNotImplementedError(f"\"compute_index_ranges_weights\" not implemented for '{dtype_name(x)}'")
        out = _resize(x, spatial, sizes, scales,
                      lambda n_in, n_out, s: antialias_matrix(n_in, n_out, mode, bool(align_corners), s))
        return torch_named(out, _upsample_label(mode, nd, "Aa"))
    if mode in _LINEAR_MODES and mode != "bicubic" and nd in (1, 2, 3) and _LINEAR_MODES[mode] != nd:
        raise KittyNotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs {_LINEAR_MODES[mode] + 2}D input")
    if (mode not in _PLAIN_MODES and mode not in _LINEAR_MODES) or nd not in (1, 2, 3) or (mode == "bicubic" and nd != 2):
        # torch's catch-all, also for bicubic on 3-D / 5-D input (it has no 1-D or 3-D kernel)
        raise KittyNotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {x.ndim}D) for the modes: "
            f"nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})"
        )
    align = bool(align_corners)
    if mode == "bicubic" and min(*spatial, *sizes) <= 0:
        (h, w), (oh, ow) = spatial, sizes
        raise KittyRuntimeError(
            f"Input and output sizes should be greater than 0, but got input (H: {h}, W: {w}) output (H: {oh}, W: {ow})"
        )
    if mode == "area":
        return _adaptive_avg(x, sizes, nd, "interpolate")
    if not B.is_float(x._data.dtype) and (x._data.dtype != B.xp.uint8 or mode in ("linear", "trilinear")):
        # torch resizes uint8 images (all but the linear / trilinear modes) but no other integer
        # dtype, and names the kernel that lacks the dtype
        raise KittyNotImplementedError(f"\"{INT_KERNELS[mode, nd == 2]}\" not implemented for '{dtype_name(x)}'")
    if mode in ("nearest", "nearest-exact"):  # a gather per axis (its gradient sums runs), not a product
        out = x
        for i, (n_in, n_out, s) in enumerate(zip(spatial, sizes, scales)):
            out = _nearest_along(out, 2 + i, _nearest_index(n_in, int(n_out), mode, s, x._data.dtype))
        return torch_named(keep_channels_last(out, x), _upsample_label(mode, nd))
    out = _resize(x, spatial, sizes, scales,
                  lambda n_in, n_out, s: _interp_matrix(n_in, n_out, mode, align, s, x._data.dtype))
    return torch_named(out, _upsample_label(mode, nd))


def _upsample_label(mode: str, nd: int, suffix: str = "") -> str:
    """The node of torch's resize kernel for ``mode`` (``UpsampleBilinear2DBackward0``), which a
    printed result names as its grad_fn; kittygrad resizes by gathers and matrix products."""
    kind = {"nearest-exact": "NearestExact", "bilinear": "Bilinear", "bicubic": "Bicubic", "trilinear": "Trilinear",
            "lanczos": "Lanczos"}.get(mode, mode.capitalize())
    return f"Upsample{kind}{nd}D{suffix}Backward0"


def _resize(x: Tensor, spatial, sizes, scales, matrix) -> Tensor:
    """``x`` resized one spatial axis at a time by ``matrix(n_in, n_out, scale)``'s (out, in) weights."""
    if x._data.dtype == B.xp.uint8:  # torch's fixed-point arithmetic for images, not a float product
        return keep_channels_last(resize_uint8(x, [matrix(n, int(o), s) for n, o, s in zip(spatial, sizes, scales)]), x)
    out = x
    for i, (n_in, n_out, s) in enumerate(zip(spatial, sizes, scales)):
        out = _along(out, 2 + i, matrix(n_in, int(n_out), s))
    return keep_channels_last(out, x)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """Deprecated alias of :func:`interpolate` (warns, as torch).

    >>> import warnings
    >>> import kittygrad as kitty
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kitty.nn.functional.upsample(kitty.ones(1, 1, 2), scale_factor=2).shape
    kittygrad.Size([1, 1, 4])
    """
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size=size, scale_factor=scale_factor, mode=mode, align_corners=align_corners)


def _deprecated_upsample(name: str, input: Tensor, size, scale_factor, **how) -> Tensor:
    """The deprecated ``upsample_*`` shorthands: warn, then resize with the fixed ``how``."""
    # stacklevel 3: the warning points at the caller of upsample_nearest / upsample_bilinear
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=3)
    return interpolate(input, size=size, scale_factor=scale_factor, **how)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``.

    >>> import warnings
    >>> import kittygrad as kitty
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kitty.nn.functional.upsample_nearest(kitty.ones(1, 1, 2), scale_factor=2).shape
    kittygrad.Size([1, 1, 4])
    """
    return _deprecated_upsample("upsample_nearest", input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``.

    >>> import warnings
    >>> import kittygrad as kitty
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kitty.nn.functional.upsample_bilinear(kitty.ones(1, 1, 2, 2), size=3).shape
    kittygrad.Size([1, 1, 3, 3])
    """
    return _deprecated_upsample("upsample_bilinear", input, size, scale_factor, mode="bilinear", align_corners=True)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``(N, C, *)`` across ``groups`` (ShuffleNet): channel ``g * (C /
    groups) + i`` moves to ``i * groups + g``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.channel_shuffle(kitty.arange(4.).reshape(1, 4, 1), 2).flatten()
    tensor([0., 2., 1., 3.])
    """
    if input.ndim < 3:
        raise KittyRuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                                f"{input.ndim} dimension(s)")
    if groups <= 0:
        raise KittyRuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    channels = input.shape[1]
    if channels % groups:
        raise KittyRuntimeError(
            f"Number of channels must be divisible by groups. Got {channels} channels and {groups} groups."
        )
    rest = tuple(input.shape[2:])
    return input.reshape(input.shape[0], groups, channels // groups, *rest).transpose(1, 2).reshape(input.shape)


native_channel_shuffle = channel_shuffle


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """1-D convolution in time-batch-channel layout: ``input`` ``(T, B, C_in)``, ``weight``
    ``(K, C_in, C_out)``, ``bias`` ``(C_out,)``, ``pad`` steps of zeros at both ends.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv_tbc(kitty.ones(4, 1, 2), kitty.ones(3, 2, 1), kitty.zeros(1), 1).flatten()
    tensor([4., 6., 6., 4.])
    """
    if input.ndim != 3:
        raise KittyRuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise KittyRuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.ndim != 1:
        raise KittyRuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise KittyRuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise KittyRuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)


# ---------------------------------------------------------------------------------------------
# attention


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False, scale=None, enable_gqa: bool = False) -> Tensor:
    """``softmax(q @ k.T * scale + mask) @ v`` over the last two dims.

    ``attn_mask``: boolean (True = may attend) or additive float; ``is_causal`` masks the future.

    >>> import kittygrad as kitty
    >>> q = kitty.randn(2, 4, 8)
    >>> kitty.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True).shape
    kittygrad.Size([2, 4, 8])
    """
    q, k, v = as_tensor_arg(query), as_tensor_arg(key, "key"), as_tensor_arg(value, "value")
    L, S = q.shape[-2], k.shape[-2]
    dt = q._data.dtype
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        if q.shape[-3] % k.shape[-3] or q.shape[-3] % v.shape[-3]:
            # (torch's message, which ends there)
            raise KittyRuntimeError("Number of heads in key and value must divide the number of heads in ")
        rep = q.shape[-3] // k.shape[-3]
        k = k.unsqueeze(-3).expand(*k.shape[:-2], rep, S, k.shape[-1]).reshape(*q.shape[:-3], q.shape[-3], S, k.shape[-1])
        v = v.unsqueeze(-3).expand(*v.shape[:-2], rep, S, v.shape[-1]).reshape(*q.shape[:-3], q.shape[-3], S, v.shape[-1])
    if attn_mask is None and dropout_p == 0:
        fused = fused_attention(q, k, v, s, is_causal)
        if fused is not None:
            return fused
    scores = (q @ k.transpose(-2, -1)) * s
    if is_causal:
        # torch's CPU flash kernel (4-D inputs of one batch, head count and head size, no dropout)
        # applies both the mask and the causal hint; only its math fallback refuses the pair
        flash = q.ndim == k.ndim == v.ndim == 4 and q.shape[:2] == k.shape[:2] == v.shape[:2] \
            and q.shape[-1] == k.shape[-1] == v.shape[-1] and dropout_p == 0
        if attn_mask is not None and not flash:
            raise KittyRuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
        causal = B.xp.tril(B.xp.ones((L, S), dtype=bool))
        scores = scores + Tensor._wrap(B.xp.where(causal, 0.0, -B.xp.inf).astype(dt))
    if attn_mask is not None:
        scores = scores + _mask_to_additive(attn_mask, dt)
        attn = _masked_softmax(scores)
    else:
        attn = _act.softmax(scores, -1)
    if dropout_p > 0:
        attn = dropout(attn, dropout_p, training=True)
    return attn @ v


# ---------------------------------------------------------------------------------------------
# distances and similarity


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.normalize(kitty.tensor([[3., 4.]]))
    tensor([[0.6000, 0.8000]])
    """
    norm = _vector_norm(input, p, dim, keepdim=True)
    return input / _cmp.clamp(norm, min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (norms clamped at ``eps``).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.cosine_similarity(kitty.tensor([[1., 0.]]), kitty.tensor([[1., 1.]]))
    tensor([0.7071])
    """
    common = D.result_type(x1, x2)
    if not common.is_floating_point:  # torch checks the common dtype before any size
        raise KittyRuntimeError(
            f"expected common dtype to be floating point, yet common dtype is {dtype_scalar_name(common.np)}"
        )
    a, b = binary(x1, x2, "cosine_similarity")
    n1 = _cmp.clamp(_vector_norm(a, 2, dim, keepdim=True), min=eps)
    n2 = _cmp.clamp(_vector_norm(b, 2, dim, keepdim=True), min=eps)
    return ((a / n1) * (b / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dim.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.pairwise_distance(kitty.tensor([[0., 0.]]), kitty.tensor([[3., 4.]]), eps=0)
    tensor([5.])
    """
    # torch takes the norm by its older ``norm`` op (NormBackward1), not linalg.vector_norm
    return torch_named(_vector_norm(x1 - x2 + eps, p, -1, keepdim=keepdim), "NormBackward1")


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distances between all pairs of rows of ``(N, M)``, condensed: ``(N * (N - 1) / 2,)``
    in the order (0, 1), (0, 2), ..., (1, 2), ...

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.pdist(kitty.tensor([[0., 0.], [3., 4.], [6., 8.]]))
    tensor([ 5., 10.,  5.])
    """
    if input.ndim != 2:
        raise KittyRuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise KittyRuntimeError("pdist only supports non-negative p values")
    first, second = B.xp.triu_indices(input.shape[0], 1)
    pick = Tensor._wrap
    return torch_named(_vector_norm(input[pick(first)] - input[pick(second)], p, -1), "PdistBackward0")


# ---------------------------------------------------------------------------------------------
# losses composed from tensor ops


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise KittyValueError(f"{reduction} is not a valid value for reduction")


def _const(x: Tensor, values) -> Tensor:
    return Tensor._wrap(B.xp.asarray(values, dtype=x._data.dtype))


def _clamp_min0(x: Tensor) -> Tensor:
    """``max(x, 0)`` for the margin losses. As torch (which clamps there): at exactly 0 the
    gradient passes, where ``relu`` would stop it (``relu'(0) = 0``)."""
    return _cmp.clamp_min(x, 0)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where it is -1.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.cosine_embedding_loss(kitty.tensor([[1., 0.]]), kitty.tensor([[1., 0.]]), kitty.tensor([1]))
    tensor(0.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if input1.ndim != input2.ndim or input1.shape != input2.shape:
        raise KittyRuntimeError(
            f"cosine_embedding_loss: the size of input1 {list(input1.shape)} must match input2 {list(input2.shape)}"
        )
    eps = 1e-12
    dim = input1.ndim - 1
    prod = (input1 * input2).sum(dim)
    mag = ((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)
    cos = prod / mag.sqrt()
    t = as_tensor_arg(target, "target")._data
    pos = _const(cos, t == 1)
    neg = _const(cos, t == -1)
    loss = pos * (1 - cos) + neg * _clamp_min0(cos - margin)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -target * (x1 - x2) + margin)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.margin_ranking_loss(kitty.tensor([1.]), kitty.tensor([2.]), kitty.tensor([1.]))
    tensor(1.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if len({input1.ndim, input2.ndim, target.ndim}) > 1:
        raise KittyRuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: "
            f"{input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    return _reduce(_clamp_min0(-target * (input1 - input2) + margin), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` with ``d`` the pairwise p-norm distance.

    >>> import kittygrad as kitty
    >>> a = kitty.zeros(1, 2)
    >>> kitty.nn.functional.triplet_margin_loss(a, a, kitty.ones(1, 2) * 5)
    tensor(0.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if margin <= 0:
        raise KittyValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_pn = pairwise_distance(positive, negative, p, eps)
        d_an = (d_an + d_pn - (d_an - d_pn).abs()) * 0.5  # min(d_an, d_pn)
    return _reduce(_clamp_min0(d_ap - d_an + margin), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` for any distance ``d`` (``pairwise_distance`` by default);
    ``swap`` uses ``min(d(a, n), d(p, n))``.

    >>> import kittygrad as kitty
    >>> a = kitty.zeros(1, 2)
    >>> kitty.nn.functional.triplet_margin_with_distance_loss(a, a, kitty.ones(1, 2) * 5)
    tensor(0.)
    """
    _check_reduction(reduction)
    if margin <= 0:
        raise KittyValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise KittyRuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative {negative.ndim}D inputs"
        )
    distance = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = distance(anchor, positive), distance(anchor, negative)
    if swap:
        d_neg = _cmp.minimum(d_neg, distance(positive, negative))
    return _reduce(_cmp.clamp_min(margin + d_pos - d_neg, 0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``x`` where target is 1, ``max(0, margin - x)`` where it is -1.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.hinge_embedding_loss(kitty.tensor([0.3]), kitty.tensor([-1.]))
    tensor(0.7000)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    t = as_tensor_arg(target, "target")._data
    loss = _const(input, t != 1) * _clamp_min0(margin - input) + _const(input, t != -1) * input
    return _reduce(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-target * x))``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.soft_margin_loss(kitty.tensor([0.]), kitty.tensor([1.]))
    tensor(0.6931)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    # torch's is one kernel: its node is SoftMarginLossBackward0 whatever the reduction
    return torch_named(_reduce(softplus(-target * input), reduction), "SoftMarginLossBackward0")
