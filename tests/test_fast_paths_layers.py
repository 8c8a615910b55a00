"""The layers' fast paths agree with their general paths and with torch: ``nn.Linear`` reading its
registry, ``F.linear``'s common call, a linear layer's backward on a batch of rows, the bias's
column sums, ReLU against a cached block of zeros, the masked gradient's bits, the optimizer's
step without its context object, and an embedding's weight gradient by bincount.

Each test picks inputs that select the fast path and ones that must not, and compares values,
gradients or errors with torch (or with the general path's bits).
"""
import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.ops import _kernels
from kittygrad.ops._prep import masked_grad
from kittygrad.ops.nn.linear import _column_sums


def test_linear_subclass_with_weight_property_is_read_through_the_attribute():
    """A subclass that defines ``weight`` as a property (tied or computed weights) gets the
    property's value, as torch's ``self.weight`` gives it, not the registered parameter's."""

    def tied(lib):
        class Tied(lib.nn.Linear):
            @property
            def weight(self):
                return self.base * 2

            @weight.setter
            def weight(self, value):
                self.base = value

        lib.manual_seed(0)
        layer = Tied(3, 2)
        with lib.no_grad():
            layer.base = lib.nn.Parameter(lib.ones(2, 3))
            layer.bias.fill_(0.5)
        return layer(lib.ones(1, 3)).tolist()

    assert tied(kitty) == tied(torch) == [[6.5, 6.5]]


def test_linear_reads_a_pruned_or_reassigned_parameter():
    """Pruning takes the weight out of the registry (a plain attribute then): the layer uses it;
    a parameter reassigned through the attribute is the one used."""
    layer = kitty.nn.Linear(3, 2)
    kitty.nn.utils.prune.l1_unstructured(layer, "weight", amount=1.0)
    assert layer(kitty.ones(1, 3)).tolist() == [layer.bias.tolist()]
    layer = kitty.nn.Linear(3, 2)
    layer.weight = kitty.nn.Parameter(kitty.zeros(2, 3))
    layer.bias = None
    assert layer(kitty.ones(1, 3)).tolist() == [[0.0, 0.0]]


@pytest.mark.parametrize("x_dtype, w_dtype, b_dtype", [
    ("float32", "float64", "float64"), ("float64", "float32", "float32"), ("float32", "float32", "float64"),
    ("float64", "float32", None), ("float32", "float64", None),
])
def test_linear_dtype_mismatches_raise_torchs_errors(x_dtype, w_dtype, b_dtype):
    """The common call's fast path takes one dtype only; a mismatch reaches the general path's
    check and torch's words."""
    def run(lib):
        x = lib.ones(2, 3, dtype=getattr(lib, x_dtype))
        w = lib.ones(4, 3, dtype=getattr(lib, w_dtype))
        b = lib.ones(4, dtype=getattr(lib, b_dtype)) if b_dtype else None
        with pytest.raises(RuntimeError) as info:
            lib.nn.functional.linear(x, w, b)
        return str(info.value)

    assert run(kitty) == run(torch)


@pytest.mark.parametrize("x_shape, w_shape", [((2, 3), (4, 2)), ((3,), (4, 2)), ((), (4, 1)), ((2, 3), (4, 3, 1))])
def test_linear_shape_errors_as_torch(x_shape, w_shape):
    def run(lib):
        with pytest.raises(RuntimeError) as info:
            lib.nn.functional.linear(lib.ones(x_shape), lib.ones(w_shape))
        return str(info.value)

    assert run(kitty).split("(")[0] == run(torch).split("(")[0]


