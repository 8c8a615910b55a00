"""Run the benchmarks and print a table of ratios: ``python -m benchmarks [--quick] [--out FILE]``.

Two subcommands write the tables of issue 18, each library timed in its own process:
``python -m benchmarks ops [...]`` (the op speed table, ``benchmarks/ops.md``; see benchmarks/ops.py) and
``python -m benchmarks workloads [...]`` (the workload table, ``benchmarks/workloads.md``).

Each workload runs three ways in one process, interleaved (floor, torch, kittygrad, floor, ...),
and we report medians, so the ratios compare like with like even on a noisy machine.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _limit_threads(n: int) -> str:
    import numpy  # noqa: F401 - load NumPy's BLAS first, or there is nothing to limit yet

    info = "threadpoolctl not installed"
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        threadpool_limits(n)
        libs = threadpool_info()
        info = ", ".join(f"{x.get('internal_api')} {x.get('version')} ({x.get('num_threads')} thr)" for x in libs)
    except ImportError:
        pass
    import torch

    torch.set_num_threads(n)
    return info


def _time(fn, number: int) -> float:
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def _calibrate(fn) -> int:
    fn()
    t = _time(fn, 1)
    return max(1, int(0.2 / max(t, 1e-7)))


def run_workload(make, repeats: int):
    fns = make()
    numbers = [_calibrate(f) if f is not None else 0 for f in fns]
    samples = [[], [], []]
    for _ in range(repeats):
        for i, f in enumerate(fns):
            if f is not None:
                samples[i].append(_time(f, numbers[i]))
    return [statistics.median(s) if s else None for s in samples]


def deep_graph(sizes=(10_000, 1_000_000)):
    import kittygrad as kitty

    def once(n):
        a = kitty.tensor([1.0], requires_grad=True)
        x = a
        for _ in range(n):
            x = x + 1.0
        loss = x.sum()
        t0 = time.perf_counter()
        loss.backward()
        return (time.perf_counter() - t0) / n

    # the best of a few runs per size: one backward is a single sample, easily disturbed
    return [min(once(n) for _ in range(repeats)) for n, repeats in zip(sizes, (5, 2))]


_MEM_SCRIPT = r"""
import resource, sys
sys.path.insert(0, {root!r})
from benchmarks.workloads import mlp_step

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

floor, _, kitty_step = mlp_step(with_torch=False)
fn = {{"floor": floor, "kitty": kitty_step}}[{which!r}]
for _ in range(20):
    fn()
after_20 = rss_mb()
for _ in range(180):
    fn()
def peak_mb():  # VmHWM starts afresh at exec (ru_maxrss would inherit the parent's peak)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024

print(peak_mb(), after_20, rss_mb())
"""


def peak_memory(which: str):
    """(peak RSS MB, RSS after 20 steps, RSS after 200 steps) of 200 MLP steps in a fresh process."""
    root = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", _MEM_SCRIPT.format(root=root, which=which)], capture_output=True, text=True, check=True)
    return tuple(float(v) for v in out.stdout.strip().splitlines()[-1].split())


def machine_facts(blas: str) -> str:
    import numpy as np
    import torch

    return (
        f"{platform.platform()}, Python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {torch.__version__}, {os.cpu_count()} CPUs; BLAS: {blas}"
    )


def profile(name_part: str, seconds: float = 3.0) -> None:
    """cProfile of kittygrad's side of one workload, plus the share of time in Python's cyclic GC."""
    from benchmarks.ops import print_profile
    from benchmarks.workloads import WORKLOADS

    name = next(n for n in WORKLOADS if name_part.lower() in n.lower())
    step = WORKLOADS[name][0]()[2]
    step()
    gc_time = [0.0, 0.0]

    def on_gc(phase, info):
        if phase == "start":
            gc_time[1] = time.perf_counter()
        else:
            gc_time[0] += time.perf_counter() - gc_time[1]

    n = _calibrate(step)
    n = max(1, int(n * seconds / 0.2))
    gc.callbacks.append(on_gc)
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    total = time.perf_counter() - t0
    gc.callbacks.remove(on_gc)
    print(f"{name}: {total / n * 1e3:.3f} ms per step; cyclic GC: {gc_time[0] / total:.0%} of the time")
    print_profile(step, n, 15)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("ops", "workloads"):
        if sys.argv[1] == "ops":
            from benchmarks.ops import main as sub_main
        else:
            from benchmarks.workloads import main as sub_main
        sub_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller deep graph")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.md"))
    parser.add_argument("--profile", metavar="WORKLOAD", help="profile kittygrad on one workload (a part of its name)")
    args = parser.parse_args()
    blas = _limit_threads(args.threads)
    if args.profile:
        profile(args.profile)
        return
    from benchmarks.workloads import WORKLOADS

    repeats = 3 if args.quick else args.repeats
    rows = ["| workload | floor | torch | kittygrad | kitty/floor | kitty/torch | torch/floor | target |", "|---|---|---|---|---|---|---|---|"]
    for name, (make, target, against) in WORKLOADS.items():
        try:
            floor, torch_t, kitty_t = run_workload(make, repeats)
        except Exception as e:  # a workload needing a missing feature
            rows.append(f"| {name} | n/a | n/a | n/a | | | | {type(e).__name__}: {e} |")
            print(rows[-1], flush=True)
            continue
        if floor is None:  # no hand-written NumPy version: the ratio to torch is the figure
            rows.append(
                f"| {name} | n/a | {torch_t * 1e3:.3f} ms | {kitty_t * 1e3:.3f} ms | | "
                f"{kitty_t / torch_t:.2f}x | | report the ratio to torch |"
            )
            print(rows[-1], flush=True)
            continue
        ratio = kitty_t / (floor if against == "floor" else torch_t)
        mark = "met" if ratio <= target else "NOT met"
        rows.append(
            f"| {name} | {floor * 1e3:.3f} ms | {torch_t * 1e3:.3f} ms | {kitty_t * 1e3:.3f} ms | "
            f"{kitty_t / floor:.2f}x | {kitty_t / torch_t:.2f}x | {torch_t / floor:.2f}x | "
            f"<= {target}x {against}: {mark} |"
        )
        print(rows[-1], flush=True)
    sizes = (10_000, 100_000) if args.quick else (10_000, 1_000_000)
    small, big = deep_graph(sizes)
    rows.append(
        f"| deep graph backward per op, {sizes[0]:,} vs {sizes[1]:,} ops | | | {small * 1e6:.2f} / {big * 1e6:.2f} us | "
        f"{big / small:.2f}x | | | <= 1.5x: {'met' if big / small <= 1.5 else 'NOT met'} |"
    )
    print(rows[-1], flush=True)
    try:
        (peak_f, _, _), (peak_k, k20, k200) = peak_memory("floor"), peak_memory("kitty")
        rows.append(
            f"| peak RSS, 200 MLP steps (process total) | {peak_f:.1f} MB | | {peak_k:.1f} MB | {peak_k / peak_f:.2f}x | | | "
            f"<= 1.2x: {'met' if peak_k <= 1.2 * peak_f else 'NOT met'}; growth steps 20->200: {k200 - k20:+.1f} MB |"
        )
    except subprocess.CalledProcessError as e:
        rows.append(f"| peak RSS, 200 MLP steps | n/a | | n/a | | | | {e.stderr.strip().splitlines()[-1]} |")
    print(rows[-1], flush=True)
    text = "\n".join(
        [
            f"Machine: {machine_facts(blas)}; {args.threads} BLAS thread(s); median of {repeats} interleaved repeats.",
            "",
            *rows,
            "",
        ]
    )
    args.out.write_text(text)
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
