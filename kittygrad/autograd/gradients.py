"""Computing gradients: ``autograd.backward`` (accumulate into ``.grad``) and ``autograd.grad``
(return them). Both seed the engine's walk from their outputs and gradients. Also the switch
between the seed's backward semantics and PyTorch's (``set_backward_semantics``)."""
from __future__ import annotations

import functools

from .. import _display
from .. import backend as B
from ..errors import KittyRuntimeError, KittyTypeError, KittyValueError, hinted
from . import engine as _engine
from . import semantics as _semantics
from .accumulation import _accumulate_into
from .engine import _edge
from .walk import run_backward
from .graph_array import GraphArray

#: ``torch.func.vmap``, set when ``kittygrad.func`` is imported (it sits above autograd): batched
#: gradients (``is_grads_batched``, gradcheck's batched checks) run a backward under it
vmap = None


def _roots(tensors, grad_tensors, what, create_graph: bool = False):
    Tensor = _engine.Tensor

    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    grad_tensors = list(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise KittyRuntimeError(f"got {len(tensors)} tensors and {len(grad_tensors)} gradients")
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise KittyTypeError(f"{what} expects Tensors, got {type(t).__name__}")
        if t._view is not None and t._view_version != t._vc[0]:
            t._refresh_view()  # (a view whose base changed in place, as its grad_fn would be read: torch's order)
        if not t._requires_grad:
            raise KittyRuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t._data.size != 1:
                raise KittyRuntimeError(hinted(
                    "grad can be implicitly created only for scalar outputs",
                    f"the output has shape {list(t._data.shape)}; pass a gradient of that shape, e.g. "
                    "out.backward(kitty.ones_like(out)), or reduce it first with out.sum()",
                ))
            g_arr = B.xp.ones(t._data.shape, t._data.dtype)
        else:
            if not isinstance(g, Tensor):
                raise KittyTypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
            if g._data.shape != t._data.shape:
                raise KittyRuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {_display.name}.Size({list(g._data.shape)}) "
                    f"and output[{i}] has a shape of {_display.name}.Size({list(t._data.shape)})."
                )
            g_arr = g._data.astype(t._data.dtype, copy=False)
            if create_graph:  # the gradient's own graph is part of the result
                g_arr = GraphArray(g if g._data.dtype == t._data.dtype else g.to(t.dtype))
        node, nr = _edge(t)
        roots.append((node, nr, g_arr))
    return roots


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False, grad_variables=None, inputs=None):
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad`` (torch.autograd.backward).

    >>> import kittygrad as kitty
    >>> a = kitty.tensor([1., 2.], requires_grad=True)
    >>> kitty.autograd.backward((a * a).sum()); a.grad
    tensor([2., 4.])
    """
    if grad_tensors is None:
        grad_tensors = grad_variables
    if retain_graph is None:
        retain_graph = create_graph
    roots = _roots(tensors, grad_tensors, "backward", create_graph)
    if inputs is not None:
        Tensor = _engine.Tensor
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not inputs:
            raise KittyRuntimeError("`inputs` argument to `backward()` cannot be empty.")
        capture = {_edge(t): i for i, t in enumerate(inputs)}
        grads = run_backward(roots, retain_graph=bool(retain_graph), capture=capture, accumulate=False, create_graph=create_graph)
        for t, g in zip(inputs, grads):
            if g is not None:
                _accumulate_into(t, g, hooks=t._grad_fn is not None)  # leaves' hooks ran already
        return
    run_backward(roots, retain_graph=bool(retain_graph), create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False, only_inputs: bool = True, allow_unused=None, is_grads_batched: bool = False, materialize_grads: bool = False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated.

    >>> import kittygrad as kitty
    >>> x = kitty.tensor([1., 2.], requires_grad=True)
    >>> kitty.autograd.grad((x * x).sum(), x)
    (tensor([2., 4.]),)
    """
    Tensor = _engine.Tensor
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, create_graph, allow_unused, materialize_grads)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if not inputs:
        raise KittyRuntimeError("`inputs` argument to `grad()` cannot be empty.")
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise KittyRuntimeError(hinted("One of the differentiated Tensors does not require grad", f"input {i}"))
    roots = _roots(outputs, grad_outputs, "grad", create_graph)
    capture = {}
    for i, t in enumerate(inputs):
        capture.setdefault(_edge(t), i)
    grads = run_backward(roots, retain_graph=bool(retain_graph), capture=capture, accumulate=False, create_graph=create_graph)
    out = []
    for i, t in enumerate(inputs):
        slot = capture[_edge(t)]
        g = grads[slot]
        if g is None:
            if materialize_grads:
                g = B.xp.zeros(t._data.shape, t._data.dtype)
            elif not allow_unused:
                raise KittyRuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        if type(g) is GraphArray:
            out.append(g.t if g.t._data.dtype == t._data.dtype else g.t.to(t.dtype))
            continue
        out.append(Tensor._wrap(g.astype(t._data.dtype, copy=False)) if g is not None else None)
    return tuple(out)


