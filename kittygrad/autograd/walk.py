"""The backward walk: ``run_backward`` and the walks it picks between.

``_run_seed`` is the seed's walk, driven by the locks alone (a plain ``loss.backward()``);
``_run_locked`` gives torch's semantics to the same kind of backward, the locks standing in for
the count of uses reachable from the root as long as they agree with it; ``_run_general`` counts
those uses first and serves everything else (``retain_graph``, ``autograd.grad``,
``create_graph``, several roots, anomaly mode, a node that ran before).
"""
from __future__ import annotations

import gc as _gc
import sys
import warnings

from .. import backend as B
from ..errors import BackwardGraphWarning, KittyRuntimeError, user_stacklevel
from .accumulation import _accumulate_into, _before_node, _leaf_hooks, _run_pre_hooks
from .engine import (
    _MISSING,
    FREED_MESSAGE,
    AccumulateGrad,
    _anomaly,
    _node_backward,
    _retained_alive,
)
from .grad_mode import _state
from .graph_array import GraphArray
from .semantics import Task as _Task
from .semantics import mode as _mode
from .semantics import multi_hooks as _multi_hooks
from .semantics import task_state as _task

Tensor = None  # set by kittygrad.tensor
_getrefcount = sys.getrefcount
_ndarray = B.xp.ndarray
_generic = B.xp.generic


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _consumed_error(node) -> KittyRuntimeError:
    return KittyRuntimeError(FREED_MESSAGE)


def _holds_saved(value) -> bool:
    """Whether a saved attribute holds what torch keeps as a SavedVariable (an array, a NumPy
    scalar standing for a wrapped number, a Tensor) rather than sizes, dims or Python scalars."""
    kind = type(value)
    if kind is tuple or kind is list:
        for v in value:  # (a loop, arrays tested first: any() over a generator cost twice as much)
            if type(v) is _ndarray or _holds_saved(v):
                return True
        return False
    return kind is _ndarray or isinstance(value, (_generic, Tensor))


def _release_torch(node) -> None:
    """Free a node as torch frees it: only the saved tensors go, and a node that saved none stays
    runnable (torch runs ``AddBackward0`` or a view's node again without retain_graph)."""
    cls = type(node)
    if not node._waits:
        return
    if getattr(cls, "_hooked", False):  # its saved values sit with saved-tensor hooks
        node.release()
        return
    freed = False
    for key, class_value in cls._release_plan:
        value = getattr(node, key, _MISSING)
        if value is class_value:
            continue
        # (the engine's record of the saved arrays holds them when it holds anything: looking
        # through its tuples and version counters one by one cost more than the rest of the walk)
        if type(value) is _ndarray or (bool(value) if key == "_saved_versions" else _holds_saved(value)):
            delattr(node, key)
            freed = True
    if freed:
        node._consumed = True
        if _retained_alive.data:
            _retained_alive.discard(node)
    else:  # already ran: a later walk through it must count deliveries (the general walk)
        _retained_alive.add(node)


def run_backward(roots, retain_graph: bool = False, capture=None, accumulate: bool = True, create_graph: bool = False):
    """Propagate gradients from ``roots`` = [(node, output_nr, grad_array), ...].

    Default (``retain_graph=False``): the seed's lock semantics. A node runs when all the uses
    reachable from the roots have delivered *and* no other recorded use is still pending; a node
    that still waits keeps its gradient until the other outputs call backward. The graph's saved
    values are freed as it goes.

    ``retain_graph=True``, ``capture`` (autograd.grad) or ``set_backward_semantics("torch")``:
    PyTorch's semantics. Only the uses reachable from the roots count, nothing waits (the general
    walk without its ``pending`` counts); retain_graph leaves the graph intact.

    ``capture`` maps ``(node, output_nr)`` to a slot; the full gradient of that edge is returned
    in a list (used by ``autograd.grad``). With ``accumulate=False`` leaves' ``.grad`` is untouched.
    """
    seed_mode = not retain_graph and capture is None
    if not _mode.plain:  # torch's semantics, or multi-grad hooks that want to know this backward
        return _run_task(roots, retain_graph, capture, accumulate, create_graph, seed_mode and _mode.seed)
    return _walk(roots, retain_graph, capture, accumulate, create_graph, seed_mode)


