"""Fast paths agree with the general computation they replace, at the values that break things.

Each fast path (a power by products, a batched product folded into one GEMM, ...) is selected by
its operands' shapes, dtypes or values; these tests pick operands that select it and compare the
result with torch and with the general path, including 0, -0, negatives, inf and nan.
"""
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad import backend
from kittygrad.ops import _kernels
from kittygrad.ops._kernels import float_power_of

SPECIAL = [0.0, -0.0, -2.0, 3.0, float("inf"), -float("inf"), float("nan"), 1e-30, 1e30, 0.7, -1e20]


def _same_or_one_ulp(ours, ref):
    """Equal where both are nan, of equal sign, and within one unit in the last place elsewhere."""
    both_nan = np.isnan(ours) & np.isnan(ref)
    assert np.array_equal(np.isnan(ours), np.isnan(ref)), (ours, ref)
    close = np.isclose(ours, ref, rtol=2 * np.finfo(ours.dtype).eps, atol=0) | (ours == ref)
    assert (close | both_nan).all(), (ours, ref)
    signs = np.signbit(ours) == np.signbit(ref)
    assert (signs | both_nan).all(), (ours, ref)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("exponent", [0.0, 0.5, 1.0, 2.0, 3.0, -0.5, -1.0, -2.0, 2.5, 4.0])
def test_power_by_products_agrees_with_generic_power_everywhere(dtype, exponent):
    """Value and gradient against NumPy's generic ``power`` at every special value."""
    # 1 / (a * a) is 0 once a * a overflows, where the generic power still gives a subnormal;
    # torch multiplies too (see the next test), so that range is left to the comparison with torch
    values = [v for v in SPECIAL if exponent > -1 or not 1e10 < abs(v) < float("inf")]
    a = np.asarray(values, dtype=dtype)
    b = np.dtype(dtype).type(exponent)
    x = kitty.tensor(values, dtype=getattr(kitty, dtype), requires_grad=True)
    y = x**exponent
    y.backward(kitty.ones(len(values), dtype=x.dtype))
    with np.errstate(all="ignore"):
        generic = a**b
        generic_grad = np.zeros_like(a) if exponent == 0 else b * a ** (b - 1)
        _same_or_one_ulp(float_power_of(np, a, b), generic)
    _same_or_one_ulp(y.detach().numpy(), generic)
    _same_or_one_ulp(x.grad.numpy(), generic_grad)
    assert y.dtype == x.dtype


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("exponent", [0.0, 0.5, 1.0, 2.0, 3.0, -0.5, -1.0, -2.0, 2.5, 4.0])
def test_power_by_products_matches_torch_at_finite_values(dtype, exponent):
    # torch's own sign of (-0) ** -0.5 depends on the tensor's length (vectorised or not), so -0 is
    # compared for whole exponents only
    finite = [v for v in SPECIAL if np.isfinite(v) and (exponent % 1 == 0 or str(v) != "-0.0")]
    x = kitty.tensor(finite, dtype=getattr(kitty, dtype), requires_grad=True)
    t = torch.tensor(finite, dtype=getattr(torch, dtype), requires_grad=True)
    (x**exponent).backward(kitty.ones(len(finite), dtype=x.dtype))
    (t**exponent).backward(torch.ones(len(finite), dtype=t.dtype))
    _same_or_one_ulp((x**exponent).detach().numpy(), (t**exponent).detach().numpy())
    _same_or_one_ulp(x.grad.numpy(), t.grad.numpy())


def test_half_power_divides_by_its_kept_root_only_while_the_result_is_unchanged():
    """``x ** 0.5``'s backward divides by forward's root instead of taking it again; changed in
    place (allowed, as torch's PowBackward0 keeps only the input), the root is taken afresh, so the
    gradient is torch's either way."""
    values = np.random.default_rng(0).random((64, 64)).astype(np.float32) + 0.1
    t = torch.tensor(values, requires_grad=True)
    (t**0.5).sum().backward()
    for change in (False, True):
        x = kitty.tensor(values, requires_grad=True)
        y = x**0.5
        if change:
            with kitty.no_grad():
                y.mul_(3.0)
        y.sum().backward()
        assert np.array_equal(x.grad.numpy(), t.grad.numpy())
    x = kitty.tensor(values, requires_grad=True)
    y = kitty.pow(x, 0.5)
    with kitty.no_grad():
        y.view(-1)[0] = 7.0  # through a view: the shared version counter moves too
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("change", [False, True])
def test_division_gradients_are_torchs_whether_or_not_the_result_changed_in_place(change):
    """Changing a quotient in place is allowed (torch's DivBackward0 keeps only a and b): the
    gradients are torch's either way, at zeros and infinities too."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((64, 64)).astype(np.float32)
    b = rng.standard_normal((64, 64)).astype(np.float32)
    a[0, :4], b[0, :4] = [0.0, 1.0, np.inf, 2.0], [0.0, 0.0, 3.0, np.inf]
    g = rng.standard_normal((64, 64)).astype(np.float32)
    t = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    (t[0] / t[1]).backward(torch.tensor(g))
    k = [kitty.tensor(v, requires_grad=True) for v in (a, b)]
    y = k[0] / k[1]
    if change:
        with kitty.no_grad():
            y.add_(1.0)
    y.backward(kitty.tensor(g))
    for ours, theirs in zip(k, t):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=2e-6, atol=0)


def test_integer_tensor_power_keeps_integer_semantics():
    x = kitty.tensor([-3, 0, 2, 5])
    assert (x**2).tolist() == torch.tensor([-3, 0, 2, 5]).pow(2).tolist()
    assert (x**3).dtype == kitty.int64


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("rows, width, low", [(512, 64, 0), (300, 32, -5), (2048, 8, 0), (4096, 4, 0)])
def test_index_add_by_sparse_product_matches_add_at(rows, width, low, dtype):
    """Row scatter-adds large enough for the sparse product agree with ``np.add.at``; negative
    indices, narrow rows and float16 keep ``add.at``. The target's own values are kept."""
    rng = np.random.default_rng(rows)
    index = rng.integers(low, 40, rows)
    values = rng.standard_normal((rows, width)).astype(dtype)
    start = rng.standard_normal((40, width)).astype(dtype)
    chosen = backend._rows_by_sparse_product(start, index, values)
    assert chosen == (low >= 0 and values.size >= 8192 and width >= 8 and dtype != "float16")
    expected = start.copy()
    np.add.at(expected, index, values)
    tol = {"float64": 1e-12, "float32": 1e-5, "float16": 1e-2}[dtype]
    np.testing.assert_allclose(backend.index_add(start.copy(), index, values), expected, rtol=tol, atol=tol)


