"""The seed's own API beside torch's: ``kittygrad.Function`` (instance-method custom functions),
``Tensor.version``, ``unsqueeze`` with a tuple, ``broadcast_to(shape=)``, mixed-float ``matmul``,
and the seed README's examples printing what the README says."""
import contextlib
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.errors import KittyTypeError

SEED_README = Path("/work/shared/seed/kittygrad-README.md")

# The README's Gradients example (used when the seed README itself is not on this machine)
GRADIENTS_BLOCK = """\
import kittygrad as kitty

a = kitty.tensor([1, 2, 3], requires_grad=True)
b = a.std()
b.retain_grad()
c = b * kitty.dot(a, a)
print(c)  # tensor(14., grad_fn=<MulBackward>)

c.backward()
print(a.grad)  # tensor([-5.,  4., 13.])
print(b.grad)  # tensor(14.)
"""


def _readme_blocks() -> list[str]:
    if not SEED_README.exists():
        return [GRADIENTS_BLOCK]
    return re.findall(r"```python\n(.*?)```", SEED_README.read_text(), flags=re.S)


def _run_block(code: str, monkeypatch) -> list[str]:
    shown = []
    monkeypatch.setattr(kitty.CompGraph, "view", lambda self, *a, **k: shown.append(self.source))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<seed README>", "exec"), {})
    if "CompGraph" in code:
        assert shown and "digraph" in shown[0]
    return out.getvalue().splitlines()


def test_seed_readme_examples_print_what_the_readme_says(monkeypatch):
    blocks = _readme_blocks()
    assert any("print(c)" in b for b in blocks)
    for code in blocks:
        expected = [m.group(1).strip() for m in re.finditer(r"^print\(.*\)\s*#\s*(.*)$", code, flags=re.M)]
        printed = _run_block(code, monkeypatch)
        assert printed == expected


# ---------------------------------------------------------------------------------------------
# kittygrad.Function: the seed's custom-function style


class Cube(kitty.Function):
    def forward(self, x):
        self.ctx.saved_tensors.append(x)
        return x**3

    def backward(self, grad):
        (x,) = self.ctx.saved_tensors
        return 3 * x**2 * grad


class TorchCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad


class Exp(kitty.Function, output_version_check=True):
    def forward(self, x):
        return x.exp()

    def backward(self, grad):
        return grad * self.ctx.out


class LooseExp(Exp, output_version_check=False):
    pass


def _pair(values, dtype=np.float64):
    arr = np.asarray(values, dtype=dtype)
    return kitty.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)


def test_cube_matches_torch_function_values_and_gradients():
    kx, tx = _pair(np.random.default_rng(0).normal(size=(3, 4)))
    w = np.random.default_rng(1).normal(size=(3, 4))
    ky, ty = Cube()(kx), TorchCube.apply(tx)
    np.testing.assert_allclose(ky.detach().numpy(), ty.detach().numpy())
    (ky * kitty.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy())
    assert ky.grad_fn.name() == "CubeBackward"
    assert "grad_fn=<CubeBackward>" in repr(ky)


def test_forward_runs_under_no_grad_on_tensors_and_f_forward_runs_plain_autograd():
    seen = {}

    class Probe(kitty.Function):
        def forward(self, x, scale=1.0):
            seen["grad"] = kitty.is_grad_enabled()
            seen["type"] = type(x)
            return x * scale

        def backward(self, grad):
            return grad * 2.0

    x = kitty.tensor([1.0, 2.0], requires_grad=True)
    f = Probe()
    y = f(x, scale=2.0)
    assert seen == {"grad": False, "type": kitty.Tensor}
    assert y.grad_fn.name() == "ProbeBackward" and y.tolist() == [2.0, 4.0]
    # calling forward directly is just the ops, with ordinary autograd and their own nodes
    direct = Cube().forward(x)
    assert direct.grad_fn.name() == "PowBackward"
    direct.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_one_instance_used_twice_keeps_each_calls_ctx():
    class Power(kitty.Function):
        def forward(self, x, p):
            self.ctx.p = p
            self.ctx.saved_tensors.append(x)
            return x**p

        def backward(self, grad):
            (x,) = self.ctx.saved_tensors
            p = self.ctx.p
            return p * x ** (p - 1) * grad

    f = Power()
    x = kitty.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y2 = f(x, 2)
    y3 = f(x, 3)
    assert f.ctx.out is y3 and f.ctx.p == 3
    (y2 + y3).sum().backward()
    assert x.grad.tolist() == [2 + 3, 4 + 12, 6 + 27]
    assert f.ctx.out is y3  # backward restores the instance's ctx

    class TorchRule(Power):  # one gradient per argument, None for the int, is accepted too
        def backward(self, grad):
            return super().backward(grad), None

    x.grad = None
    TorchRule()(x, 2).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]

    c = Cube()
    a = kitty.tensor([1.0, 2.0], requires_grad=True)
    b = kitty.tensor([3.0], requires_grad=True)
    ya, yb = c(a), c(b)
    yb.sum().backward()
    ya.sum().backward()
    assert a.grad.tolist() == [3.0, 12.0] and b.grad.tolist() == [27.0]


