"""InstanceNorm1d, InstanceNorm2d and InstanceNorm3d: each channel of each sample normalised on its own."""
from __future__ import annotations

import warnings

from ...tensor import Tensor
from .. import functional as F
from .batchnorm import _ChannelNorm

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_ChannelNorm):
    _spatial: int  # how many dims after the channel one

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False, track_running_stats: bool = False, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        unbatched_rank = self._spatial + 1
        if input.ndim not in (unbatched_rank, unbatched_rank + 1):
            raise ValueError(f"expected {unbatched_rank}D or {unbatched_rank + 1}D input (got {input.ndim}D input)")
        unbatched = input.ndim == unbatched_rank
        feature_dim = 0 if unbatched else 1
        if input.shape[feature_dim] != self.num_features:
            # the weight needs the count; without affine it is unused, so torch only warns
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False",
                          stacklevel=2)
        x = input.unsqueeze(0) if unbatched else input
        # momentum=None keeps the running stats as they are (torch passes 0.0 here): instance norm
        # has no cumulative average, unlike batch norm
        out = F.instance_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias,
            self.training or not self.track_running_stats, 0.0 if self.momentum is None else self.momentum, self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Normalise each channel of each sample of ``(N, C, L)`` over L.

    >>> import kittygrad as kitty
    >>> kitty.nn.InstanceNorm1d(3)(kitty.randn(2, 3, 5)).shape
    kittygrad.Size([2, 3, 5])
    """

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Normalise each channel of each sample of ``(N, C, H, W)`` over H and W.

    >>> import kittygrad as kitty
    >>> kitty.nn.InstanceNorm2d(3)(kitty.randn(2, 3, 4, 4)).shape
    kittygrad.Size([2, 3, 4, 4])
    """

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Normalise each channel of each sample of ``(N, C, D, H, W)`` over D, H and W.

    >>> import kittygrad as kitty
    >>> kitty.nn.InstanceNorm3d(3)(kitty.randn(2, 3, 2, 3, 4)).shape
    kittygrad.Size([2, 3, 2, 3, 4])
    """

    _spatial = 3
