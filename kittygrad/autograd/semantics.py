"""Which semantics ``backward()`` follows, and the backward "task" multi-grad hooks ask about.

The seed's lock semantics are the default; ``kittygrad.autograd.set_backward_semantics("torch")``
(or ``KITTYGRAD_BACKWARD=torch`` at import, or a ``backward_semantics("torch")`` block) gives
PyTorch's. The engine reads one flag, ``mode.plain``, per backward: true under the seed's
semantics while no multi-grad hook exists, when backward takes its usual path.
"""
from __future__ import annotations

import os
import threading
import warnings


class Mode(threading.local):
    """Which semantics ``backward()`` follows (see ``set_backward_semantics``).

    The class attributes are the process-wide setting (``set_backward_semantics``, the
    ``KITTYGRAD_BACKWARD`` environment variable); a thread inside a ``backward_semantics()`` block
    sets instance attributes, which shadow them for that thread only.
    """

    seed = True  # the seed's lock semantics (False: PyTorch's)
    #: seed semantics and no multi-grad hook registered: ``run_backward`` takes its usual path
    #: (the one flag the hot path reads)
    plain = True


mode = Mode()
#: live ``register_multi_grad_hook`` handles: while there are some, each backward runs as a task
#: that the hooks can ask which nodes it reaches
multi_hooks = [0]


class TaskState(threading.local):
    current = None  # the Task of the backward running in this thread (a non-plain one)


task_state = TaskState()


def refresh_plain() -> None:
    """Recompute ``plain`` after the semantics or the multi-grad hooks changed."""
    hooks = multi_hooks[0] > 0
    Mode.plain = Mode.seed and not hooks
    if "seed" in mode.__dict__:  # this thread is inside a backward_semantics() block
        mode.plain = mode.seed and not hooks


def set_semantics(seed: bool, here: bool) -> None:
    """Set the process-wide semantics, or (``here``) only this thread's override."""
    if here:
        mode.seed = seed
    else:
        Mode.seed = seed
        if "seed" in mode.__dict__:  # set inside a block: it holds for the rest of the block too
            mode.seed = seed
    refresh_plain()


def _env_semantics() -> None:
    value = os.environ.get("KITTYGRAD_BACKWARD", "").strip().lower()
    if value in ("", "seed"):
        return
    if value == "torch":
        set_semantics(False, here=False)
        return
    warnings.warn(
        f"KITTYGRAD_BACKWARD must be 'torch' or 'seed', got {value!r}; using the seed's semantics",
        UserWarning,
        stacklevel=2,
    )


_env_semantics()


class Task:
    """One backward run while multi-grad hooks exist: what the hooks may ask about it."""

    __slots__ = ("roots", "state", "finishers", "_reach")

    def __init__(self, roots) -> None:
        self.roots = roots
        self.state: dict = {}  # per hook: what it collected in this backward
        self.finishers: list = []  # called once the walk is over
        self._reach = None

    def reaches(self, node) -> bool:
        """Whether ``node`` is reachable from this backward's roots."""
        if self._reach is None:
            seen = set()
            stack = [r[0] for r in self.roots]
            while stack:
                n = stack.pop()
                if n not in seen:
                    seen.add(n)
                    stack.extend(nxt for nxt in n._next_nodes if nxt is not None)
            self._reach = seen
        return node in self._reach


def current_task():
    """The backward running in this thread, while multi-grad hooks exist (else None)."""
    return task_state.current
