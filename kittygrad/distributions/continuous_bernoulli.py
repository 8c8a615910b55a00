"""The continuous Bernoulli distribution on [0, 1] (Loaiza-Ganem & Cunningham, 2019).

Its density is C(lambda) lambda^x (1 - lambda)^(1 - x) with the normaliser
C(lambda) = 2 artanh(1 - 2 lambda) / (1 - 2 lambda) = (log(1 - lambda) - log(lambda)) / (1 - 2 lambda).
At lambda = 1/2 that ratio is 0/0 (C = 2, the uniform density), so inside the band ``lims`` around 1/2
the normaliser and the moments come from their Taylor series in d = lambda - 1/2 instead:

* log C = log 2 + 4/3 d^2 + 104/45 d^4,
* mean = 1/2 + d/3 + 16/45 d^3,
* variance = 1/12 - d^2/15,

each derived from the log-normaliser A(eta) = log((e^eta - 1) / eta) of the natural parameter
eta = logit(lambda), whose expansion is eta/2 + eta^2/24 - eta^4/2880.
"""

from __future__ import annotations

import math

from ..creation import rand
from ..nn import functional as F
from ..ops.comparison import where
from ..size import Size
from ._probs_logits import BINARY_ARGS, ProbsOrLogits
from .exp_family import ExponentialFamily
from .utils import _finfo, broadcast_all, clamp_probs, lazy_property, logits_to_probs

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ProbsOrLogits, ExponentialFamily):
    """The continuous Bernoulli distribution, by ``probs`` (lambda) or ``logits``; ``lims`` is the
    band around 1/2 where Taylor series replace the exact (0/0) formulas.

    >>> import kittygrad as kitty
    >>> kitty.distributions.ContinuousBernoulli(probs=kitty.tensor(0.5)).log_prob(kitty.tensor(0.2))
    tensor(0.)
    """

    arg_constraints = dict(BINARY_ARGS)
    support = BINARY_ARGS["probs"]  # [0, 1], where lambda itself lives
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(
        self, probs=None, logits=None, lims: tuple[float, float] = (0.499, 0.501), validate_args: bool | None = None
    ) -> None:
        batch_shape = self._store_param(probs, logits)
        if "probs" in self.__dict__:
            # kept off 0 and 1, where log(lambda) or log(1 - lambda) would be infinite
            self.probs = self._param = clamp_probs(self.probs)
        self._lims = lims
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(ContinuousBernoulli, batch_shape, _instance, _lims=self._lims)

    @lazy_property
    def probs(self):
        """lambda, from the logits: clamped as given probs are, since a large logit rounds the sigmoid
        to exactly 0 or 1 and the normaliser's log(1 - lambda) would be infinite (NaN entropy)."""
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    # ---- the two regimes

    def _near_half(self):
        """Where lambda lies inside ``lims`` (the Taylor regime)."""
        lam = self.probs
        return (lam > self._lims[0]) & (lam < self._lims[1])

    def _exact_lambda(self, near):
        """lambda, moved out of the band where ``near``: the exact formulas are evaluated there too
        (and discarded), and must stay finite so that their gradient is not NaN."""
        return where(near, self._lims[0], self.probs)

    def _log_constant(self):
        """log C(lambda), the log of the density's normaliser."""
        near = self._near_half()
        lam = self._exact_lambda(near)
        exact = ((-lam).log1p() - lam.log()).abs().log() - (1 - 2 * lam).abs().log()
        d2 = (self.probs - 0.5).pow(2)
        series = math.log(2.0) + d2 * (4.0 / 3.0 + d2 * (104.0 / 45.0))
        return where(near, series, exact)

    @property
    def mean(self):
        near = self._near_half()
        lam = self._exact_lambda(near)
        exact = lam / (2 * lam - 1) + ((-lam).log1p() - lam.log()).reciprocal()
        d = self.probs - 0.5
        series = 0.5 + d * (1.0 / 3.0 + d.pow(2) * (16.0 / 45.0))
        return where(near, series, exact)

    @property
    def variance(self):
        near = self._near_half()
        lam = self._exact_lambda(near)
        exact = lam * (lam - 1) / (1 - 2 * lam).pow(2) + ((-lam).log1p() - lam.log()).pow(-2)
        series = 1.0 / 12.0 - (self.probs - 0.5).pow(2) / 15.0
        return where(near, series, exact)

    # ---- density, cdf and sampling

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, logits = broadcast_all(value, self.logits)
        # x log(lambda) + (1 - x) log(1 - lambda) is minus the binary cross-entropy of the logits
        bernoulli_part = -F.binary_cross_entropy_with_logits(logits, value, reduction="none")
        return bernoulli_part + self._log_constant()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        near = self._near_half()
        lam = self._exact_lambda(near)
        # the integral of the density from 0: (lambda^x (1 - lambda)^(1 - x) - (1 - lambda)) / (2 lambda - 1)
        power = (value * lam.log() + (1 - value) * (-lam).log1p()).exp()
        exact = (power + lam - 1) / (2 * lam - 1)
        inside = where(near, value, exact)
        return where(value <= 0, 0.0, where(value >= 1, 1.0, inside))

    def icdf(self, value):
        near = self._near_half()
        lam = self._exact_lambda(near)
        # cdf = (1 - lambda)(e^(eta x) - 1) / (2 lambda - 1) solved for x, eta = logit(lambda)
        exact = (value * (2 * lam - 1) / (1 - lam)).log1p() / (lam.log() - (-lam).log1p())
        return where(near, value, exact)

    def rsample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        info = _finfo(self.probs.dtype)
        u = rand(shape, dtype=self.probs.dtype).clamp(min=float(info.tiny), max=1 - float(info.eps))
        return self.icdf(u)

    def entropy(self):
        mean = self.mean
        log_lam, log_rest = self.probs.log(), (-self.probs).log1p()
        # summed as torch does, so the uniform case (lambda = 1/2) gives +0., not the -0. of negating a sum
        return mean * (log_rest - log_lam) - self._log_constant() - log_rest

    # ---- exponential-family view: theta = logit(lambda), A(theta) = log((e^theta - 1) / theta)

    @property
    def _natural_params(self) -> tuple:
        return (self.logits,)

    def _log_normalizer(self, x):
        lo, hi = (math.log(p / (1 - p)) for p in self._lims)
        near = (x > lo) & (x < hi)
        safe = where(near, lo, x)
        exact = (safe.expm1() / safe).abs().log()
        x2 = x.pow(2)
        series = x / 2 + x2 * (1.0 / 24.0 - x2 / 2880.0)
        return where(near, series, exact)