def test_embedding_gradient_on_the_sparse_path_matches_torch():
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((100, 64)).astype("float32")
    index = rng.integers(0, 100, (16, 40))
    w = kitty.tensor(weight, requires_grad=True)
    t = torch.tensor(weight, requires_grad=True)
    g = rng.standard_normal((16, 40, 64)).astype("float32")
    kitty.nn.functional.embedding(kitty.tensor(index), w, padding_idx=3).backward(kitty.tensor(g))
    torch.nn.functional.embedding(torch.tensor(index), t, padding_idx=3).backward(torch.tensor(g))
    np.testing.assert_allclose(w.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shapes", [((6, 1, 5), (6, 5, 3)), ((2, 3, 1, 4), (3, 4, 2)), ((1, 1, 4), (5, 4, 2)), ((6, 2, 5), (6, 5, 3))])
def test_stacked_matmul_gradients_by_outer_products(shapes):
    """A stack of one-row matrices times a stack (per-sample weights in vmap) takes the outer-product
    path for the right operand's gradient; other stacks take the contiguous GEMM path."""
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    a[..., 0] = np.inf if shapes[0][-2] == 1 else a[..., 0]  # an infinite entry: inf * g as a GEMM would give it
    g = rng.standard_normal(np.broadcast_shapes(shapes[0][:-2], shapes[1][:-2]) + (shapes[0][-2], shapes[1][-1])).astype(np.float32)
    ka, kb = kitty.tensor(a, requires_grad=True), kitty.tensor(b, requires_grad=True)
    (ka @ kb).backward(kitty.tensor(g))
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (ta @ tb).backward(torch.tensor(g))
    np.testing.assert_allclose(kb.grad.numpy(), tb.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ka.grad.numpy(), ta.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("nan_at", [None, 0, 1, 3])
def test_max_pool_offsets_by_compares_agree_with_torch(nan_at):
    """The offset of each window's maximum (gradient and return_indices), with ties, -inf padding
    and NaN windows (which take the masked running update)."""
    x = np.array([[[[1.0, 1.0, 2.0, -np.inf], [0.5, 1.0, 2.0, 2.0], [3.0, 3.0, 0.0, 0.0], [3.0, 3.0, 0.0, -1.0]]]], np.float32)
    if nan_at is not None:
        x.reshape(-1)[nan_at] = np.nan
        x.reshape(-1)[nan_at + 4] = np.nan
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1}):
        kx, tx = kitty.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ko, ki = kitty.nn.functional.max_pool2d(kx, return_indices=True, **kwargs)
        to, ti = torch.nn.functional.max_pool2d(tx, return_indices=True, **kwargs)
        ko.sum().backward()
        to.sum().backward()
        np.testing.assert_array_equal(ko.detach().numpy(), to.detach().numpy())
        np.testing.assert_array_equal(ki.numpy(), ti.numpy())
        np.testing.assert_array_equal(kx.grad.numpy(), tx.grad.numpy())


def test_tensor_exponent_saves_its_result_as_torch():
    """A tensor exponent keeps the result for the gradients: changing the result in place is then
    an error at backward (torch's too, also for a constant exponent); with a number exponent it
    stays allowed."""
    a0 = np.array([0.0, 0.5, 2.0, 3.0], np.float32)
    b0 = np.array([2.0, -1.5, 0.0, 0.5], np.float32)
    grads = []
    for lib in (kitty, torch):
        a, b = lib.tensor(a0, requires_grad=True), lib.tensor(b0, requires_grad=True)
        (a**b * lib.tensor([1.0, -2.0, 3.0, 0.5])).sum().backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
        y = lib.tensor(a0, requires_grad=True) ** lib.tensor(b0, requires_grad=True)
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
        for make in (lambda: lib.tensor(a0, requires_grad=True) ** lib.tensor(b0), lambda: 2.0 ** lib.tensor(b0, requires_grad=True)):
            y = make()
            y.add_(1)
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                y.sum().backward()
        y = lib.tensor(a0, requires_grad=True) ** 2.5
        y.add_(1)
        y.sum().backward()
    for ours, ref in zip(*grads):
        np.testing.assert_allclose(ours, ref, rtol=1e-6)


def test_layer_norm_fused_row_sums_agree_with_the_strided_path():
    """Contiguous input takes einsum's fused product-sums; a transposed copy of the same values
    takes the product-and-mean path. Both agree with each other and with torch."""
    rng = np.random.default_rng(5)
    data = (rng.standard_normal((6, 5, 64)) * 3 + 7).astype(np.float32)
    w0, b0, g0 = rng.standard_normal(64).astype(np.float32), rng.standard_normal(64).astype(np.float32), rng.standard_normal((6, 5, 64)).astype(np.float32)
    out = []
    for strided in (False, True):
        x = kitty.tensor(data.transpose(1, 0, 2).copy()).transpose(0, 1) if strided else kitty.tensor(data)
        x.requires_grad_(True)
        w, b = kitty.tensor(w0, requires_grad=True), kitty.tensor(b0, requires_grad=True)
        y = kitty.nn.functional.layer_norm(x, (64,), w, b)
        y.backward(kitty.tensor(g0))
        out.append([t.detach().numpy() for t in (y, x.grad, w.grad, b.grad)])
    xt = torch.tensor(data, requires_grad=True)
    wt, bt = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    yt = torch.nn.functional.layer_norm(xt, (64,), wt, bt)
    yt.backward(torch.tensor(g0))
    ref = [t.detach().numpy() for t in (yt, xt.grad, wt.grad, bt.grad)]
    for ours, theirs, torchs in zip(out[0], out[1], ref):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ours, torchs, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@pytest.mark.parametrize("ties", [False, True])
def test_maximum_without_ties_takes_the_counting_path_and_agrees_with_torch(name, ties):
    """No tie and no NaN selects the short path (masks from one comparison each way); a tie or a
    NaN anywhere sends the call to the general one. Both against torch, with broadcasting."""
    rng = np.random.default_rng(9)
    a0 = rng.standard_normal((4, 5)).astype(np.float32)
    b0 = rng.standard_normal((5,)).astype(np.float32)
    if ties:
        a0[1, 2], a0[3, 0] = b0[2], np.nan
    g0 = rng.standard_normal((4, 5)).astype(np.float32)
    out = []
    for lib in (kitty, torch):
        a, b = lib.tensor(a0, requires_grad=True), lib.tensor(b0, requires_grad=True)
        getattr(lib, name)(a, b).backward(lib.tensor(g0))
        out.append((a.grad.numpy(), b.grad.numpy()))
    for ours, ref in zip(*out):
        np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dims", [(0, -1), 1, (0, 1, 2)])
