"""Values forward keeps for backward beyond what torch saves (``x ** 3`` keeps its square): the
gradients stay torch's to the bit, a second backward reads them unchanged, an in-place change of
the input is still refused, and nothing is kept while saved-tensor hooks observe; and the engine's
flag that lets a backward write into what it kept holds only while a freeing walk runs it."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty


def _data(shape=(32, 16, 256), seed=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("exponent", [3, 3.0])
def test_cube_gradient_from_the_kept_square_is_torchs_bit_for_bit(exponent):
    data, grad = _data()
    x = kitty.tensor(data, requires_grad=True)
    y = x**exponent
    assert y.grad_fn._square is not None
    y.backward(kitty.tensor(grad))
    xt = torch.tensor(data, requires_grad=True)
    (xt**exponent).backward(torch.tensor(grad))
    np.testing.assert_array_equal(y.detach().numpy(), (xt**exponent).detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_cube_backward_twice_with_retain_graph_reads_the_square_unchanged():
    data, grad = _data()
    x = kitty.tensor(data, requires_grad=True)
    y = x**3
    y.backward(kitty.tensor(grad), retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad = None
    y.backward(kitty.tensor(grad))
    np.testing.assert_array_equal(x.grad.numpy(), first)


def test_cube_still_refuses_an_input_changed_in_place():
    data, _ = _data((4, 5))
    x = kitty.tensor(data, requires_grad=True)
    base = x * 1
    y = base**3
    base.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_cube_keeps_no_square_under_saved_tensor_hooks():
    data, _ = _data((4, 5))
    x = kitty.tensor(data, requires_grad=True)
    with kitty.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x**3
    assert y.grad_fn._square is None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * data * data, rtol=1e-6)


def test_cube_double_backward_differentiates_the_slope():
    data, _ = _data((3, 4))
    x = kitty.tensor(data, requires_grad=True)
    (gx,) = kitty.autograd.grad((x**3).sum(), x, create_graph=True)
    (ggx,) = kitty.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(ggx.numpy(), 6 * data, rtol=1e-6)


def test_last_read_flag_holds_only_while_a_freeing_walk_runs_the_node(monkeypatch):
    """A backward may write into what its forward kept (ops._prep.owns_saved) only while the engine
    runs it in a walk that frees the node right after: not under retain_graph, not once it returned,
    not after it raised."""
    x = kitty.tensor(np.linspace(-1, 1, 8, dtype=np.float32), requires_grad=True)
    y = (x * 2).exp()
    node = y.grad_fn
    seen = []
    original = type(node).backward

    def spy(self, *grads):
        seen.append(self._last_read)
        return original(self, *grads)

    monkeypatch.setattr(type(node), "backward", spy)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert seen == [False, True] and node._last_read is False

    z = (x * 3).exp()

    def failing(self, *grads):
        seen.append(self._last_read)
        raise ValueError("a backward that fails")

    monkeypatch.setattr(type(z.grad_fn), "backward", failing)
    with pytest.raises(ValueError):
        z.sum().backward()
    assert seen[-1] is True and z.grad_fn._last_read is False


# ---- division keeps its quotient for the divisor's gradient -----------------------------------


def _divisor_gradient(a, b, grad):
    """The divisor's gradient written out in float64: -g a / b**2."""
    return -(grad.astype(np.float64) * a / (b.astype(np.float64) ** 2))


@pytest.mark.parametrize("b_shape", [(32, 16, 256), (256,)])
def test_divisor_gradient_reads_the_kept_quotient(b_shape):
    a, grad = _data()
    b = np.abs(np.random.default_rng(5).standard_normal(b_shape)).astype(np.float32) + 0.5
    ka, kb = kitty.tensor(a, requires_grad=True), kitty.tensor(b, requires_grad=True)
    q = ka / kb
    assert q.grad_fn._result_kept is not None
    q.backward(kitty.tensor(grad))
    full = _divisor_gradient(a, np.broadcast_to(b, a.shape), grad)
    expected = full.reshape((-1,) + b_shape).sum(0) if b.ndim < a.ndim else full
    np.testing.assert_allclose(kb.grad.numpy(), expected, rtol=2e-5, atol=1e-6 * np.abs(expected).max())
    # -(g / b) * (a / b), each step rounded in float32
    if b.ndim == a.ndim:
        step = np.negative((grad / b) * (a / b))
        np.testing.assert_array_equal(kb.grad.numpy(), step)
    np.testing.assert_array_equal(ka.grad.numpy(), grad / np.broadcast_to(b, a.shape))


def test_quotient_changed_in_place_is_not_read():
    a, grad = _data()
    b = np.abs(np.random.default_rng(5).standard_normal(a.shape)).astype(np.float32) + 0.5
    ka, kb = kitty.tensor(a, requires_grad=True), kitty.tensor(b, requires_grad=True)
    q = ka / kb
    q.mul_(2.0)  # torch allows it (division saves its inputs); backward recomputes a / b
    q.backward(kitty.tensor(grad))
    np.testing.assert_array_equal(kb.grad.numpy(), np.negative((2 * grad / b) * a / b))


def test_no_quotient_kept_when_the_divisor_needs_no_gradient():
    a, _ = _data()
    q = kitty.tensor(a, requires_grad=True) / kitty.tensor(a + 3)
    assert q.grad_fn._result_kept is None
    q = kitty.tensor(a, requires_grad=True) / 2.0
    assert getattr(q.grad_fn, "_result_kept", None) is None


def test_division_keeps_no_quotient_under_saved_tensor_hooks():
    a, grad = _data((4, 5))
    ka, kb = kitty.tensor(a, requires_grad=True), kitty.tensor(np.abs(a) + 1, requires_grad=True)
    with kitty.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        q = ka / kb
    assert q.grad_fn._result_kept is None
    q.backward(kitty.tensor(grad))
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(np.abs(a) + 1, requires_grad=True)
    (ta / tb).backward(torch.tensor(grad))
    np.testing.assert_allclose(kb.grad.numpy(), tb.grad.numpy(), rtol=1e-6)
