"""Inference tensors: what ``inference_mode`` makes, reported by ``Tensor.is_inference()``.

A tensor created inside ``inference_mode`` (by a factory or an op) is an inference tensor, as in
torch; a view of an ordinary tensor stays ordinary, and so does an ordinary tensor changed in place.
The marking is an observer of the op dispatch (``function.observers``) installed only while some
thread is inside an inference region, so ordinary code pays nothing for it.

kittygrad refuses, as torch, ``requires_grad_()`` on an inference tensor outside inference mode;
torch also refuses to save an inference tensor for backward or to update one in place outside
inference mode, which kittygrad allows.

>>> import kittygrad as kitty
>>> with kitty.inference_mode():
...     y = kitty.ones(2) * 2
>>> y.is_inference(), (kitty.ones(2) * 2).is_inference()
(True, False)
"""
from __future__ import annotations

import threading

from . import function as _function
from . import grad_mode as _grad_mode
from .grad_mode import _state

_regions = 0  # inference regions open, over all threads
_regions_lock = threading.Lock()


def _mark_outputs(kind, name, node, inputs, outputs) -> None:
    if not _state.inference or kind == "inplace":  # another thread's op; or a write into an existing tensor
        return
    for out in outputs:
        view = out._view
        if view is None or view[0]._inference:
            out._inference = True


def _region(step: int) -> None:
    """An inference region opened (+1) or closed (-1): the marking observer is installed while any is open."""
    global _regions
    with _regions_lock:
        _regions += step
        installed = _mark_outputs in _function.observers
        if _regions > 0 and not installed:
            _function.observers.append(_mark_outputs)
        elif _regions == 0 and installed:
            _function.observers.remove(_mark_outputs)


def mark_created(tensor) -> None:
    """Mark a tensor a factory just made, when made inside an inference region."""
    if _state.inference:
        tensor._inference = True


_grad_mode.region_hooks.append(_region)
