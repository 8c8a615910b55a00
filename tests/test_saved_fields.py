"""What an op saves is declared where the op is written (``saved_fields``), and backward frees
exactly that: after a backward without ``retain_graph``, no node of any op-table row still holds
an array. An op that saves an array it did not declare fails here, naming the field."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import kittygrad as kitty
from kittygrad import backend as B
from kittygrad.autograd.engine import Node
from _row_checks import draw_arrays, grad_flags, plain_shapes
from op_table import ROWS


def _holds_array(value, depth: int = 0) -> bool:
    if isinstance(value, B.xp.ndarray):
        return True
    if depth < 3 and isinstance(value, (tuple, list)):
        return any(_holds_array(v, depth + 1) for v in value)
    if depth < 3 and isinstance(value, dict):
        return any(_holds_array(v, depth + 1) for v in value.values())
    return False


def _nodes(outputs) -> list:
    """Every node reachable from the outputs' grad_fns."""
    seen, stack = {}, [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen[id(node)] = node
        stack.extend(edge[0] for edge in node.next_edges if edge is not None)
    return list(seen.values())


ROWS_WITH_GRADIENTS = [r for r in ROWS if r.inputs == "float" and r.grad is not False]


@pytest.mark.parametrize("row", ROWS_WITH_GRADIENTS, ids=lambda r: r.name)
def test_backward_frees_exactly_the_declared_saved_fields(row):
    arrays = draw_arrays(row, plain_shapes(row, np.random.default_rng(0)), 0)
    leaves = [kitty.tensor(a, dtype=kitty.float64, requires_grad=f) for a, f in zip(arrays, grad_flags(row))]
    # one op between each leaf and the row, so the row's own node never is an AccumulateGrad
    xs = [leaf * 1 if f else leaf for leaf, f in zip(leaves, grad_flags(row))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = row.fn(kitty, *xs)
    outs = [o for o in (out if isinstance(out, (tuple, list)) else [out]) if isinstance(o, kitty.Tensor)]
    loss = sum((o * 1.0).sum() for o in outs if o.requires_grad and o.is_floating_point())
    if not isinstance(loss, kitty.Tensor):
        pytest.skip("no differentiable output")
    nodes = _nodes(outs)
    declared = {type(n).__name__: type(n).saved_fields for n in nodes}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss.backward()
    kept = {
        f"{type(n).__name__}.{key}": type(value).__name__
        for n in nodes for key, value in vars(n).items() if _holds_array(value)
    }
    assert not kept, f"arrays that outlive backward (declare them in saved_fields): {kept}; declared: {declared}"


def test_a_released_node_keeps_what_it_did_not_save():
    x = kitty.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    node = y.grad_fn.next_edges[0][0]
    assert node.saved_fields == ("a", "b")
    assert isinstance(node.a, B.xp.ndarray)
    y.backward()
    assert not hasattr(node, "a") and not hasattr(node, "b")
    assert node.next_edges  # the graph's shape stays: CompGraph still draws it


def test_every_node_class_declares_a_tuple_of_names():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    bad = [c.__qualname__ for c in subclasses(Node)
           if not (isinstance(c.saved_fields, tuple) and all(isinstance(n, str) for n in c.saved_fields))]
    assert not bad
