"""Op-table rows of ``kittygrad/ops/inplace_twins.py``: torch's top-level in-place functions
(``torch.abs_(x)``), comparisons written into self (``x.lt_(y)``), the in-place view ops
(``t_``, ``transpose_``, ``squeeze_``, ``unsqueeze_``) and the ``x.op_()`` twins of composite ops."""
from __future__ import annotations

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import (
    Row,
    above_one,
    away_from_int,
    away_from_zero,
    clamp_domain,
    fixed,
    matrix_shapes,
    positive,
    sigmoid_open,
    unit_open,
)

# torch.<name>_(x): (name, domain, aliases); the function is called on a non-leaf copy
FUNCTIONS = [
    ("abs", away_from_zero, ("absolute_",)), ("acos", unit_open, ("arccos_",)), ("acosh", above_one, ("arccosh_",)),
    ("asin", unit_open, ("arcsin_",)), ("asinh", None, ("arcsinh_",)), ("atan", None, ("arctan_",)),
    ("atanh", unit_open, ("arctanh_",)), ("ceil", away_from_int, ()), ("cos", None, ()), ("cosh", None, ()),
    ("deg2rad", None, ()), ("rad2deg", None, ()), ("erf", None, ()), ("erfc", None, ()), ("exp", None, ()),
    ("exp2", None, ()), ("expm1", None, ()), ("fix", away_from_int, ()), ("floor", away_from_int, ()),
    ("frac", away_from_int, ()), ("i0", None, ()), ("log", positive, ()), ("log10", positive, ()),
    ("log1p", positive, ()), ("log2", positive, ()), ("logit", sigmoid_open, ()), ("nan_to_num", None, ()),
    ("neg", None, ("negative_",)), ("reciprocal", away_from_zero, ()), ("relu", away_from_zero, ()),
    ("round", away_from_int, ()), ("rsqrt", positive, ()), ("sigmoid", None, ()), ("sin", None, ()),
    ("sinc", away_from_zero, ()), ("sinh", None, ()), ("sqrt", positive, ()), ("square", None, ()),
    ("tan", unit_open, ()), ("tanh", None, ()), ("trunc", away_from_int, ()), ("zero", None, ()),
    ("conj_physical", None, ()), ("selu", away_from_zero, ()), ("celu", away_from_zero, ()),
]
# torch has no derivative for its in-place inverse hyperbolics (kittygrad has one)
NO_TORCH_GRAD = {"asinh", "acosh", "atanh"}


def _function_rows():
    rows = []
    for name, dom, aliases in FUNCTIONS:
        grad = name not in NO_TORCH_GRAD
        rows.append(Row(f"torch.{name}_", lambda m, a, n=name: getattr(m, n + "_")(a * 1), domain=dom,
                        grad=grad, fd=grad, also=(name + "_",) + aliases))
    return rows


def _transposed_view(m, a):
    b = a * 1
    v = b[0]
    v.transpose_(0, 1)
    v.mul_(a[1].t())
    return b


def _squeezed(m, a):
    y = (a * 1).unsqueeze_(0).unsqueeze_(-1)
    y = y * y
    return y.squeeze_().squeeze_(0) if y.shape[1] == 1 else y.squeeze_()


