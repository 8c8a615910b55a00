"""``kittygrad.distributions`` against ``torch.distributions``, live.

For every distribution: log_prob, entropy, mean, mode, variance, stddev, cdf and icdf (values and
gradients with respect to the parameters, float64), shapes and dtypes of samples, reparameterised
gradients, sample statistics, argument validation (error type and message), ``expand``; KL
divergences (values and gradients) for each registered pair; the implicit reparameterisation
gradients of Gamma, Beta and Dirichlet against torch's and against exact derivatives."""
from __future__ import annotations

import re
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

RNG = np.random.default_rng(0)


def pos(*shape, low=0.5):
    return np.abs(RNG.standard_normal(shape)) + low


def unit(*shape):
    return 0.1 + 0.8 / (1 + np.exp(-RNG.standard_normal(shape)))


def simplex(*shape):
    x = pos(*shape)
    return x / x.sum(-1, keepdims=True)


def spd(n, batch=()):
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def lower(n, batch=()):
    return np.linalg.cholesky(spd(n, batch))


def lib_of(m):
    return TD if m is torch else KD


@dataclass
class Case:
    name: str
    build: Callable  # build(m, *param_tensors) -> distribution
    params: list  # [(array, requires_grad)]
    value: np.ndarray | None = None  # a value in the support (log_prob, cdf)
    quantiles: np.ndarray | None = None  # values in (0, 1) for icdf
    int_value: bool = False  # log_prob takes an int64 value (Categorical)
    stats: bool = True  # check sample mean/variance against mean/variance
    extra: dict = field(default_factory=dict)


def _tensors(m, case):
    out = []
    for a, rg in case.params:
        if isinstance(a, (int, float)):
            out.append(a)
        else:
            out.append(m.tensor(a, dtype=m.float64 if a.dtype.kind == "f" else None, requires_grad=rg))
    return out


def _value(m, case, which="value"):
    v = getattr(case, which)
    if case.int_value and which == "value":
        return m.tensor(v)
    return m.tensor(v, dtype=m.float64)


L = lambda m: lib_of(m)  # noqa: E731

