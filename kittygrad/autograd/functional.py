"""Higher-level autograd on functions, as ``torch.autograd.functional``.

``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp`` and ``vhp`` take a function of Tensors and
the point at which to differentiate it. All of them reduce to one operation, the pullback
``sum_k c_k^T d out_k / d x`` (:func:`_pullback`, one ``autograd.grad`` call):

* ``vjp``  pulls ``v`` back through ``func``;
* ``jvp``  uses the double-backward trick: ``g(u) = J^T u`` is linear in ``u``, so pulling ``v``
  back through ``g`` (with respect to ``u``) gives ``J v``;
* ``vhp`` / ``hvp`` do the same one level higher, with the gradient of a scalar ``func``;
* ``jacobian`` pulls back each basis vector of each output, one row at a time.

kittygrad has no ``vmap`` and no forward-mode AD: ``vectorize=True`` and the ``"forward-mode"``
strategies accept torch's arguments and give the same values through the row-by-row loop.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import backend as B
from ..creation import zeros, zeros_like
from ..errors import KittyNotImplementedError, KittyRuntimeError, KittyTypeError
from ..ops.joining import stack
from ..tensor import Tensor
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from .gradients import grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_RESULT_OF = "outputs of the user-provided function"
_STRATEGIES = ("reverse-mode", "forward-mode")

# strict mode: what to say when a tensor that must carry a graph does not
_NO_GRAPH = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be "
    "computed in a differentiable manner from the input when running in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
    "function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with "
    "respect to input {i} is independent of the input. This is not allowed in strict mode. You should "
    "ensure that your function is twice differentiable and that the jacobian depends on the inputs (this "
    "would be violated by a linear function for example).",
}

# strict mode: what to say when a pullback reaches nothing, by which pullback it was
_UNREACHED = {
    "vjp": "The output of the user-provided function is independent of input {i}. This is not allowed in "
    "strict mode.",
    "jvp": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
    "using the double backward trick to compute forward mode gradients. This is not allowed in strict mode.",
    "vhp": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
    "strict mode.",
    "hvp": "The hessian of the user-provided function is independent of entry {i} in the grad_jacobian. "
    "This is not allowed in strict mode as it prevents from using the double backward trick to replace "
    "forward mode AD.",
}


def _tensor_type():
    return Tensor


# ---- arguments in, results out -------------------------------------------------------------------


def _tensors(value, what: str, fn: str) -> tuple[tuple, bool]:
    """``value`` ("a Tensor or a tuple of Tensors") as a tuple, and whether it was one."""
    Tensor = _tensor_type()
    given_tuple = isinstance(value, tuple)
    items = value if given_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"value at index {i}" if given_tuple else f"given {what}"
            raise KittyTypeError(
                f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but the {where} "
                f"has type {type(item)}."
            )
    return items, given_tuple


def _as_given(value, outer_tuple: bool, inner_tuple: bool = True):
    """Undo :func:`_tensors` on a result: a level the caller gave as a single Tensor is unwrapped."""
    if not inner_tuple:
        value = tuple(row[0] for row in value)
    return value if outer_tuple else value[0]


def _forward_mode_containers(value, strategy: str, outer_tuple: bool, inner_tuple: bool):
    """torch's containers for a ``"forward-mode"`` Jacobian: a level for tuple inputs is a list,
    and so is the level for tuple outputs when the inputs were a tuple too."""
    if strategy != _STRATEGIES[1] or not inner_tuple:
        return value
    if outer_tuple:
        return [list(row) for row in value]
    return list(value)


def _own_copies(tensors: tuple, create_graph: bool, track: bool) -> tuple:
    """New tensor objects for the user's tensors, so that what ``func`` captures by closure is
    never confused with what it receives. With ``create_graph`` a tensor that requires grad is
    passed as a view, which keeps the results differentiable with respect to it; anything else
    starts a graph of its own (``track``) or none."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(track) for t in tensors
    )


def _released(value, create_graph: bool):
    """Results (nested tuples too) leave our graph unless the caller asked for ``create_graph``."""
    if isinstance(value, tuple):
        return tuple(_released(item, create_graph) for item in value)
    return value if create_graph else value.detach()


