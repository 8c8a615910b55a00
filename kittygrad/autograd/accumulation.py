"""Where a gradient lands and what sees it on the way: a leaf's ``.grad`` (AccumulateGrad's
work, in place as torch, or keeping its graph under create_graph), tensor hooks and their checks,
``retain_grad``, and a node's pre- and post-hooks. The engine's walks call these; they hold no
state of their own.
"""
from __future__ import annotations

import warnings

from .. import backend as B
from ..errors import BackwardGraphWarning, KittyRuntimeError, KittyTypeError, user_stacklevel
from .graph_array import GraphArray
from .semantics import mode as _mode

Tensor = None  # set by kittygrad.tensor


def hook_result(hook, old, new):
    """What a tensor hook returned, checked as torch checks it: a gradient of another size or dtype
    would silently corrupt the sums downstream, so it is an error naming the hook."""
    if new is None:
        return old
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(new, Tensor):
        raise KittyTypeError(f"hook '{name}' returned {type(new).__name__}: expected a Tensor or None")
    if new.shape != old.shape:
        raise KittyRuntimeError(f"hook '{name}' has changed the size of value")
    if new.dtype != old.dtype:
        raise KittyRuntimeError(f"hook '{name}' has changed the type of value (was {old.type()} got {new.type()})")
    return new


def _accumulate_into(tensor, grad, hooks: bool = True) -> None:
    if type(grad) is GraphArray:
        _accumulate_graph(tensor, grad.t, hooks)
        return
    data = tensor._data
    if grad.dtype != data.dtype:
        grad = grad.astype(data.dtype)
    if tensor._hooks and hooks:
        g = Tensor._wrap(grad)
        for hook in list(tensor._hooks.values()):
            g = hook_result(hook, g, hook(g))
        grad = g._data
    current = tensor._grad
    if current is None:
        # own the memory (the incoming array may be shared with another branch's gradient), in the leaf's layout
        tensor._grad = Tensor._wrap(B.grad_like(grad, data))
    elif current._data.shape == grad.shape and current._data.flags.writeable:
        current._data += grad  # in place, as torch: references to .grad see the sum
    else:
        current._data = current._data + grad
    if tensor._post_hooks:
        for hook in list(tensor._post_hooks.values()):
            hook(tensor)


def _leaf_hooks(node, grad):
    """A leaf's tensor hooks on a gradient that autograd.grad returns instead of accumulating."""
    tensor = node._tensor_ref()
    if tensor is None or not tensor._hooks:
        return grad
    graph = type(grad) is GraphArray
    g = grad.t if graph else Tensor._wrap(grad)
    for hook in list(tensor._hooks.values()):
        g = hook_result(hook, g, hook(g))
    return GraphArray(g) if graph else g._data


def _accumulate_graph(tensor, grad, hooks: bool = True) -> None:
    """create_graph=True: ``.grad`` keeps the gradient's own graph (added out of place)."""
    if grad.dtype != tensor.dtype:
        grad = grad.to(tensor.dtype)
    if tensor._hooks and hooks:
        for hook in list(tensor._hooks.values()):
            grad = hook_result(hook, grad, hook(grad))
    current = tensor._grad
    tensor._grad = grad if current is None else current + grad
    if tensor._post_hooks:
        for hook in list(tensor._post_hooks.values()):
            hook(tensor)


def _to_tensors(grads):
    return [None if g is None else g.t if type(g) is GraphArray else Tensor._wrap(g) for g in grads]


def _from_tensors(tensors, graph: bool):
    if graph:
        return [GraphArray(t) if t is not None else None for t in tensors]
    return [t._data if t is not None else None for t in tensors]


def _run_pre_hooks(node, grads, hooks=None):
    graph = any(type(g) is GraphArray for g in grads)
    tensors = _to_tensors(grads)
    for hook in list(node._pre_hooks.values()) if hooks is None else hooks:
        new = hook(tuple(tensors))
        if new is not None:
            tensors = list(new)
    return _from_tensors(tensors, graph)


def _before_node(node, grads, accumulate: bool):
    """What runs on a node's incoming gradients before its backward, in torch's order: the hooks
    of the tensors it produced (``Tensor.register_hook``), then ``retain_grad``'s ``.grad``, then
    the node's own pre-hooks (``Node.register_prehook``)."""
    node_hooks = None
    if node._pre_hooks:
        hooks = list(node._pre_hooks.values())
        tensor_hooks = [h for h in hooks if getattr(h, "tensor_hook", False)]
        node_hooks = [h for h in hooks if not getattr(h, "tensor_hook", False)]
        if tensor_hooks:
            grads = _run_pre_hooks(node, grads, tensor_hooks)
    retained = node._retained
    if retained is not None and accumulate:
        t = retained()
        if t is not None:
            if t._vc[0] != t._retain_version and _mode.seed:
                warnings.warn(
                    "An attempt to assign a gradient to a tensor with retains_grad=True that was "
                    f"modified by an inplace operation after retain_grad() was called (version "
                    f"{t._retain_version}, now {t._vc[0]}): its .grad is the gradient of its new "
                    "value, as in PyTorch. Call retain_grad() again after the in-place change to "
                    "silence this.",
                    BackwardGraphWarning,
                    stacklevel=user_stacklevel(),
                )
                t._retain_version = t._vc[0]  # (said once)
            _accumulate_into(t, grads[node._retained_nr])
    if node_hooks:
        grads = _run_pre_hooks(node, grads, node_hooks)
    return grads


def _run_post_hooks(node, input_grads, grads):
    """Node.register_hook: ``hook(grad_inputs, grad_outputs)`` may replace ``grad_inputs``."""
    graph = any(type(g) is GraphArray for g in grads)
    grad_inputs = tuple(_to_tensors(input_grads))
    grad_outputs = tuple(_to_tensors(grads))
    for hook in list(node._post_hooks_node.values()):
        new = hook(grad_inputs, grad_outputs)
        if new is None:
            continue
        # (checked as torch: tuple() of a returned Tensor would silently take its rows as gradients)
        if type(new) is not tuple:
            raise KittyTypeError(f"expected tuple, but hook returned '{type(new).__name__}'")
        if len(new) != len(grad_inputs):
            raise KittyRuntimeError(
                f"hook '{getattr(hook, '__name__', type(hook).__name__)}' has returned an incorrect number of values "
                f"(got {len(new)}, but expected {len(grad_inputs)})"
            )
        grad_inputs = new
    return tuple(_from_tensors(grad_inputs, graph))
