"""``Compare``: a table of measurements, one per label, with a row per (threads, env, sub_label)
and a column per description, as torch prints it."""
from __future__ import annotations

import collections
import dataclasses
import enum
import math
from typing import NamedTuple

from ...errors import KittyValueError
from ._measurement import Measurement, ordered_unique, select_unit, trim_sigfig, unit_to_english

__all__ = ["Colorize", "Compare"]

_BEST, _GOOD, _BAD, _VERY_BAD = "\033[92m", "\033[34m", "\033[2m\033[91m", "\033[31m"
_BOLD, _END = "\033[1m", "\033[0m"


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


def _paint(text: str, value: float, best: float) -> str:
    """Green for the best (within 1% or 100 ns), blue within 10%, red from twice as slow."""
    if value <= best * 1.01 or value <= best + 100e-9:
        return _BEST + _BOLD + text + _END * 2
    if value <= best * 1.1:
        return _GOOD + _BOLD + text + _END * 2
    if value >= best * 5:
        return _VERY_BAD + _BOLD + text + _END * 2
    if value >= best * 2:
        return _BAD + text + _END * 2
    return text


class _RowKey(NamedTuple):
    """Where a measurement goes: rows are grouped by thread count, then env, then named."""

    threads: int
    env: str | None
    name: str

    @classmethod
    def of(cls, m: Measurement) -> _RowKey:
        return cls(threads=m.num_threads, env=m.env, name=m.as_row_name)


@dataclasses.dataclass
class _Style:
    """How :class:`Compare` prints, as its option methods set it."""

    trim: bool = False
    colorize: Colorize = Colorize.NONE
    highlight: bool = False


class _Table:
    """One label's measurements laid out: rows grouped by thread count, a shared time unit."""

    def __init__(self, results: list[Measurement], colorize: Colorize, trim: bool, highlight: bool) -> None:
        self.results, self.colorize, self.trim = results, colorize, trim
        self.highlight = highlight and any(r.has_warnings for r in results)
        self.label = results[0].label
        self.unit, self.scale = select_unit(min(r.median for r in results))
        # rows keep first-seen order within a thread count and env
        self.row_keys: list[_RowKey] = sorted(ordered_unique(_RowKey.of(r) for r in results), key=lambda k: (k.threads, k.env))
        self.col_keys = ordered_unique(r.description for r in results)
        self.grid: list[list[Measurement | None]] = [[None] * len(self.col_keys) for _ in self.row_keys]
        rows = {k: i for i, k in enumerate(self.row_keys)}
        cols = {k: j for j, k in enumerate(self.col_keys)}
        for r in results:
            self.grid[rows[_RowKey.of(r)]][cols[r.description]] = r
        self.groups = [i for i, k in enumerate(self.row_keys) if i == 0 or k.threads != self.row_keys[i - 1].threads]
        self.formats = [self._column_format(j) for j in range(len(self.col_keys))]

    def _column_format(self, j: int) -> str:
        """A column's number format: width from its largest median, decimals from the weakest
        significant-figure estimate when trimming (one decimal otherwise)."""
        cells = [row[j] for row in self.grid if row[j] is not None]
        digits = [math.ceil(math.log10(m.median / self.scale)) for m in cells]
        decimals = min(max(m.significant_figures - d, 0) for m, d in zip(cells, digits)) if self.trim else 1
        width = max(digits) + decimals + (1 if decimals else 0)
        return f"{{:>{width}.{decimals}f}}{{:>{7 if self.highlight else 0}}}"

    def _cell(self, j: int, m: Measurement | None) -> str:
        fmt = self.formats[j]
        if m is None:
            return " " * len(fmt.format(1.0, ""))
        value = m.median / self.scale
        if self.trim:
            value = trim_sigfig(value, m.significant_figures)
        note = f" (! {m.iqr / m.median * 100:.0f}%)" if self.highlight and m.has_warnings else ""
        return fmt.format(value, note)

    def render(self) -> str:
        envs = {r.env for r in self.results}
        show_env = len(envs) > 1
        env_width = max(len(e) for e in envs) if show_env else 0
        table = [[""] + [str(c) if c is not None else "" for c in self.col_keys]]
        for i, (key, row) in enumerate(zip(self.row_keys, self.grid)):
            first = next(m for m in row if m is not None)
            new_env = show_env and (i in self.groups or key.env != self.row_keys[i - 1].env)
            env = (f"({first.env})" if new_env else "").ljust(env_width + 4)
            table.append(["  " + env + first.as_row_name] + [self._cell(j, m) for j, m in enumerate(row)])
        widths = [max(len(r[c]) for r in table) for c in range(len(table[0]))]
        header = "  |  ".join(cell.center(w) for cell, w in zip(table[0], widths))
        lines = [header]
        for i, (cells, row) in enumerate(zip(table[1:], self.grid)):
            if i in self.groups:
                lines.append(f"{self.row_keys[i].threads} threads: ".ljust(len(header), "-"))
            lines.append("  |  ".join(self._finish(i, cells, widths, row)))
        title = f" {self.label or ''} ".center(len(header) - 2, "-")
        warn = ("(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n"
                if self.highlight else "")
        return f"[{title}]\n" + "\n".join(lines) + f"\n\nTimes are in {unit_to_english(self.unit)}s ({self.unit}).\n{warn}"

    def _finish(self, i: int, cells: list[str], widths: list[int], row: list[Measurement | None]) -> list[str]:
        out = [cells[0].ljust(widths[0])]
        if self.colorize is Colorize.ROWWISE:
            best = [min(m.median for m in row if m is not None)] * len(row)
        elif self.colorize is Colorize.COLUMNWISE:
            group = max(g for g in self.groups if g <= i)
            end = next((g for g in self.groups if g > i), len(self.grid))
            best = [min((r[j].median for r in self.grid[group:end] if r[j] is not None), default=None)
                    for j in range(len(row))]
        else:
            best = [None] * len(row)
        for text, width, m, b in zip(cells[1:], widths[1:], row, best):
            text = text.center(width)
            out.append(_paint(text, m.median, b) if m is not None and b is not None else text)
        return out


