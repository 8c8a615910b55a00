"""``kl_divergence(p, q)`` with a registry of closed forms (``register_kl``), as torch.distributions.kl.

Lookup picks the most specific registered ``(type_p, type_q)`` pair by subclass order; an ambiguous
match warns, as torch's.

>>> import kittygrad as kitty
>>> from kittygrad.distributions import Normal, kl_divergence
>>> kl_divergence(Normal(0., 1.), Normal(1., 1.))
tensor(0.5000)
"""

from __future__ import annotations

import math
import warnings
from functools import partial

from ..errors import KittyNotImplementedError, KittyTypeError, KittyValueError
from .. import linalg
from ..autograd import grad
from ..creation import full_like
from ..nn import functional as F
from ..ops.arithmetic import xlogy
from ..ops.comparison import where
from ..ops.joining import cat
from ..ops.shape import broadcast_shapes
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .gumbel import Gumbel
from .half_normal import HalfNormal
from .independent import Independent
from .laplace import Laplace
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .pareto import Pareto
from .poisson import Poisson
from .transformed_distribution import TransformedDistribution
from .uniform import Uniform
from .utils import _sum_rightmost, euler_constant

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict = {}  # (type_p, type_q) -> function: the pairs registered
_KL_MEMOIZE: dict = {}  # (type_p, type_q) -> function: lookups already resolved


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as KL(p || q) for distributions of these types.

    >>> from kittygrad.distributions import Distribution, register_kl
    >>> class Point(Distribution):
    ...     pass
    >>> @register_kl(Point, Point)
    ... def _kl_point_point(p, q):
    ...     return 0.0
    """
    if not (isinstance(type_p, type) and issubclass(type_p, Distribution)):
        raise KittyTypeError(f"Expected type_p to be a Distribution subclass but got {type_p}")
    if not (isinstance(type_q, type) and issubclass(type_q, Distribution)):
        raise KittyTypeError(f"Expected type_q to be a Distribution subclass but got {type_q}")

    return partial(_add_rule, (type_p, type_q))


def _add_rule(pair, fun):
    _KL_REGISTRY[pair] = fun
    _KL_MEMOIZE.clear()  # a new pair may change what other pairs resolve to
    return fun


def _resolve(pair):
    """The function for this exact pair of types, found once and then remembered."""
    if pair not in _KL_MEMOIZE:
        _KL_MEMOIZE[pair] = _dispatch_kl(*pair)
    return _KL_MEMOIZE[pair]


def _dispatch_kl(type_p, type_q):
    """The registered function of the most specific matching pair, ordered by the distance of
    (type_p, type_q) to each registered pair in the method resolution orders."""
    matches = [(sp, sq) for sp, sq in _KL_REGISTRY if issubclass(type_p, sp) and issubclass(type_q, sq)]
    if not matches:
        return NotImplemented
    mro_p, mro_q = type_p.__mro__, type_q.__mro__
    left = min(matches, key=lambda m: (mro_p.index(m[0]), mro_q.index(m[1])))
    right = min(matches, key=lambda m: (mro_q.index(m[1]), mro_p.index(m[0])))
    left_fun, right_fun = _KL_REGISTRY[left], _KL_REGISTRY[right]
    if left_fun is not right_fun:
        warnings.warn(
            f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). "
            f"Please register_kl({left[0].__name__}, {right[1].__name__})",
            RuntimeWarning,
            stacklevel=3,
        )
    return left_fun


def kl_divergence(p, q):
    """KL(p || q) = E_p[log p(x) - log q(x)], batched over the distributions' batch shapes.

    >>> import kittygrad as kitty
    >>> from kittygrad.distributions import Bernoulli
    >>> kl_divergence(Bernoulli(0.5), Bernoulli(0.5))
    tensor(0.)
    """
    fun = _resolve((type(p), type(q)))
    if fun is NotImplemented:
        raise KittyNotImplementedError(
            f"No KL(p || q) is implemented for p type {p.__class__.__name__} and q type {q.__class__.__name__}"
        )
    return fun(p, q)


def _infinite_like(t):
    return full_like(t, math.inf)


def _x_log_x(t):
    # xlogy makes 0 log 0 = 0, the limit: a Uniform whose end sits on 0 or 1 (Uniform(0, 1) against
    # Beta, Gamma, ...) would otherwise give 0 * -inf = nan.
    return xlogy(t, t)


_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _width(u):
    """The length of a Uniform's interval."""
    return u.high - u.low


