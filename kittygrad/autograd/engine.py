"""Backward nodes, as the seed describes them (the walk over them is in ``walk.py``).

Every tensor made by a differentiable op in grad mode holds a backward node (``grad_fn``).
Each node keeps a **lock**: the number of recorded uses of its output(s) whose consumer has not
yet sent a gradient back. ``backward()`` walks the graph with an explicit stack (never Python
recursion); a node accumulates the gradients that reach it and runs its own backward once every
use it waits for has delivered. The locks also let us tell the user when a backward starts in the
middle of the graph, or leaves gradients waiting for outputs that have not called backward yet.
"""
from __future__ import annotations

import gc as _gc
import sys
import weakref
from types import SimpleNamespace

from .. import _display
from .. import backend as B
from ..errors import KittyRuntimeError
from .grad_mode import _state
from .graph_array import GraphArray, unsupported
from .accumulation import (
    _accumulate_into,
    _run_post_hooks,
)
from .hooks import RemovableHandle

#: nodes that ran a backward with retain_graph=True and still hold their saved values: their
#: uses are already settled, so a walk that reaches them must count deliveries (the slow path)
_retained_alive: weakref.WeakSet = weakref.WeakSet()
#: engine-side saved data any node may hold (save_for_backward, version records, replay args)
_ALWAYS_RELEASED = ("_saved_versions", "_args", "_saved")
_MISSING = object()
#: torch's names of nodes it records under another name than kittygrad's op (with the overload)
_TORCH_NAMES = {
    "CrossEntropyLossBackward": "NllLossBackward0",  # torch: log_softmax, then nll_loss
    "VectorNormBackward": "LinalgVectorNormBackward0",
    "CrossBackward": "LinalgCrossBackward0",
    "CopySlices": "CopySlices",  # (torch's nodes without an overload number)
    "AccumulateGrad": "AccumulateGrad",
    # torch.linalg's ops (and torch.inverse, det, ... which torch routes to them) record linalg_* nodes
    "InvBackward": "LinalgInvExBackward0",
    "DetBackward": "LinalgDetBackward0",
    "SlogdetBackward": "LinalgSlogdetBackward0",
    "CholeskyExBackward": "LinalgCholeskyExBackward0",
    "EighBackward": "LinalgEighBackward0",
    "EigvalshBackward": "LinalgEighBackward0",
    "QRBackward": "LinalgQrBackward0",
    "SVDBackward": "LinalgSvdBackward0",
    "SVDValsBackward": "LinalgSvdBackward0",
    "SolveBackward": "LinalgSolveExBackward0",
    "LstsqBackward": "LinalgLstsqBackward0",
    "PinvBackward": "LinalgPinvBackward0",
    "MatrixExpBackward": "LinalgMatrixExpBackward0",
    "LUFactorBackward": "LinalgLuFactorExBackward0",
    "SolveTriangularBackward": "LinalgSolveTriangularBackward0",
    "Log1pBackward": "Log1PBackward0",
    "PreluBackward": "PreluKernelBackward0",  # torch's prelu calls its _prelu_kernel
    "SoftsignBackward": "DivBackward0",  # torch: x / (1 + |x|)
    "NanMeanBackward": "DivBackward0",  # torch: nansum / the count of non-NaNs
    "NanSumBackward": "NansumBackward0",
    "RmsNormBackward": "MulBackward0",  # x * rsqrt(mean(x**2) + eps) [* weight]
}
#: torch's nodes written in C++ without a generated class: ``name()`` gives them their namespace
#: (``torch::autograd::AccumulateGrad``), while their repr and a tensor's printout show the bare name
_TORCH_NAMESPACED = frozenset({"AccumulateGrad", "CopySlices", "CopyBackwards", "NotImplemented"})
#: the output numbers of nodes whose inputs all come from first outputs, shared by every such node
_ZERO_NRS = tuple((0,) * n for n in range(17))


def output_nrs(nrs: list) -> tuple:
    """``Node._next_nrs`` for these output numbers: a shared tuple when all are 0 (nearly always)."""
    if not any(nrs) and len(nrs) < len(_ZERO_NRS):
        return _ZERO_NRS[len(nrs)]
    return tuple(nrs)
