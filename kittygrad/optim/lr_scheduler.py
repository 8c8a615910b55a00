"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``.

A scheduler rewrites ``group["lr"]`` of its optimizer's parameter groups at every ``step()``
(and once when it is created, for epoch 0). The values and the public state match torch's:

* most schedules are *chainable*: a step scales whatever rate the group holds now, so several
  schedulers can drive one optimizer (``ChainedScheduler``) and ``SequentialLR`` can hand over
  from one to the next. Such a schedule only states the ratio between consecutive epochs;
* a few are *absolute* (``LambdaLR``, ``OneCycleLR``, ``CyclicLR``, warm restarts): the rate at
  an epoch follows from the base rates alone;
* ``step(epoch)`` (deprecated, as in torch) jumps to ``epoch`` through the schedule's closed
  form where it has one.

>>> import kittygrad as kitty
>>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
>>> sched = kitty.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
>>> for _ in range(4):
...     opt.step(); sched.step()
>>> sched.get_last_lr()
[0.25]
"""
from __future__ import annotations

import math
import types
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..autograd.grad_mode import no_grad
from ..errors import KittyRuntimeError, KittyTypeError, KittyValueError
from ..tensor import Tensor
from .optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
]

_EPOCH_DEPRECATION = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if "
    "epoch is different from None, the closed form is used instead of the new chainable form, "
    "where available."
)


# ---- reading and writing the groups' values ----------------------------------------------------
def _unaliased(value):
    """``value``, or a copy of it when it is a tensor: lists we hand out never alias a group's lr."""
    return value.clone() if isinstance(value, Tensor) else value


def _group_values(optimizer: Optimizer, key: str) -> list:
    return [_unaliased(g[key]) for g in optimizer.param_groups]


def _write_lr(group: dict, value) -> None:
    """Store a new learning rate; a tensor lr is filled in place (the optimizer holds that tensor)."""
    if isinstance(group["lr"], Tensor):
        with no_grad():
            group["lr"].fill_(float(value))
    else:
        group["lr"] = value


def _set_momentum(group: dict, value: float, in_betas: bool) -> None:
    """Cycle momentum: SGD-like optimizers hold it as ``momentum``, Adam-like ones as ``betas[0]``."""
    if in_betas:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def _spread(optimizer: Optimizer, value, mismatch: str) -> list:
    """One value per parameter group: a list/tuple must have one per group, anything else is repeated.

    ``mismatch`` is the error text, formatted with ``groups`` and ``given`` (the two lengths).
    """
    n = len(optimizer.param_groups)
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    if len(values) != n:
        raise KittyValueError(mismatch.format(groups=n, given=len(values)))
    return [_unaliased(v) for v in values]


def _per_group(name: str, optimizer: Optimizer, value) -> list:
    text = "{name} must have the same length as optimizer.param_groups. {name} has {given} values, param_groups has {groups}."
    return _spread(optimizer, value, text.replace("{name}", name))


def _expect_optimizer(obj) -> None:
    if isinstance(obj, Optimizer):
        return
    raise KittyTypeError(f"{type(obj).__name__} is not an Optimizer")


def _callable_state(fn) -> dict | None:
    """What a state dict keeps of a user callable: a callable object's attributes (plain
    functions and lambdas have nothing worth saving, and would not pickle)."""
    return None if isinstance(fn, types.FunctionType) else dict(vars(fn))


class _Flag:
    """``with _Flag(obj, name):`` sets ``obj.<name>`` to True, then drops it back to the class
    default, so the transient flag never shows in ``state_dict()``."""

    def __init__(self, obj, name: str) -> None:
        self.obj, self.name = obj, name

    def __enter__(self) -> None:
        setattr(self.obj, self.name, True)

    def __exit__(self, *exc) -> None:
        vars(self.obj).pop(self.name, None)


