"""The von Mises distribution: the circular analogue of the normal distribution."""

from __future__ import annotations

import math

from ..autograd import no_grad
from ..creation import ones, rand, zeros
from ..dtypes import bool as bool_
from ..dtypes import float64
from ..ops.comparison import where
from ..ops.special import i0e, i1e
from ..size import Size
from . import constraints
from ._location_scale import _adopt, _expanded
from .distribution import Distribution

__all__ = ["VonMises"]

_LOG_2PI = math.log(2 * math.pi)


def _log_i0(kappa):
    """log I0(kappa), through the exponentially scaled i0e so that large kappa does not overflow."""
    return i0e(kappa).log() + kappa


def _wrapping_ratio(kappa):
    """The Best-Fisher proposal's r = (1 + rho^2) / (2 rho), with rho = (tau - sqrt(2 tau)) / (2 kappa)
    and tau = 1 + sqrt(1 + 4 kappa^2).

    rho is rewritten as 2 kappa tau / ((s + 1)(tau + sqrt(2 tau))), s = sqrt(1 + 4 kappa^2), which is
    the same number without the cancellation in tau - sqrt(2 tau) when kappa is small."""
    s = (1 + 4 * kappa.pow(2)).sqrt()
    tau = 1 + s
    rho = 2 * kappa * tau / ((s + 1) * (tau + (2 * tau).sqrt()))
    return (1 + rho.pow(2)) / (2 * rho)


def _best_fisher(loc, kappa):
    """One von Mises draw per element of ``kappa`` (float64 tensors of one shape), by the rejection
    sampler of Best and Fisher (1979): a wrapped Cauchy proposal accepted with the ratio of densities.
    Angles are returned in [-pi, pi)."""
    r = _wrapping_ratio(kappa)
    angle = zeros(tuple(kappa.shape), dtype=float64)
    pending = ones(tuple(kappa.shape), dtype=bool_)  # the elements still without an accepted draw
    while bool(pending.any()):
        u1, u2, u3 = (rand(tuple(kappa.shape), dtype=float64) for _ in range(3))
        z = (math.pi * u1).cos()
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        # the quick test c (2 - c) > u2 first, then the exact one log(c / u2) + 1 - c >= 0
        accept = (c * (2 - c) - u2 > 0) | ((c / u2).log() + 1 - c >= 0)
        theta = (u3 - 0.5).sign() * f.clamp(-1.0, 1.0).acos()
        # every accepted proposal is kept, an earlier one replaced too, as torch's sampler does:
        # each accepted draw is a sample, and keeping torch's gives its numbers after a seed
        angle = where(accept, theta, angle)
        pending = pending & ~accept
    # shift by the mean direction and wrap back onto [-pi, pi)
    return (angle + loc + math.pi).remainder(2 * math.pi) - math.pi


class VonMises(Distribution):
    """Density exp(kappa cos(x - loc)) / (2 pi I0(kappa)) on the circle, with ``loc`` the mean
    direction and ``concentration`` kappa > 0. Samples lie in [-pi, pi); ``log_prob`` is periodic.

    >>> import kittygrad as kitty
    >>> kitty.distributions.VonMises(0., 1.).variance
    tensor(0.5536)
    """

    arg_constraints = dict(loc=constraints.real, concentration=constraints.positive)
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args: bool | None = None) -> None:
        batch_shape = _adopt(self, loc=loc, concentration=concentration)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded(self, VonMises, batch_shape, _instance, ("loc", "concentration"))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        kappa = self.concentration
        return kappa * (value - self.loc).cos() - _LOG_2PI - _log_i0(kappa)

    def sample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            # drawn in float64: the proposal's constants lose digits in float32 for extreme kappa
            loc = self.loc.detach().to(float64).expand(shape)
            kappa = self.concentration.detach().to(float64).expand(shape)
            return _best_fisher(loc, kappa).to(self.loc.dtype)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        # the circular variance 1 - E[cos(x - loc)] = 1 - I1(kappa) / I0(kappa)
        kappa = self.concentration
        return 1 - i1e(kappa) / i0e(kappa)
