"""torch's CPU samplers for the gamma and binomial distributions, one element at a time.

torch draws a gamma or binomial sample element after element (C order), each by rejection from
float64 uniforms and float64 normals of its generator. Drawing the same numbers in the same order
gives the same samples after the same seed, so ``Gamma``, ``Beta``, ``Dirichlet``, ``Chi2``,
``StudentT``, ``Binomial`` (and the distributions built on them) print what torch prints. The
loops are Python (~10-30 us a sample); above :data:`TORCH_STREAM_MAX` elements NumPy's vectorised
samplers, seeded from the generator, take over: repeatable under a seed, not torch's values.

The arithmetic follows the types torch's kernels compute in: a float32 tensor's parameters enter
as float32 numbers (``single``), so the constants derived from them are rounded as float32 where
torch rounds them, and the rejection tests run in float64.
"""
from __future__ import annotations

import math

from .. import backend as B
from .. import backend_random

#: elements up to which the samplers below draw torch's numbers (see the module's docstring)
TORCH_STREAM_MAX = 4096

_F32 = B.xp.float32
_THIRD_F32 = float(_F32(1) / _F32(3))  # torch subtracts the float constant 1/3, not the double one
_SQUEEZE_F32 = float(_F32(0.0331))  # Marsaglia and Tsang's squeeze constant, a float literal in torch


def _f32(v: float) -> float:
    """``v`` rounded to the nearest float32 (as a Python float)."""
    return float(_F32(v))


def _uniform(g) -> float:
    return float(g.random(()))


def _normal(g) -> float:
    """One float64 standard normal, using and refilling the generator's cached second value."""
    return float(g.normal(0.0, 1.0, (), B.xp.float64))


def gamma_sample(g, alpha: float, single: bool) -> float:
    """One Gamma(alpha, 1) sample as torch's CPU sampler draws it: Marsaglia and Tsang's rejection
    method (2000), with alpha below 1 boosted by one and the result scaled by ``U ** (1 / alpha)``.

    >>> round(gamma_sample(backend_random.Generator().manual_seed(0), 2.0, True), 4)  # torch.distributions.Gamma(2., 1.).sample()
    4.5526
    """
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        power = _f32(1.0 / alpha) if single else 1.0 / alpha
        scale *= (1.0 - _uniform(g)) ** power
        alpha = _f32(alpha + 1.0) if single else alpha + 1.0
    d = _f32(alpha - _THIRD_F32) if single else alpha - _THIRD_F32
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = _normal(g)
        y = 1.0 + c * x
        while y <= 0.0:
            x = _normal(g)
            y = 1.0 + c * x
        v = y * y * y
        u = 1.0 - _uniform(g)
        xx = x * x
        if u < 1.0 - _SQUEEZE_F32 * xx * xx or math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def standard_gamma(g, alpha):
    """Gamma(alpha, 1) samples for the float array ``alpha``, in its dtype and never below its
    smallest normal number (as torch's ``_standard_gamma``)."""
    dt = alpha.dtype
    tiny = float(B.finfo(dt).tiny)
    if alpha.size > TORCH_STREAM_MAX:
        draws = B.xp.asarray(backend_random.standard_gamma(g, alpha)).astype(dt)
        return B.xp.maximum(draws, dt.type(tiny))
    single = dt != B.xp.float64
    values = [max(tiny, gamma_sample(g, a, single)) for a in alpha.reshape(-1).tolist()]
    # (a float32 sample is rounded before the floor is applied, as torch: the floor is float32's)
    out = B.xp.asarray(values, dtype=B.xp.float64).astype(dt)
    return B.xp.maximum(out, dt.type(tiny)).reshape(alpha.shape)


