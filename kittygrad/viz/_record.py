"""What a picture is made of: plain records of tensors, operations and backward nodes.

The recorder listens to every operation (``kittygrad.autograd.function.observers``) and keeps a
snapshot of what it sees, so the picture does not keep tensors or backward nodes alive (a
temporary that dies still lets go of its producer's lock, as the engine expects). Objects are
told apart with weak references, so an id reused after garbage collection is a new object.
"""
from __future__ import annotations

import re
import sys
import weakref
from dataclasses import dataclass, field

from .. import backend as B
from ..autograd import function as F
from ..autograd.engine import AccumulateGrad
from ..autograd.grad_mode import _state
from ..ops import _prep as _prep


@dataclass
class TensorRec:
    """One tensor at one version (an in-place op makes a new record for the same object)."""

    key: str
    obj: int  # identity of the Python object (shared by its versions)
    ref: object  # weakref to the tensor, or None
    version: int
    shape: tuple
    dtype: str
    requires_grad: bool
    leaf: bool
    grad_fn: str | None  # key of its backward node
    output_nr: int = 0
    external: bool = False  # made before the recording started


@dataclass
class OpRec:
    """One forward operation seen inside the block."""

    key: str
    kind: str  # "op" | "inplace" | "function"
    name: str
    args: list = field(default_factory=list)  # the non-tensor arguments, as short strings
    inputs: list = field(default_factory=list)  # tensor keys, in argument order
    outputs: list = field(default_factory=list)
    nodes: list = field(default_factory=list)  # keys of the backward nodes it made
    grad_enabled: bool = True
    implicit: bool = False  # a cast or broadcast kittygrad inserted for a binary op
    base_output: str | None = None  # in-place write through a view: the base's new version


@dataclass
class NodeRec:
    """One backward node."""

    key: str
    name: str
    ref: object
    internal: bool = False  # made while recording (else drawn as a boundary, not expanded)
    accumulate: bool = False  # AccumulateGrad: ends at a leaf
    variable: int | None = None  # AccumulateGrad's leaf (object identity)
    edges: list = field(default_factory=list)  # (node key, output_nr) or None, per input
    out_meta: list = field(default_factory=list)  # (shape, dtype) per output