CASES = [
    Case("Normal", lambda m, a, b: L(m).Normal(a, b), [(RNG.standard_normal((2, 3)), True), (pos(2, 3), True)],
         RNG.standard_normal((2, 3)), unit(2, 3)),
    Case("Normal_numbers", lambda m: L(m).Normal(0.5, 2.0), [], np.array([0.3, -1.0]), unit(2)),
    Case("Normal_broadcast", lambda m, a, b: L(m).Normal(a, b), [(RNG.standard_normal((3,)), True), (pos(2, 1), True)],
         RNG.standard_normal((4, 2, 3)), unit(2, 3)),
    Case("Bernoulli_probs", lambda m, p: L(m).Bernoulli(probs=p), [(unit(4), True)], np.array([0.0, 1.0, 1.0, 0.0])),
    Case("Bernoulli_logits", lambda m, x: L(m).Bernoulli(logits=x), [(RNG.standard_normal(4), True)],
         np.array([1.0, 1.0, 0.0, 0.0])),
    Case("Categorical_probs", lambda m, p: L(m).Categorical(probs=p), [(pos(2, 4), True)], np.array([3, 0]),
         int_value=True),
    Case("Categorical_logits", lambda m, x: L(m).Categorical(logits=x), [(RNG.standard_normal((2, 4)), True)],
         np.array([[1, 2], [0, 3]]), int_value=True),
    Case("OneHotCategorical", lambda m, p: L(m).OneHotCategorical(probs=p), [(pos(3, 4), True)],
         np.eye(4)[[1, 3, 0]]),
    Case("OneHotCategorical_logits", lambda m, x: L(m).OneHotCategorical(logits=x), [(RNG.standard_normal(4), True)],
         np.eye(4)[[2]]),
    Case("Uniform", lambda m, a, w: L(m).Uniform(a, a + w), [(RNG.standard_normal(3), True), (pos(3), True)],
         None, unit(3)),
    Case("MultivariateNormal_cov", lambda m, mu, c: L(m).MultivariateNormal(mu, covariance_matrix=c),
         [(RNG.standard_normal((2, 3)), True), (spd(3), True)], RNG.standard_normal((4, 2, 3))),
    Case("MultivariateNormal_precision", lambda m, mu, p: L(m).MultivariateNormal(mu, precision_matrix=p),
         [(RNG.standard_normal(3), True), (spd(3, (2,)), True)], RNG.standard_normal((2, 3))),
    Case("MultivariateNormal_tril", lambda m, mu, s: L(m).MultivariateNormal(mu, scale_tril=s),
         [(RNG.standard_normal((2, 3)), True), (lower(3, (2,)), True)], RNG.standard_normal((2, 3))),
    Case("Beta", lambda m, a, b: L(m).Beta(a, b), [(pos(3), True), (pos(3), True)], unit(3)),
    Case("Beta_numbers", lambda m: L(m).Beta(2.0, 3.5), [], unit(2)),
    Case("Gamma", lambda m, a, b: L(m).Gamma(a, b), [(pos(2, 3), True), (pos(2, 3), True)], pos(2, 3)),
    Case("Dirichlet", lambda m, a: L(m).Dirichlet(a), [(pos(2, 3), True)], simplex(2, 3)),
    Case("Independent_Normal", lambda m, a, b: L(m).Independent(L(m).Normal(a, b), 1),
         [(RNG.standard_normal((2, 3)), True), (pos(2, 3), True)], RNG.standard_normal((2, 3))),
    Case("Exponential", lambda m, r: L(m).Exponential(r), [(pos(3), True)], pos(3), unit(3)),
    Case("Laplace", lambda m, a, b: L(m).Laplace(a, b), [(RNG.standard_normal(3), True), (pos(3), True)],
         RNG.standard_normal(3), unit(3)),
    Case("LogNormal", lambda m, a, b: L(m).LogNormal(a, b), [(RNG.standard_normal(3) * 0.3, True), (pos(3, low=0.2) * 0.3, True)],
         pos(3), unit(3)),
    Case("Poisson", lambda m, r: L(m).Poisson(r), [(pos(3) * 3, True)], np.array([0.0, 2.0, 5.0])),
    Case("Binomial_probs", lambda m, n, p: L(m).Binomial(n, probs=p), [(np.array([5.0, 5.0, 5.0]), False), (unit(3), True)],
         np.array([0.0, 2.0, 5.0])),
    Case("Binomial_logits", lambda m, p: L(m).Binomial(7, logits=p), [(RNG.standard_normal(3), True)],
         np.array([1.0, 4.0, 7.0])),
    Case("Chi2", lambda m, k: L(m).Chi2(k), [(pos(3) * 2, True)], pos(3)),
    Case("Cauchy", lambda m, a, b: L(m).Cauchy(a, b), [(RNG.standard_normal(3), True), (pos(3), True)],
         RNG.standard_normal(3), unit(3), stats=False),
    Case("HalfNormal", lambda m, s: L(m).HalfNormal(s), [(pos(3), True)], pos(3), unit(3)),
    Case("HalfCauchy", lambda m, s: L(m).HalfCauchy(s), [(pos(3), True)], pos(3), unit(3), stats=False),
    Case("Gumbel", lambda m, a, b: L(m).Gumbel(a, b), [(RNG.standard_normal(3), True), (pos(3), True)],
         RNG.standard_normal(3), unit(3)),
    Case("Gumbel_numbers", lambda m: L(m).Gumbel(0.5, 2.0), [], RNG.standard_normal(2), unit(2)),
    Case("Geometric_probs", lambda m, p: L(m).Geometric(p), [(unit(3), True)], np.array([0.0, 3.0, 1.0])),
    Case("Geometric_logits", lambda m, x: L(m).Geometric(logits=x), [(RNG.standard_normal(3), True)],
         np.array([2.0, 0.0, 1.0])),
    Case("Pareto", lambda m, s, a: L(m).Pareto(s, a), [(pos(3), True), (pos(3) + 8.5, True)], None, unit(3)),
    Case("Pareto_heavy", lambda m, s, a: L(m).Pareto(s, a), [(pos(3), True), (np.array([0.7, 1.5, 3.0]), True)], None,
         unit(3), stats=False),
    Case("Weibull", lambda m, s, k: L(m).Weibull(s, k), [(pos(3), True), (pos(3) + 0.5, True)], pos(3), unit(3)),
    Case("StudentT", lambda m, d, a, b: L(m).StudentT(d, a, b),
         [(np.array([0.8, 1.5, 5.0]), True), (RNG.standard_normal(3), True), (pos(3), True)], RNG.standard_normal(3),
         stats=False),
    Case("StudentT_df", lambda m, d: L(m).StudentT(d), [(pos(3) + 4.5, True)], RNG.standard_normal(3)),
    Case("InverseGamma", lambda m, a, b: L(m).InverseGamma(a, b), [(np.array([0.7, 2.5, 6.0]), True), (pos(3), True)],
         pos(3), unit(3), stats=False),
    Case("InverseGamma_moments", lambda m, a, b: L(m).InverseGamma(a, b), [(pos(3) + 6, True), (pos(3), True)], pos(3)),
    # torch's Kumaraswamy.mode is nan whenever concentration0 > 1 (its formula takes log1p(-concentration0));
    # kittygrad's is the mode, checked against the density below
    Case("Kumaraswamy", lambda m, a, b: L(m).Kumaraswamy(a, b), [(pos(3), True), (pos(3), True)], unit(3), unit(3),
         extra={"skip": ("mode",)}),
    Case("LogisticNormal", lambda m, a, b: L(m).LogisticNormal(a, b), [(RNG.standard_normal((2, 3)), True), (pos(2, 3), True)],
         simplex(2, 4), stats=False),
    Case("FisherSnedecor", lambda m, a, b: L(m).FisherSnedecor(a, b), [(pos(3) + 2.5, True), (pos(3) + 8, True)], pos(3)),
    Case("FisherSnedecor_small_df", lambda m, a, b: L(m).FisherSnedecor(a, b),
         [(np.array([1.0, 3.0]), True), (np.array([1.5, 4.5]), True)], pos(2), stats=False),
    Case("Multinomial", lambda m, p: L(m).Multinomial(5, p), [(pos(2, 3), True)], np.array([[1.0, 2.0, 2.0], [5.0, 0.0, 0.0]])),
    Case("Multinomial_logits", lambda m, x: L(m).Multinomial(3, logits=x), [(RNG.standard_normal(4), True)],
         np.array([0.0, 1.0, 2.0, 0.0])),
    Case("NegativeBinomial", lambda m, n, p: L(m).NegativeBinomial(n, p), [(pos(3) * 3, True), (unit(3), True)],
         np.array([0.0, 4.0, 9.0])),
    Case("NegativeBinomial_logits", lambda m, x: L(m).NegativeBinomial(4.0, logits=x), [(RNG.standard_normal(3), True)],
         np.array([3.0, 0.0, 1.0])),
    Case("MixtureSameFamily", lambda m, w, a, b: L(m).MixtureSameFamily(L(m).Categorical(logits=w), L(m).Normal(a, b)),
         [(RNG.standard_normal((2, 3)), True), (RNG.standard_normal((2, 3)), True), (pos(2, 3), True)],
         RNG.standard_normal(2), stats=True),
    Case("MixtureSameFamily_mvn", lambda m, w, a: L(m).MixtureSameFamily(
        L(m).Categorical(probs=w), L(m).Independent(L(m).Normal(a, 1.0), 1)),
         [(pos(3), True), (RNG.standard_normal((3, 2)), True)], RNG.standard_normal((4, 2)), stats=True),
    Case("RelaxedBernoulli", lambda m, t, p: L(m).RelaxedBernoulli(t, probs=p), [(np.array(0.7), True), (unit(3), True)],
         unit(3), stats=False),
    Case("LogitRelaxedBernoulli", lambda m, t, x: L(m).relaxed_bernoulli.LogitRelaxedBernoulli(t, logits=x),
         [(np.array(1.3), True), (RNG.standard_normal(3), True)], RNG.standard_normal(3), stats=False),
    Case("RelaxedOneHotCategorical", lambda m, t, p: L(m).RelaxedOneHotCategorical(t, p),
         [(np.array(0.8), True), (pos(2, 3), True)], simplex(2, 3), stats=False),
    Case("ExpRelaxedCategorical", lambda m, t, x: L(m).relaxed_categorical.ExpRelaxedCategorical(t, logits=x),
         [(np.array(0.8), True), (RNG.standard_normal(3), True)], np.log(simplex(3)), stats=False),
    Case("Transformed_affine_exp", lambda m, a, b: L(m).TransformedDistribution(
        L(m).Normal(a, b), [L(m).transforms.AffineTransform(1.0, 2.0), L(m).transforms.ExpTransform()]),
         [(RNG.standard_normal(3), True), (pos(3), True)], pos(3), unit(3), stats=False),
    Case("Transformed_sigmoid", lambda m, a, b: L(m).TransformedDistribution(
        L(m).Normal(a, b), L(m).transforms.SigmoidTransform()),
         [(RNG.standard_normal(3), True), (pos(3), True)], unit(3), unit(3), stats=False),
    Case("Transformed_tanh_power", lambda m, a, b: L(m).TransformedDistribution(
        L(m).Normal(a, b), [L(m).transforms.TanhTransform(), L(m).transforms.AffineTransform(2.0, 1.0),
                            L(m).transforms.PowerTransform(2.0)]),
         [(RNG.standard_normal(3) * 0.3, True), (pos(3) * 0.3, True)], 1 + unit(3) * 3, unit(3), stats=False),
    Case("Transformed_stick_breaking", lambda m, a, b: L(m).TransformedDistribution(
        L(m).Normal(a, b), L(m).transforms.StickBreakingTransform()),
         [(RNG.standard_normal((2, 3)), True), (pos(2, 3), True)], simplex(2, 4), stats=False),
    Case("Transformed_softplus_abs", lambda m, a, b: L(m).TransformedDistribution(
        L(m).Normal(a, b), [L(m).transforms.SoftplusTransform()]),
         [(RNG.standard_normal(3), True), (pos(3), True)], pos(3), stats=False),
]
for _c in CASES:
    if _c.value is None and _c.name.startswith("Pareto"):  # above the scale
        _c.value = _c.params[0][0] + pos(3)
    elif _c.value is None:  # Uniform: inside [low, high)
        _c.value = _c.params[0][0] + 0.5 * _c.params[1][0]