@pytest.mark.parametrize("x_shape", [(5, 7), (1, 7), (2, 5, 7), (7,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_backward_on_rows_and_stacks_matches_torch(x_shape, bias):
    """A batch of rows takes the 2-D backward, stacks and single vectors the folded one: both give
    torch's gradients."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((3, 7)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    grads = []
    for lib in (kitty, torch):
        xs, ws = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        bs = lib.tensor(b, requires_grad=True) if bias else None
        out = lib.nn.functional.linear(xs, ws, bs)
        (out * lib.tensor(np.arange(out.numel(), dtype=np.float32).reshape(tuple(out.shape)))).sum().backward()
        grads.append([t.grad.numpy() for t in (xs, ws) + ((bs,) if bias else ())])
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(16, 8), (128, 10), (128, 128), (128, 129), (128, 256), (2048, 96), (700, 300)])
def test_column_sums_have_the_same_bits_by_either_loop(shape):
    """einsum's loop (rows up to 128) and NumPy's reduction (longer rows) add the rows in the same
    order: a bias's gradient has the same bits whichever runs."""
    g = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    ours = _column_sums(g)
    for other in (np.einsum("ij->j", g), g.sum(0)):
        assert ours.dtype == other.dtype and np.array_equal(ours.view(np.int32), other.view(np.int32))
    fortran = np.asfortranarray(g)  # (not C-contiguous: NumPy's own sum, as before)
    assert np.array_equal(_column_sums(fortran), fortran.sum(0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_through_the_cached_block_matches_numpy_at_every_shape(dtype):
    """ReLU's maximum against a block of zeros seen in the input's shape, cached by shape: right
    for each shape and dtype in turn, for NaN and -0, and for a view that is not contiguous."""
    rng = np.random.default_rng(3)
    for shape in [(128, 128), (128, 256), (64, 256), (128, 128), (16_384,), (2, 128, 64)]:
        x = rng.standard_normal(shape).astype(dtype)
        x.reshape(-1)[:3] = [np.nan, -0.0, 0.0]
        ours = _kernels.bounded(np.maximum, x, 0)
        np.testing.assert_array_equal(ours, np.maximum(x, 0))
        assert ours.dtype == x.dtype and ours.shape == x.shape
    strided = rng.standard_normal((256, 256)).astype(dtype)[:, ::2]
    np.testing.assert_array_equal(_kernels.bounded(np.maximum, strided, 0), np.maximum(strided, 0))
    clamped = rng.standard_normal((128, 128)).astype(dtype)
    for bound in (0, 0.5, -1, 2.0):  # (another bound of the same shape: its own block)
        np.testing.assert_array_equal(_kernels.bounded(np.minimum, clamped, bound), np.minimum(clamped, bound))


def test_relu_module_gradients_match_torch_at_a_cached_shape():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((128, 130)).astype(np.float32)
    x[0, :4] = [0.0, -0.0, np.inf, -np.inf]
    results = []
    for lib in (kitty, torch):
        xs = lib.tensor(x, requires_grad=True)
        for _ in range(2):  # (the second call finds the block's view cached)
            xs.grad = None
            out = lib.nn.ReLU()(xs)
            (out * lib.tensor(x)).nan_to_num().sum().backward()
        results.append((out.detach().numpy(), xs.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_masked_grad_keeps_the_bits_and_zeroes_inf_and_nan(dtype):
    rng = np.random.default_rng(5)
    g = rng.standard_normal((40, 30)).astype(dtype)
    g.reshape(-1)[:4] = [np.inf, -np.inf, np.nan, -2.0]
    mask = rng.random((40, 30)) > 0.5
    mask.reshape(-1)[:4] = False
    mask.reshape(-1)[4] = True
    out = masked_grad(mask, g)
    expected = np.where(mask, g, dtype(0))
    assert out.dtype == g.dtype
    assert np.array_equal(out.view(np.uint8), expected.view(np.uint8))  # +0 where masked, never -0 or nan


def test_optimizer_step_restores_the_grad_mode_on_error_and_runs_hooks():
    """The step's no_grad is a switch of the mode, restored when the step raises; hooks still run."""
    w = kitty.tensor([1.0], requires_grad=True)
    opt = kitty.optim.SGD([w], lr=0.1)
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", kitty.is_grad_enabled())))
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", kitty.is_grad_enabled())))

    def closure():
        seen.append(("closure", kitty.is_grad_enabled()))
        raise ValueError("from the closure")

    with pytest.raises(ValueError):
        opt.step(closure)
    assert kitty.is_grad_enabled()
    with kitty.inference_mode():
        w.grad = kitty.tensor([1.0])
        opt.step()
        assert kitty.is_inference_mode_enabled() and not kitty.is_grad_enabled()
    assert kitty.is_grad_enabled() and not kitty.is_inference_mode_enabled()
    assert seen == [("pre", True), ("closure", True), ("pre", False), ("post", False)]
    assert w.tolist() == pytest.approx([0.9])


@pytest.mark.parametrize("count, table, width", [(1, 3, 4), (64, 50, 16), (320, 50, 16), (256, 1000, 32),
                                                 (100, 10000, 64), (2000, 100, 8), (7, 200, 3), (32, 500, 16)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_gradient_by_bincount_sums_each_row_in_float64(count, table, width, dtype):
    # _kernels.rows_added_at serves small gradients into tables of at most 16 rows per row given:
    # float64 gets np.add.at's bits, float32 the float64 sum rounded once; elsewhere it steps aside
    rng = np.random.default_rng(count)
    index = rng.integers(0, table, count)
    index[: count // 2] = index[0]  # a row taken many times
    rows = rng.standard_normal((count, width)).astype(dtype)
    rows[0, 0] = -0.0
    got = _kernels.rows_added_at(index, rows, table)
    serves = 512 <= rows.size < 8192 and table <= 16 * count
    assert (got is not None) == serves
    if got is None:
        return
    exact = np.zeros((table, width))
    np.add.at(exact, index, rows.astype(np.float64))
    assert got.dtype == dtype and got.shape == (table, width)
    np.testing.assert_array_equal(got, exact.astype(dtype))
    assert np.array_equal(np.signbit(got), np.signbit(exact))  # (-0.0 added into a zero bin: +0.0)
    if dtype == np.float64:
        by_add_at = np.zeros((table, width))
        np.add.at(by_add_at, index, rows)
        assert np.array_equal(got, by_add_at) and np.array_equal(np.signbit(got), np.signbit(by_add_at))


@pytest.mark.parametrize("options", [{}, {"padding_idx": 3}, {"scale_grad_by_freq": True}, {"max_norm": 1.0}])
@pytest.mark.parametrize("index_dtype", ["int64", "int32"])
def test_embedding_backward_matches_torch_with_repeated_indices(options, index_dtype):
    rng = np.random.default_rng(7)
    weight = rng.standard_normal((40, 16)).astype(np.float32)
    ids = rng.integers(0, 40, (8, 12))
    ids[:, :3] = 3
    grad = rng.standard_normal((8, 12, 16)).astype(np.float32)
    results = []
    for m in (torch, kitty):
        w = m.tensor(weight, requires_grad=True)
        out = m.nn.functional.embedding(m.tensor(ids, dtype=getattr(m, index_dtype)), w, **options)
        out.backward(m.tensor(grad))
        results.append((out.detach().numpy(), w.grad.numpy()))
    # (max_norm's renormalised rows may differ from torch's in the last bit: its scale's rounding)
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=0 if "max_norm" not in options else 1e-6)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-6, atol=1e-6)


GROUP_NORM_CASES = [  # (input shape, groups, affine, dtype)
    ((4, 6, 5, 7), 3, True, "float32"),
    ((2, 8, 64, 80), 4, True, "float32"),  # rows of 5120: past einsum's 4096, NumPy's sums
    ((3, 4, 9), 1, True, "float64"),
    ((2, 6, 3, 4, 5), 6, True, "float64"),  # a group per channel
    ((5, 4, 11), 2, False, "float32"),
]


@pytest.mark.parametrize("shape, groups, affine, dtype", GROUP_NORM_CASES)
@pytest.mark.parametrize("upstream", ["sum", "weighted", "transposed"])
@pytest.mark.parametrize("need", ["all", "input_only", "params_only"])
def test_group_norm_backward_by_row_sums_matches_torch(shape, groups, affine, dtype, upstream, need):
    """The group-norm layout's backward (Norm._grouped_backward): every gradient against torch,
    for a gradient from ``sum()`` (one value broadcast), a contiguous one and a strided one."""
    rng = np.random.default_rng(len(shape) + groups)
    x = rng.standard_normal(shape) * 3 + 1
    c = shape[1]
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    weights = rng.standard_normal(shape)
    grads = []
    for lib in (torch, kitty):
        dt = getattr(lib, dtype)
        xt = lib.tensor(x, dtype=dt, requires_grad=need != "params_only")
        wt = lib.tensor(w, dtype=dt, requires_grad=need != "input_only") if affine else None
        bt = lib.tensor(b, dtype=dt, requires_grad=need != "input_only") if affine else None
        y = lib.nn.functional.group_norm(xt, groups, wt, bt)
        if upstream == "sum":
            loss = y.sum()
        elif upstream == "weighted":
            loss = (y * lib.tensor(weights, dtype=dt)).sum()
        else:  # a gradient laid out along another axis
            loss = (y.transpose(0, -1).contiguous() * lib.tensor(weights, dtype=dt).transpose(0, -1)).sum()
        if not any(t is not None and t.requires_grad for t in (xt, wt, bt)):
            return
        loss.backward()
        grads.append([None if t is None or t.grad is None else t.grad.numpy() for t in (xt, wt, bt)])
    tol = {"rtol": 2e-4, "atol": 2e-4} if dtype == "float32" else {"rtol": 1e-9, "atol": 1e-9}
    for t_grad, k_grad in zip(*grads):
        assert (t_grad is None) == (k_grad is None)
        if t_grad is not None:
            np.testing.assert_allclose(k_grad, t_grad, **tol)


def test_group_norm_backward_takes_the_row_sums_route(monkeypatch):
    """The route is taken for the group-norm layout and stays out of layer and batch norm's."""
    from kittygrad.ops.nn.normalization import Norm
    taken = []
    original = Norm._grouped_backward

    def spy(self, g, need):
        out = original(self, g, need)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(Norm, "_grouped_backward", spy)
    x = kitty.randn(4, 6, 5, 7, requires_grad=True)
    kitty.nn.GroupNorm(3, 6)(x).sum().backward()
    kitty.nn.LayerNorm(7)(x).sum().backward()
    kitty.nn.BatchNorm2d(6)(x).sum().backward()
    assert taken == [True, False, False]


CONV_GATHER_CASES = [  # (input shape, weight shape, padding, groups): output channels <= input channels, stride 1
    ((2, 4, 9, 8), (4, 4, 3, 3), 1, 1),
    ((2, 6, 10, 9), (3, 6, 5, 5), 2, 1),
    ((2, 6, 7, 8), (6, 2, 3, 3), 0, 3),  # groups
    ((3, 4, 11), (2, 4, 4), "same", 1),  # an even kernel: padding 1 before, 2 after
    ((2, 4, 5, 6, 5), (4, 4, 3, 2, 3), 1, 1),  # conv3d
    ((2, 8, 6, 7), (8, 8, 2, 4), "same", 1),
]


@pytest.mark.parametrize("x_shape, w_shape, padding, groups", CONV_GATHER_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_input_gradient_by_gather_matches_torch(x_shape, w_shape, padding, groups, dtype, monkeypatch):
    """Stride-1 convolutions with no more output than input channels take their input gradient
    from one im2col of the padded output gradient and one GEMM (conv._input_grad_by_gather)."""
    from kittygrad.ops.nn import conv
    taken = []
    original = conv._input_grad_by_gather

    def spy(*args):
        out = original(*args)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(conv, "_input_grad_by_gather", spy)
    rng = np.random.default_rng(len(x_shape) * 10 + w_shape[-1])
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    grads = []
    for lib in (torch, kitty):
        dt = getattr(lib, dtype)
        xt, wt, bt = (lib.tensor(a, dtype=dt, requires_grad=True) for a in (x, w, b))
        fn = getattr(lib.nn.functional, f"conv{len(x_shape) - 2}d")
        out = fn(xt, wt, bt, padding=padding, groups=groups)
        upstream = np.cos(np.arange(np.prod(tuple(out.shape)))).reshape(tuple(out.shape))
        (out * lib.tensor(upstream, dtype=dt)).sum().backward()
        grads.append([t.grad.numpy() for t in (xt, wt, bt)])
    assert taken == [True]
    tol = {"rtol": 1e-4, "atol": 1e-4} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-10}
    for t_grad, k_grad in zip(*grads):
        np.testing.assert_allclose(k_grad, t_grad, **tol)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((2, 3, 8, 8), (6, 3, 3, 3), {}),  # more output channels than input
    ((2, 4, 9, 9), (4, 4, 3, 3), {"stride": 2}),
    ((2, 4, 9, 9), (4, 4, 3, 3), {"dilation": 2}),
    ((2, 4, 9, 9), (4, 4, 1, 1), {}),  # one offset: nothing to gather
    ((2, 4, 6, 6), (4, 4, 3, 3), {"padding": 3}),  # padding as large as the kernel
])
def test_conv_input_gradient_keeps_col2im_elsewhere(x_shape, w_shape, kwargs):
    from kittygrad.ops.nn.conv import _input_grad_by_gather
    g = np.ones((1, 1, 1, 1))
    padding = kwargs.get("padding", 0)
    assert _input_grad_by_gather(
        g, np.zeros(w_shape).reshape(1, w_shape[0], -1), x_shape, w_shape, (kwargs.get("stride", 1),) * 2,
        ((padding, padding),) * 2, (kwargs.get("dilation", 1),) * 2, 1) is None


def test_conv_input_gradient_by_gather_with_a_frozen_weight():
    """Only the input needs a gradient: the gather serves it without the gradient's matrix form."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 6, 9, 8)), rng.standard_normal((4, 6, 3, 3))
    grads = []
    for lib in (torch, kitty):
        xt = lib.tensor(x, requires_grad=True)
        lib.nn.functional.conv2d(xt, lib.tensor(w), padding=1).sin().sum().backward()
        grads.append(xt.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10, atol=1e-10)
