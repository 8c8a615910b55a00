"""The multivariate normal distribution, by covariance, precision or Cholesky factor."""
from __future__ import annotations

import math

from ..errors import KittyValueError
from .. import linalg
from ..creation import eye
from ..ops.shape import broadcast_shapes
from ..size import Size
from . import constraints
from ._location_scale import _expanded
from .distribution import Distribution
from .utils import _standard_normal, lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mv(bmat, bvec):
    """Matrix-vector products over broadcast batch dims."""
    return (bmat @ bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(bL, bx):
    """x^T (L L^T)^-1 x for a batch of lower Cholesky factors ``bL`` and vectors ``bx`` (whose batch
    dims ``bL``'s broadcast to), by a triangular solve."""
    n = bx.size(-1)
    L = bL.expand(tuple(bx.shape[:-1]) + (n, n))
    return linalg.solve_triangular(L, bx.unsqueeze(-1), upper=False).squeeze(-1).pow(2).sum(-1)


def _inverse_lower(L):
    return linalg.solve_triangular(L, eye(L.size(-1), dtype=L.dtype).expand(tuple(L.shape)), upper=False)


def _precision_to_scale_tril(P):
    """The lower Cholesky factor of P^-1."""
    return linalg.cholesky(linalg.inv(P))


class MultivariateNormal(Distribution):
    """N(loc, Sigma), given ``covariance_matrix``, ``precision_matrix`` or ``scale_tril`` (exactly one).

    >>> import kittygrad as kitty
    >>> d = kitty.distributions.MultivariateNormal(kitty.zeros(2), kitty.eye(2))
    >>> d.log_prob(kitty.zeros(2))
    tensor(-1.8379)
    """

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector  # one draw is a vector: event_shape is loc's last dim
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args: bool | None = None) -> None:
        if loc.dim() < 1:
            raise KittyValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise KittyValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        for name, m in (("scale_tril matrix", scale_tril), ("covariance_matrix", covariance_matrix),
                        ("precision_matrix", precision_matrix)):
            if m is not None:
                if m.dim() < 2:
                    raise KittyValueError(f"{name} must be at least two-dimensional, with optional leading batch dimensions")
                batch_shape = Size(broadcast_shapes(tuple(m.shape[:-2]), tuple(loc.shape[:-1])))
                full = tuple(batch_shape) + tuple(m.shape[-2:])
                setattr(self, name.split()[0], m.expand(full))
        self.loc = loc.expand(tuple(batch_shape) + (loc.shape[-1],))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        # every quantity is computed from one Cholesky factor, kept at its given (unbroadcast) shape
        if scale_tril is None:
            scale_tril = (linalg.cholesky(covariance_matrix) if precision_matrix is None
                          else _precision_to_scale_tril(precision_matrix))
        self._chol = scale_tril

    def expand(self, batch_shape, _instance=None):
        new = _expanded(self, MultivariateNormal, batch_shape, _instance, (), event_shape=self.event_shape)
        vector_shape = tuple(new.batch_shape) + tuple(self.event_shape)
        new.loc = self.loc.expand(vector_shape)
        new._chol = self._chol
        matrices = ("covariance_matrix", "scale_tril", "precision_matrix")
        for name in (m for m in matrices if m in self.__dict__):  # only those given or already computed
            setattr(new, name, getattr(self, name).expand(vector_shape + tuple(self.event_shape)))
        return new

    @property
    def _unbroadcasted_scale_tril(self):
        return self._chol

    def _matrix_shape(self) -> tuple:
        return tuple(self._batch_shape) + tuple(self._event_shape) + tuple(self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._chol.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._chol
        return (L @ L.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        inv = _inverse_lower(self._chol)
        return (inv.mT @ inv).expand(self._matrix_shape())

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._chol.pow(2).sum(-1).expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=Size()):
        z = _standard_normal(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + _batch_mv(self._chol, z)  # loc + L z has covariance L L^T

    def _half_log_det(self):
        return self._chol.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        k = self._event_shape[0]
        squared_distance = _batch_mahalanobis(self._chol, value - self.loc)
        return -0.5 * (squared_distance + k * math.log(2 * math.pi)) - self._half_log_det()

    def entropy(self):
        k = self._event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(tuple(self._batch_shape)) if self._batch_shape else h