def _run_task(roots, retain_graph, capture, accumulate, create_graph, seed_mode):
    """A backward that multi-grad hooks can ask about (``current_task``), under either semantics."""
    if not _multi_hooks[0]:
        return _walk(roots, retain_graph, capture, accumulate, create_graph, seed_mode)
    task = _Task(roots)
    previous, _task.current = _task.current, task
    try:
        result = _walk(roots, retain_graph, capture, accumulate, create_graph, seed_mode)
    finally:
        _task.current = previous
    for finish in task.finishers:
        finish()
    return result


def _walk(roots, retain_graph, capture, accumulate, create_graph, seed_mode):
    """Pick the walk: a locks-driven one for a plain ``loss.backward()`` (the seed's or torch's
    semantics), else the general one."""
    if create_graph:
        # the gradients are GraphArrays and every formula records ops: run in grad mode
        previous, _state.enabled = _state.enabled, True
        try:
            return _run_general(roots, retain_graph, capture, accumulate, True, seed_mode)
        finally:
            _state.enabled = previous
    if len(roots) == 1 and not _anomaly.enabled and (
            not _retained_alive.data or not (roots[0][0]._executed or _ran_with_uses_to_come())):
        if seed_mode:
            return _run_seed(*roots[0])  # (retain_graph is False here: every node is freed once it ran)
        if not retain_graph and capture is None:  # torch's semantics for a plain loss.backward()
            return _run_locked(*roots[0])
    return _run_general(roots, retain_graph, capture, accumulate, False, seed_mode)


def _ran_with_uses_to_come() -> bool:
    """Whether a node that ran in an earlier backward and is still alive (``_retained_alive``) has a
    recorded use that has not delivered: one its walk could not reach (``retain_graph``, or a use set
    aside), or one recorded since. Only then, or from a root that ran itself, can a new walk reach a
    node that ran before, which the walks by the locks alone must not meet (its inputs' locks
    already counted its run): any edge into such a node would be a use still to come. An old graph
    merely kept alive (a training loop's last ``output``) has none, and the next backward keeps the
    fast walk."""
    for ref in _retained_alive.data:
        node = ref()
        if node is not None and node._lock:
            return True
    return False