#: anomaly mode (autograd/anomaly_mode.py sits above the engine and plugs its check in here: the
#: engine reads one attribute per backward while the mode is off and imports nothing above it)
_anomaly = SimpleNamespace(enabled=False, check_nan=True, check=None, warn_error=None)
#: ``grad_fn._saved_<name>`` / ``_raw_saved_<name>``: autograd/graph.py plugs the lookup in here
_saved_access = SimpleNamespace(get=None)


class _SavedAttr:
    """``grad_fn._saved_<name>`` (or ``_raw_saved_<name>``) of an op class that declares
    ``torch_saved``: a class-level descriptor, so other attribute lookups pay nothing."""

    __slots__ = ("name", "field", "kind", "raw")

    def __init__(self, name: str, spec, raw: bool) -> None:
        self.name = name
        self.field, self.kind = (spec, "tensor") if isinstance(spec, str) else spec
        self.raw = raw

    def __get__(self, node, owner=None):
        if node is None:
            return self
        if self.name not in type(node).torch_saved:  # inherited by a subclass torch names otherwise
            raise AttributeError(f"'{type(node).__name__}' object has no attribute '{'_raw' if self.raw else ''}_saved_{self.name}'")
        return _saved_access.get(node, self)


class Node:
    """A node of the backward graph (what ``tensor.grad_fn`` returns).

    ``next_edges`` holds, for each forward input, ``(node, output_nr)`` of the node that produced
    it, or ``None`` when that input needs no gradient.
    """

    __slots__ = ("__weakref__", "__dict__")
    # class-level defaults, set per instance only when they change (no-grad ops set none of them)
    # The edges, one per forward input, are kept as two parallel tuples rather than one tuple of
    # (node, output_nr) pairs: each pair holding a node would be one more object per edge for the
    # cyclic GC to track, and its full collections walk every tracked object of the process (the
    # user's heap included) once per so many tracked allocations. ``next_edges`` builds the pairs.
    _next_nodes = ()  # per input: the node its gradient flows into, or None (needs no gradient)
    _next_nrs = ()  # per input: which output of that node (all 0 nearly always: a shared tuple)
    needs_input_grad = ()
    _lock = 0  # recorded uses of this node's outputs whose gradient has not come back yet
    _out_meta = ()  # ((shape, dtype), ...) of the outputs
    _held = None  # gradients waiting for other outputs' backward (seed semantics)
    _executed = False  # ran its backward at least once (its uses of the inputs are settled)
    _consumed = False  # saved values freed by a backward without retain_graph
    #: True while the engine runs this node's backward and frees what its forward saved right
    #: after (no retain_graph, no create_graph): the backward may then write into a buffer of its
    #: own that it saved (see ops._prep.owns_saved)
    _last_read = False
    _saved_versions = ()  # (version counter, version at save, array, index, is output) per saved value
    _shape_only = ()  # ids of input arrays kept although no gradient computed reads their values
    _retained = None  # weakref to the tensor that called retain_grad()
    _plain_args = 0  # bit i set: the forward's argument i was no tensor (no edge in next_functions)
    #: True for ops whose torch overload takes a Python number as a (wrapped) tensor operand
    #: (``x * 2``, ``x / 3``, ``torch.where(c, x, 0.)``): the number keeps its ``(None, 0)`` edge
    scalar_edges = False
    _pre_hooks = None
    _post_hooks_node = None  # {handle id: fn(grad_inputs, grad_outputs)}, see Node.register_hook
    #: the attribute names this node's forward saves for backward, declared beside the forward;
    #: ``release`` frees exactly these (a test checks that no undeclared array survives backward)
    saved_fields: tuple = ()
    _released_fields: tuple = _ALWAYS_RELEASED  # saved_fields of the class and its bases, + engine's
    _name = "Node"
    #: forward inputs (by position) that torch's gradient formula takes as arguments of one
    #: backward op although the gradient is linear in the incoming one (threshold_backward(grad,
    #: self), nll_loss_backward(grad, self, ...), convolution_backward(grad, input, weight, ...)).
    #: Under create_graph=True a gradient that comes out without a graph is recorded as a
    #: function of them (derivative zero) when they require grad, as torch's is. Which ops have
    #: such a backward op is torch's implementation choice, so each op declares it.
    graph_formal_inputs: tuple = ()
    #: True where torch's double backward of that backward op leaves the formal inputs' gradients
    #: undefined rather than zero (convolution_backward, native_batch_norm_backward): the engine
    #: then sends them none, so grad(..., allow_unused=True) gives None and without it raises
    graph_formal_undefined: bool = False
    #: a multi-output node's backward sees zeros for the outputs that got no gradient
    _fills_missing = True
    #: AccumulateGrad nodes never wait on locks: a leaf's gradient lands as soon as it arrives
    _waits = True
    #: ``{torch's name: our saved field}`` (or ``(field, kind)``, kind "number" for a Scalar
    #: argument torch keeps as a number, "T" for a field torch saves transposed): gives the class
    #: ``grad_fn._saved_<name>`` and ``_raw_saved_<name>`` as torch's node of that op has them
    torch_saved: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        declared = {name for klass in cls.__mro__ for name in vars(klass).get("saved_fields", ())}
        cls._released_fields = tuple(sorted(declared)) + _ALWAYS_RELEASED
        cls._release_plan = _release_plan(cls)
        if "_name" not in cls.__dict__:
            cls._name = cls.__name__ if cls.__name__.endswith("Backward") else cls.__name__ + "Backward"
        for name, spec in cls.__dict__.get("torch_saved", {}).items():
            setattr(cls, "_saved_" + name, _SavedAttr(name, spec, raw=False))
            setattr(cls, "_raw_saved_" + name, _SavedAttr(name, spec, raw=True))

    def _init_node(self) -> None:
        self._lock = 0

    def name(self) -> str:
        """The node's name: the seed's (``MulBackward``), or under ``python -m kittygrad.run``
        torch's, with its overload number (``MulBackward0``), so a script's printout matches."""
        if _display.name != "torch":
            return self._name
        name = self.torch_name()
        return "torch::autograd::" + name if name in _TORCH_NAMESPACED else name

    def shown_name(self) -> str:
        """The name the node's repr and its tensors' printouts show: ``name()``, without the
        namespace torch's ``name()`` gives its C++ nodes (``<AccumulateGrad object at ...>``)."""
        return self._name if _display.name != "torch" else self.torch_name()

    def torch_name(self) -> str:
        """The name torch gives this node: its overload number appended (``AddBackward0``), or
        torch's own name where the op is recorded differently: the ``torch_label`` an op function
        gave this node (``t()``: ``TBackward0``), else ``_TORCH_NAMES``."""
        label = self.__dict__.get("torch_label")
        return label if label is not None else self._torch_recorded_name()

    def output_name(self, nr: int) -> str:
        """The node name a tensor that is output ``nr`` of this node shows in its printout: the
        node's, or under torch's naming the ``torch_output_labels`` entry of a node that records
        what torch makes by several nodes (an RNN's output by its layer, its final states by a stack)."""
        labels = self.__dict__.get("torch_output_labels")
        return self.shown_name() if labels is None or _display.name != "torch" else labels[nr]

    def _torch_recorded_name(self) -> str:
        """torch's name for what this node's class records (a subclass that records several of
        torch's ops, as indexing does, decides here)."""
        name = self._name
        renamed = _TORCH_NAMES.get(name)
        if renamed is not None:
            return renamed
        return name if name[-1].isdigit() else name + self._torch_overload()

    def _torch_overload(self) -> str:
        """Which of torch's overloads of the op this node records ("0" unless a subclass knows)."""
        return "0"

    def torch_leaf_order(self) -> tuple | None:
        """The input positions in the order torch's backward reaches those of them that are leaves
        (their hooks fire in that order), where this op's torch graph makes it differ from input
        order; None for input order. An op function that knows it for one call sets the node's
        ``_leaf_order``; a class that knows it for all overrides this."""
        return self.__dict__.get("_leaf_order")

    @property
    def next_edges(self) -> tuple:
        """``(node, output_nr)`` per forward input, or None for one that needs no gradient."""
        return tuple([None if n is None else (n, nr) for n, nr in zip(self._next_nodes, self._next_nrs)])

    @next_edges.setter
    def next_edges(self, edges) -> None:
        self._next_nodes = tuple([None if e is None else e[0] for e in edges])
        self._next_nrs = output_nrs([0 if e is None else e[1] for e in edges])

    @property
    def next_functions(self) -> tuple:
        """``((node, output_nr), ...)`` per input, as torch (``(None, 0)`` for inputs without grad)."""
        edges = tuple(zip(self._next_nodes, self._next_nrs))
        plain = self._plain_args
        # torch's nodes have an edge per tensor input only (an arg that was a dim or a scalar has none)
        return edges if not plain else tuple([e for i, e in enumerate(edges) if not plain >> i & 1])

    @property
    def metadata(self) -> dict:
        return self.__dict__.setdefault("_metadata", {})

    def __repr__(self) -> str:
        return f"<{self.shown_name()} object at {hex(id(self))}>"

    def __call__(self, *grads):
        return self.backward(*grads)

    def backward(self, *grad_outputs):  # pragma: no cover - every node overrides it
        raise NotImplementedError(f"{self._name} has no backward")

    def _graph_backward(self, grads):
        """Backward that records a graph (create_graph=True): GraphArrays in, GraphArrays out."""
        raise unsupported(self, "this kind of node has no graph-building backward")

    def release(self) -> None:
        """Free what the forward pass saved (called after a backward without retain_graph).

        Exactly the fields the op declares in ``saved_fields`` (and the engine's own saved data)
        go; the graph's shape, locks and hooks stay. Deleting by name, never through
        ``self.__dict__``, keeps CPython from building a dict object per node that the cyclic
        GC would then have to walk.
        """
        for key, class_value in type(self)._release_plan:
            # (deleting a name the instance lacks can make CPython build the dict after all)
            if getattr(self, key, _MISSING) is not class_value:
                delattr(self, key)
        self._consumed = True
        if _retained_alive.data:
            _retained_alive.discard(self)

    def register_prehook(self, hook):
        """Call ``hook(grad_outputs)`` before this node's backward; a non-None result replaces them."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = hook
        return handle

    def register_hook(self, hook):
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's backward; a non-None result
        replaces ``grad_inputs`` (torch.autograd.graph.Node.register_hook).

        >>> import kittygrad as kitty
        >>> a = kitty.tensor([1., 2.], requires_grad=True)
        >>> h = (a * 2).grad_fn.register_hook(lambda gi, go: None); h.remove()
        """
        if self._post_hooks_node is None:
            self._post_hooks_node = {}
        handle = RemovableHandle(self._post_hooks_node)
        self._post_hooks_node[handle.id] = hook
        return handle

    def __del__(self):
        # A use whose consumer died before sending its gradient must never block the producer.
        if not self._executed:
            for nxt in self._next_nodes:
                if nxt is not None:
                    nxt._lock -= 1


