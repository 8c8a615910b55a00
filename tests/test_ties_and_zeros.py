"""Gradients at ties and zeros, against PyTorch (issue 13, item 2).

Every branch in the ops that tests a value for exact equality (``== 0``, ties of max/min/median/
sort, the corners of piecewise activations, zero norms, zero bases, ...) is exercised here at
exactly the awkward point, in float32 and float64. The inputs are dyadic (exact in both dtypes),
so the point is hit exactly in both libraries. Where torch leaves the answer unspecified (the
index of a tie in topk / kthvalue / median(dim)) the reference is torch's stable sort, the rule
kittygrad follows. Nothing here goes through BLAS-dependent rounding, so the tests hold under any
OpenBLAS kernel (``OPENBLAS_CORETYPE=Prescott`` / ``Sandybridge``).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty

INF, NAN = float("inf"), float("nan")
DTYPES = ["float32", "float64"]


def _np(t):
    return t.detach().numpy()


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _flat(x)]
    return [out]


def _run(lib, fn, values, dtype, grad_args):
    ts = [lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=(i in grad_args)) for i, v in enumerate(values)]
    outs = _flat(fn(lib, *ts))
    diff = [o for o in outs if o.requires_grad]
    if diff:
        # distinct weights per output element, so a gradient sent to the wrong tie shows
        loss = sum((o * (1.0 + lib.arange(o.numel(), dtype=o.dtype).reshape(o.shape))).sum() for o in diff)
        loss.backward()
    return outs, [t.grad for t in ts]


def check(fn, values, dtype, grad_args=None, rtol=None, atol=None):
    """fn(lib, *tensors) on kittygrad and torch: outputs (indices exactly) and input gradients."""
    grad_args = range(len(values)) if grad_args is None else grad_args
    rtol = rtol if rtol is not None else (1e-5 if dtype == "float32" else 1e-10)
    atol = atol if atol is not None else (1e-6 if dtype == "float32" else 1e-12)
    ko, kg = _run(kitty, fn, values, dtype, grad_args)
    to, tg = _run(torch, fn, values, dtype, grad_args)
    assert len(ko) == len(to)
    for k, t in zip(ko, to):
        assert tuple(k.shape) == tuple(t.shape)
        if t.dtype in (torch.int64, torch.bool):
            np.testing.assert_array_equal(_np(k), _np(t))
        else:
            np.testing.assert_allclose(_np(k), _np(t), rtol=rtol, atol=atol, equal_nan=True)
    for i, (k, t) in enumerate(zip(kg, tg)):
        if t is None:
            assert k is None or not np.any(_np(k)), f"torch gives no gradient to argument {i}"
            continue
        assert k is not None, f"kittygrad gives no gradient to argument {i}"
        np.testing.assert_allclose(_np(k), _np(t), rtol=rtol, atol=atol, equal_nan=True, err_msg=f"argument {i}")


F = "nn.functional"


def _f(lib):
    return lib.nn.functional


# (id, fn(lib, *tensors), values, arguments that require grad (None: all)[, float64 rtol])
CASES = [
    # --- elementwise: zeros and ties of inputs
    ("relu_at_0", lambda l, x: l.relu(x), [[-1.0, 0.0, -0.0, 2.0]], None),
    ("abs_at_0", lambda l, x: l.abs(x), [[-1.0, 0.0, -0.0, 2.0]], None),
    ("sign_at_0", lambda l, x: l.sign(x), [[-1.0, 0.0, 2.0]], None),
    ("sqrt_at_0", lambda l, x: l.sqrt(x), [[0.0, 4.0]], None),
    ("pow_zero_base", lambda l, a, b: l.pow(a, b), [[0.0, 0.0, 0.0, 0.0, 0.0, 2.0, -2.0], [0.0, 1.0, 2.0, -1.0, 0.5, 0.0, 2.0]], None),
    ("pow_scalar_exponents_at_0", lambda l, x: [x**0, x**1, x**2, x**0.5, x**-1, x**3.0], [[0.0, 1.0, -0.5]], None),
    ("clamp_at_bounds", lambda l, x: l.clamp(x, -1.0, 1.0), [[-2.0, -1.0, 0.0, 1.0, 2.0]], None),
    ("clamp_min_at_bound", lambda l, x: l.clamp(x, min=0.0), [[-1.0, 0.0, 1.0]], None),
    ("clamp_max_at_bound", lambda l, x: l.clamp(x, max=0.0), [[-1.0, 0.0, 1.0]], None),
    ("clamp_tensor_bounds_ties", lambda l, x, lo, hi: l.clamp(x, lo, hi),
     [[1.0, 1.0, 0.0, 0.5, 2.0, -2.0, 0.5], [1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.5], [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.5]], None),
    ("clamp_min_tensor_tie", lambda l, x, lo: l.clamp_min(x, lo), [[1.0, 0.0, 2.0], [1.0, 1.0, 1.0]], None),
    ("clamp_max_tensor_tie", lambda l, x, hi: l.clamp_max(x, hi), [[1.0, 0.0, 2.0], [1.0, 1.0, 1.0]], None),
    ("maximum_ties", lambda l, a, b: l.maximum(a, b), [[1.0, 2.0, 3.0, 0.0], [1.0, 0.0, 3.0, -0.0]], None),
    ("minimum_ties", lambda l, a, b: l.minimum(a, b), [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]], None),
    ("maximum_self", lambda l, a: l.maximum(a, a), [[1.0, -2.0]], None),
    ("fmax_ties_nan", lambda l, a, b: l.fmax(a, b), [[1.0, NAN, 2.0, NAN], [1.0, 1.0, NAN, NAN]], None),
    ("fmin_ties_nan", lambda l, a, b: l.fmin(a, b), [[1.0, NAN, 2.0], [1.0, 1.0, NAN]], None),
    ("atan2_origin", lambda l, a, b: l.atan2(a, b), [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]], None),
    ("hypot_origin", lambda l, a, b: l.hypot(a, b), [[0.0, 3.0], [0.0, 4.0]], None),
    ("xlogy_zeros", lambda l, a, b: l.xlogy(a, b), [[0.0, 0.0, 0.0, 1.0, 0.5], [0.0, -1.0, 2.0, 0.0, 2.0]], None),
    ("logaddexp_neg_inf", lambda l, a, b: l.logaddexp(a, b), [[-INF, 0.0, -INF], [-INF, 0.0, 1.0]], None),
    ("logit_eps_bounds", lambda l, x: l.logit(x, eps=0.25), [[0.25, 0.75, 0.125, 0.875, 0.5]], None),
    ("nan_to_num_nonfinite", lambda l, x: l.nan_to_num(x), [[NAN, INF, -INF, 1.0]], None),
    ("remainder_exact_multiple", lambda l, a, b: l.remainder(a, b), [[3.0, -3.0, 3.0, 0.0], [1.5, 1.5, -1.5, 2.0]], None),
    ("fmod_exact_multiple", lambda l, a, b: l.fmod(a, b), [[3.0, -3.0, 3.0, 0.0], [1.5, 1.5, -1.5, 2.0]], None),
    # --- reductions: ties
    ("amax_ties", lambda l, x: [l.amax(x, 0), l.amax(x), l.amax(x, 1, keepdim=True)], [[[1.0, 3.0, 3.0], [1.0, 3.0, 0.0]]], None),
    ("amin_ties", lambda l, x: [l.amin(x, 0), l.amin(x)], [[[1.0, 0.0, 0.0], [1.0, 3.0, 0.0]]], None),
    ("amax_nan_ties", lambda l, x: [l.amax(x, 1), l.amin(x, 1)], [[[NAN, 1.0, NAN], [2.0, 2.0, 1.0]]], None),
    ("amax_all_nan", lambda l, x: l.amax(x), [[NAN, 1.0, NAN]], None),
    ("max_min_all_nan_ties", lambda l, x: [l.max(x), l.min(x)], [[NAN, 1.0, NAN]], None),
    ("max_all_ties", lambda l, x: l.max(x), [[1.0, 3.0, 3.0, 3.0]], None),
    ("min_all_ties", lambda l, x: l.min(x), [[1.0, 0.0, 0.0]], None),
    ("max_dim_ties_first", lambda l, x: l.max(x, 1), [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]], None),
    ("min_dim_ties_first", lambda l, x: l.min(x, 0), [[[1.0, 0.0], [1.0, 0.0], [0.5, 0.0]]], None),
    ("max_dim_nan", lambda l, x: l.max(x, 1), [[[1.0, NAN, NAN], [2.0, 2.0, 1.0]]], None),
    ("aminmax_ties", lambda l, x: l.aminmax(x), [[2.0, 0.0, 2.0, 0.0]], None),
    ("median_all_ties", lambda l, x: l.median(x), [[2.0, 1.0, 2.0, 2.0, 3.0]], None),
    ("median_all_ties_even", lambda l, x: l.median(x), [[2.0, 1.0, 2.0, 3.0]], None),
    ("nanmedian_all_ties", lambda l, x: l.nanmedian(x), [[2.0, NAN, 2.0, 1.0, 3.0]], None),
    ("median_all_nan", lambda l, x: l.median(x), [[2.0, NAN, NAN]], None),
    ("argmax_ties", lambda l, x: [l.argmax(x), l.argmax(x, 1), l.argmin(x, 0)], [[[1.0, 3.0, 3.0], [3.0, 0.0, 0.0]]], ()),
    ("sort_ties_stable", lambda l, x: l.sort(x, descending=True, stable=True), [[1.0, 3.0, 3.0, 1.0, 3.0, 1.0]], None),
    ("sort_ties_ascending", lambda l, x: l.sort(x, dim=0, stable=True), [[[1.0, 0.0], [0.0, 0.0], [1.0, 0.0]]], None),
    ("cummax_ties", lambda l, x: l.cummax(x, 0), [[1.0, 3.0, 3.0, 2.0, 3.0]], None),
    ("cummin_ties", lambda l, x: l.cummin(x, 0), [[3.0, 1.0, 1.0, 2.0, 1.0]], None),
    ("prod_one_zero", lambda l, x: [l.prod(x), l.prod(x, 1)], [[[2.0, 0.0, 3.0], [1.0, 2.0, 0.5]]], None),
    ("prod_two_zeros", lambda l, x: [l.prod(x), l.prod(x, 0)], [[[2.0, 0.0], [0.0, 3.0], [0.0, 4.0]]], None),
    ("cumprod_zeros", lambda l, x: l.cumprod(x, 0), [[2.0, 0.0, 3.0, 0.0, 4.0]], None),
    ("logsumexp_all_neg_inf", lambda l, x: l.logsumexp(x, 1), [[[-INF, -INF], [0.0, -INF]]], None),
    ("std_var_dyadic_constant", lambda l, x: [x.std(), x.var(), x.std(1), x.var(0), x.std(1, correction=0)],
     [[[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]], None),
    ("std_var_no_dof", lambda l, x: [x.std(), x.var(), x.std(1)], [[[1.5]]], None),
    ("std_mean_constant_row", lambda l, x: l.std_mean(x, 1), [[[0.25, 0.25], [1.0, 2.0]]], None),
    ("scatter_reduce_amax_ties", lambda l, x, s: x.scatter_reduce(0, l.tensor([0, 0, 1, 1]), s, "amax"),
     [[3.0, 1.0], [3.0, 3.0, 0.0, 1.0]], None),
    ("scatter_reduce_amin_ties_noself", lambda l, x, s: x.scatter_reduce(0, l.tensor([0, 0, 1]), s, "amin", include_self=False),
     [[3.0, 1.0], [0.0, 0.0, 2.0]], None),
    ("scatter_reduce_prod_zeros", lambda l, x, s: x.scatter_reduce(0, l.tensor([0, 0, 1, 1, 2]), s, "prod"),
     [[0.0, 2.0, 0.0], [3.0, 2.0, 0.0, 5.0, 0.0]], None),
    # --- activations at their corners
    ("leaky_relu_at_0", lambda l, x: _f(l).leaky_relu(x, 0.25), [[-1.0, 0.0, 1.0]], None),
    ("elu_selu_celu_at_0", lambda l, x: [_f(l).elu(x, 0.5), _f(l).selu(x), _f(l).celu(x, 2.0)], [[0.0, -0.0]], None),
    ("hardtanh_at_bounds", lambda l, x: _f(l).hardtanh(x, -0.5, 2.0), [[-0.5, 2.0, 0.0, -1.0, 3.0]], None),
    ("relu6_at_bounds", lambda l, x: _f(l).relu6(x), [[0.0, 6.0, 3.0, -1.0, 7.0]], None),
    ("hardswish_at_corners", lambda l, x: _f(l).hardswish(x), [[-3.0, 3.0, 0.0, -4.0, 4.0]], None),
    # torch's float64 slope is 1/6 rounded to float32 (3e-8 relative)
    ("hardsigmoid_at_corners", lambda l, x: _f(l).hardsigmoid(x), [[-3.0, 3.0, 0.0, -4.0, 4.0]], None, 1e-7),
    ("softplus_at_threshold", lambda l, x: _f(l).softplus(x, beta=2.0, threshold=4.0), [[2.0, 1.0, 3.0]], None),
    ("prelu_at_0", lambda l, x, w: _f(l).prelu(x, w), [[[0.0, -1.0], [2.0, 0.0]], [0.25, 0.5]], None),
    ("gelu_tanh_saturated", lambda l, x: _f(l).gelu(x, approximate="tanh"), [[-10.0, 10.0, 0.0]], None),
    ("max_pool1d_ties", lambda l, x: _f(l).max_pool1d(x, 2, 1), [[[[1.0, 1.0, 1.0, 0.0]]]], None),
    ("max_pool2d_ties", lambda l, x: _f(l).max_pool2d(x, 2, 1), [[[[[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]]]]], None),
    ("max_pool2d_tiled_ties", lambda l, x: _f(l).max_pool2d(x, 2), [[[[[2.0, 2.0], [2.0, 1.0]]]]], None),
    # --- losses at their corners
    ("l1_loss_at_0", lambda l, a, b: _f(l).l1_loss(a, b, reduction="none"), [[1.0, 2.0], [1.0, 1.0]], None),
    ("smooth_l1_at_0_and_beta", lambda l, a, b: _f(l).smooth_l1_loss(a, b, beta=0.5, reduction="none"),
     [[1.0, 1.5, 0.5], [1.0, 1.0, 1.0]], None),
    ("smooth_l1_beta_0", lambda l, a, b: _f(l).smooth_l1_loss(a, b, beta=0.0, reduction="none"), [[1.0, 2.0], [1.0, 1.0]], None),
    ("huber_at_delta", lambda l, a, b: _f(l).huber_loss(a, b, delta=0.5, reduction="none"), [[1.5, 0.5, 1.0], [1.0, 1.0, 1.0]], None),
    ("margin_ranking_at_margin", lambda l, a, b, t: _f(l).margin_ranking_loss(a, b, t, margin=0.5, reduction="none"),
     [[1.5, 2.0, 1.0], [1.0, 1.0, 1.0], [1.0, -1.0, 1.0]], (0, 1)),
    ("hinge_embedding_at_margin", lambda l, x, t: _f(l).hinge_embedding_loss(x, t, margin=1.0, reduction="none"),
     [[1.0, 0.5, 2.0], [-1.0, -1.0, 1.0]], (0,)),
    ("triplet_at_margin", lambda l, a, p, n: _f(l).triplet_margin_loss(a, p, n, margin=1.0, eps=0.0),
     [[[0.0, 0.0]], [[3.0, 4.0]], [[0.0, 6.0]]], None),
    ("triplet_swap_tie", lambda l, a, p, n: _f(l).triplet_margin_loss(a, p, n, margin=2.0, eps=0.0, swap=True),
     [[[0.0, 0.0]], [[3.0, 4.0]], [[6.0, 8.0]]], None),
    ("cosine_embedding_at_margin", lambda l, a, b, t: _f(l).cosine_embedding_loss(a, b, t, margin=0.0, reduction="none"),
     [[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 2.0]], [-1.0, 1.0]], (0, 1)),
    ("kl_div_zero_and_negative_target", lambda l, x, t: _f(l).kl_div(x, t, reduction="none"),
     [[0.5, -1.0, 0.25, 0.5], [0.0, 0.5, -1.0, 1.0]], None),
    # torch's float64 clamp of x (1 - x) at 1e-12 uses the float32 rounding of 1e-12 (4e-9 relative)
    ("bce_at_0_and_1", lambda l, x, t: _f(l).binary_cross_entropy(x, t, reduction="none"), [[0.0, 1.0, 0.5], [0.5, 0.5, 1.0]],
     None, 1e-8),
    # --- norms at zero and at ties
    ("normalize_zero_vector", lambda l, x: [_f(l).normalize(x, p=p, dim=1) for p in (2.0, 1.0, 3.0, 1.5, 0.5, INF, -INF)],
     [[[0.0, 0.0], [3.0, 4.0]]], None),
    ("normalize_zero_entry", lambda l, x: [_f(l).normalize(x, p=p, dim=1) for p in (1.0, 1.5, 0.5, 3.0, -1.0)],
     [[[0.0, 1.0, -2.0], [0.0, 0.0, 0.5]]], None),
    ("normalize_inf_ties", lambda l, x: [_f(l).normalize(x, p=p, dim=1) for p in (INF, -INF)],
     [[[3.0, -3.0, 1.0], [-1.0, 2.0, 1.0]]], None),
    ("pairwise_distance_zero", lambda l, a, b: [_f(l).pairwise_distance(a, b, p=p, eps=0.0) for p in (2.0, 1.0, 3.0, 1.5, INF)],
     [[[1.0, 2.0], [1.0, 2.0]], [[1.0, 2.0], [1.0, 0.0]]], None),
    ("cosine_similarity_zero_vector", lambda l, a, b: _f(l).cosine_similarity(a, b), [[[0.0, 0.0], [1.0, 0.0]], [[1.0, 2.0], [0.0, 0.0]]], None),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gradient_at_tie_or_zero_matches_torch(case, dtype):
    _, fn, values, grad_args, *tol = case
    check(fn, values, dtype, grad_args, rtol=tol[0] if tol and dtype == "float64" else None)


# ---------------------------------------------------------------------------------------------
# ties whose index torch leaves unspecified: kittygrad takes the stable order's choice


def _stable_reference(x, fn_idx):
    """torch's gradient when the selection is the stable sort's (the rule kittygrad documents)."""
    xt = torch.tensor(x, requires_grad=True)
    idx = fn_idx(xt.detach())
    vals = xt.gather(-1, idx)
    (vals * (1.0 + torch.arange(vals.numel(), dtype=vals.dtype).reshape(vals.shape))).sum().backward()
    return vals.detach().numpy(), idx.numpy(), xt.grad.numpy()


TIE_SELECTIONS = [
    # (id, kittygrad call, torch's values call, stable-order indices from torch)
    ("topk_largest", lambda l, x: l.topk(x, 2), lambda x: torch.topk(x, 2).values,
     lambda x: torch.sort(x, descending=True, stable=True).indices[..., :2]),
    ("topk_smallest", lambda l, x: l.topk(x, 3, largest=False), lambda x: torch.topk(x, 3, largest=False).values,
     lambda x: torch.sort(x, stable=True).indices[..., :3]),
    ("kthvalue", lambda l, x: l.kthvalue(x, 3, keepdim=True), lambda x: torch.kthvalue(x, 3, keepdim=True).values,
     lambda x: torch.sort(x, stable=True).indices[..., 2:3]),
    ("median_dim", lambda l, x: l.median(x, -1, keepdim=True), lambda x: torch.median(x, -1, keepdim=True).values,
     lambda x: torch.sort(x, stable=True).indices[..., (x.shape[-1] - 1) // 2:][..., :1]),
    ("nanmedian_dim", lambda l, x: l.nanmedian(x, -1, keepdim=True), lambda x: torch.nanmedian(x, -1, keepdim=True).values,
     lambda x: torch.sort(x, stable=True).indices[..., (x.shape[-1] - 1) // 2:][..., :1]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, kfn, tvalues, tidx", TIE_SELECTIONS, ids=[c[0] for c in TIE_SELECTIONS])
def test_unspecified_tie_index_follows_the_stable_order(name, kfn, tvalues, tidx, dtype):
    x = np.array([[2.0, 1.0, 2.0, 2.0, 3.0, 2.0, 0.0], [1.0, 3.0, 3.0, 3.0, 0.0, 0.0, 0.0]], dtype=dtype)
    ref_vals, ref_idx, ref_grad = _stable_reference(x, tidx)
    np.testing.assert_array_equal(tvalues(torch.tensor(x)).numpy(), ref_vals)  # torch's values agree
    xk = kitty.tensor(x, requires_grad=True)
    vals, idx = kfn(kitty, xk)
    np.testing.assert_array_equal(vals.detach().numpy(), ref_vals)
    np.testing.assert_array_equal(idx.numpy(), ref_idx)
    (vals * (1.0 + kitty.arange(vals.numel(), dtype=vals.dtype).reshape(vals.shape))).sum().backward()
    np.testing.assert_array_equal(xk.grad.numpy(), ref_grad)


# ---------------------------------------------------------------------------------------------
# std of a constant: exactly 0, with gradient 0, whatever the values' rounding


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [3, 7, 10, 1000])
def test_std_of_a_constant_is_exactly_zero_with_zero_gradient(n, dtype):
    """torch's rule: std's gradient is 0 where std is 0. Whether the std of a constant comes out 0
    depends on how the mean rounds (torch's contiguous kernel gives 1.7e-17 for three 0.1s, and
    then a gradient of -0.41). kittygrad centres each slice on its first element, so a constant
    slice is exactly 0 everywhere; torch's one-pass kernel on a strided input agrees."""
    for v in (0.1, 1 / 3, 1e10 + 0.1, -2.7):
        base = np.full((n, 1), v, dtype=dtype)
        xt = torch.tensor(base).expand(n, 2).requires_grad_()
        st = xt.std(0)
        st.sum().backward()
        xk = kitty.tensor(np.ascontiguousarray(np.broadcast_to(base, (n, 2))), requires_grad=True)
        sk = xk.std(0)
        sk.sum().backward()
        np.testing.assert_array_equal(sk.detach().numpy(), st.detach().numpy())
        np.testing.assert_array_equal(xk.grad.numpy(), xt.grad.numpy())
        for out in (xk.std(), xk.var(), xk.T.std(1), kitty.std_mean(xk, 0)[0], xk.var(0, correction=0)):
            assert not out.detach().numpy().any(), (v, out)
        xk.grad = None
        xk.std().backward()
        assert not xk.grad.numpy().any()


