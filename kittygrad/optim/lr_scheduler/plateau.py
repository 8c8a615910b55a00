"""``ReduceLROnPlateau``: lower the rate when a watched metric stops improving."""
from __future__ import annotations

import math
import warnings
from typing import Any

from ...errors import KittyRuntimeError, KittyValueError
from ..optimizer import Optimizer
from .base import _EPOCH_DEPRECATION, LRScheduler, _expect_optimizer, _group_values, _write_lr


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` once the metric passed to ``step(metric)`` has
    not improved for ``patience`` epochs.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = kitty.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [1.0, 1.0, 1.0]:
    ...     s.step(loss)
    >>> s.get_last_lr()
    [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4, threshold_mode: str = "rel",  # what counts as an improvement
        cooldown: int = 0, min_lr: list[float] | float = 0, eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise KittyValueError("Factor should be < 1.0.")
        self.factor = factor
        _expect_optimizer(optimizer)
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        per_group = isinstance(min_lr, (list, tuple))
        if per_group and len(min_lr) != n:
            raise KittyValueError(f"expected {n} min_lrs, got {len(min_lr)}")
        # the scalar is kept to re-spread it should groups be added later
        self.default_min_lr = None if per_group else min_lr
        self.min_lrs = list(min_lr) if per_group else [min_lr] * n
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _group_values(optimizer, "lr")
        self._set_criterion(mode, threshold, threshold_mode)
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _set_criterion(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise KittyValueError("mode " + mode + " is unknown!")
        if threshold_mode not in ("rel", "abs"):
            raise KittyValueError("threshold mode " + threshold_mode + " is unknown!")
        self.mode_worse = math.inf if mode == "min" else -math.inf  # first: torch's state dict order
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode

    def _improves(self, value: float) -> bool:
        """Whether ``value`` beats ``best`` by more than the threshold (relative or absolute)."""
        lower = self.mode == "min"
        sign = -1.0 if lower else 1.0
        if self.threshold_mode == "rel":
            bar = self.best * (1.0 + sign * self.threshold)
        else:
            bar = self.best + sign * self.threshold
        return value < bar if lower else value > bar

    @property
    def in_cooldown(self) -> bool:
        """Whether the scheduler still waits after its last reduction.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
        >>> kitty.optim.lr_scheduler.ReduceLROnPlateau(opt).in_cooldown
        False
        """
        return self.cooldown_counter > 0

    def step(self, metrics, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record the epoch's metric and reduce the learning rates if it has plateaued.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = kitty.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
        >>> s.step(1.0); s.step(2.0); s.get_last_lr()
        [0.1]
        """
        value = float(metrics)
        if epoch is not None:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self._improves(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:  # bad epochs during the cooldown do not count
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        patience_left = self.patience - self.num_bad_epochs
        if patience_left < 0:
            self._lower_lrs()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = _group_values(self.optimizer, "lr")

    def _lower_lrs(self) -> None:
        groups = self.optimizer.param_groups
        if len(self.min_lrs) != len(groups):  # groups were added since: re-spread a scalar min_lr
            if self.default_min_lr is not None:
                self.min_lrs = [self.default_min_lr] * len(groups)
            else:
                raise KittyRuntimeError(
                    f"The number of param groups in the `optimizer` ({len(groups)}) differs from when "
                    f"`ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due to a new "
                    "param group being added to the optimizer. Please modify the `min_lrs` field to "
                    "match the length of the `optimizer` param groups."
                )
        for group, floor in zip(groups, self.min_lrs):
            now = float(group["lr"])
            lowered = max(now * self.factor, floor)
            if now - lowered > self.eps:  # changes smaller than eps are not worth making
                _write_lr(group, lowered)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes (and re-check the comparison mode).

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = kitty.optim.lr_scheduler.ReduceLROnPlateau(opt); s.load_state_dict({"mode": "max"}); s.mode_worse
        -inf
        """
        vars(self).update(state_dict)
        self._set_criterion(self.mode, self.threshold, self.threshold_mode)


# ---- absolute schedules: the lr at an epoch from the base lrs ---------------------------------