IDS = [c.name for c in CASES]
QUANTITIES = ["log_prob", "entropy", "mean", "mode", "variance", "stddev", "cdf", "icdf", "perplexity"]


def _evaluate(m, case, what):
    params = _tensors(m, case)
    d = case.build(m, *params)
    if what in ("log_prob", "cdf"):
        out = getattr(d, what)(_value(m, case))
    elif what == "icdf":
        if case.quantiles is None:
            raise NotImplementedError
        out = d.icdf(_value(m, case, "quantiles"))
    elif what in ("entropy", "perplexity"):
        out = getattr(d, what)()
    else:
        out = getattr(d, what)
    return params, out


def _np(t):
    return t.detach().numpy()


@pytest.mark.parametrize("what", QUANTITIES)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_gradients_match_torch(case, what):
    if what in case.extra.get("skip", ()):
        pytest.skip(f"{case.name}.{what} differs from torch on purpose (see the case)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            t_params, t_out = _evaluate(torch, case, what)
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                _evaluate(kitty, case, what)
            return
        k_params, k_out = _evaluate(kitty, case, what)
    assert tuple(k_out.shape) == tuple(t_out.shape), f"{case.name}.{what}: shape"
    assert str(k_out.dtype).split(".")[-1] == str(t_out.dtype).split(".")[-1], f"{case.name}.{what}: dtype"
    np.testing.assert_allclose(_np(k_out), _np(t_out), rtol=1e-6, atol=1e-9, equal_nan=True,
                               err_msg=f"{case.name}.{what}")
    assert k_out.requires_grad == t_out.requires_grad, f"{case.name}.{what}: requires_grad"
    if not t_out.requires_grad:
        return
    w = np.random.default_rng(1).standard_normal(tuple(t_out.shape))
    finite = np.isfinite(_np(t_out))
    wk = kitty.tensor(np.where(finite, w, 0.0))
    wt = torch.tensor(np.where(finite, w, 0.0))
    kp = [p for p in k_params if isinstance(p, kitty.Tensor) and p.requires_grad]
    tp = [p for p in t_params if isinstance(p, torch.Tensor) and p.requires_grad]
    try:
        tg = torch.autograd.grad((torch.where(wt != 0, t_out, 0.0) * wt).sum(), tp, allow_unused=True)
    except NotImplementedError as err:  # Gamma.cdf: torch has no derivative in the concentration
        with pytest.raises(NotImplementedError, match=re.escape(str(err))):
            kitty.autograd.grad((kitty.where(wk != 0, k_out, 0.0) * wk).sum(), kp, allow_unused=True)
        return
    kg = kitty.autograd.grad((kitty.where(wk != 0, k_out, 0.0) * wk).sum(), kp, allow_unused=True)
    for i, (a, b) in enumerate(zip(kg, tg)):
        if b is None:
            assert a is None or not np.any(_np(a)), f"{case.name}.{what}: param {i} gets a gradient, torch's none"
            continue
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-9, err_msg=f"{case.name}.{what} grad {i}")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shapes_flags_and_samples_match_torch(case):
    t = case.build(torch, *_tensors(torch, case))
    k = case.build(kitty, *_tensors(kitty, case))
    assert tuple(k.batch_shape) == tuple(t.batch_shape) and tuple(k.event_shape) == tuple(t.event_shape)
    assert k.has_rsample == t.has_rsample and k.has_enumerate_support == t.has_enumerate_support
    assert set(k.arg_constraints) == set(t.arg_constraints)
    for shape in [(), (5,), (2, 3)]:
        ks, ts = k.sample(shape), t.sample(shape)
        assert tuple(ks.shape) == tuple(ts.shape), f"{case.name}: sample{shape} shape"
        assert str(ks.dtype).split(".")[-1] == str(ts.dtype).split(".")[-1]
        assert not ks.requires_grad
    if t.has_rsample:
        params = _tensors(kitty, case)
        d = case.build(kitty, *params)
        x = d.rsample((4,))
        assert x.requires_grad == any(isinstance(p, kitty.Tensor) and p.requires_grad for p in params)
        if x.requires_grad:
            x.sum().backward()
            for p in params:
                if isinstance(p, kitty.Tensor) and p.requires_grad:
                    assert p.grad is not None and np.isfinite(p.grad.numpy()).all(), f"{case.name}: rsample grad"
    else:
        try:
            t.rsample()
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                k.rsample()
    e = tuple(k.event_shape)
    for batch in [(4,) + tuple(k.batch_shape), (2, 1) + tuple(k.batch_shape)]:
        ke, te = k.expand(batch), t.expand(batch)
        assert tuple(ke.batch_shape) == tuple(te.batch_shape) and tuple(ke.event_shape) == e
        assert tuple(ke.sample((3,)).shape) == tuple(te.sample((3,)).shape)
    if t.has_enumerate_support:
        np.testing.assert_array_equal(_np(k.enumerate_support()), _np(t.enumerate_support()))
        np.testing.assert_array_equal(_np(k.enumerate_support(False)), _np(t.enumerate_support(False)))
    if "tensor(" in repr(t.support):  # bounds that are tensors: same constraint, bounds compared above
        assert type(k.support).__name__ == type(t.support).__name__
    else:
        assert _normalise(repr(k.support)) == repr(t.support)


def _normalise(text: str) -> str:
    return text.replace("kittygrad.", "torch.")


@pytest.mark.parametrize("case", [c for c in CASES if c.stats], ids=[c.name for c in CASES if c.stats])
def test_sample_statistics(case):
    kitty.manual_seed(1234)
    d = case.build(kitty, *_tensors(kitty, case))
    n = 20000
    x = _np(d.sample((n,)))
    mean, var = _np(d.mean), _np(d.variance)
    if case.name.startswith("Categorical"):  # mean/variance are nan: compare frequencies with probs
        probs = _np(d.probs)
        freq = np.stack([(x == i).mean(0) for i in range(probs.shape[-1])], -1)
        np.testing.assert_allclose(freq, probs, atol=5 * np.sqrt(0.25 / n))
        return
    se = np.sqrt(var / n)
    assert np.all(np.abs(x.mean(0) - mean) <= 5 * se + 1e-12), f"{case.name}: sample mean {x.mean(0)} vs {mean}"
    np.testing.assert_allclose(x.var(0), var, rtol=0.1, err_msg=f"{case.name}: sample variance")


def test_kumaraswamy_mode_maximises_the_density():
    a = kitty.tensor([0.5, 2.0, 3.0, 1.5], dtype=kitty.float64)
    b = kitty.tensor([2.0, 2.0, 0.7, 5.0], dtype=kitty.float64)
    d = KD.Kumaraswamy(a, b)
    grid = kitty.tensor(np.linspace(1e-4, 1 - 1e-4, 20001)[:, None])
    best = grid[d.log_prob(grid.expand(20001, 4)).argmax(0), 0].numpy()
    mode = d.mode.numpy()
    assert np.isnan(mode[[0, 2]]).all()  # no interior mode when a concentration is below 1
    np.testing.assert_allclose(mode[[1, 3]], best[[1, 3]], atol=1e-4)


