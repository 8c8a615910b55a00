"""Differentiable operations: the internal ``Op`` and the public, torch-style ``Function``.

An ``Op`` is a primitive whose forward and backward sit together and work on raw arrays: the
instance itself is the backward node and the place where forward saves what backward needs.
Backward formulas reach functions through ``self.xp`` (the backend's array namespace), so the
same formula can later run on Tensors for double backward, or on CuPy arrays.

``Function`` is PyTorch's custom-function API (``ctx.save_for_backward``, ``Function.apply``),
working on Tensors.
"""
from __future__ import annotations

import inspect
import warnings

from .. import _display
from .. import backend as B
from ..errors import KittyRuntimeError, KittyTypeError, hinted, user_stacklevel
from . import engine as _engine
from .engine import _ZERO_NRS, Node, _edge, retarget_retained
from .grad_mode import _state, no_grad
from .refusals import INFERENCE_SAVED_MESSAGE, _check_view_inplace, _opname, _through_a_new_view
from .gradients import grad
from .graph_array import GraphArray, unsupported

Tensor = None  # set by kittygrad.tensor (ops sit below the Tensor class in the layering)

#: Callbacks ``fn(kind, name, node, inputs, outputs)`` told about every operation run
#: (kind: "op", "inplace" or "function"); CompGraph uses them. Empty means no cost.
observers: list = []

#: Set by ``autograd.forward_ad`` while a dual level is open (None otherwise, which is all the
#: per-op path checks): ``dual_apply(cls, args, params)`` runs an op and computes its tangents,
#: ``dual_inplace(target, source[, written])`` gives ``target`` the tangent of ``source`` (in-place ops).
dual_apply = None
dual_inplace = None
#: Set once by ``autograd.forward_ad``: ``dual_function(cls, args, kwargs)`` runs a custom Function
#: while a level (or a vmap level) is open, its outputs' tangents from its ``jvp``
dual_function = None
#: Set once by ``func``: ``batched_function(cls, args, kwargs)`` runs a custom Function on batched
#: tensors inside vmap (its ``vmap`` staticmethod, or the per-sample loop), NotImplemented otherwise
batched_function = None
#: Set by ``func.vmap`` while a vmap level is open (``dual_apply`` then routes batched ops to their
#: batching rules): ``vmap_inplace(cls, self, args, params)`` runs an in-place op that involves a
#: batched tensor, or returns NotImplemented for an ordinary one.
vmap_inplace = None


def _notify(kind, name, node, inputs, outputs) -> None:
    for fn in list(observers):
        fn(kind, name, node, inputs, outputs)


def _graph_value(node, key, value, sources, unsupported):
    """What a saved attribute becomes in a graph-building backward."""
    if type(value) is B.xp.ndarray:
        src = sources.get(id(value))
        if src is not None:
            return src
        if value.dtype.kind in "fc" and key not in node.graph_constants and id(value) not in node._shape_only:
            raise unsupported(
                node,
                f"its forward saved a derived value ({key!r}, shape {tuple(value.shape)}) that "
                "double backward cannot differentiate through",
            )
        return value
    if type(value) in (tuple, list) and any(type(v) is B.xp.ndarray for v in value):
        new = [_graph_value(node, key, v, sources, unsupported) for v in value]
        if any(a is not b for a, b in zip(new, value)):
            return type(value)(new)
    return value


def _as_graph(r):
    if r is None or type(r) is GraphArray:
        return r
    if isinstance(r, Tensor):
        return GraphArray(r)
    return GraphArray(Tensor._wrap(B.asarray(r)))


class _NeedsInputGrad:
    """``node.needs_input_grad``, derived from the edges when read, so the forward path pays
    nothing for backward formulas that never ask. (A non-data descriptor: a value set on the
    instance wins, which is how a node keeps it once its edges are rewired.)"""

    def __get__(self, node, owner=None):
        if node is None:
            return self
        return tuple([n is not None for n in node._next_nodes])


