"""Run under ``mpiexec -n N`` (or plainly, as a group of one): every collective against NumPy.

Each rank can compute every rank's input (they are functions of the rank), so each result is
checked against a NumPy reference of the whole exchange. Writes ``{check: "ok" | traceback}``
to ``<out>/collectives.<world>.<rank>.json``. Usage: ``python collectives_worker.py OUT_DIR``.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import numpy as np

import kittygrad as kitty
import kittygrad.distributed as dist

RANK = WORLD = 0


def data(r: int, shape=(2, 3), dtype=np.float32) -> np.ndarray:
    """Rank ``r``'s input: distinct per rank, exact in every dtype used."""
    base = np.arange(int(np.prod(shape))).reshape(shape) % 5 + r * 2 - 1
    return base.astype(dtype)


def everyone(shape=(2, 3), dtype=np.float32) -> list[np.ndarray]:
    return [data(r, shape, dtype) for r in range(WORLD)]


def same(t: kitty.Tensor, ref: np.ndarray) -> None:
    got = t.numpy() if t.dtype != kitty.bfloat16 else t.float().numpy()
    assert got.shape == ref.shape, (got.shape, ref.shape)
    assert np.array_equal(got, ref.astype(got.dtype)), f"\n{got}\n!=\n{ref}"


NP_REDUCE = {
    "SUM": lambda xs: np.sum(xs, axis=0),
    "PRODUCT": lambda xs: np.prod(xs, axis=0),
    "MIN": lambda xs: np.min(xs, axis=0),
    "MAX": lambda xs: np.max(xs, axis=0),
    "AVG": lambda xs: np.mean(xs, axis=0),
}


def check_all_reduce() -> None:
    for dtype in (np.float32, np.float64, np.int64, np.int32, np.float16):
        for name, ref in NP_REDUCE.items():
            if name == "AVG" and np.dtype(dtype).kind == "i":
                continue
            t = kitty.from_numpy(data(RANK, dtype=dtype).copy())
            dist.all_reduce(t, op=getattr(dist.ReduceOp, name))
            same(t, ref(np.stack(everyone(dtype=dtype))).astype(dtype))
    flags = kitty.tensor([RANK == 0, True, False])
    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
    assert flags.tolist() == [True, True, False]
    flags = kitty.tensor([RANK == 0, True, False])
    dist.all_reduce(flags, op=dist.ReduceOp.MIN)
    assert flags.tolist() == [WORLD == 1, True, False]
    bits = kitty.tensor([1 << RANK, 3], dtype=kitty.int64)
    dist.all_reduce(bits, op=dist.ReduceOp.BOR)
    assert bits.tolist() == [(1 << WORLD) - 1, 3]


def check_all_reduce_async_and_views() -> None:
    t = kitty.from_numpy(data(RANK).copy())
    version = t._version
    work = dist.all_reduce(t, async_op=True)
    assert work.wait() is True and work.is_completed()
    same(t, np.sum(everyone(), axis=0))
    assert t._version > version, "an in-place collective must move the version counter"
    base = kitty.zeros(4, 3)
    view = base[1:3]
    view.copy_(kitty.from_numpy(data(RANK)))
    dist.all_reduce(view)
    same(base[1:3], np.sum(everyone(), axis=0))
    assert base[0].abs().sum().item() == 0 and base[3].abs().sum().item() == 0
    w = kitty.from_numpy(data(RANK).copy()).requires_grad_()
    dist.all_reduce(w)  # a leaf that requires grad: written outside autograd, as torch's c10d does
    same(w.detach(), np.sum(everyone(), axis=0))


def check_work_futures() -> None:
    t = kitty.from_numpy(data(RANK).copy())
    fut = dist.all_reduce(t, async_op=True).get_future()
    halved = fut.then(lambda f: f.value()[0] / 2)
    assert halved.wait() is not None and fut.done()
    value = fut.value()
    assert isinstance(value, list) and len(value) == 1 and value[0] is t  # torch's [tensor]
    same(halved.value(), np.sum(everyone(), axis=0) / 2)
    works = [dist.broadcast(kitty.full((3,), float(RANK)), src=0, async_op=True) for _ in range(2)]
    outs = kitty.futures.wait_all([w.get_future() for w in works])
    assert all(o[0].tolist() == [0.0, 0.0, 0.0] for o in outs)


