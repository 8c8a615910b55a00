"""Collectives and point-to-point messages on tensors, over MPI, with torch's signatures.

Every collective is issued as MPI's non-blocking call and wrapped in a :class:`Work`; with
``async_op=False`` (the default) it is waited for before returning, so both paths run the same
code. Results are written into the caller's tensors in place (their version counters move, as
an in-place op's do). Before a collective the ranks compare the shapes and dtypes they pass,
so a mismatch is a clear error on every rank instead of a hang or a garbled buffer.
"""

from __future__ import annotations

import enum
from typing import Any, Callable

from .. import backend as B
from ..autograd.grad_mode import no_grad
from ..creation import from_numpy
from ..errors import KittyRuntimeError, KittyTypeError, KittyValueError
from ..futures import Future
from ..ops._prep import dtype_scalar_name
from ..tensor import Tensor
from .process_group import ProcessGroup, _group_rank_of, _resolve, mpi_module

__all__ = [
    "ReduceOp",
    "Work",
    "all_reduce",
    "broadcast",
    "reduce",
    "all_gather",
    "all_gather_into_tensor",
    "all_gather_single",
    "gather",
    "scatter",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "reduce_scatter_single",
    "barrier",
    "send",
    "recv",
    "isend",
    "irecv",
    "broadcast_object_list",
    "all_gather_object",
    "gather_object",
    "scatter_object_list",
]


class ReduceOp:
    """How ``all_reduce``/``reduce``/``reduce_scatter`` combine the ranks' values.

    >>> ReduceOp.SUM, ReduceOp.AVG.name
    (<RedOpType.SUM: 0>, 'AVG')
    """

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7

        def __repr__(self) -> str:
            return f"<RedOpType.{self.name}: {self.value}>"

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


# MPI's operator for each ReduceOp on numbers, and on booleans (torch reduces bool as logic)
_NUMERIC_OPS = {
    "SUM": "SUM",
    "AVG": "SUM",
    "PRODUCT": "PROD",
    "MIN": "MIN",
    "MAX": "MAX",
    "BAND": "BAND",
    "BOR": "BOR",
    "BXOR": "BXOR",
}
_BOOL_OPS = {
    "SUM": "LOR",
    "AVG": "LOR",
    "PRODUCT": "LAND",
    "MIN": "LAND",
    "MAX": "LOR",
    "BAND": "LAND",
    "BOR": "LOR",
    "BXOR": "LXOR",
}


class Work:
    """A collective or message in flight (what ``async_op=True``, ``isend`` and ``irecv`` return).

    ``wait()`` blocks until it is done and the result is in the output tensors; it returns
    ``True``. ``is_completed()`` asks without blocking.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.init_process_group(); w = dist.all_reduce(kitty.ones(2), async_op=True)  # doctest: +SKIP
    >>> w.wait()  # doctest: +SKIP
    True
    """

    def __init__(self, requests: list, finish: Callable[[list], None] | None, outputs: list, keep: tuple = ()) -> None:
        self._requests = requests
        self._finish = finish
        self._outputs = outputs
        self._keep = keep  # the buffers MPI reads and writes must live until the requests end
        self._done = False

    def _complete(self, statuses: list) -> None:
        self._done = True
        if self._finish is not None:
            self._finish(statuses)
        self._keep = ()

    def wait(self, timeout: Any = None) -> bool:
        if not self._done:
            MPI = mpi_module()
            statuses = [MPI.Status() for _ in self._requests]
            try:
                MPI.Request.Waitall(self._requests, statuses)
            except MPI.Exception as exc:
                raise KittyRuntimeError(f"a distributed operation failed in MPI: {exc}") from exc
            self._complete(statuses)
        return True

    def is_completed(self) -> bool:
        if not self._done:
            MPI = mpi_module()
            statuses = [MPI.Status() for _ in self._requests]
            if MPI.Request.Testall(self._requests, statuses):
                self._complete(statuses)
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def result(self) -> list:
        """The output tensors (after ``wait``)."""
        return list(self._outputs)

    def get_future(self) -> Future:
        """A :class:`kittygrad.futures.Future` of this work; its value is the list of output
        tensors (``[tensor]`` for ``all_reduce``), as torch's.

        >>> fut = dist.all_reduce(t, async_op=True).get_future()  # doctest: +SKIP
        >>> fut.then(lambda f: f.value()[0] / 2).wait()  # doctest: +SKIP
        """
        return Future._of_work(lambda: self.wait() and self.result(), self.is_completed)


