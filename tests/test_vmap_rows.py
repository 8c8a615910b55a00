"""``vmap`` over every op-table row: three samples batched at once against the same op run sample by
sample, for the values and for ``vmap(grad(...))``. Batching rules, the loop fallback and the
graph they leave behind are all checked this way; an op whose result shape depends on the values
(boolean masks, nonzero, unique) must refuse with vmap's error instead.

(Against kittygrad itself sample by sample, not torch: the op table already ties each op to
torch, and torch's vmap refuses several of these.)
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kittygrad as kitty

from op_table import ROWS
from _row_checks import draw_arrays, grad_flags
from test_double_backward import fixed_shapes

SAMPLES = 3
VMAP_ROWS = [r for r in ROWS if not r.random and r.inputs == "float"]
#: rows whose result's shape depends on the values: one batched tensor cannot hold them
DYNAMIC_SHAPE = {"masked_select", "nonzero", "getitem_bool", "unique_float", "bincount_weights"}


def _tensors(out) -> list:
    out = list(out) if isinstance(out, (tuple, list)) else [out]
    return [t for t in out if isinstance(t, kitty.Tensor)]


def _f64(arrays, grads=()):
    return [kitty.tensor(a, dtype=kitty.float64, requires_grad=i in grads) for i, a in enumerate(arrays)]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # loop-fallback notes, and the ops' own numeric warnings
        yield


@pytest.mark.parametrize("row", VMAP_ROWS, ids=[r.name for r in VMAP_ROWS])
def test_vmap_of_a_row_equals_its_samples(row):
    shapes = fixed_shapes(row)
    samples = [draw_arrays(row, shapes, 5 + k) for k in range(SAMPLES)]
    stacked = [np.stack([s[i] for s in samples]) for i in range(len(shapes))]
    try:
        loop = [_tensors(row.fn(kitty, *_f64(s))) for s in samples]
    except Exception:  # noqa: BLE001 - a row refusing these draws one by one has nothing to batch
        pytest.skip("the row refuses these inputs sample by sample")

    def f(*a):
        return tuple(_tensors(row.fn(kitty, *a)))

    if row.name in DYNAMIC_SHAPE:
        with pytest.raises(RuntimeError, match="vmap"):
            kitty.func.vmap(f)(*_f64(stacked))
        return
    got = kitty.func.vmap(f)(*_f64(stacked))
    assert len(got) == len(loop[0])
    for j, g in enumerate(got):
        want = [np.asarray(sample[j].detach().numpy()) for sample in loop]
        if g.numel() == 0 and not want[0].size:
            continue
        np.testing.assert_allclose(g.detach().numpy(), np.stack(want), rtol=1e-9, atol=1e-9, err_msg=f"output {j}")

    argnums = tuple(i for i, flag in enumerate(grad_flags(row)) if flag)
    if not argnums or not any(t.is_floating_point() for t in loop[0]):
        return

    def scalar(*a):
        return sum(o.sin().sum() for o in _tensors(row.fn(kitty, *a)) if o.is_floating_point())

    grads = kitty.func.vmap(kitty.func.grad(scalar, argnums=argnums))(*_f64(stacked))
    for k, sample in enumerate(samples):
        ins = _f64(sample, argnums)
        value = scalar(*ins)
        if not value.requires_grad:  # (outputs that do not depend on the inputs: zero gradients)
            assert all(not g[k].any() for g in grads)
            continue
        want = kitty.autograd.grad(value, [ins[i] for i in argnums], allow_unused=True)
        for g, w in zip(grads, want):
            if w is not None:
                np.testing.assert_allclose(g[k].numpy(), w.numpy(), rtol=1e-7, atol=1e-9, err_msg=f"sample {k}")


def _first_float_output(row, arrays, j):
    """``f(x)``: the row's first float output as a function of its argument ``j`` alone."""
    others = [kitty.tensor(a, dtype=kitty.float64) for a in arrays]

    def f(x):
        args = list(others)
        args[j] = x
        return next(o for o in _tensors(row.fn(kitty, *args)) if o.is_floating_point())

    return f


