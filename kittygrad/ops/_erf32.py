"""float32 erf and the exact GELU's parts by vectorised NumPy passes (the erf ops, exact GELU).

SciPy's erf is a scalar loop (15 ns an element here); these polynomials take ~25 SIMD passes, run
chunk by chunk so that each chunk and its scratch stay in the cache.
"""
from __future__ import annotations

import math

from .. import backend as B

xp = B.xp

# float32 erf from two polynomials (tools/fit_erf32.py derives them and reports their accuracy: at most
# 2.2 float32 ulps from the exact value, mean 0.22; 2.9 without AVX2/FMA, where NumPy's tanh is less
# exact), ~25 vectorised passes where SciPy's erf is a scalar loop (15 ns an element here).
#   |x| < 2:  erf(x) = tanh(x + x * Q(x^2))  (NumPy's float32 tanh: one SIMD pass; rounding stays in x * Q)
#   |x| >= 2: erf(x) = 1 - exp(P(|x| - 3)), P fitted to log(erfc) on [2, 4]; erf is 1.0 in
#             float32 above 4, so |x| is clamped there (P turns back up far beyond its interval)
_ERF32_CORE = (6.182011965498689e-08, -8.301338754316862e-07, 1.8381115111614674e-07, 7.087136783581665e-05,
               -0.0005965180151932008, -0.00020608487849772705, 0.10277203352133078, 0.12837918401914217)
_ERF32_TAIL = (4.5525224032586856e-05, -0.0002584466178925382, 0.0013515368403801801, -0.00740546540046959,
               -0.9573937913112183, -6.303754495173037, -10.720363059115643)
# The normal CDF's erf(x / sqrt 2), for the exact GELU, without tanh (NumPy's float32 tanh takes twice
# exp's time, 2.0 ms at (32, 64, 384) on an AMD EPYC: a GPT step's three GELUs spent 6 ms in it):
#   |x| < 2:  erf(x / sqrt 2) = x * C(x^2), C of degree 7 (relative fit error 6e-9)
#   |x| >= 2: erf(x / sqrt 2) = 1 - exp(-x^2 / 2) * T(1 / |x|), T of degree 7 fitted to
#             erfc(a / sqrt 2) exp(a^2 / 2) on [2, 6] (relative 3e-8; erfc is below 0.046 there); erf is
#             1.0 in float32 from a = 5.5, so |x| is clamped at 6 (the exponential still decays)
_CDF32_CORE = (-3.475816150594365e-08, 1.0655722536539861e-06, -1.8046739470418055e-05, 0.0002293361843501892,
               -0.0023731078016940056, 0.019946333231598747, -0.13298060784371993, 0.7978845558458769)
_CDF32_TAIL = (0.2371463134203973, -0.10715915292239617, -0.9024623179491906, 1.687935760829581,
               -1.229243667295385, 0.06324289813508496, 0.7928053472992166, 0.0001736911072247327)
_SQRT_HALF = 1 / math.sqrt(2)  # (a Python float: NEP 50 rounds it to the array's dtype, as torch's GELU does)
# the bits of x^2 from which the tail serves erf (|x| >= 2) and the CDF (|x| >= 2); the sign bit
_ERF32_FAR, _F32_SIGN_BIT = xp.float32(4.0).view(xp.int32), xp.int32(-(2**31))
_ERF32_MIN_SIZE = 8192  # (the polynomials cost ~45 us of calls, SciPy ~15 ns an element)
_ERF32_CHUNK = 1 << 16  # (a chunk and its scratch, 256 KiB each, stay in the cache between passes)


def _horner32(coeffs, v, out):
    """The polynomial with ``coeffs`` (highest power first) at the float32 array ``v``, into ``out``."""
    xp.multiply(v, xp.float32(coeffs[0]), out=out)
    for c in coeffs[1:-1]:
        out += xp.float32(c)
        out *= v
    out += xp.float32(coeffs[-1])
    return out


