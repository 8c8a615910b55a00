"""The backward engine: locks, the seed's warnings and errors, retain_graph, memory, depth."""
import gc
import threading
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.errors import BackwardGraphWarning


def leaf(values, dtype=kitty.float32):
    return kitty.tensor(values, dtype=dtype, requires_grad=True)


def test_gradients_accumulate_into_leaves_across_calls():
    a = leaf([1.0, 2.0])
    (a * a).sum().backward()
    (a * 3).sum().backward()
    assert a.grad.tolist() == [5.0, 7.0]


def test_diamond_graph_sums_both_paths():
    a = leaf([2.0])
    b = a * 3
    c = b * b + b  # b used twice
    c.sum().backward()
    ta = torch.tensor([2.0], requires_grad=True)
    tb = ta * 3
    (tb * tb + tb).sum().backward()
    assert a.grad.tolist() == ta.grad.tolist()


def test_implicit_gradient_only_for_single_element_outputs():
    a = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (a * 2).backward()
    (a * 2).backward(kitty.ones(2))
    assert a.grad.tolist() == [2.0, 2.0]


def test_gradient_shape_must_match_output():
    a = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (a * 2).backward(kitty.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        kitty.ones(2).sum().backward()


def test_backward_from_the_middle_warns():
    a = leaf([1.0, 2.0])
    b = a * 2
    c = b * 3  # noqa: F841 - a later use of b
    with pytest.warns(BackwardGraphWarning, match="middle of the graph.*MulBackward"):
        b.backward(kitty.ones(2))
    assert a.grad.tolist() == [2.0, 2.0]


def test_waiting_gradients_complete_when_other_outputs_call_backward():
    a = leaf([1.0, 2.0])
    b = a * 2
    loss1 = b.sum()
    loss2 = (b * 3).sum()
    with pytest.warns(BackwardGraphWarning, match="not completed.*MulBackward"):
        loss1.backward()
    assert a.grad is None  # b still waits for loss2's gradient
    loss2.backward()  # now b has every gradient and releases them to a
    assert a.grad.tolist() == [8.0, 8.0]


def test_garbage_collected_use_does_not_block():
    a = leaf([1.0, 2.0])
    b = a * 2
    str((b * 5).sum())  # a temporary side computation, gone right away
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]


def test_backward_through_consumed_graph_raises():
    a = leaf([1.0, 2.0])
    loss = (a * a).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    a = leaf([1.0, 2.0])
    loss = (a * a).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert a.grad.tolist() == [4.0, 8.0]


def test_retain_graph_gives_gradients_now_like_torch():
    """Shared graph, two losses, .grad read between the calls (gradient surgery)."""
    results = []
    for lib in (kitty, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        h = a * a
        l1, l2 = h.sum(), (h * 3).sum()
        l1.backward(retain_graph=True)
        first = a.grad.tolist()
        a.grad = None
        l2.backward()
        results.append((first, a.grad.tolist()))
    assert results[0] == results[1]


def test_retain_grad_on_non_leaf():
    a = leaf([1.0, 2.0])
    b = a * 2
    b.retain_grad()
    assert b.retains_grad
    (b * b).sum().backward()
    assert b.grad.tolist() == [4.0, 8.0]
    assert a.grad.tolist() == [8.0, 16.0]


def test_non_leaf_grad_access_warns():
    a = leaf([1.0])
    b = a * 2
    with pytest.warns(UserWarning, match="not a leaf"):
        assert b.grad is None


def test_graph_saved_arrays_are_freed_after_backward():
    a = leaf(np.ones(1000))
    b = a.exp()
    node = b.grad_fn
    saved = weakref.ref(node.out)
    loss = (b * b).sum()
    del b
    loss.backward()
    gc.collect()
    assert saved() is None


def test_no_memory_growth_over_a_training_loop():
    w = leaf(np.random.default_rng(0).standard_normal((64, 64)))
    x = kitty.tensor(np.random.default_rng(1).standard_normal((32, 64)), dtype=kitty.float32)

    def step():
        loss = (x @ w).tanh().sum()
        loss.backward()
        with kitty.no_grad():
            w.sub_(w.grad * 0.01)
        w.grad = None

    for _ in range(20):
        step()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(200):
        step()
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    growth = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert growth < 200_000, f"memory grew by {growth} bytes over 200 steps"


def test_deep_chain_of_a_million_ops_backpropagates():
    a = leaf([1.0])
    x = a
    for _ in range(1_000_000):
        x = x + 1.0  # each step records a node; no recursion may be used to walk them
    x.sum().backward()
    assert a.grad.tolist() == [1.0]


def test_nodes_and_tensors_are_freed_when_output_dies():
    a = leaf([1.0])
    b = a * 2
    ref = weakref.ref(b.grad_fn)
    del b
    gc.collect()
    assert ref() is None


def test_multiple_roots_with_autograd_backward():
    a = leaf([1.0, 2.0])
    l1 = (a * 2).sum()
    l2 = (a * a).sum()
    kitty.autograd.backward([l1, l2])
    assert a.grad.tolist() == [4.0, 6.0]


def test_autograd_grad_returns_without_accumulating():
    a = leaf([1.0, 2.0])
    (g,) = kitty.autograd.grad((a * a).sum(), a)
    assert g.tolist() == [2.0, 4.0]
    assert a.grad is None


def test_autograd_grad_of_non_leaf_and_unused_input():
    a = leaf([1.0, 2.0])
    b = a * 3
    unused = leaf([0.0])
    gb, gu = kitty.autograd.grad((b * b).sum(), [b, unused], allow_unused=True)
    assert gb.tolist() == [6.0, 12.0]
    assert gu is None
    b2 = a * 3
    with pytest.raises(RuntimeError, match="not have been used"):
        kitty.autograd.grad((b2 * 2).sum(), [unused])


def test_create_graph_gives_a_differentiable_grad():
    a = leaf([1.0, 2.0])
    (a * a * a).sum().backward(create_graph=True)
    assert a.grad.grad_fn is not None and a.grad.tolist() == [3.0, 12.0]
    (second,) = kitty.autograd.grad(a.grad.sum(), a)
    assert second.tolist() == [6.0, 12.0]


def test_tensor_hook_can_replace_gradient():
    a = leaf([1.0, 2.0])
    b = a * 2
    b.register_hook(lambda g: g * 10)
    b.sum().backward()
    assert a.grad.tolist() == [20.0, 20.0]
    h = a.register_hook(lambda g: g + 1)
    a.grad = None
    (a * 1).sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]
    h.remove()
    a.grad = None
    (a * 1).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]


