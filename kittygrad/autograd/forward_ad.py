"""Forward-mode automatic differentiation, as ``torch.autograd.forward_ad``.

Inside a ``dual_level``, ``make_dual(x, t)`` gives a tensor that carries the tangent ``t``; every
op applied to tensors with tangents computes its output's tangent (the Jacobian-vector product)
beside its value, and ``unpack_dual`` reads it back.

Tangents are kept in one table per level, by tensor (``detach()`` drops the tangent, as torch)
and by the array it holds: double backward rebuilds the values forward saved as new Tensors around
the same arrays, and those take the array's tangent, so tangents flow through graph-building
backward formulas too (forward-over-reverse: ``func.jacfwd(func.jacrev(f))``).

The common families have exact rules (below). Any other op's tangent comes from its backward
formula (the transpose trick): with ``u`` a cotangent that requires grad, ``g(u) = J^T u`` is linear
in ``u``, and pulling the input tangents ``t`` back through it gives ``d<g(u), t>/du = J t``. Every
op with a graph-building backward (every op-table row passes gradgradcheck) therefore has a JVP;
one without it fails loudly, naming itself. Tangents are values: they carry no graph of their own
(reverse-over-forward is not supported), and one level is open at a time, as in torch.

A level opened inside ``vmap`` (``vmap(jvp(f))``, ``vmap(jacfwd(f))``) goes *under* the vmap
levels instead of over them: vmap's hooks still route batched ops to their batching rules, and the
physical ops those run come here, so every rule above computes tangents for all samples at once
(jvp and vmap commute). The table then holds physical tensors; ``make_dual``/``unpack_dual`` of a
BatchedTensor translate through ``vmap_bridge`` (set by ``kittygrad.func``, which this module
cannot import).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from .. import backend as B
from ..errors import KittyRuntimeError, KittyValueError
from ..ops import activation as _activation
from ..ops import arithmetic as _arithmetic
from ..ops import conversion as _conversion
from ..ops import indexing as _indexing
from ..ops import joining as _joining
from ..ops import linalg as _linalg
from ..ops import reduction as _reduction
from ..ops import shape as _shape
from ..ops import unary as _unary
from ..tensor import Tensor
from . import engine as _engine
from . import function as _function
from .grad_mode import _state, enable_grad, no_grad
from .gradients import grad as _grad
from .graph_array import GraphArray

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = "What ``unpack_dual`` returns: the primal and its tangent (None when it has none)."

#: set by ``kittygrad.func._batched``: ``ForwardBridge``, how a level meets vmap's batched tensors
vmap_bridge = None


class _Level:
    """The open level's tangents: ``tangents`` maps ``id(tensor)`` to ``(tensor, tangent)`` and
    ``by_array`` maps ``id(array)`` to ``(array, tangent)`` (the keys' objects are held so that
    their ids cannot be reused while the level lives)."""

    active = False
    tangents: dict = {}
    by_array: dict = {}
    #: the op hooks installed before the level opened (a vmap level's, when jacfwd batches its
    #: tangents): restored on exit, and what the tangent computations themselves run under
    below: tuple = (None, None, None)
    #: how many ``_suspended`` blocks are open (custom Functions then run without tangents)
    suspended = 0
    #: ``id(base)`` -> the latest ``make_dual`` view of that whole base: it owns the tangent that
    #: in-place writes through other views of the base update (as torch, the base itself has none)
    duals: dict = {}
    #: ``id(dual)`` -> every ``make_dual`` result of the level: each owns its tangent
    made: dict = {}
    #: the outermost vmap level, when the level was opened inside vmap: the level then sits under
    #: it (its ``prev_apply`` is ``_dual_apply``) and ``below`` is what was under it before
    spliced = None


_level = _Level()


def is_active() -> bool:
    """Is a dual level open?"""
    return _level.active


def _batched_key(t: Any) -> bool:
    """Is ``t`` a BatchedTensor whose tangent lives on its physical tensor (a level under vmap)?"""
    return _level.spliced is not None and type(t) is not Tensor and vmap_bridge.is_batched(t)


def _tangent_of(t: Any) -> Tensor | None:
    if _batched_key(t):
        tangent = _tangent_of(vmap_bridge.physical(t))
        return None if tangent is None else vmap_bridge.rewrap_like(tangent, t)
    entry = _level.tangents.get(id(t))
    if entry is None or entry[0] is not t:
        return None
    return entry[1]


def _set_tangent(t: Tensor, tangent: Tensor | None) -> None:
    if _batched_key(t):
        if tangent is not None:
            with _suspended():  # (expanding a tangent has no tangent of its own)
                tangent = vmap_bridge.physical_like(tangent, t)
        t = vmap_bridge.physical(t)
    if tangent is None:
        _level.tangents.pop(id(t), None)
        _level.by_array.pop(id(t._data), None)
    else:
        _level.tangents[id(t)] = (t, tangent)
        _level.by_array[id(t._data)] = (t._data, tangent)


def _dual_saved(t: Tensor) -> None:
    """Double backward rebuilt a value forward saved as the new Tensor ``t`` around the same
    array: it carries the tangent that array had (so tangents flow through backward formulas)."""
    entry = _level.by_array.get(id(t._data))
    if entry is not None and entry[0] is t._data:
        _level.tangents[id(t)] = (t, entry[1])


class _suspended:
    """Run ops without tangent propagation: this module's own bookkeeping, and the pullbacks that
    compute a tangent (which must not compute tangents of their own)."""

    def __enter__(self) -> None:
        self.saved = _function.dual_apply, _function.dual_inplace, _engine.dual_saved
        spliced = _level.spliced
        if spliced is None:
            _function.dual_apply, _function.dual_inplace, _engine.dual_saved = _level.below
        else:  # under vmap: its hooks keep routing batched ops (to physical ones), which skip the level
            self.prev = spliced.prev_apply
            spliced.prev_apply = _level.below[0]
            if _function.dual_apply is _dual_apply:
                _function.dual_apply = _level.below[0]
            _function.dual_inplace, _engine.dual_saved = _level.below[1:]
        _level.suspended += 1

    def __exit__(self, *exc) -> None:
        _function.dual_apply, _function.dual_inplace, _engine.dual_saved = self.saved
        if _level.spliced is not None:
            _level.spliced.prev_apply = self.prev
        _level.suspended -= 1


def _dual_apply(cls, args: tuple, params: dict):
    """``Op.apply`` while a level is open: the op's value, and its outputs' tangents."""
    tangents = [_tangent_of(a) for a in args]
    with _suspended():
        if all(t is None for t in tangents):
            return cls.apply(*args, **params)
        kind = _KIND.get(cls)
        if kind is _LINEAR or kind is _MULTILINEAR:
            return _linear_jvp(cls, args, params, tangents, kind is _MULTILINEAR)
        if cls is _activation.LogSoftmax:
            return _log_softmax_jvp(args, params, tangents[0])
        # (a batched tangent, jacfwd's basis, must go through ops: the raw formula would sum its batch dim away)
        raw = kind is _SELF_ADJOINT and all(t is None or type(t) is Tensor for t in tangents)
        return _jvp_from_node(cls, args, params, tangents, _self_adjoint_tangents if raw else _record_tangents)


def _dual_function_apply(cls, args: tuple, kwargs: dict):
    """A custom Function while a level is open: forward runs on the primals, then the user's
    ``jvp(ctx, *input_tangents)`` gives the outputs' tangents (torch's contract). kittygrad's own
    Functions whose forward is made of ops (``_jvp_through_forward``) run with the tangents instead."""
    tangents = [_tangent_of(a) if _level.active and not _level.suspended and isinstance(a, Tensor) else None
                for a in args]
    if all(t is None for t in tangents) or cls._jvp_through_forward:
        return cls._run(args, kwargs)[1]
    if cls.jvp is _function.Function.jvp:
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with forward mode AD. "
            f"({cls.__name__} has none)"
        )
    with _suspended():
        node, result = cls._run(args, kwargs)
        outs = result if isinstance(result, tuple) else (result,)
        materialize = node.__dict__.get("_materialize_grads", True)
        given = [
            t if t is not None else (a.detach().new_zeros(tuple(a.shape)) if materialize else None)
            if isinstance(a, Tensor) else None
            for a, t in zip(args, tangents)
        ]
        node._in_jvp = True
        try:
            with no_grad():
                found = cls.jvp(node, *given)
        finally:
            node._in_jvp = False
    found = found if isinstance(found, tuple) else (found,)
    if len(found) != len(outs):
        raise KittyRuntimeError(
            f"function {cls.__name__}.jvp returned an incorrect number of tangents (expected {len(outs)}, got {len(found)})"
        )
    for o, t in zip(outs, found):
        if isinstance(o, Tensor) and isinstance(t, Tensor) and o.is_floating_point():
            if tuple(t.shape) != tuple(o.shape):
                raise KittyRuntimeError(
                    f"function {cls.__name__}.jvp returned a tangent of shape {tuple(t.shape)} for an output of "
                    f"shape {tuple(o.shape)}"
                )
            _set_tangent(o, t if t.dtype == o.dtype else t.to(o.dtype))
    return result


_function.dual_function = _dual_function_apply


# Cheap exact rules for the common families (every other op takes the transpose trick):
# - linear in its float inputs (views, reshapes, sums, cat, casts, add): J t is the op applied to the tangents;
# - multilinear (mul, the matmul family, einsum): the product rule, one op call per input with a tangent;
# - self-adjoint: elementwise ops (each J_i diagonal) and softmax (J = diag(y) - y y^T) have symmetric
#   Jacobians, so J_i t_i = J_i^T t_i is the op's own NumPy backward applied to t_i;
# - log_softmax: J t = t - sum(softmax * t) along its dim.
_LINEAR, _MULTILINEAR, _SELF_ADJOINT = "linear", "multilinear", "self-adjoint"
_KIND = {}
for _kind, _classes in (
    (
        _LINEAR,
        (
            _shape.Transpose,
            _shape.Permute,
            _shape.View,
            _shape.Reshape,
            _shape.Squeeze,
            _shape.Unsqueeze,
            _shape.Alias,
            _conversion.ToCopy,
            _conversion.Clone,
            _conversion.Expand,
            _reduction.Sum,
            _reduction.Mean,
            _reduction.Cumsum,
            _joining.Cat,
            _joining.Stack,
            _joining.Repeat,
            _joining.Flip,
            _joining.Roll,
            _indexing.Select,
            _indexing.Index,
            _linalg.Tril,
            _linalg.Diagonal,
            _linalg.DiagEmbed,
            _arithmetic.Add,
            _arithmetic.AddScaled,
            _arithmetic.Sub,
            _arithmetic.Neg,
        ),
    ),
    (
        _MULTILINEAR,
        (
            _arithmetic.Mul,
            _linalg.Matmul,
            _linalg.Dot,
            _linalg.Mv,
            _linalg.Mm,
            _linalg.Bmm,
            _linalg.Einsum,
        ),
    ),
    (
        _SELF_ADJOINT,
        (
            _unary.Abs,
            _unary.Exp,
            _unary.Log,
            _unary.Sqrt,
            _unary.Sin,
            _unary.Cos,
            _unary.Tan,
            _unary.Asin,
            _unary.Acos,
            _unary.Atan,
            _unary.Sinh,
            _unary.Cosh,
            _unary.Asinh,
            _unary.Acosh,
            _unary.Atanh,
            _unary.Exp2,
            _unary.Expm1,
            _unary.Log2,
            _unary.Log10,
            _unary.Log1p,
            _unary.Rsqrt,
            _unary.Square,
            _unary.Reciprocal,
            _unary.Erf,
            _unary.Erfc,
            _unary.Erfinv,
            _activation.Sigmoid,
            _activation.Tanh,
            _activation.Relu,
            _activation.LeakyRelu,
            _activation.Elu,
            _activation.Gelu,
            _activation.Silu,
            _activation.Mish,
            _activation.Softplus,
            _activation.Softsign,
            _activation.Hardtanh,
            _activation.Hardswish,
            _activation.Hardsigmoid,
            _activation.LogSigmoid,
            _arithmetic.Div,
            _arithmetic.Pow,
            _arithmetic.PowOfTensor,
            _arithmetic.Atan2,
            _arithmetic.Hypot,
            _arithmetic.Logaddexp,
            _activation.Softmax,
        ),
    ),
):
    _KIND.update(dict.fromkeys(_classes, _kind))


#: the operand positions of the sums, where a non-Tensor operand is a constant
_AFFINE = {_arithmetic.Add: (0, 1), _arithmetic.AddScaled: (0, 1), _arithmetic.Sub: (0, 1)}


def _linear_jvp(cls, args: tuple, params: dict, tangents: list, multilinear: bool):
    result = cls.apply(*args, **params)
    with no_grad():  # tangents are values: no graph (which would also hold the seed's locks)
        total = _linear_tangent(cls, args, params, tangents, multilinear)
    outs = result if isinstance(result, tuple) else (result,)
    tans = total if isinstance(total, tuple) else (total,)
    for o, t in zip(outs, tans):
        if isinstance(o, Tensor) and o.is_floating_point():
            _set_tangent(o, t)
    return result


def _linear_tangent(cls, args: tuple, params: dict, tangents: list, multilinear: bool):
    if multilinear:  # d(op(a, b)) = op(da, b) + op(a, db)
        total = None
        for i, t in enumerate(tangents):
            if t is not None:
                term = cls.apply(*args[:i], t, *args[i + 1 :], **params)
                total = term if total is None else _summed(term, total)
    else:  # float inputs without a tangent count as zeros; the others (indices, dims) stay
        operands = _AFFINE.get(cls, ())
        moved = []
        for i, (a, t) in enumerate(zip(args, tangents)):
            if isinstance(a, Tensor):
                a = (t if t is not None else a.detach().new_zeros(tuple(a.shape))) if a.is_floating_point() else a
            elif i in operands:
                a = 0  # a constant operand of a sum (``3 + x``) shifts the value, not the tangent
            moved.append(a)
        total = cls.apply(*moved, **params)
    return total


def _log_softmax_jvp(args: tuple, params: dict, tangent: Tensor):
    result = _activation.LogSoftmax.apply(*args, **params)
    axis = params["axis"] if "axis" in params else args[1]
    with no_grad():
        t = tangent.to(result.dtype) if tangent.dtype != result.dtype else tangent
        _set_tangent(result, t - (result.detach().exp() * t).sum(axis, keepdim=True))
    return result


def _summed(term, total):
    if isinstance(term, tuple):
        return tuple(a + b for a, b in zip(term, total))
    return term + total


def _self_adjoint_tangents(node, outs: tuple, call_args: list, tangents: list) -> None:
    out = outs[0]
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        grads = node.backward(B.xp.array(t._data, dtype=out._data.dtype))  # (a copy: formulas may write into it)
        g = grads[i] if isinstance(grads, tuple) else grads
        total = g if total is None else total + g
    _set_tangent(out, Tensor._wrap(B.asarray(total).astype(out._data.dtype, copy=False)))


def _fresh_leaf(a: Tensor) -> Tensor:
    """A leaf around ``a``'s own array (so what the op saves of it keeps its tangent)."""
    leaf = Tensor._wrap(a._data)
    leaf._vc = a._vc
    leaf._requires_grad = True
    tangent = _tangent_of(a)
    if tangent is not None:
        _set_tangent(leaf, tangent)
    return leaf