# ---------------------------------------------------------------------------------------------
# nearest-neighbour interpolation: the floor of a computed coordinate picks the element


def _nearest_pairs():
    # sizes whose coordinates land on integers, where float32 and float64 arithmetic disagree
    return [(n_in, n_out) for n_in in (2, 3, 6, 7) for n_out in range(1, 111)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_interpolate_nearest_picks_torchs_element(mode, dtype):
    known = {(2, 41), (2, 47), (2, 55), (2, 83), (2, 97), (2, 107), (2, 109)}  # float32 nearest-exact: see functional.py
    for n_in, n_out in _nearest_pairs():
        if mode == "nearest-exact" and dtype == "float32" and (n_in, n_out) in known:
            continue
        x = np.arange(n_in, dtype=dtype).reshape(1, 1, -1)
        t = torch.nn.functional.interpolate(torch.tensor(x), size=n_out, mode=mode).numpy()
        k = kitty.nn.functional.interpolate(kitty.tensor(x), size=n_out, mode=mode).numpy()
        np.testing.assert_array_equal(k, t, err_msg=f"{n_in} -> {n_out}")
    if dtype == "float32":  # with a scale factor torch computes in float32 too
        for n_in in range(1, 60):
            for sf in (1.1, 1.3, 2.3, 1 / 3, 0.6):
                if int(n_in * sf) < 1:
                    continue
                x = np.arange(n_in, dtype=dtype).reshape(1, 1, -1)
                t = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=sf, mode=mode).numpy()
                k = kitty.nn.functional.interpolate(kitty.tensor(x), scale_factor=sf, mode=mode).numpy()
                np.testing.assert_array_equal(k, t, err_msg=f"{n_in} x {sf}")


