"""Version control and views: in-place ops, saved-tensor checks, writes through views."""
import numpy as np
import pytest
import torch

import kittygrad as kitty


def both(fn):
    """Run fn(lib) for kittygrad and torch; return (kitty result, torch result) as lists."""
    out = []
    for lib in (kitty, torch):
        out.append(fn(lib))
    return out


def test_in_place_bumps_version_and_views_share_it():
    a = kitty.zeros(3, 4)
    v = a[1]
    t = a.t()
    assert a._version == v._version == t._version == 0
    v.add_(1)
    assert a._version == v._version == t._version == 1
    assert a.numpy()[1].tolist() == [1.0] * 4
    assert t._base is a and v._base is a


def test_modified_saved_tensor_raises_naming_the_op_and_versions():
    a = kitty.ones(3, requires_grad=True)
    b = a * 1
    c = b.exp()  # saves its output
    c.add_(1)
    with pytest.raises(RuntimeError, match="ExpBackward is at version 1; expected version 0"):
        c.sum().backward()


def test_in_place_on_unsaved_tensor_is_fine():
    def f(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = a * 2  # Mul by a scalar saves no tensor
        b.add_(1)
        (b * b).sum().backward()
        return a.grad.tolist()

    k, t = both(f)
    assert k == t


@pytest.mark.parametrize(
    "body",
    [
        lambda x, w: x[0].mul_(w[0]),
        lambda x, w: x[:, 1].add_(w[:, 0]),
        lambda x, w: x.t()[1:].mul_(2),
        lambda x, w: x.view(-1)[::2].sub_(w.reshape(-1)[::2]),
        lambda x, w: x.unsqueeze(0).squeeze(0)[1].clamp_(-0.1, 0.1),
        lambda x, w: x.__setitem__((slice(None), 0), w[:, 1] * 3),
    ],
)
def test_write_through_view_gives_correct_gradients(body):
    rng = np.random.default_rng(0)
    a0, w0 = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))

    def f(lib):
        a = lib.tensor(a0, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        x = a * 1.5
        body(x, w)
        (x * x).sum().backward()
        wg = w.grad.numpy().ravel() if w.grad is not None else np.zeros(9)
        return np.concatenate([a.grad.numpy().ravel(), wg])

    k, t = both(f)
    np.testing.assert_allclose(k, t, rtol=1e-6)


def test_other_views_see_the_rebased_graph():
    def f(lib):
        a = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        x = a.clone()
        row0, row1 = x[0], x[1]
        row1.mul_(3)
        (row0 * row1).sum().backward(inputs=[a]) if lib is torch else (row0 * row1).sum().backward(inputs=[a])
        return a.grad.tolist()

    k, t = both(f)
    assert k == t


def test_in_place_on_leaf_and_view_of_leaf_raise():
    a = kitty.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        a.mul_(2)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        a[0].mul_(2)


def test_in_place_on_plain_tensor_with_grad_operand_makes_it_require_grad():
    def f(lib):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = lib.zeros(3)
        x.add_(w * w)
        x.sum().backward()
        return x.requires_grad, x.is_leaf, w.grad.tolist()

    k, t = both(f)
    assert k == t


def test_in_place_type_errors_match_torch():
    a = kitty.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        a.add_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        a.div_(2)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        kitty.zeros(3).add_(kitty.ones(2, 3))


def test_augmented_assignment_is_in_place():
    a = kitty.zeros(3)
    ref = a
    a += 1
    a *= 3
    assert a is ref and a.tolist() == [3.0, 3.0, 3.0] and a._version == 2


def test_expanded_tensor_refuses_in_place_write():
    e = kitty.zeros(1, 3).expand(4, 3)
    with pytest.raises(RuntimeError, match="single memory location"):
        e.add_(1)


def test_detach_then_modify_invalidates_saved_tensor():
    a = kitty.ones(2, requires_grad=True)
    b = a * 1
    c = b * b
    with kitty.no_grad():
        b.detach().mul_(3)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_view_vs_reshape_copy():
    a = kitty.arange(6.0).reshape(2, 3)
    assert a.view(3, 2)._base is a._base or a.view(3, 2)._base is a
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        a.t().view(-1)
    c = a.t().reshape(-1)
    assert c._base is None


def test_view_error_message_is_torchs_word_for_word():
    messages = []
    for lib in (torch, kitty):
        with pytest.raises(RuntimeError) as info:
            lib.arange(12).reshape(3, 4).t().view(12)
        messages.append(str(info.value))
    assert messages[1] == messages[0]


def test_views_made_and_written_under_no_grad_are_fine():
    x = kitty.ones(4, requires_grad=True) * 1
    with kitty.no_grad():
        v = x[:2]
        v.mul_(3)
        parts = x.split(2)
        parts[1].add_(1)
    assert x.detach().numpy().tolist() == [3.0, 3.0, 2.0, 2.0]
    assert x.grad_fn is not None  # the base itself stays usable


def test_no_grad_view_without_any_grad_may_be_written_with_grad_on():
    x = kitty.ones(4)
    with kitty.no_grad():
        v = x[:2]
    v.mul_(2)  # nothing requires grad: nothing to track, nothing ambiguous (torch allows it too)
    assert x.numpy().tolist() == [2.0, 2.0, 1.0, 1.0] and not v.requires_grad


def test_refused_view_write_names_the_op_and_the_reason():
    x = kitty.ones(4, 2, requires_grad=True) * 1
    with pytest.raises(RuntimeError, match=r"SplitBackward .*modified in place \(mul_\)"):
        x.split(2)[0][:1].mul_(2)
    with kitty.no_grad():
        v = x[:2]
    with pytest.raises(RuntimeError, match=r"created in no_grad mode and is being modified in place \(add_\)"):
        v.add_(1)


@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kittygrad"])
def test_matmul_family_checks_only_the_inputs_a_needed_gradient_reads(lib):
    # x @ w with only w requiring grad reads x, never w: changing w in place in between is fine
    w = lib.ones(2, 2, requires_grad=True)
    out = (lib.ones(3, 2) @ w).sum()
    with lib.no_grad():
        w.add_(1)
    out.backward()
    assert w.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    # a first Linear layer: an optimizer step between two backwards of one forward (retain_graph)
    layer = lib.nn.Linear(3, 2)
    y = layer(lib.ones(4, 3))
    opt = lib.optim.SGD(layer.parameters(), lr=0.1)
    y.sum().backward(retain_graph=True)
    opt.step()
    (y * y).sum().backward()
    # when the changed input is read (x requires grad too), both refuse
    x = lib.ones(3, 2, requires_grad=True)
    w = lib.ones(2, 2, requires_grad=True)
    out = (x @ w).sum()
    with lib.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation|version"):
        out.backward()


@pytest.mark.parametrize("idx,value", [
    (1, 0.0), (slice(1, None), 0.0), (Ellipsis, 0.0), (Ellipsis, "ones3"), (slice(0, 3), "ones3"), (None, 0.0),
    ((None, 1), 0.0), ("t1", 0.0), ("t[1]", 0.0), ("mask", 0.0), ([0, 2], 0.0), ((), 0.0),
])
def test_setitem_records_the_node_torch_records(idx, value):
    """torch writes x[ints, slices, None] = v through a view (CopySlices), fills or copies x itself
    when the index leaves it whole, and records IndexPutBackward0 for tensor and list indices."""
    names = []
    for lib in (torch, kitty):
        tensors = {"t1": lib.tensor(1), "t[1]": lib.tensor([1]), "mask": lib.tensor([True, False, True])}
        i = tensors[idx] if isinstance(idx, str) else idx
        y = lib.ones(3, requires_grad=True) * 2
        y[i] = lib.ones(3) if value == "ones3" else value
        names.append(y.grad_fn.name() if lib is torch else y.grad_fn.torch_name())
    assert names[1] == names[0].removeprefix("torch::autograd::")


def test_writes_through_a_view_record_torchs_copyslices_name():
    """An in-place op through a view of a non-leaf: torch's CopySlices has no overload number."""
    for write in (lambda y: y[0].__setitem__(1, 5.0), lambda y: y[1:].mul_(3)):
        names = []
        for lib in (torch, kitty):
            y = lib.ones(2, 3, requires_grad=True) * 2
            write(y)
            names.append(y.grad_fn.name() if lib is torch else y.grad_fn.torch_name())
        assert names[1] == names[0].removeprefix("torch::autograd::") == "CopySlices"


def test_a_view_rederived_after_an_inplace_change_is_torchs_as_strided():
    """After an in-place change of a view or of its base, torch regenerates the view's grad_fn as an
    as_strided of the base; kittygrad replays the view op, and names that node as torch does."""
    def cases(lib):
        x = lib.ones(3, 4, requires_grad=True)
        y = x * 2
        v = y[1:]
        v.mul_(3)  # the view itself changed
        y2 = x * 2
        t = y2.t()
        y2.add_(1)  # its base changed
        a = (x * 2)[0]
        b = a[1:]
        b.zero_()  # a view of a view
        return [v.grad_fn, t.grad_fn, a.grad_fn, b.grad_fn]

    theirs = [n.name() for n in cases(torch)]
    ours = [n.torch_name() for n in cases(kitty)]
    assert ours == theirs == ["AsStridedBackward0"] * 4


def _changed_saved_sigmoid(lib):
    a = lib.randn(3, requires_grad=True)
    b = a.sigmoid()
    b.mul_(2)  # sigmoid's own saved output
    return b.sum(), None


def _changed_saved_input(lib):
    a = lib.randn(3, requires_grad=True)
    e = a.exp()
    e2 = e ** 2
    e.add_(1)  # pow's saved input: its grad_fn is now the add's
    return e2.sum(), e


def _changed_saved_constant(lib):
    w = lib.randn(3, 4)
    out = lib.randn(2, 3, requires_grad=True).matmul(w)
    w.add_(1)  # a saved leaf that needs no gradient: no "which is output" part
    return out.sum(), w


def _changed_saved_double_view(lib):
    h = lib.randn(2, 2, dtype=lib.float64, requires_grad=True).tanh()
    h[0, 0] = 0.0
    return h.sum(), None


def _changed_twice_used(lib):
    y = lib.randn(3, requires_grad=True) * 1
    z = y * y
    y.relu_()
    return z.sum(), y


@pytest.mark.parametrize("make", [_changed_saved_sigmoid, _changed_saved_input, _changed_saved_constant,
                                  _changed_saved_double_view, _changed_twice_used])
def test_a_changed_saved_value_is_reported_in_torchs_words_under_the_runner(monkeypatch, make):
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")  # as kittygrad.run sets it
    # (each maker returns the changed tensor too: while it lives its grad_fn names it, as the
    # tensor a script changed in place and then calls backward beside does)
    messages = []
    for lib in (kitty, torch):
        loss, _changed = make(lib)
        with pytest.raises(RuntimeError) as err:
            loss.backward()
        messages.append(str(err.value))
    assert messages[0] == messages[1]


_VIEW_INPLACE = [((3,), lambda t: t.t_()), ((), lambda t: t.transpose_(0, 0)), ((3, 2), lambda t: t.squeeze_()),
                 ((3,), lambda t: t.squeeze_(0)), ((3, 1), lambda t: t.squeeze_(1)), ((3, 2), lambda t: t.transpose_(0, 1)),
                 ((3, 2), lambda t: t.unsqueeze_(0))]


@pytest.mark.parametrize("shape, op", _VIEW_INPLACE)
def test_in_place_view_ops_on_a_leaf_match_torch(shape, op):
    """An in-place view op that changes nothing is still refused on a leaf that requires grad (and
    counted); under no_grad the leaf keeps requiring grad (it stayed a leaf, not a tensor without grad)."""
    seen = []
    for lib in (torch, kitty):
        leaf = lib.zeros(shape, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            op(leaf)
        with lib.no_grad():
            op(leaf)
        seen.append((leaf.requires_grad, leaf.is_leaf, leaf.grad_fn, tuple(leaf.shape), leaf._version))
    assert seen[1] == seen[0]


def test_stale_grad_fn_after_a_no_grad_view_op_fails_backward_as_torch(monkeypatch):
    # under no_grad a non-leaf keeps its grad_fn though its shape changed: backward then finds the
    # gradient's shape wrong, and names torch's node under the runner
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")
    messages = []
    for lib in (torch, kitty):
        y = lib.ones(3, 2, requires_grad=True) * 2
        with lib.no_grad():
            y.transpose_(0, 1)
        with pytest.raises(RuntimeError) as err:
            y.sum().backward()
        messages.append(str(err.value))
    assert messages[1] == messages[0]