def _vector(v, like: tuple, like_is_tuple: bool, fn: str, create_graph: bool) -> tuple:
    """The ``v`` argument, checked against the tensors it multiplies (count and sizes)."""
    v, _ = _tensors(v, "v", fn)
    if len(v) != len(like):
        if like_is_tuple:
            raise KittyRuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got {len(v)}.")
        raise KittyRuntimeError("The given v should contain a single Tensor.")
    for k, (vk, ref) in enumerate(zip(v, like)):
        if vk.size() != ref.size():
            entry = f"Entry {k} in " if like_is_tuple else ""
            raise KittyRuntimeError(f"{entry}v has invalid size: should be {ref.size()} but got {vk.size()}.")
    return _own_copies(v, create_graph, False)


def _no_v_needs_one_element(tensors: tuple, whose: str) -> None:
    if len(tensors) != 1 or tensors[0].nelement() != 1:
        raise KittyRuntimeError(f"The vector v can only be None if {whose} a single Tensor with a single element.")


def _scalar_result(outputs: tuple, given_tuple: bool, fn: str) -> None:
    if given_tuple or not isinstance(outputs[0], _tensor_type()):
        raise KittyRuntimeError(f"The function given to {fn} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise KittyRuntimeError(f"The Tensor returned by the function given to {fn} should contain a single element")


def _strict_graph(tensors, kind: str, strict: bool) -> None:
    """In strict mode every tensor must exist and carry a graph."""
    if strict:
        for i, t in enumerate(tensors):
            if t is None:
                raise KittyRuntimeError(_UNREACHED["vjp"].format(i=i))
            if not t.requires_grad:
                raise KittyRuntimeError(_NO_GRAPH[kind].format(i=i))


def _call(func, inputs: tuple, fn: str, strict: bool) -> tuple[tuple, bool]:
    outputs, given_tuple = _tensors(func(*inputs), _RESULT_OF, fn)
    _strict_graph(outputs, "outputs", strict)
    return outputs, given_tuple


# ---- the one operation everything reduces to -------------------------------------------------


def _pullback(outputs, wrt, cotangents=None, create_graph: bool = False, retain_graph=None) -> tuple:
    """``sum_k cotangents[k]^T d outputs[k] / d wrt``, one entry per ``wrt`` (None where no output
    reaches it). Outputs that are None or carry no graph contribute nothing."""
    if cotangents is None:
        cotangents = [None] * len(outputs)
    live = [(out, c) for out, c in zip(outputs, cotangents) if out is not None and out.requires_grad]
    if not live:
        return (None,) * len(wrt)
    seeds = None
    if any(c is not None for _, c in live):
        # grad() takes None for all outputs or for none: spell out the implicit ones of a scalar
        Tensor = _tensor_type()
        seeds = [Tensor._wrap(B.xp.ones(out._data.shape, out._data.dtype)) if c is None else c for out, c in live]
    return grad(
        [out for out, _ in live], wrt, seeds, retain_graph=retain_graph, create_graph=create_graph, allow_unused=True
    )


def _product(outputs, wrt, v, zeros_for: tuple, create_graph: bool, strict: bool, fn: str) -> tuple:
    """The pullback of ``v`` that vjp/jvp/vhp/hvp return: a missing part becomes zeros shaped
    like ``zeros_for`` (an error in strict mode); under ``create_graph`` it must carry a graph."""
    with set_grad_enabled(create_graph or is_grad_enabled()):
        parts = _pullback(outputs, wrt, v, create_graph=create_graph)
        result = []
        for i, part in enumerate(parts):
            if part is None:
                if strict:
                    raise KittyRuntimeError(_UNREACHED[fn].format(i=i))
                part = zeros_like(zeros_for[i])
            elif strict and create_graph and not part.requires_grad:
                what = "hessian" if fn in ("vhp", "hvp") else "jacobian"
                raise KittyRuntimeError(
                    f"The {what} of the user-provided function is independent of input {i}. This is not "
                    "allowed in strict mode when create_graph=True."
                )
            result.append(part)
    return _released(tuple(result), create_graph)


def _jacobian_blocks(outputs: tuple, inputs: tuple, create_graph: bool, strict: bool) -> tuple:
    """``J[i][j] = d outputs[i] / d inputs[j]`` of shape ``out_i.shape + in_j.shape``, built from
    one pullback per output element (the basis vector e_k gives row k)."""

    Tensor = _tensor_type()
    blocks = []
    for i, out in enumerate(outputs):
        shape, dtype = out._data.shape, out._data.dtype
        rows: list[list] = [[] for _ in inputs]
        for k in range(out._data.size):
            e_k = B.xp.zeros(out._data.size, dtype)
            e_k[k] = 1
            grads = _pullback((out,), inputs, (Tensor._wrap(e_k.reshape(shape)),), create_graph, retain_graph=True)
            for j, (g, x) in enumerate(zip(grads, inputs)):
                if g is None:
                    if strict:
                        raise KittyRuntimeError(
                            f"Output {i} of the user-provided function is independent of input {j}. This is "
                            "not allowed in strict mode."
                        )
                    g = zeros_like(x)
                elif strict and create_graph and not g.requires_grad:
                    raise KittyRuntimeError(  # torch names the output's index here
                        f"The jacobian of the user-provided function is independent of input {i}. This is "
                        "not allowed in strict mode when create_graph=True."
                    )
                rows[j].append(g)
        blocks.append(
            tuple(
                stack(r, 0).reshape(tuple(out.shape) + tuple(x.shape))
                if r  # an empty output has no rows to stack
                else zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype)
                for r, x in zip(rows, inputs)
            )
        )
    return tuple(blocks)


