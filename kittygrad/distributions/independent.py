"""``Independent``: some batch dims of a distribution reinterpreted as event dims."""
from __future__ import annotations

from ..errors import KittyNotImplementedError, KittyValueError
from ..size import Size
from . import constraints
from .distribution import Distribution
from .utils import _sum_rightmost

__all__ = ["Independent"]


def _from_base(name: str, doc: str):
    """A read-only property answered by the wrapped distribution: reinterpreting dims changes
    neither its moments nor how it samples."""
    return property(lambda self: getattr(self.base_dist, name), doc=doc)


def _drawn_by_base(name: str, doc: str):
    """A sampling method (``sample`` or ``rsample``) handed to the wrapped distribution: its
    draws already have the batch and event dims together, however they are split."""

    def draw(self, sample_shape=Size()):
        return getattr(self.base_dist, name)(sample_shape)

    draw.__name__, draw.__qualname__, draw.__doc__ = name, f"Independent.{name}", doc
    return draw


class Independent(Distribution):
    """``base_distribution`` with its ``reinterpreted_batch_ndims`` rightmost batch dims treated as
    event dims: ``log_prob`` sums over them (a diagonal Normal as one multivariate event).

    >>> import kittygrad as kitty
    >>> d = kitty.distributions.Independent(kitty.distributions.Normal(kitty.zeros(3), 1.), 1)
    >>> d.batch_shape, d.event_shape
    (kittygrad.Size([]), kittygrad.Size([3]))
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims: int, validate_args: bool | None = None) -> None:
        base_batch_ndims = len(base_distribution.batch_shape)
        if reinterpreted_batch_ndims > base_batch_ndims:
            raise KittyValueError(
                "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), "
                f"actual {reinterpreted_batch_ndims} vs {base_batch_ndims}"
            )
        self._wrap(base_distribution, reinterpreted_batch_ndims)
        # the shapes together stay the base's; the boundary between them moves left
        whole = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        split = base_batch_ndims - reinterpreted_batch_ndims
        super().__init__(Size(whole[:split]), Size(whole[split:]), validate_args=validate_args)

    def _wrap(self, base_dist, ndims: int) -> None:
        self.base_dist, self.reinterpreted_batch_ndims = base_dist, ndims

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        new = self._expanded_shell(Independent, _instance, batch_shape, self.event_shape)
        # the base is expanded over our batch dims and the ones it still sees as batch dims
        moved = tuple(self.event_shape[: self.reinterpreted_batch_ndims])
        new._wrap(self.base_dist.expand(tuple(batch_shape) + moved), self.reinterpreted_batch_ndims)
        return new

    has_rsample = _from_base("has_rsample", "Whether the base distribution has rsample.")
    mean = _from_base("mean", "The base distribution's mean.")
    mode = _from_base("mode", "The base distribution's mode.")
    variance = _from_base("variance", "The base distribution's variance.")

    @property
    def has_enumerate_support(self) -> bool:
        # enumerating a product of event dims is not supported
        return self.reinterpreted_batch_ndims == 0 and self.base_dist.has_enumerate_support

    @constraints.dependent_property
    def support(self):
        base_support, ndims = self.base_dist.support, self.reinterpreted_batch_ndims
        return constraints.independent(base_support, ndims) if ndims else base_support

    sample = _drawn_by_base("sample", "A sample of the base distribution (no gradient).")
    rsample = _drawn_by_base("rsample", "A reparameterised sample of the base distribution.")

    def log_prob(self, value):
        return _sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return _sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def enumerate_support(self, expand: bool = True):
        if self.reinterpreted_batch_ndims == 0:  # nothing reinterpreted: the base's support as it is
            return self.base_dist.enumerate_support(expand)
        raise KittyNotImplementedError("Enumeration over cartesian product is not implemented")

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.base_dist}, {self.reinterpreted_batch_ndims})"
