"""torch.quasirandom.SobolEngine: torch's points, scrambled or not (the scrambling drawn from torch's
stream), and torch's API and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty


@pytest.mark.parametrize("dimension", [1, 3, 10, 200])
@pytest.mark.filterwarnings("error")
def test_unscrambled_points_are_torch_s(dimension):
    theirs, ours = torch.quasirandom.SobolEngine(dimension), kitty.quasirandom.SobolEngine(dimension)
    np.testing.assert_array_equal(ours.draw(5).numpy(), theirs.draw(5).numpy())
    theirs.fast_forward(11)
    ours.fast_forward(11)
    np.testing.assert_array_equal(ours.draw_base2(4).numpy(), theirs.draw_base2(4).numpy())
    assert ours.num_generated == theirs.num_generated == 32
    np.testing.assert_array_equal(ours.draw(3, dtype=kitty.float64).numpy(),
                                  theirs.draw(3, dtype=torch.float64).numpy())


@pytest.mark.parametrize("dimension,seed", [(1, 0), (3, 7), (12, None)])
def test_scrambled_points_are_torch_s_and_so_is_the_stream_after(dimension, seed):
    torch.manual_seed(5)
    kitty.manual_seed(5)
    theirs = torch.quasirandom.SobolEngine(dimension, scramble=True, seed=seed)
    ours = kitty.quasirandom.SobolEngine(dimension, scramble=True, seed=seed)
    np.testing.assert_array_equal(ours.draw(5).numpy(), theirs.draw(5).numpy())
    theirs.fast_forward(11)
    ours.fast_forward(11)
    np.testing.assert_array_equal(ours.draw_base2(4, dtype=kitty.float64).numpy(),
                                  theirs.draw_base2(4, dtype=torch.float64).numpy())
    np.testing.assert_array_equal(ours.reset().draw(3).numpy(), theirs.reset().draw(3).numpy())
    # without a seed the scrambling comes from the default generator, which then moves on as torch's
    np.testing.assert_array_equal(kitty.rand(3).numpy(), torch.rand(3).numpy())


def test_scrambled_points_are_reproducible_balanced_and_in_the_cube():
    first = kitty.quasirandom.SobolEngine(4, scramble=True, seed=7).draw_base2(6)
    again = kitty.quasirandom.SobolEngine(4, scramble=True, seed=7).draw_base2(6)
    assert kitty.equal(first, again) and first.dtype == kitty.float32
    values = first.numpy()
    assert values.min() >= 0 and values.max() < 1
    # a (t, m, s)-net: every half of every axis holds half the points
    assert ((values < 0.5).sum(0) == 32).all()


def test_reset_repr_out_and_errors():
    engine = kitty.quasirandom.SobolEngine(2, scramble=True, seed=3)
    assert repr(engine) == repr(torch.quasirandom.SobolEngine(2, scramble=True, seed=3))
    a = engine.draw(3)
    assert kitty.equal(engine.reset().draw(3), a)
    out = kitty.empty(2, 2)
    assert kitty.quasirandom.SobolEngine(2).draw(2, out=out) is out
    for lib in (torch, kitty):
        with pytest.raises(ValueError, match=r"Supported range of dimensionality for SobolEngine is \[1, 21201\]"):
            lib.quasirandom.SobolEngine(0)
        used = lib.quasirandom.SobolEngine(2)
        used.draw(3)
        with pytest.raises(ValueError, match="require n to be a power of 2"):
            used.draw_base2(2)
