"""The Laplace (double exponential) distribution."""
from __future__ import annotations

import math

from ..creation import rand
from ._location_scale import LocationScale
from .utils import _finfo

__all__ = ["Laplace"]


class Laplace(LocationScale):
    """Density exp(-|x - loc| / scale) / (2 scale).

    >>> import kittygrad as kitty
    >>> kitty.distributions.Laplace(0., 1.).log_prob(kitty.tensor(0.))
    tensor(-0.6931)
    """

    _standard_entropy = 1 + math.log(2)
    _subtracts = True

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return math.sqrt(2) * self.scale

    @staticmethod
    def _standard_rsample(shape, dtype):
        # u uniform on (eps - 1, 1): keeps log1p(-|u|) finite at both ends
        eps = float(_finfo(dtype).eps)
        u = (2 - eps) * rand(tuple(shape), dtype=dtype) - (1 - eps)
        return -u.sign() * (-u.abs()).log1p()

    @staticmethod
    def _standard_log_density(z):
        return -z.abs() - math.log(2)

    @staticmethod
    def _standard_cdf(z):
        # 1/2 e^z below 0, 1 - 1/2 e^-z above, written with expm1 for accuracy near 0
        return 0.5 - 0.5 * z.sign() * (-z.abs()).expm1()

    @staticmethod
    def _standard_icdf(p):
        centred = p - 0.5
        return -centred.sign() * (-2 * centred.abs()).log1p()
