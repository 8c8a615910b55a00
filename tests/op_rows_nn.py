"""Op-table rows for the fused nn primitives in kittygrad/ops/nn_ops.py (see tests/op_table.py)."""
from __future__ import annotations

from op_table import Row  # noqa: F401  (op_table imports this module at its end)

NN_ROWS: list = []
