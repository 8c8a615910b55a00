"""Accuracy of the erf family against exact values and torch: float64 erf/erfc/erfinv, the float32
erf from two polynomials (``ops._erf32``) within three ulps, and the exact GELU's normal CDF from two
polynomials of its own, chunk by chunk with the same bits whatever the chunk."""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import erf as erf64

import kittygrad as kitty
from kittygrad.ops import _erf32 as E

INF, NAN = float("inf"), float("nan")



def test_erf_is_float64_accurate():
    xs = np.concatenate([np.linspace(-7, 7, 2801), [0.0, 1e-300, -1e-10, 2.5, -2.5, 2.5000001]])
    got = kitty.erf(kitty.tensor(xs, dtype=kitty.float64)).numpy()
    ref = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(got, ref, rtol=4e-15, atol=1e-300)
    gotc = kitty.erfc(kitty.tensor(xs, dtype=kitty.float64)).numpy()
    refc = np.array([math.erfc(v) for v in xs])
    np.testing.assert_allclose(gotc, refc, rtol=1e-14, atol=1e-300)
    assert kitty.erf(kitty.tensor([INF, -INF, NAN])).numpy().tolist()[:2] == [1.0, -1.0]


def test_float32_erf_within_three_ulps_of_exact():
    """float32 erf comes from two polynomials (ops._erf32._erf_float32), not SciPy's scalar loop."""
    grid = np.concatenate([np.linspace(0, 6, 600_001, dtype=np.float32),
                           (10.0 ** np.linspace(-44, 0, 20_001)).astype(np.float32),
                           np.float32([0.99999994, 1.0, 1.0000001, 3.92, 4.0, 4.0000005, 1e10, 3e38])])
    grid = np.concatenate([grid, -grid])
    exact = np.array([math.erf(v) for v in grid.astype(np.float64)])
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    got = E.erf(grid)
    assert got.dtype == np.float32
    assert (np.abs(got.astype(np.float64) - exact) / ulp).max() <= 3
    assert (np.signbit(got) == np.signbit(grid)).all()  # odd, -0.0 included (the core's tanh gives the sign)
    special = E.erf(np.float32([INF, -INF, NAN, 0.0, -0.0]))
    assert special[:2].tolist() == [1.0, -1.0] and np.isnan(special[2])
    assert np.signbit(special[3:]).tolist() == [False, True]
    assert E.erf(np.array(0.5, np.float32)).shape == () and E.erf(np.arange(3)).dtype == np.float64
    small = np.linspace(-5, 5, 1001, dtype=np.float32)  # few elements: SciPy's float64 erf, rounded once
    np.testing.assert_array_equal(E.erf(small), np.float32([math.erf(v) for v in small.astype(np.float64)]))
    half = E.erf(np.float16([0.5, -2.0, 3.0]))
    assert half.dtype == np.float16 and half.tolist() == np.float16([math.erf(0.5), math.erf(-2.0), math.erf(3.0)]).tolist()
    strided = np.linspace(-3, 3, 40, dtype=np.float32).reshape(4, 10)[:, ::3]
    np.testing.assert_array_equal(E.erf(strided), E.erf(strided.copy()))
    t = torch.erf(torch.from_numpy(grid)).numpy()
    assert (np.abs(got.astype(np.float64) - t) / ulp).max() <= 3  # and within as much of torch's
    # mostly |x| < 2 (a GELU's inputs), in one chunk: the tail polynomial runs on the others alone
    # (in the grid above, the chunks beyond 2 took the other way), the same bits; and an array of
    # many chunks, each its own way, gives each element what it gives alone
    near = np.concatenate([np.linspace(-1.9, 1.9, 40_001, dtype=np.float32), grid[::60]])
    assert near.size <= E._ERF32_CHUNK and 10 * np.count_nonzero(~(np.abs(near) < 2)) < 3 * near.size
    np.testing.assert_array_equal(E.erf(near)[40_001:], got[::60])
    mixed = np.concatenate([near, grid, near])
    assert mixed.size > 3 * E._ERF32_CHUNK
    np.testing.assert_array_equal(E.erf(mixed), np.concatenate([E.erf(near), got, E.erf(near)]))


