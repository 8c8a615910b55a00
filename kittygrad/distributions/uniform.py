"""The continuous uniform distribution on [low, high)."""
from __future__ import annotations

import math

from ..creation import rand
from ..size import Size
from . import constraints
from ._location_scale import _adopt, _expanded
from .distribution import Distribution

__all__ = ["Uniform"]


class Uniform(Distribution):
    """Uniform samples on the half-open interval [low, high).

    >>> import kittygrad as kitty
    >>> kitty.distributions.Uniform(0., 4.).entropy()
    tensor(1.3863)
    """

    has_rsample = True

    def __init__(self, low, high, validate_args: bool | None = None) -> None:
        super().__init__(_adopt(self, low=low, high=high), validate_args=validate_args)

    def _width(self):
        return self.high - self.low

    @property
    def arg_constraints(self) -> dict:
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    def expand(self, batch_shape, _instance=None):
        return _expanded(self, Uniform, batch_shape, _instance, ("low", "high"))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2  # (torch's grad_fn=<DivBackward0>)

    @property
    def mode(self):
        return math.nan * self.high

    @property
    def stddev(self):
        return self._width() / math.sqrt(12)

    @property
    def variance(self):
        return self._width().pow(2) / 12

    def rsample(self, sample_shape=Size()):
        u = rand(tuple(self._extended_shape(sample_shape)), dtype=self.low.dtype)
        return self.low + u * self._width()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        inside = (self.low <= value).to(self.low.dtype) * (self.high > value).to(self.low.dtype)
        return inside.log() - (self.high - self.low).log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return (self.high - self.low).log()
