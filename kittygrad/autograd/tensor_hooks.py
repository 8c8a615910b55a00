"""Tensor hooks (``register_hook``) and ``retain_grad``, and how both follow a view whose base
changed in place.

A hook sits on the node its tensor's gradient flows into (torch's tensor pre-hook); a leaf keeps
its hooks itself, for AccumulateGrad. A view whose base (or another view of it) was written in
place has a stale grad_fn that is re-derived only when the view is next used (``_refresh_view``):
deriving it at ``register_hook`` would record a use of the base that, under the seed's locks, a
view nobody uses again would hold forever. So the view keeps such hooks (and its retain_grad) as
pending, and they move onto the re-derived node, where torch puts them too.
"""
from __future__ import annotations

import weakref

from ..errors import KittyRuntimeError
from .accumulation import hook_result
from .engine import retarget_retained
from .hooks import RemovableHandle

__all__ = ["register_hook", "retain_grad", "view_refreshed"]


def _pending(t) -> bool:
    """``t`` is a view whose grad_fn will be re-derived from a base that requires grad."""
    view = t._view
    return (
        view is not None and t._view_version != t._vc[0] and view[0]._requires_grad
        and t._multi_view is None and not t._no_grad_view  # (those refuse re-deriving: let them raise now)
    )


def _node_hook(hooks: dict, nr: int):
    """A node pre-hook that runs the tensor hooks in ``hooks`` (handle id -> hook; a removed
    handle drops its entry) on the node's gradient ``nr``."""

    def node_hook(grads):
        g = grads[nr]
        if g is None or not hooks:
            return None
        for hook in list(hooks.values()):
            g = hook_result(hook, g, hook(g))
        out = list(grads)
        out[nr] = g
        return tuple(out)

    node_hook.tensor_hook = True  # runs before the node's own pre-hooks (torch's order)
    return node_hook


def register_hook(t, hook) -> RemovableHandle:
    """``Tensor.register_hook``."""
    if not t.requires_grad:
        raise KittyRuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if _pending(t) or t.grad_fn is None:  # a leaf, or a view whose node is not derived yet
        if t._hooks is None:
            t._hooks = {}
        handle = RemovableHandle(t._hooks)
        t._hooks[handle.id] = hook
        return handle
    return t._grad_fn.register_prehook(_node_hook({0: hook}, t._output_nr))


def retain_grad(t) -> None:
    """``Tensor.retain_grad``."""
    if _pending(t):
        t._retains_grad = True  # (view_refreshed points the re-derived node at t)
        t._retain_version = t._vc[0]
        return
    node = t.grad_fn
    if node is None:
        if not t._requires_grad:
            raise KittyRuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        return
    t._retains_grad = True
    t._retain_version = t._vc[0]
    node._retained = weakref.ref(t)
    node._retained_nr = t._output_nr


def view_refreshed(t, node, nr: int) -> None:
    """The view ``t`` is about to get its re-derived ``(node, nr)``: its retained gradient and
    pending hooks follow (hooks on its old node stay there, as in torch)."""
    if t._retains_grad:
        retarget_retained(t, node)
        node._retained_nr = nr
    hooks = t._hooks
    if hooks:
        t._hooks = None
        node.register_prehook(_node_hook(hooks, nr))