ROWS = [
    *_function_rows(),
    Row("torch.clamp_", lambda m, a: m.clamp_(a * 1, min=-0.5, max=0.5), domain=clamp_domain,
        also=("clamp_", "clip_")),
    Row("torch.clamp_min_", lambda m, a: m.clamp_min_(a * 1, 0.25), domain=clamp_domain, also=("clamp_min_",)),
    Row("torch.clamp_max_", lambda m, a: m.clamp_max_(a * 1, 0.25), domain=clamp_domain, also=("clamp_max_",)),
    Row("torch.xlogy_", lambda m, a, b: m.xlogy_(a * 1, b), 2, domain=positive, also=("xlogy_",)),
    Row("torch.fill_", lambda m, a: m.fill_(a * 1, 2.5), also=("fill_",)),
    Row("fill", lambda m, a, v: m.fill(a, v.sum()), 2),
    # shrinking keeps the first elements (torch leaves grown ones uninitialised: not compared)
    Row("torch.resize_as_", lambda m, a: m.resize_as_(a.detach() * 1, m.ones(1, 1)), also=("resize_as_",), grad=False,
        min_dims=1),
    Row("torch.detach_", lambda m, a: m.detach_(a * 1), also=("detach_",)),
    Row("torch.ldexp_", lambda m, a: m.ldexp_(a * 1, m.ones_like(a, dtype=m.int64) * 3), also=("ldexp_",)),
    Row("torch.gcd_", lambda m, a, b: m.gcd_(a * 1, b), 2, inputs="int", also=("gcd_",)),
    Row("torch.lcm_", lambda m, a, b: m.lcm_(a * 1, b), 2, inputs="int", also=("lcm_",)),
    # comparisons into self: 1/0 in self's dtype, zero gradients (torch)
    Row("lt_", lambda m, a, b: (a * 1).lt_(b), 2, shapes=fixed((2, 3), (3,))),
    Row("ge_scalar", lambda m, a: (a * 1).ge_(0.0) * a),
    Row("eq_", lambda m, a, b: (a * 1).eq_(b) + (a * 1).ne_(b), 2),
    Row("le_gt_", lambda m, a, b: (a * 1).le_(b) + (a * 1).gt_(b) * 2, 2),
    Row("comparison_aliases_", lambda m, a, b: (a * 1).greater_(b) + (a * 1).less_equal_(b) + (a * 1).less_(b)
        + (a * 1).greater_equal_(b) + (a * 1).not_equal_(b), 2),
    Row("lt_int", lambda m, a, b: (a * 1).lt_(b * 0.5), 2, inputs="int"),
    Row("bitwise_left_shift_", lambda m, a, b: (a.abs() % 4).bitwise_left_shift_(b.abs() % 3), 2, inputs="int",
        also=("bitwise_right_shift_",)),
    Row("bitwise_right_shift", lambda m, a, b: (a.abs() * 4).bitwise_right_shift_(b.abs() % 3), 2, inputs="int"),
    # in-place view ops
    Row("t_", lambda m, a: (a * 1).t_() * 2, max_dims=2),
    Row("transpose_", lambda m, a: (a * 1).transpose_(0, -1), min_dims=1, also=("swapaxes_", "swapdims_")),
    Row("transpose_view", _transposed_view, shapes=fixed((2, 3, 3))),
    Row("squeeze_", _squeezed, also=("unsqueeze_",)),
    Row("squeeze_dim_", lambda m, a: (a * 1).squeeze_(1), shapes=fixed((2, 1, 3))),
    # aliases and twins of composite ops
    Row("divide_", lambda m, a, b: (a * 1).divide_(b) + (a * 1).true_divide_(b), 2, domain=away_from_zero),
    Row("multiply_", lambda m, a, b: (a * 1).multiply_(b) + (a * 1).subtract_(b, alpha=2), 2),
    Row("cumsum_", lambda m, a: (a * 1).cumsum_(-1), min_dims=1),
    Row("cumprod_", lambda m, a: (a * 1).cumprod_(0), min_dims=1, domain=away_from_zero),
    Row("addmv_", lambda m, c, a, b: (c * 1).addmv_(a, b, beta=0.5) + m.addmv_(c * 1, a, b), 3,
        shapes=matrix_shapes("n", "nk", "k"), also=("torch.addmv_",)),
    Row("addr_", lambda m, c, a, b: (c * 1).addr_(a, b, alpha=2), 3, shapes=matrix_shapes("nm", "n", "m")),
    Row("addbmm_", lambda m, c, a, b: (c * 1).addbmm_(a, b), 3, shapes=matrix_shapes("nm", "bnk", "bkm")),
    Row("baddbmm_", lambda m, c, a, b: (c * 1).baddbmm_(a, b, alpha=0.5), 3, shapes=matrix_shapes("bnm", "bnk", "bkm")),
    Row("copysign_", lambda m, a, b: (a * 1).copysign_(b), 2, domain=away_from_zero),
    Row("deg2rad_", lambda m, a: (a * 1).deg2rad_() + (a * 1).rad2deg_()),
    Row("float_power_", lambda m, a: (a.double() * 1).float_power_(2), domain=positive),
    Row("nextafter_", lambda m, a, b: (a * 1).nextafter_(b), 2),
    Row("heaviside_", lambda m, a, b: (a * 1).heaviside_(b), 2, grad=False),
    Row("renorm_", lambda m, a: (a * 1).renorm_(2, 0, 1.0), shapes=fixed((3, 4))),
]
