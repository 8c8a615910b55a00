"""Forward-mode transforms of ``kittygrad.func``: ``jvp``, ``linearize``, ``jacfwd``, ``hessian``.

They run ``func`` on dual tensors inside one ``autograd.forward_ad`` level (one level at a time,
as torch's forward AD: ``jvp`` inside ``jvp`` is refused, while ``jacfwd(jacrev(f))`` works because
the reverse pass inside runs its backward formulas as ops, which carry the tangents). Tangents are
values without a graph: a ``jvp``/``jacfwd`` result is not differentiable w.r.t. an enclosing graph
(a reverse pass through one raises, rather than giving zeros).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ..backend_random import default_generator
from ..autograd import forward_ad as fwAD
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..creation import eye, get_rng_state, set_rng_state, zeros, zeros_like
from ..errors import KittyRuntimeError
from ..ops.joining import stack
from ..tensor import Tensor
from . import _batched
from . import _batching_rules as _rules
from ._pytree import tree_flatten, tree_map, tree_unflatten
from ._reverse import check_argnums, check_tensor, jacrev


class _NoReverse(Function):
    """Identity on a forward-mode tangent whose backward refuses: tangents carry no graph, so a
    reverse pass through one (``jacrev(jacfwd(f))``, ``grad`` of a ``jvp``) would give zeros."""

    @staticmethod
    def forward(ctx, tangent, primal):
        return tangent.view_as(tangent)

    @staticmethod
    def backward(ctx, grad):
        raise KittyRuntimeError(
            "kittygrad.func: reverse-mode differentiation through a forward-mode result (a jvp/linearize "
            "tangent or a jacfwd Jacobian) is not supported: its tangents carry no graph. Differentiate in "
            "the other order instead (jacfwd(jacrev(f)), hessian(f), or jacrev(jacrev(f)))."
        )


def _guarded(tangent: Tensor, primal: Tensor) -> Tensor:
    """``tangent``, made to refuse a reverse pass when ``primal`` is on an enclosing graph."""
    if is_grad_enabled() and primal.requires_grad:
        return _NoReverse.apply(tangent, primal)
    return tangent


def _run_dual(
    func: Callable,
    args: list,
    diff_leaves: list,
    tangent_leaves: list,
    specs: list,
    argnums: tuple,
    has_aux: bool,
    what: str,
    kwargs: dict,
    guard: bool = True,
) -> tuple:
    """``func`` on dual tensors: (flat primal outputs, flat tangent outputs, output spec, aux).

    Inside ``vmap`` the level goes under vmap's (see ``autograd.forward_ad``): batched primals
    and tangents run batched. ``guard=False`` leaves the tangents unguarded (jacfwd guards its
    stacked Jacobian instead)."""
    with fwAD.dual_level():
        duals = [fwAD.make_dual(p, t) for p, t in zip(diff_leaves, tangent_leaves)]
        call = list(args)
        k = 0
        for i, spec in zip(argnums, specs):
            call[i] = tree_unflatten(duals[k : k + spec.num_leaves], spec)
            k += spec.num_leaves
        output = func(*call, **kwargs)
        aux = None
        if has_aux:
            if not (isinstance(output, tuple) and len(output) == 2):
                raise KittyRuntimeError(
                    f"{what}: output of function f should be a tuple: (output, aux) if has_aux is True"
                )
            output, aux = output
        flat, spec = tree_flatten(output)
        primals, tangents = [], []
        for o in flat:
            if not isinstance(o, Tensor):
                raise KittyRuntimeError(
                    f"{what}: expected f(*primals) to return only tensors, got unsupported type {type(o)}"
                )
            p, t = fwAD.unpack_dual(o)
            primals.append(p)
            tangents.append(t if t is not None else zeros_like(o))
        if guard:
            tangents = [_guarded(t, p) for t, p in zip(tangents, primals)]
        if has_aux:  # aux leaves lose their tangents with the level; keep plain views of them
            aux = tree_map(lambda a: fwAD.unpack_dual(a).primal if isinstance(a, Tensor) else a, aux)
    return primals, tangents, spec, aux


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False, has_aux: bool = False) -> tuple:
    """``(func(*primals), J @ tangents)`` by forward mode; ``primals`` and ``tangents`` are tuples
    of the same structure.

    >>> import kittygrad as kitty
    >>> kitty.func.jvp(lambda x: x ** 2, (kitty.tensor([3.]),), (kitty.tensor([1.]),))
    (tensor([9.]), tensor([6.]))
    """
    if strict:
        raise KittyRuntimeError("jvp(f, primals, tangents): strict=True is not supported yet.")
    for name, value in (("primals", primals), ("tangents", tangents)):
        if isinstance(value, tuple):
            continue
        raise KittyRuntimeError(
            f"jvp(f, primals, tangents): Expected {name} to be a tuple. E.g. it should be valid to call f(*primals)."
        )
    p_leaves, p_spec = tree_flatten(primals)
    t_leaves, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise KittyRuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python structure. For "
            f"example, if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
            f"{p_spec} and tangents with structure {t_spec}"
        )
    for p, t in zip(p_leaves, t_leaves):
        check_tensor(p)
        check_tensor(t)
        if tuple(p.shape) != tuple(t.shape):
            raise KittyRuntimeError(
                "jvp(f, primals, tangents): Expected primals and tangents to have the same shape, got "
                f"{list(p.shape)} and {list(t.shape)}"
            )
    specs = [tree_flatten(a)[1] for a in primals]
    outs, tans, spec, aux = _run_dual(
        func,
        list(primals),
        p_leaves,
        t_leaves,
        specs,
        tuple(range(len(primals))),
        has_aux,
        "jvp(f, primals, tangents)",
        {},
    )
    result = (tree_unflatten(outs, spec), tree_unflatten(tans, spec))
    return result + (aux,) if has_aux else result


def linearize(func: Callable, *primals: Any) -> tuple:
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the Jacobian-vector product at primals.

    >>> import kittygrad as kitty
    >>> out, jvp_fn = kitty.func.linearize(lambda x: x.sin(), kitty.tensor([0.]))
    >>> jvp_fn(kitty.tensor([2.]))
    tensor([2.])
    """
    output = func(*primals)

    def jvp_fn(*tangents: Any) -> Any:
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


