"""``kittygrad.func`` against ``torch.func``: values, structure (pytrees, argnums, has_aux),
nesting, functional semantics (no ``.grad``, inputs that don't require grad, ``no_grad``), the
module helpers, and errors."""

from __future__ import annotations

import warnings
from collections import namedtuple

import numpy as np
import pytest
import torch
import torch.func as tf

import kittygrad as kitty
import kittygrad.func as kf
from kittygrad.autograd import get_backward_semantics, set_backward_semantics

Pair = namedtuple("Pair", ["a", "b"])


def _np(tree):
    if isinstance(tree, (kitty.Tensor, torch.Tensor)):
        return tree.detach().numpy()
    if isinstance(tree, dict):
        return {k: _np(v) for k, v in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return type(tree)(*[_np(v) for v in tree])
    if isinstance(tree, (tuple, list)):
        return type(tree)(_np(v) for v in tree)
    return tree


def assert_same(k, t, atol=1e-6):
    """Same structure and values (a namedtuple of kittygrad's matches torch's by field names)."""
    k, t = _np(k), _np(t)
    if isinstance(t, dict):
        assert isinstance(k, dict) and list(k) == list(t)
        for key in t:
            assert_same(k[key], t[key], atol)
    elif isinstance(t, (tuple, list)):
        assert type(k).__name__ == type(t).__name__ and len(k) == len(t), (type(k), type(t))
        for a, b in zip(k, t):
            assert_same(a, b, atol)
    else:
        assert np.shape(k) == np.shape(t)
        np.testing.assert_allclose(k, t, rtol=1e-5, atol=atol)


def both(arrays):
    return [kitty.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


@pytest.fixture(params=["seed", "torch"])
def semantics(request):
    previous = get_backward_semantics()
    set_backward_semantics(request.param)
    yield request.param
    set_backward_semantics(previous)


RNG = np.random.default_rng(0)
X = RNG.standard_normal(4).astype(np.float32)
Y = RNG.standard_normal(4).astype(np.float32)
M = RNG.standard_normal((3, 4)).astype(np.float32)


def run(transform_k, transform_t, fn, *arrays, **kw):
    ks, ts = both(arrays)
    return transform_k(lambda *a: fn(kitty, *a), **kw)(*ks), transform_t(lambda *a: fn(torch, *a), **kw)(*ts)


def scalar_fn(lib, x, y):
    return (lib.sin(x) * y).sum() + (x**2).mean()


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1,), -1])
def test_grad_argnums(semantics, argnums):
    k, t = run(kf.grad, tf.grad, scalar_fn, X, Y, argnums=argnums)
    assert_same(k, t)


def test_grad_and_value_has_aux(semantics):
    def fn(lib, x, y):
        loss = scalar_fn(lib, x, y)
        return loss, {"twice": loss * 2, "x": x}

    k, t = run(kf.grad_and_value, tf.grad_and_value, fn, X, Y, argnums=(0, 1), has_aux=True)
    assert_same(k, t)
    k, t = run(kf.grad, tf.grad, fn, X, Y, has_aux=True)
    assert_same(k, t)


def test_grad_pytree_inputs():
    def fn(lib, params, x):
        return (params["w"] @ x).tanh().sum() + params["b"][0].sum() * params["b"][1].sum()

    for argnums in (0, (0, 1)):
        pk = {"w": kitty.tensor(M), "b": [kitty.tensor(X), kitty.tensor(Y)]}
        pt = {"w": torch.tensor(M), "b": [torch.tensor(X), torch.tensor(Y)]}
        k = kf.grad(lambda p, x: fn(kitty, p, x), argnums=argnums)(pk, kitty.tensor(X))
        t = tf.grad(lambda p, x: fn(torch, p, x), argnums=argnums)(pt, torch.tensor(X))
        assert_same(k, t)


def test_grad_namedtuple_input():
    k = kf.grad(lambda p: (p.a * p.b).sum())(Pair(kitty.tensor(X), kitty.tensor(Y)))
    t = tf.grad(lambda p: (p.a * p.b).sum())(Pair(torch.tensor(X), torch.tensor(Y)))
    assert isinstance(k, Pair)
    assert_same(k, t)


def test_nested_grad(semantics):
    k, t = run(
        lambda f: kf.grad(kf.grad(f)), lambda f: tf.grad(tf.grad(f)), lambda lib, x: x.sin() * x**3, X[:1].reshape(())
    )
    assert_same(k, t)
    third_k = kf.grad(kf.grad(kf.grad(lambda x: x.exp() * x)))(kitty.tensor(0.5))
    third_t = tf.grad(tf.grad(tf.grad(lambda x: x.exp() * x)))(torch.tensor(0.5))
    assert_same(third_k, third_t)


