"""``set_float32_matmul_precision`` / ``get_float32_matmul_precision``, as torch.

torch lets float32 matrix products use TF32 or bfloat16 passes on GPUs ("high", "medium").
NumPy's float32 matmul has one precision (full float32, "highest"), so kittygrad stores the
setting for code that reads it back, and computes as before whatever it is.

>>> import kittygrad as kitty
>>> kitty.get_float32_matmul_precision()
'highest'
"""
from __future__ import annotations

import warnings

from .errors import KittyRuntimeError

_PRECISIONS = ("highest", "high", "medium")
_precision = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """Store the float32 matmul precision ("highest", "high" or "medium"); NumPy computes at full float32 anyway.

    An unknown value warns and changes nothing, as torch.

    >>> import kittygrad as kitty
    >>> kitty.set_float32_matmul_precision("high"); kitty.get_float32_matmul_precision()
    'high'
    >>> kitty.set_float32_matmul_precision("highest")
    """
    if not isinstance(precision, str):
        raise KittyRuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "setFloat32MatmulPrecision call has no effect.",
            UserWarning, stacklevel=2,
        )
        return
    _precision[0] = precision


def get_float32_matmul_precision() -> str:
    """The stored float32 matmul precision ("highest" unless set).

    >>> import kittygrad as kitty
    >>> kitty.get_float32_matmul_precision()
    'highest'
    """
    return _precision[0]