# ---------------------------------------------------------------------------------------------
# masks select: an infinite incoming gradient leaves 0 (not 0 * inf = nan) where a mask is off


def _masked_ops(l):
    F_ = l.nn.functional
    zeros, ones = l.zeros(4, dtype=l.float64), l.ones(4, dtype=l.float64)
    return {
        "relu": l.relu,
        "clamp": lambda x: l.clamp(x, 0.0, 1.0),
        "clamp_tensor": lambda x: l.clamp(x, zeros, ones),
        "clamp_min": lambda x: l.clamp(x, min=0.0),
        "clamp_max": lambda x: l.clamp(x, max=0.0),
        "hardtanh": lambda x: F_.hardtanh(x, 0.0, 1.0),
        "relu6": F_.relu6,
        "hardsigmoid": lambda x: F_.hardsigmoid(x * 4 - 2),
        "hardswish": lambda x: F_.hardswish(x * 4 - 2),
        "maximum": lambda x: l.maximum(x, zeros),
        "minimum": lambda x: l.minimum(x, zeros),
        "fmax": lambda x: l.fmax(x, zeros),
        "fmin": lambda x: l.fmin(x, zeros),
        "max_all": l.max,
        "min_all": l.min,
        "amax_dim": lambda x: l.amax(x.reshape(2, 2), 1),  # torch multiplies here: nan stays
        "max_pool_tiled": lambda x: F_.max_pool1d(x.reshape(1, 1, 4), 2),
        "max_pool_overlapping": lambda x: F_.max_pool1d(x.reshape(1, 1, 4), 2, 1),
        "atan2": lambda x: l.atan2(x, zeros),
        "nll_ignored_row": lambda x: F_.nll_loss(x.reshape(2, 2), l.tensor([0, -100]), reduction="none"),
        "cross_entropy_ignored_row": lambda x: F_.cross_entropy(x.reshape(2, 2), l.tensor([0, -100]), reduction="none"),
        "bce_after_clamp": lambda x: F_.binary_cross_entropy(x.clamp(0, 1), zeros + 0.5, reduction="none"),
        "std_constant_rows": lambda x: l.stack([x[:2] * 0 + 1, x[2:] * 0 + 1]).std(1),
        "leaky_relu_zero_slope": lambda x: F_.leaky_relu(x, 0.0),  # torch multiplies here too
        "abs": l.abs,
    }


