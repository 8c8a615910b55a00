"""``MixtureSameFamily``: a categorical mixture of components of one distribution family."""
from __future__ import annotations

from operator import attrgetter

from ..errors import KittyValueError
from ..autograd import no_grad
from ..ops.gather_scatter import gather
from ..size import Size
from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .utils import _broadcastable

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """Draws a component index from ``mixture_distribution`` (a Categorical over the rightmost batch
    dim of ``component_distribution``), then a value from that component.

    >>> import kittygrad as kitty
    >>> from kittygrad.distributions import Categorical, MixtureSameFamily, Normal
    >>> mix = MixtureSameFamily(Categorical(kitty.ones(2)), Normal(kitty.tensor([-1., 1.]), 1.))
    >>> mix.mean
    tensor(0.)
    """

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args: bool | None = None) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise KittyValueError(" The Mixture distribution needs to be an  instance of torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise KittyValueError("The Component distribution need to be an instance of torch.distributions.Distribution")
        mix_batch = mixture_distribution.batch_shape
        batch = component_distribution.batch_shape[:-1]  # the last batch dim indexes the components
        if not _broadcastable(mix_batch, batch):
            raise KittyValueError(
                f"`mixture_distribution.batch_shape` ({mix_batch}) is not compatible with "
                f"`component_distribution.batch_shape`({batch})"
            )
        weights_k = mixture_distribution.logits.shape[-1]
        components_k = component_distribution.batch_shape[-1]
        if weights_k != components_k:
            raise KittyValueError(
                f"`mixture_distribution component` ({weights_k}) does not equal "
                f"`component_distribution.batch_shape[-1]` ({components_k})"
            )
        self._set_parts(mixture_distribution, component_distribution)
        super().__init__(batch_shape=batch, event_shape=component_distribution.event_shape, validate_args=validate_args)

    def _set_parts(self, mixture, components) -> None:
        self._mixture_distribution, self._component_distribution = mixture, components
        self._num_component = components.batch_shape[-1]
        self._event_ndims = len(components.event_shape)

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        components = self._component_distribution.expand(Size(tuple(batch_shape) + (self._num_component,)))
        new = self._expanded_shell(MixtureSameFamily, _instance, batch_shape, components.event_shape)
        new._set_parts(self._mixture_distribution.expand(batch_shape), components)
        return new

    @constraints.dependent_property
    def support(self):
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    mixture_distribution = property(attrgetter("_mixture_distribution"), doc="The Categorical over components.")
    component_distribution = property(attrgetter("_component_distribution"), doc="The batch of components.")

    @property
    def _component_dim(self) -> int:
        """The dim of a component-batched value that indexes the components (left of the event dims)."""
        return -1 - self._event_ndims

    def _weights(self):
        """The mixture probabilities, shaped to broadcast against the components' values."""
        return self._pad_mixture_dimensions(self.mixture_distribution.probs)

    @property
    def mean(self):
        return (self._weights() * self.component_distribution.mean).sum(self._component_dim)

    @property
    def variance(self):
        # the law of total variance: E[Var(x | k)] + Var(E[x | k]), both expectations over k
        deviation = self.component_distribution.mean - self._pad(self.mean)
        return (self._weights() * (self.component_distribution.variance + deviation.pow(2))).sum(self._component_dim)

    def cdf(self, x):
        per_component = self.component_distribution.cdf(self._pad(x))
        return (per_component * self.mixture_distribution.probs).sum(-1)

    def log_prob(self, x):
        if self._validate_args:
            self._validate_sample(x)
        joint = self.component_distribution.log_prob(self._pad(x)) + self.mixture_distribution.logits.log_softmax(-1)
        return joint.logsumexp(-1)

    def sample(self, sample_shape=Size()):
        with no_grad():
            # draw from every component, then keep the drawn component's value at each position
            which = self.mixture_distribution.sample(sample_shape)
            drawn = self.component_distribution.sample(sample_shape)
            axis = len(sample_shape) + len(self.batch_shape)
            event = tuple(self.event_shape)
            lead = tuple(which.shape)
            index = which.reshape(lead + (1,) * (1 + len(event))).repeat((1,) * (len(lead) + 1) + event)
            return gather(drawn, axis, index).squeeze(axis)

    def _pad(self, x):
        return x.unsqueeze(self._component_dim)

    def _pad_mixture_dimensions(self, x):
        mix_ndims = len(self.mixture_distribution.batch_shape)
        # a mixture with one batch dim lines up already; otherwise ones fill the batch dims it lacks
        missing = 0 if mix_ndims == 1 else len(self.batch_shape) - mix_ndims
        shape = tuple(x.shape)
        return x.reshape(shape[:-1] + (1,) * missing + shape[-1:] + (1,) * self._event_ndims)

    def __repr__(self) -> str:
        return f"MixtureSameFamily(\n  {self.mixture_distribution},\n  {self.component_distribution})"
