"""The op table: every family's rows (``tests/ops/test_<family>.py``), for the checks that run
across families (double backward, the saved-value audits, the fuzzer, coverage).

A row's ``fn(lib, *tensors)`` is called with ``lib = kittygrad`` and with ``lib = torch``; see
``tests/ops/_row_helpers.py`` for what a row declares.
"""
from __future__ import annotations

import importlib
import pathlib

from _row_helpers import Row  # noqa: F401  (re-exported for the checks that build rows)

ROWS: list = []
for _path in sorted((pathlib.Path(__file__).parent / "ops").glob("test_*.py")):
    if _path.stem != "test_op_coverage":  # the coverage checks read this table
        ROWS.extend(importlib.import_module(_path.stem).ROWS)