def _release_plan(cls) -> tuple:
    """``((field, its class-level value or _MISSING), ...)`` for ``Node.release``: an instance
    holds a field when its value is not the class's (looked up once per class, not per node)."""
    return tuple([(key, getattr(cls, key, _MISSING)) for key in cls._released_fields])


Node._release_plan = _release_plan(Node)


class AccumulateGrad(Node):
    """Ends the walk at a leaf: adds the incoming gradient into ``leaf.grad``."""

    _name = "AccumulateGrad"
    _waits = False

    def __init__(self, tensor) -> None:
        self._init_node()
        self._tensor_ref = weakref.ref(tensor)
        self._out_meta = ((tensor._data.shape, tensor._data.dtype),)

    @property
    def variable(self):
        return self._tensor_ref()

    def release(self) -> None:  # a leaf's accumulator has nothing to free and is reused
        pass

    def backward(self, grad):
        tensor = self._tensor_ref()
        if tensor is not None and grad is not None:
            _accumulate_into(tensor, grad)
        return ()


def retarget_retained(t, node) -> None:
    """``t`` (which called ``retain_grad()``) is about to get ``node`` as its grad_fn after an
    in-place op: its ``.grad`` follows to the new value's node, as torch moves the hook."""
    old = t._grad_fn
    if old is not None and old._retained is not None and old._retained() is t:
        old._retained = None
    node._retained = weakref.ref(t)
    node._retained_nr = 0