def _batched_grad(outputs, inputs, grad_outputs, create_graph: bool, allow_unused, materialize_grads: bool) -> tuple:
    """``grad(..., is_grads_batched=True)``: every grad_output has a leading batch dimension, and
    each gradient gets one; the backward runs once, vmapped over that dimension (as torch).

    The graph is kept afterwards (``retain_graph`` is implied): the vmapped walk may revisit it.
    """
    Tensor = _engine.Tensor
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outs) or any(g is None for g in grad_outputs):
        raise KittyRuntimeError(
            "is_grads_batched=True needs one batched grad_output (a Tensor with a leading batch "
            f"dimension) per output: got {len(grad_outputs)} for {len(outs)} output(s), "
            f"{sum(g is None for g in grad_outputs)} of them None"
        )
    for i, (o, g) in enumerate(zip(outs, grad_outputs)):
        if tuple(g.shape[1:]) != tuple(o.shape):
            raise KittyRuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each grad_output as the batch "
                "dimension. The sizes of the remaining dimensions are expected to match the shape of "
                f"corresponding output, but a mismatch was detected: grad_output[{i}] has a shape of "
                f"{_display.name}.Size({list(g.shape[2:])}) and output[{i}] has a shape of "
                f"{_display.name}.Size({list(o.shape)}). If you only want some tensors in `grad_output` to be "
                "considered batched, consider using vmap."
            )

    def grad_of_one_row(*rows):
        return grad(outs, inputs, rows, retain_graph=True, create_graph=create_graph,
                    allow_unused=allow_unused, materialize_grads=materialize_grads)

    return tuple(vmap(grad_of_one_row)(*grad_outputs))


# ---- which semantics backward() follows -----------------------------------------------------

_SEMANTICS = ("seed", "torch")


def _check_semantics(mode) -> bool:
    """``True`` for the seed's semantics, ``False`` for torch's; anything else is refused."""
    if mode not in _SEMANTICS:
        raise KittyValueError(f"backward semantics must be 'seed' or 'torch', got {mode!r}")
    return mode == "seed"


def get_backward_semantics() -> str:
    """``"seed"`` (the default: the seed's locks) or ``"torch"``: what ``backward()`` follows here.

    >>> import kittygrad as kitty
    >>> kitty.autograd.get_backward_semantics()
    'seed'
    """
    return "seed" if _semantics.mode.seed else "torch"


def set_backward_semantics(mode: str) -> None:
    """Choose what ``backward()`` does with recorded uses that it cannot reach, process-wide.

    ``"seed"`` (the default): the seed's locks. A node also waits for recorded uses of its output
    that this backward cannot reach (a logged intermediate, another loss not backpropagated yet);
    kittygrad warns that backpropagation is not completed and finishes it when those outputs call
    ``backward()``. ``"torch"``: PyTorch's semantics. Only the uses this backward reaches count,
    gradients reach the leaves exactly as torch computes them, and nothing warns. The environment
    variable ``KITTYGRAD_BACKWARD=torch`` sets it when kittygrad is imported. Called inside a
    ``backward_semantics()`` block, it holds for the rest of the block too.

    >>> import kittygrad as kitty
    >>> kitty.autograd.set_backward_semantics("torch"); kitty.autograd.get_backward_semantics()
    'torch'
    >>> kitty.autograd.set_backward_semantics("seed")
    """
    _semantics.set_semantics(_check_semantics(mode), here=False)


class backward_semantics:  # noqa: N801 - a context manager, named like torch's no_grad
    """Follow ``mode`` (``"seed"`` or ``"torch"``) in this thread inside the block (or the
    decorated function); the previous semantics come back on exit, also on an error.

    The block is thread-local, as grad mode is: it says how the code it wraps runs, and another
    thread's backward is not affected. ``set_backward_semantics`` sets the process-wide default.

    >>> import kittygrad as kitty
    >>> with kitty.autograd.backward_semantics("torch"):
    ...     kitty.autograd.get_backward_semantics()
    'torch'
    """

    def __init__(self, mode: str) -> None:
        self.seed = _check_semantics(mode)
        self._previous: list = []

    def __enter__(self) -> backward_semantics:
        mode = _semantics.mode
        self._previous.append(mode.__dict__.get("seed", _UNSET))
        _semantics.set_semantics(self.seed, here=True)
        return self

    def __exit__(self, *exc) -> bool:
        previous = self._previous.pop()
        mode = _semantics.mode
        if previous is _UNSET:  # back to the process-wide setting
            mode.__dict__.pop("seed", None)
            mode.__dict__.pop("plain", None)
            _semantics.refresh_plain()
        else:
            _semantics.set_semantics(previous, here=True)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with backward_semantics("seed" if self.seed else "torch"):
                return func(*args, **kwargs)

        return wrapper


_UNSET = object()
