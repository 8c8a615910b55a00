"""``kittygrad.backends.mkl``: Intel MKL, which kittygrad is not built with (NumPy's BLAS serves).

>>> import kittygrad as kitty
>>> kitty.backends.mkl.is_available()
False
"""
from __future__ import annotations


def is_available() -> bool:
    """False: kittygrad does not call MKL (its linear algebra is NumPy's and its BLAS).

    >>> import kittygrad as kitty
    >>> kitty.backends.mkl.is_available()
    False
    """
    return False