Tensor = None  # set by kittygrad.tensor
#: ``dual_saved(t)`` while a forward-AD level is open (set by forward_ad): a backward formula or
#: double backward rebuilt a value around the same array as the new Tensor ``t``, which takes the
#: tangent that array carried
dual_saved = None
_getrefcount = sys.getrefcount
_ndarray = B.xp.ndarray
_generic = B.xp.generic


def _node_backward(node, grads, create_graph: bool, last_read: bool = False) -> tuple:
    """One node's backward, as both walks run it: the saved values' versions are checked, the
    result is one gradient per forward input, then post hooks and anomaly checks see it.
    ``last_read``: the walk frees what the node saved once this returns (``Node._last_read``)."""
    for saved in node._saved_versions:
        if saved[0][0] != saved[1]:
            if _anomaly.enabled:  # torch warns with the forward's traceback before it raises
                _anomaly.warn_error(node)
            _check_versions(node)
    if last_read:
        # (a flag on the node, not a thread-local: reading and writing one around every backward
        # cost ~1 us per walk; it holds exactly while this call runs, even if the backward raises)
        node._last_read = True
        try:
            input_grads = node.backward(*grads)
        finally:
            node._last_read = False
    else:
        input_grads = node._graph_backward(grads) if create_graph else node.backward(*grads)
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    if len(input_grads) != len(node._next_nodes):
        raise KittyRuntimeError(
            f"{node._name} returned {len(input_grads)} gradients but its forward had "
            f"{len(node._next_nodes)} inputs"
        )
    if create_graph:
        input_grads = _formal_dependence(node, input_grads)
    if node._post_hooks_node:
        input_grads = _run_post_hooks(node, input_grads, grads)
    if _anomaly.enabled:
        _anomaly.check(node, input_grads)
    return input_grads


