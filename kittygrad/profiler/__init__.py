"""kittygrad.profiler: torch.profiler's API on kittygrad's recorder (``autograd/profiler.py``).

``profile`` records the ops, backward nodes and ``record_function`` ranges run in its block;
with a ``schedule`` it records only the active steps of each cycle (``prof.step()`` marks a
step) and hands each finished cycle to ``on_trace_ready`` (``tensorboard_trace_handler(dir)``
writes it as a Chrome trace file). CPU is the only activity: CUDA is accepted, with a warning,
and yields no events.

>>> import kittygrad as kitty
>>> from kittygrad.profiler import ProfilerActivity, profile, record_function
>>> with profile(activities=[ProfilerActivity.CPU]) as prof:
...     with record_function("step"):
...         _ = kitty.ones(2) * 3
>>> [(a.key, a.count) for a in prof.key_averages()]
[('step', 1), ('aten::mul', 1)]
"""
from __future__ import annotations

import enum
import os
import socket
import time
import warnings

from ..autograd import profiler as _autograd_profiler
from ..autograd.profiler import record_function
from ..autograd.profiler_util import EventList, FunctionEventAvg
from ..errors import KittyRuntimeError, KittyValueError

__all__ = [
    "ProfilerAction",
    "ProfilerActivity",
    "profile",
    "record_function",
    "schedule",
    "supported_activities",
    "tensorboard_trace_handler",
]


