"""``python -m kittygrad.run`` freezes the objects alive before the script starts (the interpreter's
and kittygrad's) out of the cyclic GC's collections; the script's own objects are collected as ever."""
from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import gc, weakref
    import torch

    print("frozen", gc.get_freeze_count())

    class Cell:
        pass

    a, b = Cell(), Cell()
    a.other, b.other = b, a  # a cycle only the collector frees
    alive = weakref.ref(a)
    del a, b
    gc.collect()
    print("cycle collected", alive() is None)

    x = torch.ones(3, requires_grad=True)
    y = x
    for _ in range(3000):  # a graph long enough to set off collections of every generation
        y = y * 1.0001 + 0.001
    y.sum().backward()
    print("grad", round(float(x.grad[0]), 4))
    print("tensor listed", gc.is_tracked(x) and any(o is x for o in gc.get_objects()))
""")


def test_the_runner_freezes_the_heap_it_found_and_collects_the_scripts_objects(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    run = subprocess.run([sys.executable, "-m", "kittygrad.run", str(script)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = dict(line.rsplit(" ", 1) for line in run.stdout.splitlines())
    assert int(lines["frozen"]) > 10_000  # NumPy's, SciPy's and kittygrad's objects
    assert lines["cycle collected"] == "True"
    assert lines["tensor listed"] == "True"  # (the script's tensor is listed by gc.get_objects: not frozen)
    assert float(lines["grad"]) > 1.0


def test_importing_kittygrad_freezes_nothing():
    """Only the runner, which starts the script in a fresh process, freezes: an import leaves the
    user's GC as it was."""
    code = "import gc; before = gc.get_freeze_count(); import kittygrad; print(gc.get_freeze_count() - before)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "0"