class Op(Node):
    """Base of kittygrad's differentiable primitives.

    Subclasses define ``forward(self, *arrays, **params)`` returning an array (or a tuple of
    arrays) and ``backward(self, *grad_arrays)`` returning one gradient (or None) per positional
    forward argument. Attributes set on ``self`` in forward are what backward may use.

    - ``saved_inputs``: indices of tensor inputs whose values backward reads; an in-place change
      to them before backward is an error (version control).
    - ``saves_output``: backward reads the output; in-place changes to it are an error.
    - ``is_view``: the output shares memory with input 0 (and its version counter).
    - ``piece_views``: for a view op with several outputs (split's pieces), a function of the
      op's arguments after the input that gives, per output, the single-output view op that
      re-derives it from the input, as ``(op, args, params)``.
    """

    saved_inputs: tuple = ()
    #: optional ``{input: (inputs whose gradient reads it, ...)}``: a saved input is recorded
    #: (version-checked, and rebuilt for double backward) only when one of those needs a gradient
    save_needed: dict | None = None
    saves_output: bool = False
    is_view: bool = False
    piece_views = None
    xp = B.xp

    needs_input_grad = _NeedsInputGrad()
    #: attributes holding float arrays that are constants of the forward (a dropout mask):
    #: double backward may treat them as such; any other derived float array is refused
    graph_constants: tuple = ()
    #: optional ``composite(self, *args, **params)``: the same forward written with differentiable
    #: kittygrad ops. A fused op (conv, norms, losses) that has one gets double backward by
    #: differentiating it (the forward is recomputed only when create_graph=True).
    composite = None
    #: optional ``write_in_place(data, *arrays, **params)``: the in-place op written straight into
    #: self's array where nothing records or watches it, or NotImplemented (then computed out of place)
    write_in_place = None
    #: True: forward and backward handle bfloat16 arrays themselves (casts; views always do).
    #: Every other op sees bfloat16 Tensor inputs widened to float32 and has its float32 results rounded
    #: back to bfloat16, as torch computes bfloat16 ops (see ``backend.widen_half``).
    bfloat16_kernel: bool = False
    #: True: float16 inputs are widened to float32 as bfloat16 ones are, as torch's CPU kernels
    #: compute float16 and round once (the NumPy steps would each round to float16)
    float16_opmath: bool = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._widens_bfloat16 = not (cls.is_view or cls.bfloat16_kernel)

    def _graph_backward(self, grads):
        """Run this op's NumPy backward formula on GraphArrays, so the gradient gets a graph.

        What forward saved is swapped for its source Tensors for the duration of the call.
        """
        if self.composite is not None:
            return self._composite_backward(grads)

        d = self.__dict__
        swapped = self._graph_saved()
        original = {key: d[key] for key in swapped}
        d.update(swapped)
        try:
            result = self.backward(*grads)
        finally:
            d.update(original)
        single = not isinstance(result, tuple)
        return tuple(_as_graph(r) for r in ((result,) if single else result))

    def _graph_saved(self) -> dict:
        """What forward saved, as GraphArrays of the Tensors the values came from (by name).

        Each saved value is rebuilt as a Tensor attached where it came from (torch's
        SavedVariable): an input to the edge its gradient flows into, an output to this node.
        """
        sources = {}
        edges = self.next_edges
        # (set by CopySlices while it runs this op's formula: the op wrote through a view, so its
        # output lives on as that view of the base, not as an output of this node)
        written = self.__dict__.get("_written_edges")
        for vc, _, arr, nr, is_output in self._saved_versions:
            t = Tensor._wrap(arr)
            t._vc = vc
            if _engine.dual_saved is not None:
                _engine.dual_saved(t)
            if is_output:
                t._grad_fn, t._output_nr = (self, nr) if written is None else written[nr]
                t._requires_grad = True
            elif 0 <= nr < len(edges):
                if edges[nr] is not None:
                    t._grad_fn, t._output_nr = edges[nr]
                    t._requires_grad = True
            else:
                continue  # no longer attached to this node's inputs (see apply_inplace): refused
            sources[id(arr)] = GraphArray(t)
        swapped = {}
        for key, value in self.__dict__.items():
            if key[0] == "_" or key == "needs_input_grad":
                continue
            new = _graph_value(self, key, value, sources, unsupported)
            if new is not value:
                swapped[key] = new
        return swapped

    def _composite_backward(self, grads):
        args, params = self._args
        # differentiate at aliases of the inputs, for this op's partial derivatives alone: at the
        # inputs themselves, an input that depends on another (a recurrent cell's state on the
        # weight an earlier step used too) would add that earlier path here, and the engine adds
        # it again when it walks on from this node
        args = tuple(a.view_as(a) if isinstance(a, Tensor) and a._requires_grad else a for a in args)
        outs = self.composite(*args, **params)
        outs = outs if isinstance(outs, tuple) else (outs,)
        targets = [i for i, n in enumerate(self._next_nodes) if n is not None]
        pairs = [(o, g.t) for o, g in zip(outs, grads) if g is not None and o is not None and o._requires_grad]
        result = [None] * len(self._next_nodes)
        if not pairs or not targets:
            return tuple(result)
        found = grad(
            [o for o, _ in pairs], [args[i] for i in targets], [g for _, g in pairs],
            create_graph=True, allow_unused=True,
        )
        for i, r in zip(targets, found):
            result[i] = GraphArray(r) if r is not None else None
        return tuple(result)

    @classmethod
    def apply(cls, *args, **params):
        if dual_apply is not None:
            return dual_apply(cls, args, params)
        node = _new(cls)
        arrays = []
        requires = bfloat16_in = float16_in = False
        if _state.enabled:
            nodes = []  # the edges (see Node._next_nodes)
            plain = 0  # bit i: argument i is no tensor (a dim, a scalar), with no edge in next_functions
            numbered = False  # an edge to a later output of its node (rare: most nrs are 0)
            for a in args:
                if isinstance(a, Tensor):
                    d = a._data
                    arrays.append(d)
                    if d.dtype is _BF16:
                        bfloat16_in = True
                    elif d.dtype is _F16:
                        float16_in = True
                    if a._view is not None and a._view_version != a._vc[0]:
                        a._refresh_view()  # the base changed in place (and may require grad now)
                    if a._requires_grad:
                        requires = True
                        fn = a._grad_fn
                        if fn is None:  # a leaf: its gradient lands in its AccumulateGrad
                            nodes.append(a._accum or a._accumulator())
                        else:
                            nodes.append(fn)
                            if a._output_nr:
                                numbered = True
                        continue
                    if a._view is not None and a._view[0]._requires_grad:
                        # a view made under no_grad of a base that requires grad: it reports
                        # requires_grad (torch), so the result does, with no edge to follow
                        requires = True
                else:
                    arrays.append(a)
                    if a is not None:
                        plain |= 1 << len(nodes)
                nodes.append(None)
            if requires:
                # set before forward: if forward raises, the dying node releases these locks
                node._next_nodes = nodes = tuple(nodes)
                node._next_nrs = _edge_nrs(args) if numbered or len(nodes) >= len(_ZERO_NRS) else _ZERO_NRS[len(nodes)]
                # the flags backward sets, given their place now: adding a new attribute later
                # would make CPython build a dict for each node (more for the cyclic GC to walk)
                node._executed = node._consumed = node._last_read = False
                if plain and not cls.scalar_edges:
                    node._plain_args = plain
                for n in nodes:
                    if n is not None:
                        n._lock += 1
        else:
            for a in args:
                if isinstance(a, Tensor):
                    d = a._data
                    arrays.append(d)
                    if d.dtype is _BF16:
                        bfloat16_in = True
                    elif d.dtype is _F16:
                        float16_in = True
                else:
                    arrays.append(a)
        if bfloat16_in and cls._widens_bfloat16:
            out = _forward_in_float32(node, cls, arrays, params)
        elif float16_in and cls.float16_opmath:
            out = _forward_in_float32(node, cls, arrays, params, _F16)
        else:
            out = node.forward(*arrays, **params)
        if type(out) is tuple:
            outs = [_wrap(o) for o in out]
            if node.is_view:
                _make_views(outs, args[0], cls, args[1:], params)
        else:
            # Tensor._wrap inlined: this is the hottest path of the library
            outs = None
            if type(out) is not _ndarray:  # NumPy returns scalars from 0-d arithmetic
                out = _as_saved_array(node, out) if cls.saves_output else B.asarray(out)
            result = _new(Tensor)
            result._data = out
            result._output_nr = 0
            result._vc = [0]
            result._view = None
            if requires and (out.dtype.kind == "f" or out.dtype is _BF16):
                result._grad_fn = node
                result._requires_grad = True
            else:
                result._grad_fn = None
                result._requires_grad = False
            if node.is_view:
                _make_view(result, args[0], cls, args[1:], params)
        if requires:
            if outs is None:
                # one shared ((shape, dtype),) per kind of result: fewer objects for the GC to walk
                key = (out.shape, out.dtype)
                meta = _META.get(key)
                if meta is None:
                    if len(_META) > 4096:
                        _META.clear()
                    meta = _META[key] = (key,)
                node._out_meta = meta
            else:
                node._out_meta = tuple([(o._data.shape, o._data.dtype) for o in outs])
                for nr, o in enumerate(outs):
                    if B.is_float(o._data.dtype):
                        o._grad_fn = node
                        o._output_nr = nr
                        o._requires_grad = True
            if cls.composite is not None:
                node._args = (args, params)  # what double backward re-runs (freed with the node)
            if cls.saved_inputs or cls.saves_output:
                # (version counter, version at save, array, input index or output nr, is output):
                # the version check reads the counters; double backward maps the arrays forward
                # saved back to the graph (not the Tensor objects: holding only arrays and
                # counters keeps the graph as light as before)
                saved = []
                needed = cls.save_needed
                for i in cls.saved_inputs:
                    t = args[i]
                    if isinstance(t, Tensor):
                        if needed is not None and _none_of(nodes, needed[i]):
                            # no gradient that will be computed reads its values (so changing it
                            # in place later is fine, as in torch); backward may read its shape
                            node._shape_only = node._shape_only + (id(t._data),)
                            continue
                        if t._inference:  # (recording, so outside inference mode)
                            raise KittyRuntimeError(INFERENCE_SAVED_MESSAGE)
                        saved.append((t._vc, t._vc[0], t._data, i, False))
                if cls.saves_output:
                    for nr, o in enumerate(outs if outs is not None else (result,)):
                        saved.append((o._vc, o._vc[0], o._data, nr, True))
                if saved:
                    node._saved_versions = saved
        if observers:
            _notify("op", cls._name[:-8] if cls._name.endswith("Backward") else cls._name, node if requires else None, args, tuple(outs) if outs is not None else (result,))
        return result if outs is None else tuple(outs)