def dirichlet(g, alpha):
    """Dirichlet samples for the float array ``alpha`` (the last axis is the event), as torch's
    ``_sample_dirichlet``: float64 gamma draws element after element, normalised in float64, then
    kept within the dtype's (tiny, 1)."""
    dt = alpha.dtype
    tiny64 = float(B.finfo(B.xp.float64).tiny)
    if alpha.size > TORCH_STREAM_MAX:
        gammas = B.xp.maximum(B.xp.asarray(backend_random.standard_gamma(g, alpha.astype(B.xp.float64))), tiny64)
    else:
        flat = [max(tiny64, gamma_sample(g, a, False)) for a in alpha.reshape(-1).tolist()]
        gammas = B.xp.asarray(flat, dtype=B.xp.float64).reshape(alpha.shape)
    x = (gammas / gammas.sum(-1, keepdims=True)).astype(dt)
    info = B.finfo(dt)
    return B.xp.minimum(B.xp.maximum(x, dt.type(info.tiny)), dt.type(1 - info.epsneg))


#: Stirling's series' tail log(k!) - (its first terms) for k = 0..9 (beyond, the series itself)
_STIRLING_TAILS = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                   0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                   0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k: float) -> float:
    if k < len(_STIRLING_TAILS):
        return _STIRLING_TAILS[int(k)]
    sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / sq) / sq) / (k + 1)


def _binomial_inversion(g, count: float, prob: float, single: bool) -> float:
    """Successes counted as the geometric waiting times that fit in ``count`` trials (small means)."""
    log_q = _f32(math.log1p(-prob)) if single else math.log1p(-prob)
    total, successes = 0.0, 0.0
    while True:
        total += math.ceil(math.log(_uniform(g)) / log_q)
        if total > count:
            return successes
        successes += 1


def _btrs(g, count: float, prob: float, single: bool) -> float:
    """Hormann's transformed rejection with squeeze (BTRS, 1993), for means of 10 and more; the
    bound is compared with the log of the ratio, as torch's sampler does."""
    r32 = _f32 if single else float
    spread = r32(math.sqrt(r32(r32(count * prob) * r32(1 - prob))))
    b = 1.15 + 2.53 * spread
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = r32(count * prob) + 0.5
    v_r = 0.92 - 4.2 / b
    r = r32(prob / r32(1 - prob))
    alpha = (2.83 + 5.1 / b) * spread
    m = math.floor(r32(r32(count + 1) * prob))
    while True:
        u = _uniform(g) - 0.5
        v = _uniform(g)
        us = 0.5 - abs(u)
        k = float(math.floor((2 * a / us + b) * u + c))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        log_v = math.log(v * alpha / (a / (us * us) + b))
        bound = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                 + (count + 1) * math.log((count - m + 1) / (count - k + 1))
                 + (k + 0.5) * math.log(r * (count - k + 1) / (k + 1))
                 + _stirling_tail(m) + _stirling_tail(count - m) - _stirling_tail(k) - _stirling_tail(count - k))
        if log_v <= bound:
            return k


def binomial_sample(g, count: float, prob: float, single: bool) -> float:
    """One Binomial(count, prob) sample as torch's CPU sampler draws it: inversion below a mean of
    10, BTRS from 10 up, each on the smaller of prob and 1 - prob.

    >>> binomial_sample(backend_random.Generator().manual_seed(0), 10.0, 0.3, True)  # torch.binomial after manual_seed(0)
    6.0
    """
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return count
    r32 = _f32 if single else float
    if prob <= 0.5:
        if r32(count * prob) >= 10.0:
            return _btrs(g, count, prob, single)
        return _binomial_inversion(g, count, prob, single)
    q = r32(1.0 - prob)
    if r32(count * q) >= 10.0:
        return count - _btrs(g, count, q, single)
    return count - _binomial_inversion(g, count, q, single)


def binomial(g, count, prob):
    """Binomial samples for the float arrays ``count`` and ``prob`` (broadcast), in count's dtype."""
    count, prob = B.xp.broadcast_arrays(count, prob.astype(count.dtype, copy=False))
    dt = count.dtype
    if count.size > TORCH_STREAM_MAX:
        return B.xp.asarray(backend_random.binomial(g, count.astype("int64"), prob)).astype(dt)
    single = dt != B.xp.float64
    pairs = zip(count.reshape(-1).tolist(), prob.reshape(-1).tolist())
    return B.xp.asarray([binomial_sample(g, n, p, single) for n, p in pairs], dtype=dt).reshape(count.shape)
