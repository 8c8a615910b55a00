"""Edge cases of the issue-3 op families, each checked against PyTorch: gradients at awkward points,
integer/bool results, dim tuples and negative dims, 0-d / empty / non-contiguous inputs, exception
types on misuse, version control of in-place twins, random ops, named result tuples and
function/method parity (erf accuracy: tests/test_erf_accuracy.py)."""
from __future__ import annotations


import numpy as np
import pytest
import torch

import kittygrad as kitty

INF, NAN = float("inf"), float("nan")


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _flat(x)]
    return [out]


def run_both(fn, *values, dtype="float64", grad=True):
    """fn(lib, *tensors) on kittygrad and torch: (outputs, input grads) of each."""
    results = []
    for lib in (kitty, torch):
        ts = [lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=grad) for v in values]
        outs = _flat(fn(lib, *ts))
        grads = None
        if grad:
            diff = [o for o in outs if o.requires_grad]
            if diff:
                loss = sum((o * (1.0 + lib.arange(o.numel(), dtype=o.dtype).reshape(o.shape))).sum() for o in diff)
                loss.backward()
            grads = [t.grad for t in ts]
        results.append((outs, grads))
    return results


def assert_same(fn, *values, dtype="float64", grad=True, rtol=1e-6, atol=1e-9):
    (ko, kg), (to, tg) = run_both(fn, *values, dtype=dtype, grad=grad)
    assert len(ko) == len(to)
    for k, t in zip(ko, to):
        assert str(k.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (k.dtype, t.dtype)
        assert tuple(k.shape) == tuple(t.shape), (tuple(k.shape), tuple(t.shape))
        np.testing.assert_allclose(_np(k), _np(t), rtol=rtol, atol=atol, equal_nan=True)
        assert k.requires_grad == t.requires_grad
    if grad:
        for k, t in zip(kg, tg):
            if t is None:
                assert k is None or not np.any(_np(k)), "torch gives no gradient"
                continue
            assert k is not None, "kittygrad gives no gradient"
            np.testing.assert_allclose(_np(k), _np(t), rtol=rtol, atol=atol, equal_nan=True)


# ---------------------------------------------------------------------------------------------
# gradients at awkward points

AWKWARD = {
    "abs_at_0": (lambda m, x: m.abs(x), [[-1.0, 0.0, 2.0]]),
    "relu_at_0": (lambda m, x: m.relu(x), [[-1.0, 0.0, 2.0]]),
    "sqrt_at_0": (lambda m, x: m.sqrt(x), [[0.0, 4.0]]),
    "rsqrt_at_0": (lambda m, x: m.rsqrt(x), [[0.0, 4.0]]),
    "pow2_base_0": (lambda m, x: x**2, [[0.0, -1.5]]),
    "pow_half_base_0": (lambda m, x: x**0.5, [[0.0, 2.0]]),
    "pow0_base_0": (lambda m, x: x**0, [[0.0, 2.0]]),
    "pow_neg_base_0": (lambda m, x: x**-1, [[0.0, 2.0]]),
    "pow_tensor_base_0": (lambda m, x, y: m.pow(x, y), [[0.0, 0.0, 0.0, 2.0], [2.0, 0.0, 0.5, 3.0]]),
    "rpow_exponent": (lambda m, y: 0.0**y, [[0.0, 1.0, 2.0]]),
    "clamp_at_bounds": (lambda m, x: m.clamp(x, -0.5, 0.5), [[-1.0, -0.5, 0.0, 0.5, 1.0]]),
    "clamp_min_gt_max": (lambda m, x: m.clamp(x, 1.5, 1.0), [[1.0, 2.0]]),
    "clamp_tensor_bounds": (lambda m, x, lo, hi: m.clamp(x, lo, hi), [[0.0, 1.0, 2.0], [0.0, 0.5, 2.0], [1.0, 1.0, 2.0]]),
    "max_ties": (lambda m, x: m.max(x), [[1.0, 3.0, 3.0, 2.0]]),
    "min_ties": (lambda m, x: x.min(), [[1.0, 1.0, 3.0]]),
    "max_dim_ties": (lambda m, x: m.max(x, 1).values, [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]]),
    "min_dim_ties": (lambda m, x: m.min(x, 0).values, [[[1.0, 3.0], [1.0, 2.0]]]),
    "amax_ties": (lambda m, x: m.amax(x, 1), [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]]),
    "amin_ties_tuple": (lambda m, x: m.amin(x, (0, 1)), [[[1.0, 3.0], [1.0, 1.0]]]),
    "maximum_ties": (lambda m, x, y: m.maximum(x, y), [[1.0, 3.0, 0.0], [1.0, 2.0, 5.0]]),
    "minimum_ties": (lambda m, x, y: m.minimum(x, y), [[1.0, 3.0, 0.0], [1.0, 2.0, 5.0]]),
    "fmax_ties": (lambda m, x, y: m.fmax(x, y), [[1.0, 3.0, NAN], [1.0, NAN, 5.0]]),
    "median_ties": (lambda m, x: m.median(x), [[1.0, 3.0, 3.0, 2.0, 3.0]]),
    "median_dim": (lambda m, x: m.median(x, 0).values, [[1.0, 3.0, 3.0, 2.0, 3.0]]),
    "max_nan": (lambda m, x: m.max(x), [[1.0, NAN, 3.0]]),
    "norm_at_0": (lambda m, x: m.norm(x), [[0.0, 0.0]]),
    "vector_norm_1_at_0": (lambda m, x: m.linalg.vector_norm(x, 1), [[0.0, 0.0, 1.0]]),
    "vector_norm_3_at_0": (lambda m, x: m.linalg.vector_norm(x, 3), [[0.0, 0.0]]),
    "vector_norm_inf_ties": (lambda m, x: m.linalg.vector_norm(x, INF), [[1.0, -2.0, 2.0]]),
    "prod_one_zero": (lambda m, x: m.prod(x), [[0.0, 2.0, 1.0, 3.0]]),
    "prod_two_zeros": (lambda m, x: m.prod(x), [[0.0, 2.0, 0.0, 3.0]]),
    "prod_dim_zeros": (lambda m, x: m.prod(x, 1), [[[0.0, 2.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]]]),
    "cumprod_one_zero": (lambda m, x: m.cumprod(x, 0), [[0.0, 2.0, 1.0, 3.0]]),
    "cumprod_two_zeros": (lambda m, x: m.cumprod(x, 0), [[2.0, 0.0, 3.0, 0.0, 5.0]]),
    "logsumexp_neg_inf": (lambda m, x: m.logsumexp(x, 0), [[-INF, -INF]]),
    "logsumexp_some_inf": (lambda m, x: m.logsumexp(x, 0), [[-INF, 0.0, 1.0]]),
    "std_constant": (lambda m, x: x.std(), [[1.0, 1.0, 1.0]]),
    "sign_at_0": (lambda m, x: m.sign(x), [[-1.0, 0.0, 2.0]]),
    "floor_at_int": (lambda m, x: m.floor(x), [[1.0, -2.0]]),
    "atan2_origin": (lambda m, x, y: m.atan2(x, y), [[0.0, 1.0], [0.0, 0.0]]),
    "hypot_origin": (lambda m, x, y: m.hypot(x, y), [[0.0, 3.0], [0.0, 4.0]]),
    "xlogy_zero": (lambda m, x, y: m.xlogy(x, y), [[0.0, 0.0, 2.0], [0.0, 3.0, 2.0]]),
    "logit_at_eps": (lambda m, x: m.logit(x, eps=0.25), [[0.1, 0.25, 0.5, 0.75, 0.9]]),
    "logit_at_0_1": (lambda m, x: m.logit(x), [[0.0, 1.0]]),
    "log1p_at_minus1": (lambda m, x: m.log1p(x), [[-1.0, 0.0]]),
    "div_floor_grad": (lambda m, x, y: m.div(x, y, rounding_mode="floor"), [[5.0, -3.0], [2.0, 2.0]]),
    "where_nan_branch": (lambda m, x: m.where(x > 0, x, m.log(x)), [[-1.0, 2.0]]),
    "nan_to_num_grad": (lambda m, x: m.nan_to_num(m.log(x)), [[-1.0, 0.0, 2.0]]),
    "erfinv_at_1": (lambda m, x: m.erfinv(x), [[-1.0, 0.0, 1.0]]),
    "acos_at_1": (lambda m, x: m.acos(x), [[1.0, 0.5]]),
    "topk_grad": (lambda m, x: m.topk(x, 2).values, [[1.0, 5.0, 3.0, 4.0]]),
    "sort_grad": (lambda m, x: m.sort(x, descending=True).values, [[1.0, 5.0, 3.0]]),
    "cummax_ties": (lambda m, x: m.cummax(x, 0).values, [[1.0, 3.0, 3.0, 2.0, 3.0]]),
    "cummin_ties": (lambda m, x: m.cummin(x, 0).values, [[3.0, 1.0, 1.0, 2.0]]),
    "det_zero_matrix": (lambda m, x: m.linalg.det(x), [[[0.0, 0.0], [0.0, 0.0]]]),
    "matrix_norm_2_ties": (lambda m, x: m.linalg.matrix_norm(x, 1), [[[1.0, -1.0], [1.0, 1.0]]]),
}


