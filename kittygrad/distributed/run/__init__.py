"""Launch a data-parallel script: ``python -m kittygrad.distributed.run --nproc-per-node N script.py [args]``.

A ``torchrun`` look-alike on MPI: it starts ``mpiexec`` (the one the ``mpich`` wheel installed
beside this Python, else the first on ``PATH``) with N copies of the script, and gives each the
environment torchrun would: ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``,
``GROUP_RANK``, ``MASTER_ADDR``, ``MASTER_PORT`` and ``TORCHELASTIC_RUN_ID``. ``-m module`` runs
a module instead of a file (``-m kittygrad.run script.py`` runs an unmodified torch script), and
``--hostfile FILE`` spreads the processes over the machines MPICH's host file lists. If a rank
exits with an error (an exception or a non-zero ``sys.exit``), its traceback is printed and the
whole job ends with a non-zero status.

It is a package whose ``__main__`` calls :func:`main`: ``import kittygrad`` already imports this
module (``mp.spawn`` builds its ``mpiexec`` command here), and ``python -m`` on a module that is
already imported warns that it runs a second copy of it.

>>> build_command(["--nproc-per-node", "2", "train.py", "--lr", "0.1"], mpiexec="mpiexec")[:3]
['mpiexec', '-n', '2']
"""

from __future__ import annotations

import argparse
import os
import runpy
import shutil
import subprocess
import sys
import traceback
import uuid
from pathlib import Path

from ...errors import KittyRuntimeError

__all__ = ["abort_job", "build_command", "find_mpiexec", "main"]

_CHILD_FLAG = "--as-rank"  # how the launcher starts each rank (not for users)


def find_mpiexec() -> str:
    """The ``mpiexec`` to use: the mpich wheel's (beside this Python) first, then ``PATH``'s.

    >>> find_mpiexec()  # doctest: +SKIP
    '/path/to/venv/bin/mpiexec'
    """
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.exists():
        return str(beside)
    found = shutil.which("mpiexec")
    if found is None:
        raise KittyRuntimeError(
            "kittygrad.distributed.run needs mpiexec: pip install 'kittygrad[distributed]' "
            "(mpi4py and mpich), or install an MPI library that provides mpiexec"
        )
    return found


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m kittygrad.distributed.run",
        description="Run N processes of a script over MPI, with torchrun's environment.",
    )
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1, help="processes per machine")
    p.add_argument("--nnodes", type=int, default=1, help="machines (listed in --hostfile)")
    p.add_argument("--hostfile", default=None, help="MPICH host file: one 'host[:slots]' per line")
    p.add_argument("--master-addr", "--master_addr", default="127.0.0.1", help="exported as MASTER_ADDR")
    p.add_argument("--master-port", "--master_port", type=int, default=29500, help="exported as MASTER_PORT")
    p.add_argument("--standalone", action="store_true", help="accepted as torchrun's (one machine)")
    p.add_argument("-m", "--module", action="store_true", help="run the script argument as a Python module")
    p.add_argument("--no-python", "--no_python", action="store_true", help="run the script argument as a program")
    p.add_argument("script", help="the script (or module with -m) every rank runs")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    return p


def build_command(argv: list[str], mpiexec: str | None = None) -> list[str]:
    """The ``mpiexec`` command line that ``main(argv)`` runs.

    >>> build_command(["--nproc-per-node", "2", "-m", "kittygrad.run", "t.py"], mpiexec="mpiexec")[-3:]
    ['-m', 'kittygrad.run', 't.py']
    """
    opts = _parser().parse_args(argv)
    if opts.nproc_per_node < 1 or opts.nnodes < 1:
        raise KittyRuntimeError(
            f"--nproc-per-node and --nnodes must be at least 1, got {opts.nproc_per_node} and {opts.nnodes}"
        )
    if opts.nnodes > 1 and opts.hostfile is None:
        raise KittyRuntimeError("--nnodes > 1 needs --hostfile listing the machines (MPICH starts the processes)")
    cmd = [mpiexec or find_mpiexec(), "-n", str(opts.nproc_per_node * opts.nnodes)]
    if opts.hostfile is not None:
        cmd += ["-f", opts.hostfile, "-ppn", str(opts.nproc_per_node)]
    env = {
        "MASTER_ADDR": opts.master_addr,
        "MASTER_PORT": str(opts.master_port),
        "TORCHELASTIC_RUN_ID": os.environ.get("TORCHELASTIC_RUN_ID", uuid.uuid4().hex[:12]),
        "KITTYGRAD_NPROC_PER_NODE": str(opts.nproc_per_node),
    }
    for name, value in env.items():
        cmd += ["-genv", name, value]
    if opts.no_python:
        return cmd + [opts.script, *opts.args]
    child = [sys.executable, "-m", "kittygrad.distributed.run", _CHILD_FLAG]
    return cmd + child + (["-m"] if opts.module else []) + [opts.script, *opts.args]


def _rank_environment() -> None:
    """torchrun's variables for this rank, from what MPICH's launcher told it."""
    rank = int(os.environ.get("PMI_RANK", "0"))
    size = int(os.environ.get("PMI_SIZE", "1"))
    per_node = int(os.environ.get("KITTYGRAD_NPROC_PER_NODE", str(size)))
    local_rank = int(os.environ.get("MPI_LOCALRANKID", str(rank % per_node)))
    os.environ.update(
        RANK=str(rank),
        WORLD_SIZE=str(size),
        LOCAL_RANK=str(local_rank),
        LOCAL_WORLD_SIZE=os.environ.get("MPI_LOCALNRANKS", str(per_node)),
        GROUP_RANK=str(rank // per_node),
        ROLE_RANK=str(rank),
        ROLE_WORLD_SIZE=str(size),
    )


def _run_rank(argv: list[str]) -> None:
    """One rank: run the script; any failure ends the whole job (MPI_Abort) after its traceback."""
    _rank_environment()
    module = argv[:1] == ["-m"]
    target, args = (argv[1], argv[2:]) if module else (argv[0], argv[1:])
    code = 0
    try:
        if module:
            sys.argv = [target, *args]
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.argv = [target, *args]
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException:
        print(f"kittygrad.distributed.run: rank {os.environ['RANK']} failed; ending the job:", file=sys.stderr)
        traceback.print_exc()
        code = 1
    if code != 0:
        sys.stdout.flush()
        sys.stderr.flush()
        abort_job(code)
    raise SystemExit(0)


def abort_job(code: int) -> None:
    """End every rank of the job: MPI_Abort if MPI is running here, else just exit (mpiexec then
    sees a rank that failed before joining MPI and stops the others)."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and mpi.Is_initialized() and not mpi.Is_finalized():
        mpi.COMM_WORLD.Abort(code)
    os._exit(code)


def main(argv: list[str] | None = None) -> None:
    """``python -m kittygrad.distributed.run [--nproc-per-node N] [--hostfile F] [-m] script [args]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [_CHILD_FLAG]:
        _run_rank(argv[1:])
        return
    cmd = build_command(argv)
    try:
        code = subprocess.call(cmd)
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)

