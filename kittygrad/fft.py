"""``torch.fft``: the discrete Fourier transforms and their helpers.

The transforms themselves return (or take) complex tensors, and kittygrad has no complex dtype,
so each is refused with a clear error naming NumPy's equivalent. The helpers are real-valued and
work as torch's: ``fftfreq``/``rfftfreq`` (the sample frequencies) and ``fftshift``/``ifftshift``
(moving the zero frequency to the centre and back, differentiable through ``roll``).

>>> import kittygrad as kitty
>>> kitty.fft.fftfreq(4)
tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
"""
from __future__ import annotations

import math

from . import creation as C
from . import dtypes as D
from ._refused import NO_COMPLEX, refused
from .errors import KittyRuntimeError
from .ops.joining import roll
from .tensor import Tensor

__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift"]


def _frequencies(values: list, n: int, d: float, dtype, requires_grad: bool) -> Tensor:
    if n < 0:
        raise KittyRuntimeError(f"fftfreq: expected a non-negative number of samples, got n={n}")
    out = C.tensor(values, dtype=dtype if dtype is not None else D.get_default_dtype())
    scale = 1.0 / (n * d) if n * d else math.inf  # rfftfreq(0) is [0 * inf] = [nan], as torch
    return (out * scale).requires_grad_(requires_grad)


def fftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The frequencies of an ``n``-point transform with sample spacing ``d``: ``[0, 1, ..., -2, -1] / (d n)``.

    >>> import kittygrad as kitty
    >>> kitty.fft.fftfreq(5, d=0.5)
    tensor([ 0.0000,  0.4000,  0.8000, -0.8000, -0.4000])
    """
    positive = list(range((n + 1) // 2))
    negative = list(range(-(n // 2), 0))
    return _frequencies(positive + negative, n, d, dtype, requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The non-negative frequencies of a real ``n``-point transform: ``[0, 1, ..., n // 2] / (d n)``.

    >>> import kittygrad as kitty
    >>> kitty.fft.rfftfreq(4)
    tensor([0.0000, 0.2500, 0.5000])
    """
    return _frequencies(list(range(n // 2 + 1)), n, d, dtype, requires_grad)


def _dims(input: Tensor, dim) -> tuple:
    if dim is None:
        return tuple(range(input.ndim))
    return (dim,) if isinstance(dim, int) else tuple(dim)


def fftshift(input: Tensor, dim=None) -> Tensor:
    """``input`` rolled so the zero frequency sits in the middle of each of ``dim`` (all by default).

    >>> import kittygrad as kitty
    >>> kitty.fft.fftshift(kitty.arange(5))
    tensor([3, 4, 0, 1, 2])
    """
    dims = _dims(input, dim)
    return roll(input, [input.shape[d] // 2 for d in dims], dims)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """The inverse of :func:`fftshift` (they differ for odd lengths).

    >>> import kittygrad as kitty
    >>> kitty.fft.ifftshift(kitty.fft.fftshift(kitty.arange(5)))
    tensor([0, 1, 2, 3, 4])
    """
    dims = _dims(input, dim)
    return roll(input, [-(input.shape[d] // 2) for d in dims], dims)


_TRANSFORMS = ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn",
               "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn")
for _name in _TRANSFORMS:
    globals()[_name] = refused(
        _name, f"{NO_COMPLEX}, and the Fourier transform is complex-valued; use numpy.fft.{_name} on tensor.numpy()")
del _name
