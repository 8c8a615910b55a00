"""Dropout, Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout: one base, each naming its functional op."""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _Dropout(Module):
    """Zeroes with probability ``p`` while training (scaling the rest by ``1/(1-p)``); the identity in eval mode."""

    _kernel = staticmethod(F.dropout)

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        # the mode is read at call time: train() and eval() switch it
        return self._kernel(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_Dropout):
    """In training, zero each element with probability ``p`` and scale the rest by ``1/(1-p)``;
    the identity in eval mode.

    >>> import kittygrad as kitty
    >>> kitty.nn.Dropout(0.5).eval()(kitty.ones(3))
    tensor([1., 1., 1.])
    """


class Dropout1d(_Dropout):
    """Zero whole channels of ``(N, C, L)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Dropout1d(0.5).eval()(kitty.ones(1, 2, 3)).shape
    kittygrad.Size([1, 2, 3])
    """

    _kernel = staticmethod(F.dropout1d)


class Dropout2d(_Dropout):
    """Zero whole channels of ``(N, C, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Dropout2d()(kitty.ones(2, 3, 4, 4)).shape
    kittygrad.Size([2, 3, 4, 4])
    """

    _kernel = staticmethod(F.dropout2d)


class Dropout3d(_Dropout):
    """Zero whole channels of ``(N, C, D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Dropout3d(0.5).eval()(kitty.ones(1, 2, 2, 2, 2)).shape
    kittygrad.Size([1, 2, 2, 2, 2])
    """

    _kernel = staticmethod(F.dropout3d)


class AlphaDropout(_Dropout):
    """Dropout for SELU networks: keeps the self-normalising mean and variance (training only).

    >>> import kittygrad as kitty
    >>> kitty.nn.AlphaDropout(0.2).eval()(kitty.ones(3))
    tensor([1., 1., 1.])
    """

    _kernel = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_Dropout):
    """``AlphaDropout`` of whole channels.

    >>> import kittygrad as kitty
    >>> kitty.nn.FeatureAlphaDropout(0.2).eval()(kitty.ones(1, 2, 3)).shape
    kittygrad.Size([1, 2, 3])
    """

    _kernel = staticmethod(F.feature_alpha_dropout)
