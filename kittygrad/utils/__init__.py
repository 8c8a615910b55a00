"""kittygrad.utils (as torch.utils): data loading, checkpointing, benchmarking and ``swap_tensors``."""
from __future__ import annotations

import weakref

from ..errors import KittyRuntimeError
from ..tensor import Tensor
from . import benchmark, checkpoint, data, dlpack, hooks

__all__ = ["benchmark", "checkpoint", "data", "swap_tensors"]

#: what a Tensor keeps in its slots (its array, autograd links and version counter)
_TENSOR_SLOTS = ("_data", "_requires_grad", "_grad_fn", "_output_nr", "_vc", "_view")
_POISONED = (
    "Trying to execute AccumulateGrad node that was poisoned by swap_tensors this can happen when you try to run "
    "backward on a tensor that was swapped. For a module m with `torch.__future__.set_swap_module_params_on_conversion"
    "(True)` you should not change the device or dtype of the module (e.g. `m.cpu()` or `m.half()`) between running "
    "forward and backward. To resolve this, please only change the device/dtype before running forward (or after both "
    "forward and backward)."
)


def _poisoned_ref():
    raise KittyRuntimeError(_POISONED)


def _check_swappable(t: Tensor, name: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"swap_tensors(): {name} must be a Tensor, got {type(t).__name__}")
    acc = t.__dict__.get("_accum")
    own = acc._tensor_ref if acc is not None else None  # the leaf's gradient accumulator may watch it
    if any(ref is not own for ref in weakref.getweakrefs(t)):
        raise KittyRuntimeError(f"Cannot swap {name} because it has weakref associated with it")


def swap_tensors(t1: Tensor, t2: Tensor) -> None:
    """Swap the contents of two tensors in place: each keeps its identity (the Python object) and
    takes the other's data, dtype, shape, ``requires_grad``, ``grad``, class and attributes.

    A leaf already used in a graph can be swapped, but a backward that reaches its old gradient
    accumulator then raises, as in torch.

    >>> import kittygrad as kitty
    >>> a, b = kitty.tensor([1., 2.]), kitty.tensor([3])
    >>> kitty.utils.swap_tensors(a, b); a, b
    (tensor([3]), tensor([1., 2.]))
    """
    _check_swappable(t1, "t1")
    _check_swappable(t2, "t2")
    for t in (t1, t2):
        acc = t.__dict__.pop("_accum", None)
        if acc is not None:
            acc._tensor_ref = _poisoned_ref
    t1.__class__, t2.__class__ = t2.__class__, t1.__class__
    state1, state2 = dict(t1.__dict__), dict(t2.__dict__)
    t1.__dict__.clear()
    t1.__dict__.update(state2)
    t2.__dict__.clear()
    t2.__dict__.update(state1)
    for slot in _TENSOR_SLOTS:
        value1, value2 = getattr(t1, slot), getattr(t2, slot)
        setattr(t1, slot, value2)
        setattr(t2, slot, value1)
