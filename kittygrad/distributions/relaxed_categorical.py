"""The relaxed one-hot categorical (Gumbel-softmax) distribution: continuous, reparameterised
stand-ins for one-hot samples, sharper as the temperature falls."""
from __future__ import annotations

from ..creation import full_like, rand
from ..size import Size
from . import constraints
from ._probs_logits import SIMPLEX_ARGS, forwarded
from .categorical import OnCategorical
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform
from .utils import broadcast_all, clamp_probs

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


def _log_normalise(x):
    """x shifted so that its exp sums to 1 over the last dimension."""
    return x - x.logsumexp(-1, keepdim=True)


class ExpRelaxedCategorical(OnCategorical, Distribution):
    """The log of a relaxed one-hot categorical sample (Gumbel-softmax in log space).

    >>> import kittygrad as kitty
    >>> d = kitty.distributions.relaxed_categorical.ExpRelaxedCategorical(kitty.tensor(1.), logits=kitty.zeros(3))
    >>> d.rsample().exp().sum().round()
    tensor(1.)
    """

    arg_constraints = dict(SIMPLEX_ARGS)
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self.temperature = temperature
        super().__init__(*self._make_categorical(probs, logits), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded_over(ExpRelaxedCategorical, batch_shape, _instance, temperature=self.temperature)

    def rsample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        u = clamp_probs(rand(shape, dtype=self.logits.dtype))
        gumbels = -((-(u.log())).log())
        # a softmax, in log space, of Gumbel-perturbed logits at the given temperature
        return _log_normalise((gumbels + self.logits) / self.temperature)

    def log_prob(self, value):
        k = self._over_indices._num_events
        if self._validate_args:
            self._validate_sample(value)
        value, logits = broadcast_all(value, self.logits)
        t = self.temperature
        log_scale = full_like(t, float(k)).lgamma() + (k - 1) * t.log()
        return _log_normalise(logits - t * value).sum(-1) + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    """exp of an :class:`ExpRelaxedCategorical`: points of the simplex near its corners, reparameterised.

    >>> import kittygrad as kitty
    >>> d = kitty.distributions.RelaxedOneHotCategorical(kitty.tensor(0.5), kitty.ones(3))
    >>> d.rsample().shape
    kittygrad.Size([3])
    """

    arg_constraints = dict(SIMPLEX_ARGS)
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return TransformedDistribution.expand(self, batch_shape, self._fresh_instance(RelaxedOneHotCategorical, _instance))

    temperature = forwarded("base_dist", "temperature", "The temperature of the base distribution.")
    logits = forwarded("base_dist", "logits", "The base distribution's normalised log-probabilities.")
    probs = forwarded("base_dist", "probs", "The base distribution's normalised probabilities.")
