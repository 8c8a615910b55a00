"""The half-normal and half-Cauchy distributions: |X| for a centred Normal or Cauchy X."""
from __future__ import annotations

import math

from ..creation import full, zeros_like
from ..ops.comparison import where
from . import constraints
from .cauchy import Cauchy
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform

__all__ = ["HalfCauchy", "HalfNormal"]

_LOG_2 = math.log(2)


class _Half(TransformedDistribution):
    """|X| for a base distribution symmetric about 0: the density doubles on x >= 0."""

    arg_constraints = dict(scale=constraints.positive)
    support = constraints.nonnegative  # |X| can be exactly 0
    has_rsample = True

    def expand(self, batch_shape, _instance=None):
        copy = self._fresh_instance(type(self), _instance)  # the concrete HalfNormal / HalfCauchy
        return TransformedDistribution.expand(self, batch_shape, _instance=copy)

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mode(self):
        return zeros_like(self.scale)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        folded = _LOG_2 + self.base_dist.log_prob(value)  # x and -x both land on |x|
        return where(value >= 0, folded, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.base_dist.cdf(value) * 2 - 1

    def icdf(self, prob):
        return self.base_dist.icdf(0.5 * (1 + prob))

    def entropy(self):
        return self.base_dist.entropy() - _LOG_2


class HalfNormal(_Half):
    """|X| for X ~ Normal(0, scale).

    >>> import kittygrad as kitty
    >>> kitty.distributions.HalfNormal(1.).log_prob(kitty.tensor(0.))
    tensor(-0.2258)
    """

    def __init__(self, scale, validate_args: bool | None = None) -> None:
        super().__init__(Normal(0, scale, validate_args=False), AbsTransform(), validate_args=validate_args)

    @property
    def mean(self):
        return math.sqrt(2 / math.pi) * self.scale

    @property
    def variance(self):
        return (1 - 2 / math.pi) * self.scale.pow(2)


class HalfCauchy(_Half):
    """|X| for X ~ Cauchy(0, scale).

    >>> import kittygrad as kitty
    >>> kitty.distributions.HalfCauchy(1.).cdf(kitty.tensor(1.))
    tensor(0.5000)
    """

    def __init__(self, scale, validate_args: bool | None = None) -> None:
        super().__init__(Cauchy(0, scale, validate_args=False), AbsTransform(), validate_args=validate_args)

    @property
    def mean(self):
        return full(tuple(self._extended_shape()), math.inf, dtype=self.scale.dtype)

    @property
    def variance(self):
        return self.mean