@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_gradient_at_awkward_point(name):
    fn, values = AWKWARD[name]
    assert_same(fn, *values)


# det's gradient at a singular matrix is the cofactor matrix det(A) A^-T (the transposed adjugate),
# zero only at rank <= n-2. torch's first-order formula returns 0 instead whenever LAPACK's LU hits
# an exactly zero pivot (it scales by det == 0), the cofactor when it returns 1e-16: which one
# depends on the BLAS build (these rows failed on another machine for that reason). Its
# create_graph=True formula (the SVD one) gives the cofactor in both cases: that is the reference.
DET_SINGULAR = {
    "det_singular": [[1.0, 2.0], [2.0, 4.0]],
    "det_singular_3": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]],
    "det_rank_1_of_3": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]],
}


@pytest.mark.parametrize("name", sorted(DET_SINGULAR))
def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix(name):
    values = DET_SINGULAR[name]
    a = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    (expected,) = torch.autograd.grad(torch.linalg.det(a), a, create_graph=True)
    x = kitty.tensor(values, dtype=kitty.float64, requires_grad=True)
    kitty.linalg.det(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_max_with_ties_spreads_or_selects_like_torch():
    x = kitty.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5, 0.0]
    y = kitty.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    values, indices = y.max(0)
    values.backward()
    assert indices.item() == 1 and y.grad.tolist() == [0.0, 1.0, 0.0, 0.0]


def test_floor_divide_has_no_derivative_like_torch():
    for lib in (kitty, torch):
        a = lib.tensor([5.0, -3.0], requires_grad=True)
        out = lib.floor_divide(a, 2)
        assert out.requires_grad
        with pytest.raises(RuntimeError):
            out.sum().backward()


def test_bernoulli_with_p_has_no_derivative_like_torch():
    for lib in (kitty, torch):
        a = lib.tensor([0.5, 0.5], requires_grad=True)
        out = a.bernoulli(0.3)
        assert out.requires_grad
        with pytest.raises(RuntimeError):
            out.sum().backward()


def test_scatter_reduce_has_no_derivative_like_torch():
    import warnings

    for lib in (kitty, torch):
        a = lib.zeros(3, requires_grad=True) * 1
        with warnings.catch_warnings():  # torch: "the reduce argument of torch.scatter ... is deprecated"
            warnings.simplefilter("ignore")
            out = a.scatter(0, lib.tensor([0]), lib.ones(1), reduce="add")
        with pytest.raises(RuntimeError):
            out.sum().backward()


# ---------------------------------------------------------------------------------------------
# integer and bool results

I = [[3, -1, 4], [1, -5, 9]]
B_ = [[True, False, True], [False, False, True]]

