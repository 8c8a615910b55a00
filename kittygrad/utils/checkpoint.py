"""Activation checkpointing, as ``torch.utils.checkpoint``: trade compute for memory.

``checkpoint(fn, *args)`` runs ``fn`` without recording a graph (its intermediate activations
are freed at once) and records a single backward node instead. That node's backward runs ``fn``
again with grad enabled -- on the same random state, so dropout draws the same mask -- and
backpropagates through the recomputed graph.

Tensors that ``fn`` reads without receiving them as arguments (a module's parameters, a tensor
from an enclosing scope) are found while the forward runs (kittygrad reports every op to
``autograd.function.observers``) and become inputs of the checkpoint node too. So gradients
reach them through the graph, exactly as without checkpointing -- also through
``autograd.grad``, and in both the ``use_reentrant=True`` and ``False`` variants. (As in torch,
the reentrant variant records nothing, and warns, when none of the arguments requires grad.)
"""
from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from .. import _display
from ..autograd import function as _function
from ..autograd import grad
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ..creation import get_rng_state, set_rng_state
from ..errors import KittyRuntimeError, KittyValueError
from ..nn import Sequential
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn"]


class CheckpointError(KittyRuntimeError):
    """The recomputed forward differs from the original one (``torch.utils.checkpoint.CheckpointError``)."""


def noop_context_fn() -> tuple[contextlib.AbstractContextManager, contextlib.AbstractContextManager]:
    """The default ``context_fn``: no extra context for the forward or the recomputation.

    >>> forward_ctx, recompute_ctx = noop_context_fn()
    """
    forward_ctx, recompute_ctx = contextlib.nullcontext(), contextlib.nullcontext()
    return forward_ctx, recompute_ctx


def _tensor_cls():
    return Tensor


class _Collector:
    """Observer: the tensors requiring grad that ops read while ``fn`` runs under no_grad.

    Under no_grad nothing ``fn`` computes requires grad, so every such tensor comes from outside
    ``fn``: an argument, a parameter, or a tensor captured by a closure.
    """

    def __init__(self, debug: bool) -> None:
        self.thread = threading.get_ident()
        self.tensors: dict = {}
        self.ops: list | None = [] if debug else None

    def __call__(self, kind, name, node, inputs, outputs) -> None:
        if threading.get_ident() != self.thread:  # the observer list is global
            return
        if self.ops is not None:
            self.ops.append(name)
        self._scan(inputs)

    def _scan(self, items) -> None:
        Tensor = _tensor_cls()
        for a in items:
            if isinstance(a, Tensor):
                if a._requires_grad:
                    self.tensors.setdefault(id(a), a)
            elif isinstance(a, (list, tuple)):
                self._scan(a)

    def __enter__(self):
        _function.observers.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _function.observers.remove(self)


@contextlib.contextmanager
def _cut_from_graph(tensors):
    """Make non-leaf ``tensors`` look like leaves while the forward is recomputed, so the
    recomputed graph ends at them instead of running on into the graph that produced them."""
    saved = []
    for t in tensors:
        if t._grad_fn is not None:
            saved.append((t, t._grad_fn, t._output_nr, t.__dict__.get("_accum"), t._view))
            t._grad_fn, t._view = None, None
    try:
        yield
    finally:
        for t, fn, nr, accum, view in saved:
            t._grad_fn, t._output_nr, t._view = fn, nr, view
            if accum is None:
                t.__dict__.pop("_accum", None)
            else:
                t._accum = accum


@contextlib.contextmanager
def _alias_in_graph(tensors):
    """Under create_graph, :func:`_cut_from_graph`'s counterpart: the recomputed graph ends at an
    alias node of each non-leaf in ``tensors`` instead of at a stand-in leaf, so the gradients it
    returns keep their graph back to where the tensors came from (a second derivative needs it),
    while one of them that depends on another still gets only the paths that reach it directly."""
    saved = []
    for t in tensors:
        if t._grad_fn is not None:
            alias = t.view_as(t)
            saved.append((t, t._grad_fn, t._output_nr, t._view))
            t._grad_fn, t._output_nr, t._view = alias._grad_fn, alias._output_nr, None
    try:
        yield
    finally:
        for t, fn, nr, view in saved:
            t._grad_fn, t._output_nr, t._view = fn, nr, view


