"""Removable handles for hooks (tensor, node and module hooks)."""
from __future__ import annotations

import itertools

_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_*_hook``; ``handle.remove()`` unregisters the hook.

    >>> hooks = {}
    >>> h = RemovableHandle(hooks); hooks[h.id] = print
    >>> h.remove(); hooks
    {}
    """

    def __init__(self, hooks_dict: dict) -> None:
        self.id = next(_ids)
        self._hooks = hooks_dict

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def register_node_hook(node, hook) -> RemovableHandle:
    """``Node.register_hook``: call ``hook(grad_inputs, grad_outputs)`` after the node's backward;
    a non-None result replaces ``grad_inputs`` (torch.autograd.graph.Node.register_hook).

    >>> import kittygrad as kitty
    >>> a = kitty.tensor([1., 2.], requires_grad=True)
    >>> h = (a * 2).grad_fn.register_hook(lambda gi, go: None); h.remove()
    """
    if node._post_hooks_node is None:
        node._post_hooks_node = {}
    handle = RemovableHandle(node._post_hooks_node)
    node._post_hooks_node[handle.id] = hook
    return handle
