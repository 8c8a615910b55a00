"""Op-table rows of ``kittygrad/ops/special.py`` and of the ``kittygrad.special`` namespace.

Each row runs the checks of ``_row_checks.py`` (forward and gradients against torch in float32 and
float64, finite differences, integer inputs where asked); the op table also runs double backward
and the saved-value audits on them. The functions torch gives no derivative (Bessel functions,
orthogonal polynomials) are rows too: their results must not require grad, as torch's.
Below the rows: errors (type and message) and the namespace itself, against torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, away_from_int, positive, sigmoid_open, unit_open


def negative_non_int(x):
    """(-k - 0.75, -k - 0.25) for k = 0, 1, 2: below zero, away from the poles of the gamma family."""
    return -np.floor(np.abs(x) % 3) - 0.25 - 0.5 * (np.abs(x) % 1)


def above(bound):
    return lambda x: np.abs(x) + bound


def orders(m, a, low=-1, high=7):
    """An int64 tensor of polynomial degrees in [low, high) shaped like ``a`` (negative: 0, as torch)."""
    return (m.arange(a.numel()) % (high - low) + low).reshape(a.shape)


def outside_torch_airy_band(x):
    """Away from (-2.8, -2.05), where torch's airy_ai loses up to 5e-4 of relative accuracy in
    float64 (SciPy's values agree with mpmath to 1e-15 there)."""
    return np.where((x > -2.8) & (x < -2.05), x + 1.0, x)


def S(m):
    return m.special


ROWS = [
    # ---- the gamma family -------------------------------------------------------------------
    Row("lgamma", lambda m, a: m.lgamma(a), domain=positive, ints=True),
    Row("lgamma_negative", lambda m, a: m.lgamma(a), domain=negative_non_int),
    Row("lgamma_method", lambda m, a: a.lgamma(), domain=positive),
    Row("lgamma_", lambda m, a: (a * 1).lgamma_(), domain=positive),
    Row("special.gammaln", lambda m, a: S(m).gammaln(a), domain=positive),
    Row("digamma", lambda m, a: m.digamma(a), domain=positive, ints=True),
    Row("digamma_negative", lambda m, a: m.digamma(a), domain=negative_non_int),
    Row("digamma_method", lambda m, a: a.digamma(), domain=positive),
    Row("digamma_", lambda m, a: (a * 1).digamma_(), domain=positive),
    Row("special.digamma", lambda m, a: S(m).digamma(a), domain=positive),
    Row("special.psi", lambda m, a: S(m).psi(a), domain=positive),
    Row("polygamma", lambda m, a: m.polygamma(2, a), domain=positive),
    Row("polygamma_0", lambda m, a: m.polygamma(0, a), domain=positive),
    Row("polygamma_1", lambda m, a: m.polygamma(1, a), domain=above(1.0)),
    Row("polygamma_3", lambda m, a: m.polygamma(3, a), domain=above(1.0)),
    Row("polygamma_method", lambda m, a: a.polygamma(1), domain=positive),
    Row("polygamma_", lambda m, a: (a * 1).polygamma_(1), domain=positive),
    Row("special.polygamma", lambda m, a: S(m).polygamma(1, a), domain=above(1.0)),
    Row("mvlgamma", lambda m, a: m.mvlgamma(a, 3), domain=above(1.2)),
    Row("mvlgamma_p1", lambda m, a: m.mvlgamma(a, 1), domain=positive),
    Row("mvlgamma_method", lambda m, a: a.mvlgamma(2), domain=above(0.7)),
    Row("mvlgamma_", lambda m, a: (a * 1).mvlgamma_(2), domain=above(0.7)),
    Row("special.multigammaln", lambda m, a: S(m).multigammaln(a, 4), domain=above(1.7)),
    # ---- modified Bessel functions of the first kind -------------------------------------------
    Row("i0", lambda m, a: m.i0(a), ints=True),
    Row("i0_method", lambda m, a: a.i0()),
    Row("i0_", lambda m, a: (a * 1).i0_()),
    Row("special.i0", lambda m, a: S(m).i0(a)),
    Row("i0e", lambda m, a: S(m).i0e(a), ints=True),
    Row("i1", lambda m, a: S(m).i1(a), ints=True),
    Row("i1e", lambda m, a: S(m).i1e(a), ints=True),
    # ---- the error function's relatives, the normal distribution ------------------------------
    Row("erfcx", lambda m, a: S(m).erfcx(a), ints=True),
    Row("ndtr", lambda m, a: S(m).ndtr(a), ints=True),
    Row("ndtri", lambda m, a: S(m).ndtri(a), domain=sigmoid_open),
    Row("log_ndtr", lambda m, a: S(m).log_ndtr(a), ints=True),
    Row("log_ndtr_tail", lambda m, a: S(m).log_ndtr(a * 10 - 30), rtol=1e-3),
    Row("sinc", lambda m, a: m.sinc(a)),
    Row("sinc_method", lambda m, a: a.sinc()),
    Row("sinc_", lambda m, a: (a * 1).sinc_()),
    Row("special.sinc", lambda m, a: S(m).sinc(a)),
    Row("entr", lambda m, a: S(m).entr(a), domain=positive),
    Row("entr_signs", lambda m, a: S(m).entr(a), fd=False),  # -inf below 0; its gradient is nan there
    # ---- functions of two tensors -------------------------------------------------------------
    Row("xlog1py", lambda m, a, b: S(m).xlog1py(a, b), 2, broadcast=True, domain=positive),
    Row("xlog1py_scalar_other", lambda m, a: S(m).xlog1py(a, 2.5)),
    Row("xlog1py_scalar_input", lambda m, a: S(m).xlog1py(-1.5, a), domain=positive),
    Row("xlog1py_zeros", lambda m, a, b: S(m).xlog1py(a * 0, b), 2, domain=positive),
    # torch differentiates zeta in its second argument only
    Row("zeta", lambda m, a, b: S(m).zeta(a + 1, b), 2, broadcast=True, domain=positive, grad=(False, True)),
    Row("zeta_scalar_input", lambda m, a: S(m).zeta(3.0, a), domain=positive),
    Row("zeta_scalar_other", lambda m, a: S(m).zeta(a + 1, 2.0), domain=positive, grad=False),
    # and the incomplete gamma functions in their second argument only
    Row("igamma", lambda m, a, b: m.igamma(a, b), 2, broadcast=True, domain=positive, grad=(False, True),
        also=("special.gammainc",)),
    Row("special.gammainc", lambda m, a, b: S(m).gammainc(a, b), 2, domain=positive, grad=(False, True)),
    Row("igamma_method", lambda m, a, b: a.igamma(b), 2, domain=positive, grad=(False, True)),
    Row("igamma_", lambda m, a, b: (a * 1).igamma_(b), 2, broadcast=True, domain=positive, grad=(False, True),
        shapes=lambda rng: [(2, 3), (3,)]),
    Row("igammac", lambda m, a, b: m.igammac(a, b), 2, broadcast=True, domain=positive, grad=(False, True)),
    Row("special.gammaincc", lambda m, a, b: S(m).gammaincc(a, b), 2, domain=positive, grad=(False, True)),
    Row("igammac_method", lambda m, a, b: a.igammac(b), 2, domain=positive, grad=(False, True)),
    Row("igammac_", lambda m, a, b: (a * 1).igammac_(b), 2, domain=positive, grad=(False, True)),
    # ---- no derivative in torch: the result does not require grad -----------------------------
    Row("airy_ai", lambda m, a: S(m).airy_ai(a), domain=outside_torch_airy_band, ints=True),
    Row("bessel_j0", lambda m, a: S(m).bessel_j0(a), ints=True),
    Row("bessel_j1", lambda m, a: S(m).bessel_j1(a), ints=True),
    Row("bessel_y0", lambda m, a: S(m).bessel_y0(a), domain=positive),
    Row("bessel_y1", lambda m, a: S(m).bessel_y1(a), domain=positive),
    Row("modified_bessel_i0", lambda m, a: S(m).modified_bessel_i0(a), ints=True),
    Row("modified_bessel_i1", lambda m, a: S(m).modified_bessel_i1(a), ints=True),
    Row("modified_bessel_k0", lambda m, a: S(m).modified_bessel_k0(a), domain=positive),
    Row("modified_bessel_k1", lambda m, a: S(m).modified_bessel_k1(a), domain=positive),
    Row("scaled_modified_bessel_k0", lambda m, a: S(m).scaled_modified_bessel_k0(a), domain=positive),
    Row("scaled_modified_bessel_k1", lambda m, a: S(m).scaled_modified_bessel_k1(a), domain=positive),
    Row("spherical_bessel_j0", lambda m, a: S(m).spherical_bessel_j0(a), ints=True),
    *[
        Row(name, lambda m, a, n=name: getattr(S(m), n)(a, 3), domain=dom, ints=True)
        for name, dom in [
            ("chebyshev_polynomial_t", unit_open), ("chebyshev_polynomial_u", unit_open),
            ("chebyshev_polynomial_v", unit_open), ("chebyshev_polynomial_w", unit_open),
            ("shifted_chebyshev_polynomial_t", sigmoid_open), ("shifted_chebyshev_polynomial_u", sigmoid_open),
            ("shifted_chebyshev_polynomial_v", sigmoid_open), ("shifted_chebyshev_polynomial_w", sigmoid_open),
            ("hermite_polynomial_h", None), ("hermite_polynomial_he", None),
            ("laguerre_polynomial_l", None), ("legendre_polynomial_p", unit_open),
        ]
    ],
    *[
        Row(name + "_orders", lambda m, a, n=name: getattr(S(m), n)(a, orders(m, a)), domain=dom)
        for name, dom in [
            ("chebyshev_polynomial_t", None), ("chebyshev_polynomial_u", None),
            ("chebyshev_polynomial_v", unit_open), ("chebyshev_polynomial_w", unit_open),
            ("shifted_chebyshev_polynomial_t", sigmoid_open), ("shifted_chebyshev_polynomial_w", None),
            ("hermite_polynomial_h", None), ("hermite_polynomial_he", None),
            ("laguerre_polynomial_l", None), ("legendre_polynomial_p", None),
        ]
    ],
    Row("chebyshev_polynomial_t_number_x", lambda m, a: S(m).chebyshev_polynomial_t(0.3, orders(m, a, 0, 9).to(a.dtype))),
    Row("chebyshev_polynomial_t_float_orders", lambda m, a: S(m).chebyshev_polynomial_t(a, orders(m, a) + 0.5)),
    # ---- torch.special names for functions other families provide -----------------------------
    Row("special.expit", lambda m, a: S(m).expit(a)),
    Row("special.logit", lambda m, a: S(m).logit(a), domain=sigmoid_open),
    Row("special.logit_eps", lambda m, a: S(m).logit(a, eps=0.2), domain=sigmoid_open, fd=False),
    Row("special.xlogy", lambda m, a, b: S(m).xlogy(a, b), 2, broadcast=True, domain=positive),
    Row("special.logsumexp", lambda m, a: S(m).logsumexp(a, -1), min_dims=1),
    Row("special.logsumexp_keepdim", lambda m, a: S(m).logsumexp(a, (0, -1), keepdim=True), min_dims=2),
    Row("special.softmax", lambda m, a: S(m).softmax(a, -1), min_dims=1),
    Row("special.softmax_dtype", lambda m, a: S(m).softmax(a, 0, dtype=m.float64), min_dims=1),
    Row("special.log_softmax", lambda m, a: S(m).log_softmax(a, -1), min_dims=1),
    Row("special.erf", lambda m, a: S(m).erf(a)),
    Row("special.erfc", lambda m, a: S(m).erfc(a)),
    Row("special.erfinv", lambda m, a: S(m).erfinv(a), domain=unit_open),
    Row("special.exp2", lambda m, a: S(m).exp2(a)),
    Row("special.expm1", lambda m, a: S(m).expm1(a)),
    Row("special.log1p", lambda m, a: S(m).log1p(a), domain=positive),
    Row("special.round", lambda m, a: S(m).round(a), domain=away_from_int),
]


# ---------------------------------------------------------------------------------------------
# the namespace and the errors


def test_every_torch_special_function_is_in_kittygrad_special():
    names = [n for n in dir(torch.special) if not n.startswith("_") and callable(getattr(torch.special, n))
             and n != "Tensor"]
    missing = [n for n in names if not hasattr(kitty.special, n)]
    assert not missing, missing


def test_top_level_aliases_and_tensor_methods_exist_as_in_torch():
    for name in ("lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "igamma", "igammac"):
        assert hasattr(torch, name) and hasattr(kitty, name), name
        assert hasattr(torch.Tensor, name) and hasattr(kitty.Tensor, name), name
        assert hasattr(torch.Tensor, name + "_") and hasattr(kitty.Tensor, name + "_"), name


def _same_error(fn, exc_type):
    with pytest.raises(exc_type) as t_err:
        fn(torch)
    with pytest.raises(exc_type) as k_err:
        fn(kitty)
    assert isinstance(k_err.value, kitty.KittygradError)
    return str(t_err.value), str(k_err.value)


@pytest.mark.parametrize("fn", [
    lambda m: m.polygamma(-1, m.tensor([1.0])),
    lambda m: m.special.polygamma(-2, m.tensor([1.0])),
    lambda m: m.mvlgamma(m.tensor([3.0]), 0),
    lambda m: m.special.multigammaln(m.tensor([3.0]), -1),
    lambda m: m.tensor([1, 2]).lgamma_(),
    lambda m: m.tensor([1, 2]).digamma_(),
    lambda m: m.tensor([1, 2]).sinc_(),
])
def test_runtime_errors_match_torch(fn):
    t_msg, k_msg = _same_error(fn, RuntimeError)
    assert k_msg == t_msg


@pytest.mark.parametrize("fn", [
    lambda m: m.special.zeta(m.tensor([2.0, 3.0], requires_grad=True), m.tensor([1.0, 2.0])).sum().backward(),
    lambda m: m.igamma(m.tensor([2.0, 3.0], requires_grad=True), m.tensor([1.0, 2.0])).sum().backward(),
    lambda m: m.special.gammaincc(m.tensor([2.0], requires_grad=True), m.tensor([1.0])).sum().backward(),
    lambda m: m.igamma(m.tensor([1, 2]), m.tensor([2, 3])),
    lambda m: m.igammac(m.tensor([1, 2]), m.tensor([2, 3])),
])
def test_missing_derivatives_and_dtypes_are_not_implemented_errors(fn):
    t_msg, k_msg = _same_error(fn, NotImplementedError)
    assert k_msg == t_msg


@pytest.mark.parametrize("fn", [
    lambda m: m.polygamma(1.5, m.tensor([1.0])),
    lambda m: m.special.gammainc(m.tensor([1.0]), 2.0),
    lambda m: m.special.gammaincc(1.0, m.tensor([1.0])),
    lambda m: m.special.zeta(2.0, 3.0),
    lambda m: m.special.xlog1py(2.0, 3.0),
    lambda m: m.special.chebyshev_polynomial_t(0.5, 2),
    lambda m: m.special.hermite_polynomial_h(0.5, 2.0),
])
def test_type_errors_match_torch(fn):
    t_msg, k_msg = _same_error(fn, TypeError)
    # torch's message, up to its list of overloads (kittygrad lists them on one line)
    assert k_msg.split(" but expected one of")[0] == t_msg.split(" but expected one of")[0]


def test_zeta_and_igamma_gradients_flow_to_the_differentiable_argument_only():
    for lib in (torch, kitty):
        x = lib.tensor([2.5, 3.0], dtype=lib.float64)
        q = lib.tensor([0.7, 1.5], dtype=lib.float64, requires_grad=True)
        lib.special.zeta(x, q).sum().backward()
        lib.igamma(x, q).sum().backward()
    # values compared in the rows; here: nothing reaches x, and q's gradient exists
    assert q.grad is not None and x.grad is None


def test_special_values_at_the_edges_match_torch():
    """Poles, zeros and infinities, where SciPy's and torch's conventions could differ."""
    cases = [
        (lambda m, t: m.lgamma(t), [-2.0, -1.0, 0.0, 1.0, 2.0, float("inf"), float("-inf"), float("nan")]),
        (lambda m, t: m.digamma(t), [-1.0, 0.0, 1.0, float("inf"), float("nan")]),
        (lambda m, t: m.polygamma(1, t), [0.0, 1.0, float("inf")]),
        (lambda m, t: m.special.ndtri(t), [0.0, 1.0, -0.5, 1.5, 0.5]),
        (lambda m, t: m.special.log_ndtr(t), [-40.0, 0.0, 40.0, float("-inf"), float("inf")]),
        (lambda m, t: m.special.entr(t), [-1.0, 0.0, 1.0, float("inf"), float("nan")]),
        (lambda m, t: m.special.erfcx(t), [-30.0, 0.0, 30.0, 1e10]),
        (lambda m, t: m.special.i0e(t), [0.0, 1e4, -1e4]),
        (lambda m, t: m.special.i1e(t), [0.0, 1e4, -1e4]),
        (lambda m, t: m.sinc(t), [0.0, 1.0, -2.0, 0.5]),
        (lambda m, t: m.special.xlog1py(t, m.tensor([-1.0, 0.0, float("nan"), 1.0])), [0.0, 0.0, 0.0, 2.0]),
        (lambda m, t: m.special.zeta(t, m.tensor([1.0, 1.0, 2.0])), [1.0, 2.0, 5.0]),
        (lambda m, t: m.special.chebyshev_polynomial_t(t, m.tensor([2, 3, 8, 9])), [1.0, -1.0, 1.0, -1.0]),
        (lambda m, t: m.special.chebyshev_polynomial_u(t, m.tensor([2, 3, 8, 9])), [1.0, -1.0, 1.0, -1.0]),
        (lambda m, t: m.special.legendre_polynomial_p(t, m.tensor([2, 3, 8, 9])), [1.0, -1.0, 1.0, -1.0]),
        (lambda m, t: m.special.laguerre_polynomial_l(t, m.tensor([0, 2, 3, 10])), [0.0, 0.0, 2.0, 0.5]),
        (lambda m, t: m.special.hermite_polynomial_h(t, m.tensor([0, 1, 5, 10])), [0.0, 0.0, 1.5, -1.0]),
    ]
    for fn, values in cases:
        for dtype in ("float32", "float64"):
            k = fn(kitty, kitty.tensor(values, dtype=getattr(kitty, dtype))).numpy()
            t = fn(torch, torch.tensor(values, dtype=getattr(torch, dtype))).numpy()
            np.testing.assert_allclose(k, t, rtol=1e-5, atol=1e-6, equal_nan=True)


def test_integer_and_bool_inputs_give_the_default_float():
    for fn in (lambda m: m.lgamma(m.tensor([1, 2])), lambda m: m.special.bessel_j0(m.tensor([True, False])),
               lambda m: m.special.chebyshev_polynomial_t(m.tensor([2]), m.tensor([3])),
               lambda m: m.special.zeta(m.tensor([2]), m.tensor([1])),
               lambda m: m.special.xlog1py(m.tensor([2]), m.tensor([1]))):
        k, t = fn(kitty), fn(torch)
        assert str(k.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(k.numpy(), t.numpy(), rtol=1e-6)
