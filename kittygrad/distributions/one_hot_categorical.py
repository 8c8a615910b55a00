"""The categorical distribution with one-hot samples."""
from __future__ import annotations

from ..creation import eye
from ..nn import functional as F
from ..size import Size
from . import constraints
from ._probs_logits import SIMPLEX_ARGS
from .categorical import OnCategorical
from .distribution import Distribution

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]


class OneHotCategorical(OnCategorical, Distribution):
    """A :class:`Categorical` whose samples are one-hot vectors of length K.

    >>> import kittygrad as kitty
    >>> kitty.distributions.OneHotCategorical(kitty.tensor([0., 1.])).sample()
    tensor([0., 1.])
    """

    arg_constraints = dict(SIMPLEX_ARGS)
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        super().__init__(*self._make_categorical(probs, logits), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded_over(OneHotCategorical, batch_shape, _instance)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        p = self.probs
        return F.one_hot(p.argmax(-1), num_classes=p.shape[-1]).to(p.dtype)

    @property
    def variance(self):
        p = self.probs
        return p * (1 - p)

    def sample(self, sample_shape=Size()):
        drawn = self._over_indices.sample(Size(sample_shape))
        return F.one_hot(drawn, self._over_indices._num_events).to(self._param.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._over_indices.log_prob(value.max(-1)[1])

    def entropy(self):
        # one-hot vectors carry the same information as the indices
        return self._over_indices.entropy()

    def enumerate_support(self, expand: bool = True):
        n = self.event_shape[0]
        values = eye(n, dtype=self._param.dtype).view((n,) + (1,) * len(self.batch_shape) + (n,))
        if expand:
            values = values.expand((n,) + tuple(self.batch_shape) + (n,))
        return values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """One-hot samples whose ``rsample`` passes gradients straight through to ``probs``.

    >>> import kittygrad as kitty
    >>> p = kitty.tensor([0.5, 0.5], requires_grad=True)
    >>> kitty.distributions.OneHotCategoricalStraightThrough(p).rsample().requires_grad
    True
    """

    has_rsample = True

    def rsample(self, sample_shape=Size()):
        # forward: the one-hot sample; backward: the gradient of probs, passed straight through
        p = self.probs
        return self.sample(sample_shape) + (p - p.detach())