def test_logsumexp_gradient_matches_torch_at_infinities(dims, keepdim):
    """-inf (whole slices of it), inf and nan, and backward run twice with retain_graph."""
    values = np.random.default_rng(3).standard_normal((3, 4, 5)).astype(np.float32)
    values[0, 0, :] = -np.inf  # one slice of -inf (with dims 1 only it fills a slice)
    values[0, :, 0] = -np.inf
    values[1, 2, 3], values[2, 1, 1] = np.inf, np.nan
    upstream = np.random.default_rng(4).standard_normal(torch.logsumexp(torch.tensor(values), dims, keepdim).shape)
    grads = []
    for lib in (kitty, torch):
        x = lib.tensor(values, requires_grad=True)
        y = lib.logsumexp(x, dims, keepdim=keepdim)
        w = lib.tensor(upstream.astype(np.float32))
        (y * w).sum().backward(retain_graph=True)
        first = x.grad.clone()
        (y * w).sum().backward()
        grads.append((first.numpy(), (x.grad - first).numpy()))
    for ours, ref in zip(grads[0], grads[1]):
        np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-7, equal_nan=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [255, 300, 20_000, 1 << 17, (1 << 17) + 5, 3 * (1 << 17)])
@pytest.mark.parametrize("ufunc, value", [(np.maximum, 0), (np.minimum, 0), (np.maximum, -0.5), (np.minimum, 0.7)])
def test_bound_against_a_block_equals_numpys_bound_against_the_number(dtype, size, ufunc, value):
    """``bounded`` (the chunks compared with a cached block) gives NumPy's ``ufunc(x, value)``
    bit for bit: nan and infinities, signed zeros, sizes below, inside and across the block."""
    rng = np.random.default_rng(size)
    x = rng.standard_normal(size).astype(dtype)
    x[: len(SPECIAL)] = SPECIAL
    x[-len(SPECIAL):] = SPECIAL
    for arr in (x, x.reshape(-1, 5)[:, 1:] if size % 5 == 0 else x[::2]):  # contiguous, and not
        ours, ref = _kernels.bounded(ufunc, arr, value), ufunc(arr, value)
        assert ours.dtype == ref.dtype and ours.shape == ref.shape
        assert np.array_equal(ours, ref, equal_nan=True)
        assert np.array_equal(np.signbit(ours), np.signbit(ref))


