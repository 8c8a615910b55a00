"""``torch.utils.hooks``: the handle every ``register_*_hook`` returns, for code that imports it.

>>> from kittygrad.utils.hooks import RemovableHandle
>>> hooks = {}
>>> handle = RemovableHandle(hooks); hooks[handle.id] = print
>>> handle.remove(); hooks
{}
"""
from __future__ import annotations

import warnings

from ..autograd.hooks import RemovableHandle

__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks"]


def unserializable_hook(hook):
    """Mark a tensor hook as one that saving the tensor should not warn about (returns the hook).

    >>> unserializable_hook(print) is print
    True
    """
    try:
        hook.__torch_unserializable__ = True
    except AttributeError:  # a builtin takes no attributes; the mark is advisory
        pass
    return hook


def warn_if_has_hooks(tensor) -> None:
    """Warn when ``tensor`` has backward hooks that saving it would drop (unless marked unserializable).

    >>> import kittygrad as kitty
    >>> warn_if_has_hooks(kitty.zeros(1))
    """
    for hook in (getattr(tensor, "_hooks", None) or {}).values():
        if not getattr(hook, "__torch_unserializable__", False):
            warnings.warn(f"backward hook {hook!r} on tensor will not be serialized. If using a lambda or a "
                          "local function, mark it with kittygrad.utils.hooks.unserializable_hook to silence this.",
                          UserWarning, stacklevel=2)
