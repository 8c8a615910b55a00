"""BatchNorm1d, BatchNorm2d and BatchNorm3d, SyncBatchNorm (statistics over every process of a
group), and ``_ChannelNorm``: the per-channel affine and running statistics that batch and instance
norm share."""
from __future__ import annotations

from ... import creation as C
from ... import distributed as dist
from ... import dtypes as D
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...ops import joining as _joining
from ...tensor import Tensor
from .. import functional as F
from .. import init as nn_init
from .normalization import _AffineNorm

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm"]

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

    # version 2 added num_batches_tracked: an older or hand-built state dict (no version) without it
    # loads, keeping the module's own count, as torch does
    _version = 2

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        count_key = prefix + "num_batches_tracked"
        if (local_metadata.get("version") or 0) < 2 and self.track_running_stats and count_key not in state_dict:
            own = self._buffers.get("num_batches_tracked")
            state_dict[count_key] = own if own is not None else C.tensor(0, dtype=D.int64)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

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

    def _count_batch(self) -> tuple[bool, float]:
        """In training with tracked statistics, count this batch: ``(counting, momentum)``, the
        momentum of a cumulative average (batch n weighs 1/n) when ``momentum`` is None."""
        tracked = self.num_batches_tracked
        counting = self.training and self.track_running_stats and tracked is not None
        if counting:
            tracked.add_(1)
        momentum = self.momentum
        if momentum is None:
            momentum = 1.0 / float(tracked.item()) if counting else 0.0
        return counting, momentum

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        _, momentum = self._count_batch()
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


def _per_channel(t: Tensor, like: Tensor) -> Tensor:
    """A (C,) tensor shaped to broadcast over ``like``'s channel dim (dim 1)."""
    return t.reshape((1, -1) + (1,) * (like.ndim - 2))


class _SyncedNorm(Function):
    """Batch norm whose mean and variance are those of the whole group's batch: every rank sends
    its per-channel count, mean and sum of squared deviations (combined exactly, in float64, as
    for parallel variance); backward sums ``g`` and ``g * x_hat`` over the group the same way.
    ``weight``'s and ``bias``'s gradients stay local (DistributedDataParallel averages them)."""

    @staticmethod
    def forward(ctx, input, weight, bias, eps, group, stats):
        dims = [0] + list(range(2, input.ndim))
        count = input.numel() // input.shape[1]
        x64 = input.double()
        local_mean = x64.mean(dims)
        local_m2 = ((x64 - _per_channel(local_mean, input)) ** 2).sum(dims)
        mine = _joining.cat([local_mean, local_m2, C.tensor([float(count)], dtype=D.float64)])
        everyone = [C.empty_like(mine) for _ in range(dist.get_world_size(group))]
        dist.all_gather(everyone, mine, group=group)
        table = _joining.stack(everyone)  # (world, 2C + 1)
        channels = input.shape[1]
        means, m2s, counts = table[:, :channels], table[:, channels:2 * channels], table[:, -1:]
        total = counts.sum()
        mean = (means * counts).sum(0) / total
        m2 = (m2s + counts * (means - mean) ** 2).sum(0)
        var = m2 / total
        invstd = (var + eps).rsqrt()
        xhat = ((x64 - _per_channel(mean, input)) * _per_channel(invstd, input)).to(input.dtype)
        out = xhat
        if weight is not None:
            out = out * _per_channel(weight, input)
        if bias is not None:
            out = out + _per_channel(bias, input)
        stats.extend([mean, var * total / max(float(total) - 1.0, 1.0)])
        ctx.save_for_backward(xhat, weight)
        ctx.invstd, ctx.total, ctx.group = invstd.to(input.dtype), float(total), group
        return out

    @staticmethod
    def backward(ctx, grad_output):
        xhat, weight = ctx.saved_tensors
        dims = [0] + list(range(2, xhat.ndim))
        g = grad_output * _per_channel(weight, xhat) if weight is not None else grad_output
        sums = _joining.cat([g.double().sum(dims), (g.double() * xhat.double()).sum(dims)])
        dist.all_reduce(sums, group=ctx.group)
        channels = xhat.shape[1]
        mean_g = (sums[:channels] / ctx.total).to(g.dtype)
        mean_gx = (sums[channels:] / ctx.total).to(g.dtype)
        grad_input = (g - _per_channel(mean_g, xhat) - xhat * _per_channel(mean_gx, xhat)) * _per_channel(ctx.invstd, xhat)
        grad_weight = (grad_output * xhat).sum(dims) if weight is not None and ctx.needs_input_grad[1] else None
        grad_bias = grad_output.sum(dims) if ctx.needs_input_grad[2] else None
        return grad_input, grad_weight, grad_bias, None, None, None


class SyncBatchNorm(_BatchNorm):
    """Batch norm whose training statistics cover the batches of every process of ``process_group``
    (the default group when None), as ``torch.nn.SyncBatchNorm``: with N processes each holding a
    batch of B, it normalises as BatchNorm would over the N*B samples. In eval mode, or outside a
    process group of several ranks, it is BatchNorm. (torch runs it on GPUs only; here it runs over
    MPI on CPUs.) ``convert_sync_batchnorm`` swaps it in for every BatchNorm of a model.

    >>> import kittygrad as kitty
    >>> model = kitty.nn.Sequential(kitty.nn.Conv2d(1, 2, 3), kitty.nn.BatchNorm2d(2))
    >>> kitty.nn.SyncBatchNorm.convert_sync_batchnorm(model)[1]
    SyncBatchNorm(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        synced = self.training and dist.is_initialized() and dist.get_world_size(self.process_group) > 1
        if not synced:
            return super().forward(input)
        counting, momentum = self._count_batch()  # (in training here)
        stats: list = []
        out = _SyncedNorm.apply(input, self.weight, self.bias, self.eps, self.process_group, stats)
        if counting and self.running_mean is not None:
            mean, unbiased = stats
            with no_grad():
                self.running_mean.mul_(1 - momentum).add_(mean.to(self.running_mean.dtype), alpha=momentum)
                self.running_var.mul_(1 - momentum).add_(unbiased.to(self.running_var.dtype), alpha=momentum)
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm*d (itself or inside it) replaced by a SyncBatchNorm holding
        the same parameters and running statistics.

        >>> import kittygrad as kitty
        >>> type(kitty.nn.SyncBatchNorm.convert_sync_batchnorm(kitty.nn.BatchNorm1d(3))).__name__
        'SyncBatchNorm'
        """
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            if module.affine:
                with no_grad():
                    converted.weight = module.weight
                    converted.bias = module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                setattr(converted, name, getattr(module, name))
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return converted