def _jvp_from_node(cls, args: tuple, params: dict, tangents: list, record):
    outer = _state.enabled
    keeps_graph = outer and any(isinstance(a, Tensor) and a.requires_grad for a in args)
    call_args = list(args)
    for i, (a, t) in enumerate(zip(args, tangents)):
        if t is not None and not (outer and a._requires_grad):
            call_args[i] = _fresh_leaf(a)  # the node must record an edge for every input with a tangent
    with enable_grad():
        result = cls.apply(*call_args, **params)
        outs = result if isinstance(result, tuple) else (result,)
        node = next((o._grad_fn for o in outs if isinstance(o, Tensor) and o._grad_fn is not None), None)
        if node is not None:
            record(node, outs, call_args, tangents)
    if not keeps_graph:  # the graph existed only to compute the tangents
        for o in outs:
            if isinstance(o, Tensor):
                o._grad_fn, o._requires_grad = None, False
    if cls.is_view and call_args[0] is not args[0]:  # a view of the caller's tensor, not of our leaf
        _function._make_views(outs, args[0], cls, args[1:], params)
    return result


def _record_tangents(node, outs: tuple, call_args: list, tangents: list) -> None:
    """The outputs' tangents from the node's own graph-building backward, called directly: with
    cotangents ``u`` that require grad, it gives ``g_i(u) = J_i^T u`` per input (partial
    derivatives: nothing upstream of the inputs is walked), and ``J t = d(sum_i <g_i(u), t_i>)/du``."""
    us = [
        # ones, not zeros: g is linear in u, and some formulas skip work for an all-zero gradient
        o.detach().new_ones(tuple(o.shape)).requires_grad_(True) if o._grad_fn is node else None
        for o in outs
    ]
    composite_args = node.__dict__.get("_args")
    if composite_args is not None:  # differentiate the composite at leaves of its own, not through its inputs' graphs
        fresh = tuple(_fresh_leaf(a) if isinstance(a, Tensor) and a._requires_grad else a for a in composite_args[0])
        node._args = (fresh, composite_args[1])
    try:
        gs = node._graph_backward(tuple(GraphArray(u) if u is not None else None for u in us))
    finally:
        if composite_args is not None:
            node._args = composite_args
    pairs = [(g.t, t) for g, t in zip(gs, tangents) if g is not None and t is not None and g.t._requires_grad]
    live = [u for u in us if u is not None]
    found = [None] * len(live)
    if pairs:
        found = _grad(
            [g for g, _ in pairs],
            live,
            [t.to(g.dtype) if t.dtype != g.dtype else t for g, t in pairs],
            # batched tangents (jacfwd) need the formulas run as ops, which meet their batching rules
            create_graph=any(t.requires_grad or type(t) is not Tensor for _, t in pairs),
            allow_unused=True,
        )
    for o, u, tan in zip([o for o, u in zip(outs, us) if u is not None], live, found):
        _set_tangent(o, tan if tan is not None else u.detach().zero_())


