"""The geometric distribution: failures before the first success."""
from __future__ import annotations

from ..errors import KittyValueError
from ..creation import rand, zeros_like
from ..nn import functional as F
from ..ops.comparison import where
from ..size import Size
from . import constraints
from .distribution import Distribution
from ._probs_logits import BINARY_ARGS, ProbsOrLogits
from .utils import _finfo, _values_only, broadcast_all

__all__ = ["Geometric"]


class Geometric(ProbsOrLogits, Distribution):
    """P(k) = (1 - p)^k p for k = 0, 1, 2, ...

    >>> import kittygrad as kitty
    >>> kitty.distributions.Geometric(kitty.tensor(0.25)).mean
    tensor(3.)
    """

    arg_constraints = dict(BINARY_ARGS)
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        super().__init__(self._store_param(probs, logits), validate_args=validate_args)
        # 0 is in unit_interval but has no geometric distribution (derived probs are not checked)
        if "probs" in self.__dict__ and self._validate_args:
            value = self.probs
            valid = value > 0
            if not bool(valid.all()):
                raise KittyValueError(
                    f"Expected parameter probs ({type(value).__name__} of shape {tuple(value.shape)}) "
                    f"of distribution {self!r} to be positive but found invalid values:\n{value.detach()[~valid]}"
                )

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Geometric, batch_shape, _instance)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return zeros_like(self.probs)

    @property
    def variance(self):
        p = self.probs
        return (1.0 / p - 1.0) / p

    def sample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        with _values_only():
            probs = self.probs
            u = rand(shape, dtype=probs.dtype).clamp(min=float(_finfo(probs.dtype).tiny))
            return (u.log() / (-probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, p = broadcast_all(value, self.probs)
        p = where((p == 1) & (value == 0), 0.0, p)  # 0 * log(0) is 0 here
        return value * (-p).log1p() + self.probs.log()

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs
