"""kittygrad.autograd.functional against torch.autograd.functional (values and return structure)."""
import inspect

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import kittygrad as kitty
from kittygrad.autograd import functional as KF


def pair(*shape, seed=0):
    arr = np.random.default_rng(seed).standard_normal(shape)
    return kitty.tensor(arr, dtype=kitty.float64), torch.tensor(arr)


# functions written once for both libraries (the `lib` argument is kitty or torch)
def f_tanh_mlp(lib):
    w = np.random.default_rng(7).standard_normal((3, 4))

    def f(x):
        return (x @ lib.tensor(w, dtype=lib.float64)).tanh().sum(dim=1)

    return f


def f_two_in_two_out(lib):
    def f(x, y):
        return (x * y.exp()).sin(), (x * x).sum() * y

    return f


def f_scalar(lib):
    def f(x, y):
        return (x.exp() * y).sum() + (x * x * y).sum() ** 2

    return f


def f_softmax_ce(lib):
    target = np.array([0, 2])

    def f(logits):
        logp = logits.log_softmax(dim=1)
        return -(logp[lib.arange(2), lib.tensor(target)]).mean()

    return f


def same(ours, theirs):
    """Same nesting (Tensor / tuple / tuple of tuples) and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, kitty.Tensor), (type(ours), type(theirs))
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
        return
    assert isinstance(theirs, (tuple, list)) and type(ours) is type(theirs), (type(ours), type(theirs))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        same(a, b)


def test_signatures_match_torch():
    for name in ("vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"):
        ours = inspect.signature(getattr(KF, name)).parameters
        theirs = inspect.signature(getattr(TF, name)).parameters
        assert list(ours) == list(theirs), name
        assert [p.default for p in ours.values()] == [p.default for p in theirs.values()], name
    assert kitty.autograd.functional.jacobian is KF.jacobian


def test_jacobian_single_input_single_output():
    kx, tx = pair(2, 3)
    same(KF.jacobian(f_tanh_mlp(kitty), kx), TF.jacobian(f_tanh_mlp(torch), tx))


def test_jacobian_tuples_and_strategies():
    (kx, tx), (ky, ty) = pair(3), pair(3, seed=1)
    expected = TF.jacobian(f_two_in_two_out(torch), (tx, ty))
    same(KF.jacobian(f_two_in_two_out(kitty), (kx, ky)), expected)
    same(KF.jacobian(f_two_in_two_out(kitty), (kx, ky), vectorize=True), expected)
    # forward-mode: torch gives lists where reverse-mode gives tuples
    same(KF.jacobian(f_two_in_two_out(kitty), (kx, ky), vectorize=True, strategy="forward-mode"),
         TF.jacobian(f_two_in_two_out(torch), (tx, ty), vectorize=True, strategy="forward-mode"))
    # one input given as a tuple: the inner level stays a tuple
    same(KF.jacobian(lambda x: x.exp(), (kx,)), TF.jacobian(lambda x: x.exp(), (tx,)))


def test_jacobian_independent_input_and_strict():
    (kx, tx), (ky, ty) = pair(2), pair(2, seed=1)
    same(KF.jacobian(lambda x, y: x * 2, (kx, ky)), TF.jacobian(lambda x, y: x * 2, (tx, ty)))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        KF.jacobian(lambda x, y: x * 2, (kx, ky), strict=True)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        KF.jacobian(lambda x: x.detach(), kx, strict=True)


def test_jacobian_errors_match_torch():
    kx, _ = pair(2)
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor or a tuple of Tensors"):
        KF.jacobian(lambda x: x, [kx])
    with pytest.raises(AssertionError):
        KF.jacobian(lambda x: x, kx, strategy="sideways")
    with pytest.raises(NotImplementedError):
        KF.jacobian(lambda x: x, kx, strategy="forward-mode")
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True`"):
        KF.jacobian(lambda x: x, kx, strict=True, vectorize=True)


def test_jacobian_does_not_touch_the_inputs_graph():
    x = kitty.tensor([1.0, 2.0], requires_grad=True)
    j = KF.jacobian(lambda t: t * t, x)
    assert not j.requires_grad and x.grad is None


def test_vjp_matches_torch():
    (kx, tx), (ky, ty) = pair(3), pair(3, seed=1)
    (kv1, tv1), (kv2, tv2) = pair(3, seed=2), pair(3, seed=3)
    same(
        KF.vjp(f_two_in_two_out(kitty), (kx, ky), (kv1, kv2)),
        TF.vjp(f_two_in_two_out(torch), (tx, ty), (tv1, tv2)),
    )
    kx2, tx2 = pair(2, 3)
    kv, tv = pair(2, seed=4)
    same(KF.vjp(f_tanh_mlp(kitty), kx2, kv), TF.vjp(f_tanh_mlp(torch), tx2, tv))
    # v may be omitted for a single-element output
    same(KF.vjp(f_scalar(kitty), (kx, ky)), TF.vjp(f_scalar(torch), (tx, ty)))


def test_vjp_errors_match_torch():
    kx, _ = pair(3)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided function returns"):
        KF.vjp(lambda x: x * 2, kx)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be kittygrad.Size\(\[3\]\) but got"):
        KF.vjp(lambda x: x * 2, kx, kitty.ones(2, dtype=kitty.float64))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but got 1"):
        KF.vjp(lambda x: (x, x), kx, (kitty.ones(3, dtype=kitty.float64),))


# ---- the double-backward family (needs create_graph) -------------------------------------------


def test_jvp_matches_torch():
    (kx, tx), (ky, ty) = pair(3), pair(3, seed=1)
    (ku1, tu1), (ku2, tu2) = pair(3, seed=2), pair(3, seed=3)
    same(
        KF.jvp(f_two_in_two_out(kitty), (kx, ky), (ku1, ku2)),
        TF.jvp(f_two_in_two_out(torch), (tx, ty), (tu1, tu2)),
    )
    kx2, tx2 = pair(2, 3)
    ku, tu = pair(2, 3, seed=5)
    same(KF.jvp(f_tanh_mlp(kitty), kx2, ku), TF.jvp(f_tanh_mlp(torch), tx2, tu))


def test_hessian_matches_torch():
    (kx, tx), (ky, ty) = pair(3), pair(3, seed=1)
    same(KF.hessian(f_scalar(kitty), (kx, ky)), TF.hessian(f_scalar(torch), (tx, ty)))
    kl, tl = pair(2, 3, seed=2)
    same(KF.hessian(f_softmax_ce(kitty), kl), TF.hessian(f_softmax_ce(torch), tl))


def test_hvp_and_vhp_match_torch():
    (kx, tx), (ky, ty) = pair(3), pair(3, seed=1)
    (kv1, tv1), (kv2, tv2) = pair(3, seed=2), pair(3, seed=3)
    for ours, theirs in ((KF.hvp, TF.hvp), (KF.vhp, TF.vhp)):
        same(ours(f_scalar(kitty), (kx, ky), (kv1, kv2)), theirs(f_scalar(torch), (tx, ty), (tv1, tv2)))
    kl, tl = pair(2, 3, seed=2)
    kv, tv = pair(2, 3, seed=6)
    same(KF.hvp(f_softmax_ce(kitty), kl, kv), TF.hvp(f_softmax_ce(torch), tl, tv))


def test_hessian_create_graph_gives_third_derivatives():
    x = kitty.tensor([1.0, 2.0], dtype=kitty.float64, requires_grad=True)
    h = KF.hessian(lambda t: (t ** 4).sum(), x, create_graph=True)
    assert h.requires_grad
    h.sum().backward()  # d/dx of the Hessian's trace 12x^2 -> 24x
    np.testing.assert_allclose(x.grad.numpy(), [24.0, 48.0])
