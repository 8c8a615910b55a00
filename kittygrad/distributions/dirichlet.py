"""The Dirichlet distribution on the simplex, with reparameterised samples."""
from __future__ import annotations

from ..errors import KittyValueError
from ..backend_random import default_generator
from ..autograd import Function, no_grad
from ..dtypes import float64
from ..nn import functional as F
from ..ops import _scalar_samplers as scalar_samplers
from ..ops.comparison import where
from ..ops.special import _betainc
from ..tensor import Tensor
from . import constraints
from ._location_scale import _expanded
from .exp_family import ExponentialFamily
from .gamma import _five_point

__all__ = ["Dirichlet"]


def _dirichlet_grad(x, concentration, total):
    """For x ~ Beta(a, total - a): -(dI_x(a, b)/da at fixed b) / pdf(x) / (1 - x), the scaled implicit
    gradient torch's Dirichlet backward builds on (torch._dirichlet_grad).

    Computed in float64 from the regularized incomplete beta function I (or 1 - I = I_{1-x}(b, a)
    where that keeps more digits), its log differentiated in a by a fourth-order central difference;
    NaN gives 0, as torch.
    """
    with no_grad():
        v, a, t = x.to(float64), concentration.to(float64), total.to(float64)
        b = t - a
        lower = _betainc(a, b, v) < 0.5

        def log_level(aa):
            return where(lower, _betainc(aa, b, v), _betainc(b, aa, 1 - v)).log()

        dlog = _five_point(log_level, a, 1e-4 * a)
        log_pdf = (a - 1) * v.log() + (b - 1) * (-v).log1p() - (a.lgamma() + b.lgamma() - t.lgamma())
        ratio = (log_level(a) - log_pdf).exp() / (1 - v)
        result = where(lower, -dlog * ratio, dlog * ratio)
        result = where(result == result, result, 0.0)
    return result.to(x.dtype)


def _sample_dirichlet(concentration):
    """Dirichlet samples (normalised Gamma draws), without gradient (torch._sample_dirichlet)."""
    return Tensor._wrap(scalar_samplers.dirichlet(default_generator, concentration.detach()._data))


class _Dirichlet(Function):
    """Dirichlet samples with torch's reparameterisation gradient: for an upstream gradient g,
    dalpha = D * (g - sum(x * g)), D the scaled Beta-marginal implicit gradient."""

    @staticmethod
    def forward(ctx, concentration):
        x = _sample_dirichlet(concentration)
        ctx.save_for_backward(concentration, x)
        return x

    @staticmethod
    def backward(ctx, grad_output):
        alpha, x = ctx.saved_tensors
        alpha0 = alpha.sum(-1, keepdim=True).expand(tuple(alpha.shape))  # each Beta marginal's a + b
        d = _dirichlet_grad(x.detach(), alpha.detach(), alpha0.detach())
        return d * (grad_output - (x * grad_output).sum(-1, True))


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution with ``concentration`` alpha (the last dim is the event).

    >>> import kittygrad as kitty
    >>> kitty.distributions.Dirichlet(kitty.tensor([1., 3.])).mean
    tensor([0.2500, 0.7500])
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise KittyValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = concentration.shape  # the last dim is the event (the number of categories)
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = _expanded(self, Dirichlet, batch_shape, _instance, (), event_shape=self.event_shape)
        new.concentration = self.concentration.expand(tuple(new.batch_shape) + tuple(self.event_shape))
        return new

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        return _Dirichlet.apply(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (c - 1.0).xlogy(value).sum(-1) + c.sum(-1).lgamma() - c.lgamma().sum(-1)

    @property
    def mean(self):
        alpha = self.concentration
        return alpha / alpha.sum(-1, keepdim=True)

    @property
    def mode(self):
        cm1 = (self.concentration - 1).clamp(min=0.0)
        mode = cm1 / cm1.sum(-1, True)
        mask = (self.concentration < 1).all(dim=-1)  # no interior mode: pick the largest corner
        if bool(mask.any()):
            mode[mask] = F.one_hot(mode[mask].argmax(dim=-1), cm1.shape[-1]).to(mode.dtype)
        return mode

    @property
    def variance(self):
        c = self.concentration
        c0 = c.sum(-1, True)
        return c * (c0 - c) / (c0.pow(2) * (c0 + 1))

    def entropy(self):
        c = self.concentration
        k = c.size(-1)
        a0 = c.sum(-1)
        return c.lgamma().sum(-1) - a0.lgamma() - (k - a0) * a0.digamma() - ((c - 1.0) * c.digamma()).sum(-1)

    @property
    def _natural_params(self) -> tuple:
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - x.sum(-1).lgamma()