INT_CASES = {
    "sum_bool": lambda m, i, b: m.sum(b),
    "sum_bool_dim": lambda m, i, b: b.sum(dim=-1),
    "prod_int32": lambda m, i, b: m.prod(i.int()),
    "prod_bool": lambda m, i, b: b.prod(1),
    "cumsum_bool": lambda m, i, b: m.cumsum(b, 1),
    "cumsum_int32": lambda m, i, b: m.cumsum(i.int(), 0),
    "cumprod_int": lambda m, i, b: i.cumprod(1),
    "argmax": lambda m, i, b: m.argmax(i),
    "argmin_dim": lambda m, i, b: m.argmin(i, dim=-1, keepdim=True),
    "max_int": lambda m, i, b: m.max(i, 1),
    "amax_int": lambda m, i, b: m.amax(i, (0, 1)),
    "max_bool": lambda m, i, b: b.max(),
    "eq": lambda m, i, b: m.eq(i, 1),
    "gt_float_scalar": lambda m, i, b: i > 0.5,
    "all_uint8": lambda m, i, b: m.all(i.to(m.uint8)),
    "any_dim": lambda m, i, b: m.any(b, dim=0),
    "count_nonzero": lambda m, i, b: m.count_nonzero(b, dim=1),
    "sort_int": lambda m, i, b: m.sort(i, descending=True),
    "topk_int": lambda m, i, b: m.topk(i, 2),
    "unique_int": lambda m, i, b: m.unique(i, return_counts=True),
    "nonzero": lambda m, i, b: m.nonzero(b),
    "floor_int": lambda m, i, b: m.floor(i),
    "round_int": lambda m, i, b: m.round(i),
    "sign_bool": lambda m, i, b: m.sign(b),
    "sign_int": lambda m, i, b: m.sign(i),
    "square_bool": lambda m, i, b: m.square(b),
    "abs_int": lambda m, i, b: m.abs(i),
    "where_int": lambda m, i, b: m.where(b, i, -i),
    "where_int_scalar": lambda m, i, b: m.where(b, i, 0),
    "maximum_int_float": lambda m, i, b: m.maximum(i, i.double()),
    "div_int": lambda m, i, b: m.div(i, 2),
    "div_trunc_int": lambda m, i, b: m.div(i, 2, rounding_mode="trunc"),
    "div_floor_int": lambda m, i, b: m.div(i, -2, rounding_mode="floor"),
    "floor_divide_int": lambda m, i, b: i // 2,
    "remainder_int": lambda m, i, b: i % 4,
    "fmod_int": lambda m, i, b: m.fmod(i, 4),
    "bitwise_uint8": lambda m, i, b: m.bitwise_xor(i.to(m.uint8), 7),
    "bitwise_not_bool": lambda m, i, b: ~b,
    "logical_int": lambda m, i, b: m.logical_or(i, b),
    "clamp_int": lambda m, i, b: m.clamp(i, -1, 3),
    "clamp_int_float_bound": lambda m, i, b: m.clamp(i, -1.5),
    "masked_fill_int": lambda m, i, b: i.masked_fill(b, 7),
    "gather_int": lambda m, i, b: m.gather(i, 1, m.tensor([[0], [2]])),
    "cat_int_bool": lambda m, i, b: m.cat([i, b]),
    "stack_bool": lambda m, i, b: m.stack([b, b], 1),
    "flip_bool": lambda m, i, b: m.flip(b, (0,)),
    "index_select_bool": lambda m, i, b: m.index_select(b, 1, m.tensor([2, 0])),
    "repeat_int": lambda m, i, b: i.repeat(2, 1),
    "trace_int": lambda m, i, b: m.trace(i),
    "tril_int": lambda m, i, b: m.tril(i),
    "matrix_power_int": lambda m, i, b: m.matrix_power(i[:, :2], 2),
    "outer_int": lambda m, i, b: m.outer(i[0], i[1]),
    "einsum_int": lambda m, i, b: m.einsum("ij,kj->ik", i, i),
    "median_int": lambda m, i, b: m.median(i),
    "kthvalue_int": lambda m, i, b: m.kthvalue(i, 2, 1),
    "logsumexp_int": lambda m, i, b: m.logsumexp(i, 1),
    "sin_int": lambda m, i, b: m.sin(i),
    "exp2_int": lambda m, i, b: m.exp2(i),
    "atan2_int": lambda m, i, b: m.atan2(i, i + 10),
    "isnan_int": lambda m, i, b: m.isnan(i),
    "isfinite_bool": lambda m, i, b: m.isfinite(b),
    "nan_to_num_int": lambda m, i, b: m.nan_to_num(i),
    "signbit_int": lambda m, i, b: m.signbit(i),
    "bincount_like": lambda m, i, b: m.scatter_add(m.zeros(10, dtype=m.int64), 0, (i.abs() % 10).reshape(-1),
                                                   m.ones(6, dtype=m.int64)),
    "repeat_interleave_counts": lambda m, i, b: m.repeat_interleave(m.tensor([1, 0, 2])),
}


