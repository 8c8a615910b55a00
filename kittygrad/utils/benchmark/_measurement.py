"""What a :class:`~kittygrad.utils.benchmark.Timer` measures: the task's description
(:class:`TaskSpec`), the timings (:class:`Measurement`) and the helpers that print times."""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import statistics
import textwrap
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from ... import _display
from ... import blas_threads

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig", "ordered_unique",
           "set_torch_threads"]

#: at most this many significant figures are claimed for a median
_MAX_SIGNIFICANT_FIGURES = 4
#: a confidence interval narrower than this is not believed (timer resolution and noise)
_MIN_CONFIDENCE_INTERVAL = 25e-9
#: IQR / median from which a measurement carries a warning, loudest first (the first that
#: applies is the one shown); the last is also ``meets_confidence``'s default threshold
_SPREAD_WARNINGS = ((0.25, "This suggests significant environmental influence."),
                    (0.1, "This could indicate system fluctuation."))
_DEFAULT_CONFIDENCE = _SPREAD_WARNINGS[-1][0]


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """What was timed and how it is labelled (everything about a Timer except its globals).

    >>> TaskSpec("x + 1", "pass", label="add", sub_label="float").title
    'add: float'
    """

    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        """The label (or the one-line statement) with the sub-label: the first line of a report."""
        suffix = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + suffix
        if "\n" not in self.stmt:
            return self.stmt + suffix
        note = f" ({self.sub_label})" if self.sub_label else ""
        return f"stmt:{note}\n" + textwrap.indent(self.stmt, "  ")

    def setup_str(self) -> str:
        """The setup as the report shows it ('' for none)."""
        if not self.setup or self.setup == "pass":
            return ""
        if "\n" in self.setup:
            return "setup:\n" + textwrap.indent(self.setup, "  ")
        return f"setup: {self.setup}"

    def summarize(self) -> str:
        """The title, description and setup lines of a report; a multi-line part is followed by a blank line."""
        parts = [p for p in (self.title, self.description or "", self.setup_str()) if p]
        return "\n".join(p + "\n" if "\n" in p else p for p in parts)


_TASK_FIELDS = frozenset(f.name for f in dataclasses.fields(TaskSpec))


