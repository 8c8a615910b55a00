"""The Gumbel (type-I extreme value) distribution."""
from __future__ import annotations

import math
from numbers import Number

from ..creation import full_like, ones_like
from . import constraints
from ._location_scale import LOC_SCALE_CONSTRAINTS, _adopt, _expanded_transformed
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform
from .uniform import Uniform
from .utils import _finfo, euler_constant

__all__ = ["Gumbel"]


class Gumbel(TransformedDistribution):
    """loc - scale * log(-log U) for U uniform on (0, 1).

    >>> import kittygrad as kitty
    >>> kitty.distributions.Gumbel(0., 1.).log_prob(kitty.tensor(0.))
    tensor(-1.)
    """

    arg_constraints = LOC_SCALE_CONSTRAINTS
    support = constraints.real

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        _adopt(self, loc=loc, scale=scale)
        info = _finfo(self.loc.dtype)
        # U in [tiny, 1 - eps] keeps both logarithms finite
        low, high = float(info.tiny), 1 - float(info.eps)
        if not (isinstance(loc, Number) and isinstance(scale, Number)):
            low, high = full_like(self.loc, low), full_like(self.loc, high)
        base = Uniform(low, high, validate_args=validate_args)
        transforms = [ExpTransform().inv, AffineTransform(loc=0, scale=-ones_like(self.scale)), ExpTransform().inv,
                      AffineTransform(loc=loc, scale=-self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded_transformed(self, Gumbel, batch_shape, _instance, ("loc", "scale"))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -(z + (-z).exp()) - self.scale.log()

    @property
    def mean(self):
        return self.loc + euler_constant * self.scale

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale * (math.pi / math.sqrt(6))

    @property
    def variance(self):
        return self.stddev.pow(2)

    def entropy(self):
        return (1 + euler_constant) + self.scale.log()