class Records:
    """Tensors, operations and backward nodes, in the order they were seen."""

    def __init__(self) -> None:
        self.tensors: dict[str, TensorRec] = {}
        self.ops: dict[str, OpRec] = {}
        self.nodes: dict[str, NodeRec] = {}
        self.latest: dict[int, TensorRec] = {}  # object identity -> its newest record
        self.names: dict[int, str] = {}  # object identity -> variable name
        self._ids: dict[int, tuple] = {}  # id(obj) -> (weakref, identity)
        self._node_keys: dict[int, str] = {}  # node identity -> node key
        self._count = 0

    # ---- identity ---------------------------------------------------------------------------
    def ident(self, obj, create: bool = True) -> int | None:
        """A number for ``obj`` that no other object gets, even one that reuses its id."""
        entry = self._ids.get(id(obj))
        if entry is not None and entry[0]() is obj:
            return entry[1]
        if not create:
            return None
        self._count += 1
        try:
            ref = weakref.ref(obj)
        except TypeError:  # pragma: no cover - tensors and nodes are weak-referenceable
            ref = lambda: None  # noqa: E731
        self._ids[id(obj)] = (ref, self._count)
        return self._count

    def _next(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    # ---- backward nodes ---------------------------------------------------------------------
    def node(self, node, internal: bool) -> NodeRec:
        """The record of ``node``; ``internal`` nodes also get their edges recorded."""
        ident = self.ident(node)
        key = self._node_keys.get(ident)
        rec = self.nodes.get(key) if key is not None else None
        if rec is not None and (rec.internal or rec.accumulate or not internal):
            return rec
        if rec is None:
            key = self._next("b")
            self._node_keys[ident] = key
            rec = NodeRec(key=key, name=node.name(), ref=weakref.ref(node))
            self.nodes[key] = rec
        rec.out_meta = [(tuple(s), str(dt)) for s, dt in node._out_meta]
        if isinstance(node, AccumulateGrad):
            rec.accumulate = True
            var = node.variable
            if var is not None:
                rec.variable = self.ident(var)
                if rec.variable not in self.latest:
                    self.tensor(var)
            return rec
        if internal:
            rec.internal = True
            rec.edges = [
                (self.node(e[0], False).key, e[1]) if e is not None else None for e in node.next_edges
            ]
        return rec

    def node_key(self, node) -> str | None:
        if node is None:
            return None
        return self.node(node, False).key

    # ---- tensors ----------------------------------------------------------------------------
    def _new_tensor(self, t, external: bool, **over) -> TensorRec:
        gf = t._grad_fn
        values = dict(
            key=self._next("t"),
            obj=self.ident(t),
            ref=weakref.ref(t),
            version=t._vc[0],
            shape=tuple(t._data.shape),
            dtype=str(t._data.dtype),
            requires_grad=bool(t._requires_grad),
            leaf=gf is None,
            grad_fn=self.node_key(gf),
            output_nr=t._output_nr,
            external=external,
        )
        values.update(over)
        rec = TensorRec(**values)
        self.tensors[rec.key] = rec
        if not over:
            self.latest[rec.obj] = rec
        return rec

    def tensor(self, t) -> TensorRec:
        """The record of ``t`` as it is now (a new one if it changed since we last saw it)."""
        obj = self.ident(t)
        latest = self.latest.get(obj)
        if latest is not None:
            gf = t._grad_fn
            same_fn = latest.grad_fn == (self.node_key(gf) if gf is not None else None)
            if latest.version == t._vc[0] and same_fn and latest.requires_grad == t._requires_grad:
                return latest
        return self._new_tensor(t, external=latest is None)

    def output(self, t) -> TensorRec:
        return self._new_tensor(t, external=False)

    def before_inplace(self, t, node) -> TensorRec:
        """The record of ``t`` as it was before the in-place op that just changed it."""
        latest = self.latest.get(self.ident(t))
        if latest is not None:
            return latest
        # first seen here, already overwritten: rebuild what it was from the op's node
        old_fn, leaf, requires = None, True, bool(t._requires_grad)
        if node is not None and not isinstance(node, F.CopySlices) and node.next_edges:
            edge = node.next_edges[0]
            requires = edge is not None
            if edge is not None and not isinstance(edge[0], AccumulateGrad):
                old_fn, leaf = self.node_key(edge[0]), False
        elif node is not None:  # written through a view: its old node is gone
            leaf, requires = False, True
        rec = self._new_tensor(
            t, external=True, version=max(t._vc[0] - 1, 0), grad_fn=old_fn, leaf=leaf, requires_grad=requires
        )
        self.latest[rec.obj] = rec
        return rec

    # ---- names ------------------------------------------------------------------------------
    def take_names(self, namespace: dict) -> None:
        """Label tensors with the variable names that refer to them (``_``-names are skipped)."""
        Tensor = F.Tensor
        for name, value in list(namespace.items()):
            if isinstance(value, Tensor) and not name.startswith("_"):
                obj = self.ident(value, create=False)
                if obj is not None:
                    self.names.setdefault(obj, name)

    # ---- state read when drawing ------------------------------------------------------------
    def retained(self, t: TensorRec) -> bool:
        """Whether ``t`` called retain_grad() (checked now, so a call after the block counts)."""
        if t.grad_fn is None:
            return False
        node = self.nodes[t.grad_fn].ref()
        tensor = t.ref() if t.ref is not None else None
        if node is None or tensor is None:
            return False
        r = node._retained
        return r is not None and r() is tensor and getattr(node, "_retained_nr", 0) == t.output_nr


# ---------------------------------------------------------------------------------------------
# formatting the non-tensor arguments of an op


def caller_namespace(frame) -> dict:
    """A copy of ``frame``'s variables, without keeping them alive afterwards.

    Before Python 3.13, reading ``f_locals`` of a function's frame caches a snapshot dict on the
    frame that keeps every local alive until the function returns, even after ``del``: a
    temporary kept alive would hold its producer's lock. We empty that snapshot again unless
    someone else holds it (a ``locals()`` result); the next read rebuilds it.
    """
    ns = frame.f_locals
    names = dict(ns)
    if ns is not frame.f_globals and type(ns) is dict and sys.getrefcount(ns) <= 3:
        ns.clear()
    return names


def _fmt(x, depth: int = 0) -> str:
    if B.is_array_like_scalar(x):
        x = x.item()
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, B.xp.dtype):
        return x.name
    if isinstance(x, slice):
        parts = ["" if v is None else _fmt(v) for v in (x.start, x.stop, x.step)]
        return ":".join(parts[:2] if x.step is None else parts)
    if x is Ellipsis:
        return "..."
    if isinstance(x, (tuple, list)) and depth < 2:
        inner = ", ".join(_fmt(v, depth + 1) for v in x)
        text = f"({inner}{',' if len(x) == 1 else ''})" if isinstance(x, tuple) else f"[{inner}]"
    elif B.is_array(x):
        text = f"array{tuple(x.shape)}"
    elif hasattr(x, "name") and isinstance(getattr(x, "name", None), str):  # kittygrad dtypes
        text = x.name
    else:
        text = type(x).__name__
    return text if len(text) <= 28 else text[:26] + "…"