def _get_rng_state():
    return get_rng_state()


def _set_rng_state(state) -> None:
    set_rng_state(state)


def _meta(outputs) -> list:
    Tensor = _tensor_cls()
    return [(tuple(o._data.shape), o._data.dtype) if isinstance(o, Tensor) else None for o in outputs]


class _State:
    """What the checkpoint node needs to recompute: the function, its non-tensor arguments."""

    def __init__(self, fn, args, tensor_slots, n_captured, rng_state, recompute_ctx, check, ops) -> None:
        self.fn = fn
        self.args = args
        self.tensor_slots = tensor_slots
        self.n_captured = n_captured
        self.rng_state = rng_state
        self.recompute_ctx = recompute_ctx
        self.check = check
        self.ops = ops
        self.outputs = None
        self.meta = None


class _CheckpointNode(Function):
    """The checkpoint node: its inputs are ``fn``'s tensor arguments and the tensors it captured."""

    @staticmethod
    def forward(ctx, state: _State, *tensors):
        ctx.state = state
        n_args = len(tensors) - state.n_captured
        ctx.save_for_backward(*tensors[:n_args])  # version-checked: an in-place change is an error
        ctx.captured = tensors[n_args:]
        outputs, state.outputs = state.outputs, None  # computed by checkpoint(), under no_grad
        return outputs

    @staticmethod
    def backward(ctx, *grad_outputs):
        Tensor = _tensor_cls()
        state = ctx.state
        create_graph = is_grad_enabled()  # the engine runs backward with grad on for create_graph
        args = list(state.args)
        detached = []
        for slot, t in zip(state.tensor_slots, ctx.saved_tensors):
            if create_graph and t.requires_grad:
                # an alias in the graph, not a detached copy: the gradients must stay functions of
                # the argument for a second derivative (the alias keeps paths through another input
                # that depends on this one out of this gradient, as a detached copy does)
                d = t.view_as(t)
            else:
                d = t.detach().requires_grad_(t.requires_grad)
            args[slot] = d
            detached.append(d)
        captured = list(ctx.captured)
        recompute_ctx = state.recompute_ctx
        collector = _Collector(debug=True) if state.ops is not None else contextlib.nullcontext()
        fork = state.rng_state is not None
        current = _get_rng_state() if fork else None
        try:
            if fork:
                _set_rng_state(state.rng_state)
            cut = _alias_in_graph if create_graph else _cut_from_graph
            with cut(captured), enable_grad(), recompute_ctx, collector:
                outputs = state.fn(*args)
                single = not isinstance(outputs, tuple)
                outs = (outputs,) if single else outputs
                if state.check and _meta(outs) != state.meta:
                    msg = (
                        "kittygrad.utils.checkpoint: Recomputed values have different metadata "
                        "than during the original forward pass.\n"
                        f"original outputs (shape, dtype): {state.meta}\n"
                        f"recomputed outputs (shape, dtype): {_meta(outs)}\n"
                    )
                    if state.ops is not None:
                        msg += f"original ops: {state.ops}\nrecomputed ops: {collector.ops}\n"
                    raise CheckpointError(msg)
                pairs = [
                    (o, g)
                    for o, g in zip(outs, grad_outputs)
                    if isinstance(o, Tensor) and o.requires_grad and g is not None
                ]
                targets = [d for d in detached if d.requires_grad] + captured
                if pairs and targets:
                    grads = list(
                        grad(
                            [o for o, _ in pairs],
                            targets,
                            [g for _, g in pairs],
                            allow_unused=True,
                            create_graph=create_graph,
                        )
                    )
                else:
                    grads = [None] * len(targets)
        finally:
            if fork:
                _set_rng_state(current)
        result = [grads.pop(0) if d.requires_grad else None for d in detached]
        return (None,) + tuple(result) + tuple(grads)


