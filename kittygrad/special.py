"""``kittygrad.special``: torch.special's real-valued functions, with their gradients.

The primitives live in ``ops/special.py`` (values from scipy.special through the backend); the
functions other op families already provide (``erf``, ``logit``, ``xlogy``, ``softmax``, ...) are
the same functions here, under torch.special's names.

>>> import kittygrad as kitty
>>> kitty.special.gammaln(kitty.tensor([4.]))
tensor([1.7918])
"""
from __future__ import annotations

from ._out import SPECIAL as _OUT_RULES
from ._out import install as _install_out
from .ops.activation import log_softmax, softmax
from .ops.activation import sigmoid as expit
from .ops.arithmetic import xlogy
from .ops.reduction import logsumexp
from .ops.special import (
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    digamma,
    entr,
    erfcx,
    hermite_polynomial_h,
    hermite_polynomial_he,
    i0,
    i0e,
    i1,
    i1e,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    log_ndtr,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    ndtr,
    ndtri,
    polygamma,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
    sinc,
    spherical_bessel_j0,
    xlog1py,
    zeta,
)
from .ops.special import Igamma, Igammac, _incomplete_gamma
from .ops.special import lgamma as gammaln
from .ops.special import mvlgamma as multigammaln
from .ops.unary import erf, erfc, erfinv, exp2, expm1, log1p, logit, round

psi = digamma


def gammainc(input, other):
    """The regularized lower incomplete gamma function P(input, other) (``kittygrad.igamma``);
    differentiable in ``other`` only, as torch.

    >>> import kittygrad as kitty
    >>> kitty.special.gammainc(kitty.tensor([1.]), kitty.tensor([2.]))  # 1 - exp(-2)
    tensor([0.8647])
    """
    return _incomplete_gamma(Igamma, input, other, "special_gammainc")


def gammaincc(input, other):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P (``kittygrad.igammac``).

    >>> import kittygrad as kitty
    >>> kitty.special.gammaincc(kitty.tensor([1.]), kitty.tensor([2.]))
    tensor([0.1353])
    """
    return _incomplete_gamma(Igammac, input, other, "special_gammaincc")

__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma", "entr", "erf",
    "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln",
    "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l",
    "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "modified_bessel_i0",
    "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "multigammaln", "ndtr", "ndtri",
    "polygamma", "psi", "round", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "sinc", "softmax", "spherical_bessel_j0", "xlog1py", "xlogy", "zeta",
]

_install_out(globals(), _OUT_RULES)  # out= where torch.special accepts it (kittygrad/_out.py)
