"""The binomial distribution: successes in ``total_count`` Bernoulli trials."""
from __future__ import annotations

from ..errors import KittyNotImplementedError
from .. import backend as B
from ..backend_random import default_generator
from ..ops import _scalar_samplers as scalar_samplers
from ..size import Size
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from ._probs_logits import BINARY_ARGS, ProbsOrLogits
from .utils import _values_only

__all__ = ["Binomial"]


def _clamp_by_zero(x):
    """max(x, 0), with derivative 1/2 at 0 (as torch's, so log_prob's gradient is smooth there)."""
    return (x + x.clamp(min=0) - x.clamp(max=0)) * 0.5


class Binomial(ProbsOrLogits, Distribution):
    """The number of successes in ``total_count`` independent trials of probability ``probs``.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Binomial(4, probs=kitty.tensor(0.5)).log_prob(kitty.tensor(2.))
    tensor(-0.9808)
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer, **BINARY_ARGS}
    has_enumerate_support = True

    _broadcast_with = ("total_count",)

    def __init__(self, total_count=1, probs=None, logits=None, validate_args: bool | None = None) -> None:
        super().__init__(self._store_param(probs, logits, total_count), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Binomial, batch_shape, _instance)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        n = self.total_count
        return constraints.integer_interval(0, n)

    @property
    def mean(self):
        n, p = self.total_count, self.probs
        return n * p

    @property
    def mode(self):
        n, p = self.total_count, self.probs
        return ((n + 1) * p).floor().clamp(max=n)

    @property
    def variance(self):
        n, p = self.total_count, self.probs
        return n * p * (1 - p)

    def sample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        with _values_only():
            n = B.xp.broadcast_to(self.total_count._data, shape).astype(self._param._data.dtype)
            p = B.xp.broadcast_to(self.probs._data, shape)
        return Tensor._wrap(scalar_samplers.binomial(default_generator, n, p))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_factorial_n = (n + 1).lgamma()
        log_factorial_k = (value + 1).lgamma()
        log_factorial_nmk = (n - value + 1).lgamma()
        normalize = n * _clamp_by_zero(logits) + n * (-logits.abs()).exp().log1p() - log_factorial_n
        return value * logits - log_factorial_k - log_factorial_nmk - normalize

    def _single_count(self, method: str) -> int:
        """The one total_count shared by the whole batch; ``method`` needs it to be one."""
        highest = int(self.total_count.max())
        if self.total_count.min() != highest:
            raise KittyNotImplementedError(f"Inhomogeneous total count not supported by `{method}`.")
        return highest

    def entropy(self):
        # the sum over the (common) support of -p log p
        self._single_count("entropy")
        log_pmf = self.log_prob(self.enumerate_support(False))
        return -(log_pmf.exp() * log_pmf).sum(0)

    def enumerate_support(self, expand: bool = True):
        n = self._single_count("enumerate_support")
        return self._enumerate(1 + n, self._param.dtype, expand)
