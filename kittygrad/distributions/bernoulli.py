"""The Bernoulli distribution, by ``probs`` or ``logits``."""
from __future__ import annotations

from ..nn import functional as F
from ..ops.random_ops import bernoulli as _bernoulli
from ..size import Size
from . import constraints
from .exp_family import ExponentialFamily
from ._probs_logits import BINARY_ARGS, ProbsOrLogits
from .utils import _values_only, broadcast_all

__all__ = ["Bernoulli"]


class Bernoulli(ProbsOrLogits, ExponentialFamily):
    """1 with probability ``probs`` (or ``sigmoid(logits)``), else 0.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Bernoulli(probs=kitty.tensor([0.25])).log_prob(kitty.tensor([1.]))
    tensor([-1.3863])
    """

    arg_constraints = dict(BINARY_ARGS)
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        super().__init__(self._store_param(probs, logits), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Bernoulli, batch_shape, _instance)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        mode[self.probs == 0.5] = float("nan")
        return mode

    @property
    def variance(self):
        p = self.probs
        return p * (1 - p)

    def sample(self, sample_shape=Size()):
        with _values_only():
            return _bernoulli(self.probs.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, logits = broadcast_all(value, self.logits)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True):
        return self._enumerate(2, self._param.dtype, expand)

    @property
    def _natural_params(self) -> tuple:
        return ((self.probs / (1 - self.probs)).log(),)

    def _log_normalizer(self, x):
        return x.exp().log1p()
