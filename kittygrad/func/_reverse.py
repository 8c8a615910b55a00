"""Reverse-mode transforms of ``kittygrad.func``: ``grad``, ``grad_and_value``, ``vjp``, ``jacrev``.

Each call differentiates ``func`` on its own: the differentiated arguments are replaced by fresh
tensors (an alias with a graph edge when the argument already requires grad, so the result stays
differentiable for an enclosing transform or ``backward()``; a new leaf otherwise), ``func`` runs
with grad mode on, and ``autograd.grad`` pulls the cotangents back. No ``.grad`` is touched.

The pullback builds a graph (``create_graph=True``) only when something outside can use it: an
argument or a captured tensor that requires grad while grad mode is on, or an active forward-AD
level (the tangents must flow through the backward formulas, which run as ops only then).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ..autograd import forward_ad
from ..autograd.engine import AccumulateGrad
from ..autograd.gradients import grad as _autograd_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..creation import eye, ones_like, zeros_like
from ..errors import KittyRuntimeError, KittyValueError
from ..ops.joining import stack
from ..tensor import Tensor
from . import _batched
from . import _batching_rules as _rules
from ._pytree import tree_flatten, tree_map, tree_unflatten


def check_argnums(argnums: Any, n_args: int) -> tuple[tuple[int, ...], bool]:
    """``argnums`` as non-negative positions, and whether it was a single int."""
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        single, nums = True, (argnums,)
    elif isinstance(argnums, tuple) and all(isinstance(a, int) and not isinstance(a, bool) for a in argnums):
        single, nums = False, argnums
        if not nums:
            raise KittyRuntimeError("argnums must be non-empty")
        if len(set(nums)) != len(nums):
            raise KittyRuntimeError(f"argnums elements must be unique, got {argnums}")
    else:
        raise KittyRuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    out = []
    for a in nums:
        if not -n_args <= a < n_args:
            raise KittyRuntimeError(f"Got argnum={a}, but only {n_args} positional inputs")
        out.append(a % n_args)
    return tuple(out), single


def check_tensor(x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise KittyValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    return x


class _Inputs:
    """The differentiated arguments of one call, swapped for tensors of this transform's own."""

    def __init__(self, args: tuple, argnums: tuple, outer_grad: bool) -> None:
        self.args = list(args)
        self.specs = []
        self.leaves: list = []  # the tensors func receives, flat
        self.linked = False  # does some argument carry a graph from outside?
        for i in argnums:
            flat, spec = tree_flatten(args[i])
            own = []
            for x in flat:
                check_tensor(x)
                if not x.is_floating_point():
                    raise KittyRuntimeError("only Tensors of floating point dtype can require gradients")
                if _batched.primal_levels():  # inside vmap: one leaf holding every sample, see _batched_leaf
                    leaf, linked = _batched_leaf(x, outer_grad)
                    self.linked = self.linked or linked
                    own.append(leaf)
                elif outer_grad and x._requires_grad:
                    self.linked = True
                    own.append(x.view_as(x))  # a new node: the alias is differentiated, not x's own edge
                else:
                    leaf = x.detach()
                    leaf.requires_grad_(True)
                    forward_ad.carry_tangent(leaf, x)  # under jacfwd/jvp, x's tangent goes in with it
                    own.append(leaf)
            self.leaves.extend(own)
            self.specs.append(spec)
            self.args[i] = tree_unflatten(own, spec)
        self.argnums = argnums

    def regroup(self, flat: list, single: bool) -> Any:
        """Per-leaf results, shaped as the differentiated arguments (one pytree per argnum)."""
        out, k = [], 0
        for spec in self.specs:
            out.append(tree_unflatten(flat[k : k + spec.num_leaves], spec))
            k += spec.num_leaves
        return out[0] if single else tuple(out)


def _batched_leaf(x: Tensor, outer_grad: bool) -> tuple[Tensor, bool]:
    """The leaf a transform inside ``vmap`` differentiates, and whether it links to an outer graph.

    It is batched at every open vmap level, an unbatched argument (the parameters, in per-sample
    gradients) expanded along the batch dims: its physical tensor then has one copy per sample,
    so one backward pass over the physical graph gives each sample's own gradient.
    """
    full = _batched.batched_to_all_levels(x)
    if outer_grad and _batched.unwrap_all(full).requires_grad:
        return full.view_as(full), True
    physical = _batched.unwrap_all(full)
    plain = physical.detach()
    plain.requires_grad_(True)
    forward_ad.carry_tangent(plain, physical)  # (a forward-AD level inside vmap keeps physical tangents)
    return _batched.rewrap_all(plain), False


