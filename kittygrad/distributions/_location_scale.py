"""Machinery shared by the parametric distributions.

* ``_adopt`` stores broadcast parameters on a distribution and works out its batch shape;
* ``_expanded`` / ``_expanded_transformed`` build the copy that ``Distribution.expand`` returns;
* ``LocationScale`` is the base of families whose members are ``loc + scale * Z`` for one
  standard variable ``Z`` (Normal, Laplace, Cauchy): sampling, densities, cdf, icdf and entropy
  are written once in terms of ``Z`` and each family supplies only the standard pieces.
"""
from __future__ import annotations

from numbers import Number

from ..size import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LOC_SCALE_CONSTRAINTS", "LocationScale"]

LOC_SCALE_CONSTRAINTS = {"loc": constraints.real, "scale": constraints.positive}


def _adopt(dist, **params) -> Size:
    """Set each of ``params`` on ``dist`` as a tensor, all broadcast to one shape, and return the
    batch shape that implies: empty when every parameter was a plain number (as torch does)."""
    tensors = broadcast_all(*params.values())
    for name, value in zip(params, tensors):
        setattr(dist, name, value)
    if all(isinstance(raw, Number) for raw in params.values()):
        return Size()
    return tensors[0].size()


def _expanded(source, family, batch_shape, instance, names, event_shape=None):
    """The ``expand`` of a plain (not transformed) distribution: a ``family`` instance whose
    attributes ``names`` (tensors or inner distributions) are ``source``'s expanded to
    ``batch_shape``. The copy is not re-validated but keeps ``source``'s validation setting."""
    shape = Size(batch_shape)
    target = source._fresh_instance(family, instance)
    for name in names:
        setattr(target, name, getattr(source, name).expand(shape))
    # straight to the base: a family's own __init__ (or LocationScale's) would rebuild parameters
    Distribution.__init__(target, shape, Size() if event_shape is None else event_shape, validate_args=False)
    target._use_validation(source._validate_args)
    return target


def _expanded_transformed(source, family, batch_shape, instance, names=()):
    """The ``expand`` of a ``TransformedDistribution`` subclass: its own parameters ``names`` are
    expanded here, the base distribution and transforms by ``TransformedDistribution.expand``."""
    target = source._fresh_instance(family, instance)
    for name in names:
        setattr(target, name, getattr(source, name).expand(batch_shape))
    return super(family, source).expand(batch_shape, _instance=target)


class LocationScale(Distribution):
    """Base of the families ``loc + scale * Z``. A subclass defines the standard variable:
    ``_standard_rsample(shape, dtype)``, ``_standard_log_density(z)``, ``_standard_cdf(z)``,
    ``_standard_icdf(p)`` and the number ``_standard_entropy``.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Laplace(1., 2.).icdf(kitty.tensor(0.5))
    tensor(1.)
    """

    arg_constraints = LOC_SCALE_CONSTRAINTS
    support = constraints.real
    has_rsample = True
    # torch writes Laplace's draws and quantiles as loc - scale * (-Z): the same numbers, but the
    # result's grad_fn, which a printed tensor shows, is then SubBackward0
    _subtracts = False

    @property
    def _family(self) -> type:
        """The class ``expand`` re-creates: the family (a direct subclass of LocationScale) this
        distribution belongs to, whatever subclass of it it is an instance of."""
        return next(c for c in type(self).__mro__ if LocationScale in c.__bases__)

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        batch_shape = _adopt(self, loc=loc, scale=scale)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded(self, self._family, batch_shape, _instance, ("loc", "scale"))

    def _standardise(self, value):
        return (value - self.loc) / self.scale

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    def _placed(self, z):
        """loc + scale * z, the variable's value for the standard value ``z``."""
        if self._subtracts:
            return self.loc - self.scale * z.neg()
        return self.loc + self.scale * z

    def rsample(self, sample_shape=Size()):
        return self._placed(self._standard_rsample(self._extended_shape(sample_shape), self.loc.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        # change of variables: p(x) = p_Z((x - loc) / scale) / scale
        return self._standard_log_density(self._standardise(value)) - self.scale.log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._standard_cdf(self._standardise(value))

    def icdf(self, value):
        return self._placed(self._standard_icdf(value))

    def entropy(self):
        return self._standard_entropy + self.scale.log()
