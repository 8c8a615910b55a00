"""The reduce names scatter, scatter_ and scatter_reduce(_) take or refuse, as torch: scatter_reduce's
forward also takes 'max' and 'min' (as 'amax' and 'amin') but its backward refuses them."""
from __future__ import annotations

import warnings

import pytest
import torch

import kittygrad as kitty
from torch_errors import raised_as_torch  # (tests/ is on sys.path under pytest)

CALLS = {
    "scatter_reduce": lambda m, r: m.zeros(3).scatter_reduce(0, m.tensor([0, 0]), m.tensor([1., 3.]), r),
    "scatter_reduce_": lambda m, r: m.zeros(3).scatter_reduce_(0, m.tensor([0, 0]), m.tensor([-1., -3.]), r),
    "torch.scatter_reduce, ints, not self": lambda m, r: m.scatter_reduce(
        m.zeros(3, dtype=m.long), 0, m.tensor([0, 0]), m.tensor([-4, -2]), reduce=r, include_self=False),
    "scatter": lambda m, r: m.zeros(3).scatter(0, m.tensor([0]), m.ones(1), reduce=r),
    "scatter_ a number": lambda m, r: m.zeros(3).scatter_(0, m.tensor([0]), 2., reduce=r),
}


@pytest.mark.parametrize("reduce", ["max", "min", "amax", "add", "multiply", "sum", "foo"])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_reduce_names_are_taken_or_refused_like_torch(call, reduce):
    f = CALLS[call]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (scatter's reduce= deprecation, once a process)
        try:
            expected = f(torch, reduce)
        except Exception:
            ours, theirs = raised_as_torch(lambda: f(torch, reduce), lambda: f(kitty, reduce))
            assert ours == theirs
            return
        assert f(kitty, reduce).tolist() == expected.tolist()


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_scatter_reduce_backward_refuses_max_and_min_like_torch(reduce):
    def run(m):
        x = m.tensor([1., 5., 2.], requires_grad=True)
        out = x.scatter_reduce(0, m.tensor([0, 0]), m.tensor([3., 4.]), reduce)
        assert out.tolist() == ([4., 5., 2.] if reduce == "max" else [1., 5., 2.])
        return lambda: out.sum().backward()
    ours, theirs = raised_as_torch(run(torch), run(kitty))
    assert ours == theirs
