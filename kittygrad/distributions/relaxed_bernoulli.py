"""The relaxed (concrete) Bernoulli distribution: a continuous, reparameterised stand-in for
Bernoulli samples, sharper as the temperature falls."""
from __future__ import annotations

from ..creation import rand
from ..size import Size
from . import constraints
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from ._probs_logits import BINARY_ARGS, ProbsOrLogits, forwarded
from .utils import broadcast_all, clamp_probs

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(ProbsOrLogits, Distribution):
    """The logit of a relaxed Bernoulli sample: (logit(U) + logits) / temperature.

    >>> import kittygrad as kitty
    >>> kitty.distributions.relaxed_bernoulli.LogitRelaxedBernoulli(kitty.tensor(0.5), logits=kitty.tensor(0.)).sample().shape
    kittygrad.Size([])
    """

    arg_constraints = dict(BINARY_ARGS)
    support = constraints.real

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self.temperature = temperature
        super().__init__(self._store_param(probs, logits), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(LogitRelaxedBernoulli, batch_shape, _instance, temperature=self.temperature)

    def rsample(self, sample_shape=Size()):  # torch leaves has_rsample False here (RelaxedBernoulli sets it)
        shape = tuple(self._extended_shape(sample_shape))
        p = clamp_probs(self.probs.expand(shape))
        u = clamp_probs(rand(shape, dtype=p.dtype))
        # logit(u) + logit(p), each written as log(x) - log1p(-x)
        return (u.log() - (-u).log1p() + p.log() - (-p).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, logits = broadcast_all(value, self.logits)
        t = self.temperature
        diff = logits - t * value
        return t.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(TransformedDistribution):
    """sigmoid of a :class:`LogitRelaxedBernoulli`: values in (0, 1), reparameterised.

    >>> import kittygrad as kitty
    >>> x = kitty.distributions.RelaxedBernoulli(kitty.tensor(0.5), kitty.tensor([0.3])).rsample()
    >>> bool((x > 0).all() and (x < 1).all())
    True
    """

    arg_constraints = dict(BINARY_ARGS)
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        base = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return TransformedDistribution.expand(self, batch_shape, self._fresh_instance(RelaxedBernoulli, _instance))

    temperature = forwarded("base_dist", "temperature", "The temperature of the base distribution.")
    logits = forwarded("base_dist", "logits", "The base distribution's log-odds.")
    probs = forwarded("base_dist", "probs", "The base distribution's probability of 1.")
