"""``spawn`` / ``start_processes``: run ``fn(i, *args)`` for ``i`` in ``range(nprocs)``, one process each.

Two ways to start the processes, chosen per call:

* **Under MPI** (mpi4py and an ``mpiexec`` installed, the calling script a file): the script runs
  again as the ranks of ``mpiexec -n nprocs`` (through ``kittygrad.distributed.run``, and the
  drop-in runner when the script was started with ``python -m kittygrad.run``). Each rank runs the
  script from the top; at this call it runs ``fn(rank, *args)`` and ends, while the calling
  process waits for the job and then goes on. So ``init_process_group`` inside ``fn`` finds an
  MPI world of ``nprocs`` ranks: the DistributedDataParallel tutorial's ``mp.spawn`` runs
  unchanged. Calls are counted, so a script that spawns twice runs each ``fn`` in its own job.
  One difference from torch: torch's children import the script under another name and skip its
  ``if __name__ == "__main__":`` block; here a rank runs that block up to this call.
* **Otherwise** (also when the running program is not the user's script, as under pytest or in a
  notebook): Python's ``multiprocessing`` with ``start_method``, as torch does (no MPI world:
  ``init_process_group`` with ``world_size > 1`` is refused there).

``KITTYGRAD_SPAWN=mpi`` or ``=multiprocessing`` in the environment forces one way.

Either way ``join=True`` waits, and a process that fails raises in the caller
(:class:`ProcessRaisedException` with its traceback, or :class:`ProcessExitedException`).

>>> import kittygrad.multiprocessing as mp
>>> mp.spawn(print, args=("spawned",), nprocs=1)  # doctest: +SKIP
0 spawned
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import multiprocessing.connection
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from typing import Any, Callable

from ..distributed.run import abort_job, build_command, find_mpiexec

__all__ = ["ProcessContext", "ProcessExitedException", "ProcessRaisedException", "ProcessException",
           "SpawnContext", "spawn", "start_processes"]

#: set for the ranks of a job that ``spawn`` started: which call of the script they serve, its size,
#: and the folder where a failing rank leaves its traceback for the caller
_CALL_ENV, _NPROCS_ENV, _ERRORS_ENV = "KITTYGRAD_SPAWN_CALL", "KITTYGRAD_SPAWN_NPROCS", "KITTYGRAD_SPAWN_ERRORS"
#: ``mpi`` or ``multiprocessing`` forces one way of starting the processes (default: MPI when it can)
_ROUTE_ENV = "KITTYGRAD_SPAWN"
#: how many times this process has called ``spawn`` / ``start_processes``
_calls = 0


class ProcessException(Exception):
    """A spawned process failed: ``error_index`` (its ``i``) and ``pid`` say which."""

    def __init__(self, msg: str, error_index: int, pid: int) -> None:
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised; the message holds its traceback."""

    def __init__(self, msg: str, error_index: int, error_pid: int) -> None:
        super().__init__(msg, error_index, error_pid)


class ProcessExitedException(ProcessException):
    """A spawned process exited with a non-zero status (or by a signal)."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int, signal_name: str | None = None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _exited(index: int, pid: int, code: int) -> ProcessExitedException:
    if code < 0:
        name = signal.Signals(-code).name
        return ProcessExitedException(f"process {index} terminated with signal {name}", index, pid, code, name)
    return ProcessExitedException(f"process {index} terminated with exit code {code}", index, pid, code)


def _run_one(fn: Callable, i: int, args: tuple, errors) -> None:
    """A multiprocessing child: ``fn(i, *args)``; a failure's traceback goes back to the parent."""
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:  # noqa: BLE001 - every failure is reported to the parent, then the child exits 1
        errors.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes of one ``spawn(..., join=False)`` (multiprocessing): ``join()`` until done."""

    def __init__(self, processes: list, error_queues: list) -> None:
        self.processes, self.error_queues = processes, error_queues

    def pids(self) -> list[int]:
        return [int(p.pid) for p in self.processes]

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        """Wait (up to ``timeout`` seconds) for the processes: True once all ended well; the first
        failure stops the others and raises here."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            failed = next((i for i, p in enumerate(self.processes) if p.exitcode not in (None, 0)), None)
            if failed is not None:
                self._stop_all(grace_period)
                process = self.processes[failed]
                queue = self.error_queues[failed]
                if not queue.empty():
                    raise ProcessRaisedException(
                        f"\n\n-- Process {failed} terminated with the following error:\n{queue.get()}", failed, process.pid
                    )
                raise _exited(failed, process.pid, process.exitcode)
            if all(p.exitcode == 0 for p in self.processes):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            multiprocessing.connection.wait([p.sentinel for p in self.processes if p.exitcode is None], timeout=0.1)

    def _stop_all(self, grace_period: float | None) -> None:
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        for p in self.processes:
            p.join(grace_period)


SpawnContext = ProcessContext  # torch's older name


class _MPIJob:
    """The ``mpiexec`` job of one ``spawn(..., join=False)`` under MPI; ``join()`` as ProcessContext's."""

    def __init__(self, popen: subprocess.Popen | None, errors: tempfile.TemporaryDirectory | None = None) -> None:
        self.popen, self.errors = popen, errors
        self.processes: list = []

    def pids(self) -> list[int]:
        return [self.popen.pid] if self.popen is not None else []

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        if self.popen is None:  # a rank skipping a call it does not serve
            return True
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        reports = sorted(os.listdir(self.errors.name)) if self.errors is not None else []
        if code != 0 and reports:  # the first rank that raised, with its traceback
            with open(os.path.join(self.errors.name, reports[0])) as f:
                rank, text = int(reports[0].split(".")[0]), f.read()
            self.errors.cleanup()
            raise ProcessRaisedException(f"\n\n-- Process {rank} terminated with the following error:\n{text}",
                                         rank, self.popen.pid)
        if self.errors is not None:
            self.errors.cleanup()
        if code != 0:  # a rank that exited without raising (sys.exit, a signal): mpiexec ended the others
            raise _exited(0, self.popen.pid, code)
        return True


