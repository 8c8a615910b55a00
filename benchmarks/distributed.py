"""DistributedDataParallel throughput: 2 processes against 1, on the MLP and CNN workloads.

    python -m benchmarks.distributed [--steps 30] [--rounds 5] [--repeats 3] [--bucket-cap-mb 0.1]
        [--quiet-wait 60] [--no-torch] [--out FILE]

Each process keeps the same local batch (so 2 processes train on twice the samples per step)
and runs with one BLAS thread. The 1-process and 2-process jobs are launched in turn
``--repeats`` times; inside a job every measurement is taken ``--rounds`` times, interleaved,
over ``--steps`` steps. Every figure is a median over the blocks in which every rank had at
least 90% of a core (its CPU time over the wall time; MPI's waits spin, so they count): other
people's jobs share this machine's two cores, and a block they took part of is not a measurement
of DDP. The table says how many blocks counted; when none did, it falls back to all of them.

Reported per workload: samples per second of DDP in 1 process and in 2 processes and their
ratio; the same ratio *paired* (in each block of the 2-process job, rank 0 also trains the bare
module alone while rank 1 sleeps, and DDP is compared with that, so slow drifts of the machine
cancel); the speed-up the 2 processes reach with the all-reduces switched off (``no_sync``: what
the cores alone allow). Then how much of the
gradient all-reduce backward hides, measured with DDP's trace (``KITTYGRAD_DDP_TRACE``): every
backward records when each bucket's all-reduce was started, when backward produced its last
gradient (``backward_end``) and when the wait for the buckets ended (``wait_end``), on a clock
the processes of one machine share. Per step,

- *exposed* = last rank's ``wait_end`` - last rank's ``backward_end``: communication still
  running once every rank has finished backward (the wait for a slower rank, *skew* =
  last - first ``backward_end``, is not counted: it is imbalance, not communication);
- *alone* = the same buckets all-reduced with nothing else running (a barrier first, then the
  same non-blocking calls and wait), from the last rank's start to the last rank's end;
- hidden behind backward = 1 - exposed / alone.

A second table runs torch's own ``DistributedDataParallel`` (its CPU backend, gloo, over TCP on this
machine) on the same workloads in the same way, as the reference for what this machine allows.

Needs mpi4py and mpich (``pip install 'kittygrad[distributed]'``), and torch for the reference rows.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _one_thread() -> None:
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # the environment variables set by the parent already ask for one thread
        pass


def _workloads(lib):
    nn = lib.nn

    def mlp():
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
        return model, (lambda g: (lib.randn(128, 784, generator=g), lib.randint(0, 10, (128,), generator=g)))

    def cnn():
        model = nn.Sequential(
            nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Flatten(), nn.Linear(16 * 24 * 24, 10)
        )
        return model, (lambda g: (lib.randn(32, 1, 28, 28, generator=g), lib.randint(0, 10, (32,), generator=g)))

    return {"MLP 784-256-128-10, batch 128/process": mlp, "CNN conv8-conv16-linear, batch 32/process": cnn}


def worker(steps: int, rounds: int, bucket_cap_mb: float) -> None:
    """One rank: time each workload; rank 0 prints a JSON line."""
    _one_thread()
    import kittygrad as kitty
    import kittygrad.distributed as dist
    import kittygrad.nn.parallel.distributed as ddp_module
    from kittygrad.nn.parallel import DistributedDataParallel as DDP

    ddp_module.TRACE = True  # DDP records its timestamps (see the module docstring)
    dist.init_process_group("mpi")
    from mpi4py import MPI  # started by init_process_group; used here only to time raw all-reduces

    comm = dist.group.WORLD.comm
    results = {
        name: _measure(kitty, DDP, comm, MPI, make, steps, rounds, bucket_cap_mb)
        for name, make in _workloads(kitty).items()
    }
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(results), flush=True)
    dist.destroy_process_group()


def torch_worker(steps: int, rounds: int, bucket_cap_mb: float, port: int) -> None:
    """One rank of torch's own DDP (gloo over TCP on this machine) on the same workloads, started
    by the same ``mpiexec`` (its rank and size from MPICH's ``PMI_RANK`` / ``PMI_SIZE``)."""
    _one_thread()
    import torch
    import torch.distributed as tdist

    torch.set_num_threads(1)
    rank, world = int(os.environ.get("PMI_RANK", "0")), int(os.environ.get("PMI_SIZE", "1"))
    tdist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    results = {
        name: _torch_measure(torch, tdist, make, steps, rounds, bucket_cap_mb, rank, world)
        for name, make in _workloads(torch).items()
    }
    if rank == 0:
        print("RESULT " + json.dumps(results), flush=True)
    tdist.barrier()
    sys.stdout.flush()
    os._exit(0)  # (gloo's teardown can abort the process after a clean run; nothing is left to do)


def _training(lib, make, wrap, rank: int):
    """What a timed workload trains, alike for both libraries: the model (seeded alike on every
    rank), it wrapped by ``wrap`` (the library's DDP), SGD with momentum, four batches of this
    rank's data, and ``step(net, i)``, one training step of ``net`` on batch ``i``.
    Returns ``(model, wrapped, data, step)``."""
    lib.manual_seed(0)
    model, batch = make()
    wrapped = wrap(model)
    opt = lib.optim.SGD(wrapped.parameters(), lr=0.01, momentum=0.9)
    gen = lib.Generator().manual_seed(rank)
    data = [batch(gen) for _ in range(4)]
    loss_fn = lib.nn.CrossEntropyLoss()

    def step(net, i):
        x, y = data[i % len(data)]
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()

    return model, wrapped, data, step


def _torch_measure(torch, tdist, make, steps: int, rounds: int, bucket_cap_mb: float, rank: int, world: int) -> dict:
    """One workload under torch's DDP: per block, the slowest rank's seconds per step and the
    smallest share of a core a rank got."""
    _, ddp, data, step = _training(
        torch, make, lambda m: torch.nn.parallel.DistributedDataParallel(m, bucket_cap_mb=bucket_cap_mb), rank
    )
    for i in range(3):  # warm-up
        step(ddp, i)
    blocks = []
    for _ in range(rounds):
        tdist.barrier()
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(steps):
            step(ddp, i)
        elapsed = time.perf_counter() - start
        figures = torch.tensor([elapsed, -(time.process_time() - cpu) / elapsed], dtype=torch.float64)
        tdist.all_reduce(figures, op=tdist.ReduceOp.MAX)  # the slowest rank, the smallest share
        blocks.append({"ddp": (figures[0].item() / steps, -figures[1].item())})
    return {"blocks": blocks, "samples": world * len(data[0][1])}


def _measure(kitty, DDP, comm, MPI, make, steps: int, rounds: int, bucket_cap_mb: float) -> dict:
    """One workload: per block, step times (DDP, DDP without all-reduce, the bare module, the bare
    module on rank 0 alone) with the share of a core each rank got, and the all-reduce's overlap."""
    model, ddp, data, step = _training(kitty, make, lambda m: DDP(m, bucket_cap_mb=bucket_cap_mb), comm.Get_rank())
    world = comm.Get_size()

    def ddp_steps():
        for i in range(steps):
            step(ddp, i)

    def local_steps():  # the same work without any all-reduce: what the processes alone allow
        with ddp.no_sync():
            for i in range(steps):
                step(ddp, i)

    def plain_steps():  # the bare module, no DDP at all
        for i in range(steps):
            step(model, i)

    def solo_steps():  # rank 0 trains the bare module alone; the other ranks sleep meanwhile
        if comm.Get_rank() == 0:
            plain_steps()
            for r in range(1, world):
                comm.Send(flag, dest=r, tag=7)
        else:
            request = comm.Irecv(flag, source=0, tag=7)
            while not request.Test():
                time.sleep(0.0005)  # asleep, not spinning in MPI: rank 0 has a core to itself

    def timed(fn, rank0_only=False) -> tuple[float, float]:
        """Seconds per step (the slowest rank's, or rank 0's) and the smallest share of a core
        that a rank got meanwhile (CPU time / wall time; MPI waits spin, so they count as CPU):
        well under 1 when other processes took the machine's cores."""
        comm.Barrier()
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        elapsed = time.perf_counter() - start
        share = (time.process_time() - cpu) / elapsed
        if rank0_only:
            return comm.bcast((elapsed / steps, share), root=0)
        return comm.allreduce(elapsed, op=MPI.MAX) / steps, comm.allreduce(share, op=MPI.MIN)

    flats = [b.flat.copy() for b in ddp._buckets]
    flag = flats[0][:1].copy()

    def alone() -> float:
        """The buckets' all-reduces with nothing else running: last rank's start to last rank's end."""
        spans = []
        for _ in range(steps):
            comm.Barrier()
            start = time.perf_counter()
            MPI.Request.Waitall([comm.Iallreduce(MPI.IN_PLACE, f, op=MPI.SUM) for f in flats])
            end = time.perf_counter()
            starts, ends = zip(*comm.allgather((start, end)))
            spans.append(max(ends) - max(starts))
        return statistics.median(spans)

    def overlap() -> dict:
        """The last block's DDP backwards, from every rank's trace (medians over the steps)."""
        exposed, skew = [], []
        for records in zip(*comm.allgather(ddp.trace)):  # the same backward on every rank
            ends = [r["backward_end"] for r in records]
            exposed.append(max(r["wait_end"] for r in records) - max(ends))
            skew.append(max(ends) - min(ends))
        ddp.trace.clear()
        return {"exposed": statistics.median(exposed), "skew": statistics.median(skew)}

    for i in range(3):  # warm-up
        step(ddp, i)
        step(model, i)
    ddp.trace.clear()
    blocks = []
    for _ in range(rounds):
        block = {"ddp": timed(ddp_steps)}
        if world > 1:
            block.update(overlap())
        block["no_comm"] = timed(local_steps)
        block["plain"] = timed(plain_steps)
        if world > 1:
            block["solo"] = timed(solo_steps, rank0_only=True)
            block["alone"] = alone()
        blocks.append(block)
    return {"blocks": blocks, "samples": world * len(data[0][1]), "bucket_kb": [round(f.nbytes / 1024) for f in flats]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(n: int, args, library: str = "kittygrad") -> dict:
    from kittygrad.distributed.run import find_mpiexec

    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    worker_flag = "--worker" if library == "kittygrad" else "--torch-worker"
    cmd = [find_mpiexec(), "-n", str(n), sys.executable, "-m", "benchmarks.distributed", worker_flag]
    cmd += ["--steps", str(args.steps), "--rounds", str(args.rounds), "--bucket-cap-mb", str(args.bucket_cap_mb)]
    if library == "torch":
        cmd += ["--port", str(_free_port())]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=1200)
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if run.returncode != 0 or line is None:
        raise SystemExit(f"mpiexec -n {n} failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}")
    return json.loads(line[len("RESULT ") :])


#: a block counts when every rank got at least this share of a core (others' jobs share the machine)
MIN_SHARE = 0.9


def _blocks(jobs: list[dict], name: str) -> list[dict]:
    return [block for job in jobs for block in job[name]["blocks"]]


def _per_s(jobs: list[dict], name: str, kind: str, min_share: float = MIN_SHARE) -> tuple[float, int, int]:
    """Median samples/s of ``kind`` over the uncontended blocks (all blocks if none was); counts."""
    blocks = _blocks(jobs, name)
    good = [b[kind][0] for b in blocks if b[kind][1] >= min_share]
    return jobs[0][name]["samples"] / statistics.median(good or [b[kind][0] for b in blocks]), len(good), len(blocks)


def _paired(jobs: list[dict], name: str) -> float:
    """Median over blocks of 2-process DDP against rank 0 alone in the same block."""
    blocks = _blocks(jobs, name)
    good = [b for b in blocks if min(b["ddp"][1], b["solo"][1]) >= MIN_SHARE] or blocks
    return statistics.median(2 * b["solo"][0] / b["ddp"][0] for b in good)


def _overlap(jobs: list[dict], name: str) -> tuple[float, float, float, float]:
    """all-reduce alone, exposed, skew (ms) and the hidden share, over the uncontended DDP blocks."""
    blocks = _blocks(jobs, name)
    good = [b for b in blocks if b["ddp"][1] >= MIN_SHARE] or blocks
    alone, exposed, skew = (statistics.median(b[k] for b in good) for k in ("alone", "exposed", "skew"))
    return 1e3 * alone, 1e3 * exposed, 1e3 * skew, 1 - exposed / alone


def _cpu_idle(seconds: float = 0.5) -> float | None:
    """Fraction of the machine's CPU time spent idle over ``seconds`` (None off Linux)."""

    def sample():
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total

    try:
        idle0, total0 = sample()
        time.sleep(seconds)
        idle1, total1 = sample()
    except OSError:
        return None
    return (idle1 - idle0) / max(1, total1 - total0)


def _wait_until_quiet(max_wait: float) -> bool:
    """Wait (up to ``max_wait`` seconds) for the CPUs to be >= 90% idle; whether they were."""
    deadline = time.monotonic() + max_wait
    while True:
        idle = _cpu_idle()
        if idle is None or idle >= 0.9:
            return True
        if time.monotonic() >= deadline:
            return False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=30, help="steps per timed block")
    parser.add_argument("--rounds", type=int, default=5, help="timed blocks per job and measurement")
    parser.add_argument("--repeats", type=int, default=3, help="1-process and 2-process jobs launched in turn")
    parser.add_argument("--bucket-cap-mb", type=float, default=0.1)
    parser.add_argument(
        "--quiet-wait", type=float, default=60, help="seconds to wait for idle CPUs before each job (0: never)"
    )
    parser.add_argument("--out", default=None, help="also write the table to this file")
    parser.add_argument("--no-torch", action="store_true", help="skip torch's DDP (gloo) reference rows")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.steps, args.rounds, args.bucket_cap_mb)
        return
    if args.torch_worker:
        torch_worker(args.steps, args.rounds, args.bucket_cap_mb, args.port)
        return
    ones, twos, torch_ones, torch_twos, quiet = [], [], [], [], 0
    runs = [(1, ones, "kittygrad"), (2, twos, "kittygrad")]
    if not args.no_torch:
        runs += [(1, torch_ones, "torch"), (2, torch_twos, "torch")]
    for _ in range(args.repeats):
        for n, jobs, library in runs:
            quiet += _wait_until_quiet(args.quiet_wait) if args.quiet_wait > 0 else 0
            jobs.append(_launch(n, args, library))
    lines = [
        f"DDP, one BLAS thread per process, {os.cpu_count()} CPUs, bucket_cap_mb={args.bucket_cap_mb}; "
        f"{args.repeats} jobs per library and process count x {args.rounds} blocks of {args.steps} steps; {quiet} "
        f"of {len(runs) * args.repeats} jobs started on idle CPUs; medians over the blocks where every rank had >= "
        f"{MIN_SHARE:.0%} of a core (counted: used/all)",
        "| workload | 1 process, DDP | 2 processes, DDP | speed-up | speed-up, paired | 2 processes, no all-reduce "
        "| buckets (KiB) | all-reduce alone (ms) | exposed after backward (ms) | rank skew (ms) "
        "| hidden behind backward |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ones[0]:
        one, n1, m1 = _per_s(ones, name, "ddp")
        two, n2, m2 = _per_s(twos, name, "ddp")
        local, n3, m3 = _per_s(twos, name, "no_comm")
        alone, exposed, skew, hidden = _overlap(twos, name)
        lines.append(
            f"| {name} | {one:.0f}/s ({n1}/{m1}) | {two:.0f}/s ({n2}/{m2}) | {two / one:.2f}x "
            f"| {_paired(twos, name):.2f}x | {local / one:.2f}x ({n3}/{m3}) | {twos[0][name]['bucket_kb']} "
            f"| {alone:.2f} | {exposed:.2f} | {skew:.2f} | {100 * hidden:.0f}% |"
        )
    lines += [
        "",
        "speed-up: 2-process DDP samples/s over 1-process DDP samples/s (separate jobs). Paired: in each block of the "
        "2-process jobs, DDP against rank 0 training the bare module alone while rank 1 sleeps, so both see the "
        "machine in the same state. Hidden behind backward: 1 - exposed / alone (see the module docstring).",
    ]
    if torch_ones:
        lines += [
            "",
            "torch's own DistributedDataParallel (gloo, the CPU backend torch ships) on the same workloads, same "
            "batches, bucket cap and one thread per process, launched and timed the same way. Every block counts "
            "(gloo sleeps while it waits, so a rank's share of a core says nothing about other jobs there):",
            "",
            "| workload | torch 1 process | torch 2 processes | torch speed-up | kittygrad speed-up |",
            "|---|---|---|---|---|",
        ]
        for name in ones[0]:
            one, n1, m1 = _per_s(torch_ones, name, "ddp", min_share=0)
            two, n2, m2 = _per_s(torch_twos, name, "ddp", min_share=0)
            ours = _per_s(twos, name, "ddp")[0] / _per_s(ones, name, "ddp")[0]
            lines.append(f"| {name} | {one:.0f}/s ({n1}/{m1}) | {two:.0f}/s ({n2}/{m2}) | {two / one:.2f}x | {ours:.2f}x |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")


if __name__ == "__main__":
    main()
