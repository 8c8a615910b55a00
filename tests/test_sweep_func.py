"""Regressions from a differential sweep of ``func`` and forward-mode AD against torch."""

import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.autograd import forward_ad as kfw
from torch.autograd import forward_ad as tfw


def _inplace_through_view(lib, fw):
    x = lib.arange(6.0).reshape(2, 3)
    with fw.dual_level():
        dual = fw.make_dual(x.clone(), lib.ones(2, 3))
        later = dual[:, 1:]
        dual[0].mul_(3)
        return fw.unpack_dual(dual).tangent.numpy(), fw.unpack_dual(later).tangent.numpy()


def test_inplace_through_a_view_of_a_dual_updates_its_tangent():
    for mine, ref in zip(_inplace_through_view(kitty, kfw), _inplace_through_view(torch, tfw)):
        np.testing.assert_allclose(mine, ref)


def _duals_over_one_base(lib, fw):
    x = lib.arange(6.0).reshape(2, 3)
    with fw.dual_level():
        base = x.clone()
        first = fw.make_dual(base, lib.ones(2, 3))
        second = fw.make_dual(base, lib.full((2, 3), 2.0))
        second[0].mul_(2)
        part = fw.make_dual(x.clone()[0], lib.ones(3))
        owner = part._base
        part.mul_(2)
        return fw.unpack_dual(first).tangent.numpy(), fw.unpack_dual(second).tangent.numpy(), fw.unpack_dual(owner).tangent


def test_each_dual_keeps_its_own_tangent():
    mine, ref = _duals_over_one_base(kitty, kfw), _duals_over_one_base(torch, tfw)
    np.testing.assert_allclose(mine[0], ref[0])
    np.testing.assert_allclose(mine[1], ref[1])
    assert mine[2] is None and ref[2] is None


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, fw: fw.make_dual(fw.make_dual(lib.ones(3), lib.ones(3)), lib.ones(3)),  # twice
        lambda lib, fw: fw.make_dual(lib.ones(3, dtype=lib.int64), lib.ones(3, dtype=lib.int64)),
        lambda lib, fw: fw.make_dual(lib.ones(3), lib.ones(3), level=5),
    ],
    ids=["twice", "int_primal", "bad_level"],
)
def test_make_dual_errors_as_torch(call):
    errors = []
    for lib, fw in ((torch, tfw), (kitty, kfw)):
        with fw.dual_level(), pytest.raises(Exception) as info:
            call(lib, fw)
        errors.append(info.value)
    base = next(b for b in (ValueError, RuntimeError) if isinstance(errors[0], b))
    assert isinstance(errors[1], base)


def test_reverse_over_forward_refuses_instead_of_zeros():
    x = kitty.tensor([-1.1, 0.4, 0.5])
    t = kitty.tensor([1.0, 0.0, 0.0])
    with pytest.raises(RuntimeError, match="reverse-mode differentiation through a forward-mode result"):
        kitty.func.jacrev(kitty.func.jacfwd(kitty.prod))(x)
    with pytest.raises(RuntimeError, match="reverse-mode differentiation through a forward-mode result"):
        kitty.func.grad(lambda x: kitty.func.jvp(kitty.prod, (x,), (t,))[1])(x)
    # the primal of a jvp stays differentiable, and forward-over-reverse matches torch
    got = kitty.func.grad(lambda x: kitty.func.jvp(kitty.prod, (x,), (t,))[0])(x)
    xt = torch.tensor([-1.1, 0.4, 0.5])
    want = torch.func.grad(lambda x: torch.func.jvp(torch.prod, (x,), (torch.tensor([1.0, 0.0, 0.0]),))[0])(xt)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    hess = kitty.func.jacfwd(kitty.func.jacrev(kitty.prod))(x)
    np.testing.assert_allclose(hess.numpy(), torch.func.jacfwd(torch.func.jacrev(torch.prod))(xt).numpy(), rtol=1e-6)


def test_jacfwd_randomness_error_as_torch():
    with pytest.raises(RuntimeError, match="randomness error mode"):
        torch.func.jacfwd(lambda x: x * torch.rand(3))(torch.ones(3))
    with pytest.raises(RuntimeError, match="randomness error mode"):
        kitty.func.jacfwd(lambda x: x * kitty.rand(3))(kitty.ones(3))
    assert tuple(kitty.func.jacfwd(lambda x: x * kitty.rand(3), randomness="same")(kitty.ones(3)).shape) == (3, 3)


