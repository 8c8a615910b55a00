"""The LKJ distribution over Cholesky factors of correlation matrices (Lewandowski, Kurowicka & Joe, 2009).

A correlation matrix C = L L^T has LKJ(eta) density proportional to det(C)^(eta - 1). On the factor L
(whose rows have unit norm) that becomes, with the Jacobian of L -> C,

    p(L) = prod_(i = 1 .. d-1) L_ii^(d - i + 2 eta - 3)       (rows and columns counted from 0).

Sampling is by the onion method: row i (i >= 1) is (sqrt(y) u, sqrt(1 - y)), with u uniform on the
unit sphere of R^i and y ~ Beta(i / 2, eta + (d - 1 - i) / 2). The normalising constant follows
from the same construction: the density of the vector w = sqrt(y) u is
(1 - |w|^2)^(beta - 1) Gamma(i/2) / (pi^(i/2) B(i/2, beta)), and 1 - |w|^2 = L_ii^2, so row i
contributes -(i/2) log pi + lgamma(eta + (d - 1) / 2) - lgamma(eta + (d - 1 - i) / 2).
"""

from __future__ import annotations

import math
from numbers import Number

from .. import linalg
from ..autograd import no_grad
from ..creation import arange
from ..errors import KittyValueError
from ..nn import functional as F
from ..ops.joining import cat
from ..size import Size
from . import constraints
from ._location_scale import _expanded
from .beta import Beta
from .distribution import Distribution
from .transforms import CorrCholeskyTransform
from .utils import _finfo, _standard_normal, broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJ(``concentration``) over lower Cholesky factors of ``dim`` x ``dim`` correlation matrices;
    ``concentration`` = 1 is uniform over correlation matrices, larger values favour the identity.

    >>> import kittygrad as kitty
    >>> kitty.distributions.LKJCholesky(2, 1.).log_prob(kitty.eye(2))
    tensor(-0.6931)
    """

    arg_constraints = dict(concentration=constraints.positive)
    support = CorrCholeskyTransform.codomain  # the unit-row lower-triangular factors

    def __init__(self, dim: int, concentration=1.0, validate_args: bool | None = None) -> None:
        if isinstance(dim, Number) and dim < 2:
            raise KittyValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        self.concentration = broadcast_all(concentration)[0]
        super().__init__(self.concentration.size(), Size((dim, dim)), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = _expanded(self, LKJCholesky, batch_shape, _instance, ("concentration",), event_shape=self.event_shape)
        new.dim = self.dim
        return new

    def _row_betas(self):
        """beta_i = eta + (d - 1 - i) / 2 for the rows i = 1 .. d-1 (last dim)."""
        rows = arange(1, self.dim, dtype=self.concentration.dtype)
        return self.concentration.unsqueeze(-1) + (self.dim - 1 - rows) / 2, rows

    def sample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))  # (..., d, d)
        dtype = self.concentration.dtype
        with no_grad():
            betas, rows = self._row_betas()
            # torch draws a y for row 0 too (with row 1's first parameter and eta + (d - 2) / 2), then
            # discards it: drawing the same d values keeps the draws aligned with torch's stream. (From
            # row 2 on torch's first parameter is i - 1/2, not the onion method's i / 2, and its rows
            # miss the LKJ marginals; those rows keep i / 2.)
            firsts = F.pad(rows / 2, [1, 0], value=0.5)
            seconds = cat([betas[..., :1], betas], -1)  # row 0 repeats row 1's eta + (d - 2) / 2
            batch = shape[:-2] + (self.dim,)
            # kept below 1, where the diagonal entry sqrt(1 - y) would vanish and L leave the support
            y = Beta(firsts.expand(batch), seconds.expand(batch)).sample().clamp(max=1 - float(_finfo(dtype).eps))
            y = F.pad(y[..., 1:], [1, 0])  # row 0 is (1, 0, ..., 0): nothing below its diagonal
            # a direction uniform on each row's sphere: normalised Gaussian entries left of the diagonal
            gauss = _standard_normal(shape, dtype=dtype).tril(-1)
            norms = linalg.vector_norm(gauss, dim=-1, keepdim=True).clamp(min=float(_finfo(dtype).tiny))
            below = y.unsqueeze(-1).sqrt() * gauss / norms
            return below + (1 - y).sqrt().diag_embed()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        d = self.dim
        betas, rows = self._row_betas()
        eta = self.concentration.unsqueeze(-1)
        diag = value.diagonal(dim1=-2, dim2=-1)[..., 1:]
        unnormalised = ((d - rows + 2 * eta - 3) * diag.log()).sum(-1)
        per_row = (eta + (d - 1) / 2).lgamma() - betas.lgamma()
        log_norm = per_row.sum(-1) - (d * (d - 1) / 4) * math.log(math.pi)
        return unnormalised + log_norm
