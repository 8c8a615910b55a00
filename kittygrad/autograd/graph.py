"""``kittygrad.autograd.graph``, as ``torch.autograd.graph``: the backward graph's nodes, hooks on
what ops save for backward, and hooks on several gradients at once.

Saved values. A kittygrad op saves raw arrays on its node (its ``saved_fields``), not Tensors. The
saved-tensor hooks see them as torch's do, as Tensors: while ``saved_tensors_hooks(pack, unpack)``
is active in a thread, each array a recorded op saves is handed to ``pack`` at save time as the
Tensor it is (the op's input or output object itself where it is one, else a Tensor rebuilt where
the value came from), the array leaves the node, and ``pack``'s result is kept instead. When
backward needs the values, ``unpack`` gets that result back and must return a Tensor, whose array
the op's formula then reads; after the node's backward they leave again (each backward unpacks
anew, as in torch). Only nodes that were packed change: their class becomes a subclass that
unpacks around ``backward``; nothing else pays for the feature (the op sees it through
``function.observers``, which is empty unless something listens).

Python numbers an op keeps where torch saves a wrapped-number tensor (the ``2`` of ``x * 2``) are
not handed to the hooks; sizes, dims and other non-tensor values never are, as in torch.
"""
from __future__ import annotations

import threading

from .. import backend as B
from ..errors import KittyRuntimeError, KittyTypeError, KittyValueError
from . import engine as _engine
from . import function as _function
from . import semantics as _semantics
from .engine import FREED_MESSAGE, Node, _check_versions

__all__ = [
    "Node",
    "saved_tensors_hooks",
    "save_on_cpu",
    "disable_saved_tensors_hooks",
    "register_multi_grad_hook",
    "increment_version",
]

_ndarray = B.xp.ndarray


# ---- saved values, as Tensors -------------------------------------------------------------------


def _saved_tensor(node, arr):
    """The Tensor a node's saved array ``arr`` stands for (torch's SavedVariable, unpacked).

    An output of the node comes back attached to the node; an input to the edge its gradient
    flows into, and a leaf input is the leaf itself. Its version is checked as torch checks it.
    """
    Tensor = _engine.Tensor
    for entry in node._saved_versions:
        if entry[2] is not arr:
            continue
        vc, version, _, nr, is_output = entry
        if vc[0] != version:
            _check_versions(node)
        t = Tensor._wrap(arr)
        t._vc = vc
        if is_output:
            t._grad_fn, t._output_nr, t._requires_grad = node, nr, True
            return t
        edges = node.next_edges
        edge = edges[nr] if 0 <= nr < len(edges) else None
        if edge is not None:
            nxt, out_nr = edge
            if not nxt._waits:  # a leaf: the tensor itself, as torch returns it
                leaf = nxt._tensor_ref()
                if leaf is not None and leaf._data is arr:
                    return leaf
            else:
                t._grad_fn, t._output_nr = nxt, out_nr
            t._requires_grad = True
        return t
    return Tensor._wrap(arr)


def _saved_value(node, attr):
    """``grad_fn._saved_<name>``: the saved value as torch returns it."""
    if node._consumed:
        raise KittyRuntimeError(FREED_MESSAGE)
    packs = node.__dict__.get("_packed")
    if packs is not None and attr.field in packs:
        packed, unpack, transposed = packs[attr.field]
        return _as_saved(node, attr.field, _unpacked(unpack, packed), transposed)
    value = getattr(node, attr.field, None)
    if value is None:
        return None
    if type(value) is not _ndarray:
        if attr.kind == "number":  # a Scalar argument: torch keeps a Python number
            return value.item() if hasattr(value, "item") else value
        return _engine.Tensor._wrap(B.asarray(value))  # a wrapped number: a 0-d Tensor
    t = _saved_tensor(node, value)
    if attr.kind == "T":  # torch's addmm saves linear's weight as weight.t(): a view of it
        return t.t()
    return t