def test_relu_and_clamp_through_the_block_match_torch():
    """The ops that bound through ``bounded`` (relu, clamp, elu's negative part) against torch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 16, 256)).astype(np.float32)
    x.reshape(-1)[: len(SPECIAL)] = SPECIAL
    k, t = kitty.tensor(x), torch.tensor(x)
    pairs = [
        (kitty.relu(k), torch.relu(t)),
        (kitty.clamp(k, -0.5, 0.7), torch.clamp(t, -0.5, 0.7)),
        (kitty.clamp(k, max=0.25), torch.clamp(t, max=0.25)),
    ]
    for ours, ref in pairs:
        assert np.array_equal(ours.numpy(), ref.numpy(), equal_nan=True)
    np.testing.assert_allclose(kitty.nn.functional.elu(k).numpy(), torch.nn.functional.elu(t).numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_padding_gradient_by_slices_matches_torch(mode, n):
    """reflect / replicate / circular padding sum their gradient back with one slice per side
    (not ``add.at``): every pad width the mode allows at this size, edges included, against torch."""
    rng = np.random.default_rng(n)
    limit = n - 1 if mode == "reflect" else (n if mode == "circular" else n + 2)
    widths = [(lo, hi) for lo in range(limit + 1) for hi in range(limit + 1)]
    for lo, hi in widths:
        x = rng.standard_normal((2, 3, 4, n)).astype(np.float32)
        pads = (lo, hi, 1, 1) if n > 1 or mode != "reflect" else (lo, hi, 0, 0)
        tx = torch.tensor(x, requires_grad=True)
        out = torch.nn.functional.pad(tx, pads, mode=mode)
        w = rng.standard_normal(tuple(out.shape)).astype(np.float32)
        (out * torch.tensor(w)).sum().backward()
        kx = kitty.tensor(x, requires_grad=True)
        (kitty.nn.functional.pad(kx, pads, mode=mode) * kitty.tensor(w)).sum().backward()
        np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5, err_msg=f"{mode} {pads}")


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("shape", [(1, 2, 5, 7), (2, 3, 9), (1, 1, 3, 4, 5)])
def test_nearest_resize_gathers_and_sums_runs_as_torch(mode, shape):
    """Nearest resizing is a gather per axis whose gradient sums each source's run of outputs:
    integer scales (runs of one length, strided slices), fractional ones (uneven runs) and
    downscaling (sources no output reads), against torch's values and gradients."""
    rng = np.random.default_rng(len(shape))
    sizes = [tuple(max(1, int(n * 1.7)) for n in shape[2:]), tuple(max(1, n // 3) for n in shape[2:])]
    for kw in [dict(scale_factor=2), dict(scale_factor=3), dict(scale_factor=0.5), dict(scale_factor=1.5),
               dict(scale_factor=2.7)] + [dict(size=s) for s in sizes]:
        x = rng.standard_normal(shape).astype(np.float32)
        tx = torch.tensor(x, requires_grad=True)
        out = torch.nn.functional.interpolate(tx, mode=mode, **kw)
        w = rng.standard_normal(tuple(out.shape)).astype(np.float32)
        (out * torch.tensor(w)).sum().backward()
        kx = kitty.tensor(x, requires_grad=True)
        ours = kitty.nn.functional.interpolate(kx, mode=mode, **kw)
        (ours * kitty.tensor(w)).sum().backward()
        assert np.array_equal(ours.detach().numpy(), out.detach().numpy()), kw
        np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5, err_msg=str(kw))


@pytest.mark.parametrize("slope", [0.01, 0.2, 0.0, 1.0, 1.5, -0.3])
@pytest.mark.parametrize("nan_input", [False, True])
def test_leaky_relu_slope_factor_matches_torch(slope, nan_input):
    """leaky_relu's backward as ``g * max([x > 0], slope)`` (slopes in [0, 1]) and by select
    otherwise: torch's gradient bit for bit at zeros, infinities, a NaN input and non-finite g."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 40)).astype(np.float32)
    x[0, :6] = [0.0, -0.0, np.inf, -np.inf, 1e-30, -1e-30]
    if nan_input:
        x[1, 0] = np.nan
    g = rng.standard_normal((32, 40)).astype(np.float32)
    g[2, :3] = [np.inf, -np.inf, np.nan]
    kx = kitty.tensor(x, requires_grad=True)
    kitty.nn.functional.leaky_relu(kx, slope).backward(kitty.tensor(g))
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.leaky_relu(tx, slope).backward(torch.tensor(g))
    assert np.array_equal(kx.grad.numpy(), tx.grad.numpy(), equal_nan=True)


@pytest.mark.parametrize("code", ["x.sum(0)", "x.mean(0)", "x.mean(0, keepdim=True)", "x.var(0)", "x.std(0)",
                                  "x.reshape(400, 500, 8).mean((0, 1))", "x.reshape(400, 500, 8).sum(0).sum(0)"])
def test_sums_over_leading_dims_of_many_rows_are_as_accurate_as_torchs(code):
    """NumPy sums along a leading axis row after row (float32 column means of 200,000 rows near
    1000 were 2e-3 off): kittygrad sums blocks of rows, then their sums (ops._kernels.sum_leading)."""
    x64 = np.random.default_rng(0).random((200_000, 8)) + 1000
    x32 = x64.astype(np.float32)
    exact = eval(code, {"x": torch.tensor(x32.astype(np.float64))}).numpy()
    got, theirs = (eval(code, {"x": lib.tensor(x32)}).numpy() for lib in (kitty, torch))
    assert got.shape == theirs.shape and got.dtype == np.float32
    err, torch_err = (float((np.abs(v - exact) / np.abs(exact)).max()) for v in (got, theirs))
    assert err < 1e-6 and err < 10 * torch_err + 1e-7


@pytest.mark.parametrize("shape,axes", [((300, 5), (0,)), ((20, 30, 4), (0, 1)), ((257, 3, 2), (0,)), ((256, 7), (0,)),
                                        ((1000, 3), (1,)), ((9, 1000), (0,))])
def test_sum_leading_is_numpys_sum_where_it_does_not_block(shape, axes):
    a = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    for keepdims in (True, False):
        ours, numpys = _kernels.sum_leading(a, axes, keepdims), np.add.reduce(a, axis=axes, keepdims=keepdims)
        assert ours.shape == numpys.shape and ours.dtype == numpys.dtype
        np.testing.assert_allclose(ours, numpys, rtol=1e-5, atol=1e-5)
        rows = int(np.prod([shape[i] for i in axes]))
        if rows <= 256 or axes != tuple(range(len(axes))):
            assert np.array_equal(ours, numpys)
    strided = a[::2]
    assert np.array_equal(_kernels.sum_leading(strided, (0,), False), np.add.reduce(strided, axis=0))
    ints = np.arange(600).reshape(300, 2)
    assert np.array_equal(_kernels.sum_leading(ints, (0,), False), ints.sum(0))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(2048, 96), (7, 3, 256), (5, 4096), (3, 4097), (1,), (4, 0), (4, 8)])
def test_row_sums_by_einsum_are_as_accurate_as_numpys(dtype, shape):
    """``sum_last`` / ``dot_last`` (einsum along rows up to 4096 long) stay within the error of
    NumPy's pairwise sum of the exact (float64 / longdouble) sums; longer rows, small or empty
    arrays and strided ones take NumPy's own sum, bit for bit."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(dtype) * 10
    b = rng.standard_normal(shape).astype(dtype)
    exact = a.astype(np.longdouble).sum(-1, keepdims=True)
    exact_dot = (a.astype(np.longdouble) * b).sum(-1, keepdims=True)
    ours, dot = _kernels.sum_last(a), _kernels.dot_last(a, b)
    assert ours.shape == exact.shape and ours.dtype == a.dtype and dot.shape == exact.shape
    eps = np.finfo(dtype).eps
    scale = np.abs(a).astype(np.longdouble).sum(-1, keepdims=True) + 1
    assert (np.abs(ours - exact) <= 8 * eps * scale).all()
    assert (np.abs(dot - exact_dot) <= 8 * eps * (np.abs(a * b).astype(np.longdouble).sum(-1, keepdims=True) + 1)).all()
    if a.size < 2048 or shape[-1] > 4096:
        assert np.array_equal(ours, a.sum(-1, keepdims=True))
    strided = a[..., ::2]
    assert np.array_equal(_kernels.sum_last(strided), strided.sum(-1, keepdims=True))


@pytest.mark.parametrize("name", ["relu", "hardtanh", "relu6"])
def test_clipping_activations_pass_the_gradient_at_nan_as_torch(name):
    """torch zeroes relu's and hardtanh's gradient only where the input compares beyond a bound, so
    a NaN input (or output) passes its gradient; at the bounds themselves it is 0."""
    values = [float("nan"), -1.0, 0.0, 2.0, 6.0, 7.0, -0.0, float("inf"), -float("inf")]
    grads = []
    for lib in (torch, kitty):
        x = lib.tensor(values, requires_grad=True)
        getattr(lib.nn.functional, name)(x).backward(lib.ones(len(values)) * 3)
        grads.append(np.asarray(x.grad.tolist()))
    assert np.array_equal(grads[0], grads[1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [1, 7, 4096])
def test_signs_from_comparisons_are_torchs_sign(dtype, size):
    """``signs`` (two comparisons as bytes) is torch's sign bit for bit, 0 at NaN and at -0.0,
    and so are abs's gradient and l1_loss's through it, where NumPy's sign gave NaN."""
    rng = np.random.default_rng(size)
    values = rng.standard_normal(size).astype(dtype)
    values[: min(size, len(SPECIAL))] = SPECIAL[: min(size, len(SPECIAL))]
    ours = _kernels.signs(values)
    ref = torch.sign(torch.tensor(values)).numpy()
    assert ours.dtype == values.dtype and np.array_equal(ours, ref) and np.array_equal(np.signbit(ours), np.signbit(ref))
    for name, call in [("abs", lambda lib, x: x.abs().sum()),
                       ("l1", lambda lib, x: lib.nn.functional.l1_loss(x, lib.zeros_like(x), reduction="sum"))]:
        grads = []
        for lib in (torch, kitty):
            x = lib.tensor(values, requires_grad=True)
            call(lib, x).backward()
            grads.append(x.grad.numpy())
        assert np.array_equal(grads[0], grads[1]), name


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [5, 2048, 4096, 4096 * 3 + 17, 131070])
def test_sum_of_squares_by_rows_is_as_accurate_as_numpys(dtype, size):
    """``sum_of_squares`` (rows of 4096 through einsum, summed pairwise) stays within NumPy's error
    of the exact sum of squares, and mse_loss through it matches torch's."""
    rng = np.random.default_rng(size)
    a = (rng.standard_normal(size) * 3).astype(dtype)
    exact = (a.astype(np.longdouble) ** 2).sum()
    ours = _kernels.sum_of_squares(a)
    assert abs(ours - exact) <= 8 * np.finfo(dtype).eps * exact
    b = rng.standard_normal(size).astype(dtype)
    for reduction in ("mean", "sum"):
        k = kitty.nn.functional.mse_loss(kitty.tensor(a), kitty.tensor(b), reduction=reduction).item()
        t = torch.nn.functional.mse_loss(torch.tensor(a), torch.tensor(b), reduction=reduction).item()
        assert k == pytest.approx(t, rel=32 * float(np.finfo(dtype).eps))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [5, 2048, 4095, 4096, 4096 * 3 + 17, 131070])
def test_sum_of_every_element_by_rows_is_as_accurate_as_torchs(dtype, size):
    """``sum_all`` (rows of 4096 through einsum, summed pairwise; what sum() and mean() of a whole
    tensor use) stays within a few roundings of the exact sum, as torch's does, for values far
    from zero too, and keeps inf, -inf and NaN as NumPy's sum does."""
    rng = np.random.default_rng(size)
    for offset in (0.0, 1000.0):
        a = (rng.standard_normal(size) * 3 + offset).astype(dtype)
        exact = a.astype(np.longdouble).sum()
        scale = np.abs(a).astype(np.longdouble).sum()
        ours = _kernels.sum_all(a)
        assert ours.dtype == a.dtype
        theirs = torch.tensor(a).sum().item()
        bound = max(8 * float(np.finfo(dtype).eps) * float(scale), 2 * abs(theirs - float(exact)))
        assert abs(float(ours) - float(exact)) <= bound
        assert kitty.tensor(a).reshape(1, -1).sum().item() == float(ours)
        assert kitty.tensor(a).mean().item() == pytest.approx(theirs / size, rel=8 * float(np.finfo(dtype).eps) * size ** 0.5)
    special = np.ones(size, dtype)
    special[-1] = np.inf
    assert _kernels.sum_all(special) == np.inf
    special[0] = -np.inf
    with np.errstate(invalid="ignore"):
        assert np.isnan(_kernels.sum_all(special))


def test_sum_leading_of_no_axes_or_every_axis():
    """sum_leading with ``()`` reduces nothing (NumPy's rule), with ``None`` or every axis it sums
    every element (through sum_all), keeping the reduced dims as ones when asked."""
    a = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32)
    assert np.array_equal(_kernels.sum_leading(a, (), False), a)
    for axes in (None, (0, 1)):
        assert _kernels.sum_leading(a, axes, False) == _kernels.sum_all(a)
        assert _kernels.sum_leading(a, axes, True).shape == (1, 1)


