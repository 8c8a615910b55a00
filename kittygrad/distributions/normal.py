"""The normal distribution N(loc, scale^2)."""
from __future__ import annotations

import math

from ..autograd import no_grad
from ..ops.random_ops import normal as _normal
from ..size import Size
from ._location_scale import LocationScale
from .exp_family import ExponentialFamily
from .utils import _standard_normal

__all__ = ["Normal"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class Normal(LocationScale, ExponentialFamily):
    """The normal (Gaussian) distribution with mean ``loc`` and standard deviation ``scale``.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Normal(0., 1.).log_prob(kitty.tensor(0.))
    tensor(-0.9189)
    """

    _mean_carrier_measure = 0
    _standard_entropy = 0.5 + _HALF_LOG_2PI

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def sample(self, sample_shape=Size()):
        target = self._extended_shape(sample_shape)
        with no_grad():
            return _normal(self.loc.expand(target), self.scale.expand(target))

    @staticmethod
    def _standard_rsample(shape, dtype):
        return _standard_normal(shape, dtype=dtype)

    @staticmethod
    def _standard_log_density(z):
        return -0.5 * z.pow(2) - _HALF_LOG_2PI

    @staticmethod
    def _standard_cdf(z):
        return 0.5 * (1 + (z / math.sqrt(2)).erf())

    @staticmethod
    def _standard_icdf(p):
        return math.sqrt(2) * (2 * p - 1).erfinv()

    @property
    def _natural_params(self) -> tuple:
        precision = self.scale.pow(-2)
        return self.loc * precision, -0.5 * precision

    def _log_normalizer(self, x, y):
        # x = mu / sigma^2, y = -1 / (2 sigma^2): A = mu^2 / (2 sigma^2) + log(sigma sqrt(2 pi)) - log sqrt(2 pi)
        return 0.5 * (math.pi / -y).log() - x.pow(2) / (4 * y)
