"""Op-table rows for the op families of issue 3 (elementwise, comparisons, reductions, linear
algebra, joining, gather/scatter, in-place twins, random ops). See tests/op_table.py."""
from __future__ import annotations

import numpy as np

from op_table import Row, away_from_int, away_from_zero, distinct, fixed, matrix_shapes, positive, unit_open


def sigmoid_open(x):  # (0.05, 0.95)
    return 0.05 + 0.9 / (1 + np.exp(-x))


def above_one(x):
    return np.abs(x) + 1.5


def away_from_tenths(x):  # for round(decimals=1)
    return (np.floor(x * 10) + 0.3) / 10


def well_conditioned(x):
    """Add a multiple of the identity to the last two dims when they are square."""
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        return x
    return x + 3.0 * np.eye(x.shape[-1])


def clamp_domain(x):
    return x * 1.013 + 0.001


def _bits(m, a):
    return a.abs() % 4


def _specials(m, a):
    # finite values, NaN (log of negatives) and ±inf (1 / ±0)
    return m.stack([a, a.log(), 1 / (a * 0)])


def _spd(m, a):
    n = a.shape[-1]
    return a @ a.mT + n * m.eye(n, dtype=a.dtype)


# ---- elementwise unary ops: function rows and in-place twins, with their domains -------------
UNARY = [
    ("sin", None), ("cos", None), ("tan", unit_open), ("asin", unit_open), ("acos", unit_open),
    ("atan", None), ("sinh", None), ("cosh", None), ("asinh", None), ("acosh", above_one),
    ("atanh", unit_open), ("exp2", None), ("expm1", None), ("log2", positive), ("log10", positive),
    ("log1p", positive), ("rsqrt", positive), ("square", None), ("reciprocal", away_from_zero),
    ("erf", None), ("erfc", None), ("erfinv", unit_open), ("frac", away_from_int), ("sign", away_from_zero),
    ("floor", away_from_int), ("ceil", away_from_int), ("trunc", away_from_int), ("round", away_from_int),
    ("logit", sigmoid_open),
]
ALIASES = {"asin": ("arcsin",), "acos": ("arccos",), "atan": ("arctan",), "asinh": ("arcsinh",),
           "acosh": ("arccosh",), "atanh": ("arctanh",), "trunc": ("fix",), "sign": ("sgn",)}
INT_OK = {"square", "sign", "floor", "ceil", "trunc", "round", "sin", "exp2", "reciprocal", "rsqrt"}


def _unary_rows():
    rows = []
    for name, dom in UNARY:
        rows.append(Row(name, lambda m, a, n=name: getattr(m, n)(a), domain=dom, also=ALIASES.get(name, ()),
                        ints=name in INT_OK and name not in ("rsqrt", "reciprocal")))
        rows.append(Row(name + "_method", lambda m, a, n=name: getattr(a, n)(), domain=dom))
        # torch has no derivative for the in-place inverse hyperbolics (kittygrad has one)
        grad = name not in ("asinh", "acosh", "atanh")
        rows.append(Row(name + "_", lambda m, a, n=name: getattr(a * 1, n + "_")(), domain=dom, grad=grad, fd=grad))
    for name, dom in (("exp", None), ("log", positive), ("sqrt", positive), ("sigmoid", None), ("tanh", None),
                      ("relu", away_from_zero), ("abs", away_from_zero), ("neg", None)):
        rows.append(Row(name + "_", lambda m, a, n=name: getattr(a * 1, n + "_")(), domain=dom))
    return rows


