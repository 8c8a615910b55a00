"""Broadcasting's fast paths agree with the general path and with torch: an operand that records
no node is stretched without the Expand op's record (``_prep.operand_to``), shapes broadcast
through a cache, a gradient is summed back to its operand's shape by a cached plan, and a
contiguous array is stretched by a view built directly (``backend.broadcast_view``).

Each test picks operands that take the fast path and ones that must not (an operand that requires
grad, a view whose base changed, a CompGraph watching), and compares with torch or with NumPy.
"""
import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad import backend as B
from kittygrad.ops import _prep


def _graph(t):
    """next_functions as node names, depth first: the shape of the graph torch's users walk."""
    fn = t.grad_fn
    return [None if f is None else f.name() for f, _ in fn.next_functions]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "atan2", "pow"])
def test_broadcast_operand_without_grad_matches_torch(op):
    rng = np.random.default_rng(0)
    a0 = rng.uniform(0.5, 2, (3, 4)).astype(np.float32)
    b0 = rng.uniform(0.5, 2, (4,)).astype(np.float32)
    results = {}
    for lib in (kitty, torch):
        a = lib.tensor(a0, requires_grad=True)
        b = lib.tensor(b0)
        out = getattr(lib, op)(a, b)
        out.sum().backward()
        results[lib.__name__] = (out.detach().numpy(), a.grad.numpy())
        assert out.requires_grad and b.grad is None
    np.testing.assert_allclose(results["kittygrad"][0], results["torch"][0], rtol=1e-6)
    np.testing.assert_allclose(results["kittygrad"][1], results["torch"][1], rtol=1e-6)


def test_operand_without_grad_has_no_node_and_one_with_grad_keeps_the_seeds_expand():
    a = kitty.ones(3, 4, requires_grad=True)
    plain = a * kitty.ones(4)
    assert _graph(plain) == ["AccumulateGrad", None]
    graded = a * kitty.ones(4, requires_grad=True)
    assert _graph(graded) == ["AccumulateGrad", "ExpandBackward"]  # the seed: broadcasting is a node
    # the other side: the expanded operand is the first
    assert _graph(kitty.ones(4) * a) == [None, "AccumulateGrad"]


def test_stretched_operand_shares_its_version_counter():
    """An operand saved for backward and changed in place afterwards is caught, as torch catches it."""
    for lib in (kitty, torch):
        a = lib.randn(3, 4, requires_grad=True)
        b = lib.ones(4)
        c = a * b
        b.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            c.sum().backward()


def test_stretched_operand_stays_an_inference_tensor():
    for lib in (kitty, torch):
        a = lib.randn(3, 4, requires_grad=True)
        with lib.inference_mode():
            b = lib.ones(4)
        with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
            a * b


def test_no_grad_stretches_an_operand_that_requires_grad():
    a = kitty.ones(3, 4, requires_grad=True)
    b = kitty.arange(4.0, requires_grad=True)
    with kitty.no_grad():
        out = a + b
    assert not out.requires_grad and out.grad_fn is None
    assert out.tolist() == [[1.0, 2.0, 3.0, 4.0]] * 3


def test_view_whose_base_changed_in_place_takes_the_record():
    """A no-grad view of a base that then became part of a graph in place is re-derived by the
    record (operand_to leaves it to Expand), so its gradient reaches the base's inputs, as torch."""
    results = []
    for lib in (kitty, torch):
        w = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        base = lib.zeros(4)
        view = base[None, :]  # a view: (1, 4)
        base.add_(w * 2)  # the base now requires grad: the view's grad_fn is re-derived
        a = lib.ones(3, 4, requires_grad=True)
        (a * view).sum().backward()
        results.append((w.grad.tolist(), a.grad.tolist()))
    assert results[0] == results[1]


def test_comp_graph_still_shows_the_implicit_broadcast():
    a = kitty.ones(3, 4, requires_grad=True)
    with kitty.CompGraph() as dot:
        a * kitty.ones(4)
    assert "implicit broadcast" in dot.source


