"""The profiler's recorder, ``record_function``, and torch's older API ``autograd.profiler.profile``.

Events come from kittygrad's own dispatch: every differentiable op runs through ``Op.apply`` (a
custom Function through ``Function.apply``) and every backward node through the walk's
``_node_backward``. While a profile runs, and only then, those three are swapped for timing
wrappers; the moment it stops the originals are back, so code that is not profiled pays nothing
(not even a flag check). An op's range is named as torch names it (``aten::mul``), a backward
node's as torch names the node (``MulBackward0``), a custom Function's by its class.

>>> import kittygrad as kitty
>>> from kittygrad.autograd import profiler
>>> x = kitty.ones(3, requires_grad=True)
>>> with profiler.profile(record_shapes=True) as prof:
...     with profiler.record_function("block"):
...         y = (x * 2).sum()
...     y.backward()
>>> [e.name for e in prof.function_events][:3]
['block', 'aten::mul', 'aten::sum']
>>> prof.function_events[1].input_shapes, prof.function_events[1].cpu_parent.name
([[3], []], 'block')
"""
from __future__ import annotations

import functools
import re
import threading
import time
import warnings

from ..errors import KittyRuntimeError
from . import engine as _engine
from . import walk as _walk
from .function import Function, Op
from .profiler_util import EventList, FunctionEvent, FunctionEventAvg, write_chrome_trace

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]

#: the run being recorded now, or None: what ``record_function`` reads (one global per block)
_active = None
_lock = threading.Lock()
_local = threading.local()  # per thread: the stack of ranges open now (nesting)
_clock = time.perf_counter_ns

# the undisturbed dispatch, put back when a profile stops
_OP_APPLY = Op.__dict__["apply"]
_FUNCTION_APPLY = Function.__dict__["apply"]
_NODE_BACKWARD = _walk._node_backward  # (the walk calls it, by its own name for it)
_op_apply = _OP_APPLY.__func__
_function_apply = _FUNCTION_APPLY.__func__

_NAMES: dict = {}  # Op class -> its event name ("aten::mul")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _op_name(cls) -> str:
    """torch's name of the operator an op class computes: ``MulBackward`` -> ``aten::mul``."""
    name = _NAMES.get(cls)
    if name is None:
        base = _engine._TORCH_NAMES.get(cls._name, cls._name)
        base = re.sub(r"Backward\d*$", "", base)
        name = _NAMES[cls] = "aten::" + _CAMEL.sub("_", base).lower()
    return name


def _shapes(values) -> list:
    """``input_shapes`` of one range: a shape (as a list) per argument, ``[]`` for non-tensors."""
    out = []
    for v in values:
        shape = getattr(v, "shape", None)
        out.append(list(shape) if isinstance(shape, tuple) else [])
    return out


class _Range:
    """One range while it is recorded (turned into a ``FunctionEvent`` when the run stops)."""

    __slots__ = ("name", "kind", "start", "end", "thread", "shapes", "parent", "run")

    def __init__(self, run, name: str, kind: str, inputs) -> None:
        stack = getattr(_local, "stack", None)
        if stack is None:
            stack = _local.stack = []
        self.run = run
        self.name = name
        self.kind = kind
        self.thread = threading.get_ident()
        self.shapes = _shapes(inputs) if run.record_shapes and inputs is not None else []
        self.parent = stack[-1] if stack else None
        self.end = None
        stack.append(self)
        run.ranges.append(self)
        self.start = _clock()  # last: the bookkeeping above is not the range's time

    def close(self) -> None:
        self.end = _clock()
        stack = _local.stack
        if stack and stack[-1] is self:
            stack.pop()
        elif self in stack:  # closed out of order (a record_function exited late): still unlink it
            stack.remove(self)


class _Run:
    """What one recording collects: its ranges, and where on both clocks it started."""

    def __init__(self, record_shapes: bool) -> None:
        self.record_shapes = record_shapes
        self.ranges: list = []
        self.wall_ns = time.time_ns()
        self.start_ns = _clock()

    def events(self) -> EventList:
        """The closed ranges as FunctionEvents (in start order), each linked to its parent."""
        done = sorted((r for r in self.ranges if r.end is not None and r.run is self), key=lambda r: r.start)
        events = {}
        origin = self.start_ns
        for i, r in enumerate(done):
            events[r] = FunctionEvent(
                i, r.name, r.thread, (r.start - origin) / 1000.0, (r.end - origin) / 1000.0,
                input_shapes=r.shapes, is_user_annotation=r.kind == "user_annotation", kind=r.kind,
            )
        for r in done:
            parent = r.parent
            while parent is not None and parent not in events:  # left open, or another run's
                parent = parent.parent
            if parent is not None:
                events[parent].append_cpu_child(events[r])
        return EventList(events.values())


# ---- the wrappers swapped into the dispatch while a run is active ---------------------------


def _profiled_op_apply(cls, *args, **params):
    run = _active
    if run is None:  # (another thread got here while the run stopped)
        return _op_apply(cls, *args, **params)
    r = _Range(run, _op_name(cls), "cpu_op", args)
    try:
        return _op_apply(cls, *args, **params)
    finally:
        r.close()


def _profiled_function_apply(cls, *args, **kwargs):
    run = _active
    if run is None:
        return _function_apply(cls, *args, **kwargs)
    r = _Range(run, cls.__name__, "cpu_op", args)
    try:
        return _function_apply(cls, *args, **kwargs)
    finally:
        r.close()