ELEMENTWISE = [
    Row("sgn_", lambda m, a: (a * 1).sgn_() * a, domain=away_from_zero),
    Row("fix_", lambda m, a: (a * 1).fix_(), domain=away_from_int),
    Row("round_decimals", lambda m, a: m.round(a, decimals=1), domain=away_from_tenths),
    Row("round_int", lambda m, a: m.round(a.long()), fd=False, grad=False),
    Row("logit_eps", lambda m, a: m.logit(a, eps=0.2), domain=sigmoid_open, fd=False),
    Row("logit_eps_", lambda m, a: (a * 1).logit_(0.2), domain=sigmoid_open, fd=False),
    Row("nan_to_num", lambda m, a: m.nan_to_num(m.log(a), nan=0.5, posinf=2.0, neginf=-3.0), domain=away_from_zero),
    Row("nan_to_num_default", lambda m, a: a.nan_to_num() * 1, shapes=fixed((4,)), fd=False,
        domain=lambda x: np.array([1.0, np.inf, -np.inf, np.nan])),
    Row("nan_to_num_", lambda m, a: (a * 1).nan_to_num_(nan=1.5), domain=away_from_zero),
    Row("clamp_min", lambda m, a: m.clamp_min(a, -0.3), domain=clamp_domain, also=("clamp_min_method",)),
    Row("clamp_max", lambda m, a: a.clamp_max(0.4), domain=clamp_domain),
    Row("clamp_min_", lambda m, a: (a * 1).clamp_min_(-0.3), domain=clamp_domain),
    Row("clamp_max_", lambda m, a: (a * 1).clamp_max_(0.4), domain=clamp_domain),
    Row("clamp_int", lambda m, a: m.clamp(a.long(), -1, 1), grad=False, fd=False),
    # ---- binary ----
    Row("atan2", lambda m, a, b: m.atan2(a, b), 2, broadcast=True, domain=away_from_zero, also=("arctan2",)),
    Row("atan2_", lambda m, a, b: (a * 1).atan2_(b), 2, shapes=fixed((3, 4), (4,)), domain=away_from_zero,
        also=("arctan2_",)),
    Row("maximum", lambda m, a, b: m.maximum(a, b), 2, broadcast=True, ints=True),
    Row("minimum", lambda m, a, b: a.minimum(b), 2, broadcast=True, ints=True),
    Row("maximum_ties", lambda m, a, b: m.maximum(a.round(), b.round()) * a, 2, shapes=fixed((6,), (6,)),
        domain=away_from_int, fd=False),
    Row("fmax", lambda m, a, b: m.fmax(a, b), 2, broadcast=True),
    Row("fmin", lambda m, a, b: a.fmin(b), 2, broadcast=True),
    Row("fmax_nan", lambda m, a, b: m.fmax(m.where(a > 0, a, a.log()), b), 2, shapes=fixed((3, 4), (4,)), fd=False,
        domain=away_from_zero),
    Row("fmod", lambda m, a, b: m.fmod(a, b), 2, broadcast=True, domain=away_from_zero),
    Row("fmod_int", lambda m, a, b: m.fmod(a, b * b + 1), 2, inputs="int", broadcast=True),
    Row("fmod_scalar", lambda m, a: a.fmod(0.7), domain=away_from_zero),
    Row("fmod_", lambda m, a, b: (a * 1).fmod_(b), 2, shapes=fixed((3, 4), (4,)), domain=away_from_zero),
    Row("remainder", lambda m, a, b: m.remainder(a, b), 2, broadcast=True, domain=away_from_zero,
        also=("__mod__",)),
    Row("remainder_int", lambda m, a, b: a % (b * b + 1), 2, inputs="int", broadcast=True),
    Row("__rmod__", lambda m, a: 2.5 % a, domain=away_from_zero, grad=False),
    Row("remainder_", lambda m, a, b: (a * 1).remainder_(b), 2, shapes=fixed((3, 4), (4,)), domain=away_from_zero,
        also=("__imod__",)),
    Row("floor_divide", lambda m, a, b: m.floor_divide(a, b), 2, broadcast=True, domain=away_from_zero,
        grad=False, fd=False, also=("__floordiv__",)),
    Row("floor_divide_graph", lambda m, a, b: m.floor_divide(a, b).detach() + a, 2, broadcast=True,
        domain=away_from_zero),
    Row("floor_divide_int", lambda m, a, b: a // (b * b + 1), 2, inputs="int", broadcast=True),
    Row("__rfloordiv__", lambda m, a: 7 // (a * a + 1), inputs="int"),
    Row("floor_divide_", lambda m, a, b: a.clone().floor_divide_(b), 2, shapes=fixed((3, 4), (4,)),
        domain=away_from_zero, grad=False, fd=False, also=("__ifloordiv__",)),
    Row("div_trunc", lambda m, a, b: m.div(a, b, rounding_mode="trunc"), 2, broadcast=True, domain=away_from_zero,
        also=("div_rounding",)),
    Row("div_floor", lambda m, a, b: a.div(b, rounding_mode="floor"), 2, broadcast=True, domain=away_from_zero),
    Row("div_trunc_int", lambda m, a, b: m.div(a, b * b + 1, rounding_mode="trunc"), 2, inputs="int",
        broadcast=True),
    Row("div_floor_int", lambda m, a, b: m.div(a, -b * b - 1, rounding_mode="floor"), 2, inputs="int",
        broadcast=True),
    Row("div_rounding_", lambda m, a, b: (a * 1).div_(b, rounding_mode="floor"), 2, shapes=fixed((3, 4), (4,)),
        domain=away_from_zero),
    Row("hypot", lambda m, a, b: m.hypot(a, b), 2, broadcast=True, domain=away_from_zero),
    Row("hypot_", lambda m, a, b: (a * 1).hypot_(b), 2, shapes=fixed((3, 4), (4,)), domain=away_from_zero),
    Row("logaddexp", lambda m, a, b: m.logaddexp(a, b), 2, broadcast=True),
    Row("xlogy", lambda m, a, b: m.xlogy(a, b), 2, broadcast=True, domain=positive),
    Row("xlogy_zero", lambda m, a, b: m.xlogy(a * (a > 1.0), b), 2, shapes=fixed((3, 4), (4,)), domain=positive),
    Row("xlogy_", lambda m, a, b: (a * 1).xlogy_(b), 2, shapes=fixed((3, 4), (4,)), domain=positive),
    # ---- ternary ----
    Row("where", lambda m, a, b: m.where(a > 0, a, b), 2, broadcast=True, domain=away_from_zero,
        also=("where_method",)),
    Row("where_method", lambda m, a, b: a.where(b > 0, b * 2), 2, broadcast=True, domain=away_from_zero),
    Row("where_scalar", lambda m, a: m.where(a > 0, a, 0.5), domain=away_from_zero),
    Row("where_scalars", lambda m, a: m.where(a > 0, 1.0, 2), grad=False, fd=False),
    Row("where_int", lambda m, a, b: m.where(a > 0, a, b), 2, inputs="int", broadcast=True),
    Row("where_mixed", lambda m, a, b: m.where(b > 0, a.long(), b), 2, shapes=fixed((3, 1), (4,)), fd=False,
        domain=away_from_int),
    Row("lerp", lambda m, a, b, c: m.lerp(a, b, c), 3, broadcast=True),
    Row("lerp_scalar", lambda m, a, b: a.lerp(b, 0.3), 2, broadcast=True),
    Row("lerp_", lambda m, a, b, c: (a * 1).lerp_(b, c), 3, shapes=fixed((3, 4), (4,), (3, 1))),
    Row("addcmul", lambda m, a, b, c: m.addcmul(a, b, c, value=0.5), 3, broadcast=True),
    Row("addcmul_", lambda m, a, b, c: (a * 1).addcmul_(b, c, value=-2), 3, shapes=fixed((3, 4), (4,), (3, 1))),
    Row("addcdiv", lambda m, a, b, c: a.addcdiv(b, c, value=2), 3, broadcast=True, domain=away_from_zero),
    Row("addcdiv_", lambda m, a, b, c: (a * 1).addcdiv_(b, c), 3, shapes=fixed((3, 4), (4,), (3, 1)),
        domain=away_from_zero),
]

COMPARISONS = [
    Row(name, lambda m, a, b, n=name: getattr(m, n)(a, b), 2, broadcast=True, ints=True,
        also=(name + "_method",)) for name in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal",
                                                "less", "less_equal", "not_equal")
] + [
    Row("gt_method", lambda m, a, b: a.greater(b), 2, broadcast=True),
    Row("eq_scalar", lambda m, a: m.eq(a.round(), 1), domain=away_from_int),
    Row("lt_int_float", lambda m, a: m.lt(a, 0.5), inputs="int"),
    Row("isclose", lambda m, a, b: m.isclose(a, a + b * 1e-4), 2, broadcast=True),
    Row("isclose_nan", lambda m, a: m.isclose(_specials(m, a), _specials(m, a), equal_nan=True), domain=away_from_zero),
    Row("allclose", lambda m, a, b: m.tensor(m.allclose(a, b) + 2 * a.allclose(a)), 2, broadcast=True),
    Row("equal", lambda m, a, b: m.tensor([m.equal(a, b), a.equal(a), m.equal(a, a[:1])]), 2, shapes=fixed((3,), (3,))),
    Row("isnan", lambda m, a: m.isnan(_specials(m, a)), domain=away_from_zero, also=("isnan_method",)),
    Row("isinf", lambda m, a: _specials(m, a).isinf(), domain=away_from_zero),
    Row("isposinf", lambda m, a: m.isposinf(_specials(m, a)), domain=away_from_zero),
    Row("isneginf", lambda m, a: m.isneginf(_specials(m, a)), domain=away_from_zero),
    Row("isfinite", lambda m, a: m.isfinite(_specials(m, a)), domain=away_from_zero),
    Row("isreal", lambda m, a: m.isreal(a)),
    Row("signbit", lambda m, a: m.signbit(a), ints=True),
    Row("isnan_int", lambda m, a: m.stack([m.isnan(a), m.isinf(a), m.isfinite(a)]), inputs="int"),
    Row("logical_and", lambda m, a, b: m.logical_and(a, b), 2, broadcast=True, ints=True),
    Row("logical_or", lambda m, a, b: m.logical_or(a > 0, b), 2, broadcast=True),
    Row("logical_xor", lambda m, a, b: a.logical_xor(b > 0), 2, broadcast=True),
    Row("logical_not", lambda m, a: m.logical_not(a > 0), ints=True),
    Row("logical_and_", lambda m, a, b: (a * 1).logical_and_(b), 2, inputs="int", shapes=fixed((3, 4), (4,)),
        also=("logical_or_", "logical_xor_", "logical_not_")),
    Row("logical_or_", lambda m, a, b: (a > 0).logical_or_(b > 0).logical_xor_(b > 1).logical_not_(), 2,
        inputs="int", shapes=fixed((3, 4), (4,))),
    Row("bitwise_and", lambda m, a, b: m.bitwise_and(a, b), 2, inputs="int", broadcast=True, also=("__and__",)),
    Row("bitwise_or", lambda m, a, b: m.bitwise_or(a, b), 2, inputs="int", broadcast=True, also=("__or__",)),
    Row("bitwise_xor", lambda m, a, b: a.bitwise_xor(b), 2, inputs="int", broadcast=True, also=("__xor__",)),
    Row("bitwise_not", lambda m, a: m.bitwise_not(a), inputs="int", also=("__invert__",)),
    Row("bitwise_bool", lambda m, a, b: m.stack([a & b, a | b, a ^ b, ~a, m.bitwise_and(a, True)]), 2, inputs="bool"),
    Row("bitwise_scalar", lambda m, a: m.stack([a & 3, 5 | a, a ^ 1]), inputs="int", also=("__rand__", "__ror__", "__rxor__")),
    Row("bitwise_left_shift", lambda m, a, b: m.bitwise_left_shift(a, _bits(m, b)), 2, inputs="int", broadcast=True,
        also=("__lshift__",)),
    Row("bitwise_right_shift", lambda m, a, b: a.bitwise_right_shift(_bits(m, b)) + (a >> 1), 2, inputs="int",
        broadcast=True, also=("__rshift__",)),
    Row("bitwise_and_", lambda m, a, b: a.clone().bitwise_and_(b), 2, inputs="int", shapes=fixed((3, 4), (4,)),
        also=("__iand__", "bitwise_or_", "bitwise_xor_", "__ior__", "__ixor__", "bitwise_not_")),
    Row("bitwise_or_", lambda m, a, b: _ibits(a.clone(), b), 2, inputs="int", shapes=fixed((3, 4), (4,))),
]


def _ibits(x, y):
    x |= y
    x ^= y + 1
    x &= y - 1
    return x.bitwise_not_()


def _ints(m, a):
    return (a * 3).round().long()


REDUCTIONS = [
    Row("prod", lambda m, a: m.prod(a), max_dims=2, ints=True),
    Row("prod_dim", lambda m, a: a.prod(-1, keepdim=True), min_dims=1),
    Row("prod_zeros", lambda m, a: m.prod(a * (a.abs() > 0.6), 0), shapes=fixed((4, 3)), domain=away_from_zero),
    Row("prod_all_zero", lambda m, a: m.prod(a * (a > 0.3)), shapes=fixed((5,)), domain=away_from_zero),
    Row("prod_dtype", lambda m, a: m.prod(a, 0, dtype=m.float64), shapes=fixed((3, 2))),
    Row("max", lambda m, a: m.max(a), domain=distinct, also=("max_method",)),
    Row("max_dim", lambda m, a: m.max(a, 1), min_dims=2, domain=distinct),
    Row("max_dim_keepdim", lambda m, a: a.max(dim=-1, keepdim=True), min_dims=1, domain=distinct),
    Row("max_binary", lambda m, a, b: m.max(a, b), 2, broadcast=True),
    Row("max_int", lambda m, a: m.stack([m.max(a), a.max(0).values.sum(), a.max(1)[1].sum()]), inputs="int",
        min_dims=2, max_dims=2),
    Row("min", lambda m, a: a.min(), domain=distinct),
    Row("min_dim", lambda m, a: m.min(a, 0), min_dims=1, domain=distinct),
    Row("min_binary", lambda m, a, b: a.min(b), 2, broadcast=True),
    Row("max_0d", lambda m, a: m.max(a, 0), shapes=fixed(())),
    Row("amax", lambda m, a: m.amax(a, (0, -1)), min_dims=2, domain=distinct),
    Row("amax_all", lambda m, a: a.amax(), domain=distinct),
    Row("amin", lambda m, a: m.amin(a, -1, keepdim=True), min_dims=1, domain=distinct),
    Row("amax_ties", lambda m, a: m.amax(m.clamp(a, max=0.3), 1), shapes=fixed((3, 5)), fd=False,
        domain=clamp_domain),
    Row("max_ties", lambda m, a: m.max(m.clamp(a, max=0.3)), shapes=fixed((3, 5)), fd=False, domain=clamp_domain),
    Row("aminmax", lambda m, a: m.aminmax(a), domain=distinct),
    Row("aminmax_dim", lambda m, a: a.aminmax(dim=0, keepdim=True), min_dims=1, domain=distinct),
    Row("argmax", lambda m, a: m.argmax(a), domain=distinct, ints=True),
    Row("argmax_dim", lambda m, a: a.argmax(1, keepdim=True), min_dims=2, domain=distinct),
    Row("argmin", lambda m, a: m.argmin(a, -1), min_dims=1, domain=distinct, ints=True),
    Row("argmax_keepdim_all", lambda m, a: m.argmax(a, keepdim=True), shapes=fixed((2, 3)), domain=distinct),
    Row("logsumexp", lambda m, a: m.logsumexp(a, (0, -1)), min_dims=2),
    Row("logsumexp_dim", lambda m, a: a.logsumexp(-1, keepdim=True), min_dims=1),
    Row("logsumexp_int", lambda m, a: m.logsumexp(a, 1), inputs="int", min_dims=2, max_dims=2),
    Row("cumsum", lambda m, a: m.cumsum(a, -1), min_dims=1, ints=True),
    Row("cumsum_0d", lambda m, a: a.cumsum(0), shapes=fixed(())),
    Row("cumsum_dtype", lambda m, a: m.cumsum(a, 0, dtype=m.float64), min_dims=1),
    Row("cumsum_bool", lambda m, a: m.cumsum(a, 0), inputs="bool", min_dims=1),
    Row("cumprod", lambda m, a: a.cumprod(0), min_dims=1, ints=True),
    Row("cumprod_zeros", lambda m, a: m.cumprod(a * (a.abs() > 0.5), 1), shapes=fixed((3, 6)),
        domain=away_from_zero),
    Row("cummax", lambda m, a: m.cummax(a, -1), min_dims=1, domain=distinct),
    Row("cummin", lambda m, a: a.cummin(0), min_dims=1, domain=distinct),
    Row("cummax_ties", lambda m, a: m.cummax(a.round(), 0), inputs="int", min_dims=1),
    Row("median", lambda m, a: m.median(a), domain=distinct),
    Row("median_ties", lambda m, a: m.median(m.clamp(a, -0.2, 0.2)), shapes=fixed((7,)), fd=False,
        domain=clamp_domain),
    Row("median_dim", lambda m, a: a.median(-1), min_dims=1, domain=distinct),
    Row("median_int", lambda m, a: m.stack([m.median(a), a.median(0).values.sum()]), inputs="int", min_dims=1,
        max_dims=1),
    Row("nanmedian", lambda m, a: m.nanmedian(m.where(a > 1.0, m.tensor(float("nan"), dtype=a.dtype), a)),
        domain=distinct),
    Row("nanmedian_dim", lambda m, a: a.nanmedian(1), shapes=fixed((3, 5)), domain=distinct),
    Row("median_nan_dim", lambda m, a: m.median(m.where(a > 1.0, m.tensor(float("nan"), dtype=a.dtype), a), 1),
        shapes=fixed((6, 5)), domain=distinct, fd=False),
    Row("kthvalue", lambda m, a: m.kthvalue(a, 2, 0), shapes=fixed((4, 3)), domain=distinct),
    Row("kthvalue_method", lambda m, a: a.kthvalue(1, keepdim=True), min_dims=1, domain=distinct),
    Row("sort", lambda m, a: m.sort(a), min_dims=1, domain=distinct),
    Row("sort_desc", lambda m, a: a.sort(0, descending=True), min_dims=1, domain=distinct),
    Row("sort_stable", lambda m, a: m.sort(a, stable=True, descending=True), inputs="int", min_dims=1),
    Row("sort_stable_asc", lambda m, a: a.sort(dim=0, stable=True), inputs="int", min_dims=1),
    Row("sort_0d", lambda m, a: m.sort(a), shapes=fixed(())),
    Row("msort", lambda m, a: m.msort(a), min_dims=1, domain=distinct),
    Row("argsort", lambda m, a: m.argsort(a, 0), min_dims=1, domain=distinct),
    Row("argsort_desc", lambda m, a: a.argsort(descending=True), min_dims=1, domain=distinct),
    Row("argsort_stable", lambda m, a: m.argsort(a, stable=True, descending=True), inputs="int", min_dims=1),
    Row("topk", lambda m, a: m.topk(a, 2), shapes=fixed((3, 4)), domain=distinct),
    Row("topk_smallest", lambda m, a: a.topk(1, dim=0, largest=False), min_dims=1, domain=distinct),
    Row("all", lambda m, a: m.all(a > -0.5), ints=True),
    Row("all_dim", lambda m, a: a.all(dim=(0, 1)), inputs="int", min_dims=2),
    Row("any", lambda m, a: m.any(a > 1.0, -1, keepdim=True), min_dims=1),
    Row("any_int", lambda m, a: m.stack([m.any(a), a.any(0).all()]), inputs="int", min_dims=1),
    Row("all_uint8", lambda m, a: m.all(a.to(m.uint8)), inputs="int"),
    Row("count_nonzero", lambda m, a: m.count_nonzero(a), inputs="int"),
    Row("count_nonzero_dim", lambda m, a: a.count_nonzero((0, -1)), inputs="int", min_dims=2),
    Row("nansum", lambda m, a: m.nansum(m.where(a > 1.0, m.tensor(float("nan"), dtype=a.dtype), a), 0), min_dims=1),
    Row("nansum_all", lambda m, a: a.nansum(), ints=True),
    Row("nanmean", lambda m, a: m.nanmean(m.where(a > 1.0, m.tensor(float("nan"), dtype=a.dtype), a), -1),
        shapes=fixed((3, 6))),
    Row("nanmean_method", lambda m, a: a.nanmean(), min_dims=1),
    Row("var_mean", lambda m, a: m.var_mean(a, 0), shapes=fixed((4, 3))),
    Row("std_mean", lambda m, a: m.std_mean(a, dim=(0, 1), correction=0), shapes=fixed((2, 3, 2))),
    Row("unique", lambda m, a: m.unique(a), inputs="int", also=("unique_method",)),
    Row("unique_all", lambda m, a: a.unique(return_inverse=True, return_counts=True), inputs="int"),
    Row("unique_dim", lambda m, a: m.unique(a % 2, dim=1, return_inverse=True), inputs="int", min_dims=2, max_dims=2),
    Row("unique_float", lambda m, a: m.unique(a.round(), return_counts=True), domain=away_from_int, grad=False),
    Row("unique_consecutive", lambda m, a: m.unique_consecutive(a // 4, return_inverse=True, return_counts=True),
        inputs="int"),
    Row("unique_consecutive_dim", lambda m, a: a.unique_consecutive(dim=0), inputs="int", shapes=fixed((5, 2)),
        also=("unique_consecutive_method",)),
]


def _lin(name, fn, n=1, **kw):
    return Row(name, fn, n, **kw)


LINALG = [
    Row("outer", lambda m, a, b: m.outer(a, b), 2, shapes=matrix_shapes("n", "m"), also=("ger",)),
    Row("outer_method", lambda m, a, b: a.outer(b) + a.ger(b), 2, shapes=matrix_shapes("n", "m")),
    Row("vdot_method", lambda m, a, b: a.vdot(b), 2, shapes=matrix_shapes("k", "k")),
    Row("einsum", lambda m, a, b: m.einsum("ij,jk->ik", a, b), 2, shapes=matrix_shapes("nk", "km")),
    Row("einsum_batch", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), 2, shapes=matrix_shapes("bnk", "bkm")),
    Row("einsum_implicit", lambda m, a, b: m.einsum("ij,ij", a, b) + m.einsum("i,j", a[0], b[0]).sum(), 2,
        shapes=matrix_shapes("nk", "nk")),
    Row("einsum_diag", lambda m, a: m.einsum("ii->i", a) + m.einsum("ii", a), shapes=matrix_shapes("nn")),
    Row("einsum_ellipsis", lambda m, a, b: m.einsum("...ij,...jk->...ki", a, b), 2, shapes=matrix_shapes("bnk", "km")),
    Row("einsum_sum", lambda m, a, b: m.einsum("ijk,j->i", a, b), 2, shapes=matrix_shapes("njk", "j")),
    Row("einsum_list", lambda m, a, b: m.einsum("ij,kj->ikj", [a, b]), 2, shapes=matrix_shapes("nj", "kj")),
    Row("einsum_broadcast", lambda m, a, b: m.einsum("ij,jk->ik", a, b), 2, shapes=fixed((2, 1), (3, 4))),
    Row("tensordot", lambda m, a, b: m.tensordot(a, b, dims=2), 2, shapes=matrix_shapes("nij", "ijm")),
    Row("tensordot_lists", lambda m, a, b: m.tensordot(a, b, dims=([0, 2], [1, 0])), 2,
        shapes=matrix_shapes("injk", "jim")),
    Row("tensordot_0", lambda m, a, b: m.tensordot(a, b, dims=0), 2, shapes=matrix_shapes("n", "km")),
    Row("addmm", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2), 3, shapes=matrix_shapes("nm", "nk", "km"),
        also=("addmm_method",)),
    Row("addmm_broadcast", lambda m, c, a, b: c.addmm(a, b), 3, shapes=matrix_shapes("m", "nk", "km")),
    Row("addmm_beta0", lambda m, c, a, b: m.addmm(c.log(), a, b, beta=0), 3, shapes=matrix_shapes("nm", "nk", "km"),
        grad=(False, True, True)),
    Row("addmm_", lambda m, c, a, b: (c * 1).addmm_(a, b, alpha=3), 3, shapes=matrix_shapes("nm", "nk", "km")),
    Row("addmv", lambda m, c, a, b: m.addmv(c, a, b, alpha=0.5), 3, shapes=matrix_shapes("n", "nk", "k")),
    Row("baddbmm", lambda m, c, a, b: m.baddbmm(c, a, b, beta=2), 3, shapes=matrix_shapes("bnm", "bnk", "bkm")),
    Row("baddbmm_method", lambda m, c, a, b: c.baddbmm(a, b), 3, shapes=matrix_shapes("m", "bnk", "bkm")),
    Row("addbmm", lambda m, c, a, b: m.addbmm(c, a, b, alpha=-1), 3, shapes=matrix_shapes("nm", "bnk", "bkm")),
    Row("addr", lambda m, c, a, b: m.addr(c, a, b, beta=2, alpha=0.5), 3, shapes=matrix_shapes("nm", "n", "m")),
    Row("tril", lambda m, a: m.tril(a), min_dims=2),
    Row("triu", lambda m, a: a.triu(1), min_dims=2),
    Row("tril_neg", lambda m, a: m.tril(a, -1) + m.triu(a, -2), shapes=fixed((2, 4, 3))),
    Row("tril_", lambda m, a: (a * 1).tril_(1), min_dims=2, also=("triu_",)),
    Row("triu_", lambda m, a: (a * 1).triu_(), shapes=fixed((3, 3))),
    Row("diag", lambda m, a: m.diag(a), shapes=matrix_shapes("n")),
    Row("diag_offset", lambda m, a: m.diag(a, -1) + 0, shapes=fixed((4,))),
    Row("diag_2d", lambda m, a: a.diag(1), shapes=matrix_shapes("nm")),
    Row("diagonal", lambda m, a: m.diagonal(a), shapes=matrix_shapes("nm")),
    Row("diagonal_dims", lambda m, a: a.diagonal(offset=-1, dim1=2, dim2=0), shapes=fixed((4, 2, 3))),
    Row("diagonal_write", lambda m, a: _diag_write(a), shapes=fixed((3, 3))),
    Row("diag_embed", lambda m, a: m.diag_embed(a), min_dims=1),
    Row("diag_embed_dims", lambda m, a: a.diag_embed(1, 0, 2), shapes=fixed((2, 3))),
    Row("diagflat", lambda m, a: m.diagflat(a, -1), shapes=fixed((2, 2))),
    Row("trace", lambda m, a: m.trace(a), shapes=matrix_shapes("nm"), ints=False),
    Row("trace_int", lambda m, a: a.trace(), inputs="int", shapes=fixed((3, 4))),
    Row("linalg.inv", lambda m, a: m.linalg.inv(a), shapes=matrix_shapes("bnn"), domain=well_conditioned,
        also=("inv",)),
    Row("inverse", lambda m, a: m.inverse(a) + a.inverse(), shapes=matrix_shapes("nn"), domain=well_conditioned),
    Row("linalg.det", lambda m, a: m.linalg.det(a), shapes=matrix_shapes("bnn"), also=("det_linalg",)),
    Row("det", lambda m, a: m.det(a) + a.det(), shapes=matrix_shapes("nn"), domain=well_conditioned),
    Row("det_singular", lambda m, a: m.linalg.det(m.stack([a[0], a[0], a[1]])), shapes=fixed((3, 3)), fd=False),
    Row("linalg.slogdet", lambda m, a: m.linalg.slogdet(a), shapes=matrix_shapes("bnn")),
    Row("slogdet", lambda m, a: m.slogdet(a)[1] + a.slogdet()[0], shapes=matrix_shapes("nn")),
    Row("logdet", lambda m, a: m.logdet(_spd(m, a)) + a.logdet(), shapes=matrix_shapes("nn"), domain=well_conditioned),
    Row("linalg.solve", lambda m, a, b: m.linalg.solve(a, b), 2, shapes=matrix_shapes("bnn", "bnk"),
        domain=well_conditioned, also=("solve",)),
    Row("solve_vector", lambda m, a, b: m.linalg.solve(a, b), 2, shapes=matrix_shapes("nn", "n"),
        domain=well_conditioned),
    Row("solve_batch_vector", lambda m, a, b: m.linalg.solve(a, b), 2, shapes=matrix_shapes("bnn", "bn"),
        domain=well_conditioned),
    Row("solve_broadcast", lambda m, a, b: m.linalg.solve(a, b), 2, shapes=matrix_shapes("nn", "bnk"),
        domain=well_conditioned),
    Row("solve_right", lambda m, a, b: m.linalg.solve(a, b, left=False), 2, shapes=matrix_shapes("nn", "kn"),
        domain=well_conditioned),
    # pinv's gradient is the fixed-rank formula (torch's): the derivative wherever no singular value
    # is discarded; with atol/rtol cutting one it is not, hence no finite differences on that row
    Row("linalg.pinv", lambda m, a: m.linalg.pinv(a), shapes=matrix_shapes("bnm"), also=("pinv",)),
    Row("pinv_hermitian", lambda m, a: m.linalg.pinv(_spd(m, a), hermitian=True), shapes=matrix_shapes("bnn")),
    Row("pinv_tolerances", lambda m, a: m.linalg.pinv(a, atol=0.4) + m.linalg.pinv(a, rtol=0.5)
        + m.linalg.pinv(a, atol=m.tensor([0.3, 0.2], dtype=a.dtype), rtol=m.tensor(0.1, dtype=a.dtype)),
        shapes=fixed((2, 3, 4)), fd=False),
    Row("pinverse", lambda m, a: m.pinverse(a) + m.pinverse(a, rcond=0.3), shapes=fixed((3, 4)), fd=False),
    Row("linalg.lu_factor", lambda m, a: m.linalg.lu_factor(a), shapes=matrix_shapes("bnm"), also=("lu_factor",)),
    Row("linalg.lu_factor_ex", lambda m, a: m.linalg.lu_factor_ex(a), shapes=matrix_shapes("bnn"),
        also=("lu_factor_ex",)),
    Row("linalg.lu", lambda m, a: m.linalg.lu(a), shapes=matrix_shapes("bnm"), also=("lu",)),
    Row("lu_unpack", lambda m, a: m.lu_unpack(*m.linalg.lu_factor(a)), shapes=matrix_shapes("bnm")),
    Row("torch_lu", lambda m, a: _quiet(m.lu, a) + _quiet(m.lu, a, True, True)[:1], shapes=matrix_shapes("bnn")),
    Row("linalg.lu_solve", lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b), 2,
        shapes=matrix_shapes("bnn", "bnk"), domain=well_conditioned, also=("lu_solve",)),
    Row("lu_solve_packed", lambda m, lu, b: m.linalg.lu_solve(lu, m.linalg.lu_factor(lu.detach())[1], b, adjoint=True)
        + m.linalg.lu_solve(lu, m.linalg.lu_factor(lu.detach())[1], b.mT, left=False).mT, 2,
        shapes=matrix_shapes("nn", "bnn"), domain=well_conditioned),
    Row("torch_lu_solve", lambda m, a, b: _quiet(m.lu_solve, b, *m.linalg.lu_factor(a)), 2,
        shapes=matrix_shapes("nn", "nk"), domain=well_conditioned),
    Row("linalg.solve_triangular", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True)
        + m.linalg.solve_triangular(a, b, upper=False, unitriangular=True), 2, shapes=matrix_shapes("bnn", "nk"),
        domain=well_conditioned, also=("solve_triangular",)),
    Row("solve_triangular_right", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, left=False), 2,
        shapes=matrix_shapes("nn", "bkn"), domain=well_conditioned),
    Row("linalg.cholesky", lambda m, a: m.linalg.cholesky(_spd(m, a)), shapes=matrix_shapes("bnn"),
        also=("cholesky",)),
    Row("cholesky_upper", lambda m, a: m.linalg.cholesky(_spd(m, a), upper=True), shapes=matrix_shapes("nn")),
    Row("torch_cholesky", lambda m, a: _quiet(m.cholesky, _spd(m, a)) + _quiet(_spd(m, a).cholesky, True).mT,
        shapes=matrix_shapes("nn"), also=("cholesky_method",)),
    Row("torch_qr", lambda m, a: _quiet(m.qr, a) + _quiet(a.qr, False), shapes=fixed((3, 3)), also=("qr_method",)),
    Row("linalg.qr", lambda m, a: m.linalg.qr(a), shapes=fixed((4, 3)), also=("qr",)),
    Row("qr_square_batch", lambda m, a: m.linalg.qr(a), shapes=fixed((2, 3, 3))),
    Row("qr_wide", lambda m, a: m.linalg.qr(a), shapes=fixed((2, 4))),
    Row("qr_complete", lambda m, a: m.linalg.qr(a, mode="complete"), shapes=fixed((2, 3))),
    Row("qr_r", lambda m, a: m.linalg.qr(a.detach(), mode="r"), shapes=fixed((4, 3))),
    Row("linalg.svd", lambda m, a: _svd_use(m, m.linalg.svd(a, full_matrices=False)), shapes=fixed((4, 3)),
        also=("svd_linalg",)),
    Row("svd_wide", lambda m, a: _svd_use(m, m.linalg.svd(a, full_matrices=False)), shapes=fixed((2, 3, 5))),
    Row("svd_full", lambda m, a: _svd_use(m, m.linalg.svd(a)[:2] + (m.linalg.svd(a)[2][:3],), full=True),
        shapes=fixed((5, 3))),
    Row("svd", lambda m, a: _svd_old(m, m.svd(a)), shapes=fixed((4, 3)), also=("svd_method", "torch_svd")),
    Row("svd_method", lambda m, a: _svd_old(m, a.svd()), shapes=fixed((3, 3))),
    Row("linalg.svdvals", lambda m, a: m.linalg.svdvals(a), shapes=matrix_shapes("bnm"), also=("svdvals",)),
    Row("cross", lambda m, a, b: m.cross(a, b, dim=-1), 2, shapes=fixed((4, 3), (4, 3)), also=("cross_method",)),
    Row("cross_default", lambda m, a, b: a.cross(b, dim=0), 2, shapes=fixed((3, 2), (3, 1))),
    Row("linalg.cross", lambda m, a, b: m.linalg.cross(a, b), 2, shapes=fixed((2, 3), (2, 3)), also=("linalg_cross",)),
    Row("linalg.matrix_power", lambda m, a: m.linalg.matrix_power(a, 3), shapes=matrix_shapes("bnn"),
        also=("matrix_power",)),
    Row("matrix_power_neg", lambda m, a: a.matrix_power(-2) + m.matrix_power(a, 0), shapes=matrix_shapes("nn"),
        domain=well_conditioned),
    Row("matrix_power_0", lambda m, a: m.linalg.matrix_power(a, 0), shapes=matrix_shapes("bnn")),
    Row("linalg.multi_dot", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), 3, shapes=matrix_shapes("k", "kn", "nm"),
        also=("multi_dot",)),
    Row("linalg.matmul", lambda m, a, b: m.linalg.matmul(a, b), 2, shapes=matrix_shapes("nk", "km")),
    Row("linalg.diagonal", lambda m, a: m.linalg.diagonal(a, offset=1), shapes=matrix_shapes("bnm")),
    Row("norm", lambda m, a: m.norm(a), also=("norm_method",)),
    Row("norm_p", lambda m, a: a.norm(p=3, dim=-1), min_dims=1, domain=away_from_zero),
    Row("norm_1_dims", lambda m, a: m.norm(a, 1, dim=(0, 1), keepdim=True), min_dims=2, domain=away_from_zero),
    Row("norm_inf", lambda m, a: m.norm(a, float("inf"), dim=0), min_dims=1, domain=distinct),
    Row("norm_nuc", lambda m, a: m.norm(a, "nuc"), shapes=fixed((3, 4))),
    Row("norm_fro_dim", lambda m, a: a.norm("fro", dim=(1, 2)), shapes=fixed((2, 3, 4))),
    Row("linalg.vector_norm", lambda m, a: m.linalg.vector_norm(a), also=("vector_norm",)),
    Row("vector_norm_ord", lambda m, a: m.linalg.vector_norm(a, 0.5, dim=-1) + m.linalg.vector_norm(a, -1, dim=-1),
        min_dims=1, domain=away_from_zero),
    Row("vector_norm_inf", lambda m, a: m.linalg.vector_norm(a, float("-inf"), dim=(0, 1), keepdim=True), min_dims=2,
        domain=distinct),
    Row("vector_norm_0", lambda m, a: m.linalg.vector_norm(a * (a > 0), 0), domain=away_from_zero),
    Row("linalg.matrix_norm", lambda m, a: m.linalg.matrix_norm(a), shapes=matrix_shapes("bnm"),
        also=("matrix_norm",)),
    Row("matrix_norm_nuc", lambda m, a: m.linalg.matrix_norm(a, "nuc", keepdim=True), shapes=fixed((2, 3, 4))),
    Row("matrix_norm_2", lambda m, a: m.linalg.matrix_norm(a, 2) + m.linalg.matrix_norm(a, -2), shapes=fixed((3, 4))),
    Row("matrix_norm_1", lambda m, a: m.linalg.matrix_norm(a, 1, dim=(0, 1)) + m.linalg.matrix_norm(a, -1),
        shapes=fixed((3, 4)), domain=distinct),
    Row("matrix_norm_inf", lambda m, a: m.linalg.matrix_norm(a, float("inf"), keepdim=True)
        + m.linalg.matrix_norm(a, float("-inf"), keepdim=True), shapes=fixed((2, 3, 4)), domain=distinct),
    Row("linalg.norm", lambda m, a: m.linalg.norm(a), also=("linalg_norm",)),
    Row("linalg_norm_ord", lambda m, a: m.linalg.norm(a, 2) + m.linalg.norm(a, "fro") + m.linalg.norm(a[0], 3),
        shapes=fixed((3, 4)), domain=away_from_zero),
    Row("linalg_norm_dim", lambda m, a: m.linalg.norm(a, dim=(0, 2)) + m.linalg.norm(a, 1, dim=1).sum(),
        shapes=fixed((2, 3, 4)), domain=away_from_zero),
]


