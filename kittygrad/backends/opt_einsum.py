"""``torch.backends.opt_einsum``: whether ``einsum`` plans its contraction order with the
``opt_einsum`` package. kittygrad's einsum hands three or more operands to NumPy's ``einsum`` with
``optimize=True`` (NumPy's own planner, which follows opt_einsum's ideas), so the flags report
whether the package is installed, as torch's do, and setting them changes nothing.

>>> import kittygrad as kitty
>>> kitty.backends.opt_einsum.is_available() in (True, False)
True
"""
from __future__ import annotations

import importlib.util


def is_available() -> bool:
    """Whether the ``opt_einsum`` package can be imported.

    >>> is_available() in (True, False)
    True
    """
    return importlib.util.find_spec("opt_einsum") is not None


def get_opt_einsum():
    """The ``opt_einsum`` module, or None when it is not installed."""
    return importlib.import_module("opt_einsum") if is_available() else None


enabled: bool = is_available()
strategy = "auto" if enabled else None