def _as_saved(node, field: str, unpacked, transposed: bool):
    """What ``unpack_hook`` returned, as torch hands it back: a new Tensor on the same data that
    carries the saved value's place in the graph (the node for an output, the input's edge)."""
    Tensor = _engine.Tensor
    for vc, _, held, nr, is_output in node._saved_versions:
        if type(held) is not _Placeholder or held.field != field:
            continue
        t = Tensor._wrap(unpacked._data)
        t._vc = vc
        if is_output:
            t._grad_fn, t._output_nr, t._requires_grad = node, nr, True
        else:
            edges = node.next_edges
            edge = edges[nr] if 0 <= nr < len(edges) else None
            if edge is not None:
                t._requires_grad = True
                if edge[0]._waits:
                    t._grad_fn, t._output_nr = edge
        return t
    return unpacked


class SavedTensor:
    """``grad_fn._raw_saved_<name>``: one saved value, on which hooks can be set (torch's
    ``torch._C._autograd.SavedTensor``).

    >>> import kittygrad as kitty
    >>> x = kitty.tensor([1., 2.], requires_grad=True)
    >>> raw = (x * x).grad_fn._raw_saved_self
    >>> raw.register_hooks(lambda t: t, lambda t: t)
    """

    __slots__ = ("_node", "_attr")

    def __init__(self, node: Node, attr) -> None:
        self._node = node
        self._attr = attr

    def __repr__(self) -> str:
        return f"<SavedTensor {self._attr.name} of {self._node._name}>"

    def unpack(self):
        """The saved value (as ``grad_fn._saved_<name>`` returns it)."""
        return _saved_value(self._node, self._attr)

    def register_hooks(self, pack_hook, unpack_hook) -> None:
        """Pack this saved value now with ``pack_hook``; backward then reads ``unpack_hook``'s
        Tensor instead. One pair per saved value, as torch."""
        node, field = self._node, self._attr.field
        packs = node.__dict__.get("_packed")
        if packs is not None and field in packs:
            raise KittyRuntimeError(
                "Calling register_hooks on a saved tensor whose hooks have already been set. "
                "Hint: only one pair of hooks is allowed at a time."
            )
        if node._consumed:
            raise KittyRuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved intermediate "
                "values of the graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or if you "
                "need to access saved variables after calling backward."
            )
        value = node.__dict__.get(field)
        if value is None:
            raise KittyRuntimeError("Calling register_hooks on a saved tensor with value None is forbidden")
        if type(value) is not _ndarray:
            raise KittyRuntimeError(
                f"Calling register_hooks on a saved value that is not a tensor ({self._attr.name} of "
                f"{node._name} is a {type(value).__name__})"
            )
        packed = _run_pack(pack_hook, _saved_value(node, self._attr))
        _pack_field(node, field, packed, unpack_hook, self._attr.kind == "T")


def _saved_access(node, attr):
    return SavedTensor(node, attr) if attr.raw else _saved_value(node, attr)


_engine._saved_access.get = _saved_access


# ---- packing and unpacking ------------------------------------------------------------------------


class _Placeholder:
    """Stands for a packed array in ``node._saved_versions`` (the version check reads its shape
    and dtype for the error message), so the node no longer holds the array."""

    __slots__ = ("shape", "dtype", "field")

    def __init__(self, arr, field: str) -> None:
        self.shape, self.dtype, self.field = arr.shape, arr.dtype, field


class _HooksState(threading.local):
    def __init__(self) -> None:
        self.stack: list = []  # (pack_hook, unpack_hook) of the active saved_tensors_hooks blocks
        self.disabled = None  # disable_saved_tensors_hooks' message while one is active
        self.packing = False  # inside a pack hook: ops it runs are not packed (as torch)


_hooks = _HooksState()
_active = [0]  # saved_tensors_hooks blocks active in any thread (the observer is installed)


def _run_pack(pack_hook, tensor):
    _hooks.packing = True
    try:
        return pack_hook(tensor)
    finally:
        _hooks.packing = False


