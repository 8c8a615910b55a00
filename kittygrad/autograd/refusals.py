"""The errors torch raises for in-place changes it refuses and tensors it will not save for backward:
through (or beside) a view it will not rebase, and for inference tensors (``inference_mode``'s
output) outside inference mode.

Kept apart from ``function`` and ``inference_tensors`` (which import these) so that neither grows
an import of the other.
"""
from __future__ import annotations

from ..errors import KittyRuntimeError
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