def snake(name: str) -> str:
    """``ToCopy`` -> ``to_copy``, ``Add`` -> ``add``, ``MaxPool2d`` -> ``max_pool2d``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


# ---------------------------------------------------------------------------------------------
# the observer


def _codes():
    return {
        "function": F.Function.apply.__func__.__code__,
        "refresh": F.Tensor._refresh_view.__code__,
        "op_apply": F.Op.apply.__func__.__code__,
        "implicit": {_prep.cast.__code__, _prep.expand_to.__code__},
    }


#: callers of cast/expand_to that the user asked for by name (so their node is not "implicit")
_EXPLICIT = {"to", "type", "type_as", "float", "double", "half", "int", "long", "bool", "broadcast_tensors",
             "broadcast_to", "expand", "expand_as"}


def _count_functions(frame, code) -> int:
    n = 0
    while frame is not None:
        if frame.f_code is code:
            n += 1
        frame = frame.f_back
    return n


class Recorder:
    """The observer a CompGraph registers while its block runs."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.codes = _codes()
        self.base_depth = 0

    def start(self, frame) -> None:
        # a block opened inside a custom Function's forward still records that forward
        self.base_depth = _count_functions(frame, self.codes["function"])

    def _hidden(self, kind: str) -> bool:
        """Steps the user did not write: a custom Function's insides, a view re-derived."""
        fn_code, refresh = self.codes["function"], self.codes["refresh"]
        depth = 0
        frame = sys._getframe(2)
        while frame is not None:
            code = frame.f_code
            if code is refresh:
                return True
            if code is fn_code:
                depth += 1
            frame = frame.f_back
        return depth > self.base_depth + (1 if kind == "function" else 0)

    def _implicit(self) -> bool:
        frame = sys._getframe(2)
        op_apply = self.codes["op_apply"]
        for _ in range(6):
            if frame is None:
                return False
            if frame.f_code is op_apply:
                caller = frame.f_back
                if caller is None or caller.f_code not in self.codes["implicit"]:
                    return False
                outer = caller.f_back
                while outer is not None and outer.f_code.co_name.startswith("<"):  # comprehensions
                    outer = outer.f_back
                return outer is None or outer.f_code.co_name not in _EXPLICIT
            frame = frame.f_back
        return False

    def __call__(self, kind, name, node, inputs, outputs) -> None:
        rs = self.records
        Tensor = F.Tensor
        if self._hidden(kind):
            # no picture of the step, but the nodes it made are this block's own
            if node is not None:
                rs.node(node, True)
            for o in outputs:
                if isinstance(o, Tensor) and o._grad_fn is not None:
                    rs.node(o._grad_fn, True)
            return
        op = OpRec(key=rs._next("f"), kind=kind, name=name, grad_enabled=_state.enabled)
        if kind == "op":
            op.implicit = self._implicit()
        flat = []
        for a in inputs:
            if isinstance(a, (list, tuple)) and any(isinstance(v, Tensor) for v in a):
                flat.extend(a)
            else:
                flat.append(a)
        # a custom Function that wrote into an input (mark_dirty) returns that same tensor
        dirty = {id(o) for o in outputs} if kind == "function" else ()
        for i, a in enumerate(flat):
            if isinstance(a, Tensor):
                if (kind == "inplace" and i == 0) or id(a) in dirty:
                    rec = rs.before_inplace(a, node)
                else:
                    rec = rs.tensor(a)
                op.inputs.append(rec.key)
            elif a is not None and not isinstance(a, bool):  # flags read badly without their names
                op.args.append(_fmt(a))
        if node is not None:
            op.nodes.append(rs.node(node, True).key)
        for o in outputs:
            if not isinstance(o, Tensor):
                continue
            if o._grad_fn is not None:
                key = rs.node(o._grad_fn, True).key
                if key not in op.nodes:
                    op.nodes.append(key)
            op.outputs.append(rs.output(o).key)
        if kind == "inplace" and outputs and outputs[0]._view is not None:
            base = outputs[0]._view[0]
            if rs.ident(base, create=False) in rs.latest:  # the base is in the picture: it changed too
                op.base_output = rs.output(base).key
                if base._grad_fn is not None:
                    key = rs.node(base._grad_fn, True).key
                    if key not in op.nodes:
                        op.nodes.append(key)
        rs.ops[op.key] = op


def walk_backward(records: Records, tensors) -> None:
    """Fill ``records`` with the backward graph behind ``tensors`` (what make_dot draws)."""
    stack = []
    for t in tensors:
        rec = records.tensor(t)
        rec.external = False
        if t._grad_fn is not None:
            stack.append(t._grad_fn)
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        records.node(node, True)
        retained = node._retained() if node._retained is not None else None
        if retained is not None and records.ident(retained, create=False) not in records.latest:
            records.tensor(retained)
        for edge in node.next_edges:
            if edge is not None and id(edge[0]) not in seen:
                stack.append(edge[0])
