"""What a profiling run produced: events, their averages per name, the summary table, the trace.

``FunctionEvent`` is one timed range (an op's forward, a backward node, a ``record_function``
block), linked to the ranges around and inside it; ``FunctionEventAvg`` sums the events of one key;
``EventList`` is a list of either, with ``table``, ``key_averages``, ``total_average`` and
``export_chrome_trace``. Times are microseconds (floats), as in ``torch.autograd.profiler_util``.

>>> from kittygrad.autograd.profiler_util import EventList, FunctionEvent
>>> outer = FunctionEvent(0, "outer", thread=1, start_us=0.0, end_us=10.0)
>>> inner = FunctionEvent(1, "inner", thread=1, start_us=2.0, end_us=6.0)
>>> outer.append_cpu_child(inner)
>>> outer.self_cpu_time_total, EventList([outer, inner]).self_cpu_time_total
(6.0, 10.0)
"""
from __future__ import annotations

import json
import os

from ..errors import KittyRuntimeError, KittyValueError

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "Interval"]


def _format_time(time_us: float) -> str:
    """``1.500ms``-style text for a time in microseconds (s, ms or us, three decimals)."""
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_share(time_us: float, total_us: float) -> str:
    if total_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_us:.2f}%"


def _in_unit(time_us: float, unit: str | None) -> str:
    scale = {"s": 1e6, "ms": 1e3, "us": 1.0}.get(unit) if unit is not None else None
    return _format_time(time_us) if scale is None else f"{time_us / scale:.3f}{unit}"


class _Times:
    """The derived time fields shared by an event and an average (``cpu_time`` is per call)."""

    device_time_total = 0.0
    self_device_time_total = 0.0
    cpu_memory_usage = 0
    self_cpu_memory_usage = 0
    device_memory_usage = 0
    self_device_memory_usage = 0
    is_async = False
    is_remote = False
    is_legacy = False
    node_id = -1
    flops = 0

    @property
    def cpu_time(self) -> float:
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def device_time(self) -> float:
        return 0.0

    # torch's older names for the device columns (kittygrad runs on the CPU: always zero)
    cuda_time = device_time

    @property
    def cuda_time_total(self) -> float:
        return 0.0

    self_cuda_time_total = cuda_time_total

    @property
    def cpu_time_str(self) -> str:
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self) -> str:
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self) -> str:
        return _format_time(self.self_cpu_time_total)


class Interval:
    """A time range in microseconds."""

    def __init__(self, start: float, end: float) -> None:
        self.start = start
        self.end = end

    def elapsed_us(self) -> float:
        return self.end - self.start

    def __repr__(self) -> str:
        return f"Interval(start={self.start}, end={self.end})"


class FunctionEvent(_Times):
    """One profiled range: ``name``, ``thread``, ``time_range``, ``input_shapes``, and the
    ranges directly around (``cpu_parent``) and inside it (``cpu_children``).

    >>> e = FunctionEvent(0, "aten::mul", thread=1, start_us=1.0, end_us=4.0, input_shapes=[[2], [2]])
    >>> e.key, e.count, e.cpu_time_total, e.cpu_time_total_str
    ('aten::mul', 1, 3.0, '3.000us')
    """

    count = 1

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=None, is_user_annotation=False,
                 sequence_nr=-1, device_type="CPU", stack=None, scope=0, kind="cpu_op") -> None:
        self.id = id
        # a profiler step's range keeps its number only in the trace: the steps average as one key
        self.trace_name = name
        self.name = "ProfilerStep*" if name.startswith("ProfilerStep#") else name
        self.thread = thread
        self.time_range = Interval(start_us, end_us)
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.is_user_annotation = is_user_annotation
        self.sequence_nr = sequence_nr
        self.device_type = device_type
        self.stack = stack if stack is not None else []
        self.scope = scope
        self.kind = kind  # the chrome trace's category: "cpu_op" or "user_annotation"
        self.cpu_children: list = []
        self.cpu_parent = None
        self.overload_name = ""

    @property
    def key(self) -> str:
        return self.name

    def append_cpu_child(self, child: FunctionEvent) -> None:
        """Make ``child`` a range directly inside this one."""
        self.cpu_children += [child]
        child.cpu_parent = self

    def set_cpu_parent(self, parent: FunctionEvent) -> None:
        parent.append_cpu_child(self)

    @property
    def cpu_time_total(self) -> float:
        span = self.time_range
        return span.elapsed_us()

    @property
    def self_cpu_time_total(self) -> float:
        """Time in this range outside the ranges nested in it."""
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    def __repr__(self) -> str:
        return (
            f"<FunctionEvent id={self.id} name={self.name} device_type={self.device_type} "
            f"start_us={self.time_range.start} end_us={self.time_range.end} "
            f"cpu_children={[c.id for c in self.cpu_children]} thread={self.thread} "
            f"input_shapes={self.input_shapes} cpu_time_total={self.cpu_time_total_str}>"
        )


