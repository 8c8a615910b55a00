"""Backward nodes and the backward walk, as the seed describes them.

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
import warnings
import weakref
from types import SimpleNamespace

from .. import _display
from .. import backend as B
from ..errors import BackwardGraphWarning, KittyRuntimeError, user_stacklevel
from .grad_mode import _state
from .graph_array import GraphArray, unsupported
from .accumulation import (
    _accumulate_into,
    _before_node,
    _leaf_hooks,
    _run_pre_hooks,
    _run_post_hooks,
)
from .hooks import RemovableHandle
from .semantics import Task as _Task
from .semantics import mode as _mode
from .semantics import multi_hooks as _multi_hooks
from .semantics import task_state as _task

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
        return tuple(zip(self._next_nodes, self._next_nrs))

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


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


#: torch's text for a saved value that a backward without retain_graph freed
FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


def _consumed_error(node) -> KittyRuntimeError:
    return KittyRuntimeError(FREED_MESSAGE)


def _holds_saved(value) -> bool:
    """Whether a saved attribute holds what torch keeps as a SavedVariable (an array, a NumPy
    scalar standing for a wrapped number, a Tensor) rather than sizes, dims or Python scalars."""
    if type(value) is _ndarray or isinstance(value, (_generic, Tensor)):
        return True
    return type(value) in (tuple, list) and any(_holds_saved(v) for v in value)


def _release_torch(node) -> None:
    """Free a node as torch frees it: only the saved tensors go, and a node that saved none stays
    runnable (torch runs ``AddBackward0`` or a view's node again without retain_graph)."""
    cls = type(node)
    if not node._waits:
        return
    if getattr(cls, "_hooked", False):  # its saved values sit with saved-tensor hooks
        node.release()
        return
    freed = False
    for key in cls._released_fields:
        value = getattr(node, key, _MISSING)
        if value is not getattr(cls, key, _MISSING) and _holds_saved(value):
            delattr(node, key)
            freed = True
    if freed:
        node._consumed = True
        if _retained_alive.data:
            _retained_alive.discard(node)
    else:  # already ran: a later walk through it must count deliveries (the general walk)
        _retained_alive.add(node)


def run_backward(roots, retain_graph: bool = False, capture=None, accumulate: bool = True, create_graph: bool = False):
    """Propagate gradients from ``roots`` = [(node, output_nr, grad_array), ...].

    Default (``retain_graph=False``): the seed's lock semantics. A node runs when all the uses
    reachable from the roots have delivered *and* no other recorded use is still pending; a node
    that still waits keeps its gradient until the other outputs call backward. The graph's saved
    values are freed as it goes.

    ``retain_graph=True``, ``capture`` (autograd.grad) or ``set_backward_semantics("torch")``:
    PyTorch's semantics. Only the uses reachable from the roots count, nothing waits (the general
    walk without its ``pending`` counts); retain_graph leaves the graph intact.

    ``capture`` maps ``(node, output_nr)`` to a slot; the full gradient of that edge is returned
    in a list (used by ``autograd.grad``). With ``accumulate=False`` leaves' ``.grad`` is untouched.
    """
    seed_mode = not retain_graph and capture is None
    if not _mode.plain:  # torch's semantics, or multi-grad hooks that want to know this backward
        return _run_task(roots, retain_graph, capture, accumulate, create_graph, seed_mode and _mode.seed)
    return _walk(roots, retain_graph, capture, accumulate, create_graph, seed_mode)


def _run_task(roots, retain_graph, capture, accumulate, create_graph, seed_mode):
    """A backward that multi-grad hooks can ask about (``current_task``), under either semantics."""
    if not _multi_hooks[0]:
        return _walk(roots, retain_graph, capture, accumulate, create_graph, seed_mode)
    task = _Task(roots)
    previous, _task.current = _task.current, task
    try:
        result = _walk(roots, retain_graph, capture, accumulate, create_graph, seed_mode)
    finally:
        _task.current = previous
    for finish in task.finishers:
        finish()
    return result


def _walk(roots, retain_graph, capture, accumulate, create_graph, seed_mode):
    """Pick the walk: the locks-only one for a plain ``loss.backward()``, else the general one."""
    if create_graph:
        # the gradients are GraphArrays and every formula records ops: run in grad mode
        previous, _state.enabled = _state.enabled, True
        try:
            return _run_general(roots, retain_graph, capture, accumulate, True, seed_mode)
        finally:
            _state.enabled = previous
    if seed_mode and len(roots) == 1 and not _retained_alive.data and not _anomaly.enabled:
        return _run_seed(*roots[0])  # (retain_graph is False here: every node is freed once it ran)
    return _run_general(roots, retain_graph, capture, accumulate, False, seed_mode)


def _run_general(roots, retain_graph, capture, accumulate, create_graph, seed_mode):
    """The walk with a pre-pass that counts, per node, the uses reachable from the roots."""
    torch_release = not _mode.seed  # torch's semantics free only saved tensors (see _release_torch)
    # 1. Count, for every reachable node, the uses that will deliver a gradient in this walk.
    deps: dict = {}
    fresh: dict = {}  # uses by consumers that never ran before (these are what the locks count)
    consumers: dict | None = {} if capture is not None and not accumulate else None
    stack = []
    for node, _, _ in roots:
        if node not in deps:
            deps[node] = 0
            fresh[node] = 0
            stack.append(node)
    while stack:
        node = stack.pop()
        new_use = not node._executed
        for nxt in node._next_nodes:
            if nxt is None:
                continue
            if consumers is not None:
                consumers.setdefault(nxt, []).append(node)
            if nxt in deps:
                deps[nxt] += 1
                if new_use:
                    fresh[nxt] += 1
            else:
                deps[nxt] = 1
                fresh[nxt] = 1 if new_use else 0
                stack.append(nxt)
    # autograd.grad: only the nodes on a path to a requested input run (as torch), so nothing
    # upstream of the inputs is computed or disturbed
    needed = None
    if consumers is not None:
        needed = {n for n, _ in capture if n in deps}
        stack = list(needed)
        while stack:
            for parent in consumers.get(stack.pop(), ()):
                if parent not in needed:
                    needed.add(parent)
                    stack.append(parent)

    # uses that are recorded (locks) but not reachable from the roots: the seed's waiting uses
    pending = {n: n._lock - fresh[n] for n in deps} if seed_mode else None

    # 2. Seed the roots' gradients.
    bufs: dict = {}
    root_nodes = set()
    for node, nr, grad in roots:
        root_nodes.add(node)
        slots = bufs.get(node)
        if slots is None:
            slots = bufs[node] = [None] * len(node._out_meta)
        slots[nr] = _add(slots[nr], grad)
        if seed_mode and pending[node] > 0 and node._waits:
            warnings.warn(
                f"Backpropagation started from the middle of the graph: the output of "
                f"{node._name} (shape {tuple(node._out_meta[nr][0])}) is still used by {pending[node]} "
                "other operation(s) whose gradients will not be included. Call backward() on the "
                "final output instead, or detach() the tensor if this is intended (or set "
                "kittygrad.autograd.set_backward_semantics('torch') for PyTorch's behaviour).",
                BackwardGraphWarning,
                stacklevel=user_stacklevel(),
            )
    received = dict.fromkeys(deps, 0)
    captured = [None] * len(capture) if capture is not None else None

    def ready(n) -> bool:
        if received[n] != deps[n]:
            return False
        if seed_mode and n._waits and n not in root_nodes:
            return pending[n] <= 0
        return True

    ready_stack = [n for n in root_nodes if ready(n)]
    # 3. The walk: pop a ready node, run its backward, hand the gradients to its inputs.
    # (A node is pushed once: only when its last awaited gradient arrives.)
    while ready_stack:
        node = ready_stack.pop()
        grads = bufs.pop(node, None)
        if seed_mode and node._held is not None:
            held, node._held = node._held, None
            grads = held if grads is None else [_add(a, b) for a, b in zip(grads, held)]
        # (a requested input whose node was freed is fine: autograd.grad takes its gradient
        # without running that node, as torch does)
        if node._consumed and (needed is None or any(n is not None and n in needed for n in node._next_nodes)):
            raise _consumed_error(node)
        if grads is None or (grads[0] is None and (len(grads) == 1 or all(g is None for g in grads))):
            input_grads = (None,) * len(node._next_nodes)
        else:
            if capture is not None:
                for nr, g in enumerate(grads):
                    slot = capture.get((node, nr))
                    if slot is not None:
                        captured[slot] = g if node._waits or g is None else _leaf_hooks(node, g)
                if needed is not None and not any(n is not None and n in needed for n in node._next_nodes):
                    continue  # a requested input with nothing requested below it: stop here
            if len(grads) > 1 and node._fills_missing:
                grads = [
                    g if g is not None else B.xp.zeros(shape, dtype) for g, (shape, dtype) in zip(grads, node._out_meta)
                ]
            if create_graph:
                grads = [GraphArray(Tensor._wrap(g)) if g is not None and type(g) is not GraphArray else g for g in grads]
            if node._pre_hooks or node._retained is not None:
                grads = _before_node(node, grads, accumulate)
            if isinstance(node, AccumulateGrad):
                if accumulate:
                    node.backward(grads[0])
                input_grads = ()
            else:
                input_grads = _node_backward(node, grads, create_graph, not retain_graph and not create_graph)
        if not node._executed:
            node._executed = True
            for nxt in node._next_nodes:
                if nxt is not None:
                    nxt._lock -= 1
            if retain_graph and node._waits:
                _retained_alive.add(node)
        if not retain_graph:
            if torch_release:
                _release_torch(node)
            else:
                node.release()
        mark = len(ready_stack)
        for nxt, nr, g in zip(node._next_nodes, node._next_nrs, input_grads):
            if nxt is None or (needed is not None and nxt not in needed):
                continue
            if g is not None:
                shape, dtype = nxt._out_meta[nr]
                if g.shape != shape:
                    g = _fix_shape(node, input_grads, g, shape)
                if g.dtype != dtype:
                    g = g.astype(dtype)
                slots = bufs.get(nxt)
                if slots is None:
                    slots = bufs[nxt] = [None] * len(nxt._out_meta)
                slots[nr] = g if slots[nr] is None else slots[nr] + g
            count = received[nxt] = received[nxt] + 1
            if count == deps[nxt] and (
                not seed_mode or pending[nxt] <= 0 or not nxt._waits or nxt in root_nodes
            ):
                ready_stack.append(nxt)
        if len(ready_stack) - mark > 1:
            # torch's order, as far as it shows: leaves first, in input order (or the order the
            # node's class names), then the other nodes, the later input's first (torch runs the
            # most recently created node first)
            fresh_ready = ready_stack[mark:]
            leaves = [n for n in reversed(fresh_ready) if not n._waits]
            order = node.torch_leaf_order() if len(leaves) > 1 else None
            if order is not None:
                # (popped from the end: the leaf torch reaches first goes last)
                leaves.sort(key=lambda n: order.index(node._next_nodes.index(n)), reverse=True)
            ready_stack[mark:] = [n for n in fresh_ready if n._waits] + leaves

    # 4. Whatever did not run keeps its partial gradient (seed semantics) and we say why.
    if seed_mode and bufs:
        _hold_waiting(bufs)
    return captured


def _run_seed(root, root_nr, root_grad) -> None:
    """The seed's walk driven by the locks alone: one root, no node ran before with retain_graph.

    A node runs when its lock reaches zero, i.e. when every recorded use of its outputs has sent
    its gradient; no pre-pass over the graph is needed. A gradient whose delivery brings the lock
    to zero goes straight onto the stack; only partial sums wait in ``bufs``. Leaves
    (AccumulateGrad) never wait: a plain leaf adds each gradient into ``.grad`` as it arrives, a
    leaf with hooks takes the sum once the walk is over. Whatever still waits for other uses is
    held, and we say so, exactly as the general walk does.
    """
    if root._lock > 0 and root._waits:
        warnings.warn(
            f"Backpropagation started from the middle of the graph: the output of "
            f"{root._name} (shape {tuple(root._out_meta[root_nr][0])}) is still used by {root._lock} "
            "other operation(s) whose gradients will not be included. Call backward() on the "
            "final output instead, or detach() the tensor if this is intended (or set "
            "kittygrad.autograd.set_backward_semantics('torch') for PyTorch's behaviour).",
            BackwardGraphWarning,
            stacklevel=user_stacklevel(),
        )
    slots = [None] * len(root._out_meta)
    slots[root_nr] = root_grad
    bufs = {}  # node -> partial gradient sums, for nodes whose lock has not reached zero yet
    leaf_bufs = {}  # leaves with hooks: their gradient is summed first
    stack = [(root, slots)]
    collected = False
    while True:
        while stack:
            node, grads = stack.pop()
            if node._held is not None:
                held, node._held = node._held, None
                grads = [_add(a, b) for a, b in zip(grads, held)]
            if node._consumed:
                raise _consumed_error(node)
            if grads[0] is None and (len(grads) == 1 or all(g is None for g in grads)):
                input_grads = (None,) * len(node._next_nodes)
            else:
                if len(grads) > 1 and node._fills_missing:
                    grads = [
                        g if g is not None else B.xp.zeros(shape, dtype)
                        for g, (shape, dtype) in zip(grads, node._out_meta)
                    ]
                if node._pre_hooks or node._retained is not None:
                    grads = _before_node(node, grads, True)
                if not node._waits:  # the root itself is a leaf
                    t = node._tensor_ref()
                    if t is not None:
                        _accumulate_into(t, grads[0])
                    input_grads = ()
                else:
                    input_grads = _node_backward(node, grads, False, True)
            grads = None
            node._executed = True
            node.release()
            for nxt, nr, g in zip(node._next_nodes, node._next_nrs, input_grads):
                if nxt is None:
                    continue
                nxt._lock -= 1
                if g is not None:
                    shape, dtype = nxt._out_meta[nr]
                    if g.shape != shape:
                        g = _fix_shape(node, input_grads, g, shape)
                    if g.dtype != dtype:
                        g = g.astype(dtype)
                if not nxt._waits:  # a leaf
                    if g is None:
                        continue
                    t = nxt._tensor_ref()
                    if t is None:
                        continue
                    if nxt._pre_hooks or t._hooks or t._post_hooks or type(g) is not _ndarray:
                        slots = leaf_bufs.get(nxt)
                        leaf_bufs[nxt] = [g] if slots is None else [slots[0] + g]
                        continue
                    current = t._grad
                    if current is None:
                        # .grad owns its memory, laid out as its leaf (torch's contract): an array
                        # nothing else references (the input_grads tuple, zip's item tuple, the loop
                        # variable, getrefcount's argument), no view or one of a buffer only it holds
                        data = t._data
                        ours = (_getrefcount(g) <= 4 and g.flags.writeable and g.dtype == data.dtype
                                and (g.base is None or B.sole_view(g)))
                        if ours and (g.strides == data.strides or (g.flags.c_contiguous and data.flags.c_contiguous)):
                            t._grad = Tensor._wrap(g)
                        else:
                            t._grad = Tensor._wrap(B.grad_like(g, data))
                    else:
                        _accumulate_into(t, g)
                    continue
                if nxt._lock == 0:
                    slots = bufs.pop(nxt, None)
                    if slots is None:
                        if len(nxt._out_meta) == 1:
                            stack.append((nxt, [g]))
                            continue
                        slots = [None] * len(nxt._out_meta)
                    if g is not None:
                        slots[nr] = g if slots[nr] is None else slots[nr] + g
                    stack.append((nxt, slots))
                else:
                    slots = bufs.get(nxt)
                    if slots is None:
                        slots = bufs[nxt] = [None] * len(nxt._out_meta)
                    if g is not None:
                        slots[nr] = g if slots[nr] is None else slots[nr] + g
        if leaf_bufs:  # every gradient a hooked leaf will get in this walk has arrived
            for leaf, slots in leaf_bufs.items():
                t = leaf._tensor_ref()
                grads = slots
                if leaf._pre_hooks:
                    grads = _run_pre_hooks(leaf, grads)
                if t is not None and grads[0] is not None:
                    _accumulate_into(t, grads[0])
                leaf._executed = True
            leaf_bufs = {}
        if bufs and not collected:
            # Before saying a node waits: a use may belong to garbage in a reference cycle (a
            # caught exception's traceback keeps its frames' temporaries alive) that only the
            # cyclic collector frees. Collect the young generations once and look again.
            collected = True
            _gc.collect(1)
            stack = [(n, bufs.pop(n)) for n in [n for n in bufs if n._lock == 0]]
            if stack:
                continue
        break

    if bufs:
        _hold_waiting(bufs)


def _hold_waiting(bufs) -> None:
    """Keep the gradients of nodes that still wait for other uses, and warn about the blockers.

    A blocker waits for a use outside this walk; the nodes below it merely wait for the blocker.
    """
    waiting = [n for n, slots in bufs.items() if any(g is not None for g in slots)]
    for node in waiting:
        slots = bufs[node]
        node._held = slots if node._held is None else [_add(a, b) for a, b in zip(node._held, slots)]
    below = set()
    stack = [nxt for n in bufs for nxt in n._next_nodes if nxt is not None]
    while stack:
        n = stack.pop()
        if n not in below:
            below.add(n)
            stack.extend(nxt for nxt in n._next_nodes if nxt is not None)
    blockers = [n for n in waiting if n not in below]
    if blockers:
        desc = ", ".join(
            f"{n._name} (shape {tuple(n._out_meta[0][0])}, waiting for {n._lock} more use(s))"
            for n in blockers[:5]
        )
        warnings.warn(
            "Backpropagation not completed: " + desc + " still wait(s) for gradients from other "
            "outputs that have not called backward() yet; their gradients will be completed when "
            "those outputs call backward(). If you do not need those outputs' gradients, detach() "
            "them or compute them under no_grad(); to get the gradients now, use "
            "backward(retain_graph=True) or kitty.autograd.grad; or set "
            "kittygrad.autograd.set_backward_semantics('torch') for PyTorch's behaviour (uses that "
            "this backward cannot reach do not hold gradients back).",
            BackwardGraphWarning,
            stacklevel=user_stacklevel(),
        )


def _fix_shape(node, input_grads, g, shape):
    """Sum a gradient that came back broadcast (custom Functions may do so), else say who erred."""
    try:
        if B.broadcast_shapes(g.shape, shape) == tuple(g.shape):
            return B.sum_to_shape(g, shape)
    except ValueError:
        pass
    index = next(i for i, h in enumerate(input_grads) if h is g)
    tensor_inputs = getattr(node, "_tensor_inputs", None)
    if tensor_inputs is not None:  # torch counts a custom Function's tensor arguments only
        index = sum(tensor_inputs[:index])
    raise KittyRuntimeError(
        f"Function {node.name()} returned an invalid gradient at index {index} - got {list(g.shape)} but "
        f"expected shape compatible with {list(shape)}"
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