def _edge_nrs(args) -> tuple:
    """The output number each input's edge points at (see Node._next_nrs): a Tensor's own where it
    is a non-leaf that requires grad, else 0."""
    return tuple([
        a._output_nr if isinstance(a, Tensor) and a._requires_grad and a._grad_fn is not None else 0 for a in args
    ])


def _none_of(nodes, indices) -> bool:
    """Whether no gradient flows to any of the inputs at ``indices`` (a loop: ``all`` over a
    generator cost a microsecond of the few an op's record takes)."""
    for j in indices:
        if nodes[j] is not None:
            return False
    return True


_new = object.__new__
_META: dict = {}  # (shape, dtype) -> the shared ((shape, dtype),) of single-result nodes
_ndarray = B.xp.ndarray
_BF16 = B.bfloat16
_F16 = B.xp.dtype("float16")
_FLOAT32_NODES: dict = {}  # (Op class, half type) -> its subclass whose backward widens that type's gradients


def _forward_in_float32(node, cls, arrays, params, half=_BF16):
    """Run ``node``'s forward with its ``half`` inputs (bfloat16, or float16 for ``float16_opmath``
    ops) widened to float32, rounding the float32 results back to ``half`` (unless another float
    dtype came in too: then they stay as computed). The node becomes an instance of a subclass
    whose backward widens the ``half`` gradients too (the engine rounds what it returns)."""
    other_float = any(type(a) is _ndarray and a.dtype.kind == "f" and a.dtype is not half for a in arrays)
    sub = _FLOAT32_NODES.get((cls, half))
    if sub is None:
        sub = _FLOAT32_NODES[cls, half] = type(cls.__name__, (cls,), {
            "_name": cls._name, "backward": _widened_backward, "_float32_backward": cls.backward,
            "_half": half, "__module__": cls.__module__, "__qualname__": cls.__qualname__, "__slots__": (),
        })
    node.__class__ = sub
    out = node.forward(*B.widen_half(arrays, half), **params)
    return out if other_float else B.narrow_to_half(out, half)


