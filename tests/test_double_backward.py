"""Double backward: gradgradcheck for every differentiable op in the op table.

Each row's function is run in float64 on fixed shapes; ``kitty.autograd.gradgradcheck`` compares
the gradient of the gradient (built with ``create_graph=True``) with finite differences of the
first gradient. An op whose backward cannot build a graph fails here, naming itself.
"""
from __future__ import annotations

import numpy as np
import pytest

import kittygrad as kitty

from op_table import ROWS
from _row_checks import draw_arrays, grad_flags

DD_ROWS = [r for r in ROWS if r.fd and not r.random and r.inputs == "float"]


def fixed_shapes(row):
    if row.shapes is not None:
        return row.shapes(np.random.default_rng(0))
    if row.min_dims >= 3:
        return [(2, 3, 4)] * row.nargs
    if row.broadcast and row.nargs > 1:
        return [(2, 3)] + [(3,)] * (row.nargs - 1)
    return [(2, 3)] * row.nargs


def double_backward_inputs(row):
    arrays = draw_arrays(row, fixed_shapes(row), 5)
    flags = grad_flags(row)
    return [kitty.tensor(a, dtype=kitty.float64, requires_grad=f) for a, f in zip(arrays, flags)]


def differentiable_outputs(row, inputs):
    out = row.fn(kitty, *inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, kitty.Tensor) and o.requires_grad]


@pytest.mark.parametrize("row", DD_ROWS, ids=[r.name for r in DD_ROWS])
def test_gradgradcheck(row):
    inputs = double_backward_inputs(row)
    if not differentiable_outputs(row, inputs):
        pytest.skip("no differentiable output")

    def fn(*ts):
        return tuple(differentiable_outputs(row, ts))

    assert kitty.autograd.gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


# Rows without a finite-difference check (ties, kinks, integer-valued parts, costly layers) still
# need a correct double backward: their Hessian-vector products are compared with torch's.
TORCH_ROWS = [r for r in ROWS if not r.fd and not r.random and r.inputs == "float"]


@pytest.mark.parametrize("row", TORCH_ROWS, ids=[r.name for r in TORCH_ROWS])
def test_hessian_vector_product_matches_torch(row):
    import torch

    arrays = draw_arrays(row, fixed_shapes(row), 5)
    flags = grad_flags(row)
    results = []
    for lib in (kitty, torch):
        ts = [lib.tensor(a, dtype=lib.float64, requires_grad=f) for a, f in zip(arrays, flags)]
        out = row.fn(lib, *ts)
        outs = [o for o in (out if isinstance(out, (tuple, list)) else [out]) if o.requires_grad]
        if not outs:
            pytest.skip("no differentiable output")
        rng = np.random.default_rng(3)
        loss = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)), dtype=lib.float64)).sum() for o in outs)
        wrt = [t for t in ts if t.requires_grad]
        grads = lib.autograd.grad(loss, wrt, create_graph=True, allow_unused=True)
        dot = sum(
            (g * lib.tensor(rng.standard_normal(tuple(g.shape)), dtype=lib.float64)).sum()
            for g in grads if g is not None and g.requires_grad
        )
        if not isinstance(dot, lib.Tensor):  # every gradient is constant: the HVP is zero
            results.append([np.zeros(tuple(t.shape)) for t in wrt])
            continue
        hv = lib.autograd.grad(dot, wrt, allow_unused=True)
        results.append([h.detach().numpy() if h is not None else np.zeros(tuple(t.shape)) for h, t in zip(hv, wrt)])
    for k, t in zip(*results):
        np.testing.assert_allclose(k, t, rtol=1e-6, atol=1e-8, err_msg=row.name)


# 0-d inputs: NumPy hands back scalars there, which must not turn saved values into constants.
ZERO_D_ROWS = [r for r in DD_ROWS if r.shapes is None and r.min_dims == 0]


@pytest.mark.parametrize("row", ZERO_D_ROWS, ids=[r.name for r in ZERO_D_ROWS])
def test_gradgradcheck_zero_dim(row):
    arrays = draw_arrays(row, [()] * row.nargs, 9)
    inputs = [kitty.tensor(a, dtype=kitty.float64, requires_grad=f) for a, f in zip(arrays, grad_flags(row))]
    if not differentiable_outputs(row, inputs):
        pytest.skip("no differentiable output")

    def fn(*ts):
        return tuple(differentiable_outputs(row, ts))

    assert kitty.autograd.gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
