"""Forward-mode AD beyond the op table, each side by side with torch: custom Functions with ``jvp``
and ``ctx.save_for_forward``; ``gradcheck``'s ``check_forward_ad`` / ``check_batched_grad`` /
``check_batched_forward_grad`` (and ``gradgradcheck(check_fwd_over_rev=True)``); and
``autograd.grad(..., is_grads_batched=True)``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfwd

import kittygrad as kitty
import kittygrad.autograd.forward_ad as kfwd

LIBS = [(torch, tfwd), (kitty, kfwd)]


def _functions(lib):
    """Three custom Functions written once, for either library."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.result = result
            return result

        @staticmethod
        def jvp(ctx, tangent):
            return tangent * ctx.result

    class Scaled(lib.autograd.Function):
        """a * b * k: jvp sees zeros for b (no tangent), None for k (not a tensor), and the
        tensors saved for forward."""

        @staticmethod
        def forward(ctx, a, b, k):
            ctx.save_for_forward(a, b)
            ctx.save_for_backward(a, b)
            ctx.k = k
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b * ctx.k, g * a * ctx.k, None

        @staticmethod
        def jvp(ctx, ta, tb, tk):
            assert tk is None and isinstance(tb, lib.Tensor)
            a, b = ctx.saved_tensors
            return (ta * b + a * tb) * ctx.k

    class NoJvp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return Exp, Scaled, NoJvp


def test_custom_function_jvp_and_save_for_forward_match_torch():
    rng = np.random.default_rng(0)
    a, b, t = (rng.standard_normal(4) for _ in range(3))
    results = []
    for lib, ad in LIBS:
        Exp, Scaled, _ = _functions(lib)
        with ad.dual_level():
            dual = ad.make_dual(lib.tensor(a), lib.tensor(t))
            exp_tangent = ad.unpack_dual(Exp.apply(dual)).tangent
            scaled = Scaled.apply(dual, lib.tensor(b), 3.0)
            primal, tangent = ad.unpack_dual(scaled)
        results.append([exp_tangent.numpy(), primal.numpy(), tangent.numpy()])
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(results[1][2], 3.0 * t * b)


def test_a_function_without_jvp_is_refused_under_forward_ad_as_in_torch():
    for lib, ad in LIBS:
        *_, NoJvp = _functions(lib)
        with ad.dual_level():
            assert ad.unpack_dual(NoJvp.apply(lib.ones(2))).tangent is None  # no tangent in: no jvp needed
            with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
                NoJvp.apply(ad.make_dual(lib.ones(2), lib.ones(2)))


def test_a_function_still_records_its_backward_under_forward_ad():
    grads = []
    for lib, ad in LIBS:
        _, Scaled, _ = _functions(lib)
        x = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)
        with ad.dual_level():
            y = Scaled.apply(ad.make_dual(x, lib.ones(2, dtype=lib.float64)), lib.tensor([2.0, -1.0], dtype=lib.float64), 3.0)
        y.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0])
    np.testing.assert_allclose(grads[1], [6.0, -3.0])


def _gradcheck_inputs(lib):
    rng = np.random.default_rng(1)
    x = lib.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = lib.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    return x, w


