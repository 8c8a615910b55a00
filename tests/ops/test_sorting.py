"""Op-table rows of ``kittygrad/ops/sorting.py``.

Each row runs the checks of ``_row_checks.py``: forward and gradients against torch in float32
and float64, finite differences, and integer inputs where the row asks for them."""
from __future__ import annotations

import pytest
import torch

import kittygrad as kitty
from _row_checks import test_finite_differences, test_integer_inputs, test_matches_torch  # noqa: F401
from _row_helpers import Row, away_from_int, clamp_domain, distinct, fixed

ROWS = [
    Row("median", lambda m, a: m.median(a), domain=distinct),
    Row("median_ties", lambda m, a: m.median(m.clamp(a, -0.2, 0.2)), shapes=fixed((7,)), fd=False,
        domain=clamp_domain),
    Row("median_dim", lambda m, a: a.median(-1), min_dims=1, domain=distinct),
    # vmap batches median() by a per-row median (ties sharing the gradient, as median() itself)
    Row("median_vmapped", lambda m, a: m.func.vmap(m.median)(a), shapes=fixed((3, 5)), domain=distinct),
    Row("median_int", lambda m, a: m.stack([m.median(a), a.median(0).values.sum()]), inputs="int", min_dims=1,
        max_dims=1),
    Row("nanmedian", lambda m, a: m.nanmedian(m.where(a > 1.0, m.tensor(float("nan"), dtype=a.dtype), a)),
        domain=distinct),
    Row("nanmedian_dim", lambda m, a: a.nanmedian(1), shapes=fixed((3, 5)), domain=distinct),
    Row("median_nan_dim", lambda m, a: m.median(m.where(a > 1.0, m.tensor(float("nan"), dtype=a.dtype), a), 1),
        shapes=fixed((6, 5)), domain=distinct, fd=False),
    Row("kthvalue", lambda m, a: m.kthvalue(a, 2, 0), shapes=fixed((4, 3)), domain=distinct),
    Row("kthvalue_method", lambda m, a: a.kthvalue(1, keepdim=True), min_dims=1, domain=distinct),
    Row("sort", lambda m, a: m.sort(a), min_dims=1, domain=distinct),
    Row("sort_desc", lambda m, a: a.sort(0, descending=True), min_dims=1, domain=distinct),
    Row("sort_stable", lambda m, a: m.sort(a, stable=True, descending=True), inputs="int", min_dims=1),
    Row("sort_stable_asc", lambda m, a: a.sort(dim=0, stable=True), inputs="int", min_dims=1),
    Row("sort_0d", lambda m, a: m.sort(a), shapes=fixed(())),
    Row("msort", lambda m, a: m.msort(a), min_dims=1, domain=distinct),
    Row("argsort", lambda m, a: m.argsort(a, 0), min_dims=1, domain=distinct),
    Row("argsort_desc", lambda m, a: a.argsort(descending=True), min_dims=1, domain=distinct),
    Row("argsort_stable", lambda m, a: m.argsort(a, stable=True, descending=True), inputs="int", min_dims=1),
    Row("topk", lambda m, a: m.topk(a, 2), shapes=fixed((3, 4)), domain=distinct),
    Row("topk_smallest", lambda m, a: a.topk(1, dim=0, largest=False), min_dims=1, domain=distinct),
    Row("unique", lambda m, a: m.unique(a), inputs="int", also=("unique_method",)),
    Row("unique_all", lambda m, a: a.unique(return_inverse=True, return_counts=True), inputs="int"),
    Row("unique_dim", lambda m, a: m.unique(a % 2, dim=1, return_inverse=True), inputs="int", min_dims=2, max_dims=2),
    Row("unique_float", lambda m, a: m.unique(a.round(), return_counts=True), domain=away_from_int, grad=False),
    Row("unique_consecutive", lambda m, a: m.unique_consecutive(a // 4, return_inverse=True, return_counts=True),
        inputs="int"),
    Row("unique_consecutive_dim", lambda m, a: a.unique_consecutive(dim=0), inputs="int", shapes=fixed((5, 2)),
        also=("unique_consecutive_method",)),
]


@pytest.mark.parametrize("make", [
    lambda m, x: m.median(x, 1).values,
    lambda m, x: x.median(0, keepdim=True)[0],
    lambda m, x: m.median(x[0, 0], 0).values,
    lambda m, x: m.nanmedian(x, 1).values,
    lambda m, x: m.nanmedian(x),
    lambda m, x: m.median(x),
])
def test_median_nodes_carry_torchs_names(make):
    # printed as grad_fn=<...>: torch records median along a dim by a node of its own, not kthvalue's
    names = []
    for lib in (torch, kitty):
        out = make(lib, lib.ones(3, 4).requires_grad_())
        names.append(out.grad_fn.name() if lib is torch else out.grad_fn.torch_name())
    assert names[1] == names[0]
