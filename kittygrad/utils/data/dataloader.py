"""DataLoader: batches from a dataset, in the main process or in worker processes."""
from __future__ import annotations

import itertools
import multiprocessing
import pickle
import queue
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ...errors import KittyRuntimeError, KittyValueError
from . import _worker as W
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _draw_seed

__all__ = ["DataLoader"]


class _InfiniteConstantSampler(Sampler):
    """The index stream for an IterableDataset: ``None`` forever (the dataset decides the end)."""

    def __iter__(self):
        while True:
            yield None


_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


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
    ``in_order`` are accepted and ignored (there is no GPU; batches always come in order).

    >>> import kittygrad as kitty
    >>> from kittygrad.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(kitty.arange(5.0), kitty.arange(5))
    >>> [y.tolist() for _, y in DataLoader(ds, batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise KittyValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."
            )
        if timeout < 0:
            raise KittyValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise KittyValueError(
                "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                "to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise KittyValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise KittyValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.in_order = in_order
        self.multiprocessing_context = multiprocessing_context

        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle not in (False, None):
                raise KittyValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise KittyValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise KittyValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
                    f"batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise KittyValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise KittyValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise KittyValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
            )
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
            else:
                sampler = SequentialSampler(dataset)  # type: ignore[arg-type]
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._initialized = True

    def __setattr__(self, name: str, value) -> None:
        if self.__dict__.get("_initialized") and name in _FROZEN:
            raise KittyValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _mp_context(self):
        ctx = self.multiprocessing_context
        if ctx is None:
            return multiprocessing.get_context()
        if isinstance(ctx, str):
            return multiprocessing.get_context(ctx)
        return ctx

    def __iter__(self) -> Iterator:
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _MultiProcessIter(self)

    def __len__(self) -> int:
        if self._is_iterable:
            n = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)  # type: ignore[arg-type]


class _BaseIter:
    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._timeout = loader.timeout
        self._num_yielded = 0
        self._sampler_iter: Iterator | None = None
        self._reset(loader, first_iter=True)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        # the workers' base seed is drawn first, then (lazily) the sampler's: the same draws
        # whatever num_workers is, so the batches do not depend on it
        self._base_seed = _draw_seed(loader.generator)
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0

    def _next_index(self):
        return next(self._sampler_iter)  # type: ignore[arg-type]

    def __iter__(self):
        return self

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def _next_data(self):
        raise NotImplementedError


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._fetcher = W.make_fetcher(
            self._is_iterable, self._dataset, self._auto_collation, self._collate_fn, self._drop_last
        )

    def _next_data(self):
        index = self._next_index()
        return self._fetcher.fetch(index)


class _MultiProcessIter(_BaseIter):
    """Workers take ``(task_index, indices)`` from their own queue and answer on a shared one;
    answers are put back in task order, so the batches come out as in a single process."""

    def __init__(self, loader: DataLoader) -> None:
        self._shutdown = True  # until the workers exist
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor or 2
        self._persistent = loader.persistent_workers
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._base_seed = _draw_seed(loader.generator)
        ctx = loader._mp_context()
        self._data_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._index_queues = []
        self._workers = []
        self._active = [True] * self._num_workers
        self._shutdown = False
        try:
            for wid in range(self._num_workers):
                iq = ctx.Queue()
                iq.cancel_join_thread()
                w = ctx.Process(
                    target=W.worker_loop,
                    args=(
                        loader._is_iterable,
                        loader.dataset,
                        iq,
                        self._data_queue,
                        self._done_event,
                        loader._auto_collation,
                        loader.collate_fn,
                        loader.drop_last,
                        self._base_seed,
                        loader.worker_init_fn,
                        wid,
                        self._num_workers,
                    ),
                    daemon=True,
                )
                self._index_queues.append(iq)
                w.start()
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers()
            raise
        self._first_seed = self._base_seed
        super().__init__(loader)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        if first_iter:
            self._base_seed = self._first_seed  # drawn before the workers started
            self._sampler_iter = iter(loader._index_sampler)
            self._num_yielded = 0
        else:
            super()._reset(loader)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict[int, tuple] = {}
        self._outstanding = 0
        self._active = [True] * self._num_workers
        self._cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:  # persistent workers: start a new epoch in each of them
            for q in self._index_queues:
                q.put(W.ResumeIteration(self._base_seed))
            left = self._num_workers
            while left > 0:
                idx, _ = self._get_data()
                if isinstance(idx, W.ResumeIteration):
                    left -= 1
        for _ in range(self._prefetch * self._num_workers):
            self._put_index()

    def _put_index(self) -> None:
        if self._outstanding >= self._prefetch * self._num_workers:
            return
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            wid = next(self._cycle)
            if self._active[wid]:
                break
        else:
            return  # every worker is done
        self._index_queues[wid].put((self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._outstanding += 1
        self._send_idx += 1

    def _get_data(self):
        if self._timeout > 0:
            try:
                return pickle.loads(self._data_queue.get(timeout=self._timeout))
            except queue.Empty:
                raise KittyRuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
        while True:
            try:
                return pickle.loads(self._data_queue.get(timeout=W.STATUS_CHECK_INTERVAL))
            except queue.Empty:
                dead = [w for i, w in enumerate(self._workers) if self._active[i] and not w.is_alive()]
                if dead:
                    pids = ", ".join(str(w.pid) for w in dead)
                    codes = ", ".join(str(w.exitcode) for w in dead)
                    self._shutdown_workers()
                    raise KittyRuntimeError(
                        f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code(s) {codes})"
                    ) from None

    def _next_data(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._active[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)  # a task of a finished worker
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:  # already arrived
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            idx, data = self._get_data()
            self._outstanding -= 1
            if isinstance(data, W.IterableStop):
                if self._persistent:
                    self._active[data.worker_id] = False
                else:
                    self._retire(data.worker_id)
                self._put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
            else:
                del self._task_info[idx]
                self._rcvd_idx += 1
                return self._process(data)

    def _process(self, data):
        self._put_index()
        if isinstance(data, W.ExceptionWrapper):
            data.reraise()
        return data

    def _retire(self, wid: int) -> None:
        self._index_queues[wid].put(None)
        self._active[wid] = False

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done_event.set()
            for q in self._index_queues:
                q.put(None)
            for w in self._workers:
                w.join(timeout=W.STATUS_CHECK_INTERVAL * 5)
                if w.is_alive():
                    w.terminate()
                    w.join(timeout=1.0)
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
            self._data_queue.cancel_join_thread()
            self._data_queue.close()
        except Exception:  # interpreter shutdown: best effort
            pass

    def __del__(self) -> None:
        self._shutdown_workers()