def test_row_sum_kernels_keep_numpys_warnings_quiet():
    """Rows where inf meets -inf (NaN sums) warn in NumPy; through the einsum kernels and their
    fallbacks (rows longer than 4096, strided arrays) kittygrad stays quiet, as torch does."""
    long_rows = np.array([[np.inf, -np.inf] * 2500], np.float32)
    rows = np.array([[np.inf, -np.inf] * 1500] * 2, np.float32)
    # (kittygrad's import-time filter set again: pytest drops filters added while it collects)
    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", category=RuntimeWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"kittygrad(\.|$)")
        for a in (long_rows, rows, rows[:, ::2]):
            t = kitty.tensor(a)
            for out in (t.sum(-1), t.mean(-1), kitty.var(t, -1), kitty.softmax(t, -1), kitty.logsumexp(t, -1),
                        kitty.nn.functional.mse_loss(t, t)):
                assert out.shape is not None
    assert [f"{w.message} ({w.filename}:{w.lineno})" for w in caught] == []


@pytest.mark.parametrize("shape", [(312, 416), (5, 100, 7), (2, 64)])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_by_partition_orders_as_the_stable_sort(shape, largest):
    """topk through a partition (k <= n / 4 of a float axis of 64 or more, no NaN) picks and orders
    exactly what the full stable sort does, ties by position included; values equal torch's."""
    rng = np.random.default_rng(len(shape))
    for axis in range(len(shape)):
        n = shape[axis]
        for k in sorted({1, 2, n // 4, n // 4 + 1, n}):
            x = rng.standard_normal(shape).astype(np.float32)
            x[..., ::3] = np.round(x[..., ::3])  # many ties
            x.reshape(-1)[:2] = [0.0, -0.0]
            values, indices = kitty.topk(kitty.tensor(x), k, dim=axis, largest=largest)
            ref = np.take(np.argsort(-x if largest else x, axis=axis, kind="stable"), np.arange(k), axis=axis)
            assert np.array_equal(indices.numpy(), ref), (axis, k)
            expected = torch.topk(torch.tensor(x), k, dim=axis, largest=largest).values.numpy()
            assert np.array_equal(values.numpy(), expected), (axis, k)


# values that meet every branch of the division kernels: signed zeros, infinities, nan, a quotient
# beyond the exact float64 route (1e30 / 0.1), subnormals, integers near 2**24
DIVISION_VALUES = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.5, -3.5, 7.0, 0.1, -0.1, float("inf"), -float("inf"),
                   float("nan"), 1e-45, -1e-45, 1e30, -1e30, 3e38, 16777215.0, -16777213.0]


def _division_operands(dtype):
    """Every pair of DIVISION_VALUES, then random values over eleven decades (all of float16's
    range for float16), with enough elements for the float64 route."""
    rng = np.random.default_rng(0)
    grid_a, grid_b = np.meshgrid(DIVISION_VALUES, DIVISION_VALUES)
    scale_a = rng.choice([1e-3, 1.0, 10.0, 1e4, 1e8] if dtype == "float32" else [1e-3, 1.0, 10.0, 1e3], 4000)
    scale_b = rng.choice([1e-3, 1.0, 10.0, 1e4] if dtype == "float32" else [1e-2, 1.0, 10.0], 4000)
    with np.errstate(over="ignore"):  # (float16 overflows the largest grid values to inf)
        a = np.concatenate([grid_a.ravel(), rng.standard_normal(4000) * scale_a]).astype(dtype)
        b = np.concatenate([grid_b.ravel(), rng.standard_normal(4000) * scale_b]).astype(dtype)
    return a, b


def _bits(x):
    return x.view(np.uint32 if x.dtype == np.float32 else np.uint16)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("divisor", ["array", "number", "row"])
def test_division_kernels_equal_numpys_bit_for_bit(dtype, divisor):
    """fmod and floor division through float64 give NumPy's own float results (its C library
    fmod, its divmod), nan for nan, every other bit equal; a number or broadcast row divisor too.
    (float16's floor division rounds each step to float16, as torch's, where NumPy's runs in
    float32: that one is compared with torch below.)"""
    a, b = _division_operands(dtype)
    if divisor == "number":
        b = 0.7
    elif divisor == "row":
        a, b = a[: a.size // 64 * 64].reshape(-1, 64), b[:64]
    with np.errstate(all="ignore"):
        pairs = [(_kernels.fmod(a, b), np.fmod(a, b))]
        if dtype == "float32":
            pairs.append((_kernels.floor_quotient(a, b), np.floor_divide(a, b)))
        for ours, numpys in pairs:
            assert ours.dtype == numpys.dtype == np.dtype(dtype)
            nan = np.isnan(numpys)
            assert np.array_equal(np.isnan(ours), nan)
            assert np.array_equal(_bits(ours)[~nan], _bits(numpys)[~nan])


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("name", ["fmod", "remainder", "floor_divide"])
def test_division_ops_match_torch_bit_for_bit(name, dtype):
    """fmod, remainder and floor_divide as torch gives them, signed zeros included (a zero
    remainder keeps fmod's sign, the dividend's). Left out: subnormal divisors and quotients beyond
    float32's range, where torch's vectorised fmod gives nan and the exact remainder is returned."""
    a, b = _division_operands(dtype)
    big, tiny = float(np.finfo(dtype).max), float(np.finfo(dtype).tiny)
    with np.errstate(all="ignore"):
        exact_only = (np.abs(b) < tiny) & (b != 0) | (np.abs(a / b.astype(np.float64)) > big)
    a, b = a[~exact_only], b[~exact_only]
    ours = getattr(kitty, name)(kitty.tensor(a), kitty.tensor(b)).numpy()
    theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
    assert ours.dtype == theirs.dtype
    small = getattr(kitty, name)(kitty.tensor(a[-40:]), kitty.tensor(b[-40:])).numpy()  # (NumPy's own below 256)
    np.testing.assert_array_equal(small, getattr(torch, name)(torch.tensor(a[-40:]), torch.tensor(b[-40:])).numpy())
    nan = np.isnan(theirs)
    assert np.array_equal(np.isnan(ours), nan)
    assert np.array_equal(_bits(ours)[~nan], _bits(theirs)[~nan])
    # the gradient of the divisor is minus the rounded quotient, as torch's
    x, y = kitty.tensor(a[:500] + 0.25, requires_grad=True), kitty.tensor(b[:500], requires_grad=True)
    if name != "floor_divide":
        getattr(kitty, name)(x, y).sum().backward()
        tx, ty = torch.tensor(a[:500] + 0.25, requires_grad=True), torch.tensor(b[:500], requires_grad=True)
        getattr(torch, name)(tx, ty).sum().backward()
        np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_reflected_polygamma_agrees_with_scipy_below_zero(n):
    """Negative non-integers go through the reflection formula, and for n >= 1 positive values
    through the Euler-Maclaurin Hurwitz zeta: within 1e-10 of SciPy in float64 (the reflection's
    cancellation near poles and roots; 2e-15 for positive values), the same float32 values, and
    SciPy's values at the integers, zeros, infinities and NaN."""
    scipy_special = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(n)
    x = np.concatenate([-rng.random(3000) * 4, rng.random(3000) * 4, -rng.random(200) * 1e4, rng.random(200) * 1e6,
                        -rng.random(50) * 1e-6, rng.random(50) * 1e-6,
                        [-1.0, -2.0, 0.0, -0.0, -np.inf, np.inf, np.nan, -2.5, -0.5, -1e-30, -1e300, 1e-300, 1e300]])
    with np.errstate(all="ignore"):
        ref = scipy_special.polygamma(n, x) if n else scipy_special.psi(x)
    ours = kitty.polygamma(n, kitty.tensor(x)).numpy()
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(ours[~finite], ref[~finite])
    np.testing.assert_allclose(ours[finite], ref[finite], rtol=1e-10)
    x32 = x[:6000].astype(np.float32)
    with np.errstate(all="ignore"):
        ref32 = (scipy_special.polygamma(n, x32) if n else scipy_special.psi(x32)).astype(np.float32)
    np.testing.assert_allclose(kitty.polygamma(n, kitty.tensor(x32)).numpy(), ref32, rtol=2e-7)


def test_reflected_trigamma_of_a_huge_half_integer_is_pi_squared():
    """SciPy's recurrence would step 4.5e15 times from -4503599627370495.5 up to its asymptotic
    range; the reflection gives pi^2 / sin^2(pi / 2) - psi'(4503599627370496.5) = pi^2 at once.
    (Also the gradient of digamma there, which is what lgamma's double backward reads.)"""
    x = kitty.tensor([-4503599627370495.5], dtype=kitty.float64, requires_grad=True)
    np.testing.assert_allclose(kitty.polygamma(1, x).detach().numpy(), [np.pi**2], rtol=1e-12)
    kitty.digamma(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [np.pi**2], rtol=1e-12)


def test_cumprod_gradient_with_zeros_by_masks_matches_torch():
    """Cumprod's gradient with zeros in a slice (masks around each slice's first zero, no loop
    over positions): torch's values on random slices with zeros, infinities and nan in the input
    and infinite upstream gradients, along either dim, slices of one element included."""
    rng = np.random.default_rng(0)
    for trial in range(400):
        m, n = rng.integers(1, 4), rng.integers(1, 9)
        x = rng.standard_normal((m, n)).astype(np.float32)
        x[rng.random((m, n)) < 0.3] = 0
        if trial % 10 == 0:
            x[rng.random((m, n)) < 0.1] = np.inf
        if trial % 15 == 0:
            x[rng.random((m, n)) < 0.1] = np.nan
        g = rng.standard_normal((m, n)).astype(np.float32)
        if trial % 7 == 0:
            g[rng.random((m, n)) < 0.2] = np.inf
        for dim in (0, 1):
            ours = kitty.tensor(x, requires_grad=True)
            kitty.cumprod(ours, dim).backward(kitty.tensor(g))
            theirs = torch.tensor(x, requires_grad=True)
            torch.cumprod(theirs, dim).backward(torch.tensor(g))
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.maximum, np.minimum, np.logaddexp])
@pytest.mark.parametrize("shape, axis", [((32, 16, 256), 0), ((32, 16, 256), 1), ((32, 16, 256), 2), ((4096, 8), 1), ((8, 4096), 0), ((3, 5), 0)])
def test_running_by_slices_equals_accumulate_bit_for_bit(ufunc, shape, axis):
    """The slice-by-slice running reduction makes accumulate's operations in accumulate's order:
    the same bits, NaN and infinities included, in float32 and in a float64 accumulator."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    x.reshape(-1)[::97] = np.nan
    x.reshape(-1)[::89] = np.inf
    with np.errstate(all="ignore"):
        for dtype in (None, np.float64):
            if ufunc is np.logaddexp and dtype is not None:
                continue
            ours, ref = _kernels.running(ufunc, x, axis, dtype=dtype), ufunc.accumulate(x, axis=axis, dtype=dtype)
            assert ours.dtype == ref.dtype
            np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_vectorised_logaddexp_is_as_accurate_as_torchs_and_keeps_its_special_values(dtype):
    """logaddexp by SIMD passes (the correction term in float64): torch's value at every pair of
    special values (same infinities, nan, overflow-sized values), and on random values an error
    against the float64 result no larger than torch's own, measured in ulps of the result (float64:
    within 1e-14 of torch's)."""
    special = np.array([0, -0.0, 1, -1, np.inf, -np.inf, np.nan, 88, -88, 1e-30, 3e38, -3e38, 0.5, -0.6931472], np.float32)
    grid_a, grid_b = np.meshgrid(special, special)
    rng = np.random.default_rng(0)
    with np.errstate(over="ignore"):
        a = np.concatenate([np.tile(grid_a.ravel(), 2), rng.standard_normal(8000) * 5]).astype(dtype)
        b = np.concatenate([np.tile(grid_b.ravel(), 2), rng.standard_normal(8000) * 5]).astype(dtype)
    ours = kitty.logaddexp(kitty.tensor(a), kitty.tensor(b)).numpy()
    theirs = torch.logaddexp(torch.tensor(a), torch.tensor(b)).numpy()
    n = 2 * special.size**2
    # the special pairs: the same infinities and nan, finite values within a few ulps (NumPy 1.x
    # and 2.x evaluate float64 exp and log1p differently in the last bit)
    finite = np.isfinite(theirs[:n])
    np.testing.assert_array_equal(ours[:n][~finite], theirs[:n][~finite])
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_allclose(ours[:n][finite], theirs[:n][finite], rtol=4 * eps, atol=4 * eps)
    if dtype == "float64":  # (no wider reference at hand: near torch's, to its rounding)
        np.testing.assert_allclose(ours[n:], theirs[n:], rtol=1e-14, atol=1e-14)
        return
    exact = np.logaddexp(a[n:].astype(np.float64), b[n:].astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(dtype)).astype(np.float64)
    our_error, their_error = np.abs(ours[n:] - exact) / ulp, np.abs(theirs[n:] - exact) / ulp
    assert our_error.max() <= their_error.max() and our_error.mean() <= their_error.mean() * 1.05