def _quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (torch.quantile's default)."""
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


class _Summary(NamedTuple):
    """The statistics of a measurement's per-execution times, computed once."""

    ordered: tuple[float, ...]
    median: float
    mean: float
    p25: float
    p75: float

    @property
    def spread(self) -> float:
        """IQR / median: the noise relative to the time itself."""
        return (self.p75 - self.p25) / self.median

    @classmethod
    def of(cls, times: list[float]) -> _Summary:
        ordered = sorted(times)
        lower, upper = (_quantile(ordered, q) for q in (0.25, 0.75))
        return cls(tuple(ordered), _quantile(ordered, 0.5), math.fsum(ordered) / len(ordered), lower, upper)


#: what a measurement without times reports (torch's placeholders)
_NO_SUMMARY = _Summary((), -1.0, -1.0, -1.0, -1.0)


@dataclasses.dataclass(repr=False)
class Measurement:
    """The timings of one statement: ``raw_times[i]`` seconds for ``number_per_run`` executions.

    Statistics are per execution. The task's fields (``label``, ``stmt``, ``num_threads``, ...) read
    through.

    >>> m = Measurement(10, [1e-5, 2e-5, 3e-5], TaskSpec("pass", "pass"))
    >>> len(m.times), round(m.median * 1e9), m.number_per_run
    (3, 2000, 10)
    """

    number_per_run: int
    raw_times: list[float]
    task_spec: TaskSpec
    metadata: dict[Any, Any] | None = None  # the caller's own payload

    def __post_init__(self) -> None:
        # filled on first use; the times are not expected to change afterwards
        self._summary: _Summary | None = None

    def __getattr__(self, name: str) -> Any:
        # only reached for names the dataclass lacks: the task's fields read through
        if name not in _TASK_FIELDS:
            raise AttributeError(f"'Measurement' object has no attribute '{name}'")
        return vars(self.task_spec)[name]

    def _stats(self) -> _Summary:
        if self._summary is None:
            if not self.raw_times:
                return _NO_SUMMARY  # not kept: times may still be added
            self._summary = _Summary.of(self.times)
        return self._summary

    @property
    def times(self) -> list[float]:
        """Seconds per execution, one entry per run."""
        per = self.number_per_run
        return [raw / per for raw in self.raw_times]

    @property
    def median(self) -> float:
        return self._stats().median

    @property
    def mean(self) -> float:
        return self._stats().mean

    @property
    def iqr(self) -> float:
        """The interquartile range (75th minus 25th percentile) of :attr:`times`."""
        stats = self._stats()
        return stats.p75 - stats.p25

    @property
    def significant_figures(self) -> int:
        """How many figures of the median the spread of the middle half of the runs supports (1 to 4)."""
        stats = self._stats()
        n = len(stats.ordered)
        middle = stats.ordered[n // 4:math.ceil(3 * n / 4)]
        spread = statistics.pstdev(middle) if len(middle) > 1 else 0.0
        interval = max(1.645 * spread / math.sqrt(len(middle)), _MIN_CONFIDENCE_INTERVAL)
        figures = math.floor(math.log10(stats.median / interval))
        return min(max(figures, 1), _MAX_SIGNIFICANT_FIGURES)

    def _warnings(self) -> list[str]:
        """The report's warning, if the spread is large (none without times)."""
        if not self.raw_times:
            return []
        share = self._stats().spread
        # "not below" rather than "at least", so that a NaN spread warns as in torch
        why = next((text for limit, text in _SPREAD_WARNINGS if not share < limit), None)
        if why is None:
            return []
        return [f"  WARNING: Interquartile range is {share * 100:.1f}% of the median measurement.\n           {why}"]

    @property
    def has_warnings(self) -> bool:
        return bool(self._warnings())

    def meets_confidence(self, threshold: float = _DEFAULT_CONFIDENCE) -> bool:
        """Whether IQR / median is under ``threshold``."""
        return self._stats().spread < threshold

    @property
    def title(self) -> str:
        return self.task_spec.title

    @property
    def env(self) -> str | None:
        # torch's property means to say "Unspecified env" but, through a typo, gives the raw field
        return self.task_spec.env

    @property
    def as_row_name(self) -> str:
        """What names the row in :class:`Compare`: the sub-label, else the statement."""
        spec = self.task_spec
        return spec.sub_label or spec.stmt or "[Unknown]"

    def __repr__(self) -> str:
        stats = self._stats()
        n = len(stats.ordered)
        unit, scale = select_unit(stats.median)
        # torch's first line names the class where torch keeps it; under the runner it reads the same
        where = "torch.utils.benchmark.utils.common" if _display.name == "torch" else "kittygrad.utils.benchmark"
        lines = [f"<{where}.Measurement object at {hex(id(self))}>",
                 self.task_spec.summarize(),
                 f"  {'Median: ' if n > 1 else ''}{stats.median / scale:.2f} {unit}"]
        if n >= 4:
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} ({stats.p25 / scale:.2f} to {stats.p75 / scale:.2f})")
        runs = f"{self.number_per_run} runs {'per measurement,' if n > 1 else ','}"
        threads = f"{self.num_threads} thread{'s' if self.num_threads > 1 else ''}"
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {runs} {threads}")
        lines.extend(self._warnings())
        return "\n".join(lines).strip()

    @staticmethod
    def merge(measurements: Iterable[Measurement]) -> list[Measurement]:
        """One measurement per task, pooling the replicates' per-execution times (``number_per_run=1``;
        metadata is dropped as it may differ between replicates).

        >>> spec = TaskSpec("pass", "pass")
        >>> [m.times for m in Measurement.merge([Measurement(1, [1.0], spec), Measurement(2, [4.0], spec)])]
        [[1.0, 2.0]]
        """
        pooled: dict[TaskSpec, list[float]] = collections.defaultdict(list)
        for m in measurements:
            pooled[m.task_spec].extend(m.times)
        return [Measurement(1, times, spec) for spec, times in pooled.items()]


def select_unit(t: float) -> tuple[str, float]:
    """The unit that shows ``t`` seconds with 1 to 3 leading digits, and its scale.

    >>> select_unit(2.5e-6)
    ('us', 1e-06)
    """
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(int(math.log10(t) // 3) if t > 0 else -4, "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


def unit_to_english(u: str) -> str:
    """The unit's English name.

    >>> unit_to_english("us")
    'microsecond'
    """
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x: float, n: int) -> float:
    """``x`` rounded to ``n`` significant figures.

    >>> trim_sigfig(3.14159, 2)
    3.1
    """
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    scale = 10.0 ** (math.ceil(math.log10(abs(x))) - n)
    return float(round(x / scale) * scale)


def ordered_unique(elements: Iterable[Any]) -> list[Any]:
    """The distinct elements in first-seen order.

    >>> ordered_unique([3, 1, 3, 2])
    [3, 1, 2]
    """
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` intra-op threads, restoring the previous count afterwards.

    >>> with set_torch_threads(1): pass
    """
    before = blas_threads.get_num_threads()
    if n == before:
        yield
        return
    try:
        blas_threads.set_num_threads(n)
    except RuntimeError:  # no threadpoolctl: the thread count cannot be changed, time as it is
        yield
        return
    try:
        yield
    finally:
        blas_threads.set_num_threads(before)
