"""The op speed table: every op-table row timed forward + backward against a NumPy floor and torch.

    python -m benchmarks ops [--shapes small,medium] [--only NAME,...] [--smoke] [--out benchmarks/ops.md]
    python -m benchmarks ops --profile NAME [--shapes medium]

Each row of the op table (``tests/ops/test_<family>.py``, collected by ``tests/op_table.py``) is run
as ``out = row.fn(lib, *inputs)``, ``sum(out).backward()`` on float32 inputs, one BLAS thread. Three
processes, one after another: kittygrad (which never imports torch), the hand-written NumPy floors
(forward and backward of the same maths in the fewest passes; no library imported), and torch (which
never imports kittygrad). The kittygrad process chooses each row's shapes (a row with constrained
shapes is scaled up, and falls back to smaller shapes when the scaled ones do not fit the row); the
other two time the same shapes. Figures are medians of repeated samples.

A few rows' calls are adapted where the row's own call pins a tiny shape (embedding indices,
cross-entropy targets, layer-norm's normalized shape): see ``SPECS``.
"""
from __future__ import annotations

import argparse
import gc
import inspect
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from benchmarks.floors import FLOORS
from benchmarks.ops_misses import why

ROOT = Path(__file__).resolve().parents[1]

# default shapes for rows that take any shape, by number of dims
BASE = {
    "small": {0: (), 1: (1024,), 2: (32, 32), 3: (4, 8, 32), 4: (2, 2, 8, 32)},
    "medium": {0: (), 1: (131072,), 2: (512, 256), 3: (32, 16, 256), 4: (8, 4, 16, 256)},
}
# sizes of the letters of ``matrix_shapes`` patterns
LETTERS = {
    "small": dict(b=2, n=16, k=16, m=16, i=2, j=2),
    "medium": dict(b=8, n=128, k=128, m=128, i=8, j=8),
}
# element count a fixed-shape row is scaled towards (its largest input)
TARGET = {"small": 1024, "medium": 131072}
MATMUL_FAMILY = {"mm", "matmul", "bmm", "linear", "addmm", "baddbmm"}
TARGET_RATIO, MATMUL_TARGET = 1.3, 1.1
DEFAULT_SMOKE = ("add", "softmax", "matmul")


# ---------------------------------------------------------------------------------------------
# rows and their inputs
# ---------------------------------------------------------------------------------------------
class _Absent(types.ModuleType):
    """Stands in for the library a process must not import while the op table's modules load
    (they import both libraries at the top, but use them only inside test functions)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise RuntimeError(f"{self.__name__} is not imported in this process: each library runs in its own")


def load_rows(side: str) -> list:
    """The op table's rows, imported without the library (or libraries) this process must not load."""
    for p in (ROOT / "tests" / "ops", ROOT / "tests"):
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))
    absent = {"kitty": ("torch",), "torch": ("kittygrad",), "floor": ("torch", "kittygrad")}[side]
    placed = []
    for name in absent:
        if name not in sys.modules:
            sys.modules[name] = _Absent(name)
            placed.append(name)
    checks = types.ModuleType("_row_checks")  # the checks import torch, kittygrad and hypothesis
    for name in ("test_finite_differences", "test_integer_inputs", "test_matches_torch"):
        setattr(checks, name, None)
    placed_checks = "_row_checks" not in sys.modules
    if placed_checks:
        sys.modules["_row_checks"] = checks
    try:
        from op_table import ROWS
    finally:
        for name in placed:  # a later import of the real library must not find the stand-in
            del sys.modules[name]
        if placed_checks:
            del sys.modules["_row_checks"]
    return list(ROWS)


def _F(m):
    return m.nn.functional


@dataclass
class Spec:
    """How the benchmark runs one row when the row's own shapes or call do not scale."""

    shapes: dict  # size -> list of input shapes
    fn: Callable | None = None  # fn(lib, *tensors, *extras); None: the row's own
    extras: Callable | None = None  # (size, input shapes) -> list of NumPy arrays (indices, targets)
    note: str = ""