def checkpoint(
    function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
    context_fn: Callable[[], tuple] = noop_context_fn, determinism_check: str = "default", debug: bool = False,
    early_stop: bool = True, **kwargs: Any,
) -> Any:
    """Run ``function(*args)`` without keeping its activations; recompute them in backward.

    Gradients (of the arguments and of the parameters ``function`` uses) equal those without
    checkpointing; ``preserve_rng_state=True`` (default) replays the same random numbers.

    >>> import kittygrad as kitty
    >>> lin = kitty.nn.Linear(3, 3)
    >>> x = kitty.randn(2, 3, requires_grad=True)
    >>> y = checkpoint(lambda t: lin(t).tanh(), x, use_reentrant=False)
    >>> y.sum().backward(); x.grad.shape, lin.weight.grad.shape
    (kittygrad.Size([2, 3]), kittygrad.Size([3, 3]))
    """
    if use_reentrant is None:
        warnings.warn(
            f"{_display.name}.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
            "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. use_reentrant=False "
            "is recommended, but if you need to preserve the current default behavior, you can pass "
            "use_reentrant=True. Refer to docs for more details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    keep_rng = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise KittyValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant and (context_fn is not noop_context_fn or debug is not False):
        raise KittyValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
    if determinism_check not in ("default", "none"):
        raise KittyValueError(
            f"determinism_check should be one of ['default', 'none'], but got {determinism_check}"
        )
    fn = function
    if kwargs:  # the non-reentrant variant forwards extra keywords to ``function``
        def fn(*a, _f=function, _kw=kwargs):
            return _f(*a, **_kw)

    Tensor = _tensor_cls()
    tensor_slots = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    tensors = [args[i] for i in tensor_slots]
    # The reentrant variant is a custom Function of the arguments: when none of them requires
    # grad its output does not either, whatever parameters ``function`` reads (torch's warning)
    inert = use_reentrant and not any(t._requires_grad for t in tensors)
    if inert:
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)
    forward_ctx, recompute_ctx = context_fn()
    rng_state = _get_rng_state() if keep_rng else None
    with no_grad(), forward_ctx, _Collector(debug) as seen:
        outputs = fn(*args)
    arg_ids = {id(args[i]) for i in tensor_slots}
    captured = [t for k, t in seen.tensors.items() if k not in arg_ids]
    if inert or not is_grad_enabled() or not any(t._requires_grad for t in tensors + captured):
        return outputs  # nothing to differentiate: the forward is all there is
    state = _State(
        fn,
        tuple(None if i in tensor_slots else a for i, a in enumerate(args)),
        tensor_slots,
        len(captured),
        rng_state,
        recompute_ctx,
        determinism_check == "default",
        seen.ops,
    )
    state.meta = _meta(outputs if isinstance(outputs, tuple) else (outputs,))
    state.outputs = outputs
    return _CheckpointNode.apply(state, *tensors, *captured)


def checkpoint_sequential(functions: Iterable | Any, segments: int, input: Any, use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run modules (or functions) in sequence, checkpointing all but the last of ``segments`` chunks.

    >>> import kittygrad as kitty
    >>> model = kitty.nn.Sequential(*[kitty.nn.Linear(4, 4) for _ in range(4)])
    >>> checkpoint_sequential(model, 2, kitty.randn(1, 4), use_reentrant=False).shape
    kittygrad.Size([1, 4])
    """
    if use_reentrant is None:
        warnings.warn(
            f"{_display.name}.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
            "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
            "use_reentrant=False is recommended, but if you need to preserve the current default behavior, you "
            "can pass use_reentrant=True. Refer to docs for more details on the differences between the two "
            "variants.",
            stacklevel=2,
        )
        use_reentrant = True
    keep_rng = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise KittyValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    steps = list(functions.children() if isinstance(functions, Sequential) else functions)
    size = len(steps) // segments
    # all chunks but the last are checkpointed; the last one's activations are needed at once by
    # backward, so it runs normally
    last = size * (segments - 1)
    for begin in range(0, last, size):
        chunk = _chain(steps[begin:begin + size])
        input = checkpoint(chunk, input, use_reentrant=use_reentrant, preserve_rng_state=keep_rng)
    return _chain(steps[last:])(input)


def _chain(steps: list) -> Callable[[Any], Any]:
    """One function that runs ``steps`` one after the other."""

    def run(x):
        for step in steps:
            x = step(x)
        return x

    return run
