"""What runs inside a DataLoader worker process, and the messages exchanged with it."""
from __future__ import annotations

import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any

from ... import backend as B

__all__ = ["WorkerInfo", "get_worker_info"]

#: how often (seconds) a blocked worker checks that its parent still exists, and the main
#: process that its workers are alive
STATUS_CHECK_INTERVAL = 1.0


@dataclass(frozen=True)
class WorkerInfo:
    """Describes the current worker process (see :func:`get_worker_info`)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker: its :class:`WorkerInfo` (``id``, ``num_workers``, ``seed``,
    ``dataset`` — this worker's copy). In the main process: ``None``.

    >>> from kittygrad.utils.data import get_worker_info
    >>> get_worker_info() is None
    True
    """
    return _worker_info


class IterableStop:
    """A worker's iterable dataset is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class ResumeIteration:
    """Sent to persistent workers at the start of a new epoch."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class KeyErrorMessage(str):
    """Keeps a multi-line KeyError message readable (KeyError repr()s its argument)."""

    def __repr__(self) -> str:
        return str(self)


class MapFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        from ._collate import default_collate
        from .dataset import TensorDataset

        # fast path: rows of a TensorDataset are gathered with one fancy index per tensor
        self.fast = (
            auto_collation
            and collate_fn is default_collate
            and type(dataset) is TensorDataset
            and not any(t._requires_grad for t in dataset.tensors)
        )

    def fetch(self, index):
        if self.fast:
            from ...tensor import Tensor

            idx = B.asarray(index, dtype=B.NP_DTYPES["int64"])
            return [Tensor._wrap(t._data[idx]) for t in self.dataset.tensors]
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class IterableFetcher:
    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if len(data) == 0 or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def make_fetcher(is_iterable: bool, dataset, auto_collation, collate_fn, drop_last):
    cls = IterableFetcher if is_iterable else MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def seed_worker(seed: int) -> None:
    """Seed Python's, kittygrad's and NumPy's global generators for a worker."""
    from ...creation import manual_seed

    random.seed(seed)
    manual_seed(seed)
    B.xp.random.seed(seed & 0xFFFF_FFFF)


def _pack(idx, data, worker_id: int) -> bytes:
    """Pickle the result here, so that an unpicklable batch becomes an error the main process
    sees (a Queue would drop it in its feeder thread and leave the main process waiting)."""
    try:
        return pickle.dumps((idx, data), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        err = ExceptionWrapper(where=f"in DataLoader worker process {worker_id} (pickling the batch)")
        return pickle.dumps((idx, err), protocol=pickle.HIGHEST_PROTOCOL)


def worker_loop(
    is_iterable: bool,
    dataset,
    index_queue,
    data_queue,
    done_event,
    auto_collation: bool,
    collate_fn,
    drop_last: bool,
    base_seed: int,
    init_fn,
    worker_id: int,
    num_workers: int,
) -> None:
    """The body of a worker process: fetch the batches named on ``index_queue`` and put
    ``(task_index, batch)`` on ``data_queue`` until told to stop (``None``)."""
    global _worker_info
    try:
        parent = os.getppid()
        seed = base_seed + worker_id
        seed_worker(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        iteration_end = False
        while True:
            try:
                task = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent or done_event.is_set():
                    break
                continue
            if isinstance(task, ResumeIteration):
                data_queue.put(pickle.dumps((task, None)))
                iteration_end = False
                if task.seed is not None:
                    seed_worker(task.seed + worker_id)
                if init_error is None:
                    try:
                        fetcher = make_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
                    except Exception:
                        init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                continue
            if task is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = task
            if init_error is not None:
                data: Any = init_error
                init_error = None
            else:
                try:
                    data = fetcher.fetch(index)  # type: ignore[union-attr]
                except StopIteration:
                    if is_iterable:
                        data = IterableStop(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                except Exception:
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            data_queue.put(_pack(idx, data, worker_id))
            del data
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