def _reaches_outside(outputs: list, own: list) -> bool:
    """Does the graph of ``outputs`` reach a tensor that requires grad other than ``own``?"""
    if _batched.primal_levels():
        outputs = [_batched.unwrap_all(o) for o in outputs]
        own = [_batched.unwrap_all(t) for t in own]
    stop = {id(t._grad_fn) if t._grad_fn is not None else id(t._accumulator()) for t in own}
    stack_ = [o._grad_fn for o in outputs if o._grad_fn is not None]
    seen = set()
    while stack_:
        node = stack_.pop()
        if id(node) in seen or id(node) in stop:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            return True
        stack_.extend(n for n in node._next_nodes if n is not None)
    return False


def _pullback(outputs: list, leaves: list, cotangents: list, create_graph: bool) -> list:
    """``sum_k cotangent_k^T d output_k / d leaf`` for every leaf (zeros where nothing flows)."""
    levels = _batched.primal_levels()
    if levels and all(_batched.batch_depth(x) == len(levels) for x in leaves):
        return _batched_pullback(outputs, leaves, cotangents, create_graph)
    # a leaf shared by the samples (vjp taken outside vmap, vjp_fn called inside): the physical
    # pass would sum the samples' gradients into it, so the cotangents go through the backward
    # formulas as batched tensors instead (their batching rules, or the loop fallback)
    if any(_batched.batch_depth(o) for o in outputs):
        # vjp taken inside vmap, vjp_fn called inside a vmap nested in it: the graph is on physical
        # tensors whose batch dims the cotangents lack (they would broadcast against them, a wrong
        # value); the inner vmap runs per sample instead, where the batched pass above applies
        raise _batched.VmapFallback("vjp_fn runs inside a vmap nested in the one its vjp ran under")
    return _plain_pullback(outputs, leaves, cotangents, create_graph)


def _plain_pullback(outputs: list, leaves: list, cotangents: list, create_graph: bool) -> list:
    """``_pullback`` on plain tensors."""
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o._requires_grad]
    found = [None] * len(leaves)
    if pairs:
        found = _autograd_grad(
            [o for o, _ in pairs],
            leaves,
            [c for _, c in pairs],
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )
    return [g if g is not None else zeros_like(x) for g, x in zip(found, leaves)]


def _batched_pullback(outputs: list, leaves: list, cotangents: list, create_graph: bool) -> list:
    """``_pullback`` inside vmap: on the physical tensors, all samples in one backward pass."""
    plain_outputs = [_batched.unwrap_all(_batched.batched_to_all_levels(o)) for o in outputs]
    plain_cotangents = [
        ones_like(p) if c is None else _batched.unwrap_all(_batched.batched_to_all_levels(c))
        for p, c in zip(plain_outputs, cotangents)
    ]
    plain_leaves = [_batched.unwrap_all(x) for x in leaves]
    found = _plain_pullback(plain_outputs, plain_leaves, plain_cotangents, create_graph)
    return [_batched.rewrap_all(g) for g in found]


def _released(value: Any, linked: bool) -> Any:
    """A result leaves this transform's graph unless an outside graph flows into it."""
    if linked or not isinstance(value, Tensor):
        return value
    out = value.detach()
    forward_ad.carry_tangent(out, value)  # (under jacfwd the tangent is the result that matters)
    return out


def _graph_needed(inputs: _Inputs, outer_grad: bool, outputs: list) -> tuple[bool, bool]:
    linked = inputs.linked or (outer_grad and _reaches_outside(outputs, inputs.leaves))
    return linked, linked or forward_ad.is_active()