def test_nested_grad_distinguishes_levels():
    # the inner derivative is taken w.r.t. y only, even though y is the outer x (no perturbation confusion)
    def outer(lib, func):
        return func.grad(lambda x: func.grad(lambda y: (x * y).sum())(x).sum())

    k = outer(kitty, kf)(kitty.tensor(X))
    t = outer(torch, tf)(torch.tensor(X))
    assert_same(k, t)


def test_functional_semantics(semantics):
    x = kitty.tensor(X, requires_grad=True)
    w = kitty.tensor(Y, requires_grad=True)
    g = kf.grad(lambda x: (x * x).sum())(x)
    assert x.grad is None and g.requires_grad  # differentiable w.r.t. the outer x, as torch
    g2 = kf.grad(lambda x: (x * w).sum())(kitty.tensor(X))
    assert g2.requires_grad  # through the captured w
    (g2.sum() + g.sum()).backward()
    xt, wt = torch.tensor(X, requires_grad=True), torch.tensor(Y, requires_grad=True)
    gt = tf.grad(lambda x: (x * x).sum())(xt)
    g2t = tf.grad(lambda x: (x * wt).sum())(torch.tensor(X))
    (g2t.sum() + gt.sum()).backward()
    assert_same((x.grad, w.grad), (xt.grad, wt.grad))
    plain = kf.grad(lambda x: (x * x).sum())(kitty.tensor(X))
    assert not plain.requires_grad and plain.grad_fn is None
    with kitty.no_grad():
        inside = kf.grad(lambda x: (x**3).sum())(kitty.tensor(X, requires_grad=True))
    with torch.no_grad():
        inside_t = tf.grad(lambda x: (x**3).sum())(torch.tensor(X, requires_grad=True))
    assert inside.requires_grad == inside_t.requires_grad
    assert_same(inside, inside_t)


def test_vjp_pytree_output_and_aux(semantics):
    def fn(lib, x, y):
        return {"s": x.sin() * y, "p": (x * y, x.exp())}, x.cos()

    ks, ts = both([X, Y])
    ko, kfn, kaux = kf.vjp(lambda *a: fn(kitty, *a), *ks, has_aux=True)
    to, tfn, taux = tf.vjp(lambda *a: fn(torch, *a), *ts, has_aux=True)
    assert_same(ko, to)
    assert_same(kaux, taux)
    ct = RNG.standard_normal((3, 4)).astype(np.float32)
    kc = {"s": kitty.tensor(ct[0]), "p": (kitty.tensor(ct[1]), kitty.tensor(ct[2]))}
    tc = {"s": torch.tensor(ct[0]), "p": (torch.tensor(ct[1]), torch.tensor(ct[2]))}
    assert_same(kfn(kc), tfn(tc))
    assert_same(kfn(kc), tfn(tc))  # a vjp_fn may be called again


@pytest.mark.parametrize("chunk_size", [None, 1, 3])
def test_jacrev(semantics, chunk_size):
    def fn(lib, x, y):
        return {"a": x.sin() * y, "b": (x[:2] * y[1:3]).sum()}

    for argnums in (0, (0, 1)):
        k, t = run(kf.jacrev, tf.jacrev, fn, X, Y, argnums=argnums, chunk_size=chunk_size)
        assert_same(k, t)


def test_jacrev_has_aux_and_matrix_input():
    k, t = run(kf.jacrev, tf.jacrev, lambda lib, m: ((m @ m.T).tanh(), m.sum()), M, has_aux=True)
    assert_same(k, t)


def test_jacrev_of_jacrev_and_hessian(semantics):
    fn = lambda lib, x: (x.sin() * x.cos() ** 2).sum() * x  # noqa: E731
    k, t = run(lambda f: kf.jacrev(kf.jacrev(f)), lambda f: tf.jacrev(tf.jacrev(f)), fn, X)
    assert_same(k, t, atol=1e-5)
    k, t = run(kf.hessian, tf.hessian, lambda lib, x, y: (x.tanh() * y * x).sum(), X, Y, argnums=(0, 1))
    assert_same(k, t, atol=1e-5)
    forward_over_reverse = run(
        lambda f: kf.jacfwd(kf.jacrev(f)), tf.hessian, lambda lib, x: (x.sin() * x.softmax(0)).sum(), X
    )
    assert_same(*forward_over_reverse, atol=1e-5)
    w = kitty.tensor(Y, requires_grad=True)  # the Hessian stays differentiable w.r.t. captured tensors
    kf.hessian(lambda x: (x**3 * w).sum())(kitty.tensor(X)).sum().backward()
    wt = torch.tensor(Y, requires_grad=True)
    tf.hessian(lambda x: (x**3 * wt).sum())(torch.tensor(X)).sum().backward()
    assert_same(w.grad, wt.grad, atol=1e-5)