def test_manual_seed_makes_samples_repeat():
    d = KD.Normal(kitty.zeros(3), 1.0)
    g = KD.Gamma(kitty.tensor([0.5, 2.0]), 1.0)
    kitty.manual_seed(7)
    a, b, c = d.sample((2,)), g.rsample(), KD.Dirichlet(kitty.ones(3)).sample()
    kitty.manual_seed(7)
    assert (a == d.sample((2,))).all() and (b == g.rsample()).all() and (c == KD.Dirichlet(kitty.ones(3)).sample()).all()


def test_reparameterised_samples_carry_exact_gradients():
    loc = kitty.tensor([0.5, -1.0], requires_grad=True)
    scale = kitty.tensor([2.0, 0.5], requires_grad=True)
    x = KD.Normal(loc, scale).rsample()
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(scale.grad.numpy(), ((x.detach() - loc.detach()) / scale.detach()).numpy())
    low = kitty.tensor(1.0, requires_grad=True)
    high = kitty.tensor(3.0, requires_grad=True)
    u = KD.Uniform(low, high).rsample()
    u.backward()
    np.testing.assert_allclose(low.grad.item() + high.grad.item(), 1.0)


# ---------------------------------------------------------------------------------------------
# implicit reparameterisation: Gamma, Beta, Dirichlet


def test_standard_gamma_grad_is_the_exact_implicit_derivative():
    """dx/dalpha at a fixed CDF level u: compared with differences of SciPy's inverse CDF, and
    with torch's approximation (which is accurate to about 1e-3)."""
    from kittygrad.distributions.gamma import _standard_gamma_grad

    alpha = np.array([0.05, 0.3, 1.0, 2.5, 7.0, 30.0, 200.0, 1.5, 0.8])
    u = np.array([0.3, 0.9, 0.01, 0.5, 0.999, 0.2, 0.6, 1e-6, 0.9999])
    x = sps.gammaincinv(alpha, u)
    h = 1e-6 * alpha
    exact = (sps.gammaincinv(alpha + h, u) - sps.gammaincinv(alpha - h, u)) / (2 * h)
    ours = _standard_gamma_grad(kitty.tensor(alpha), kitty.tensor(x)).numpy()
    np.testing.assert_allclose(ours, exact, rtol=1e-5)
    theirs = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=5e-3)


def test_dirichlet_grad_matches_torch():
    from kittygrad.distributions.dirichlet import _dirichlet_grad

    x = np.array([0.3, 0.05, 0.9, 0.5, 0.7, 0.01])
    alpha = np.array([2.0, 0.5, 3.0, 10.0, 1.2, 0.3])
    total = alpha + np.array([3.0, 1.0, 0.4, 12.0, 2.0, 5.0])
    ours = _dirichlet_grad(kitty.tensor(x), kitty.tensor(alpha), kitty.tensor(total)).numpy()
    theirs = torch._dirichlet_grad(torch.tensor(x), torch.tensor(alpha), torch.tensor(total)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=5e-3)
    # and the definition: d/dalpha of the Beta(alpha, beta) quantile at fixed level, over (1 - x)
    beta = total - alpha
    u = sps.betainc(alpha, beta, x)
    h = 1e-6 * alpha
    exact = (sps.betaincinv(alpha + h, beta, u) - sps.betaincinv(alpha - h, beta, u)) / (2 * h) / (1 - x)
    np.testing.assert_allclose(ours, exact, rtol=1e-5)


@pytest.mark.parametrize("name", ["Gamma", "Beta", "Dirichlet"])
def test_implicit_gradients_are_unbiased(name):
    """E[d sample / d parameter] = d E[sample] / d parameter, over 20000 samples."""
    kitty.manual_seed(3)
    n = 20000
    if name == "Gamma":
        a = kitty.tensor([0.4, 2.0, 9.0], dtype=kitty.float64, requires_grad=True)
        r = kitty.tensor([1.0, 0.5, 3.0], dtype=kitty.float64, requires_grad=True)
        KD.Gamma(a, r).rsample((n,)).sum(0).div(n).sum().backward()
        expect = [1 / r.detach().numpy(), -(a / r**2).detach().numpy()]
        got = [a.grad.numpy(), r.grad.numpy()]
    elif name == "Beta":
        a = kitty.tensor([0.7, 2.0], dtype=kitty.float64, requires_grad=True)
        b = kitty.tensor([1.5, 4.0], dtype=kitty.float64, requires_grad=True)
        KD.Beta(a, b).rsample((n,)).sum(0).div(n).sum().backward()
        an, bn = a.detach().numpy(), b.detach().numpy()
        expect = [bn / (an + bn) ** 2, -an / (an + bn) ** 2]
        got = [a.grad.numpy(), b.grad.numpy()]
    else:
        c = kitty.tensor([0.6, 2.0, 3.5], dtype=kitty.float64, requires_grad=True)
        w = np.array([1.0, -2.0, 0.5])
        (KD.Dirichlet(c).rsample((n,)).mean(0) * kitty.tensor(w)).sum().backward()
        cn = c.detach().numpy()
        s = cn.sum()
        jac = (np.eye(3) * s - cn[:, None]) / s**2  # d mean_i / d c_j
        expect = [w @ jac]
        got = [c.grad.numpy()]
    for g, e in zip(got, expect):
        np.testing.assert_allclose(g, e, rtol=0.05, atol=0.01)


# ---------------------------------------------------------------------------------------------
# argument validation


def _same_value_error(fn):
    with pytest.raises(ValueError) as t_err:
        fn(torch)
    with pytest.raises(ValueError) as k_err:
        fn(kitty)
    assert isinstance(k_err.value, kitty.KittygradError)
    return str(t_err.value), _normalise(str(k_err.value))


