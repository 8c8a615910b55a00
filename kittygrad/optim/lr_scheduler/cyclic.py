"""Cyclic schedules: cosine annealing with warm restarts, one-cycle, and ``CyclicLR``."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ...errors import KittyValueError
from ..optimizer import Optimizer
from .base import LRScheduler, _callable_state, _expect_optimizer, _Flag, _per_group, _set_momentum, _write_lr


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing restarted every ``T_i`` epochs (``T_0``, then times ``T_mult``).

    ``step(epoch)`` takes fractional epochs (e.g. ``epoch + batch / batches``) without warning.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> s = kitty.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
    >>> opt.step(); s.step(); s.step(); s.get_last_lr()
    [1.0]
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1) -> None:  # noqa: N803
        if not isinstance(T_0, int) or T_0 <= 0:
            raise KittyValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise KittyValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (int, float)):
            raise KittyValueError(f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_direct_call()
        h, low = 1 + math.cos(math.pi * self.T_cur / self.T_i), self.eta_min
        return [low + (base - low) * h / 2 for base in self.base_lrs]

    def _position_at(self, epoch: float) -> tuple[int, float, int]:
        """``(last_epoch, T_cur, T_i)`` at a (possibly fractional) ``epoch``: the whole epochs it
        holds, then where it falls in its cycle, whole cycles walked off (exact, also on boundaries)."""
        whole = math.floor(epoch)
        if self.T_mult == 1:
            return whole, epoch % self.T_0, self.T_0
        into, length = epoch, self.T_0
        while into >= length:
            into -= length
            length *= self.T_mult
        return whole, into, length

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to a (possibly fractional) ``epoch``.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = kitty.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
        >>> s.step(0.5); s.T_cur, s.last_epoch
        (0.5, 0)
        """
        if epoch is None and self.last_epoch >= 0:
            self.last_epoch += 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:  # a restart
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            epoch = 0 if epoch is None else epoch
            if epoch < 0:
                raise KittyValueError(f"Expected non-negative epoch, but got {epoch}")
            self.last_epoch, self.T_cur, self.T_i = self._position_at(epoch)
        with _Flag(self, "_get_lr_called_within_step"):
            lrs = self.get_lr()
        self._write_lrs(lrs)


class OneCycleLR(LRScheduler):
    """The 1cycle policy: warm up to ``max_lr``, then anneal far below the start (per batch);
    momentum (or Adam's beta1) cycles the other way when ``cycle_momentum``.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    >>> s = kitty.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    >>> [round(lr, 6) for lr in s.get_last_lr()]
    [0.04]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        # the cycle's length: total_steps, or epochs * steps_per_epoch
        total_steps: int | None = None, epochs: int | None = None, steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True, base_momentum: float | list[float] = 0.85, max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        _expect_optimizer(optimizer)
        self.optimizer = optimizer
        self.total_steps = self._count_steps(total_steps, epochs, steps_per_epoch)
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise KittyValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise KittyValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        # the phases by their last step, the lrs and momenta at their ends named by the group
        # entries holding them (momentum runs opposite to the lr), laid out as torch's are, so
        # state dicts read the same
        warm_end = float(pct_start * self.total_steps) - 1
        if three_phase:
            ends = [(warm_end, "initial_lr", "max_lr"),
                    (float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr"),
                    (self.total_steps - 1, "initial_lr", "min_lr")]
        else:
            ends = [(warm_end, "initial_lr", "max_lr"), (self.total_steps - 1, "max_lr", "min_lr")]
        self._schedule_phases = [
            {"end_step": end, "start_lr": lr_from, "end_lr": lr_to,
             "start_momentum": self._momentum_key(lr_from), "end_momentum": self._momentum_key(lr_to)}
            for end, lr_from, lr_to in ends
        ]
        self._anneal_func_type = anneal_strategy
        peaks = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:  # a fresh start: the groups carry the cycle's three rates
            for group, peak in zip(optimizer.param_groups, peaks):
                start = peak / div_factor
                group.update(initial_lr=start, max_lr=peak, min_lr=start / final_div_factor)
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, _, _ = _start_momentum(optimizer, max_momentum, base_momentum, last_epoch == -1)
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _count_steps(total_steps, epochs, steps_per_epoch) -> int:
        if total_steps is None and (epochs is None or steps_per_epoch is None):
            raise KittyValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        given = {"total_steps": total_steps} if total_steps is not None else {
            "epochs": epochs, "steps_per_epoch": steps_per_epoch}
        for name, value in given.items():
            if not isinstance(value, int) or value <= 0:
                raise KittyValueError(f"Expected positive integer {name}, but got {value}")
        return math.prod(given.values())

    @staticmethod
    def _momentum_key(lr_key: str) -> str:
        # momentum is lowest where the lr peaks and highest everywhere else
        return "base_momentum" if lr_key == "max_lr" else "max_momentum"

    def _blend(self, start: float, end: float, frac: float) -> float:
        """From ``start`` (``frac`` 0) to ``end`` (``frac`` 1), along a half cosine or a line."""
        if self._anneal_func_type == "linear":
            return start + (end - start) * frac
        return end + (start - end) * (1 + math.cos(math.pi * frac)) / 2

    def get_lr(self) -> list:
        self._warn_direct_call()
        step = self.last_epoch
        if step > self.total_steps:
            raise KittyValueError(f"Tried to step {step} times. The specified number of total steps is {self.total_steps}")
        # the phase holding this step (the last one takes any overshoot), and where it began
        phases = self._schedule_phases
        i = next((k for k, phase in enumerate(phases) if step <= phase["end_step"]), len(phases) - 1)
        begin = phases[i - 1]["end_step"] if i else 0.0
        phase = phases[i]
        frac = (step - begin) / (phase["end_step"] - begin)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._blend(group[phase["start_lr"]], group[phase["end_lr"]], frac))
            if self.cycle_momentum:
                m_from, m_to = group[phase["start_momentum"]], group[phase["end_momentum"]]
                _set_momentum(group, self._blend(m_from, m_to, frac), self.use_beta1)
        return lrs


def _start_momentum(optimizer: Optimizer, max_momentum, base_momentum, fresh: bool) -> tuple[bool, list, list]:
    """Set up cycled momentum; returns where it lives (True: ``betas[0]``, False: ``momentum``)
    and its per-group maxima and minima. On a ``fresh`` start the groups record both bounds and
    momentum starts at its maximum."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise KittyValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
    in_betas = "betas" in optimizer.defaults
    highs = _per_group("max_momentum", optimizer, max_momentum)
    lows = _per_group("base_momentum", optimizer, base_momentum)
    if fresh:
        for group, high, low in zip(optimizer.param_groups, highs, lows):
            _set_momentum(group, high, in_betas)
            group.update(max_momentum=high, base_momentum=low)
    return in_betas, highs, lows