def test_jacfwd_matches_jacrev_and_torch():
    fn = lambda lib, x, y: {"o": (x.exp() * y).tanh(), "n": Pair(x.sum(), y * 2)}  # noqa: E731
    for argnums in (0, 1, (0, 1)):
        k, t = run(kf.jacfwd, tf.jacfwd, fn, X, Y, argnums=argnums)
        assert_same(k, t)
    k, t = run(kf.jacfwd, tf.jacfwd, lambda lib, x: (x * 3, x.sum()), X, has_aux=True)
    assert_same(k, t)


def test_jvp_and_linearize():
    ks, ts = both([X, Y])
    tk, tt = kitty.tensor(Y), torch.tensor(Y)
    assert_same(kf.jvp(lambda x: x.sin() * x, (ks[0],), (tk,)), tf.jvp(lambda x: x.sin() * x, (ts[0],), (tt,)))
    k = kf.jvp(lambda x, y: ((x * y).exp(), x.sum()), tuple(ks), (tk, tk), has_aux=True)
    t = tf.jvp(lambda x, y: ((x * y).exp(), x.sum()), tuple(ts), (tt, tt), has_aux=True)
    assert_same(k, t)
    ko, kfn = kf.linearize(lambda x: x.tanh() ** 2, ks[0])
    to, tfn = tf.linearize(lambda x: x.tanh() ** 2, ts[0])
    assert_same(ko, to)
    assert_same(kfn(tk), tfn(tt))


def test_forward_over_reverse_hessian_vector_product():
    ks, ts = both([X, Y])
    k = kf.jvp(kf.grad(lambda x: (x.sin() * x**2).sum()), (ks[0],), (ks[1],))
    t = tf.jvp(tf.grad(lambda x: (x.sin() * x**2).sum()), (ts[0],), (ts[1],))
    assert_same(k, t)


class _Net:
    @staticmethod
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.Tanh(), lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))


def _same_params(km, tm):
    with torch.no_grad():
        for (_, p), (_, q) in zip(km.named_parameters(), tm.named_parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))


def test_functional_call_and_grad_of_params():
    km, tm = _Net.build(kitty), _Net.build(torch)
    _same_params(km, tm)
    km.eval(), tm.eval()
    xb = RNG.standard_normal((5, 4)).astype(np.float32)
    kp = {k: v.detach() for k, v in km.named_parameters()}
    tp = {k: v.detach() for k, v in tm.named_parameters()}
    kb = {k: v for k, v in km.named_buffers()}
    tb = {k: v for k, v in tm.named_buffers()}
    k = kf.grad(lambda p: kf.functional_call(km, (p, kb), (kitty.tensor(xb),)).pow(2).sum())(kp)
    t = tf.grad(lambda p: tf.functional_call(tm, (p, tb), (torch.tensor(xb),)).pow(2).sum())(tp)
    assert_same(k, t, atol=1e-5)
    assert all(p.grad is None for p in km.parameters())
    before = km[0].weight
    out = kf.functional_call(km, {"0.weight": kitty.zeros(3, 4)}, kitty.tensor(xb))
    assert km[0].weight is before
    ref = tf.functional_call(tm, {"0.weight": torch.zeros(3, 4)}, torch.tensor(xb))
    assert_same(out, ref, atol=1e-5)


def test_functional_call_tied_weights_and_errors():
    class Tied:
        @staticmethod
        def build(lib):
            class T(lib.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.a = lib.nn.Linear(3, 3)
                    self.b = lib.nn.Linear(3, 3)
                    self.b.weight = self.a.weight

                def forward(self, x):
                    return self.b(self.a(x))

            return T()

    km, tm = Tied.build(kitty), Tied.build(torch)
    with torch.no_grad():
        for (n, p), (_, q) in zip(
            km.named_parameters(remove_duplicate=False), tm.named_parameters(remove_duplicate=False)
        ):
            q.copy_(torch.tensor(p.detach().numpy()))
    x = X[:3]
    for tie in (True, False):
        k = kf.functional_call(km, {"a.weight": kitty.zeros(3, 3) + 0.5}, kitty.tensor(x), tie_weights=tie)
        t = tf.functional_call(tm, {"a.weight": torch.zeros(3, 3) + 0.5}, torch.tensor(x), tie_weights=tie)
        assert_same(k, t, atol=1e-5)
    both_given = {"a.weight": kitty.zeros(3, 3), "b.weight": kitty.ones(3, 3)}
    with pytest.raises(ValueError, match="which are tied"):
        kf.functional_call(km, both_given, kitty.tensor(x))
    lin = kitty.nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match="Missing key\\(s\\): 'bias'"):
        kf.functional_call(lin, {"weight": kitty.ones(2, 3)}, kitty.tensor(x), strict=True)
    with pytest.raises(RuntimeError, match="Unexpected key\\(s\\): 'foo'"):
        kf.functional_call(
            lin, {"weight": kitty.ones(2, 3), "bias": kitty.ones(2), "foo": kitty.ones(1)}, kitty.tensor(x), strict=True
        )
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        kf.functional_call(lin, ({"weight": kitty.ones(2, 3)}, {"weight": kitty.ones(2, 3)}), kitty.tensor(x))
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts"):
        kf.functional_call(lin, 3, kitty.tensor(x))