def _weighted_log_ratio(p, q):
    """p_i log(p_i / q_i) for distributions given by probs and logits."""
    return p.probs * (p.logits - q.logits)


def _event_shapes_differ(p, q) -> bool:
    return tuple(p.event_shape) != tuple(q.event_shape)


def _exponential_cross_entropy(q, mean):
    """-E[log q(x)] for an Exponential q, from the mean of x."""
    return q.rate * mean - q.rate.log()


def _through(attr, kl):
    """KL(p || q) as ``kl`` of the distributions both wrap under ``attr``."""

    def fn(p, q):
        return kl(getattr(p, attr), getattr(q, attr))

    return fn


# ---------------------------------------------------------------------------------------------
# the same family


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    # p log(p / q) + (1 - p) log((1 - p) / (1 - q)), with log p = -softplus(-logit)
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t1 = where(p.probs == 0, 0.0, where(q.probs == 0, math.inf, t1))
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    t2 = where(p.probs == 1, 0.0, where(q.probs == 1, math.inf, t2))
    return t1 + t2


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    a1, b1, a2, b2 = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    s1, s2 = a1 + b1, a2 + b2
    log_beta_ratio = (a2.lgamma() + b2.lgamma() + s1.lgamma()) - (a1.lgamma() + b1.lgamma() + s2.lgamma())
    return log_beta_ratio + (a1 - a2) * a1.digamma() + (b1 - b2) * b1.digamma() + (s2 - s1) * s1.digamma()


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    # only equal counts have a finite divergence (q's support must cover p's)
    if bool((p.total_count < q.total_count).any()):
        raise KittyNotImplementedError("KL between Binomials where q.total_count > p.total_count is not implemented")
    kl = p.total_count * (_weighted_log_ratio(p, q) + (-p.probs).log1p() - (-q.probs).log1p())
    return where(p.total_count > q.total_count, math.inf, kl)


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    terms = _weighted_log_ratio(p, q)
    # 0 log(0 / q) is 0, p log(p / 0) infinite
    terms = where((q.probs == 0).expand_as(terms), math.inf, terms)
    return where((p.probs == 0).expand_as(terms), 0.0, terms).sum(-1)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    cp, cq = p.concentration, q.concentration
    sp, sq = cp.sum(-1), cq.sum(-1)
    t1 = sp.lgamma() - sq.lgamma()
    t2 = (cp.lgamma() - cq.lgamma()).sum(-1)
    return t1 - t2 + ((cp - cq) * (cp.digamma() - sp.digamma().unsqueeze(-1))).sum(-1)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return -ratio.log() + ratio - 1


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p, q):
    """The Bregman divergence of the log-normalizer, for two members of one family."""
    if type(p) is not type(q):
        raise KittyNotImplementedError(
            "The cross KL-divergence between different exponential families cannot be computed using "
            "Bregman divergences"
        )
    p_params = [t.detach().requires_grad_() for t in p._natural_params]
    q_params = q._natural_params
    lg_normal = p._log_normalizer(*p_params)
    gradients = grad(lg_normal.sum(), p_params, create_graph=True)
    result = q._log_normalizer(*q_params) - lg_normal
    for pn, qn, g in zip(p_params, q_params, gradients):
        # <theta_q - theta_p, grad F> sums over each parameter's own event dims, which need not be the
        # distribution's (Wishart: a matrix and a scalar). torch sums len(event_shape) dims for every
        # parameter, which for Wishart also sums the scalar's term over the batch.
        own_dims = pn.dim() - len(p.batch_shape)
        result = result - _sum_rightmost((qn - pn) * g, own_dims)
    return result


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    cp, rp, cq, rq = p.concentration, p.rate, q.concentration, q.rate
    return cq * (rp / rq).log() + cq.lgamma() - cp.lgamma() + (cp - cq) * cp.digamma() + (rq - rp) * (cp / rp)


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    ratio = p.scale / q.scale
    dist = (p.loc - q.loc).abs()
    return -ratio.log() + dist / q.scale + ratio * (-dist / p.scale).exp() - 1


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p, q):
    if _event_shapes_differ(p, q):
        raise KittyValueError(
            "KL-divergence between two Multivariate Normals with different event shapes cannot be computed"
        )
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    n = p.event_shape[0]
    half_log_det_ratio = Lq.diagonal(dim1=-2, dim2=-1).log().sum(-1) - Lp.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    batch = broadcast_shapes(tuple(Lq.shape[:-2]), tuple(Lp.shape[:-2]))
    full = tuple(batch) + (n, n)
    # tr(Sigma_q^-1 Sigma_p) = ||Lq^-1 Lp||_F^2
    trace = linalg.solve_triangular(Lq.expand(full), Lp.expand(full), upper=False).pow(2).sum((-2, -1))
    maha = _batch_mahalanobis(Lq, q.loc - p.loc)
    return half_log_det_ratio + 0.5 * (trace + maha - n)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    # (r + d^2 - 1 - log r) / 2 with r = (sigma_p / sigma_q)^2 and d = (mu_p - mu_q) / sigma_q: written
    # as a half of the sum, as torch does, so a printed KL shows its grad_fn=<MulBackward0>
    ratio = (p.scale / q.scale).pow(2)
    shift = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (ratio + shift - 1 - ratio.log())