def _quiet(fn, *args):
    """Call a deprecated torch function without its deprecation warning (kittygrad gives none).
    With five arguments, ``fn`` is scatter and the last one its ``reduce``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if len(args) == 5:
            return fn(*args[:4], reduce=args[4])
        return fn(*args)


def _diag_write(a):
    x = a * 1
    x.diagonal().mul_(3)
    return x


def _svd_use(m, usv, full=False):
    """Sign-invariant uses of the SVD: U Vh (polar factor), S, and the rank-1 parts u_i v_i^T."""
    u, s, vh = usv
    k = s.shape[-1]
    if full:
        u = u[..., :, :k]
    return u @ vh[..., :k, :], s, u[..., :, :1] * vh[..., :1, :]


def _svd_old(m, usv):
    u, s, v = usv
    return u @ v.mT, s


SHAPES = [
    Row("cat", lambda m, a, b: m.cat([a, b], 1), 2, shapes=fixed((2, 3), (2, 1)), also=("concat", "concatenate")),
    Row("cat_neg_dim", lambda m, a, b, c: m.concat((a, b, c), dim=-1), 3, shapes=fixed((2, 2, 1), (2, 2, 3), (2, 2, 2))),
    Row("cat_promote", lambda m, a, b: m.concatenate([a, b.double(), (b > 0).long()]), 2, shapes=fixed((3,), (2,))),
    Row("cat_empty", lambda m, a, b: m.cat([a, b[:0], m.zeros(0, dtype=a.dtype)]), 2, shapes=fixed((2, 3), (2, 3))),
    Row("cat_int", lambda m, a, b: m.cat([a, b]), 2, inputs="int", shapes=fixed((2, 3), (4, 3))),
    Row("stack", lambda m, a, b: m.stack([a, b]), 2, min_dims=0),
    Row("stack_dim", lambda m, a, b, c: m.stack((a, b, c), dim=-1), 3),
    Row("hstack", lambda m, a, b: m.hstack([a, b]), 2, shapes=fixed((2, 3), (2, 1))),
    Row("hstack_1d", lambda m, a, b: m.hstack([a, b, a[0]]), 2, shapes=fixed((3,), (2,))),
    Row("vstack", lambda m, a, b: m.vstack([a, b]), 2, shapes=fixed((3,), (2, 3)), also=("row_stack",)),
    Row("dstack", lambda m, a, b: m.dstack([a, b]), 2, shapes=fixed((2, 3), (2, 3, 2))),
    Row("column_stack", lambda m, a, b: m.column_stack([a, b]), 2, shapes=fixed((3,), (3, 2))),
    Row("atleast_1d", lambda m, a: m.atleast_1d(a) * 1, max_dims=2),
    Row("atleast_2d", lambda m, a: m.atleast_2d(a) * 1, max_dims=3),
    Row("atleast_3d", lambda m, a: m.atleast_3d(a) * 1, max_dims=4),
    Row("atleast_many", lambda m, a, b: m.atleast_2d(a, b), 2, shapes=fixed((), (3,))),
    Row("split", lambda m, a: m.split(a, 2), min_dims=1, also=("split_method",)),
    Row("split_sizes", lambda m, a: a.split([1, 3, 1], dim=1), shapes=fixed((2, 5))),
    Row("tensor_split", lambda m, a: m.tensor_split(a, 3, dim=-1), min_dims=1),
    Row("tensor_split_idx", lambda m, a: a.tensor_split([1, 4], dim=0), shapes=fixed((5, 2))),
    Row("chunk", lambda m, a: m.chunk(a, 3, 0), min_dims=1, also=("chunk_method",)),
    Row("chunk_uneven", lambda m, a: a.chunk(4, dim=1), shapes=fixed((2, 6))),
    Row("unbind", lambda m, a: m.unbind(a, 1), min_dims=2, also=("unbind_method",)),
    Row("narrow", lambda m, a: m.narrow(a, -1, 1, 2), shapes=fixed((3, 4)), also=("narrow_method",)),
    Row("narrow_neg_start", lambda m, a: a.narrow(0, -2, 2), shapes=fixed((3, 4))),
    Row("select", lambda m, a: m.select(a, 1, -1), min_dims=2, also=("select_method",)),
    Row("view_write", lambda m, a, b: _narrow_write(m, a, b), 2, shapes=fixed((3, 4), (3, 2))),
    Row("movedim", lambda m, a: m.movedim(a, 0, -1), min_dims=1, also=("moveaxis",)),
    Row("movedim_many", lambda m, a: a.moveaxis((0, 1), (2, 0)), shapes=fixed((2, 3, 4))),
    Row("unflatten", lambda m, a: m.unflatten(a, 1, (2, -1)), shapes=fixed((3, 6))),
    Row("unflatten_method", lambda m, a: a.unflatten(-1, (3, 2)), shapes=fixed((6,))),
    Row("ravel", lambda m, a: m.ravel(a.mT), shapes=fixed((2, 3))),
    Row("repeat", lambda m, a: a.repeat(2, 1, 3), shapes=fixed((3, 2)), ints=True),
    Row("repeat_same", lambda m, a: a.repeat(2, 3), min_dims=2, max_dims=2),
    Row("repeat_interleave", lambda m, a: m.repeat_interleave(a, 2), ints=True),
    Row("repeat_interleave_dim", lambda m, a: a.repeat_interleave(m.tensor([1, 0, 3]), dim=1), shapes=fixed((2, 3))),
    Row("repeat_interleave_counts", lambda m, a: m.repeat_interleave(m.tensor([2, 0, 1])) * a.sum(), shapes=fixed((1,)),
        fd=False),
    Row("tile", lambda m, a: m.tile(a, (2,)), min_dims=1),
    Row("tile_more", lambda m, a: a.tile((2, 1, 2)), shapes=fixed((2, 3))),
    Row("flip", lambda m, a: m.flip(a, (0, -1)), min_dims=2, ints=True),
    Row("flip_method", lambda m, a: a.flip(0) + a.flip(dims=[0]) + a.flip(0, 1), min_dims=2),
    Row("fliplr", lambda m, a: m.fliplr(a), min_dims=2),
    Row("flipud", lambda m, a: a.flipud(), min_dims=1),
    Row("roll", lambda m, a: m.roll(a, 1), min_dims=1, ints=True),
    Row("roll_dims", lambda m, a: a.roll((1, -2), (0, 1)), min_dims=2),
    Row("rot90", lambda m, a: m.rot90(a), min_dims=2),
    Row("rot90_k", lambda m, a: a.rot90(3, (1, 0)) + m.rot90(a, 2, (1, 0)).mT, shapes=fixed((3, 3))),
    Row("meshgrid", lambda m, a, b: m.meshgrid(a, b, indexing="ij"), 2, shapes=matrix_shapes("n", "m")),
    Row("meshgrid_xy", lambda m, a, b, c: m.meshgrid([a, b, c], indexing="xy"), 3, shapes=matrix_shapes("n", "m", "k")),
    Row("pad_1d", lambda m, a: m.nn.functional.pad(a, (1, 2)), min_dims=1),
    Row("pad_2d_value", lambda m, a: m.nn.functional.pad(a, (1, 0, 2, 1), value=0.5), min_dims=2),
    Row("pad_negative", lambda m, a: m.nn.functional.pad(a, (-1, 2, 0, -1)), shapes=fixed((3, 4))),
    Row("pad_reflect", lambda m, a: m.nn.functional.pad(a, (2, 1), mode="reflect"), shapes=fixed((2, 4))),
    Row("pad_reflect_2d", lambda m, a: m.nn.functional.pad(a, (1, 1, 2, 0), mode="reflect"), shapes=fixed((2, 3, 4))),
    Row("pad_replicate", lambda m, a: m.nn.functional.pad(a, (2, 3, 1, 1), mode="replicate"), shapes=fixed((1, 2, 3, 2))),
    Row("pad_circular", lambda m, a: m.nn.functional.pad(a, (1, 2), mode="circular"), shapes=fixed((2, 2, 3))),
]


def _SR_IDX(m):  # noqa: N802 - a constant-like helper
    return m.tensor([[0, 1, 0], [2, 1, 0], [0, 0, 2]])


def _narrow_write(m, a, b):
    x = a * 1
    x.narrow(1, 1, 2).add_(b)
    m.select(x, 0, 2).mul_(2)
    x.diagonal(1).sub_(1)
    return x * x


INDEXING = [
    Row("gather", lambda m, a: m.gather(a, 1, m.tensor([[0, 2], [1, 1], [2, 0]])), shapes=fixed((3, 4))),
    Row("gather_dim0", lambda m, a: a.gather(0, m.tensor([[2, 0, 1, 1]])), shapes=fixed((3, 4))),
    Row("gather_small", lambda m, a: a.gather(-1, m.tensor([[1], [0]], dtype=m.int32)), shapes=fixed((3, 4))),
    Row("scatter", lambda m, a, b: m.scatter(a, 1, m.tensor([[0, 2], [3, 1]]), b), 2, shapes=fixed((3, 4), (2, 2))),
    Row("scatter_big_src", lambda m, a, b: m.scatter(a, 1, m.tensor([[0, 2], [3, 1]]), b), 2,
        shapes=fixed((3, 4), (2, 3)), grad=(True, False)),
    Row("scatter_value", lambda m, a: a.scatter(0, m.tensor([[1, 0, 2, 1]]), 0.5), shapes=fixed((3, 4))),
    Row("scatter_reduce_add", lambda m, a, b: _quiet(m.scatter, a, 0, m.tensor([[1, 0], [1, 2]]), b, "add"), 2,
        shapes=fixed((3, 2), (2, 2)), grad=False),
    Row("scatter_", lambda m, a, b: (a * 1).scatter_(1, m.tensor([[0, 2], [3, 1]]), b), 2,
        shapes=fixed((3, 4), (2, 2))),
    Row("scatter_value_", lambda m, a: (a * 1).scatter_(0, m.tensor([[1, 0]]), value=2.0), shapes=fixed((3, 2))),
    Row("scatter_add", lambda m, a, b: m.scatter_add(a, 0, m.tensor([[1, 1, 0], [1, 2, 2]]), b), 2,
        shapes=fixed((3, 3), (2, 3))),
    Row("scatter_add_big_src", lambda m, a, b: m.scatter_add(a, 0, m.tensor([[1, 1, 0], [1, 2, 2]]), b), 2,
        shapes=fixed((3, 3), (2, 4)), grad=(True, False)),
    Row("scatter_add_", lambda m, a, b: (a * 1).scatter_add_(1, m.tensor([[0, 0], [1, 0]]), b), 2,
        shapes=fixed((2, 3), (2, 2)), also=("scatter_add_method",)),
    Row("scatter_reduce_sum", lambda m, a, b: m.scatter_reduce(a, 0, _SR_IDX(m), b, "sum"), 2,
        shapes=fixed((3, 3), (3, 3)), also=("scatter_reduce",)),
    Row("scatter_reduce_mean", lambda m, a, b: a.scatter_reduce(0, _SR_IDX(m), b, "mean", include_self=False), 2,
        shapes=fixed((3, 3), (3, 3)), also=("scatter_reduce_method",)),
    Row("scatter_reduce_mean_self", lambda m, a, b: m.scatter_reduce(a, 1, _SR_IDX(m), b, "mean"), 2,
        shapes=fixed((3, 4), (3, 3))),
    Row("scatter_reduce_prod", lambda m, a, b: m.scatter_reduce(a, 0, _SR_IDX(m), b, "prod"), 2,
        shapes=fixed((3, 3), (3, 3))),
    Row("scatter_reduce_prod_zeros", lambda m, a, b: m.scatter_reduce(a * (a > 0), 0, _SR_IDX(m), b * (b > 0), "prod",
                                                                      include_self=False), 2,
        shapes=fixed((3, 3), (3, 3)), domain=away_from_zero),
    Row("scatter_reduce_amax", lambda m, a, b: m.scatter_reduce(a, 0, _SR_IDX(m), b + 0.05, "amax"), 2,
        shapes=fixed((3, 3), (3, 3)), domain=distinct),
    Row("scatter_reduce_amin", lambda m, a, b: m.scatter_reduce(a, 1, _SR_IDX(m), b + 0.05, "amin", include_self=False),
        2, shapes=fixed((3, 3), (3, 3)), domain=distinct),
    Row("scatter_reduce_amin_tie_self", lambda m, a: m.scatter_reduce(a, 1, _SR_IDX(m), a, "amin", include_self=False),
        shapes=fixed((3, 3)), domain=distinct, fd=False),
    Row("scatter_reduce_amax_ties", lambda m, a, b: m.scatter_reduce(a.round(), 0, _SR_IDX(m), b.round(), "amax") * a,
        2, shapes=fixed((3, 3), (3, 3)), fd=False),
    Row("scatter_reduce_int", lambda m, a, b: m.scatter_reduce(a, 0, _SR_IDX(m), b, "mean", include_self=False), 2,
        inputs="int", shapes=fixed((3, 3), (3, 3))),
    Row("scatter_reduce_", lambda m, a, b: (a * 1).scatter_reduce_(0, _SR_IDX(m), b + 0.05, "amin"), 2,
        shapes=fixed((3, 3), (3, 3)), domain=distinct),
    Row("index_select", lambda m, a: m.index_select(a, 0, m.tensor([2, 0, 2])), shapes=fixed((3, 4)), ints=True),
    Row("index_select_method", lambda m, a: a.index_select(-1, m.tensor([1, 1], dtype=m.int32)), shapes=fixed((2, 3))),
    Row("index_select_0d", lambda m, a: m.index_select(a, 0, m.tensor(0)), shapes=fixed(())),
    Row("index_add", lambda m, a, b: m.index_add(a, 1, m.tensor([0, 2, 0]), b, alpha=2), 2,
        shapes=fixed((2, 3), (2, 3))),
    Row("index_add_", lambda m, a, b: (a * 1).index_add_(0, m.tensor([1, 1]), b), 2, shapes=fixed((3, 2), (2, 2)),
        also=("index_add_method",)),
    Row("index_copy", lambda m, a, b: m.index_copy(a, 0, m.tensor([2, 0]), b), 2, shapes=fixed((3, 2), (2, 2))),
    Row("index_copy_", lambda m, a, b: (a * 1).index_copy_(1, m.tensor([1]), b), 2, shapes=fixed((3, 2), (3, 1))),
    Row("index_fill", lambda m, a, b: m.index_fill(a, 1, m.tensor([0, 2]), b.sum()), 2, shapes=fixed((2, 3), (2,))),
    Row("index_fill_", lambda m, a: (a * 1).index_fill_(0, m.tensor([1]), -1.0), shapes=fixed((3, 2))),
    Row("masked_fill", lambda m, a: m.masked_fill(a, a > 0.5, 0.25), ints=False, also=("masked_fill_method",)),
    Row("masked_fill_tensor", lambda m, a, b: a.masked_fill(b > 0, b.sum()), 2, broadcast=True),
    Row("masked_fill_", lambda m, a, b: (a * 1).masked_fill_(b > 0, 2.0), 2, shapes=fixed((3, 4), (4,))),
    Row("masked_fill_int", lambda m, a: a.masked_fill(a > 2, -1), inputs="int"),
    Row("masked_scatter", lambda m, a, b: m.masked_scatter(a, a > 0, b), 2, shapes=fixed((3, 4), (12,)),
        domain=away_from_zero),
    Row("masked_scatter_", lambda m, a, b: (a * 1).masked_scatter_(b > 0, a * 3), 2, shapes=fixed((3, 4), (4,)),
        domain=away_from_zero),
    Row("masked_select", lambda m, a: m.masked_select(a, a > 0), domain=away_from_zero, fd=False),
    Row("masked_select_broadcast", lambda m, a, b: a.masked_select(b > 0), 2, shapes=fixed((3, 4), (4,)), fd=False,
        domain=away_from_zero),
    Row("take", lambda m, a: m.take(a, m.tensor([[0, 5], [5, 2]])), shapes=fixed((2, 3)), ints=True),
    Row("take_along_dim", lambda m, a: m.take_along_dim(a, m.argsort(a, 1), 1), shapes=fixed((3, 4)),
        domain=distinct),
    Row("take_along_dim_flat", lambda m, a: a.take_along_dim(m.tensor([3, 0, 3])), shapes=fixed((2, 3))),
    Row("take_along_dim_broadcast", lambda m, a: m.take_along_dim(a, m.tensor([[[1], [0]]]), dim=2), shapes=fixed((3, 1, 4))),
    Row("nonzero", lambda m, a: m.nonzero(a > 0), ints=True),
    Row("nonzero_tuple", lambda m, a: a.nonzero(as_tuple=True), inputs="int"),
    Row("nonzero_0d", lambda m, a: m.stack([m.nonzero(a).sum(), m.tensor(m.nonzero(a).shape[0])]), inputs="int",
        shapes=fixed(())),
    Row("argwhere", lambda m, a: m.argwhere(a), inputs="int", also=("argwhere_method",)),
    Row("where_cond", lambda m, a: m.where(a > 0), inputs="int"),
]

RANDOM = [
    Row("normal", lambda m, a, b: m.normal(a, b.abs()), 2, random=True, fd=False, broadcast=True),
    Row("normal_float_std", lambda m, a: m.normal(a, 2.0), random=True, fd=False),
    Row("normal_float_mean", lambda m, a: m.normal(0.5, a.abs()), random=True, fd=False),
    Row("normal_size", lambda m, a: m.normal(0.0, 1.0, size=(2, 3)) + a.sum(), random=True, fd=False),
    Row("bernoulli", lambda m, a: m.bernoulli(a.sigmoid()), random=True, fd=False, also=("bernoulli_method",)),
    Row("bernoulli_p", lambda m, a: a.detach().bernoulli(0.3) + m.bernoulli(a.detach(), p=0.5), random=True,
        fd=False),
    Row("poisson", lambda m, a: m.poisson(a.abs()), random=True, fd=False),
    Row("multinomial", lambda m, a: m.multinomial(a.abs() + 0.1, 2), random=True, fd=False, shapes=fixed((3, 4)),
        also=("multinomial_method",)),
    Row("multinomial_replacement", lambda m, a: a.abs().multinomial(6, replacement=True), random=True, fd=False,
        shapes=fixed((4,))),
    Row("uniform_", lambda m, a: (a * 1).uniform_(-1, 2), random=True, fd=False),
    Row("normal_", lambda m, a: (a * 1).normal_(1.0, 0.5), random=True, fd=False),
    Row("bernoulli_", lambda m, a: (a * 1).bernoulli_(0.25) + (a * 1).bernoulli_(a.sigmoid()), random=True, fd=False),
    Row("exponential_", lambda m, a: (a * 1).exponential_(2.0), random=True, fd=False),
    Row("geometric_", lambda m, a: (a * 1).geometric_(0.3), random=True, fd=False),
    Row("log_normal_", lambda m, a: (a * 1).log_normal_(), random=True, fd=False),
    Row("cauchy_", lambda m, a: (a * 1).cauchy_(), random=True, fd=False),
    Row("random_", lambda m, a: (a * 1).random_(0, 5) + (a * 1).random_(3), random=True, fd=False),
    Row("rand", lambda m, a: m.rand(a.shape) + a, random=True, fd=False),
    Row("randn", lambda m, a: m.randn(2, 3, dtype=a.dtype) * 0 + a.sum(), random=True, fd=False),
    Row("randint", lambda m, a: m.randint(0, 5, (3, 2)), random=True, fd=False),
    Row("randperm", lambda m, a: m.randperm(5), random=True, fd=False),
]

MORE_ROWS = _unary_rows() + ELEMENTWISE + COMPARISONS + REDUCTIONS + LINALG + SHAPES + INDEXING + RANDOM
