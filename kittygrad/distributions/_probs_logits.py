"""What the distributions given by ``probs`` or ``logits`` share.

Bernoulli-like distributions (Bernoulli, Binomial, Geometric, NegativeBinomial, LogitRelaxedBernoulli)
link the two by a sigmoid; Categorical links them by a softmax over its last dimension. Either way
exactly one of them is given and stored, the other is derived on first use, and ``expand`` views
whichever are stored (with any parameters broadcast alongside, such as ``total_count``).
"""
from __future__ import annotations

from ..creation import arange
from ..errors import KittyValueError
from ..size import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

BINARY_ARGS = {"probs": constraints.unit_interval, "logits": constraints.real}
SIMPLEX_ARGS = {"probs": constraints.simplex, "logits": constraints.real_vector}
_NAMES = ("probs", "logits")


def finish_expand(new, old, batch_shape, event_shape=Size()):
    """Give an expanded copy its shapes; the parameters were checked when ``old`` was made."""
    Distribution.__init__(new, Size(batch_shape), event_shape, validate_args=False)
    new._use_validation(old._validate_args)
    return new


def forwarded(holder: str, name: str, doc: str):
    """A read-only property reading ``name`` off the distribution held in attribute ``holder``
    (a TransformedDistribution's ``base_dist``, or the inner Categorical of one built on it)."""
    return property(lambda self: getattr(getattr(self, holder), name), doc=doc)


class ProbsOrLogits:
    """Mixin for a Distribution parameterised by exactly one of ``probs`` and ``logits``.

    ``_categories``: False for one probability per batch element (sigmoid link), True when the last
    dimension of the parameter lists the categories (softmax link; that dimension is not batched).
    ``_broadcast_with``: names of other parameters broadcast against it and stored in its dtype.
    """

    _categories = False
    _broadcast_with: tuple = ()

    def _store_param(self, probs, logits, *others) -> Size:
        """Store the given parameter (and ``others``, by ``_broadcast_with``); return the batch shape."""
        named = [(name, value) for name, value in zip(_NAMES, (probs, logits)) if value is not None]
        if len(named) != 1:
            raise KittyValueError("Either `probs` or `logits` must be specified, but not both.")
        ((name, given),) = named
        if self._categories:
            if given.dim() < 1:
                raise KittyValueError(f"`{name}` parameter must be at least one-dimensional.")
            # stored normalised, so that either one describes the same distribution
            if name == "probs":
                given = given / given.sum(dim=-1, keepdim=True)
            else:
                given = given - given.logsumexp(-1, keepdim=True)
            self._num_events = given.shape[-1]
        else:
            # broadcast in this order: a number among them takes the first tensor's dtype
            *others, given = broadcast_all(*others, given)
            for other_name, value in zip(self._broadcast_with, others):
                setattr(self, other_name, value.to(given.dtype))
        setattr(self, name, given)
        self._param = given
        return given.size()[:-1] if self._categories else given.size()

    def _expanded(self, owner, batch_shape, _instance, **unbatched):
        """``expand`` for ``owner``: views of the stored parameters, with ``batch_shape`` in front,
        and the ``unbatched`` parameters unchanged."""
        new = self._fresh_instance(owner, _instance)
        for other_name, value in unbatched.items():
            setattr(new, other_name, value)
        batch_shape = Size(batch_shape)
        param_shape = batch_shape + self._param.shape[len(self._batch_shape):]
        if self._categories:
            new._num_events = param_shape[-1]
        for other_name in self._broadcast_with:
            setattr(new, other_name, getattr(self, other_name).expand(batch_shape))
        for name in _NAMES:
            if name in self.__dict__:
                new._param = self.__dict__[name].expand(param_shape)
                setattr(new, name, new._param)
        return finish_expand(new, self, batch_shape, self._event_shape)

    def _enumerate(self, count: int, dtype, expand: bool):
        """``0 .. count-1`` along a new first dimension, in front of the batch dimensions."""
        batch = tuple(self._batch_shape)
        values = arange(count, dtype=dtype).view((count,) + (1,) * len(batch))
        return values.expand((count,) + batch) if expand else values

    @lazy_property
    def logits(self):
        """Log-odds (sigmoid link) or normalised log-probabilities (softmax link)."""
        return probs_to_logits(self.probs, is_binary=not self._categories)

    @lazy_property
    def probs(self):
        """The probability of success, or of each category."""
        return logits_to_probs(self.logits, is_binary=not self._categories)

    @property
    def param_shape(self) -> Size:
        """The shape of the stored parameter."""
        return self._param.size()