#: what an average takes from its first event, and what it sums over all of them
_DESCRIPTIVE = ("key", "input_shapes", "is_user_annotation", "cpu_parent", "cpu_children", "stack", "scope",
                "device_type")
_SUMMED = ("cpu_time_total", "self_cpu_time_total", "count")


class FunctionEventAvg(_Times):
    """The sum of events sharing a key: ``count``, ``cpu_time_total``, ``self_cpu_time_total``,
    ``cpu_time`` (per call) and ``input_shapes`` (the first event's).

    >>> avg = FunctionEventAvg()
    >>> avg += FunctionEvent(0, "aten::add", 1, 0.0, 2.0)
    >>> avg += FunctionEvent(1, "aten::add", 1, 5.0, 9.0)
    >>> avg.key, avg.count, avg.cpu_time_total, avg.cpu_time
    ('aten::add', 2, 6.0, 3.0)
    """

    def __init__(self) -> None:
        self.key = None
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.input_shapes = None
        self.is_user_annotation = False
        self.cpu_parent = None
        self.cpu_children = None
        self.stack = []
        self.scope = None
        self.device_type = "CPU"
        self.overload_name = ""

    def add(self, other) -> FunctionEventAvg:
        """Fold ``other`` (an event or an average with this key) into this average."""
        if not isinstance(other, (FunctionEvent, FunctionEventAvg)):
            raise KittyValueError(f"can only add a FunctionEvent or FunctionEventAvg, not {type(other).__name__}")
        if self.key is None:  # the first event names the average and lends it its descriptive fields
            for field in _DESCRIPTIVE:
                setattr(self, field, getattr(other, field))
        elif other.key != self.key:
            raise KittyValueError(f"cannot average events of different keys: {other.key!r} and {self.key!r}")
        for field in _SUMMED:
            setattr(self, field, getattr(self, field) + getattr(other, field))
        return self

    def __iadd__(self, other) -> FunctionEventAvg:
        return self.add(other)

    def __repr__(self) -> str:
        shapes = self.input_shapes if self.input_shapes is not None else ""
        return (
            f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
            f"cpu_time={self.cpu_time_str} input_shapes={shapes} count={self.count}>"
        )


