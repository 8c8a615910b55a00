"""The errors torch raises for in-place changes it refuses and tensors it will not save for backward:
through (or beside) a view it will not rebase, and for inference tensors (``inference_mode``'s
output) outside inference mode.

Kept apart from ``function`` and ``inference_tensors`` (which import these) so that neither grows
an import of the other.
"""
from __future__ import annotations

from ..errors import KittyRuntimeError, hinted
from .grad_mode import _state


#: torch's words for the two uses of an inference tensor it refuses outside inference mode
INFERENCE_SAVED_MESSAGE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference "
    "mode in computation tracked by autograd. To work around this, you can make a clone to get a "
    "normal tensor and use it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`."
)
INFERENCE_INPLACE_MESSAGE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to "
    "get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for "
    "more details."
)


class Unversioned(list):
    """The version counter of an inference tensor, shared by its views. torch's inference tensors
    have none, so an in-place change of one outside inference mode is refused where it would be
    counted: after the write, which stays, as in torch (every in-place path bumps the counter)."""

    __slots__ = ()

    def __setitem__(self, i, value) -> None:
        if not _state.inference:
            raise KittyRuntimeError(INFERENCE_INPLACE_MESSAGE)
        list.__setitem__(self, i, value)


def check_inplace_allowed(t) -> None:
    """The refusal for an in-place path that counts no version (``resize_``)."""
    if t._inference and not _state.inference:
        raise KittyRuntimeError(INFERENCE_INPLACE_MESSAGE)


def check_saved_index(index, source) -> None:
    """Refuse, as torch, an inference-tensor index (mask, target) of an op on ``source`` whose
    gradient is recorded: torch saves the index for backward (kittygrad's ops get its array)."""
    # (a Tensor's class answers _inference; an index that is not a Tensor is never asked: inside
    # vmap it may be a batched stand-in, which refuses every attribute it does not know)
    if (_state.enabled and hasattr(type(index), "_inference") and index._inference
            and source.requires_grad):
        raise KittyRuntimeError(INFERENCE_SAVED_MESSAGE)


def view_rebase_error(t, what: str) -> KittyRuntimeError:
    """The error for an in-place change that torch forbids through (or beside) a view ``t`` made
    under no_grad or returned by a multi-view function; ``what`` says what happened to it."""
    if t._multi_view is not None:
        return KittyRuntimeError(
            f"Output of {t._multi_view} (or a view of one) is a view and {what}. This view comes from "
            "a function that returns multiple views, whose outputs must not be modified inplace. "
            "You should replace the inplace operation by an out-of-place one (e.g. out = "
            "out.mul(2) instead of out.mul_(2))."
        )
    return KittyRuntimeError(
        f"A view was created in no_grad mode and {what} with grad mode enabled. Whether that change "
        "should be tracked is ambiguous, so it is refused: make both the view and the in-place "
        "change inside the no_grad block (not tracked), or both outside it (tracked)."
    )


def _check_view_inplace(self, cls, args, others_require) -> None:
    """Refuse, as torch does, an in-place op with grad on through the view ``self``."""
    base = self._view[0]
    self_requires = self._requires_grad or base._requires_grad
    if not (self_requires or others_require):
        return  # nothing is recorded: every view may be written
    if self._multi_view is not None or self._no_grad_view:
        raise view_rebase_error(self, f"is being modified in place ({_opname(cls)}_)")
    if not self_requires:
        return
    if base._grad_fn is None:
        raise KittyRuntimeError(hinted(
            "a view of a leaf Variable that requires grad is being used in an in-place operation.",
            f"{_opname(cls)}_: wrap it in `with kitty.no_grad():` or work on a copy (x.clone()).",
        ))
    if self._grad_fn is None and not self._requires_grad and not _through_a_new_view(cls, args):
        # The base started to require grad (an in-place op on it or on another view of it) after
        # this view was made, and nothing has used the view since. torch re-derives a view's
        # grad_fn only when it is read, and decides "leaf" from the one not yet re-derived: it
        # calls this view a leaf that requires grad. (Using the view once, even just reading
        # .grad_fn, lifts that.) We follow, so that the same programs fail in both.
        raise KittyRuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation.\n"
            f"({_opname(cls)}_: this view was made before its base required grad and has not been used since. Use it "
            "once (e.g. read its .grad_fn) or make the view again from the base."
        )


def _through_a_new_view(cls, args) -> bool:
    """``x[idx] = value`` with an int, slice or None in ``idx`` writes through a fresh view of x
    in torch (so x's grad_fn is re-derived first), not into x itself."""
    if cls._name != "IndexPutBackward":
        return False
    idx = args[1]
    for i in idx if type(idx) is tuple else (idx,):
        if i is None or isinstance(i, slice) or (isinstance(i, int) and not isinstance(i, bool)):
            return True
    return False


def _opname(cls) -> str:
    name = cls._name
    return (name[:-8] if name.endswith("Backward") else name).lower()