def test_forward_ad_tangent_of_a_broadcast_operand():
    import kittygrad.autograd.forward_ad as fwAD

    a = kitty.ones(3, 4)
    with fwAD.dual_level():
        b = fwAD.make_dual(kitty.tensor([1.0, 2.0, 3.0, 4.0]), kitty.ones(4))
        out = a * b
        tangent = fwAD.unpack_dual(out).tangent
    assert tangent.tolist() == [[1.0] * 4] * 3


def test_broadcast_shapes_cache_gives_numpys_answer_and_error():
    pairs = [((3, 1), (4,)), ((1,), ()), ((2, 1, 5), (3, 1)), ((0, 1), (1, 7)), ((5,), (5,))]
    for sa, sb in pairs:
        assert B.broadcast_shapes(sa, sb) == np.broadcast_shapes(sa, sb)
        assert B.broadcast_shapes(list(sa), sb) == np.broadcast_shapes(sa, sb)  # (asked twice: the cache)
    with pytest.raises(ValueError):
        B.broadcast_shapes((3,), (4,))
    with pytest.raises(ValueError):
        B.broadcast_shapes((3,), (4,))  # (not cached as an answer)
    assert B.broadcast_shapes((2, 1), (1, 3), (4, 1, 1)) == (4, 2, 3)
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        kitty.ones(3) + kitty.ones(4)


@pytest.mark.parametrize("have,shape", [((2, 3, 4), (4,)), ((2, 3, 4), (3, 1)), ((2, 3, 4), (1, 1, 4)),
                                        ((2, 3, 4), ()), ((5, 1), (1,)), ((2, 3), (2, 3))])
def test_sum_to_shape_matches_the_direct_sum(have, shape):
    g = np.random.default_rng(1).standard_normal(have).astype(np.float32)
    lead = len(have) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and have[i + lead] != 1)
    want = g.sum(axis=axes, keepdims=True).reshape(shape) if axes else g.reshape(shape)
    for _ in range(2):  # (the second call reads the cached plan)
        got = B.sum_to_shape(g, shape)
        assert got.shape == tuple(shape) and got.dtype == g.dtype
        np.testing.assert_array_equal(got, want)
    assert B.sum_to_shape(np.ones((2, 3), bool), (3,)).tolist() == [2, 2, 2]  # (bools count, as sum)


def test_broadcast_gradients_match_torch_through_double_backward():
    """The plan also sums GraphArrays (create_graph=True), whose sum is their own method."""
    results = []
    for lib in (kitty, torch):
        a = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        (gb,) = lib.autograd.grad((a * b * b).sum(), b, create_graph=True)
        gb.sum().backward()
        results.append((gb.tolist(), a.grad.tolist(), b.grad.tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize("src,shape", [((4,), (3, 4)), ((1, 4), (2, 3, 4)), ((3, 1), (2, 3, 5)), ((), (2, 2)),
                                       ((1,), (0,)), ((2, 1), (2, 0))])
def test_broadcast_view_matches_numpy(src, shape):
    values = np.arange(int(np.prod(src)), dtype=np.float32).reshape(src)
    view = B.broadcast_view(values, shape)
    want = np.broadcast_to(values, shape)
    assert view.shape == want.shape and view.strides == want.strides
    np.testing.assert_array_equal(view, want)
    assert not view.flags.writeable
    strided = np.arange(8.0)[::2]  # not contiguous: NumPy's own broadcast_to
    assert B.broadcast_view(strided, (3, 4)).tolist() == [[0.0, 2.0, 4.0, 6.0]] * 3
    with pytest.raises(ValueError):
        B.broadcast_view(np.ones(3), (2, 4))


def test_operand_to_returns_the_tensor_when_it_fits():
    t = kitty.ones(2, 3)
    assert _prep.operand_to(t, (2, 3)) is t
