"""``jacrev`` inside ``vmap``: all Jacobian rows of every sample in one batched pullback.

Inside vmap, ``_all_rows`` pulls the basis cotangents back through the physical graph (all samples
at once) as one BatchedTensor of a fresh level, as torch's ``vmap(vjp)`` does; before, it pulled
back one row at a time. Each case is checked against ``torch.func`` (shape, dtype, values), and
against the number of row-by-row pullbacks (``_pullback`` calls), which the old path made n of.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.func import _reverse

kf, tf = kitty.func, torch.func
KNF, TNF = kitty.nn.functional, torch.nn.functional


@pytest.fixture(autouse=True)
def _strict():
    kitty.set_warn_always(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            # (torch's own, on first use of its jacfwd/hessian)
            warnings.filterwarnings("ignore", message=".*torch.jit.script. is deprecated", category=DeprecationWarning)
            yield
    finally:
        kitty.set_warn_always(False)


@pytest.fixture
def rows(monkeypatch):
    """Counts the row-by-row pullbacks (``_pullback`` calls) that the transforms make."""
    calls = []
    original = _reverse._pullback

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(_reverse, "_pullback", counted)
    return calls


def _arr(shape, seed, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def _pair(a, dtype=np.float64):
    a = np.asarray(a, dtype=dtype)
    return kitty.tensor(a), torch.tensor(a)


def _same(k, t, tol=1e-5):
    if isinstance(t, dict):
        assert isinstance(k, dict) and set(k) == set(t)
        for name in t:
            _same(k[name], t[name], tol)
        return
    if isinstance(t, (tuple, list)):
        assert isinstance(k, (tuple, list)) and len(k) == len(t)
        for a, b in zip(k, t):
            _same(a, b, tol)
        return
    assert isinstance(k, kitty.Tensor) and type(k) is kitty.Tensor  # no BatchedTensor leaks out
    assert tuple(k.shape) == tuple(t.shape)
    assert str(k.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(k.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


W1, W2 = _arr((4, 5), 1, 0.5), _arr((5, 3), 2, 0.5)
B1 = _arr((5,), 3, 0.1)

UNARY = {
    "tanh": (lambda m, x: x.tanh(), (4,)),
    "sin": (lambda m, x: x.sin(), (4,)),
    "exp": (lambda m, x: (x * 0.5).exp(), (4,)),
    "relu": (lambda m, x: m.nn.functional.relu(x), (4,)),
    "softmax": (lambda m, x: m.nn.functional.softmax(x, dim=-1), (4,)),
    "log_softmax": (lambda m, x: m.nn.functional.log_softmax(x, dim=0), (4,)),
    "softmax_2d": (lambda m, x: m.nn.functional.softmax(x, dim=1), (2, 3)),
    "matmul": (lambda m, x: x @ m.tensor(W1, dtype=m.float64), (4,)),
    "matmul_2d": (lambda m, x: x @ m.tensor(W1, dtype=m.float64), (3, 4)),
    "linear": (lambda m, x: m.nn.functional.linear(x, m.tensor(W1.T.copy(), dtype=m.float64), m.tensor(B1, dtype=m.float64)), (4,)),
    "sum_dim": (lambda m, x: (x * x).sum(dim=1), (3, 4)),
    "sum_dim_keepdim": (lambda m, x: x.sin().sum(dim=0, keepdim=True), (3, 4)),
    "x_times_sum": (lambda m, x: x * x.sum(), (4,)),
    "mlp": (lambda m, x: (x @ m.tensor(W1, dtype=m.float64)).tanh() @ m.tensor(W2, dtype=m.float64), (4,)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_vmap_jacrev_matches_torch(name, rows):
    fn, shape = UNARY[name]
    kx, tx = _pair(_arr((6,) + shape, 10))
    k = kf.vmap(kf.jacrev(lambda x: fn(kitty, x)))(kx)
    t = tf.vmap(tf.jacrev(lambda x: fn(torch, x)))(tx)
    _same(k, t)
    assert rows == []  # every row of every sample in one pullback


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_64_samples_both_dtypes(dtype, rows):
    w1, w2 = _arr((16, 16), 4, 0.3).astype(dtype), _arr((16, 16), 5, 0.3).astype(dtype)
    kx, tx = _pair(_arr((64, 16), 6), dtype)
    kw1, tw1 = _pair(w1, dtype)
    kw2, tw2 = _pair(w2, dtype)
    k = kf.vmap(kf.jacrev(lambda x: ((x @ kw1).tanh() @ kw2).tanh()))(kx)
    t = tf.vmap(tf.jacrev(lambda x: torch.tanh(torch.tanh(x @ tw1) @ tw2)))(tx)
    _same(k, t, 1e-5 if dtype == np.float64 else 1e-4)
    assert rows == []


@pytest.mark.parametrize("in_dims", [(0, None), (0, 0), (None, 0)])
def test_argnums_tuple_and_in_dims(in_dims, rows):
    x = _arr((5, 4), 7) if in_dims[0] == 0 else _arr((4,), 7)
    w = _arr((5, 4, 3), 8) if in_dims[1] == 0 else _arr((4, 3), 8)
    (kx, tx), (kw, tw) = _pair(x), _pair(w)
    k = kf.vmap(kf.jacrev(lambda x, w: (x @ w).sin(), argnums=(0, 1)), in_dims=in_dims)(kx, kw)
    t = tf.vmap(tf.jacrev(lambda x, w: (x @ w).sin(), argnums=(0, 1)), in_dims=in_dims)(tx, tw)
    _same(k, t)
    k = kf.vmap(kf.jacrev(lambda x, w: (x @ w).sin(), argnums=1), in_dims=in_dims)(kx, kw)
    t = tf.vmap(tf.jacrev(lambda x, w: (x @ w).sin(), argnums=1), in_dims=in_dims)(tx, tw)
    _same(k, t)
    assert rows == []


def test_unused_argument_gives_zero_rows(rows):
    (kx, tx), (ky, ty) = _pair(_arr((3, 4), 9)), _pair(_arr((3, 2), 10))
    k = kf.vmap(kf.jacrev(lambda x, y: x.exp() * 2, argnums=(0, 1)))(kx, ky)
    t = tf.vmap(tf.jacrev(lambda x, y: x.exp() * 2, argnums=(0, 1)))(tx, ty)
    _same(k, t)
    assert rows == []


def test_has_aux_and_pytree_output(rows):
    kx, tx = _pair(_arr((4, 3), 11))

    def f(m):
        return lambda x: ({"a": x.tanh(), "b": (x.unsqueeze(1) * x).sum(dim=0, keepdim=True)}, x.cos().sum())

    k = kf.vmap(kf.jacrev(f(kitty), has_aux=True))(kx)
    t = tf.vmap(tf.jacrev(f(torch), has_aux=True))(tx)
    _same(k, t)
    assert rows == []


@pytest.mark.parametrize("chunk_size", [1, 2, 5])
def test_chunk_size(chunk_size, rows):
    kx, tx = _pair(_arr((4, 5), 12))
    k = kf.vmap(kf.jacrev(lambda x: x.sin() * x.sum(), chunk_size=chunk_size))(kx)
    t = tf.vmap(tf.jacrev(lambda x: x.sin() * x.sum(), chunk_size=chunk_size))(tx)
    _same(k, t)
    k = kf.vmap(kf.jacrev(lambda x: x.exp()), chunk_size=chunk_size)(kx)
    t = tf.vmap(tf.jacrev(lambda x: x.exp()), chunk_size=chunk_size)(tx)
    _same(k, t)
    assert rows == []


def test_vmap_hessian(rows):
    (kx, tx), (kw, tw) = _pair(_arr((6, 4), 13)), _pair(_arr((4, 4), 14, 0.5))
    k = kf.vmap(kf.hessian(lambda x: ((x @ kw).tanh() @ kw).tanh().sum()))(kx)
    t = tf.vmap(tf.hessian(lambda x: ((x @ tw).tanh() @ tw).tanh().sum()))(tx)
    _same(k, t)
    assert len(rows) == 1  # (the gradient of the scalar; its 4 rows of the Hessian in one pass)
    k = kf.vmap(kf.hessian(lambda x, w: (x @ w).sin().sum(), argnums=(0, 1)), in_dims=(0, None))(kx, kw)
    t = tf.vmap(tf.hessian(lambda x, w: (x @ w).sin().sum(), argnums=(0, 1)), in_dims=(0, None))(tx, tw)
    _same(k, t)


def test_vmap_jacrev_of_jacrev(rows):
    kx, tx = _pair(_arr((5, 3), 15))
    k = kf.vmap(kf.jacrev(kf.jacrev(lambda x: x.sin() * x.sum())))(kx)
    t = tf.vmap(tf.jacrev(tf.jacrev(lambda x: x.sin() * x.sum())))(tx)
    _same(k, t)
    assert rows == []


def test_nested_vmap(rows):
    (kx, tx), (kw, tw) = _pair(_arr((3, 2, 4), 16)), _pair(_arr((3, 4, 4), 17, 0.5))
    k = kf.vmap(kf.vmap(kf.jacrev(lambda x, w: (x @ w).tanh(), argnums=(0, 1)), in_dims=(0, None)))(kx, kw)
    t = tf.vmap(tf.vmap(tf.jacrev(lambda x, w: (x @ w).tanh(), argnums=(0, 1)), in_dims=(0, None)))(tx, tw)
    _same(k, t)
    k = kf.vmap(kf.vmap(kf.hessian(lambda x: x.sin().pow(2).sum())))(kx)
    t = tf.vmap(tf.vmap(tf.hessian(lambda x: x.sin().pow(2).sum())))(tx)
    _same(k, t)
    assert len(rows) == 1  # (the hessian's scalar gradient; every Jacobian here batched)


def test_grad_through_vmap_jacrev():
    """The batched rows stay differentiable: an outer grad sees the same values as torch's."""
    (kx, tx), (kw, tw) = _pair(_arr((4, 3), 18)), _pair(_arr((3, 3), 19, 0.5))
    kw.requires_grad_(True)
    tw.requires_grad_(True)
    kf.vmap(kf.jacrev(lambda x: (x @ kw).tanh()))(kx).pow(2).sum().backward()
    tf.vmap(tf.jacrev(lambda x: (x @ tw).tanh()))(tx).pow(2).sum().backward()
    _same(kw.grad, tw.grad)
    k = kf.grad(lambda w: kf.vmap(kf.jacrev(lambda x: (x @ w).sin()))(kx).sum())(kw.detach())
    t = tf.grad(lambda w: tf.vmap(tf.jacrev(lambda x: (x @ w).sin()))(tx).sum())(tw.detach())
    _same(k, t)