def _check_strategy(strategy: str, create_graph: bool, strict: bool, vectorize: bool) -> None:
    if strategy not in _STRATEGIES:
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    unsupported = (
        "kittygrad.autograd.functional.jacobian: `{0}=True` and `{1}` are not supported together{2}. "
        "Please either set `{0}=False` or `{3}`."
    )
    if strategy == _STRATEGIES[1]:  # forward-mode: accepted, computed row by row
        if create_graph:
            raise KittyNotImplementedError(
                unsupported.format("create_graph", 'strategy="forward-mode"', " (yet)", 'strategy="reverse-mode"')
            )
        if strict:
            raise KittyRuntimeError(
                unsupported.format("strict", 'strategy="forward-mode"', " (yet)", 'strategy="reverse-mode"')
            )
        if not vectorize:
            raise KittyNotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`."
            )
    elif vectorize and strict:
        raise KittyRuntimeError(unsupported.format("strict", "vectorized=True", "", "vectorize=False"))


# ---- the public functions -------------------------------------------------------------------------


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    >>> import kittygrad as kitty
    >>> out, g = vjp(lambda x: x * x, kitty.tensor([1., 2.]), kitty.tensor([1., 1.]))
    >>> g
    tensor([2., 4.])
    """
    with enable_grad():
        xs, xs_tuple = _tensors(inputs, "inputs", "vjp")
        xs = _own_copies(xs, create_graph, True)
        outs, outs_tuple = _call(func, xs, "vjp", strict)
        if v is None:
            _no_v_needs_one_element(outs, "the user-provided function returns")
        else:
            v = _vector(v, outs, outs_tuple, "vjp", create_graph)
    result = _product(outs, xs, v, xs, create_graph, strict, "vjp")
    return _as_given(_released(outs, create_graph), outs_tuple), _as_given(result, xs_tuple)


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick.

    >>> import kittygrad as kitty
    >>> out, jv = jvp(lambda x: x * x, kitty.tensor([1., 2.]), kitty.tensor([1., 0.]))
    >>> jv
    tensor([2., 0.])
    """
    with enable_grad():
        xs, xs_tuple = _tensors(inputs, "inputs", "jvp")
        xs = _own_copies(xs, create_graph, True)
        if v is None:
            _no_v_needs_one_element(xs, "the input to the user-provided function is")
        else:
            v = _vector(v, xs, xs_tuple, "jvp", create_graph)
        outs, outs_tuple = _call(func, xs, "jvp", strict)
        # u -> J^T u, recorded with a graph so that it can be pulled back once more, w.r.t. u
        u = tuple(zeros_like(out, requires_grad=True) for out in outs)
        jt_u = _pullback(outs, xs, u, create_graph=True)
        _strict_graph(jt_u, "grad_inputs", strict)
    result = _product(jt_u, u, v, outs, create_graph, strict, "jvp")
    return _as_given(_released(outs, create_graph), outs_tuple), _as_given(result, outs_tuple)


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: ``J[i][j]`` has shape ``out_i.shape + in_j.shape``.

    A single input and a single output give a Tensor; tuples give (nested) tuples, as torch.

    >>> import kittygrad as kitty
    >>> jacobian(lambda x: x * x, kitty.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    _check_strategy(strategy, create_graph, strict, vectorize)
    with enable_grad():
        xs, xs_tuple = _tensors(inputs, "inputs", "jacobian")
        xs = _own_copies(xs, create_graph, True)
        outs, outs_tuple = _call(func, xs, "jacobian", strict)
        blocks = _jacobian_blocks(outs, xs, create_graph, strict)
        result = _as_given(_released(blocks, create_graph), outs_tuple, xs_tuple)
        return _forward_mode_containers(result, strategy, outs_tuple, xs_tuple)


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar function: ``H[i][j]`` has shape ``in_i.shape + in_j.shape``.

    It is the Jacobian of the gradient: the gradient is built with a graph, then each of its
    elements is pulled back once more.

    >>> import kittygrad as kitty
    >>> hessian(lambda x: (x ** 3).sum(), kitty.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    xs, xs_tuple = _tensors(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    _check_strategy(outer_jacobian_strategy, create_graph, strict, vectorize)
    with enable_grad():
        xs = _own_copies(xs, create_graph, True)
        outs, outs_tuple = _call(func, xs, "hessian", strict)
        _scalar_result(outs, outs_tuple, "hessian")
        # the gradient must stay differentiable: it is what the Hessian differentiates
        gradient = _pullback((outs[0].squeeze(),), xs, create_graph=True)
        gradient = tuple(zeros_like(x) if g is None else g for g, x in zip(gradient, xs))
        _strict_graph(gradient, "jacobian", strict)
        blocks = _jacobian_blocks(gradient, xs, create_graph, strict)
        result = _as_given(_released(blocks, create_graph), xs_tuple, xs_tuple)
        return _forward_mode_containers(result, outer_jacobian_strategy, xs_tuple, xs_tuple)


def _gradient_at(func, inputs, v, create_graph: bool, strict: bool, fn: str) -> tuple:
    """Shared start of vhp and hvp: the point, ``v``, the scalar output and its gradient (with a graph)."""
    xs, xs_tuple = _tensors(inputs, "inputs", fn)
    xs = _own_copies(xs, create_graph, True)
    if v is None:
        _no_v_needs_one_element(xs, "the input to the user-provided function is")
    else:
        v = _vector(v, xs, xs_tuple, fn, create_graph)
    outs, outs_tuple = _call(func, xs, fn, strict)
    _scalar_result(outs, outs_tuple, fn)
    gradient = _pullback(outs, xs, create_graph=True)
    _strict_graph(gradient, "jacobian", strict)
    return xs, xs_tuple, v, outs, outs_tuple, gradient


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), v^T H)`` for a scalar function.

    >>> import kittygrad as kitty
    >>> out, r = vhp(lambda x: (x ** 3).sum(), kitty.tensor([1., 2.]), kitty.tensor([1., 1.]))
    >>> r
    tensor([ 6., 12.])
    """
    with enable_grad():
        xs, xs_tuple, v, outs, outs_tuple, gradient = _gradient_at(func, inputs, v, create_graph, strict, "vhp")
    result = _product(gradient, xs, v, xs, create_graph, strict, "vhp")
    return _as_given(_released(outs, create_graph), outs_tuple), _as_given(result, xs_tuple)


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """``(func(inputs), H v)`` for a scalar function, by the double-backward trick (as torch).

    >>> import kittygrad as kitty
    >>> out, r = hvp(lambda x: (x ** 3).sum(), kitty.tensor([1., 2.]), kitty.tensor([1., 1.]))
    >>> r
    tensor([ 6., 12.])
    """
    with enable_grad():
        xs, xs_tuple, v, outs, outs_tuple, gradient = _gradient_at(func, inputs, v, create_graph, strict, "hvp")
        # u -> H^T u recorded with a graph; pulling v back through it w.r.t. u gives H v
        u = tuple(zeros_like(x, requires_grad=True) for x in xs)
        ht_u = _pullback(gradient, xs, u, create_graph=True)
    result = _product(ht_u, u, v, xs, create_graph, strict, "hvp")
    return _as_given(_released(outs, create_graph), outs_tuple), _as_given(result, xs_tuple)