def _dual_inplace(target: Tensor, source: Tensor | None, written: bool = True) -> None:
    """In-place ops: ``target`` now holds ``source``'s values (``source=None``: it is detached), so
    it takes its tangent too; ``written=False`` for a change of metadata only (``transpose_``)."""
    tangent = _tangent_of(source)
    _set_tangent(target, tangent)
    view = target._view
    if not written or view is None or not target.is_floating_point():
        return
    # written through a view: the owner's tangent (the dual made over the whole base, else the
    # base) takes the new values in the region the view covers, and the other views that carry a
    # tangent see them too
    base, replay = view
    owner = _level.duals.get(id(base), base)
    if owner is not base and (_tangent_of(owner) is None or owner._view is None or owner._view[0] is not base):
        owner = base
    old = _tangent_of(owner)
    if owner is base and old is None and _level.made.get(id(target)) is target:
        return  # a dual made over part of a base without a tangent: the base stays without one (as torch)
    with _suspended(), no_grad():
        whole = old.clone() if old is not None else base.detach().new_zeros(tuple(base.shape))
        region = replay(whole)
        region._data[...] = tangent._data if tangent is not None else 0.0
        _set_tangent(owner, whole)
        for other, _ in list(_level.tangents.values()):
            if other is owner or other is target or _level.made.get(id(other)) is other:
                continue  # (another dual over the base keeps its own tangent, as torch)
            if other._view is not None and other._view[0] is base:
                _set_tangent(other, other._view[1](whole))


