"""torch's top-level bindings of nn ops (``torch.conv2d``, ``torch.dropout``, ``torch.layer_norm``,
``torch.kl_div``, ...): ``torch.nn.functional``'s ops under the names and signatures of torch's own
namespace (aten's argument order, ``train`` for ``training``, losses' ``reduction`` as an int:
1 mean, 2 sum, anything else none -- and none by default, as torch's bindings)."""
from __future__ import annotations

import warnings

from . import linalg
from .creation import ones_like as kitty_ones_like
from .dtypes import bool as bool_dtype
from .errors import KittyRuntimeError
from .nn import functional as F
from .nn._functional_dropout import _dropout_mask
from .tensor import Tensor
from .ops.nn.recurrent import gru, lstm, rnn_relu, rnn_tanh

# the same signatures as nn.functional's, positionally
conv1d, conv2d, conv3d = F.conv1d, F.conv2d, F.conv3d
conv_transpose1d, conv_transpose2d, conv_transpose3d = F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d
adaptive_avg_pool1d, bilinear = F.adaptive_avg_pool1d, F.bilinear
cosine_similarity, pairwise_distance, pdist = F.cosine_similarity, F.pairwise_distance, F.pdist
pixel_shuffle, pixel_unshuffle, channel_shuffle = F.pixel_shuffle, F.pixel_unshuffle, F.channel_shuffle
native_channel_shuffle = F.channel_shuffle
hardshrink, threshold, threshold_, rrelu, rrelu_ = F.hardshrink, F.threshold, F.threshold_, F.rrelu, F.rrelu_
rms_norm, conv_tbc = F.rms_norm, F.conv_tbc

_REDUCTIONS = {1: "mean", 2: "sum"}


def _reduction(value) -> str:
    return _REDUCTIONS.get(int(value), "none")


def _stride(stride):
    return None if stride == () or stride == [] else stride


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode: bool = False, count_include_pad: bool = True):
    """``F.avg_pool1d`` (torch's empty ``stride`` means the kernel size).

    >>> import kittygrad as kitty
    >>> kitty.avg_pool1d(kitty.arange(4.).reshape(1, 1, 4), 2)
    tensor([[[0.5000, 2.5000]]])
    """
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False):
    """``F.max_pool1d`` (torch's empty ``stride`` means the kernel size).

    >>> import kittygrad as kitty
    >>> kitty.max_pool1d(kitty.arange(4.).reshape(1, 1, 4), 2)
    tensor([[[1., 3.]]])
    """
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False):
    """``F.max_pool2d`` (torch's empty ``stride`` means the kernel size).

    >>> import kittygrad as kitty
    >>> kitty.max_pool2d(kitty.arange(4.).reshape(1, 1, 2, 2), 2)
    tensor([[[[3.]]]])
    """
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False):
    """``F.max_pool3d`` (torch's empty ``stride`` means the kernel size).

    >>> import kittygrad as kitty
    >>> kitty.max_pool3d(kitty.arange(8.).reshape(1, 1, 2, 2, 2), 2)
    tensor([[[[[7.]]]]])
    """
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def adaptive_max_pool1d(input, output_size):
    """``F.adaptive_max_pool1d`` returning ``(values, indices)``, as torch's binding.

    >>> import kittygrad as kitty
    >>> kitty.adaptive_max_pool1d(kitty.arange(4.).reshape(1, 1, 4), 2)[1]
    tensor([[[1, 3]]])
    """
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def batch_norm(input, weight, bias, running_mean, running_var, training: bool, momentum: float, eps: float,
               cudnn_enabled: bool = True):
    """``F.batch_norm`` in aten's argument order (weight and bias first).

    >>> import kittygrad as kitty
    >>> kitty.batch_norm(kitty.tensor([[1.], [3.]]), None, None, None, None, True, 0.1, 0.0, False)
    tensor([[-1.],
            [ 1.]])
    """
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats: bool, momentum: float,
                  eps: float, cudnn_enabled: bool = True):
    """``F.instance_norm`` in aten's argument order (weight and bias first).

    >>> import kittygrad as kitty
    >>> kitty.instance_norm(kitty.tensor([[[1., 3.]]]), None, None, None, None, True, 0.1, 0.0, False)
    tensor([[[-1.,  1.]]])
    """
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5, cudnn_enable: bool = True):
    """``F.layer_norm`` (``cudnn_enable`` is accepted and ignored).

    >>> import kittygrad as kitty
    >>> kitty.layer_norm(kitty.tensor([[1., 3.]]), [2], eps=0.0)
    tensor([[-1.,  1.]])
    """
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5, cudnn_enabled: bool = True):
    """``F.group_norm`` (``cudnn_enabled`` is accepted and ignored).

    >>> import kittygrad as kitty
    >>> kitty.group_norm(kitty.tensor([[1., 3.]]), 1, eps=0.0)
    tensor([[-1.,  1.]])
    """
    return F.group_norm(input, num_groups, weight, bias, eps)


