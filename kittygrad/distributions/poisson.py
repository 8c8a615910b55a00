"""The Poisson distribution with a rate."""
from __future__ import annotations

from ..autograd import no_grad
from ..ops.random_ops import poisson as _poisson
from ..size import Size
from . import constraints
from ._location_scale import _adopt, _expanded
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    """P(k) = rate^k exp(-rate) / k! on k = 0, 1, 2, ...

    >>> import kittygrad as kitty
    >>> kitty.distributions.Poisson(2.).log_prob(kitty.tensor(0.))
    tensor(-2.)
    """

    arg_constraints = dict(rate=constraints.nonnegative)  # rate 0: all mass at k = 0
    support = constraints.nonnegative_integer  # counts

    def __init__(self, rate, validate_args: bool | None = None) -> None:
        super().__init__(_adopt(self, rate=rate), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded(self, Poisson, batch_shape, _instance, ("rate",))

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=Size()):
        rates = self.rate.expand(self._extended_shape(sample_shape))
        with no_grad():
            return _poisson(rates)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lam, k = broadcast_all(self.rate, value)
        # log(lam^k e^-lam / k!), with xlogy so that 0 log 0 = 0 when lam = 0
        return k.xlogy(lam) - lam - (k + 1).lgamma()

    @property
    def _natural_params(self) -> tuple:
        return (self.rate.log(),)

    def _log_normalizer(self, x):
        return x.exp()
