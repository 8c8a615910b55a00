"""Forward hooks every module runs (torch.nn.modules.module.register_module_forward_pre_hook and
register_module_forward_hook), and the handle module hooks return.

A global hook runs before the module's own hooks of the same kind, on every module call.

>>> import kittygrad as kitty
>>> seen = []
>>> h = register_module_forward_hook(lambda mod, args, out: seen.append(type(mod).__name__))
>>> _ = kitty.nn.Sequential(kitty.nn.ReLU())(kitty.ones(1)); h.remove()
>>> seen
['ReLU', 'Sequential']
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from ...autograd.hooks import RemovableHandle

__all__ = ["register_module_forward_hook", "register_module_forward_pre_hook"]

#: the hooks of every module call, by handle id, in the order they run
global_forward_pre_hooks: OrderedDict = OrderedDict()
global_forward_hooks: OrderedDict = OrderedDict()
#: (with_kwargs, always_call) of the global forward hooks registered with either
global_hook_options: dict = {}


def register_module_forward_pre_hook(hook: Callable[..., None]) -> RemovableHandle:
    """Call ``hook(module, args)`` before the ``forward`` of every module, ahead of the module's own
    forward pre-hooks; a non-None result replaces the args.

    >>> import kittygrad as kitty
    >>> h = register_module_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    >>> kitty.nn.Identity()(kitty.ones(1))
    tensor([2.])
    >>> h.remove()
    """
    handle = RemovableHandle(global_forward_pre_hooks, extra_dict=global_hook_options)
    global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook: Callable[..., None], *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """Call ``hook(module, args, output)`` after the ``forward`` of every module, ahead of the
    module's own forward hooks; a non-None result replaces the output. ``with_kwargs`` passes the
    keyword arguments too (``hook(module, args, kwargs, output)``); ``always_call`` runs the hook
    even when ``forward`` raised.

    >>> import kittygrad as kitty
    >>> h = register_module_forward_hook(lambda mod, args, out: out + 1)
    >>> kitty.nn.Identity()(kitty.zeros(1))
    tensor([1.])
    >>> h.remove()
    """
    handle = RemovableHandle(global_forward_hooks, extra_dict=global_hook_options)
    global_forward_hooks[handle.id] = hook
    if with_kwargs or always_call:
        global_hook_options[handle.id] = (with_kwargs, always_call)
    return handle