def dropout(input, p: float, train: bool):
    """``F.dropout`` with torch's binding's ``train`` flag.

    >>> import kittygrad as kitty
    >>> kitty.dropout(kitty.ones(2), 0.5, False)
    tensor([1., 1.])
    """
    return F.dropout(input, p, train)


def dropout_(input, p: float, train: bool):
    """``dropout`` in place.

    >>> import kittygrad as kitty
    >>> kitty.dropout_(kitty.ones(2), 0.5, False)
    tensor([1., 1.])
    """
    return F.dropout(input, p, train, inplace=True)


def alpha_dropout(input, p: float, train: bool):
    """``F.alpha_dropout`` with torch's binding's ``train`` flag.

    >>> import kittygrad as kitty
    >>> kitty.alpha_dropout(kitty.ones(2), 0.5, False)
    tensor([1., 1.])
    """
    return F.alpha_dropout(input, p, train)


def alpha_dropout_(input, p: float, train: bool):
    """``alpha_dropout`` in place.

    >>> import kittygrad as kitty
    >>> kitty.alpha_dropout_(kitty.ones(2), 0.5, False)
    tensor([1., 1.])
    """
    return F.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input, p: float, train: bool):
    """``F.feature_alpha_dropout`` with torch's binding's ``train`` flag.

    >>> import kittygrad as kitty
    >>> kitty.feature_alpha_dropout(kitty.ones(1, 2, 2), 0.5, False).shape
    kittygrad.Size([1, 2, 2])
    """
    return F.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p: float, train: bool):
    """``feature_alpha_dropout`` in place.

    >>> import kittygrad as kitty
    >>> kitty.feature_alpha_dropout_(kitty.ones(1, 2, 2), 0.5, False).shape
    kittygrad.Size([1, 2, 2])
    """
    return F.feature_alpha_dropout(input, p, train, inplace=True)


def _feature_dropout(input, p, train, inplace):
    if p < 0 or p > 1:
        raise KittyRuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not train or p == 0:
        return input
    if input.dim() < 2:
        raise KittyRuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    keep = input.new_empty(shape).bernoulli_(1 - p)
    mask = keep / (1 - p) if p < 1 else keep
    return input.mul_(mask) if inplace else input * mask


def feature_dropout(input, p: float, train: bool):
    """Dropout of whole channels (dim 1) of ``input`` (``N x C x ...``), scaled by ``1 / (1 - p)``.

    >>> import kittygrad as kitty
    >>> kitty.feature_dropout(kitty.ones(1, 2, 2), 0.5, False)
    tensor([[[1., 1.],
             [1., 1.]]])
    """
    return _feature_dropout(input, p, train, False)


def feature_dropout_(input, p: float, train: bool):
    """``feature_dropout`` in place.

    >>> import kittygrad as kitty
    >>> kitty.feature_dropout_(kitty.ones(1, 2), 0.5, False)
    tensor([[1., 1.]])
    """
    return _feature_dropout(input, p, train, True)