def _embedding_idx(size, shapes):
    v = shapes[0][0]
    return [np.random.default_rng(1).integers(0, v, (4, 8) if size == "small" else (32, 16)).astype(np.int64)]


def _targets(size, shapes):
    n, c = shapes[0]
    return [np.random.default_rng(2).integers(0, c, n).astype(np.int64)]


SPECS = {
    "embedding": Spec({"small": [(64, 32)], "medium": [(512, 256)]}, lambda m, w, idx: _F(m).embedding(idx, w),
                      _embedding_idx, "indices (32,16) drawn from 512 rows; no padding_idx"),
    "cross_entropy": Spec({"small": [(64, 16)], "medium": [(1024, 128)]}, lambda m, x, y: _F(m).cross_entropy(x, y),
                          _targets, "random targets"),
    "layer_norm": Spec({"small": [(4, 8, 32), (32,), (32,)], "medium": [(32, 16, 256), (256,), (256,)]},
                       lambda m, x, w, b: _F(m).layer_norm(x, (x.shape[-1],), w, b), None, "over the last dim"),
    "conv2d": Spec({"small": [(2, 3, 8, 8), (4, 3, 3, 3), (4,)], "medium": [(32, 8, 28, 28), (16, 8, 3, 3), (16,)]}),
    "max_pool2d": Spec({"small": [(2, 3, 8, 8)], "medium": [(32, 16, 28, 28)]}),
    "linear": Spec({"small": [(4, 8, 32), (32, 32), (32,)], "medium": [(32, 16, 256), (256, 256), (256,)]}),
    "matmul": Spec({"small": [(4, 8, 32), (32, 32)], "medium": [(32, 16, 256), (256, 256)]}),
    "mm": Spec({"small": [(32, 32), (32, 32)], "medium": [(512, 256), (256, 256)]}),
    "bmm": Spec({"small": [(4, 8, 32), (4, 32, 8)], "medium": [(32, 16, 256), (32, 256, 64)]}),
    "addmm": Spec({"small": [(32, 32), (32, 32), (32, 32)], "medium": [(512, 256), (512, 256), (256, 256)]}),
}


