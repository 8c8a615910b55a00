"""Differential fuzzing against torch (see fuzz.py): the CI budget, and one regression test per
mismatch the fuzzer found.

``KITTY_FUZZ_PROGRAMS=N`` sets the number of hypothesis programs (default 250); the large budget
runs through ``fuzz_run.py`` (the same generator on seeded random sources).
"""
from __future__ import annotations

import os
import time

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from _hypothesis_budget import examples
from hypothesis import strategies as st

import kittygrad as kitty
from hardening._figures import record
from hardening.fuzz import FUZZ_ROWS, HypothesisSource, Mismatch, Program, RandomSource, known_difference, run_program

N_PROGRAMS = int(os.environ.get("KITTY_FUZZ_PROGRAMS", "250"))
_count = {"programs": 0, "steps": 0, "raised": 0, "known": 0, "t0": None}


@settings(max_examples=examples(N_PROGRAMS), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_programs_match_torch(data):
    if _count["t0"] is None:
        _count["t0"] = time.perf_counter()
    _count["programs"] += 1
    try:
        prog = run_program(HypothesisSource(data))
    except Mismatch as m:
        label = known_difference(m)
        if label is None:
            record("fuzz: programs (hypothesis, this run)", f"NEW MISMATCH after {_count['programs']} programs: {m.kind}")
            raise  # a new mismatch: hypothesis shrinks the program and reports it
        _count["known"] += 1
    else:
        _count["steps"] += prog.n_steps
        _count["raised"] += prog.errors
    record("fuzz: programs (hypothesis, this run)", f"{_count['programs']} programs ({_count['steps']} steps in "
           f"the programs that ran to the end, {_count['raised']} steps where both raised the same error type), "
           f"{_count['known']} stopped at a known difference (fuzz.KNOWN), 0 new mismatches, "
           f"{time.perf_counter() - _count['t0']:.1f} s")


def test_fuzzer_draws_from_the_whole_table():
    assert len(FUZZ_ROWS) > 600
    seen = set()
    for seed in range(40):
        try:
            prog = run_program(RandomSource(seed))
        except Mismatch as m:
            log = m.log
        else:
            log = prog.log
        seen.update(line.split("row '")[1].split("'")[0] for line in log if "row '" in line)
    assert len(seen) > 150


def test_fuzzer_catches_a_wrong_gradient(monkeypatch):
    """The harness can fail: an op with a wrong backward is reported as a gradient mismatch."""
    from kittygrad.ops import unary as _unary

    orig = _unary.Exp.backward
    monkeypatch.setattr(_unary.Exp, "backward", lambda self, g: tuple(x * 1.01 for x in orig(self, g)))
    prog = Program(RandomSource(0))
    k = kitty.tensor([0.1, 0.2, 0.3], dtype=kitty.float64, requires_grad=True)
    t = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64, requires_grad=True)
    prog.pool.append((k, t, "x"))
    prog.leaves.append((k, t, "x"))
    prog.add_results(*prog.both("exp", lambda m: m.exp(k if m is kitty else t)), "y")
    with pytest.raises(Mismatch) as info:
        prog.final_backward()
    assert info.value.kind == "grad"
