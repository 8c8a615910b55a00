"""``ExponentialFamily``: distributions with density exp(<t(x), theta> - F(theta) + k(x)).

A subclass gives its natural parameters ``theta`` (``_natural_params``), the log-normalizer ``F``
(``_log_normalizer``) and the carrier measure's mean; the entropy and the KL divergence between
two members of one family then follow from the Bregman divergence of ``F``, through autograd.
"""
from __future__ import annotations

from ..autograd import grad
from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base of the exponential-family distributions (Normal, Gamma, Beta, ...).

    >>> import kittygrad as kitty
    >>> isinstance(kitty.distributions.Normal(0., 1.), kitty.distributions.ExponentialFamily)
    True
    """

    @property
    def _natural_params(self) -> tuple:
        """The natural parameters theta, as a tuple of Tensors."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        """F(theta), the log-normalizer."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        """E[k(x)], the expected carrier measure (for the entropy)."""
        raise NotImplementedError

    def entropy(self):
        """H = F(theta) - <theta, grad F(theta)> - E[k(x)], with grad F from autograd."""
        result = -self._mean_carrier_measure
        # theta as fresh leaves, so that autograd gives grad F(theta) alone
        theta = [p.detach().requires_grad_() for p in self._natural_params]
        f_theta = self._log_normalizer(*theta)
        grad_f = grad(f_theta.sum(), theta, create_graph=True)
        result = result + f_theta
        for t, g in zip(theta, grad_f):
            result = result - (t * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