def make_arrays(row, shapes, seed: int = 0) -> list:
    """The row's inputs at these shapes, float32 in the row's domain (the same in every process)."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        shape = tuple(shape)
        if row.inputs == "int":
            out.append(rng.integers(-6, 7, shape).astype(np.int64))
        elif row.inputs == "bool":
            out.append(rng.integers(0, 2, shape).astype(bool))
        else:
            x = rng.standard_normal(shape)
            if row.domain is not None:
                x = row.domain(x)
            out.append(np.asarray(x, dtype=np.float32))
    return out


def _scaled(shapes, target):
    """Candidates from the row's own shapes: every dim above 1 multiplied by s, the largest s first.
    s is chosen from the broadcast of the inputs where they broadcast (an output the size of that
    broadcast), else from the largest input."""
    try:
        big = tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        big = max(shapes, key=lambda s: math.prod(s) if s else 1)
    numel, d = max(1, math.prod(big) if big else 1), sum(1 for x in big if x > 1)
    s = int((target / numel) ** (1 / d)) if d else 1
    out, seen = [], set()
    while True:
        cand = tuple(tuple(x * s if x > 1 else x for x in sh) for sh in shapes)
        if cand not in seen:
            seen.add(cand)
            out.append([list(c) for c in cand])
        if s <= 1:
            return out
        s = max(1, s // 4)


def candidate_shapes(row, size: str) -> tuple[list, str]:
    spec = SPECS.get(row.name)
    if spec is not None:
        return [[list(s) for s in spec.shapes[size]]], ""
    if row.shapes is None:
        nd = min(max(3, row.min_dims), row.max_dims)
        return [[list(BASE[s][nd])] * row.nargs for s in dict.fromkeys((size, "small"))], ""
    nonlocals = inspect.getclosurevars(row.shapes).nonlocals
    if "pattern" in nonlocals:
        sizes = LETTERS[size]
        return [[[sizes[c] for c in p] for p in nonlocals["pattern"]]], ""
    own = [tuple(s) for s in row.shapes(np.random.default_rng(0))]
    return _scaled(own, TARGET[size]), ""


def _flat(out):
    if isinstance(out, (tuple, list)):
        for o in out:
            yield from _flat(o)
    else:
        yield out


def build_step(lib, row, arrays, extras=()):
    """A zero-argument callable: forward, then backward of the sum of the differentiable outputs.
    It returns whether a backward ran (False for integer rows and rows with no gradient)."""
    spec = SPECS.get(row.name)
    fn = spec.fn if spec is not None and spec.fn is not None else row.fn
    flags = [False] * len(arrays)
    if row.inputs == "float" and row.grad is not False:
        flags = [True] * len(arrays) if row.grad is True else list(row.grad)
    if row.inputs == "float":
        ts = [lib.tensor(a, dtype=lib.float32, requires_grad=f) for a, f in zip(arrays, flags)]
    else:
        ts = [lib.tensor(a) for a in arrays]
    ex = [lib.tensor(e) for e in extras]
    leaves = [t for t, f in zip(ts, flags) if f]

    def step():
        for t in leaves:
            t.grad = None
        loss = None
        for o in _flat(fn(lib, *ts, *ex)):
            if not getattr(o, "requires_grad", False):
                continue
            if o.is_complex():
                o = o.real
            s = o.sum()
            loss = s if loss is None else loss + s
        if loss is not None:
            loss.backward()
        return loss is not None

    return step


def measure(step, sample_s: float, repeats: int) -> float:
    """Median seconds per call: a warm-up, a calibration, then ``repeats`` samples of about sample_s."""
    t0 = time.perf_counter()
    step()
    t = time.perf_counter() - t0
    if t < sample_s:
        t0 = time.perf_counter()
        step()
        t = time.perf_counter() - t0
    number = max(1, int(sample_s / max(t, 1e-7)))
    samples = []
    for _ in range(repeats if t < 0.2 else 1 if t > 0.5 else min(repeats, 3)):
        t0 = time.perf_counter()
        for _ in range(number):
            step()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


# ---------------------------------------------------------------------------------------------
# the worker processes
# ---------------------------------------------------------------------------------------------
def _limit_threads(n: int = 1) -> str:
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        threadpool_limits(n)
        # (the kernels a BLAS picked for this CPU: OpenBLAS 0.3.31 takes its AVX2 Haswell ones on an
        # AMD Zen 5, CPU family 26, which it does not know, where its AVX-512 SkylakeX GEMM is 1.5-1.8x
        # as fast; OPENBLAS_CORETYPE chooses them)
        return ", ".join(f"{x.get('internal_api')} {x.get('version')} ({x.get('architecture', '?')} kernels, "
                         f"{x.get('num_threads')} thread)" for x in threadpool_info())
    except ImportError:
        return "threadpoolctl not installed"


def _extras_for(row, size, shapes):
    spec = SPECS.get(row.name)
    if spec is None or spec.extras is None:
        return []
    return spec.extras(size, [tuple(s) for s in shapes])


def _labelled(rows, only):
    """(label, row) pairs: the row's name, with " (2)", ... for a name that recurs in the table."""
    seen: dict = {}
    out = []
    for row in rows:
        seen[row.name] = seen.get(row.name, 0) + 1
        label = row.name if seen[row.name] == 1 else f"{row.name} ({seen[row.name]})"
        if not only or row.name in only or label in only:
            out.append((label, row))
    return out