@pytest.mark.parametrize("fast_mode", [False, True])
def test_gradcheck_forward_and_batched_checks_pass_as_in_torch(fast_mode):
    for lib, _ in LIBS:
        x, w = _gradcheck_inputs(lib)

        def f(x, w, lib=lib):
            return (x @ w).tanh().softmax(-1), (x * x).sum(0)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kittygrad: a backward formula that vmap runs by a loop
            assert lib.autograd.gradcheck(f, (x, w), check_forward_ad=True, check_batched_grad=True,
                                          check_batched_forward_grad=True, fast_mode=fast_mode)
        assert lib.autograd.gradcheck(f, (x, w), check_forward_ad=True, check_backward_ad=False,
                                      check_undefined_grad=False, fast_mode=fast_mode)
        assert lib.autograd.gradgradcheck(lambda x, w, lib=lib: (x @ w).sin(), (x, w), check_fwd_over_rev=True)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_gradcheck_catches_a_wrong_jvp_that_backward_alone_misses(fast_mode):
    for lib, _ in LIBS:

        class Wrong(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                ctx.save_for_forward(a)
                return a.exp()

            @staticmethod
            def backward(ctx, g):
                (a,) = ctx.saved_tensors
                return g * a.exp()

            @staticmethod
            def jvp(ctx, t):
                (a,) = ctx.saved_tensors
                return t * a.exp() * 1.01

        x, _ = _gradcheck_inputs(lib)
        assert lib.autograd.gradcheck(Wrong.apply, (x,), fast_mode=fast_mode)
        assert not lib.autograd.gradcheck(Wrong.apply, (x,), check_forward_ad=True, raise_exception=False,
                                          fast_mode=fast_mode)
        with pytest.raises(lib.autograd.gradcheck.__globals__["GradcheckError"], match="forward mode mismatch"):
            lib.autograd.gradcheck(Wrong.apply, (x,), check_forward_ad=True, fast_mode=fast_mode)


def test_is_grads_batched_gives_torch_jacobians_and_hessians():
    rng = np.random.default_rng(2)
    a = rng.standard_normal(3)
    results = []
    for lib, _ in LIBS:
        x = lib.tensor(a, requires_grad=True)
        w = lib.tensor(a[:2], requires_grad=True)
        y = (x.sin() * 2).exp()
        (jac,) = lib.autograd.grad(y, x, lib.eye(3, dtype=lib.float64), is_grads_batched=True, retain_graph=True)
        pair = lib.autograd.grad([y, w * 3], [x, w], [lib.eye(3, dtype=lib.float64), lib.ones(3, 2, dtype=lib.float64)],
                                 is_grads_batched=True, retain_graph=True)
        unused = lib.autograd.grad(y, [x, w], lib.eye(3, dtype=lib.float64), is_grads_batched=True, allow_unused=True)
        (gx,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
        (hess,) = lib.autograd.grad(gx, x, lib.eye(3, dtype=lib.float64), is_grads_batched=True)
        assert unused[1] is None
        results.append([jac.detach().numpy(), pair[0].numpy(), pair[1].numpy(), unused[0].numpy(), hess.numpy()])
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("batch", [(), (4,)])
def test_is_grads_batched_through_a_linear_layer_stays_batched(batch):
    # the weight and bias gradients' kernels read .T and .sum of the batched gradient: vmap fell back
    # to a loop and warned about kittygrad's internals ("grad_of_one_row: ops._gemm.rows_outer ...")
    rng = np.random.default_rng(3)
    x0, w0, b0 = rng.standard_normal(batch + (3,)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    results = []
    for lib, _ in LIBS:
        x, w, b = (lib.tensor(v, requires_grad=True) for v in (x0, w0, b0))
        y = lib.nn.functional.linear(x, w, b)
        basis = lib.eye(y.numel(), dtype=lib.float64).reshape((y.numel(),) + tuple(y.shape))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            grads = lib.autograd.grad(y, [x, w, b], basis, is_grads_batched=True)
        results.append([g.numpy() for g in grads])
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_is_grads_batched_refuses_a_grad_output_without_its_batch_dimension():
    messages = []
    for lib in (kitty, torch):
        x = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="If `is_grads_batched=True`, we interpret the first") as info:
            lib.autograd.grad(x * 2, x, lib.ones(3), is_grads_batched=True)
        messages.append(str(info.value).replace("kittygrad.Size", "torch.Size"))
    assert messages[0] == messages[1]


def test_packed_gru_forward_ad_matches_finite_differences():
    """torch cannot push tangents through packing; kittygrad's packed layers run as ops under forward AD."""
    kitty.manual_seed(0)
    gru = kitty.nn.GRU(3, 4).double()
    rng = np.random.default_rng(3)
    xs, ts = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 2, 3))
    lengths = kitty.tensor([5, 3])

    def run(values):
        packed = kitty.nn.utils.rnn.pack_padded_sequence(values, lengths)
        out, h = gru(packed)
        return out.data, h

    with kfwd.dual_level():
        out, h = run(kfwd.make_dual(kitty.tensor(xs, requires_grad=True), kitty.tensor(ts)))
        tangents = [kfwd.unpack_dual(out).tangent.numpy(), kfwd.unpack_dual(h).tangent.numpy()]
    eps = 1e-6
    with kitty.no_grad():
        above, below = run(kitty.tensor(xs + eps * ts)), run(kitty.tensor(xs - eps * ts))
    for tangent, hi, lo in zip(tangents, above, below):
        np.testing.assert_allclose(tangent, (hi.numpy() - lo.numpy()) / (2 * eps), rtol=1e-6, atol=1e-8)