def _erf_float32(x, gelu: bool = False, slope: bool = False):
    """erf of a float32 array by the polynomials above, chunk by chunk (see _ERF32_CHUNK); with
    ``gelu``, the normal CDF and x times it (see gelu_parts), each chunk finished while in the
    cache; with ``slope`` too, GELU's derivative in place of the CDF. The arrays written are
    64-byte aligned (see ``backend.empty_aligned``): each chunk's passes write in-cache data."""
    flat = xp.ascontiguousarray(x, dtype=xp.float32).reshape(-1)
    out = B.empty_aligned(flat.size, xp.float32)
    product = B.empty_aligned(flat.size, xp.float32) if gelu else None
    step = min(_ERF32_CHUNK, flat.size)
    a, v = B.empty_aligned(step, xp.float32), B.empty_aligned(step, xp.float32)  # (scratch, reused by every chunk)
    with B.errstate(over="ignore", invalid="ignore"):
        for start in range(0, flat.size, step):
            stop = min(start + step, flat.size)
            part, result, n = flat[start:stop], out[start:stop], stop - start
            if gelu:  # 0.5 * (1 + erf(x / sqrt 2)), and x times it
                _cdf_chunk(part, result, v[:n])
                xp.multiply(xp.add(result, xp.float32(1.0), out=result), xp.float32(0.5), out=result)
                xp.multiply(part, result, out=product[start:stop])
                if slope:
                    result += _density_term(part, a[:n], v[:n])
            else:
                _erf_chunk(part, result, a[:n], v[:n])
    out = out.reshape(xp.shape(x))
    return (out, product.reshape(out.shape)) if gelu else out


def _erf_chunk(x, out, a, v) -> None:
    """erf of the 1-d float32 array ``x`` into ``out`` (``a``, ``v``: scratch of its size); odd, as
    tanh is. Where under 30% of the elements are in the tail, the tail runs on those alone, gathered
    and put back; else both run everywhere and bit masks choose (a masked select costs several
    passes). The two ways give the same bits."""
    xp.multiply(x, x, out=v)
    far = xp.flatnonzero(v.view(xp.int32) >= _ERF32_FAR)  # (x^2 is never negative; a NaN's bits are larger)
    core = _horner32(_ERF32_CORE, v, out)  # garbage in the tail: not chosen
    core *= x
    core += x
    xp.tanh(core, out=core)
    if 10 * far.size < 3 * x.size:
        if far.size:
            core[far] = xp.copysign(_erf_tail(xp.abs(x[far]), None), x[far])
        return
    chosen = xp.subtract(v.view(xp.int32), _ERF32_FAR)  # negative exactly in the core
    chosen >>= 31  # all ones where the core polynomial is chosen, zeros elsewhere
    tail = _erf_tail(xp.abs(x, out=a), v).view(xp.int32)
    xp.bitwise_and(x.view(xp.int32), _F32_SIGN_BIT, out=a.view(xp.int32))  # the sign of x, -0.0 included
    tail |= a.view(xp.int32)
    picked = core.view(xp.int32)
    picked &= chosen
    xp.invert(chosen, out=chosen)
    chosen &= tail
    picked |= chosen


def _erf_tail(a, out):
    """|erf| at the float32 array ``a`` of |x| >= 2 (it is overwritten) by the tail polynomial."""
    xp.clip(a, xp.float32(0.0), xp.float32(4.0), out=a)  # (SIMD, where minimum(a, 4.0) is not)
    a -= xp.float32(3.0)
    tail = _horner32(_ERF32_TAIL, a, xp.empty_like(a) if out is None else out)
    return xp.subtract(xp.float32(1.0), xp.exp(tail, out=tail), out=tail)