def _widened_backward(self, *grads):
    return self._float32_backward(*B.widen_half(grads, self._half))


def _as_saved_array(node, value, arr=None):
    """``arr`` (by default ``value`` as an array: a NumPy scalar forward returned) replaces
    ``value`` also where forward saved it, so double backward still recognises the saved output
    as this node's output."""
    arr = B.asarray(value) if arr is None else arr
    d = node.__dict__
    for key, saved in list(d.items()):
        if saved is value:
            d[key] = arr
    return arr


def _wrap(arr):
    return Tensor._wrap(arr)


def _make_views(outs, src, cls, rest, params) -> None:
    """Make the outputs of the view op ``cls`` views of ``src``: the first alone, or each output
    as the view op that ``cls.piece_views`` names for it (a multi-output view op's pieces)."""
    if cls.piece_views is None:
        _make_view(outs[0], src, cls, rest, params)
        return
    for out, (view_cls, view_rest, view_params) in zip(outs, cls.piece_views(*rest, **params)):
        _make_view(out, src, view_cls, view_rest, view_params)


def _make_view(out, src, cls, rest, params) -> None:
    """Let ``out`` share ``src``'s version counter and remember how to re-derive it from its base.

    Also how the view was made, which decides whether in-place changes may go through it (torch's
    rule): a view made under no_grad, or an output of a multi-view function (split, unbind), and
    every view of one, must not be changed in place with grad on (``_check_view_inplace``).
    """
    out._vc = src._vc
    if src._inference:  # a view of an inference tensor is one, wherever it is made (torch)
        out._inference = True
    view = src._view
    if view is None:
        base = src

        def replay(b, cls=cls, rest=rest, params=params):
            return cls.apply(b, *rest, **params)

    else:
        base, prev = view

        def replay(b, cls=cls, rest=rest, params=params, prev=prev):
            return cls.apply(prev(b), *rest, **params)

        if src._multi_view is not None:
            out._multi_view = src._multi_view
        if src._no_grad_view:
            out._no_grad_view = True
    if not _state.enabled:
        out._no_grad_view = True
    out._view = (base, replay)
    out._view_version = out._vc[0]