def embedding(weight, input, padding_idx: int = -1, scale_grad_by_freq: bool = False, sparse: bool = False):
    """``F.embedding`` in aten's order: the table first, then the indices (``padding_idx=-1``: none).

    >>> import kittygrad as kitty
    >>> kitty.embedding(kitty.eye(3), kitty.tensor([2]))
    tensor([[0., 0., 1.]])
    """
    return F.embedding(input, weight, None if padding_idx == -1 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def constant_pad_nd(input, pad, value=0):
    """``F.pad`` with a constant.

    >>> import kittygrad as kitty
    >>> kitty.constant_pad_nd(kitty.ones(2), [1, 0], 5.)
    tensor([5., 1., 1.])
    """
    return F.pad(input, list(pad), "constant", value)


# ---- losses: reduction is an int ---------------------------------------------------------------


def kl_div(input, target, reduction: int = 0, *, log_target: bool = False):
    """``F.kl_div`` with an int ``reduction`` (0 by default: no reduction; 1: the mean over all elements).

    >>> import kittygrad as kitty
    >>> kitty.kl_div(kitty.zeros(2), kitty.ones(2), 1)
    tensor(0.)
    """
    with warnings.catch_warnings():  # torch's binding keeps 'mean' without F.kl_div's advice (only that is hidden)
        warnings.filterwarnings("ignore", message="reduction: 'mean' divides", category=UserWarning)
        return F.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, reduction: int = 0):
    """``F.margin_ranking_loss`` with an int ``reduction``.

    >>> import kittygrad as kitty
    >>> kitty.margin_ranking_loss(kitty.tensor([1.]), kitty.tensor([2.]), kitty.tensor([1.]))
    tensor([1.])
    """
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin: float = 1.0, reduction: int = 0):
    """``F.hinge_embedding_loss`` with an int ``reduction``.

    >>> import kittygrad as kitty
    >>> kitty.hinge_embedding_loss(kitty.tensor([0.5]), kitty.tensor([-1.]), 1.0, 1)
    tensor(0.5000)
    """
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, reduction: int = 0):
    """``F.triplet_margin_loss`` with an int ``reduction``.

    >>> import kittygrad as kitty
    >>> kitty.triplet_margin_loss(kitty.zeros(1, 2), kitty.zeros(1, 2), kitty.zeros(1, 2), eps=0.)
    tensor([1.])
    """
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=_reduction(reduction))


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, reduction: int = 0):
    """``F.cosine_embedding_loss`` with an int ``reduction``.

    >>> import kittygrad as kitty
    >>> kitty.cosine_embedding_loss(kitty.ones(1, 2), kitty.ones(1, 2), kitty.tensor([1.]), 0.0, 1)
    tensor(0.)
    """
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction: int = 0):
    """``F.binary_cross_entropy_with_logits`` with an int ``reduction``.

    >>> import kittygrad as kitty
    >>> kitty.binary_cross_entropy_with_logits(kitty.zeros(1), kitty.ones(1))
    tensor([0.6931])
    """
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction(reduction),
                                              pos_weight=pos_weight)


def poisson_nll_loss(input, target, log_input: bool, full: bool, eps: float, reduction: int):
    """``F.poisson_nll_loss`` with every argument given and an int ``reduction``.

    >>> import kittygrad as kitty
    >>> kitty.poisson_nll_loss(kitty.zeros(1), kitty.ones(1), True, False, 1e-8, 1)
    tensor(1.)
    """
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_reduction(reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0, reduction: int = 0,
             zero_infinity: bool = False):
    """``F.ctc_loss`` with an int ``reduction``.

    >>> import kittygrad as kitty
    >>> lp = kitty.zeros(1, 1, 2).log_softmax(2)
    >>> kitty.ctc_loss(lp, kitty.tensor([[1]]), [1], [1], reduction=2)
    tensor(0.6931)
    """
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction=_reduction(reduction),
                      zero_infinity=zero_infinity)


# ---- recurrent layers and cells ------------------------------------------------------------------


def _linear(x, w, b):
    # torch's cells run linear (addmm with a bias): its dtype errors and its graph (AddmmBackward0)
    return F.linear(x, w, b)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One step of an Elman RNN with tanh: ``tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    >>> import kittygrad as kitty
    >>> kitty.rnn_tanh_cell(kitty.zeros(1, 2), kitty.zeros(1, 3), kitty.ones(3, 2), kitty.ones(3, 3)).shape
    kittygrad.Size([1, 3])
    """
    return (_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One step of an Elman RNN with ReLU.

    >>> import kittygrad as kitty
    >>> kitty.rnn_relu_cell(kitty.zeros(1, 2), kitty.zeros(1, 3), kitty.ones(3, 2), kitty.ones(3, 3)).shape
    kittygrad.Size([1, 3])
    """
    return (_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh)).relu()


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; ``hx`` is ``(h, c)``; returns ``(h', c')`` (gates in torch's order i, f, g, o).

    >>> import kittygrad as kitty
    >>> h, c = kitty.lstm_cell(kitty.zeros(1, 2), (kitty.zeros(1, 3), kitty.zeros(1, 3)),
    ...                        kitty.ones(12, 2), kitty.ones(12, 3))
    >>> h.shape
    kittygrad.Size([1, 3])
    """
    h, c = hx
    gates = _linear(input, w_ih, b_ih) + _linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c2 = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c2.tanh(), c2


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (gates in torch's order r, z, n).

    >>> import kittygrad as kitty
    >>> kitty.gru_cell(kitty.zeros(1, 2), kitty.zeros(1, 3), kitty.ones(9, 2), kitty.ones(9, 3)).shape
    kittygrad.Size([1, 3])
    """
    gi = _linear(input, w_ih, b_ih).chunk(3, 1)
    gh = _linear(hx, w_hh, b_hh).chunk(3, 1)
    r = (gi[0] + gh[0]).sigmoid()
    z = (gi[1] + gh[1]).sigmoid()
    n = (gi[2] + r * gh[2]).tanh()
    return (1 - z) * n + z * hx


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode: bool = False):
    """``F.max_pool1d`` returning ``(values, indices)``, as torch's binding.

    >>> import kittygrad as kitty
    >>> kitty.max_pool1d_with_indices(kitty.tensor([[[0., 2., 1., 3.]]]), 2)[1]
    tensor([[[1, 3]]])
    """
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode, return_indices=True)


