"""gradcheck / gradgradcheck: torch's API, failure messages, fast mode, float64 rule."""
import re
import sys
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.autograd.gradcheck import GradcheckError


def dbl(*shape, seed=0):
    g = np.random.default_rng(seed)
    return kitty.tensor(g.standard_normal(shape), dtype=kitty.float64, requires_grad=True)


class WrongSquare(kitty.autograd.Function):
    """x**2 with a backward that is off by 50%: gradcheck must catch it."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * g


class WrongAtOneElement(kitty.autograd.Function):
    """Identity whose gradient is wrong only for element (1, 2)."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        g = g.clone()
        g[1, 2] = g[1, 2] * 5
        return g


def test_public_names_mirror_torch():
    # torch.autograd.gradcheck is the function; the module stays reachable through sys.modules
    assert callable(kitty.autograd.gradcheck) and kitty.autograd.gradcheck.__name__ == "gradcheck"
    assert callable(kitty.autograd.gradgradcheck)
    module = sys.modules["kittygrad.autograd.gradcheck"]
    assert module.GradcheckError is GradcheckError
    assert issubclass(GradcheckError, RuntimeError)
    import inspect

    for name in ("gradcheck", "gradgradcheck"):
        ours = inspect.signature(getattr(kitty.autograd, name)).parameters
        theirs = inspect.signature(getattr(torch.autograd, name)).parameters
        assert list(ours) == list(theirs)
        for p in theirs:
            assert ours[p].default == theirs[p].default, (name, p)
            assert ours[p].kind == theirs[p].kind, (name, p)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_passes_for_correct_gradients(fast_mode):
    x, w, b = dbl(4, 3), dbl(3, 2, seed=1), dbl(2, seed=2)
    assert kitty.autograd.gradcheck(lambda x, w, b: (x @ w + b).tanh(), (x, w, b), fast_mode=fast_mode)
    # several outputs, one of them not differentiable, plus a non-tensor argument
    assert kitty.autograd.gradcheck(
        lambda x, k: (x.sin() * k, x.sum(), x.argmax()), (x, 3), fast_mode=fast_mode
    )
    assert kitty.autograd.gradcheck(lambda x: x.max(dim=0), (x,), fast_mode=fast_mode)