class CopySlices(Node):
    """The base's node after an in-place op wrote through one of its views.

    The region of the base that the view covers got ``fn(view)``; everything else is unchanged.
    """

    saved_fields = ("fn", "replay", "view_hooks")
    _name = "CopySlices"
    view_hooks = None

    def __init__(self, base_edge, fn: Node, replay, view_hooks=None) -> None:
        self._init_node()
        self.fn = fn
        self.replay = replay
        if view_hooks:  # the pre-hooks of the view's old node (its tensor hooks among them)
            self.view_hooks = view_hooks
        self.next_edges = (base_edge,) + tuple(fn.next_edges[1:])
        self.needs_input_grad = tuple(e is not None for e in self.next_edges)
        self._saved_versions = fn._saved_versions

    def backward(self, grad):
        grad_base = B.xp.array(grad)  # a writable copy (0-d arithmetic may hand us a NumPy scalar)
        with no_grad():
            region = self.replay(Tensor._wrap(grad_base))._data
        grads = self.fn.backward(region.copy())
        grads = grads if isinstance(grads, tuple) else (grads,)
        if region.size and not B.may_share_memory(region, grad_base):
            # the view came back as a copy (0-d results do): find its positions in the base
            with no_grad():
                flat = B.xp.arange(grad_base.size).reshape(grad_base.shape)
                where = self.replay(Tensor._wrap(flat))._data
            grad_base.reshape(-1)[where.reshape(-1)] = B.xp.broadcast_to(
                grads[0] if grads[0] is not None else 0, where.shape
            ).reshape(-1)
            return (grad_base,) + tuple(grads[1:])
        region[...] = grads[0] if grads[0] is not None else 0
        return (grad_base,) + tuple(grads[1:])

    def _graph_backward(self, grads):
        grad_base = grads[0].t.clone()
        region = self.replay(grad_base)
        # The op's first input was the view's old value: rebuild it as the view of the base's
        # old graph (view ops' gradients do not read values, so a stand-in base is exact)
        fn, base_edge = self.fn, self.next_edges[0]
        region_edge = None
        if base_edge is not None:
            shape, dtype = self._out_meta[0]
            stand_in = Tensor._wrap(B.xp.zeros(shape, dtype))
            stand_in._grad_fn, stand_in._output_nr = base_edge
            stand_in._requires_grad = True
            old_view = self.replay(stand_in)
            region_edge = (old_view._grad_fn, old_view._output_nr) if old_view._grad_fn is not None else None
            if region_edge is not None and self.view_hooks:
                # hooks registered on the view before the write fire where its old value's
                # gradient arrives (mul_ reads that value, so a second derivative does), as in
                # torch. The old node itself is not used: kept alive, its recorded use of the base
                # would hold the base's gradient back under the seed's locks. (Shared, so a
                # removed handle counts.)
                region_edge[0]._pre_hooks = self.view_hooks
        # The op's saved output (tanh_'s, sigmoid_'s) is the written region of this node's output:
        # a second derivative through it must flow here, not into fn, which has no edges left
        shape, dtype = self._out_meta[0]
        after = Tensor._wrap(B.xp.zeros(shape, dtype))
        after._grad_fn, after._output_nr, after._requires_grad = self, 0, True
        new_view = self.replay(after)
        edges = fn.next_edges
        fn.next_edges = (region_edge,) + tuple(self.next_edges[1:])
        fn._written_edges = (_edge(new_view),)
        try:
            inner = fn._graph_backward([GraphArray(region.clone())])
        finally:
            fn.next_edges = edges
            del fn._written_edges
        if inner[0] is None:
            region.zero_()
        else:
            region.copy_(inner[0].t)
        return (GraphArray(grad_base),) + tuple(inner[1:])


