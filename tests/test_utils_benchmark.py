"""``kittygrad.utils.benchmark`` against torch 2.13's ``torch.utils.benchmark``: the same statistics
and printed layout for the same timings, Compare's tables, and Timer's behaviour."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch.utils.benchmark as tb

import kittygrad
import kittygrad.utils.benchmark as kb

LIBS = (tb, kb)


def _body(m) -> str:
    """A Measurement's repr without its first line (the object's address)."""
    return repr(m).split("\n", 1)[1]


SPECS = [
    dict(stmt="x + 1", setup="pass"),
    dict(stmt="x + 1", setup="x = 1", label="add", sub_label="int", description="small"),
    dict(stmt="a = 1\nb = a * 2", setup="import math\ny = 2", sub_label="two lines", num_threads=4),
    dict(stmt="f()", setup="pass", label="f", description="n=3"),
]
TIMES = [
    (1000, [2.1e-3]),
    (10, [1e-6, 1.1e-6, 1.05e-6, 0.98e-6, 3e-6, 1.02e-6]),
    (100, [4e-2, 4.5e-2, 9e-2, 4.1e-2]),
    (1, [2.0, 2.5]),
    (7, [5e-9, 6e-9, 5.5e-9, 5.2e-9, 5.1e-9]),
]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("number, raw", TIMES)
def test_measurement_statistics_and_repr_match_torch(spec, number, raw):
    t, k = (lib.Measurement(number, list(raw), lib.TaskSpec(**spec)) for lib in LIBS)
    assert _body(t) == _body(k)
    assert repr(k).startswith("<kittygrad.utils.benchmark.Measurement object at 0x")
    for attr in ("mean", "median", "iqr"):
        assert getattr(k, attr) == pytest.approx(getattr(t, attr), rel=1e-12)
    assert k.times == pytest.approx(t.times)
    assert (k.significant_figures, k.has_warnings, k.title, k.as_row_name, k.number_per_run) == (
        t.significant_figures, t.has_warnings, t.title, t.as_row_name, t.number_per_run)
    assert (k.label, k.stmt, k.num_threads, k.meets_confidence(0.2)) == (t.label, t.stmt, t.num_threads,
                                                                         t.meets_confidence(0.2))


def test_merge_and_helpers_match_torch():
    for lib in LIBS:
        spec = lib.TaskSpec("pass", "pass", label="x")
        merged = lib.Measurement.merge([lib.Measurement(2, [4.0], spec), lib.Measurement(1, [1.0, 3.0], spec)])
        assert len(merged) == 1 and merged[0].number_per_run == 1 and merged[0].times == [2.0, 1.0, 3.0]
    for t in (3e-10, 2e-9, 5e-7, 0.02, 3.0, 2e3):
        assert kb.select_unit(t) == tb.select_unit(t)
    for x, n in ((3.14159, 2), (123456.0, 3), (0.000123456, 1)):
        assert kb.trim_sigfig(x, n) == pytest.approx(tb.trim_sigfig(x, n))
    assert kb.unit_to_english("ms") == tb.unit_to_english("ms")
    assert kb.ordered_unique([3, 1, 3, 2]) == tb.ordered_unique([3, 1, 3, 2])


def _measurements(lib):
    rows = [(1.5, "a", "n=1", 1), (2.25, "a", "n=2", 1), (3.0, "b", "n=1", 1), (30.0, "b", "n=2", 4), (31.0, "a", "n=2", 4)]
    out = [lib.Measurement(10, [t * 1e-6 * (1 + 0.01 * i) for i in range(7)],
                           lib.TaskSpec("f()", "pass", label="f", sub_label=s, description=d, num_threads=n))
           for t, s, d, n in rows]
    out.append(lib.Measurement(1, [5e-3, 9e-3, 5.1e-3, 4e-3], lib.TaskSpec("g(x)", "pass", label="g", description="big", env="A")))
    out.append(lib.Measurement(1, [6e-3], lib.TaskSpec("g(x)", "pass", label="g", description="big", env="other")))
    out.append(lib.Measurement(5, [6e-3, 7e-3], lib.TaskSpec("g(x)", "pass", label="g", description="big", env="A")))  # a replicate
    return out


@pytest.mark.parametrize("options", [(), ("trim",), ("trim", "colorize"), ("rowwise",), ("highlight",)])
def test_compare_prints_torch_tables(options):
    tables = []
    for lib in LIBS:
        c = lib.Compare(_measurements(lib))
        if "trim" in options:
            c.trim_significant_figures()
        if "colorize" in options:
            c.colorize()
        if "rowwise" in options:
            c.colorize(rowwise=True)
        if "highlight" in options:
            c.highlight_warnings()
        tables.append(str(c))
    assert tables[0] == tables[1]


def test_compare_refuses_what_is_not_a_measurement():
    with pytest.raises(ValueError, match="Expected an instance of `Measurement`"):
        kb.Compare([1])


def test_timer_measures_a_statement():
    calls = []
    timer = kb.Timer("calls.append(x)", setup="x = 7", globals={"calls": calls}, label="append",
                     sub_label="list", description="one", num_threads=1)
    m = timer.timeit(50)
    assert m.number_per_run == 50 and len(m.raw_times) == 1 and m.raw_times[0] > 0
    assert len(calls) == 50 + 2 and set(calls) == {7}  # 2 warm-up runs, as torch
    assert (m.label, m.sub_label, m.description, m.stmt, m.setup) == ("append", "list", "one", "calls.append(x)", "x = 7")
    assert m.mean == m.median == m.times[0]
    assert "1 measurement, 50 runs , 1 thread" in repr(m)


def test_blocked_autorange_spends_at_least_min_run_time():
    seen = []
    m = kb.Timer("sum(range(50))").blocked_autorange(callback=lambda n, t: seen.append((n, t)), min_run_time=0.05)
    assert sum(m.raw_times) >= 0.05
    assert m.number_per_run >= 10 and len(m.times) == len(seen) >= 1
    assert all(n == m.number_per_run for n, _ in seen)
    assert m.median > 0 and m.iqr >= 0


def test_adaptive_autorange_stops_by_max_run_time():
    m = kb.Timer("x = 1").adaptive_autorange(threshold=0.5, min_run_time=0.01, max_run_time=0.3)
    assert m.number_per_run >= 1 and sum(m.raw_times) < 1.0


def test_statements_see_kittygrad_as_torch_and_code_is_dedented():
    m = kb.Timer("""
        y = torch.ones(3)
        z = (y * 2).sum()
    """, setup="""
        import math
    """)
    assert m._globals["torch"] is kittygrad
    assert m.timeit(5).stmt == "y = torch.ones(3)\nz = (y * 2).sum()"
    assert kb.Timer("x", globals={"torch": 5, "x": 1})._globals["torch"] == 5


def test_timer_errors_as_torch():
    for lib in LIBS:
        with pytest.raises(NotImplementedError, match="See `Timer.blocked_autorange.`"):
            lib.Timer().repeat()
        with pytest.raises(NotImplementedError, match="See `Timer.blocked_autorange.`"):
            lib.Timer().autorange()
        with pytest.raises(ValueError, match="Currently only a `str` stmt is supported"):
            lib.Timer(stmt=lambda: None)
        with pytest.raises(ValueError, match="global_setup is C\\+\\+ only"):
            lib.Timer(global_setup="#include <x>")
        with pytest.raises(ValueError, match="Invalid language"):
            lib.Timer(language="rust")
        with pytest.raises(NameError):
            lib.Timer("undefined_name + 1").timeit(1)


def test_torch_script_runs_under_the_runner(tmp_path):
    script = tmp_path / "bench.py"
    script.write_text(textwrap.dedent("""
        import torch
        import torch.utils.benchmark as benchmark
        from torch.utils.benchmark import Timer, Compare

        x = torch.ones(8)
        results = []
        for n in (4, 8):
            t = Timer("x[:n] * 2", globals={"x": x, "n": n}, label="mul", sub_label="ones", description=f"n={n}")
            m = t.blocked_autorange(min_run_time=0.02)
            results.append(m)
            lines = repr(m).splitlines()
            print(lines[0].split(" object")[0], lines[1:3], any(" runs " in line for line in lines))
        print(type(benchmark.Timer("torch.zeros(2)").timeit(3)).__name__)
        table = str(Compare(results)).splitlines()
        print(table[1].split(), table[2].split()[:2], table[-1])
    """))
    env = dict(os.environ, PYTHONHASHSEED="0")
    outs = [subprocess.run(cmd + [str(script)], capture_output=True, text=True, env=env, timeout=120)
            for cmd in ([sys.executable], [sys.executable, "-m", "kittygrad.run"])]
    assert outs[1].returncode == 0, outs[1].stderr[-2000:]
    assert outs[0].stdout == outs[1].stdout
    assert "kittygrad lacks" not in outs[1].stderr