def _cdf_chunk(x, out, v) -> None:
    """erf(x / sqrt 2) of the 1-d float32 array ``x`` into ``out``, by _CDF32_CORE and, on the elements
    with |x| >= 2 alone (gathered: 4.6% of a standard normal's), _CDF32_TAIL; ``v`` (scratch) is left
    holding x * x, which the GELU's density reads. x / sqrt 2 is never rounded: torch rounds it, which
    moves its CDF by up to half an ulp of erf; the test against torch's formula allows for that."""
    xp.multiply(x, x, out=v)
    far = xp.flatnonzero(v.view(xp.int32) >= _ERF32_FAR)  # (a NaN's bits are larger: it goes either way)
    core = _horner32(_CDF32_CORE, v, out)
    core *= x
    if far.size:
        near_one = xp.abs(x[far])
        xp.clip(near_one, xp.float32(2.0), xp.float32(6.0), out=near_one)
        xp.reciprocal(near_one, out=near_one)
        tail = _horner32(_CDF32_TAIL, near_one, xp.empty_like(near_one))
        decay = xp.multiply(v[far], xp.float32(-0.5))
        tail *= xp.exp(decay, out=decay)  # erfc(|x| / sqrt 2)
        xp.subtract(xp.float32(1.0), tail, out=tail)  # |erf|, rounded as torch's erf rounds it
        core[far] = xp.copysign(tail, x[far])


def _density_term(x, out=None, squares=None):
    """x times the standard normal density at x, ``x * exp(-x * x / 2) / sqrt(2 pi)``, each step
    rounded in x's dtype (GELU's derivative is the CDF plus this), into ``out`` if given;
    ``squares``: ``x * x`` already made (erf's core made it: a pass fewer, the same bits).

    >>> import numpy as np
    >>> float(_density_term(np.array(1.0)))  # doctest: +ELLIPSIS
    0.241970724...
    """
    if squares is not None:
        d = xp.multiply(squares, x.dtype.type(-0.5), out=out)
    else:
        d = xp.multiply(x, x, out=out)
        d *= -0.5
    d = xp.exp(d, out=d if type(d) is xp.ndarray else None)
    d *= x
    d *= 1 / math.sqrt(2 * math.pi)
    return d


def erf(x):
    """The error function, elementwise, in x's float dtype (float64 for integers).

    float64 through SciPy (``backend.erf``); float32 (and half types, in float32) by the polynomials
    above where they win.

    >>> import numpy as np
    >>> float(erf(np.array(0.5, np.float32)))  # doctest: +ELLIPSIS
    0.52049...
    """
    x = xp.asarray(x)
    if x.dtype == xp.float64 or not B.is_float(x.dtype) or x.size < _ERF32_MIN_SIZE:
        return B.erf(x)
    out = _erf_float32(x)
    return out if x.dtype == xp.float32 else out.astype(x.dtype)


def gelu_parts(x, slope: bool = False):
    """The exact GELU's normal CDF, as torch computes it (``0.5 * (1 + erf(x / sqrt(2)))``, each step
    rounded in x's float dtype), and x times it; a large float32 array's in one sweep of chunks, 1 / sqrt(2)
    inside the polynomial and the product made while each chunk is in the cache.

    ``slope``: GELU's derivative ``CDF + x * pdf(x)`` in place of the CDF, made in the same sweep
    (what backward keeps: its gradient is then one product, where computing the derivative there
    reads x and the CDF back from memory, 1.1 ms at (32, 64, 384) float32 on an Intel Xeon).

    >>> import numpy as np
    >>> [float(v) for v in gelu_parts(np.array(2.0))]  # doctest: +ELLIPSIS
    [0.977249..., 1.954499...]
    >>> float(gelu_parts(np.array(2.0), slope=True)[0])  # doctest: +ELLIPSIS
    1.085231...
    """
    x = xp.asarray(x)
    if x.dtype == xp.float32 and x.size >= _ERF32_MIN_SIZE:
        return _erf_float32(x, gelu=True, slope=slope)
    cdf = erf(x * _SQRT_HALF)  # (a fresh array: finished in place)
    cdf += 1
    cdf *= 0.5
    out = x * cdf
    if slope:
        cdf += _density_term(x)
    return cdf, out
