"""torch.distributed.nn.functional (collectives with gradients) and torch.distributed.algorithms.join,
run for real: tests/distributed/nn_functional_worker.py under ``mpiexec -n 2`` (and 1) on
kittygrad, under both backward semantics, and the same script under ``torchrun`` with gloo on
torch. Each check asserts NumPy references inside the worker, on both libraries; here every
kittygrad check must pass and return the values torch's run returned (forward values, gradients,
warnings, error messages, the weights a DDP model trains to under ``Join``). Skipped, with the
reason, where mpi4py is not installed.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="kittygrad.distributed needs mpi4py: pip install 'kittygrad[distributed]'")

from kittygrad.distributed.run import find_mpiexec  # noqa: E402
from test_distributed import _results as _per_rank_results  # noqa: E402  (tests/ is on sys.path under pytest)

HERE = Path(__file__).resolve().parent
WORKER = HERE / "distributed" / "nn_functional_worker.py"
ROOT = HERE.parent
JOB_TIMEOUT = 120


def _check_names() -> list[str]:
    source = WORKER.read_text()
    return sorted(line[len("def check_"):].split("(")[0] for line in source.splitlines() if line.startswith("def check_"))


CHECKS = _check_names()


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "KITTYGRAD_BACKWARD", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    return env


def _results(out: Path, lib: str, world: int, run: subprocess.CompletedProcess) -> list[dict]:
    return _per_rank_results(out, f"nn.{lib}", world, run)


@pytest.fixture(scope="module", params=[2, 1], ids=["mpiexec-n2", "mpiexec-n1"])
def ours(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"nn{request.param}")
    cmd = [find_mpiexec(), "-n", str(request.param), sys.executable, str(WORKER), "kittygrad", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=JOB_TIMEOUT, env=_env(), cwd=out)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return _results(out, "kittygrad", request.param, run)


@pytest.fixture(scope="module")
def theirs(tmp_path_factory):
    """The same worker on torch: ``torchrun --standalone --nproc-per-node 2`` with gloo."""
    if importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed: nothing to compare with")
    out = tmp_path_factory.mktemp("nn_torch")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", str(WORKER),
           "torch", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=JOB_TIMEOUT, env=_env(), cwd=out)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return _results(out, "torch", 2, run)


def _close(a, b, path: str = "") -> None:
    """Equal JSON values, floats within 1e-9 (the ranks' float64 sums may round differently)."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), f"{path}: {a!r} != {b!r}"
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), f"{path}: {a!r} != {b!r}"
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{path}: {len(a)} entries != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            _close(a[key], b[key], f"{path}.{key}")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.mark.parametrize("semantics", ["seed", "torch"])
@pytest.mark.parametrize("check", CHECKS)
def test_check_passes_against_numpy(ours, check, semantics):
    for rank, results in enumerate(ours):
        status = results[f"{semantics}/{check}"]["status"]
        assert status == "ok", f"rank {rank}:\n{status}"


@pytest.mark.parametrize("semantics", ["seed", "torch"])
@pytest.mark.parametrize("check", CHECKS)
def test_values_match_torchs_gloo_run(ours, theirs, check, semantics):
    if len(ours) != len(theirs):
        pytest.skip("torch's run has 2 ranks")
    for rank, (mine, torchs) in enumerate(zip(ours, theirs)):
        assert torchs[check]["status"] == "ok", f"torch, rank {rank}:\n{torchs[check]['status']}"
        got = mine[f"{semantics}/{check}"]
        assert got["status"] == "ok", f"rank {rank}:\n{got['status']}"
        _close(got["values"], torchs[check]["values"], f"rank {rank} {check}")