VALIDATION = [
    ("negative scale", lambda m: L(m).Normal(m.tensor([0.0, 1.0]), m.tensor([1.0, -1.0]))),
    ("nan loc", lambda m: L(m).Normal(m.tensor(float("nan")), 1.0)),
    ("probs above 1", lambda m: L(m).Bernoulli(m.tensor([0.5, 1.5]))),
    ("both probs and logits", lambda m: L(m).Bernoulli(probs=m.tensor(0.5), logits=m.tensor(0.0))),
    ("neither probs nor logits", lambda m: L(m).Categorical()),
    ("0-d probs", lambda m: L(m).Categorical(probs=m.tensor(0.5))),
    ("0-d logits", lambda m: L(m).Categorical(logits=m.tensor(0.5))),
    ("negative probs", lambda m: L(m).Categorical(probs=m.tensor([0.5, -0.5, 1.0]))),
    ("uniform low above high", lambda m: L(m).Uniform(m.tensor([0.0, 2.0]), m.tensor([1.0, 1.0]))),
    ("gamma rate", lambda m: L(m).Gamma(m.tensor([1.0]), m.tensor([0.0]))),
    ("beta concentration", lambda m: L(m).Beta(m.tensor([1.0]), m.tensor([-2.0]))),
    ("dirichlet 0-d", lambda m: L(m).Dirichlet(m.tensor(1.0))),
    ("dirichlet negative", lambda m: L(m).Dirichlet(m.tensor([1.0, -1.0]))),
    ("exponential rate", lambda m: L(m).Exponential(m.tensor([-1.0]))),
    ("poisson rate", lambda m: L(m).Poisson(m.tensor([-1.0]))),
    ("binomial count", lambda m: L(m).Binomial(m.tensor([2.5]), m.tensor([0.5]))),
    ("laplace scale", lambda m: L(m).Laplace(0.0, m.tensor([-1.0]))),
    ("mvn 0-d loc", lambda m: L(m).MultivariateNormal(m.tensor(0.0), m.eye(1))),
    ("mvn two matrices", lambda m: L(m).MultivariateNormal(m.zeros(2), m.eye(2), scale_tril=m.eye(2))),
    ("mvn 1-d matrix", lambda m: L(m).MultivariateNormal(m.zeros(2), covariance_matrix=m.ones(2))),
    ("mvn not positive definite", lambda m: L(m).MultivariateNormal(
        m.zeros(2), covariance_matrix=m.tensor([[1.0, 2.0], [2.0, 1.0]]))),
    ("mvn tril", lambda m: L(m).MultivariateNormal(m.zeros(2), scale_tril=m.tensor([[1.0, 1.0], [0.0, 1.0]]))),
    ("independent too many dims", lambda m: L(m).Independent(L(m).Normal(m.zeros(3), 1.0), 2)),
    ("log_prob of a number", lambda m: L(m).Normal(m.zeros(3), 1.0).log_prob(0.5)),
    ("log_prob shape", lambda m: L(m).Normal(m.zeros(3), 1.0).log_prob(m.zeros(2))),
    ("log_prob event shape", lambda m: L(m).Dirichlet(m.ones(3)).log_prob(m.ones(2) / 2)),
    ("log_prob outside the support", lambda m: L(m).Gamma(1.0, 1.0).log_prob(m.tensor([-1.0, 2.0]))),
    ("categorical value", lambda m: L(m).Categorical(m.ones(3)).log_prob(m.tensor([3]))),
    ("bernoulli value", lambda m: L(m).Bernoulli(m.tensor([0.3])).log_prob(m.tensor([0.5]))),
    ("uniform value", lambda m: L(m).Uniform(0.0, 1.0).log_prob(m.tensor(2.0))),
    ("cdf outside the support", lambda m: L(m).Exponential(1.0).cdf(m.tensor(-1.0))),
    ("simplex value", lambda m: L(m).Dirichlet(m.ones(2)).log_prob(m.tensor([0.5, 0.6]))),
    ("set_default_validate_args", lambda m: L(m).Distribution.set_default_validate_args(2)),
    ("transformed list", lambda m: L(m).TransformedDistribution(L(m).Normal(0.0, 1.0), [1])),
]


@pytest.mark.parametrize("name,fn", VALIDATION, ids=[v[0] for v in VALIDATION])
def test_validation_errors_match_torch(name, fn):
    t_msg, k_msg = _same_value_error(fn)
    assert k_msg == t_msg


def test_validation_can_be_turned_off():
    for m in (torch, kitty):
        L(m).Normal(0.0, -1.0, validate_args=False)
        L(m).Normal(0.0, 1.0, validate_args=False).log_prob(m.tensor([1.0, 2.0, 3.0]))
        try:
            L(m).Distribution.set_default_validate_args(False)
            L(m).Gamma(-1.0, 1.0)
        finally:
            L(m).Distribution.set_default_validate_args(True)
        with pytest.raises(ValueError):
            L(m).Gamma(-1.0, 1.0)


def test_reprs_match_torch():
    for fn in [lambda m: L(m).Normal(0.0, 1.0), lambda m: L(m).Normal(m.zeros(2), 1.0),
               lambda m: L(m).Categorical(logits=m.zeros(2, 3)), lambda m: L(m).Independent(L(m).Normal(m.zeros(2), 1.0), 1),
               lambda m: L(m).MultivariateNormal(m.zeros(2), scale_tril=m.eye(2)), lambda m: L(m).Beta(1.0, 2.0),
               lambda m: L(m).LogNormal(0.0, 1.0), lambda m: L(m).constraints.independent(L(m).constraints.positive, 1),
               lambda m: L(m).transforms.ComposeTransform([L(m).transforms.ExpTransform(), L(m).transforms.ExpTransform().inv])]:
        assert _normalise(repr(fn(kitty))) == repr(fn(torch))


def test_constraints_check_as_torch():
    C_t, C_k = TD.constraints, KD.constraints
    values = np.array([[-1.0, 0.0, 0.5, 1.0, 2.0, float("nan")]])
    names = ["real", "positive", "nonnegative", "unit_interval", "boolean", "nonnegative_integer", "positive_integer"]
    for name in names:
        t = getattr(C_t, name).check(torch.tensor(values))
        k = getattr(C_k, name).check(kitty.tensor(values))
        np.testing.assert_array_equal(k.numpy(), t.numpy(), err_msg=name)
        assert repr(getattr(C_k, name)) == repr(getattr(C_t, name))
    for name, v in [("simplex", simplex(3, 4)), ("real_vector", RNG.standard_normal((3, 4))),
                    ("one_hot", np.eye(4)[[0, 2]]), ("lower_cholesky", lower(3, (2,))),
                    ("positive_definite", spd(3, (2,))), ("lower_triangular", np.tril(RNG.standard_normal((3, 3)))),
                    ("symmetric", spd(3)), ("square", np.zeros((2, 3, 3))), ("positive_semidefinite", spd(2))]:
        for arr in (v, -v, v + 0.25):
            t = getattr(C_t, name).check(torch.tensor(arr))
            k = getattr(C_k, name).check(kitty.tensor(arr))
            np.testing.assert_array_equal(k.numpy(), t.numpy(), err_msg=name)
    for make in [lambda C: C.interval(0.0, 2.0), lambda C: C.half_open_interval(0.0, 2.0),
                 lambda C: C.greater_than(0.5), lambda C: C.greater_than_eq(0.5), lambda C: C.less_than(0.5),
                 lambda C: C.integer_interval(0, 1)]:
        np.testing.assert_array_equal(make(C_k).check(kitty.tensor(values)).numpy(),
                                      make(C_t).check(torch.tensor(values)).numpy())
        assert repr(make(C_k)) == repr(make(C_t))
    assert C_k.is_dependent(C_k.dependent) and not C_k.is_dependent(C_k.real)
    assert C_k.is_dependent(KD.Uniform.support) and C_k.simplex.event_dim == 1


# ---------------------------------------------------------------------------------------------
# KL divergences