def test_threads_have_their_own_grad_mode():
    seen = {}

    def worker():
        seen["thread"] = kitty.is_grad_enabled()

    with kitty.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen["main"] = kitty.is_grad_enabled()
    assert seen == {"thread": True, "main": False}


@pytest.mark.parametrize(
    "fn,pick",
    [
        (lambda x: kitty.var_mean(x, 0), 0),
        (lambda x: kitty.std_mean(x, 0), 1),
        (lambda x: kitty.aminmax(x), 1),
        (lambda x: x.max(0), 0),
        (lambda x: x.sort(0), 0),
        (lambda x: kitty.linalg.svd(x, full_matrices=False), 1),
    ],
)
def test_an_ignored_result_of_a_multi_result_op_holds_back_nothing(fn, pick):
    """Results of one op come from one node, so the unused ones, though alive, are no pending use."""
    a = leaf(np.random.default_rng(0).standard_normal((4, 3)))
    x = a * 1
    results = fn(x)  # every result stays alive
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results[pick].sum().backward()
    assert a.grad is not None


def test_leaf_gradients_never_share_memory():
    # the engine hands a leaf the gradient array itself when nothing else references it; a
    # shared array (Add sends one gradient to both inputs) or the caller's own tensor is copied
    b, c = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (b + c).sum().backward()
    b.grad.add_(100)
    assert c.grad.tolist() == [1.0, 1.0]
    x = leaf([1.0, 2.0])
    g = kitty.tensor([5.0, 6.0])
    x.clone().backward(g)
    x.grad.add_(1)
    assert g.tolist() == [5.0, 6.0]
    w = leaf([[1.0, 2.0], [3.0, 4.0]])
    w.reshape(4).sum().backward()  # a broadcast view comes back: copied into .grad
    w.grad.add_(1)
    assert w.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]


def test_backward_on_a_leaf_can_repeat():
    # a leaf's accumulator is never consumed: torch accumulates again
    x = leaf(2.0)
    x.backward()
    x.backward()
    assert x.grad.item() == 2.0


# .grad's layout: torch lays a new gradient out as its leaf (for a dense leaf), whatever layout
# the incoming gradient had (a broadcast one from a mean, a transposed one from a view)
_GRAD_LAYOUT_CASES = {
    "mean over dim 0": ((32, 16, 8), None, lambda x: x.mean(0).sum()),
    "sum over the last dim": ((4, 5, 6), None, lambda x: x.sum(-1).sum()),
    "full mean": ((3, 4), None, lambda x: x.mean()),
    "expand of a leaf": ((3, 1), None, lambda x: x.expand(3, 4).sum()),
    "transposed leaf, elementwise": ((16, 32), (1, 0), lambda x: (x * 2).sum()),
    "transposed leaf, broadcast grad": ((16, 32), (1, 0), lambda x: x.mean(0).sum()),
    "transposed use of a plain leaf": ((6, 5), None, lambda x: (x.t() * 3).t().sum()),
    "two uses, accumulated": ((4, 3), None, lambda x: x.sum() + x.mean(1).sum()),
}