def enter_dual_level() -> int:
    """Open a forward-AD level (prefer ``with dual_level():``); returns its index, 0.

    >>> from kittygrad.autograd import forward_ad as fwAD
    >>> fwAD.enter_dual_level()
    0
    >>> fwAD.exit_dual_level()
    """
    if _level.active:
        raise KittyRuntimeError("Nested forward mode AD is not supported at the moment")
    _level.active = True
    _level.tangents, _level.by_array, _level.duals, _level.made = {}, {}, {}, {}
    outer = vmap_bridge.primal_levels() if vmap_bridge is not None else ()
    if outer:  # inside vmap: under its levels, see the module docstring
        _level.spliced = outer[0]
        _level.below = outer[0].prev_apply, _function.dual_inplace, _engine.dual_saved
        outer[0].prev_apply = _dual_apply
    else:
        _level.below = _function.dual_apply, _function.dual_inplace, _engine.dual_saved
        _function.dual_apply = _dual_apply
    _function.dual_inplace = _dual_inplace
    _engine.dual_saved = _dual_saved
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the level ``enter_dual_level`` opened; every tangent of it is dropped.

    >>> from kittygrad.autograd import forward_ad as fwAD
    >>> _ = fwAD.enter_dual_level(); fwAD.exit_dual_level(level=0)
    """
    if not _level.active or (level is not None and level != 0):
        raise KittyRuntimeError(
            "Dual level must be a positive number."
            if level is None
            else f"Trying to exit a forward AD level ({level}) that was not the last one created."
        )
    _level.active = False
    _level.tangents, _level.by_array, _level.duals, _level.made = {}, {}, {}, {}
    if _level.spliced is not None:
        _level.spliced.prev_apply = _level.below[0]
        _function.dual_inplace, _engine.dual_saved = _level.below[1:]
        _level.spliced = None
    else:
        _function.dual_apply, _function.dual_inplace, _engine.dual_saved = _level.below
    _level.below = (None, None, None)


class dual_level:  # noqa: N801 - a context manager, named as torch's
    """The scope in which dual tensors live (one level at a time, as torch).

    >>> import kittygrad as kitty
    >>> from kittygrad.autograd import forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     y = fwAD.make_dual(kitty.tensor([1., 2.]), kitty.tensor([1., 0.])).exp()
    ...     fwAD.unpack_dual(y).tangent
    tensor([2.7183, 0.0000])
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> None:
        exit_dual_level()


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` that carries ``tangent`` (same shape) at the open level.

    >>> import kittygrad as kitty
    >>> from kittygrad.autograd import forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     fwAD.unpack_dual(fwAD.make_dual(kitty.ones(2), kitty.zeros(2)) * 3).tangent
    tensor([0., 0.])
    """
    if not _level.active:
        raise KittyRuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first."
        )
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise KittyRuntimeError(f"make_dual expects Tensors, got {type(tensor).__name__} and {type(tangent).__name__}")
    if level is not None and level != 0:
        raise KittyRuntimeError(f"Invalid level given to make_dual: {level} (the open level is 0)")
    if not tensor.is_floating_point() and not tensor.is_complex():
        raise KittyValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.is_floating_point() and not tangent.is_complex():
        raise KittyValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if _tangent_of(tensor) is not None:
        raise KittyRuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the same level 0 is "
            "not supported."
        )
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise KittyRuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this "
            f"is not supported. Tensor is of size {list(tensor.shape)} while the given forward gradient is of size "
            f"{list(tangent.shape)}."
        )
    with _suspended():
        if _level.spliced is not None:  # a tangent batched where the primal is not batches the dual too
            tensor = vmap_bridge.batched_union(tensor, tangent)
        dual = tensor.view_as(tensor)
    _set_tangent(dual, tangent if tangent.dtype == tensor.dtype else tangent.to(tensor.dtype))
    key = vmap_bridge.physical(dual) if _batched_key(dual) else dual
    _level.made[id(key)] = key
    if key._view is not None and tuple(key._view[0].shape) == tuple(key.shape):
        _level.duals[id(key._view[0])] = key
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor``: the primal is a view without the tangent; the tangent is
    None where the tensor has none (or no level is open).

    >>> import kittygrad as kitty
    >>> from kittygrad.autograd import forward_ad as fwAD
    >>> fwAD.unpack_dual(kitty.ones(1))
    UnpackedDualTensor(primal=tensor([1.]), tangent=None)
    """
    tangent = _tangent_of(tensor) if _level.active else None
    primal = tensor
    if tangent is not None:
        with _suspended():  # a view that does not carry the tangent
            primal = tensor.view_as(tensor)
    return UnpackedDualTensor(primal, tangent)


def carry_tangent(target: Tensor, source: Tensor) -> None:
    """Give ``target`` (a new tensor standing for ``source``, e.g. a transform's own leaf) the
    tangent ``source`` has at the open level, if any."""
    if _level.active:
        tangent = _tangent_of(source)
        if tangent is not None:
            _set_tangent(target, tangent)
