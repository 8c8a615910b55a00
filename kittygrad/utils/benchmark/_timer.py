"""``Timer``: time a statement with the standard library's :mod:`timeit`, in blocks of runs sized
so that the timer's own cost is negligible, and return a :class:`Measurement`."""
from __future__ import annotations

import enum
import statistics
import sys
import textwrap
import timeit
from collections.abc import Callable
from typing import Any, NoReturn

from ...errors import KittyNotImplementedError, KittyValueError
from ._measurement import Measurement, TaskSpec, set_torch_threads

__all__ = ["Language", "Timer", "timer"]

#: the clock (no accelerator to synchronise)
timer = timeit.default_timer
#: a block is big enough when the timer's overhead is at most this share of it
_MAX_RELATIVE_OVERHEAD = 1e-4
#: timeit's loop counter is a C int
_MAX_BLOCK = 2147483647


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def _tidy(code: str) -> str:
    """Dedented, without a leading newline or trailing blanks (so triple-quoted code reads well)."""
    code = textwrap.dedent(code)
    return (code[1:] if code.startswith("\n") else code).rstrip()


class Timer:
    """Time ``stmt`` after running ``setup`` once, with ``globals`` as its namespace (``torch``
    names kittygrad unless given).

    ``label``, ``sub_label`` and ``description`` only name the measurement (``description`` becomes
    a column of :class:`Compare`); ``num_threads`` is the intra-op thread count while timing.

    >>> m = Timer("sum(x)", setup="x = list(range(10))", label="sum").timeit(100)
    >>> m.number_per_run, len(m.times), m.title
    (100, 1, 'sum')
    """

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer: Callable[[], float] = timer, globals: dict[str, Any] | None = None,  # noqa: A002
                 label: str | None = None, sub_label: str | None = None, description: str | None = None,
                 env: str | None = None, num_threads: int = 1, language: Language | str = Language.PYTHON) -> None:
        if not isinstance(stmt, str):
            raise KittyValueError(f"Currently only a `str` stmt is supported, got {type(stmt).__name__}.")
        if language in (Language.CPP, "cpp", "c++"):
            raise KittyNotImplementedError("Timer: kittygrad times Python statements only (language='python'); "
                                           "C++ statements need torch's compiled extension.")
        if language not in (Language.PYTHON, "py", "python"):
            raise KittyValueError(f"Invalid language `{language}`.")
        if global_setup:
            raise KittyValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely this code can simply "
                                  "be moved to `setup`.")
        # torch's attribute name, read by tests; ``torch`` is there unless the caller says otherwise
        # the ``torch`` a statement sees by default: the kittygrad package, looked up (not imported: the
        # package imports this module) once it is complete
        self._globals = {"torch": sys.modules[__name__.split(".")[0]], **(globals or {})}
        stmt, setup = _tidy(stmt), _tidy(setup)
        self._runner = timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup, label=label,
                                   sub_label=sub_label, description=description, env=env, num_threads=num_threads)

    def _timeit(self, number: int) -> float:
        took = self._runner.timeit(number)
        return took if took > 1e-9 else 1e-9  # a zero reading would break the ratios below

    def timeit(self, number: int = 1000000) -> Measurement:
        """Run ``stmt`` ``number`` times (after a short warm-up): one measurement of ``number`` runs.

        >>> Timer("1 + 1").timeit(10).number_per_run
        10
        """
        with set_torch_threads(self._task_spec.num_threads):
            self._timeit(max(number // 100, 2))  # warm-up: caches, lazy imports
            return Measurement(number_per_run=number, raw_times=[self._timeit(number)], task_spec=self._task_spec)

    def repeat(self, repeat: int = -1, number: int = -1) -> NoReturn:
        """Not offered, as in torch: use :meth:`blocked_autorange`.

        >>> try:
        ...     Timer().repeat()
        ... except NotImplementedError as e:
        ...     print(e)
        See `Timer.blocked_autorange.`
        """
        raise KittyNotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback: Callable[[int, float], Any] | None = None) -> NoReturn:
        """Not offered, as in torch: use :meth:`blocked_autorange`."""
        raise KittyNotImplementedError("See `Timer.blocked_autorange.`")

    def _block_size(self, min_run_time: float) -> int:
        """Runs per block: grow by tens until the timer's overhead is negligible and a block takes
        at least a thousandth of ``min_run_time`` (or the whole of it)."""
        with set_torch_threads(self._task_spec.num_threads):
            overhead = statistics.median(self._timeit(0) for _ in range(5))
            number = 1
            while True:
                took = self._timeit(number)
                if overhead / took <= _MAX_RELATIVE_OVERHEAD and took >= min_run_time / 1000:
                    break
                if took > min_run_time or number * 10 > _MAX_BLOCK:
                    break
                number *= 10
        return number

    def _measure(self, number: int, enough: Callable[[list[float]], bool], min_run_time: float,
                 max_run_time: float | None = None, callback: Callable[[int, float], Any] | None = None) -> list[float]:
        """Time blocks of ``number`` runs until ``min_run_time`` is spent and ``enough`` says so
        (or ``max_run_time`` is spent)."""
        times: list[float] = []
        total, done = 0.0, False
        with set_torch_threads(self._task_spec.num_threads):
            while total < min_run_time or not done:
                took = self._timeit(number)
                times.append(took)
                total += took
                if callback:
                    callback(number, took)
                done = enough(times)
                if max_run_time and total > max_run_time:
                    break
        return times

    def blocked_autorange(self, callback: Callable[[int, float], Any] | None = None,
                          min_run_time: float = 0.2) -> Measurement:
        """Time blocks of runs for at least ``min_run_time`` seconds; the block size makes the
        timer's overhead negligible. ``callback(number, seconds)`` sees each block.

        >>> m = Timer("x * 2", globals={"x": 3}).blocked_autorange(min_run_time=0.01)
        >>> m.number_per_run >= 1 and len(m.times) >= 1
        True
        """
        number = self._block_size(min_run_time)
        times = self._measure(number, lambda _: True, min_run_time, callback=callback)
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01, max_run_time: float = 10.0,
                           callback: Callable[[int, float], Any] | None = None) -> Measurement:
        """Like :meth:`blocked_autorange`, but keep measuring until IQR / median is under
        ``threshold`` (with more than 3 blocks) or ``max_run_time`` is spent.

        >>> Timer("1").adaptive_autorange(max_run_time=0.05).number_per_run >= 1
        True
        """
        number = self._block_size(min_run_time=0.05)

        def steady(times: list[float]) -> bool:
            return len(times) > 3 and Measurement(number, times, self._task_spec).meets_confidence(threshold)

        times = self._measure(number, steady, min_run_time, max_run_time, callback=callback)
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def collect_callgrind(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Instruction counts need valgrind and torch's C++ bindings; kittygrad does not offer them."""
        raise KittyNotImplementedError("Timer.collect_callgrind: kittygrad does not count instructions; "
                                       "use blocked_autorange or adaptive_autorange for wall times.")