class _FormalGrad(Node):
    """The node of a gradient that is, as in torch, a function of its node's forward inputs
    without reading them (see ``Node.graph_formal_inputs``): its derivative for each is zero
    (none at all when ``_undefined``). Its first ``_n_formal`` edges are those inputs; any further
    edge passes output ``_passed[k]``'s gradient on unchanged to the graph that gradient already had."""

    _n_formal = 0
    _passed = ()
    _undefined = False
    # an output that got no gradient passes none on: zeros would flow down its graph and reach
    # inputs that no used output depends on (a convolution's input through its weight gradient)
    _fills_missing = False

    def backward(self, *grads):
        formal = self.next_edges[: self._n_formal]
        if self._undefined:
            zeros = [None] * len(formal)
        else:
            zeros = [B.xp.zeros(*nxt._out_meta[nr]) for nxt, nr in formal]
        return tuple(zeros) + tuple([grads[k] for k in self._passed])

    def _graph_backward(self, grads):
        return tuple([
            g if g is None or type(g) is GraphArray else GraphArray(Tensor._wrap(g)) for g in self.backward(*grads)
        ])


#: node name -> its _FormalGrad subclass, named as torch names double-backward nodes
#: (NllLossBackward -> NllLossBackwardBackward): the name is a class attribute, not one per node
_formal_classes: dict = {}


