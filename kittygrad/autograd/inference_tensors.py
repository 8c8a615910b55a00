"""Inference tensors: what ``inference_mode`` makes, reported by ``Tensor.is_inference()``.

A tensor created inside ``inference_mode`` (by a factory or an op) is an inference tensor, as in
torch; a view of an ordinary tensor stays ordinary, and so does an ordinary tensor changed in place.
The marking is an observer of the op dispatch (``function.observers``) installed only while some
thread is inside an inference region, so ordinary code pays nothing for it.

Outside inference mode kittygrad refuses, as torch, ``requires_grad_()`` on an inference tensor,
saving one for backward (an op whose gradient reads it: ``w * t``, not ``w + t``) and updating one
in place (``t.add_(1)``, ``t[0] = 1``, ``t.zero_()``; the write happens first, as in torch): views
of an inference tensor are inference tensors too (its ``detach()`` may still be written, as torch's).

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
from .refusals import Unversioned


def _unversioned(t) -> None:
    """Make ``t`` an inference tensor: one with no version counter that in-place writes may bump
    outside inference mode (``refusals.Unversioned``)."""
    t._inference = True
    if type(t._vc) is list:  # (a view of an inference tensor shares its counter already)
        t._vc = Unversioned(t._vc)


_regions = 0  # inference regions open, over all threads
_regions_lock = threading.Lock()


def _mark_outputs(kind, name, node, inputs, outputs) -> None:
    if not _state.inference or kind == "inplace":  # another thread's op; or a write into an existing tensor
        return
    for out in outputs:
        view = out._view
        if view is None or view[0]._inference:
            _unversioned(out)


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
        _unversioned(tensor)


_grad_mode.region_hooks.append(_region)
