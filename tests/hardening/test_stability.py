"""Numerical stability: the saturating and normalising functions stay finite and as accurate as
torch for inputs of +-1e4, for offset inputs (1e4 + noise) and in float16/float32/float64.

Reference: torch in float64 on the same (already rounded) inputs. kittygrad's error, relative to
the reference's scale, must be within 4x torch's own error in that dtype (or a few ulps), for the
values and for the gradients of ``sum(f(x) * w)``; where the reference is finite, so is kittygrad.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty
from hardening._figures import add

EPS = {"float16": 2.0**-10, "float32": 2.0**-23, "float64": 2.0**-52}


def _F(m):
    return m.nn.functional


TARGET = np.array([0, 5, 2, 3])
BCE_Y = np.array([[0, 1, 1, 0, 0.5, 1]] * 4)

FUNCS = {
    "softmax": lambda m, x: m.softmax(x, dim=-1),
    "log_softmax": lambda m, x: m.log_softmax(x, dim=-1),
    "cross_entropy": lambda m, x: _F(m).cross_entropy(x, m.tensor(TARGET)),
    "cross_entropy_smooth": lambda m, x: _F(m).cross_entropy(x, m.tensor(TARGET), label_smoothing=0.1),
    "bce_with_logits": lambda m, x: _F(m).binary_cross_entropy_with_logits(x, m.tensor(BCE_Y, dtype=x.dtype)),
    "logsumexp": lambda m, x: m.logsumexp(x, dim=-1),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "tanh": lambda m, x: m.tanh(x),
    "softplus": lambda m, x: _F(m).softplus(x),
    "gelu": lambda m, x: _F(m).gelu(x),
    "gelu_tanh": lambda m, x: _F(m).gelu(x, approximate="tanh"),
    "layer_norm": lambda m, x: _F(m).layer_norm(x, (6,)),
    "batch_norm": lambda m, x: _F(m).batch_norm(x, None, None, training=True),
}


def _inputs():
    rng = np.random.default_rng(0)
    return {
        "pm1e4": np.array([[1e4, -1e4, 0.0, 1.0, -1.0, 5e3],
                           [-1e4, -1e4, -1e4, -1e4, -1e4, -1e4],
                           [1e4, 1e4, 1e4, 1e4, 1e4, 9999.0],
                           [3.0, -1e4, 2.0, 1e4, -2.0, 0.5]]),
        "wide": rng.uniform(-1e4, 1e4, (4, 6)),
        "offset": 1e4 + rng.standard_normal((4, 6)),
        "normal": rng.standard_normal((4, 6)),
    }


CASES = [(f, i, d) for f in FUNCS for i in _inputs() for d in ("float16", "float32", "float64")]


def _run(lib, name, x, dtype, w_seed=1):
    t = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
    out = FUNCS[name](lib, t)
    w = np.random.default_rng(w_seed).standard_normal(tuple(out.shape))
    (out * lib.tensor(w, dtype=out.dtype)).sum().backward()
    return out.detach().numpy().astype(np.float64), t.grad.numpy().astype(np.float64), str(out.dtype).split(".")[-1]


def _err(a, ref):
    scale = max(1.0, float(np.max(np.abs(ref[np.isfinite(ref)]), initial=0)))
    both = np.isfinite(a) & np.isfinite(ref)
    return float(np.max(np.abs(a[both] - ref[both]), initial=0)) / scale


@pytest.mark.parametrize("name,inp,dtype", CASES, ids=[f"{f}-{i}-{d}" for f, i, d in CASES])
def test_stable_and_accurate(name, inp, dtype):
    x = _inputs()[inp]
    x = x.astype(np.float16).astype(np.float64) if dtype == "float16" else x.astype(np.float32).astype(np.float64) if dtype == "float32" else x
    if dtype == "float16" and np.isinf(x.astype(np.float16)).any():  # pragma: no cover - 1e4 fits float16
        pytest.fail("input not representable")
    ref_v, ref_g, _ = _run(torch, name, x, "float64")
    k_v, k_g, k_dt = _run(kitty, name, x, dtype)
    t_v, t_g, t_dt = _run(torch, name, x, dtype)
    assert k_dt == t_dt
    add("stability: functions x inputs x dtypes checked", 1)
    for what, k, t, ref in (("value", k_v, t_v, ref_v), ("grad", k_g, t_g, ref_g)):
        # where float64 is finite and torch in this dtype is finite, kittygrad must be finite
        must = np.isfinite(ref) & np.isfinite(t)
        assert np.isfinite(k[must]).all(), f"{name} {what}: non-finite {k[must & ~np.isfinite(k)]}"
        assert not np.isnan(k[np.isfinite(ref)]).any(), f"{name} {what}: NaN where float64 is finite"
        # float64: torch float64 is the reference itself; allow rounding of inputs of size |x|
        floor = 16 * EPS[dtype] * (max(1.0, float(np.abs(x).max())) if dtype == "float64" else 1.0)
        tol = max(4 * _err(t, ref), floor)
        err = _err(k, ref)
        assert err <= tol, f"{name} {what} in {dtype}: error {err:.3g} (torch {_err(t, ref):.3g})"