def jacfwd(
    func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *, randomness: str = "error"
) -> Callable:
    """The Jacobian of ``func`` w.r.t. ``args[argnums]`` by forward mode, one tangent per input
    element; laid out as :func:`jacrev`'s (``output.shape + input.shape``).

    >>> import kittygrad as kitty
    >>> kitty.func.jacfwd(lambda x: x ** 2)(kitty.tensor([1., 3.]))
    tensor([[2., 0.],
            [0., 6.]])
    """
    if randomness not in ("error", "different", "same"):
        raise KittyRuntimeError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}"
        )

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums, single = check_argnums(argnums, len(args))
        specs, leaves = [], []
        for i in nums:
            flat, spec = tree_flatten(args[i])
            leaves.extend(check_tensor(x) for x in flat)
            specs.append(spec)
        state = get_rng_state() if randomness == "same" else None
        stamp = default_generator.stamp()  # (cheaper than reading the state: see RngBefore)
        done = _jacfwd_batched(func, args, kwargs, leaves, specs, nums, has_aux, single)
        if randomness == "error" and default_generator.stamp() != stamp:
            raise _batched.random_in_error_mode()
        if done is not None:
            return done
        columns = []  # per input element: the flat output tangents
        out_primals, out_spec, aux = None, None, None
        for j, x in enumerate(leaves):
            n = x.numel()
            unit = eye(n, dtype=x.dtype) if n else None
            for k in range(n):
                if randomness == "same":  # every tangent sees the same draws
                    set_rng_state(state)
                basis = [zeros_like(y) for y in leaves]
                basis[j] = unit[k].reshape(tuple(x.shape))
                prim, tans, out_spec, aux = _run_dual(
                    func, list(args), leaves, basis, specs, nums, has_aux, "jacfwd(f, ...)(*args)", kwargs
                )
                out_primals = prim
                columns.append((j, tans))
        if out_primals is None:  # no input element at all: one plain call for the output's shape
            output = func(*args, **kwargs)
            output, aux = output if has_aux else (output, None)
            out_primals, out_spec = tree_flatten(output)
        blocks = []
        for m, o in enumerate(out_primals):
            per_leaf = []
            for j, x in enumerate(leaves):
                cols = [t[m] for jj, t in columns if jj == j]
                shape = tuple(o.shape) + tuple(x.shape)
                if cols:
                    per_leaf.append(_guarded(stack(cols, dim=-1).reshape(shape), o))
                else:
                    per_leaf.append(o.new_zeros(shape))
            blocks.append(_per_argnum(per_leaf, specs, single))
        result = tree_unflatten(blocks, out_spec)
        return (result, aux) if has_aux else result

    return wrapper


