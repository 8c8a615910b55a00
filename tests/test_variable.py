"""``kittygrad.autograd.Variable``: torch's legacy wrapper, which returns a Tensor."""
import warnings

import pytest
import torch

import kittygrad as kitty

LIBS = pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kitty"])


@LIBS
def test_variable_returns_a_new_leaf_tensor_on_the_same_data(lib):
    V = lib.autograd.Variable
    t = lib.ones(2)
    v = V(t)
    assert type(v) is lib.Tensor and v is not t
    assert not v.requires_grad and v.grad_fn is None and v.is_leaf
    t.add_(1)  # the same memory and version counter
    assert v.tolist() == [2.0, 2.0] and v._version == t._version == 1
    v = V(t, requires_grad=True)
    assert v.requires_grad and not t.requires_grad
    assert V(lib.ones(2), True).requires_grad
    x = lib.ones(2, requires_grad=True)
    y = V(x * 2)  # cut from the graph
    assert y.grad_fn is None and not y.requires_grad
    p = V(lib.nn.Parameter(lib.ones(1)))
    assert type(p) is lib.Tensor and not p.requires_grad
    assert V(t).data.tolist() == [2.0, 2.0]


@LIBS
def test_variable_trains_like_a_tensor(lib):
    w = lib.autograd.Variable(lib.tensor([1.0, -2.0]), requires_grad=True)
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, -4.0]


@LIBS
def test_isinstance_is_true_for_every_tensor(lib):
    V = lib.autograd.Variable
    assert isinstance(lib.ones(1), V)
    assert isinstance(lib.nn.Parameter(lib.ones(1)), V)
    assert not isinstance([1.0], V)
    assert not issubclass(lib.Tensor, V)


@LIBS
def test_empty_volatile_and_errors(lib):
    V = lib.autograd.Variable
    assert V().tolist() == [] and V().dtype == lib.float32
    with pytest.warns(UserWarning, match=r"^volatile was removed and now has no effect. Use `with torch\.no_grad\(\):` instead\.$"):
        v = V(lib.ones(2), volatile=True)
    assert not v.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        V(lib.ones(2), volatile=False)
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        V([1, 2])
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got float"):
        V(1.0)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        V(lib.ones(2, dtype=lib.long), requires_grad=True)
    with pytest.raises(TypeError):
        V(lib.ones(2), foo=True)