def _unpacked(unpack_hook, packed):
    t = unpack_hook(packed)
    if not isinstance(t, _engine.Tensor):
        raise KittyTypeError(
            f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type {type(t).__name__}"
        )
    return t


def _hide(node, arr, field: str) -> None:
    """Drop the node's own references to a packed array (its version records keep a placeholder)."""
    saved = node._saved_versions
    if not any(entry[2] is arr for entry in saved):
        return
    if type(saved) is not list:
        saved = node._saved_versions = list(saved)
    for i, entry in enumerate(saved):
        if entry[2] is arr:
            saved[i] = (entry[0], entry[1], _Placeholder(arr, field), entry[3], entry[4])


def _pack_field(node, field: str, packed, unpack_hook, transposed: bool = False) -> None:
    d = node.__dict__
    packs = d.get("_packed")
    if packs is None:
        packs = d["_packed"] = {}
        node.__class__ = _hooked_class(type(node))
    arr = d.pop(field)
    packs[field] = (packed, unpack_hook, transposed)
    _hide(node, arr, field)


def _tensor_for(node, arr, inputs, outputs):
    """What torch hands ``pack_hook``: the op's input or output Tensor object itself, if it is one."""
    Tensor = _engine.Tensor
    for t in outputs:
        if isinstance(t, Tensor) and t._data is arr:
            return t
    for t in inputs:
        if isinstance(t, Tensor) and t._data is arr:
            return t
    return _saved_tensor(node, arr)


def _pack_node(node, pack_hook, unpack_hook, inputs, outputs) -> None:
    """Hand every array ``node`` saved for backward to ``pack_hook`` (the observer's work)."""
    d = node.__dict__
    if "_packed" in d:
        return
    fn = d.get("fn")
    if isinstance(fn, Node) and fn is not node:  # CopySlices: the in-place op's node holds them
        _pack_node(fn, pack_hook, unpack_hook, (), ())
    saved = d.get("_saved")
    if saved and type(saved) is tuple:  # a custom Function's save_for_backward
        entries = [None if t is None else (_run_pack(pack_hook, t), unpack_hook, False) for t in saved]
        d.setdefault("_packed", {})["_saved"] = entries
        node.__class__ = _hooked_class(type(node))
        d["_saved"] = ()
        for t in saved:
            if t is not None:
                _hide(node, t._data, "_saved")
    for key in type(node)._released_fields:
        value = d.get(key)
        if type(value) is _ndarray and key not in _engine._ALWAYS_RELEASED:
            _pack_field(node, key, _run_pack(pack_hook, _tensor_for(node, value, inputs, outputs)), unpack_hook)


def _pack_observer(kind, name, node, inputs, outputs) -> None:
    """Listens to every recorded op while some thread has saved_tensors_hooks active."""
    if node is None or not _hooks.stack or _hooks.packing:
        return
    pack_hook, unpack_hook = _hooks.stack[-1]
    _pack_node(node, pack_hook, unpack_hook, inputs, outputs)


def _unpack_all(node):
    """Put the unpacked arrays back for one backward; returns what ``_repack`` needs."""
    d = node.__dict__
    fields = []
    for field, entry in d["_packed"].items():
        if field == "_saved":  # a custom Function's: ctx.saved_tensors unpacks them
            continue
        packed, unpack_hook, transposed = entry
        arr = _unpacked(unpack_hook, packed)._data
        d[field] = arr.T if transposed else arr
        fields.append(field)
    saved = node._saved_versions
    before = list(saved)
    for i, entry in enumerate(saved):
        held = entry[2]
        if type(held) is _Placeholder and held.field in d:
            saved[i] = (entry[0], entry[1], d[held.field], entry[3], entry[4])
    return fields, before


def _repack(node, restore) -> None:
    fields, before = restore
    d = node.__dict__
    for field in fields:
        d.pop(field, None)
    if before:
        node._saved_versions[:] = before


def _hooked_backward(self, *grads):
    base = type(self)._unhooked
    d = self.__dict__
    if d.get("_unpacking"):
        return base.backward(self, *grads)
    restore = _unpack_all(self)
    d["_unpacking"] = True
    try:
        return base.backward(self, *grads)
    finally:
        del d["_unpacking"]
        _repack(self, restore)


