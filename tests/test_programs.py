"""Real PyTorch programs, unchanged, under torch and under ``python -m kittygrad.run``.

Each file in ``tests/programs/`` is an ordinary PyTorch script (``import torch``, nothing
kittygrad-specific). It runs twice in subprocesses, once with real torch and once through the
drop-in runner, and what the two printed is compared line by line: the same number of lines, the
same words (shapes, dtypes, reprs, control flow) and numbers within the program's stated
tolerance — a line ``tolerance: rtol=R atol=A`` in its docstring, ``rtol=1e-4 atol=1e-6`` when
absent. Backward nodes print torch's names under the runner (``grad_fn=<MulBackward0>``; the
seed's ``<MulBackward>`` otherwise), so they are compared too.

torch's printout is recorded (``tests/programs/torch_output/``, ``make record-programs``): a
recording names the torch version and the SHA-256 of the program's text, and is read only while
both still hold. A program with no such recording (a new one, or one edited since) runs under torch
live, as every program does with ``KITTYGRAD_PROGRAMS_TORCH=live`` (``make test-programs-live``).
Why: importing torch takes about 2 s, so torch's runs took most of the suite's time, and the CI
machine has two cores. A few programs are run live in every run all the same, and checked against
their recordings (``test_recordings_hold_on_this_machine``).
"""
from __future__ import annotations

import hashlib
import math
import os
import platform
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

import pytest

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("*.py"))
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)\b")
DEFAULT_TOLERANCE = (1e-4, 1e-6)
TIMEOUT_S = 240
RECORDINGS = Path(__file__).parent / "programs" / "torch_output"
LIVE = os.environ.get("KITTYGRAD_PROGRAMS_TORCH") == "live"


def tolerance(program: Path) -> tuple[float, float]:
    found = re.search(r"tolerance:\s*rtol=([-+.\deE]+)\s+atol=([-+.\deE]+)", program.read_text())
    return (float(found.group(1)), float(found.group(2))) if found else DEFAULT_TOLERANCE


def _env() -> dict:
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env.pop("KITTYGRAD_BACKWARD", None)
    return env


def _torch_command(program: Path) -> list[str]:
    return [sys.executable, str(program)]


def _kitty_command(program: Path) -> list[str]:
    return [sys.executable, "-m", "kittygrad.run", str(program)]


def _start(command: list[str], program: Path) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
                            cwd=program.parent)


def _finish(command: list[str], proc: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = proc.communicate(timeout=TIMEOUT_S)
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def run_torch(program: Path) -> subprocess.CompletedProcess:
    """The program under real torch, now."""
    command = _torch_command(program)
    return _finish(command, _start(command, program))


def _digest(program: Path) -> str:
    # (of the text with Unix line ends: a checkout that writes CRLF keeps its recordings)
    return hashlib.sha256(program.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def _recording_path(program: Path) -> Path:
    return RECORDINGS / f"{program.stem}.out"


def _read_recording(program: Path) -> tuple[str, str, str] | None:
    """(torch version, SHA-256 of the program's text, printout) of ``program``'s recording, if any.

    A recording's first line says what it holds for: ``# torch VERSION sha256 DIGEST on CPU``.
    """
    path = _recording_path(program)
    if not path.exists():
        return None
    header, _, printout = path.read_text().partition("\n")
    words = header.split()
    return words[2], words[4], printout


def recorded_output(program: Path) -> str | None:
    """torch's recorded printout of ``program``: None when there is none, or it was recorded for
    another text of the program or another torch."""
    recording = _read_recording(program)
    if recording is None:
        return None
    torch_version, digest, printout = recording
    return printout if torch_version == version("torch") and digest == _digest(program) else None


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def record(program: Path) -> None:
    """Runs ``program`` under torch and records its printout (it must succeed and print)."""
    run = run_torch(program)
    if run.returncode != 0 or not run.stdout.strip():
        raise SystemExit(f"{program.name} fails or prints nothing under torch:\n{run.stderr[-3000:]}")
    RECORDINGS.mkdir(exist_ok=True)
    header = f"# torch {version('torch')} sha256 {_digest(program)} on {_cpu()}"
    _recording_path(program).write_text(f"{header}\n{run.stdout}")


def run_both(program: Path) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """torch's run and kittygrad's, side by side (two cores); torch's is its recording when one holds."""
    recorded = None if LIVE else recorded_output(program)
    if recorded is not None:
        torch_run = subprocess.CompletedProcess(["recorded", str(_recording_path(program))], 0, recorded, "")
        command = _kitty_command(program)
        return torch_run, _finish(command, _start(command, program))
    commands = (_torch_command(program), _kitty_command(program))
    procs = [_start(c, program) for c in commands]
    torch_run, kitty_run = (_finish(c, p) for c, p in zip(commands, procs))
    return torch_run, kitty_run


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


def test_every_recording_is_for_a_program_as_it_now_reads():
    """A program edited since its recording runs live (so its test stays right), but the stale
    recording is reported here: ``make record-programs`` writes it again. (Another torch than the
    recordings' runs every program live, and is no fault of theirs.)"""
    recordings = {p.stem: _read_recording(p) for p in PROGRAMS}
    stale = [p.stem for p in PROGRAMS if recordings[p.stem] and recordings[p.stem][1] != _digest(p)]
    orphans = sorted({r.stem for r in RECORDINGS.glob("*.out")} - {p.stem for p in PROGRAMS})
    assert not stale, f"recorded for another text of the program: {stale}; run `make record-programs`"
    assert not orphans, f"recordings of no program: {orphans}"


# Programs of different kinds: a custom Function, many losses, a recurrent net, a scheduler.
LIVE_CHECKS = ("custom_autograd_function", "loss_function_zoo", "gru_sentiment_pipeline", "scheduler_resume_bytesio")


@pytest.mark.parametrize("name", LIVE_CHECKS)
def test_recordings_hold_on_this_machine(name):
    """A recording from another CPU still is what torch prints here, within the program's tolerance."""
    program = next(p for p in PROGRAMS if p.stem == name)
    recorded = recorded_output(program)
    if recorded is None:
        pytest.skip(f"{name} has no recording for its current text (its test ran torch live)")
    live = run_torch(program)
    assert live.returncode == 0, live.stderr[-3000:]
    problems = differences(recorded, live.stdout, *tolerance(program))
    assert not problems, "\n".join(problems[:10])


def main(argv: list[str]) -> None:
    """``python tests/test_programs.py --record [NAME ...]``: records torch's printout of the named
    programs (all by default), two at a time."""
    if not argv or argv[0] != "--record":
        raise SystemExit("usage: python tests/test_programs.py --record [PROGRAM_NAME ...]")
    wanted = set(argv[1:])
    chosen = [p for p in PROGRAMS if not wanted or p.stem in wanted]
    if wanted - {p.stem for p in chosen}:
        raise SystemExit(f"no such program: {sorted(wanted - {p.stem for p in chosen})}")
    with ThreadPoolExecutor(max_workers=2) as pool:
        for program, _ in zip(chosen, pool.map(record, chosen)):
            print("recorded", program.stem)


if __name__ == "__main__":
    main(sys.argv[1:])