def apply_inplace(cls, self, *args, **params):
    """Run ``cls`` as an in-place op on ``self``: same values as out of place, written into self.

    Autograd sees the in-place op as the out-of-place op followed by a rebinding of ``self`` (and,
    when self is a view, of its base through :class:`CopySlices`), so gradients stay correct.
    """
    if vmap_inplace is not None:
        done = vmap_inplace(cls, self, args, params)
        if done is not NotImplemented:
            return done
    grad_mode = _state.enabled
    others_require = grad_mode and any(isinstance(a, Tensor) and a.requires_grad for a in args)
    view = self._view
    base_requires = view is not None and view[0]._requires_grad
    if grad_mode:
        if view is None:
            if self._grad_fn is None and self._requires_grad:
                kind = "a view of a leaf Variable" if _through_a_new_view(cls, args) else "a leaf Variable"
                raise KittyRuntimeError(hinted(
                    f"{kind} that requires grad is being used in an in-place operation.",
                    f"{_opname(cls)}_: wrap the update in `with kitty.no_grad():`, or work on a copy (x.clone()).",
                ))
        else:
            _check_view_inplace(self, cls, args, others_require)
    if not B.is_float(self._data.dtype):  # integer/bool tensors never require grad (torch)
        others_require = base_requires = False
    if not (grad_mode and (self._requires_grad or others_require or base_requires)):
        if observers or dual_inplace is not None:
            with no_grad(), _quiet():
                out = cls.apply(self, *args, **params)
        elif (cls.write_in_place is not None and type(self._data) is B.ndarray and cls.write_in_place(
                writable(self._data), *[a._data if isinstance(a, Tensor) else a for a in args], **params) is None):
            self._vc[0] += 1  # (written: NotImplemented would mean the op declined these operands)
            return self
        else:  # (nothing to hide from: grad mode off by hand, a context manager's cost saved)
            _state.enabled = False
            try:
                out = cls.apply(self, *args, **params)
            finally:
                _state.enabled = grad_mode
        _write(self, out._data, cls)
        if dual_inplace is not None:
            dual_inplace(self, out)
        if observers:
            _notify("inplace", _opname(cls) + "_", None, (self,) + args, (self,))
        return self

    # keep the old value alive for the op's backward, since self's memory is overwritten
    old = Tensor._wrap(self._data.copy())
    if dual_inplace is not None:  # the copy carries self's tangent into the op
        dual_inplace(old, self)
    old._grad_fn, old._output_nr, old._requires_grad = self._grad_fn, self._output_nr, self._requires_grad
    if view is not None:
        old._grad_fn, old._output_nr = _edge(self) or (None, 0)
        old._requires_grad = self._requires_grad
    with _quiet():
        out = cls.apply(old, *args, **params)
    _write(self, out._data, cls)
    if dual_inplace is not None:
        dual_inplace(self, out)
    fn = out._grad_fn
    if fn is not None and fn._saved_versions:
        # a saved output (sigmoid_'s, exp_'s) is self's new value, as torch saves it: a later
        # in-place change of self must fail the version check, not pass on the private copy
        fn._saved_versions = [
            (self._vc, self._vc[0], e[2], e[3], True) if e[4] and e[2] is out._data else e
            for e in fn._saved_versions
        ]
    if view is None:
        if self._retains_grad:
            retarget_retained(self, fn)
        self._grad_fn, self._output_nr, self._requires_grad = fn, 0, True
        if observers:
            _notify("inplace", _opname(cls) + "_", fn, (self,) + args, (self,))
        return self
    base, replay = view
    base_edge = _edge(base)
    first = fn.next_edges[0]
    copy = CopySlices(base_edge, fn, replay, first[0]._pre_hooks if first is not None else None)
    if first is not None:  # the op's use of the view's old value is replaced by the base's
        first[0]._lock -= 1
    fn.needs_input_grad = fn.needs_input_grad
    fn.next_edges = ()
    fn._executed = True  # (its edges are gone: double backward refuses it instead of guessing)
    if base_edge is not None:
        base_edge[0]._lock += 1
    copy._out_meta = ((base._data.shape, base._data.dtype),)
    if base._retains_grad:
        retarget_retained(base, copy)
    base._grad_fn, base._output_nr, base._requires_grad = copy, 0, True
    # the view's grad_fn is re-derived from the base lazily, when next used: deriving it now would
    # record a use of the base that a view nobody uses again would hold forever (seed locks)
    self._grad_fn, self._requires_grad = None, True  # (the stale node must not hold its use either)
    if observers:
        _notify("inplace", _opname(cls) + "_", copy, (self,) + args, (self,))
    return self


class _quiet:
    """Hide internal steps from observers: the out-of-place half of an in-place op, the ops
    inside a custom Function's forward, the re-derivation of a view's grad_fn."""

    def __enter__(self):
        self.saved = observers[:]
        observers.clear()

    def __exit__(self, *exc):
        observers[:] = self.saved


def _write(self, values, cls) -> None:
    data = self._data
    if values.dtype != data.dtype and not B.xp.can_cast(values.dtype, data.dtype, casting="same_kind"):
        raise KittyRuntimeError(
            f"result type {values.dtype} of {cls._name[:-8].lower()}_ can't be cast to the desired "
            f"output type {data.dtype}"
        )
    if values.shape != data.shape:
        raise KittyRuntimeError(
            f"output with shape {list(data.shape)} doesn't match the broadcast shape "
            f"{list(values.shape)} of the in-place {cls._name[:-8].lower()}_"
        )
    writable(data)[...] = values
    self._vc[0] += 1


def writable(data):
    """``data``, unless its elements share memory (an ``expand``'s result): torch refuses that."""
    if not data.flags.writeable:
        raise KittyRuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation."
        )
    return data


def unseen(src) -> bool:
    """Whether an op on ``src`` alone would record nothing and be seen by nobody (no gradient,
    observer, forward-AD level or vmap): then it may run without a node (:func:`unrecorded_view`)."""
    if observers or dual_apply is not None or dual_inplace is not None or vmap_inplace is not None:
        return False
    if type(src._data) is not B.ndarray:
        return False
    if not _state.enabled:
        return True
    view = src._view
    return not (src._requires_grad or (view is not None and view[0]._requires_grad))


def unrecorded_view(cls, src, array, rest: tuple, params=None):
    """``array`` (the view op ``cls``'s result on ``src``'s array) as the Tensor ``cls.apply(src,
    *rest, **params)`` gives where :func:`unseen` holds: a view of ``src``, sharing its version
    counter and able to re-derive itself from the base, without the node nobody reads."""
    out = Tensor._wrap(array)
    _make_view(out, src, cls, rest, params or {})
    return out


# ---------------------------------------------------------------------------------------------
# PyTorch's custom Function API


def _tensors_or_none(values: tuple, refusal: str) -> tuple:
    """``values`` when each is a Tensor or None; else torch's TypeError, ``refusal`` + the type."""
    for v in values:
        if v is not None and not isinstance(v, Tensor):
            raise KittyTypeError(f"{refusal} {type(v).__name__}")
    return values


