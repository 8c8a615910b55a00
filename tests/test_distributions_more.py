"""ContinuousBernoulli, LowRankMultivariateNormal, VonMises, Wishart, LKJCholesky, GeneralizedPareto and
CorrCholeskyTransform against ``torch.distributions``, live.

Values and parameter gradients (float64) of log_prob, entropy, the moments, cdf/icdf; sample shapes,
dtypes and moments; reparameterised gradients; argument validation (the exception types torch
raises); ``expand``; the KL pairs torch registers for them; the transform's maps and Jacobian.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import scipy.special as sps
import torch
import torch.distributions as TD

import kittygrad as kitty
import kittygrad.distributions as KD

RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _torch_float64():
    # torch's GeneralizedPareto compares its parameters with a default-dtype zero
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def lib(m):
    return TD if m is torch else KD


def pos(*shape, low=0.5):
    return np.abs(RNG.standard_normal(shape)) + low


def spd(n, batch=()):
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def corr_chol(d, batch=()):
    """Cholesky factors of random correlation matrices."""
    c = spd(d, batch)
    s = np.sqrt(np.diagonal(c, axis1=-2, axis2=-1))
    return np.linalg.cholesky(c / s[..., :, None] / s[..., None, :])


def _np(t):
    return t.detach().numpy()


@dataclass
class Case:
    name: str
    build: Callable  # build(m, *params) -> distribution
    params: list  # [(array, requires_grad)]
    value: np.ndarray  # in the support
    quantities: tuple = ("log_prob", "entropy", "mean", "variance", "stddev")
    quantiles: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def _tensors(m, case):
    return [m.tensor(a, dtype=m.float64, requires_grad=rg) for a, rg in case.params]


PROBS = np.array([0.02, 0.3, 0.4995, 0.5, 0.5007, 0.8, 0.97])
UNIT = np.array([0.1, 0.9, 0.5, 0.25, 0.6, 0.99, 0.02])
GP_XI = np.array([0.0, 0.3, -0.2, 0.7, -0.6])
GP_SCALE = pos(5)
GP_LOC = RNG.standard_normal(5)

CASES = [
    Case(
        "ContinuousBernoulli_probs",
        lambda m, p: lib(m).ContinuousBernoulli(probs=p),
        [(PROBS, True)],
        UNIT,
        ("log_prob", "entropy", "mean", "variance", "stddev", "cdf", "icdf"),
        quantiles=UNIT[::-1].copy(),
    ),
    Case(
        "ContinuousBernoulli_logits",
        lambda m, x: lib(m).ContinuousBernoulli(logits=x),
        [(np.array([-3.0, -0.5, 0.001, 0.0, 1.2, 4.0, -0.003]), True)],
        UNIT,
        ("log_prob", "entropy", "mean", "variance", "cdf", "icdf"),
        quantiles=UNIT,
    ),
    Case(
        "ContinuousBernoulli_lims",
        lambda m, p: lib(m).ContinuousBernoulli(probs=p, lims=(0.4, 0.6)),
        [(PROBS, True)],
        UNIT,
        ("log_prob", "entropy", "mean", "variance", "cdf", "icdf"),
        quantiles=UNIT,
    ),
    Case(
        "LowRankMultivariateNormal",
        lambda m, mu, w, d: lib(m).LowRankMultivariateNormal(mu, w, d),
        [(RNG.standard_normal((2, 3)), True), (RNG.standard_normal((3, 2)), True), (pos(2, 3), True)],
        RNG.standard_normal((4, 2, 3)),
        ("log_prob", "entropy", "mean", "mode", "variance", "covariance_matrix", "precision_matrix", "scale_tril"),
    ),
    Case(
        "LowRankMultivariateNormal_batched_factor",
        lambda m, mu, w, d: lib(m).LowRankMultivariateNormal(mu, w, d),
        [(RNG.standard_normal(4), True), (RNG.standard_normal((3, 4, 1)), True), (pos(4), True)],
        RNG.standard_normal((3, 4)),
        ("log_prob", "entropy", "variance", "precision_matrix"),
    ),
    Case(
        "VonMises",
        lambda m, a, k: lib(m).VonMises(a, k),
        [(RNG.standard_normal(5), True), (np.array([0.01, 0.5, 2.0, 20.0, 300.0]), True)],
        np.array([0.3, -3.0, 2.5, 0.1, 7.0]),
        ("log_prob", "mean", "mode", "variance"),
        extra={"rtol": {"variance": 1e-3}},
    ),  # torch's I1/I0 is an approximation: see test_von_mises_variance
    Case(
        "Wishart_covariance",
        lambda m, df, s: lib(m).Wishart(df, covariance_matrix=s),
        [(np.array([3.5, 7.0]), True), (spd(3, (2,)), True)],
        spd(3, (4, 2)),
        ("log_prob", "entropy", "mean", "mode", "variance", "precision_matrix", "scale_tril"),
    ),
    Case(
        "Wishart_precision",
        lambda m, df, s: lib(m).Wishart(df, precision_matrix=s),
        [(np.array(5.0), True), (spd(2, (3,)), True)],
        spd(2, (3,)),
        ("log_prob", "entropy", "mean", "mode", "variance", "covariance_matrix"),
    ),
    Case(
        "Wishart_scale_tril",
        lambda m, df, s: lib(m).Wishart(df, scale_tril=s),
        [(np.array([4.0, 2.5]), True), (np.linalg.cholesky(spd(3)), True)],
        spd(3, (2,)),
        ("log_prob", "entropy", "mean", "variance", "covariance_matrix", "precision_matrix"),
        extra={"lower": (1,), "singular_draws": True},
    ),
    Case(
        "LKJCholesky",
        lambda m, c: lib(m).LKJCholesky(4, c),
        [(np.array([0.3, 1.0, 2.5]), True)],
        corr_chol(4, (2, 3)),
        ("log_prob",),
    ),
    Case(
        "LKJCholesky_dim2",
        lambda m, c: lib(m).LKJCholesky(2, c),
        [(np.array(1.7), True)],
        corr_chol(2, (5,)),
        ("log_prob",),
    ),
    Case(
        "GeneralizedPareto",
        lambda m, a, s, x: lib(m).GeneralizedPareto(a, s, x),
        [(GP_LOC, True), (GP_SCALE, True), (GP_XI, True)],
        GP_LOC + GP_SCALE * np.array([0.3, 2.0, 1.5, 0.7, 1.1]),
        ("log_prob", "entropy", "mean", "variance", "mode", "cdf", "icdf", "log_cdf", "log_survival_function"),
        quantiles=np.array([0.1, 0.5, 0.9, 0.3, 0.99]),
    ),
]
IDS = [c.name for c in CASES]
PAIRS = [(c, q) for c in CASES for q in c.quantities]


def _evaluate(m, case, what):
    params = _tensors(m, case)
    d = case.build(m, *params)
    if what in ("log_prob", "cdf", "log_cdf", "log_survival_function"):
        return params, getattr(d, what)(m.tensor(case.value, dtype=m.float64))
    if what == "icdf":
        return params, d.icdf(m.tensor(case.quantiles, dtype=m.float64))
    if what == "entropy":
        return params, d.entropy()
    return params, getattr(d, what)


def _grads(m, params, out, weights):
    w = m.tensor(weights)
    return m.autograd.grad((m.where(w != 0, out, 0.0) * w).sum(), params, allow_unused=True)


@pytest.mark.parametrize("case,what", PAIRS, ids=[f"{c.name}-{q}" for c, q in PAIRS])
def test_values_and_gradients_match_torch(case, what):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_params, t_out = _evaluate(torch, case, what)
        k_params, k_out = _evaluate(kitty, case, what)
    assert tuple(k_out.shape) == tuple(t_out.shape), what
    assert k_out.dtype == kitty.float64
    rtol = case.extra.get("rtol", {}).get(what, 1e-7)
    np.testing.assert_allclose(_np(k_out), _np(t_out), rtol=rtol, atol=1e-10, equal_nan=True)
    weights = np.where(np.isfinite(_np(t_out)), RNG.standard_normal(tuple(t_out.shape)), 0.0)
    tg = _grads(torch, t_params, t_out, weights)
    kg = _grads(kitty, k_params, k_out, weights)
    for i, (a, b) in enumerate(zip(kg, tg)):
        if b is None:
            assert a is None or not np.any(_np(a)), f"param {i}: kittygrad has a gradient, torch none"
            continue
        a, b = _np(a), _np(b)
        if i in case.extra.get("lower", ()):
            # a Cholesky factor's parameters are its lower triangle; what torch's formulas send to the
            # (zero, unused) upper triangle depends on how they are written
            a, b = np.tril(a), np.tril(b)
        # where torch's gradient is NaN (a masked-out NaN branch leaking through its where), ours is finite
        assert np.isfinite(a).all(), f"gradient of param {i} is not finite"
        finite = np.isfinite(b)
        np.testing.assert_allclose(a[finite], b[finite], rtol=max(rtol, 1e-6), atol=1e-9, err_msg=f"param {i}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shapes_flags_constraints_and_expand(case):
    kitty.manual_seed(5)  # (the draws below must not depend on which tests ran before in this process)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = case.build(torch, *_tensors(torch, case))
        k = case.build(kitty, *_tensors(kitty, case))
    assert tuple(k.batch_shape) == tuple(t.batch_shape) and tuple(k.event_shape) == tuple(t.event_shape)
    assert k.has_rsample == t.has_rsample
    assert {n: repr(c) for n, c in k.arg_constraints.items()} == {n: repr(c) for n, c in t.arg_constraints.items()}
    if case.name.startswith("GeneralizedPareto"):
        ks, ts = k.support, t.support
        assert type(ks).__name__ == type(ts).__name__ == "_Interval"
        np.testing.assert_allclose(_np(ks.upper_bound), _np(ts.upper_bound))
        np.testing.assert_allclose(_np(ks.lower_bound), _np(ts.lower_bound))
    else:
        assert repr(k.support) == repr(t.support)
    for batch in [(3,) + tuple(k.batch_shape), (2, 1) + tuple(k.batch_shape)]:
        ke, te = k.expand(batch), t.expand(batch)
        assert tuple(ke.batch_shape) == tuple(te.batch_shape) == batch
        assert tuple(ke.event_shape) == tuple(k.event_shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = ke.sample((2,))
        assert tuple(value.shape) == (2,) + tuple(te.batch_shape) + tuple(te.event_shape)
        # torch's VonMises approximates log I0 (to about 3e-7 for large concentrations)
        t_log_prob = te.log_prob(torch.tensor(_np(value)))
        compared = np.ones(tuple(t_log_prob.shape), bool)
        if case.extra.get("singular_draws"):
            # a Wishart draw with df < p is (near) singular: its log density is ill-conditioned, and two
            # correct Cholesky factorisations give values that differ far above rounding (2e-4 seen)
            compared = np.linalg.cond(_np(value)) < 1e6
        np.testing.assert_allclose(_np(ke.log_prob(value))[compared], _np(t_log_prob)[compared], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sample_shapes_and_dtypes(case, dtype):
    params = [kitty.tensor(a, dtype=getattr(kitty, dtype)) for a, _ in case.params]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = case.build(kitty, *params)
        t = case.build(torch, *[torch.tensor(a, dtype=getattr(torch, dtype)) for a, _ in case.params])
    for shape in [(), (4,), (2, 3)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Wishart with df < p: singular draws are expected, and said
            ks, ts = d.sample(shape), t.sample(shape)
        assert tuple(ks.shape) == tuple(ts.shape)
        assert ks.dtype == getattr(kitty, dtype) and str(ts.dtype) == f"torch.{dtype}"
        assert not ks.requires_grad
        if not case.extra.get("singular_draws"):
            assert bool(d.support.check(ks).all()), "samples lie in the support"
    if t.has_rsample:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert tuple(d.rsample((2,)).shape) == tuple(t.rsample((2,)).shape)


# ---- sample moments (generous: 20000 draws, 5 standard errors)


def _mean_within(samples, mean, var, n):
    se = np.sqrt(np.asarray(var) / n)
    assert np.all(np.abs(samples.mean(0) - mean) <= 5 * se + 1e-12), (samples.mean(0), mean)


def test_continuous_bernoulli_sample_moments():
    kitty.manual_seed(0)
    d = KD.ContinuousBernoulli(probs=kitty.tensor([0.05, 0.3, 0.5, 0.5004, 0.9], dtype=kitty.float64))
    x = _np(d.sample((20000,)))
    _mean_within(x, _np(d.mean), _np(d.variance), 20000)
    np.testing.assert_allclose(x.var(0), _np(d.variance), rtol=0.05)


def test_lowrank_mvn_sample_moments():
    kitty.manual_seed(1)
    d = KD.LowRankMultivariateNormal(
        kitty.tensor([1.0, -2.0, 0.5]),
        kitty.tensor([[1.0, 0.0], [0.5, 1.0], [0.0, -1.0]]),
        kitty.tensor([0.5, 0.2, 1.0]),
    )
    x = _np(d.sample((40000,))).astype(np.float64)
    _mean_within(x, _np(d.mean), _np(d.variance), 40000)
    np.testing.assert_allclose(np.cov(x.T), _np(d.covariance_matrix), atol=0.06)


def test_von_mises_sample_moments():
    kitty.manual_seed(2)
    loc = np.array([0.0, 2.5, -3.0, 1.0, 0.3])
    kappa = np.array([1e-3, 0.5, 2.0, 30.0, 1e4])
    d = KD.VonMises(kitty.tensor(loc), kitty.tensor(kappa))
    x = _np(d.sample((20000,))).astype(np.float64)
    assert x.min() >= -math.pi and x.max() < math.pi
    # circular variance 1 - E cos(x - loc) and the mean direction
    np.testing.assert_allclose(1 - np.cos(x - loc).mean(0), _np(d.variance), atol=0.02)
    direction = np.arctan2(np.sin(x).mean(0), np.cos(x).mean(0))
    np.testing.assert_allclose(np.angle(np.exp(1j * (direction - loc)))[1:], 0.0, atol=0.05)


def test_wishart_sample_moments_and_reparameterised_gradient():
    kitty.manual_seed(3)
    sigma = spd(3) / 3
    d = KD.Wishart(kitty.tensor(6.5, dtype=kitty.float64), kitty.tensor(sigma))
    x = _np(d.sample((20000,)))
    _mean_within(x, _np(d.mean), _np(d.variance), 20000)
    np.testing.assert_allclose(x.var(0), _np(d.variance), rtol=0.1)
    # the pathwise gradient of E[X] in df is Sigma (E[X] = df Sigma)
    df = kitty.tensor(6.5, dtype=kitty.float64, requires_grad=True)
    scale = kitty.tensor(sigma, requires_grad=True)
    n = 20000
    total = KD.Wishart(df, scale).rsample((n,)).sum((-2, -1)).sum() / n
    g_df, g_scale = kitty.autograd.grad(total, [df, scale])
    np.testing.assert_allclose(float(g_df), sigma.sum(), rtol=0.05)
    np.testing.assert_allclose(_np(g_scale), np.full((3, 3), 6.5), rtol=0.05)  # d(df * sum Sigma)/dSigma


def test_wishart_singular_draws_are_redrawn_or_reported():
    with pytest.warns(UserWarning, match="Low df"):
        d = KD.Wishart(kitty.tensor(2.2), kitty.eye(3))

    def singular(draws):
        return int((kitty.linalg.cholesky_ex(draws).info != 0).sum())

    # in float32 with df - (p - 1) = 0.2 about one draw in seven is numerically singular
    kitty.manual_seed(4)
    raw = d.rsample((2000,), max_try_correction=0)
    assert singular(raw) > 50
    kitty.manual_seed(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none is left: no warning
        corrected = d.rsample((2000,), max_try_correction=8)
    assert tuple(corrected.shape) == (2000, 3, 3) and singular(corrected) == 0
    kitty.manual_seed(4)
    with pytest.warns(UserWarning, match="Singular sample detected"):
        d.rsample((2000,), max_try_correction=1)


def test_lkj_sample_marginals():
    # each off-diagonal correlation of LKJ(eta) in d dims is 2 Beta(b, b) - 1 with b = eta - 1 + d / 2,
    # so E[r^2] = 1 / (2 b + 1); the onion construction must give that for every entry
    kitty.manual_seed(5)
    d, eta = 4, np.array([0.5, 1.0, 3.0])
    dist = KD.LKJCholesky(d, kitty.tensor(eta))
    L = _np(dist.sample((20000,))).astype(np.float64)
    C = L @ np.swapaxes(L, -1, -2)
    np.testing.assert_allclose(np.diagonal(C, axis1=-2, axis2=-1), 1.0, atol=1e-5)
    b = eta - 1 + d / 2
    second = (C**2).mean(0)
    rows, cols = np.tril_indices(d, -1)
    np.testing.assert_allclose(second[:, rows, cols], np.repeat((1 / (2 * b + 1))[:, None], len(rows), 1), atol=0.01)
    # and the density is normalised: for d = 2 the single entry r = L_10 has density p(L) on (-1, 1)
    two = KD.LKJCholesky(2, kitty.tensor(eta))
    r = np.linspace(-1 + 1e-6, 1 - 1e-6, 200001)
    Ls = np.zeros((len(r), 1, 2, 2))
    Ls[:, 0, 0, 0], Ls[:, 0, 1, 0], Ls[:, 0, 1, 1] = 1.0, r, np.sqrt(1 - r**2)
    dens = np.exp(_np(two.log_prob(kitty.tensor(Ls))))
    np.testing.assert_allclose(np.trapezoid(dens, r, axis=0), 1.0, rtol=2e-3)


def test_generalized_pareto_samples_and_rsample_gradient():
    kitty.manual_seed(6)
    d = KD.GeneralizedPareto(
        kitty.tensor([0.0, 1.0, -1.0]), kitty.tensor([1.0, 2.0, 0.5]), kitty.tensor([0.2, 0.0, -0.4])
    )
    x = _np(d.sample((40000,)))
    np.testing.assert_allclose(np.median(x, 0), _np(d.icdf(kitty.tensor(0.5))), rtol=0.03)
    _mean_within(x, _np(d.mean), _np(d.variance), 40000)
    scale = kitty.tensor(2.0, requires_grad=True)
    s = KD.GeneralizedPareto(0.0, scale, 0.25).rsample((50000,))
    (g,) = kitty.autograd.grad(s.mean(), [scale])
    np.testing.assert_allclose(float(g), 1 / (1 - 0.25), rtol=0.05)  # d E[x] / d sigma


def test_continuous_bernoulli_rsample_gradient():
    kitty.manual_seed(7)
    p = kitty.tensor(0.2, dtype=kitty.float64, requires_grad=True)
    (g,) = kitty.autograd.grad(KD.ContinuousBernoulli(p).rsample((50000,)).mean(), [p])
    pt = torch.tensor(0.2, requires_grad=True)
    (gt,) = torch.autograd.grad(TD.ContinuousBernoulli(pt).mean, [pt])
    np.testing.assert_allclose(float(g), float(gt), rtol=0.05)


def test_lowrank_rsample_gradient():
    mu = kitty.tensor([0.0, 1.0], requires_grad=True)
    w = kitty.tensor([[1.0], [2.0]], requires_grad=True)
    d = KD.LowRankMultivariateNormal(mu, w, kitty.tensor([1.0, 1.0]))
    x = d.rsample((5,))
    gm, gw = kitty.autograd.grad(x.sum(), [mu, w])
    np.testing.assert_allclose(_np(gm), [5.0, 5.0])
    assert np.isfinite(_np(gw)).all()


def test_von_mises_variance_is_exact():
    # 1 - I1(k) / I0(k) to double precision (torch's approximation is good to about 1e-4 for large k)
    kappa = np.array([1e-6, 0.3, 4.0, 20.0, 300.0, 1e5])
    expected = 1 - sps.i1e(kappa) / sps.i0e(kappa)
    d = KD.VonMises(kitty.zeros(6, dtype=kitty.float64), kitty.tensor(kappa))
    np.testing.assert_allclose(_np(d.variance), expected, rtol=1e-12)
    x = np.array([0.1, -2.0, 3.0, 0.05, -0.01, 1e-3])
    exact = kappa * np.cos(x) - np.log(2 * np.pi) - (np.log(sps.i0e(kappa)) + kappa)
    np.testing.assert_allclose(_np(d.log_prob(kitty.tensor(x))), exact, rtol=1e-13)


def test_von_mises_has_no_rsample_nor_entropy():
    d = KD.VonMises(kitty.tensor(0.0), kitty.tensor(1.0))
    with pytest.raises(NotImplementedError):
        d.rsample()
    with pytest.raises(NotImplementedError):
        TD.VonMises(torch.tensor(0.0), torch.tensor(1.0)).entropy()
    with pytest.raises(NotImplementedError):
        d.entropy()


def test_exponential_family_views_agree_with_the_closed_forms():
    # the Bregman entropy of ExponentialFamily, from _natural_params/_log_normalizer, is the entropy
    cb = KD.ContinuousBernoulli(logits=kitty.tensor([-2.0, 0.001, 0.5, 3.0], dtype=kitty.float64))
    np.testing.assert_allclose(_np(KD.ExponentialFamily.entropy(cb)), _np(cb.entropy()), rtol=1e-6)
    w = KD.Wishart(kitty.tensor([4.0, 6.5], dtype=kitty.float64), kitty.tensor(spd(3, (2,))))
    np.testing.assert_allclose(_np(KD.ExponentialFamily.entropy(w)), _np(w.entropy()), rtol=1e-9)


# ---- validation: the same exception types as torch


def _errors():
    e3 = lambda m: m.eye(3)  # noqa: E731
    return [
        ("cb_neither", lambda m: lib(m).ContinuousBernoulli()),
        ("cb_both", lambda m: lib(m).ContinuousBernoulli(probs=m.tensor(0.3), logits=m.tensor(0.1))),
        ("cb_value", lambda m: lib(m).ContinuousBernoulli(m.tensor(0.3)).log_prob(m.tensor(1.5))),
        ("cb_cdf_value", lambda m: lib(m).ContinuousBernoulli(m.tensor(0.3)).cdf(m.tensor(-0.5))),
        ("lr_loc_scalar", lambda m: lib(m).LowRankMultivariateNormal(m.tensor(0.0), m.ones(1, 1), m.ones(1))),
        ("lr_factor_vector", lambda m: lib(m).LowRankMultivariateNormal(m.zeros(2), m.ones(2), m.ones(2))),
        ("lr_factor_rows", lambda m: lib(m).LowRankMultivariateNormal(m.zeros(2), m.ones(3, 1), m.ones(2))),
        ("lr_diag_length", lambda m: lib(m).LowRankMultivariateNormal(m.zeros(2), m.ones(2, 1), m.ones(3))),
        ("lr_batches", lambda m: lib(m).LowRankMultivariateNormal(m.zeros(2, 2), m.ones(3, 2, 1), m.ones(2))),
        (
            "lr_value_event",
            lambda m: lib(m).LowRankMultivariateNormal(m.zeros(2), m.ones(2, 1), m.ones(2)).log_prob(m.zeros(3)),
        ),
        ("vm_concentration", lambda m: lib(m).VonMises(m.tensor(0.0), m.tensor(0.0))),
        ("vm_nan_loc", lambda m: lib(m).VonMises(m.tensor(float("nan")), m.tensor(1.0))),
        ("wi_two_matrices", lambda m: lib(m).Wishart(m.tensor(4.0), e3(m), scale_tril=e3(m))),
        ("wi_no_matrix", lambda m: lib(m).Wishart(m.tensor(4.0))),
        ("wi_low_df", lambda m: lib(m).Wishart(m.tensor(2.0), e3(m))),
        ("wi_low_df_unvalidated", lambda m: lib(m).Wishart(m.tensor([1.5, 4.0]), e3(m), validate_args=False)),
        ("wi_not_pd", lambda m: lib(m).Wishart(m.tensor(4.0), -e3(m))),
        ("wi_value", lambda m: lib(m).Wishart(m.tensor(4.0), e3(m)).log_prob(-e3(m))),
        ("lkj_dim", lambda m: lib(m).LKJCholesky(1, 1.0)),
        ("lkj_concentration", lambda m: lib(m).LKJCholesky(3, m.tensor(-1.0))),
        ("lkj_value", lambda m: lib(m).LKJCholesky(3, 1.0).log_prob(2 * e3(m))),
        ("gp_scale", lambda m: lib(m).GeneralizedPareto(m.tensor(0.0), m.tensor(-1.0), m.tensor(0.1))),
        (
            "gp_below_loc",
            lambda m: lib(m).GeneralizedPareto(m.tensor(1.0), m.tensor(1.0), m.tensor(0.1)).log_prob(m.tensor(0.5)),
        ),
        (
            "gp_above_end",
            lambda m: lib(m).GeneralizedPareto(m.tensor(0.0), m.tensor(1.0), m.tensor(-0.5)).cdf(m.tensor(2.5)),
        ),
    ]


@pytest.mark.parametrize("name,build", _errors(), ids=[n for n, _ in _errors()])
def test_validation_errors_match_torch(name, build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as t_err:
            build(torch)
        with pytest.raises(Exception) as k_err:
            build(kitty)
    expected = next(
        c for c in (AssertionError, ValueError, TypeError, IndexError, RuntimeError) if isinstance(t_err.value, c)
    )
    assert isinstance(k_err.value, expected), f"{name}: torch {t_err.type.__name__}, kittygrad {k_err.type.__name__}"


def test_validation_messages_name_what_was_wrong():
    with pytest.raises(ValueError, match=r"Value of df=2.0 expected to be greater than ndim - 1 = 2\."):
        KD.Wishart(kitty.tensor(2.0), kitty.eye(3))
    with pytest.raises(ValueError, match="Expected dim to be an integer greater than or equal to 2. Found dim=1."):
        KD.LKJCholesky(1)
    with pytest.raises(ValueError, match=r"cov_factor must be a batch of matrices with shape 2 x m"):
        KD.LowRankMultivariateNormal(kitty.zeros(2), kitty.ones(3, 1), kitty.ones(2))
    with pytest.raises(ValueError, match=r"Expected parameter concentration .* GreaterThan\(lower_bound=0.0\)"):
        KD.VonMises(kitty.tensor(0.0), kitty.tensor(-1.0))
    # validation off: no check of the parameters
    KD.VonMises(kitty.tensor(0.0), kitty.tensor(-1.0), validate_args=False)


def test_continuous_bernoulli_clamps_probs_as_torch():
    for p in (0.0, 1.0, 1.5):
        k, t = KD.ContinuousBernoulli(kitty.tensor(p)), TD.ContinuousBernoulli(torch.tensor(p, dtype=torch.float32))
        assert float(k.probs) == pytest.approx(float(t.probs), abs=1e-12)


def test_continuous_bernoulli_clamps_probs_from_logits_as_torch():
    # a large logit rounds the sigmoid to 1: unclamped, log(1 - lambda) = -inf made the entropy NaN
    logits = np.array([0.0, 30.0, -30.0, 100.0], dtype=np.float32)
    k = KD.ContinuousBernoulli(logits=kitty.tensor(logits))
    t = TD.ContinuousBernoulli(logits=torch.tensor(logits))
    np.testing.assert_allclose(_np(k.probs), t.probs.numpy(), rtol=1e-6)
    for what in ("entropy", "mean", "variance"):
        got = getattr(k, what)() if what == "entropy" else getattr(k, what)
        want = getattr(t, what)() if what == "entropy" else getattr(t, what)
        np.testing.assert_allclose(_np(got), want.numpy(), rtol=1e-5, atol=1e-7, err_msg=what)


# ---- KL divergences


def _kl_cases():
    cb_p = np.array([0.1, 0.5, 0.7, 0.5003])
    cb_q = np.array([0.6, 0.2, 0.5, 0.9])
    mu, w, d = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3, 2)), pos(2, 3)
    mu2, w2, d2 = RNG.standard_normal(3), RNG.standard_normal((3, 1)), pos(3)
    cov = spd(3, (2,))
    return [
        ("CB_CB", lambda m, a, b: (lib(m).ContinuousBernoulli(a), lib(m).ContinuousBernoulli(b)), [cb_p, cb_q]),
        ("Beta_CB", lambda m, a, b, c: (lib(m).Beta(a, b), lib(m).ContinuousBernoulli(c)), [pos(4), pos(4), cb_q]),
        ("CB_Exponential", lambda m, a, r: (lib(m).ContinuousBernoulli(a), lib(m).Exponential(r)), [cb_p, pos(4)]),
        (
            "CB_Normal",
            lambda m, a, mu, s: (lib(m).ContinuousBernoulli(a), lib(m).Normal(mu, s)),
            [cb_p, RNG.standard_normal(4), pos(4)],
        ),
        (
            "Uniform_CB",
            lambda m, lo, hi, c: (lib(m).Uniform(lo, hi), lib(m).ContinuousBernoulli(c)),
            [np.array([0.1, 0.2, -0.1, 0.3]), np.array([0.6, 0.95, 0.5, 1.2]), cb_q],
        ),
        (
            "CB_Pareto",
            lambda m, a, s, al: (lib(m).ContinuousBernoulli(a), lib(m).Pareto(s, al)),
            [cb_p, pos(4), pos(4)],
        ),
        (
            "Normal_CB",
            lambda m, mu, s, c: (lib(m).Normal(mu, s), lib(m).ContinuousBernoulli(c)),
            [RNG.standard_normal(4), pos(4), cb_q],
        ),
        ("Exponential_CB", lambda m, r, c: (lib(m).Exponential(r), lib(m).ContinuousBernoulli(c)), [pos(4), cb_q]),
        ("Gamma_CB", lambda m, a, r, c: (lib(m).Gamma(a, r), lib(m).ContinuousBernoulli(c)), [pos(4), pos(4), cb_q]),
        (
            "Laplace_CB",
            lambda m, a, s, c: (lib(m).Laplace(a, s), lib(m).ContinuousBernoulli(c)),
            [RNG.standard_normal(4), pos(4), cb_q],
        ),
        (
            "Gumbel_CB",
            lambda m, a, s, c: (lib(m).Gumbel(a, s), lib(m).ContinuousBernoulli(c)),
            [RNG.standard_normal(4), pos(4), cb_q],
        ),
        ("Pareto_CB", lambda m, s, a, c: (lib(m).Pareto(s, a), lib(m).ContinuousBernoulli(c)), [pos(4), pos(4), cb_q]),
        (
            "LR_LR",
            lambda m, a, b, c, e, f, g: (
                lib(m).LowRankMultivariateNormal(a, b, c),
                lib(m).LowRankMultivariateNormal(e, f, g),
            ),
            [mu, w, d, mu2, w2, d2],
        ),
        (
            "MVN_LR",
            lambda m, a, c, e, f, g: (lib(m).MultivariateNormal(a, c), lib(m).LowRankMultivariateNormal(e, f, g)),
            [mu, cov, mu2, w2, d2],
        ),
        (
            "LR_MVN",
            lambda m, e, f, g, a, c: (lib(m).LowRankMultivariateNormal(e, f, g), lib(m).MultivariateNormal(a, c)),
            [mu2, w2, d2, mu, cov],
        ),
    ]


@pytest.mark.parametrize("name,build,arrays", _kl_cases(), ids=[c[0] for c in _kl_cases()])
def test_kl_matches_torch(name, build, arrays):
    results = {}
    for m in (torch, kitty):
        params = [m.tensor(a, dtype=m.float64, requires_grad=True) for a in arrays]
        p, q = build(m, *params)
        kl = m.distributions.kl_divergence(p, q) if m is kitty else TD.kl_divergence(p, q)
        w = m.tensor(np.where(np.isfinite(_np(kl)), 1.0 + np.arange(kl.numel()).reshape(tuple(kl.shape)), 0.0))
        if kl.requires_grad and bool((w != 0).any()):
            grads = m.autograd.grad((m.where(w != 0, kl, 0.0) * w).sum(), params, allow_unused=True)
        else:
            grads = [None] * len(params)
        results[m] = (_np(kl), [None if g is None else _np(g) for g in grads])
    (tk, tg), (kk, kg) = results[torch], results[kitty]
    assert kk.shape == tk.shape
    np.testing.assert_allclose(kk, tk, rtol=1e-7, atol=1e-10)
    for a, b in zip(kg, tg):
        if b is None or not np.any(b):
            assert a is None or not np.any(a)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_kl_continuous_bernoulli_uniform():
    p = KD.ContinuousBernoulli(kitty.tensor([0.3, 0.3, 0.3, 0.8], dtype=kitty.float64))
    q = KD.Uniform(
        kitty.tensor([-0.5, 0.0, 0.2, -1.0], dtype=kitty.float64),
        kitty.tensor([1.0, 1.0, 1.0, 0.9], dtype=kitty.float64),
    )
    kl = _np(KD.kl_divergence(p, q))
    # q must cover [0, 1]: finite (minus p's entropy plus log of the width) only for the first two.
    # torch returns inf for all four (it tests the covering condition the other way round)
    h = _np(p.entropy())
    np.testing.assert_allclose(kl[:2], -h[:2] + np.log([1.5, 1.0]))
    assert np.isinf(kl[2:]).all()
    t = TD.kl_divergence(
        TD.ContinuousBernoulli(torch.tensor([0.3, 0.8])),
        TD.Uniform(torch.tensor([0.2, -1.0]), torch.tensor([1.0, 0.9])),
    )
    assert torch.isinf(t).all()


def test_continuous_bernoulli_self_kl_and_uniform_entropy_are_exact_zeros():
    # printed results ("0.0000", not "-0.0000"): torch's groupings give +0. exactly, as these must
    p = KD.ContinuousBernoulli(kitty.tensor([0.5, 0.499, 0.2, 0.9, 0.01]))
    assert _np(KD.kl_divergence(p, p)).tolist() == [0.0] * 5
    assert math.copysign(1.0, float(p.entropy()[0])) == 1.0


def test_kl_uniform_continuous_bernoulli_at_the_edges():
    # U(0, 1) lies inside q's support [0, 1]: its divergence is finite (E_U[log q] = mean of log q)
    p = KD.Uniform(kitty.tensor(0.0, dtype=kitty.float64), kitty.tensor(1.0, dtype=kitty.float64))
    q = KD.ContinuousBernoulli(kitty.tensor(0.3, dtype=kitty.float64))
    xs = np.linspace(0, 1, 100001)
    mean_log_q = np.trapezoid(_np(q.log_prob(kitty.tensor(xs))), xs)
    np.testing.assert_allclose(float(KD.kl_divergence(p, q)), -mean_log_q, rtol=1e-8)


def test_kl_wishart_wishart_is_the_expected_log_ratio():
    # no closed form is registered: the exponential-family (Bregman) divergence applies. torch's sums
    # the scalar natural parameter's term over the batch and returns a negative value for this batch
    kitty.manual_seed(8)
    p = KD.Wishart(kitty.tensor([4.0, 6.0], dtype=kitty.float64), kitty.tensor(spd(3, (2,))))
    q = KD.Wishart(kitty.tensor(5.0, dtype=kitty.float64), kitty.tensor(spd(3)))
    kl = _np(KD.kl_divergence(p, q))
    x = p.sample((50000,))
    log_ratio = _np(p.log_prob(x) - q.log_prob(x))
    np.testing.assert_allclose(kl, log_ratio.mean(0), atol=5 * log_ratio.std(0).max() / np.sqrt(50000))
    assert (kl > 0).all()


def test_kl_gaussian_event_shapes_must_agree():
    lr2 = lambda m: lib(m).LowRankMultivariateNormal(m.zeros(2), m.ones(2, 1), m.ones(2))
    lr3 = lambda m: lib(m).LowRankMultivariateNormal(m.zeros(3), m.ones(3, 1), m.ones(3))
    mvn2 = lambda m: lib(m).MultivariateNormal(m.zeros(2), m.eye(2))
    for a, b, text in [(lr2, lr3, "two Low Rank"), (mvn2, lr3, r"\(Low Rank\)"), (lr3, mvn2, r"\(Low Rank\)")]:
        with pytest.raises(ValueError, match=text):
            TD.kl_divergence(a(torch), b(torch))
        with pytest.raises(ValueError, match=text):
            KD.kl_divergence(a(kitty), b(kitty))


def test_kl_without_a_closed_form_is_refused_as_torch():
    p, q = KD.ContinuousBernoulli(kitty.tensor(0.3)), KD.Laplace(0.0, 1.0)
    with pytest.raises(NotImplementedError):
        TD.kl_divergence(TD.ContinuousBernoulli(torch.tensor(0.3)), TD.Laplace(0.0, 1.0))
    with pytest.raises(NotImplementedError):
        KD.kl_divergence(p, q)


# ---- CorrCholeskyTransform


@pytest.mark.parametrize("shape", [(1,), (6,), (2, 3, 10), (4, 15)])
def test_corr_cholesky_transform_matches_torch(shape):
    x = RNG.standard_normal(shape) * 1.5
    kt, tt = KD.CorrCholeskyTransform(), TD.CorrCholeskyTransform()
    kx, tx = kitty.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ky, ty = kt(kx), tt(tx)
    np.testing.assert_allclose(_np(ky), _np(ty), rtol=1e-10, atol=1e-12)
    kl, tl = kt.log_abs_det_jacobian(kx, ky), tt.log_abs_det_jacobian(tx, ty)
    np.testing.assert_allclose(_np(kl), _np(tl), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(_np(kt.inv(ky.detach())), x, rtol=1e-8, atol=1e-9)
    y = _np(ky)
    np.testing.assert_allclose(_np(kt.inv(kitty.tensor(y))), _np(tt.inv(torch.tensor(y))), rtol=1e-8, atol=1e-9)
    w = RNG.standard_normal(y.shape)
    (kg,) = kitty.autograd.grad((ky * kitty.tensor(w)).sum() + kl.sum(), [kx])
    (tg,) = torch.autograd.grad((ty * torch.tensor(w)).sum() + tl.sum(), [tx])
    np.testing.assert_allclose(_np(kg), _np(tg), rtol=1e-8, atol=1e-10)
    assert tuple(kt.forward_shape(shape)) == tuple(tt.forward_shape(shape)) == y.shape
    assert tuple(kt.inverse_shape(y.shape)) == tuple(tt.inverse_shape(y.shape)) == shape
    assert bool(KD.constraints.corr_cholesky.check(ky).all())


def test_corr_cholesky_jacobian_is_the_determinant_of_the_map():
    # log |det d(entries below the diagonal)/dx| by autograd, against log_abs_det_jacobian
    t = KD.CorrCholeskyTransform()
    x = kitty.tensor(RNG.standard_normal(6), dtype=kitty.float64)
    rows, cols = np.tril_indices(4, -1)
    J = kitty.autograd.functional.jacobian(lambda v: t(v)[kitty.tensor(rows), kitty.tensor(cols)], x)
    np.testing.assert_allclose(np.log(abs(np.linalg.det(_np(J)))), float(t.log_abs_det_jacobian(x, t(x))), rtol=1e-9)


def test_corr_cholesky_transform_errors_and_registry():
    t = KD.CorrCholeskyTransform()
    cases = [
        (lambda tr, m: tr(m.zeros(5)), ValueError),
        (lambda tr, m: tr.forward_shape((5,)), ValueError),
        (lambda tr, m: tr.inverse_shape((3, 4)), ValueError),
        (lambda tr, m: tr(m.tensor(1.0)), IndexError),
    ]
    for fn, kind in cases:
        with pytest.raises(kind):
            fn(TD.CorrCholeskyTransform(), torch)
        with pytest.raises(kind):
            fn(t, kitty)
    assert t.bijective and repr(t.domain) == repr(TD.CorrCholeskyTransform().domain)
    assert repr(t.codomain) == repr(TD.CorrCholeskyTransform().codomain) == "CorrCholesky()"
    assert t == KD.CorrCholeskyTransform() and t.with_cache(1)._cache_size == 1
    for registry in (KD.biject_to, KD.transform_to):
        assert isinstance(registry(KD.constraints.corr_cholesky), KD.CorrCholeskyTransform)
    # the constraint registry's transform lands in the LKJ support
    y = KD.biject_to(KD.LKJCholesky(3).support)(kitty.randn(2, 3))
    assert bool(KD.LKJCholesky(3).support.check(y).all())
