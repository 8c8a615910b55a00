"""The generic join context manager for uneven inputs (``torch.distributed.algorithms.join``).

When ranks have different numbers of batches, a rank that runs out must keep answering the
collectives of the ranks still training, or they hang. :class:`Join` does that: at the end of
its block, a rank that has joined (run out) repeats, once per iteration the others still run,
the main hook of every :class:`Joinable` it manages (which shadows that object's per-iteration
collectives), and when every rank has joined it runs the post hooks. Each iteration's roll call
is an all-reduce: a rank still training adds one (``Join.notify_join_context``, which a Joinable
calls before its own collectives each iteration), a joined rank adds zero.

``kittygrad.nn.parallel.DistributedDataParallel`` is not a :class:`Joinable`: it runs its own
uneven-input protocol (``DistributedDataParallel.join``), so ``Join([ddp_model], ...)`` hands the
block to that, passing ``enable``, ``throw_on_early_termination`` and the
``divide_by_initial_world_size`` keyword, which is what torch's DDP join hook does. A DDP model
cannot share one ``Join`` with other joinables (or another DDP model) yet: that raises
``NotImplementedError`` (use one ``Join`` per DDP model, or the model alone).
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, NamedTuple

from ...creation import ones, zeros
from ...errors import KittyNotImplementedError, KittyRuntimeError, KittyTypeError, KittyValueError
from ..collectives import Work, all_reduce
from ..process_group import ProcessGroup, get_rank

__all__ = ["Join", "JoinHook", "Joinable"]

#: iterations a joined rank may shadow before it warns once that the inputs are badly skewed
_SKEW_WARNING = 1000


class JoinHook:
    """What a :class:`Joinable` does for :class:`Join` once its rank has run out of inputs.

    ``main_hook()`` runs once for each iteration some other rank still trains, and must make the
    collectives that one training iteration of the Joinable makes (with neutral values);
    ``post_hook(is_last_joiner)`` runs once when every rank has joined (``is_last_joiner``: this
    rank was among the last to run out). Both do nothing by default.

    >>> class Quiet(JoinHook):
    ...     pass
    >>> Quiet().main_hook(), Quiet().post_hook(True)
    (None, None)
    """

    def main_hook(self) -> None:
        """Shadow one training iteration's collectives of a rank that has not joined."""

    def post_hook(self, is_last_joiner: bool) -> None:
        """Run once after every rank has joined."""


class _JoinConfig(NamedTuple):
    """What a Joinable needs to know about the Join managing it."""

    enable: bool
    throw_on_early_termination: bool
    is_first_joinable: bool

    @staticmethod
    def construct_disabled_join_config() -> _JoinConfig:
        """Outside any Join: ``notify_join_context`` does nothing."""
        return _JoinConfig(enable=False, throw_on_early_termination=False, is_first_joinable=False)


class Joinable(ABC):
    """Base class of the objects :class:`Join` manages, as torch's.

    A subclass calls ``super().__init__()``, returns its :class:`JoinHook` from
    ``join_hook(**kwargs)`` (``kwargs``: the keywords given to ``Join``), names the device and the
    process group of the roll call (``join_device``, ``join_process_group``), and calls
    ``Join.notify_join_context(self)`` before its collectives in every iteration.

    >>> class Counter(Joinable):  # doctest: +SKIP
    ...     def __init__(self):
    ...         super().__init__()
    ...     def step(self):
    ...         Join.notify_join_context(self)
    ...         dist.all_reduce(kitty.ones(1))
    ...     def join_hook(self, **kwargs):
    ...         return ShadowHook()  # its main_hook: dist.all_reduce(kitty.zeros(1))
    ...     join_device = "cpu"
    ...     join_process_group = None
    """

    @abstractmethod
    def __init__(self) -> None:
        super().__init__()
        self._join_config = _JoinConfig.construct_disabled_join_config()

    @abstractmethod
    def join_hook(self, **kwargs: Any) -> JoinHook:
        """The hook that shadows this object's collectives once its rank has joined."""

    @property
    @abstractmethod
    def join_device(self) -> Any:
        """The device of the roll call's tensors (kittygrad: the CPU)."""

    @property
    @abstractmethod
    def join_process_group(self) -> Any:
        """The process group of the roll call (``None``: the default group)."""


def _is_kittygrad_ddp(obj: object) -> bool:
    """Whether ``obj`` is kittygrad's DistributedDataParallel, by the class's marker (kittygrad.nn
    sits above this package and imports it, so it is not imported here)."""
    return getattr(type(obj), "_joins_by_itself", False) is True


