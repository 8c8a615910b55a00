"""What the built-in optimizers share: a step that updates each parameter on its own.

A built-in optimizer only says how one parameter moves: :meth:`PerParamOptimizer._step_param`
receives the parameter's array (to update in place), its gradient's array, its state dict and
its group. The loop over groups, the skipping of parameters without a gradient, the lazy
creation of state and the version bump live here once.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import backend as B
from ..errors import KittyRuntimeError
from ..tensor import Tensor
from .optimizer import Optimizer, step_counter

__all__ = ["PerParamOptimizer", "as_float", "step_counter", "tick", "zeros_for"]


def as_float(x) -> float:
    """A hyper-parameter as a Python number (a one-element tensor is read, as torch accepts).

    >>> as_float(0.5)
    0.5
    """
    return float(x.item()) if isinstance(x, Tensor) else x


def zeros_for(param: Tensor) -> Tensor:
    """A zero state buffer shaped and typed like ``param``.

    >>> import kittygrad as kitty
    >>> zeros_for(kitty.ones(2)).tolist()
    [0.0, 0.0]
    """
    return Tensor._wrap(B.xp.zeros_like(param._data))


#: torch's refusal of a step count kept as a plain number
PLAIN_STEP_ERROR = "API has changed, `state_steps` argument must contain a list of singleton tensors"


def tick(state: dict, plain_step_error: str | None = PLAIN_STEP_ERROR) -> float:
    """Advance ``state["step"]`` in place and return the new count as a float.

    A count kept as a plain number (A3C's SharedAdam sets ``state['step'] = 0`` by hand, as torch
    before 1.12 kept it) is refused with torch's ``plain_step_error``; where that is None (ASGD)
    torch counts on from it without storing the count back, and so does this.

    >>> s = {"step": step_counter()}; tick(s), tick(s)
    (1.0, 2.0)
    """
    if not isinstance(state["step"], Tensor):
        if plain_step_error is None:
            return float(state["step"]) + 1
        raise KittyRuntimeError(plain_step_error)
    count = state["step"]._data
    count += 1
    return float(count)


class PerParamOptimizer(Optimizer):
    """Base of optimizers whose update of a parameter needs only that parameter.

    Subclasses implement ``_step_param(data, grad, state, group)`` and, when they keep state,
    ``_fresh_state(param, group)``; ``step`` is written once here.

    >>> import kittygrad as kitty
    >>> class PlainSGD(PerParamOptimizer):
    ...     def __init__(self, params, lr=0.1):
    ...         super().__init__(params, {"lr": lr})
    ...     def _step_param(self, data, grad, state, group):
    ...         data -= group["lr"] * grad
    >>> w = kitty.tensor([1.0, -1.0], requires_grad=True)
    >>> (w * w).sum().backward(); PlainSGD([w]).step(); w
    tensor([ 0.8000, -0.8000], requires_grad=True)
    """

    def _fresh_state(self, param: Tensor, group: dict[str, Any]) -> dict | None:
        """The state of a parameter's first update (``None``: this optimizer keeps none)."""
        return None

    def _step_param(self, data, grad, state: dict | None, group: dict[str, Any]) -> None:
        raise NotImplementedError

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state.get(p)  # .get: a parameter never updated gets no (empty) entry
                if not state:
                    fresh = self._fresh_state(p, group)
                    if fresh is not None:
                        state = self.state[p] = fresh
                self._step_param(p._data, p._grad._data, state, group)
                p._vc[0] += 1
        return loss
