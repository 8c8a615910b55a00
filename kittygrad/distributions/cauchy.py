"""The Cauchy (Lorentz) distribution."""
from __future__ import annotations

import math

from ..creation import empty, full
from ._location_scale import LocationScale

__all__ = ["Cauchy"]


class Cauchy(LocationScale):
    """Density 1 / (pi scale (1 + ((x - loc) / scale)^2)); it has no mean or variance.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Cauchy(0., 1.).cdf(kitty.tensor(0.))
    tensor(0.5000)
    """

    _standard_entropy = math.log(4 * math.pi)

    def _filled(self, number):
        return full(tuple(self._extended_shape()), number, dtype=self.loc.dtype)

    @property
    def mean(self):
        return self._filled(math.nan)  # the integral does not converge

    @property
    def variance(self):
        return self._filled(math.inf)

    @staticmethod
    def _standard_rsample(shape, dtype):
        return empty(tuple(shape), dtype=dtype).cauchy_()

    @staticmethod
    def _standard_log_density(z):
        return -(z.pow(2).log1p() + math.log(math.pi))

    @staticmethod
    def _standard_cdf(z):
        return 0.5 + z.atan() / math.pi

    @staticmethod
    def _standard_icdf(p):
        return ((p - 0.5) * math.pi).tan()
