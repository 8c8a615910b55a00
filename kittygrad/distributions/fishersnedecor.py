"""The Fisher-Snedecor (F) distribution."""
from __future__ import annotations

import math

from ..autograd import no_grad
from ..ops.comparison import where
from ..size import Size
from . import constraints
from ._location_scale import _adopt, _expanded
from .distribution import Distribution
from .gamma import Gamma
from .utils import _finfo

__all__ = ["FisherSnedecor"]


class FisherSnedecor(Distribution):
    """The ratio (X1 / df1) / (X2 / df2) of two chi-squared variables; samples are reparameterised.

    >>> import kittygrad as kitty
    >>> kitty.distributions.FisherSnedecor(4., 6.).mean
    tensor(1.5000)
    """

    arg_constraints = dict.fromkeys(("df1", "df2"), constraints.positive)
    support = constraints.positive  # a ratio of two positive chi-squares
    has_rsample = True

    def __init__(self, df1, df2, validate_args: bool | None = None) -> None:
        batch_shape = _adopt(self, df1=df1, df2=df2)
        # Gamma(d / 2, rate=d) is chi2(d) / (2 d): the factor 2 cancels in the ratio rsample takes
        self._gamma1, self._gamma2 = (Gamma(0.5 * d, d) for d in (self.df1, self.df2))
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _expanded(self, FisherSnedecor, batch_shape, _instance, ("df1", "df2", "_gamma1", "_gamma2"))

    @property
    def mean(self):
        df2 = where(self.df2 <= 2, math.nan, self.df2)  # nan (and a nan gradient) without a mean, as torch
        return df2 / (df2 - 2)

    @property
    def mode(self):
        d1, d2 = self.df1, self.df2
        peak = (d1 - 2) / d1 * d2 / (d2 + 2)
        return where(d1 <= 2, math.nan, peak)  # no interior maximum for d1 <= 2

    @property
    def variance(self):
        d1, d2 = self.df1, where(self.df2 <= 4, math.nan, self.df2)
        return 2 * d2.pow(2) * (d1 + d2 - 2) / (d1 * (d2 - 2).pow(2) * (d2 - 4))

    def rsample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        tiny = float(_finfo(self.df1.dtype).tiny)
        x1 = self._gamma1.rsample(sample_shape).view(shape)
        x2 = self._gamma2.rsample(sample_shape).view(shape)
        with no_grad():
            x2.clamp_(min=tiny)
        y = x1 / x2
        with no_grad():
            y.clamp_(min=tiny)
        return y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        h1, h2 = self.df1 * 0.5, self.df2 * 0.5
        ratio = self.df1 / self.df2
        t1 = (h1 + h2).lgamma() - h1.lgamma() - h2.lgamma()
        t2 = h1 * ratio.log() + (h1 - 1) * value.log()
        t3 = (h1 + h2) * (ratio * value).log1p()
        return t1 + t2 - t3