register_kl(OneHotCategorical, OneHotCategorical)(_through("_over_indices", _kl_categorical_categorical))


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    lam_p, lam_q = p.rate, q.rate
    # ending in a subtraction, as torch's (grad_fn=<SubBackward0>)
    return lam_p * (lam_p.log() - lam_q.log()) - (lam_p - lam_q)


_kl_of_bases = _through("base_dist", kl_divergence)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    # one bijection applied to both leaves the divergence unchanged; other cases have no closed form
    if p.transforms != q.transforms or _event_shapes_differ(p, q):
        raise NotImplementedError
    return _kl_of_bases(p, q)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = (_width(q) / _width(p)).log()
    return where((q.low > p.low) | (q.high < p.high), math.inf, result)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    ndims = p.reinterpreted_batch_ndims
    if q.reinterpreted_batch_ndims != ndims:
        raise NotImplementedError
    return _sum_rightmost(_kl_of_bases(p, q), ndims)


# ---------------------------------------------------------------------------------------------
# across families: KL = -H(p) - E_p[log q(x)], from p's moments


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    return (1 - p.probs) * (-p.probs).log1p() + p.probs * (p.probs.log() - q.rate.log()) + q.rate


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    mean = p.concentration1 / (p.concentration1 + p.concentration0)
    return -p.entropy() + _exponential_cross_entropy(q, mean)


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    a, total = p.concentration1, p.concentration1 + p.concentration0
    mean_log_x = a.digamma() - total.digamma()
    c, r = q.concentration, q.rate
    return -p.entropy() + c.lgamma() - c * r.log() - (c - 1) * mean_log_x + r * a / total


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    total = p.concentration1 + p.concentration0
    mean = p.concentration1 / total
    second_moment = mean * (1 - mean) / (total + 1) + mean.pow(2)
    var = q.scale.pow(2)
    return (
        -p.entropy() + 0.5 * (var * 2 * math.pi).log() + (0.5 * second_moment - q.loc * mean + 0.5 * q.loc.pow(2)) / var
    )


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    result = _width(q).log() - p.entropy()
    return where((q.low > 0) | (q.high < 1), math.inf, result)


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    ratio = q.rate / p.rate
    c = q.concentration
    return -c * ratio.log() + ratio + c.lgamma() + c * euler_constant - (1 + euler_constant)


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    var = q.scale.pow(2)
    rate_sq = p.rate.pow(2)
    # E[(x - mu)^2] = 2 / rate^2 - 2 mu / rate + mu^2
    second = (2 / rate_sq - 2 * q.loc / p.rate + q.loc.pow(2)) / (2 * var)
    return p.rate.log() - 1 + q.scale.log() + _LOG_SQRT_2PI + second


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    return -p.entropy() + _exponential_cross_entropy(q, p.concentration / p.rate)


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    c, r = p.concentration, p.rate
    var = q.scale.pow(2)
    second = c * (c + 1) / r.pow(2) - 2 * q.loc * c / r + q.loc.pow(2)
    return -p.entropy() + q.scale.log() + _LOG_SQRT_2PI + second / (2 * var)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    var = q.scale.pow(2)
    second = 2 * p.scale.pow(2) + (p.loc - q.loc).pow(2)
    return -1 - (2 * p.scale).log() + q.scale.log() + _LOG_SQRT_2PI + second / (2 * var)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    d = p.loc - q.loc
    sigma = p.scale
    mean_abs = (
        sigma * math.sqrt(2 / math.pi) * (-0.5 * (d / sigma).pow(2)).exp() + d * (d / (sigma * math.sqrt(2))).erf()
    )
    # log(2 sigma_q / sigma_p) - 1/2 - log sqrt(2 pi) + E|x - mu_q| / sigma_q, with the constants last
    # as torch's (grad_fn=<SubBackward0>), and q's scale met first in a ratio with p's: q's
    # parameters may be float32 numbers beside p's float64 ones, and log(2 sigma_q) alone would
    # round in float32
    return -(sigma / q.scale).log() + mean_abs / q.scale - 0.5 * (1 + math.log(math.pi / 2))


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    a, b = p.low, p.high
    width = b - a
    mean_log_x = (_x_log_x(b) - _x_log_x(a)) / width - 1
    mean_log_1mx = (_x_log_x(1 - a) - _x_log_x(1 - b)) / width - 1
    c1, c0 = q.concentration1, q.concentration0
    log_beta = c1.lgamma() + c0.lgamma() - (c1 + c0).lgamma()
    result = -width.log() - (c1 - 1) * mean_log_x - (c0 - 1) * mean_log_1mx + log_beta
    return where((a < 0) | (b > 1), math.inf, result)


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    result = -(p.high - p.low).log() - q.rate.log() + q.rate * (p.high + p.low) / 2
    return where(p.low < 0, math.inf, result)


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    a, b = p.low, p.high
    width = b - a
    mean_log_x = (_x_log_x(b) - _x_log_x(a)) / width - 1
    c, r = q.concentration, q.rate
    result = -width.log() - c * r.log() - (c - 1) * mean_log_x + r * (a + b) / 2 + c.lgamma()
    return where(a < 0, math.inf, result)


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    width = p.high - p.low
    var = q.scale.pow(2)
    second = width.pow(2) / 12 + ((p.high + p.low) / 2 - q.loc).pow(2)
    return -width.log() + q.scale.log() + _LOG_SQRT_2PI + second / (2 * var)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    # the closed form of Chyzak and Nielsen (2019)
    return ((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)).log() - (4 * p.scale * q.scale).log()