@pytest.mark.parametrize("name", list(_masked_ops(torch)))
def test_infinite_gradient_through_masks_matches_torch(name):
    grads = []
    for lib in (kitty, torch):
        x = lib.tensor([-1.0, 0.0, 0.5, 2.0], dtype=lib.float64, requires_grad=True)
        (_masked_ops(lib)[name](x) * INF).sum().backward()
        grads.append(_np(x.grad))
    np.testing.assert_array_equal(grads[0], grads[1])


#: the ops whose gradient masked_grad selects (by bits, for arrays): +0 where the mask is off, as
#: torch's select, never the -0 that a product of a negative gradient with the mask would give
SELECTED_BY_MASK = ["relu", "clamp", "clamp_tensor", "clamp_min", "clamp_max", "hardtanh", "relu6", "hardsigmoid",
                    "hardswish", "fmax", "fmin"]


@pytest.mark.parametrize("name", SELECTED_BY_MASK)
def test_negative_gradient_through_masks_leaves_torchs_positive_zero(name):
    grads = []
    for lib in (kitty, torch):
        x = lib.tensor([-1.0, 0.0, 0.5, 2.0], dtype=lib.float64, requires_grad=True)
        (_masked_ops(lib)[name](x) * -1.0).sum().backward()
        grads.append(_np(x.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-7)
    np.testing.assert_array_equal(np.signbit(grads[0]), np.signbit(grads[1]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_lerp_hits_its_ends_exactly_as_torch(dtype):
    """torch computes lerp from the nearer end, so weight 1 gives ``end`` bit for bit (and 0 gives
    ``start``); ``start + 1 * (end - start)`` rounds off it for about a third of random pairs.
    The weights are powers of two (and 1 - w too), so no product rounds and FMA cannot matter."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 1000)).astype(dtype)
    for w in (0.0, 0.25, 0.5, 0.75, 1.0):
        k = kitty.lerp(kitty.tensor(a), kitty.tensor(b), w).numpy()
        np.testing.assert_array_equal(k, torch.lerp(torch.tensor(a), torch.tensor(b), w).numpy())
    np.testing.assert_array_equal(kitty.lerp(kitty.tensor(a), kitty.tensor(b), 1.0).numpy(), b)
    w = np.tile(np.array([0.0, 1.0, 0.25, 0.75], dtype=dtype), 250)
    k = kitty.lerp(kitty.tensor(a), kitty.tensor(b), kitty.tensor(w)).numpy()
    np.testing.assert_array_equal(k, torch.lerp(torch.tensor(a), torch.tensor(b), torch.tensor(w)).numpy())
    np.testing.assert_array_equal(k[w == 1], b[w == 1])
    np.testing.assert_array_equal(k[w == 0], a[w == 0])


SMOOTH_AT_ZERO = {
    "softplus": lambda F, x: F.softplus(x),
    "sigmoid": lambda F, x: F.sigmoid(x),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "silu": lambda F, x: F.silu(x),
    "bce_with_logits": lambda F, x: F.binary_cross_entropy_with_logits(x, x.detach() * 0 + 1, reduction="none"),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SMOOTH_AT_ZERO))
def test_second_derivative_of_smooth_functions_at_exactly_zero(name, dtype):
    """Stable formulas switch branch at 0 (exp(-|x|)); the curvature there must not vanish."""
    values = [0.0, -0.0, 0.5, -0.5]
    results = []
    for lib in (kitty, torch):
        x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
        (g,) = lib.autograd.grad(SMOOTH_AT_ZERO[name](lib.nn.functional, x).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        results.append((_np(g), _np(h)))
    (g, h), (tg, th) = results
    np.testing.assert_allclose(g, tg, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h, th, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin", "prod"])
@pytest.mark.parametrize("include_self", [False, True])
def test_scatter_reduce_left_out_self_gets_torchs_positive_zero(reduce, include_self):
    """With include_self=False, the positions a scatter overwrites get a plain +0 gradient (torch
    fills them), never the -0 of a negative gradient times the mask; the src gradient keeps torch's signs."""
    grads = []
    for lib in (kitty, torch):
        x = lib.tensor([0.3, -1.2, 0.7, 2.0, -0.4], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([1.5, -0.6, 0.9, -2.2], dtype=lib.float64, requires_grad=True)
        y = x.scatter_reduce(0, lib.tensor([0, 2, 2, 3]), v, reduce=reduce, include_self=include_self)
        (y * -1.0).sum().backward()
        grads.append((_np(x.grad), _np(v.grad)))
    for ours, theirs in zip(grads[0], grads[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-7)
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))