def test_ctx_out_is_the_output_in_forward_and_backward():
    kx, tx = _pair([0.5, -1.0, 2.0])
    f = Exp()
    y = f(kx)
    assert f.ctx.out is y and f.ctx.saved_tensors == []
    y.sum().backward()
    torch.exp(tx).sum().backward()
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy())


def test_output_version_check_on_and_off():
    x = kitty.tensor([0.0, 1.0], requires_grad=True)
    y = Exp()(x)
    y.add_(1)
    with pytest.raises(RuntimeError, match="ExpBackward is at version 1; expected version 0"):
        y.sum().backward()

    # off (the default, and LooseExp turns it off again): ctx.out is read as it is now
    assert Exp.output_version_check and not LooseExp.output_version_check and not Cube.output_version_check
    x = kitty.tensor([0.0, 1.0], requires_grad=True)
    y = LooseExp()(x)
    y.add_(1)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.0, 1.0]) + 1, rtol=1e-6)

    with pytest.raises(TypeError, match="output_version_check must be True or False"):

        class Bad(kitty.Function, output_version_check="yes"):
            def forward(self, x):
                return x

            def backward(self, grad):
                return grad


def test_saved_tensors_are_version_checked_as_save_for_backward():
    leaf = kitty.tensor([1.0, 2.0], requires_grad=True)
    x = leaf * 1
    y = Cube()(x)
    x.mul_(2)
    with pytest.raises(RuntimeError, match="CubeBackward is at version 1; expected version 0"):
        y.sum().backward()

    class Keeps(kitty.Function):
        def forward(self, x):
            self.ctx.saved_tensors.append(x.tolist())
            return x * 1

        def backward(self, grad):
            return grad

    with pytest.raises(KittyTypeError, match="saved_tensors may hold only Tensors .* item 0 is a list"):
        Keeps()(kitty.ones(2, requires_grad=True))


def test_backward_frees_what_forward_saved_unless_retain_graph():
    x = kitty.tensor([1.0, 2.0], requires_grad=True)
    y = Cube()(x)
    s = y.sum()
    s.backward(retain_graph=True)
    s.backward()
    assert x.grad.tolist() == [6.0, 24.0]
    assert "_seed" not in y.grad_fn.__dict__
    with pytest.raises(RuntimeError, match="second time"):
        s.backward()


def test_several_inputs_and_outputs():
    class MulAdd(kitty.Function):
        def forward(self, a, b):
            self.ctx.saved_tensors += [a, b]
            return a * b, a + b

        def backward(self, g_mul, g_add):
            a, b = self.ctx.saved_tensors
            return g_mul * b + g_add, g_mul * a + g_add

    a = kitty.tensor([1.0, 2.0], requires_grad=True)
    b = kitty.tensor([3.0, 4.0])
    f = MulAdd()
    p, s = f(a, b)
    assert isinstance(f.ctx.out, tuple) and f.ctx.out[0] is p
    (p.sum() + 2 * s.sum()).backward()
    assert a.grad.tolist() == [3.0 + 2, 4.0 + 2] and b.grad is None


def test_double_backward_and_gradcheck_through_seed_functions():
    x = kitty.tensor([0.3, -1.2, 2.0], dtype=kitty.float64, requires_grad=True)
    assert kitty.autograd.gradcheck(Cube(), (x,))
    assert kitty.autograd.gradgradcheck(Cube(), (x,))
    assert kitty.autograd.gradgradcheck(Exp(), (x,))  # ctx.out takes part in the gradient's graph
    (g,) = kitty.autograd.grad(Cube()(x).sum(), x, create_graph=True)
    (gg,) = kitty.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy())


def test_seed_function_inside_a_seed_function():
    class Outer(kitty.Function):
        def forward(self, x):
            self.ctx.saved_tensors.append(x)
            return Cube()(x) * 2  # (under no_grad: no inner graph)

        def backward(self, grad):
            (x,) = self.ctx.saved_tensors
            return 6 * x**2 * grad

    x = kitty.tensor([1.0, 2.0], requires_grad=True)
    y = Outer()(x)
    assert y.grad_fn.name() == "OuterBackward" and y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 24.0]


