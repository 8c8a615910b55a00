"""Schedules that decay the rate by a rule: lambda, multiplicative, step, multi-step, constant, linear,
exponential, polynomial and cosine annealing."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from ...errors import KittyTypeError, KittyValueError
from ..optimizer import Optimizer
from .base import LRScheduler, _callable_state, _spread


class _LambdaSchedule(LRScheduler):
    """Shared by LambdaLR and MultiplicativeLR: one callable of the epoch per group, saved in
    state dicts only when it is a callable object (its attributes)."""

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int) -> None:
        self.optimizer = optimizer
        self.lr_lambdas = _spread(optimizer, lr_lambda, "Expected {groups} lr_lambdas, but got {given}")
        self._check_lambdas()
        super().__init__(optimizer, last_epoch)

    def _check_lambdas(self) -> None:
        """Refuse unusable lambdas before the constructor's step would call them."""

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer; for each lambda, a callable object's attributes
        (``None`` for plain functions)."""
        out = super().state_dict()
        out.pop("lr_lambdas")  # re-added last, where torch's state dict has it
        out["lr_lambdas"] = [_callable_state(fn) for fn in self.lr_lambdas]
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes, and those of the callable objects among the lambdas."""
        state = dict(state_dict)
        saved = state.pop("lr_lambdas")
        super().load_state_dict(state)
        for fn, attrs in zip(self.lr_lambdas, saved):
            if attrs is not None:
                vars(fn).update(attrs)


class LambdaLR(_LambdaSchedule):
    """``lr = base_lr * lr_lambda(epoch)``.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = kitty.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.5 ** e)
    >>> opt.step(); s.step(); s.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list, last_epoch: int = -1) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch)

    def get_lr(self) -> list:
        self._warn_direct_call()
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]


class MultiplicativeLR(_LambdaSchedule):
    """``lr *= lr_lambda(epoch)`` at every step after the first.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = kitty.optim.lr_scheduler.MultiplicativeLR(opt, lambda e: 0.5)
    >>> opt.step(); s.step(); s.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list, last_epoch: int = -1) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch)

    def _check_lambdas(self) -> None:
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise KittyTypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")

    def get_lr(self) -> list:
        self._warn_direct_call()
        if self._is_initial:
            return self._scaled(None)
        groups = self.optimizer.param_groups
        return [group["lr"] * fn(self.last_epoch) for group, fn in zip(groups, self.lr_lambdas)]


# ---- chainable schedules: the ratio between consecutive epochs -------------------------------
class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = kitty.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.1)
    >>> opt.step(); s.step(); s.get_last_lr()
    [0.1]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_direct_call()
        e = self.last_epoch
        return self._scaled(self.gamma if e > 0 and e % self.step_size == 0 else None)

    def _closed_form(self) -> list:
        drops = self.last_epoch // self.step_size
        return [base * self.gamma**drops for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone epoch (twice if listed twice).

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = kitty.optim.lr_scheduler.MultiStepLR(opt, milestones=[1], gamma=0.5)
    >>> opt.step(); s.step(); s.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.milestones = Counter(milestones)  # a Counter, as torch's state dicts hold it
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_direct_call()
        hits = self.milestones[self.last_epoch]  # 0 off the milestones (a Counter adds no key)
        return self._scaled(self.gamma**hits if hits else None)

    def _closed_form(self) -> list:
        passed = sum(n for epoch, n in self.milestones.items() if epoch <= self.last_epoch)
        return [base * self.gamma**passed for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """Scale the learning rate by ``factor`` until epoch ``total_iters``.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> kitty.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2).get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1) -> None:
        if factor < 0 or factor > 1.0:
            raise KittyValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_direct_call()
        e = self.last_epoch
        if e == 0:
            return self._scaled(self.factor)
        return self._scaled(1.0 / self.factor if e == self.total_iters else None)

    def _closed_form(self) -> list:
        f = 1.0 if self.last_epoch >= self.total_iters else self.factor
        return [base * f for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor`` over ``total_iters``.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = kitty.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> opt.step(); s.step(); s.get_last_lr()
    [0.75]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3, end_factor: float = 1.0,  # the multipliers at the ends of the ramp
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor <= 0 or start_factor > 1.0:
            raise KittyValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or equal to 1."
            )
        if end_factor < 0 or end_factor > 1.0:
            raise KittyValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def _scale_at(self, e: int) -> float:
        done = min(e, self.total_iters) / self.total_iters
        return self.start_factor + (self.end_factor - self.start_factor) * done

    def get_lr(self) -> list:
        self._warn_direct_call()
        e = self.last_epoch
        if e == 0:
            return self._scaled(self.start_factor)
        if self._is_initial or e > self.total_iters:
            return self._scaled(None)
        return self._scaled(self._scale_at(e) / self._scale_at(e - 1))

    def _closed_form(self) -> list:
        f = self._scale_at(self.last_epoch)
        return [base * f for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = kitty.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    >>> opt.step(); s.step(); s.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_direct_call()
        return self._scaled(None if self._is_initial else self.gamma)

    def _closed_form(self) -> list:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the learning rate as ``(1 - epoch / total_iters) ** power``.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = kitty.optim.lr_scheduler.PolynomialLR(opt, total_iters=4)
    >>> opt.step(); s.step(); s.get_last_lr()
    [0.75]
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1) -> None:
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def _scale_at(self, e: int) -> float:
        return (1.0 - min(e, self.total_iters) / self.total_iters) ** self.power

    def get_lr(self) -> list:
        self._warn_direct_call()
        e = self.last_epoch
        if self._is_initial or e > self.total_iters:
            return self._scaled(None)
        return self._scaled(self._scale_at(e) / self._scale_at(e - 1))

    def _closed_form(self) -> list:
        f = self._scale_at(self.last_epoch)
        return [base * f for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the base learning rate to ``eta_min`` over ``T_max`` epochs (then
    back up, periodically), in the chainable form so it composes with other schedulers.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = kitty.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2)
    >>> opt.step(); s.step(); round(s.get_last_lr()[0], 6)
    0.5
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:  # noqa: N803
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def _cosine_level(self, e: float) -> float:
        """``1 + cos(pi e / T_max)``: twice the fraction of ``base - eta_min`` left at epoch ``e``."""
        return 1 + math.cos(math.pi * e / self.T_max)

    def _closed_form(self) -> list:
        h, low = self._cosine_level(self.last_epoch), self.eta_min
        return [low + (base - low) * h / 2 for base in self.base_lrs]

    def get_lr(self) -> list:
        self._warn_direct_call()
        e, period, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._scaled(None)
        if self._step_count == 1 and e > 0:  # asked right after resuming: no previous lr to scale
            return self._closed_form()
        groups = self.optimizer.param_groups
        if (e - 1) % (2 * period) == period:
            # the previous epoch sat at the bottom, where the ratio below is 0/0: climb by the
            # first step's height instead
            rise = (1 - math.cos(math.pi / period)) / 2
            return [group["lr"] + (base - low) * rise for group, base in zip(groups, self.base_lrs)]
        ratio = self._cosine_level(e) / self._cosine_level(e - 1)
        return [low + (group["lr"] - low) * ratio for group in groups]


# ---- schedulers made of schedulers --------------------------------------------------------------