def test_exact_gelu_float32_cdf_folds_the_scaling_and_keeps_each_elements_bits():
    """ops._erf32.gelu_parts: the normal CDF with 1 / sqrt(2) folded into the core polynomial, and x times
    it, chunk by chunk; within 2.5 ulps of torch's formula with an exact erf, whatever the chunk."""
    xs = np.concatenate([np.linspace(-9, 9, 600_001, dtype=np.float32),
                         (10.0 ** np.linspace(-44, 1, 20_001)).astype(np.float32)])
    xs = np.concatenate([xs, -xs[600_001:], np.float32([INF, -INF, NAN, 0.0, -0.0, 1e30, -1e30, 2.8284271])])
    cdf, out = E.gelu_parts(xs)
    assert cdf.dtype == out.dtype == np.float32
    with np.errstate(invalid="ignore"):  # (-inf * 0)
        np.testing.assert_array_equal(out, xs * cdf)  # the product is the float32 one
    finite = np.isfinite(xs)
    erf_s = erf64((xs * np.float32(E._SQRT_HALF)).astype(np.float64))  # torch rounds x / sqrt(2) first
    ref = 0.5 * (1 + erf_s)
    # in ulps of the erf or of the CDF, the larger: 1 + erf cancels in float32, for torch as for us
    unit = np.spacing(np.maximum(np.abs(erf_s), ref).astype(np.float32)).astype(np.float64)
    assert (np.abs(cdf[finite] - ref[finite]) / unit[finite]).max() <= 2.5
    assert cdf[-8:-5].tolist()[:2] == [1.0, 0.0] and np.isnan(cdf[-6])
    assert cdf[-5:-3].tolist() == [0.5, 0.5] and np.signbit(out[-4]) and not np.signbit(out[-5])
    # (torch's own float32 erf is a few ulps off near x = -3.4, where 1 + erf cancels: atol 2e-6)
    np.testing.assert_allclose(out[finite], torch.nn.functional.gelu(torch.from_numpy(xs[finite])).numpy(),
                               rtol=1e-6, atol=2e-6)
    # a chunk mostly in the tail (its gathered elements most of the chunk): each element the same bits
    near = np.random.default_rng(0).standard_normal(E._ERF32_CHUNK).astype(np.float32)
    far = np.where(np.arange(near.size) % 2 == 0, near, near * 8).astype(np.float32)
    assert 10 * np.count_nonzero(far * far >= 8) >= 3 * far.size > 10 * np.count_nonzero(near * near >= 8)
    np.testing.assert_array_equal(E.gelu_parts(far)[0][::2], E.gelu_parts(near)[0][::2])
    np.testing.assert_array_equal(E.gelu_parts(np.concatenate([near, far]))[0], np.concatenate(
        [E.gelu_parts(near)[0], E.gelu_parts(far)[0]]))
    # few elements, or float64: the CDF from SciPy's erf, as before
    small = np.linspace(-3, 3, 101, dtype=np.float32)
    np.testing.assert_array_equal(E.gelu_parts(small)[0], (np.float32(1) + E.erf(small * np.float32(E._SQRT_HALF))) * np.float32(0.5))
    # slope=True: GELU's derivative in the CDF's place, made in the same sweep by the steps a pass of
    # its own would take (backward's product then has the bits it had), and the same x * CDF
    for arr in (xs, small):
        cdf, out = E.gelu_parts(arr)
        slope, same_out = E.gelu_parts(arr, slope=True)
        with np.errstate(all="ignore"):
            density = arr * arr
            density *= -0.5
            np.exp(density, out=density)
            density *= arr
            density *= 1 / math.sqrt(2 * math.pi)
        np.testing.assert_array_equal(same_out, out)
        np.testing.assert_array_equal(slope, density + cdf)


def test_erfinv_inverts_erf():
    ys = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), [1 - 1e-12, -1 + 1e-15, 0.0]])
    x = kitty.erfinv(kitty.tensor(ys, dtype=kitty.float64)).numpy()
    np.testing.assert_allclose([math.erf(v) for v in x], ys, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(x, torch.erfinv(torch.tensor(ys)).numpy(), rtol=1e-12, atol=1e-14)
    assert kitty.erfinv(kitty.tensor([1.0, -1.0, 1.5])).tolist()[:2] == [INF, -INF]


def test_erf_float32_matches_torch():
    xs = np.linspace(-5, 5, 1001, dtype=np.float32)
    k = kitty.erf(kitty.tensor(xs))
    assert k.dtype is kitty.float32
    np.testing.assert_allclose(k.numpy(), torch.erf(torch.tensor(xs)).numpy(), atol=2e-7)


def test_gelu_cdf_core_is_products_and_sums_alone():
    """For |x| < 2 the GELU's CDF is only float32 products and sums (no tanh, no exp), so every CPU
    and every SIMD width gives the same bits (NumPy's transcendental loops differ between AVX2 and
    its baseline); this recomputes it by hand, by the same Horner steps."""
    x = np.random.default_rng(2).uniform(-2, 2, 50_000).astype(np.float32)
    x = x[np.abs(x) < 2]
    v = x * x
    erf_half = v * np.float32(E._CDF32_CORE[0])
    for c in E._CDF32_CORE[1:-1]:
        erf_half += np.float32(c)
        erf_half *= v
    erf_half += np.float32(E._CDF32_CORE[-1])
    erf_half *= x
    expected = (erf_half + np.float32(1.0)) * np.float32(0.5)
    cdf, out = E.gelu_parts(x)
    np.testing.assert_array_equal(cdf, expected)
    np.testing.assert_array_equal(out, x * expected)