def test_failure_message_names_indices_and_values():
    x = dbl(3)
    with pytest.raises(GradcheckError) as info:
        kitty.autograd.gradcheck(WrongSquare.apply, (x,))
    msg = str(info.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:")
    assert "analytical:" in msg
    # the worst element: analytic 3x vs numerical 2x at the largest |x|
    k = int(np.argmax(np.abs(x.detach().numpy())))
    assert f"element ({k},) of the input and element ({k},) of the output" in msg
    assert f"analytical {3 * float(x[k])!r} vs numerical" in msg


def test_failure_points_at_the_wrong_element_and_input_index():
    a, b = dbl(2, 3), dbl(2, 3, seed=1)
    with pytest.raises(GradcheckError) as info:
        kitty.autograd.gradcheck(lambda a, b: (a + 1, WrongAtOneElement.apply(b)), (a, b))
    msg = str(info.value)
    assert "for output 1 with respect to input 1" in msg
    assert "element (1, 2) of the input and element (1, 2) of the output" in msg
    numerical = float(re.search(r"analytical 5\.0 vs numerical ([-0-9.e]+)\.", msg).group(1))
    assert numerical == pytest.approx(1.0)


def test_fast_mode_catches_errors_and_reports_slow_mode_values():
    x = dbl(30)
    with pytest.raises(GradcheckError) as info:
        kitty.autograd.gradcheck(WrongSquare.apply, (x,), fast_mode=True)
    msg = str(info.value)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,")
    assert "computed \nin fast mode" in msg and "The max per-element difference (slow mode) is:" in msg
    assert "of the input and element" in msg


def test_raise_exception_false_returns_false():
    assert kitty.autograd.gradcheck(WrongSquare.apply, (dbl(3),), raise_exception=False) is False
    assert kitty.autograd.gradcheck(WrongSquare.apply, (dbl(3),), raise_exception=False, fast_mode=True) is False


def test_float32_input_warns_like_torch():
    x = kitty.randn(3, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kitty.autograd.gradcheck(lambda t: t * 2, (x,), raise_exception=False)
    texts = [str(w.message) for w in caught]
    assert any(t.startswith("Input #0 requires gradient and is not a double precision floating point") for t in texts)


def test_input_errors_match_torch():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        kitty.autograd.gradcheck(lambda t: t * 2, (kitty.ones(3, dtype=kitty.float64),))
    expanded = kitty.ones(1, dtype=kitty.float64).expand(3).detach().requires_grad_()
    with pytest.raises(RuntimeError, match="has a dimension with stride 0"):
        kitty.autograd.gradcheck(lambda t: t * 2, (expanded,))
    with pytest.raises(AssertionError):
        kitty.autograd.gradcheck(lambda t: t, (dbl(2),), check_backward_ad=False)


def test_no_differentiable_outputs():
    x = dbl(3)
    assert kitty.autograd.gradcheck(lambda t: t.detach() * 0, (x,))
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be zero"):
        kitty.autograd.gradcheck(lambda t: t.detach() * 2, (x,))


def test_non_reentrant_backward_is_caught():
    calls = []

    class Drifting(kitty.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g * (1 + 1e-3 * len(calls))

    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        kitty.autograd.gradcheck(Drifting.apply, (dbl(2),), atol=1e-2, rtol=1e-2)


def test_backward_must_scale_with_grad_output():
    class Constant(kitty.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 0

        @staticmethod
        def backward(ctx, g):
            return kitty.zeros_like(g) + 1e-12

    with pytest.raises(GradcheckError, match="backward not multiplied by grad_output"):
        kitty.autograd.gradcheck(Constant.apply, (dbl(2),))


def test_inputs_are_left_unchanged():
    x = dbl(2, 2)
    before = x.detach().numpy().copy()
    kitty.autograd.gradcheck(lambda t: t.exp(), (x,))
    kitty.autograd.gradcheck(lambda t: t.exp(), (x,), fast_mode=True)
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None


def test_fast_mode_is_cheap_for_large_inputs():
    calls = [0]

    def f(t):
        calls[0] += 1
        return (t * t).sum(dim=1)

    kitty.autograd.gradcheck(f, (dbl(50, 40),), fast_mode=True)
    assert calls[0] < 10  # slow mode would call f 4000 times


# ---- gradgradcheck (needs create_graph) --------------------------------------------------------


def test_gradgradcheck_passes_for_smooth_functions():
    x, w = dbl(3, 2), dbl(2, 2, seed=1)
    assert kitty.autograd.gradgradcheck(lambda x, w: (x @ w).tanh(), (x, w))
    assert kitty.autograd.gradgradcheck(lambda x: (x ** 3).sum(), (x,), fast_mode=True)
    assert kitty.autograd.gradgradcheck(lambda x: x.sigmoid() * x, (x,), gen_non_contig_grad_outputs=True)


def test_gradgradcheck_catches_a_wrong_double_backward():
    class CubeWrongSecond(kitty.autograd.Function):
        # first derivative right (3x^2), but computed from a tensor that claims 4x as its gradient
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * SquareWrong.apply(x)

    class SquareWrong(kitty.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 4 * x * g

    x = dbl(3)
    assert kitty.autograd.gradcheck(CubeWrongSecond.apply, (x,))
    assert kitty.autograd.gradgradcheck(CubeWrongSecond.apply, (x,), raise_exception=False) is False


def test_gradgradcheck_matches_torch_on_given_grad_outputs():
    # same verdict as torch for a correct and an explicit grad_outputs
    x = dbl(4)
    v = kitty.tensor([1.0, -2.0, 0.5, 3.0], dtype=kitty.float64, requires_grad=True)
    assert kitty.autograd.gradgradcheck(lambda t: t.exp() * t, (x,), (v,))
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    tv = torch.tensor(v.detach().numpy(), requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda t: t.exp() * t, (tx,), (tv,))


@pytest.mark.parametrize("check", [
    lambda m, x, y: m.autograd.gradgradcheck(lambda a, b: (a.tanh() * b, a.sin()), (x, y)),
    lambda m, x, y: m.autograd.gradgradcheck(m.tanh, (x,), gen_non_contig_grad_outputs=True),
    lambda m, x, y: m.autograd.gradcheck(lambda a, b: (a * b, a.exp()), (x, y), check_batched_grad=True),
    lambda m, x, y: m.autograd.gradcheck(lambda a, b: a * b, (x, y), check_forward_ad=True,
                                         check_batched_forward_grad=True, check_batched_grad=True),
    lambda m, x, y: m.autograd.gradcheck(m.sin, (x,), fast_mode=True),
], ids=["gradgradcheck", "non-contiguous grad_outputs", "batched grad", "batched forward and backward", "fast"])
def test_checks_draw_from_the_global_generator_as_torch(check):
    # torch's gradgradcheck draws its grad_outputs, and the batched checks their vectors, from the
    # global generator (fast mode's vectors from a private one): the numbers a program draws next
    # depend on it
    after = []
    for m in (kitty, torch):
        m.manual_seed(0)
        x = m.randn(2, 3, dtype=m.float64, requires_grad=True)
        y = m.randn(2, 3, dtype=m.float64, requires_grad=True)
        assert check(m, x, y)
        after.append(m.rand(3).tolist())
    assert after[0] == after[1]
