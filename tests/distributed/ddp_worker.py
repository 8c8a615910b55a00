"""Run under ``mpiexec -n 2``: DistributedDataParallel against single-process training.

Every rank also trains a plain copy of the model on the whole global batch and checks that the
DDP replica ends with the same weights. Writes ``{check: "ok" | traceback}`` to
``<out>/ddp.<world>.<rank>.json``, each check once per backward semantics ("seed/adam", "torch/adam").
Usage: ``python ddp_worker.py OUT_DIR``.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import kittygrad as kitty
import kittygrad.distributed as dist
from kittygrad.distributed.algorithms.ddp_comm_hooks import default_hooks
from kittygrad.nn.parallel import DistributedDataParallel as DDP
from kittygrad.utils.data import DataLoader, DistributedSampler, TensorDataset

TOL = 1e-5


def make_model(seed: int) -> kitty.nn.Module:
    kitty.manual_seed(seed)
    return kitty.nn.Sequential(
        kitty.nn.Linear(5, 16), kitty.nn.Tanh(), kitty.nn.Linear(16, 8), kitty.nn.ReLU(), kitty.nn.Linear(8, 3)
    )


def max_diff(a: kitty.nn.Module, b: kitty.nn.Module) -> float:
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))


def batches(steps: int, size: int):
    gen = kitty.Generator().manual_seed(123)
    return [(kitty.randn(size, 5, generator=gen), kitty.randint(0, 3, (size,), generator=gen)) for _ in range(steps)]


def check_training(opt_name: str) -> None:
    rank, world = dist.get_rank(), dist.get_world_size()
    ddp = DDP(make_model(seed=rank + 10), bucket_cap_mb=0.0005)  # tiny buckets: several all-reduces overlap backward
    ref = make_model(seed=10)
    assert max_diff(ddp.module, ref) == 0, "DDP did not take rank 0's initial parameters"
    assert len(ddp._buckets) > 1
    make = {
        "sgd": lambda ps: kitty.optim.SGD(ps, lr=0.1, momentum=0.9),
        "adam": lambda ps: kitty.optim.Adam(ps, lr=0.01),
    }[opt_name]
    opt, ref_opt = make(ddp.parameters()), make(ref.parameters())
    loss_fn = kitty.nn.CrossEntropyLoss()
    for x, y in batches(5, 4 * world):
        mine = slice(rank * 4, rank * 4 + 4)
        opt.zero_grad()
        loss_fn(ddp(x[mine]), y[mine]).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_fn(ref(x), y).backward()
        ref_opt.step()
    diff = max_diff(ddp.module, ref)
    assert diff <= TOL, f"{opt_name}: DDP weights differ from single-process by {diff}"


def check_no_sync() -> None:
    rank, world = dist.get_rank(), dist.get_world_size()
    ddp, ref = DDP(make_model(seed=3)), make_model(seed=3)
    opt, ref_opt = kitty.optim.SGD(ddp.parameters(), lr=0.5), kitty.optim.SGD(ref.parameters(), lr=0.5)
    loss_fn = kitty.nn.CrossEntropyLoss()
    micro = batches(3, 2 * world)
    for k, (x, y) in enumerate(micro):
        mine = slice(rank * 2, rank * 2 + 2)
        if k < len(micro) - 1:
            with ddp.no_sync():
                (loss_fn(ddp(x[mine]), y[mine]) / len(micro)).backward()
            grads = [p.grad.clone() for p in ddp.parameters()]
            others = [None] * world
            dist.all_gather_object(others, [g.tolist() for g in grads])
            assert world == 1 or any(others[0] != o for o in others), "inside no_sync the gradients were averaged"
        else:
            (loss_fn(ddp(x[mine]), y[mine]) / len(micro)).backward()
    opt.step()
    sum(loss_fn(ref(x), y) for x, y in micro).div(len(micro)).backward()
    ref_opt.step()
    assert max_diff(ddp.module, ref) <= TOL


def check_half_precision_parameters() -> None:
    """bfloat16 and float16 models: MPI has no 16-bit float, so the buckets are summed in float32
    (handing MPI the 16-bit gradients crashed in backward); the averages match one process."""
    rank, world = dist.get_rank(), dist.get_world_size()
    for dtype in (kitty.bfloat16, kitty.float16):
        ddp, ref = DDP(make_model(seed=rank + 7).to(dtype)), make_model(seed=7).to(dtype)
        x, y = batches(1, 4 * world)[0]
        x = x.to(dtype)
        mine = slice(rank * 4, rank * 4 + 4)
        kitty.nn.functional.cross_entropy(ddp(x[mine]).float(), y[mine], reduction="sum").backward()
        kitty.nn.functional.cross_entropy(ref(x).float(), y, reduction="sum").div(world).backward()
        for p, q in zip(ddp.module.parameters(), ref.parameters()):
            assert p.grad.dtype == dtype, p.grad.dtype
            diff = (p.grad.float() - q.grad.float()).abs().max().item()
            assert diff <= 2e-2 * (1 + q.grad.float().abs().max().item()), f"{dtype}: differs by {diff}"


def check_uneven_last_batch() -> None:
    rank, world = dist.get_rank(), dist.get_world_size()
    gen = kitty.Generator().manual_seed(5)
    data = TensorDataset(kitty.randn(11, 5, generator=gen), kitty.randint(0, 3, (11,), generator=gen))
    ddp, ref = DDP(make_model(seed=4)), make_model(seed=4)
    opt, ref_opt = (
        kitty.optim.SGD(ddp.parameters(), lr=0.3, momentum=0.5),
        kitty.optim.SGD(ref.parameters(), lr=0.3, momentum=0.5),
    )
    loss_fn = kitty.nn.CrossEntropyLoss()
    samplers = [DistributedSampler(data, num_replicas=world, rank=r, shuffle=True, seed=1) for r in range(world)]
    for epoch in range(2):
        for s in samplers:
            s.set_epoch(epoch)
        loaders = [DataLoader(data, batch_size=4, sampler=s) for s in samplers]  # 6 each: batches of 4 and 2
        sizes = []
        for parts in zip(*loaders):
            x, y = parts[rank]
            sizes.append(len(y))
            opt.zero_grad()
            loss_fn(ddp(x), y).backward()
            opt.step()
            ref_opt.zero_grad()
            loss_fn(ref(kitty.cat([p[0] for p in parts])), kitty.cat([p[1] for p in parts])).backward()
            ref_opt.step()
        assert sizes[-1] < sizes[0], sizes
    assert max_diff(ddp.module, ref) <= TOL


class Branchy(kitty.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.trunk = kitty.nn.Linear(5, 4)
        self.branch = kitty.nn.Linear(4, 4)
        self.never = kitty.nn.Linear(4, 4)
        self.head = kitty.nn.Linear(4, 3)

    def forward(self, x, use_branch: bool):
        h = self.trunk(x).tanh()
        if use_branch:
            h = self.branch(h).tanh()
        return self.head(h)


def check_unused_parameters() -> None:
    rank, world = dist.get_rank(), dist.get_world_size()
    kitty.manual_seed(8)
    ddp = DDP(Branchy(), find_unused_parameters=True)
    kitty.manual_seed(8)
    ref = Branchy()
    opt, ref_opt = kitty.optim.SGD(ddp.parameters(), lr=0.2), kitty.optim.SGD(ref.parameters(), lr=0.2)
    loss_fn = kitty.nn.CrossEntropyLoss()
    for step, (x, y) in enumerate(batches(3, 3 * world)):
        parts = [(x[r * 3 : r * 3 + 3], y[r * 3 : r * 3 + 3], (r + step) % 2 == 0) for r in range(world)]
        opt.zero_grad()
        xs, ys, use = parts[rank]
        loss_fn(ddp(xs, use), ys).backward()
        opt.step()
        ref_opt.zero_grad()
        (sum(loss_fn(ref(a, u), b) for a, b, u in parts) / world).backward()
        ref_opt.step()
        assert ddp.module.never.weight.grad is None, "a parameter no rank used got a gradient"
    assert max_diff(ddp.module, ref) <= TOL


def check_unused_without_flag_is_torchs_error() -> None:
    ddp = DDP(Branchy())
    ddp(kitty.randn(2, 5), False).sum().backward()
    try:
        ddp(kitty.randn(2, 5), False)
    except RuntimeError as exc:
        assert "Expected to have finished reduction in the prior iteration" in str(exc), exc
        assert "branch.weight" in str(exc)
    else:
        raise AssertionError("no error for parameters without gradients")


def check_buffers_and_state_dict() -> None:
    rank = dist.get_rank()
    model = kitty.nn.Sequential(kitty.nn.Linear(3, 3), kitty.nn.BatchNorm1d(3))
    ddp = DDP(model)
    with kitty.no_grad():
        model[1].running_mean.fill_(float(rank + 1))
    ddp(kitty.randn(4, 3))
    everyone = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, model[1].running_mean.tolist())
    assert all(e == everyone[0] for e in everyone), "broadcast_buffers did not give every rank rank 0's buffers"
    keys = list(ddp.state_dict())
    assert keys[0] == "module.0.weight", keys
    plain = kitty.nn.Sequential(kitty.nn.Linear(3, 3), kitty.nn.BatchNorm1d(3))
    plain.load_state_dict(ddp.module.state_dict())
    assert ddp.module is model


def check_sync_batchnorm() -> None:
    """DDP of a model with SyncBatchNorm, each rank on its slice, trains as one process with
    BatchNorm on the whole batch: weights, running statistics and the outputs of each step."""
    rank, world = dist.get_rank(), dist.get_world_size()

    def make(seed):
        kitty.manual_seed(seed)
        return kitty.nn.Sequential(kitty.nn.Conv2d(2, 4, 3), kitty.nn.BatchNorm2d(4), kitty.nn.ReLU(),
                                   kitty.nn.Flatten(), kitty.nn.Linear(4 * 4 * 4, 3), kitty.nn.BatchNorm1d(3))

    ddp = DDP(kitty.nn.SyncBatchNorm.convert_sync_batchnorm(make(seed=rank + 20)))
    ref = make(seed=20)
    opt = kitty.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    ref_opt = kitty.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    gen = kitty.Generator().manual_seed(7)
    for _ in range(3):
        x = kitty.randn(3 * world, 2, 6, 6, generator=gen) * 2 + 1
        mine = slice(rank * 3, rank * 3 + 3)
        opt.zero_grad()
        out = ddp(x[mine])
        out.square().mean().backward()
        opt.step()
        ref_opt.zero_grad()
        ref_out = ref(x)
        ref_out.square().mean().backward()
        ref_opt.step()
        assert (out - ref_out[mine]).abs().max().item() <= TOL, "SyncBatchNorm's output differs from BatchNorm's"
    diff = max_diff(ddp.module, ref)
    assert diff <= TOL, f"DDP with SyncBatchNorm differs from one process with BatchNorm by {diff}"
    for sync_bn, bn in ((ddp.module[1], ref[1]), (ddp.module[5], ref[5])):
        for name in ("running_mean", "running_var"):
            gap = (getattr(sync_bn, name) - getattr(bn, name)).abs().max().item()
            assert gap <= TOL, f"{name} differs by {gap}"
        assert sync_bn.num_batches_tracked.item() == 3


def _join_difference(seed: int, initial: bool = True, hook=None, momentum: float = 0.9, **ddp_options) -> float:
    """Rank r trains on 2 + r batches inside ddp.join(): max weight difference from one process
    whose iterations sum the batches of the ranks still training (divided by the world size, or
    by those ranks with ``initial=False``)."""
    rank, world = dist.get_rank(), dist.get_world_size()
    ddp = DDP(make_model(seed=rank + seed), bucket_cap_mb=0.0005, **ddp_options)
    if hook is not None:
        ddp.register_comm_hook(None, hook)
    ref = make_model(seed=seed)
    opt = kitty.optim.SGD(ddp.parameters(), lr=0.1, momentum=momentum)
    ref_opt = kitty.optim.SGD(ref.parameters(), lr=0.1, momentum=momentum)
    loss_fn = kitty.nn.CrossEntropyLoss()
    steps = [batches(2 + r, 4) for r in range(world)]  # every rank can compute every rank's batches
    with ddp.join(divide_by_initial_world_size=initial):
        for x, y in steps[rank]:
            opt.zero_grad()
            loss_fn(ddp(x), y).backward()
            opt.step()
    for i in range(2 + world - 1):
        active = [r for r in range(world) if i < 2 + r]
        ref_opt.zero_grad()
        total = sum(loss_fn(ref(steps[r][i][0]), steps[r][i][1]) for r in active)
        (total / (world if initial else len(active))).backward()
        ref_opt.step()
    return max_diff(ddp.module, ref)


def check_join_uneven_inputs() -> None:
    """In the iterations a rank has run out, its gradient counts as zero (divided by the world
    size, or by the ranks still training); throw_on_early_termination raises on every rank."""
    rank, world = dist.get_rank(), dist.get_world_size()
    for initial in (True, False):
        diff = _join_difference(30, initial)
        assert diff <= TOL, f"join(divide_by_initial_world_size={initial}): differs from one process by {diff}"
    ddp = DDP(make_model(seed=1))
    try:
        with ddp.join(throw_on_early_termination=True):
            for x, y in batches(1 + rank, 4):
                kitty.nn.functional.cross_entropy(ddp(x), y).backward()
    except RuntimeError as exc:  # torch's two messages: the rank that ran out, and the ranks it stops
        want = f"Rank {rank} exhausted all inputs." if rank == 0 else \
            "Detected at least one rank that exhausted inputs. Throwing across all ranks."
        assert str(exc) == want, f"rank {rank}: {exc}"
    else:
        assert world == 1, "throw_on_early_termination did not raise"


def _train_with_hook(hook, state=None, steps: int = 3, seed: int = 40) -> float:
    """Max weight difference between DDP with ``hook`` and one process on the global batches."""
    rank, world = dist.get_rank(), dist.get_world_size()
    ddp = DDP(make_model(seed=rank + seed), bucket_cap_mb=0.0005)
    ddp.register_comm_hook(state, hook)
    ref = make_model(seed=seed)
    opt, ref_opt = kitty.optim.SGD(ddp.parameters(), lr=0.1), kitty.optim.SGD(ref.parameters(), lr=0.1)
    loss_fn = kitty.nn.CrossEntropyLoss()
    for x, y in batches(steps, 4 * world):
        mine = slice(rank * 4, rank * 4 + 4)
        opt.zero_grad()
        loss_fn(ddp(x[mine]), y[mine]).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_fn(ref(x), y).backward()
        ref_opt.step()
    return max_diff(ddp.module, ref)


def check_comm_hooks() -> None:
    """register_comm_hook with torch's stock hooks and a hand-written one trains as one process."""
    world = dist.get_world_size()
    assert _train_with_hook(default_hooks.allreduce_hook) <= TOL
    # 16-bit buckets: each averaged gradient is rounded to 11 (fp16) or 8 (bf16) significant bits
    assert _train_with_hook(default_hooks.fp16_compress_hook) <= 2e-3
    assert _train_with_hook(default_hooks.bf16_compress_hook) <= 2e-2
    assert _train_with_hook(default_hooks.fp16_compress_wrapper(default_hooks.allreduce_hook)) <= 2e-3
    seen = {"calls": [], "last": []}

    def mean_by_hand(state, bucket):  # torch's tutorial hook: sum, then divide in the callback
        state["calls"].append(bucket.index())
        state["last"].append(bucket.is_last())
        flat = bucket.buffer()
        assert flat.dim() == 1 and flat.numel() == sum(p.numel() for p in bucket.parameters())
        assert [tuple(g.shape) for g in bucket.gradients()] == [tuple(p.shape) for p in bucket.parameters()]
        fut = dist.all_reduce(flat, async_op=True).get_future()
        return fut.then(lambda f: f.value()[0] / world)

    assert _train_with_hook(mean_by_hand, seen, steps=2) <= TOL
    buckets = len(seen["calls"]) // 2
    assert buckets > 1 and seen["calls"] == list(range(buckets)) * 2, seen["calls"]
    assert seen["last"] == ([False] * (buckets - 1) + [True]) * 2
    ddp = DDP(make_model(seed=1))
    ddp.register_comm_hook(None, default_hooks.allreduce_hook)
    try:
        ddp.register_comm_hook(None, default_hooks.allreduce_hook)
    except RuntimeError as exc:
        assert "can only be called once" in str(exc)
    else:
        raise AssertionError("a second register_comm_hook was accepted")
    try:
        DDP(make_model(seed=1)).register_comm_hook(None, "allreduce")
    except TypeError as exc:
        assert "must be callable" in str(exc)
    else:
        raise AssertionError("a hook that is not callable was accepted")
    bad = DDP(make_model(seed=1))
    bad.register_comm_hook(None, lambda state, bucket: bucket.buffer())
    try:
        bad(kitty.randn(2, 5)).sum().backward()
    except TypeError as exc:
        assert "must return a kittygrad.futures.Future" in str(exc)
    else:
        raise AssertionError("a hook that returned a tensor, not a Future, was accepted")


