"""BatchNorm1d, BatchNorm2d and BatchNorm3d, and ``_ChannelNorm``: the per-channel affine and running
statistics that batch and instance norm share."""
from __future__ import annotations

from ... import creation as C
from ... import dtypes as D
from ...tensor import Tensor
from .. import functional as F
from .. import init as nn_init
from .normalization import _AffineNorm

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]

# The running statistics, with the value each starts from (and returns to on reset).
_RUNNING = (("running_mean", 0), ("running_var", 1), ("num_batches_tracked", 0))


class _ChannelNorm(_AffineNorm):
    """Per-channel ``weight``/``bias`` and, with ``track_running_stats``, the running mean and
    variance (plus the count of batches seen) used in eval mode.

    >>> import kittygrad as kitty
    >>> [name for name, _ in kitty.nn.BatchNorm1d(2).named_buffers()]
    ['running_mean', 'running_var', 'num_batches_tracked']
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True, track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self._add_affine((num_features,), affine, bias, dtype)
        if track_running_stats:
            stats = (C.empty(num_features, dtype=dtype), C.empty(num_features, dtype=dtype), C.tensor(0, dtype=D.int64))
        else:
            stats = (None, None, None)
        for (name, _), tensor in zip(_RUNNING, stats):
            self.register_buffer(name, tensor)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            for name, start in _RUNNING:
                nn_init.constant_(self._buffers[name], start)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        super().reset_parameters()

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_ChannelNorm):
    _ndims: tuple[int, ...]  # the input ranks accepted

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in self._ndims:
            want = " or ".join(f"{d}D" for d in self._ndims)
            raise ValueError(f"expected {want} input (got {input.ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        tracked = self.num_batches_tracked
        counting = self.training and self.track_running_stats and tracked is not None
        if counting:
            tracked.add_(1)
        momentum = self.momentum
        if momentum is None:  # a cumulative average: batch n weighs 1/n
            momentum = 1.0 / float(tracked.item()) if counting else 0.0
        # Batch statistics in training, or whenever there are no running ones to read.
        batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        # Running statistics are read in eval mode; in training they are updated only if tracked.
        use_running = self.track_running_stats or not self.training
        mean, var = (self.running_mean, self.running_var) if use_running else (None, None)
        return F.batch_norm(input, mean, var, self.weight, self.bias, batch_stats, momentum, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch norm over ``(N, C)`` or ``(N, C, L)``: batch statistics in training (running ones
    updated with ``momentum``), running statistics in eval mode.

    >>> import kittygrad as kitty
    >>> bn = kitty.nn.BatchNorm1d(3)
    >>> bn(kitty.randn(8, 3)).shape
    kittygrad.Size([8, 3])
    """

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over ``(N, C, H, W)``, per channel.

    >>> import kittygrad as kitty
    >>> kitty.nn.BatchNorm2d(4)(kitty.randn(2, 4, 5, 5)).shape
    kittygrad.Size([2, 4, 5, 5])
    """

    _ndims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm over ``(N, C, D, H, W)``, per channel.

    >>> import kittygrad as kitty
    >>> kitty.nn.BatchNorm3d(2)(kitty.randn(2, 2, 3, 3, 3)).shape
    kittygrad.Size([2, 2, 3, 3, 3])
    """

    _ndims = (5,)
