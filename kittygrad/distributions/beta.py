"""The beta distribution on [0, 1], as a two-category Dirichlet."""
from __future__ import annotations

from numbers import Number

from ..creation import tensor
from ..ops.joining import stack
from . import constraints
from ._location_scale import _expanded
from .dirichlet import Dirichlet
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Beta"]


class Beta(ExponentialFamily):
    """Density x^(c1 - 1) (1 - x)^(c0 - 1) / B(c1, c0); samples are reparameterised.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Beta(2., 2.).mean
    tensor(0.5000)
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval  # the first coordinate of a 2-category Dirichlet
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None) -> None:
        if isinstance(concentration1, Number) and isinstance(concentration0, Number):
            both = tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            both = stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded(self, Beta, batch_shape, _instance, ("_dirichlet",))

    @property
    def mean(self):
        a, b = self.concentration1, self.concentration0
        return a / (a + b)

    @property
    def mode(self):
        return self._dirichlet.mode.select(-1, 0)

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        n = a + b
        return a * b / (n.pow(2) * (n + 1))

    def rsample(self, sample_shape=()):
        pair = self._dirichlet.rsample(sample_shape)
        return pair[..., 0]

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet.log_prob(stack([value, 1.0 - value], -1))

    def entropy(self):
        return self._dirichlet.entropy()  # the map x -> (x, 1 - x) keeps it

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    @property
    def _natural_params(self) -> tuple:
        return self.concentration1, self.concentration0

    def _log_normalizer(self, x, y):
        return x.lgamma() + y.lgamma() - (x + y).lgamma()
