"""The float32 samplers' direct routes against the formulas they stand for, bit for bit.

``Generator.normal`` in float32 takes the angle's cosine and sine from a table and Taylor series
(``_cos_sin_f32``) instead of NumPy's float64 ``cos``/``sin``, and scales without the emulated
fused multiply-add where the mean is zero; ``Generator.uniform`` in float32 multiplies in float32
where the low end is zero. Each must give the bits of the general formula: the values torch's
generator is compared with in tests/test_torch_rng.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from kittygrad import backend_random as R
from kittygrad.backend import _fma32

F32, F64 = np.float32, np.float64


def bits(a):
    return a.view(np.uint16 if a.dtype == np.float16 else np.uint32 if a.dtype == F32 else np.uint64)


def test_cos_sin_over_every_angle_a_float32_uniform_gives():
    """Every one of the 2**24 angles: the rounded float64 cosine and sine. NumPy's own float64
    functions may round their last bit differently on another build, which reaches a float32 value
    about once in 10**8: up to 16 values one float32 ulp apart are let through, none further."""
    differing = 0
    for start in range(0, 1 << 24, 1 << 20):
        u = np.arange(start, start + (1 << 20)).astype(F32) * F32(2.0**-24)
        theta = F32(R._TWO_PI) * u
        cos, sin = R._cos_sin_f32(theta)
        wide = theta.astype(F64)
        for got, want in ((cos, np.cos(wide).astype(F32)), (sin, np.sin(wide).astype(F32))):
            apart = np.abs(bits(got).astype(np.int64) - bits(want).astype(np.int64))
            assert apart.max() <= 1, theta[apart.argmax()]
            differing += int(np.count_nonzero(apart))
    assert differing <= 16


@pytest.mark.parametrize("n", [1, 8, 512, 513])
def test_few_angles_take_numpy_s_functions_with_the_table_s_values(n, monkeypatch):
    """Up to ``_SMALL_ANGLES`` angles, cos and sin are NumPy's float64 functions rounded: the values
    the table gives them (up to the last-bit allowance of the test above)."""
    theta = F32(R._TWO_PI) * np.random.default_rng(n).random(n).astype(F32)
    small = R._cos_sin_f32(theta)
    monkeypatch.setattr(R, "_SMALL_ANGLES", -1)
    table = R._cos_sin_f32(theta)
    for got, want in zip(small, table):
        assert np.abs(bits(got).astype(np.int64) - bits(want).astype(np.int64)).max() <= 1


def _reference_blocks(units):
    """Box-Muller on rows of 16 float32 uniforms (given as float64) with NumPy's float64 cos/sin."""
    rows = units.reshape(-1, 16)
    one_minus = (1.0 - rows[:, :8]).astype(F32)
    radius = np.sqrt(F32(-2.0) * np.log(one_minus.astype(F64)).astype(F32))
    theta = (F32(R._TWO_PI) * rows[:, 8:].astype(F32)).astype(F64)
    return np.concatenate((radius * np.cos(theta).astype(F32), radius * np.sin(theta).astype(F32)), axis=1).reshape(-1)


def _reference_normal(gen, n, mean, std, dtype):
    z = np.empty(n, F32)
    whole = n - n % 16
    z[:whole] = _reference_blocks(gen._units(n, F32)[:whole])
    if whole < n:
        z[n - 16 :] = _reference_blocks(gen._units(16, F32))
    return _fma32(z, float(F32(std)), float(F32(mean))).astype(dtype)


def _same_as_reference(seed, draw, reference):
    """``draw(generator)`` against ``reference(generator)``, from two generators seeded alike: the
    same dtype and bits, and the generators left at the same place."""
    got_gen, want_gen = R.Generator().manual_seed(seed), R.Generator().manual_seed(seed)
    with np.errstate(all="ignore"):
        got, want = draw(got_gen), reference(want_gen)
    assert got.dtype == want.dtype
    assert np.array_equal(bits(got), bits(want))
    assert np.array_equal(got_gen._bits.state["state"]["key"], want_gen._bits.state["state"]["key"])


