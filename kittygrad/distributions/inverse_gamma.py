"""The inverse gamma distribution: 1 / X for X ~ Gamma."""
from __future__ import annotations

import math

from ..ops.comparison import where
from . import constraints
from ._location_scale import _expanded_transformed
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms import PowerTransform

__all__ = ["InverseGamma"]


class InverseGamma(TransformedDistribution):
    """1 / X for X ~ Gamma(concentration, rate).

    >>> import kittygrad as kitty
    >>> kitty.distributions.InverseGamma(3., 2.).mean
    tensor(1.)
    """

    arg_constraints = dict.fromkeys(("concentration", "rate"), constraints.positive)
    support = constraints.positive  # 1 / X for X > 0
    has_rsample = True

    def __init__(self, concentration, rate, validate_args: bool | None = None) -> None:
        base = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -base.rate.new_ones(())
        super().__init__(base, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded_transformed(self, InverseGamma, batch_shape, _instance)

    @property
    def _gamma(self):
        return self.base_dist  # X, of which this is 1 / X

    @property
    def concentration(self):
        return self._gamma.concentration

    @property
    def rate(self):
        return self._gamma.rate

    @property
    def mean(self):
        return where(self.concentration > 1, self.rate / (self.concentration - 1), math.inf)

    @property
    def mode(self):
        alpha, beta = self.concentration, self.rate
        return beta / (alpha + 1)

    @property
    def variance(self):
        c = self.concentration
        return where(c > 2, self.rate.pow(2) / ((c - 1).pow(2) * (c - 2)), math.inf)

    def entropy(self):
        c = self.concentration
        return c + self.rate.log() + c.lgamma() - (1 + c) * c.digamma()
