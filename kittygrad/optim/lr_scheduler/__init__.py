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

from .base import LRScheduler
from .composite import ChainedScheduler, SequentialLR
from .cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from .decay import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from .plateau import ReduceLROnPlateau


class _LRScheduler(LRScheduler):
    """torch's old name of :class:`LRScheduler`, which custom schedulers written for torch < 2.0
    subclass (``class Warmup(lr_scheduler._LRScheduler)``)."""

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
