"""Records -> Graphviz DOT: shapes, colours and layout of the picture.

Layout: the forward computation runs left to right; each backward node sits in the same column
as the forward step that made it, so the backward graph mirrors the forward one, with its arrows
(gradient flow) pointing back toward the inputs.
"""
from __future__ import annotations

from html import escape

from ._record import Records, TensorRec, snake

FONT = "Helvetica"

#: (fill, border) per colour family
YELLOW = ("#FFF1B8", "#C9A227")  # no relation to auto-differentiation
GREEN = ("#C6EBC0", "#3E8E3A")  # tensors whose gradients we want
BROWN = ("#E9CFAE", "#8B5A2B")  # forward computations that build a backward graph
BLUE = ("#C4DDF6", "#2E6BB0")  # backward nodes
BLUE_FADED = ("#E6F0FA", "#7FA6CF")  # backward nodes made before the recording started

FORWARD_EDGE = "#4D4D4D"
BACKWARD_EDGE = BLUE[1]
GRAD_EDGE = GREEN[1]  # gradient landing in a tensor's .grad
LINK_EDGE = "#A0A0A0"  # a forward step and the backward node it made
NOTE = "#5F5F5F"


def _label(title: str, *lines: str, bold: bool = False) -> str:
    """An HTML-like label: a title and smaller grey lines under it."""
    head = f"<B>{escape(title)}</B>" if bold else escape(title)
    rest = "".join(f'<BR/><FONT POINT-SIZE="9" COLOR="{NOTE}">{escape(s)}</FONT>' for s in lines if s)
    return f"<{head}{rest}>"


def shape_str(shape: tuple) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def tensor_colour(rs: Records, t: TensorRec):
    if (t.leaf and t.requires_grad) or rs.retained(t):
        return GREEN
    if t.requires_grad:
        return BROWN
    return YELLOW


def _tensor_attrs(rs: Records, t: TensorRec) -> dict:
    fill, border = tensor_colour(rs, t)
    name = rs.names.get(t.obj)
    meta = f"{shape_str(t.shape)} {t.dtype}"
    extra = f"version {t.version}" if t.version else ""
    label = _label(name, meta, extra, bold=True) if name else _label(meta, extra)
    tip = f"{name + ': ' if name else ''}tensor {meta}, requires_grad={t.requires_grad}"
    if t.grad_fn is not None:
        tip += f", grad_fn={rs.nodes[t.grad_fn].name}"
    return dict(label=label, shape="box", fillcolor=fill, color=border, tooltip=tip)


def _op_attrs(op) -> dict:
    builds = bool(op.nodes)
    fill, border = BROWN if builds else YELLOW
    name = op.name if op.kind == "function" else snake(op.name) if op.kind == "op" else op.name
    notes = [", ".join(op.args)] if op.args else []
    if op.kind == "function":
        notes.insert(0, "custom Function")
    if op.implicit:
        notes.append("implicit " + ("cast" if op.name == "ToCopy" else "broadcast" if op.name == "Expand" else "step"))
    if not op.grad_enabled:
        notes.append("grad disabled")
    attrs = dict(label=_label(name, *notes), shape="ellipse", fillcolor=fill, color=border, tooltip=f"{op.kind}: {name}")
    style = ["filled"]
    if not op.grad_enabled or op.implicit:
        style.append("dashed")
    attrs["style"] = ",".join(style)
    if op.kind == "function":
        attrs["peripheries"] = "2"
    return attrs


def _node_attrs(n) -> dict:
    outs = "; ".join(f"{shape_str(s)} {d}" for s, d in n.out_meta)
    if n.internal or n.accumulate:
        fill, border = BLUE
        label = _label(n.name)
        style = "filled"
    else:
        fill, border = BLUE_FADED
        label = _label(n.name, "made earlier")
        style = "filled,dashed"
    return dict(label=label, shape="ellipse", fillcolor=fill, color=border, style=style,
                tooltip=f"{n.name}: gradient of {outs}" if outs else n.name)


def _legend(g) -> None:
    """Two rows: the three kinds of tensor, then the three kinds of round node."""
    with g.subgraph(name="cluster_legend") as c:
        c.attr(label="legend", fontname=FONT, fontsize="11", color="#BBBBBB", style="rounded", fontcolor=NOTE)
        rows = [
            [
                ("legend_t0", "box", YELLOW, "tensor", "no relation to autodiff"),
                ("legend_t1", "box", GREEN, "tensor", "gradient wanted (leaf, retain_grad)"),
                ("legend_t2", "box", BROWN, "tensor", "computed with a backward graph"),
            ],
            [
                ("legend_o0", "ellipse", YELLOW, "operation", "no relation to autodiff"),
                ("legend_o1", "ellipse", BROWN, "operation", "builds the backward graph"),
                ("legend_b0", "ellipse", BLUE, "backward node", "gradient flow"),
            ],
        ]
        for row in rows:
            for key, shape, (fill, border), title, note in row:
                c.node(key, label=_label(title, note), shape=shape, fillcolor=fill, color=border, fontsize="10")
            for (k0, *_), (k1, *_) in zip(row, row[1:]):
                c.edge(k0, k1, style="invis")