def test_stack_module_state():
    models = [kitty.nn.Linear(3, 2) for _ in range(4)]
    params, buffers = kf.stack_module_state(models)
    assert params["weight"].shape == (4, 2, 3) and params["weight"].is_leaf and params["weight"].requires_grad
    np.testing.assert_array_equal(params["bias"][2].detach().numpy(), models[2].bias.detach().numpy())
    assert buffers == {}
    bn = kf.stack_module_state([kitty.nn.BatchNorm1d(3) for _ in range(2)])[1]
    assert bn["running_mean"].shape == (2, 3)
    with pytest.raises(RuntimeError, match="Expected at least one model"):
        kf.stack_module_state([])
    with pytest.raises(RuntimeError, match="same training/eval mode"):
        kf.stack_module_state([kitty.nn.Linear(3, 2), kitty.nn.Linear(3, 2).eval()])


ERRORS = [
    (
        "non-scalar",
        lambda g, lib: g.grad(lambda x: x)(lib.ones(3)),
        RuntimeError,
        "Expected f\\(\\*args\\) to return a scalar Tensor",
    ),
    ("non-tensor", lambda g, lib: g.grad(lambda x: 3.0)(lib.ones(3)), RuntimeError, "to return a Tensor, got"),
    (
        "argnum range",
        lambda g, lib: g.grad(lambda x: x.sum(), argnums=2)(lib.ones(3)),
        RuntimeError,
        "Got argnum=2, but only 1 positional inputs",
    ),
    (
        "argnums empty",
        lambda g, lib: g.grad(lambda x: x.sum(), argnums=())(lib.ones(3)),
        RuntimeError,
        "argnums must be non-empty",
    ),
    (
        "argnums dup",
        lambda g, lib: g.grad(lambda x: x.sum(), argnums=(0, 0))(lib.ones(3)),
        RuntimeError,
        "argnums elements must be unique",
    ),
    (
        "argnums type",
        lambda g, lib: g.grad(lambda x: x.sum(), argnums=1.0)(lib.ones(3)),
        RuntimeError,
        "argnums must be int or Tuple",
    ),
    (
        "has_aux",
        lambda g, lib: g.grad(lambda x: x.sum(), has_aux=True)(lib.ones(3)),
        RuntimeError,
        "should be a tuple: \\(output, aux\\)",
    ),
    (
        "not a tensor",
        lambda g, lib: g.grad(lambda x: x.sum())(3.0),
        ValueError,
        "Thing passed to transform API must be Tensor",
    ),
    (
        "vjp shape",
        lambda g, lib: g.vjp(lambda x: x.sin(), lib.ones(3))[1](lib.ones(2)),
        RuntimeError,
        "Mismatch in shape",
    ),
    (
        "chunk",
        lambda g, lib: g.jacrev(lambda x: x, chunk_size=0)(lib.ones(3)),
        ValueError,
        "`chunk_size` should be greater than 0",
    ),
    (
        "jvp primals",
        lambda g, lib: g.jvp(lambda x: x, lib.ones(3), (lib.ones(3),)),
        RuntimeError,
        "Expected primals to be a tuple",
    ),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_torch(case):
    _, call, kind, pattern = case
    with pytest.raises(kind, match=pattern):
        call(tf, torch)
    with pytest.raises(kind, match=pattern):
        call(kf, kitty)


# ---- vmap ----------------------------------------------------------------------------------------

B3 = RNG.standard_normal((3, 4)).astype(np.float32)
B3T = RNG.standard_normal((4, 3)).astype(np.float32)


@pytest.fixture(autouse=False)
def quiet_loop():
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="vmap fell back to a loop")
        yield