@pytest.mark.parametrize("shape, repeats, dim", [((32, 16, 8), 2, None), ((3, 4), 3, 1), ((3, 4), 1, 0), ((2, 5, 3), 8, 2), ((2, 3), 2, -1)])
def test_repeat_interleave_gradient_adds_the_copies_in_torchs_order(shape, repeats, dim):
    """Up to 8 copies, repeat_interleave's gradient adds them one by one, in order, as torch's
    backward does: the same bits as torch's."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    ours, theirs = kitty.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = kitty.repeat_interleave(ours, repeats, dim=dim), torch.repeat_interleave(theirs, repeats, dim=dim)
    g = rng.standard_normal(tuple(ref.shape)).astype(np.float32)
    out.backward(kitty.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_next_after_steps_bits_as_numpy_and_torch(dtype):
    info = np.finfo(dtype)
    values = np.array(SPECIAL + [info.max, -info.max, info.smallest_subnormal, -info.smallest_subnormal, info.tiny],
                      dtype=dtype)
    a, b = np.repeat(values, len(values)), np.tile(values, len(values))
    a, b = np.concatenate([a, a, a]), np.concatenate([b, b, b])  # (past the size where the bit steps run)
    with np.errstate(all="ignore"):
        want = np.nextafter(a, b)
    got = _kernels.next_after(a, b)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert got[~np.isnan(got)].tobytes() == want[~np.isnan(want)].tobytes()
    theirs = torch.nextafter(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    ours = kitty.nextafter(kitty.tensor(a), kitty.tensor(b)).numpy()
    assert ours[~np.isnan(ours)].tobytes() == theirs[~np.isnan(theirs)].tobytes()


def test_picks_along_the_last_axis_through_one_flat_index():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 16, 64)).astype(np.float32)  # 8192 elements: the flat path
    x[0, 0, :4] = [np.nan, 1.0, 1.0, -np.inf]
    ours, theirs = kitty.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for op in (lambda m, t: m.sort(t, -1), lambda m, t: m.cummax(t, -1), lambda m, t: m.cummin(t, 2),
               lambda m, t: m.topk(t, 40, -1)):
        (kv, ki), (tv, ti) = op(kitty, ours), op(torch, theirs)
        np.testing.assert_array_equal(kv.detach().numpy(), tv.detach().numpy())
        np.testing.assert_array_equal(ki.numpy(), ti.numpy())
    assert _kernels.take_along(x, np.zeros((8, 16, 3), np.int64), 2).tobytes() == np.take_along_axis(
        x, np.zeros((8, 16, 3), np.int64), 2).tobytes()


@pytest.mark.parametrize("largest", [True, False])
def test_small_k_topk_by_argmax_picks_as_the_stable_sort(largest):
    from kittygrad.ops.sorting import _stable_argsort

    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (6, 200)).astype(np.float32)  # many ties
    x[:, ::7], x[:, ::11] = 0.0, -0.0
    x[0, 3] = np.inf if largest else -np.inf
    for k in (1, 2, 5, 8):
        values, indices = kitty.topk(kitty.tensor(x), k, largest=largest)
        want = _stable_argsort(x, -1, descending=largest)[:, :k]
        np.testing.assert_array_equal(indices.numpy(), want)
        assert values.numpy().tobytes() == np.take_along_axis(x, want, -1).tobytes()


def _two_losses(lib, x, t, y):
    return lib.nn.functional.cross_entropy(x, t) + 0.5 * lib.nn.functional.mse_loss(x, y)


@pytest.mark.parametrize("how", ["plain", "retain", "saved_hooks", "post_hook", "create_graph"])
def test_losses_scale_their_own_buffers_only_on_the_backward_that_reads_them_last(how, monkeypatch):
    """cross_entropy and mse_loss write the gradient into the buffer forward made for backward
    (the exponentials, the difference) when that backward reads it last: a plain backward does,
    a retained graph, saved-tensor hooks, a node post hook and double backward do not. Each way
    gives torch's gradients (a retained graph's three backward passes included)."""
    import kittygrad.ops._prep as prep

    decided = []
    original = prep.owns_saved
    monkeypatch.setattr(prep, "owns_saved", lambda node: decided.append(original(node)) or decided[-1])
    rng = np.random.default_rng(3)
    x0, y0 = rng.standard_normal((6, 5)).astype(np.float32), rng.standard_normal((6, 5)).astype(np.float32)
    t0 = rng.integers(0, 5, 6)
    xt = torch.tensor(x0, requires_grad=True)
    _two_losses(torch, xt, torch.tensor(t0), torch.tensor(y0)).backward()
    x = kitty.tensor(x0, requires_grad=True)
    t, y = kitty.tensor(t0), kitty.tensor(y0)
    runs = 1
    if how == "plain":
        _two_losses(kitty, x, t, y).backward()
    elif how == "retain":
        loss = _two_losses(kitty, x, t, y)
        loss.backward(retain_graph=True)
        loss.backward(retain_graph=True)
        loss.backward()
        runs = 3
    elif how == "saved_hooks":
        with kitty.autograd.graph.saved_tensors_hooks(lambda a: a, lambda a: a):
            loss = _two_losses(kitty, x, t, y)
        loss.backward()
    elif how == "post_hook":
        ce, mse = kitty.nn.functional.cross_entropy(x, t), kitty.nn.functional.mse_loss(x, y)
        for node in (ce.grad_fn, mse.grad_fn):
            node.register_hook(lambda grad_inputs, grad_outputs: None)
        (ce + 0.5 * mse).backward()
    else:
        (gx,) = kitty.autograd.grad(_two_losses(kitty, x, t, y), x, create_graph=True)
        x.grad = gx.detach()
    np.testing.assert_allclose(x.grad.numpy(), runs * xt.grad.numpy(), rtol=1e-5, atol=1e-7)
    if how == "plain":
        assert decided == [True, True]
    elif how == "retain":
        assert decided == [False, False, False, False, True, True]
    else:
        assert not any(decided)


@pytest.mark.parametrize("size", [1000, 3 * (1 << 16) + 17])
def test_exact_gelu_backward_by_chunks_equals_the_whole_array_formula(size):
    # the chunked path (x, its CDF and g C-contiguous alike) against the general branch, which a
    # Fortran-ordered g selects; inf, -inf and nan among the inputs
    rng = np.random.default_rng(size)
    x = (rng.standard_normal((size, 2)) * 3).astype(np.float32)
    x[:3, 0] = [np.inf, -np.inf, np.nan]
    g = rng.standard_normal((size, 2)).astype(np.float32)
    grads = []
    for g_layout in (g, np.asfortranarray(g)):
        t = kitty.tensor(x, requires_grad=True)
        with np.errstate(all="ignore"):
            kitty.nn.functional.gelu(t).backward(kitty.Tensor._wrap(g_layout))
        grads.append(t.grad.numpy())
    assert np.array_equal(grads[0], grads[1], equal_nan=True)
    finite = np.isfinite(x)
    expected = torch.tensor(x[finite], requires_grad=True)
    torch.nn.functional.gelu(expected).backward(torch.tensor(g[finite]))
    np.testing.assert_allclose(grads[0][finite], expected.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("size", [7, 2048, 100_003])
def test_all_finite_is_exact_whatever_its_sum_does(dtype, size):
    from kittygrad.ops._prep import all_finite

    big = np.finfo(dtype).max / 4
    values = np.full(size, big, dtype)  # finite, but their sum overflows
    assert all_finite(values) and all_finite(-values)
    for bad in (np.inf, -np.inf, np.nan):
        for where in (0, size // 2, size - 1):
            x = np.ones(size, dtype)
            x[where] = bad
            assert not all_finite(x)
            assert not all_finite(x[where % 2::2])  # (a strided view holding it)
    assert all_finite(np.ones((size, 3), dtype)[:, 1])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, backend.bfloat16])
@pytest.mark.parametrize("size", [100, 512, 514, 1026, 20_000, 1 << 20])  # (up to 512: by where)
def test_masked_grad_selected_by_bits_equals_torchs_select(dtype, size):
    from kittygrad.ops._prep import masked_grad

    rng = np.random.default_rng(size)
    g = rng.standard_normal(size).astype(dtype)
    g[:8] = [-0.0, 0.0, -1.5, 2.0, np.inf, -np.inf, np.nan, np.nan]
    mask = rng.random(size) < 0.5
    mask[:8] = [False, False, False, True, False, True, False, True]
    got = masked_grad(mask, g)
    expected = np.where(mask, g, np.zeros((), dtype))  # torch: a select, +0 where the mask is off
    assert got.dtype == g.dtype
    assert np.array_equal(got.view(np.uint8), expected.view(np.uint8))  # (the same bits: NaN, -0 included)
    strided = masked_grad(mask.reshape(-1, 2)[:, 0], g.reshape(-1, 2)[:, 1])  # (views of other arrays)
    expected = np.where(mask.reshape(-1, 2)[:, 0], g.reshape(-1, 2)[:, 1], np.zeros((), dtype))
    assert np.array_equal(strided.view(np.uint8), expected.view(np.uint8))
    for value in (-1.5, 2.0, -0.0, np.inf, np.nan):  # one value broadcast, as a sum's backward sends it
        constant = np.broadcast_to(np.asarray(value, dtype), mask.shape)
        expected = np.where(mask, constant, np.zeros((), dtype))
        assert np.array_equal(masked_grad(mask, constant).view(np.uint8), expected.view(np.uint8)), value


def test_a_reshaped_fresh_gradient_becomes_grad_without_a_copy_unless_its_buffer_is_held(monkeypatch):
    """A leaf's first gradient that is a view of a buffer of its own size nothing else holds (layer
    norm's input gradient, reshaped from its rows) becomes ``.grad`` as it is; a view of a buffer
    something else still holds is copied, so changing ``.grad`` in place cannot reach that buffer."""
    copies = []
    real = backend.grad_like
    monkeypatch.setattr(backend, "grad_like", lambda arr, variable: copies.append(arr.shape) or real(arr, variable))
    x = kitty.randn(4, 3, 8, requires_grad=True)
    kitty.nn.functional.layer_norm(x, (8,)).sum().backward()
    assert copies == [] and x.grad.shape == (4, 3, 8)

    class HoldsItsGradient(kitty.autograd.Function):
        held = None

        @staticmethod
        def forward(ctx, a):
            return a.clone()

        @staticmethod
        def backward(ctx, grad):
            HoldsItsGradient.held = kitty.ones(3, 4)
            return HoldsItsGradient.held.reshape(2, 6)

    a = kitty.zeros(2, 6, requires_grad=True)
    HoldsItsGradient.apply(a).sum().backward()
    assert copies == [(2, 6)]
    a.grad.add_(1.0)
    assert float(HoldsItsGradient.held.sum()) == 12.0 and float(a.grad.sum()) == 24.0


def test_results_are_not_kept_past_saved_tensor_hooks():
    """Under saved_tensors_hooks (which pack what nodes save, e.g. to drop or offload it) a square
    root keeps no result of its own; the gradients are still torch's."""
    packed = []
    a = kitty.tensor([1.0, 4.0, 9.0], requires_grad=True)
    b = kitty.tensor([2.0, 3.0, 5.0], requires_grad=True)
    with kitty.autograd.graph.saved_tensors_hooks(lambda t: packed.append(1) or t, lambda t: t):
        q, r = a / b, a**0.5
    assert r.grad_fn._result_kept is None and packed
    assert (a**0.5).grad_fn._result_kept is not None  # (outside the hooks it is kept)
    (q.sum() + r.sum()).backward()
    ta = torch.tensor([1.0, 4.0, 9.0], requires_grad=True)
    tb = torch.tensor([2.0, 3.0, 5.0], requires_grad=True)
    ((ta / tb).sum() + (ta**0.5).sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_subtraction_operator_fast_path_matches_torch(dtype):
    # Tensor.__sub__ takes a float number (with a float tensor), or a tensor of its own dtype and shape
    # (not bool), straight to the node
    a0, b0 = np.array([1.5, -2.0, np.inf, 0.0], dtype=dtype), np.array([0.5, -2.0, np.inf, -0.0], dtype=dtype)
    outs = []
    for m in (torch, kitty):
        a, b = m.tensor(a0, requires_grad=True), m.tensor(b0, requires_grad=True)
        y = (a - b) * 2 + (a - 0.25)
        y.backward(m.ones_like(y))
        outs.append((y.detach().numpy(), a.grad.numpy(), b.grad.numpy(), str(y.dtype).split(".")[-1]))
    for got, want in zip(outs[1], outs[0]):
        if isinstance(want, str):
            assert got == want
        else:
            np.testing.assert_array_equal(got, want)
    for m in (torch, kitty):  # the other operands still take sub()'s rules: bool refused, ints promoted
        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
            m.tensor([True]) - m.tensor([False])
        assert (m.tensor([3]) - 0.5).dtype == m.float32
        difference = m.tensor([3, -2]) - m.tensor([5, 7])  # (two int64 tensors: the direct route too)
        assert difference.dtype == m.int64 and difference.tolist() == [-2, -9]
