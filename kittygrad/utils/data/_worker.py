"""Reading batches (in the main process or a worker) and what runs inside a worker process.

A :class:`ReaderSpec` says how an index becomes a batch; ``spec.make()`` gives the reader, a
callable ``index -> batch``. A worker (:func:`run_worker`) takes ``(task_number, index)`` from
its own queue and answers ``pickle((task_number, batch))`` on the shared one.
"""
from __future__ import annotations

import itertools
import os
import pickle
import queue
import random
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from ... import backend as B
from ...creation import manual_seed
from ...tensor import Tensor
from ._collate import default_collate
from .dataset import TensorDataset

__all__ = ["WorkerInfo", "get_worker_info"]

#: how often (seconds) a blocked worker checks that its parent still exists, and the main
#: process that its workers are alive
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class WorkerInfo:
    """Describes the current worker process (see :func:`get_worker_info`).

    >>> WorkerInfo(id=0, num_workers=2, seed=7, dataset=None).num_workers
    2
    """

    id: int
    num_workers: int
    seed: int
    dataset: Any


_state: dict[str, WorkerInfo | None] = {"info": None}  # set once in each worker process


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker: its :class:`WorkerInfo` (``id``, ``num_workers``, ``seed``,
    ``dataset`` — this worker's copy). In the main process: ``None``.

    >>> from kittygrad.utils.data import get_worker_info
    >>> get_worker_info() is None
    True
    """
    return _state["info"]


@dataclass
class StreamEnded:
    """Answer of a worker whose iterable dataset is exhausted."""

    worker_id: int


@dataclass
class NewEpoch:
    """Sent to persistent workers when a new epoch starts (they answer with it)."""

    seed: int | None = None


class _ReadableKeyError(str):
    """Keeps a multi-line KeyError message readable (KeyError repr()s its argument)."""

    def __repr__(self) -> str:
        return str(self)


class WorkerError:
    """The exception being handled in a worker, carried to the main process as text."""

    def __init__(self, where: str) -> None:
        kind, exc, tb = sys.exc_info()
        self.kind = kind if kind is not None else RuntimeError
        self.text = "".join(traceback.format_exception(kind, exc, tb))
        self.where = where

    def reraise(self) -> NoReturn:
        message = f"Caught {self.kind.__name__} {self.where}.\nOriginal {self.text}"
        arg = _ReadableKeyError(message) if self.kind is KeyError else message
        try:
            exc = self.kind(arg)
        except Exception:
            raise RuntimeError(message) from None
        raise exc


@dataclass(frozen=True)
class ReaderSpec:
    """How an index (a list of them when ``batched``) becomes a batch; picklable for workers."""

    dataset: Any
    streaming: bool
    batched: bool
    collate_fn: Callable
    drop_last: bool

    def make(self) -> Callable[[Any], Any]:
        """A fresh reader (for a stream: a fresh iterator over the dataset)."""
        return _StreamReader(self) if self.streaming else _MapReader(self)


class _MapReader:
    def __init__(self, spec: ReaderSpec) -> None:

        self.spec = spec
        ds = spec.dataset
        # rows of a TensorDataset are gathered with one fancy index per tensor
        self.gather = (
            spec.batched and spec.collate_fn is default_collate and type(ds) is TensorDataset
            and not any(t._requires_grad for t in ds.tensors)
        )

    def __call__(self, index):
        spec = self.spec
        if self.gather:

            rows = B.asarray(index, dtype=B.NP_DTYPES["int64"])
            return [Tensor._wrap(t._data[rows]) for t in spec.dataset.tensors]
        if not spec.batched:
            return spec.collate_fn(spec.dataset[index])
        many = getattr(spec.dataset, "__getitems__", None)
        samples = many(index) if callable(many) else [spec.dataset[i] for i in index]
        return spec.collate_fn(samples)


class _StreamReader:
    def __init__(self, spec: ReaderSpec) -> None:
        self.spec = spec
        self.source = iter(spec.dataset)
        self.exhausted = False

    def __call__(self, index):
        spec = self.spec
        if self.exhausted:
            raise StopIteration
        if not spec.batched:
            return spec.collate_fn(next(self.source))
        want = len(index)
        samples = list(itertools.islice(self.source, want))
        self.exhausted = len(samples) < want
        if not samples or (self.exhausted and spec.drop_last):
            raise StopIteration
        return spec.collate_fn(samples)


def seed_worker(seed: int) -> None:
    """Seed Python's, kittygrad's and NumPy's global generators for a worker."""
    random.seed(seed)
    manual_seed(seed)
    B.xp.random.seed(seed & 0xFFFF_FFFF)


def close_queue(q) -> None:
    """Close a multiprocessing queue without waiting for its buffered items to be flushed."""
    q.cancel_join_thread()
    q.close()


def _pack(number: int, answer: Any, where: str) -> bytes:
    """Pickle the answer here, so that an unpicklable batch becomes an error the main process
    sees (a Queue would drop it in its feeder thread and leave the main process waiting)."""
    try:
        return pickle.dumps((number, answer), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return pickle.dumps((number, WorkerError(where + " (pickling the batch)")), protocol=pickle.HIGHEST_PROTOCOL)


def _start(spec: ReaderSpec, init_fn: Callable[[int], None] | None, worker_id: int, where: str):
    """``(None, reader)``, or ``(WorkerError, None)`` when ``init_fn`` or the reader fails."""
    try:
        if init_fn is not None:
            init_fn(worker_id)
        return None, spec.make()
    except Exception:
        return WorkerError(where), None


def _answer(read, index, spec: ReaderSpec, worker_id: int, where: str) -> Any:
    try:
        return read(index)
    except StopIteration:
        return StreamEnded(worker_id) if spec.streaming else WorkerError(where)
    except Exception:
        return WorkerError(where)


def run_worker(spec: ReaderSpec, tasks, results, done, base_seed: int, init_fn, worker_id: int, num_workers: int) -> None:
    """The body of a worker process: read the batches named on ``tasks`` and answer on
    ``results`` until told to stop (``None``, ``done`` set, or the parent gone)."""
    where = f"in DataLoader worker process {worker_id}"
    parent = os.getppid()
    try:
        seed = base_seed + worker_id
        seed_worker(seed)
        _state["info"] = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=spec.dataset)
        failure, read = _start(spec, init_fn, worker_id, where)
        ended = False  # the stream ran out this epoch: later tasks get no answer
        while True:
            try:
                task = tasks.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if done.is_set() or os.getppid() != parent:
                    break
                continue
            if task is None:
                break
            if isinstance(task, NewEpoch):
                results.put(pickle.dumps((task, None)))
                ended = False
                if task.seed is not None:
                    seed_worker(task.seed + worker_id)
                if failure is None:
                    failure, read = _start(spec, None, worker_id, where)
                continue
            if ended or done.is_set():
                continue
            number, index = task
            if failure is not None:
                answer, failure = failure, None
            else:
                answer = _answer(read, index, spec, worker_id, where)
                ended = isinstance(answer, StreamEnded)
            results.put(_pack(number, answer, where))
            del answer
    except KeyboardInterrupt:
        pass
    if done.is_set():
        close_queue(results)