def _script_command() -> list[str] | None:
    """How to run this script again as the job's ranks (after the launcher's own arguments), or
    None when it cannot be: no script file (``python -c``, a notebook), or the running program is
    a tool, not the user's script (pytest, a kernel: their ``__main__`` lives in site-packages)."""
    script = sys.argv[0] if sys.argv else ""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if not script or not os.path.isfile(script) or main_file is None:
        return None
    script = os.path.abspath(script)
    if script != os.path.abspath(main_file) or any(part in script for part in ("site-packages", "dist-packages")):
        return None
    torch_module = sys.modules.get("torch")
    drop_in = str(getattr(torch_module, "__version__", "")).endswith("+kittygrad")
    return (["-m", "kittygrad.run"] if drop_in else []) + [script, *sys.argv[1:]]


def _mpi_available() -> bool:
    if importlib.util.find_spec("mpi4py") is None:
        return False
    try:
        find_mpiexec()
    except RuntimeError:
        return False
    return True


def start_processes(
    fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
    start_method: str = "spawn",
) -> Any:
    """``fn(i, *args)`` in ``nprocs`` new processes, ``i`` from 0 (see the module's docstring for how).

    Returns None with ``join=True`` (after every process ended well), else a context whose
    ``join()`` waits.

    >>> import kittygrad.multiprocessing as mp
    >>> mp.start_processes(print, args=("started",), nprocs=1)  # doctest: +SKIP
    0 started
    """
    global _calls
    _calls += 1
    if not isinstance(nprocs, int) or nprocs < 1:
        raise ValueError(f"nprocs must be a positive int, got {nprocs!r}")
    served = os.environ.get(_CALL_ENV)
    if served is not None:  # a rank of a job that spawn started
        return _as_rank(fn, args, nprocs, join, int(served))
    route = os.environ.get(_ROUTE_ENV, "")
    if route not in ("", "mpi", "multiprocessing"):
        raise ValueError(f"{_ROUTE_ENV} must be 'mpi' or 'multiprocessing', got {route!r}")
    command = _script_command() if route != "multiprocessing" else None
    if route == "mpi" and (command is None or not _mpi_available()):
        raise RuntimeError(f"{_ROUTE_ENV}=mpi, but this program cannot be run again under mpiexec "
                           "(no script file, or mpi4py / mpiexec missing)")
    if command is not None and _mpi_available():
        errors = tempfile.TemporaryDirectory(prefix="kittygrad-spawn-")
        job = _MPIJob(subprocess.Popen(_job_command(nprocs, command, errors.name)), errors)
    else:
        job = _multiprocessing_job(fn, args, nprocs, daemon, start_method)
    if not join:
        return job
    while not job.join():
        pass
    return None


def _job_command(nprocs: int, command: list[str], errors: str) -> list[str]:
    cmd = build_command(["--nproc-per-node", str(nprocs), *command])
    env = ["-genv", _CALL_ENV, str(_calls), "-genv", _NPROCS_ENV, str(nprocs), "-genv", _ERRORS_ENV, errors]
    return cmd[:3] + env + cmd[3:]


def _as_rank(fn: Callable, args: tuple, nprocs: int, join: bool, served: int):
    """In a rank: skip the calls before the one this job serves; at it, run ``fn(rank)`` and end."""
    if _calls < served:
        return None if join else _MPIJob(None)
    size = int(os.environ.get(_NPROCS_ENV, "0"))
    if nprocs != size:
        raise RuntimeError(
            f"spawn: this rank's job runs {size} processes, but the script's call {served} now asks for {nprocs} "
            "(the script must make the same spawn calls each time it runs)"
        )
    rank = int(os.environ.get("PMI_RANK", "0"))
    try:
        fn(rank, *args)
    except Exception:  # noqa: BLE001 - reported to the caller; the script around spawn must not see it
        text = traceback.format_exc()
        print(f"kittygrad.multiprocessing.spawn: process {rank} failed; ending the job:\n{text}", file=sys.stderr)
        folder = os.environ.get(_ERRORS_ENV)
        if folder and os.path.isdir(folder):
            with open(os.path.join(folder, f"{rank}.txt"), "w") as f:
                f.write(text)
        sys.stdout.flush()
        sys.stderr.flush()
        abort_job(1)
    raise SystemExit(0)  # the rank's work is done; the caller's process goes on past spawn


def _multiprocessing_job(fn: Callable, args: tuple, nprocs: int, daemon: bool, start_method: str) -> ProcessContext:
    context = multiprocessing.get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        errors = context.SimpleQueue()
        process = context.Process(target=_run_one, args=(fn, i, args, errors), daemon=daemon)
        process.start()
        processes.append(process)
        queues.append(errors)
    return ProcessContext(processes, queues)


def spawn(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn") -> Any:
    """``start_processes`` with the ``'spawn'`` start method (torch's ``mp.spawn``).

    >>> import kittygrad.multiprocessing as mp
    >>> mp.spawn(print, args=("spawned",), nprocs=1)  # doctest: +SKIP
    0 spawned
    """
    if start_method != "spawn":
        warnings.warn(
            f"This method only supports start_method=spawn (got: {start_method}).\n"
            "To use a different start_method use:\n\t\t torch.multiprocessing.start_processes(...)",
            FutureWarning, stacklevel=2,
        )
    return start_processes(fn, args, nprocs, join, daemon, start_method)