def _limit_memory(gib: float = 8.0) -> None:
    """An address-space ceiling, so a row whose output grows as a product of its inputs' sizes
    (combinations, cartesian products, ...) fails with MemoryError instead of exhausting the machine."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = int(gib * 2**30)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not Linux
        pass


def _fits(step, limit: float) -> bool:
    """Whether one call of ``step`` finishes within ``limit`` seconds, tried in a forked child: a
    row whose scaled shapes explode (an output growing as a product of its inputs' sizes, a Python
    loop over the elements) is abandoned without waiting for it, and the next candidate is tried."""
    if not hasattr(os, "fork"):  # pragma: no cover - not POSIX: no probe
        return True
    pid = os.fork()
    if pid == 0:  # the child: one call, then leave without running any cleanup of the parent's
        code = 1
        try:
            step()
            code = 0
        finally:
            os._exit(code)
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        time.sleep(0.002)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return False


def warm_allocator() -> None:
    """Allocate and free one 31 MiB block first, which raises glibc's dynamic mmap threshold to it: arrays
    up to that size then come from the heap in every process, instead of fresh (page-faulting) mmaps
    whenever the allocator's state happens to say so. Without it a row's time depends on which rows
    ran before it in the same process (the same op measured 0.2 ms or 1.1 ms)."""
    block = np.empty(31 * 2**20, np.uint8)
    block[::4096] = 0
    del block


def _time_row(side, lib, label, row, sizes, plan, sample_s, repeats) -> dict:
    """{size: entry} for one row. Without a plan (kittygrad) the shapes are chosen here from the row's
    candidates; with one, the planned shapes are used (torch goes on to smaller candidates if it refuses
    them, and the parent then times kittygrad again at torch's shapes)."""
    row_start = time.perf_counter()
    results = {}
    for size in sizes:
        entry = {"shapes": None, "ms": None, "backward": None, "error": None, "note": "", "fallback": False}
        if plan is not None:
            planned = plan.get(size)
            if planned is None:
                continue
            candidates, note = [planned["shapes"]], planned["note"]
            if side == "torch":  # shapes kittygrad takes but torch refuses: torch goes on to smaller ones
                own = candidate_shapes(row, size)[0]
                if planned["shapes"] in own:
                    candidates += own[own.index(planned["shapes"]) + 1:]
        else:
            candidates, note = candidate_shapes(row, size)
        spec = SPECS.get(row.name)
        if spec is not None and spec.note:
            note = spec.note
        for i, shapes in enumerate(candidates):
            if i and i + 1 < len(candidates) and time.perf_counter() - row_start > 6:
                continue  # enough attempts: straight to the row's own shapes
            entry["shapes"] = shapes
            try:
                arrays = make_arrays(row, shapes)
                extras = _extras_for(row, size, shapes)
                if side == "floor":
                    variants = FLOORS[row.name](arrays, extras)
                    entry["ms"] = 1e3 * min(measure(v, sample_s, repeats) for v in variants)
                    entry["backward"] = True
                else:
                    step = build_step(lib, row, arrays, extras)
                    t0 = time.perf_counter()
                    last = i + 1 == len(candidates)
                    if side == "kitty" and not last and not _fits(step, 2.0):
                        raise RuntimeError("too slow or failing at these shapes")
                    entry["backward"] = bool(step())
                    if time.perf_counter() - t0 > 1.0 and not last:
                        continue  # too slow to time at this scale: the next, smaller candidate
                    entry["ms"] = 1e3 * measure(step, sample_s, repeats)
                entry["error"] = None
                entry["fallback"] = bool(i)
                break
            except Exception as e:  # noqa: BLE001 - a row that does not run at these shapes
                entry["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:80] if str(e) else ''}"
        entry["note"] = note
        results[size] = entry
    return results


def serve(side: str, sample_s: float, repeats: int) -> None:
    """A worker process: answers one row at a time (a JSON line on stdin -> a JSON line on stdout), so
    the parent can interleave the three processes row by row while only one of them runs."""
    proto, sys.stdout = sys.stdout, sys.stderr  # only the protocol on the real stdout

    def send(obj):
        proto.write("@@" + json.dumps(obj) + "\n")
        proto.flush()

    blas = _limit_threads(1)
    _limit_memory()
    warm_allocator()
    lib = None
    if side == "kitty":
        import kittygrad as lib
    elif side == "torch":
        import torch as lib

        lib.set_num_threads(1)
    rows = dict(_labelled(load_rows(side), set()))
    send({"ready": True})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("quit"):
            break
        send(_time_row(side, lib, cmd["label"], rows[cmd["label"]], cmd["sizes"], cmd.get("plan"), sample_s,
                       repeats))
        gc.collect()
    meta = {"version": getattr(lib, "__version__", "?") if lib is not None else np.__version__, "blas": blas,
            "torch_imported": "torch" in sys.modules, "kittygrad_imported": "kittygrad" in sys.modules}
    if side == "torch":
        meta["threads"] = lib.get_num_threads()
    send({"meta": meta})


def profile(name: str, size: str, seconds: float = 3.0) -> None:
    _limit_threads(1)
    warm_allocator()
    import kittygrad as lib

    rows = [r for r in load_rows("kitty") if r.name == name]
    if not rows:
        raise SystemExit(f"no op-table row named {name!r}")
    row = rows[0]
    for shapes in candidate_shapes(row, size)[0]:
        try:
            arrays = make_arrays(row, shapes)
            step = build_step(lib, row, arrays, _extras_for(row, size, shapes))
            step()
            break
        except Exception:  # noqa: BLE001 - a smaller candidate
            continue
    per = measure(step, 0.05, 3)
    n = max(1, int(seconds / per))
    print(f"{name} at {size} {shapes}: {per * 1e3:.3f} ms per forward+backward; profiling {n} calls")
    print_profile(step, n, 25)


def print_profile(step, calls: int, top: int) -> None:
    """cProfile ``calls`` runs of ``step`` and print the ``top`` functions by own time."""
    import cProfile  # (only profiling runs need them)
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        step()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


# ---------------------------------------------------------------------------------------------
# the parent: runs the three processes and writes the table
# ---------------------------------------------------------------------------------------------
def _env(threads: int = 1):
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        # (every BLAS the process loads reads these: a library loaded after threadpoolctl's limits
        # are set, as SciPy's own OpenBLAS is, would otherwise start with the machine's thread count)
        env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


class _Worker:
    """The parent's handle on one library's worker process."""

    def __init__(self, side, args):
        self.side, self.args = side, args
        self.busy = 0.0
        self._start()

    def _start(self):
        cmd = [sys.executable, "-m", "benchmarks.ops", "--worker", self.side, "--sample", str(self.args.sample),
               "--repeats", str(self.args.repeats)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self._read()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("@@"):
                return json.loads(line[2:])
        raise RuntimeError(f"the {self.side} worker ended (exit code {self.proc.wait()})")

    def ask(self, label, sizes, plan=None) -> dict:
        t0 = time.perf_counter()
        try:
            self.proc.stdin.write(json.dumps({"label": label, "sizes": sizes, "plan": plan}) + "\n")
            self.proc.stdin.flush()
            return self._read()
        except (RuntimeError, BrokenPipeError) as e:  # a row that kills its process: note it, start afresh
            self._start()
            return {size: {"shapes": (plan or {}).get(size, {}).get("shapes"), "ms": None, "backward": None,
                           "error": str(e), "note": "", "fallback": False} for size in sizes}
        finally:
            self.busy += time.perf_counter() - t0

    def close(self) -> dict:
        self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
        self.proc.stdin.flush()
        meta = self._read()["meta"]
        self.proc.wait()
        return meta


#: rounds in which kittygrad and the floor take turns on a row with a floor (each round a median of
#: ``--repeats`` samples); the row's figure is the median of its rounds
FLOOR_ROUNDS = 3


def median_of_rounds(rounds: list) -> dict:
    """One row's entries ({size: entry}) from several rounds of it: the first round's entry (its
    shapes, note, errors) with ``ms`` the median of the rounds that timed it, ``rounds_ms`` all of them.

    >>> median_of_rounds([{"medium": {"ms": 3.0}}, {"medium": {"ms": 1.0}}, {"medium": {"ms": 2.0}}])
    {'medium': {'ms': 2.0, 'rounds_ms': [3.0, 1.0, 2.0]}}
    """
    merged = {}
    for size, entry in rounds[0].items():
        timed = [r[size]["ms"] for r in rounds if r.get(size, {}).get("ms") is not None]
        if entry.get("ms") is None or not timed:
            merged[size] = entry
        else:
            merged[size] = dict(entry, ms=statistics.median(timed), rounds_ms=timed)
    return merged


def run_table(args) -> tuple[dict, dict, dict]:
    """Every selected row through the three workers in turn (kittygrad, torch, floor), row by row, so the
    three figures of a row are taken close together in time; only one process runs at a time."""
    rows = _labelled(load_rows("floor"), set(args.only))
    workers = {side: _Worker(side, args) for side in ("kitty", "torch", "floor")}
    results = {side: {} for side in workers}
    start = time.perf_counter()
    for n, (label, row) in enumerate(rows):
        row_start = time.perf_counter()
        k = workers["kitty"].ask(label, args.sizes)
        t = workers["torch"].ask(label, list(k), k)
        # shapes torch refused, so it ran smaller ones: kittygrad again at torch's shapes
        redo = {size: {"shapes": e["shapes"], "note": k[size]["note"]} for size, e in t.items()
                if e.get("ms") is not None and e["shapes"] != k[size]["shapes"]}
        if redo:
            for size, entry in workers["kitty"].ask(label, list(redo), redo).items():
                k[size] = dict(entry, fallback=True)
        if row.name in FLOORS and label == row.name:
            # kittygrad and the floor take turns, round after round: a burst of load from the machine's
            # other tenants then slows both sides of a ratio instead of one
            kitty_rounds, floor_rounds = [k], [workers["floor"].ask(label, list(k), k)]
            for _ in range(FLOOR_ROUNDS - 1):
                kitty_rounds.append(workers["kitty"].ask(label, list(k), k))
                floor_rounds.append(workers["floor"].ask(label, list(k), k))
            k, results["floor"][label] = median_of_rounds(kitty_rounds), median_of_rounds(floor_rounds)
        results["kitty"][label], results["torch"][label] = k, t
        took = time.perf_counter() - row_start
        if took > 3 or n % 100 == 0:
            print(f"    [{n}/{len(rows)} {time.perf_counter() - start:.0f} s] {label}: {took:.1f} s",
                  file=sys.stderr, flush=True)
    out = {}
    for side, w in workers.items():
        out[side] = {"meta": w.close(), "results": results[side]}
        print(f"  {side}: {w.busy:.0f} s", flush=True)
    return out["kitty"], out["floor"], out["torch"]


def machine_facts() -> dict:
    cpu, family = "unknown", {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name" and cpu == "unknown":
                cpu = value.strip()
            elif key in ("cpu family", "model") and key not in family:
                family[key] = value.strip()
            elif not line.strip():
                break  # (the first CPU's block is enough)
    except OSError:
        pass
    if family:  # (a model name alone can hide the generation: "AMD EPYC" on a virtual machine)
        cpu += f", CPU family {family.get('cpu family', '?')} model {family.get('model', '?')}"
    blas = "?"
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{info.get('name')} {info.get('version')}"
    except Exception:  # noqa: BLE001 - older NumPy
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "numpy": np.__version__, "numpy_blas": blas,
            "python": sys.version.split()[0]}


def _fmt_ms(v):
    if v is None:
        return "—"
    return f"{v:.4f}" if v < 0.01 else f"{v:.3f}" if v < 10 else f"{v:.1f}"


def _fmt_shapes(shapes):
    return "·".join("(" + ",".join(str(x) for x in s) + ")" for s in shapes)


def render(kitty, floor, torch, facts, args, seconds) -> str:
    lines = [
        "# Op speed table",
        "",
        f"`python -m benchmarks ops{' ' + ' '.join(args.argv) if args.argv else ''}` — forward + backward "
        "(`out.sum().backward()`) of the op-table rows, float32, one BLAS thread; each library in its own "
        "process (the three processes take turns, row by row, so a row's figures are taken close together "
        f"in time); median of {args.repeats} samples of ~{args.sample * 1e3:.0f} ms each; a row with a floor is "
        f"timed in {FLOOR_ROUNDS} rounds, kittygrad and the floor taking turns, and its figures are the medians of "
        f"their rounds; run took {seconds:.0f} s.",
        "",
        f"- CPU: {facts['cpu']} ({facts['cpus']} logical CPUs, shared machine)",
        f"- Python {facts['python']}, NumPy {facts['numpy']} (BLAS: {facts['numpy_blas']}); at run time: "
        f"{kitty['meta']['blas']}",
        f"- kittygrad {kitty['meta']['version']} (torch imported in its process: {kitty['meta']['torch_imported']}); "
        f"torch {torch['meta']['version']} with {torch['meta'].get('threads')} thread(s) (kittygrad imported in its "
        f"process: {torch['meta']['kittygrad_imported']})",
        "- floor: a hand-written NumPy forward + backward of the same maths (fewest passes; the fastest variant "
        "where there are several); — where no floor is written. `fwd` marks rows with no backward "
        "(integer / no-gradient rows: forward only). † marks a row whose scaled-up shapes did not fit it (an "
        "index or size fixed inside the row, an output growing as a product of the inputs, over 2 s a call): it "
        "runs at smaller shapes, down to the row's own.",
        "- every process first allocates and frees one 31 MiB block (glibc then serves arrays up to that size "
        "from its heap), so a row's time does not depend on the rows before it; the page-fault cost of fresh "
        "mmapped memory is therefore not in these figures.",
        "",
        "| op | shape | kittygrad ms | floor ms | torch ms | kitty/floor | kitty/torch |",
        "|---|---|---|---|---|---|---|",
    ]
    misses, notes, n_floor = [], {}, 0
    for name, by_size in kitty["results"].items():
        for size in args.sizes:
            k = by_size.get(size)
            if k is None:
                continue
            f = floor["results"].get(name, {}).get(size, {})
            t = torch["results"].get(name, {}).get(size, {})
            km, fm, tm = k.get("ms"), f.get("ms"), t.get("ms")
            label = name + ("" if k.get("backward") or k.get("ms") is None else " `fwd`")
            if k.get("error"):
                label += f" (kittygrad: {k['error']})"
            if t.get("error") and tm is None:
                label += f" (torch: {t['error']})"
            if k.get("note"):
                notes[name] = k["note"]
            rf = km / fm if km and fm else None
            rt = km / tm if km and tm else None
            mark = "†" if k.get("fallback") else ""
            lines.append(f"| {label} | {size}{mark} {_fmt_shapes(k['shapes'] or [])} | {_fmt_ms(km)} | {_fmt_ms(fm)} | "
                         f"{_fmt_ms(tm)} | {f'{rf:.2f}×' if rf else '—'} | {f'{rt:.2f}×' if rt else '—'} |")
            if fm and size == "medium":
                n_floor += 1
            if rf and size == "medium":
                target = MATMUL_TARGET if name in MATMUL_FAMILY else TARGET_RATIO
                if rf > target:
                    misses.append((name, rf, target, rt, km, fm))
    lines += ["", "## Notes on shapes", ""]
    lines += [f"- `{n}`: {v}" for n, v in notes.items()] or ["- none"]
    lines += [
        "",
        f"## Ops missing the floor targets (medium shape; ≤ {TARGET_RATIO}× the floor, matmul family "
        f"{', '.join(sorted(MATMUL_FAMILY))} ≤ {MATMUL_TARGET}×)",
        "",
    ]
    if misses:
        lines += ["| op | kittygrad ms | floor ms | kitty/floor | target | kitty/torch | where the time goes | "
                  "what would close it |", "|---|---|---|---|---|---|---|---|"]
        for name, rf, target, rt, km, fm in sorted(misses, key=lambda m: -m[1]):
            cause, remedy = why(name, fm)
            lines.append(f"| {name} | {_fmt_ms(km)} | {_fmt_ms(fm)} | {rf:.2f}× | ≤ {target}× | "
                         f"{f'{rt:.2f}×' if rt else '—'} | {cause} | {remedy} |")
        lines += ["", f"{len(misses)} of the {n_floor} rows with a floor miss their target at the medium shape. "
                  "On this shared two-core machine the ratio of a sub-millisecond row moves by ±30% from run to "
                  "run; rerun one with `--only NAME` before acting on it."]
        lines += ["", "Profile one with `python -m benchmarks ops --profile NAME` (cProfile, top 25 of kittygrad)."]
    elif "medium" in args.sizes:
        lines.append("None: every op with a floor is within its target.")
    else:
        lines.append("(the medium shape was not run)")
    return "\n".join(lines) + "\n"


def table_path(args, stem: str) -> Path:
    """Where a benchmark writes its table: ``--out``, else ``benchmarks/<stem>.md`` for a full run; a
    partial run (``--smoke``, ``--only``) never replaces the committed table, it goes to a temporary file."""
    if args.out:
        return args.out
    if args.smoke or args.only:
        return Path(tempfile.gettempdir()) / f"kittygrad_{stem}_{'smoke' if args.smoke else 'only'}.md"
    return Path(__file__).with_name(f"{stem}.md")


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks ops", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="small,medium", help="comma-separated: small, medium")
    parser.add_argument("--only", default="", help="comma-separated row names")
    parser.add_argument("--smoke", action="store_true", help=f"a few rows ({', '.join(DEFAULT_SMOKE)}), small shape, "
                        "one short sample: checks the machinery, not the speed")
    parser.add_argument("--out", type=Path, default=None, help="markdown file (default benchmarks/ops.md; a temporary file with --smoke or --only)")
    parser.add_argument("--profile", metavar="NAME", help="cProfile (top 25) of kittygrad on one row")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sample", type=float, default=0.01, help="seconds per sample")
    parser.add_argument("--worker", choices=["kitty", "torch", "floor"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.argv = argv
    args.sizes = [s for s in args.shapes.split(",") if s]
    if any(s not in BASE for s in args.sizes):
        parser.error("--shapes takes small and/or medium")
    args.only = [s for s in args.only.split(",") if s]
    if args.smoke:
        args.only = args.only or list(DEFAULT_SMOKE)
        if args.shapes == "small,medium":
            args.sizes = ["small"]
        args.repeats, args.sample = 1, 0.002
    if args.profile:
        profile(args.profile, "medium" if "medium" in args.sizes else args.sizes[0])
        return
    if args.worker:
        serve(args.worker, args.sample, args.repeats)
        return
    out = table_path(args, "ops")
    t0 = time.perf_counter()
    print(f"timing {'the rows ' + ', '.join(args.only) if args.only else 'every op-table row'} at "
          f"{', '.join(args.sizes)}; one process per library, interleaved row by row", flush=True)
    kitty, floor, torch = run_table(args)
    text = render(kitty, floor, torch, machine_facts(), args, time.perf_counter() - t0)
    out.write_text(text)
    print(text if args.smoke or args.only else text[text.index("## Ops missing"):])
    print(f"written to {out}")


if __name__ == "__main__":
    main()