def _run(work: Work, async_op: bool) -> Work | None:
    if async_op:
        return work
    work.wait()
    return None


def _check_tensor(t: Any, what: str) -> Any:
    if not isinstance(t, Tensor):
        raise KittyTypeError(f"{what} must be a Tensor, got {type(t).__name__}")
    return t._data


def _write(t: Tensor, arr) -> None:
    """Put ``arr``'s values into ``t`` in place (casting to ``t``'s dtype), outside autograd."""
    with no_grad():
        t.copy_(from_numpy(B.xp.ascontiguousarray(arr).reshape(t._data.shape)))


def _agree(grp: ProcessGroup, what: str, mine: tuple) -> None:
    """Every rank passes ``mine`` (shapes and dtypes); raise on all ranks if any differ."""
    if grp.size() == 1:
        return
    everyone = grp.comm.allgather(mine)
    if any(sig != everyone[0] for sig in everyone):
        listed = "; ".join(f"rank {grp.ranks[i]}: {_describe(sig)}" for i, sig in enumerate(everyone))
        raise KittyRuntimeError(
            f"{what}: the ranks passed tensors of different shapes or dtypes ({listed}); every rank must pass the same"
        )


def _describe(sig: tuple) -> str:
    return ", ".join(f"{list(shape)} {dtype}" for shape, dtype in sig) if sig else "nothing"


def _sig(*arrays) -> tuple:
    return tuple((tuple(a.shape), str(a.dtype)) for a in arrays)


def _bytes(arr) -> list:
    """MPI buffer spec moving ``arr``'s raw bytes: any dtype (bfloat16 too) travels unchanged."""
    return [arr, mpi_module().BYTE]


def _reducible(arr, op) -> tuple:
    """``(array MPI can reduce, MPI op, finish)`` for ``op`` on ``arr``'s dtype.

    Half-precision values reduce in float32 (MPI has no 16-bit float type) and booleans with
    MPI's logical operators; AVG sums and divides by the group size afterwards (floating point
    only, as torch's gloo: every rank raises before sending, since they all hold the same dtype).
    """
    if not isinstance(op, ReduceOp.RedOpType):
        raise KittyValueError(f"op must be a dist.ReduceOp (SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR, BXOR), got {op!r}")
    MPI = mpi_module()
    dt = arr.dtype
    if op.name == "AVG" and dt.kind in "biu":
        # torch sums, then divides in place: a float quotient cannot go back into an integer tensor
        raise KittyRuntimeError(f"result type Float can't be cast to the desired output type {dtype_scalar_name(dt)}")
    if dt.kind == "b":
        return B.xp.ascontiguousarray(arr), getattr(MPI, _BOOL_OPS[op.name]), None
    if op.name in ("BAND", "BOR", "BXOR") and dt.kind not in "iu":
        raise KittyRuntimeError(f"ReduceOp.{op.name} works on integer and bool tensors, got {dt}")
    work = arr.astype(B.xp.float32) if dt.itemsize == 2 and B.is_float(dt) else B.xp.ascontiguousarray(arr)
    return work, getattr(MPI, _NUMERIC_OPS[op.name]), (op.name == "AVG")


def _averaged(result, avg: bool | None, size: int):
    if not avg:
        return result
    return result / result.dtype.type(size)


def all_reduce(
    tensor: Tensor, op: ReduceOp.RedOpType = ReduceOp.SUM, group: ProcessGroup | None = None, async_op: bool = False
) -> Work | None:
    """Combine ``tensor`` across the ranks with ``op``; every rank gets the result in place.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> t = kitty.ones(2) * (dist.get_rank() + 1); dist.all_reduce(t); t  # 2 ranks  # doctest: +SKIP
    tensor([3., 3.])
    """
    grp = _resolve(group)
    arr = _check_tensor(tensor, "all_reduce's tensor")
    _agree(grp, "all_reduce", _sig(arr))
    send, mpi_op, avg = _reducible(arr, op)
    recv = B.xp.empty_like(send)
    req = grp.comm.Iallreduce(send, recv, op=mpi_op)
    return _run(
        Work([req], lambda _: _write(tensor, _averaged(recv, avg, grp.size())), [tensor], (send, recv)), async_op
    )