def _formal_dependence(node, input_grads):
    """create_graph=True: record the gradients that came out without a graph as functions of the
    node's formal inputs, where one of those requires grad (torch's backward ops, e.g.
    ``nll_loss_backward(grad, self, ...)``, take them as arguments), so they require grad as
    torch's do and a further grad() gives zeros instead of raising. A gradient that has a graph
    already gets the formal inputs added to it (a weight's gradient through leaky_relu reaches the
    bias before it as zeros, not None)."""
    formal = node.graph_formal_inputs
    if not formal:
        return input_grads
    missing = [i for i, g in enumerate(input_grads) if type(g) is GraphArray]
    if not missing:
        return input_grads
    edges = node.next_edges
    deps = tuple(dict.fromkeys(edges[i] for i in formal if i < len(edges) and edges[i] is not None))
    if not deps:
        return input_grads
    passed = [nr for nr, i in enumerate(missing) if input_grads[i].t._requires_grad]
    pass_edges = tuple([_edge(input_grads[missing[nr]].t) for nr in passed])
    cls = _formal_classes.get(node._name)
    if cls is None:
        name = node._name + "Backward"
        cls = _formal_classes[node._name] = type(name, (_FormalGrad,), {"_name": name})
    fnode = cls()
    fnode._init_node()
    fnode.next_edges = deps + pass_edges
    fnode._n_formal, fnode._passed = len(deps), tuple(passed)
    if node.graph_formal_undefined:
        fnode._undefined = True
    fnode.needs_input_grad = (True,) * (len(deps) + len(pass_edges))
    fnode._executed = fnode._consumed = False
    for e in deps + pass_edges:  # a use like any op's: the seed's locks count it until it delivers
        e[0]._lock += 1
    out = list(input_grads)
    meta = []
    for nr, i in enumerate(missing):
        t = Tensor._wrap(out[i].t._data)
        t._grad_fn, t._output_nr, t._requires_grad = fnode, nr, True
        if dual_saved is not None:  # (forward over reverse: the gradient keeps its tangent)
            dual_saved(t)
        meta.append((t._data.shape, t._data.dtype))
        out[i] = GraphArray(t)
    fnode._out_meta = tuple(meta)
    return tuple(out)


def _check_versions(node) -> None:
    for vc, version, arr, nr, is_output in node._saved_versions:
        shape, dtype = arr.shape, arr.dtype
        if vc[0] != version and _display.name == "torch":
            raise KittyRuntimeError(_torch_version_message(node, vc, version, arr, nr, is_output))
        if vc[0] != version:
            raise KittyRuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: a {dtype} tensor of shape {list(shape)} saved by "
                f"{node._name} is at version {vc[0]}; expected version {version} instead. "
                "Hint: do the in-place operation on a copy (x = x.clone()) or use its out-of-place "
                "form (x = x.mul(2) instead of x.mul_(2))."
            )


def _torch_version_message(node, vc, version, arr, nr: int, is_output: bool) -> str:
    """torch's words for a saved value changed in place (under ``kittygrad.run``, where a script
    prints them): its legacy type and shape, and the node whose output it is now (the one that
    saved it for a saved output; else the tensor's current ``grad_fn``, usually the in-place op)."""
    legacy = _LEGACY_NAMES.get(arr.dtype.name, "Tensor")
    if is_output:
        producer = node
    else:
        # the node keeps the input's array and version counter, not the Tensor: look for it
        # among the counter's holders (on this error path only) to name its grad_fn now
        holder = next((t for t in _gc.get_referrers(vc) if getattr(t, "_data", None) is arr and hasattr(t, "_grad_fn")), None)
        producer = holder._grad_fn if holder is not None else None
        nr = holder._output_nr if holder is not None else 0
    which = ""
    if producer is not None:
        name = producer.torch_name()
        which = f", which is output {nr} of {name[:-9] if name[-9:-1] == 'Backward' else name},"
    hint = (
        "Hint: the backtrace further above shows the operation that failed to compute its gradient. The "
        "variable in question was changed in there or anywhere later. Good luck!" if _anomaly.enabled else
        "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )
    return (
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[torch.{legacy} {list(arr.shape)}]{which} is at version "
        f"{vc[0]}; expected version {version} instead. {hint}"
    )


#: torch's legacy tensor type names by NumPy dtype name, for its in-place version message
_LEGACY_NAMES = {
    "float16": "HalfTensor", "bfloat16": "BFloat16Tensor", "float32": "FloatTensor", "float64": "DoubleTensor",
    "uint8": "ByteTensor", "int8": "CharTensor", "int16": "ShortTensor", "int32": "IntTensor", "int64": "LongTensor",
    "bool": "BoolTensor",
}


#: torch's text for a saved value that a backward without retain_graph freed
FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


def _edge(t):
    """The (node, output_nr) that gradients for tensor ``t`` flow into, or None."""
    if t._view is not None and t._view_version != t._vc[0]:
        t._refresh_view()
    fn = t._grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        return (t._accumulator(), 0)
    return None


def grad_enabled() -> bool:
    return _state.enabled