class Join:
    """Train on uneven inputs, as ``torch.distributed.algorithms.Join``.

    ``with Join(joinables):`` around a rank's training loop lets a rank that runs out of batches
    keep answering the other ranks' collectives (through each Joinable's :class:`JoinHook`)
    until every rank has run out; then the post hooks run. ``enable=False`` turns it off;
    ``throw_on_early_termination=True`` raises ``RuntimeError`` on every rank as soon as one
    runs out. Other keywords go to every Joinable's ``join_hook``. A
    ``DistributedDataParallel`` model, passed alone, is handed to its own ``join()`` (see the
    module's docstring); with other joinables it raises ``NotImplementedError``.

    >>> from kittygrad.distributed.algorithms import Join  # doctest: +SKIP
    >>> with Join([model]):  # model: a DistributedDataParallel  # doctest: +SKIP
    ...     for x, y in my_batches:  # ranks may have different counts
    ...         loss_fn(model(x), y).backward(); opt.step(); opt.zero_grad()
    """

    def __init__(
        self, joinables: list[Joinable], enable: bool = True, throw_on_early_termination: bool = False,
        **kwargs: Any,
    ) -> None:
        if len(joinables) == 0:
            raise KittyValueError("The join context manager requires at least one joinable")
        self._joinables = list(joinables)
        self._enable = enable
        self._throw_on_early_termination = throw_on_early_termination
        self._delegate: AbstractContextManager | None = None
        ddp = [j for j in self._joinables if _is_kittygrad_ddp(j)]
        if ddp:
            if len(self._joinables) > 1:
                raise KittyNotImplementedError(
                    "Join: kittygrad's DistributedDataParallel runs its own uneven-input protocol "
                    "(DistributedDataParallel.join) and cannot share a Join with other joinables yet; "
                    "pass the model alone (Join([model]))"
                )
            self._delegate = ddp[0].join(
                divide_by_initial_world_size=kwargs.get("divide_by_initial_world_size", True),
                enable=enable, throw_on_early_termination=throw_on_early_termination,
            )
            return
        for j in self._joinables:
            if not callable(getattr(j, "join_hook", None)):
                raise KittyTypeError(f"Join manages Joinable objects (with a join_hook), got {type(j).__name__}")
        self._join_hooks = [j.join_hook(**kwargs) for j in self._joinables]
        for position, j in enumerate(self._joinables):  # the first one makes the roll call
            j._join_config = _JoinConfig(enable, throw_on_early_termination, is_first_joinable=position == 0)
        # the first group named (None: not named) and the first device named, as torch picks them
        self._process_group: ProcessGroup | None = None
        self._device = None
        for j in self._joinables:
            if self._process_group is None:
                self._process_group = j.join_process_group
            elif j.join_process_group is not self._process_group:
                raise KittyValueError("Using join context manager with multiple process groups")
            if self._device is None:
                self._device = j.join_device
        self._rank = get_rank(self._process_group)

    def __enter__(self) -> None:
        if self._delegate is not None:
            self._delegate.__enter__()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        """Shadow the other ranks' iterations until every rank has joined, then run the post hooks.
        An exception raised in the block goes on at once (no shadowing)."""
        if self._delegate is not None:
            return self._delegate.__exit__(exc_type, exc, tb)
        if not self._enable or exc_type is not None:
            return None
        is_last_joiner = True
        shadowed = 0
        while self._count_nonjoined():
            if self._throw_on_early_termination:
                self._notify_procs_to_terminate()
            for hook in self._join_hooks:
                hook.main_hook()
            is_last_joiner = False
            shadowed += 1
            if shadowed == _SKEW_WARNING + 1:
                warnings.warn(
                    f"Detected uneven input skew of greater than {_SKEW_WARNING}. This means that rank {self._rank} "
                    f"has at least {_SKEW_WARNING} fewer inputs than other currently-active ranks. This level of "
                    "skew could lead to performance degradation during training.",
                    stacklevel=2,
                )
        for hook in self._join_hooks:
            hook.post_hook(is_last_joiner)
        return None

    def _count_nonjoined(self) -> float:
        """The roll call, seen from a joined rank: it adds zero to the others' ones."""
        count = zeros(1, device=self._device)
        all_reduce(count, group=self._process_group)
        return count.item()

    def _notify_procs_to_terminate(self) -> None:
        """Answer the training ranks' termination check with one, then raise here."""
        all_reduce(ones(1, device=self._device), group=self._process_group)
        raise KittyRuntimeError(f"Rank {self._rank} exhausted all inputs.")

    @staticmethod
    def notify_join_context(joinable: Joinable) -> Work | None:
        """Tell the Join managing ``joinable`` that this rank has not joined: call it at the start
        of each iteration, before the Joinable's collectives. Only the first Joinable of a Join
        takes part in the roll call (for the others, and outside a Join, this does nothing and
        returns ``None``). With ``throw_on_early_termination=True`` it raises ``RuntimeError`` on
        every rank once one has run out. Returns the roll call's :class:`Work`, already complete:
        kittygrad waits for it here, since an MPI request nobody waits for would be lost.

        >>> Join.notify_join_context(self)  # inside a Joinable's step  # doctest: +SKIP
        """
        if not hasattr(joinable, "_join_config"):
            raise AssertionError(f"Check that the {type(joinable)} constructor calls the ``Joinable`` constructor")
        config = joinable._join_config
        if not config.is_first_joinable or not config.enable:
            return None
        device, process_group = joinable.join_device, joinable.join_process_group
        work = all_reduce(ones(1, device=device), group=process_group, async_op=True)
        work.wait()
        if config.throw_on_early_termination:
            joined = zeros(1, device=device)  # a joined rank answers one: it is about to raise
            all_reduce(joined, group=process_group)
            if joined.item():
                raise KittyRuntimeError("Detected at least one rank that exhausted inputs. Throwing across all ranks.")
        return work
