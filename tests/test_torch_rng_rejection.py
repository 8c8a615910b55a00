"""Same seed, same numbers for torch's rejection samplers: gamma (and the distributions built on
it: Beta, Dirichlet, Chi2, StudentT, FisherSnedecor, NegativeBinomial, LKJCholesky), binomial and
von Mises.

torch draws these element after element from float64 uniforms and normals of its generator, a
varying number per sample; kittygrad's :mod:`kittygrad.ops._scalar_samplers` draws the same ones in
the same order. Each test also checks that both generators end at the same place, so a sampler
that drew one number more or fewer than torch's fails even where the values happen to agree.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.ops import _scalar_samplers as scalar_samplers
from test_torch_rng import DTYPES, SEEDS, assert_same, assert_same_stream, seed_both

#: concentrations on every branch: zero, below one (the boosted draw), near one, large
ALPHAS = [[0.0, 1e-3, 0.3, 0.999, 1.0, 1.5], [2.0, 7.25, 40.0, 1000.0, 0.05, 3.0]] * 6


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("tdt,kdt", DTYPES)
def test_gamma_samples_are_torchs(seed, tdt, kdt):
    seed_both(seed)
    rate = [[1.0, 2.0, 0.5, 1.0, 3.0, 1.0]] * 12
    # (validate_args=False: a concentration of 0 is outside the support; its sample is the floor)
    t = torch.distributions.Gamma(torch.tensor(ALPHAS, dtype=tdt), torch.tensor(rate, dtype=tdt), validate_args=False).sample((2,))
    k = kitty.distributions.Gamma(kitty.tensor(ALPHAS, dtype=kdt), kitty.tensor(rate, dtype=kdt), validate_args=False).sample((2,))
    assert_same(t, k)
    assert_same_stream()
    # reparameterised: the same draws, and torch's clamp at the smallest normal number
    alpha = [1e-30, 1e-6, 2.0]
    assert_same(torch.distributions.Gamma(torch.tensor(alpha, dtype=tdt), 1.0).rsample(),
                kitty.distributions.Gamma(kitty.tensor(alpha, dtype=kdt), 1.0).rsample())
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("tdt,kdt", DTYPES)
def test_dirichlet_and_beta_samples_are_torchs(seed, tdt, kdt):
    seed_both(seed)
    conc = [[0.1, 1.0, 5.0], [2.0, 2.0, 2.0], [0.01, 0.02, 0.5]]
    assert_same(torch.distributions.Dirichlet(torch.tensor(conc, dtype=tdt)).sample((3,)),
                kitty.distributions.Dirichlet(kitty.tensor(conc, dtype=kdt)).sample((3,)))
    assert_same(torch.distributions.Beta(torch.tensor([0.5, 2.0], dtype=tdt), torch.tensor([3.0, 0.2], dtype=tdt)).rsample((4,)),
                kitty.distributions.Beta(kitty.tensor([0.5, 2.0], dtype=kdt), kitty.tensor([3.0, 0.2], dtype=kdt)).rsample((4,)))
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
def test_distributions_built_on_gamma_are_torchs(seed):
    seed_both(seed)
    for make in (lambda M: M.Chi2(3.0),
                 lambda M: M.StudentT(4.0, 1.0, 2.0),
                 lambda M: M.FisherSnedecor(2.0, 5.0),
                 lambda M: M.NegativeBinomial(5.0, probs=0.4),
                 lambda M: M.VonMises(0.5, 2.0),
                 lambda M: M.VonMises(-1.0, 0.05)):
        assert_same(make(torch.distributions).sample((7,)), make(kitty.distributions).sample((7,)))
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("tdt,kdt", DTYPES)
def test_lkj_cholesky_draws_follow_torchs_stream(seed, tdt, kdt):
    """torch draws a Beta value for row 0 too and discards it: the same draws, in 2 dimensions the
    same factors; in 3 the rows torch's onion parameters share with the textbook ones (0 and 1)."""
    seed_both(seed)
    conc = [0.5, 2.0]
    assert_same(torch.distributions.LKJCholesky(2, torch.tensor(conc, dtype=tdt)).sample((3,)),
                kitty.distributions.LKJCholesky(2, kitty.tensor(conc, dtype=kdt)).sample((3,)), exact=False, rtol=1e-6, atol=1e-6)
    assert_same_stream()
    t = torch.distributions.LKJCholesky(3, torch.tensor(1.5, dtype=tdt)).sample((4,))
    k = kitty.distributions.LKJCholesky(3, kitty.tensor(1.5, dtype=kdt)).sample((4,))
    assert_same(t[:, :2], k[:, :2], exact=False, rtol=1e-6, atol=1e-6)
    assert_same_stream()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("tdt,kdt", DTYPES)
