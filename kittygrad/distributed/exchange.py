"""The personalised exchanges of torch.distributed, over MPI: ``all_to_all``, ``all_to_all_single``,
batched point-to-point (``P2POp``, ``batch_isend_irecv``), objects sent to one rank
(``send_object_list`` / ``recv_object_list``) and ``monitored_barrier``.

Tensors travel as raw bytes (``MPI_Alltoallv`` on ``MPI.BYTE``), so every dtype, bfloat16 too,
arrives unchanged, and the pieces may differ in size from rank to rank.
"""

from __future__ import annotations

import datetime
import time
from typing import Any, Callable

from .. import backend as B
from ..errors import KittyRuntimeError, KittyTypeError, KittyValueError
from ..tensor import Tensor
from .collectives import Work, _check_tensor, _need_list, _object_list, _peer, _run, _write, irecv, isend
from .process_group import ProcessGroup, _resolve, mpi_module

__all__ = ["P2POp", "all_to_all", "all_to_all_single", "batch_isend_irecv", "monitored_barrier",
           "recv_object_list", "send_object_list"]


def _alltoallv(grp: ProcessGroup, pieces: list, out_sizes: list, dtype, finish: Callable, outputs: list,
               async_op: bool) -> Work | None:
    """Send ``pieces[r]`` (arrays of ``dtype``) to rank ``r``; receive ``out_sizes[r]`` elements
    from it; ``finish(list of received arrays)`` writes them out."""
    item = B.xp.dtype(dtype).itemsize
    send = B.xp.concatenate([B.xp.ascontiguousarray(p, dtype=dtype).reshape(-1) for p in pieces]) if pieces else \
        B.xp.empty(0, dtype)
    send_counts = [p.size * item for p in pieces]
    recv_counts = [n * item for n in out_sizes]
    recv = B.xp.empty(sum(out_sizes), dtype)
    offsets = [0]
    for n in recv_counts[:-1]:
        offsets.append(offsets[-1] + n)
    send_offsets = [0]
    for n in send_counts[:-1]:
        send_offsets.append(send_offsets[-1] + n)
    MPI = mpi_module()
    req = grp.comm.Ialltoallv([send.view(B.xp.uint8), (send_counts, send_offsets), MPI.BYTE],
                              [recv.view(B.xp.uint8), (recv_counts, offsets), MPI.BYTE])

    def done(_statuses):
        parts, start = [], 0
        for n in out_sizes:
            parts.append(recv[start:start + n])
            start += n
        finish(parts)

    return _run(Work([req], done, outputs, (send, recv)), async_op)


def _agree_sizes(grp: ProcessGroup, sending: list, receiving: list, what: str) -> None:
    """Rank ``i`` sends rank ``j`` as many elements as rank ``j`` expects from ``i``: checked on
    every rank before any data moves (a mismatch would otherwise corrupt or hang)."""
    table = grp.comm.allgather((sending, receiving))
    me = grp.rank()
    for peer, (their_sending, their_receiving) in enumerate(table):
        if their_sending[me] != receiving[peer] or sending[peer] != their_receiving[me]:
            raise KittyRuntimeError(
                f"{what}: rank {grp.ranks[peer]} and rank {grp.ranks[me]} disagree on the sizes they exchange "
                f"({their_sending[me]} elements sent to this rank, which expects {receiving[peer]}; "
                f"{sending[peer]} sent to it, which expects {their_receiving[me]})"
            )