def _dist(name):
    """Builders (m, params) -> distribution with float64 parameters for the KL pairs."""
    return {
        "Normal": (lambda m, a, b: L(m).Normal(a, b), [RNG.standard_normal(3), pos(3)]),
        "Bernoulli": (lambda m, p: L(m).Bernoulli(p), [unit(3)]),
        "Beta": (lambda m, a, b: L(m).Beta(a, b), [pos(3), pos(3)]),
        "Binomial": (lambda m, p: L(m).Binomial(6, p), [unit(3)]),
        "Categorical": (lambda m, p: L(m).Categorical(p), [pos(3, 4)]),
        "Dirichlet": (lambda m, c: L(m).Dirichlet(c), [pos(3, 4)]),
        "Exponential": (lambda m, r: L(m).Exponential(r), [pos(3)]),
        "Gamma": (lambda m, a, b: L(m).Gamma(a, b), [pos(3), pos(3)]),
        "Laplace": (lambda m, a, b: L(m).Laplace(a, b), [RNG.standard_normal(3), pos(3)]),
        "MultivariateNormal": (lambda m, mu, s: L(m).MultivariateNormal(mu, scale_tril=s),
                               [RNG.standard_normal((2, 3)), lower(3, (2,))]),
        "MultivariateNormal_cov": (lambda m, mu, c: L(m).MultivariateNormal(mu, covariance_matrix=c),
                                   [RNG.standard_normal(3), spd(3)]),
        "OneHotCategorical": (lambda m, p: L(m).OneHotCategorical(logits=p), [RNG.standard_normal((3, 4))]),
        "Poisson": (lambda m, r: L(m).Poisson(r), [pos(3)]),
        "Uniform": (lambda m, a, w: L(m).Uniform(a, a + w), [unit(3) * 0.4, unit(3) * 0.5]),
        "UniformWide": (lambda m, a, w: L(m).Uniform(a - 1, a + w + 1), [unit(3) * 0.4, unit(3) * 0.5]),
        "Independent": (lambda m, a, b: L(m).Independent(L(m).Normal(a, b), 1), [RNG.standard_normal((2, 3)), pos(2, 3)]),
        "LogNormal": (lambda m, a, b: L(m).LogNormal(a, b), [RNG.standard_normal(3), pos(3)]),
        "Cauchy": (lambda m, a, b: L(m).Cauchy(a, b), [RNG.standard_normal(3), pos(3)]),
        "HalfNormal": (lambda m, s: L(m).HalfNormal(s), [pos(3)]),
        "Geometric": (lambda m, p: L(m).Geometric(p), [unit(3)]),
        "Gumbel": (lambda m, a, b: L(m).Gumbel(a, b), [RNG.standard_normal(3), pos(3)]),
        "Pareto": (lambda m, s, a: L(m).Pareto(s, a), [pos(3), pos(3) + 2.2]),
        "ParetoHeavy": (lambda m, s, a: L(m).Pareto(s, a), [pos(3), np.array([0.5, 1.5, 3.0])]),
        "ParetoLow": (lambda m, s, a: L(m).Pareto(s * 0.1, a), [pos(3), pos(3)]),
        "UniformHigh": (lambda m, a, w: L(m).Uniform(a + 3, a + w + 4), [unit(3) * 0.4, unit(3) * 0.5]),
        "UniformUnit": (lambda m, a, b: L(m).Uniform(a, b), [np.array([0.0, 0.0, 0.3]), np.array([1.0, 0.6, 1.0])]),
    }[name]


KL_PAIRS = [
    ("Normal", "Normal"), ("Bernoulli", "Bernoulli"), ("Beta", "Beta"), ("Binomial", "Binomial"),
    ("Categorical", "Categorical"), ("Dirichlet", "Dirichlet"), ("Exponential", "Exponential"), ("Gamma", "Gamma"),
    ("Laplace", "Laplace"), ("MultivariateNormal", "MultivariateNormal"), ("MultivariateNormal", "MultivariateNormal_cov"),
    ("OneHotCategorical", "OneHotCategorical"), ("Poisson", "Poisson"), ("Uniform", "UniformWide"), ("UniformWide", "Uniform"),
    ("Independent", "Independent"), ("LogNormal", "LogNormal"),
    ("Bernoulli", "Poisson"), ("Beta", "Exponential"), ("Beta", "Gamma"), ("Beta", "Normal"), ("Beta", "Uniform"),
    ("Beta", "UniformWide"), ("Exponential", "Gamma"), ("Exponential", "Normal"), ("Gamma", "Exponential"),
    ("Gamma", "Normal"), ("Laplace", "Normal"), ("Normal", "Laplace"), ("Uniform", "Beta"), ("UniformWide", "Beta"),
    ("Uniform", "Exponential"), ("UniformWide", "Exponential"), ("Uniform", "Gamma"), ("Uniform", "Normal"),
    ("Exponential", "Beta"), ("Exponential", "Uniform"), ("Gamma", "Beta"), ("Gamma", "Uniform"),
    ("Laplace", "Beta"), ("Laplace", "Exponential"), ("Laplace", "Gamma"), ("Laplace", "Uniform"),
    ("Normal", "Beta"), ("Normal", "Exponential"), ("Normal", "Gamma"), ("Normal", "Uniform"),
    ("Poisson", "Bernoulli"), ("Poisson", "Binomial"),
    ("Cauchy", "Cauchy"), ("HalfNormal", "HalfNormal"), ("Geometric", "Geometric"), ("Gumbel", "Gumbel"),
    ("Exponential", "Gumbel"), ("Gamma", "Gumbel"), ("Normal", "Gumbel"), ("Uniform", "Gumbel"), ("Gumbel", "Normal"),
    ("Pareto", "Pareto"), ("Pareto", "ParetoLow"), ("ParetoLow", "Pareto"), ("Pareto", "Exponential"),
    ("ParetoHeavy", "Exponential"), ("Pareto", "Gamma"), ("ParetoHeavy", "Gamma"), ("Pareto", "Normal"),
    ("ParetoHeavy", "Normal"), ("UniformHigh", "ParetoLow"), ("Uniform", "Pareto"),
    ("Beta", "Pareto"), ("Exponential", "Pareto"), ("Gamma", "Pareto"), ("Laplace", "Pareto"), ("Normal", "Pareto"),
    ("Pareto", "Beta"), ("Pareto", "Uniform"), ("Gumbel", "Beta"), ("Gumbel", "Exponential"), ("Gumbel", "Gamma"),
    ("Gumbel", "Pareto"), ("Gumbel", "Uniform"), ("UniformUnit", "Beta"), ("UniformUnit", "Gamma"),
]


@pytest.mark.parametrize("pq", KL_PAIRS, ids=[f"{p}-{q}" for p, q in KL_PAIRS])
def test_kl_divergence_values_and_gradients_match_torch(pq):
    (bp, ap), (bq, aq) = _dist(pq[0]), _dist(pq[1])
    results = {}
    for m in (torch, kitty):
        pp = [m.tensor(a, dtype=m.float64, requires_grad=True) for a in ap]
        qp = [m.tensor(a, dtype=m.float64, requires_grad=True) for a in aq]
        kl = L(m).kl_divergence(bp(m, *pp), bq(m, *qp))
        finite = np.isfinite(_np(kl))
        grads = None
        if kl.requires_grad and finite.any():
            w = m.tensor(np.where(finite, np.random.default_rng(2).standard_normal(tuple(kl.shape)), 0.0))
            grads = m.autograd.grad((m.where(w != 0, kl, 0.0) * w).sum(), pp + qp, allow_unused=True)
        results[m.__name__] = (kl, grads)
    (kk, kg), (tk, tg) = results["kittygrad"], results["torch"]
    assert tuple(kk.shape) == tuple(tk.shape)
    np.testing.assert_allclose(_np(kk), _np(tk), rtol=1e-6, atol=1e-9)
    if tg is None:
        return
    for i, (a, b) in enumerate(zip(kg, tg)):
        if b is None:
            assert a is None or not np.any(_np(a))
            continue
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-9, err_msg=f"grad {i}")


