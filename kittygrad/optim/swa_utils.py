"""Weight averaging, as ``torch.optim.swa_utils``: stochastic weight averaging (SWA) and
exponential moving averages (EMA) of a model's weights.

* :class:`AveragedModel` keeps a copy of a model whose weights are a running average of the
  weights the model had at each :meth:`~AveragedModel.update_parameters` call;
* ``get_swa_avg_fn`` / ``get_ema_avg_fn`` (one tensor at a time) and ``get_swa_multi_avg_fn`` /
  ``get_ema_multi_avg_fn`` (lists of tensors, in place) build the averaging rules it accepts;
* :class:`SWALR` anneals the learning rate to a constant SWA rate;
* :func:`update_bn` recomputes the BatchNorm statistics of the averaged weights in one pass
  over the data (averaging weights does not average the activations they produce).

>>> import kittygrad as kitty
>>> model = kitty.nn.Linear(1, 1, bias=False)
>>> swa = kitty.optim.swa_utils.AveragedModel(model)
>>> for w in (1.0, 2.0, 6.0):
...     with kitty.no_grad():
...         _ = model.weight.fill_(w)
...     swa.update_parameters(model)
>>> swa.module.weight.item(), int(swa.n_averaged)  # (1 + 2 + 6) / 3 over three models
(3.0, 3)
"""
from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from .. import creation as C
from .. import dtypes as D
from ..autograd.grad_mode import no_grad
from ..device import device as Device
from ..errors import KittyValueError
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from ..tensor import Tensor
from .lr_scheduler.base import LRScheduler, _expect_optimizer, _per_group
from .optimizer import Optimizer

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]

#: ``avg_fn(averaged, current, num_averaged) -> new averaged tensor``
AvgFn = Callable[[Tensor, Tensor, "Tensor | int"], Tensor]
#: ``multi_avg_fn(averaged_list, current_list, num_averaged)``, updating ``averaged_list`` in place
MultiAvgFn = Callable[[Sequence[Tensor], Sequence[Tensor], "Tensor | int"], None]
DeviceLike = int | str | Device


# ---- averaging rules ----------------------------------------------------------------------------
def _check_decay(decay: float) -> None:
    if not 0.0 <= decay <= 1.0:
        raise KittyValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _running_mean(averaged: Tensor, current: Tensor, num_averaged: Tensor | int) -> Tensor:
    """The mean of ``num_averaged`` models (``averaged``) and one more (``current``).

    Written as a step from the old mean so that it also works on an integer tensor: the division
    is a true one and the caller's ``copy_`` truncates the result back, as torch does."""
    return averaged + (current - averaged) / (num_averaged + 1)


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """An in-place EMA over lists of tensors, for ``AveragedModel(multi_avg_fn=...)``:
    ``averaged = decay * averaged + (1 - decay) * current``.

    >>> import kittygrad as kitty
    >>> avg, cur = kitty.tensor([0.0, 4.0]), kitty.tensor([2.0, 0.0])
    >>> kitty.optim.swa_utils.get_ema_multi_avg_fn(0.75)([avg], [cur], 1); avg
    tensor([0.5000, 3.0000])
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(averaged: Sequence[Tensor], current: Sequence[Tensor], num_averaged: Tensor | int) -> None:
        for avg, cur in zip(averaged, current):
            if avg.is_floating_point():
                avg.lerp_(cur, 1 - decay)
            else:  # lerp_ is for floats: an integer buffer takes the truncated mix
                avg.copy_(avg * decay + cur * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """An in-place equal-weight running mean over lists of tensors, for
    ``AveragedModel(multi_avg_fn=...)``: after ``n`` models, the next one weighs ``1 / (n + 1)``.

    >>> import kittygrad as kitty
    >>> avg, cur = kitty.tensor([1.0, 3.0]), kitty.tensor([4.0, 0.0])
    >>> kitty.optim.swa_utils.get_swa_multi_avg_fn()([avg], [cur], 2); avg
    tensor([2., 2.])
    """

    @no_grad()
    def swa_update(averaged: Sequence[Tensor], current: Sequence[Tensor], num_averaged: Tensor | int) -> None:
        weight = 1.0 / (int(num_averaged) + 1)
        for avg, cur in zip(averaged, current):
            if avg.is_floating_point():
                avg.lerp_(cur, weight)
            else:
                # torch refuses integer tensors here (its kernels take no integer division);
                # the truncated running mean of the per-tensor rule is the useful answer
                avg.copy_(_running_mean(avg, cur, num_averaged))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """The EMA rule for one tensor, for ``AveragedModel(avg_fn=...)``: returns
    ``decay * averaged + (1 - decay) * current``.

    >>> import kittygrad as kitty
    >>> kitty.optim.swa_utils.get_ema_avg_fn(0.5)(kitty.tensor([0.0]), kitty.tensor([2.0]), 1)
    tensor([1.])
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(averaged: Tensor, current: Tensor, num_averaged: Tensor | int) -> Tensor:
        return decay * averaged + (1 - decay) * current

    return ema_update