def convolution(input, weight, bias, stride, padding, dilation, transposed: bool, output_padding, groups: int):
    """aten's one convolution entry: ``F.conv{1,2,3}d`` or, when ``transposed``, ``F.conv_transpose{1,2,3}d``,
    chosen by the input's spatial dimensions.

    >>> import kittygrad as kitty
    >>> kitty.convolution(kitty.ones(1, 1, 4), kitty.ones(1, 1, 2), None, [1], [0], [1], False, [0], 1)
    tensor([[[2., 2., 2.]]])
    """
    spatial = input.ndim - 2
    if spatial not in (1, 2, 3):
        raise KittyRuntimeError(f"convolution: expected a 3-D, 4-D or 5-D input (batch, channels, spatial...), "
                                f"got {input.ndim}-D of shape {tuple(input.shape)}")
    if transposed:
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[spatial - 1]
        return conv(input, weight, bias, stride, padding, output_padding, groups, dilation)
    conv = (F.conv1d, F.conv2d, F.conv3d)[spatial - 1]
    return conv(input, weight, bias, stride, padding, dilation, groups)


def native_layer_norm(input, normalized_shape, weight, bias, eps: float):
    """``layer_norm`` with the statistics it used: ``(output, mean, rstd)``, the last two of shape
    ``input.shape[:-len(normalized_shape)] + (1,) * len(normalized_shape)``.

    >>> import kittygrad as kitty
    >>> out, mean, rstd = kitty.native_layer_norm(kitty.tensor([[1., 3.]]), [2], None, None, 0.0)
    >>> mean, rstd
    (tensor([[2.]]), tensor([[1.]]))
    """
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    stats = input.detach()  # torch's statistics outputs carry no gradient
    mean = stats.mean(dims, keepdim=True)
    rstd = (stats.var(dims, unbiased=False, keepdim=True) + eps).rsqrt()
    return F.layer_norm(input, normalized_shape, weight, bias, eps), mean, rstd


def native_batch_norm(input, weight, bias, running_mean, running_var, training: bool, momentum: float, eps: float):
    """``batch_norm`` with the batch statistics it used, ``(output, save_mean, save_invstd)``: per-channel
    mean and 1/sqrt(var + eps) in training, empty tensors in evaluation.

    >>> import kittygrad as kitty
    >>> kitty.native_batch_norm(kitty.tensor([[1.], [3.]]), None, None, None, None, True, 0.1, 0.0)[2]
    tensor([1.])
    """
    out = F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        empty = input.new_empty((0,))
        return out, empty, empty.clone()
    dims = (0,) + tuple(range(2, input.ndim))
    stats = input.detach()  # torch's statistics outputs carry no gradient
    mean = stats.mean(dims)
    invstd = (stats.var(dims, unbiased=False) + eps).rsqrt()
    return out, mean, invstd


def native_dropout(input, p: float, train: bool):
    """Dropout that also returns its boolean keep-mask, ``(output, mask)``; the same draws as ``F.dropout``.

    >>> import kittygrad as kitty
    >>> kitty.native_dropout(kitty.ones(3), 0.5, False)
    (tensor([1., 1., 1.]), tensor([True, True, True]))
    """
    if not train:
        return input.clone(), kitty_ones_like(input, dtype=bool_dtype)
    scaled = Tensor._wrap(_dropout_mask(input.shape, p, input._data.dtype, like=input))
    return input * scaled, scaled != 0  # a comparison: the mask carries no gradient


