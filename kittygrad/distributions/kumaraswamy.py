"""The Kumaraswamy distribution on (0, 1)."""
from __future__ import annotations

import math

from ..creation import ones_like, zeros_like
from ..ops.comparison import where
from . import constraints
from ._location_scale import _adopt, _expanded_transformed
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform
from .utils import euler_constant

__all__ = ["Kumaraswamy"]


def _moment(a, b, n):
    """E[X^n] = b B(1 + n / a, b)."""
    return b * ((1 + n / a).lgamma() + b.lgamma() - (1 + b + n / a).lgamma()).exp()


class Kumaraswamy(TransformedDistribution):
    """Density a b x^(a-1) (1 - x^a)^(b-1), with a = ``concentration1``, b = ``concentration0``.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Kumaraswamy(1., 1.).mean
    tensor(0.5000)
    """

    arg_constraints = dict.fromkeys(("concentration1", "concentration0"), constraints.positive)
    support = constraints.unit_interval  # (1 - (1 - U)^(1/b))^(1/a) for U in (0, 1)
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None) -> None:
        _adopt(self, concentration1=concentration1, concentration0=concentration0)
        base = Uniform(zeros_like(self.concentration0), ones_like(self.concentration0), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()), AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded_transformed(self, Kumaraswamy, batch_shape, _instance, ("concentration1", "concentration0"))

    @property
    def mean(self):
        return _moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        log_mode = a.reciprocal() * ((a - 1).log() - (a * b - 1).log())
        return where((a < 1) | (b < 1), math.nan, log_mode.exp())

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        return _moment(a, b, 2) - _moment(a, b, 1).pow(2)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic_b = (b + 1).digamma() + euler_constant
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic_b - (a * b).log()
