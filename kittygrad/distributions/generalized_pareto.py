"""The generalized Pareto distribution: the limit law of exceedances over a high threshold."""

from __future__ import annotations

import math

from ..creation import full_like, rand
from ..ops.comparison import where
from ..size import Size
from . import constraints
from ._location_scale import _adopt, _expanded
from .distribution import Distribution
from .utils import _finfo

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """GPD(mu, sigma, xi): survival function (1 + xi z)^(-1/xi) of z = (x - mu) / sigma, and exp(-z)
    at xi = 0; the support is [mu, inf) for xi >= 0 and [mu, mu - sigma / xi] for xi < 0.

    >>> import kittygrad as kitty
    >>> kitty.distributions.GeneralizedPareto(0., 1., 0.5).mean
    tensor(2.)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args: bool | None = None) -> None:
        batch_shape = _adopt(self, loc=loc, scale=scale, concentration=concentration)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded(self, GeneralizedPareto, batch_shape, _instance, ("loc", "scale", "concentration"))

    def _flat_and_safe_xi(self):
        """(xi == 0, xi with its zeros replaced by 1): the formulas divide by xi, and the exponential
        limit is taken where it is 0; the replacement keeps NaN out of the unused branch's gradient."""
        xi = self.concentration
        flat = xi == 0
        return flat, where(flat, 1.0, xi)

    def _log_survival(self, z):
        """log P(X > x) at the standardised z: -log1p(xi z) / xi, or -z when xi = 0."""
        flat, xi = self._flat_and_safe_xi()
        return where(flat, -z, -(xi * z).log1p() / xi)

    def _standardised(self, value):
        return (value - self.loc) / self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._standardised(value)
        flat, xi = self._flat_and_safe_xi()
        # the density is sigma^-1 (1 + xi z)^(-1/xi - 1): the survival function times (1 + xi z)^-1 / sigma
        tail = where(flat, -z, -(1 + xi.reciprocal()) * (xi * z).log1p())
        return tail - self.scale.log()

    def log_survival_function(self, value):
        """log(1 - cdf(value)).

        >>> import kittygrad as kitty
        >>> kitty.distributions.GeneralizedPareto(0., 1., 0.).log_survival_function(kitty.tensor(2.))
        tensor(-2.)
        """
        if self._validate_args:
            self._validate_sample(value)
        return self._log_survival(self._standardised(value))

    def log_cdf(self, value):
        """log(cdf(value)), as log(1 - survival) without cancellation.

        >>> import kittygrad as kitty
        >>> kitty.distributions.GeneralizedPareto(0., 1., 0.).log_cdf(kitty.tensor(0.6931471805599453))
        tensor(-0.6931)
        """
        if self._validate_args:
            self._validate_sample(value)
        return (-self._log_survival(self._standardised(value)).expm1()).log()

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        # solve 1 - p = survival(z): z = ((1 - p)^(-xi) - 1) / xi, or -log(1 - p) when xi = 0
        flat, xi = self._flat_and_safe_xi()
        log_tail = (-value).log1p()
        z = where(flat, -log_tail, (-xi * log_tail).expm1() / xi)
        return self.loc + self.scale * z

    def rsample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        # a level in (0, 1): 0 would give the lower end exactly, 1 an infinite (or end-point) draw
        tiny = float(_finfo(self.loc.dtype).tiny)
        u = rand(shape, dtype=self.loc.dtype).clamp(min=tiny, max=1 - float(_finfo(self.loc.dtype).eps))
        return self.icdf(u)

    @property
    def mean(self):
        xi = self.concentration
        finite = xi < 1  # the mean exists only for xi < 1 (NaN otherwise, as torch)
        return where(finite, self.loc + self.scale / (1 - where(finite, xi, 0.0)), math.nan)

    @property
    def variance(self):
        xi = self.concentration
        finite = xi < 0.5  # the variance exists only for xi < 1/2
        safe = where(finite, xi, 0.0)
        return where(finite, self.scale.pow(2) / ((1 - safe).pow(2) * (1 - 2 * safe)), math.nan)

    @property
    def mode(self):
        return self.loc  # the density is largest at the lower end (for xi < -1 it rises again at the upper end)

    def entropy(self):
        return self.scale.log() + self.concentration + 1

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        xi = self.concentration
        upper = where(xi < 0, self.loc - self.scale / where(xi < 0, xi, -1.0), full_like(self.loc, math.inf))
        return constraints.interval(self.loc, upper)