def _hooked_graph_backward(self, grads):
    base = type(self)._unhooked
    d = self.__dict__
    restore = _unpack_all(self)
    d["_unpacking"] = True
    try:
        return base._graph_backward(self, grads)
    finally:
        del d["_unpacking"]
        _repack(self, restore)


def _hooked_release(self) -> None:
    self.__dict__.pop("_packed", None)
    type(self)._unhooked.release(self)


def _hooked_saved_tensors(self):
    if self._consumed:
        raise KittyRuntimeError(FREED_MESSAGE)
    entries = self.__dict__.get("_packed", {}).get("_saved", ())
    return tuple(None if e is None else _unpacked(e[1], e[0]) for e in entries)


_hooked_classes: dict = {}  # op class -> its unpacking subclass


def _hooked_class(cls):
    """``cls`` with backward unpacking the saved values first (only packed nodes get it)."""
    if getattr(cls, "_hooked", False):
        return cls
    hooked = _hooked_classes.get(cls)
    if hooked is None:
        attrs = {
            "_name": cls._name,
            "_hooked": True,
            "_unhooked": cls,
            "backward": _hooked_backward,
            "_graph_backward": _hooked_graph_backward,
            "release": _hooked_release,
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
        }
        if hasattr(cls, "saved_tensors"):  # a custom Function's node
            attrs["saved_tensors"] = property(_hooked_saved_tensors)
        hooked = _hooked_classes[cls] = type(cls.__name__, (cls,), attrs)
    return hooked


# ---- the context managers -------------------------------------------------------------------------