@pytest.mark.parametrize("name", sorted(INT_CASES))
def test_integer_and_bool_results(name):
    fn = INT_CASES[name]
    ko = _flat(fn(kitty, kitty.tensor(I), kitty.tensor(B_)))
    to = _flat(fn(torch, torch.tensor(I), torch.tensor(B_)))
    assert len(ko) == len(to)
    for k, t in zip(ko, to):
        assert str(k.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (k.dtype, t.dtype)
        assert tuple(k.shape) == tuple(t.shape)
        np.testing.assert_allclose(_np(k), _np(t), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# dim tuples, negative dims, keepdim

X3 = np.random.default_rng(3).standard_normal((2, 3, 4))

DIM_CASES = {
    "sum_tuple_neg": lambda m, x: x.sum((-1, 0)),
    "mean_tuple_keepdim": lambda m, x: m.mean(x, (0, -2), keepdim=True),
    "amax_tuple": lambda m, x: m.amax(x, (-1, -3)),
    "amin_neg_keepdim": lambda m, x: x.amin(-2, keepdim=True),
    "logsumexp_tuple": lambda m, x: m.logsumexp(x, (0, 2), keepdim=True),
    "std_tuple": lambda m, x: m.std(x, (-1, 1)),
    "var_mean_tuple": lambda m, x: m.var_mean(x, (0, 2)),
    "norm_tuple": lambda m, x: m.norm(x, dim=(-1, -2)),
    "vector_norm_tuple": lambda m, x: m.linalg.vector_norm(x, 3, dim=(0, -1), keepdim=True),
    "all_tuple": lambda m, x: m.all(x > -1, dim=(0, -1)),
    "count_nonzero_tuple": lambda m, x: m.count_nonzero(x > 0, dim=(-2, -1)),
    "max_neg": lambda m, x: m.max(x, -1),
    "argmax_neg": lambda m, x: m.argmax(x, -2),
    "cumsum_neg": lambda m, x: x.cumsum(-1),
    "sort_neg": lambda m, x: m.sort(x, -2),
    "topk_neg": lambda m, x: m.topk(x, 2, -3),
    "softmax_like": lambda m, x: x - m.logsumexp(x, -1, keepdim=True),
    "cat_neg": lambda m, x: m.cat([x, x], -2),
    "stack_neg": lambda m, x: m.stack([x, x], -1),
    "unbind_neg": lambda m, x: m.unbind(x, -1),
    "split_neg": lambda m, x: m.split(x, [1, 3], -1),
    "narrow_neg": lambda m, x: x.narrow(-2, 1, 2),
    "select_neg": lambda m, x: x.select(-1, -2),
    "gather_neg": lambda m, x: m.gather(x, -1, m.tensor([[[3], [0], [1]], [[2], [2], [0]]])),
    "index_select_neg": lambda m, x: m.index_select(x, -3, m.tensor([1, 0])),
    "flip_neg": lambda m, x: m.flip(x, (-1, -3)),
    "roll_neg": lambda m, x: m.roll(x, (1, -1), (-1, -2)),
    "movedim_neg": lambda m, x: m.movedim(x, -1, 0),
    "diagonal_neg": lambda m, x: m.diagonal(x, 0, -1, -2),
    "median_neg": lambda m, x: m.median(x, -1),
    "nansum_tuple": lambda m, x: m.nansum(x, (0, -1)),
}


@pytest.mark.parametrize("name", sorted(DIM_CASES))
def test_dim_tuples_and_negative_dims(name):
    assert_same(DIM_CASES[name], X3)


def test_bad_dims_raise_like_torch():
    for lib in (kitty, torch):
        x = lib.zeros(2, 3)
        with pytest.raises(IndexError):
            lib.amax(x, 2)
        with pytest.raises(IndexError):
            lib.cumsum(x, -3)
        with pytest.raises(RuntimeError):
            lib.amax(x, (0, -2))
        with pytest.raises(IndexError):
            x.max(5)
        with pytest.raises(TypeError):
            x.max(dim=(0,))


# ---------------------------------------------------------------------------------------------
# 0-d and empty tensors

ZERO_D = {
    "max_dim": lambda m, x: m.max(x, 0),
    "sort": lambda m, x: m.sort(x),
    "topk": lambda m, x: m.topk(x, 1),
    "cumsum": lambda m, x: m.cumsum(x, 0),
    "cumprod": lambda m, x: m.cumprod(x, -1),
    "argmax": lambda m, x: m.argmax(x, 0),
    "argmax_all": lambda m, x: m.argmax(x),
    "amax": lambda m, x: m.amax(x),
    "amax_dim": lambda m, x: m.amax(x, 0),
    "logsumexp": lambda m, x: m.logsumexp(x, 0),
    "prod": lambda m, x: m.prod(x, 0),
    "median": lambda m, x: m.median(x),
    "median_dim": lambda m, x: m.median(x, 0),
    "kthvalue": lambda m, x: m.kthvalue(x, 1),
    "sin": lambda m, x: m.sin(x),
    "erf": lambda m, x: m.erf(x),
    "where": lambda m, x: m.where(x > 0, x, -x),
    "clamp": lambda m, x: m.clamp(x, 0.0, 0.5),
    "unsqueeze_cat": lambda m, x: m.cat([x.unsqueeze(0), x.unsqueeze(0)]),
    "stack": lambda m, x: m.stack([x, x]),
    "gather": lambda m, x: m.gather(x, 0, m.tensor(0)),
    "index_select": lambda m, x: m.index_select(x, 0, m.tensor([0])),
    "atleast_2d": lambda m, x: m.atleast_2d(x),
    "norm": lambda m, x: m.norm(x),
    "nonzero": lambda m, x: m.nonzero(x),
    "flip": lambda m, x: m.flip(x, (0,)),
    "repeat": lambda m, x: x.repeat(3),
    "diag_embed_1": lambda m, x: m.diag_embed(x.reshape(1)),
    "masked_fill": lambda m, x: m.masked_fill(x, x > 0, 1.0),
    "lerp": lambda m, x: m.lerp(x, x * 2, 0.5),
}


@pytest.mark.parametrize("name", sorted(ZERO_D))
def test_zero_dim_tensors(name):
    assert_same(ZERO_D[name], 0.75)


EMPTY = {
    "sum": lambda m, x: m.sum(x, 0),
    "prod": lambda m, x: m.prod(x, 0),
    "prod_all": lambda m, x: m.prod(x),
    "logsumexp": lambda m, x: m.logsumexp(x, 0),
    "cumsum": lambda m, x: m.cumsum(x, 1),
    "cumprod": lambda m, x: m.cumprod(x, 0),
    "sort": lambda m, x: m.sort(x, 0),
    "argsort": lambda m, x: m.argsort(x, 0),
    "sin": lambda m, x: m.sin(x),
    "cat": lambda m, x: m.cat([x, x], 0),
    "cat_skip_1d": lambda m, x: m.cat([m.ones(2, 3, dtype=x.dtype), m.zeros(0, dtype=x.dtype)]),
    "stack": lambda m, x: m.stack([x, x]),
    "nonzero": lambda m, x: m.nonzero(x),
    "unique": lambda m, x: m.unique(x.detach()),
    "masked_select": lambda m, x: m.masked_select(x, x > 0),
    "where": lambda m, x: m.where(x > 0, x, 0.0),
    "median": lambda m, x: m.median(x),
    "amax_nonempty_dim": lambda m, x: m.amax(x, 1),
    "topk_0": lambda m, x: m.topk(x, 0, 0),
    "split": lambda m, x: m.split(x, 2, 1),
    "chunk": lambda m, x: m.chunk(x, 2, 1),
    "gather_empty_index": lambda m, x: m.gather(x, 0, m.zeros(0, 3, dtype=m.int64)),
    "matmul": lambda m, x: x @ m.ones(3, 2, dtype=x.dtype),
    "norm": lambda m, x: m.norm(x),
    "flip": lambda m, x: m.flip(x, (0, 1)),
    "pad": lambda m, x: _pad(m, x, (1, 1)),
    "tril": lambda m, x: m.tril(x),
}


def _pad(m, x, pad, mode="constant"):
    return m.nn.functional.pad(x, pad, mode=mode)


@pytest.mark.parametrize("name", sorted(EMPTY))
def test_empty_tensors(name):
    assert_same(EMPTY[name], np.zeros((0, 3)))


def test_reductions_of_empty_tensors_raise_like_torch():
    for lib in (kitty, torch):
        e = lib.zeros(0, 3)
        with pytest.raises(RuntimeError):
            e.max()
        with pytest.raises(RuntimeError):
            lib.amax(e)
        with pytest.raises(IndexError):
            e.amax(1 - 1)
        with pytest.raises(IndexError):
            e.max(0)
        with pytest.raises(IndexError):
            e.argmax()
        with pytest.raises(IndexError):
            e.median(0)


# ---------------------------------------------------------------------------------------------
# non-contiguous inputs (transposed, strided, expanded)

NONCONTIG = {
    "sin": lambda m, x: m.sin(x),
    "exp_": lambda m, x: (x * 1).exp_(),
    "sum_dim": lambda m, x: x.sum(0),
    "cumsum": lambda m, x: m.cumsum(x, 1),
    "cumprod": lambda m, x: m.cumprod(x, 0),
    "sort": lambda m, x: m.sort(x, 0),
    "topk": lambda m, x: m.topk(x, 2, 0),
    "amax": lambda m, x: m.amax(x, 1),
    "max_dim": lambda m, x: m.max(x, 0),
    "median_dim": lambda m, x: m.median(x, 1),
    "logsumexp": lambda m, x: m.logsumexp(x, 0),
    "matmul": lambda m, x: x @ x.mT,
    "inv": lambda m, x: m.linalg.inv(x[:3, :3] + 3 * m.eye(3, dtype=x.dtype)),
    "det": lambda m, x: m.linalg.det(x[:3, :3]),
    "solve": lambda m, x: m.linalg.solve(x[:3, :3] + 3 * m.eye(3, dtype=x.dtype), x[:3, 3]),
    "svdvals": lambda m, x: m.linalg.svdvals(x),
    "qr": lambda m, x: m.linalg.qr(x),
    "einsum": lambda m, x: m.einsum("ij,ij->j", x, x),
    "gather": lambda m, x: m.gather(x, 0, m.tensor([[1, 0], [2, 2]])),
    "scatter_add": lambda m, x: m.scatter_add(x, 1, m.tensor([[0, 0], [1, 0]]), x[:2, :2]),
    "index_add": lambda m, x: m.index_add(x, 0, m.tensor([0, 0]), x[1:3]),
    "index_select": lambda m, x: m.index_select(x, 1, m.tensor([1, 0, 1])),
    "masked_fill": lambda m, x: m.masked_fill(x, x > 0, 0.5),
    "masked_select": lambda m, x: m.masked_select(x, x > 0),
    "where": lambda m, x: m.where(x > 0, x, x * 2),
    "cat": lambda m, x: m.cat([x, x.flip(0)], 1),
    "stack": lambda m, x: m.stack([x, x], 0),
    "reshape": lambda m, x: x.reshape(-1),
    "flip": lambda m, x: m.flip(x, (1,)),
    "roll": lambda m, x: m.roll(x, 1, 0),
    "repeat": lambda m, x: x.repeat(2, 1),
    "repeat_interleave": lambda m, x: x.repeat_interleave(2, 0),
    "diagonal_write": lambda m, x: _diag_inplace(x),
    "tril": lambda m, x: m.tril(x),
    "norm": lambda m, x: m.linalg.matrix_norm(x, "nuc"),
    "clamp_": lambda m, x: (x * 1).clamp_(-0.5, 0.5),
    "pad_reflect": lambda m, x: _pad(m, x.unsqueeze(0), (1, 1), "reflect"),
    "take_along_dim": lambda m, x: m.take_along_dim(x, m.argsort(x, 0), 0),
    "unique": lambda m, x: m.unique((x > 0).long(), dim=0),
}


def _diag_inplace(x):
    y = x * 1
    y.mT.diagonal().mul_(2)
    return y


@pytest.mark.parametrize("name", sorted(NONCONTIG))
def test_non_contiguous_inputs(name):
    fn = NONCONTIG[name]
    base = np.random.default_rng(5).standard_normal((5, 8))
    # each library sees the same values through a transposed, strided view of its own tensor
    assert_same(lambda m, b: fn(m, b[:, ::2].mT), base)


def test_non_contiguous_input_is_really_non_contiguous():
    b = kitty.tensor(np.zeros((5, 8)))
    assert not b[:, ::2].mT.is_contiguous()


def test_in_place_through_a_non_contiguous_view_updates_the_base():
    for lib in (kitty, torch):
        a = lib.arange(12.0).reshape(3, 4).requires_grad_()
        x = a * 1
        x.mT[::2].sin_()
        x.sum().backward()
        if lib is kitty:
            kv, kg = x.detach().numpy().copy(), a.grad.numpy().copy()
        else:
            np.testing.assert_allclose(kv, x.detach().numpy(), rtol=1e-6)
            np.testing.assert_allclose(kg, a.grad.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# exception types on misuse (the same builtin class as torch)

MISUSE = {
    "cat_empty_list": lambda m: m.cat([]),
    "cat_sizes": lambda m: m.cat([m.zeros(2, 2), m.zeros(3, 3)], 1),
    "cat_ndim": lambda m: m.cat([m.zeros(2, 2), m.zeros(2)]),
    "cat_not_list": lambda m: m.cat(m.zeros(2)),
    "stack_sizes": lambda m: m.stack([m.zeros(2), m.zeros(3)]),
    "stack_empty": lambda m: m.stack([]),
    "split_sizes": lambda m: m.split(m.zeros(5), [1, 2]),
    "narrow_out": lambda m: m.zeros(4).narrow(0, 3, 2),
    "select_out": lambda m: m.zeros(3).select(0, 5),
    "chunk_zero": lambda m: m.zeros(3).chunk(0),
    "movedim_repeat": lambda m: m.zeros(2, 3).movedim((0, 1), (1, 1)),
    "unflatten_bad": lambda m: m.zeros(2, 3).unflatten(1, (2, 2)),
    "repeat_too_few": lambda m: m.zeros(2, 3).repeat(2),
    "flip_dup": lambda m: m.zeros(2, 3).flip((0, 0)),
    "roll_mismatch": lambda m: m.roll(m.zeros(2, 3), (1, 2), (0,)),
    "gather_out": lambda m: m.zeros(3, 2).gather(0, m.tensor([[5]])),
    "gather_float_index": lambda m: m.zeros(3, 2).gather(0, m.tensor([[0.0]])),
    "gather_big_index": lambda m: m.zeros(3, 2).gather(0, m.tensor([[0, 0, 0]])),
    "index_select_2d": lambda m: m.zeros(3, 2).index_select(0, m.tensor([[0]])),
    "index_select_out": lambda m: m.zeros(3, 2).index_select(0, m.tensor([5])),
    "masked_fill_int_mask": lambda m: m.zeros(3).masked_fill(m.tensor([1, 0, 1]), 1.0),
    "masked_fill_nd_value": lambda m: m.zeros(3).masked_fill(m.tensor([True, False, True]), m.ones(2)),
    "where_float_cond": lambda m: m.where(m.tensor([1.0, 0.0]), 1.0, 2.0),
    "take_out": lambda m: m.take(m.zeros(2, 2), m.tensor([4])),
    "bitwise_float": lambda m: m.bitwise_and(m.tensor([1.0]), m.tensor([1.0])),
    "bitwise_not_float": lambda m: m.bitwise_not(m.tensor([1.0])),
    "and_float": lambda m: m.tensor([1.0]) & m.tensor([1.0]),
    "frac_int": lambda m: m.frac(m.tensor([1, 2])),
    "lerp_int": lambda m: m.lerp(m.tensor([1]), m.tensor([2]), 0.5),
    "lerp_dtype": lambda m: m.lerp(m.tensor([1.0]), m.tensor([2.0], dtype=m.float64), 0.5),
    "addcdiv_int": lambda m: m.addcdiv(m.tensor([1]), m.tensor([2]), m.tensor([2])),
    "div_bad_mode": lambda m: m.div(m.tensor([1.0]), 2, rounding_mode="round"),
    "int_div_by_zero": lambda m: m.tensor([1, 2]) // 0,
    "int_remainder_by_zero": lambda m: m.remainder(m.tensor([1, 2]), 0),
    "maximum_scalar": lambda m: m.maximum(m.tensor([1.0]), 2.0),
    "eq_list": lambda m: m.eq(m.tensor([1]), [1]),
    "logical_and_int": lambda m: m.logical_and(m.tensor([1.0]), 1),
    "isclose_dtypes": lambda m: m.isclose(m.tensor([1]), m.tensor([1.0])),
    "max_dim_tuple": lambda m: m.zeros(3).max(dim=(0,)),
    "prod_dim_tuple": lambda m: m.prod(m.ones(2, 3), dim=(0, 1)),
    "logsumexp_no_dim": lambda m: m.logsumexp(m.zeros(2)),
    "topk_too_big": lambda m: m.zeros(2, 3).topk(4),
    "kthvalue_out": lambda m: m.zeros(2, 3).kthvalue(4),
    "mean_int": lambda m: m.tensor([1, 2]).mean(),
    "inv_singular": lambda m: m.linalg.inv(m.zeros(2, 2)),
    "inv_nonsquare": lambda m: m.linalg.inv(m.zeros(2, 3)),
    "inv_1d": lambda m: m.linalg.inv(m.zeros(2)),
    "det_int": lambda m: m.linalg.det(m.ones(2, 2, dtype=m.int64)),
    "cholesky_not_pd": lambda m: m.linalg.cholesky(-m.eye(2)),
    "solve_singular": lambda m: m.linalg.solve(m.zeros(2, 2), m.ones(2)),
    "solve_shapes": lambda m: m.linalg.solve(m.eye(2), m.ones(3)),
    "qr_bad_mode": lambda m: m.linalg.qr(m.eye(2), mode="full"),
    "tril_1d": lambda m: m.tril(m.ones(3)),
    "diag_3d": lambda m: m.diag(m.ones(2, 3, 4)),
    "diagonal_same_dims": lambda m: m.diagonal(m.ones(2, 2), 0, 1, 1),
    "trace_3d": lambda m: m.trace(m.ones(2, 2, 2)),
    "einsum_dtype": lambda m: m.einsum("ij,jk", m.ones(2, 3), m.ones(3, 4, dtype=m.float64)),
    "einsum_operands": lambda m: m.einsum("ij,jk", m.ones(2, 3)),
    "tensordot_mismatch": lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 5), dims=1),
    "addmm_shapes": lambda m: m.addmm(m.zeros(2, 2), m.ones(2, 3), m.ones(2, 2)),
    "outer_2d": lambda m: m.outer(m.ones(2, 2), m.ones(2)),
    "cross_not_3": lambda m: m.linalg.cross(m.ones(2, 2), m.ones(2, 2)),
    "matrix_power_nonsquare": lambda m: m.linalg.matrix_power(m.ones(2, 3), 2),
    "vector_norm_str": lambda m: m.linalg.vector_norm(m.ones(2), "fro"),
    "pad_odd": lambda m: _pad(m, m.zeros(1, 3), (3,)),
    "pad_reflect_big": lambda m: _pad(m, m.zeros(1, 3), (3, 3), "reflect"),
    "pad_reflect_dims": lambda m: _pad(m, m.zeros(3), (1, 1), "reflect"),
    "pad_bad_mode": lambda m: _pad(m, m.zeros(1, 3), (1, 1), "mirror"),
    "argmax_bool": lambda m: m.tensor([True, False]).argmax(),
    "topk_bool": lambda m: m.tensor([True, False]).topk(1),
    "median_bool": lambda m: m.tensor([True, False]).median(),
    "kthvalue_bool": lambda m: m.tensor([True, False]).kthvalue(1),
    "multinomial_too_many": lambda m: m.multinomial(m.ones(3), 4),
    "multinomial_negative": lambda m: m.multinomial(m.tensor([1.0, -1.0]), 1),
    "normal_negative_std": lambda m: m.normal(m.zeros(2), -m.ones(2)),
    "bernoulli_p_range": lambda m: m.bernoulli(m.tensor([1.5])),
    "uniform_leaf": lambda m: m.zeros(2, requires_grad=True).uniform_(),
    "sin_int_inplace": lambda m: m.tensor([1, 2]).sin_(),
    "exp_leaf_inplace": lambda m: m.zeros(2, requires_grad=True).exp_(),
    "masked_fill_leaf": lambda m: m.zeros(2, requires_grad=True).masked_fill_(m.tensor([True, False]), 1.0),
    "scatter_dtype": lambda m: m.zeros(3).scatter(0, m.tensor([0]), m.ones(1, dtype=m.float64)),
    "index_add_shape": lambda m: m.zeros(3, 2).index_add(0, m.tensor([0]), m.ones(2, 2)),
    "nan_to_num_list": lambda m: m.nan_to_num([1.0]),
    "sin_list": lambda m: m.sin([1.0]),
}


def _builtin_base(exc) -> type:
    for cls in (IndexError, TypeError, ValueError, NotImplementedError, RuntimeError):
        if isinstance(exc, cls):
            return cls
    return type(exc)


@pytest.mark.parametrize("name", sorted(MISUSE))
def test_misuse_raises_torchs_exception_type(name):
    fn = MISUSE[name]
    with pytest.raises(Exception) as t_err:
        fn(torch)
    expected = _builtin_base(t_err.value)
    with pytest.raises(Exception) as k_err:
        fn(kitty)
    assert isinstance(k_err.value, expected), f"torch raises {type(t_err.value).__name__}, kittygrad {type(k_err.value).__name__}: {k_err.value}"
    if type(k_err.value) is not TypeError:  # Python's own TypeError for a missing argument is fine
        assert isinstance(k_err.value, kitty.KittygradError), f"{type(k_err.value).__name__} is not a kittygrad error"


def test_qr_mode_r_has_no_derivative_like_torch():
    for lib in (kitty, torch):
        q, r = lib.linalg.qr(lib.ones(3, 2, requires_grad=True), mode="r")
        assert tuple(q.shape) == (0,) and r.requires_grad
        with pytest.raises(RuntimeError):
            r.sum().backward()


def test_linalg_error_is_a_runtime_error():
    with pytest.raises(kitty.linalg.LinAlgError):
        kitty.linalg.inv(kitty.zeros(2, 2))
    assert issubclass(kitty.linalg.LinAlgError, RuntimeError)


# ---------------------------------------------------------------------------------------------
# in-place twins: version control and gradients


def test_in_place_twins_bump_the_version_like_torch():
    def steps(lib):
        t = lib.zeros(2, 3)
        versions = [t._version]
        t.sin_()
        t.clamp_min_(0)
        t.masked_fill_(t > 0, 1.0)
        t.uniform_()
        t.scatter_(1, lib.tensor([[0], [1]]), 2.0)
        t.index_add_(0, lib.tensor([1]), lib.ones(1, 3))
        t.floor_()
        t.lerp_(lib.ones(2, 3), 0.5)
        t.addcmul_(t, t)
        versions.append(t._version)
        return versions

    assert steps(kitty) == steps(torch)


@pytest.mark.parametrize("inplace", ["sin_", "exp_", "sigmoid_", "uniform_", "normal_", "zero_", "floor_"])
def test_in_place_on_a_saved_tensor_raises_at_backward(inplace):
    for lib in (kitty, torch):
        a = lib.tensor([0.5, 1.5], requires_grad=True)
        y = a.exp()  # exp saves its output
        getattr(y, inplace)()
        with pytest.raises(RuntimeError):
            y.sum().backward()


def test_in_place_on_an_input_saved_by_mul_raises_at_backward():
    for lib in (kitty, torch):
        a = lib.tensor([0.5, 1.5], requires_grad=True)
        b = a * 1
        c = b * b
        b.masked_fill_(b > 1, 0.0)
        with pytest.raises(RuntimeError):
            c.sum().backward()


def test_in_place_chain_gradients_match_torch():
    def fn(m, a, b):
        x = a * 1
        x.sin_().mul_(b).clamp_(-0.5, 0.5)
        x.index_add_(0, m.tensor([0, 0]), b[:2] * 2)
        x.masked_fill_(b > 1.2, 0.25)
        x.scatter_add_(0, m.tensor([2, 1]), a[1:3])
        v = x[1:]
        v.atan2_(b[1:] + 2)
        x.lerp_(b, 0.3)
        return x

    assert_same(fn, [0.3, -1.2, 2.0, 0.7], [1.1, 0.4, -0.9, 1.5])


# ---------------------------------------------------------------------------------------------
# random ops: seeding, generators, distributions


def _draws(seed):
    kitty.manual_seed(seed)
    return [
        kitty.normal(kitty.zeros(3), kitty.ones(3)).tolist(),
        kitty.normal(0.0, 1.0, size=(2,)).tolist(),
        kitty.bernoulli(kitty.full((4,), 0.5)).tolist(),
        kitty.multinomial(kitty.ones(5), 3).tolist(),
        kitty.zeros(3).uniform_().tolist(),
        kitty.zeros(3).normal_().tolist(),
        kitty.zeros(3).exponential_().tolist(),
        kitty.zeros(3).random_(10).tolist(),
        kitty.randperm(6).tolist(),
        kitty.poisson(kitty.full((3,), 4.0)).tolist(),
    ]


def test_manual_seed_repeats_every_random_op():
    assert _draws(7) == _draws(7)
    assert _draws(7) != _draws(8)


def test_generator_is_independent_of_the_default_one():
    g1 = kitty.Generator().manual_seed(3)
    g2 = kitty.Generator().manual_seed(3)
    kitty.manual_seed(0)
    a = kitty.zeros(5).uniform_(generator=g1)
    kitty.rand(10)  # moves the default generator only
    b = kitty.zeros(5).uniform_(generator=g2)
    assert a.tolist() == b.tolist()
    assert kitty.normal(0.0, 1.0, (4,), generator=g1).tolist() == kitty.normal(0.0, 1.0, (4,), generator=g2).tolist()
    assert kitty.multinomial(kitty.ones(6), 6, generator=g1).tolist() == kitty.multinomial(kitty.ones(6), 6, generator=g2).tolist()


def test_sampling_distributions():
    kitty.manual_seed(1)
    n = 40000
    u = kitty.zeros(n).uniform_(2.0, 5.0)
    assert u.min().item() >= 2.0 and u.max().item() < 5.0 and abs(u.mean().item() - 3.5) < 0.03
    z = kitty.empty(n, dtype=kitty.float64).normal_(1.0, 2.0)
    assert z.dtype is kitty.float64 and abs(z.mean().item() - 1.0) < 0.05 and abs(z.std().item() - 2.0) < 0.05
    b = kitty.zeros(n).bernoulli_(0.3)
    assert set(b.unique().tolist()) == {0.0, 1.0} and abs(b.mean().item() - 0.3) < 0.01
    bp = kitty.bernoulli(kitty.tensor([0.0, 1.0]).repeat(n // 2))
    assert bp.tolist()[:4] == [0.0, 1.0, 0.0, 1.0]
    e = kitty.zeros(n).exponential_(2.0)
    assert e.min().item() >= 0 and abs(e.mean().item() - 0.5) < 0.02
    g = kitty.zeros(n).geometric_(0.25)
    assert g.min().item() >= 1 and abs(g.mean().item() - 4.0) < 0.1
    ln = kitty.zeros(n, dtype=kitty.float64).log_normal_(1.0, 0.5)
    assert abs(ln.log().mean().item() - 1.0) < 0.02
    c = kitty.zeros(n).cauchy_(2.0, 1.0)
    assert abs(c.median().item() - 2.0) < 0.05
    r = kitty.zeros(n, dtype=kitty.int64).random_(3, 7)
    assert set(r.unique().tolist()) == {3, 4, 5, 6}
    p = kitty.poisson(kitty.full((n,), 3.0))
    assert abs(p.mean().item() - 3.0) < 0.05
    nm = kitty.normal(kitty.full((n,), 5.0), 0.1)
    assert abs(nm.mean().item() - 5.0) < 0.01


def test_multinomial_frequencies_and_no_replacement():
    kitty.manual_seed(2)
    w = kitty.tensor([1.0, 3.0, 0.0, 6.0])
    draws = kitty.multinomial(w, 20000, replacement=True)
    counts = np.bincount(draws.numpy(), minlength=4) / 20000
    np.testing.assert_allclose(counts, [0.1, 0.3, 0.0, 0.6], atol=0.015)
    rows = kitty.multinomial(kitty.ones(50, 6), 6)
    assert rows.shape == (50, 6) and rows.dtype is kitty.int64
    assert all(sorted(r) == list(range(6)) for r in rows.tolist())
    # more samples than categories with weight: torch 2.13 draws the weighted ones first, then the
    # zero-weight one (its rejection was dropped), and so does kittygrad, with the same stream
    for seed in range(3):
        torch.manual_seed(seed)
        kitty.manual_seed(seed)
        assert kitty.multinomial(w, 4).tolist() == torch.multinomial(torch.tensor(w.tolist()), 4).tolist()


@pytest.mark.parametrize("rows", [[1.0, -1.0], [float("inf"), 1.0], [float("nan"), 1.0], [0.0, 0.0],
                                  [[0.0, 0.0], [-1.0, 1.0]], [[1.0, 1.0], [float("inf"), -1.0]], [[1.0, float("nan")], [1.0, 1.0]]])
@pytest.mark.parametrize("n, replacement", [(1, True), (2, True), (2, False)])
def test_multinomial_words_bad_weights_as_torch(rows, n, replacement):
    # torch's kernel for many samples with replacement names the first bad entry in row order
    # (NaN fails its ">= 0" test); the other path checks the whole tensor with one message
    with pytest.raises(RuntimeError) as theirs:
        torch.multinomial(torch.tensor(rows), n, replacement)
    with pytest.raises(RuntimeError) as ours:
        kitty.multinomial(kitty.tensor(rows), n, replacement)
    assert str(ours.value) == str(theirs.value)


def test_random_ops_keep_dtype_and_give_zero_gradients():
    for lib in (kitty, torch):
        mean = lib.zeros(3, dtype=lib.float64, requires_grad=True)
        out = lib.normal(mean, 1.0)
        assert out.dtype == lib.float64 and out.requires_grad
        out.sum().backward()
        assert mean.grad.tolist() == [0.0, 0.0, 0.0]
        x = lib.ones(3, requires_grad=True) * 2
        x.uniform_()
        assert x.requires_grad


# ---------------------------------------------------------------------------------------------
# named result tuples


def test_named_tuples_look_like_torchs():
    x = kitty.tensor([[1.0, 5.0], [4.0, 2.0]])
    r = kitty.max(x, 1)
    assert isinstance(r, tuple) and r.values is r[0] and r.indices is r[1]
    assert repr(r) == "kittygrad.return_types.max(\nvalues=tensor([5., 4.]),\nindices=tensor([1, 0]))"
    assert type(r).__name__ == "max" and isinstance(r, kitty.return_types.max)
    v, i = x.sort(descending=True)
    assert v.tolist() == [[5.0, 1.0], [4.0, 2.0]] and i.tolist() == [[1, 0], [0, 1]]
    for res, fields in [
        (x.min(0), ("values", "indices")),
        (x.median(1), ("values", "indices")),
        (x.topk(1), ("values", "indices")),
        (x.kthvalue(1), ("values", "indices")),
        (x.cummax(0), ("values", "indices")),
        (kitty.aminmax(x), ("min", "max")),
        (kitty.linalg.slogdet(x), ("sign", "logabsdet")),
        (kitty.linalg.qr(x), ("Q", "R")),
        (kitty.linalg.svd(x), ("U", "S", "Vh")),
        (kitty.svd(x), ("U", "S", "V")),
    ]:
        assert res._fields == fields


def test_max_with_tensor_is_maximum():
    a, b = kitty.tensor([1.0, 5.0]), kitty.tensor([3.0, 2.0])
    assert kitty.max(a, b).tolist() == [3.0, 5.0] and a.min(b).tolist() == [1.0, 2.0]


# ---------------------------------------------------------------------------------------------
# functions and methods: both forms where torch has both


def _my_public_functions():
    import importlib
    import inspect
    import pkgutil

    import kittygrad.ops as ops_pkg

    names = set()
    for info in pkgutil.walk_packages(ops_pkg.__path__, "kittygrad.ops."):
        if info.name.rsplit(".", 1)[-1].startswith("_") or info.ispkg:
            continue
        mod = importlib.import_module(info.name)
        for name, obj in vars(mod).items():
            if not name.startswith("_") and inspect.isfunction(obj) and obj.__module__ == mod.__name__:
                names.add(name)
    return names


def test_every_torch_function_has_its_tensor_method():
    missing = sorted(
        n for n in _my_public_functions() - REMOVED_IN_TORCH if hasattr(torch.Tensor, n) and not hasattr(kitty.Tensor, n)
    )
    assert not missing, f"torch.Tensor has these methods, kittygrad.Tensor does not: {missing}"


REMOVED_IN_TORCH = {"solve"}  # torch.solve / Tensor.solve only raise "deprecated ... and is now removed"


def test_every_op_function_is_exported_where_torch_exports_it():
    missing = []
    for n in _my_public_functions() - REMOVED_IN_TORCH:
        if hasattr(torch, n) and not hasattr(kitty, n):
            missing.append(n)
        if hasattr(torch.linalg, n) and not hasattr(kitty.linalg, n):
            missing.append("linalg." + n)
    for n in ("inv", "det", "slogdet", "solve", "cholesky", "qr", "svd", "svdvals", "norm", "vector_norm",
              "matrix_norm", "cross", "matrix_power", "multi_dot", "matmul", "vdot", "diagonal"):
        if not hasattr(kitty.linalg, n):
            missing.append("linalg." + n)
    assert not missing, f"not exported like torch: {sorted(missing)}"


def test_tensor_methods_exist_only_where_torch_has_them():
    from kittygrad._tensor_methods import TensorMethods

    extra = sorted(n for n in vars(TensorMethods) if not n.startswith("_") and not hasattr(torch.Tensor, n))
    assert not extra, f"Tensor methods torch does not have: {extra}"


UNARY_METHODS = ["sin", "cos", "tan", "atan", "sinh", "cosh", "asinh", "exp2", "expm1", "square", "erf", "erfc",
                 "sign", "floor", "ceil", "trunc", "round", "frac", "arctan", "fix", "sgn", "isnan", "isfinite",
                 "signbit", "logical_not", "nan_to_num", "msort", "ravel", "fliplr", "flipud", "diag",
                 "trace", "tril", "triu", "nonzero", "argwhere", "count_nonzero", "all", "any", "argmax", "argmin",
                 "amax", "amin", "prod", "median", "nanmedian", "unique", "norm", "nansum", "nanmean", "logit"]


@pytest.mark.parametrize("name", UNARY_METHODS)
def test_method_matches_function(name):
    x = kitty.tensor([[0.3, -1.2, 0.0], [2.5, 0.7, -0.4]])
    a, b = getattr(x, name)(), getattr(kitty, name)(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype is b.dtype


def test_table_covers_at_least_150_public_ops():
    import sys

    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    from op_table import ROWS

    names = set()
    for r in ROWS:
        names.update(r.names)
    public = {
        n for n in names
        if (n.startswith("linalg.") and hasattr(kitty.linalg, n[7:])) or hasattr(kitty, n) or hasattr(kitty.Tensor, n)
    }
    assert len(public) >= 150, len(public)


def test_inf_and_nan_arithmetic_is_silent_like_torch_but_user_numpy_still_warns():
    # NumPy warns on 1/0, log(0), 0*inf and exp overflow; torch computes the same values silently,
    # so kittygrad's ops must not print NumPy's warnings (which would name kittygrad's own lines)
    import subprocess
    import sys

    code = (
        "import numpy as np, kittygrad as kitty\n"
        "x = kitty.tensor([0., 1., float('inf')], requires_grad=True)\n"
        "y = (x / 0).sum() + x.log().sum() + (x * float('inf')).sum() + (x * 1e30).exp().sum()\n"
        "y.backward()\n"
        "print(y.item(), x.grad.tolist())\n"
        "np.array([1.0]) / 0\n"
    )
    run = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "kittygrad" not in run.stderr, run.stderr
    assert "divide by zero" in run.stderr  # the user's own NumPy division keeps its warning


def test_fully_masked_softmax_and_overflowing_prod_stay_silent_under_a_users_filter():
    # a program's own warnings.simplefilter("error"/"always") comes before kittygrad's filter of
    # NumPy's RuntimeWarnings, and NumPy's prod warns from NumPy's module, which that filter does
    # not name: these ops silence NumPy themselves. A query whose keys are all masked is NaN in torch.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = kitty.tensor([[float("-inf")] * 3, [0.0, float("-inf"), 1.0]], requires_grad=True)
        probs = kitty.softmax(rows, -1)
        logp = kitty.log_softmax(rows, -1)
        probs[1].sum().backward()
        assert np.isnan(probs[0].detach().numpy()).all() and np.isnan(logp[0].detach().numpy()).all()
        np.testing.assert_allclose(probs[1].detach().numpy(), torch.softmax(torch.tensor([0.0, -np.inf, 1.0]), 0).numpy(), rtol=1e-6)
        mha = kitty.nn.MultiheadAttention(4, 1, batch_first=True)
        x = kitty.randn(1, 3, 4)
        out, w = mha(x, x, x, key_padding_mask=kitty.tensor([[True, True, True]]))
        assert np.isnan(out.detach().numpy()).all() and np.isnan(w.detach().numpy()).all()
        assert kitty.tensor([1e30, 1e30]).prod().item() == float("inf")


@pytest.mark.parametrize("a_shape, b_batch", [((4, 2, 3), (4,)), ((2, 4, 2, 3), (4,)), ((2, 4, 2, 3), (1, 4)),
                                              ((1, 2, 3), (4,)), ((4, 2, 3), (2, 4))])
def test_matmul_with_a_matrix_repeated_along_the_batch(a_shape, b_batch):
    """``a @ w.expand(...)`` (a weight broadcast to every sample, what vmap hands matmul for
    per-sample weights) runs as one GEMM when a's batch dims are the product's, as a batched
    product otherwise; values and both gradients as torch's either way."""
    rng = np.random.default_rng(5)
    a, w = rng.standard_normal(a_shape), rng.standard_normal((3, 5))
    (k_out, k_grads), (t_out, t_grads) = run_both(lambda lib, x, m: x @ m.expand(*b_batch, 3, 5), a, w)
    for k, t in zip(k_out + k_grads, t_out + t_grads):
        np.testing.assert_allclose(_np(k), _np(t), rtol=1e-10, atol=1e-12)
