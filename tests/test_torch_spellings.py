"""Everyday spellings torch accepts, run under torch and kittygrad: NumPy integer scalars as sizes
and dims, NumPy's ``axis=``/``keepdims=`` names, tensor attributes, and old names tutorials use."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty

x = "lib.arange(6.).reshape(2, 3)"
SNIPPETS = [
    # NumPy integer scalars where torch takes ints (sizes from np.max(...) + 1, dims from arrays)
    "lib.zeros(np.int64(3))",
    "lib.randn(np.int64(2), 3).shape",
    "lib.full((np.int32(2),), 1.0)",
    f"{x}.reshape(np.int64(3), -1)",
    f"{x}.view(np.int64(3), 2)",
    f"{x}.permute(np.int64(1), 0)",
    f"{x}.repeat(np.int64(2), 1)",
    f"{x}.sum(np.int64(1))",
    f"{x}.sum(lib.tensor(1))",
    f"{x}.unsqueeze(np.int32(0)).shape",
    f"{x}.softmax(np.int64(1))",
    f"lib.cat([{x}, {x}], np.int64(1))",
    f"{x}.max(np.int64(1)).values",
    "lib.nn.Linear(np.int64(3), 2).weight.shape",
    # NumPy's keyword names for dim / keepdim
    f"{x}.max(axis=1).values",
    f"{x}.argmax(axis=1)",
    f"{x}.amax(1, keepdims=True)",
    f"{x}.cumsum(axis=1)",
    f"{x}.std(axis=1)",
    f"{x}.logsumexp(axis=1)",
    f"{x}.softmax(axis=1)",
    f"{x}.all(axis=1)",
    f"{x}.sort(axis=1, descending=True).values",
    f"{x}.topk(1, axis=1).indices",
    f"{x}.unsqueeze(axis=0).shape",
    f"lib.cat([{x}, {x}], axis=1)",
    f"lib.stack([{x}, {x}], axis=1)",
    f"lib.max({x}, axis=1).values",
    f"lib.swapaxes({x}, axis0=0, axis1=1)",
    f"{x}.swapaxes(axis0=0, axis1=1)",
    f"{x}.sum(axis=1, keepdims=True)",
    # attributes
    "lib.zeros(2, 3).nbytes",
    "lib.zeros(2, 3, dtype=lib.float64).itemsize",
    "lib.ones(2).is_sparse",
    "lib.ones(2).layout == lib.strided",
    "lib.ones(2).is_pinned()",
    "(lib.ones(2, requires_grad=True) * 2).output_nr",
    "lib.zeros(2, 3, 4, 5).is_contiguous(memory_format=lib.channels_last)",
    "lib.zeros(2, 3, 4, 5).contiguous(memory_format=lib.channels_last).stride()",
    "lib.zeros(2, 3, 4, 5).contiguous(memory_format=lib.channels_last).is_contiguous(memory_format=lib.channels_last)",
    "lib.zeros(2, 3, 4, 5).clone(memory_format=lib.channels_last).stride()",
    # indices and sizes
    "lib.zeros(3, 2)[[]].shape",
    "lib.zeros(3, 2)[:, []].shape",
    "lib.arange(6.).reshape(3, 2)[range(2)]",
    "lib.Size([2, 3]) * 2",
    "type(2 * lib.Size([2, 3])).__name__",
    "lib.arange(4.).view(lib.int32)",
    "lib.arange(6.).reshape(2, 3).t().view(lib.int32)",
    "lib.arange(4.).view(lib.float16).shape",
    "lib.arange(4.).requires_grad_().view(lib.int32).requires_grad",
    # Python protocol corners
    "1 << lib.tensor([1, 2])", "8 >> lib.tensor([1, 2])", "reversed(lib.arange(3))",
    "lib.arange(0, 5, 1.5, dtype=lib.int64)", "lib.arange(1, 4.5, 1, dtype=lib.int64)",
    "lib.unique(lib.tensor([float('nan'), 1.0, float('nan')])).shape",
    # one-element tensors inside a sequence are numbers to tensor()
    "lib.tensor([lib.tensor([1.]), lib.tensor([2.])])",
    "lib.tensor([[lib.tensor([1.])], [lib.tensor([2.])]]).shape",
    # integer powers with negative tensor exponents (NumPy refuses them), in-place casts by category
    "lib.tensor([1, 2, -1, 0, 3]) ** lib.tensor([-1, -2, -3, 2, 0])",
    "2 ** lib.tensor([3, -1])",
    "lib.tensor([-1, 1, 2], dtype=lib.int8) ** lib.tensor([-3, -2, -1], dtype=lib.int8)",
    "lib.tensor([1], dtype=lib.uint8).add_(lib.tensor([1]))",
    "lib.tensor([1], dtype=lib.int8).add_(lib.tensor([300]))",
    "lib.tensor([1], dtype=lib.uint8).sub_(2)",
    # sizes as a keyword, as torch's argument parser takes them
    "lib.zeros(size=(2, 3)).shape", "lib.ones(size=[2]).shape", "lib.rand(size=(2,)).shape",
    "lib.arange(6.).new_zeros(size=(2,)).shape", f"{x}.view(size=(3, 2)).shape", f"{x}.reshape(shape=(3, 2)).shape",
    f"{x}.permute(dims=(1, 0)).shape", f"{x}.expand(size=(2, 2, 3)).shape", f"{x}.repeat(repeats=(2, 1)).shape",
    # NumPy scalars where torch takes a number (fills, bounds, setitem, arange, alpha)
    "lib.full((2,), np.int64(3))",
    "lib.arange(5.).clamp(max=np.float32(2.5))",
    "lib.where(lib.arange(3.) > 1, lib.arange(3.), np.int32(7))",
    "(lambda t: (t.__setitem__(0, np.int64(3)), t)[1])(lib.zeros(3))",
    "(lambda t: (t.__setitem__(0, -1), t)[1])(lib.zeros(2, dtype=lib.uint8))",
    "lib.arange(np.float32(3))",
    "lib.arange(np.int64(2), np.int64(5))",
    "lib.add(lib.zeros(2), lib.ones(2), alpha=np.float64(2))",
    "lib.arange(3) * np.int64(2)",
    # Python ints wrap into integer dtypes (two's complement), in arithmetic and in fills
    "lib.tensor([1, 2], dtype=lib.uint8) + (-2)",
    "lib.tensor([1, 2], dtype=lib.uint8) - 3",
    "-1 - lib.tensor([1], dtype=lib.uint8)",
    "lib.tensor([1, 2], dtype=lib.int8) * 1000",
    "lib.tensor([1], dtype=lib.int16) + 70000",
    "lib.full((2,), -1, dtype=lib.uint8)",
    "lib.tensor([1], dtype=lib.uint8).fill_(-1)",
    "lib.tensor([1, 2], dtype=lib.uint8).masked_fill(lib.tensor([True, False]), -128)",
    "lib.tensor([1], dtype=lib.uint8).fill_(-129)",
    # names tutorials use
    "lib.random.default_generator is lib.default_generator",
    "issubclass(lib.optim.lr_scheduler._LRScheduler, lib.optim.lr_scheduler.LRScheduler)",
]


def _plain(value):
    if isinstance(value, (torch.Tensor, kitty.Tensor)):
        return (str(value.dtype).split(".")[-1], value.tolist())
    if isinstance(value, (torch.Size, kitty.Size)):
        return tuple(value)
    return value


@pytest.mark.parametrize("code", SNIPPETS)
def test_torch_spelling_runs_the_same(code):
    want, got = [_plain(eval(code, {"lib": lib, "np": np})) for lib in (torch, kitty)]
    if isinstance(want, tuple) and len(want) == 2 and isinstance(want[0], str) and want[0].startswith("float"):
        assert got[0] == want[0] and np.allclose(got[1], want[1], rtol=1e-6)
    else:
        assert got == want


@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kittygrad"])
def test_pin_memory_without_an_accelerator_is_refused(lib):
    assert lib.ones(2).is_pinned() is False
    with pytest.raises(RuntimeError, match="accelerator"):
        lib.ones(2).pin_memory()


def test_both_dim_and_its_alias_is_an_error():
    with pytest.raises(TypeError):
        kitty.ones(2, 3).max(dim=1, axis=1)


@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kittygrad"])
def test_fork_rng_restores_the_default_generator(lib):
    lib.manual_seed(0)
    first = lib.rand(3)
    lib.manual_seed(0)
    with lib.random.fork_rng():
        lib.rand(7)
    assert lib.rand(3).tolist() == first.tolist()


@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kittygrad"])
def test_deprecated_init_names_warn_and_initialise(lib):
    w = lib.empty(3, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.nn.init.constant(w, 0.5)
        lib.nn.init.xavier_uniform(w)
    assert [c.category for c in caught] == [FutureWarning, FutureWarning]
    assert "nn.init.xavier_uniform_" in str(caught[1].message)
    assert float(w.abs().max()) <= (6 / 7) ** 0.5


@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kittygrad"])
def test_old_style_scheduler_subclass(lib):
    class Halving(lib.optim.lr_scheduler._LRScheduler):
        def get_lr(self):
            return [group["lr"] * (0.5 if self.last_epoch else 1.0) for group in self.optimizer.param_groups]

    opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
    sched = Halving(opt)
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.5]


@pytest.mark.parametrize("code", [
    "lib.ones(3) == lib.ones(2)", "lib.ones(3) > lib.ones(2)", "lib.isclose(lib.ones(3), lib.ones(2))",
    "lib.allclose(lib.ones(3), lib.ones(2))",
])
def test_comparisons_of_shapes_that_do_not_broadcast_raise_runtime_error(code):
    for lib in (torch, kitty):
        with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(2\)"):
            eval(code, {"lib": lib})


@pytest.mark.parametrize("code", [
    "lib.zeros(2, dtype=float).dtype", "lib.tensor([1], dtype=float).dtype", "lib.tensor([np.float64(1.0), 2.0]).dtype",
    "lib.tensor([np.int32(1), np.int32(2)]).dtype", "lib.tensor([np.int32(1), 5]).dtype",
    "lib.tensor([np.float16(1), 2.0]).dtype", "lib.tensor([[np.float64(1)], [2.0]]).dtype",
    "lib.tensor([np.uint8(1), np.int8(1)]).dtype", "lib.tensor([np.int64(1), 2.5]).dtype",
    "lib.tensor([lib.tensor(1.0, dtype=lib.float64), 2.0]).dtype", "lib.tensor([1.0, 2]).dtype",
])
def test_dtype_inference_follows_torch(code):
    names = [str(eval(code, {"lib": lib, "np": np})).split(".")[-1] for lib in (torch, kitty)]
    assert names[1] == names[0]


@pytest.mark.parametrize("lib", [torch, kitty], ids=["torch", "kittygrad"])
def test_cumsum_accumulates_wider_than_float32(lib):
    assert lib.ones(2**25).cumsum(0)[-1].item() == 2**25
    assert abs(lib.ones(10**6).mul(0.1).cumsum(0)[-1].item() - 1e5) < 1.0
    assert lib.ones(5000, dtype=lib.float16).cumsum(0)[-1].item() == 5000
    x = lib.ones(4, requires_grad=True)
    x.cumsum(0).sum().backward()
    assert x.grad.tolist() == [4.0, 3.0, 2.0, 1.0]


@pytest.mark.parametrize("code", [
    "lib.cumsum(lib.tensor([True, False, True]), 0, dtype=lib.int32)",
    "lib.tensor([1, 2, 3], dtype=lib.int32).cumsum(0)",
    "lib.tensor([200, 100], dtype=lib.uint8).cumsum(0, dtype=lib.uint8)",
    "lib.cumprod(lib.tensor([3, 4], dtype=lib.int8), 0, dtype=lib.int16)",
    "lib.tensor([2, 3], dtype=lib.int16).cumprod(0)",
    "lib.tensor([100, 100, 100]).sum(dtype=lib.int8)",  # wraps in int8, as torch (NumPy would widen)
    "lib.sum(lib.tensor([[100, 100], [100, 27]]), 0, dtype=lib.int8)",
    "lib.tensor([100, 100], dtype=lib.int8).sum(dtype=lib.int16)",
    "lib.tensor([True, True]).sum(dtype=lib.uint8)",
])
def test_integer_sums_cumsum_and_cumprod_keep_the_dtype_asked_for(code):
    out = [eval(code, {"lib": lib}) for lib in (torch, kitty)]
    assert str(out[1].dtype).split(".")[-1] == str(out[0].dtype).split(".")[-1]
    assert out[1].tolist() == out[0].tolist()



@pytest.mark.parametrize("code", [
    "lib.ones(100000, dtype=lib.float16).norm()", "lib.arange(300.).half().std()", "lib.arange(300.).half().var()",
    "lib.linalg.vector_norm(lib.arange(300.).half(), 3)",
])
def test_float16_norms_and_variances_accumulate_in_float32_like_torch(code):
    want, got = (eval(code, {"lib": lib}) for lib in (torch, kitty))
    assert str(got.dtype).endswith("float16") and got.item() == want.item()


NODE_EXPRESSIONS = [
    "x + 2", "x * x", "(x * 3).mean()", "x.sum()", "x.sum(1)", "x.mean(0)", "x @ x", "x.relu()", "x.exp()",
    "x ** 2", "x.pow(x)", "x.max()", "x.softmax(1)", "x.log_softmax(1)", "x.view(4)", "x.reshape(4)",
    "x.unsqueeze(0)", "x.transpose(0, 1)", "x.t()", "x.T", "x.mT", "x.tanh()", "x.sigmoid()", "x - 1", "x / 2", "lib.cat([x, x])",
    "x.clone()", "x[0]", "x[:, 0]", "x[0:1]", "x[None]", "x.flatten()", "x.expand(3, 2, 2)", "x.unsqueeze(0).squeeze(0)",
    "x.unsqueeze(0).squeeze()", "lib.stack([x, x])", "x.abs()", "2 * x", "x.permute(1, 0)", "x.norm()",
    "lib.nn.functional.linear(x, x, x[0])", "lib.nn.functional.linear(x, x)", "lib.nn.functional.linear(x[0], x)",
    "lib.nn.functional.cross_entropy(x, lib.tensor([0, 1]))", "lib.nn.functional.mse_loss(x, x.detach())",
]


@pytest.mark.parametrize("code", NODE_EXPRESSIONS)
def test_under_the_runner_backward_nodes_print_torch_s_names(code, monkeypatch):
    from kittygrad import _display

    names = []
    for lib in (torch, kitty):
        x = lib.ones(2, 2, requires_grad=True)
        names.append(eval(code, {"lib": lib, "x": x}).grad_fn.name())
    monkeypatch.setattr(_display, "name", "torch")
    x = kitty.ones(2, 2, requires_grad=True)
    node = eval(code, {"lib": kitty, "x": x}).grad_fn
    assert node.name() == names[0] and repr(node).startswith(f"<{names[0]} object at ")
    monkeypatch.setattr(_display, "name", "kittygrad")
    assert names[1] == node.name() and not names[1][-1].isdigit() or names[1] == "MaxBackward1"  # the seed's names


SHAPED_NODE_EXPRESSIONS = [
    "F.max_pool1d(x3, 2)", "F.max_pool2d(x4, 2)", "F.max_pool2d(x4[0], 2)", "F.max_pool3d(x5, 2)",
    "F.max_pool2d(x4, 2, return_indices=True)[0]", "F.avg_pool1d(x3, 2)", "F.avg_pool2d(x4, 2)", "F.avg_pool3d(x5, 2)",
    "F.adaptive_avg_pool1d(x3, 1)", "F.adaptive_avg_pool2d(x4, 1)", "F.adaptive_avg_pool2d(x4, 3)",
    "F.adaptive_avg_pool3d(x5, 1)", "F.adaptive_avg_pool3d(x5, 2)", "F.adaptive_max_pool1d(x3, 1)",
    "F.adaptive_max_pool2d(x4, 1)", "F.adaptive_max_pool3d(x5, 2)", "F.interpolate(x3, scale_factor=2)",
    "F.interpolate(x4, scale_factor=2)", "F.interpolate(x5, scale_factor=2)", "F.interpolate(x3, scale_factor=2, mode='linear')",
    "F.interpolate(x4, size=(5, 5), mode='bilinear')", "F.interpolate(x4, scale_factor=2, mode='bicubic')",
    "F.interpolate(x5, scale_factor=2, mode='trilinear')", "F.interpolate(x4, scale_factor=2, mode='nearest-exact')",
    "F.interpolate(x4, size=(3, 3), mode='area')", "x4.prod(1)", "x4.prod()", "x4.permute(0, 2, 3, 1).reshape(2, -1)",
    "F.cross_entropy(x4[:, :, 0, 0], lib.tensor([0, 1]), label_smoothing=0.1)",
    "F.instance_norm(x4)", "F.rms_norm(x3, (6,))", "F.pixel_shuffle(x4[:, :1].expand(2, 4, 6, 6), 2)",
    "F.pixel_unshuffle(x4, 2)", "F.unfold(x4, 2)", "F.fold(F.unfold(x4, 2), (6, 6), 2)", "F.celu(x3, 2.0)",
    "F.glu(x3)", "F.softsign(x3)", "F.prelu(x4, lib.ones(3))", "F.threshold(x3, 0.1, 0.0)",
    "F.bilinear(x3, x3, lib.ones(2, 6, 6), lib.ones(2))", "F.bilinear(x3[0], x3[0], lib.ones(2, 6, 6))",
    "lib.baddbmm(x3[:, :, :3], x3, x3.transpose(1, 2))", "lib.nn.LSTMCell(6, 2)(x3[0])[0]", "lib.nn.LSTMCell(6, 2)(x3[0])[1]",
    "lib.nn.GRUCell(6, 2)(x3[0])", "lib.nn.RNNCell(6, 2)(x3[0])", "lib.nn.RNNCell(6, 2, nonlinearity='relu')(x3[0, 0])",
]


@pytest.mark.parametrize("code", SHAPED_NODE_EXPRESSIONS)
def test_under_the_runner_pooling_resizing_and_reduction_nodes_print_torch_s_names(code, monkeypatch):
    # a printed activation shows its node: torch names pools and resizes by their dims and mode
    from kittygrad import _display

    monkeypatch.setattr(_display, "name", "torch")
    names = []
    for lib in (torch, kitty):
        lib.manual_seed(0)
        xs = {f"x{n}": lib.randn(*(2, 3, 6, 6, 6)[:n], requires_grad=True) for n in (3, 4, 5)}
        names.append(eval(code, {"lib": lib, "F": lib.nn.functional, **xs}).grad_fn.name())
    assert names[1] == names[0]


def test_a_custom_function_node_has_no_overload_number_under_the_runner(monkeypatch):
    from kittygrad import _display

    class Double(kitty.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    monkeypatch.setattr(_display, "name", "torch")
    assert Double.apply(kitty.ones(2, requires_grad=True)).grad_fn.name() == "DoubleBackward"


def test_a_scheduler_state_saved_by_torch_resumes_without_a_spurious_warning():
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    t_sched = torch.optim.lr_scheduler.StepLR(t_opt, 2)
    for _ in range(3):
        t_opt.step()
        t_sched.step()
    k_opt = kitty.optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1)
    k_sched = kitty.optim.lr_scheduler.StepLR(k_opt, 2)
    k_opt.load_state_dict(t_opt.state_dict())
    k_sched.load_state_dict(t_sched.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (the step-order warning must not fire after a resume)
        t_sched.step()  # a resumed scheduler may step before this process's first optimizer step
        k_sched.step()
        for _ in range(2):
            t_opt.step()
            t_sched.step()
            k_opt.step()
            k_sched.step()
    assert k_sched.get_last_lr() == pytest.approx(t_sched.get_last_lr())


@pytest.mark.parametrize("code", [
    "lib.tensor([1], dtype=lib.uint8).clamp(-1, 300)", "lib.full((1,), 256, dtype=lib.uint8)",
    "lib.tensor([1], dtype=lib.int8).fill_(255)", "lib.full((1,), -129, dtype=lib.int8)",
    "lib.tensor([1], dtype=lib.uint8).masked_fill(lib.tensor([True]), 300)",
])
def test_a_bound_or_fill_outside_an_integer_dtype_is_an_error_not_a_wrap(code):
    for lib in (torch, kitty):
        with pytest.raises(RuntimeError, match="value cannot be converted to type u?int8"):
            eval(code, {"lib": lib})


@pytest.mark.parametrize("code,pattern", [
    ("lib.tensor([2, 3]) ** -1", "Integers to negative integer powers are not allowed"),
    ("lib.tensor([lib.tensor([1., 2.]), lib.tensor([2., 3.])])", "only one element tensors"),
    ("lib.arange(5.)[::-1]", "step must be greater than zero"),
    ("lib.arange(0, 2, 0.5, dtype=lib.int64)", "step must be nonzero"),
    ("lib.tensor([1]).add_(1.5)", "result type Float can't be cast to the desired output type Long"),
    ("lib.tensor([True]).add_(lib.tensor([1]))", "result type Long can't be cast to the desired output type Bool"),
    # float-valued in-place math on an integer tensor (DLwPT's torch.cos_(a) exercise): refused,
    # not computed in NumPy's float64 nor, for reciprocal_/rsqrt_, truncated back to integers
    ("lib.cos_(lib.tensor([1, 2]))", "^result type Float can't be cast to the desired output type Long$"),
    ("lib.tensor([1, 2]).reciprocal_()", "^result type Float can't be cast to the desired output type Long$"),
    ("lib.tensor([4]).rsqrt_()", "^result type Float can't be cast to the desired output type Long$"),
    ("lib.tensor([4], dtype=lib.uint8).sqrt_()", "^result type Float can't be cast to the desired output type Byte$"),
    ("lib.tensor([1], dtype=lib.int32).sigmoid_()", "^result type Float can't be cast to the desired output type Int$"),
])
def test_integer_errors_are_torch_s(code, pattern):
    for lib in (torch, kitty):
        with pytest.raises((RuntimeError, ValueError), match=pattern):
            eval(code, {"lib": lib})


@pytest.mark.parametrize("code,name", [("lib.tensor([1.]).std()", "std"), ("lib.tensor([1., 2.]).var(correction=2)", "var"),
                                       ("lib.var_mean(lib.tensor([1.]))", "var_mean")])
def test_no_degrees_of_freedom_warns_as_torch(code, name):
    for lib in (torch, kitty):
        with pytest.warns(UserWarning, match=rf"{name}\(\): degrees of freedom is <= 0"):
            eval(code, {"lib": lib})


@pytest.mark.parametrize("sci_mode", [False, True, None])
def test_print_widths_follow_the_notation_printed(sci_mode):
    rows = [[1e-8, 1e8], [1.2e-6, 0.5], [1.0, 2.0, 1e9], [0.001, 12345.6], [1e-5, 2.0]]
    printed = []
    for lib in (torch, kitty):
        lib.set_printoptions(sci_mode=sci_mode)
        try:
            printed.append([repr(lib.tensor(r)).replace("torch", "lib").replace("kittygrad", "lib") for r in rows])
        finally:
            lib.set_printoptions(profile="default")
    assert printed[1] == printed[0]


def test_complex_dtype_names_exist_and_making_one_is_a_clear_error():
    assert kitty.cfloat is kitty.complex64 and kitty.cdouble is kitty.complex128 and kitty.chalf is kitty.complex32
    assert kitty.complex64.is_complex and not kitty.complex64.is_floating_point
    assert kitty.float32 not in (kitty.complex64, kitty.complex128)
    for make in (lambda: kitty.zeros(2, dtype=kitty.complex64), lambda: kitty.ones(2).to(kitty.cfloat),
                 lambda: kitty.nn.Linear(2, 2).to(kitty.complex128), lambda: kitty.tensor([1.0], dtype=kitty.cdouble)):
        with pytest.raises(TypeError, match="kittygrad has no complex dtypes"):
            make()


@pytest.mark.parametrize("code", ["lib.full((1,), float('nan'), dtype=lib.int64)",
                                  "lib.zeros(1, dtype=lib.int64).fill_(float('inf'))",
                                  "lib.zeros(1, dtype=lib.int64).masked_fill(lib.tensor([True]), float('nan'))"])
def test_a_non_finite_fill_of_an_integer_tensor_is_torch_s_error(code):
    for lib in (torch, kitty):
        with pytest.raises(RuntimeError, match="value cannot be converted to type int64_t without overflow"):
            eval(code, {"lib": lib})


def _names_differing(ours, theirs, prefix: str) -> list:
    """The public callables of ``ours`` whose ``__name__`` is not the one torch's of the same name has."""
    out = []
    for name in dir(theirs):
        mine, torchs = getattr(ours, name, None), getattr(theirs, name, None)
        if name.startswith("_") or not callable(torchs) or isinstance(torchs, type) or mine is None:
            continue
        if getattr(torchs, "__name__", None) == name and getattr(mine, "__name__", None) != name:
            out.append(f"{prefix}{name}: {mine.__name__}")
    return out


def test_aliases_are_named_as_called_as_torch_names_them():
    # torch.concat.__name__ is 'concat' (not 'cat'), torch.Tensor.absolute's 'absolute', ...
    assert _names_differing(kitty, torch, "torch.") == []
    assert _names_differing(kitty.Tensor, torch.Tensor, "Tensor.") == []
    assert kitty.cat.__name__ == "cat" and kitty.Tensor.abs.__name__ == "abs"  # the originals keep theirs
    assert kitty.concat([kitty.ones(1), kitty.ones(1)], axis=0).tolist() == [1.0, 1.0]  # (and still work)
