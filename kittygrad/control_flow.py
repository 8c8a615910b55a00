"""torch's structured control flow and asynchronous calls, for eager code: ``cond`` and
``while_loop`` (which torch.compile/export capture as graph operators) run their branches and body
as ordinary Python here; ``fork``/``wait`` (TorchScript's task parallelism) run the call at once
and hand back a completed future. Each gives the results torch gives.

>>> import kittygrad as kitty
>>> kitty.cond(kitty.tensor(True), lambda x: x + 1, lambda x: x - 1, (kitty.ones(2),))
tensor([2., 2.])
"""
from __future__ import annotations

from typing import Any, Callable

from .errors import KittyRuntimeError
from .futures import Future
from .tensor import Tensor

__all__ = ["cond", "while_loop", "fork", "wait"]


def _truth(pred, what: str) -> bool:
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise KittyRuntimeError(f"Expected {what} to be bool or single-element tensor, but got {pred}.")
        return bool(pred.item())
    if isinstance(pred, (bool, int, float)):
        return bool(pred)
    raise KittyRuntimeError(f"Expected {what} to be bool or single-element tensor, but got {pred!r}.")


def cond(pred, true_fn: Callable, false_fn: Callable, operands: tuple | list = ()) -> Any:
    """``true_fn(*operands)`` when ``pred`` holds, else ``false_fn(*operands)``.

    >>> import kittygrad as kitty
    >>> kitty.cond(False, lambda: kitty.ones(1), lambda: kitty.zeros(1))
    tensor([0.])
    """
    if not isinstance(operands, (tuple, list)):
        raise KittyRuntimeError(f"Expect operands to be a tuple or list of tensors, but got {type(operands).__name__}")
    branch = true_fn if _truth(pred, "pred") else false_fn
    return branch(*operands)


def while_loop(cond_fn: Callable, body_fn: Callable, carried_inputs: tuple | list) -> tuple:
    """Apply ``body_fn`` to the carried values while ``cond_fn`` of them holds; the final values.

    >>> import kittygrad as kitty
    >>> kitty.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x * 2), (kitty.tensor(0), kitty.ones(1)))
    (tensor(3), tensor([8.]))
    """
    if not isinstance(carried_inputs, (tuple, list)):
        raise KittyRuntimeError(f"carried_inputs must be a tuple or list, got {type(carried_inputs).__name__}")
    carried = tuple(carried_inputs)
    while _truth(cond_fn(*carried), "cond_fn's result"):
        carried = body_fn(*carried)
        carried = tuple(carried) if isinstance(carried, (tuple, list)) else (carried,)
    return carried


def fork(func: Callable, *args, **kwargs) -> Future:
    """Run ``func(*args, **kwargs)`` and return its completed future (torch may run it on another
    thread; the result is the same).

    >>> import kittygrad as kitty
    >>> kitty.wait(kitty.fork(lambda x: x * 2, kitty.ones(1)))
    tensor([2.])
    """
    future: Future = Future()
    try:
        future.set_result(func(*args, **kwargs))
    except Exception as error:  # delivered by wait(), as torch's future does
        future.set_exception(error)
    return future


def wait(future: Future) -> Any:
    """The value of a future from :func:`fork` (its error raised).

    >>> import kittygrad as kitty
    >>> kitty.wait(kitty.fork(int, "7"))
    7
    """
    return future.wait()