def check_comm_hook_with_join() -> None:
    """Inside join(), a rank out of inputs calls the hook too (on zeros), so the collectives match
    (with find_unused_parameters too, whose roll of used parameters follows the hook's)."""
    for find_unused in (False, True):
        diff = _join_difference(50, hook=default_hooks.allreduce_hook, momentum=0.0, find_unused_parameters=find_unused)
        assert diff <= TOL, f"join with a comm hook (find_unused_parameters={find_unused}): differs by {diff}"


CHECKS = {
    "comm_hooks": check_comm_hooks,
    "comm_hook_with_join": check_comm_hook_with_join,
    "join_uneven_inputs": check_join_uneven_inputs,
    "sync_batchnorm": check_sync_batchnorm,
    "sgd_momentum": lambda: check_training("sgd"),
    "adam": lambda: check_training("adam"),
    "no_sync": check_no_sync,
    "half_precision_parameters": check_half_precision_parameters,
    "uneven_last_batch": check_uneven_last_batch,
    "unused_parameters": check_unused_parameters,
    "unused_without_flag": check_unused_without_flag_is_torchs_error,
    "buffers_and_state_dict": check_buffers_and_state_dict,
}


def main() -> None:
    out = Path(sys.argv[1])
    dist.init_process_group("mpi")
    results = {}
    for semantics in ("seed", "torch"):
        kitty.autograd.set_backward_semantics(semantics)
        for name, check in CHECKS.items():
            try:
                check()
                results[f"{semantics}/{name}"] = "ok"
            except Exception:
                results[f"{semantics}/{name}"] = traceback.format_exc()
            dist.barrier()
    (out / f"ddp.{dist.get_world_size()}.{dist.get_rank()}.json").write_text(json.dumps(results))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