@pytest.mark.parametrize(
    "in_dims,out_dims,fn",
    [
        (0, 0, lambda lib, a, b: a.sin() * b),
        ((0, 1), 0, lambda lib, a, b: a @ b),
        ((None, 1), 1, lambda lib, a, b: {"s": a * b, "t": ((a * b).exp(), b.softmax(0))}),
        ((0, None), (0, None), lambda lib, a, b: (a.log_softmax(0), b.sum())),
        (1, -1, lambda lib, a, b: a.unsqueeze(0) * b.unsqueeze(1)),
    ],
)
def test_vmap_dims_and_pytrees(quiet_loop, in_dims, out_dims, fn):
    a, b = (B3, B3T) if in_dims in ((0, 1),) else ((B3T, B3T) if in_dims == 1 else (B3, B3T.T.copy()))
    if in_dims == (None, 1):
        a, b = B3[0], B3T
    ks, ts = both([a, b])
    k = kf.vmap(lambda *x: fn(kitty, *x), in_dims=in_dims, out_dims=out_dims)(*ks)
    t = tf.vmap(lambda *x: fn(torch, *x), in_dims=in_dims, out_dims=out_dims)(*ts)
    assert_same(k, t)


def test_vmap_dict_input_and_nested(quiet_loop):
    k = kf.vmap(lambda d: d["x"] * d["y"].sum(), in_dims=({"x": 0, "y": None},))(
        {"x": kitty.tensor(B3), "y": kitty.tensor(X)}
    )
    t = tf.vmap(lambda d: d["x"] * d["y"].sum(), in_dims=({"x": 0, "y": None},))(
        {"x": torch.tensor(B3), "y": torch.tensor(X)}
    )
    assert_same(k, t)
    k = kf.vmap(kf.vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))(kitty.tensor(X), kitty.tensor(B3))
    t = tf.vmap(tf.vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(None, 0))(torch.tensor(X), torch.tensor(B3))
    assert_same(k, t)


def test_vmap_grad_per_sample_gradients(quiet_loop, semantics):
    torch.manual_seed(0)
    W = RNG.standard_normal((4, 3)).astype(np.float32)
    xb = RNG.standard_normal((6, 4)).astype(np.float32)
    yb = np.array([0, 2, 1, 1, 0, 2])

    def loss(lib, w, x, y):
        logits = (x.unsqueeze(0) @ w).tanh()
        return lib.nn.functional.cross_entropy(logits, y.unsqueeze(0))

    k = kf.vmap(kf.grad(lambda w, x, y: loss(kitty, w, x, y)), in_dims=(None, 0, 0))(
        kitty.tensor(W), kitty.tensor(xb), kitty.tensor(yb)
    )
    t = tf.vmap(tf.grad(lambda w, x, y: loss(torch, w, x, y)), in_dims=(None, 0, 0))(
        torch.tensor(W), torch.tensor(xb), torch.tensor(yb)
    )
    assert_same(k, t, atol=1e-5)


def test_vmap_jacrev_and_ensemble(quiet_loop):
    k = kf.vmap(kf.jacrev(lambda x: x.sin() * x.sum()))(kitty.tensor(B3))
    t = tf.vmap(tf.jacrev(lambda x: x.sin() * x.sum()))(torch.tensor(B3))
    assert_same(k, t)
    models = [kitty.nn.Linear(4, 2) for _ in range(3)]
    params, buffers = kf.stack_module_state(models)
    base = models[0]
    out = kf.vmap(lambda p, b, x: kf.functional_call(base, (p, b), (x,)), in_dims=(0, 0, None))(
        params, buffers, kitty.tensor(X)
    )
    for i, m in enumerate(models):
        np.testing.assert_allclose(out[i].detach().numpy(), m(kitty.tensor(X)).detach().numpy(), rtol=1e-6)


