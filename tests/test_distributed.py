"""kittygrad.distributed and DistributedDataParallel, run for real under ``mpiexec -n 2`` (and 1).

The workers in tests/distributed/ run every check on every rank and write the results to JSON;
each check is a test here. Each job is started once per module (a few seconds each), so the whole
file stays near a minute. Skipped, with the reason, where mpi4py is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="kittygrad.distributed needs mpi4py: pip install 'kittygrad[distributed]'")

import torch  # noqa: E402
import torch.distributed as torch_dist  # noqa: E402

import kittygrad as kitty  # noqa: E402
import kittygrad.distributed as dist  # noqa: E402
from kittygrad.distributed.run import build_command, find_mpiexec  # noqa: E402

HERE = Path(__file__).resolve().parent
WORKERS = HERE / "distributed"
ROOT = HERE.parent
JOB_TIMEOUT = 120


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, WORKERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COLLECTIVE_CHECKS = sorted(_load("collectives_worker").CHECKS)
DDP_CHECKS = sorted(_load("ddp_worker").CHECKS)


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "KITTYGRAD_BACKWARD"):
        env.pop(name, None)
    return env


def _mpiexec(n: int | None, args: list[str], timeout: float = JOB_TIMEOUT) -> subprocess.CompletedProcess:
    """``mpiexec -n n python args...``, or plain ``python args...`` when ``n`` is None."""
    cmd = ([find_mpiexec(), "-n", str(n)] if n is not None else []) + [sys.executable, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(), cwd=ROOT)


def _results(out: Path, prefix: str, world: int, run: subprocess.CompletedProcess) -> list[dict]:
    files = [out / f"{prefix}.{world}.{r}.json" for r in range(world)]
    missing = [f.name for f in files if not f.exists()]
    assert not missing, f"no results from {missing}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return [json.loads(f.read_text()) for f in files]


@pytest.fixture(scope="module", params=[2, 1], ids=["mpiexec-n2", "mpiexec-n1"])
def collective_results(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"collectives{request.param}")
    run = _mpiexec(request.param, [str(WORKERS / "collectives_worker.py"), str(out)])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return _results(out, "collectives", request.param, run)


@pytest.fixture(scope="module", params=[2, None], ids=["mpiexec-n2", "no-launcher"])
def ddp_results(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    run = _mpiexec(request.param, [str(WORKERS / "ddp_worker.py"), str(out)])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return _results(out, "ddp", request.param or 1, run)


@pytest.mark.parametrize("check", COLLECTIVE_CHECKS)
def test_collective_matches_numpy(collective_results, check):
    for rank, results in enumerate(collective_results):
        assert results[check] == "ok", f"rank {rank}:\n{results[check]}"


@pytest.mark.parametrize("semantics", ["seed", "torch"])
@pytest.mark.parametrize("check", DDP_CHECKS)
def test_ddp_equals_single_process(ddp_results, check, semantics):
    key = f"{semantics}/{check}"
    for rank, results in enumerate(ddp_results):
        assert results[key] == "ok", f"rank {rank}:\n{results[key]}"


def test_a_rank_raising_mid_backward_ends_the_job():
    start = time.perf_counter()
    run = _mpiexec(2, [str(WORKERS / "fault_worker.py")], timeout=60)
    elapsed = time.perf_counter() - start
    assert run.returncode != 0
    assert elapsed <= 30, f"the job took {elapsed:.1f}s to end"
    assert "RuntimeError: boom: rank 1 failed mid-backward" in run.stderr  # the failing rank's traceback
    assert "fail_here" in run.stderr and "backward" in run.stderr
    assert "finished" not in run.stdout, "a rank carried on after its peer failed"


def test_launcher_runs_an_unmodified_torch_script_under_the_drop_in_runner(tmp_path):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    expected = []  # what torch's sampler gives each rank of 2, epoch 1, padded (7 samples)
    for rank in (0, 1):
        sampler = TorchSampler(range(7), num_replicas=2, rank=rank, shuffle=True, seed=3)
        sampler.set_epoch(1)
        expected.append(list(sampler))
    script = tmp_path / "torch_ddp.py"
    script.write_text(
        "import os, sys\n"
        "import torch\n"
        "import torch.distributed as dist\n"
        "from torch.nn.parallel import DistributedDataParallel as DDP\n"
        "from torch.utils.data.distributed import DistributedSampler\n"
        "dist.init_process_group('gloo')\n"
        "rank, world = dist.get_rank(), dist.get_world_size()\n"
        "assert (int(os.environ['RANK']), int(os.environ['WORLD_SIZE'])) == (rank, world)\n"
        "assert os.environ['LOCAL_RANK'] == str(rank) and os.environ['MASTER_ADDR']\n"
        "torch.manual_seed(rank)\n"
        "model = DDP(torch.nn.Linear(3, 1))\n"
        "model(torch.ones(2, 3) * (rank + 1)).sum().backward()\n"
        "grads = [None] * world\n"
        "dist.all_gather_object(grads, model.module.weight.grad.tolist())\n"
        "assert grads[0] == grads[1] == [[3.0, 3.0, 3.0]], grads\n"
        "sampler = DistributedSampler(range(7), seed=3)  # world size and rank from the process group\n"
        "sampler.set_epoch(1)\n"
        f"assert list(sampler) == {expected}[rank], list(sampler)\n"
        "line = f'rank {rank} of {world} ok {sys.argv[1:]} {type(torch.ones(1)).__module__}\\n'\n"
        "sys.stdout.write(line)  # one write: the ranks share the pipe\n"
        "dist.destroy_process_group()\n"
    )
    cmd = [
        sys.executable,
        "-m",
        "kittygrad.distributed.run",
        "--nproc-per-node",
        "2",
        "-m",
        "kittygrad.run",
        str(script),
        "--flag",
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=JOB_TIMEOUT, env=_env(), cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for rank in (0, 1):
        assert f"rank {rank} of 2 ok ['--flag'] kittygrad.tensor" in run.stdout


def test_launcher_ends_the_job_when_a_rank_exits_non_zero(tmp_path):
    script = tmp_path / "exits.py"
    script.write_text(
        "import sys, time\n"
        "import kittygrad.distributed as dist\n"
        "dist.init_process_group()\n"
        "if dist.get_rank() == 1:\n"
        "    sys.exit(3)\n"
        "dist.barrier()\n"
        "print('rank 0 passed the barrier')\n"
    )
    cmd = [sys.executable, "-m", "kittygrad.distributed.run", "--nproc-per-node", "2", str(script)]
    start = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=_env(), cwd=tmp_path)
    assert run.returncode != 0 and time.perf_counter() - start <= 30
    assert "passed the barrier" not in run.stdout


def _run_script(tmp_path, source: str, n: int = 2) -> tuple[subprocess.CompletedProcess, float]:
    """``mpiexec -n n python script.py`` (no launcher) on ``source``; the run and its seconds."""
    script = tmp_path / "script.py"
    script.write_text(source)
    start = time.perf_counter()
    run = _mpiexec(n, [str(script)], timeout=60)
    return run, time.perf_counter() - start


FAILING_RANK_SCRIPTS = {
    "non-zero sys.exit": (
        "import sys\n"
        "import kittygrad.distributed as dist\n"
        "dist.init_process_group()\n"
        "if dist.get_rank() == 1:\n"
        "    sys.exit(3)\n"
        "dist.barrier()\n"
        "print('rank 0 passed the barrier')\n",
        "rank 1 exited with status 3",
    ),
    # torch scripts' usual shape: try: train() finally: destroy_process_group()
    "raise after destroying the group": (
        "import kittygrad.distributed as dist\n"
        "dist.init_process_group()\n"
        "try:\n"
        "    if dist.get_rank() == 1:\n"
        "        raise RuntimeError('boom on rank 1')\n"
        "    dist.barrier()\n"
        "    print('rank 0 passed the barrier')\n"
        "finally:\n"
        "    dist.destroy_process_group()\n",
        "RuntimeError: boom on rank 1",
    ),
}


@pytest.mark.parametrize("case", list(FAILING_RANK_SCRIPTS))
def test_plain_mpiexec_ends_the_job_when_a_rank_fails(tmp_path, case):
    source, said = FAILING_RANK_SCRIPTS[case]
    run, elapsed = _run_script(tmp_path, source)
    assert run.returncode != 0 and elapsed <= 30, f"rc {run.returncode} after {elapsed:.1f}s"
    assert "passed the barrier" not in run.stdout
    assert said in run.stderr


def test_a_sys_exit_the_script_catches_does_not_end_the_job(tmp_path):
    run, _ = _run_script(
        tmp_path,
        "import argparse, sys\n"
        "import kittygrad.distributed as dist\n"
        "dist.init_process_group()\n"
        "if dist.get_rank() == 1:\n"
        "    try:\n"
        "        sys.exit(4)\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 4\n"
        "    try:\n"
        "        argparse.ArgumentParser().parse_args(['--no-such-flag'])  # argparse's sys.exit(2)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "dist.barrier()\n"
        "sys.stdout.write(f'rank {dist.get_rank()} passed the barrier\\n')\n"
        "if dist.get_rank() == 0:\n"
        "    sys.exit(0)\n",
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "rank 0 passed the barrier" in run.stdout and "rank 1 passed the barrier" in run.stdout


def test_launcher_command_line():
    cmd = build_command(
        ["--nproc-per-node", "3", "--nnodes", "2", "--hostfile", "hosts", "train.py", "--lr", "1"], mpiexec="mpiexec"
    )
    assert cmd[:7] == ["mpiexec", "-n", "6", "-f", "hosts", "-ppn", "3"]
    assert cmd[-3:] == ["train.py", "--lr", "1"]
    assert cmd[cmd.index("MASTER_PORT") + 1] == "29500"
    with pytest.raises(RuntimeError, match="--hostfile"):
        build_command(["--nnodes", "2", "train.py"], mpiexec="mpiexec")


def test_example_trains_the_same_model_on_two_processes_as_on_one():
    one = _mpiexec(None, ["-m", "kittygrad.examples.ddp_digits", "--smoke"])
    two = subprocess.run(
        [
            sys.executable,
            "-m",
            "kittygrad.distributed.run",
            "--nproc-per-node",
            "2",
            "-m",
            "kittygrad.examples.ddp_digits",
            "--smoke",
        ],
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT,
        env=_env(),
        cwd=ROOT,
    )
    assert one.returncode == 0 and two.returncode == 0, one.stderr[-2000:] + two.stderr[-2000:]
    final = [line.split() for run in (one, two) for line in run.stdout.splitlines() if "final" in line]
    assert [f[1] for f in final] == ["1", "2"]
    assert final[0][5] == final[1][5], "test accuracy differs between 1 and 2 processes"
    assert abs(float(final[0][8]) - float(final[1][8])) <= 1e-4 * float(final[0][8])


# ---- in this process: no MPI is started by these ----------------------------------------------
def test_importing_kittygrad_starts_no_mpi():
    code = "import sys, kittygrad, kittygrad.distributed; print('mpi4py' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=_env())
    assert run.stdout.strip() == "False", run.stderr


def test_availability():
    assert dist.is_available() and dist.is_mpi_available() and not dist.is_nccl_available()
    assert dist.is_initialized() is False
    assert dist.Backend("GLOO") == "gloo" == dist.Backend.GLOO


def _torch_error(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - whatever torch raises is the reference
        return exc
    raise AssertionError("torch raised nothing")


def test_errors_before_init_are_torchs(monkeypatch):
    for name in ("get_rank", "get_world_size", "barrier"):
        theirs = _torch_error(getattr(torch_dist, name))
        with pytest.raises(type(theirs)) as ours:
            getattr(dist, name)()
        assert str(ours.value) == str(theirs)
    theirs = _torch_error(lambda: torch_dist.all_reduce(torch.ones(2)))
    with pytest.raises(type(theirs), match="has not been initialized"):
        dist.all_reduce(kitty.ones(2))


def test_backend_errors_are_torchs(monkeypatch):
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29591")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    for backend in ("nccl", "foo"):
        theirs = _torch_error(lambda b=backend: torch_dist.init_process_group(b))
        with pytest.raises(type(theirs)) as ours:
            dist.init_process_group(backend)
        assert str(ours.value) == str(theirs)
        assert not dist.is_initialized()
    with pytest.raises(ValueError, match="No rendezvous handler for foo://"):
        dist.init_process_group("mpi", init_method="foo://10.0.0.1:23456")
    with pytest.raises(ValueError, match="tcp:// rendezvous: rank parameter missing"):
        dist.init_process_group("mpi", init_method="tcp://10.0.0.1:23456", world_size=1)
    with pytest.raises(ValueError, match="file:// rendezvous: world size parameter missing"):
        dist.init_process_group("mpi", init_method="file:///tmp/kittygrad-rendezvous")
    assert not dist.is_initialized()


@pytest.mark.parametrize("init_method", ["tcp://127.0.0.1:23456", "file:///tmp/kittygrad-rendezvous-test"])
def test_torchs_rendezvous_urls_are_served_by_mpi(init_method):
    dist.init_process_group("gloo", init_method=init_method, rank=0, world_size=1)
    try:
        assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
        t = kitty.ones(3)
        dist.all_reduce(t)
        assert t.tolist() == [1.0, 1.0, 1.0]
    finally:
        dist.destroy_process_group()


def test_ddp_needs_a_process_group():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        kitty.nn.parallel.DistributedDataParallel(kitty.nn.Linear(2, 2))


@pytest.mark.parametrize("runner", [["-m", "kittygrad.run"], []], ids=["drop_in_runner", "import_kittygrad_as_torch"])
def test_the_ddp_tutorials_mp_spawn_runs_its_processes_under_mpi(tmp_path, runner):
    script = WORKERS / "ddp_spawn_tutorial.py"
    if not runner:  # the same program written against kittygrad directly
        source = script.read_text().replace("import torch\n", "import kittygrad as torch\n")
        source = source.replace("import torch.", "import kittygrad.").replace("from torch.", "from kittygrad.")
        script = tmp_path / "ddp_spawn_kittygrad.py"
        script.write_text(source)
    run = subprocess.run([sys.executable, *runner, str(script)], capture_output=True, text=True,
                         timeout=JOB_TIMEOUT, env=_env(), cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout  # (the ranks share the pipe: two prints may meet on one line)
    for rank in (0, 1):
        assert out.count(f"Running basic DDP example on rank {rank}.") == 1, out
        assert out.count(f"Finished running basic DDP example on rank {rank}.") == 1, out
    assert "weights equal across ranks: True" in out
    assert out.count("checkpoint demo done") == 1 and out.rstrip().endswith("all demos done"), out  # the caller went on


def test_a_spawned_process_that_raises_ends_the_job_and_raises_in_the_caller(tmp_path):
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "kittygrad.run", str(WORKERS / "ddp_spawn_tutorial.py"), "fail"],
                         capture_output=True, text=True, timeout=JOB_TIMEOUT, env=_env(), cwd=tmp_path)
    assert time.perf_counter() - start <= 30
    assert run.returncode != 0
    assert "spawn raised ProcessRaisedException for process 1" in run.stdout
    assert "ValueError: rank 1 fails on purpose" in run.stderr  # the rank's traceback, in the caller's error
    assert "Process 1 terminated with the following error" in run.stderr
    assert "checkpoint demo done" not in run.stdout


def test_a_torchrun_script_prints_under_the_launcher_what_it_prints_under_torchrun(tmp_path):
    script = WORKERS / "torchrun_trainer.py"
    torchrun = Path(sys.executable).parent / "torchrun"
    if not torchrun.exists():
        pytest.skip("torchrun is not installed beside this Python")

    def run(cmd, snapshot, reference=False):
        done = subprocess.run([*cmd, str(script), "--snapshot", str(snapshot)], capture_output=True, text=True,
                              timeout=JOB_TIMEOUT, env=_env(), cwd=tmp_path)
        lines = [line for line in done.stdout.splitlines() if line.startswith(("epoch", "world"))]
        # torch's gloo now and then aborts a rank while the group is torn down, after the script's
        # last line: the reference's output is whole then, and torch's teardown is not under test
        torn_down = (reference and lines and lines[-1].startswith("world")
                     and "terminate called without an active exception" in done.stderr)
        assert done.returncode == 0 or torn_down, done.stdout[-3000:] + done.stderr[-3000:]
        return lines

    launcher = [sys.executable, "-m", "kittygrad.distributed.run", "--nproc-per-node", "2", "-m", "kittygrad.run"]
    theirs = [run([str(torchrun), "--nproc-per-node", "2"], tmp_path / "torch.pt", reference=True) for _ in range(2)]
    ours = [run(launcher, tmp_path / "kitty.pt") for _ in range(2)]  # the second run resumes from the snapshot
    assert ours == theirs
    assert theirs[1][0].startswith("epoch 2") and theirs[0][-1] == "world 2 backend gloo"


def test_the_launcher_starts_without_runpys_warning(tmp_path):
    """``import kittygrad`` imports the launcher's module (mp.spawn uses it): as a plain module,
    ``python -m kittygrad.distributed.run`` printed runpy's RuntimeWarning in the launcher and
    in every rank."""
    script = tmp_path / "hello.py"
    script.write_text("import os\nprint('rank', os.environ['RANK'], 'of', os.environ['WORLD_SIZE'])\n")
    cmd = [sys.executable, "-m", "kittygrad.distributed.run", "--nproc-per-node", "1", str(script)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=_env(), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "rank 0 of 1"
    assert "RuntimeWarning" not in run.stderr, run.stderr


def test_torch_2_13s_names(monkeypatch):
    """all_gather_single / reduce_scatter_single (torch 2.13 deprecates the *_tensor names),
    get_node_local_rank, is_backend_available and the DistError family, as torch's."""
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    theirs = _torch_error(torch_dist.get_node_local_rank)
    with pytest.raises(type(theirs)) as ours:
        dist.get_node_local_rank()
    assert str(ours.value) == str(theirs)
    assert dist.get_node_local_rank(fallback_rank=3) == torch_dist.get_node_local_rank(fallback_rank=3) == 3
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert dist.get_node_local_rank(fallback_rank=3) == torch_dist.get_node_local_rank(fallback_rank=3) == 1
    for name in ("gloo", "nccl", "ucc", "foo"):
        assert dist.is_backend_available(name) == torch_dist.is_backend_available(name), name
    for name in ("DistBackendError", "DistNetworkError", "DistStoreError"):
        assert issubclass(getattr(dist, name), dist.DistError) and issubclass(dist.DistError, RuntimeError)
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:23456", rank=0, world_size=1)
    try:
        out = kitty.zeros(3)
        dist.all_gather_single(out, kitty.tensor([1.0, 2.0, 3.0]))
        part = kitty.zeros(2)
        dist.reduce_scatter_single(part, kitty.tensor([4.0, 5.0]))
        assert out.tolist() == [1.0, 2.0, 3.0] and part.tolist() == [4.0, 5.0]
    finally:
        dist.destroy_process_group()


def test_ddp_refuses_device_ids_for_a_cpu_module_as_torch_does(tmp_path):
    """torch raises for device_ids / output_device on a CPU module (kittygrad's are all on the CPU);
    kittygrad accepted and ignored them."""
    torch_dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        options = [{"device_ids": [0]}, {"output_device": 1}, {"device_ids": [0], "output_device": 0}]
        theirs = [_torch_error(lambda kw=kw: torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2), **kw))
                  for kw in options]
        for kw in ({"device_ids": []}, {"output_device": 0}, {"device_ids": None}):  # torch accepts these
            torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2), **kw)
    finally:
        torch_dist.destroy_process_group()
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:23456", rank=0, world_size=1)
    try:
        for kw, their in zip(options, theirs):
            with pytest.raises(type(their)) as ours:
                kitty.nn.parallel.DistributedDataParallel(kitty.nn.Linear(2, 2), **kw)
            assert str(ours.value) == str(their)
        for kw in ({"device_ids": []}, {"output_device": 0}, {"device_ids": None}):
            kitty.nn.parallel.DistributedDataParallel(kitty.nn.Linear(2, 2), **kw)
    finally:
        dist.destroy_process_group()