class saved_tensors_hooks:  # noqa: N801 - torch's name
    """Inside the block (this thread), every tensor a recorded op saves for backward goes through
    ``pack_hook(tensor)`` at save time, and backward reads ``unpack_hook(packed)`` (a Tensor) instead.

    The innermost block wins; ops that ``pack_hook`` runs itself are not packed.

    >>> import kittygrad as kitty
    >>> x = kitty.tensor([1., 2.], requires_grad=True)
    >>> seen = []
    >>> with kitty.autograd.graph.saved_tensors_hooks(lambda t: seen.append(t) or t, lambda t: t):
    ...     y = (x * x).sum()
    >>> len(seen), seen[0] is x
    (2, True)
    >>> y.backward(); x.grad
    tensor([2., 4.])
    """

    def __init__(self, pack_hook, unpack_hook) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if _hooks.disabled is not None:
            raise KittyRuntimeError(_hooks.disabled)
        _hooks.stack.append((self.pack_hook, self.unpack_hook))
        if not _active[0]:
            _function.observers.append(_pack_observer)
        _active[0] += 1
        return self

    def __exit__(self, *exc) -> bool:
        _hooks.stack.pop()
        _active[0] -= 1
        if not _active[0] and _pack_observer in _function.observers:
            _function.observers.remove(_pack_observer)
        return False


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - torch's name
    """Keep saved tensors on the CPU until backward (torch moves GPU tensors there and back).

    kittygrad's tensors are always on the CPU, so the hooks hand each tensor through unchanged:
    the block is accepted, and the program runs as on torch with CPU tensors. ``pin_memory`` and
    ``device_type`` are accepted and have nothing to do.

    >>> import kittygrad as kitty
    >>> x = kitty.tensor([1., 2.], requires_grad=True)
    >>> with kitty.autograd.graph.save_on_cpu():
    ...     y = (x * x).sum()
    >>> y.backward(); x.grad
    tensor([2., 4.])
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        super().__init__(_identity, _identity)
        self.pin_memory = pin_memory
        self.device_type = device_type


def _identity(t):
    return t


class disable_saved_tensors_hooks:  # noqa: N801 - torch's name
    """Inside the block (this thread), using ``saved_tensors_hooks`` raises ``RuntimeError(error_message)``.

    >>> import kittygrad as kitty
    >>> with kitty.autograd.graph.disable_saved_tensors_hooks("not here"):
    ...     try:
    ...         kitty.autograd.graph.saved_tensors_hooks(print, print).__enter__()
    ...     except RuntimeError as e:
    ...         print(e)
    not here
    """

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message
        self._previous: list = []

    def __enter__(self) -> disable_saved_tensors_hooks:
        if _hooks.stack:
            raise KittyRuntimeError(self.error_message)
        self._previous.append(_hooks.disabled)
        _hooks.disabled = self.error_message
        return self

    def __exit__(self, *exc) -> bool:
        _hooks.disabled = self._previous.pop()
        return False


# ---- hooks on several gradients ---------------------------------------------------------------------


class _MultiHandle:
    """What ``register_multi_grad_hook`` returns: ``remove()`` takes the hook away."""

    def __init__(self, handles: list) -> None:
        self.handles = handles
        self._removed = False

    def remove(self) -> None:
        if self._removed:
            return
        self._removed = True
        for h in self.handles:
            h.remove()
        _semantics.multi_hooks[0] -= 1
        _semantics.refresh_plain()

    def __enter__(self) -> _MultiHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode: str = "all") -> _MultiHandle:
    """Call ``fn`` on the gradients of several tensors, once per backward that reaches them.

    ``mode="all"``: ``fn(grads)`` once every gradient this backward computes for ``tensors`` is
    there; ``grads`` is a list with ``None`` for the tensors the backward does not reach.
    ``mode="any"``: ``fn(grad)`` with the first of their gradients this backward computes.
    ``fn``'s result is ignored (it cannot change the gradients). Returns a handle with ``remove()``.

    >>> import kittygrad as kitty
    >>> a = kitty.tensor([1., 2.], requires_grad=True); b = kitty.tensor([3., 4.], requires_grad=True)
    >>> seen = []
    >>> h = kitty.autograd.graph.register_multi_grad_hook((a, b), seen.append)
    >>> (a * 2).sum().backward(); seen
    [[tensor([2., 2.]), None]]
    >>> h.remove()
    """
    if mode not in ("all", "any"):
        raise KittyValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, _engine.Tensor):
            raise KittyTypeError(f"register_multi_grad_hook expects Tensors, got {type(t).__name__} at position {i}")
        if not t.requires_grad:
            raise KittyRuntimeError(
                f"register_multi_grad_hook: tensor {i} does not require grad, so no gradient will reach it"
            )
    key = object()
    count = len(tensors)

    def flush(state) -> None:
        if not state[2] and any(g is not None for g in state[0]):
            state[2] = True
            fn(list(state[0]))

    def make(i: int):
        def inner(grad):
            task = _semantics.current_task()
            if task is None:  # a backward that is not a task (a thread in a "seed" block registered later)
                if mode == "any":
                    fn(grad)
                else:
                    fn([grad if j == i else None for j in range(count)])
                return None
            if mode == "any":
                if key not in task.state:
                    task.state[key] = True
                    fn(grad)
                return None
            state = task.state.get(key)
            if state is None:
                expected = sum(1 for t in tensors if task.reaches(_engine._edge(t)[0]))
                state = task.state[key] = [[None] * count, expected, False]
                task.finishers.append(lambda: flush(state))
            state[0][i] = grad
            state[1] -= 1
            if state[1] <= 0:
                flush(state)
            return None

        return inner

    handles = [t.register_hook(make(i)) for i, t in enumerate(tensors)]
    _semantics.multi_hooks[0] += 1
    _semantics.refresh_plain()
    return _MultiHandle(handles)


def increment_version(tensor) -> None:
    """Count an in-place change made behind autograd's back (``tensor`` or an iterable of them),
    so that backward refuses stale saved values.

    >>> import kittygrad as kitty
    >>> t = kitty.zeros(2); kitty.autograd.graph.increment_version(t); t._version
    1
    """
    Tensor = _engine.Tensor
    for t in (tensor,) if isinstance(tensor, Tensor) else tensor:
        t._vc[0] += 1