def _per_argnum(per_leaf: list, specs: list, single: bool) -> Any:
    """Flat per-leaf Jacobian blocks regrouped as the differentiated arguments' pytrees."""
    k, grouped = 0, []
    for spec in specs:
        grouped.append(tree_unflatten(per_leaf[k : k + spec.num_leaves], spec))
        k += spec.num_leaves
    return grouped[0] if single else tuple(grouped)


def _jacfwd_batched(func, args, kwargs, leaves, specs, nums, has_aux, single):
    """jacfwd in one forward pass: every basis tangent at once, as a BatchedTensor (torch's
    ``vmap(jvp)``). None when that is not possible here (inside a forward-AD level, or a tangent
    formula without a batched form): the caller then pushes one tangent at a time, which raises
    any error that is really the caller's.

    Outside vmap the basis level batches only the tangents (the primals run once). Inside vmap it
    is a vmap level like the others, primals batched along it too: the dual level goes under every
    vmap level there (``autograd.forward_ad``), where primal and tangent share one physical shape."""
    sizes = [x.numel() for x in leaves]
    total = sum(sizes)
    if fwAD.is_active() or total < 2 or any(not x.is_floating_point() for x in leaves):
        return None
    in_vmap = bool(_batched.primal_levels())
    level = _rules.open_level(total, tangents_only=not in_vmap)
    try:
        tangents, start = [], 0
        for x, n in zip(leaves, sizes):
            rows = zeros((total, n), dtype=x.dtype)
            rows[start : start + n] = eye(n, dtype=x.dtype)
            tangents.append(_batched.BatchedTensor.make(rows.reshape((total,) + tuple(x.shape)), level))
            start += n
        prims, tans, out_spec, aux = _run_dual(
            func, list(args), leaves, tangents, specs, nums, has_aux, "jacfwd(f, ...)(*args)", kwargs, guard=False
        )
        columns = [_batched.batched_at(t, level)._phys.detach() for t in tans]  # (total, *output.shape) each
        if in_vmap:  # the primals (and aux) are the same along the basis: its first row
            prims = [_first_row(p, level) for p in prims]
            aux = tree_map(lambda a: _first_row(a, level), aux)
        tangents = tans = None  # (so that closing the level frees the batched tensors)
    except (_batched.VmapFallback, Exception):
        return None
    finally:
        _rules.close_level(level)
    blocks = []
    for o, col in zip(prims, columns):
        per_leaf, start = [], 0
        for x, n in zip(leaves, sizes):
            block = col.narrow(0, start, n).movedim(0, -1).reshape(tuple(o.shape) + tuple(x.shape))
            per_leaf.append(_guarded(block, o))
            start += n
        blocks.append(_per_argnum(per_leaf, specs, single))
    result = tree_unflatten(blocks, out_spec)
    return (result, aux) if has_aux else result


def _first_row(value: Any, level: _batched.Level) -> Any:
    """``value`` without ``level``'s batch dim (its first sample), when batched at it."""
    if _batched.is_batched_at(value, level):
        return value._phys.select(0, 0)
    return value


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Hessian of a scalar ``func``, laid out as torch's ``jacfwd(jacrev(func))``.

    kittygrad computes it as ``jacrev(jacrev(func))``, the same values: each level pulls back all
    its basis vectors in one batched pass, so it costs about what ``jacfwd(jacrev(func))`` does,
    and the result stays differentiable for an enclosing graph (forward-mode tangents carry none).
    ``jacfwd(jacrev(func))`` works too.

    >>> import kittygrad as kitty
    >>> kitty.func.hessian(lambda x: (x ** 3).sum())(kitty.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacrev(jacrev(func, argnums), argnums)
