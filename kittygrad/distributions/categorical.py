"""The categorical distribution over ``0 .. K-1``, by ``probs`` or ``logits``."""
from __future__ import annotations

import math

from ..creation import full
from ..dtypes import int64
from ..ops.random_ops import multinomial
from ..ops.shape import broadcast_tensors
from ..size import Size
from . import constraints
from .distribution import Distribution
from ._probs_logits import SIMPLEX_ARGS, ProbsOrLogits, finish_expand, forwarded
from .utils import _finfo, _values_only

__all__ = ["Categorical"]


class Categorical(ProbsOrLogits, Distribution):
    """Category ``k`` with probability ``probs[..., k]`` (normalised), or ``softmax(logits)``.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Categorical(probs=kitty.tensor([1., 3.])).probs
    tensor([0.2500, 0.7500])
    """

    arg_constraints = dict(SIMPLEX_ARGS)
    has_enumerate_support = True
    _categories = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        super().__init__(self._store_param(probs, logits), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Categorical, batch_shape, _instance)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        last = self._num_events - 1
        return constraints.integer_interval(0, last)

    @property
    def mean(self):
        return full(tuple(self._extended_shape()), math.nan, dtype=self._param.dtype)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return full(tuple(self._extended_shape()), math.nan, dtype=self._param.dtype)

    def sample(self, sample_shape=Size()):
        if not isinstance(sample_shape, Size):
            sample_shape = Size(sample_shape)
        with _values_only():
            rows = self.probs.reshape(-1, self._num_events)
            samples_2d = multinomial(rows, sample_shape.numel(), True).T
        return samples_2d.reshape(tuple(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, log_pmf = broadcast_tensors(value.long()[..., None], self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        logits = self.logits.clamp(min=float(_finfo(self.logits.dtype).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True):
        return self._enumerate(self._num_events, int64, expand)


class OnCategorical:
    """Mixin for distributions built on an inner :class:`Categorical` (one-hot and count-valued
    ones): its parameters are theirs, and its categories make their event dimension."""

    def _make_categorical(self, probs, logits) -> tuple:
        """Make the inner Categorical; return the (batch_shape, event_shape) it implies."""
        inner = Categorical(probs=probs, logits=logits)
        self._over_indices = inner
        return inner.batch_shape, Size((inner._num_events,))

    def _expanded_over(self, owner, batch_shape, _instance, **unbatched):
        """``expand`` for ``owner``: the inner Categorical expanded, the ``unbatched`` parameters unchanged."""
        new = self._fresh_instance(owner, _instance)
        for name, value in unbatched.items():
            setattr(new, name, value)
        inner = self._over_indices
        new._over_indices = inner.expand(batch_shape)
        return finish_expand(new, self, batch_shape, self._event_shape)

    probs = forwarded("_over_indices", "probs", "The inner Categorical's normalised probabilities.")
    logits = forwarded("_over_indices", "logits", "The inner Categorical's normalised log-probabilities.")
    param_shape = forwarded("_over_indices", "param_shape", "The shape of the inner Categorical's parameter.")
    _param = forwarded("_over_indices", "_param", "The inner Categorical's stored parameter.")