MEAN_STD = [(0.0, 1.0), (-0.0, 1.0), (0.0, 2.5), (-0.0, 0.1), (1.5, 0.3), (0.0, 0.0), (0.0, float("inf"))]


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("n", [16, 17, 31, 48, 1000, 1001, 4101, 200_003])  # (the last in blocks of rows)
@pytest.mark.parametrize("mean,std", MEAN_STD)
@pytest.mark.parametrize("dtype", [F32, np.float16])
def test_float32_normals_are_the_float64_formulas_bits(seed, n, mean, std, dtype):
    _same_as_reference(seed, lambda gen: gen.normal(mean, std, (n,), dtype),
                       lambda gen: _reference_normal(gen, n, mean, std, dtype))


@pytest.mark.parametrize("mean", [0.0, -0.0, 0.25])
def test_zero_radius_and_the_ends_of_the_unit_interval(mean, monkeypatch):
    """u = 0 gives a radius of -0 (sqrt(-2 log 1)), whose normal takes the mean's zero's sign as a
    fused multiply-add does; u just below 1 gives the largest radius and angle."""
    units = np.zeros(32, F64)
    units[1:16:3] = 1 - 2.0**-24
    units[16:] = np.linspace(0, 1 - 2.0**-24, 16).astype(F32)
    gen = R.Generator().manual_seed(0)
    monkeypatch.setattr(gen, "_units32", lambda n: units[:n].astype(F32))
    monkeypatch.setattr(gen, "_units", lambda n, dtype: units[:n])
    got = gen.normal(mean, 1.0, (32,), F32)
    want = _fma32(_reference_blocks(units), 1.0, mean).astype(F32)
    assert np.array_equal(bits(got), bits(want))
    assert np.signbit(got[0]) == (np.signbit(mean) and mean == 0)  # (-0 only where the mean is -0)


LOW_HIGH = [(0.0, 1.0), (-0.0, 1.0), (0.0, 3.0), (0.0, -2.0), (0.0, 1e-30), (0.0, 3e38), (0.0, 0.1), (-0.0, -0.0),
            (0.0, 65504.0), (0.0, 1.0 - 2.0**-24), (-1.0, 1.0)]


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("n", [0, 1, 17, 1000, 200_003])  # (the last in blocks)
@pytest.mark.parametrize("low,high", LOW_HIGH)
@pytest.mark.parametrize("dtype", [F32, np.float16])
def test_float32_uniforms_are_the_fused_formulas_bits(seed, n, low, high, dtype):
    def reference(gen):
        lo = F32(low)
        want = _fma32(gen._units(n, F32), float(F32(F32(high) - lo)), float(lo)).astype(dtype)
        return np.where(want == dtype(high), dtype(low), want)

    _same_as_reference(seed, lambda gen: gen.uniform(low, high, (n,), dtype), reference)


@pytest.mark.parametrize("low,high", [(0.0, -2.0), (-0.0, -2.0), (0.0, 1.0), (-0.0, 1.0), (0.0, 3.0)])
def test_uniform_of_a_zero_unit_takes_the_fused_sums_sign(low, high, monkeypatch):
    """u = 0 times a negative span is -0; the fused multiply-add's sum with the low end's zero is
    +0 unless that zero is -0 too."""
    units = np.array([0.0, 2.0**-24, 0.5, 1 - 2.0**-24])
    gen = R.Generator().manual_seed(0)
    monkeypatch.setattr(gen, "_units32", lambda n: units[:n].astype(F32))
    monkeypatch.setattr(gen, "_units", lambda n, dtype: units[:n])
    got = gen.uniform(low, high, (4,), F32)
    want = _fma32(units, float(F32(F32(high) - F32(low))), float(F32(low))).astype(F32)
    want = np.where(want == F32(high), F32(low), want)
    assert np.array_equal(bits(got), bits(want))