def norm_except_dim(v, pow: float = 2, dim: int = 0):
    """The ``pow``-norm of ``v`` over every dimension but ``dim``, kept as size-1 dimensions (weight
    normalisation's norm); ``dim=-1`` gives the norm of the whole tensor.

    >>> import kittygrad as kitty
    >>> kitty.norm_except_dim(kitty.tensor([[3., 4.], [0., 1.]]), 2, 0)
    tensor([[5.],
            [1.]])
    """
    if dim == -1:
        return v.norm(pow)
    others = tuple(d for d in range(v.ndim) if d != dim)
    return v.norm(pow, dim=others, keepdim=True)


def nuclear_norm(input, dim=None, keepdim: bool = False):
    """Deprecated spelling of ``linalg.matrix_norm(input, "nuc", dim, keepdim)`` (warns, as torch);
    ``dim`` may be left out (the last two dimensions) or given as ``keepdim``'s place, as torch's overloads.

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kitty.nuclear_norm(kitty.eye(3))
    tensor(3.)
    """
    warnings.warn("nuclear_norm is deprecated; use linalg.matrix_norm(A, 'nuc', dim, keepdim)", UserWarning,
                  stacklevel=3)  # 3: the NumPy-spelling wrapper (kittygrad._numpy_aliases) sits between
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    return linalg.matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


def frobenius_norm(input, dim, keepdim: bool = False):
    """Deprecated spelling of ``linalg.vector_norm(input, 2, dim, keepdim)`` (warns, as torch).

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kitty.frobenius_norm(kitty.tensor([[3., 4.]]), [1])
    tensor([5.])
    """
    warnings.warn("frobenius_norm is deprecated; use linalg.vector_norm(A, 2., dim, keepdim)", UserWarning,
                  stacklevel=3)  # 3: the NumPy-spelling wrapper (kittygrad._numpy_aliases) sits between
    return linalg.vector_norm(input, 2, dim, keepdim)


_GRID_MODES = ("bilinear", "nearest", "bicubic")
_GRID_PADDINGS = ("zeros", "border", "reflection")


def grid_sampler(input, grid, interpolation_mode: int, padding_mode: int, align_corners: bool):
    """``F.grid_sample`` with aten's integer modes (interpolation 0 bilinear, 1 nearest, 2 bicubic;
    padding 0 zeros, 1 border, 2 reflection).

    >>> import kittygrad as kitty
    >>> kitty.grid_sampler(kitty.ones(1, 1, 2, 2), kitty.zeros(1, 1, 1, 2), 0, 0, False)
    tensor([[[[1.]]]])
    """
    return F.grid_sample(input, grid, _GRID_MODES[interpolation_mode], _GRID_PADDINGS[padding_mode], align_corners)


grid_sampler_2d = grid_sampler_3d = grid_sampler


def affine_grid_generator(theta, size, align_corners: bool):
    """``F.affine_grid`` under aten's name.

    >>> import kittygrad as kitty
    >>> kitty.affine_grid_generator(kitty.eye(2, 3).unsqueeze(0), [1, 1, 2, 2], False).shape
    kittygrad.Size([1, 2, 2, 2])
    """
    return F.affine_grid(theta, size, align_corners)


__all__ = [
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "alpha_dropout", "alpha_dropout_", "avg_pool1d", "batch_norm",
    "bilinear", "binary_cross_entropy_with_logits", "channel_shuffle", "constant_pad_nd", "conv1d", "conv2d",
    "conv3d", "conv_tbc", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "cosine_embedding_loss", "cosine_similarity",
    "ctc_loss", "dropout", "dropout_", "embedding", "feature_dropout", "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_", "group_norm",
    "gru", "gru_cell", "hardshrink", "hinge_embedding_loss", "instance_norm", "kl_div", "layer_norm", "lstm",
    "lstm_cell", "margin_ranking_loss", "max_pool1d", "max_pool2d", "max_pool3d", "native_channel_shuffle",
    "pairwise_distance", "pdist", "pixel_shuffle", "pixel_unshuffle", "poisson_nll_loss", "rms_norm", "rnn_relu",
    "rnn_relu_cell", "rnn_tanh", "rnn_tanh_cell", "rrelu", "rrelu_", "threshold", "threshold_",
    "triplet_margin_loss", "max_pool1d_with_indices", "convolution", "native_layer_norm", "native_batch_norm",
    "native_dropout", "norm_except_dim", "nuclear_norm", "frobenius_norm", "grid_sampler", "grid_sampler_2d",
    "grid_sampler_3d", "affine_grid_generator",
]
