"""The large fuzzing budget: the generator of fuzz.py driven by seeded ``random.Random`` sources.

    nice -n 10 .venv/bin/python tests/hardening/fuzz_run.py --programs 100000 --out /tmp/fuzz.json
    .venv/bin/python tests/hardening/fuzz_run.py --seed 1234 --programs 1 --show   # replay one

Program ``i`` uses seed ``start + i``, so any mismatch is replayed from its seed. Prints (and
writes as JSON) the number of programs, steps, steps at which both libraries raised the same
exception type, and the mismatches grouped by kind and step.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import time
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ops"))  # the op table's families, as tests/conftest.py adds them
sys.path.insert(0, HERE)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch  # noqa: E402

torch.set_num_threads(1)

from fuzz import Mismatch, RandomSource, known_difference, run_program  # noqa: E402


def signature(m: Mismatch) -> str:
    first = m.detail.split("\n")[0]
    first = re.sub(r"0x[0-9a-f]+|\d+(\.\d+)?", "#", first)
    known = known_difference(m)
    return f"{'KNOWN' if known else 'NEW'} {m.kind}: {first[:160]}" + (f"  [{known}]" if known else "")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--programs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--out", default=None)
    ap.add_argument("--show", action="store_true", help="print every program's log")
    ap.add_argument("--every", type=int, default=1000, help="progress line every N programs")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's divide-by-zero notes on purpose-made infs
    groups: dict = collections.OrderedDict()
    counts = collections.Counter()
    steps = errors = crashes = 0
    t0 = time.time()
    for i in range(args.programs):
        seed = args.seed + i
        try:
            prog = run_program(RandomSource(seed))
            steps += prog.n_steps
            errors += prog.errors
            if args.show:
                print("\n".join(prog.log))
        except Mismatch as m:
            sig = signature(m)
            counts[sig] += 1
            groups.setdefault(sig, {"seeds": [], "example": str(m)[:4000]})["seeds"].append(seed)
            if args.show:
                print(m)
        except Exception:  # noqa: BLE001 - a crash of the harness itself
            crashes += 1
            sig = "harness-crash: " + traceback.format_exc().strip().split("\n")[-1][:160]
            counts[sig] += 1
            groups.setdefault(sig, {"seeds": [], "example": traceback.format_exc()[-4000:]})["seeds"].append(seed)
        if args.every and (i + 1) % args.every == 0:
            print(f"{i + 1} programs, {sum(counts.values())} mismatches, {time.time() - t0:.0f} s", flush=True)
            if args.out:  # a partial result survives an interrupted run
                report(args, groups, counts, steps, errors, crashes, t0, i + 1)
    return report(args, groups, counts, steps, errors, crashes, t0, args.programs, final=True)


def report(args, groups, counts, steps, errors, crashes, t0, done, final=False):
    result = {
        "programs": done,
        "finished": final,
        "first_seed": args.seed,
        "steps": steps,
        "both_raised_steps": errors,
        "mismatching_programs": sum(counts.values()),
        "known_difference_programs": sum(v for k, v in counts.items() if k.startswith("KNOWN")),
        "new_mismatch_programs": sum(v for k, v in counts.items() if not k.startswith("KNOWN")),
        "harness_crashes": crashes,
        "seconds": round(time.time() - t0, 1),
        "groups": {k: {"count": counts[k], "seeds": v["seeds"][:20], "example": v["example"]} for k, v in groups.items()},
    }
    if final:
        print(json.dumps({k: v for k, v in result.items() if k != "groups"}, indent=1))
        for k, v in sorted(result["groups"].items(), key=lambda kv: -kv[1]["count"]):
            print(f"{v['count']:6d}  {k}  seeds {v['seeds'][:5]}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
