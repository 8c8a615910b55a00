"""Custom Functions in torch's newer style (``forward`` without ctx, ``setup_context``), and custom
Functions inside ``vmap``: their ``vmap`` staticmethod, else the per-sample loop (whose gradients
must be right: a node recorded on batched tensors would have left ``vmap(grad(f))`` all zeros)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty

LIBS = (torch, kitty)


def _functions(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(x, factor=2.0, shift=None):
            out = x * factor
            return out if shift is None else out + shift

        @staticmethod
        def setup_context(ctx, inputs, output):
            _, factor, _ = inputs
            ctx.factor = factor

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor, None, None

    class SortWithIndex(lib.autograd.Function):
        """A NumPy forward: the values sorted, and the (non-differentiable) order."""

        @staticmethod
        def forward(x):
            order = np.argsort(x.numpy(), axis=-1)
            return lib.tensor(np.take_along_axis(x.numpy(), order, -1)), lib.tensor(order)

        @staticmethod
        def setup_context(ctx, inputs, output):
            _, order = output
            ctx.mark_non_differentiable(order)
            ctx.save_for_backward(order)

        @staticmethod
        def backward(ctx, g, _):
            (order,) = ctx.saved_tensors
            return lib.zeros_like(g).scatter(-1, order, g)

        @staticmethod
        def vmap(info, in_dims, x):
            x = x.movedim(in_dims[0], 0) if in_dims[0] is not None else x.expand(info.batch_size, *x.shape)
            return SortWithIndex.apply(x), (0, 0)

    return Scale, SortWithIndex


def test_setup_context_style_matches_torch():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(4)
    results = []
    for lib in LIBS:
        Scale, SortWithIndex = _functions(lib)
        x = lib.tensor(a, requires_grad=True)
        y = Scale.apply(x, 3.0) + Scale.apply(x, shift=lib.ones(4))
        values, order = SortWithIndex.apply(x)
        (y.sum() + (values * lib.arange(4.0)).sum()).backward()
        results.append([y.detach().numpy(), values.detach().numpy(), order.numpy(), x.grad.numpy(),
                        order.requires_grad, values.requires_grad])
    for theirs, ours in zip(*results):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_numpy_of_a_tensor_that_requires_grad_is_allowed_under_no_grad_as_in_torch():
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            assert x.numpy().tolist() == [1.0, 1.0]
        with pytest.raises(RuntimeError, match="Can't call numpy"):
            x.numpy()


def test_a_vmap_staticmethod_runs_on_whole_batches():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 5))
    got = []
    for lib in LIBS:
        _, SortWithIndex = _functions(lib)
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="vmap fell back")  # kittygrad: no loop
            warnings.filterwarnings("ignore", category=UserWarning, module="torch")
            values = lib.func.vmap(lambda t: SortWithIndex.apply(t)[0])(lib.tensor(a))
            grads = lib.func.vmap(lib.func.grad(lambda t: (SortWithIndex.apply(t)[0] * lib.arange(5.0)).sum()))(
                lib.tensor(a))
        got.append([values.numpy(), grads.numpy()])
    for theirs, ours in zip(*got):
        np.testing.assert_allclose(ours, theirs)


def test_a_function_without_a_vmap_rule_loops_and_its_per_sample_gradients_are_right():
    Scale, _ = _functions(kitty)

    class Cube(kitty.autograd.Function):  # the older style (ctx in forward)
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    xs = kitty.tensor([1.0, 2.0, 3.0])
    for fn, want in ((lambda t: Cube.apply(t), 3 * xs ** 2), (lambda t: Scale.apply(t, 5.0), kitty.full((3,), 5.0))):
        with pytest.warns(UserWarning, match="defines no vmap staticmethod"):
            grads = kitty.func.vmap(kitty.func.grad(fn))(xs)
        np.testing.assert_allclose(grads.numpy(), want.numpy())
