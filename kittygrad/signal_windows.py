"""Window functions for signal processing (``hann_window``, ``hamming_window``, ``blackman_window``,
``bartlett_window``, ``kaiser_window``): 1-D float tensors, periodic by default as torch's (the
symmetric window of ``window_length + 1`` points without its last one)."""
from __future__ import annotations

import math

from . import backend as B
from . import dtypes as D
from .device import check_device
from .errors import KittyRuntimeError
from .ops._prep import dtype_name
from .tensor import Tensor


_CPP = {"Long": "long int", "Int": "int", "Short": "short int", "Char": "signed char", "Byte": "unsigned char",
        "Bool": "bool"}


def _window(name, window_length, periodic, dtype, device, requires_grad, values):
    check_device(device, name)
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if not dt.is_floating_point:
        probe = Tensor._wrap(B.xp.zeros(0, dtype=dt.np))
        raise KittyRuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype={_CPP[dtype_name(probe)]}, "
                                "device=cpu, layout=Strided (default), requires_grad=false (default), "
                                "pinned_memory=false, memory_format=(nullopt))")
    if window_length < 0:
        raise KittyRuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    if window_length <= 1:
        arr = B.xp.ones(window_length, dtype=dt.np)
    else:
        n = window_length if periodic else window_length - 1  # the denominator
        # In the window's own dtype and in torch's order of terms: the ends then come out as torch's (an exact
        # 0 for hann's and blackman's symmetric ends, where sin(pi)**2 or 0.42 - 0.5 + 0.08 leave ~1e-17 that
        # print as 1.4998e-32 in the repr), and float32 windows round as torch's
        arr = B.xp.asarray(values(B.xp.arange(window_length, dtype=dt.np), n), dtype=dt.np)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _raised_cosine(k, n, alpha, beta):
    """hann's and hamming's ``alpha - beta cos(2 pi k / n)``, the cosine scaled first as torch's."""
    return B.xp.cos(k * (2 * math.pi / n)) * -beta + alpha


def _blackman(k, n):
    """``0.08 cos(4x) - 0.5 cos(2x) + 0.42`` with ``x = pi k / n``, summed in that order as torch's."""
    x = k * (math.pi / n)
    return B.xp.cos(x * 4) * 0.08 - B.xp.cos(x * 2) * 0.5 + 0.42


def _triangle(k, n):
    """``2k / n`` rising to the middle, ``2 - 2k / n`` after it (torch's two halves, which round as its)."""
    w = k * (2 / n)
    rise = (k.shape[0] - 1) // 2 + 1
    w[rise:] = 2 - w[rise:]
    return w


def _kaiser(k, n, beta):
    """Kaiser's window in float64 (``k`` is): NumPy's float32 ``i0`` is off by an ulp even at 0, where torch's
    window is exactly 1."""
    return B.xp.i0(beta * B.xp.sqrt(B.xp.clip(1 - (2 * k / n - 1) ** 2, 0, None))) / B.xp.i0(beta)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """``alpha - beta * cos(2 pi n / N)``.

    >>> import kittygrad as kitty
    >>> kitty.hamming_window(4)
    tensor([0.0800, 0.5400, 1.0000, 0.5400])
    """
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: _raised_cosine(k, n, alpha, beta))


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                requires_grad: bool = False) -> Tensor:
    """``0.5 - 0.5 * cos(2 pi n / N)`` (``sin(pi n / N) ** 2``).

    >>> import kittygrad as kitty
    >>> kitty.hann_window(4)
    tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: _raised_cosine(k, n, 0.5, 0.5))


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """``0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)``.

    >>> import kittygrad as kitty
    >>> kitty.blackman_window(3, periodic=False)[1]
    tensor(1.)
    """
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   _blackman)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """The triangular window ``1 - |2n / N - 1|``.

    >>> import kittygrad as kitty
    >>> kitty.bartlett_window(4)
    tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   _triangle)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None, layout=None,
                  device=None, requires_grad: bool = False) -> Tensor:
    """``I0(beta * sqrt(1 - (2n / N - 1)**2)) / I0(beta)``.

    >>> import kittygrad as kitty
    >>> kitty.kaiser_window(3, False, 0.0)
    tensor([1., 1., 1.])
    """
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: _kaiser(k.astype(B.xp.float64), n, beta))