def _profiled_node_backward(node, grads, create_graph, last_read=False):
    run = _active
    if run is None:
        return _NODE_BACKWARD(node, grads, create_graph, last_read)
    r = _Range(run, node.torch_name(), "cpu_op", grads)
    try:
        return _NODE_BACKWARD(node, grads, create_graph, last_read)
    finally:
        r.close()


def _start(record_shapes: bool) -> _Run:
    """Begin recording (swap the wrappers in). One run at a time, as torch allows."""
    global _active
    with _lock:
        if _active is not None:
            raise KittyRuntimeError(
                "a profiler is already running: profiling cannot be nested. Stop the running "
                "profile first (or use record_function to mark a region inside it)."
            )
        run = _active = _Run(record_shapes)
        Op.apply = classmethod(_profiled_op_apply)
        Function.apply = classmethod(_profiled_function_apply)
        _walk._node_backward = _profiled_node_backward
    return run


def _stop(run: _Run) -> None:
    """Stop recording and put the undisturbed dispatch back."""
    global _active
    with _lock:
        if _active is not run:
            return
        Op.apply = _OP_APPLY
        Function.apply = _FUNCTION_APPLY
        _walk._node_backward = _NODE_BACKWARD
        _active = None


# ---- public API --------------------------------------------------------------------------


class record_function:  # noqa: N801 - torch's name
    """Mark a region of code: while a profiler runs, the region is one range named ``name`` in its
    events and table, and the ops run inside it are its children. Outside a profile it does nothing.

    Use it as a context manager or as a decorator.

    >>> import kittygrad as kitty
    >>> from kittygrad.autograd.profiler import profile, record_function
    >>> @record_function("double")
    ... def double(t):
    ...     return t * 2
    >>> with profile() as prof:
    ...     _ = double(kitty.ones(2))
    >>> [(e.name, [c.name for c in e.cpu_children]) for e in prof.function_events]
    [('double', ['aten::mul']), ('aten::mul', [])]
    """

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self.args = args
        self._range = None

    def __enter__(self) -> record_function:
        run = _active
        if run is not None:
            self._range = _Range(run, self.name, "user_annotation", None)
        return self

    def __exit__(self, *exc) -> bool:
        r, self._range = self._range, None
        if r is not None:
            r.close()
        return False

    def __call__(self, fn):
        name, args = self.name, self.args

        @functools.wraps(fn)
        def wrapper(*a, **kw):
            with record_function(name, args):
                return fn(*a, **kw)

        return wrapper


def _no_cuda_warning(what: str) -> None:
    warnings.warn(
        f"{what}: kittygrad computes on the CPU with NumPy, so there are no CUDA events to record; "
        "only CPU events are profiled.",
        UserWarning,
        stacklevel=3,
    )


class profile:  # noqa: N801 - torch's name
    """Record the ops, backward nodes and ``record_function`` ranges run inside the block
    (torch's older API; ``kittygrad.profiler.profile`` adds schedules and trace handlers).

    After the block, ``function_events`` holds the events; ``key_averages()``, ``table()``,
    ``total_average()`` and ``export_chrome_trace(path)`` summarise them.

    >>> import kittygrad as kitty
    >>> with kitty.autograd.profiler.profile() as prof:
    ...     _ = kitty.ones(2) + 1
    >>> [(a.key, a.count) for a in prof.key_averages()]
    [('aten::add', 1)]
    """

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device=None,
                 record_shapes: bool = False, with_flops: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_modules: bool = False, use_kineto: bool = False,
                 use_cpu: bool = True, experimental_config=None, acc_events: bool = False,
                 custom_trace_id_callback=None) -> None:
        self.enabled = enabled
        self.use_cuda = use_cuda
        self.use_device = use_device if use_device is not None else ("cuda" if use_cuda else None)
        self.record_shapes = record_shapes
        self.with_flops = with_flops
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.use_cpu = use_cpu
        self.function_events = None
        self.entered = False
        self._run = None
        if enabled and self.use_device is not None:
            _no_cuda_warning(f"profiling on {self.use_device!r} was requested")

    def __enter__(self) -> profile:
        if not self.enabled:
            return self
        if self.entered:
            raise KittyRuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._run = _start(self.record_shapes)
        return self

    def __exit__(self, *exc) -> bool:
        if not self.enabled or self._run is None:
            return False
        _stop(self._run)
        self.function_events = self._run.events()
        return False

    def _events(self) -> EventList:
        if self.function_events is None:
            raise KittyRuntimeError("Profiler didn't finish running: read its results after the block ends")
        return self.function_events

    def __repr__(self) -> str:
        return "<unfinished profiler>" if self.function_events is None else repr(self.function_events)

    def __str__(self) -> str:
        return "<unfinished profiler>" if self.function_events is None else self.function_events.table()

    def table(self, sort_by: str | None = None, row_limit: int = 100, max_src_column_width: int = 75,
              max_name_column_width: int = 55, max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        return self._events().table(
            sort_by=sort_by, row_limit=row_limit, max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width, max_shapes_column_width=max_shapes_column_width,
            header=header, top_level_events_only=top_level_events_only, time_unit=time_unit,
        )

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        return self._events().key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def total_average(self) -> FunctionEventAvg:
        return self._events().total_average()

    @property
    def self_cpu_time_total(self) -> float:
        return self._events().self_cpu_time_total

    def export_chrome_trace(self, path: str) -> None:
        """Write the events to ``path`` as a Chrome trace (JSON with "traceEvents")."""
        events = self._events()
        write_chrome_trace(path, events, base_ns=self._run.wall_ns if self._run is not None else time.time_ns())