def check_broadcast() -> None:
    for src in range(WORLD):
        for dtype in (np.float32, np.int64, np.bool_):
            t = kitty.from_numpy(data(RANK, dtype=dtype).copy())
            dist.broadcast(t, src=src)
            same(t, data(src, dtype=dtype))
    t = kitty.from_numpy(data(RANK).copy()).to(kitty.bfloat16)
    dist.broadcast(t, src=WORLD - 1)
    same(t, data(WORLD - 1))


def check_reduce() -> None:
    for dst in range(WORLD):
        t = kitty.from_numpy(data(RANK).copy())
        dist.reduce(t, dst=dst, op=dist.ReduceOp.MAX)
        same(t, np.max(everyone(), axis=0) if RANK == dst else data(RANK))


def check_all_gather() -> None:
    out = [kitty.zeros(2, 3) for _ in range(WORLD)]
    dist.all_gather(out, kitty.from_numpy(data(RANK)))
    for r in range(WORLD):
        same(out[r], data(r))
    flat = kitty.zeros(2 * WORLD, 3)
    dist.all_gather_into_tensor(flat, kitty.from_numpy(data(RANK)))
    same(flat, np.concatenate(everyone()))
    stacked = kitty.zeros(WORLD, 2, 3, dtype=kitty.int64)
    work = dist.all_gather_into_tensor(stacked, kitty.from_numpy(data(RANK, dtype=np.int64)), async_op=True)
    work.wait()
    same(stacked, np.stack(everyone(dtype=np.int64)))


def check_gather_scatter() -> None:
    for root in range(WORLD):
        out = [kitty.zeros(2, 3) for _ in range(WORLD)] if RANK == root else None
        dist.gather(kitty.from_numpy(data(RANK)), out, dst=root)
        if RANK == root:
            for r in range(WORLD):
                same(out[r], data(r))
        parts = [kitty.from_numpy(data(r) * 10) for r in range(WORLD)] if RANK == root else None
        got = kitty.empty(2, 3)
        dist.scatter(got, parts, src=root)
        same(got, data(RANK) * 10)


def check_reduce_scatter() -> None:
    # rank r contributes data(r) + 100 * k as part k; rank k receives the sum over r of part k
    inputs = [kitty.from_numpy(data(RANK) + 100 * k) for k in range(WORLD)]
    out = kitty.empty(2, 3)
    dist.reduce_scatter(out, inputs)
    same(out, sum(data(r) + 100 * RANK for r in range(WORLD)))
    big = kitty.from_numpy(np.concatenate([data(RANK) + 100 * k for k in range(WORLD)]))
    out = kitty.empty(2, 3)
    dist.reduce_scatter_tensor(out, big, op=dist.ReduceOp.AVG)
    same(out, np.mean([data(r) + 100 * RANK for r in range(WORLD)], axis=0))


def check_point_to_point() -> None:
    if WORLD == 1:
        try:
            dist.send(kitty.ones(2), dst=0)
        except ValueError as exc:
            assert "should not be the same" in str(exc)
        else:
            raise AssertionError("sending to oneself was not refused")
        return
    nxt, prv = (RANK + 1) % WORLD, (RANK - 1) % WORLD
    got = kitty.empty(2, 3)
    recv_work = dist.irecv(got, src=prv, tag=7)
    send_work = dist.isend(kitty.from_numpy(data(RANK)), dst=nxt, tag=7)
    send_work.wait()
    recv_work.wait()
    same(got, data(prv))
    if RANK == 0:
        dist.send(kitty.from_numpy(data(0, dtype=np.int64)), dst=1)
        dist.send(kitty.ones(5), dst=1)
    elif RANK == 1:
        got = kitty.empty(2, 3, dtype=kitty.int64)
        assert dist.recv(got) == 0  # any source: the sender's rank comes back
        same(got, data(0, dtype=np.int64))
        try:
            dist.recv(kitty.empty(4), src=0)
        except RuntimeError as exc:
            assert "bytes" in str(exc) or "MPI" in str(exc), exc
        else:
            raise AssertionError("a message of the wrong size was accepted")