def test_binomial_samples_are_torchs(seed, tdt, kdt):
    """Both of torch's branches (inversion below a mean of 10, BTRS from 10 up), each for p on
    both sides of 0.5, and the edges (no trials, p of 0 and 1)."""
    seed_both(seed)
    count = [[0.0, 10.0, 10.0, 50.0, 1000.0, 30.0, 5.0, 200.0]] * 8
    prob = [[0.5, 0.3, 0.9, 0.5, 0.02, 0.97, 1.0, 0.0]] * 8
    assert_same(torch.binomial(torch.tensor(count, dtype=tdt), torch.tensor(prob, dtype=tdt)),
                kitty.binomial(kitty.tensor(count, dtype=kdt), kitty.tensor(prob, dtype=kdt)))
    assert_same(torch.distributions.Binomial(torch.tensor(40.0, dtype=tdt), probs=torch.tensor([0.1, 0.6], dtype=tdt)).sample((5,)),
                kitty.distributions.Binomial(kitty.tensor(40.0, dtype=kdt), probs=kitty.tensor([0.1, 0.6], dtype=kdt)).sample((5,)))
    assert_same_stream()
    g_t, g_k = torch.Generator().manual_seed(seed + 1), kitty.Generator().manual_seed(seed + 1)
    assert_same(torch.binomial(torch.tensor(count, dtype=tdt).t(), torch.tensor(prob, dtype=tdt).t(), g_t),
                kitty.binomial(kitty.tensor(count, dtype=kdt).t(), kitty.tensor(prob, dtype=kdt).t(), g_k))
    assert_same_stream(g_t, g_k)


def test_beyond_the_torch_stream_numpys_samplers_are_repeatable_and_right():
    """Above 4096 elements the Python loops would take seconds: NumPy's samplers, seeded by one
    64-bit draw of the generator, repeatable under a seed, with the right means and floors."""
    n = scalar_samplers.TORCH_STREAM_MAX + 1
    for draw, mean in ((lambda: kitty.distributions.Gamma(kitty.full((n,), 2.0), 1.0).sample(), 2.0),
                       (lambda: kitty.binomial(kitty.full((n,), 20.0), kitty.full((n,), 0.25)), 5.0),
                       (lambda: kitty.distributions.Dirichlet(kitty.ones(n // 4 + 1, 4)).sample()[:, 0], 0.25)):
        kitty.manual_seed(5)
        a = draw()
        kitty.manual_seed(5)
        assert (draw() == a).all() and abs(a.mean().item() - mean) < 0.05 * mean
    tiny = kitty.distributions.Gamma(kitty.full((n,), 1e-4), 1.0).sample()
    assert tiny.min().item() >= np.finfo(np.float32).tiny


@pytest.mark.parametrize("count", [1, 15, 8192, 9000])
def test_normals_drawn_one_at_a_time_are_c_librarys_box_muller(count):
    """Per-element normals (fewer than 16, a strided tensor, the rejection samplers' draws) are
    torch's scalar Box-Muller with C's log1p, cos and sin, on every CPU: NumPy's SIMD log1p
    differed from C's in 7% of draws on an AVX-512 machine, and the gamma sampler then went
    another way. Beyond 4096 pairs NumPy's loops serve (within an ulp of C's)."""
    g = kitty.Generator().manual_seed(3)
    state = g.get_state()
    z = g.normal(0.0, 1.0, (count,), np.float64, contiguous=False)
    g.set_state(state)
    u = g.random((2 * ((count + 1) // 2),)).reshape(-1, 2).tolist()
    expected = []
    for u1, u2 in u:
        radius, theta = math.sqrt(-2.0 * math.log1p(-u2)), 2.0 * math.pi * u1
        expected += [radius * math.cos(theta), radius * math.sin(theta)]
    expected = np.array(expected[:count])
    if count <= 8192:  # (4096 pairs: torch's values on every CPU)
        np.testing.assert_array_equal(z, expected)
    else:
        np.testing.assert_allclose(z, expected, rtol=1e-15, atol=1e-15)
