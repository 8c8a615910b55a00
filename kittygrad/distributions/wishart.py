"""The Wishart distribution over positive-definite p x p matrices.

With Sigma = L L^T the scale matrix and nu > p - 1 the degrees of freedom, the density is

    |X|^((nu - p - 1) / 2) exp(-tr(Sigma^-1 X) / 2) / (2^(nu p / 2) |Sigma|^(nu / 2) Gamma_p(nu / 2)),

Gamma_p being the multivariate gamma function. Samples come from the Bartlett decomposition
X = (L A)(L A)^T, A lower triangular with A_ii^2 ~ chi^2(nu - i) (i = 0 .. p-1) and standard
normal entries below the diagonal; the chi^2 draws are reparameterised Gamma draws, so ``rsample``
is differentiable in ``df`` as well as in the scale.
"""

from __future__ import annotations

import math
import warnings
from numbers import Number

from .. import linalg
from ..autograd import no_grad
from ..creation import arange, tensor
from ..errors import KittyValueError
from ..ops.comparison import where
from ..ops.shape import broadcast_shapes
from ..ops.special import mvlgamma
from ..size import Size
from . import constraints
from ._location_scale import _expanded
from .exp_family import ExponentialFamily
from .gamma import _standard_gamma
from .multivariate_normal import _inverse_lower, _precision_to_scale_tril
from .utils import _standard_normal, lazy_property

__all__ = ["Wishart"]

_MATRICES = ("covariance_matrix", "precision_matrix", "scale_tril")
_MATRIX_CONSTRAINTS = {
    "covariance_matrix": constraints.positive_definite,
    "precision_matrix": constraints.positive_definite,
    "scale_tril": constraints.lower_cholesky,
}
_DEFAULT_CORRECTIONS = 3  # re-draws of singular samples when rsample is not told otherwise


def _log_det_from_chol(L):
    """log det(L L^T) for a batch of lower Cholesky factors."""
    return 2 * L.diagonal(dim1=-2, dim2=-1).log().sum(-1)


def _multi_digamma(a, p: int):
    """The multivariate digamma psi_p(a) = sum_i psi(a - i / 2), i = 0 .. p-1 (the derivative of
    ``mvlgamma(a, p)``)."""
    halves = arange(p, dtype=a.dtype) / 2
    return (a.unsqueeze(-1) - halves).digamma().sum(-1)


