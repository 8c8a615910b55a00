"""The scheduler base class: reading and writing the groups' rates, ``step``, ``state_dict``."""
from __future__ import annotations

import types
import warnings
from typing import Any

from ...autograd.grad_mode import no_grad
from ...errors import KittyTypeError, KittyValueError
from ...tensor import Tensor
from ..optimizer import Optimizer

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
    """``with _Flag(obj, name):`` sets ``obj.<name>`` to True, then back to False. The flag
    stays an attribute once used, so ``state_dict()`` lists it (False) where torch's does."""

    def __init__(self, obj, name: str) -> None:
        self.obj, self.name = obj, name

    def __enter__(self) -> None:
        setattr(self.obj, self.name, True)

    def __exit__(self, *exc) -> None:
        setattr(self.obj, self.name, False)


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
    # the optimizer holds instead of applying its ratio once more (torch's name: subclasses
    # written for torch read it)
    _is_initial: bool = False
    # True while step() asks for the new lrs: built-in get_lr() called at any other time warns
    _get_lr_called_within_step: bool = False

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
        self._step_count = 0
        with _Flag(self, "_is_initial"):
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
        if not self._get_lr_called_within_step:
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
        if self._step_count == 1 and not getattr(self.optimizer, "_has_stepped", False):
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and "
                "later, you should call them in the opposite order: `optimizer.step()` before "
                "`lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first "
                "value of the learning rate schedule. See more details at "
                "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        if epoch is not None:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self._move(epoch)

    def _move(self, epoch: int | None) -> None:
        """Go to ``epoch`` (the next one when None) and write its lrs into the groups."""
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        with _Flag(self, "_get_lr_called_within_step"):
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