def test_a_subclass_without_backward_or_forward_cannot_be_instantiated():
    class NoBackward(kitty.Function):
        def forward(self, x):
            return x

    class NoForward(kitty.Function):
        def backward(self, grad):
            return grad

    with pytest.raises(TypeError, match=r"must define backward\(self, grad\)") as e:
        NoBackward()
    assert isinstance(e.value, KittyTypeError)
    with pytest.raises(TypeError, match=r"must define forward\(self, \*args\)"):
        NoForward()
    with pytest.raises(TypeError, match="must define forward.* and backward"):
        kitty.Function()


# (made in the test: set_grad_enabled(False) switches grad off as soon as it is called)
@pytest.mark.parametrize("make", [lambda: kitty.no_grad, kitty.no_grad, lambda: kitty.set_grad_enabled(False), kitty.inference_mode])
def test_no_grad_on_forward_is_an_error_and_on_backward_a_warning(make):
    decorator = make()
    with pytest.raises(RuntimeError, match="forward is decorated with no_grad"):

        class NoGradForward(kitty.Function):
            @decorator
            def forward(self, x):
                return x * 2

            def backward(self, grad):
                return grad * 2

    with pytest.warns(UserWarning, match="backward is decorated with no_grad") as record:

        class NoGradBackward(kitty.Function):
            def forward(self, x):
                return x * 2

            @decorator
            def backward(self, grad):
                return grad * 2

    assert record[0].filename == __file__  # points at the class statement
    x = kitty.tensor([1.0], requires_grad=True)
    NoGradBackward()(x).sum().backward()  # still works at first order
    assert x.grad.tolist() == [2.0]


def test_other_decorators_pass_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class Fine(kitty.Function):
            @kitty.enable_grad()
            def forward(self, x):
                return x * 2

            def backward(self, grad):
                return grad * 2

    assert Fine()(kitty.ones(1, requires_grad=True)).grad_fn.name() == "FineBackward"


def test_torch_style_through_kitty_function_becomes_an_autograd_function():
    class Square(kitty.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = kitty.tensor([3.0], requires_grad=True)
    y = Square.apply(x)
    assert y.grad_fn.name() == "SquareBackward"
    y.sum().backward()
    assert x.grad.tolist() == [6.0]
    assert issubclass(Square, kitty.autograd.Function) and issubclass(Square, kitty.Function)
    assert issubclass(Cube, kitty.Function) and not issubclass(Cube, kitty.autograd.Function)
    assert isinstance(Cube(), kitty.Function) and not issubclass(int, kitty.Function)

    with pytest.raises(TypeError, match="class keywords .* are for the seed style"):

        class Mixed(kitty.Function, output_version_check=True):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad


def test_comp_graph_draws_a_seed_function_as_one_operation():
    x = kitty.tensor([1.0, 2.0], requires_grad=True)
    with kitty.CompGraph() as dot:
        Cube()(x)
    assert "Cube" in dot.source and "PowBackward" not in dot.source


# ---------------------------------------------------------------------------------------------
# Tensor.version, unsqueeze with a tuple, broadcast_to(shape=), mixed-float matmul


def test_version_counts_in_place_changes_shared_with_views():
    for lib in (kitty, torch):
        x = lib.zeros(4)
        v = x[1:]
        w = x.view(2, 2)
        x.add_(1)
        v.mul_(2)
        w[0, 0] = 5.0
        y = x + 1  # an out-of-place op makes a new counter
        if lib is kitty:
            assert x.version == v.version == w.version == x._version == 3 and y.version == 0
        else:
            assert x._version == v._version == w._version == 3 and y._version == 0


@pytest.mark.parametrize(
    "shape, dims",
    [((3,), (0,)), ((3, 4), (0, -1)), ((3,), [2, 0]), ((2, 3), (1, 2, 4)), ((), (0, -1)), ((3,), (-1, -2))],
)
def test_unsqueeze_with_a_tuple_inserts_dims_in_order(shape, dims):
    arr = np.random.default_rng(0).normal(size=shape)
    kx, tx = _pair(arr)
    ky = kx.unsqueeze(dims)
    assert ky.shape == np.expand_dims(arr, tuple(dims)).shape
    # the same as inserting one at a time, in increasing order of position in the result
    n = arr.ndim + len(dims)
    ty = tx
    for d in sorted(d % n for d in dims):
        ty = ty.unsqueeze(d)
    assert tuple(ky.shape) == tuple(ty.shape)
    assert kitty.unsqueeze(kx, tuple(dims)).shape == ky.shape
    w = np.random.default_rng(1).normal(size=tuple(ty.shape))
    (ky * kitty.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy())
    assert ky.grad_fn.name() == "UnsqueezeBackward"
    assert kitty.autograd.gradgradcheck(lambda t: t.unsqueeze(dims) ** 2, (kx,))


def test_unsqueeze_tuple_is_a_view_and_refuses_bad_dims():
    x = kitty.zeros(2, 3)
    y = x.unsqueeze((0, 2))
    y.add_(1)
    assert x.tolist() == [[1.0] * 3] * 2 and x.version == 1
    assert x.unsqueeze(()).shape == x.shape
    with pytest.raises(RuntimeError, match="each dim may appear once"):
        x.unsqueeze((1, -3))  # both are position 1 of the 4-dim result
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-4, 3\], but got 4\)"):
        x.unsqueeze((0, 4))
    assert x.unsqueeze(1).shape == (2, 1, 3)  # an int is torch's unsqueeze