def test_vmap_randomness_and_warning():
    import warnings

    def noisy(a):
        return a + kitty.rand(())

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        same = kf.vmap(noisy, randomness="same")(kitty.zeros(4))  # batched: one draw shared by the samples
    assert not caught
    assert len(set(same.tolist())) == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kitty.manual_seed(7)
        different = kf.vmap(noisy, randomness="different")(kitty.zeros(4))
    # per-sample draws are one draw for all samples, as torch's: no loop, torch's numbers
    assert not caught
    assert len(set(different.tolist())) == 4
    torch.manual_seed(7)
    assert_same(different, tf.vmap(lambda a: a + torch.rand(()), randomness="different")(torch.zeros(4)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
            kf.vmap(noisy)(kitty.zeros(4))
        assert_same(kf.vmap(lambda a: a * 2, chunk_size=2)(kitty.tensor(X)), torch.tensor(X) * 2)


VMAP_ERRORS = [
    (
        "in_dims type",
        lambda v, lib: v(lambda a: a, in_dims=None)(lib.ones(3, 4)),
        ValueError,
        "expected `in_dims` to be int or a",
    ),
    (
        "sizes",
        lambda v, lib: v(lambda a, b: a + b)(lib.ones(3, 4), lib.ones(4, 4)),
        ValueError,
        "got sizes \\[3, 4\\] for the mapped dimension",
    ),
    (
        "in_dim range",
        lambda v, lib: v(lambda a: a, in_dims=2)(lib.ones(3, 4)),
        ValueError,
        "expected in_dim to satisfy -2 <= in_dim < 2",
    ),
    (
        "structure",
        lambda v, lib: v(lambda a: a, in_dims=(0, 0))(lib.ones(3, 4)),
        ValueError,
        "in_dims is not compatible with the structure",
    ),
    (
        "non-tensor out",
        lambda v, lib: v(lambda a: 3.0)(lib.ones(3, 4)),
        ValueError,
        "must only return Tensors, got type",
    ),
    (
        "batched None out",
        lambda v, lib: v(lambda a: a * 1, out_dims=None)(lib.ones(3, 4) + lib.arange(3.0).reshape(3, 1)),
        ValueError,
        "can not return a BatchedTensor when out_dim is None",
    ),
    ("non-tensor in", lambda v, lib: v(lambda a: a)(3.0), ValueError, "We cannot vmap over non-Tensor arguments"),
    (
        "randomness",
        lambda v, lib: v(lambda a: a, randomness="foo")(lib.ones(3)),
        RuntimeError,
        "Only allowed values for randomness",
    ),
    (
        "chunk",
        lambda v, lib: v(lambda a: a, chunk_size=0)(lib.ones(3)),
        ValueError,
        "chunk_size should be None or greater than 0",
    ),
    ("no inputs", lambda v, lib: v(lambda: 1)(), ValueError, "got no inputs"),
    ("out_dim range", lambda v, lib: v(lambda a: a, out_dims=3)(lib.ones(3, 4)), IndexError, "Dimension out of range"),
]


@pytest.mark.parametrize("case", VMAP_ERRORS, ids=[c[0] for c in VMAP_ERRORS])
def test_vmap_errors_match_torch(quiet_loop, case):
    _, call, kind, pattern = case
    with pytest.raises(kind, match=pattern):
        call(tf.vmap, torch)
    with pytest.raises(kind, match=pattern):
        call(kf.vmap, kitty)


def test_eager_identities_functionalize_debug_unwrap_and_batch_norm():
    def f(lib):
        def inner(a):
            a.add_(1)
            return a * 2, a[0]

        return inner

    for remove in ("mutations", "mutations_and_views"):
        xk, xt = kitty.zeros(3), torch.zeros(3)
        k = kf.functionalize(f(kitty), remove=remove)(xk)
        t = tf.functionalize(f(torch), remove=remove)(xt)
        assert_same((k, xk), (t, xt))
    with pytest.raises(RuntimeError, match="received invalid argument for remove=foo"):
        kf.functionalize(f(kitty), remove="foo")
    x = kitty.ones(2)
    assert kf.debug_unwrap(x) is x
    for lib, func in ((kitty, kf), (torch, tf)):
        net = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.BatchNorm1d(3))
        assert func.replace_all_batch_norm_modules_(net) is net
        bn = net[1]
        assert (bn.running_mean, bn.running_var, bn.num_batches_tracked, bn.track_running_stats) == (
            None,
            None,
            None,
            False,
        )
        assert list(dict(net.named_buffers())) == []


def test_vmap_of_a_vjp_fn_taken_outside_vmap(quiet_loop, semantics):
    """vjp outside vmap, its vjp_fn inside (the NTK tutorial): each basis row gets its own pullback
    (a physical pass over the shared graph would sum the rows into one gradient)."""
    rng = np.random.default_rng(5)
    w, b, x = rng.standard_normal((5, 4)), rng.standard_normal(5), rng.standard_normal((2, 4))
    results = []
    for lib, fmod in ((kitty, kf), (torch, tf)):
        params = {"w": lib.tensor(w), "b": lib.tensor(b)}
        inputs = lib.tensor(x)

        def f(p, xs=inputs, lib=lib):
            return lib.tanh(xs @ p["w"].T + p["b"]).sum(0)

        _, vjp_fn = fmod.vjp(f, params)
        rows = fmod.vmap(vjp_fn)(lib.eye(5, dtype=lib.float64))
        ntk = fmod.vmap(lambda v, vjp_fn=vjp_fn, f=f, params=params, fmod=fmod: fmod.jvp(f, (params,), vjp_fn(v))[1])(
            lib.eye(5, dtype=lib.float64))
        results.append((rows, ntk))
    assert_same(results[0], results[1], atol=1e-10)


def test_vmap_refuses_batch_norm_updating_unbatched_running_stats():
    """torch.func's rule: per-sample statistics cannot update one shared running mean; eval mode
    and modules without running statistics are batched as usual."""
    x = RNG.standard_normal((4, 5, 3)).astype(np.float32)
    for lib, func in ((kitty, kf), (torch, tf)):
        bn = lib.nn.BatchNorm1d(3)
        with pytest.raises(RuntimeError, match="running_mean or running_var, which will be updated in place, were not batched"):
            func.vmap(bn)(lib.tensor(x))
        assert float(bn.running_mean.abs().sum()) == 0.0
    outs = []
    for lib, func in ((kitty, kf), (torch, tf)):
        bn = lib.nn.BatchNorm1d(3)
        free = lib.nn.BatchNorm1d(3, track_running_stats=False)
        outs.append((func.vmap(free)(lib.tensor(x)), func.vmap(bn.eval())(lib.tensor(x))))
    assert_same(outs[0], outs[1], atol=1e-5)


@pytest.mark.parametrize("conv", [False, True])
def test_vmap_of_an_ensemble_with_batch_norm_in_training_updates_each_model_once(conv):
    """Running statistics stacked like the parameters (stack_module_state) are updated per model
    by the batched rule, with no per-sample loop (which would run the module's side effects, such
    as counting the batch, twice): gradients and buffers as torch's."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 5, 2, 6, 6) if conv else (3, 5, 4)).astype(np.float32)
    results = []
    for lib, func in ((kitty, kf), (torch, tf)):
        lib.manual_seed(0)

        def make(lib=lib):
            if conv:
                return lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3), lib.nn.ReLU(), lib.nn.Flatten(), lib.nn.Linear(48, 2))
            return lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(3))

        models = [make() for _ in range(3)]
        params, buffers = func.stack_module_state(models)

        def loss(p, b, xs, base=models[0], func=func):
            return func.functional_call(base, (p, b), (xs,)).pow(2).sum()

        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no loop fallback
            grads = [func.vmap(func.grad(loss))(params, buffers, lib.tensor(x)) for _ in range(2)]
        results.append((grads, buffers))
    assert_same(results[0][0], results[1][0], atol=1e-5)
    assert_same(results[0][1], results[1][1], atol=1e-5)
    assert results[0][1]["1.num_batches_tracked"].tolist() == [2, 2, 2]


def test_vmap_of_grad_through_index_assignment_stays_batched():
    """``y[i] = v`` on a tensor that requires grad checks its index by slicing the batched
    tensor's stand-in: done on the physical tensor, so the function is batched, not looped (a
    padded conv's tangents under jacfwd write this way too)."""
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    results = []
    for lib, func in ((kitty, kf), (torch, tf)):
        def g(v, lib=lib):
            y = v.clone()
            y[0] = 5.0
            y[1:3] = v[:2] * 2
            return (y * v).sum()

        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no loop fallback
            results.append((func.vmap(func.grad(g))(lib.tensor(x)), func.vmap(g)(lib.tensor(x))))
    assert_same(results[0], results[1], atol=1e-5)
    w = kitty.tensor(RNG.standard_normal((2, 1, 3, 3)).astype(np.float32))
    with pytest.raises(IndexError):  # a bad index still fails as an index error, about the sample's dims
        kf.vmap(kf.grad(lambda v: (v.clone().__setitem__((0, 9), 1.0) or v).sum()))(kitty.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kf.jacfwd(lambda v: kitty.nn.functional.conv2d(kitty.ones(1, 1, 5, 5), v, padding=1).sum())(w)


def test_vmap_randomness_different_draws_as_torch_without_a_loop():
    """randomness="different": each draw is made once for every sample, so a function with
    several draws sees torch's numbers (a per-sample loop would interleave them)."""
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    results = []
    for lib, func in ((kitty, kf), (torch, tf)):
        F = lib.nn.functional

        def f(v, lib=lib, F=F):
            return F.dropout(v, 0.5) + 10 * F.dropout(v, 0.3) + lib.randn(5) + lib.rand(())

        lib.manual_seed(3)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = func.vmap(f, randomness="different")(lib.tensor(x))
        results.append((out, lib.randn(2)))  # the generator moved on as torch's did
    assert_same(results[0], results[1], atol=1e-5)


def test_vmap_fallback_after_an_in_place_write_does_not_repeat_it():
    """When the batched run gives way to the per-sample loop, what it wrote into vmap's inputs
    is put back first, so each sample's in-place update (a running statistic) happens once."""
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    results = []
    for lib, func in ((kitty, kf), (torch, tf)):
        buf = lib.zeros(3, 4)

        def f(b, v, lib=lib, func=func):
            b.add_(v)
            return func.jvp(lib.sin, (v,), (lib.ones_like(v),))[1]  # forward AD: kittygrad loops here

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = func.vmap(f)(buf, lib.tensor(x))
        results.append((out, buf))
    assert_same(results[0], results[1], atol=1e-6)


@pytest.mark.parametrize("cell", ["GRUCell", "RNNCell", "LSTMCell"])
def test_grad_through_a_recurrent_cell_applied_twice_with_module_parameters_requiring_grad(cell):
    """func.grad with the module's own parameters still requiring grad builds its gradient with
    create_graph: a fused op's composite backward must give the op's partial derivatives, not add
    the earlier steps' path through the state a second time."""
    xs = RNG.standard_normal((3, 2, 3))
    h = RNG.standard_normal((2, 4))
    results = []
    for lib, func in ((kitty, kf), (torch, tf)):
        lib.manual_seed(0)
        m = getattr(lib.nn, cell)(3, 4).double()
        w = m.weight_ih.detach().clone()

        def f(weight, m=m, lib=lib, func=func):
            state = lib.tensor(h) if cell != "LSTMCell" else (lib.tensor(h), lib.tensor(h))
            for x in lib.tensor(xs):
                state = func.functional_call(m, {"weight_ih": weight}, (x, state))
            return (state[0] if cell == "LSTMCell" else state).pow(2).sum()

        results.append(func.grad(f)(w))
    assert_same(results[0], results[1], atol=1e-9)


def test_vmap_of_an_ensemble_with_batch_norm_in_eval_uses_each_models_statistics():
    """Stacked running statistics in eval mode are batched (no per-sample loop), and statistics
    shared by every sample broadcast: values and per-sample gradients as torch's."""
    x = np.random.default_rng(6).standard_normal((3, 5, 2, 6, 6)).astype(np.float32)
    results = []
    for lib, func in ((kitty, kf), (torch, tf)):
        lib.manual_seed(0)
        models = [lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3), lib.nn.ReLU(), lib.nn.Flatten(),
                                    lib.nn.Linear(48, 2)) for _ in range(3)]
        for m in models:  # distinct running statistics per model
            m(lib.randn(4, 2, 6, 6))
            m.eval()
        params, buffers = func.stack_module_state(models)
        base, xs = models[0], lib.tensor(x)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no loop fallback
            out = func.vmap(lambda p, b, xi: func.functional_call(base, (p, b), (xi,)))(params, buffers, xs)
            grads = func.vmap(func.grad(lambda p, b, xi: func.functional_call(base, (p, b), (xi,)).sum()))(params, buffers, xs)
            shared = func.vmap(lambda p, xi: func.functional_call(base, (p, dict(base.named_buffers())), (xi,)))(params, xs)
        results.append((out, grads, shared))
    assert_same(results[0], results[1], atol=1e-5)


