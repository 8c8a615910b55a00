"""The Weibull distribution."""
from __future__ import annotations

from ..creation import ones_like
from . import constraints
from ._location_scale import _adopt
from .exponential import Exponential
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .utils import euler_constant

__all__ = ["Weibull"]


class Weibull(TransformedDistribution):
    """scale * E^(1 / concentration) for E ~ Exponential(1).

    >>> import kittygrad as kitty
    >>> kitty.distributions.Weibull(1., 1.).mean
    tensor(1.)
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive  # scale * E^(1/k) with E > 0

    def __init__(self, scale, concentration, validate_args: bool | None = None) -> None:
        _adopt(self, scale=scale, concentration=concentration)
        base = Exponential(ones_like(self.scale), validate_args=validate_args)
        super().__init__(base, self._transforms(), validate_args=validate_args)

    def _transforms(self):
        # also sets the cached 1 / concentration that the moments use (a public attribute in torch)
        self.concentration_reciprocal = 1 / self.concentration
        return [PowerTransform(exponent=self.concentration_reciprocal), AffineTransform(loc=0, scale=self.scale)]

    def expand(self, batch_shape, _instance=None):
        copy = self._fresh_instance(Weibull, _instance)
        copy.scale, copy.concentration = (p.expand(batch_shape) for p in (self.scale, self.concentration))
        TransformedDistribution.__init__(copy, self.base_dist.expand(batch_shape), copy._transforms(),
                                         validate_args=False)
        copy._use_validation(self._validate_args)
        return copy

    @property
    def mean(self):
        return self.scale * (1 + self.concentration_reciprocal).lgamma().exp()

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self):
        r = self.concentration_reciprocal
        return self.scale.pow(2) * ((1 + 2 * r).lgamma().exp() - (2 * (1 + r).lgamma()).exp())

    def entropy(self):
        return euler_constant * (1 - self.concentration_reciprocal) + (self.scale * self.concentration_reciprocal).log() + 1
