"""The logistic-normal distribution on the simplex."""
from __future__ import annotations

from . import constraints
from ._location_scale import LOC_SCALE_CONSTRAINTS, _expanded_transformed
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import StickBreakingTransform

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    """A normal vector in R^(K-1) mapped onto the K-simplex by stick breaking.

    >>> import kittygrad as kitty
    >>> kitty.distributions.LogisticNormal(kitty.zeros(2), kitty.ones(2)).event_shape
    kittygrad.Size([3])
    """

    arg_constraints = LOC_SCALE_CONSTRAINTS
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand([1])
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded_transformed(self, LogisticNormal, batch_shape, _instance)

    @property
    def _normal(self):
        # base_dist is the Normal made independent over its last dim: the Normal is one level down
        independent = self.base_dist
        return independent.base_dist

    @property
    def loc(self):
        return self._normal.loc

    @property
    def scale(self):
        return self._normal.scale