def _models(seed):
    km = kitty.nn.Sequential(kitty.nn.Linear(3, 5), kitty.nn.Tanh(), kitty.nn.Linear(5, 2)).double()
    tm = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    with torch.no_grad():
        for i, (name, p) in enumerate(tm.named_parameters()):
            p.copy_(torch.tensor(_arr(tuple(p.shape), seed + i, 0.5)))
    km.load_state_dict({name: kitty.tensor(v.numpy()) for name, v in tm.state_dict().items()})
    return km, tm


def test_functional_call_ensemble(rows):
    kms, tms = zip(*[_models(20 + 10 * i) for i in range(3)])
    kp, _ = kf.stack_module_state(list(kms))
    tp, _ = tf.stack_module_state(list(tms))
    kp = {n: v.detach() for n, v in kp.items()}
    tp = {n: v.detach() for n, v in tp.items()}
    kx, tx = _pair(_arr((3, 3), 30))
    k = kf.vmap(kf.jacrev(lambda p, x: kf.functional_call(kms[0], p, (x,))), in_dims=(0, 0))(kp, kx)
    t = tf.vmap(tf.jacrev(lambda p, x: tf.functional_call(tms[0], p, (x,))), in_dims=(0, 0))(tp, tx)
    _same(k, t)
    k = kf.vmap(kf.jacrev(lambda p, x: kf.functional_call(kms[0], p, (x,)), argnums=(0, 1)), in_dims=(0, None))(kp, kx[0])
    t = tf.vmap(tf.jacrev(lambda p, x: tf.functional_call(tms[0], p, (x,)), argnums=(0, 1)), in_dims=(0, None))(tp, tx[0])
    _same(k, t)
    assert rows == []


def test_still_row_by_row_under_forward_ad(rows):
    """jacfwd(jacrev) inside vmap keeps the row-by-row path (the rows need the dual level)."""
    kx, tx = _pair(_arr((3, 3), 31))
    k = kf.vmap(kf.jacfwd(kf.jacrev(lambda x: x.sin() * x.sum())))(kx)
    t = tf.vmap(tf.jacfwd(tf.jacrev(lambda x: x.sin() * x.sum())))(tx)
    _same(k, t)