def _run_general(roots, retain_graph, capture, accumulate, create_graph, seed_mode):
    """The walk with a pre-pass that counts, per node, the uses reachable from the roots."""
    torch_release = not _mode.seed  # torch's semantics free only saved tensors (see _release_torch)
    # 1. Count, for every reachable node, the uses that will deliver a gradient in this walk.
    deps: dict = {}
    fresh: dict = {}  # uses by consumers that never ran before (these are what the locks count)
    consumers: dict | None = {} if capture is not None and not accumulate else None
    stack = []
    for node, _, _ in roots:
        if node not in deps:
            deps[node] = 0
            fresh[node] = 0
            stack.append(node)
    while stack:
        node = stack.pop()
        new_use = not node._executed
        for nxt in node._next_nodes:
            if nxt is None:
                continue
            if consumers is not None:
                consumers.setdefault(nxt, []).append(node)
            if nxt in deps:
                deps[nxt] += 1
                if new_use:
                    fresh[nxt] += 1
            else:
                deps[nxt] = 1
                fresh[nxt] = 1 if new_use else 0
                stack.append(nxt)
    # autograd.grad: only the nodes on a path to a requested input run (as torch), so nothing
    # upstream of the inputs is computed or disturbed
    needed = None
    if consumers is not None:
        needed = {n for n, _ in capture if n in deps}
        stack = list(needed)
        while stack:
            for parent in consumers.get(stack.pop(), ()):
                if parent not in needed:
                    needed.add(parent)
                    stack.append(parent)

    # uses that are recorded (locks) but not reachable from the roots: the seed's waiting uses
    pending = {n: n._lock - fresh[n] for n in deps} if seed_mode else None

    # 2. Seed the roots' gradients.
    bufs: dict = {}
    root_nodes = set()
    for node, nr, grad in roots:
        root_nodes.add(node)
        slots = bufs.get(node)
        if slots is None:
            slots = bufs[node] = [None] * len(node._out_meta)
        slots[nr] = _add(slots[nr], grad)
        if seed_mode and pending[node] > 0 and node._waits:
            warnings.warn(
                f"Backpropagation started from the middle of the graph: the output of "
                f"{node._name} (shape {tuple(node._out_meta[nr][0])}) is still used by {pending[node]} "
                "other operation(s) whose gradients will not be included. Call backward() on the "
                "final output instead, or detach() the tensor if this is intended (or set "
                "kittygrad.autograd.set_backward_semantics('torch') for PyTorch's behaviour).",
                BackwardGraphWarning,
                stacklevel=user_stacklevel(),
            )
    received = dict.fromkeys(deps, 0)
    captured = [None] * len(capture) if capture is not None else None

    def ready(n) -> bool:
        if received[n] != deps[n]:
            return False
        if seed_mode and n._waits and n not in root_nodes:
            return pending[n] <= 0
        return True

    ready_stack = [n for n in root_nodes if ready(n)]
    # 3. The walk: pop a ready node, run its backward, hand the gradients to its inputs.
    # (A node is pushed once: only when its last awaited gradient arrives.)
    while ready_stack:
        node = ready_stack.pop()
        grads = bufs.pop(node, None)
        if seed_mode and node._held is not None:
            held, node._held = node._held, None
            grads = held if grads is None else [_add(a, b) for a, b in zip(grads, held)]
        # (a requested input whose node was freed is fine: autograd.grad takes its gradient
        # without running that node, as torch does)
        if node._consumed and (needed is None or any(n is not None and n in needed for n in node._next_nodes)):
            raise _consumed_error(node)
        if grads is None or (grads[0] is None and (len(grads) == 1 or all(g is None for g in grads))):
            input_grads = (None,) * len(node._next_nodes)
        else:
            if capture is not None:
                for nr, g in enumerate(grads):
                    slot = capture.get((node, nr))
                    if slot is not None:
                        captured[slot] = g if node._waits or g is None else _leaf_hooks(node, g)
                if needed is not None and not any(n is not None and n in needed for n in node._next_nodes):
                    continue  # a requested input with nothing requested below it: stop here
            if len(grads) > 1 and node._fills_missing:
                grads = [
                    g if g is not None else B.xp.zeros(shape, dtype) for g, (shape, dtype) in zip(grads, node._out_meta)
                ]
            if create_graph:
                grads = [GraphArray(Tensor._wrap(g)) if g is not None and type(g) is not GraphArray else g for g in grads]
            if node._pre_hooks or node._retained is not None:
                grads = _before_node(node, grads, accumulate)
            if isinstance(node, AccumulateGrad):
                if accumulate:
                    node.backward(grads[0])
                input_grads = ()
            else:
                input_grads = _node_backward(node, grads, create_graph, not retain_graph and not create_graph)
        if not node._executed:
            node._executed = True
            for nxt in node._next_nodes:
                if nxt is not None:
                    nxt._lock -= 1
            if retain_graph and node._waits:
                _retained_alive.add(node)
        if not retain_graph:
            if torch_release:
                _release_torch(node)
            else:
                node.release()
        mark = len(ready_stack)
        for nxt, nr, g in zip(node._next_nodes, node._next_nrs, input_grads):
            if nxt is None or (needed is not None and nxt not in needed):
                continue
            if g is not None:
                shape, dtype = nxt._out_meta[nr]
                if g.shape != shape or g.dtype != dtype:  # (checked inline: once per edge of every walk)
                    g = _conformed(node, input_grads, g, shape, dtype)
                slots = bufs.get(nxt)
                if slots is None:
                    slots = bufs[nxt] = [None] * len(nxt._out_meta)
                slots[nr] = g if slots[nr] is None else slots[nr] + g
            count = received[nxt] = received[nxt] + 1
            if count == deps[nxt] and (
                not seed_mode or pending[nxt] <= 0 or not nxt._waits or nxt in root_nodes
            ):
                ready_stack.append(nxt)
        if len(ready_stack) - mark > 1:
            _torch_order(node, ready_stack, mark)

    # 4. Whatever did not run keeps its partial gradient (seed semantics) and we say why.
    if seed_mode and bufs:
        _hold_waiting(bufs)
    return captured


def _torch_order(node, ready_stack: list, mark: int) -> None:
    """Reorder the nodes ``node``'s backward made ready (``ready_stack[mark:]``, popped from the end)
    as torch runs them, as far as it shows: leaves first, in input order (or the order the node's
    class names), then the other nodes, the later input's first (torch runs the most recently
    created node first)."""
    fresh_ready = ready_stack[mark:]
    leaves = [n for n in reversed(fresh_ready) if not n._waits]
    order = node.torch_leaf_order() if len(leaves) > 1 else None
    if order is not None:
        # (popped from the end: the leaf torch reaches first goes last)
        leaves.sort(key=lambda n: order.index(node._next_nodes.index(n)), reverse=True)
    ready_stack[mark:] = [n for n in fresh_ready if n._waits] + leaves


