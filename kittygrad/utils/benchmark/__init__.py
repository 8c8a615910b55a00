"""``kittygrad.utils.benchmark`` (as ``torch.utils.benchmark``): time statements with
:class:`Timer`, read the result as a :class:`Measurement` (median, IQR, per-run times), and print
many of them side by side with :class:`Compare`. Built on the standard library's :mod:`timeit`.

>>> from kittygrad.utils import benchmark
>>> m = benchmark.Timer("x + 1", globals={"x": 1}).blocked_autorange(min_run_time=0.01)
>>> m.median > 0
True
"""
from __future__ import annotations

from ._compare import Colorize, Compare
from ._measurement import (
    Measurement,
    TaskSpec,
    ordered_unique,
    select_unit,
    set_torch_threads,
    trim_sigfig,
    unit_to_english,
)
from ._timer import Language, Timer, timer

__all__ = [
    "Timer", "timer", "Language", "Measurement", "TaskSpec", "Compare", "Colorize", "select_unit",
    "unit_to_english", "trim_sigfig", "ordered_unique", "set_torch_threads",
]
