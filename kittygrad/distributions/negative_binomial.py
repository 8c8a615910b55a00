"""The negative binomial distribution: successes before ``total_count`` failures."""
from __future__ import annotations

from ..nn import functional as F
from ..ops.comparison import where
from ..ops.random_ops import poisson
from ..size import Size
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from ._probs_logits import BINARY_ARGS, ProbsOrLogits
from .utils import _values_only, lazy_property

__all__ = ["NegativeBinomial"]


class NegativeBinomial(ProbsOrLogits, Distribution):
    """Successes in Bernoulli(``probs``) trials before ``total_count`` failures.

    >>> import kittygrad as kitty
    >>> kitty.distributions.NegativeBinomial(3., probs=kitty.tensor(0.5)).mean
    tensor(3.)
    """

    arg_constraints = {
        "total_count": constraints.greater_than_eq(0),
        "probs": constraints.half_open_interval(0.0, 1.0),
        "logits": BINARY_ARGS["logits"],
    }
    support = constraints.nonnegative_integer

    _broadcast_with = ("total_count",)

    def __init__(self, total_count, probs=None, logits=None, validate_args: bool | None = None) -> None:
        super().__init__(self._store_param(probs, logits, total_count), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(NegativeBinomial, batch_shape, _instance)

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        odds = self.logits.exp()
        return ((self.total_count - 1) * odds).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()

    @lazy_property
    def _gamma(self):
        # the Poisson rate of a negative binomial is Gamma(total_count, (1 - p) / p)
        return Gamma(concentration=self.total_count, rate=(-self.logits).exp(), validate_args=False)

    def sample(self, sample_shape=Size()):
        with _values_only():
            return poisson(self._gamma.sample(sample_shape=sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n = self.total_count
        log_unnormalized = n * F.logsigmoid(-self.logits) + value * F.logsigmoid(self.logits)
        log_normalization = -(n + value).lgamma() + (1.0 + value).lgamma() + n.lgamma()
        log_normalization = where(n + value == 0.0, 0.0, log_normalization)  # the point mass at 0
        return log_unnormalized - log_normalization
