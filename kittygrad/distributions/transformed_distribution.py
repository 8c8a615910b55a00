"""``TransformedDistribution``: a base distribution pushed through a sequence of transforms."""
from __future__ import annotations

from functools import reduce

from ..errors import KittyValueError
from ..autograd import no_grad
from ..size import Size
from . import constraints
from ._probs_logits import forwarded
from .distribution import Distribution
from .independent import Independent
from .transforms import ComposeTransform, Transform
from .utils import _sum_rightmost

__all__ = ["TransformedDistribution"]


def _as_transform_list(transforms) -> list:
    """The transforms as a list: one Transform alone, or the list given (not copied)."""
    chain = [transforms] if isinstance(transforms, Transform) else transforms
    if not isinstance(chain, list):
        raise KittyValueError(f"transforms must be a Transform or list, but was {transforms}")
    if any(not isinstance(t, Transform) for t in chain):
        raise KittyValueError("transforms must be a Transform or a list of Transforms")
    return chain


def _split_shape(shape, event_ndim: int):
    """(batch shape, event shape) of ``shape`` whose last ``event_ndim`` dims form the event."""
    dims = tuple(shape)
    cut = len(dims) - event_ndim
    return Size(dims[:cut]), Size(dims[cut:])


def _fit_base(base, needed_shape, first_event_dim: int):
    """``base`` as the transforms take it: expanded where they broadcast it (its batch and event
    shapes together must become ``needed_shape``), and with the dims the first transform reads as
    event dims (``first_event_dim`` of them) but ``base`` as batch dims made event dims."""
    event_ndim = len(base.event_shape)
    if tuple(needed_shape) != tuple(base.batch_shape) + tuple(base.event_shape):
        base = base.expand(_split_shape(needed_shape, event_ndim)[0])
    if first_event_dim > event_ndim:
        base = Independent(base, first_event_dim - event_ndim)
    return base


class TransformedDistribution(Distribution):
    """Samples ``t_n(...t_1(x))`` for ``x`` from ``base_distribution``; ``log_prob`` subtracts the
    log-Jacobians (change of variables).

    >>> import kittygrad as kitty
    >>> from kittygrad.distributions import Normal, TransformedDistribution
    >>> from kittygrad.distributions.transforms import ExpTransform
    >>> d = TransformedDistribution(Normal(0., 1.), [ExpTransform()])  # a log-normal
    >>> d.log_prob(kitty.tensor(1.))
    tensor(-0.9189)
    """

    arg_constraints: dict = {}

    def __init__(self, base_distribution, transforms, validate_args: bool | None = None) -> None:
        transform_list = _as_transform_list(transforms)
        chain = ComposeTransform(transform_list)
        in_dim, out_dim = chain.domain.event_dim, chain.codomain.event_dim
        base_event_ndim = len(base_distribution.event_shape)
        full_shape = Size(tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape))
        if len(full_shape) < in_dim:
            raise KittyValueError(
                f"base_distribution needs to have shape with size at least {in_dim}, "
                f"but got {full_shape}."
            )
        out_shape = chain.forward_shape(full_shape)
        # the transforms may broadcast: the base then needs the shape they map back to
        self._hold(_fit_base(base_distribution, chain.inverse_shape(out_shape), in_dim), transform_list)
        event_ndim = max(out_dim, base_event_ndim + out_dim - in_dim)
        batch_shape, event_shape = _split_shape(out_shape, event_ndim)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def _hold(self, base, transforms: list) -> None:
        self.base_dist, self.transforms = base, transforms

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        new = self._expanded_shell(TransformedDistribution, _instance, batch_shape, self.event_shape)
        # the base takes the shape the transforms map the expanded one back to
        full = Size(tuple(batch_shape) + tuple(self.event_shape))
        base_full = reduce(lambda s, t: t.inverse_shape(s), self.transforms[::-1], full)
        base_batch_shape = _split_shape(base_full, len(self.base_dist.event_shape))[0]
        new._hold(self.base_dist.expand(base_batch_shape), self.transforms)
        return new

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        last = self.transforms[-1].codomain
        extra = len(self.event_shape) - last.event_dim
        return constraints.independent(last, extra) if extra > 0 else last

    has_rsample = forwarded("base_dist", "has_rsample", "Whether the base distribution has rsample.")

    def _push_forward(self, x):
        return reduce(lambda value, t: t(value), self.transforms, x)

    def sample(self, sample_shape=Size()):
        with no_grad():
            return self._push_forward(self.base_dist.sample(sample_shape))

    def rsample(self, sample_shape=Size()):
        return self._push_forward(self.base_dist.rsample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        # walk back to the base, keeping the event dims of the current space
        ndim, total, y = len(self.event_shape), 0.0, value
        for t in self.transforms[::-1]:
            x = t.inv(y)
            ndim = ndim - t.codomain.event_dim + t.domain.event_dim
            total = total - _sum_rightmost(t.log_abs_det_jacobian(x, y), ndim - t.domain.event_dim)
            y = x
        base_log_prob = self.base_dist.log_prob(y)
        return total + _sum_rightmost(base_log_prob, ndim - len(self.base_dist.event_shape))

    def _monotonize_cdf(self, value):
        # a decreasing map turns the base's cdf into a survival function: flip it back
        sign = reduce(lambda acc, t: acc * t.sign, self.transforms, 1)
        all_increasing = isinstance(sign, int) and sign == 1  # a tensor sign is applied elementwise
        return value if all_increasing else 0.5 + sign * (value - 0.5)

    def cdf(self, value):
        base_value = reduce(lambda v, t: t.inv(v), self.transforms[::-1], value)
        if self._validate_args:
            self.base_dist._validate_sample(base_value)
        return self._monotonize_cdf(self.base_dist.cdf(base_value))

    def icdf(self, value):
        return self._push_forward(self.base_dist.icdf(self._monotonize_cdf(value)))