# ---- the base class -----------------------------------------------------------------------------
class LRScheduler:
    """Base class of the schedulers: subclasses define :meth:`get_lr`.

    Creating a scheduler records ``initial_lr`` in each parameter group and takes the first
    step (epoch 0). Call ``scheduler.step()`` after ``optimizer.step()``.

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1)
    >>> class Halving(kitty.optim.lr_scheduler.LRScheduler):
    ...     def get_lr(self):
    ...         return [base * 0.5 ** self.last_epoch for base in self.base_lrs]
    >>> s = Halving(opt); opt.step(); s.step(); s.get_last_lr()
    [0.05]
    """

    # True during the constructor's step: a schedule resumed at last_epoch >= 0 keeps the lrs
    # the optimizer holds instead of applying its ratio once more
    _starting: bool = False
    # True while step() asks for the new lrs: built-in get_lr() called at any other time warns
    _in_step: bool = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _expect_optimizer(optimizer)
        self.optimizer = optimizer
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", _unaliased(group["lr"]))
        missing = [i for i, group in enumerate(groups) if "initial_lr" not in group]
        if missing:
            raise KeyError(
                f"param 'initial_lr' is not specified in param_groups[{missing[0]}] when resuming scheduler "
                "with last_epoch >= 0.\nThis typically happens when:\n1. You're trying to resume training "
                "from a checkpoint but haven't properly loaded the optimizer state\n2. You're using "
                "last_epoch >= 0 for a fresh training run (not recommended)"
            )
        self.base_lrs: list = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        self._first_step()

    def _first_step(self) -> None:
        """The constructor's step (``SequentialLR`` replays it on the scheduler it starts with)."""
        self._n_steps = 0
        with _Flag(self, "_starting"):
            self.step()

    # ---- state --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1)
        >>> kitty.optim.lr_scheduler.StepLR(opt, 3).state_dict()["last_epoch"]
        0
        """
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by :meth:`state_dict`.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1)
        >>> s = kitty.optim.lr_scheduler.StepLR(opt, 3); s.load_state_dict({"last_epoch": 7}); s.last_epoch
        7
        """
        vars(self).update(state_dict)

    # ---- learning rates -----------------------------------------------------------------------
    def get_last_lr(self) -> list:
        """The learning rates the last step set, one per parameter group.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1)
        >>> kitty.optim.lr_scheduler.StepLR(opt, 3).get_last_lr()
        [0.1]
        """
        return self._last_lr

    def get_lr(self) -> list:
        """The learning rates of the epoch ``last_epoch`` (called by :meth:`step`)."""
        raise NotImplementedError

    def _warn_direct_call(self) -> None:
        if not self._in_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                UserWarning,
                stacklevel=3,
            )

    def _closed_form(self) -> list | None:
        """The lrs at ``last_epoch`` from the base lrs alone, used by ``step(epoch)``; None where
        the schedule has no closed form (``get_lr`` is used then)."""
        return None

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule by one epoch (or jump to ``epoch``: deprecated, closed form).

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = kitty.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> opt.step(); s.step(); s.last_epoch, s.get_last_lr()
        (1, [0.5])
        """
        # the optimizer marks itself when it steps: a scheduler stepped twice before that skips
        # the schedule's first value, which torch warns about
        if self._n_steps == 1 and not getattr(self.optimizer, "_has_stepped", False):
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`. You should call "
                "them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`. "
                "Failure to do this will result in skipping the first value of the learning rate schedule.",
                UserWarning,
                stacklevel=2,
            )
        self._n_steps += 1
        if epoch is not None:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self._move(epoch)

    def _move(self, epoch: int | None) -> None:
        """Go to ``epoch`` (the next one when None) and write its lrs into the groups."""
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        with _Flag(self, "_in_step"):
            lrs = None if epoch is None else self._closed_form()
            if lrs is None:
                lrs = self.get_lr()
        self._write_lrs(lrs)

    def _write_lrs(self, lrs: list) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            _write_lr(group, lr)
        self._last_lr = _group_values(self.optimizer, "lr")

    def _scaled(self, ratio) -> list:
        """Every group's current lr times ``ratio``; ``None`` leaves them as they are."""
        if ratio is None:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * ratio for group in self.optimizer.param_groups]


_LRScheduler = LRScheduler  # the name torch kept for older code


# ---- schedules given by callables -------------------------------------------------------------
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
        if self._starting:
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
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
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
        if self._starting or e > self.total_iters:
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
        return self._scaled(None if self._starting else self.gamma)

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
        if self._starting or e > self.total_iters:
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
        if self._starting:
            return self._scaled(None)
        if self._n_steps == 1 and e > 0:  # asked right after resuming: no previous lr to scale
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

    _members: list

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, the members' own state dicts in a list."""
        out = {k: v for k, v in vars(self).items() if k not in ("optimizer", "_members")}
        out["_members"] = [s.state_dict() for s in self._members]
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes and each member's state."""
        state = dict(state_dict)
        members = state.pop("_members")
        vars(self).update(state)
        for s, saved in zip(self._members, members):
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
        self._members = list(schedulers)
        self._switch_epochs = list(milestones)
        self.optimizer = optimizer
        self.last_epoch = last_epoch + 1
        # the members' constructors each took a step: start over from the initial lrs, with only
        # the member in charge of epoch 0 stepped
        for group in optimizer.param_groups:
            _write_lr(group, group["initial_lr"])
        self.recursive_undo()
        first = self._member_at(0)
        first._first_step()
        self._last_lr = first.get_last_lr()

    def _member_at(self, epoch: int) -> LRScheduler:
        return self._members[sum(m <= epoch for m in self._switch_epochs)]

    def recursive_undo(self, sched=None) -> None:
        """Step back the epoch of every scheduler under ``sched`` (default: this one's members)."""
        target = self if sched is None else sched
        if isinstance(target, _Composite):
            for s in target._members:
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
        if self.last_epoch in self._switch_epochs:
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
        self._members = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = _group_values(self._members[-1].optimizer, "lr")

    def step(self) -> None:  # type: ignore[override]
        """Step every member, in order.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
        >>> S = kitty.optim.lr_scheduler
        >>> s = S.ChainedScheduler([S.ExponentialLR(opt, 0.5), S.ExponentialLR(opt, 0.5)])
        >>> opt.step(); s.step(); s.get_last_lr()
        [0.25]
        """
        for s in self._members:
            s.step()
        self._last_lr = _group_values(self._members[-1].optimizer, "lr")