class FunctionCtx:
    """The ``ctx`` a custom Function's forward and backward receive."""

    def save_for_backward(self, *tensors) -> None:
        self._to_save = _tensors_or_none(tensors, "save_for_backward can only save tensors or None, but got")

    def save_for_forward(self, *tensors) -> None:
        """Keep tensors for ``jvp`` (forward-mode AD), where ``ctx.saved_tensors`` returns them."""
        self._saved_for_forward = _tensors_or_none(tensors, "save_for_forward expects all arguments to be tensors; but got")

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize_grads = bool(value)
        # the engine fills a multi-output node's missing gradients with zeros before backward
        # sees them; switched off, backward gets None for an output that received no gradient
        self._fills_missing = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        node = self
        if node.__dict__.get("_in_jvp"):
            return tuple(node.__dict__.get("_saved_for_forward", ()))
        if node._consumed:
            raise KittyRuntimeError(_engine.FREED_MESSAGE)
        saved = self.__dict__.get("_saved", ())
        return tuple(saved)


class BackwardCFunction(FunctionCtx, Node):
    """The node (and ctx) of one call of a custom Function."""

    _fn_cls = None

    def _torch_recorded_name(self) -> str:
        return self._name  # torch names a custom Function's node <Class>Backward, with no overload

    def __repr__(self) -> str:
        # torch's node of a custom Function is a Python class of its autograd.function module, so
        # it prints with that module's path (a built-in op's node prints its bare name, and so
        # does a library op written as a Function that torch records as a built-in: its label)
        if _display.name == "torch" and self.__dict__.get("torch_label") is not None:
            return super().__repr__()
        return f"<{_display.name}.autograd.function.{self._name} object at {hex(id(self))}>"

    def backward(self, *grads):
        cls = self._fn_cls
        materialize = self.__dict__.get("_materialize_grads", True)
        grad_tensors = []
        for g, (shape, dtype) in zip(grads, self._out_meta):
            if g is None and materialize:
                g = B.xp.zeros(shape, dtype)
            grad_tensors.append(Tensor._wrap(g) if g is not None else None)
        with no_grad():
            result = cls.backward(self, *grad_tensors)
        return tuple(r._data if r is not None else None for r in self._check_result(result))

    def _graph_backward(self, grads):
        """create_graph=True: the user's backward runs in grad mode on Tensors, as in torch."""
        materialize = self.__dict__.get("_materialize_grads", True)
        grad_tensors = []
        for g, (shape, dtype) in zip(grads, self._out_meta):
            if g is None:
                grad_tensors.append(Tensor._wrap(B.xp.zeros(shape, dtype)) if materialize else None)
            else:
                grad_tensors.append(g.t)
        result = self._fn_cls.backward(self, *grad_tensors)
        return tuple(GraphArray(r) if r is not None else None for r in self._check_result(result))

    def _check_result(self, result) -> list:
        """The gradients a custom backward returned, checked: one Tensor or None per input."""
        result = result if isinstance(result, tuple) else (result,)
        n_inputs = len(self._next_nodes)
        if len(result) > n_inputs and all(r is None for r in result[n_inputs:]):
            result = result[:n_inputs]
        if len(result) != n_inputs:
            raise KittyRuntimeError(
                f"function {self._name} returned an incorrect number of gradients (expected "
                f"{n_inputs}, got {len(result)})"
            )
        out = []
        for i, (r, edge, is_tensor) in enumerate(zip(result, self.next_edges, self._tensor_inputs)):
            if r is None:
                out.append(None)
                continue
            if not is_tensor:
                raise KittyRuntimeError(
                    f"function {self._name} returned a gradient different than None at position {i + 1}, "
                    "but the corresponding forward input was not a Variable"
                )
            if not isinstance(r, Tensor):
                raise KittyRuntimeError(f"expected Variable or None (got {type(r).__name__})")
            out.append(r if edge is not None else None)
        return out


class FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(
            name + "Backward", (BackwardCFunction,), {"_fn_cls": cls, "_name": name + "Backward"}
        )