JAC_ROWS = [r for r in VMAP_ROWS if any(grad_flags(r))]


@pytest.mark.parametrize("row", JAC_ROWS, ids=[r.name for r in JAC_ROWS])
def test_jacfwd_equals_jacrev(row):
    """Forward mode with a batch of basis tangents against reverse mode with a batch of basis
    cotangents: two batched paths (tangents-only vmap, batched backward formulas) that must agree."""
    arrays = draw_arrays(row, fixed_shapes(row), 5)
    j = grad_flags(row).index(True)
    f = _first_float_output(row, arrays, j)
    x = kitty.tensor(arrays[j], dtype=kitty.float64)
    try:
        probe = f(x.clone().requires_grad_())
        if not probe.requires_grad or probe.numel() * x.numel() > 40_000:
            pytest.skip("not differentiable in this argument, or too large a Jacobian")
        by_rows = kitty.func.jacrev(f)(x)
    except (StopIteration, RuntimeError, NotImplementedError):
        pytest.skip("no float output, or reverse mode refuses")
    try:
        by_columns = kitty.func.jacfwd(f)(x)
    except (RuntimeError, NotImplementedError) as refused:  # only where there is no derivative at all
        assert "not implemented" in str(refused)
        return
    rev, fwd = by_rows.numpy(), by_columns.numpy()
    finite = np.isfinite(rev) & np.isfinite(fwd)  # (0 * inf off the diagonal: nan in one order, 0 in the other)
    np.testing.assert_allclose(fwd[finite], rev[finite], rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(np.isfinite(fwd).sum(), np.isfinite(rev).sum())


SMALL_JAC_ROWS = [r for r in JAC_ROWS if r.name not in DYNAMIC_SHAPE]


@pytest.mark.parametrize("row", SMALL_JAC_ROWS, ids=[r.name for r in SMALL_JAC_ROWS])
def test_vmap_of_jacrev_and_hessian_equals_its_samples(row):
    """Nested transforms per row: vmap(jacrev(f)) and vmap(hessian(f)) (vmap over jacfwd over
    jacrev) against each sample's own Jacobian and Hessian."""
    shapes = fixed_shapes(row)
    samples = [draw_arrays(row, shapes, 5 + k) for k in range(2)]
    j = grad_flags(row).index(True)
    if np.asarray(samples[0][j]).size > 30:
        pytest.skip("a large Hessian")

    def scalar_of(others):
        def f(x):
            args = list(others)
            args[j] = x
            return sum(o.sin().sum() for o in _tensors(row.fn(kitty, *args)) if o.is_floating_point())
        return f

    want = []
    for s in samples:
        f = scalar_of(_f64(s))
        x = kitty.tensor(s[j], dtype=kitty.float64)
        try:
            value = f(x.clone().requires_grad_())
            if not isinstance(value, kitty.Tensor) or not value.requires_grad:
                pytest.skip("no float output, or not differentiable in this argument")
            want.append((kitty.func.jacrev(f)(x).numpy(), kitty.func.hessian(f)(x).numpy()))
        except (RuntimeError, NotImplementedError, TypeError):
            pytest.skip("the transforms refuse this row sample by sample")

    def both(*args):
        f = scalar_of(list(args))
        return kitty.func.jacrev(f)(args[j]), kitty.func.hessian(f)(args[j])

    jac, hess = kitty.func.vmap(both)(*_f64([np.stack([s[i] for s in samples]) for i in range(len(shapes))]))
    for k, (w_jac, w_hess) in enumerate(want):
        for got, w in ((jac[k].numpy(), w_jac), (hess[k].numpy(), w_hess)):
            finite = np.isfinite(got) & np.isfinite(w)
            assert got.shape == w.shape
            np.testing.assert_allclose(got[finite], w[finite], rtol=1e-6, atol=1e-8, err_msg=f"sample {k}")