def build(rs: Records, *, legend: bool = False, rankdir: str = "LR"):
    """Make the ``graphviz.Digraph`` for these records."""
    import graphviz

    g = graphviz.Digraph(name="kittygrad")
    g.attr(rankdir=rankdir, fontname=FONT, nodesep="0.3", ranksep="0.45", bgcolor="white", pad="0.2")
    g.attr("node", fontname=FONT, fontsize="11", style="filled", penwidth="1.3", margin="0.12,0.05", height="0.4")
    g.attr("edge", fontname=FONT, fontsize="9", color=FORWARD_EDGE, arrowsize="0.7", penwidth="1.1")
    if legend:
        _legend(g)

    # which tensors and nodes appear
    used_tensors: list[str] = []
    seen = set()

    def use(key):
        if key is not None and key not in seen:
            seen.add(key)
            used_tensors.append(key)

    for op in rs.ops.values():
        for k in op.inputs + op.outputs + ([op.base_output] if op.base_output else []):
            use(k)
    accumulators = {n.variable: n.key for n in rs.nodes.values() if n.accumulate and n.variable is not None}
    for t in rs.tensors.values():  # make_dot's tensors (no ops); leaves reached only by AccumulateGrad
        if not rs.ops or not t.external or (t.obj in accumulators and rs.latest.get(t.obj) is t):
            use(t.key)
    for key in used_tensors:
        g.node(key, **_tensor_attrs(rs, rs.tensors[key]))

    drawn_order = _drawn_nodes(rs)
    drawn_nodes = set(drawn_order)
    for key in drawn_order:
        g.node(key, **_node_attrs(rs.nodes[key]))

    # forward edges
    for op in rs.ops.values():
        g.node(op.key, **_op_attrs(op))
        for k in op.inputs:
            g.edge(k, op.key)
        for k in op.outputs:
            g.edge(op.key, k)
        if op.base_output:
            g.edge(op.key, op.base_output, style="dashed", label="base", fontcolor=NOTE)

    # backward edges, declared in forward direction (so the layout mirrors), drawn backward
    for key in drawn_order:
        n = rs.nodes[key]
        for edge in n.edges:
            if edge is None:
                continue
            nxt, nr = edge
            attrs = dict(dir="back", color=BACKWARD_EDGE)
            if len(rs.nodes[nxt].out_meta) > 1:
                attrs["taillabel"] = str(nr)
            g.edge(nxt, key, **attrs)

    # alignment: a backward node in the column of the step (or tensor) it belongs to
    placed: set = set()
    groups = []
    for op in rs.ops.values():
        members = [op.key] + [k for k in op.nodes if k in drawn_nodes and k not in placed]
        placed.update(members)
        groups.append(members)
        for k in op.nodes:
            if k in drawn_nodes:
                g.edge(op.key, k, style="dotted", arrowhead="none", color=LINK_EDGE, constraint="false")
    by_tensor: dict[str, list] = {}
    for key in used_tensors:
        t = rs.tensors[key]
        n = t.grad_fn if t.grad_fn is not None else accumulators.get(t.obj) if t.leaf and t.requires_grad else None
        if n is None or n not in drawn_nodes:
            continue
        node = rs.nodes[n]
        if node.accumulate:
            g.edge(n, key, style="dashed", color=GRAD_EDGE, constraint="false", tooltip="gradient accumulates into .grad")
        elif rs.retained(t):
            g.edge(n, key, style="dashed", color=GRAD_EDGE, constraint="false", tooltip="retain_grad(): .grad")
        elif not rs.ops or t.external:
            g.edge(key, n, style="dotted", arrowhead="none", color=LINK_EDGE, constraint="false", tooltip="grad_fn")
        if n not in placed and (node.accumulate or not node.internal or not rs.ops):
            placed.add(n)
            by_tensor.setdefault(key, [key]).append(n)
    groups.extend(by_tensor.values())
    for members in groups:
        if len(members) > 1:  # our ids are plain words: no quoting needed
            g.body.append("\t{rank=same; " + "; ".join(members) + "}\n")
    return g


def _drawn_nodes(rs: Records) -> list:
    """Internal nodes, and the nodes they point to (leaves' accumulators, boundaries)."""
    keys = []
    seen = set()
    for key, n in rs.nodes.items():
        if n.internal and key not in seen:
            seen.add(key)
            keys.append(key)
    for key in list(keys):
        for edge in rs.nodes[key].edges:
            if edge is not None and edge[0] not in seen:
                seen.add(edge[0])
                keys.append(edge[0])
    return keys
