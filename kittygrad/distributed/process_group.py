"""Process groups over MPI: ``init_process_group``, ranks, sizes, sub-groups and fault handling.

Every process group wraps an MPI communicator. The default group is a duplicate of
``MPI.COMM_WORLD`` (so a script's own mpi4py traffic cannot mix with ours); ``new_group`` makes
a sub-communicator. MPI itself is started only by :func:`init_process_group`: importing
``kittygrad`` or ``kittygrad.distributed`` loads no MPI library.
"""

from __future__ import annotations

import atexit
import datetime
import importlib.util
import os
import sys
import threading
import time
import traceback
import warnings
from typing import Any

from ..errors import KittyRuntimeError, KittyTypeError, KittyValueError

__all__ = [
    "Backend",
    "GroupMember",
    "ProcessGroup",
    "group",
    "init_process_group",
    "destroy_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "is_gloo_available",
    "is_nccl_available",
    "is_torchelastic_launched",
    "get_rank",
    "get_world_size",
    "get_backend",
    "new_group",
    "get_process_group_ranks",
    "get_global_rank",
    "get_group_rank",
    "get_node_local_rank",
    "is_backend_available",
    "DistError",
    "DistBackendError",
    "DistNetworkError",
    "DistStoreError",
]

_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


class DistError(KittyRuntimeError):
    """torch.distributed's error family (scripts write ``except dist.DistError``); a RuntimeError."""


class DistBackendError(DistError):
    """A failure in the communication backend."""


class DistNetworkError(DistError):
    """A failure to reach another process."""


class DistStoreError(DistError):
    """A failure of the rendezvous key-value store."""


class Backend(str):
    """A backend's name, as ``torch.distributed.Backend``: ``Backend("GLOO") == "gloo"``.

    Every backend kittygrad accepts is served by MPI; ``"gloo"`` is the name most CPU scripts
    ask for, so it is accepted too.

    >>> Backend("MPI"), Backend.GLOO
    ('mpi', 'gloo')
    """

    UNDEFINED = "undefined"
    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"

    def __new__(cls, name: str) -> Backend:
        if not isinstance(name, str):
            raise KittyValueError(f"Backend name must be a string, but got: {name!r}")
        return super().__new__(cls, name.lower())


class ProcessGroup:
    """A set of ranks and the MPI communicator they talk over (what ``new_group`` returns).

    ``ranks`` are global ranks (positions in the default group), in group-rank order.
    """

    def __init__(self, comm: Any, ranks: list[int], backend: str) -> None:
        self.comm = comm
        self.ranks = list(ranks)
        self.backend = backend

    def rank(self) -> int:
        """This process's rank inside the group."""
        return self.comm.Get_rank()

    def size(self) -> int:
        """How many processes the group holds."""
        return len(self.ranks)

    def name(self) -> str:
        return self.backend

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend!r}, ranks={self.ranks})"


