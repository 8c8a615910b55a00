"""``kittygrad.backends.mps``: Apple's Metal backend, which kittygrad does not have.

>>> import kittygrad as kitty
>>> kitty.backends.mps.is_available(), kitty.backends.mps.is_built()
(False, False)
"""
from __future__ import annotations


def is_available() -> bool:
    """False: kittygrad has no MPS backend.

    >>> import kittygrad as kitty
    >>> kitty.backends.mps.is_available()
    False
    """
    return False


def is_built() -> bool:
    """False: kittygrad is not built with MPS support.

    >>> import kittygrad as kitty
    >>> kitty.backends.mps.is_built()
    False
    """
    return False