def test_broadcast_to_takes_the_seeds_shape_keyword():
    kx, tx = _pair([[1.0], [2.0], [3.0]])
    ky = kitty.broadcast_to(kx, shape=(2, 3, 4))
    ty = torch.broadcast_to(tx, (2, 3, 4))
    assert ky.shape == ty.shape and kx.broadcast_to(shape=(3, 4)).shape == (3, 4)
    assert kitty.broadcast_to(kx, (3, 4)).shape == kitty.broadcast_to(kx, size=(3, 4)).shape == (3, 4)
    ky.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy())
    with pytest.raises(TypeError, match="exactly one, but got both"):
        kitty.broadcast_to(kx, (3, 4), shape=(3, 4))
    with pytest.raises(TypeError, match="exactly one, but got neither"):
        kx.broadcast_to()


@pytest.mark.parametrize(
    "sa, sb, da, db",
    [
        ((3,), (3,), "float32", "float64"),
        ((2, 3), (3,), "float64", "float32"),
        ((2, 3), (3, 4), "float32", "float64"),
        ((5, 2, 3), (3, 4), "float16", "float32"),
        ((3,), (2, 3, 4), "float64", "float16"),
    ],
)
def test_matmul_promotes_two_float_dtypes_to_the_wider(sa, sb, da, db):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=sa).astype(da), rng.normal(size=sb).astype(db)
    ka, ta = _pair(a, da)
    kb, tb = _pair(b, db)
    wide = torch.promote_types(getattr(torch, da), getattr(torch, db))
    ky = ka @ kb
    ty = ta.to(wide) @ tb.to(wide)  # torch refuses the mix: the seed's autocast casts first
    assert ky.dtype == getattr(kitty, str(wide).split(".")[1])
    tol = 1e-2 if "float16" in (da, db) else 1e-5
    np.testing.assert_allclose(ky.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    w = rng.normal(size=tuple(ty.shape))
    (ky * kitty.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    assert ka.grad.dtype == ka.dtype and kb.grad.dtype == kb.dtype
    np.testing.assert_allclose(ka.grad.numpy(), ta.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(kb.grad.numpy(), tb.grad.numpy(), rtol=tol, atol=tol)
    assert kitty.matmul(ka, kb).dtype == ky.dtype


def test_matmul_keeps_torchs_refusals_for_other_mixes():
    f, d, i = kitty.ones(2, 2), kitty.ones(2, 2, dtype=kitty.float64), kitty.ones(2, 2, dtype=kitty.int64)
    with pytest.raises(RuntimeError, match="same dtype, but got: float != long int"):  # (torch's words)
        f @ i
    with pytest.raises(RuntimeError, match="same dtype"):
        kitty.ones(2, 2, dtype=kitty.int32) @ i
    with pytest.raises(RuntimeError, match="same dtype"):
        kitty.mm(f, d)  # the named 2-D product stays torch's
    x = kitty.tensor([[1.0, 2.0]], requires_grad=True)
    y = x @ kitty.ones(2, 1, dtype=kitty.float64)
    assert y.grad_fn.next_functions[0][0].name() == "ToCopyBackward"
    assert kitty.autograd.gradcheck(lambda a, b: a @ b, (kitty.ones(2, 3, dtype=kitty.float64, requires_grad=True),
                                                         kitty.ones(3, requires_grad=True, dtype=kitty.float64)))