class Function(metaclass=FunctionMeta):
    """Write an op with your own forward and backward, exactly as ``torch.autograd.Function``.

    >>> import kittygrad as kitty
    >>> class Square(kitty.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * grad
    >>> x = kitty.tensor([3.0], requires_grad=True)
    >>> Square.apply(x).backward(kitty.ones(1)); x.grad
    tensor([6.])
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom autograd.Function.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        """Forward-mode AD: the outputs' tangents from the inputs' (``grad_inputs``, one per input
        of forward: zeros for a tensor without one, None for a non-tensor)."""
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with forward mode AD."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        """torch's newer style: ``forward(*args)`` takes no ctx, and ``setup_context(ctx, inputs,
        output)`` (``inputs`` the tuple of forward's arguments) saves what backward needs."""
        raise NotImplementedError("setup_context is not implemented.")

    #: kittygrad's own Functions whose forward is made of ops set this: under forward-mode AD their
    #: forward runs with the tangents, which flow through those ops (no ``jvp`` needed)
    _jvp_through_forward = False

    @staticmethod
    def vmap(info, in_dims, *args):
        """Inside ``func.vmap``: the Function on whole batches. ``info.batch_size``, ``in_dims`` (the
        batch dim of each argument, None where not batched) and the arguments' physical tensors in;
        ``(outputs, out_dims)`` out. Without it a custom Function runs sample by sample there."""
        raise NotImplementedError(
            "To use autograd.Function with vmap, you must either override the vmap staticmethod or set "
            "generate_vmap_rule=True."
        )

    generate_vmap_rule = False

    def __init__(self, *args, **kwargs):
        # torch still lets a Function be instantiated (its legacy, non-static style), with a warning
        warnings.warn(
            f"{type(self)} should not be instantiated. Methods on autograd functions are all static, so you "
            "should invoke them on the class itself. Instantiating an autograd function will raise an error "
            "in a future version of PyTorch.",
            DeprecationWarning,
            stacklevel=user_stacklevel(),
        )

    def __call__(self, *args, **kwargs):
        # ... but calling the instance (the legacy way to run one) is refused
        raise KittyRuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        if dual_apply is not None:  # a transform is open: vmap or forward-mode AD
            if batched_function is not None:
                done = batched_function(cls, args, kwargs)
                if done is not NotImplemented:
                    return done
            if dual_function is not None:
                return dual_function(cls, args, kwargs)
        return cls._run(args, kwargs)[1]

    @classmethod
    def _bound(cls, args: tuple, kwargs: dict) -> tuple:
        """forward's arguments, keywords and defaults included, as one positional tuple: the
        ``inputs`` that torch gives ``setup_context`` (and a ``vmap`` staticmethod)."""
        signature = cls.__dict__.get("_forward_signature")
        if signature is None:
            signature = inspect.signature(cls.forward)
            type.__setattr__(cls, "_forward_signature", signature)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple(bound.arguments.values())

    @classmethod
    def _run(cls, args: tuple, kwargs: dict) -> tuple:
        """One call: ``(ctx node, result)`` (result: what ``apply`` returns)."""
        separate = cls.setup_context is not Function.setup_context  # forward without ctx
        if separate:
            args, kwargs = cls._bound(args, kwargs), {}
        node = cls._backward_cls.__new__(cls._backward_cls)
        node._init_node()
        grad_mode = _state.enabled
        edges = tuple(
            _edge(a) if grad_mode and isinstance(a, Tensor) and a.requires_grad else None for a in args
        )
        node.needs_input_grad = tuple(e is not None for e in edges)
        node._tensor_inputs = tuple(isinstance(a, Tensor) for a in args)
        with no_grad(), _quiet():  # observers see the Function as one operation
            if separate:
                result = cls.forward(*args)
                cls.setup_context(node, args, result)
            else:
                result = cls.forward(node, *args, **kwargs)
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        requires = any(node.needs_input_grad)
        non_diff = node.__dict__.get("_non_differentiable", ())
        dirty = node.__dict__.get("_dirty", ())
        input_ids = {id(a) for a in args if isinstance(a, Tensor)}
        wrapped = []
        non_diff_outputs = set()  # positions (an input returned as output is replaced by an alias)
        for o in outputs:
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if id(o) in non_diff:
                non_diff_outputs.add(len(wrapped))
            if id(o) in input_ids and id(o) not in dirty:
                alias = Tensor._wrap(o._data)  # a returned input becomes a new alias of it
                alias._vc = o._vc
                o = alias
            if id(o) in dirty:
                o._vc[0] += 1
            wrapped.append(o)
        if requires:
            node.next_edges = edges
            for e in edges:
                if e is not None:
                    e[0]._lock += 1
            meta = []
            for nr, o in enumerate(wrapped):
                if isinstance(o, Tensor):
                    meta.append((o._data.shape, o._data.dtype))
                    if nr not in non_diff_outputs and B.is_float(o._data.dtype):
                        o._grad_fn, o._output_nr, o._requires_grad = node, nr, True
                        o._view = None
                else:
                    meta.append(((), B.NP_DTYPES["float32"]))
            node._out_meta = tuple(meta)
            to_save = node.__dict__.pop("_to_save", ())
            if any(t is not None and t._inference for t in to_save):
                raise KittyRuntimeError(INFERENCE_SAVED_MESSAGE)
            node._saved = to_save
            node._saved_versions = [(t._vc, t._vc[0], t._data, -1, False) for t in to_save if t is not None]
        else:
            node._saved = node.__dict__.pop("_to_save", ())
        if observers:
            _notify("function", cls.__name__, node if requires else None, args, tuple(w for w in wrapped if isinstance(w, Tensor)))
        return node, wrapped[0] if single else tuple(wrapped)


class InplaceFunction(Function):
    pass


class NestedIOFunction(Function):
    pass


def once_differentiable(fn):
    return fn
