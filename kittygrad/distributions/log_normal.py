"""The log-normal distribution: exp of a normal."""
from __future__ import annotations

from . import constraints
from ._location_scale import LOC_SCALE_CONSTRAINTS, _expanded_transformed
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform

__all__ = ["LogNormal"]


class LogNormal(TransformedDistribution):
    """exp(X) for X ~ Normal(loc, scale).

    >>> import kittygrad as kitty
    >>> kitty.distributions.LogNormal(0., 1.).log_prob(kitty.tensor(1.))
    tensor(-0.9189)
    """

    arg_constraints = LOC_SCALE_CONSTRAINTS
    support = constraints.positive  # the image of exp
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        super().__init__(Normal(loc, scale, validate_args=validate_args), ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded_transformed(self, LogNormal, batch_shape, _instance)

    @property
    def loc(self):
        return self.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return (self.loc + 0.5 * self.scale.pow(2)).exp()

    @property
    def mode(self):
        return (self.loc - self.scale.pow(2)).exp()

    @property
    def variance(self):
        s2 = self.scale.pow(2)
        return s2.expm1() * (2 * self.loc + s2).exp()

    def entropy(self):
        return self.loc + self.base_dist.entropy()  # H(exp X) = H(X) + E[X]