class EventList(list):
    """A list of events (or of their averages) that can summarise itself.

    >>> events = EventList([FunctionEvent(0, "aten::add", 1, 0.0, 2.0), FunctionEvent(1, "aten::add", 1, 3.0, 7.0)])
    >>> [(a.key, a.count, a.cpu_time_total) for a in events.key_averages()]
    [('aten::add', 2, 6.0)]
    >>> "Self CPU time total: 6.000us" in events.table()
    True
    """

    def __init__(self, *args, use_device=None, profile_memory=False, with_flops=False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._use_device = use_device
        self._profile_memory = profile_memory
        self._with_flops = with_flops

    def __str__(self) -> str:
        return self.table()

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shapes: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """One ``FunctionEventAvg`` per event name (per name and input shapes when
        ``group_by_input_shapes``), in the order the names first appear."""
        stats: dict = {}
        for e in self:
            key = (e.key, e.is_user_annotation)
            if group_by_input_shapes:
                key += (str(e.input_shapes),)
            if group_by_stack_n > 0:
                key += tuple(e.stack[:group_by_stack_n])
            avg = stats.get(key)
            if avg is None:
                avg = stats[key] = FunctionEventAvg()
            avg.add(e)
        out = EventList(stats.values(), use_device=self._use_device, profile_memory=self._profile_memory,
                        with_flops=self._with_flops)
        for avg in out:
            avg.stack = avg.stack[:group_by_stack_n]
            if not group_by_input_shapes:
                avg.input_shapes = ""
        return out

    def total_average(self) -> FunctionEventAvg:
        """Every event summed into one ``FunctionEventAvg`` with key ``"Total"``."""
        total = FunctionEventAvg()
        for e in self:
            total.key = e.key  # (add checks the keys agree)
            total.add(e)
        total.key = "Total"
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100, max_src_column_width: int = 75,
              max_name_column_width: int = 55, max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        """The summary table, laid out as torch's: one row per event (or average), sorted by the
        attribute ``sort_by`` (largest first), at most ``row_limit`` rows, then the total self time."""
        return _build_table(self, sort_by, row_limit, max_name_column_width, max_shapes_column_width, header,
                            top_level_events_only, time_unit)

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace (chrome://tracing, Perfetto): JSON with "traceEvents"."""
        write_chrome_trace(path, [e for e in self if isinstance(e, FunctionEvent)], base_ns=0)


def _sort_value(evt, sort_by: str):
    name = sort_by.replace("cuda", "device").replace("xpu", "device")
    try:
        return getattr(evt, name)
    except AttributeError:
        raise KittyValueError(
            f"cannot sort by {sort_by!r}: events have no such attribute (try cpu_time_total, "
            "self_cpu_time_total, cpu_time or count)"
        ) from None


def _build_table(events, sort_by, row_limit, max_name_width, max_shapes_width, header, top_level_only,
                 time_unit) -> str:
    if len(events) == 0:
        return ""
    has_shapes = any(e.input_shapes is not None and len(e.input_shapes) > 0 for e in events)
    if sort_by is not None:
        events = sorted(events, key=lambda e: _sort_value(e, sort_by), reverse=True)
    name_width = max(len(e.key) for e in events) + 4
    if max_name_width is not None:
        name_width = min(name_width, max_name_width)
    shapes_width = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_width is not None:
        shapes_width = min(shapes_width, max_shapes_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
    widths = [name_width] + [12] * 6
    if has_shapes:
        headers, widths = headers + ["Input Shapes"], widths + [shapes_width]
    gap = "  "
    row = "".join("{:>" + str(w) + "}" + gap for w in widths)
    rule = "".join("-" * w + gap for w in widths)
    line_length = sum(w + len(gap) for w in widths) - len(gap)
    total_self = sum(e.self_cpu_time_total for e in events)

    lines = []
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [rule, row.format(*headers), rule]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_width is not None and len(name) >= max_name_width - 3:
            name = name[: max_name_width - 3] + "..."
        values = [
            name,
            _format_share(e.self_cpu_time_total, total_self),
            _in_unit(e.self_cpu_time_total, time_unit),
            _format_share(e.cpu_time_total, total_self),
            _in_unit(e.cpu_time_total, time_unit),
            _in_unit(e.cpu_time, time_unit),
            e.count,
        ]
        if has_shapes:
            shapes = str(e.input_shapes)
            if max_shapes_width is not None and len(shapes) > max_shapes_width:
                shapes = shapes[: max_shapes_width - 3] + "..."
            values.append(shapes)
        lines.append(row.format(*values))
    lines.append(rule)
    lines.append(f"Self CPU time total: {_in_unit(total_self, time_unit)}")
    return "\n".join(lines) + "\n"


def write_chrome_trace(path: str, events, base_ns: int, metadata: dict | None = None) -> None:
    """Write ``events`` (FunctionEvents, times in us from the run's start) to ``path`` as a Chrome
    trace; ``base_ns`` is the run's start on the wall clock, so traces of several runs line up."""
    pid = os.getpid()
    base_us = base_ns / 1000.0
    trace = []
    for e in events:
        args = {"External id": e.id}
        if e.input_shapes:
            args["Input Dims"] = e.input_shapes
        if e.sequence_nr >= 0:
            args["Sequence number"] = e.sequence_nr
        trace.append({
            "ph": "X", "cat": e.kind, "name": e.trace_name, "pid": pid, "tid": e.thread,
            "ts": round(base_us + e.time_range.start, 3), "dur": round(e.cpu_time_total, 3), "args": args,
        })
    document = {
        "schemaVersion": 1,
        "deviceProperties": [],
        "traceEvents": trace,
        "traceName": str(path),
        "displayTimeUnit": "ms",
        "baseTimeNanoseconds": int(base_ns),
    }
    if metadata:
        document.update(metadata)
    try:
        with open(path, "w") as f:
            json.dump(document, f)
    except OSError as err:
        raise KittyRuntimeError(f"cannot write the chrome trace to {path!r}: {err}") from err