def all_to_all(output_tensor_list: list, input_tensor_list: list, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Rank ``r`` sends ``input_tensor_list[j]`` to rank ``j`` and receives rank ``j``'s into
    ``output_tensor_list[j]`` (sizes may differ per pair; dtypes must match).

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> r = dist.get_rank(); out = [kitty.empty(1), kitty.empty(1)]  # 2 ranks  # doctest: +SKIP
    >>> dist.all_to_all(out, [kitty.tensor([10. * r]), kitty.tensor([10. * r + 1])]); out  # doctest: +SKIP
    [tensor([0.]), tensor([10.])]
    """
    grp = _resolve(group)
    size = grp.size()
    given = _need_list(input_tensor_list, size, "all_to_all's input_tensor_list")
    inputs = [_check_tensor(t, "all_to_all's input_tensor_list") for t in given]
    outputs = _need_list(output_tensor_list, size, "all_to_all's output_tensor_list")
    out_arrays = [_check_tensor(t, "all_to_all's output_tensor_list") for t in outputs]
    dtypes = {a.dtype for a in inputs + out_arrays}
    if len(dtypes) != 1:
        raise KittyValueError(
            f"all_to_all: every input and output tensor must have one dtype, got {sorted(map(str, dtypes))}"
        )
    (dtype,) = dtypes
    _agree_sizes(grp, [a.size for a in inputs], [a.size for a in out_arrays], "all_to_all")

    def finish(parts):
        for t, part in zip(outputs, parts):
            _write(t, part)

    return _alltoallv(grp, inputs, [a.size for a in out_arrays], dtype, finish, outputs, async_op)


def _splits(split_sizes: list | None, rows: int, size: int, what: str) -> list:
    if split_sizes is None or len(split_sizes) == 0:
        if rows % size:
            raise KittyValueError(f"all_to_all_single: {what} has {rows} rows along dim 0, not divisible by the "
                                  f"world size {size}; give {what}_split_sizes")
        return [rows // size] * size
    splits = [int(s) for s in split_sizes]
    if len(splits) != size or sum(splits) != rows:
        raise KittyValueError(f"all_to_all_single: {what}_split_sizes {splits} must have {size} entries summing to "
                              f"{what}'s {rows} rows")
    return splits


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes: list | None = None,
                      input_split_sizes: list | None = None, group: ProcessGroup | None = None,
                      async_op: bool = False) -> Work | None:
    """``input`` split along dim 0 (equally, or by ``input_split_sizes``): piece ``j`` goes to rank
    ``j``; what rank ``j`` sends lands in ``output``'s ``j``-th piece (by ``output_split_sizes``).

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> out = kitty.empty(2); dist.all_to_all_single(out, kitty.arange(2.) + 2 * dist.get_rank()); out  # doctest: +SKIP
    tensor([0., 2.])
    """
    grp = _resolve(group)
    size = grp.size()
    arr = _check_tensor(input, "all_to_all_single's input")
    out = _check_tensor(output, "all_to_all_single's output")
    if arr.dtype != out.dtype or arr.shape[1:] != out.shape[1:]:
        raise KittyValueError(f"all_to_all_single: input {list(arr.shape)} {arr.dtype} and output {list(out.shape)} "
                              f"{out.dtype} must share their dtype and every dim after the first")
    row = int(B.xp.prod(arr.shape[1:])) if arr.ndim > 1 else 1
    send_rows = _splits(input_split_sizes, arr.shape[0] if arr.ndim else 1, size, "input")
    recv_rows = _splits(output_split_sizes, out.shape[0] if out.ndim else 1, size, "output")
    pieces, start = [], 0
    flat = B.xp.ascontiguousarray(arr).reshape(-1)
    for n in send_rows:
        pieces.append(flat[start * row:(start + n) * row])
        start += n
    _agree_sizes(grp, [p.size for p in pieces], [n * row for n in recv_rows], "all_to_all_single")
    return _alltoallv(grp, pieces, [n * row for n in recv_rows], arr.dtype,
                      lambda parts: _write(output, B.xp.concatenate(parts) if parts else B.xp.empty(0, arr.dtype)),
                      [output], async_op)


class P2POp:
    """One send or receive for :func:`batch_isend_irecv`: ``op`` is ``dist.isend`` or ``dist.irecv``.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> op = dist.P2POp(dist.isend, kitty.ones(2), peer=1)  # doctest: +SKIP
    """

    def __init__(self, op: Callable, tensor: Tensor, peer: int | None = None, group: ProcessGroup | None = None,
                 tag: int = 0, group_peer: int | None = None) -> None:
        if op not in (isend, irecv):
            raise KittyValueError("Invalid ``op``. Expected ``op`` to be of type ``torch.distributed.isend`` or "
                                  "``torch.distributed.irecv``.")
        if not isinstance(tensor, Tensor):
            raise KittyTypeError(f"P2POp's tensor must be a Tensor, got {type(tensor).__name__}")
        self.op, self.tensor, self.peer, self.group, self.tag, self.group_peer = op, tensor, peer, group, tag, group_peer

    def __repr__(self) -> str:
        return f"P2POp(op={self.op.__name__}, peer={self.peer}, tag={self.tag}, shape={list(self.tensor.shape)})"


def batch_isend_irecv(p2p_op_list: list) -> list[Work]:
    """Start every send and receive of ``p2p_op_list`` at once; ``wait()`` each returned Work.

    >>> import kittygrad as kitty, kittygrad.distributed as dist  # doctest: +SKIP
    >>> r = dist.get_rank(); ops = [dist.P2POp(dist.isend, kitty.ones(1) * r, (r + 1) % 2),  # doctest: +SKIP
    ...     dist.P2POp(dist.irecv, got := kitty.empty(1), (r + 1) % 2)]  # doctest: +SKIP
    >>> [w.wait() for w in dist.batch_isend_irecv(ops)]  # doctest: +SKIP
    [True, True]
    """
    if not isinstance(p2p_op_list, list) or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise KittyTypeError("batch_isend_irecv expects a list of P2POp")
    return [p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer) for p in p2p_op_list]


def send_object_list(object_list: list, dst: int | None = None, group: ProcessGroup | None = None,
                     device: Any = None, group_dst: int | None = None) -> None:
    """Send the picklable objects of ``object_list`` to rank ``dst`` (which calls ``recv_object_list``).

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.send_object_list([{"step": 3}], dst=1)  # on rank 0  # doctest: +SKIP
    """
    grp = _resolve(group)
    peer = _peer(grp, dst, group_dst, "dst")
    grp.comm.send(list(_object_list(object_list, "send_object_list's object_list")), dest=peer, tag=_OBJECT_TAG)


def recv_object_list(object_list: list, src: int | None = None, group: ProcessGroup | None = None,
                     device: Any = None, group_src: int | None = None) -> int:
    """Receive objects from rank ``src`` (any rank when None) into ``object_list`` (of the length
    sent); returns the sender's rank.

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> got = [None]; dist.recv_object_list(got, src=0); got  # on rank 1  # doctest: +SKIP
    [{'step': 3}]
    """
    grp = _resolve(group)
    MPI = mpi_module()
    _object_list(object_list, "recv_object_list's object_list")
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _peer(grp, src, group_src, "src")
    status = MPI.Status()
    got = grp.comm.recv(source=peer, tag=_OBJECT_TAG, status=status)
    sender = grp.ranks[status.Get_source()]
    if len(got) != len(object_list):
        raise KittyValueError(f"recv_object_list: rank {sender} sent {len(got)} objects, this rank's list holds "
                              f"{len(object_list)}")
    object_list[:] = got
    return sender


#: the MPI tag of object messages (apart from tensor messages, whose tags users choose)
_OBJECT_TAG = 32767


def monitored_barrier(group: ProcessGroup | None = None, timeout: datetime.timedelta | None = None,
                      wait_all_ranks: bool = False) -> None:
    """A barrier that gives up after ``timeout`` (default 30 minutes, as torch) with an error, instead
    of waiting forever for a rank that never comes.

    >>> import datetime, kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.monitored_barrier(timeout=datetime.timedelta(seconds=10))  # doctest: +SKIP
    """
    grp = _resolve(group)
    limit = (timeout or datetime.timedelta(minutes=30)).total_seconds()
    request = grp.comm.Ibarrier()
    deadline = time.monotonic() + limit
    pause = 1e-4
    while not request.Test():
        if time.monotonic() >= deadline:
            raise KittyRuntimeError(
                f"Rank {grp.ranks[grp.rank()]} timed out in monitored_barrier after {limit:g} s: some rank of the "
                "group did not reach it"
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.01)

