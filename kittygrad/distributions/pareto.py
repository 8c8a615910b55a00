"""The Pareto (type I) distribution."""
from __future__ import annotations

from . import constraints
from ._location_scale import _adopt, _expanded_transformed
from .exponential import Exponential
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform

__all__ = ["Pareto"]


class Pareto(TransformedDistribution):
    """scale * exp(E) for E ~ Exponential(alpha): density alpha scale^alpha / x^(alpha + 1) on x >= scale.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Pareto(1., 3.).mean
    tensor(1.5000)
    """

    arg_constraints = dict.fromkeys(("alpha", "scale"), constraints.positive)

    def __init__(self, scale, alpha, validate_args: bool | None = None) -> None:
        _adopt(self, scale=scale, alpha=alpha)
        base = Exponential(self.alpha, validate_args=validate_args)
        super().__init__(base, [ExpTransform(), AffineTransform(loc=0, scale=self.scale)], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded_transformed(self, Pareto, batch_shape, _instance, ("scale", "alpha"))

    @property
    def mean(self):
        a = self.alpha.clamp(min=1)  # infinite for alpha <= 1
        x_m = self.scale
        return a * x_m / (a - 1)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)  # infinite for alpha <= 2
        x_m = self.scale
        return x_m.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)  # x_m itself is in the support

    def entropy(self):
        a = self.alpha
        return (self.scale / a).log() + (1 + a.reciprocal())