def broadcast(
    tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None, async_op: bool = False,
    group_src: int | None = None,
) -> Work | None:
    """Copy ``tensor`` from rank ``src`` into every rank's ``tensor``.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> t = kitty.full((2,), float(dist.get_rank())); dist.broadcast(t, src=0); t  # doctest: +SKIP
    tensor([0., 0.])
    """
    grp = _resolve(group)
    root = _group_rank_of(grp, src, group_src, "src")
    arr = _check_tensor(tensor, "broadcast's tensor")
    _agree(grp, "broadcast", _sig(arr))
    buf = B.xp.array(arr, order="C") if grp.rank() == root else B.xp.empty(arr.shape, arr.dtype)
    req = grp.comm.Ibcast(_bytes(buf), root=root)
    finish = None if grp.rank() == root else (lambda _: _write(tensor, buf))
    return _run(Work([req], finish, [tensor], (buf,)), async_op)


def reduce(
    tensor: Tensor, dst: int | None = None, op: ReduceOp.RedOpType = ReduceOp.SUM,
    group: ProcessGroup | None = None, async_op: bool = False, group_dst: int | None = None,
) -> Work | None:
    """Combine ``tensor`` across the ranks with ``op`` into rank ``dst``'s ``tensor`` (others keep theirs).

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> t = kitty.ones(2); dist.reduce(t, dst=0); t  # on rank 0 of 2  # doctest: +SKIP
    tensor([2., 2.])
    """
    grp = _resolve(group)
    root = _group_rank_of(grp, dst, group_dst, "dst")
    arr = _check_tensor(tensor, "reduce's tensor")
    _agree(grp, "reduce", _sig(arr))
    send, mpi_op, avg = _reducible(arr, op)
    recv = B.xp.empty_like(send)
    req = grp.comm.Ireduce(send, recv, op=mpi_op, root=root)
    finish = (lambda _: _write(tensor, _averaged(recv, avg, grp.size()))) if grp.rank() == root else None
    return _run(Work([req], finish, [tensor], (send, recv)), async_op)


def _same_as(tensors: list, like, what: str) -> list:
    arrays = [_check_tensor(t, what) for t in tensors]
    for a in arrays:
        if a.shape != like.shape or a.dtype != like.dtype:
            raise KittyValueError(
                f"{what}: every tensor must have the input's shape {list(like.shape)} and dtype "
                f"{like.dtype}, got {list(a.shape)} {a.dtype}"
            )
    return arrays


def _need_list(tensors: Any, size: int, what: str) -> list:
    if not isinstance(tensors, (list, tuple)) or len(tensors) != size:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise KittyValueError(f"{what} must be a list of {size} tensors (one per rank), got {got}")
    return list(tensors)


def all_gather(
    tensor_list: list, tensor: Tensor, group: ProcessGroup | None = None, async_op: bool = False
) -> Work | None:
    """Every rank's ``tensor`` into ``tensor_list[rank]``, on every rank.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> out = [kitty.zeros(1) for _ in range(2)]; dist.all_gather(out, kitty.ones(1) * dist.get_rank())  # doctest: +SKIP
    >>> out  # doctest: +SKIP
    [tensor([0.]), tensor([1.])]
    """
    grp = _resolve(group)
    arr = _check_tensor(tensor, "all_gather's tensor")
    outputs = _need_list(tensor_list, grp.size(), "all_gather's tensor_list")
    _same_as(outputs, arr, "all_gather's tensor_list")
    _agree(grp, "all_gather", _sig(arr))
    send = B.xp.ascontiguousarray(arr)
    recv = B.xp.empty((grp.size(), *arr.shape), arr.dtype)
    req = grp.comm.Iallgather(_bytes(send), _bytes(recv))

    def finish(_):
        for out, part in zip(outputs, recv):
            _write(out, part)

    return _run(Work([req], finish, outputs, (send, recv)), async_op)


def all_gather_into_tensor(
    output_tensor: Tensor, input_tensor: Tensor, group: ProcessGroup | None = None, async_op: bool = False
) -> Work | None:
    """Every rank's ``input_tensor`` concatenated (or stacked) into ``output_tensor``, on every rank.

    ``output_tensor`` has ``world_size`` times the input's elements: shape ``(world_size * n, ...)``
    or ``(world_size, n, ...)``.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> out = kitty.zeros(2); dist.all_gather_into_tensor(out, kitty.ones(1) * dist.get_rank()); out  # doctest: +SKIP
    tensor([0., 1.])
    """
    grp = _resolve(group)
    arr = _check_tensor(input_tensor, "all_gather_into_tensor's input_tensor")
    out = _check_tensor(output_tensor, "all_gather_into_tensor's output_tensor")
    if out.size != arr.size * grp.size() or out.dtype != arr.dtype:
        raise KittyValueError(
            f"all_gather_into_tensor: output_tensor must hold world_size ({grp.size()}) times the "
            f"input's {arr.size} elements of {arr.dtype}, got {out.size} of {out.dtype}"
        )
    _agree(grp, "all_gather_into_tensor", _sig(arr))
    send = B.xp.ascontiguousarray(arr)
    recv = B.xp.empty(out.shape, out.dtype)
    req = grp.comm.Iallgather(_bytes(send), _bytes(recv))
    return _run(Work([req], lambda _: _write(output_tensor, recv), [output_tensor], (send, recv)), async_op)


