"""Typed errors and warnings.

kittygrad raises the built-in exceptions PyTorch raises for the same misuse (RuntimeError,
TypeError, ValueError, IndexError); each also derives from :class:`KittygradError`, so
``except kitty.KittygradError`` catches everything the library raises on purpose.
"""


class KittygradError(Exception):
    """Base class of every error kittygrad raises on purpose."""


class KittyRuntimeError(KittygradError, RuntimeError):
    pass


class KittyTypeError(KittygradError, TypeError):
    pass


class KittyValueError(KittygradError, ValueError):
    pass


class KittyIndexError(KittygradError, IndexError):
    pass


class KittyNotImplementedError(KittygradError, NotImplementedError):
    """An operation torch does not implement for these dtypes either."""


class BackwardGraphWarning(UserWarning):
    """The backward pass did something the user probably did not mean (see the seed's locks)."""