register_kl(HalfNormal, HalfNormal)(_through("base_dist", _kl_normal_normal))


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    # -H(p) - E_p[k log(1 - q) + log q], with E_p[k] = 1/p - 1
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


def _gumbel_cross_entropy(q, mean, mgf_at_minus_inv_scale):
    """-E[log q(x)] for q Gumbel(mu, beta): log beta + (E[x] - mu) / beta + e^(mu / beta) E[e^(-x / beta)]."""
    return q.scale.log() + (mean - q.loc) / q.scale + (q.loc / q.scale).exp() * mgf_at_minus_inv_scale


@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    ratio = p.scale / q.scale
    # -E log q with E[e^(-x/beta)] = e^(-m/beta) Gamma(1 + s/beta), folded into one exponential
    cross = (
        q.scale.log()
        + (p.loc + p.scale * euler_constant - q.loc) / q.scale
        + ((q.loc - p.loc) / q.scale + (1 + ratio).lgamma()).exp()
    )
    return cross - p.scale.log() - (1 + euler_constant)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    prod = p.rate * q.scale
    return p.rate.log() - 1 + _gumbel_cross_entropy(q, p.rate.reciprocal(), prod / (prod + 1))


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    mgf = (1 + (p.rate * q.scale).reciprocal()).pow(-p.concentration)
    return -p.entropy() + _gumbel_cross_entropy(q, p.concentration / p.rate, mgf)


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    cross = (
        q.scale.log() + (p.loc - q.loc) / q.scale + ((q.loc - p.loc) / q.scale + 0.5 * (p.scale / q.scale).pow(2)).exp()
    )
    return cross - 0.5 - _LOG_SQRT_2PI - p.scale.log()


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    width = p.high - p.low
    mgf = q.scale * ((-p.low / q.scale).exp() - (-p.high / q.scale).exp()) / width
    return -width.log() + _gumbel_cross_entropy(q, (p.high + p.low) / 2, mgf)


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    mean = p.loc + p.scale * euler_constant
    var = (math.pi * p.scale).pow(2) / 6
    second = var + (mean - q.loc).pow(2)
    return -(p.scale.log() + 1 + euler_constant) + q.scale.log() + _LOG_SQRT_2PI + second / (2 * q.scale.pow(2))