def _assert_no_loop(caught):
    assert not [w for w in caught if "fell back to a loop" in str(w.message)]


def test_vmap_batch_norm_training_without_running_stats_is_batched():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 4, 5)).astype("float32")
    w, b = rng.standard_normal(5).astype("float32"), rng.standard_normal(5).astype("float32")
    want = torch.func.vmap(lambda x: torch.nn.functional.batch_norm(x, None, None, torch.tensor(w), torch.tensor(b), training=True))(
        torch.tensor(data)
    )
    want_in = torch.func.vmap(lambda x: torch.nn.functional.instance_norm(x[None])[0])(torch.tensor(data))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = kitty.func.vmap(lambda x: kitty.nn.functional.batch_norm(x, None, None, kitty.tensor(w), kitty.tensor(b), training=True))(
            kitty.tensor(data)
        )
        got_in = kitty.func.vmap(lambda x: kitty.nn.functional.instance_norm(x[None])[0])(kitty.tensor(data))
    _assert_no_loop(caught)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_in.numpy(), want_in.numpy(), rtol=1e-5, atol=1e-5)


def test_vmap_batch_norm_training_updates_batched_running_stats():
    data = np.sin(np.arange(60.0, dtype="float32")).reshape(3, 4, 5)
    results = []
    for lib in (torch, kitty):
        mean, var = lib.zeros(3, 5), lib.ones(3, 5)
        out = lib.func.vmap(lambda x, m, v: lib.nn.functional.batch_norm(x, m, v, training=True))(lib.tensor(data), mean, var)
        results.append((out.numpy(), mean.numpy(), var.numpy()))
    for mine, ref in zip(results[1], results[0]):
        np.testing.assert_allclose(mine, ref, rtol=1e-5, atol=1e-5)


def test_vmap_contiguous_is_batched():
    data = np.arange(60.0, dtype="float32").reshape(3, 4, 5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = kitty.func.vmap(lambda x: x.t().contiguous() * 2)(kitty.tensor(data))
        nested = kitty.func.vmap(kitty.func.vmap(lambda x: x.contiguous()))(kitty.tensor(data).transpose(0, 2))
    _assert_no_loop(caught)
    want = torch.func.vmap(lambda x: x.t().contiguous() * 2)(torch.tensor(data))
    np.testing.assert_allclose(got.numpy(), want.numpy())
    np.testing.assert_allclose(nested.numpy(), data.transpose(2, 1, 0))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("in_dims", ["both", "outer_only"])
def test_nested_vmap_cross_entropy_is_batched(reduction, weighted, in_dims):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    t = rng.integers(0, 5, (2, 3, 4))
    t[0, 1, 2] = -100
    w = (rng.random(5) + 0.5).astype("float32")

    def run(lib):
        def loss(a, b):
            return lib.nn.functional.cross_entropy(a, b, weight=lib.tensor(w) if weighted else None, reduction=reduction)

        vm = lib.func.vmap
        if in_dims == "both":
            return vm(vm(loss))(lib.tensor(x), lib.tensor(t))
        return vm(vm(loss, in_dims=(0, None)))(lib.tensor(x), lib.tensor(t[:, 0]))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = run(kitty)
    _assert_no_loop(caught)
    np.testing.assert_allclose(got.numpy(), run(torch).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("nested", [False, True])
def test_vmap_cross_entropy_over_targets_only_is_batched(nested):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 5)).astype("float32")
    t = rng.integers(0, 5, (2, 3, 4))

    def run(lib):
        vm = lib.func.vmap
        loss = lib.func.grad(lib.nn.functional.cross_entropy)
        if nested:
            return vm(vm(loss, in_dims=(None, 0)), in_dims=(None, 0))(lib.tensor(x), lib.tensor(t))
        return vm(loss, in_dims=(None, 0))(lib.tensor(x), lib.tensor(t[0]))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = run(kitty)
    _assert_no_loop(caught)
    np.testing.assert_allclose(got.numpy(), run(torch).numpy(), rtol=1e-5, atol=1e-6)


def test_nested_vmap_grad_of_cross_entropy():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    t = rng.integers(0, 5, (2, 3, 4))
    got = kitty.func.vmap(kitty.func.vmap(kitty.func.grad(kitty.nn.functional.cross_entropy)))(kitty.tensor(x), kitty.tensor(t))
    want = torch.func.vmap(torch.func.vmap(torch.func.grad(torch.nn.functional.cross_entropy)))(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
