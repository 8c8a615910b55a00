"""A TensorBoard ``GraphDef`` of a model, from the operations one forward call runs.

The model runs once (without building a backward graph) while kittygrad's operation recorder
(``kittygrad.viz``'s, through ``autograd.function.observers``) watches; forward hooks on every
submodule say which module each operation ran in. Each operation becomes a node named
``<scope>/<op>`` where the scope is torch's ``Net/Linear[fc]/...`` (class name, attribute name in
brackets), so TensorBoard folds the graph by module. Model inputs are ``input/<argument name>``,
results ``output/output.<n>``, parameters and buffers ``<scope>/<name>``, any other tensor an
operation reads (one made inside ``forward``) a ``Constant`` node. Every node carries the shapes it
produces in ``_output_shapes``, as torch's graphs do.
"""

from __future__ import annotations

import inspect
import sys

from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.step_stats_pb2 import DeviceStepStats, StepStats
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef

from ...autograd import function as _function
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ...viz._record import Recorder, Records

__all__ = ["model_graph"]

# the GraphDef version torch's writer stamps its graphs with (TensorBoard reads any)
_PRODUCER = 22


def _shapes(records: Records, keys) -> AttrValue:
    shapes = [TensorShapeProto(dim=[TensorShapeProto.Dim(size=n) for n in records.tensors[k].shape]) for k in keys]
    return AttrValue(list=AttrValue.ListValue(shape=shapes))


def _node(name: str, op: str, inputs=(), text: str = "", shapes: AttrValue | None = None) -> NodeDef:
    node = NodeDef(name=name, op=op, input=list(inputs))
    node.attr["attr"].s = text.encode("utf-8")
    if shapes is not None:
        node.attr["_output_shapes"].CopyFrom(shapes)
    return node


def _scopes(model) -> dict:
    """``{module: "Net/Linear[fc]/..."}`` for the model and every submodule."""
    by_name = dict(model.named_modules())
    scopes = {}
    for dotted, module in by_name.items():
        parts = [type(model).__name__]
        path = dotted.split(".") if dotted else []
        for i, attr in enumerate(path):
            parts.append(f"{type(by_name['.'.join(path[: i + 1])]).__name__}[{attr}]")
        scopes[module] = "/".join(parts)
    return scopes


def _flat_tensors(value) -> list:
    """The tensors in a forward result: a tensor, or tensors nested in tuples, lists and dicts."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flat_tensors(v)]
    return []


def _input_names(model, count: int) -> list[str]:
    """The forward's argument names for ``count`` positional inputs (``input.<n>`` past the named ones)."""
    try:
        params = [
            p.name
            for p in inspect.signature(model.forward).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):  # a forward without a readable signature
        params = []
    return [params[i] if i < len(params) else f"input.{i}" for i in range(count)]


def _record(model, args):
    """Run ``model(*args)`` with the recorder on: the records, the inputs' record keys, the result, each op's
    module scope and each module's scope."""
    records = Records()
    # the inputs as they come in (an in-place op inside forward makes a later version)
    input_keys = [records.tensor(a).key if isinstance(a, Tensor) else None for a in args]
    recorder = Recorder(records)
    recorder.start(sys._getframe(1))
    scopes = _scopes(model)
    op_scope: dict[str, str] = {}
    starts: list[int] = []

    def enter(module, inputs):
        starts.append(len(records.ops))

    def leave(module, inputs, output):
        # ops run since this module started and not claimed by a submodule (which finished first) are its own
        for key in list(records.ops)[starts.pop() :]:
            op_scope.setdefault(key, scopes[module])

    handles = []
    for module in scopes:
        handles.append(module.register_forward_pre_hook(enter))
        handles.append(module.register_forward_hook(leave))
    _function.observers.append(recorder)
    try:
        with no_grad():
            result = model(*args)
    finally:
        _function.observers.remove(recorder)
        for handle in handles:
            handle.remove()
    return records, input_keys, result, op_scope, scopes


def model_graph(model, args) -> tuple[GraphDef, RunMetadata]:
    """The ``GraphDef`` of one ``model(*args)`` call, and the (empty) run metadata torch writes with it."""
    records, input_keys, result, op_scope, scopes = _record(model, args)
    root = scopes[model]
    # who made each tensor record: the node name (with ":<n>" for an op's later results)
    made_by: dict[str, str] = {}
    nodes: list[NodeDef] = []
    for name, key in zip(_input_names(model, len(args)), input_keys):
        if key is not None:
            made_by[key] = f"input/{name}"
            nodes.append(_node(f"input/{name}", "IO Node", shapes=_shapes(records, [key])))
    owner = {}  # tensor identity -> (scope, attribute name) of the parameters and buffers
    for module, scope in scopes.items():
        held = [(a, p, "Parameter") for a, p in module.named_parameters(recurse=False)]
        held += [(a, b, "Buffer") for a, b in module.named_buffers(recurse=False)]
        for attr, tensor, kind in held:
            ident = None if tensor is None else records.ident(tensor, create=False)
            if ident is not None:
                owner.setdefault(ident, (scope, attr, kind))
    used: dict[str, int] = {}

    def unique(name: str) -> str:
        count = used.get(name, 0)
        used[name] = count + 1
        return name if count == 0 else f"{name}.{count}"

    for key, op in records.ops.items():
        scope = op_scope.get(key, root)
        inputs = []
        for tkey in op.inputs:
            if tkey not in made_by:
                rec = records.tensors[tkey]
                if rec.obj in owner:
                    o_scope, attr, kind = owner[rec.obj]
                    made_by[tkey] = unique(f"{o_scope}/{attr}")
                    nodes.append(
                        _node(made_by[tkey], kind, text=f"{{ name : {attr} }}", shapes=_shapes(records, [tkey]))
                    )
                else:
                    made_by[tkey] = unique(f"{scope}/Constant")
                    nodes.append(_node(made_by[tkey], "Constant", shapes=_shapes(records, [tkey])))
            inputs.append(made_by[tkey])
        name = unique(f"{scope}/{op.name}")
        for i, tkey in enumerate(op.outputs):
            made_by[tkey] = name if i == 0 else f"{name}:{i}"
        if op.base_output is not None:
            made_by[op.base_output] = name
        text = "{" + ", ".join(op.args) + "}"
        nodes.append(_node(name, op.name, inputs, text, _shapes(records, op.outputs) if op.outputs else None))
    for i, out in enumerate(_flat_tensors(result)):
        rec = records.tensor(out)
        source = made_by.get(rec.key)
        if source is None:  # the model returned an input, a parameter or a tensor made without an op
            source = made_by[rec.key] = unique(f"{root}/Constant")
            nodes.append(_node(source, "Constant", shapes=_shapes(records, [rec.key])))
        nodes.append(_node(f"output/output.{i + 1}", "IO Node", [source], shapes=_shapes(records, [rec.key])))
    run = RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(device="/device:CPU:0")]))
    return GraphDef(node=nodes, versions=VersionDef(producer=_PRODUCER)), run