class Compare:
    """Print measurements as tables: one per label, a row per sub_label (grouped by thread count),
    a column per description; replicates of a task are merged.

    >>> from kittygrad.utils.benchmark import Measurement, TaskSpec
    >>> ms = [Measurement(1, [t * 1e-6], TaskSpec("f()", "pass", label="f", sub_label=s, description=d))
    ...       for t, s, d in [(1.5, "a", "n=1"), (2.25, "a", "n=2"), (3.0, "b", "n=1"), (3.5, "b", "n=2")]]
    >>> print(Compare(ms))
    [--------- f ---------]
             |  n=1  |  n=2
    1 threads: ------------
          a  |  1.5  |  2.2
          b  |  3.0  |  3.5
    <BLANKLINE>
    Times are in microseconds (us).
    <BLANKLINE>
    """

    def __init__(self, results: list[Measurement]) -> None:
        self._results: list[Measurement] = []
        self._style = _Style()
        self.extend_results(results)

    def __str__(self) -> str:
        return "\n".join(table.render() for table in self._tables())

    def extend_results(self, results: list[Measurement]) -> None:
        """Add more measurements (all of them checked first, so a bad one adds none)."""
        for r in results:
            if not isinstance(r, Measurement):
                raise KittyValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results += results

    def trim_significant_figures(self) -> None:
        """Show only the figures each measurement's spread supports."""
        self._style.trim = True

    def colorize(self, rowwise: bool = False) -> None:
        """Colour cells against the best of their column (or row)."""
        self._style.colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self) -> None:
        """Mark noisy measurements with their IQR / median."""
        self._style.highlight = True

    def print(self) -> None:
        """Print the tables."""
        print(str(self))

    def _tables(self) -> list[_Table]:
        """One table per label, in first-seen order, over the merged replicates."""
        by_label: dict[str | None, list[Measurement]] = collections.defaultdict(list)
        for m in Measurement.merge(self._results):
            by_label[m.label].append(m)
        style = self._style
        return [_Table(group, style.colorize, style.trim, style.highlight) for group in by_label.values()]
