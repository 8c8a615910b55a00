"""Op-table rows of ``kittygrad/ops/statistics.py``: ``cov``, ``corrcoef``, ``quantile``,
``nanquantile``, ``mode``, ``bincount``, ``histc``, ``histogram``."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty

from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, distinct, fixed
from torch_errors import raised_as_torch


def _with_nans(x):
    x = distinct(x)
    x.flat[:: 3] = np.nan
    return x


def _flat(result):
    return (result.hist, *result.bin_edges)


def _repeats(x):
    return np.round(x * 1.3) / 2 + 0.01 * distinct(x) * (np.abs(x) > 10)


ROWS = [
    Row("cov", lambda m, a: m.cov(a), shapes=fixed((3, 5))),
    Row("cov_1d_correction0", lambda m, a: m.cov(a, correction=0) + a.cov(), shapes=fixed((4,))),
    Row("cov_weights", lambda m, a, w: m.cov(a, fweights=m.tensor([1, 2, 1, 3]), aweights=w.abs() + 0.5), 2,
        shapes=fixed((2, 4), (4,))),
    Row("cov_int", lambda m, a: m.cov(a), inputs="int", shapes=fixed((2, 5))),
    Row("corrcoef", lambda m, a: m.corrcoef(a) + a.corrcoef(), shapes=fixed((3, 6))),
    Row("quantile", lambda m, a: m.quantile(a, 0.3) + a.quantile(0.75), min_dims=1, domain=distinct),
    Row("quantile_dim_tensor_q", lambda m, a: m.quantile(a, m.tensor([0.1, 0.5, 1.0], dtype=a.dtype), dim=1,
                                                         keepdim=True), shapes=fixed((2, 5)), domain=distinct),
    Row("quantile_0d_tensor_q", lambda m, a: m.quantile(a, m.tensor(0.4, dtype=a.dtype), dim=1)
        + a.nanquantile(m.tensor(0.6, dtype=a.dtype), dim=1), shapes=fixed((3, 5)), domain=distinct),
    Row("quantile_interpolations", lambda m, a: m.stack([m.quantile(a, 0.4, dim=0, interpolation=i) for i in
                                                          ("lower", "higher", "midpoint", "nearest")]),
        shapes=fixed((6, 2)), domain=distinct),
    Row("nanquantile", lambda m, a: m.nanquantile(a, 0.4, dim=1) + a.nanquantile(0.5, dim=1), shapes=fixed((3, 6)),
        domain=_with_nans, fd=False),
    Row("quantile_nan", lambda m, a: m.quantile(a, 0.5, dim=1), shapes=fixed((3, 6)), domain=_with_nans, fd=False),
    Row("mode", lambda m, a: m.mode(a), min_dims=1, domain=_repeats, fd=False),
    Row("mode_dim_keepdim", lambda m, a: a.mode(0, keepdim=True), shapes=fixed((5, 3)), domain=_repeats, fd=False),
    Row("mode_int", lambda m, a: m.mode(a % 3, 1), inputs="int", shapes=fixed((3, 7))),
    Row("bincount", lambda m, a: (m.bincount(a.abs().reshape(-1), minlength=9), a.abs().reshape(-1).bincount()),
        inputs="int", shapes=fixed((3, 4))),
    Row("bincount_weights", lambda m, a, w: m.bincount((a.abs() * 3).long(), w), 2, shapes=fixed((6,), (6,)),
        grad=False),
    Row("histc", lambda m, a: m.histc(a, bins=5) + a.histc(4, -1, 1).sum(), grad=False),
    Row("histogram", lambda m, a: m.histogram(a, bins=4, range=(-1.0, 2.0)), grad=False, min_dims=1),
    Row("histogram_edges", lambda m, a, w: m.histogram(a, m.tensor([-2.0, -0.5, 0.0, 0.7, 3.0], dtype=a.dtype),
                                                       weight=w.abs(), density=True), 2, grad=False),
]
ROWS += [
    Row("histogramdd", lambda m, a: m.histogramdd(a, bins=[2, 3]).hist, shapes=fixed((6, 2)), grad=False),
    Row("histogramdd_edges", lambda m, a, w: _flat(m.histogramdd(a, bins=2, range=[-1.0, 1.0, -1.0, 1.0], weight=w,
                                                                 density=True)), 2, shapes=fixed((5, 2), (5,)), grad=False),
]



@pytest.mark.parametrize("make", [
    lambda m, x: m.quantile(x, 0.5),
    lambda m, x: m.quantile(x, 0.2, dim=1, keepdim=True),
    lambda m, x: x.nanquantile(m.tensor([0.2, 0.5]), dim=0),
    lambda m, x: m.nanquantile(x[0], m.tensor(0.5), interpolation="lower"),
    lambda m, x: m.mode(x, 1).values,
    lambda m, x: m.mode(x[0, 0]).values,
])
def test_quantile_and_mode_nodes_carry_torchs_names(make):
    # printed as grad_fn=<...>: torch's quantile ends on a squeeze of a list of dims, mode has its node
    names = []
    for lib in (torch, kitty):
        out = make(lib, lib.ones(3, 4).requires_grad_())
        names.append(out.grad_fn.name() if lib is torch else out.grad_fn.torch_name())
    assert names[1] == names[0]


def test_quantile_names_the_interpolation_it_refuses_as_torch():
    ours, theirs = raised_as_torch(lambda: torch.quantile(torch.ones(3), 0.5, interpolation="cubic"),
                                   lambda: kitty.quantile(kitty.ones(3), 0.5, interpolation="cubic"))
    assert ours == theirs
