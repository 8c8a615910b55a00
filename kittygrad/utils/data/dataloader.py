"""DataLoader: batches from a dataset, in the main process or in worker processes."""
from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import queue
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from ... import accelerator
from ...errors import KittyRuntimeError, KittyTypeError, KittyValueError, user_stacklevel
from . import _worker as W
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _draw_seed

__all__ = ["DataLoader"]


class _Nones(Sampler):
    """The index stream for an IterableDataset: ``None`` forever (the dataset decides the end)."""

    def __iter__(self):
        return itertools.repeat(None)


_UNPINNED = ("'pin_memory' argument is set as true but no accelerator is found, "
             "then device pinned memory won't be used.")

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")

_STREAM = "DataLoader with IterableDataset: expected unspecified {0} option, but got {0}={{{0}}}"

#: the argument checks of DataLoader, in torch's order: (fails?, message formatted with the
#: arguments); the first failing one raises ValueError. The worker rules come first, then
#: ``multiprocessing_context`` is checked (in ``__setattr__``), then the sampling rules.
_WORKER_RULES: tuple[tuple[Callable[[SimpleNamespace], Any], str], ...] = (
    (lambda a: a.num_workers < 0,
     "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."),
    (lambda a: a.timeout < 0, "timeout option should be non-negative"),
    (lambda a: a.prefetch_factor is not None and a.num_workers == 0,
     "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
     "to enable multiprocessing, otherwise set prefetch_factor to None."),
    (lambda a: a.prefetch_factor is not None and a.prefetch_factor < 0, "prefetch_factor option should be non-negative"),
    (lambda a: a.persistent_workers and not a.num_workers, "persistent_workers option needs num_workers > 0"),
)
_SAMPLING_RULES: tuple[tuple[Callable[[SimpleNamespace], Any], str], ...] = (
    (lambda a: a.streaming and a.shuffle not in (False, None), _STREAM.format("shuffle")),
    (lambda a: a.streaming and a.sampler is not None, _STREAM.format("sampler")),
    (lambda a: a.streaming and a.batch_sampler is not None, _STREAM.format("batch_sampler")),
    (lambda a: a.shuffle and a.sampler is not None, "sampler option is mutually exclusive with shuffle"),
    (lambda a: a.batch_sampler is not None and (a.batch_size != 1 or a.shuffle or a.sampler is not None or a.drop_last),
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
    (lambda a: a.batch_sampler is None and a.batch_size is None and a.drop_last,
     "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
)


@dataclass(frozen=True)
class _Plan:
    """What an iterator reads from its DataLoader, once, when it is made."""

    reader: W.ReaderSpec
    indices: Any  # the batch sampler when batching, else the sampler
    generator: Any
    timeout: float


class DataLoader:
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    Batches are built from the indices of ``sampler`` (``shuffle=True``: a
    :class:`RandomSampler` using ``generator``, or the global generator so that
    ``kitty.manual_seed`` repeats the order), grouped by ``batch_size`` (or given by
    ``batch_sampler``) and merged with ``collate_fn`` (default :func:`default_collate`).
    ``batch_size=None`` turns batching off.

    With ``num_workers > 0``, worker processes (``multiprocessing_context``: ``'fork'``,
    ``'spawn'``, ``'forkserver'`` or the platform's default) load the batches; they arrive in
    the same order as with ``num_workers=0``. Each worker seeds Python's, kittygrad's and
    NumPy's global generators with ``base_seed + worker_id`` and then calls
    ``worker_init_fn(worker_id)``. Under ``'spawn'`` the dataset, ``collate_fn`` and
    ``worker_init_fn`` must be picklable (defined at module level) and the script needs the
    usual ``if __name__ == "__main__":`` guard. ``pin_memory``, ``pin_memory_device`` and
    ``in_order`` are accepted and ignored (there is no GPU; batches always come in order); as
    torch on a machine without an accelerator, ``pin_memory=True`` warns at each new iterator.

    >>> import kittygrad as kitty
    >>> from kittygrad.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(kitty.arange(5.0), kitty.arange(5))
    >>> [y.tolist() for _, y in DataLoader(ds, batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None, batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
        drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None, generator=None, *, prefetch_factor: int | None = None,
        persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True,
    ) -> None:
        args = SimpleNamespace(**locals(), streaming=isinstance(dataset, IterableDataset))
        _check(_WORKER_RULES, args)
        self.num_workers = num_workers
        self.multiprocessing_context = multiprocessing_context  # checked by __setattr__
        _check(_SAMPLING_RULES, args)
        self._streaming = args.streaming
        if batch_sampler is not None:  # it decides the batches
            batch_size, drop_last = None, False
        if sampler is None:
            sampler = _default_sampler(dataset, self._streaming, bool(shuffle), generator)
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last=drop_last)
        if collate_fn is None:
            collate_fn = default_convert if batch_sampler is None else default_collate
        self.dataset, self.batch_size, self.drop_last, self.generator = dataset, batch_size, drop_last, generator
        self.sampler, self.batch_sampler, self.collate_fn = sampler, batch_sampler, collate_fn
        self.num_workers, self.timeout, self.worker_init_fn = num_workers, timeout, worker_init_fn
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.pin_memory, self.pin_memory_device, self.in_order = pin_memory, pin_memory_device, in_order
        self.persistent_workers = persistent_workers
        self._iterator: _MultiProcessingDataLoaderIter | None = None
        self.check_worker_number_rationality()
        # torch's private name (it mangles to _DataLoader__initialized): subclasses such as timm's
        # MultiEpochsDataLoader clear it to swap in their own sampler after __init__
        self.__initialized = True

    def __setattr__(self, name: str, value) -> None:
        if name in _FROZEN and self.__dict__.get("_DataLoader__initialized"):
            raise KittyValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        if name == "multiprocessing_context":
            value = _start_method(value, self.num_workers)
        object.__setattr__(self, name, value)

    @property
    def _index_source(self):
        """What the iterators draw indices from: the batch sampler, or the sampler when not batching."""
        return self.sampler if self.batch_sampler is None else self.batch_sampler

    def _plan(self) -> _Plan:
        batched = self.batch_sampler is not None
        spec = W.ReaderSpec(self.dataset, self._streaming, batched, self.collate_fn, self.drop_last)
        return _Plan(spec, self._index_source, self.generator, self.timeout)

    def _mp_context(self):
        ctx = self.multiprocessing_context  # None or a context (__setattr__ turns a method's name into one)
        return multiprocessing.get_context() if ctx is None else ctx

    def check_worker_number_rationality(self) -> None:
        """Warn, as torch, when ``num_workers`` exceeds the CPUs this process may run on (its
        affinity set where the platform has one): the workers would only slow each other down."""
        if not self.num_workers:
            return
        affinity = hasattr(os, "sched_getaffinity")
        cpus = len(os.sched_getaffinity(0)) if affinity else os.cpu_count()
        if cpus is not None and self.num_workers <= cpus:
            return
        if cpus is None:
            suggestion = "DataLoader is not able to compute a suggested max number of worker in current system."
        else:
            suggestion = (f"Our suggested max number of worker in current system is {cpus}"
                          f"{'' if affinity else ' (`cpuset` is not taken into account)'}, which is smaller than "
                          "what this DataLoader is going to create.")
        warnings.warn(
            f"This DataLoader will create {self.num_workers} worker processes in total. {suggestion} Please be "
            "aware that excessive worker creation might get DataLoader running slow or even freeze, lower the "
            "worker number to avoid potential slowness/freeze if necessary.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )

    def __iter__(self) -> Iterator:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        if not self.persistent_workers:
            self.check_worker_number_rationality()  # torch checks again for each new set of workers
            return _MultiProcessingDataLoaderIter(self)
        if self._iterator is None:
            self.check_worker_number_rationality()
            self._iterator = _MultiProcessingDataLoaderIter(self)
        else:
            self._iterator._next_epoch(self)
        return self._iterator

    def __len__(self) -> int:
        if not self._streaming:
            return len(self._index_source)  # type: ignore[arg-type]
        samples = len(self.dataset)  # type: ignore[arg-type]
        if self.batch_size is None:
            return samples
        full, rest = divmod(samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)


def _default_sampler(dataset, streaming: bool, shuffle: bool, generator) -> Sampler:
    if streaming:
        return _Nones()
    return RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)  # type: ignore[arg-type]


def _check(rules, args: SimpleNamespace) -> None:
    for fails, message in rules:
        if fails(args):
            raise KittyValueError(message.format(**vars(args)))


def _start_method(ctx, num_workers: int):
    """``multiprocessing_context`` as torch keeps it: None, or a context object (a start method's
    name is turned into its context); only meaningful with worker processes."""
    if ctx is None:
        return None
    if num_workers <= 0:
        raise KittyValueError(
            "multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
            f"but got num_workers={num_workers}"
        )
    if isinstance(ctx, str):
        methods = multiprocessing.get_all_start_methods()
        if ctx not in methods:
            raise KittyValueError(
                f"multiprocessing_context option should specify a valid start method in {methods!r}, "
                f"but got multiprocessing_context={ctx!r}"
            )
        return multiprocessing.get_context(ctx)
    if not isinstance(ctx, multiprocessing.context.BaseContext):
        raise KittyTypeError(
            "multiprocessing_context option should be a valid context object or a string specifying "
            f"the start method, but got multiprocessing_context={ctx!r}"
        )
    return ctx


class _BaseDataLoaderIter:
    """Shared by both iterators: one epoch of batches from a :class:`_Plan`.

    Each iterator first draws the workers' base seed and then (lazily) the sampler's, so the
    random draws, and so the batches, do not depend on ``num_workers``; persistent workers keep
    the seed drawn when they started, as torch's (see ``_next_epoch``).
    """

    def __init__(self, loader: DataLoader) -> None:
        if loader.pin_memory and not accelerator.is_available():  # as torch on a machine without one
            warnings.warn(_UNPINNED, UserWarning, stacklevel=user_stacklevel())
        self._plan = loader._plan()

    def _begin_epoch(self, seed: int | None = None) -> None:
        self._base_seed = _draw_seed(self._plan.generator) if seed is None else seed
        self._indices = iter(self._plan.indices)

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._plan.indices)

    def __next__(self):
        raise NotImplementedError


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._read = self._plan.reader.make()
        self._begin_epoch()

    def __next__(self):
        return self._read(next(self._indices))


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Batches read by worker processes, handed out in task order.

    Task ``k`` (an index, or a list of them) goes to the next worker still running, in turn;
    at most ``prefetch_factor * num_workers`` tasks are out at once. Answers may arrive out of
    order: they wait in ``_arrived`` until every earlier task is handed out (or its worker's
    stream has ended, in which case it never gets an answer).
    """

    _shutdown = True  # until the workers exist

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        count = loader.num_workers
        self._persistent = loader.persistent_workers
        self._window = (loader.prefetch_factor or 2) * count
        self._begin_epoch()
        ctx = loader._mp_context()
        self._results = ctx.Queue()
        self._done = ctx.Event()
        self._task_queues: list = []
        self._workers: list = []
        self._shutdown = False
        try:
            for wid in range(count):
                tasks = ctx.Queue()
                tasks.cancel_join_thread()
                self._task_queues.append(tasks)
                args = (self._plan.reader, tasks, self._results, self._done, self._base_seed,
                        loader.worker_init_fn, wid, count)
                proc = ctx.Process(target=W.run_worker, args=args, daemon=True)
                proc.start()
                self._workers.append(proc)
        except BaseException:
            self._shutdown_workers()
            raise
        self._open_epoch()

    def _next_epoch(self, loader: DataLoader) -> None:
        """Persistent workers: restart them on a new epoch. As torch, the base seed is drawn once,
        when the workers start, and their generators run on from one epoch into the next (so the
        epochs after the first draw one number fewer from the loader's generator than without)."""
        self._plan = loader._plan()
        self._begin_epoch(self._base_seed)
        for tasks in self._task_queues:
            tasks.put(W.NewEpoch())
        acks = 0
        while acks < len(self._workers):
            number, _ = self._receive()
            acks += isinstance(number, W.NewEpoch)
        self._open_epoch()

    def _open_epoch(self) -> None:
        self._sent = self._handed = self._out = 0  # tasks sent, tasks handed out, answers pending
        self._owner: dict[int, int] = {}  # task -> worker, until the task is handed out
        self._arrived: dict[int, Any] = {}  # task -> its answer, until handed out
        self._running = [True] * len(self._workers)
        self._turn = itertools.cycle(range(len(self._workers)))
        for _ in range(self._window):
            self._send_task()

    def _send_task(self) -> None:
        if self._out >= self._window:
            return
        index = next(self._indices, _END)
        if index is _END:
            return
        wid = next((w for w in itertools.islice(self._turn, len(self._workers)) if self._running[w]), None)
        if wid is None:
            return  # every worker's stream has ended
        self._task_queues[wid].put((self._sent, index))
        self._owner[self._sent] = wid
        self._sent += 1
        self._out += 1

    def _receive(self):
        if self._timeout_s > 0:
            try:
                return pickle.loads(self._results.get(timeout=self._timeout_s))
            except queue.Empty:
                raise KittyRuntimeError(f"DataLoader timed out after {self._timeout_s} seconds") from None
        while True:
            try:
                return pickle.loads(self._results.get(timeout=W.POLL_SECONDS))
            except queue.Empty:
                self._check_alive()

    @property
    def _timeout_s(self) -> float:
        return self._plan.timeout

    def _check_alive(self) -> None:
        dead = [w for w, running in zip(self._workers, self._running) if running and not w.is_alive()]
        if dead:
            pids = ", ".join(str(w.pid) for w in dead)
            codes = ", ".join(str(w.exitcode) for w in dead)
            self._shutdown_workers()
            raise KittyRuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code(s) {codes})")

    def _waiting_on(self, task: int) -> bool:
        """Will ``task`` be handed out (its answer is here, or its worker is still running)?"""
        return task in self._arrived or self._running[self._owner[task]]

    def __next__(self):
        while True:
            while self._handed < self._sent and not self._waiting_on(self._handed):
                del self._owner[self._handed]  # a task of a worker whose stream ended
                self._handed += 1
            if self._handed == self._sent:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if self._handed in self._arrived:
                return self._hand_out()
            number, answer = self._receive()
            self._out -= 1
            if isinstance(answer, W.StreamEnded):
                self._running[answer.worker_id] = False
                if not self._persistent:
                    self._task_queues[answer.worker_id].put(None)
                self._send_task()
            else:
                self._arrived[number] = answer

    def _hand_out(self):
        answer = self._arrived.pop(self._handed)
        del self._owner[self._handed]
        self._handed += 1
        self._send_task()
        if isinstance(answer, W.WorkerError):
            answer.reraise()
        return answer

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done.set()
            for tasks in self._task_queues:
                tasks.put(None)
            for proc in self._workers:
                proc.join(timeout=W.POLL_SECONDS * 5)
                if proc.is_alive():
                    proc.terminate()
                    proc.join(timeout=1.0)
            for q in [*self._task_queues, self._results]:
                W.close_queue(q)
        except Exception:  # interpreter shutdown: best effort
            pass

    def __del__(self) -> None:
        self._shutdown_workers()


_END = object()
