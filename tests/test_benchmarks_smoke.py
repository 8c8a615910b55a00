"""The benchmark tables of issue 18 can be produced: ``python -m benchmarks ops --smoke`` and
``python -m benchmarks workloads --smoke`` (on 2 threads) run a few rows each (one short sample, every library in its
own process) and write their markdown tables. The machinery is checked, not the speed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_benchmark_tables_smoke(tmp_path):
    ops_md, workloads_md = tmp_path / "ops.md", tmp_path / "workloads.md"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    commands = [
        ["ops", "--smoke", "--only", "mul,softmax,matmul", "--out", str(ops_md)],
        ["workloads", "--smoke", "--threads", "2", "--out", str(workloads_md)],
    ]
    # both at once: most of the time is each library's import in its own process
    procs = [subprocess.Popen([sys.executable, "-m", "benchmarks", *c], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for c in commands]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-3000:]

    text = ops_md.read_text()
    assert "| op | shape | kittygrad ms | floor ms | torch ms | kitty/floor | kitty/torch |" in text
    rows = [_cells(line) for line in text.splitlines() if line.startswith("| ") and " small " in line]
    assert sorted(r[0] for r in rows) == ["matmul", "mul", "softmax"]
    for r in rows:  # every row timed by all three processes: no dash in the times and ratios
        assert all(c not in ("—", "") for c in r[2:]), r
    assert "CPU:" in text and "NumPy" in text
    assert "a row with a floor is timed in 3 rounds, kittygrad and the floor taking turns" in text
    assert "torch imported in its process: False" in text and "kittygrad imported in its process: False" in text

    text = workloads_md.read_text()
    assert "| workload | kittygrad ms | torch ms | kitty/torch |" in text
    body = [_cells(line) for line in text.splitlines()
            if line.startswith("| ") and not line.startswith(("| workload", "|---"))]
    assert len(body) == 3, body
    for r in body:
        assert r[1] != "—" and r[2] != "—", r
    assert "kitty/floor" in text and "with a large heap / alone" in text and "CPU:" in text
    assert "torch imported in its processes: False" in text and "kittygrad imported in its processes: False" in text
    # --threads reaches every process: the table says so, and torch's process reports its count
    assert "2 BLAS threads (torch: 2 threads)" in text and "2 thread(s)" in text


def test_a_row_with_a_floor_takes_the_median_of_its_rounds():
    """Each side's figure is the median of its rounds; a size a round could not time keeps the first
    round's entry (its error), and the rounds' figures are kept beside the median."""
    from benchmarks.ops import median_of_rounds

    rounds = [
        {"small": {"ms": 0.5, "shapes": [[4]], "note": "n"}, "medium": {"ms": None, "error": "MemoryError"}},
        {"small": {"ms": 0.2, "shapes": [[4]], "note": ""}, "medium": {"ms": 9.0}},
        {"small": {"ms": 0.3, "shapes": [[4]], "note": ""}, "medium": {"ms": 9.0}},
    ]
    merged = median_of_rounds(rounds)
    assert merged["small"] == {"ms": 0.3, "shapes": [[4]], "note": "n", "rounds_ms": [0.5, 0.2, 0.3]}
    assert merged["medium"] == {"ms": None, "error": "MemoryError"}
    assert median_of_rounds(rounds[:1]) == {"small": dict(rounds[0]["small"], rounds_ms=[0.5]), "medium": rounds[0]["medium"]}


def test_a_workload_with_a_floor_takes_the_median_of_its_process_rounds():
    """The MLP and its floor run in rounds of their own processes: the workload's figure is the median
    of the rounds that timed it, the rest of the result (peak RSS, meta) is the first round's, and a
    round whose process failed does not count."""
    from benchmarks.workloads import merged_rounds

    rounds = [
        {"mlp": {"ms": 2.4}, "peak_rss_mb": 95.0, "meta": {"threads": 1}},
        {"mlp": {"ms": None, "error": "process failed: x"}, "meta": {}},
        {"mlp": {"ms": 2.0}, "peak_rss_mb": 96.0, "meta": {"threads": 1}},
    ]
    merged = merged_rounds(rounds, "mlp")
    assert merged["mlp"] == {"ms": 2.2, "rounds_ms": [2.4, 2.0]}
    assert merged["peak_rss_mb"] == 95.0 and merged["meta"] == {"threads": 1}
    failed = merged_rounds([{"mlp": {"ms": None, "error": "e"}, "meta": {}}], "mlp")
    assert failed["mlp"] == {"ms": None, "error": "e"}