class CyclicLR(LRScheduler):
    """Cycle the learning rate between ``base_lr`` and ``max_lr`` (per batch), with an amplitude
    kept (``triangular``), halved every cycle (``triangular2``) or decayed by ``gamma**iteration``
    (``exp_range``), or given by ``scale_fn``; momentum cycles the other way.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    >>> s = kitty.optim.lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2)
    >>> opt.step(); s.step(); opt.step(); s.step(); s.get_last_lr()
    [1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000, step_size_down: int | None = None,
        # the amplitude's scale: a built-in mode (with gamma for exp_range), or a function of scale_mode
        mode: str = "triangular", gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None, scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float = 0.8,
        max_momentum: float = 0.9,
        last_epoch: int = -1,
    ) -> None:
        _expect_optimizer(optimizer)
        self.optimizer = optimizer
        lows = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for group, low in zip(optimizer.param_groups, lows):
                _write_lr(group, low)
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = up if step_size_down is None else float(step_size_down)
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise KittyValueError("mode is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        # the built-in modes fix what their scale is a function of
        self.scale_mode = scale_mode if scale_fn is not None else ("iterations" if mode == "exp_range" else "cycle")
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, m_highs, m_lows = _start_momentum(optimizer, max_momentum, base_momentum, last_epoch == -1)
            self.base_momentums, self.max_momentums = m_lows, m_highs  # torch's order in state dicts
        super().__init__(optimizer, last_epoch)
        self.base_lrs = lows

    def scale_fn(self, x: float) -> float:
        """The amplitude's scale at cycle (or iteration) ``x``.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> kitty.optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0, mode="triangular2").scale_fn(3)
        0.25
        """
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        if self.mode == "exp_range":
            return self.gamma**x
        return 1.0

    def get_lr(self) -> list:
        self._warn_direct_call()
        e = self.last_epoch
        cycle = math.floor(1 + e / self.total_size)
        into = e / self.total_size - (cycle - 1)  # how far into the current cycle, in [0, 1)
        if into <= self.step_ratio:
            height = into / self.step_ratio
        else:
            height = (1 - into) / (1 - self.step_ratio)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else e)
        lrs = [low + (high - low) * height * scale for low, high in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            pairs = zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums)
            for group, low, high in pairs:
                _set_momentum(group, high - (high - low) * height * scale, self.use_beta1)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer; a ``scale_fn`` object's attributes (``None`` for
        plain functions)."""
        out = super().state_dict()
        out.pop("_scale_fn_custom")  # re-added last, where torch's state dict has it
        out["_scale_fn_custom"] = None if self._scale_fn_custom is None else _callable_state(self._scale_fn_custom)
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes, and those of a ``scale_fn`` object."""
        state = dict(state_dict)
        attrs = state.pop("_scale_fn_custom")
        super().load_state_dict(state)
        if attrs is not None:
            vars(self._scale_fn_custom).update(attrs)