def test_kl_errors_match_torch():
    for fn, exc in [
        (lambda m: L(m).kl_divergence(L(m).Normal(0.0, 1.0), L(m).Categorical(m.ones(2))), NotImplementedError),
        (lambda m: L(m).kl_divergence(L(m).Binomial(2, m.tensor(0.5)), L(m).Binomial(5, m.tensor(0.5))), NotImplementedError),
        (lambda m: L(m).kl_divergence(L(m).MultivariateNormal(m.zeros(2), m.eye(2)),
                                      L(m).MultivariateNormal(m.zeros(3), m.eye(3))), ValueError),
        (lambda m: L(m).kl_divergence(L(m).Independent(L(m).Normal(m.zeros(2, 2), 1.0), 1),
                                      L(m).Independent(L(m).Normal(m.zeros(2, 2), 1.0), 2)), NotImplementedError),
    ]:
        with pytest.raises(exc) as t_err:
            fn(torch)
        with pytest.raises(exc) as k_err:
            fn(kitty)
        assert " ".join(str(k_err.value).split()) == " ".join(str(t_err.value).split())  # torch's has a run of spaces


def test_register_kl_dispatches_to_the_most_specific_pair():
    class MyNormal(KD.Normal):
        pass

    calls = []

    @KD.register_kl(MyNormal, KD.Normal)
    def _kl(p, q):
        calls.append(1)
        return kitty.zeros(())

    try:
        KD.kl_divergence(MyNormal(0.0, 1.0), KD.Normal(1.0, 1.0))
        assert calls == [1]
        assert float(KD.kl_divergence(KD.Normal(0.0, 1.0), KD.Normal(1.0, 1.0))) == 0.5
    finally:
        from kittygrad.distributions import kl as kl_module

        del kl_module._KL_REGISTRY[MyNormal, KD.Normal]
        kl_module._KL_MEMOIZE.clear()
    with pytest.raises(TypeError):
        KD.register_kl(int, KD.Normal)


def test_exponential_family_entropy_and_kl_by_bregman_divergence():
    """The generic ExponentialFamily formulas (autograd of the log-normalizer) against closed forms."""
    from kittygrad.distributions.kl import _kl_expfamily_expfamily

    for make in [lambda m: L(m).Normal(m.tensor([0.3, -1.0]), m.tensor([1.5, 0.7])),
                 lambda m: L(m).Gamma(m.tensor([2.0, 0.5]), m.tensor([1.0, 3.0])),
                 lambda m: L(m).Exponential(m.tensor([2.0, 0.5])),
                 lambda m: L(m).Poisson(m.tensor([2.0, 0.5]))]:
        d = make(kitty)
        generic = KD.ExponentialFamily.entropy(d) if not isinstance(d, KD.Poisson) else None
        if generic is not None:
            np.testing.assert_allclose(_np(generic), _np(d.entropy()), rtol=1e-5)
    p, q = KD.Gamma(kitty.tensor([2.0]), kitty.tensor([1.0])), KD.Gamma(kitty.tensor([3.0]), kitty.tensor([0.5]))
    np.testing.assert_allclose(_np(_kl_expfamily_expfamily(p, q)), _np(KD.kl_divergence(p, q)), rtol=1e-5)
    with pytest.raises(NotImplementedError, match="cross KL-divergence"):
        _kl_expfamily_expfamily(KD.Normal(0.0, 1.0), KD.Gamma(1.0, 1.0))


def test_transforms_match_torch():
    x = RNG.standard_normal((2, 3))
    for make in [lambda T: T.ExpTransform(), lambda T: T.SigmoidTransform(), lambda T: T.TanhTransform(),
                 lambda T: T.AffineTransform(0.5, -2.0), lambda T: T.SoftplusTransform(), lambda T: T.AbsTransform(),
                 lambda T: T.PowerTransform(3.0), lambda T: T.StickBreakingTransform(), lambda T: T.SoftmaxTransform(),
                 lambda T: T.ComposeTransform([T.ExpTransform(), T.AffineTransform(1.0, 3.0)]),
                 lambda T: T.IndependentTransform(T.ExpTransform(), 1), lambda T: T.ReshapeTransform((3,), (3, 1)),
                 lambda T: T.AffineTransform(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), 2.0, event_dim=1)
                 if T is TD.transforms else T.AffineTransform(kitty.tensor([1.0, 2.0, 3.0]), 2.0, event_dim=1)]:
        tt, kt = make(TD.transforms), make(KD.transforms)
        arg = np.abs(x) if isinstance(tt, TD.transforms.PowerTransform) else x
        ty, ky = tt(torch.tensor(arg)), kt(kitty.tensor(arg))
        np.testing.assert_allclose(_np(ky), _np(ty), rtol=1e-7, err_msg=repr(tt))
        if not isinstance(tt, (TD.transforms.AbsTransform, TD.transforms.SoftmaxTransform)):
            np.testing.assert_allclose(_np(kt.inv(ky)), _np(tt.inv(ty)), rtol=1e-6, atol=1e-9, err_msg=repr(tt))
            np.testing.assert_allclose(_np(kt.log_abs_det_jacobian(kitty.tensor(arg), ky)),
                                       _np(tt.log_abs_det_jacobian(torch.tensor(arg), ty)), rtol=1e-6, atol=1e-9)
        assert kt.bijective == tt.bijective
        assert _normalise(repr(kt.domain)) == repr(tt.domain) and _normalise(repr(kt.codomain)) == repr(tt.codomain)
        assert tuple(kt.forward_shape((2, 3))) == tuple(tt.forward_shape(torch.Size((2, 3))))
    t = KD.transforms.ExpTransform()
    assert t.inv.inv is t and KD.transforms.identity_transform(kitty.ones(1)).item() == 1.0
    cached = KD.transforms.ExpTransform(cache_size=1)
    xk = kitty.tensor([0.5])
    assert cached.inv(cached(xk)) is xk


def test_shape_changing_transforms_keep_the_shapes_type():
    # torch slices the given shape: a tuple in, a tuple out (printed "(3, 7)", not "torch.Size([3, 7])")
    for name, shape, back in [("StickBreakingTransform", (3, 6), (3, 6)), ("CorrCholeskyTransform", (3, 6), (3, 4, 4))]:
        tt, kt = getattr(TD.transforms, name)(), getattr(KD.transforms, name)()
        assert type(kt.forward_shape(shape)) is type(tt.forward_shape(shape)) is tuple
        assert type(kt.inverse_shape(back)) is tuple and kt.inverse_shape(back) == tt.inverse_shape(back)
        assert repr(kt.forward_shape(kitty.Size(shape))).replace("kittygrad", "torch") == repr(tt.forward_shape(torch.Size(shape)))


