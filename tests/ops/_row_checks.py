"""The checks every op-table row runs, collected by each ``tests/ops/test_<family>.py`` (which
imports them) and run there on that family's ``ROWS`` (``tests/ops/conftest.py`` parametrizes):
forward and gradients against torch in float32 and float64, float64 finite differences, and
integer inputs for rows that ask for them."""
from __future__ import annotations


import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from _hypothesis_budget import examples
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kittygrad as kitty

from _row_helpers import Row

TOL = {"float32": (1e-4, 1e-5), "float64": (1e-7, 1e-9)}


def draw_shapes(row: Row, data) -> list:
    if row.shapes is not None:
        seed = data.draw(st.integers(0, 2**16), label="shape seed")
        return row.shapes(np.random.default_rng(seed))
    if row.broadcast and row.nargs > 1:
        drawn = data.draw(
            hnp.mutually_broadcastable_shapes(
                num_shapes=row.nargs, min_dims=row.min_dims, max_dims=row.max_dims, min_side=1, max_side=4
            ),
            label="shapes",
        )
        return list(drawn.input_shapes)
    shape = data.draw(hnp.array_shapes(min_dims=row.min_dims, max_dims=row.max_dims, min_side=1, max_side=4), label="shape")
    return [shape] * row.nargs


def draw_arrays(row: Row, shapes, seed: int) -> list:
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if row.inputs == "int":
            arrays.append(rng.integers(-6, 7, shape).astype(np.int64))
            continue
        if row.inputs == "bool":
            arrays.append(rng.integers(0, 2, shape).astype(bool))
            continue
        x = rng.standard_normal(shape)
        if row.domain is not None:
            x = row.domain(x)
        arrays.append(np.asarray(x, dtype=np.float64))
    return arrays


def plain_shapes(row: Row, rng) -> list:
    """One shape per input without drawing: the row's own, else (3, 4, 2) cut to its dims."""
    if row.shapes is not None:
        return [tuple(s) for s in row.shapes(rng)]
    nd = max(row.min_dims, min(2, row.max_dims))
    return [tuple([3, 4, 2][:nd])] * row.nargs


def grad_flags(row: Row):
    if row.grad is True or row.grad is False:
        return (row.grad,) * row.nargs
    return tuple(row.grad)


def run(lib, row: Row, arrays, dtype: str, requires=None):
    requires = grad_flags(row) if requires is None else requires
    if row.inputs != "float":  # integer / bool rows: the arrays' own dtype, no gradients
        ts = [lib.tensor(a) for a in arrays]
        out = row.fn(lib, *ts)
        return ts, list(out) if isinstance(out, (tuple, list)) else [out]
    ts = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=r) for a, r in zip(arrays, requires)]
    out = row.fn(lib, *ts)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return ts, outs


def dtype_name(t) -> str:
    return str(t.dtype).split(".")[-1]


def compare(k, t, rtol, atol, what):
    kv = k.detach().numpy() if hasattr(k, "detach") else np.asarray(k)
    tv = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert kv.shape == tv.shape, f"{what}: shape {kv.shape} != torch {tv.shape}"
    np.testing.assert_allclose(kv, tv, rtol=rtol, atol=atol, err_msg=what, equal_nan=True)


def _tolerance(row: Row, dtype: str) -> tuple[float, float]:
    rtol, atol = TOL.get(dtype, TOL["float32"])
    return max(rtol, row.rtol if dtype != "float64" else 0), max(atol, row.atol if dtype != "float64" else 0)


