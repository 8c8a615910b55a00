"""Real PyTorch programs, unchanged, under torch and under ``python -m kittygrad.run``.

Each file in ``tests/programs/`` is an ordinary PyTorch script (``import torch``, nothing
kittygrad-specific). It runs twice in subprocesses, once with real torch and once through the
drop-in runner, and what the two printed is compared line by line: the same number of lines, the
same words (shapes, dtypes, reprs, control flow) and numbers within the program's stated
tolerance — a line ``tolerance: rtol=R atol=A`` in its docstring, ``rtol=1e-4 atol=1e-6`` when
absent. Backward nodes print torch's names under the runner (``grad_fn=<MulBackward0>``; the
seed's ``<MulBackward>`` otherwise), so they are compared too.
"""
from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("*.py"))
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)\b")
DEFAULT_TOLERANCE = (1e-4, 1e-6)
TIMEOUT_S = 240


def tolerance(program: Path) -> tuple[float, float]:
    found = re.search(r"tolerance:\s*rtol=([-+.\deE]+)\s+atol=([-+.\deE]+)", program.read_text())
    return (float(found.group(1)), float(found.group(2))) if found else DEFAULT_TOLERANCE


def _env() -> dict:
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env.pop("KITTYGRAD_BACKWARD", None)
    return env


def run_both(program: Path) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """torch's run and kittygrad's, side by side (the machine has two cores)."""
    commands = ([sys.executable, str(program)], [sys.executable, "-m", "kittygrad.run", str(program)])
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
                              cwd=program.parent) for c in commands]
    results = []
    for cmd, proc in zip(commands, procs):
        out, err = proc.communicate(timeout=TIMEOUT_S)
        results.append(subprocess.CompletedProcess(cmd, proc.returncode, out, err))
    return results[0], results[1]


def _close(a: str, b: str, rtol: float, atol: float) -> bool:
    x, y = float(a), float(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y or abs(x - y) <= atol + rtol * abs(x)


def _skeleton(line: str) -> str:
    """The words of a line: numbers become ``#`` and whitespace goes (tensor printing pads a
    positive number with a space when a neighbour is negative)."""
    return re.sub(r"\s+", "", NUMBER.sub("#", line))


def differences(expected: str, got: str, rtol: float, atol: float) -> list[str]:
    """What differs between torch's output and kittygrad's: [] when they agree."""
    want = expected.splitlines()
    have = got.splitlines()
    problems = []
    if len(want) != len(have):
        problems.append(f"torch printed {len(want)} lines, kittygrad {len(have)}")
    for i, (w, h) in enumerate(zip(want, have), 1):
        if _skeleton(w) != _skeleton(h):
            problems.append(f"line {i}: torch {w!r}\n           kittygrad {h!r}")
            continue
        for a, b in zip(NUMBER.findall(w), NUMBER.findall(h)):
            if not _close(a, b, rtol, atol):
                problems.append(f"line {i}: {a} vs {b} (rtol={rtol}, atol={atol})\n  torch {w!r}\n  kitty {h!r}")
                break
    return problems


def test_the_comparison_catches_a_different_number_word_or_line():
    assert differences("loss 1.0000\n", "loss 1.00001\n", 1e-4, 0) == []
    assert differences("loss 1.0\n", "loss 1.1\n", 1e-4, 0)
    assert differences("torch.float32\n", "torch.float64\n", 1e-4, 0)
    assert differences("tensor([ 0.0000e+00, 1.0])", "tensor([-5.3660e-18, 1.0])", 1e-4, 1e-6) == []
    assert differences("a\nb\n", "a\n", 1e-4, 0)
    assert differences("tensor(1., grad_fn=<MulBackward0>)", "tensor(1., grad_fn=<MulBackward>)", 1e-4, 0)


def assert_same_output(program: Path, torch_run, kitty_run, runners=("torch", "kittygrad.run")) -> None:
    """The checks every program comparison makes: both runs succeeded, torch's printed something,
    kittygrad's printed the same (within the program's tolerance) and refused nothing.

    ``runners`` names the two runs in the messages (e.g. torchrun and kittygrad's launcher).
    """
    reference, ours = runners
    assert torch_run.returncode == 0, f"the program fails under {reference} itself:\n{torch_run.stderr[-3000:]}"
    assert kitty_run.returncode == 0, f"{ours} failed:\n{kitty_run.stdout[-2000:]}\n{kitty_run.stderr[-3000:]}"
    assert torch_run.stdout.strip(), "the program printed nothing to compare"
    problems = differences(torch_run.stdout, kitty_run.stdout, *tolerance(program))
    assert not problems, "\n".join(problems[:10]) + f"\n\nkittygrad's stderr:\n{kitty_run.stderr[-2000:]}"
    assert "kittygrad lacks" not in kitty_run.stderr, kitty_run.stderr[-2000:]


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_prints_what_torch_prints(program):
    assert_same_output(program, *run_both(program))
