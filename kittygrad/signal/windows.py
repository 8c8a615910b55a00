"""``torch.signal.windows``: window functions by SciPy's names and keyword-only options, symmetric
by default (``sym=False`` gives the periodic window for spectral analysis: the symmetric window of
``M + 1`` points without its last).

>>> import kittygrad as kitty
>>> kitty.signal.windows.hann(5)
tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
"""
from __future__ import annotations

import math
from typing import Sequence

from .. import backend as B
from .. import dtypes as D
from ..errors import KittyValueError
from ..signal_windows import _window
from ..tensor import Tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall"]


def _make(name, M, sym, dtype, device, requires_grad, values) -> Tensor:
    if M < 0:
        raise KittyValueError(f"{name} requires non-negative window length, got M={M}")
    if dtype is not None and D.to_dtype(dtype) not in (D.float32, D.float64):
        raise KittyValueError(f"{name} expects float32 or float64 dtypes, got: {D.to_dtype(dtype)}")
    # these windows are computed in float64 and rounded once (_window hands over positions in the window's dtype)
    return _window(name, M, not sym, dtype, device, requires_grad, lambda x, n: values(x.astype(B.xp.float64), n))


def general_cosine(M: int, *, a: Sequence[float], sym: bool = True, dtype=None, layout=None, device=None,
                   requires_grad: bool = False) -> Tensor:
    """The sum of cosines ``sum_k (-1)^k a[k] cos(2 pi k n / (M - 1))`` (``M`` for ``sym=False``).

    >>> import kittygrad as kitty
    >>> kitty.signal.windows.general_cosine(4, a=[0.5, 0.5])
    tensor([0.0000, 0.7500, 0.7500, 0.0000])
    """
    if not isinstance(a, (list, tuple)) or not a:
        raise KittyValueError(f"Coefficients cannot be empty (a list or tuple of floats), got {a!r}")

    def values(x, n):
        return sum((-1) ** k * c * B.xp.cos(2 * math.pi * k * x / n) for k, c in enumerate(a))

    return _make("general_cosine", M, sym, dtype, device, requires_grad, values)


def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True, dtype=None, layout=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """The cosine window with coefficients ``[alpha, 1 - alpha]``.

    >>> import kittygrad as kitty
    >>> kitty.signal.windows.general_hamming(3, alpha=0.5)
    tensor([0., 1., 0.])
    """
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, device=device, requires_grad=requires_grad)


def hann(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The Hann window, ``0.5 - 0.5 cos(2 pi n / (M - 1))``.

    >>> import kittygrad as kitty
    >>> kitty.signal.windows.hann(3)
    tensor([0., 1., 0.])
    """
    return general_cosine(M, a=[0.5, 0.5], sym=sym, dtype=dtype, device=device, requires_grad=requires_grad)


def hamming(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The Hamming window, ``0.54 - 0.46 cos(2 pi n / (M - 1))``.

    >>> import kittygrad as kitty
    >>> kitty.signal.windows.hamming(3)
    tensor([0.0800, 1.0000, 0.0800])
    """
    return general_hamming(M, alpha=0.54, sym=sym, dtype=dtype, device=device, requires_grad=requires_grad)


def blackman(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The Blackman window (cosine coefficients 0.42, 0.5, 0.08).

    >>> import kittygrad as kitty
    >>> kitty.signal.windows.blackman(5)[1:4]
    tensor([0.3400, 1.0000, 0.3400])
    """
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, device=device, requires_grad=requires_grad)


def nuttall(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """Nuttall's minimum 4-term Blackman-Harris window.

    >>> import kittygrad as kitty
    >>> kitty.signal.windows.nuttall(3)
    tensor([3.6280e-04, 1.0000e+00, 3.6280e-04])
    """
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype, device=device,
                          requires_grad=requires_grad)


def bartlett(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The triangular window that reaches zero at both ends, ``1 - |2 n / (M - 1) - 1|``.

    >>> import kittygrad as kitty
    >>> kitty.signal.windows.bartlett(5)
    tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    return _make("bartlett", M, sym, dtype, device, requires_grad, lambda x, n: 1 - B.xp.abs(2 * x / n - 1))


def cosine(M: int, *, sym: bool = True, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """The sine (cosine) window, ``sin(pi (n + 1/2) / M)``.

    >>> import kittygrad as kitty
    >>> kitty.signal.windows.cosine(2)
    tensor([0.7071, 0.7071])
    """
    return _make("cosine", M, sym, dtype, device, requires_grad, lambda x, n: B.xp.sin(math.pi * (x + 0.5) / (n + 1)))


def _positive(what: str, value: float) -> None:
    if value <= 0:
        raise KittyValueError(f"{what} must be positive, got: {value} instead.")


def exponential(M: int, *, center: float | None = None, tau: float = 1.0, sym: bool = True, dtype=None, layout=None,
                device=None, requires_grad: bool = False) -> Tensor:
    """``exp(-|n - center| / tau)``, centred in the window unless ``center`` is given (periodic windows only).

    >>> import kittygrad as kitty
    >>> kitty.signal.windows.exponential(3, tau=1.0)
    tensor([0.3679, 1.0000, 0.3679])
    """
    _positive("Tau", tau)
    if sym and center is not None:
        raise KittyValueError("Center must be None for symmetric windows")

    def values(x, n):
        middle = n / 2 if center is None else center
        return B.xp.exp(-B.xp.abs(x - middle) / tau)

    return _make("exponential", M, sym, dtype, device, requires_grad, values)


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``exp(-((n - centre) / std)^2 / 2)``.

    >>> import kittygrad as kitty
    >>> kitty.signal.windows.gaussian(3)
    tensor([0.6065, 1.0000, 0.6065])
    """
    _positive("Standard deviation", std)
    return _make("gaussian", M, sym, dtype, device, requires_grad,
                 lambda x, n: B.xp.exp(-0.5 * ((x - n / 2) / std) ** 2))


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """The Kaiser window, ``I0(beta sqrt(1 - ((n - c) / c)^2)) / I0(beta)`` with ``c`` the centre.

    >>> import kittygrad as kitty
    >>> kitty.signal.windows.kaiser(3, beta=0.0)
    tensor([1., 1., 1.])
    """
    if beta < 0:
        raise KittyValueError(f"beta must be non-negative, got: {beta} instead.")

    def values(x, n):
        ratio = (x - n / 2) / (n / 2)
        return B.xp.i0(beta * B.xp.sqrt(B.xp.clip(1 - ratio * ratio, 0, None))) / B.xp.i0(beta)

    return _make("kaiser", M, sym, dtype, device, requires_grad, values)
