"""Computing gradients: ``autograd.backward`` (accumulate into ``.grad``) and ``autograd.grad``
(return them). Both seed the engine's walk from their outputs and gradients."""
from __future__ import annotations

from .. import backend as B
from ..errors import KittyRuntimeError, KittyTypeError
from . import engine as _engine
from .engine import _accumulate_into, _edge, run_backward
from .graph_array import GraphArray


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
        raise KittyRuntimeError(
            f"grad can be implicitly created only for scalar outputs; got {len(tensors)} outputs "
            f"and {len(grad_tensors)} gradients"
        )
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise KittyTypeError(f"{what} expects Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise KittyRuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t._data.size != 1:
                raise KittyRuntimeError(
                    f"grad can be implicitly created only for scalar outputs (the output has shape "
                    f"{list(t._data.shape)}); pass a gradient of that shape, e.g. "
                    "out.backward(kitty.ones_like(out)), or reduce it first with out.sum()"
                )
            g_arr = B.xp.ones(t._data.shape, t._data.dtype)
        else:
            if not isinstance(g, Tensor):
                raise KittyTypeError(f"gradient must be a Tensor, got {type(g).__name__}")
            if g._data.shape != t._data.shape:
                raise KittyRuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of kittygrad.Size({list(g._data.shape)}) "
                    f"and output[{i}] has a shape of kittygrad.Size({list(t._data.shape)})."
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
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise KittyRuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
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
                    f"One of the differentiated Tensors (input {i}) appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        if type(g) is GraphArray:
            out.append(g.t if g.t._data.dtype == t._data.dtype else g.t.to(t.dtype))
            continue
        out.append(Tensor._wrap(g.astype(t._data.dtype, copy=False)) if g is not None else None)
    return tuple(out)