class Wishart(ExponentialFamily):
    """Wishart(df, Sigma), Sigma given as ``covariance_matrix``, ``precision_matrix`` (its inverse)
    or ``scale_tril`` (its Cholesky factor): exactly one of them.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Wishart(kitty.tensor(3.), kitty.eye(2)).mean
    tensor([[3., 0.],
            [0., 3.]])
    """

    support = _MATRIX_CONSTRAINTS["covariance_matrix"]  # positive definite, as Sigma
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(
        self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args: bool | None = None
    ) -> None:
        given = [
            (name, m) for name, m in zip(_MATRICES, (covariance_matrix, precision_matrix, scale_tril)) if m is not None
        ]
        if len(given) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        ((name, matrix),) = given
        if matrix.dim() < 2:
            raise KittyValueError(f"{name} must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, Number):
            df = tensor(float(df), dtype=matrix.dtype)
        p = matrix.shape[-1]
        batch = Size(broadcast_shapes(tuple(matrix.shape[:-2]), tuple(df.shape)))
        event = Size(matrix.shape[-2:])
        self.df = df.expand(tuple(batch))
        setattr(self, name, matrix.expand(tuple(batch) + tuple(event)))
        self._given = name
        # df <= p - 1 has no density at all, so it is refused whether or not arguments are validated
        if bool((self.df <= p - 1).any()):
            shown = self.df.item() if self.df.numel() == 1 else self.df
            raise KittyValueError(f"Value of df={shown} expected to be greater than ndim - 1 = {p - 1}.")
        if bool((self.df < p).any()):
            warnings.warn(
                "Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < ndim.",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(batch, event, validate_args=validate_args)
        # every quantity is computed from the Cholesky factor of Sigma, at the given (unbroadcast) shape
        if name == "scale_tril":
            self._chol = matrix
        elif name == "covariance_matrix":
            self._chol = linalg.cholesky(matrix)
        else:
            self._chol = _precision_to_scale_tril(matrix)

    @property
    def arg_constraints(self) -> dict:
        p = self._event_shape[-1]
        return {**_MATRIX_CONSTRAINTS, "df": constraints.greater_than(p - 1)}

    def expand(self, batch_shape, _instance=None):
        new = _expanded(self, Wishart, batch_shape, _instance, ("df",), event_shape=self.event_shape)
        matrix_shape = tuple(new.batch_shape) + tuple(self.event_shape)
        for name in (m for m in _MATRICES if m in self.__dict__):  # those given or already computed
            setattr(new, name, self.__dict__[name].expand(matrix_shape))
        new._given, new._chol = self._given, self._chol
        return new

    # ---- the scale matrix, in its three forms

    def _matrix_shape(self) -> tuple:
        return tuple(self._batch_shape) + tuple(self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._chol.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        return (self._chol @ self._chol.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        inv = _inverse_lower(self._chol)
        return (inv.mT @ inv).expand(self._matrix_shape())

    def _df_as_matrix(self):
        return self.df.unsqueeze(-1).unsqueeze(-1)

    # ---- moments

    @property
    def mean(self):
        return self._df_as_matrix() * self.covariance_matrix

    @property
    def mode(self):
        # (nu - p - 1) Sigma where nu > p + 1; otherwise the density has no interior maximum
        p = self._event_shape[-1]
        factor = self._df_as_matrix() - p - 1
        return where(factor > 0, factor * self.covariance_matrix, math.nan)

    @property
    def variance(self):
        # Var(X_ij) = nu (Sigma_ij^2 + Sigma_ii Sigma_jj)
        cov = self.covariance_matrix
        diag = cov.diagonal(dim1=-2, dim2=-1)
        return self._df_as_matrix() * (cov.pow(2) + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    # ---- sampling

    def _bartlett_factor(self, shape):
        """A, the lower-triangular Bartlett factor, for samples of batch ``shape``."""
        p = self._event_shape[-1]
        offsets = arange(p, dtype=self.df.dtype)
        # A_ii^2 ~ chi^2(nu - i) = 2 Gamma((nu - i) / 2)
        halves = (self.df.unsqueeze(-1) - offsets) / 2
        diag = (2 * _standard_gamma(halves.expand(shape + (p,)))).sqrt()
        below = _standard_normal(shape + (p, p), dtype=self.df.dtype).tril(-1)
        return below + diag.diag_embed()

    def _draw(self, shape):
        LA = self._chol @ self._bartlett_factor(shape)
        return LA @ LA.mT

    def rsample(self, sample_shape=Size(), max_try_correction=None):
        """Samples by the Bartlett decomposition. Rounding can make a draw singular (likely when
        ``df`` < p); such draws are redrawn up to ``max_try_correction`` times (3 by default), and a
        warning says if some remain singular.

        >>> import kittygrad as kitty
        >>> kitty.distributions.Wishart(kitty.tensor(4.), kitty.eye(2)).rsample((5,)).shape
        kittygrad.Size([5, 2, 2])
        """
        tries = _DEFAULT_CORRECTIONS if max_try_correction is None else max_try_correction
        shape = tuple(self._extended_shape(sample_shape))[:-2]
        sample = self._draw(shape)
        for _ in range(tries):
            with no_grad():
                singular = linalg.cholesky_ex(sample).info != 0
            if not bool(singular.any()):
                break
            sample = where(singular.unsqueeze(-1).unsqueeze(-1), self._draw(shape), sample)
        else:
            with no_grad():
                still = bool((linalg.cholesky_ex(sample).info != 0).any())
            if still and tries:
                warnings.warn("Singular sample detected.", UserWarning, stacklevel=2)
        return sample

    # ---- densities

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        value_chol = linalg.cholesky(value)
        L = self._chol
        batch = broadcast_shapes(tuple(L.shape[:-2]), tuple(value_chol.shape[:-2]))
        full = tuple(batch) + (p, p)
        # tr(Sigma^-1 X) = ||L^-1 L_X||_F^2 for X = L_X L_X^T
        trace = linalg.solve_triangular(L.expand(full), value_chol.expand(full), upper=False).pow(2).sum((-2, -1))
        return (
            0.5 * (nu - p - 1) * _log_det_from_chol(value_chol)
            - 0.5 * trace
            - 0.5 * nu * (p * math.log(2) + _log_det_from_chol(L))
            - mvlgamma(nu / 2, p)
        )

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        half_nu = nu / 2
        return (
            0.5 * (p + 1) * _log_det_from_chol(self._chol)
            + 0.5 * p * (p + 1) * math.log(2)
            + mvlgamma(half_nu, p)
            - 0.5 * (nu - p - 1) * _multi_digamma(half_nu, p)
            + half_nu * p
        )

    # ---- exponential-family view: theta = (-Sigma^-1 / 2, (nu - p - 1) / 2)

    @property
    def _natural_params(self) -> tuple:
        p = self._event_shape[-1]
        return -0.5 * self.precision_matrix, 0.5 * (self.df - p - 1)

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        half_nu = y + 0.5 * (p + 1)
        return -half_nu * linalg.slogdet(-x)[1] + mvlgamma(half_nu, p)
