"""DistributedDataParallel throughput: 2 processes against 1, on the MLP and CNN workloads.

    python -m benchmarks.distributed [--steps 40] [--bucket-cap-mb 0.1] [--out FILE]

Each process keeps the same local batch (so 2 processes train on twice the samples per step)
and runs with one BLAS thread. Reported per workload: samples per second with 1 and with 2
processes, their ratio, the ratio the 2 processes reach with the all-reduces switched off
(``no_sync``: what the machine's cores allow), the all-reduce time per step when run alone
(blocking, same buckets),
and the share of it hidden behind backward: ``1 - exposed / alone``, where ``exposed`` is what
the last gradient hook spends waiting for the buckets (it also absorbs the ranks' skew, so the
share is a lower bound). Needs mpi4py and mpich (``pip install 'kittygrad[distributed]'``).
"""

from __future__ import annotations

import argparse
import json
import os
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


def worker(steps: int, bucket_cap_mb: float) -> None:
    """One rank: time ``steps`` DDP training steps of each workload; rank 0 prints a JSON line."""
    _one_thread()
    import kittygrad as kitty
    import kittygrad.distributed as dist
    from kittygrad.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    from mpi4py import MPI  # started by init_process_group; used here only to time raw all-reduces

    comm = dist.group.WORLD.comm
    results = {
        name: _measure(kitty, DDP, comm, MPI, make, steps, bucket_cap_mb) for name, make in _workloads(kitty).items()
    }
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(results), flush=True)
    dist.destroy_process_group()


def _measure(kitty, DDP, comm, MPI, make, steps: int, bucket_cap_mb: float) -> dict:
    """One workload's DDP step times, with and without the all-reduces, and the all-reduces alone."""
    kitty.manual_seed(0)
    model, batch = make()
    ddp = DDP(model, bucket_cap_mb=bucket_cap_mb)
    opt = kitty.optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
    gen = kitty.Generator().manual_seed(comm.Get_rank())
    data = [batch(gen) for _ in range(4)]
    loss_fn = kitty.nn.CrossEntropyLoss()

    def step(i):
        x, y = data[i % len(data)]
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()
        return ddp.last_wait_seconds

    def local_step(i):  # the same work without any all-reduce: what the processes alone allow
        with ddp.no_sync():
            step(i)
        return 0.0

    def timed(fn):
        comm.Barrier()
        start = time.perf_counter()
        waited = sum(fn(i) for i in range(steps))
        return comm.allreduce(time.perf_counter() - start, op=MPI.MAX), comm.allreduce(waited, op=MPI.MAX)

    for i in range(3):
        step(i)
    no_comm, _ = timed(local_step)
    elapsed, exposed = timed(step)
    flats = [b.flat.copy() for b in ddp._buckets]
    comm.Barrier()
    start = time.perf_counter()
    for _ in range(steps):
        for flat in flats:
            comm.Allreduce(MPI.IN_PLACE, flat, op=MPI.SUM)
    alone = comm.allreduce(time.perf_counter() - start, op=MPI.MAX)
    samples = comm.Get_size() * len(data[0][1]) * steps
    return {
        "samples_per_s": samples / elapsed,
        "no_comm_samples_per_s": samples / no_comm,
        "allreduce_ms": 1e3 * alone / steps,
        "exposed_ms": 1e3 * exposed / steps,
        "buckets": len(ddp._buckets),
    }


def _launch(n: int, steps: int, bucket_cap_mb: float) -> dict:
    from kittygrad.distributed.run import find_mpiexec

    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    cmd = [find_mpiexec(), "-n", str(n), sys.executable, "-m", "benchmarks.distributed", "--worker"]
    cmd += ["--steps", str(steps), "--bucket-cap-mb", str(bucket_cap_mb)]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=1200)
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if run.returncode != 0 or line is None:
        raise SystemExit(f"mpiexec -n {n} failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}")
    return json.loads(line[len("RESULT ") :])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--bucket-cap-mb", type=float, default=0.1)
    parser.add_argument("--out", default=None, help="also write the table to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.steps, args.bucket_cap_mb)
        return
    one, two = _launch(1, args.steps, args.bucket_cap_mb), _launch(2, args.steps, args.bucket_cap_mb)
    lines = [
        f"DDP, one BLAS thread per process, {os.cpu_count()} CPUs, bucket_cap_mb={args.bucket_cap_mb}, "
        f"{args.steps} steps",
        "| workload | 1 process (samples/s) | 2 processes (samples/s) | speed-up | 2 processes, no all-reduce "
        "| buckets | all-reduce alone (ms/step) | exposed wait (ms/step) | hidden behind backward |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in one:
        a, b = one[name], two[name]
        hidden = max(0.0, 1 - b["exposed_ms"] / b["allreduce_ms"]) if b["allreduce_ms"] > 0 else 0.0
        lines.append(
            f"| {name} | {a['samples_per_s']:.0f} | {b['samples_per_s']:.0f} | "
            f"{b['samples_per_s'] / a['samples_per_s']:.2f}x | "
            f"{b['no_comm_samples_per_s'] / a['samples_per_s']:.2f}x | {b['buckets']} | {b['allreduce_ms']:.2f} | "
            f"{b['exposed_ms']:.2f} | {100 * hidden:.0f}% |"
        )
    table = "\n".join(lines)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")


if __name__ == "__main__":
    main()
