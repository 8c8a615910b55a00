"""The multivariate normal with a low-rank-plus-diagonal covariance W W^T + diag(D).

Nothing k x k is factorised: with the m x m *capacitance* matrix K = I + W^T D^-1 W,

* the matrix determinant lemma gives log det(W W^T + D) = log det K + sum(log D), and
* the Woodbury identity gives (W W^T + D)^-1 = D^-1 - D^-1 W K^-1 W^T D^-1,

so a density costs one Cholesky factorisation of K (m is the rank, usually much smaller than k).
"""

from __future__ import annotations

import math

from .. import linalg
from ..creation import eye
from ..errors import KittyValueError
from ..ops.shape import broadcast_shapes
from ..size import Size
from . import constraints
from ._location_scale import _expanded
from .distribution import Distribution
from .multivariate_normal import _batch_mv
from .utils import _standard_normal, lazy_property

__all__ = ["LowRankMultivariateNormal"]


def _sum_last_two(t):
    return t.sum((-2, -1))


def _expand_front(t, batch, tail: int):
    """``t`` with its leading (batch) dims broadcast to ``batch``, keeping its ``tail`` last dims."""
    return t.expand(tuple(batch) + tuple(t.shape[t.dim() - tail :]))


class LowRankMultivariateNormal(Distribution):
    """N(loc, cov_factor cov_factor^T + diag(cov_diag)): ``cov_factor`` is k x m, ``cov_diag`` a
    positive vector of length k.

    >>> import kittygrad as kitty
    >>> d = kitty.distributions.LowRankMultivariateNormal(kitty.zeros(2), kitty.ones(2, 1), kitty.ones(2))
    >>> d.variance
    tensor([2., 2.])
    """

    arg_constraints = {
        "loc": constraints.real_vector,
        "cov_factor": constraints.independent(constraints.real, 2),
        "cov_diag": constraints.independent(constraints.positive, 1),
    }
    support = arg_constraints["loc"]  # a draw is a real vector, as the mean
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args: bool | None = None) -> None:
        if loc.dim() < 1:
            raise KittyValueError("loc must be at least one-dimensional.")
        k = loc.shape[-1]
        if cov_factor.dim() < 2:
            raise KittyValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if cov_factor.shape[-2] != k:
            raise KittyValueError(f"cov_factor must be a batch of matrices with shape {k} x m")
        if tuple(cov_diag.shape[-1:]) != (k,):
            raise KittyValueError(f"cov_diag must be a batch of vectors with shape {loc.shape[-1:]}")
        try:
            batch = broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]), tuple(cov_diag.shape[:-1]))
        except (RuntimeError, ValueError) as err:
            raise KittyValueError(
                f"Incompatible batch shapes: loc {loc.shape}, cov_factor {cov_factor.shape}, cov_diag {cov_diag.shape}"
            ) from err
        self.loc = _expand_front(loc, batch, 1)
        self.cov_factor = _expand_front(cov_factor, batch, 2)
        self.cov_diag = _expand_front(cov_diag, batch, 1)
        # the computations use the parameters at their given shapes: no work is repeated over a
        # batch that only one of them has
        self._W, self._D = cov_factor, cov_diag
        super().__init__(Size(batch), loc.shape[-1:], validate_args=validate_args)
        self._capacitance_chol = self._capacitance()

    def _capacitance(self):
        """The lower Cholesky factor of K = I + W^T D^-1 W (m x m)."""
        W, D = self._W, self._D
        K = W.mT @ (W / D.unsqueeze(-1))
        return linalg.cholesky(K + eye(W.shape[-1], dtype=W.dtype))

    def expand(self, batch_shape, _instance=None):
        new = _expanded(self, LowRankMultivariateNormal, batch_shape, _instance, (), event_shape=self.event_shape)
        batch = tuple(new.batch_shape)
        new.loc = _expand_front(self.loc, batch, 1)
        new.cov_factor = _expand_front(self.cov_factor, batch, 2)
        new.cov_diag = _expand_front(self.cov_diag, batch, 1)
        new._W, new._D, new._capacitance_chol = self._W, self._D, self._capacitance_chol
        return new

    # ---- the two identities

    def _half_log_det(self):
        """(1/2) log det(W W^T + D), by the determinant lemma."""
        log_det_k = 2 * self._capacitance_chol.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return 0.5 * (log_det_k + self._D.log().sum(-1))

    def _inverse_quadratic(self, M):
        """tr(M^T Sigma^-1 M) for a batch of k x c matrices ``M``, by the Woodbury identity."""
        W, D, C = self._W, self._D, self._capacitance_chol
        scaled = M / D.unsqueeze(-1)  # D^-1 M
        projected = W.mT @ scaled  # W^T D^-1 M, m x c
        batch = broadcast_shapes(tuple(C.shape[:-2]), tuple(projected.shape[:-2]))
        whitened = linalg.solve_triangular(_expand_front(C, batch, 2), _expand_front(projected, batch, 2), upper=False)
        return _sum_last_two(M * scaled) - _sum_last_two(whitened.pow(2))

    def _mahalanobis(self, diff):
        return self._inverse_quadratic(diff.unsqueeze(-1))

    # ---- moments and matrices

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        per_entry = self._W.pow(2).sum(-1) + self._D
        return per_entry.expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def _matrix_shape(self) -> tuple:
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def covariance_matrix(self):
        cov = self._W @ self._W.mT + self._D.diag_embed()
        return cov.expand(self._matrix_shape())

    @lazy_property
    def scale_tril(self):
        return linalg.cholesky(self.covariance_matrix)

    @lazy_property
    def precision_matrix(self):
        # Woodbury: D^-1 - (C^-1 W^T D^-1)^T (C^-1 W^T D^-1)
        inv_d = self._D.reciprocal()
        A = linalg.solve_triangular(self._capacitance_chol, self._W.mT * inv_d.unsqueeze(-2), upper=False)
        return (inv_d.diag_embed() - A.mT @ A).expand(self._matrix_shape())

    # ---- sampling and densities

    def rsample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        rank = self._W.shape[-1]
        eps_low = _standard_normal(shape[:-1] + (rank,), dtype=self.loc.dtype)
        eps_diag = _standard_normal(shape, dtype=self.loc.dtype)
        # W e1 + sqrt(D) e2 has covariance W W^T + D
        return self.loc + _batch_mv(self._W, eps_low) + self._D.sqrt() * eps_diag

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        k = self._event_shape[0]
        return -0.5 * (k * math.log(2 * math.pi) + self._mahalanobis(value - self.loc)) - self._half_log_det()

    def entropy(self):
        k = self._event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(tuple(self._batch_shape))
