"""Typed errors and warnings.

kittygrad raises the built-in exceptions PyTorch raises for the same misuse (RuntimeError,
TypeError, ValueError, IndexError); each also derives from :class:`KittygradError`, so
``except kitty.KittygradError`` catches everything the library raises on purpose.
"""
from __future__ import annotations

import os
import sys
import warnings

from . import _display


class KittygradError(Exception):
    """Base class of every error kittygrad raises on purpose."""

    def __reduce__(self):
        reduced = super().__reduce__()
        if type(self).__module__ != "builtins":
            return reduced
        # under kittygrad.run the classes below print as the built-ins torch raises (their module
        # reads "builtins"), where pickle would find the built-in class, not this one
        return (_rebuild_error, (type(self).__name__, self.args)) + reduced[2:]


def _rebuild_error(name: str, args: tuple) -> KittygradError:
    """The error of this module's class ``name`` (the pickled form of a renamed error)."""
    return getattr(sys.modules[__name__], name)(*args)


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


def hinted(message: str, hint: str) -> str:
    """``message`` (torch's words) with kittygrad's hint on a second line: what to do about it.
    Under ``python -m kittygrad.run`` it is torch's message alone, as a script that prints the
    error sees it under torch.

    >>> hinted("grad can be implicitly created only for scalar outputs", "reduce it first")
    'grad can be implicitly created only for scalar outputs\\n(reduce it first)'
    """
    if _display.name == "torch":
        return message
    return f"{message}\n({hint})"


class BackwardGraphWarning(UserWarning):
    """The backward pass did something the user probably did not mean (see the seed's locks)."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside kittygrad (the user's line,
    however many kittygrad calls lie between)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


_SCALAR_OF_GRAD = (
    "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
    "Consider using tensor.detach() first."
)
_scalar_of_grad_warned = False


def warn_scalar_of_grad(tensor) -> None:
    """torch's warning, once a process, that ``float()`` of a tensor requiring grad drops the graph.

    Only a call from outside kittygrad warns: torch's own scalar reads happen in C++ and never
    reach its ``__float__``, so kittygrad's internal ``float(t)`` must neither warn nor spend the once.
    """
    global _scalar_of_grad_warned
    if _scalar_of_grad_warned or not tensor.requires_grad:
        return
    if sys._getframe(2).f_code.co_filename.startswith(_PACKAGE_DIR):
        return
    _scalar_of_grad_warned = True
    warnings.warn(_SCALAR_OF_GRAD, UserWarning, stacklevel=3)


#: torch's refusal of ``detach_()`` on a view (its DDP advice included: the text is torch's)
DETACH_VIEW_MESSAGE = (
    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for "
    "training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence "
    "detach_() cannot be called on these gradients. To fix this error, please refer to the "
    "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
)