def _run_locked(root, root_nr, root_grad) -> None:
    """torch's semantics for a plain backward (one root; no retain_graph, ``autograd.grad`` or
    create_graph; no node alive that ran before), driven by the locks.

    The general walk runs a node once every use of its outputs reachable from the root has
    delivered, which it counts in a pass over the graph first. While every recorded use (what a
    lock counts) is reachable, the lock reaching zero says the same, so this walk is the general
    one without that pass, node for node in the same order. A recorded use that is not reachable
    (an output or a leaf that another live graph used too: the values of a ``topk`` taken before
    ``backward()``) leaves its node waiting when the stack runs dry. Then the uses still to come
    are counted from the nodes that wait (a node that ran here is never below one that waits), the
    others are set aside from the locks for the rest of the walk, and given back after it: the
    general walk's count, for the part of the graph left to walk.
    """
    slots = [None] * len(root._out_meta)
    slots[root_nr] = root_grad
    bufs = {root: slots}  # node -> its gradients so far, from the first delivery until it runs
    ready_stack = [root]
    aside = None  # [(node, uses no walk from the root reaches)], once the stack ran dry
    try:
        while True:
            _walk_locked(ready_stack, bufs)
            if not bufs or aside is not None:
                break
            aside = _set_aside_unreachable(bufs)
            ready_stack = [n for n in bufs if n._lock == 0]
    finally:
        for node, uses in aside or ():
            node._lock += uses
    if bufs:  # (never, while the locks count every recorded use: the general walk as a safeguard)
        _run_general([(n, nr, g) for n, held in bufs.items() for nr, g in enumerate(held)], False, None, True, False, False)


def _set_aside_unreachable(waiting: dict) -> list:
    """Count the uses still to come for every node at or below the nodes ``waiting`` (the edges
    from those nodes and from the nodes below them), bring each lock down to that count, and return
    ``[(node, uses set aside)]`` for the locks that held more (uses by other live graphs)."""
    counts = dict.fromkeys(waiting, 0)
    stack = list(waiting)
    while stack:
        for nxt in stack.pop()._next_nodes:
            if nxt is None:
                continue
            if nxt in counts:
                counts[nxt] += 1
            else:
                counts[nxt] = 1
                stack.append(nxt)
    aside = []
    for node, count in counts.items():
        extra = node._lock - count
        if extra:
            node._lock = count
            aside.append((node, extra))
    return aside


def _run_node(node, grads: list) -> tuple:
    """One node's turn in a walk by the locks (the seed's or torch's), its gradients all arrived:
    refused once its saved values were freed; no gradient at all sends None to every input;
    otherwise missing outputs' gradients become zeros where the node asks, pre-hooks and
    ``retain_grad`` see them, and a leaf's accumulator takes its one (returns no input gradients)."""
    if node._consumed:
        raise _consumed_error(node)
    if grads[0] is None and (len(grads) == 1 or all(g is None for g in grads)):
        return (None,) * len(node._next_nodes)
    if len(grads) > 1 and node._fills_missing:
        grads = [g if g is not None else B.xp.zeros(shape, dtype) for g, (shape, dtype) in zip(grads, node._out_meta)]
    if node._pre_hooks or node._retained is not None:
        grads = _before_node(node, grads, True)
    if not node._waits:  # a leaf's AccumulateGrad (the root itself, in the seed's walk)
        node.backward(grads[0])
        return ()
    return _node_backward(node, grads, False, True)


