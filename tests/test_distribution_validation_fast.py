"""Validation's shortcut: ``Constraint._holds_everywhere`` reads a float tensor's values directly.

Distributions validate their parameters and ``log_prob``'s values with it first and ask ``check``
(ops on tensors, which also builds the error) only when it does not say yes. So it must never say
yes where ``check`` finds an invalid element: each test below runs both on the same values.
"""
import math

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.distributions import constraints as C

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, -1.5, 1e-30, math.inf, -math.inf, math.nan]

ELEMENTWISE = [
    C.real, C.positive, C.nonnegative, C.unit_interval, C.greater_than(-1.5), C.greater_than_eq(2),
    C.less_than(0.5), C.interval(-2.0, 3.0), C.half_open_interval(0.0, 1.0), C.independent(C.positive, 1),
    C.real_vector, C.independent(C.unit_interval, 2),
]
MATRIX = [C.lower_triangular, C.lower_cholesky, C.symmetric, C.positive_definite, C.positive_semidefinite]


def _elementwise_values(rng, dtype):
    """Random draws, the special values, and edge mixtures, in a few shapes."""
    out = []
    for shape in [(), (5,), (3, 4), (2, 3, 4), (0, 3)]:
        out.append(rng.standard_normal(shape))
        out.append(np.abs(rng.standard_normal(shape)) + 0.1)
        out.append(rng.uniform(0.0, 1.0, shape))
        if shape and math.prod(shape):
            for special in SPECIAL:
                v = rng.uniform(0.01, 0.4, shape)
                v.reshape(-1)[rng.integers(v.size)] = special
                out.append(v)
    for special in SPECIAL:
        out.append(np.full((2, 2), special))
    return [v.astype(dtype) for v in out]


def _matrices(rng, dtype):
    out = []
    for batch in [(), (3,), (2, 2)]:
        a = rng.standard_normal(batch + (3, 3))
        lower = np.tril(a)
        out.append(lower)
        diag_positive = lower.copy()
        idx = np.arange(3)
        diag_positive[..., idx, idx] = np.abs(diag_positive[..., idx, idx]) + 0.5
        out.append(diag_positive)
        spd = diag_positive @ np.swapaxes(diag_positive, -1, -2)
        out.append(spd)
        nearly = spd.copy()
        nearly[..., 0, 1] += 1e-3  # not symmetric
        out.append(nearly)
        out.append(a)
        psd = np.zeros(batch + (3, 3))
        psd[..., 0, 0] = 1.0
        out.append(psd)  # semidefinite, not definite
        with_nan = diag_positive.copy()
        with_nan[..., 2, 0] = math.nan
        out.append(with_nan)
        flat_diag = lower.copy()
        flat_diag[..., 1, 1] = 0.0
        out.append(flat_diag)
        upper_bit = diag_positive.copy()
        upper_bit[..., 0, 2] = 1e-30
        out.append(upper_bit)
    out.append(rng.standard_normal((2, 3)))  # not square
    out.append(np.zeros((0, 3, 3)))
    return [v.astype(dtype) for v in out]


def _agree(constraint, t) -> bool:
    """Run both on ``t``: the shortcut says yes exactly where check is true everywhere, and
    steps aside (no) on empty values and where check raises (too few dims)."""
    got = constraint._holds_everywhere(t)
    try:
        expected = bool(constraint.check(t).all())
    except (ValueError, RuntimeError):
        assert got is False, (constraint, t)
        return False
    if t.numel() == 0:
        assert got is False  # (empty values are left to check)
    else:
        assert got == expected, (constraint, t)
    return got


@pytest.mark.parametrize("kind, dtype", [
    ("elementwise", np.float32), ("elementwise", np.float64), ("elementwise", np.float16),
    ("matrix", np.float32), ("matrix", np.float64),
])
def test_shortcut_agrees_with_check(kind, dtype):
    constraints_, values, at_least = {
        "elementwise": (ELEMENTWISE, _elementwise_values, 50), "matrix": (MATRIX, _matrices, 10),
    }[kind]
    rng = np.random.default_rng(0)
    said_yes = 0
    for constraint in constraints_:
        for v in values(rng, dtype):
            said_yes += _agree(constraint, kitty.tensor(v))
    assert said_yes > at_least  # the shortcut is taken, not only refused


def test_shortcut_steps_aside_where_it_cannot_decide_alone():
    assert C.nonnegative._holds_everywhere(kitty.tensor([1, 2]))  is False  # integers: check decides
    assert C.real._holds_everywhere(kitty.tensor([1.0, 2.0], dtype=kitty.bfloat16)) is False
    assert C.real._holds_everywhere(3.0) is False  # a number
    bound = C.greater_than(kitty.tensor([0.0, 1.0]))  # a tensor bound (a support's)
    assert bound._holds_everywhere(kitty.tensor([2.0, 2.0])) is False
    assert bool(bound.check(kitty.tensor([2.0, 2.0])).all())

    class Stricter(type(C.positive)):
        def check(self, value):
            return value > 10

    assert Stricter(0.0)._holds_everywhere(kitty.tensor([1.0])) is False
    with pytest.raises(ValueError, match="Expected value.dim"):
        C.real_vector.check(kitty.tensor(1.0))
    assert C.real_vector._holds_everywhere(kitty.tensor(1.0)) is False


def _error(make):
    try:
        make()
    except ValueError as e:
        # (kittygrad's errors subclass torch's types; its reprs name kittygrad.Size)
        return str(e).replace("kittygrad.", "torch.")
    return None


@pytest.mark.parametrize("build", [
    lambda m: m.distributions.Normal(m.tensor([0.0, math.nan]), m.tensor([1.0, 1.0])),
    lambda m: m.distributions.Normal(m.tensor([0.0, 1.0]), m.tensor([1.0, 0.0])),
    lambda m: m.distributions.Beta(m.tensor([0.5]), m.tensor([-1.0])),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), scale_tril=m.tensor([[1.0, 0.5], [0.0, 1.0]])),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), scale_tril=m.tensor([[1.0, 0.0], [0.5, -1.0]])),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), covariance_matrix=m.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), covariance_matrix=m.tensor([[1.0, 0.1], [0.0, 1.0]])),
    lambda m: m.distributions.Normal(0.0, 1.0).log_prob(m.tensor([math.nan])),
    lambda m: m.distributions.Exponential(m.tensor([1.0])).log_prob(m.tensor([-0.5])),
    lambda m: m.distributions.MultivariateNormal(m.zeros(2), m.eye(2)).log_prob(m.tensor([0.0, math.nan])),
    lambda m: m.distributions.Uniform(m.tensor([0.0]), m.tensor([1.0])).log_prob(m.tensor([1.5])),
])
def test_invalid_arguments_still_raise_torchs_error(build):
    expected = _error(lambda: build(torch))
    assert expected is not None
    assert _error(lambda: build(kitty)) == expected


def test_valid_distributions_pass_and_agree_with_torch():
    for m in (torch, kitty):
        m.manual_seed(0)
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 3, 3))
    cov = a @ np.swapaxes(a, -1, -2) + 0.1 * np.eye(3)
    loc, value = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    results = []
    for m in (torch, kitty):
        d = m.distributions.MultivariateNormal(m.tensor(loc), covariance_matrix=m.tensor(cov))
        e = m.distributions.MultivariateNormal(m.tensor(loc), scale_tril=m.linalg.cholesky(m.tensor(cov)))
        results.append((d.log_prob(m.tensor(value)).numpy(), e.log_prob(m.tensor(value)).numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5)