class GroupMember:
    """``GroupMember.WORLD`` (the default group, once initialised) and ``NON_GROUP_MEMBER``."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = object()


class group:  # noqa: N801 - torch's name: ``dist.group.WORLD``
    """``group.WORLD``: the default process group (``None`` before ``init_process_group``)."""

    WORLD: ProcessGroup | None = None


class _State:
    mpi: Any = None  # the mpi4py.MPI module, once MPI is started
    default: ProcessGroup | None = None
    groups: list = []
    previous_excepthook: Any = None
    exit_hooks: bool = False  # sys.exit's wrapper and the atexit check are installed
    exit_request: tuple[int, int] | None = None  # (id of the pending _RecordedExit, exit status)


def _load_mpi():
    """The ``mpi4py.MPI`` module, importing it (which starts MPI) on first use.

    This is the one late import of a third-party package here, on purpose: importing mpi4py
    initialises MPI (and, without mpiexec, a singleton MPI job), which ``import kittygrad`` must
    never do. It happens when a script asks for a process group, not before.
    """
    if _State.mpi is None:
        try:
            from mpi4py import MPI
        except ImportError as exc:
            raise KittyRuntimeError(
                "kittygrad.distributed needs mpi4py and an MPI library: pip install 'kittygrad[distributed]' "
                f"(mpi4py and mpich); importing mpi4py failed with: {exc}"
            ) from exc
        _State.mpi = MPI
    return _State.mpi


def is_available() -> bool:
    """Whether the distributed package can run here (mpi4py is installed); starts nothing.

    >>> isinstance(is_available(), bool)
    True
    """
    if _State.mpi is not None:
        return True
    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):
        return False


def is_mpi_available() -> bool:
    """``True`` where mpi4py is installed: MPI is the transport under every backend name here."""
    return is_available()


def is_gloo_available() -> bool:
    """``"gloo"`` is accepted (and served by MPI) wherever MPI is available."""
    return is_available()


def is_nccl_available() -> bool:
    """Always ``False``: kittygrad runs on CPUs."""
    return False


def is_backend_available(backend: str) -> bool:
    """Whether ``init_process_group(backend)`` can run here: ``"gloo"`` and ``"mpi"`` where mpi4py is
    installed (MPI serves both); no other backend.

    >>> is_backend_available("nccl")
    False
    """
    return str(backend).lower() in ("gloo", "mpi") and is_available()


def get_node_local_rank(fallback_rank: int | None = None) -> int:
    """This process's rank on its machine: ``LOCAL_RANK`` from the launcher, else ``fallback_rank``.

    >>> get_node_local_rank(fallback_rank=0) if "LOCAL_RANK" not in os.environ else 0
    0
    """
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise KittyRuntimeError(
        "LOCAL_RANK is not in the environment. Consider passing fallback_rank to allow `get_node_local_rank` to "
        "work, assuming you are not running in a multi-device context and want the code to run locally instead."
    )


def is_torchelastic_launched() -> bool:
    """Whether this process was started by ``python -m kittygrad.distributed.run`` (or torchrun)."""
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def is_initialized() -> bool:
    """Whether the default process group exists.

    >>> is_initialized()
    False
    """
    return _State.default is not None


def _default() -> ProcessGroup:
    if _State.default is None:
        raise KittyValueError(_NOT_INITIALIZED)
    return _State.default


def _resolve(grp: ProcessGroup | None) -> ProcessGroup:
    """The group a call works on: ``None`` (or ``group.WORLD``) is the default one."""
    if grp is None:
        return _default()
    if grp is GroupMember.NON_GROUP_MEMBER:
        raise KittyValueError("this rank is not a member of the group it passed (new_group returned NON_GROUP_MEMBER)")
    if not isinstance(grp, ProcessGroup):
        raise KittyTypeError(f"group must be a ProcessGroup from new_group or None, got {type(grp).__name__}")
    _default()  # a group outlives destroy_process_group only as a dead handle
    return grp


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise KittyValueError(f"environment variable {name} must be an integer, got {value!r}") from exc


#: seconds a failing rank waits between writing its traceback and aborting the job
_RELAY_GRACE_S = 0.2


def _abort_on_uncaught(exc_type, exc, tb) -> None:
    """An exception nobody caught on one rank: show it, then end every rank of the job.

    Without this, the other ranks would wait forever in their next collective for a process
    that has exited. ``MPI_Abort`` makes mpiexec kill the whole job with a non-zero status.
    """
    hook = _State.previous_excepthook or sys.__excepthook__
    rank = _State.mpi.COMM_WORLD.Get_rank()
    heading = f"kittygrad.distributed: rank {rank} raised an uncaught exception; aborting the job:\n"
    sys.stdout.flush()
    if hook is sys.__excepthook__:
        # one write: mpiexec relays a rank's output as it reads it, and the abort below may
        # end the relay between the pieces of a traceback printed line by line
        sys.stderr.write(heading + "".join(traceback.format_exception(exc_type, exc, tb)))
    else:
        sys.stderr.write(heading)
        hook(exc_type, exc, tb)
    sys.stderr.flush()
    time.sleep(_RELAY_GRACE_S)  # (the relay reads what was written before the job is killed)
    _State.mpi.COMM_WORLD.Abort(1)


def _exit_status(code: Any) -> int:
    """The process status ``sys.exit(code)`` ends with: 0 for None, the int, else 1."""
    if code is None:
        return 0
    return int(code) if isinstance(code, int) else 1


class _RecordedExit(SystemExit):
    """What ``sys.exit`` raises in a job of several ranks: a ``SystemExit`` whose status is kept
    until the exception is caught and dropped (then the script carries on and the status is void).

    Dropped while Python code runs (an ``except SystemExit`` in the script), it clears its
    record; at the top level it is dropped by the interpreter, after the script's last frame,
    and the record stays for :func:`_abort_on_failed_exit`.
    """

    def __del__(self) -> None:
        request = _State.exit_request
        if request is None or request[0] != id(self):
            return
        try:
            sys._getframe(1)  # a Python frame is running: the script caught this exit
        except ValueError:
            return  # the interpreter itself dropped it: the process is exiting with its status
        _State.exit_request = None


def _recording_exit(code: Any = None) -> None:
    """``sys.exit``, remembering a non-zero status so that the exit can end the whole job."""
    exc = _RecordedExit(code)
    if threading.current_thread() is threading.main_thread():  # elsewhere it ends one thread only
        _State.exit_request = (id(exc), _exit_status(code))
    try:
        raise exc
    finally:
        del exc  # no cycle through this frame: a caught exit is freed as soon as it is dropped


def _abort_on_failed_exit() -> None:
    """At interpreter exit: a non-zero ``sys.exit`` on one rank ends every rank of the job.

    Otherwise this rank would wait in ``MPI_Finalize`` for ranks that wait for it in their next
    collective: mpiexec would never return. ``MPI_Abort`` makes mpiexec end the job, non-zero.
    """
    request, _State.exit_request = _State.exit_request, None
    MPI = _State.mpi
    if request is None or request[1] == 0 or MPI is None or MPI.Is_finalized():
        return
    sys.stdout.flush()
    print(
        f"kittygrad.distributed: rank {MPI.COMM_WORLD.Get_rank()} exited with status {request[1]}; "
        "aborting the job so that the other ranks do not wait for it",
        file=sys.stderr,
        flush=True,
    )
    time.sleep(_RELAY_GRACE_S)
    MPI.COMM_WORLD.Abort(request[1])


def _install_failure_hooks() -> None:
    """In a job of several ranks, a rank that fails ends the job instead of leaving the others
    waiting: an uncaught exception (``sys.excepthook``) or a non-zero ``sys.exit`` (recorded by a
    wrapper, checked at exit) calls ``MPI_Abort``. ``os._exit`` and signals need nothing: mpiexec
    ends the job when a rank dies without finalizing MPI. Stays installed after
    ``destroy_process_group``, so ``try: ... finally: destroy_process_group()`` is covered too.
    """
    if sys.excepthook is not _abort_on_uncaught:
        _State.previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught
    if not _State.exit_hooks:
        _State.exit_hooks = True
        sys.exit = _recording_exit
        atexit.register(_abort_on_failed_exit)  # after mpi4py's own, so it runs before MPI_Finalize


def _check_init_method(init_method: str, rank: int, world_size: int) -> None:
    """torch's rendezvous URLs are accepted (MPI does the wiring), with the arguments torch needs for each."""
    scheme = init_method.split("://", 1)[0] + "://" if "://" in init_method else init_method
    if scheme not in ("env://", "tcp://", "file://"):
        raise KittyValueError(
            f"No rendezvous handler for {scheme} (kittygrad.distributed accepts init_method None, 'env://', "
            f"'tcp://host:port' or 'file:///path'; MPI's launcher wires the processes), got {init_method!r}"
        )
    needed = {"tcp://": (("rank", rank), ("world size", world_size)), "file://": (("world size", world_size),)}
    for what, value in needed.get(scheme, ()):
        if value == -1:
            raise KittyValueError(f"Error initializing torch.distributed using {scheme} rendezvous: {what} parameter missing")


