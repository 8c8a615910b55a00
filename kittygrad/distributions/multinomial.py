"""The multinomial distribution: category counts of ``total_count`` draws."""
from __future__ import annotations

import math

from ..errors import KittyNotImplementedError
from ..creation import tensor
from ..nn import functional as F
from ..ops.comparison import where
from ..size import Size
from . import constraints
from .binomial import Binomial
from .categorical import OnCategorical
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Multinomial"]


class Multinomial(OnCategorical, Distribution):
    """Counts of each of K categories in ``total_count`` independent categorical draws.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Multinomial(4, kitty.tensor([1., 1.])).log_prob(kitty.tensor([2., 2.]))
    tensor(-0.9808)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}

    def __init__(self, total_count: int = 1, probs=None, logits=None, validate_args: bool | None = None) -> None:
        if not isinstance(total_count, int):  # one count for the whole batch, as in torch
            raise KittyNotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        super().__init__(*self._make_categorical(probs, logits), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded_over(Multinomial, batch_shape, _instance, total_count=self.total_count)

    @property
    def _binomial(self):
        # made on use (by the entropy): deriving probs from logits up front would leave, under the
        # seed's locks, a graph use of the logits that log_prob's backward never reaches
        return Binomial(total_count=self.total_count, probs=self.probs, validate_args=False)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        n = self.total_count
        return constraints.multinomial(n)

    @property
    def mean(self):
        n = self.total_count
        return n * self.probs

    @property
    def variance(self):
        p = self.probs
        return self.total_count * p * (1 - p)

    def sample(self, sample_shape=Size()):
        sample_shape = Size(sample_shape)
        draws = self._over_indices.sample(Size((self.total_count,) + tuple(sample_shape)))
        counts = F.one_hot(draws, self._over_indices._num_events).sum(0)
        return counts.reshape(tuple(self._extended_shape(sample_shape))).to(self._over_indices._param.dtype)

    def entropy(self):
        n = tensor(float(self.total_count), dtype=self.probs.dtype)
        term1 = n * self._over_indices.entropy() - (n + 1).lgamma()
        binomial = self._binomial
        counts = binomial.enumerate_support(expand=False)[1:]
        term2 = (binomial.log_prob(counts).exp() * (counts + 1).lgamma()).sum([0, -1])
        return term1 + term2

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, logits = broadcast_all(value, self.logits)
        logits = where((value == 0) & (logits == -math.inf), 0.0, logits)  # 0 * log(0) is 0 here
        log_factorial_n = (value.sum(-1) + 1).lgamma()
        log_factorial_xs = (value + 1).lgamma().sum(-1)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)
