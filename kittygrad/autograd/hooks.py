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

    def __init__(self, hooks_dict: dict, *, extra_dict=None) -> None:
        self.id = next(_ids)
        self._hooks = hooks_dict
        # other tables keyed by the same id (a module hook's options): removing forgets them too
        if extra_dict is None:
            extra_dict = []
        elif isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self._extra = list(extra_dict)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)
        for table in self._extra:
            table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
