"""Schedulers made of schedulers: ``SequentialLR`` hands over, ``ChainedScheduler`` composes."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import KittyTypeError, KittyValueError
from ..optimizer import Optimizer
from .base import LRScheduler, _group_values, _write_lr
from .plateau import ReduceLROnPlateau


def _check_members(owner: str, optimizer: Optimizer, schedulers: Sequence) -> None:
    for i, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise KittyTypeError(f"{owner} at index {i} should have `optimizer` as its attribute.")
        if isinstance(s, ReduceLROnPlateau):
            raise KittyValueError(
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires additional "
                f"kwargs to be specified when calling `step`, but got one at index {i} in the given "
                "schedulers sequence."
            )
        if s.optimizer is not optimizer:
            raise KittyValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got scheduler "
                f"{type(s).__name__} at index {i} has {s.optimizer}, which is different from "
                f"{type(optimizer).__name__}."
            )


class _Composite(LRScheduler):
    """A scheduler driving member schedulers; its state dict nests theirs."""

    _schedulers: list

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, the members' own state dicts in a list."""
        out = {k: v for k, v in vars(self).items() if k not in ("optimizer", "_schedulers")}
        out["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes and each member's state."""
        state = dict(state_dict)
        members = state.pop("_schedulers")
        vars(self).update(state)
        for s, saved in zip(self._schedulers, members):
            s.load_state_dict(saved)


class SequentialLR(_Composite):
    """Run ``schedulers`` one after another, switching at the ``milestones`` epochs.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> S = kitty.optim.lr_scheduler
    >>> warm = S.LinearLR(opt, start_factor=0.5, total_iters=2); decay = S.ExponentialLR(opt, 0.9)
    >>> s = S.SequentialLR(opt, [warm, decay], milestones=[2]); s.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, schedulers: list, milestones: list[int], last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not schedulers:
            raise KittyValueError(f"{name} expects at least one scheduler, but got no scheduler.")
        _check_members(name, optimizer, schedulers)
        if len(schedulers) != len(milestones) + 1:
            raise KittyValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more than the "
                f"number of milestone points, but got number of schedulers {len(schedulers)} and the "
                f"number of milestones to be equal to {len(milestones)}"
            )
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.optimizer = optimizer
        self.last_epoch = last_epoch
        # the members' constructors each took a step: start over from the initial lrs, with only
        # the member in charge of epoch 0 stepped
        for group in optimizer.param_groups:
            _write_lr(group, group["initial_lr"])
        self.recursive_undo()
        first = self._member_at(0)
        first._first_step()
        self._last_lr = first.get_last_lr()
        self.last_epoch += 1  # the step every scheduler's constructor takes, this one's included

    def _member_at(self, epoch: int) -> LRScheduler:
        return self._schedulers[sum(m <= epoch for m in self._milestones)]

    def recursive_undo(self, sched=None) -> None:
        """Step back the epoch of every scheduler under ``sched`` (default: this one's members)."""
        target = self if sched is None else sched
        if isinstance(target, _Composite):
            for s in target._schedulers:
                self.recursive_undo(s)
        elif hasattr(target, "last_epoch"):
            target.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Step the scheduler in charge of the new epoch (a newly started one begins at its epoch 0).

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
        >>> S = kitty.optim.lr_scheduler
        >>> s = S.SequentialLR(opt, [S.ConstantLR(opt, 0.1, 5), S.ExponentialLR(opt, 0.5)], milestones=[1])
        >>> opt.step(); s.step(); s.get_last_lr()
        [1.0]
        """
        self.last_epoch += 1
        member = self._member_at(self.last_epoch)
        if self.last_epoch in self._milestones:
            member._move(0)
        else:
            member.step()
        self._last_lr = member.get_last_lr()


class ChainedScheduler(_Composite):
    """Step several schedulers together, each multiplying in its change.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> S = kitty.optim.lr_scheduler
    >>> s = S.ChainedScheduler([S.ConstantLR(opt, 0.5, 2), S.ExponentialLR(opt, 0.5)])
    >>> s.get_last_lr()
    [0.5]
    """

    def __init__(self, schedulers: Sequence, optimizer: Optimizer | None = None) -> None:
        name = type(self).__name__
        if not schedulers:
            raise KittyValueError(f"{name} expects at least one scheduler to be chained, but got no scheduler.")
        if optimizer is None:
            optimizer = schedulers[0].optimizer
        _check_members(name, optimizer, schedulers)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")

    def step(self) -> None:  # type: ignore[override]
        """Step every member, in order.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
        >>> S = kitty.optim.lr_scheduler
        >>> s = S.ChainedScheduler([S.ExponentialLR(opt, 0.5), S.ExponentialLR(opt, 0.5)])
        >>> opt.step(); s.step(); s.get_last_lr()
        [0.25]
        """
        for s in self._schedulers:
            s.step()
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")


# ---- driven by a metric -----------------------------------------------------------------------