def _walk_locked(ready_stack: list, bufs: dict) -> None:
    """The walk of :func:`_run_locked` until its stack runs dry: pop a node whose lock reached zero,
    run it, hand its gradients to its inputs (their ``bufs`` slots), push those whose lock reaches zero."""
    while ready_stack:
        node = ready_stack.pop()
        grads = bufs.pop(node)
        input_grads = _run_node(node, grads)
        grads = None
        node._executed = True
        _release_torch(node)
        mark = len(ready_stack)
        for nxt, nr, g in zip(node._next_nodes, node._next_nrs, input_grads):
            if nxt is None:
                continue
            nxt._lock -= 1
            if g is not None:
                shape, dtype = nxt._out_meta[nr]
                if g.shape != shape or g.dtype != dtype:  # (checked inline: once per edge of every walk)
                    g = _conformed(node, input_grads, g, shape, dtype)
                if (not nxt._waits and nxt._lock == 0 and type(g) is _ndarray and not nxt._pre_hooks
                        and nxt not in bufs):
                    # a plain leaf's one gradient in this walk, and its first: it becomes .grad
                    # without a copy where nothing else holds it, as in the seed's walk (nothing
                    # the leaf's hooks would see, so it need not wait for torch's leaf order)
                    t = nxt._tensor_ref()
                    if t is not None and t._grad is None and not t._hooks and not t._post_hooks:
                        nxt._executed = True
                        _first_grad(t, g)
                        continue
            slots = bufs.get(nxt)
            if slots is None:
                slots = bufs[nxt] = [None] * len(nxt._out_meta)
            if g is not None:
                slots[nr] = g if slots[nr] is None else slots[nr] + g
            if nxt._lock == 0:
                ready_stack.append(nxt)
        if len(ready_stack) - mark > 1:
            _torch_order(node, ready_stack, mark)


def _first_grad(t, g) -> None:
    """``t.grad = g``, a plain leaf's first gradient, handed over by a walk's loop over a node's
    input gradients. ``.grad`` owns its memory, laid out as its leaf (torch's contract): ``g`` itself
    when nothing else references it (the loop's input_grads tuple, zip's item tuple and loop
    variable, this call's argument and getrefcount's), it is no view (or a view of a buffer only it
    holds) and has the leaf's dtype and layout; else a copy in the leaf's layout."""
    data = t._data
    ours = (_getrefcount(g) <= 5 and g.flags.writeable and g.dtype == data.dtype
            and (g.base is None or B.sole_view(g)))
    if ours and (g.strides == data.strides or (g.flags.c_contiguous and data.flags.c_contiguous)):
        t._grad = Tensor._wrap(g)
    else:
        t._grad = Tensor._wrap(B.grad_like(g, data))


def _run_seed(root, root_nr, root_grad) -> None:
    """The seed's walk driven by the locks alone: one root, no node ran before with retain_graph.

    A node runs when its lock reaches zero, i.e. when every recorded use of its outputs has sent
    its gradient; no pre-pass over the graph is needed. A gradient whose delivery brings the lock
    to zero goes straight onto the stack; only partial sums wait in ``bufs``. Leaves
    (AccumulateGrad) never wait: a plain leaf adds each gradient into ``.grad`` as it arrives, a
    leaf with hooks takes the sum once the walk is over. Whatever still waits for other uses is
    held, and we say so, exactly as the general walk does.
    """
    if root._lock > 0 and root._waits:
        warnings.warn(
            f"Backpropagation started from the middle of the graph: the output of "
            f"{root._name} (shape {tuple(root._out_meta[root_nr][0])}) is still used by {root._lock} "
            "other operation(s) whose gradients will not be included. Call backward() on the "
            "final output instead, or detach() the tensor if this is intended (or set "
            "kittygrad.autograd.set_backward_semantics('torch') for PyTorch's behaviour).",
            BackwardGraphWarning,
            stacklevel=user_stacklevel(),
        )
    slots = [None] * len(root._out_meta)
    slots[root_nr] = root_grad
    bufs = {}  # node -> partial gradient sums, for nodes whose lock has not reached zero yet
    leaf_bufs = {}  # leaves with hooks: their gradient is summed first
    stack = [(root, slots)]
    collected = False
    while True:
        while stack:
            node, grads = stack.pop()
            if node._held is not None:
                held, node._held = node._held, None
                grads = [_add(a, b) for a, b in zip(grads, held)]
            input_grads = _run_node(node, grads)
            grads = None
            node._executed = True
            node.release()
            for nxt, nr, g in zip(node._next_nodes, node._next_nrs, input_grads):
                if nxt is None:
                    continue
                nxt._lock -= 1
                if g is not None:
                    shape, dtype = nxt._out_meta[nr]
                    if g.shape != shape or g.dtype != dtype:  # (checked inline: once per edge of every walk)
                        g = _conformed(node, input_grads, g, shape, dtype)
                if not nxt._waits:  # a leaf
                    if g is None:
                        continue
                    t = nxt._tensor_ref()
                    if t is None:
                        continue
                    if nxt._pre_hooks or t._hooks or t._post_hooks or type(g) is not _ndarray:
                        slots = leaf_bufs.get(nxt)
                        leaf_bufs[nxt] = [g] if slots is None else [slots[0] + g]
                        continue
                    if t._grad is None:
                        _first_grad(t, g)
                    else:
                        _accumulate_into(t, g)
                    continue
                if nxt._lock == 0:
                    slots = bufs.pop(nxt, None)
                    if slots is None:
                        if len(nxt._out_meta) == 1:
                            stack.append((nxt, [g]))
                            continue
                        slots = [None] * len(nxt._out_meta)
                    if g is not None:
                        slots[nr] = g if slots[nr] is None else slots[nr] + g
                    stack.append((nxt, slots))
                else:
                    slots = bufs.get(nxt)
                    if slots is None:
                        slots = bufs[nxt] = [None] * len(nxt._out_meta)
                    if g is not None:
                        slots[nr] = g if slots[nr] is None else slots[nr] + g
        if leaf_bufs:  # every gradient a hooked leaf will get in this walk has arrived
            for leaf, slots in leaf_bufs.items():
                t = leaf._tensor_ref()
                grads = slots
                if leaf._pre_hooks:
                    grads = _run_pre_hooks(leaf, grads)
                if t is not None and grads[0] is not None:
                    _accumulate_into(t, grads[0])
                leaf._executed = True
            leaf_bufs = {}
        if bufs and not collected:
            # Before saying a node waits: a use may belong to garbage in a reference cycle (a
            # caught exception's traceback keeps its frames' temporaries alive) that only the
            # cyclic collector frees. Collect the young generations once and look again.
            collected = True
            _gc.collect(1)
            stack = [(n, bufs.pop(n)) for n in [n for n in bufs if n._lock == 0]]
            if stack:
                continue
        break

    if bufs:
        _hold_waiting(bufs)


