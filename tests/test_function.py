"""Custom autograd Functions with torch's API."""
import numpy as np
import pytest
import torch

import kittygrad as kitty


def make_square(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    return Square


def test_custom_function_matches_torch_and_names_its_node():
    for lib in (kitty, torch):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = make_square(lib).apply(x)
        (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        assert x.grad.tolist() == [2.0, -8.0, 18.0]
    y = make_square(kitty).apply(kitty.ones(1, requires_grad=True))
    assert y.grad_fn.name() == "SquareBackward" and "grad_fn=<SquareBackward>" in repr(y)
    # kitty.Function is the seed's style (tests/test_seed_function.py); torch's is autograd.Function
    assert kitty.Function is not kitty.autograd.Function


def test_finite_differences_of_custom_function():
    class Cube(kitty.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g

    x0 = np.array([0.3, -1.2, 2.0])
    x = kitty.tensor(x0, requires_grad=True)
    Cube.apply(x).sum().backward()
    eps = 1e-6
    numeric = [((x0[i] + eps) ** 3 - (x0[i] - eps) ** 3) / (2 * eps) for i in range(3)]
    np.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-6)


def test_needs_input_grad_and_non_tensor_args():
    seen = {}

    class Scale(kitty.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, factor):
            seen["needs"] = ctx.needs_input_grad
            ctx.factor = factor
            return x * y * factor

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor, None, None

    x = kitty.ones(2, requires_grad=True)
    y = kitty.ones(2)
    Scale.apply(x, y, 3.0).sum().backward()
    assert seen["needs"] == (True, False, False)
    assert x.grad.tolist() == [3.0, 3.0]


def test_mark_non_differentiable_and_multiple_outputs():
    class SortLike(kitty.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = kitty.tensor(np.argsort(x.detach().numpy()))
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x[idx], idx

        @staticmethod
        def backward(ctx, g, g_idx):
            (idx,) = ctx.saved_tensors
            out = kitty.zeros(g.shape)
            out[idx] = g
            return out

    x = kitty.tensor([3.0, 1.0, 2.0], requires_grad=True)
    vals, idx = SortLike.apply(x)
    assert vals.requires_grad and not idx.requires_grad
    (vals * kitty.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 1.0, 2.0]


def test_mark_dirty_in_place_function():
    class AddOneInPlace(kitty.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x._data += 1
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    a = kitty.ones(2, requires_grad=True)
    b = a * 2
    version = b._version
    c = AddOneInPlace.apply(b)
    assert c is b and b._version == version + 1 and b.grad_fn.name() == "AddOneInPlaceBackward"
    c.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]


def test_wrong_number_of_gradients_is_a_clear_error():
    class Bad(kitty.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    x, y = kitty.ones(2, requires_grad=True), kitty.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="BadBackward.*incorrect number of gradients.*expected 2, got 1"):
        Bad.apply(x, y).sum().backward()


def _backward_error(lib, returned, first_arg_is_number=False):
    """The error (type, message) a custom backward returning ``returned(g)`` raises in ``lib``."""

    class BadShape(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return returned(g)

    x = lib.ones(2, 3, requires_grad=True)
    try:
        (BadShape.apply(2.0, x) if first_arg_is_number else BadShape.apply(x, 2.0)).sum().backward()
    except RuntimeError as e:
        return str(e)
    return None


@pytest.mark.parametrize("case", ["shape", "shape_after_number", "number", "list", "grad_for_number"])
def test_wrong_gradients_raise_torchs_errors(case):
    returned, first_number = {
        "shape": (lambda g: (g.new_ones(5), None), False),
        "shape_after_number": (lambda g: (None, g.new_ones(5)), True),  # index counts tensor inputs
        "number": (lambda g: (1.0, None), False),
        "list": (lambda g: ([1.0], None), False),
        "grad_for_number": (lambda g: (g, g), False),
    }[case]
    ours = _backward_error(kitty, returned, first_number)
    assert ours is not None and ours == _backward_error(torch, returned, first_number)


def test_a_second_backward_says_torchs_words():
    for lib in (kitty, torch):
        x = lib.ones(2, requires_grad=True)
        y = make_square(lib).apply(x).exp().sum()
        y.backward()
        with pytest.raises(RuntimeError) as info:
            y.backward()
        if lib is kitty:
            ours = str(info.value)
    assert ours == str(info.value)


def test_saved_tensor_modified_in_place_is_detected():
    Square = make_square(kitty)
    x = kitty.ones(2, requires_grad=True)
    h = x * 1
    y = Square.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_set_materialize_grads_false_passes_none_for_unused_outputs():
    def run(lib):
        seen = []

        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x.clone(), x.clone()

            @staticmethod
            def backward(ctx, g1, g2):
                seen.append((g1 is None, g2 is None))
                return g1 if g1 is not None else g2

        x = lib.ones(3, requires_grad=True)
        p, _ = Two.apply(x)
        (p * 2).sum().backward()
        _, q = Two.apply(x)
        (g,) = lib.autograd.grad(q.sum(), x)
        return seen, x.grad.tolist(), g.tolist()

    assert run(kitty) == run(torch) == ([(False, True), (True, False)], [2.0] * 3, [1.0] * 3)


def test_saved_tensors_after_backward_say_torchs_words():
    messages = []
    for lib in (kitty, torch):
        y = make_square(lib).apply(lib.ones(2, requires_grad=True))
        y.sum().backward()
        with pytest.raises(RuntimeError) as info:
            y.grad_fn.saved_tensors
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_node_repr_and_instantiating_a_function_as_torch():
    from kittygrad import _display

    Square = make_square(kitty)
    node = Square.apply(kitty.ones(1, requires_grad=True)).grad_fn
    assert repr(node).startswith(f"<{_display.name}.autograd.function.SquareBackward object at 0x")
    assert repr(make_square(torch).apply(torch.ones(1, requires_grad=True)).grad_fn).startswith(
        "<torch.autograd.function.SquareBackward object at 0x"
    )
    messages = []
    for lib in (kitty, torch):
        with pytest.warns(DeprecationWarning, match="should not be instantiated") as record:
            instance = make_square(lib)()
        assert record[0].filename == __file__
        with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward") as info:
            instance(lib.ones(1))
        messages.append(str(info.value))
    assert messages[0] == messages[1]
