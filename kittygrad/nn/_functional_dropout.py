"""The dropouts of ``kittygrad.nn.functional`` (re-exported there): element-wise ``dropout`` and the
channel-wise ``dropout1d``/``2d``/``3d``, with the checks that torch's share with alpha dropout.

Masks come from kittygrad's generator in torch's order, so with the same seed they are torch's.
"""
from __future__ import annotations

import warnings

from .. import backend as B
from ..backend_random import default_generator
from .. import creation as C
from ..errors import KittyRuntimeError, KittyValueError
from ..ops._prep import dtype_name
from ..tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d"]


def _check_dropout_input(input: Tensor, feature_ndim: int | None = None, alpha: bool = False) -> None:
    """Refuse what torch's dropouts refuse once ``0 < p < 1`` in training: a feature dropout of
    fewer than 2 dims (``feature_ndim``, after any unbatched input's added batch dim), and an
    integer or bool input (the float mask's product cannot be cast back to it; ``p == 1`` zeroes
    in the input's dtype, and eval or ``p == 0`` pass it through). torch's alpha dropout names a
    bool input Long: its integer arithmetic on the mask has promoted it by then."""
    if feature_ndim is not None and feature_ndim < 2:
        raise KittyRuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if input._data.dtype.kind in "biu":
        name = "Long" if alpha and input._data.dtype.kind == "b" else dtype_name(input)
        raise KittyRuntimeError(f"result type Float can't be cast to the desired output type {name}")


def _dropout_zeros(input: Tensor, inplace: bool) -> Tensor:
    """``p == 1``: zeros in the input's own dtype (a bool or integer input stays one), NaN kept."""
    zero = C.zeros((), dtype=input.dtype)
    return input.mul_(zero) if inplace else input * zero


def _dropout_mask(shape, p: float, dtype, like=None):
    """The scaled keep-mask; ``like``, the input's tensor: its noise follows the input's memory
    layout, as torch's (a batch_first attention output is transposed in memory, say)."""
    if p == 1:
        return B.xp.zeros(shape, dtype)
    data = None if like is None else like._data
    layout = B.like_layout(data) if type(data) is B.ndarray else None  # (a vmapped input: C order)
    if layout is None:
        return default_generator.dropout_mask(p, shape, dtype)  # torch's draws and rounding
    return default_generator.dropout_mask(p, shape, dtype, like=layout)


def _check_p(p: float) -> None:
    if p < 0 or p > 1:
        raise KittyValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (training only).

    Randomness comes from ``kitty.manual_seed``'s generator.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.dropout(kitty.ones(3), 0.5, training=False)
    tensor([1., 1., 1.])
    """
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:  # (an empty input comes back as itself, as torch's)
        return input
    if p < 1:
        _check_dropout_input(input)
    mask = Tensor._wrap(_dropout_mask(input.shape, p, input._data.dtype, like=input))
    return input.mul_(mask) if inplace else input * mask


def _feature_mask(input, p, inplace, lead):
    """Apply one mask draw per leading ``lead`` indices (the channels, with the batch if any)."""
    if p < 1:
        _check_dropout_input(input, input.ndim + 2 - lead)
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    mask = Tensor._wrap(_dropout_mask(shape, p, input._data.dtype))
    return input.mul_(mask) if inplace else input * mask


def _feature_dropout(input, p, training, inplace, batched_ndim, name):
    _check_p(p)
    nd = input.ndim
    if nd not in (batched_ndim - 1, batched_ndim):  # checked in eval mode too, as torch
        spatial = batched_ndim - 2
        why = (f"Note that {name} exists to provide channel-wise dropout on inputs with {spatial} spatial "
               f"dimension{'s' if spatial > 1 else ''}, a channel dimension, and an optional batch dimension "
               f"(i.e. {batched_ndim - 1}D or {batched_ndim}D inputs).")
        if name == "dropout1d":
            raise KittyRuntimeError(f"{name}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but received a "
                                    f"{nd}D input. {why}")
        warnings.warn(f"{name}: Received a {nd}-D input to {name}, which is deprecated and will result in an error "
                      f"in a future release. To retain the behavior and silence this warning, please use dropout "
                      f"instead. {why}", stacklevel=3)
    if not training or p == 0 or input.numel() == 0:
        return input
    if batched_ndim == 5:  # dropout3d takes anything but a 5D input as unbatched: channels on dim 0
        lead = 2 if nd == 5 else 1
    else:  # dropout2d takes any other than 3D (above) or 4D as it is: (N, C, ...)
        lead = 1 if nd == batched_ndim - 1 else 2
    return _feature_mask(input, p, inplace, lead)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` with probability ``p``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.dropout1d(kitty.ones(1, 2, 3), training=False).shape
    kittygrad.Size([1, 2, 3])
    """
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)`` with probability ``p``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.dropout2d(kitty.ones(1, 2, 2, 2), training=False).shape
    kittygrad.Size([1, 2, 2, 2])
    """
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
        _check_p(p)
        if not training or p == 0 or input.numel() == 0:
            return input
        return _feature_mask(input, p, inplace, 2)
    return _feature_dropout(input, p, training, inplace, 4, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, D, H, W)`` with probability ``p``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.dropout3d(kitty.ones(1, 2, 1, 1, 1), training=False).shape
    kittygrad.Size([1, 2, 1, 1, 1])
    """
    return _feature_dropout(input, p, training, inplace, 5, "dropout3d")