def init_process_group(
    backend: str | None = None, init_method: str | None = None, timeout: datetime.timedelta | None = None,
    world_size: int = -1, rank: int = -1, store: Any = None, group_name: str = "", pg_options: Any = None,
    device_id: Any = None,
) -> None:
    """Start the default process group over MPI, as ``torch.distributed.init_process_group``.

    Run the script with ``mpiexec -n N python script.py`` or
    ``python -m kittygrad.distributed.run --nproc-per-node N script.py``; run plainly, it is a
    group of one. ``backend`` may be ``"mpi"`` (or ``None``) or ``"gloo"`` (served by MPI);
    ``"nccl"`` is refused. ``init_method`` may be ``None``, ``"env://"``, ``"tcp://host:port"`` or
    ``"file:///path"`` (torch's rendezvous, with their required ``rank``/``world_size``): MPI's
    launcher has already wired the processes and told each its rank, so the address is not used,
    and ``RANK``/``WORLD_SIZE`` (and ``world_size``/``rank``) are only checked against it.
    ``timeout`` is accepted for compatibility: MPI collectives do not time out; a failing rank
    instead ends the job (see the README's distributed section).

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.init_process_group("gloo"); dist.get_world_size()  # doctest: +SKIP
    1
    """
    if _State.default is not None:
        raise KittyValueError("trying to initialize the default process group twice!")
    name = Backend(backend if backend is not None else Backend.MPI)
    if name == Backend.NCCL:
        raise KittyRuntimeError("Distributed package doesn't have NCCL built in")
    if name not in (Backend.MPI, Backend.GLOO):
        raise AssertionError(f"Unknown backend type {backend}")  # torch's type for this error
    if init_method is not None:
        _check_init_method(init_method, rank, world_size)
    if store is not None:
        raise KittyValueError(
            "kittygrad.distributed has no Store: MPI's launcher wires the processes (pass store=None)"
        )
    MPI = _load_mpi()
    world = MPI.COMM_WORLD
    mpi_size, mpi_rank = world.Get_size(), world.Get_rank()
    if name == Backend.GLOO and mpi_rank == 0:  # one note per job, not one per process
        warnings.warn("kittygrad.distributed: backend 'gloo' is served by MPI", stacklevel=2)
    want_size = world_size if world_size != -1 else _env_int("WORLD_SIZE")
    want_rank = rank if rank != -1 else _env_int("RANK")
    if want_size is not None and want_size != mpi_size:
        raise KittyRuntimeError(
            f"init_process_group: world_size {want_size} was asked for, but MPI started {mpi_size} process(es); "
            f"launch with `mpiexec -n {want_size} python script.py` or "
            f"`python -m kittygrad.distributed.run --nproc-per-node {want_size} script.py`"
        )
    if want_rank is not None and want_rank != mpi_rank:
        raise KittyRuntimeError(
            f"init_process_group: rank {want_rank} was asked for, but MPI gave this process rank "
            f"{mpi_rank} (ranks come from the MPI launcher)"
        )
    comm = world.Dup()
    _State.default = ProcessGroup(comm, list(range(mpi_size)), str(name))
    _State.groups = []
    GroupMember.WORLD = group.WORLD = _State.default
    if mpi_size > 1:
        _install_failure_hooks()


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Free the default group (and every group made from it), or just ``group``.

    MPI stays running (it cannot be restarted in a process), so ``init_process_group`` may be
    called again afterwards, as under torch.

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.init_process_group(); dist.destroy_process_group(); dist.is_initialized()  # doctest: +SKIP
    False
    """
    if _State.default is None:
        raise AssertionError("Process group cannot be None")  # torch's type and words
    if group is None or group is _State.default:
        for g in [*_State.groups, _State.default]:
            g.comm.Free()
        _State.groups = []
        _State.default = None
        GroupMember.WORLD = globals()["group"].WORLD = None
        return
    if group in _State.groups:
        _State.groups.remove(group)
        group.comm.Free()


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (the default group when ``None``); -1 if not a member.

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.init_process_group(); dist.get_rank()  # doctest: +SKIP
    0
    """
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return _resolve(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """How many processes ``group`` (the default group when ``None``) holds; -1 if not a member.

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.init_process_group(); dist.get_world_size()  # doctest: +SKIP
    1
    """
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return _resolve(group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    """The backend name the group was made with (``"mpi"`` or ``"gloo"``, both served by MPI)."""
    return _resolve(group).backend


def get_process_group_ranks(group: ProcessGroup | None) -> list[int]:
    """The global ranks in ``group``, in group-rank order."""
    return list(_resolve(group).ranks)


def get_global_rank(group: ProcessGroup | None, group_rank: int) -> int:
    """The global rank of ``group_rank`` in ``group``."""
    ranks = _resolve(group).ranks
    if not 0 <= group_rank < len(ranks):
        raise KittyValueError(f"Group rank {group_rank} is not part of group {ranks}")
    return ranks[group_rank]


def get_group_rank(group: ProcessGroup | None, global_rank: int) -> int:
    """The rank inside ``group`` of the process with global rank ``global_rank``."""
    ranks = _resolve(group).ranks
    if global_rank not in ranks:
        raise KittyValueError(f"Global rank {global_rank} is not part of group {ranks}")
    return ranks.index(global_rank)


def new_group(
    ranks: list[int] | None = None, timeout: datetime.timedelta | None = None, backend: str | None = None,
    pg_options: Any = None, use_local_synchronization: bool = False, group_desc: str | None = None,
    device_id: Any = None,
) -> ProcessGroup | object:
    """A group of some ranks (all of them when ``None``); every rank of the default group calls it.

    Ranks outside the new group get ``GroupMember.NON_GROUP_MEMBER``, as under torch.

    >>> import kittygrad.distributed as dist  # doctest: +SKIP
    >>> dist.init_process_group(); dist.new_group([0]).size()  # doctest: +SKIP
    1
    """
    default = _default()
    world_size = default.size()
    members = sorted(set(range(world_size) if ranks is None else ranks))
    bad = [r for r in members if not 0 <= r < world_size]
    if bad:
        raise KittyValueError(f"new_group: ranks {bad} are outside the world of {world_size} process(es)")
    name = Backend(backend) if backend is not None else default.backend
    if name == Backend.NCCL:
        raise KittyRuntimeError("Distributed package doesn't have NCCL built in")
    # MPI_Comm_create is collective over the whole default group, as torch's new_group is
    comm = default.comm.Create(default.comm.Get_group().Incl(members))
    if comm == _State.mpi.COMM_NULL:  # this rank is outside the new group
        return GroupMember.NON_GROUP_MEMBER  # torch's marker for non-members
    made = ProcessGroup(comm, members, str(name))
    _State.groups.append(made)
    return made


def _group_rank_of(grp: ProcessGroup, global_rank: int | None, group_rank: int | None, what: str) -> int:
    """Translate a ``src``/``dst`` (global rank) or ``group_src``/``group_dst`` to a rank in ``grp``."""
    if global_rank is not None and group_rank is not None:
        raise KittyValueError(f"Can not specify both {what} and group_{what} arguments.")
    if group_rank is not None:
        if not 0 <= group_rank < grp.size():
            raise KittyValueError(f"group_{what} {group_rank} is outside the group of {grp.size()}")
        return group_rank
    if global_rank is None:
        global_rank = 0
    if global_rank not in grp.ranks:
        raise KittyValueError(f"Global rank {global_rank} is not part of group {grp.ranks}")
    return grp.ranks.index(global_rank)


def mpi_module():
    """The started ``mpi4py.MPI`` module (for the collectives and DDP); requires a process group."""
    _default()
    return _State.mpi
