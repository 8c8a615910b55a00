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