def check_against_torch(row: Row, arrays, dtype: str):
    rtol, atol = _tolerance(row, dtype)
    kts, kouts = run(kitty, row, arrays, dtype)
    tts, touts = run(torch, row, arrays, dtype)
    assert len(kouts) == len(touts)
    for i, (k, t) in enumerate(zip(kouts, touts)):
        assert type(k).__name__ == "Tensor", f"{row.name}: output {i} is a {type(k).__name__}, not a Tensor"
        if row.random:
            assert tuple(k.shape) == tuple(t.shape), f"{row.name} output {i}: shape {tuple(k.shape)} != torch {tuple(t.shape)}"
        elif row.inputs != "float" and not t.is_floating_point():
            np.testing.assert_array_equal(k.numpy(), t.numpy(), err_msg=f"{row.name} output {i}")
        else:
            # an int/bool row's float output has the default dtype whatever the parametrized one:
            # judge it at its own precision
            out_rtol, out_atol = (rtol, atol) if row.inputs == "float" else _tolerance(row, dtype_name(t))
            compare(k, t, out_rtol, out_atol, f"{row.name} output {i}")
        assert dtype_name(k) == dtype_name(t), f"{row.name}: dtype {k.dtype} != torch {t.dtype}"
        assert k.requires_grad == t.requires_grad, f"{row.name}: requires_grad differs"
        assert k.is_leaf == t.is_leaf, f"{row.name}: is_leaf differs"
        assert k.retains_grad == t.retains_grad
    # gradients of sum(out_i * w_i) for random weights w_i
    rng = np.random.default_rng(len(arrays))
    weights = [rng.standard_normal(tuple(t.shape)) for t in touts]
    k_loss = t_loss = None
    for k, t, w in zip(kouts, touts, weights):
        if not t.requires_grad:
            continue
        kl = (k * kitty.tensor(w, dtype=k.dtype)).sum()
        tl = (t * torch.tensor(w, dtype=t.dtype)).sum()
        k_loss = kl if k_loss is None else k_loss + kl
        t_loss = tl if t_loss is None else t_loss + tl
    if t_loss is None:
        return
    t_loss.backward()
    k_loss.backward()
    for i, (k, t) in enumerate(zip(kts, tts)):
        if t.grad is None:
            assert k.grad is None, f"{row.name}: input {i} got a gradient, torch gives none"
            continue
        assert k.grad is not None, f"{row.name}: input {i} has no gradient"
        assert dtype_name(k.grad) == dtype_name(t.grad)
        compare(k.grad, t.grad, rtol * 10, atol * 10, f"{row.name} grad of input {i}")


def finite_difference_check(row: Row, arrays, eps=1e-6):
    """Central differences of sum(out * w) in float64 against kittygrad's analytic gradient."""
    kts, kouts = run(kitty, row, arrays, "float64")
    rng = np.random.default_rng(7)
    weights = [rng.standard_normal(tuple(o.shape)) for o in kouts]
    diff_outs = [(o, w) for o, w in zip(kouts, weights) if o.requires_grad]
    if not diff_outs:
        return
    loss = None
    for o, w in diff_outs:
        term = (o * kitty.tensor(w)).sum()
        loss = term if loss is None else loss + term
    loss.backward()

    def f(arrs):
        with kitty.no_grad():
            _, outs = run(kitty, row, arrs, "float64", requires=(False,) * len(arrs))
        return sum(float((o.numpy() * w).sum()) for o, w, k in zip(outs, weights, kouts) if k.requires_grad)

    for i, (t, flag) in enumerate(zip(kts, grad_flags(row))):
        if not flag:
            continue
        analytic = t.grad.numpy() if t.grad is not None else np.zeros(t.shape)
        numeric = np.zeros(arrays[i].shape)
        for j in range(arrays[i].size):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[i].flat[j] += eps
            minus[i].flat[j] -= eps
            numeric.flat[j] = (f(plus) - f(minus)) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-5, err_msg=f"{row.name}: finite differences, input {i}")


#: which of a family's rows each check runs on (all rows when a check is not listed)
ROW_FILTERS = {
    "test_finite_differences": lambda r: r.fd and not r.random and r.inputs == "float",
    "test_integer_inputs": lambda r: r.ints,
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(max_examples=examples(8), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_matches_torch(row, dtype, data):
    shapes = draw_shapes(row, data)
    seed = data.draw(st.integers(0, 2**16), label="value seed")
    check_against_torch(row, draw_arrays(row, shapes, seed), dtype)


@settings(max_examples=examples(3), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_finite_differences(row, data):
    shapes = draw_shapes(row, data)
    finite_difference_check(row, draw_arrays(row, shapes, 11))


def test_integer_inputs(row):
    rng = np.random.default_rng(0)
    arrays = [rng.integers(-5, 5, (3, 4)) for _ in range(row.nargs)]
    k = row.fn(kitty, *[kitty.tensor(a) for a in arrays])
    t = row.fn(torch, *[torch.tensor(a) for a in arrays])
    assert dtype_name(k) == dtype_name(t)
    if t.is_floating_point():
        np.testing.assert_allclose(k.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(k.numpy(), t.numpy())