def _split_aux(output: Any, has_aux: bool, what: str) -> tuple[Any, Any]:
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise KittyRuntimeError(f"{what}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return output


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(gradient of func w.r.t. args[argnums], func's value)``.

    ``func`` must return a 0-dim Tensor (or ``(tensor, aux)`` with ``has_aux=True``, and the result
    is then ``(gradient, (value, aux))``).

    >>> import kittygrad as kitty
    >>> g, v = kitty.func.grad_and_value(lambda x: (x * x).sum())(kitty.tensor([1., 2.]))
    >>> g, v
    (tensor([2., 4.]), tensor(5.))
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums, single = check_argnums(argnums, len(args))
        outer_grad = is_grad_enabled()
        with enable_grad():
            inputs = _Inputs(args, nums, outer_grad)
            output, aux = _split_aux(func(*inputs.args, **kwargs), has_aux, "grad_and_value(f)(*args)")
            if not isinstance(output, Tensor):
                raise KittyRuntimeError(
                    f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(output)}"
                )
            if output.dim() != 0:
                raise KittyRuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with "
                    f"{output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
                )
            linked, create_graph = _graph_needed(inputs, outer_grad, [output])
            grads = _pullback([output], inputs.leaves, [None], create_graph)
        grads = [_released(g, linked) for g in grads]
        value = _released(output, linked)
        result = inputs.regroup(grads, single)
        if has_aux:
            return result, (value, tree_map(lambda a: _released(a, linked), aux))
        return result, value

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar function, as a function (``torch.func.grad``); transforms nest.

    >>> import kittygrad as kitty
    >>> kitty.func.grad(lambda x: x.sin().sum())(kitty.tensor([0.]))
    tensor([1.])
    >>> kitty.func.grad(kitty.func.grad(lambda x: x ** 3))(kitty.tensor(2.))
    tensor(12.)
    """
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)`` (and ``aux``): ``vjp_fn(cotangents)`` pulls cotangents shaped
    as the output back to a tuple with one gradient pytree per primal.

    >>> import kittygrad as kitty
    >>> out, vjp_fn = kitty.func.vjp(lambda x: x * 3, kitty.tensor([1., 2.]))
    >>> vjp_fn(kitty.ones(2))
    (tensor([3., 3.]),)
    """
    outer_grad = is_grad_enabled()
    with enable_grad():
        inputs = _Inputs(primals, tuple(range(len(primals))), outer_grad)
        output, aux = _split_aux(func(*inputs.args), has_aux, "vjp(f, *primals)")
        flat_out, out_spec = tree_flatten(output)
        for o in flat_out:
            if not isinstance(o, Tensor):
                raise KittyRuntimeError(
                    f"vjp(f, *primals): expected f(*primals) to return only tensors, got unsupported type {type(o)}"
                )
        linked, create_graph = _graph_needed(inputs, outer_grad, flat_out)

    def vjp_fn(cotangents: Any, *more: Any) -> tuple:
        if more:  # several outputs may also be given as separate arguments
            cotangents = (cotangents,) + more
        flat_ct, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            if len(flat_ct) == 1 and len(flat_out) == 1:
                pass
            else:
                raise KittyRuntimeError(
                    f"Expected pytree structure of cotangents to be the same as pytree structure of outputs to "
                    f"the function. cotangents: {ct_spec}, primal output: {out_spec}"
                )
        for c in flat_ct:
            check_tensor(c)
        with enable_grad():
            grads = _pullback(flat_out, inputs.leaves, flat_ct, create_graph or any(c.requires_grad for c in flat_ct))
        return tuple(inputs.regroup([_released(g, linked) for g in grads], False))

    released = tree_unflatten([_released(o, linked) for o in flat_out], out_spec)
    if has_aux:
        return released, vjp_fn, tree_map(lambda a: _released(a, linked), aux)
    return released, vjp_fn