def get_swa_avg_fn() -> AvgFn:
    """The equal-weight running mean for one tensor, for ``AveragedModel(avg_fn=...)``.

    >>> import kittygrad as kitty
    >>> kitty.optim.swa_utils.get_swa_avg_fn()(kitty.tensor([1.0]), kitty.tensor([4.0]), 2)
    tensor([2.])
    """

    @no_grad()
    def swa_update(averaged: Tensor, current: Tensor, num_averaged: Tensor | int) -> Tensor:
        return _running_mean(averaged, current, num_averaged)

    return swa_update


# ---- the averaged model -------------------------------------------------------------------------
def _by_device_and_dtype(pairs: list[tuple[Tensor, Tensor]]) -> dict[tuple, list[tuple[Tensor, Tensor]]]:
    """``pairs`` split by the averaged tensor's (device, dtype), in first-seen order: a
    ``multi_avg_fn`` is called once per group, so each call sees tensors of one kind."""
    groups: dict[tuple, list[tuple[Tensor, Tensor]]] = {}
    for pair in pairs:
        groups.setdefault((str(pair[0].device), pair[0].dtype), []).append(pair)
    return groups


class AveragedModel(Module):
    """A copy of ``model`` whose weights are the running average of ``model``'s weights, as
    ``torch.optim.swa_utils.AveragedModel``.

    Each :meth:`update_parameters` call folds the model's current weights in: the first call
    copies them, later ones apply ``avg_fn`` (per tensor) or ``multi_avg_fn`` (per list, in
    place), by default the equal-weight mean of all the models seen (SWA). ``n_averaged`` (a
    buffer, so it is checkpointed) counts the calls. With ``use_buffers=True`` the buffers
    (BatchNorm statistics) are averaged too; otherwise they are copied from ``model`` at each
    call, and :func:`update_bn` can recompute them for the averaged weights. Calling the
    averaged model calls the copy.

    >>> import kittygrad as kitty
    >>> model = kitty.nn.Linear(2, 1)
    >>> ema = kitty.optim.swa_utils.AveragedModel(
    ...     model, multi_avg_fn=kitty.optim.swa_utils.get_ema_multi_avg_fn(0.9))
    >>> ema.update_parameters(model)
    >>> [name for name in ema.state_dict()]
    ['n_averaged', 'module.weight', 'module.bias']
    >>> ema(kitty.zeros(3, 2)).shape
    kittygrad.Size([3, 1])
    """

    n_averaged: Tensor

    def __init__(
        self,
        model: Module,
        device: DeviceLike | None = None,
        avg_fn: AvgFn | None = None,
        multi_avg_fn: MultiAvgFn | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if all(fn is not None for fn in (avg_fn, multi_avg_fn)):
            # torch raises AssertionError here; scripts that catch it keep working
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module.to(device)  # (in place: Module.to moves the copy's own tensors)
        self.register_buffer("n_averaged", C.tensor(0, dtype=D.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Call the averaged copy."""
        return self.module(*args, **kwargs)

    def _averaged_tensors(self, model: Module) -> Iterator[Tensor]:
        """What is averaged: the parameters, then the buffers when ``use_buffers``."""
        if self.use_buffers:
            return itertools.chain(model.parameters(), model.buffers())
        return model.parameters()

    @no_grad()
    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average (the first call copies them).

        >>> import kittygrad as kitty
        >>> model = kitty.nn.Linear(1, 1)
        >>> swa = kitty.optim.swa_utils.AveragedModel(model)
        >>> swa.update_parameters(model); swa.update_parameters(model); swa.n_averaged
        tensor(2)
        """
        # detached aliases: the averages are written in place without touching autograd, and the
        # model's tensors are moved to where the copy lives
        pairs = [
            (mine.detach(), theirs.detach().to(mine.device))
            for mine, theirs in zip(self._averaged_tensors(self.module), self._averaged_tensors(model))
        ]
        if int(self.n_averaged) == 0:
            for mine, theirs in pairs:
                mine.copy_(theirs)
        elif self.avg_fn is not None:
            for mine, theirs in pairs:
                mine.copy_(self.avg_fn(mine, theirs, self.n_averaged.to(mine.device)))
        elif self.multi_avg_fn is not None:
            for group in _by_device_and_dtype(pairs).values():
                mine_list, theirs_list = [p[0] for p in group], [p[1] for p in group]
                self.multi_avg_fn(mine_list, theirs_list, self.n_averaged.to(mine_list[0].device))
        else:
            for mine, theirs in pairs:
                mine.copy_(_running_mean(mine, theirs, self.n_averaged.to(mine.device)))
        if not self.use_buffers:
            self._copy_buffers(model)
        self.n_averaged += 1

    def _copy_buffers(self, model: Module) -> None:
        """Keep the unaveraged buffers equal to the model's (its latest statistics)."""
        mine, theirs = list(self.module.buffers()), list(model.buffers())
        if len(mine) != len(theirs):
            raise KittyValueError(
                f"the averaged model has {len(mine)} buffers but the model passed to "
                f"update_parameters has {len(theirs)}"
            )
        for own, other in zip(mine, theirs):
            own.detach().copy_(other.detach().to(own.device))


# ---- BatchNorm statistics -----------------------------------------------------------------------
@no_grad()
def update_bn(loader: Iterable[Any], model: Module, device: DeviceLike | None = None) -> None:
    """Recompute the running statistics of every BatchNorm layer in ``model`` from one pass over
    ``loader``, as ``torch.optim.swa_utils.update_bn``.

    The statistics are reset and then averaged with equal weight over the batches
    (``momentum=None``). A batch is a tensor, or a list/tuple whose first item is the input.
    Afterwards the layers get their momenta back and every module its train/eval mode (torch
    sets the whole model to the top module's mode instead; the two agree unless the modes
    were mixed). A model without BatchNorm is not run at all.

    >>> import kittygrad as kitty
    >>> model = kitty.nn.BatchNorm1d(1).eval()
    >>> loader = [kitty.tensor([[0.0], [2.0]]), (kitty.tensor([[4.0], [6.0]]), "label")]
    >>> kitty.optim.swa_utils.update_bn(loader, model)
    >>> model.running_mean, model.momentum, model.training
    (tensor([3.]), 0.1, False)
    """
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    if not norms:
        return
    momenta = [norm.momentum for norm in norms]
    modes = [(m, m.training) for m in model.modules()]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # batch n then weighs 1/n: the plain mean over the pass
    model.train()
    try:
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    finally:
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
        # modules() lists parents before children, so a child's own mode is set last
        for module, training in modes:
            if module.training != training:
                module.train(training)


# ---- the learning rate --------------------------------------------------------------------------
def _cosine_ramp(t: float) -> float:
    turned = math.cos(math.pi * t)  # from 1 down to -1
    return (1 - turned) / 2


def _linear_ramp(t: float) -> float:
    return t


def _clamp_unit(t: float) -> float:
    return max(0, min(1, t))


class SWALR(LRScheduler):
    """Anneal each group's learning rate to ``swa_lr`` over ``anneal_epochs`` steps, then hold
    it, as ``torch.optim.swa_utils.SWALR``.

    ``anneal_strategy`` is ``"cos"`` or ``"linear"``. The schedule starts from whatever rate the
    group holds when SWA begins (another scheduler may have set it), and ``swa_lr`` may be one
    value or one per group (stored as ``group["swa_lr"]``).

    >>> import kittygrad as kitty
    >>> opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = kitty.optim.swa_utils.SWALR(opt, swa_lr=0.2, anneal_epochs=2, anneal_strategy="linear")
    >>> rates = []
    >>> for _ in range(3):
    ...     opt.step(); sched.step(); rates.append(round(sched.get_last_lr()[0], 6))
    >>> rates
    [0.6, 0.2, 0.2]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | Tensor | Sequence[float | Tensor],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",  # "cos" or "linear"
        last_epoch: int = -1,
    ) -> None:
        _expect_optimizer(optimizer)
        for group, rate in zip(optimizer.param_groups, _per_group("swa_lr", optimizer, swa_lr)):
            group["swa_lr"] = rate
        if anneal_strategy not in ("cos", "linear"):
            raise KittyValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        if not (isinstance(anneal_epochs, int) and anneal_epochs >= 0):
            raise KittyValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        # only the name is kept (a string survives state dicts); anneal_func is derived from it
        self._anneal_strategy, self.anneal_epochs = anneal_strategy, anneal_epochs
        super().__init__(optimizer, last_epoch)

    @property
    def anneal_func(self) -> Callable[[float], float]:
        """The ramp from 0 to 1 over the annealing: cosine or linear."""
        return _cosine_ramp if self._anneal_strategy == "cos" else _linear_ramp

    def get_lr(self) -> list:
        self._warn_direct_call()
        # steps taken since the constructor (which is step 0); counted by the scheduler itself,
        # so the ramp does not depend on last_epoch
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)  # no annealing: the first real step lands on swa_lr
        span = max(1, self.anneal_epochs)
        done_before = self.anneal_func(_clamp_unit((step - 1) / span))
        done_now = self.anneal_func(_clamp_unit(step / span))
        rates = []
        for group in self.optimizer.param_groups:
            target = group["swa_lr"]
            # the rate the annealing started from is not stored: it is recovered from the current
            # one, which sits ``done_before`` of the way to the target
            if done_before == 1:
                start = target
            else:
                start = (group["lr"] - done_before * target) / (1 - done_before)
            rates.append(target * done_now + start * (1 - done_now))
        return rates

