"""The chi-squared distribution: Gamma(df / 2, 1 / 2)."""
from __future__ import annotations

from ..size import Size
from . import constraints
from .gamma import Gamma

__all__ = ["Chi2"]


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` degrees of freedom.

    >>> import kittygrad as kitty
    >>> kitty.distributions.Chi2(4.).mean
    tensor(4.)
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args: bool | None = None) -> None:
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(Size(batch_shape), self._fresh_instance(Chi2, _instance))

    @property
    def df(self):
        return self.concentration * 2
