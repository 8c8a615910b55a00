"""Real torch.distributed / DDP programs, unchanged, under torchrun and under kittygrad's launcher.

Each file in ``tests/programs_distributed/`` is an ordinary torch DDP script (``import torch``,
``dist.init_process_group("gloo")``, ``LOCAL_RANK`` from the environment, nothing kittygrad-specific)
whose rank 0 prints what it trained. It runs twice with 2 processes: under torch's own launcher
(``python -m torch.distributed.run --standalone --nproc-per-node 2``, gloo on localhost) and under
``python -m kittygrad.distributed.run --nproc-per-node 2 -m kittygrad.run`` (MPI ranks, each
serving ``import torch`` from kittygrad). What the two printed is compared as tests/test_programs.py
compares single-process programs: the same lines, the same words, numbers within the program's
stated tolerance. Skipped where mpi4py is missing. The runs are one after the other (two ranks
already fill this machine's two cores), about 20 s a program.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="kittygrad.distributed needs mpi4py: pip install 'kittygrad[distributed]'")

from test_programs import assert_same_output  # noqa: E402  (tests/ is on sys.path under pytest)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROGRAMS = sorted((HERE / "programs_distributed").glob("*.py"))
TIMEOUT_S = 120
#: variables a launcher sets for its ranks: a test run inside another job must not pass them on
LAUNCHER_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR",
                      "MASTER_PORT", "TORCHELASTIC_RUN_ID", "KITTYGRAD_BACKWARD", "KITTYGRAD_NPROC_PER_NODE")


def _env() -> dict:
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    for name in LAUNCHER_VARIABLES:
        env.pop(name, None)
    return env


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=_env(), cwd=cwd)


def run_both(program: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """torchrun's run and kittygrad's launcher's, one after the other."""
    # --standalone: torchrun picks a free port, so runs beside other jobs do not collide on 29500
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", str(program)]
    kitty = [sys.executable, "-m", "kittygrad.distributed.run", "--nproc-per-node", "2", "-m", "kittygrad.run",
             str(program)]
    torch_run = _run(torchrun, tmp_path)
    for _ in range(2):
        # torch's gloo sometimes aborts a rank at exit ("terminate called without an active
        # exception", SIGABRT after the program finished): the reference run, not kittygrad's, failed
        if torch_run.returncode == 0:
            break
        torch_run = _run(torchrun, tmp_path)
    return torch_run, _run(kitty, tmp_path)


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_distributed_program_prints_what_torchrun_prints(program, tmp_path):
    torch_run, kitty_run = run_both(program, tmp_path)
    assert_same_output(program, torch_run, kitty_run, runners=("torchrun", "kittygrad's launcher"))
    assert "RuntimeWarning" not in kitty_run.stderr, kitty_run.stderr[-2000:]  # e.g. runpy's, about the launcher