# ---- driven by a metric -----------------------------------------------------------------------
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
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
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
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf

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
        if self.num_bad_epochs > self.patience:
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

    def _cycle_at(self, epoch: float) -> tuple[float, int]:
        """``(T_cur, T_i)`` at ``epoch``: whole cycles are walked off (exact, also on boundaries)."""
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_0
        into, length = epoch, self.T_0
        while into >= length:
            into -= length
            length *= self.T_mult
        return into, length

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to a (possibly fractional) ``epoch``.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = kitty.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
        >>> s.step(0.5); s.T_cur, s.last_epoch
        (0.5, 0)
        """
        if epoch is None and self.last_epoch >= 0:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:  # a restart
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            epoch = 0 if epoch is None else epoch
            if epoch < 0:
                raise KittyValueError(f"Expected non-negative epoch, but got {epoch}")
            self.T_cur, self.T_i = self._cycle_at(epoch)
        self.last_epoch = math.floor(epoch)
        with _Flag(self, "_in_step"):
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
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
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
        self._anneal_kind = anneal_strategy
        # the phases as [last step, lr at the start, lr at the end], the lrs named by the group
        # entries holding them; momentum runs opposite to the lr (see _momentum_key)
        warm_end = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._phases = [
                [warm_end, "initial_lr", "max_lr"],
                [float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr"],
                [self.total_steps - 1, "initial_lr", "min_lr"],
            ]
        else:
            self._phases = [[warm_end, "initial_lr", "max_lr"], [self.total_steps - 1, "max_lr", "min_lr"]]
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
        if self._anneal_kind == "linear":
            return start + (end - start) * frac
        return end + (start - end) * (1 + math.cos(math.pi * frac)) / 2

    def get_lr(self) -> list:
        self._warn_direct_call()
        step = self.last_epoch
        if step > self.total_steps:
            raise KittyValueError(f"Tried to step {step} times. The specified number of total steps is {self.total_steps}")
        # the phase holding this step (the last one takes any overshoot), and where it began
        i = next((k for k, phase in enumerate(self._phases) if step <= phase[0]), len(self._phases) - 1)
        begin = self._phases[i - 1][0] if i else 0.0
        end, lr_from, lr_to = self._phases[i]
        frac = (step - begin) / (end - begin)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._blend(group[lr_from], group[lr_to], frac))
            if self.cycle_momentum:
                m_from, m_to = group[self._momentum_key(lr_from)], group[self._momentum_key(lr_to)]
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
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
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
        self._user_scale_fn = scale_fn
        # the built-in modes fix what their scale is a function of
        self.scale_mode = scale_mode if scale_fn is not None else ("iterations" if mode == "exp_range" else "cycle")
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, self.max_momentums, self.base_momentums = _start_momentum(
                optimizer, max_momentum, base_momentum, last_epoch == -1
            )
        super().__init__(optimizer, last_epoch)
        self.base_lrs = lows

    def scale_fn(self, x: float) -> float:
        """The amplitude's scale at cycle (or iteration) ``x``.

        >>> import kittygrad as kitty
        >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> kitty.optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0, mode="triangular2").scale_fn(3)
        0.25
        """
        if self._user_scale_fn is not None:
            return self._user_scale_fn(x)
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
        out["_user_scale_fn"] = None if self._user_scale_fn is None else _callable_state(self._user_scale_fn)
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes, and those of a ``scale_fn`` object."""
        state = dict(state_dict)
        attrs = state.pop("_user_scale_fn")
        super().load_state_dict(state)
        if attrs is not None:
            vars(self._user_scale_fn).update(attrs)