class ProfilerActivity(enum.Enum):
    """What a profile records: ``CPU`` (kittygrad's only activity) or a device (no events)."""

    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What a schedule tells the profiler to do at a step."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities() -> set:
    """The activities kittygrad can profile: the CPU.

    >>> from kittygrad.profiler import supported_activities
    >>> supported_activities()
    {<ProfilerActivity.CPU: 0>}
    """
    return {ProfilerActivity.CPU}


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0):
    """The action for each step: after ``skip_first`` steps, cycles of ``wait`` idle steps,
    ``warmup`` steps, then ``active`` recorded steps (the last one saves the cycle), ``repeat``
    times (0: for as long as the steps go on).

    >>> from kittygrad.profiler import schedule
    >>> s = schedule(wait=1, warmup=1, active=2, repeat=1)
    >>> [s(i).name for i in range(5)]
    ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE', 'NONE']
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise KittyValueError(
            f"invalid profiler schedule: wait={wait} (need >= 0), warmup={warmup} (need >= 0), "
            f"active={active} (need > 0), repeat={repeat} (need >= 0), skip_first={skip_first} (need >= 0)"
        )
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)
    cycle = wait + warmup + active

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise KittyValueError(f"profiler steps count from 0, got {step}")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:
            step += wait
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        at = step % cycle
        if at < wait:
            return ProfilerAction.NONE
        if at < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if at < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return schedule_fn


def _record_always(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None, use_gzip: bool = False,
                              use_python_export: bool = False):
    """An ``on_trace_ready`` handler: writes each finished cycle into ``dir_name`` as
    ``<worker>.<time_ns>.pt.trace.json`` (a Chrome trace TensorBoard's profiler plugin reads)."""

    def handler_fn(prof) -> None:
        try:
            os.makedirs(dir_name, exist_ok=True)
        except OSError as err:
            raise KittyRuntimeError(f"Can't create directory: {dir_name}") from err
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{worker}.{time.time_ns()}.pt.trace.json")
        if use_gzip:
            import gzip  # (only for the rare gzip request)
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                plain = os.path.join(tmp, "trace.json")
                prof.export_chrome_trace(plain)
                with open(plain, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                    dst.write(src.read())
            return
        prof.export_chrome_trace(path)

    return handler_fn


class profile:  # noqa: N801 - torch's name
    """Profile the block: ``events()``, ``key_averages()``, ``export_chrome_trace(path)``.

    ``schedule`` (see :func:`schedule`) with ``prof.step()`` at the end of each step records only
    the active steps, each inside a ``ProfilerStep#<n>`` range (named ``ProfilerStep*`` in the
    events, so steps average together; numbered in the trace); ``on_trace_ready(prof)`` is called
    when a cycle's last active step ends (and at the block's end if one was being recorded).
    ``record_shapes`` keeps each range's input shapes (``key_averages(group_by_input_shape=True)``).

    >>> import kittygrad as kitty
    >>> from kittygrad.profiler import profile, schedule
    >>> ready = []
    >>> with profile(schedule=schedule(wait=0, warmup=1, active=1), on_trace_ready=ready.append) as p:
    ...     for _ in range(4):
    ...         _ = kitty.ones(2) + 1
    ...         p.step()
    >>> len(ready), [a.key for a in p.key_averages()]
    (2, ['ProfilerStep*', 'aten::add'])
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, experimental_config=None, execution_trace_observer=None,
                 acc_events: bool = False, use_cuda: bool | None = None, custom_trace_id_callback=None,
                 post_processing_timeout_s: float | None = None) -> None:
        chosen = set(activities) if activities is not None else supported_activities()
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead", FutureWarning, stacklevel=2)
            if use_cuda:
                chosen.add(ProfilerActivity.CUDA)
            else:
                chosen.discard(ProfilerActivity.CUDA)
        if not chosen:
            raise KittyValueError("No valid profiler activities found")
        for a in chosen:
            if not isinstance(a, ProfilerActivity):
                raise KittyValueError(f"profiler activities are ProfilerActivity members, got {a!r}")
        devices = sorted(a.name for a in chosen if a is not ProfilerActivity.CPU)
        if devices:
            _autograd_profiler._no_cuda_warning(f"{', '.join(devices)} activity requested")
        self.activities = chosen
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.with_modules = with_modules
        self.record_cpu = ProfilerActivity.CPU in chosen
        self.schedule = schedule if schedule is not None else _record_always
        self.record_steps = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = self.schedule(0)
        self.profiler = None  # the autograd profiler of the cycle being (or last) recorded
        self._step_range = None
        self._metadata: dict = {}

    # ---- the cycle's recording --------------------------------------------------------------

    def _start_trace(self) -> None:
        # (without the CPU activity nothing is recorded: the cycle ends with no events)
        self.profiler = _autograd_profiler.profile(enabled=self.record_cpu, record_shapes=self.record_shapes)
        self.profiler.__enter__()

    def _stop_trace(self) -> None:
        prof = self.profiler
        if prof is not None and prof.function_events is None:
            prof.__exit__(None, None, None)
            if prof.function_events is None:
                prof.function_events = EventList()

    def _trace_ready(self) -> None:
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def _transit(self, before, after) -> None:
        """Act on the schedule moving from ``before`` to ``after`` (None: the profile ends)."""
        recording = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
        if before is ProfilerAction.RECORD_AND_SAVE or (before is ProfilerAction.RECORD and after is None):
            self._stop_trace()  # the cycle is complete
            self._trace_ready()
            if after in recording:
                self._start_trace()
        elif before is ProfilerAction.RECORD:
            if after not in recording:
                warnings.warn(f"Incorrect schedule: RECORD followed by {after.name}", stacklevel=3)
                self._stop_trace()
        elif after in recording:
            self._start_trace()
        elif before is ProfilerAction.WARMUP and after is ProfilerAction.NONE:
            warnings.warn("Incorrect schedule: WARMUP followed by NONE", stacklevel=3)

    def start(self) -> None:
        self._transit(ProfilerAction.NONE, self.current_action)
        self._open_step()

    def stop(self) -> None:
        self._close_step()
        self._transit(self.current_action, None)

    def step(self) -> None:
        """Mark the end of a step: the schedule decides what the next step records."""
        self._close_step()
        before = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit(before, self.current_action)
        self._open_step()

    def _open_step(self) -> None:
        if self.record_steps:
            self._step_range = record_function(f"ProfilerStep#{self.step_num}")
            self._step_range.__enter__()

    def _close_step(self) -> None:
        if self._step_range is not None:
            self._step_range.__exit__(None, None, None)
            self._step_range = None

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc) -> bool:
        self.stop()
        return False

    # ---- results ------------------------------------------------------------------------------

    def _finished(self):
        if self.profiler is None or self.profiler.function_events is None:
            raise KittyRuntimeError(
                "the profiler has no finished recording: read results after the block ends, or from "
                "on_trace_ready (with a schedule, only the active steps are recorded)"
            )
        return self.profiler

    def events(self) -> EventList:
        """Every recorded range of the last finished cycle, as FunctionEvents."""
        return self._finished().function_events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """One FunctionEventAvg per event name (and input shapes, when ``group_by_input_shape``)."""
        return self._finished().key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def total_average(self) -> FunctionEventAvg:
        return self._finished().total_average()

    def export_chrome_trace(self, path: str) -> None:
        """Write the last finished cycle to ``path`` as a Chrome trace (JSON with "traceEvents")."""
        prof = self._finished()
        base_ns = prof._run.wall_ns if prof._run is not None else time.time_ns()
        _autograd_profiler.write_chrome_trace(path, prof.function_events, base_ns=base_ns,
                                              metadata=self._metadata or None)

    def add_metadata(self, key: str, value: str) -> None:
        """A ``key: value`` pair written at the top level of exported traces."""
        self._metadata[key] = value

    def add_metadata_json(self, key: str, value: str) -> None:
        import json  # (only this rarely used call parses)

        self._metadata[key] = json.loads(value)
