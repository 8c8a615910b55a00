"""The activation, shrinkage, random-activation and alpha-dropout functions of
``kittygrad.nn.functional`` that are composed from tensor ops (re-exported there).

The random ones draw from kittygrad's generator in torch's order, so with the same seed they
give torch's values.
"""
from __future__ import annotations

from .. import backend as B
from .. import creation as C
from .. import dtypes as D
from ..errors import KittyNotImplementedError, KittyRuntimeError, KittyValueError
from ..ops.activation import celu, elu, hardtanh, leaky_relu, selu
from ..ops._prep import dtype_name, torch_named
from ..ops.nn.padding import pad
from ..tensor import Tensor
from ._functional_dropout import _check_dropout_input, _dropout_zeros

__all__ = ["threshold", "threshold_", "hardshrink", "softshrink", "rrelu", "rrelu_", "gumbel_softmax", "alpha_dropout",
           "feature_alpha_dropout", "local_response_norm", "elu_", "celu_", "selu_", "leaky_relu_", "hardtanh_"]

#: SELU's ``scale * alpha``: alpha dropout sets dropped units to its negative saturation value
_SELU_SATURATION = 1.7580993408473766


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, ``value`` elsewhere.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.threshold(kitty.tensor([-1., 0.5, 2.]), 1.0, 9.0)
    tensor([9., 9., 2.])
    """
    below = input <= threshold
    if inplace:
        return input.masked_fill_(below, value)
    return torch_named(input.masked_fill(below, value), "ThresholdBackward0")  # (torch's own node)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.threshold_(kitty.tensor([-1., 2.]), 0.0, 5.0)
    tensor([5., 2.])
    """
    return input.masked_fill_(input <= threshold, value)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, 0 elsewhere.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.hardshrink(kitty.tensor([-1., 0.3, 0.7]))
    tensor([-1.0000,  0.0000,  0.7000])
    """
    _float_only(input, "hardshrink_cpu")
    return input.masked_fill((input >= -lambd) & (input <= lambd), 0.0)


def _float_only(input, kernel: str) -> None:
    """The shrink functions' kernels take floating-point tensors only (torch refuses integers)."""
    if not B.is_float(input._data.dtype):
        raise KittyNotImplementedError(f'"{kernel}" not implemented for \'{dtype_name(input)}\'')


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.softshrink(kitty.tensor([-1., 0.3, 0.75]))
    tensor([-0.5000,  0.0000,  0.2500])
    """
    _float_only(input, "softshrink_check")  # (before the range of lambd, as torch)
    if lambd < 0:
        largest = float(B.finfo(input.dtype.np).max)
        kind = {"float16": "Half", "float32": "Float", "float64": "Double"}.get(input.dtype.np.name, input.dtype.np.name)
        raise KittyRuntimeError(f"lambda must be in range [0, {largest:g}] for input dtype {kind}, but found {lambd:g}")
    shrunk = input - input.sign() * lambd
    return shrunk.masked_fill((input >= -lambd) & (input <= lambd), 0.0)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: in training, each non-positive element is scaled by a slope drawn
    from ``U(lower, upper)``; in evaluation by ``(lower + upper) / 2``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.rrelu(kitty.tensor([-1., 2.]), 0.1, 0.3)
    tensor([-0.2000,  2.0000])
    """
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace=inplace)
    negative = input <= 0
    count = int(negative.sum())
    # torch draws one double per non-positive element, in memory order
    slopes = C.empty(count, dtype=D.float64).uniform_(lower, upper).to(input.dtype)
    noise = C.ones(input.shape, dtype=input.dtype).masked_scatter(negative, slopes)
    if inplace:
        return input.mul_(noise)
    return input * noise


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """In-place ``rrelu``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.rrelu_(kitty.tensor([-1., 2.]), 0.1, 0.3)
    tensor([-0.2000,  2.0000])
    """
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """A sample of the Gumbel-softmax distribution (``softmax((logits + g) / tau)`` with Gumbel
    noise ``g``); with ``hard``, the one-hot argmax in the forward pass and the soft sample's
    gradient (straight-through).

    >>> import kittygrad as kitty
    >>> y = kitty.nn.functional.gumbel_softmax(kitty.zeros(2, 3), hard=True)
    >>> y.sum(-1)
    tensor([1., 1.])
    """
    gumbels = -C.empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    y_hard = C.zeros_like(logits).scatter_(dim, y_soft.argmax(dim, keepdim=True), 1.0)
    return y_hard - y_soft.detach() + y_soft


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, feature: bool) -> Tensor:
    if p < 0 or p > 1:
        raise KittyValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        return _dropout_zeros(input, inplace)
    _check_dropout_input(input, input.ndim if feature else None, alpha=True)
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)
    keep = C.empty(shape, dtype=input.dtype).bernoulli_(1 - p)
    a = 1.0 / ((_SELU_SATURATION**2 * p + 1) * (1 - p)) ** 0.5
    shift = (keep - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
    if inplace:
        return input.mul_(keep * a).add_(shift)
    return input * (keep * a) + shift


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's self-normalising mean and variance: dropped elements take SELU's
    saturation value, then everything is scaled and shifted (training only).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.alpha_dropout(kitty.ones(3), 0.5)
    tensor([1., 1., 1.])
    """
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """``alpha_dropout`` of whole channels (dim 1) at once.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.feature_alpha_dropout(kitty.ones(1, 2, 2), 0.5).shape
    kittygrad.Size([1, 2, 2])
    """
    return _alpha_dropout(input, p, training, inplace, True)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """Normalise each element by the squares of its ``size`` neighbouring channels:
    ``x / (k + alpha * mean(x_c^2 over the window)) ** beta``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.local_response_norm(kitty.ones(1, 3, 2), 2).shape
    kittygrad.Size([1, 3, 2])
    """
    if input.ndim < 3:
        # (torch's message has this run of spaces)
        raise KittyValueError(f"Expected 3D or higher dimensionality{' ' * 26}input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    channels = input.shape[1]
    squares = (input * input).reshape(input.shape[0], 1, channels, -1)
    squares = pad(squares, (0, 0, size // 2, (size - 1) // 2))
    window = squares[:, :, 0:channels]
    for shift in range(1, size):
        window = window + squares[:, :, shift : shift + channels]
    div = (window / size).reshape(input.shape)
    return input / (div * alpha + k) ** beta


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.elu_(kitty.tensor([0., 1.]))
    tensor([0., 1.])
    """
    return elu(input, alpha, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.celu_(kitty.tensor([0., 1.]))
    tensor([0., 1.])
    """
    return celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.selu_(kitty.tensor([0.]))
    tensor([0.])
    """
    return selu(input, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.leaky_relu_(kitty.tensor([-1., 1.]), 0.5)
    tensor([-0.5000,  1.0000])
    """
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.hardtanh_(kitty.tensor([-3., 0.5, 2.]))
    tensor([-1.0000,  0.5000,  1.0000])
    """
    return hardtanh(input, min_val, max_val, inplace=True)
