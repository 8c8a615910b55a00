"""``kittygrad.backends.openmp``: OpenMP, which kittygrad does not use (its threads are its BLAS's).

>>> import kittygrad as kitty
>>> kitty.backends.openmp.is_available()
False
"""
from __future__ import annotations


def is_available() -> bool:
    """False: kittygrad runs no OpenMP parallel regions of its own.

    >>> import kittygrad as kitty
    >>> kitty.backends.openmp.is_available()
    False
    """
    return False