def check_objects_and_barrier() -> None:
    objs = [{"rank": RANK}, "x"] if RANK == 0 else [None, None]
    dist.broadcast_object_list(objs, src=0)
    assert objs == [{"rank": 0}, "x"]
    gathered = [None] * WORLD
    dist.all_gather_object(gathered, ("r", RANK))
    assert gathered == [("r", r) for r in range(WORLD)]
    out = [None] * WORLD if RANK == 0 else None
    dist.gather_object(RANK * 3, out, dst=0)
    assert RANK != 0 or out == [r * 3 for r in range(WORLD)]
    got = [None]
    dist.scatter_object_list(got, [f"to{r}" for r in range(WORLD)] if RANK == 0 else None, src=0)
    assert got == [f"to{RANK}"]
    assert dist.barrier() is None
    assert dist.barrier(async_op=True).wait()


def check_groups() -> None:
    assert dist.get_rank() == RANK and dist.get_world_size() == WORLD and dist.is_initialized()
    assert dist.get_backend() == "mpi"
    solo = dist.new_group([0])
    if RANK == 0:
        assert dist.get_world_size(solo) == 1 and dist.get_rank(solo) == 0
        t = kitty.ones(2)
        dist.all_reduce(t, group=solo)
        assert t.tolist() == [1.0, 1.0]
    else:
        assert solo is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(solo) == -1
    whole = dist.new_group()
    t = kitty.ones(1)
    dist.all_reduce(t, group=whole)
    assert t.item() == WORLD
    assert dist.get_process_group_ranks(whole) == list(range(WORLD))


def check_errors() -> None:
    try:
        dist.init_process_group("mpi")
    except ValueError as exc:
        assert str(exc) == "trying to initialize the default process group twice!"
    else:
        raise AssertionError("init twice was allowed")
    if WORLD > 1:
        for call in (lambda t: dist.all_reduce(t), lambda t: dist.broadcast(t, src=0)):
            try:
                call(kitty.ones(RANK + 2))
            except RuntimeError as exc:
                assert "different shapes" in str(exc) and "rank 1: [3]" in str(exc), exc
            else:
                raise AssertionError("mismatched shapes were not refused")
        try:
            dist.all_reduce(kitty.ones(2, dtype=kitty.float64 if RANK else kitty.float32))
        except RuntimeError as exc:
            assert "float64" in str(exc)
        else:
            raise AssertionError("mismatched dtypes were not refused")
    try:
        dist.all_gather([kitty.zeros(2)], kitty.zeros(2)) if WORLD > 1 else dist.all_gather([], kitty.zeros(2))
    except ValueError as exc:
        assert f"list of {WORLD} tensors" in str(exc)
    else:
        raise AssertionError("a tensor_list of the wrong length was accepted")


def check_average_of_integers_is_torchs_error() -> None:
    """torch (gloo) sums, then cannot divide in place into an integer or bool tensor: every rank
    raises its cast error, world of one too (kittygrad used to floor-divide)."""
    for dtype, name in ((kitty.int64, "Long"), (kitty.int32, "Int"), (kitty.uint8, "Byte"), (kitty.bool, "Bool")):
        for call in (lambda t: dist.all_reduce(t, op=dist.ReduceOp.AVG),
                     lambda t: dist.reduce(t, dst=0, op=dist.ReduceOp.AVG),
                     lambda t: dist.reduce_scatter_tensor(kitty.zeros(1, dtype=dtype), t, op=dist.ReduceOp.AVG)):
            t = kitty.ones(WORLD, dtype=dtype)
            try:
                call(t)
            except RuntimeError as exc:
                assert str(exc) == f"result type Float can't be cast to the desired output type {name}", exc
            else:
                raise AssertionError(f"AVG of {dtype} was not refused")
    t = kitty.tensor([float(RANK), 1.0], dtype=kitty.bfloat16)  # floating point still averages
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    assert t.float().tolist() == [(WORLD - 1) / 2, 1.0], t


