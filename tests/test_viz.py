"""CompGraph and make_dot: nodes, edges, shapes and colours of the picture, rendering, errors."""
from __future__ import annotations

import gc
import os
import re
import shutil
import warnings
import weakref
import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("graphviz")

import kittygrad as kitty  # noqa: E402
import kittygrad.viz as viz  # noqa: E402
from kittygrad.autograd import function as F  # noqa: E402
from kittygrad.viz import _draw  # noqa: E402

YELLOW, GREEN, BROWN, BLUE, BLUE_FADED = (c[0] for c in (_draw.YELLOW, _draw.GREEN, _draw.BROWN, _draw.BLUE, _draw.BLUE_FADED))

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` program not installed")


# ---- a small reader of the DOT text we emit ------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(?P<name>[A-Za-z_][\w.-]*)|"(?P<str>(?:[^"\\]|\\.)*)"|(?P<num>-?[\d.]+))')


def _value(text: str, i: int):
    """Read one attribute value (bare word, quoted string or <html>) starting at text[i]."""
    while text[i] == " ":
        i += 1
    if text[i] == "<":
        depth = 0
        for j in range(i, len(text)):
            depth += {"<": 1, ">": -1}.get(text[j], 0)
            if depth == 0:
                return text[i + 1 : j], j + 1
    m = _TOKEN.match(text, i)
    value = m.group("name") or m.group("num") or (m.group("str") or "")
    return value.replace('\\"', '"'), m.end()


def _attrs(text: str) -> dict:
    out, i = {}, 0
    while i < len(text):
        m = re.compile(r"\s*([A-Za-z_]\w*)=").match(text, i)
        if not m:
            break
        out[m.group(1)], i = _value(text, m.end())
    return out


class Picture:
    """Nodes {id: attrs} and edges [(tail, head, attrs)] of a DOT source, plus rank groups."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes: dict = {}
        self.edges: list = []
        self.ranks: list = []
        for line in source.splitlines():
            line = line.strip()
            if m := re.match(r"^\{rank=same; (.*)\}$", line):
                self.ranks.append(set(m.group(1).split("; ")))
            elif m := re.match(r"^(\w+) -> (\w+)(?: \[(.*)\])?$", line):
                self.edges.append((m.group(1), m.group(2), _attrs(m.group(3) or "")))
            elif m := re.match(r"^(\w+) \[(.*)\]$", line):
                if m.group(1) not in ("node", "edge", "graph"):
                    self.nodes[m.group(1)] = _attrs(m.group(2))

    @staticmethod
    def text(attrs: dict) -> str:
        return " ".join(re.sub(r"<[^>]*>", " ", attrs.get("label", "")).split())

    def find(self, head: str, exact: bool = False) -> list:
        """Ids of the nodes whose label text is ``head`` or starts with ``head`` and a space.

        Tensors read "name shape dtype [version n]", operations "name args notes", backward
        nodes "name" (a boundary node: "name made earlier"). In source order.
        """
        found = []
        for k, a in self.nodes.items():
            text = self.text(a)
            if not k.startswith("legend") and (text == head or (not exact and text.startswith(head + " "))):
                found.append(k)
        return found

    def one(self, head: str, exact: bool = False) -> str:
        found = self.find(head, exact)
        assert len(found) == 1, (head, [self.text(self.nodes[k]) for k in found])
        return found[0]

    def fill(self, key: str) -> str:
        return self.nodes[key]["fillcolor"]

    def shape(self, key: str) -> str:
        return self.nodes[key]["shape"]

    def edge(self, tail: str, head: str) -> dict:
        found = [a for t, h, a in self.edges if t == tail and h == head]
        assert found, f"no edge {self.text(self.nodes[tail])} -> {self.text(self.nodes[head])}"
        return found[0]

    def has_edge(self, tail: str, head: str) -> bool:
        return any(t == tail and h == head for t, h, _ in self.edges)

    def forward_edges(self) -> set:
        return {(t, h) for t, h, a in self.edges if not a}

    def backward_edges(self) -> set:
        """(from, to) in gradient-flow direction (they are declared reversed, dir=back)."""
        return {(h, t) for t, h, a in self.edges if a.get("dir") == "back"}

    def same_rank(self, *keys) -> bool:
        return any(set(keys) <= group for group in self.ranks)


def picture(dot) -> Picture:
    return Picture(dot.source)


@pytest.fixture(autouse=True)
def _no_observers_left():
    yield
    assert F.observers == [], "a CompGraph left its observer registered"


# ---- the seed's example ----------------------------------------------------------------------


def seed_example(**kwargs):
    a, b = kitty.randn(2, 2, 3)
    a.requires_grad = True
    with kitty.CompGraph(**kwargs) as dot:
        c = a + 42
        c **= 2
        _ = c * b
    return dot, (a, b, c, _)


def test_comp_graph_is_exposed_at_top_level():
    assert kitty.CompGraph is viz.CompGraph


def test_seed_example_nodes_edges_shapes_colours():
    dot, _ = seed_example()
    p = picture(dot)
    a, b, c0, c1 = p.one("a"), p.one("b"), *p.find("c")
    out = p.one("(2, 3) float32")
    add, pow_, mul = p.one("add"), p.one("pow_"), p.one("mul")
    acc, addb, powb, mulb = (p.one(n) for n in ("AccumulateGrad", "AddBackward", "PowBackward", "MulBackward"))

    assert len(p.nodes) == 12  # 5 tensors (c twice: before and after **=), 3 ops, 4 backward nodes
    # rectangles are tensors, showing shape and dtype
    for key in (a, b, c0, c1, out):
        assert p.shape(key) == "box"
        assert "(2, 3) float32" in p.text(p.nodes[key])
    assert "version 1" in p.text(p.nodes[c1]) and "version" not in p.text(p.nodes[c0])
    # round nodes are operations and gradient flow
    for key in (add, pow_, mul, acc, addb, powb, mulb):
        assert p.shape(key) == "ellipse"
    assert p.text(p.nodes[add]) == "add 42" and p.text(p.nodes[pow_]) == "pow_ 2"
    # colours: green = leaf that wants a gradient, yellow = no autodiff, brown = forward with graph
    assert p.fill(a) == GREEN
    assert p.fill(b) == YELLOW
    assert p.fill(c0) == p.fill(c1) == p.fill(out) == BROWN
    assert p.fill(add) == p.fill(pow_) == p.fill(mul) == BROWN
    assert {p.fill(k) for k in (acc, addb, powb, mulb)} == {BLUE}
    # forward edges
    assert p.forward_edges() == {(a, add), (add, c0), (c0, pow_), (pow_, c1), (c1, mul), (b, mul), (mul, out)}
    # backward graph: gradient flows MulBackward -> PowBackward -> AddBackward -> AccumulateGrad
    assert p.backward_edges() == {(mulb, powb), (powb, addb), (addb, acc)}
    # each backward node is drawn in the column of the step that made it; the leaf's .grad link
    assert p.same_rank(add, addb) and p.same_rank(pow_, powb) and p.same_rank(mul, mulb) and p.same_rank(a, acc)
    assert p.edge(add, addb)["style"] == "dotted"
    assert p.edge(acc, a)["style"] == "dashed"


def test_seed_example_source_is_deterministic_and_has_no_legend_by_default():
    kitty.manual_seed(0)
    first = seed_example()[0].source
    kitty.manual_seed(0)
    assert seed_example()[0].source == first
    assert "legend" not in first and first.startswith("digraph")


def test_legend():
    dot, _ = seed_example(legend=True)
    p = picture(dot)
    assert "cluster_legend" in dot.source
    legend = {k: a for k, a in p.nodes.items() if k.startswith("legend")}
    fills = {(a["shape"], a["fillcolor"]) for a in legend.values()}
    assert fills == {("box", YELLOW), ("box", GREEN), ("box", BROWN), ("ellipse", YELLOW), ("ellipse", BROWN), ("ellipse", BLUE)}
    alone = picture(viz.legend())
    assert len(alone.nodes) == 6


def test_names_can_be_turned_off():
    dot, _ = seed_example(names=False)
    p = picture(dot)
    assert not p.find("a") and len(p.find("(2, 3) float32")) == 5


# ---- implicit casts and broadcasts --------------------------------------------------------------


def test_broadcasting_and_implicit_cast():
    x = kitty.ones(3, dtype=kitty.float64, requires_grad=True)
    y = kitty.ones(2, 1)  # float32: cast to float64, then both broadcast to (2, 3)
    with kitty.CompGraph() as dot:
        z = x * y  # noqa: F841 - named in the picture
    p = picture(dot)
    cast = p.one("to_copy")
    expands = p.find("expand")
    assert len(expands) == 2
    mul, z_ = p.one("mul"), p.one("z")
    assert "implicit cast" in p.text(p.nodes[cast]) and p.fill(cast) == YELLOW  # y needs no gradient
    grad_expand = [k for k in expands if p.fill(k) == BROWN]
    plain_expand = [k for k in expands if p.fill(k) == YELLOW]
    assert len(grad_expand) == len(plain_expand) == 1
    assert all("implicit broadcast" in p.text(p.nodes[k]) and "(2, 3)" in p.text(p.nodes[k]) for k in expands)
    expb, mulb, acc = p.one("ExpandBackward"), p.one("MulBackward"), p.one("AccumulateGrad")
    assert not p.find("ToCopyBackward")
    assert p.backward_edges() == {(mulb, expb), (expb, acc)}
    assert p.same_rank(grad_expand[0], expb)
    assert p.fill(p.one("y")) == YELLOW and p.fill(p.one("x")) == GREEN and p.fill(z_) == BROWN
    assert "(3,) float64" in p.text(p.nodes[p.one("x")])
    # the cast's output, expanded, goes into mul
    cast_out = [h for t, h in p.forward_edges() if t == cast][0]
    assert p.text(p.nodes[cast_out]) == "(2, 1) float64"
    assert (mul, z_) in p.forward_edges()


def test_implicit_cast_with_gradient():
    x = kitty.ones(2, 3, requires_grad=True)  # float32 leaf, promoted to float64
    y = kitty.ones(2, 3, dtype=kitty.float64)
    with kitty.CompGraph() as dot:
        _ = x + y
    p = picture(dot)
    cast, castb = p.one("to_copy"), p.one("ToCopyBackward")
    assert p.fill(cast) == BROWN and p.fill(castb) == BLUE and p.same_rank(cast, castb)
    assert (p.one("AddBackward"), castb) in p.backward_edges()


def test_explicit_broadcast_is_not_marked_implicit():
    x = kitty.ones(3, requires_grad=True)
    with kitty.CompGraph() as dot:
        _ = kitty.broadcast_tensors(x, kitty.ones(2, 1))
    p = picture(dot)
    assert p.find("expand") and not any("implicit" in p.text(p.nodes[k]) for k in p.find("expand"))


# ---- custom Functions, in-place ops, views, retain_grad ----------------------------------------


class Square(kitty.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x  # an op inside forward: not drawn, the Function is one step

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x * grad


def test_custom_function():
    x = kitty.tensor([1.0, 2.0], requires_grad=True)
    with kitty.CompGraph() as dot:
        y = Square.apply(x)
        s = y.sum()
    p = picture(dot)
    sq, sqb = p.one("Square"), p.one("SquareBackward", exact=True)
    assert "custom Function" in p.text(p.nodes[sq])
    assert p.fill(sq) == BROWN and p.nodes[sq]["peripheries"] == "2" and p.shape(sq) == "ellipse"
    assert p.fill(sqb) == BLUE and p.same_rank(sq, sqb)
    assert not p.find("mul")  # the forward's insides stay hidden
    assert p.backward_edges() == {(p.one("SumBackward"), sqb), (sqb, p.one("AccumulateGrad"))}
    assert p.forward_edges() == {(p.one("x"), sq), (sq, p.one("y")), (p.one("y"), p.one("sum")), (p.one("sum"), p.one("s"))}
    s.backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_custom_function_without_grad_is_yellow():
    with kitty.CompGraph() as dot:
        _ = Square.apply(kitty.ones(2))
    p = picture(dot)
    assert p.fill(p.one("Square")) == YELLOW and not p.find("SquareBackward")


class AddOne_(kitty.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x)
        x.add_(1)
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad


def test_custom_function_writing_into_its_input():
    w = kitty.ones(3, requires_grad=True)
    with kitty.CompGraph() as dot:
        y = w * 2
        z = AddOne_.apply(y)  # noqa: F841 - the same tensor as y, at a new version
    p = picture(dot)
    fn, ys = p.one("AddOne_"), p.find("y")
    assert len(ys) == 2 and p.forward_edges() >= {(ys[0], fn), (fn, ys[1])}
    assert "version" in p.text(p.nodes[ys[1]]) and not p.find("add_")
    assert (p.one("AddOne_Backward"), p.one("MulBackward")) in p.backward_edges()


def test_inplace_op_makes_a_new_version():
    x = kitty.ones(3, requires_grad=True)
    y = x * 2  # made before the block
    with kitty.CompGraph() as dot:
        y.add_(1)
        y.mul_(3)
    p = picture(dot)
    ys = p.find("y")
    assert len(ys) == 3  # before, after add_, after mul_
    add_, mul_ = p.one("add_"), p.one("mul_")
    assert p.forward_edges() == {(ys[0], add_), (add_, ys[1]), (ys[1], mul_), (mul_, ys[2])}
    assert [p.text(p.nodes[k]).split()[-1] for k in ys[1:]] == ["1", "2"]  # version 1, version 2
    addb, mulb, pre = p.one("AddBackward"), p.one("MulBackward", exact=True), p.one("MulBackward made earlier")
    assert p.backward_edges() == {(mulb, addb), (addb, pre)}
    # the node made before the block is a boundary: drawn faded, not expanded, beside its tensor
    assert p.fill(pre) == BLUE_FADED and "dashed" in p.nodes[pre]["style"]
    assert not p.find("AccumulateGrad") and p.same_rank(ys[0], pre)


def test_inplace_through_a_view_updates_the_base():
    w = kitty.ones(2, 3, requires_grad=True)
    with kitty.CompGraph() as dot:
        v = w * 1
        row = v[0]
        row.mul_(3)
        out = v.sum()
    del row  # the seed's locks: a live view whose node uses CopySlices would keep it waiting
    gc.collect()
    out.backward()
    assert w.grad.tolist() == [[3.0] * 3, [1.0] * 3]
    p = picture(dot)
    vs, rows = p.find("v"), p.find("row")
    assert len(vs) == 2 and len(rows) == 2  # names are taken when the block ends
    mul_ = p.one("mul_")
    assert p.edge(mul_, vs[1])["label"] == "base" and p.has_edge(mul_, rows[1])
    assert (vs[1], p.one("sum")) in p.forward_edges()
    copy = p.one("CopySlices")
    mulb = p.one("MulBackward")
    assert p.fill(copy) == BLUE and p.same_rank(mul_, copy)
    assert (copy, mulb) in p.backward_edges() and (p.one("SumBackward"), copy) in p.backward_edges()
    # the view's node is re-derived from the base lazily (when the view is next used), so the
    # picture has the one slice the user wrote and no hidden re-derivation
    assert len(p.find("SliceBackward")) == 1
    assert len(p.find("slice")) == 1


def test_retain_grad_is_green_inside_and_after_the_block():
    x = kitty.ones(3, requires_grad=True)
    with kitty.CompGraph() as dot:
        h = x * 2
        h.retain_grad()
        k = h.exp()
        loss = k.sum()
    p = picture(dot)
    assert p.fill(p.one("h")) == GREEN and p.fill(p.one("k")) == BROWN
    assert p.edge(p.one("MulBackward"), p.one("h"))["style"] == "dashed"
    k.retain_grad()  # after the block: the picture is drawn from the graph as it is now
    assert picture(dot).fill(p.one("k")) == GREEN
    loss.backward()
    assert h.grad.tolist() == k.tolist()  # d(sum(exp(h)))/dh = exp(h)


# ---- blocks: nesting, no_grad, earlier tensors, errors, memory ------------------------------------


def test_nested_blocks():
    w = kitty.ones(2, requires_grad=True)
    with kitty.CompGraph() as outer:
        p_ = w.exp()
        with kitty.CompGraph() as inner:
            q = p_.tanh()
        _ = q.sum()
    po, pi = picture(outer), picture(inner)
    assert po.find("exp") and po.find("tanh") and po.find("sum")
    assert pi.find("tanh") and not pi.find("exp") and not pi.find("sum")
    # in the inner picture ExpBackward was made before its block: a boundary, not expanded
    assert pi.fill(pi.one("ExpBackward")) == BLUE_FADED and not pi.find("AccumulateGrad")
    assert po.fill(po.one("ExpBackward")) == BLUE and po.find("AccumulateGrad")


def test_same_comp_graph_cannot_be_nested_in_itself():
    dot = kitty.CompGraph()
    with dot:
        with pytest.raises(RuntimeError, match="already recording"):
            with dot:
                pass


def test_recording_stops_on_exception():
    with pytest.raises(ValueError):
        with kitty.CompGraph() as dot:
            _ = kitty.ones(2) + 1
            raise ValueError("boom")
    assert F.observers == []
    _ = kitty.ones(2) * 5
    p = picture(dot)
    assert p.find("add") and not p.find("mul")


def test_no_grad_region():
    x = kitty.ones(3, requires_grad=True)
    with kitty.CompGraph() as dot:
        y = x * 2
        with kitty.no_grad():
            z = y + 1
        _ = z.sum()
    p = picture(dot)
    add = p.one("add")
    assert p.fill(add) == YELLOW and "grad disabled" in p.text(p.nodes[add])
    assert "dashed" in p.nodes[add]["style"]
    assert p.fill(p.one("z")) == YELLOW and p.fill(p.one("sum")) == YELLOW
    assert not p.find("AddBackward") and not p.find("SumBackward") and p.find("MulBackward")


def test_tensors_without_autograd_are_yellow():
    i = kitty.arange(3)
    with kitty.CompGraph() as dot:
        j = i * 2  # noqa: F841 - named in the picture
    p = picture(dot)
    assert p.fill(p.one("i")) == p.fill(p.one("mul")) == p.fill(p.one("j")) == YELLOW
    assert "(3,) int64" in p.text(p.nodes[p.one("j")])
    assert not p.backward_edges()


def test_empty_block():
    with kitty.CompGraph() as dot:
        pass
    assert Picture(dot.source).nodes == {}
    assert "0 operation(s)" in repr(dot)


def test_recording_keeps_no_tensor_or_node_alive():
    x = kitty.ones(3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with kitty.CompGraph() as dot:
            loss = (x * 2).sum()
            tmp = (x * 3).sum()  # a side computation that is dropped
            ref, node_ref = weakref.ref(tmp), weakref.ref(tmp.grad_fn)
            del tmp
        gc.collect()
        assert ref() is None and node_ref() is None
        loss.backward()  # the dropped use released its lock: no "not completed" warning
    assert x.grad.tolist() == [2.0] * 3
    p = picture(dot)
    assert len(p.find("sum")) == 2 and len(p.find("SumBackward")) == 2  # still drawn as recorded


def test_reused_ids_are_new_tensors():
    with kitty.CompGraph() as dot:
        for _ in range(5):
            _t = kitty.ones(2) + 1
            del _t
    p = picture(dot)
    assert len(p.find("add")) == 5 and len(p.find("(2,) float32")) == 10


# ---- make_dot ---------------------------------------------------------------------------------------


def test_make_dot():
    w = kitty.ones(3, requires_grad=True)
    bias = kitty.zeros(3, requires_grad=True)
    h = (w * 2 + bias).relu()
    h.retain_grad()
    loss = h.sum()
    p = picture(viz.make_dot(loss, params={"weight": w}))
    weight, bias_, h_, loss_ = p.one("weight"), p.one("bias"), p.one("h"), p.one("loss")
    assert p.fill(weight) == p.fill(bias_) == p.fill(h_) == GREEN and p.fill(loss_) == BROWN
    accs = p.find("AccumulateGrad")
    mulb, addb, relub, sumb = (p.one(n) for n in ("MulBackward", "AddBackward", "ReluBackward", "SumBackward"))
    assert len(accs) == 2 and not any(p.shape(k) != "ellipse" or p.fill(k) != BLUE for k in accs + [mulb, sumb])
    acc_w = [k for k in accs if p.has_edge(k, weight)]
    acc_b = [k for k in accs if p.has_edge(k, bias_)]
    assert len(acc_w) == len(acc_b) == 1
    assert p.edge(acc_w[0], weight)["style"] == p.edge(acc_b[0], bias_)["style"] == "dashed"
    assert p.backward_edges() == {(sumb, relub), (relub, addb), (addb, mulb), (mulb, acc_w[0]), (addb, acc_b[0])}
    assert p.same_rank(loss_, sumb) and p.same_rank(h_, relub) and p.same_rank(weight, acc_w[0])
    assert p.edge(relub, h_)["style"] == "dashed"
    assert not [k for k in p.nodes if k.startswith("f")]  # no forward operations: none were recorded


def test_make_dot_several_roots_and_leaf():
    x = kitty.ones(2, requires_grad=True)
    a, b = x * 2, x.exp()
    p = picture(viz.make_dot([a, b]))
    assert p.find("MulBackward") and p.find("ExpBackward") and len(p.find("AccumulateGrad")) == 1
    leaf = picture(viz.make_dot(x))
    assert len(leaf.nodes) == 1 and leaf.fill(leaf.one("x")) == GREEN
    with pytest.raises(TypeError):
        viz.make_dot(3)


# ---- rendering -----------------------------------------------------------------------------------


@needs_dot
def test_render_svg(tmp_path):
    dot, _ = seed_example(legend=True)
    path = dot.render(tmp_path / "graph.svg")
    assert path == str(tmp_path / "graph.svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    texts = {t.text for t in root.iter() if t.tag.endswith("text") and t.text}
    for label in ("a", "b", "c", "add", "pow_", "mul", "AddBackward", "PowBackward", "MulBackward", "AccumulateGrad",
                  "(2, 3) float32", "legend"):
        assert label in texts, label
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.svg"]  # only the picture


@needs_dot
def test_render_png_and_formats(tmp_path):
    dot, _ = seed_example()
    png = dot.render(tmp_path / "pic", format="png", cleanup=False)
    assert png.endswith("pic.png") and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "pic.gv").read_text() == dot.source
    assert dot.render(tmp_path / "sub" / "other.png").endswith("other.png")
    assert dot.pipe("svg").lstrip().startswith(b"<?xml")


@needs_dot
def test_jupyter_display():
    dot, _ = seed_example()
    svg = dot._repr_svg_()
    assert ET.fromstring(svg.encode()).tag.endswith("svg")
    bundle = dot._repr_mimebundle_()
    assert bundle["image/svg+xml"] == svg and "text/plain" in bundle
    assert set(dot._repr_mimebundle_(include=["image/svg+xml"])) == {"image/svg+xml"}


@needs_dot
def test_view_opens_the_rendered_picture(tmp_path, monkeypatch):
    import graphviz

    opened = []
    monkeypatch.setattr(graphviz, "view", lambda path, quiet=False: opened.append(path))
    dot, _ = seed_example()
    path = dot.view(cleanup=True)
    assert opened == [path] and path.endswith(".svg")
    folder = os.path.dirname(path)  # a fresh temporary folder holding only the picture
    assert os.listdir(folder) == ["graph.svg"]
    shutil.rmtree(folder)
    path = dot.view("g", directory=tmp_path, format="png")
    assert path == str(tmp_path / "g.png") and (tmp_path / "g.gv").exists()


def test_without_dot_source_works_and_rendering_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program anywhere
    dot, _ = seed_example()
    assert "AddBackward" in dot.source  # needs no Graphviz program
    for call in (lambda: dot.render(tmp_path / "g.svg"), lambda: dot.pipe("png"), lambda: dot.view(), dot._repr_svg_):
        with pytest.raises(viz.GraphvizNotFoundError) as info:
            call()
        msg = str(info.value)
        assert "apt-get install graphviz" in msg and "brew install graphviz" in msg and ".source" in msg
    assert isinstance(info.value, RuntimeError)
    assert not (tmp_path / "g.svg").exists()
    bundle = dot._repr_mimebundle_()  # Jupyter still shows something useful
    assert "image/svg+xml" not in bundle and "apt-get install graphviz" in bundle["text/plain"]
    assert "digraph" in bundle["text/plain"]


def test_missing_graphviz_package(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match="pip install graphviz"):
        kitty.CompGraph()