def gather(
    tensor: Tensor, gather_list: list | None = None, dst: int | None = None, group: ProcessGroup | None = None,
    async_op: bool = False, group_dst: int | None = None,
) -> Work | None:
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst`` (other ranks pass ``None``).

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> out = [kitty.zeros(1), kitty.zeros(1)] if dist.get_rank() == 0 else None  # doctest: +SKIP
    >>> dist.gather(kitty.ones(1) * dist.get_rank(), out, dst=0)  # doctest: +SKIP
    """
    grp = _resolve(group)
    root = _group_rank_of(grp, dst, group_dst, "dst")
    arr = _check_tensor(tensor, "gather's tensor")
    outputs: list = []
    if grp.rank() == root:
        if gather_list is None:
            raise KittyValueError("Argument ``gather_list`` must be specified on destination rank.")
        outputs = _need_list(gather_list, grp.size(), "gather's gather_list")
        _same_as(outputs, arr, "gather's gather_list")
    elif gather_list:
        raise KittyValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    _agree(grp, "gather", _sig(arr))
    send = B.xp.ascontiguousarray(arr)
    recv = B.xp.empty((grp.size(), *arr.shape), arr.dtype) if grp.rank() == root else None
    req = grp.comm.Igather(_bytes(send), _bytes(recv) if recv is not None else None, root=root)

    def finish(_):
        for out, part in zip(outputs, recv if recv is not None else ()):
            _write(out, part)

    return _run(Work([req], finish, outputs, (send, recv)), async_op)


def scatter(
    tensor: Tensor, scatter_list: list | None = None, src: int | None = None, group: ProcessGroup | None = None,
    async_op: bool = False, group_src: int | None = None,
) -> Work | None:
    """``scatter_list[rank]`` from rank ``src`` into each rank's ``tensor`` (other ranks pass ``None``).

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> parts = [kitty.zeros(1), kitty.ones(1)] if dist.get_rank() == 0 else None  # doctest: +SKIP
    >>> t = kitty.empty(1); dist.scatter(t, parts, src=0)  # doctest: +SKIP
    """
    grp = _resolve(group)
    root = _group_rank_of(grp, src, group_src, "src")
    arr = _check_tensor(tensor, "scatter's tensor")
    send = None
    if grp.rank() == root:
        if scatter_list is None:
            raise KittyValueError("Argument ``scatter_list`` must be specified on source rank.")
        inputs = _same_as(_need_list(scatter_list, grp.size(), "scatter's scatter_list"), arr, "scatter's scatter_list")
        send = B.xp.stack(inputs)
    elif scatter_list:
        raise KittyValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    _agree(grp, "scatter", _sig(arr))
    recv = B.xp.empty(arr.shape, arr.dtype)
    req = grp.comm.Iscatter(_bytes(send) if send is not None else None, _bytes(recv), root=root)
    return _run(Work([req], lambda _: _write(tensor, recv), [tensor], (send, recv)), async_op)


def _reduce_scatter(output: Tensor, stacked, op, grp: ProcessGroup, async_op: bool, what: str) -> Work | None:
    out = _check_tensor(output, f"{what}'s output")
    _agree(grp, what, _sig(out, stacked))
    send, mpi_op, avg = _reducible(stacked, op)
    recv = B.xp.empty(out.shape, send.dtype)
    req = grp.comm.Ireduce_scatter_block(send, recv, op=mpi_op)
    return _run(
        Work([req], lambda _: _write(output, _averaged(recv, avg, grp.size())), [output], (send, recv)), async_op
    )


def reduce_scatter(
    output: Tensor, input_list: list, op: ReduceOp.RedOpType = ReduceOp.SUM, group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """``input_list[r]`` combined across the ranks with ``op``, into rank ``r``'s ``output``.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> out = kitty.empty(1); dist.reduce_scatter(out, [kitty.ones(1), kitty.ones(1) * 2]); out  # doctest: +SKIP
    tensor([2.])
    """
    grp = _resolve(group)
    out = _check_tensor(output, "reduce_scatter's output")
    inputs = _same_as(
        _need_list(input_list, grp.size(), "reduce_scatter's input_list"), out, "reduce_scatter's input_list"
    )
    return _reduce_scatter(output, B.xp.stack(inputs), op, grp, async_op, "reduce_scatter")


def reduce_scatter_tensor(
    output: Tensor, input: Tensor, op: ReduceOp.RedOpType = ReduceOp.SUM, group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """``input`` split into ``world_size`` equal parts along dim 0, part ``r`` reduced into rank ``r``'s ``output``.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> out = kitty.empty(1); dist.reduce_scatter_tensor(out, kitty.tensor([1., 2.])); out  # doctest: +SKIP
    tensor([2.])
    """
    grp = _resolve(group)
    out = _check_tensor(output, "reduce_scatter_tensor's output")
    arr = _check_tensor(input, "reduce_scatter_tensor's input")
    if arr.size != out.size * grp.size() or arr.dtype != out.dtype:
        raise KittyValueError(
            f"reduce_scatter_tensor: input must hold world_size ({grp.size()}) times the output's "
            f"{out.size} elements of {out.dtype}, got {arr.size} of {arr.dtype}"
        )
    return _reduce_scatter(output, arr.reshape(grp.size(), *out.shape), op, grp, async_op, "reduce_scatter_tensor")


#: torch 2.13's names for the two; it warns that the ``*_tensor`` spellings are deprecated
all_gather_single = all_gather_into_tensor
reduce_scatter_single = reduce_scatter_tensor


def barrier(
    group: ProcessGroup | None = None, async_op: bool = False, device_ids: Any = None, timeout: Any = None
) -> Work | None:
    """Wait until every rank of the group has reached this call.

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.barrier()  # doctest: +SKIP
    """
    grp = _resolve(group)
    return _run(Work([grp.comm.Ibarrier()], None, []), async_op)


def _peer(grp: ProcessGroup, rank: int | None, group_rank: int | None, what: str) -> int:
    peer = _group_rank_of(grp, rank, group_rank, what)
    if peer == grp.rank():
        raise KittyValueError(
            f"Invalid {what} rank: {what} rank should not be the same as the rank of the current process."
        )
    return peer


def send(
    tensor: Tensor, dst: int | None = None, group: ProcessGroup | None = None, tag: int = 0,
    group_dst: int | None = None,
) -> None:
    """Send ``tensor`` to rank ``dst`` (which calls ``recv``); returns once the data has left.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.send(kitty.ones(2), dst=1) if dist.get_rank() == 0 else None  # doctest: +SKIP
    """
    isend(tensor, dst, group, tag, group_dst).wait()


def isend(
    tensor: Tensor, dst: int | None = None, group: ProcessGroup | None = None, tag: int = 0,
    group_dst: int | None = None,
) -> Work:
    """Start sending ``tensor`` to rank ``dst``; ``wait()`` the returned Work before changing it.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.isend(kitty.ones(2), dst=1).wait()  # doctest: +SKIP
    True
    """
    grp = _resolve(group)
    peer = _peer(grp, dst, group_dst, "dst")
    buf = B.xp.array(_check_tensor(tensor, "isend's tensor"), order="C")
    return Work([grp.comm.Isend(_bytes(buf), dest=peer, tag=tag)], None, [tensor], (buf,))


def irecv(
    tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None, tag: int = 0,
    group_src: int | None = None,
) -> Work:
    """Start receiving into ``tensor`` from rank ``src`` (any rank when ``None``); ``wait()`` for it.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> t = kitty.empty(2); dist.irecv(t, src=0).wait()  # doctest: +SKIP
    True
    """
    grp = _resolve(group)
    MPI = mpi_module()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _peer(grp, src, group_src, "src")
    arr = _check_tensor(tensor, "irecv's tensor")
    buf = B.xp.empty(arr.shape, arr.dtype)
    work = Work([grp.comm.Irecv(_bytes(buf), source=peer, tag=tag)], None, [tensor], (buf,))

    def finish(statuses):
        got = statuses[0].Get_count(MPI.BYTE)
        if got != buf.nbytes:
            raise KittyRuntimeError(
                f"recv: rank {grp.ranks[statuses[0].Get_source()]} sent {got} bytes, but the "
                f"tensor ({list(arr.shape)} {arr.dtype}) holds {buf.nbytes}"
            )
        work.source = grp.ranks[statuses[0].Get_source()]
        _write(tensor, buf)

    work._finish = finish
    return work


def recv(
    tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None, tag: int = 0,
    group_src: int | None = None,
) -> int:
    """Receive into ``tensor`` from rank ``src`` (any rank when ``None``); returns the sender's rank.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> t = kitty.empty(2); dist.recv(t, src=0)  # on rank 1  # doctest: +SKIP
    0
    """
    work = irecv(tensor, src, group, tag, group_src)
    work.wait()
    return work.source


def _object_list(object_list: Any, what: str) -> list:
    if not isinstance(object_list, list):
        raise KittyTypeError(f"{what} must be a list, got {type(object_list).__name__}")
    return object_list


def broadcast_object_list(
    object_list: list, src: int | None = None, group: ProcessGroup | None = None, device: Any = None,
    group_src: int | None = None,
) -> None:
    """Rank ``src``'s picklable objects into every rank's ``object_list`` (same length everywhere).

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> objs = [{"lr": 0.1}] if dist.get_rank() == 0 else [None]; dist.broadcast_object_list(objs)  # doctest: +SKIP
    """
    grp = _resolve(group)
    root = _group_rank_of(grp, src, group_src, "src")
    _object_list(object_list, "broadcast_object_list's object_list")
    got = grp.comm.bcast(list(object_list) if grp.rank() == root else None, root=root)
    if len(got) != len(object_list):
        raise KittyValueError(
            f"broadcast_object_list: rank {grp.ranks[root]} sent {len(got)} objects, this rank's "
            f"list holds {len(object_list)}"
        )
    object_list[:] = got


def all_gather_object(object_list: list, obj: Any, group: ProcessGroup | None = None) -> None:
    """Every rank's picklable ``obj`` into ``object_list`` (of ``world_size`` entries), on every rank.

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> out = [None] * dist.get_world_size(); dist.all_gather_object(out, dist.get_rank()); out  # doctest: +SKIP
    [0, 1]
    """
    grp = _resolve(group)
    _object_list(object_list, "all_gather_object's object_list")
    if len(object_list) != grp.size():
        raise KittyValueError(
            f"all_gather_object: object_list must have world_size ({grp.size()}) entries, got {len(object_list)}"
        )
    object_list[:] = grp.comm.allgather(obj)


def gather_object(
    obj: Any, object_gather_list: list | None = None, dst: int | None = None, group: ProcessGroup | None = None,
    group_dst: int | None = None,
) -> None:
    """Every rank's picklable ``obj`` into ``object_gather_list`` on rank ``dst``.

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> out = [None] * 2 if dist.get_rank() == 0 else None; dist.gather_object(dist.get_rank(), out)  # doctest: +SKIP
    """
    grp = _resolve(group)
    root = _group_rank_of(grp, dst, group_dst, "dst")
    if grp.rank() == root:
        _object_list(object_gather_list, "gather_object's object_gather_list")
        if len(object_gather_list) != grp.size():
            raise KittyValueError(
                f"gather_object: object_gather_list must have world_size ({grp.size()}) entries, "
                f"got {len(object_gather_list)}"
            )
    got = grp.comm.gather(obj, root=root)
    if grp.rank() == root:
        object_gather_list[:] = got


def scatter_object_list(
    scatter_object_output_list: list, scatter_object_input_list: list | None = None, src: int | None = None,
    group: ProcessGroup | None = None, group_src: int | None = None,
) -> None:
    """``scatter_object_input_list[rank]`` from rank ``src`` into each rank's ``scatter_object_output_list[0]``.

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> out = [None]; dist.scatter_object_list(out, ["a", "b"] if dist.get_rank() == 0 else None)  # doctest: +SKIP
    """
    grp = _resolve(group)
    root = _group_rank_of(grp, src, group_src, "src")
    out = _object_list(scatter_object_output_list, "scatter_object_list's scatter_object_output_list")
    if not out:
        raise KittyValueError("scatter_object_list: scatter_object_output_list must have at least one entry")
    inputs = None
    if grp.rank() == root:
        inputs = _object_list(scatter_object_input_list, "scatter_object_list's scatter_object_input_list")
        if len(inputs) != grp.size():
            raise KittyValueError(
                f"scatter_object_list: scatter_object_input_list must have world_size "
                f"({grp.size()}) entries, got {len(inputs)}"
            )
    out[0] = grp.comm.scatter(list(inputs) if inputs is not None else None, root=root)