def _all_rows(o: Tensor, leaves: list, basis: Tensor, create_graph: bool) -> list | None:
    """Every row of ``o``'s Jacobian w.r.t. each leaf in one pullback, ``(numel, *leaf.shape)`` each.

    The basis cotangents go in as one BatchedTensor: the backward formulas then run as ops
    (``create_graph``) and meet their batching rules, as torch's ``jacrev`` runs ``vmap(vjp)``.
    Inside vmap the pullback runs on the physical graph (as ``_batched_pullback`` does), the
    basis expanded along the open levels' batch dims, so every sample's rows come from one pass.
    None when that is not possible here (forward-mode AD, a leaf not batched at every level, or a
    formula without a batched form): the caller then pulls back one row at a time.
    """
    if forward_ad.is_active() or o.numel() < 2:
        return None
    outer = _batched.primal_levels()
    if len(outer) != len(_batched.levels):
        return None  # (a jacfwd basis level is open: its tangents have no place on the physical graph)
    if outer:
        if any(_batched.batch_depth(x) != len(outer) for x in leaves):
            return None
        target = _batched.unwrap_all(_batched.batched_to_all_levels(o))
        sources = [_batched.unwrap_all(x) for x in leaves]
        if type(target) is _batched.BatchedTensor or not target._requires_grad:
            return None
    else:
        target, sources = o, leaves
    n, k = o.numel(), len(outer)
    batch = tuple(target.shape[:k])  # the open levels' batch dims, outermost first
    level = _rules.open_level(n)
    try:
        seed = basis.reshape((n,) + (1,) * k + tuple(o.shape)).expand((n,) + batch + tuple(o.shape))
        cotangent = _batched.BatchedTensor.make(seed, level)
        found = _autograd_grad([target], sources, [cotangent], retain_graph=True, create_graph=True, allow_unused=True)
        rows = []
        for g in found:
            if g is None:
                rows.append(None)
                continue
            phys = _batched.batched_at(g, level)._phys
            if type(phys) is _batched.BatchedTensor:
                return None  # (batched at another level too: not the physical rows)
            rows.append(phys)
        cotangent = found = g = phys = None  # (so that closing the level frees the batched tensors)
    except (_batched.VmapFallback, Exception):
        # (a formula that cannot take a batched cotangent, e.g. one that writes it into a fresh
        # buffer: the row-by-row pullback that follows raises any error that is really the caller's)
        return None
    finally:
        _rules.close_level(level)
    out = []
    for r, x in zip(rows, sources):
        if r is None:  # no path from this leaf to o
            r = zeros_like(x).unsqueeze(k).expand(batch + (n,) + tuple(x.shape)[k:])
        elif k:
            r = r.movedim(0, k)  # (n, *batch, *leaf) -> (*batch, n, *leaf)
        if not create_graph:
            r = r.detach()
        out.append(_batched.rewrap_all(r) if k else r)
    return out


def check_chunk_size(chunk_size: int | None, name: str) -> None:
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise KittyValueError(f"{name}: `chunk_size` should be greater than 0.")


def jacrev(
    func: Callable,
    argnums: int | tuple[int, ...] = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
    _preallocate_and_copy: bool = False,
) -> Callable:
    """The Jacobian of ``func`` w.r.t. ``args[argnums]`` by reverse mode, one pullback per output
    element (``chunk_size`` only bounds memory in torch; the values are the same). Each output leaf
    becomes a pytree like the differentiated arguments, of shape ``output.shape + input.shape``.

    >>> import kittygrad as kitty
    >>> kitty.func.jacrev(lambda x: x ** 2)(kitty.tensor([1., 3.]))
    tensor([[2., 0.],
            [0., 6.]])
    """
    check_chunk_size(chunk_size, "jacrev")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums, single = check_argnums(argnums, len(args))
        outer_grad = is_grad_enabled()
        with enable_grad():
            inputs = _Inputs(args, nums, outer_grad)
            output, aux = _split_aux(func(*inputs.args, **kwargs), has_aux, "jacrev(f, ...)(*args)")
            flat_out, out_spec = tree_flatten(output)
            for o in flat_out:
                if not isinstance(o, Tensor):
                    raise KittyRuntimeError(
                        f"jacrev(f, ...)(*args): expected f(*args) to return only tensors, got unsupported type {type(o)}"
                    )
            linked, create_graph = _graph_needed(inputs, outer_grad, flat_out)
            blocks = []
            for o in flat_out:
                n = o.numel()
                rows = []
                if n and o._requires_grad:
                    basis = eye(n, dtype=o.dtype)
                    rows = _all_rows(o, inputs.leaves, basis, create_graph)
                    if rows is None:
                        rows = [_pullback([o], inputs.leaves, [basis[k].reshape(o.shape)], create_graph) for k in range(n)]
                        rows = [stack([r[j] for r in rows]) for j in range(len(inputs.leaves))]
                per_leaf = []
                for j, x in enumerate(inputs.leaves):
                    if rows:
                        jac = rows[j].reshape(tuple(o.shape) + tuple(x.shape))
                    else:
                        jac = o.new_zeros(tuple(o.shape) + tuple(x.shape))  # no path from x to o
                    per_leaf.append(_released(jac, linked))
                blocks.append(inputs.regroup(per_leaf, single))
        result = tree_unflatten(blocks, out_spec)
        if has_aux:
            return result, tree_map(lambda a: _released(a, linked), aux)
        return result

    return wrapper
