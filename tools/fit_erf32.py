"""Derive the float32 erf coefficients in ``kittygrad/ops/_erf32.py`` and report their accuracy.

    .venv/bin/python tools/fit_erf32.py

Two polynomials, each fitted in float64 against mpmath's erf (40 digits) by weighted least squares
on Chebyshev nodes, reweighted towards the minimax fit (Lawson's iteration):

- ``|x| < 2``: erf(x) = tanh(x + x * Q(x^2)), Q of degree 7 fitted to atanh(erf(x)) / x - 1
  (relative error). NumPy's float32 tanh is one vectorised pass, and through it one polynomial
  covers |x| < 2, where a plain one (x + x * Q) needs degree 6 to reach |x| = 1 only; writing the
  argument as x plus a correction keeps float32 rounding in the small correction.
- ``2 <= |x|``: erf(x) = 1 - exp(P(|x| - 3)), P of degree 6 fitted to log(erfc) on [2, 4]
  (absolute error, i.e. relative error of erfc). Above 4 erf is 1.0 in float32, so |x| is clamped
  there (P turns back up far beyond its interval; checked below).

Two more serve the exact GELU's normal CDF, erf(x / sqrt 2), without tanh (``_CDF32_CORE``, ``_CDF32_TAIL``):

- ``|x| < 2``: erf(x / sqrt 2) = x * C(x^2), C of degree 7 fitted to erf(x / sqrt 2) / x (relative error).
- ``2 <= |x|``: erf(x / sqrt 2) = 1 - exp(-x^2 / 2) * T(1 / |x|), T of degree 7 fitted to
  erfc(a / sqrt 2) * exp(a^2 / 2) on [2, 6] (relative error; erfc is below 0.046 there, so its
  absolute error is a small part of an ulp of erf).

The report evaluates the float32 formula (``ops._erf32.erf``) on a dense grid and prints its error in
float32 ulps against float64 erf.
"""
from __future__ import annotations

import mpmath
import numpy as np
from scipy.special import erf as erf64  # the float64 reference

from kittygrad.ops import _erf32 as E

mpmath.mp.dps = 40


def lawson_fit(f, lo: float, hi: float, degree: int, variable, relative: bool, nodes: int = 3000):
    """Polynomial coefficients (highest power first) of f on [lo, hi] in ``variable(x)``."""
    k = np.arange(nodes)
    x = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / nodes)
    y = np.array([float(f(mpmath.mpf(float(v)))) for v in x])
    design = np.vander(variable(x), degree + 1)
    scale = np.abs(y) if relative else np.ones(nodes)
    weights = np.ones(nodes)
    for _ in range(80):
        root = np.sqrt(weights) / scale
        coeffs, *_ = np.linalg.lstsq(design * root[:, None], y * root, rcond=None)
        err = np.abs(design @ coeffs - y) / scale
        weights = weights * err
        weights /= weights.sum()
    return coeffs, float(err.max())


def main() -> None:
    core, core_err = lawson_fit(lambda x: mpmath.atanh(mpmath.erf(x)) / x, 1e-8, 2.0, 7, lambda x: x * x,
                                relative=True)
    core[-1] -= 1.0  # atanh(erf(x))/x - 1: the correction Q
    tail, tail_err = lawson_fit(lambda x: mpmath.log(mpmath.erfc(x)), 2.0, 4.0, 6, lambda x: x - 3.0,
                                relative=False)
    print(f"_ERF32_CORE = {tuple(float(c) for c in core)}  # fit error {core_err:.2e} (relative)")
    print(f"_ERF32_TAIL = {tuple(float(c) for c in tail)}  # fit error {tail_err:.2e} (absolute)")
    root_half = mpmath.sqrt(mpmath.mpf(0.5))
    cdf_core, cdf_core_err = lawson_fit(lambda x: mpmath.erf(x * root_half) / x, 1e-8, 2.0, 7, lambda x: x * x,
                                        relative=True)
    cdf_tail, cdf_tail_err = lawson_fit(lambda a: mpmath.erfc(a * root_half) * mpmath.exp(a * a / 2), 2.0, 6.0, 7,
                                        lambda a: 1.0 / a, relative=True)
    print(f"_CDF32_CORE = {tuple(float(c) for c in cdf_core)}  # fit error {cdf_core_err:.2e} (relative)")
    print(f"_CDF32_TAIL = {tuple(float(c) for c in cdf_tail)}  # fit error {cdf_tail_err:.2e} (relative)")

    grid = np.concatenate([np.linspace(0, 6, 6_000_001, dtype=np.float32),
                           (10.0 ** np.linspace(-44, 0, 100_001)).astype(np.float32)])
    grid = np.concatenate([grid, -grid])
    exact = erf64(grid.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    err = np.abs(E.erf(grid).astype(np.float64) - exact) / ulp
    print(f"_erf32.erf float32: max {err.max():.2f} ulp at x={grid[err.argmax()]!r}, mean {err.mean():.3f}, "
          f"{(err > 1).mean():.2%} above 1 ulp")
    xs = np.concatenate([np.linspace(-9, 9, 1_800_001, dtype=np.float32), (10.0 ** np.linspace(-44, 1, 100_001)).astype(np.float32)])
    rounded = erf64((xs * np.float32(E._SQRT_HALF)).astype(np.float64))  # torch rounds x / sqrt(2) first
    ref = 0.5 * (1 + rounded)
    unit = np.spacing(np.maximum(np.abs(rounded), ref).astype(np.float32)).astype(np.float64)
    cdf_err = np.abs(E.gelu_parts(xs)[0].astype(np.float64) - ref) / unit
    print(f"_erf32.gelu_parts CDF against torch's formula with an exact erf: max {cdf_err.max():.2f} units "
          f"(ulps of erf or of the CDF, the larger) at x={xs[cdf_err.argmax()]!r}, mean {cdf_err.mean():.3f}")
    far = np.float32(10.0) ** np.linspace(0.6, 38.5, 200_001).astype(np.float32)
    print("erf(x) == 1 for every sampled x in [4, 3.4e38]:", bool((E.erf(far[far >= 4]) == 1).all()))


if __name__ == "__main__":
    main()