def _pareto_moments(p):
    """-H(p) and E[log x] of a Pareto p."""
    neg_entropy = -p.entropy()
    mean_log = p.scale.log() + p.alpha.reciprocal()
    return neg_entropy, mean_log


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    neg_entropy, mean_log = _pareto_moments(p)
    cross = -q.alpha.log() - q.alpha * q.scale.log() + (q.alpha + 1) * mean_log
    return where(p.scale < q.scale, math.inf, neg_entropy + cross)


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    neg_entropy, _ = _pareto_moments(p)
    result = neg_entropy - q.rate.log() + q.rate * p.alpha * p.scale / (p.alpha - 1)
    return where(p.alpha <= 1, math.inf, result)


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    neg_entropy, mean_log = _pareto_moments(p)
    c, r = q.concentration, q.rate
    result = neg_entropy + c.lgamma() - c * r.log() - (c - 1) * mean_log + r * p.alpha * p.scale / (p.alpha - 1)
    return where(p.alpha <= 1, math.inf, result)


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    neg_entropy, _ = _pareto_moments(p)
    a, s = p.alpha, p.scale
    mean = a * s / (a - 1)
    var = a * s.pow(2) / ((a - 1).pow(2) * (a - 2))
    second = var + (mean - q.loc).pow(2)
    result = neg_entropy + q.scale.log() + _LOG_SQRT_2PI + second / (2 * q.scale.pow(2))
    return where(p.alpha <= 2, math.inf, result)


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    width = p.high - p.low
    mean_log = (_x_log_x(p.high) - _x_log_x(p.low)) / width - 1
    result = -width.log() - q.alpha.log() - q.alpha * q.scale.log() + (q.alpha + 1) * mean_log
    return where(p.low < q.scale, math.inf, result)


# ---- multivariate normals, with full or low-rank-plus-diagonal covariance


def _covariance_root(p):
    """A matrix R with R R^T = Sigma_p: the Cholesky factor, or [W, sqrt(D)] for a low-rank one."""
    if isinstance(p, LowRankMultivariateNormal):
        return cat([p.cov_factor, p.cov_diag.sqrt().diag_embed()], -1)
    return p._unbroadcasted_scale_tril


def _inverse_quadratic(q, M):
    """tr(M^T Sigma_q^-1 M) for a batch of k x c matrices ``M``."""
    if isinstance(q, LowRankMultivariateNormal):
        return q._inverse_quadratic(M)
    L = q._unbroadcasted_scale_tril
    batch = tuple(broadcast_shapes(tuple(L.shape[:-2]), tuple(M.shape[:-2])))
    whitened = linalg.solve_triangular(
        L.expand(batch + tuple(L.shape[-2:])), M.expand(batch + tuple(M.shape[-2:])), upper=False
    )
    return whitened.pow(2).sum((-2, -1))


def _kl_gaussian_gaussian(p, q):
    """1/2 (log det Sigma_q - log det Sigma_p + tr(Sigma_q^-1 Sigma_p) + |mu_q - mu_p|^2_(Sigma_q^-1) - k),
    with the trace as tr(R^T Sigma_q^-1 R) for any root R of Sigma_p."""
    if _event_shapes_differ(p, q):
        both_low_rank = isinstance(p, LowRankMultivariateNormal) and isinstance(q, LowRankMultivariateNormal)
        kind = "Low Rank Multivariate Normals" if both_low_rank else "(Low Rank) Multivariate Normals"
        raise KittyValueError(f"KL-divergence between two {kind} with different event shapes cannot be computed")
    k = p.event_shape[0]
    trace = _inverse_quadratic(q, _covariance_root(p))
    distance = _inverse_quadratic(q, (q.loc - p.loc).unsqueeze(-1))
    return q._half_log_det() - p._half_log_det() + 0.5 * (trace + distance - k)