def test_biject_to_and_transform_to_match_torch():
    x = RNG.standard_normal((2, 3))
    makers = [lambda C: C.real, lambda C: C.positive, lambda C: C.nonnegative, lambda C: C.greater_than(1.5),
              lambda C: C.greater_than_eq(-1.0), lambda C: C.less_than(2.0), lambda C: C.unit_interval,
              lambda C: C.interval(-1.0, 3.0), lambda C: C.half_open_interval(0.0, 2.0), lambda C: C.simplex,
              lambda C: C.real_vector, lambda C: C.independent(C.positive, 1),
              lambda C: C.cat([C.positive, C.real], 1, [2, 1]), lambda C: C.stack([C.positive, C.unit_interval], 0)]
    for registry in ("biject_to", "transform_to"):
        for make in makers:
            tt = getattr(TD, registry)(make(TD.constraints))
            kt = getattr(KD, registry)(make(KD.constraints))
            assert type(kt).__name__ == type(tt).__name__
            ty, ky = tt(torch.tensor(x)), kt(kitty.tensor(x))
            np.testing.assert_allclose(_np(ky), _np(ty), rtol=1e-7, err_msg=f"{registry} {tt}")
            if tt.bijective:
                np.testing.assert_allclose(_np(kt.inv(ky)), x, rtol=1e-6, atol=1e-9)
                np.testing.assert_allclose(_np(kt.log_abs_det_jacobian(kitty.tensor(x), ky)),
                                           _np(tt.log_abs_det_jacobian(torch.tensor(x), ty)), rtol=1e-6, atol=1e-9)
    m = RNG.standard_normal((2, 3, 3))
    for name in ("lower_cholesky", "positive_definite", "positive_semidefinite"):
        tt = TD.transform_to(getattr(TD.constraints, name))
        kt = KD.transform_to(getattr(KD.constraints, name))
        ky = kt(kitty.tensor(m))
        np.testing.assert_allclose(_np(ky), _np(tt(torch.tensor(m))), rtol=1e-7)
        np.testing.assert_allclose(_np(kt.inv(ky)), _np(tt.inv(tt(torch.tensor(m)))), rtol=1e-6, atol=1e-9)
    for fn, exc in [(lambda m: L(m).biject_to(L(m).constraints.lower_cholesky), NotImplementedError),
                    (lambda m: L(m).transform_to(L(m).constraints.boolean), NotImplementedError),
                    (lambda m: L(m).biject_to.register(3, lambda c: None), TypeError)]:
        with pytest.raises(exc) as t_err:
            fn(torch)
        with pytest.raises(exc) as k_err:
            fn(kitty)
        assert _normalise(str(k_err.value)) == str(t_err.value)


def test_torch_distributions_names_are_present():
    names = [n for n in dir(TD) if not n.startswith("_") and callable(getattr(TD, n))]
    missing = sorted(n for n in names if not hasattr(KD, n))
    # the ones left out (see the report): no sampler or density here yet
    assert set(missing) <= {"ContinuousBernoulli", "CorrCholeskyTransform", "GeneralizedPareto", "LKJCholesky",
                            "LowRankMultivariateNormal", "VonMises", "Wishart"}, missing


@pytest.mark.parametrize("make", [
    lambda m, a, b, v: L(m).Gamma(a, b).log_prob(v),
    lambda m, a, b, v: L(m).Beta(a, b).log_prob(v / (1 + v)),
    lambda m, a, b, v: L(m).Dirichlet(m.stack([a, b], -1)).entropy(),
    lambda m, a, b, v: L(m).kl_divergence(L(m).Gamma(a, b), L(m).Gamma(b, a)),
    lambda m, a, b, v: L(m).StudentT(a + 1, 0.0, b).log_prob(v),
    lambda m, a, b, v: L(m).Normal(a, b).cdf(v),
], ids=["gamma", "beta", "dirichlet_entropy", "kl_gamma", "student_t", "normal_cdf"])
def test_second_derivatives_match_torch(make):
    """Hessian-vector products through log_prob / entropy / KL (lgamma, digamma, polygamma, erf ...)."""
    arrays = [pos(3), pos(3), pos(3)]
    results = []
    for m in (torch, kitty):
        a, b = (m.tensor(x, dtype=m.float64, requires_grad=True) for x in arrays[:2])
        out = make(m, a, b, m.tensor(arrays[2], dtype=m.float64)).sum()
        ga, gb = m.autograd.grad(out, [a, b], create_graph=True)
        w = m.tensor([0.3, -1.2, 0.7], dtype=m.float64)
        results.append([_np(g) for g in m.autograd.grad((ga * w).sum() + (gb * w).sum(), [a, b])])
    for k, t in zip(results[1], results[0]):
        np.testing.assert_allclose(k, t, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("make", [
    lambda x: KD.Categorical(logits=x), lambda x: KD.Bernoulli(logits=x), lambda x: KD.OneHotCategorical(logits=x),
    lambda x: KD.Binomial(5, logits=x), lambda x: KD.Geometric(logits=x), lambda x: KD.NegativeBinomial(3.0, logits=x),
    lambda x: KD.Multinomial(4, logits=x), lambda x: KD.MixtureSameFamily(KD.Categorical(logits=x), KD.Normal(x, 1.0)),
    lambda x: KD.relaxed_categorical.ExpRelaxedCategorical(kitty.tensor(0.5), logits=x),
], ids=["Categorical", "Bernoulli", "OneHotCategorical", "Binomial", "Geometric", "NegativeBinomial", "Multinomial",
        "MixtureSameFamily", "ExpRelaxedCategorical"])
def test_sampling_and_validation_leave_no_pending_use(make):
    """Under the seed's locks, a graph use that no backward reaches holds gradients back (and warns,
    an error in this suite). Checking parameters and drawing samples read values only, so
    ``log_prob(sample).backward()`` (a policy gradient) completes, as in torch."""
    x = kitty.tensor([0.2, -0.4, 1.0], requires_grad=True)
    d = make(x)
    d.log_prob(d.sample((2,))).sum().backward()
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("make", [
    lambda M, a: M.kl_divergence(M.Normal(a, 2 * a), M.Normal(0.0, 1.0)),
    lambda M, a: M.kl_divergence(M.HalfNormal(a), M.HalfNormal(1.0)),
    lambda M, a: M.kl_divergence(M.Poisson(a), M.Poisson(1.0)),
    lambda M, a: M.kl_divergence(M.Normal(a, a), M.Laplace(0.0, 1.0)),
    lambda M, a: M.Laplace(a, a).rsample(),
    lambda M, a: M.Laplace(a, a).icdf(0.3 * a),
    lambda M, a: M.Uniform(a - 1, a).mean,
], ids=["kl_normal", "kl_halfnormal", "kl_poisson", "kl_normal_laplace", "laplace_rsample", "laplace_icdf", "uniform_mean"])
def test_printed_grad_fn_names_are_torchs(make):
    """A VAE script printing a KL term (or a draw) shows its grad_fn: the same node as torch's."""
    results = []
    for m, M in ((torch, TD), (kitty, KD)):
        a = m.tensor([0.5, 1.5], dtype=m.float64, requires_grad=True)
        m.manual_seed(0)
        out = make(M, a)
        results.append((out.grad_fn.name() if m is torch else out.grad_fn.torch_name(), _np(out)))
    assert results[1][0] == results[0][0]
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-12, atol=0)