@pytest.mark.parametrize("kind, options", [
    ("GRU", {"batch_first": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {"proj_size": 2, "batch_first": True}),
])
def test_vmap_of_a_recurrent_module_with_shared_weights_is_one_run(kind, options):
    """torch.func has no batching rule for its RNN ops (vmap raises there); kittygrad joins the samples
    into the op's own batch dim when the weights are shared: the values, final states and the
    gradient of the weights through vmap equal a per-sample loop, with no loop fallback."""
    kitty.manual_seed(0)
    module = getattr(kitty.nn, kind)(3, 4, **options)
    x = kitty.tensor(np.random.default_rng(8).standard_normal((4, 5, 3)).astype(np.float32))
    params = {k: v.detach() for k, v in module.named_parameters()}

    def run(p, xs):
        out, state = kf.functional_call(module, p, (xs,))
        return out, (state[0] if kind == "LSTM" else state)

    def total(p):
        out, state = kf.vmap(lambda xs: run(p, xs))(x)
        return out.pow(2).sum() + state.sum()

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no loop fallback
        out, state = kf.vmap(lambda xs: run(params, xs))(x)
        grads = kf.grad(total)(params)
    loop = [run(params, x[i]) for i in range(4)]
    np.testing.assert_allclose(out.numpy(), kitty.stack([o for o, _ in loop]).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.numpy(), kitty.stack([s for _, s in loop]).numpy(), rtol=1e-5, atol=1e-6)
    expected = kf.grad(lambda p: sum(o.pow(2).sum() + s.sum() for o, s in (run(p, x[i]) for i in range(4))))(params)
    for name in params:
        np.testing.assert_allclose(grads[name].numpy(), expected[name].numpy(), rtol=1e-4, atol=1e-5)