def _hold_waiting(bufs) -> None:
    """Keep the gradients of nodes that still wait for other uses, and warn about the blockers.

    A blocker waits for a use outside this walk; the nodes below it merely wait for the blocker.
    """
    waiting = [n for n, slots in bufs.items() if any(g is not None for g in slots)]
    for node in waiting:
        slots = bufs[node]
        node._held = slots if node._held is None else [_add(a, b) for a, b in zip(node._held, slots)]
    below = set()
    stack = [nxt for n in bufs for nxt in n._next_nodes if nxt is not None]
    while stack:
        n = stack.pop()
        if n not in below:
            below.add(n)
            stack.extend(nxt for nxt in n._next_nodes if nxt is not None)
    blockers = [n for n in waiting if n not in below]
    if blockers:
        desc = ", ".join(
            f"{n._name} (shape {tuple(n._out_meta[0][0])}, waiting for {n._lock} more use(s))"
            for n in blockers[:5]
        )
        warnings.warn(
            "Backpropagation not completed: " + desc + " still wait(s) for gradients from other "
            "outputs that have not called backward() yet; their gradients will be completed when "
            "those outputs call backward(). If you do not need those outputs' gradients, detach() "
            "them or compute them under no_grad(); to get the gradients now, use "
            "backward(retain_graph=True) or kitty.autograd.grad; or set "
            "kittygrad.autograd.set_backward_semantics('torch') for PyTorch's behaviour (uses that "
            "this backward cannot reach do not hold gradients back).",
            BackwardGraphWarning,
            stacklevel=user_stacklevel(),
        )


def _conformed(node, input_grads, g, shape, dtype):
    """A gradient delivered to an input's edge, brought to that input's shape (see :func:`_fix_shape`)
    and dtype: what every walk does to a gradient whose shape or dtype is not the input's."""
    if g.shape != shape:
        g = _fix_shape(node, input_grads, g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _fix_shape(node, input_grads, g, shape):
    """Sum a gradient that came back broadcast (custom Functions may do so), else say who erred."""
    try:
        if B.broadcast_shapes(g.shape, shape) == tuple(g.shape):
            return B.sum_to_shape(g, shape)
    except ValueError:
        pass
    index = next(i for i, h in enumerate(input_grads) if h is g)
    tensor_inputs = getattr(node, "_tensor_inputs", None)
    if tensor_inputs is not None:  # torch counts a custom Function's tensor arguments only
        index = sum(tensor_inputs[:index])
    raise KittyRuntimeError(
        f"Function {node.name()} returned an invalid gradient at index {index} - got {list(g.shape)} but "
        f"expected shape compatible with {list(shape)}"
    )