@pytest.mark.parametrize("case", sorted(_GRAD_LAYOUT_CASES))
def test_grad_takes_its_leafs_layout_as_torch(case):
    shape, perm, fn = _GRAD_LAYOUT_CASES[case]
    values = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    grads = []
    for lib in (kitty, torch):
        x = lib.tensor(values)
        if perm is not None:
            x = x.permute(*perm)
        x = x.detach().requires_grad_()
        fn(x).backward()
        grads.append(x.grad)
    ours, theirs = grads
    assert ours.stride() == theirs.stride(), case
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


# autograd.grad's layout: nothing is accumulated into a .grad, so what a backward formula lays out
# is what the caller gets, and flattening it with .view(-1) (a meta-learning or WGAN-GP step) needs
# torch's layout: mm computes a column-major operand's gradient transposed, a constant pad's
# gradient (a padded conv's, in double backward too) is a fresh crop, and a convolution's weight
# gradient is contiguous
_AUTOGRAD_GRAD_LAYOUT_CASES = {
    "x @ w.t()": ((4, 3), lambda m, w: m.randn(5, 3) @ w.t()),
    "mm(x, w.T)": ((4, 3), lambda m, w: m.mm(m.randn(5, 3), w.T)),
    "stack @ w.t()": ((4, 3), lambda m, w: m.randn(2, 5, 3) @ w.t()),
    "vector @ w.t()": ((4, 3), lambda m, w: m.randn(3) @ w.t()),
    "w.t() @ y": ((3, 5), lambda m, w: w.t() @ m.randn(3, 4)),
    "padded conv2d": ((2, 3, 6, 6), lambda m, x: m.nn.functional.conv2d(x, m.ones(4, 3, 3, 3), padding=1)),
    "pad": ((2, 3, 4), lambda m, x: m.nn.functional.pad(x, (1, 2)) * 2),
    "conv2d's weight": ((4, 3, 3, 3), lambda m, w: m.nn.functional.conv2d(m.randn(2, 3, 6, 6), w, padding=1)),
    "conv1d's weight": ((4, 3, 3), lambda m, w: m.nn.functional.conv1d(m.randn(2, 3, 6), w, dilation=2)),
    "conv_transpose2d's weight": ((3, 4, 3, 3), lambda m, w: m.nn.functional.conv_transpose2d(m.randn(2, 3, 5, 5), w, stride=2)),
}


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", sorted(_AUTOGRAD_GRAD_LAYOUT_CASES))
def test_autograd_grad_lays_out_as_torch(case, create_graph):
    shape, fn = _AUTOGRAD_GRAD_LAYOUT_CASES[case]
    values = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    grads = []
    for lib in (kitty, torch):
        lib.manual_seed(0)
        w = lib.tensor(values, requires_grad=True)
        (g,) = lib.autograd.grad(fn(lib, w).pow(2).sum(), w, create_graph=create_graph)
        assert g.view(-1).shape == (values.size,)
        grads.append(g)
    ours, theirs = grads
    assert ours.stride() == theirs.stride(), case
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("expr", [
    "x.t()", "x.sum(0)", "x.mean(1, keepdim=True)", "x.reshape(5, 4)", "x[1:3]", "x.softmax(1)",
    "x.clamp(0, 1)", "x * 2", "x / 3", "2 - x", "x + x", "x.transpose(0, 1)",
    "x.unsqueeze(0)", "x.pow(2)", "x.max(1)[0]", "x.gather(1, torch.zeros(4, 1, dtype=torch.long))",
])
def test_next_functions_have_torchs_edges(expr):
    """An edge per tensor input, as torch's nodes have (a dim, a size or a bound has none; a Python
    number operand of arithmetic keeps its (None, 0), torch's wrapped number). Not yet: an argument
    left None (``x.sum()``'s dims) keeps an edge, as does ``where``'s condition."""
    import torch

    shapes = []
    for lib in (kitty, torch):
        x = lib.ones(4, 5).requires_grad_()
        out = eval(expr, {"x": x, "torch": lib})
        shapes.append([(type(n).__name__ == "NoneType", nr) for n, nr in out.grad_fn.next_functions])
    assert shapes[0] == shapes[1]