def check_all_to_all() -> None:
    # rank r sends rank j a piece of j + 1 rows, each row r*10 + j (and receives j's: rank r + 1 rows)
    for dtype in (np.float32, np.int64, np.float16):
        inputs = [kitty.from_numpy(np.full((j + 1, 2), RANK * 10 + j, dtype)) for j in range(WORLD)]
        outputs = [kitty.from_numpy(np.zeros((RANK + 1, 2), dtype)) for _ in range(WORLD)]
        dist.all_to_all(outputs, inputs)
        for j, out in enumerate(outputs):
            same(out, np.full((RANK + 1, 2), j * 10 + RANK, dtype))
    # equal splits of one tensor, then uneven splits given by sizes
    whole = kitty.from_numpy(np.arange(WORLD * 3, dtype=np.float32) + 100 * RANK)
    out = kitty.empty(WORLD * 3)
    dist.all_to_all_single(out, whole)
    same(out, np.concatenate([np.arange(RANK * 3, RANK * 3 + 3, dtype=np.float32) + 100 * j for j in range(WORLD)]))
    send_sizes = [j + 1 for j in range(WORLD)]  # to rank j: j + 1 rows
    rows = kitty.from_numpy(np.full((sum(send_sizes), 2), RANK, np.float64))
    got = kitty.empty(WORLD * (RANK + 1), 2, dtype=kitty.float64)
    work = dist.all_to_all_single(got, rows, [RANK + 1] * WORLD, send_sizes, async_op=True)
    assert work.wait()
    same(got, np.repeat(np.arange(WORLD, dtype=np.float64), RANK + 1)[:, None].repeat(2, 1))
    try:
        dist.all_to_all_single(kitty.empty(WORLD * 2 + 1), kitty.empty(WORLD * 2 + 1))
    except ValueError as exc:
        assert "not divisible" in str(exc) or WORLD == 1
    else:
        assert WORLD == 1, "an indivisible all_to_all_single was accepted"


def check_batched_point_to_point_and_objects() -> None:
    if WORLD < 2:
        dist.monitored_barrier()
        return
    nxt, prev = (RANK + 1) % WORLD, (RANK - 1) % WORLD
    got = kitty.empty(3)
    works = dist.batch_isend_irecv([dist.P2POp(dist.isend, kitty.full((3,), float(RANK)), nxt),
                                    dist.P2POp(dist.irecv, got, prev)])
    assert [w.wait() for w in works] == [True, True]
    same(got, np.full(3, prev, np.float32))
    if RANK == 0:
        dist.send_object_list([{"from": 0}, "x"], dst=1)
    elif RANK == 1:
        objs = [None, None]
        assert dist.recv_object_list(objs, src=0) == 0
        assert objs == [{"from": 0}, "x"], objs
    import datetime

    dist.monitored_barrier(timeout=datetime.timedelta(seconds=30))


CHECKS = {name[len("check_") :]: fn for name, fn in dict(globals()).items() if name.startswith("check_")}


def main() -> None:
    global RANK, WORLD
    out = Path(sys.argv[1])
    dist.init_process_group(backend="mpi", init_method="env://")
    RANK, WORLD = dist.get_rank(), dist.get_world_size()
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception:
            results[name] = traceback.format_exc()
        dist.barrier()
    (out / f"collectives.{WORLD}.{RANK}.json").write_text(json.dumps(results))
    dist.destroy_process_group()
    assert not dist.is_initialized()


if __name__ == "__main__":
    main()
