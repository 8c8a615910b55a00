"""Row passes made faster with the same bits: row-broadcast operands by tiles (``ops._kernels.by_rows``)
at shapes that select the tiled path, leave rows outside a tile, or fall back to NumPy's own; layer
norm's per-row scaling (into its scratch); exact GELU's density from the squares erf's core made; broadcast operands of
add, subtract and multiply copied out before the product (``ops._kernels.by_materializing``); sums
along a run of axes followed by a short one through einsum (``ops._kernels.sum_run``)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.ops import _erf32, _kernels


@pytest.mark.parametrize("shape", [(2048, 96), (32, 64, 96), (1001, 96), (12289, 16), (384, 512), (3, 5, 7)])
@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply, np.divide])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_by_tiles_equal_numpys_broadcast_bit_for_bit(shape, ufunc, dtype):
    rng = np.random.default_rng(len(shape) + shape[-1])
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(shape[-1]).astype(dtype)
    w[0], x.reshape(-1)[-1] = 0.0, np.nan  # (a zero divisor and a NaN: special values go through too)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = ufunc(x, w)
        fresh = _kernels.by_rows(ufunc, x, w)
        in_place = x.copy()
        _kernels.by_rows(ufunc, in_place, w.reshape(1, -1), out=in_place)
    np.testing.assert_array_equal(fresh, expected)
    np.testing.assert_array_equal(in_place, expected)
    assert fresh.dtype == expected.dtype and fresh.flags.c_contiguous


def test_rows_by_tiles_leave_other_layouts_to_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 2048)).astype(np.float32).T  # (not C-contiguous)
    w = rng.standard_normal(96).astype(np.float32)
    np.testing.assert_array_equal(_kernels.by_rows(np.multiply, x, w), x * w)
    column = rng.standard_normal((2048, 1)).astype(np.float32)  # (a per-row operand is no row)
    np.testing.assert_array_equal(_kernels.by_rows(np.multiply, x.copy(), column), x * column)


def test_layer_norm_at_a_tiled_shape_matches_torch():
    """(32, 64, 96): a transformer's activations, whose bias goes through by_rows and weight through
    by_materializing."""
    rng = np.random.default_rng(7)
    data = (rng.standard_normal((32, 64, 96)) * 2 + 3).astype(np.float32)
    w0, b0 = rng.standard_normal(96).astype(np.float32), rng.standard_normal(96).astype(np.float32)
    g0 = rng.standard_normal(data.shape).astype(np.float32)
    ours, theirs = [], []
    for lib, out in ((kitty, ours), (torch, theirs)):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in (data, w0, b0))
        y = lib.nn.functional.layer_norm(x, (96,), w, b)
        y.backward(lib.tensor(g0))
        out.extend(t.detach().numpy() for t in (y, x.grad, w.grad, b.grad))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("shape, axes", [((32, 64, 96), (2,)), ((16, 8, 12, 3), (2, 3)), ((3, 4), (1,))])
def test_layer_norm_scales_rows_with_numpys_bits(shape, axes):
    rng = np.random.default_rng(shape[-1])
    a = rng.standard_normal(shape).astype(np.float32)
    per_row = rng.standard_normal(shape[: len(shape) - len(axes)] + (1,) * len(axes)).astype(np.float32)
    out = np.empty_like(a)
    _kernels.by_materializing(np.multiply, a, per_row, out=out)
    np.testing.assert_array_equal(out, a * per_row)
    in_place = a.copy()  # (an output that is an operand: NumPy's own broadcast, the same values)
    _kernels.by_materializing(np.multiply, in_place, per_row, out=in_place)
    np.testing.assert_array_equal(in_place, a * per_row)


@pytest.mark.parametrize("spread", [1.0, 5.0])  # a GELU's inputs (a small gathered tail) and a tail in most elements
def test_gelu_density_reads_the_squares_the_cdf_left(spread):
    """The derivative GELU keeps reads x * x from the CDF's chunk pass instead of squaring again:
    the pass must leave its scratch holding exactly x * x, the tail's elements too (its work is on
    gathered copies), so that the slope has the bits of squaring again everywhere."""
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(1 << 16) * spread).astype(np.float32)
    x[:5] = [np.nan, np.inf, -np.inf, 0.0, -0.0]
    out, squares = np.empty_like(x), np.empty_like(x)
    with np.errstate(all="ignore"):
        _erf32._cdf_chunk(x, out, squares)
        np.testing.assert_array_equal(squares, x * x)
        cdf, _ = _erf32.gelu_parts(x)
        slope, _ = _erf32.gelu_parts(x, slope=True)
        density = x * x
        density *= np.float32(-0.5)
        np.exp(density, out=density)
        density *= x
        density *= 1 / math.sqrt(2 * math.pi)  # (a Python float: multiplied in float32, as the kernel does)
    np.testing.assert_array_equal(slope, cdf + density)


@pytest.mark.parametrize("big, small", [((32, 16, 256), (256,)), ((32, 16, 256), (32, 16, 1)), ((2048, 96), (2048, 1)),
                                        ((32, 8, 28, 28), (1, 8, 1, 1)), ((64, 200), (1,)), ((8, 8), (8,))])
@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_broadcast_operands_copied_out_first_give_numpys_bits(big, small, ufunc, dtype):
    """Given as is or as a stretched view, on either side, one value everywhere (NumPy's scalar
    loop, left to it) and arrays too small to be served among them."""
    rng = np.random.default_rng(big[-1])
    x = rng.standard_normal(big).astype(dtype)
    s = rng.standard_normal(small).astype(dtype)
    s.reshape(-1)[0] = np.nan
    view = np.broadcast_to(s, big)
    for a, b in ((x, s), (s, x), (x, view), (view, x)):
        ours = _kernels.by_materializing(ufunc, a, b)
        expected = ufunc(a, b)
        np.testing.assert_array_equal(ours, expected)
        assert ours.shape == expected.shape and ours.dtype == expected.dtype


def test_arithmetic_with_a_bias_and_softmax_match_torch_at_served_shapes():
    rng = np.random.default_rng(4)
    x0 = rng.standard_normal((32, 16, 256)).astype(np.float32)
    w0 = rng.standard_normal(256).astype(np.float32)
    results = []
    for lib in (kitty, torch):
        x, w = lib.tensor(x0, requires_grad=True), lib.tensor(w0, requires_grad=True)
        y = (x * w + w - x).softmax(-1) * x
        y.backward(lib.tensor(x0))
        results.append([t.detach().numpy() for t in (y, x.grad, w.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.uint64])
@pytest.mark.parametrize("sides", ["arrays", "a and +0", "+0 and b", "a and -0", "row and array", "two numbers"])
def test_select_blends_the_bits_np_where_picks(dtype, sides):
    """backend.select, as wrapping integer arithmetic on the bit patterns (b + (a - b) * mask, or one
    product beside a +0), gives np.where's values bit for bit: NaNs, infinities, signed zeros,
    integer extremes, broadcast operands."""
    from kittygrad.backend import select

    rng = np.random.default_rng(7)
    shape = (64, 80)  # (above select's np.where threshold)
    mask = rng.random(shape) < 0.5
    if np.dtype(dtype).kind == "f":
        a = rng.standard_normal(shape).astype(dtype) * 100
        b = rng.standard_normal(shape).astype(dtype) * 100
        a.flat[:6] = [np.nan, np.inf, -np.inf, -0.0, 0.0, -np.nan]
        b.flat[:6] = [-np.inf, np.nan, 0.0, np.inf, -0.0, 1.0]
    else:
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        b = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        a.flat[:2], b.flat[:2] = [info.min, info.max], [info.max, info.min]
    zero, negative_zero = np.zeros((), dtype), np.asarray(-0.0 if np.dtype(dtype).kind == "f" else 0, dtype)
    x, y = {"arrays": (a, b), "a and +0": (a, zero), "+0 and b": (zero, b), "a and -0": (a, negative_zero),
            "row and array": (a[:1], b), "two numbers": (a.flat[7], b.flat[9])}[sides]
    got, expected = select(mask, x, y), np.where(mask, x, y)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got.view(np.uint8), expected.view(np.uint8))


@pytest.mark.parametrize("shape, axes", [((32, 80, 48), (1,)), ((1024, 16, 4), (1,)), ((200, 16), (0,)), ((4, 8, 6, 5), (1, 2)),
                                         ((80, 3, 64), (0, 1)), ((5, 7, 255), (1,)), ((3, 9, 2), (0,)), ((2, 1, 3), (1,))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sums_along_runs_of_axes_by_einsum_are_numpys_bits(shape, axes, dtype):
    """``sum_run`` (adjacent axes followed by 2-255 elements, through einsum) gives exactly NumPy's
    sum, special values included, and the kernels above it (sum_leading, sum_along) take it."""
    x = np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype) * 100
    x.reshape(-1)[[0, 4, -1]] = [np.nan, np.inf, -np.inf]
    x.reshape(-1)[3] = -0.0
    for keepdims in (True, False):
        expected = np.add.reduce(x, axis=axes, keepdims=keepdims)
        got = _kernels.sum_run(x, axes, keepdims)
        assert got is not None and got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(_kernels.sum_leading(x, axes, keepdims), expected)
    if len(axes) == 1:
        np.testing.assert_array_equal(_kernels.sum_along(x, axes[0]), np.add.reduce(x, axis=axes[0], keepdims=True))


@pytest.mark.parametrize("case", ["last axis", "one element after", "256 after", "float16", "strided", "apart", "empty",
                                  "ints", "no axes"])
def test_sum_run_leaves_other_sums_to_numpy(case):
    rng = np.random.default_rng(0)
    x, axes = rng.standard_normal((6, 5, 4)).astype(np.float32), (1,)
    if case == "last axis":
        axes = (2,)
    elif case == "one element after":
        x = x[..., :1].copy()
    elif case == "256 after":
        x = rng.standard_normal((3, 4, 256)).astype(np.float32)
    elif case == "float16":
        x = x.astype(np.float16)
    elif case == "strided":
        x = x[:, :, ::2]
    elif case == "apart":
        x, axes = rng.standard_normal((3, 4, 5, 6)).astype(np.float32), (0, 2)
    elif case == "empty":
        x = np.zeros((6, 0, 4), np.float32)
    elif case == "ints":
        x = np.arange(120).reshape(6, 5, 4)
    elif case == "no axes":
        axes = ()
    assert _kernels.sum_run(x, axes, True) is None
    np.testing.assert_array_equal(_kernels.sum_leading(x, axes, True), np.add.reduce(x, axis=axes, keepdims=True))


def test_blocked_leading_sums_take_einsums_block_sums_with_the_same_bits():
    """Over many leading rows sum_leading sums blocks of 64 rows, then the blocks' sums: each
    level's block sums (a middle axis, as einsum sums it) are NumPy's bits."""
    x = np.random.default_rng(3).standard_normal((1000, 3, 10)).astype(np.float32) + 1000
    part, rest = x.reshape(1000, -1), x.shape[1:]
    while part.shape[0] > 64:  # the blocked sum, level by level, with NumPy's own block sums
        whole = part.shape[0] - part.shape[0] % 64
        blocks = np.add.reduce(part[:whole].reshape(whole // 64, 64, -1), axis=1)
        if whole < part.shape[0]:
            blocks = np.concatenate([blocks, np.add.reduce(part[whole:], axis=0, keepdims=True)])
        part = blocks
    np.testing.assert_array_equal(_kernels.sum_leading(x, (0,), False), np.add.reduce(part, axis=0).reshape(rest))


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "var", "mean", "sum"])
def test_reductions_along_a_middle_dim_match_torch(op):
    """The ops whose sums along a middle dim go through einsum (softmax's and log-softmax's row
    sums, var's and mean's): values and gradients as torch's."""
    rng = np.random.default_rng(5)
    x, w = (rng.standard_normal((64, 10, 8)).astype(np.float32) for _ in range(2))
    results = []
    for lib in (kitty, torch):
        t = lib.tensor(x, requires_grad=True)
        out = getattr(lib, op)(t, 1)
        (out * lib.tensor(w if op in ("softmax", "log_softmax") else w[:, 0])).sum().backward()
        results.append((out.detach().numpy(), t.grad.numpy()))
    (ko, kg), (to, tg) = results
    np.testing.assert_allclose(ko, to, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(kg, tg, rtol=1e-5, atol=1e-6)