for _p, _q in [
    (LowRankMultivariateNormal, LowRankMultivariateNormal),
    (MultivariateNormal, LowRankMultivariateNormal),
    (LowRankMultivariateNormal, MultivariateNormal),
]:
    register_kl(_p, _q)(_kl_gaussian_gaussian)


# ---- the continuous Bernoulli: log q(x) = log C(lambda) + log(1 - lambda) + x logit(lambda) is
# linear in x, so E_p[log q] needs only p's mean


def _continuous_bernoulli_cross_entropy(q, mean):
    """-E[log q(x)] for a ContinuousBernoulli q, from the mean of x."""
    return -(q._log_constant() + (-q.probs).log1p() + mean * q.logits)


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    # log density = log C + x * logit + log(1 - lambda); grouped per distribution so that p == q
    # cancels term by term to exactly 0 (an entropy minus a cross-entropy leaves rounding noise)
    log_rest_p, log_rest_q = (-p.probs).log1p(), (-q.probs).log1p()
    return p.mean * (p.logits - q.logits) + (p._log_constant() + log_rest_p) - (q._log_constant() + log_rest_q)


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_continuous_bernoulli(p, q):
    return -p.entropy() + _continuous_bernoulli_cross_entropy(q, p.mean)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p, q):
    result = -_width(p).log() + _continuous_bernoulli_cross_entropy(q, (p.low + p.high) / 2)
    return where((p.low < 0) | (p.high > 1), math.inf, result)  # mass outside [0, 1], where q has none


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p, q):
    return -p.entropy() + _exponential_cross_entropy(q, p.mean)


@register_kl(ContinuousBernoulli, Normal)
def _kl_continuous_bernoulli_normal(p, q):
    second = p.variance + (p.mean - q.loc).pow(2)  # E[(x - mu)^2]
    return -p.entropy() + q.scale.log() + _LOG_SQRT_2PI + second / (2 * q.scale.pow(2))


@register_kl(ContinuousBernoulli, Uniform)
def _kl_continuous_bernoulli_uniform(p, q):
    result = -p.entropy() + _width(q).log()
    # finite only when [low, high] covers all of [0, 1]
    return where((q.low > 0) | (q.high < 1), math.inf, result)


# ---- pairs whose divergence is infinite: q has no mass where p has some


def _infinite_for(attr):
    def fn(p, q):
        return _infinite_like(getattr(p, attr))

    return fn


for _p, _q, _attr in [
    (Exponential, Beta, "rate"),
    (Exponential, Uniform, "rate"),
    (Gamma, Beta, "concentration"),
    (Gamma, Uniform, "concentration"),
    (Laplace, Beta, "loc"),
    (Laplace, Exponential, "loc"),
    (Laplace, Gamma, "loc"),
    (Laplace, Uniform, "loc"),
    (Normal, Beta, "loc"),
    (Normal, Exponential, "loc"),
    (Normal, Gamma, "loc"),
    (Normal, Uniform, "loc"),
    (Poisson, Bernoulli, "rate"),
    (Poisson, Binomial, "rate"),
    (Beta, Pareto, "concentration1"),
    (Exponential, Pareto, "rate"),
    (Gamma, Pareto, "concentration"),
    (Laplace, Pareto, "loc"),
    (Normal, Pareto, "loc"),
    (Pareto, Beta, "scale"),
    (Pareto, Uniform, "scale"),
    (Gumbel, Beta, "loc"),
    (Gumbel, Exponential, "loc"),
    (Gumbel, Gamma, "loc"),
    (Gumbel, Pareto, "loc"),
    (Gumbel, Uniform, "loc"),
    (ContinuousBernoulli, Pareto, "probs"),
    (Exponential, ContinuousBernoulli, "rate"),
    (Gamma, ContinuousBernoulli, "concentration"),
    (Gumbel, ContinuousBernoulli, "loc"),
    (Laplace, ContinuousBernoulli, "loc"),
    (Normal, ContinuousBernoulli, "loc"),
    (Pareto, ContinuousBernoulli, "scale"),
]:
    register_kl(_p, _q)(_infinite_for(_attr))
