"""Forward-mode AD inside ``vmap`` runs batched, checked against ``torch.func``.

``vmap(jacfwd(f))``, ``vmap(jvp)``, ``vmap(jacfwd(jacrev(f)))``, nested ``vmap(vmap(jvp))``: the
forward-AD level goes under the vmap levels, so the batching rules compute every sample's tangent
in one run. Any warning while kittygrad runs is an error here (a loop fallback warns), except where
a test expects the loop.
"""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import kittygrad as kitty
import kittygrad.nn.functional as KF
from test_func_no_cycles import cyclic_garbage  # (tests/ is on sys.path under pytest)

rng = np.random.default_rng(3)
X = rng.standard_normal((5, 3, 4)).astype(np.float32)  # 5 samples of (3, 4)
T = rng.standard_normal((5, 3, 4)).astype(np.float32)
W = (rng.standard_normal((4, 4)) / 2).astype(np.float32)
W2 = (rng.standard_normal((4, 4)) / 2).astype(np.float32)
BIAS = rng.standard_normal(4).astype(np.float32)

LIBS = {"torch": (torch, TF, torch.func), "kitty": (kitty, KF, kitty.func)}


@pytest.fixture(autouse=True)
def _warn_always():
    was = kitty.is_warn_always_enabled()
    kitty.set_warn_always(True)  # (every loop fallback warns, not only the first of its kind)
    yield
    kitty.set_warn_always(was)


def _flat(value):
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _flat(v)]
    if isinstance(value, dict):
        return [leaf for k in sorted(value) for leaf in _flat(value[k])]
    return [value]


def _run(build, loop_expected=False):
    """``build(L, F, func, x, t, w)`` under torch, then under kittygrad with warnings as errors;
    the results (pytrees of tensors) must match: shapes and dtypes exactly, values to 1e-5."""
    want = build(*LIBS["torch"], torch.tensor(X), torch.tensor(T), torch.tensor(W))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if loop_expected:
            warnings.filterwarnings("always", message="vmap fell back to a loop")
        got = build(*LIBS["kitty"], kitty.tensor(X), kitty.tensor(T), kitty.tensor(W))
    want, got = _flat(want), _flat(got)
    assert len(want) == len(got)
    for w, g in zip(want, got):
        w, g = w.detach().numpy(), g.detach().numpy()
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


FUNCS = {
    "tanh": lambda L, F, x, w: L.tanh(x @ w),
    "sin": lambda L, F, x, w: L.sin(x) * x,
    "exp": lambda L, F, x, w: L.exp(x * 0.5),
    "sigmoid": lambda L, F, x, w: L.sigmoid(x @ w),
    "relu": lambda L, F, x, w: L.relu(x @ w) + F.relu(x),
    "softmax": lambda L, F, x, w: F.softmax(x @ w, dim=-1),
    "log_softmax": lambda L, F, x, w: F.log_softmax(x @ w, dim=0),
    "matmul": lambda L, F, x, w: x @ w,
    "linear": lambda L, F, x, w: F.linear(x, w, w[0] * 0 + w.new_tensor(BIAS)),
    "sum_dim": lambda L, F, x, w: (x @ w).sum(dim=0) * L.sin(x).sum(dim=1, keepdim=True),
    "mean_dim": lambda L, F, x, w: L.exp(x).mean(dim=1, keepdim=True) * x.mean(dim=0),
    "x_times_sum": lambda L, F, x, w: x * x.sum(),
    "mlp": lambda L, F, x, w: L.tanh(L.tanh(x @ w) @ w.new_tensor(W2)),
}


@pytest.mark.parametrize("name", list(FUNCS))
def test_vmap_jacfwd(name):
    f = FUNCS[name]
    _run(lambda L, F, func, x, t, w: func.vmap(func.jacfwd(lambda q: f(L, F, q, w)))(x))


@pytest.mark.parametrize("name", list(FUNCS))
def test_vmap_jvp_batched_tangent(name):
    f = FUNCS[name]
    _run(lambda L, F, func, x, t, w: func.vmap(lambda v, u: func.jvp(lambda q: f(L, F, q, w), (v,), (u,)))(x, t))


@pytest.mark.parametrize("name", ["tanh", "softmax", "log_softmax", "x_times_sum", "mlp"])
def test_vmap_jvp_unbatched_tangent(name):
    f = FUNCS[name]
    _run(lambda L, F, func, x, t, w: func.vmap(lambda v: func.jvp(lambda q: f(L, F, q, w), (v,), (t[0],))[1])(x))


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "mlp"])
def test_vmap_jvp_unbatched_primal_batched_tangent(name):
    f = FUNCS[name]
    _run(lambda L, F, func, x, t, w: func.vmap(lambda u: func.jvp(lambda q: f(L, F, q, w), (x[0],), (u,))[1])(t))


def test_vmap_jvp_ones_like_tangent_and_has_aux():
    def build(L, F, func, x, t, w):
        one = func.vmap(lambda v: func.jvp(lambda q: L.tanh(L.tanh(q @ w) @ w), (v,), (L.ones_like(v),))[1])(x)
        aux = func.vmap(lambda v, u: func.jvp(lambda q: (q.sin() @ w, q.cos()), (v,), (u,), has_aux=True))(x, t)
        return one, aux

    _run(build)


def test_vmap_jacfwd_in_dims_none_and_argnums():
    def f(L, a, b, c):
        return L.tanh(a @ b) * c.sum() + L.sigmoid(a).sum(dim=1, keepdim=True)

    def build(L, F, func, x, t, w):
        c = t[0, 0]
        both = func.vmap(func.jacfwd(lambda a, b, c: f(L, a, b, c), argnums=(0, 1)), in_dims=(0, None, None))(x, w, c)
        second = func.vmap(func.jacfwd(lambda a, b, c: f(L, a, b, c), argnums=1), in_dims=(0, None, None))(x, w, c)
        shared_x = func.vmap(func.jacfwd(lambda a, b, c: f(L, a, b, c), argnums=(0, 2)), in_dims=(None, None, 0))(
            x[0], w, t[:, 0]
        )
        return both, second, shared_x

    _run(build)


def test_vmap_jacfwd_has_aux_and_in_out_dims():
    def build(L, F, func, x, t, w):
        aux = func.vmap(func.jacfwd(lambda q: (q.exp() @ w, q.cos()), has_aux=True))(x)
        moved = func.vmap(func.jacfwd(lambda q: F.softmax(q, dim=-1)), in_dims=1, out_dims=1)(x)
        chunked = func.vmap(func.jacfwd(lambda q: q.tanh() @ w), chunk_size=2)(x)
        return aux, moved, chunked

    _run(build)


def test_vmap_linearize():
    def inside(L, F, func, x, t, w):
        return func.vmap(lambda v, u: func.linearize(lambda q: L.tanh(q @ w), v)[1](u))(x, t)

    try:  # (torch refuses linearize of a batched primal: "no batching rule for aten::_make_dual")
        inside(*LIBS["torch"], torch.tensor(X), torch.tensor(T), torch.tensor(W))
    except RuntimeError:
        pytest.skip("torch.func.vmap(linearize) is not supported by torch")
    _run(inside)


def test_linearize_outside_jvp_fn_vmapped():
    def build(L, F, func, x, t, w):
        _, jvp_fn = func.linearize(lambda q: L.tanh(q @ w) * q, x[0])
        return func.vmap(jvp_fn)(t)

    _run(build)


@pytest.mark.parametrize("name", ["tanh", "sin", "softmax", "log_softmax", "x_times_sum", "mean_dim"])
def test_vmap_jacfwd_jacrev_and_hessian(name):
    f = FUNCS[name]

    def build(L, F, func, x, t, w):
        scalar = lambda q: f(L, F, q, w).sum()  # noqa: E731
        return func.vmap(func.jacfwd(func.jacrev(scalar)))(x), func.vmap(func.hessian(scalar))(x)

    _run(build)


def test_nested_vmap_vmap_jvp():
    def build(L, F, func, x, t, w):
        f = lambda q: F.log_softmax(L.tanh(q @ w), dim=-1)  # noqa: E731
        both = func.vmap(func.vmap(lambda v, u: func.jvp(f, (v,), (u,))[1]))(x, t)
        inner_tangent = func.vmap(func.vmap(lambda v, u: func.jvp(f, (v,), (u,))[1], in_dims=(0, None)), in_dims=(None, 0))(
            x[0], t[:, 0]
        )
        return both, inner_tangent

    _run(build)


def test_nested_vmap_jacfwd():
    _run(lambda L, F, func, x, t, w: func.vmap(func.vmap(func.jacfwd(lambda q: L.sigmoid(q) @ w)))(x))


def test_inplace_and_indexing_inside_vmap_jvp():
    def g(q):
        y = q.clone()
        y.mul_(0.5)
        y[0] = y[1] * 0.3
        return y.exp_().sin()

    _run(lambda L, F, func, x, t, w: func.vmap(lambda v, u: func.jvp(g, (v,), (u,))[1])(x, t))


class _Exp(kitty.autograd.Function):
    """A custom Function with a jvp and a vmap staticmethod: runs batched under vmap(jvp)."""

    @staticmethod
    def forward(x):
        return x.exp()

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.y = output

    @staticmethod
    def backward(ctx, g):
        return g * ctx.y

    @staticmethod
    def jvp(ctx, t):
        return t * ctx.y

    @staticmethod
    def vmap(info, in_dims, x):
        return _Exp.apply(x), 0


class _ExpNoVmap(_Exp):
    """The same without a vmap staticmethod: vmap loops, and the values are still right."""

    vmap = kitty.autograd.Function.vmap


def test_custom_function_jvp_inside_vmap():
    xs, ts = kitty.tensor(X), kitty.tensor(T)
    want = np.exp(np.sin(X)) * np.cos(X) * T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = kitty.func.vmap(lambda v, u: kitty.func.jvp(lambda q: _Exp.apply(q.sin()), (v,), (u,))[1])(xs, ts)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)
    with pytest.warns(UserWarning, match="vmap fell back to a loop"):
        got = kitty.func.vmap(lambda v, u: kitty.func.jvp(lambda q: _ExpNoVmap.apply(q.sin()), (v,), (u,))[1])(xs, ts)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)


def test_reverse_through_batched_jvp_refuses():
    # tangents carry no graph: a reverse pass through one must raise, not give zeros
    # (the guard is a custom Function without a vmap rule: vmap loops, and each sample raises)
    with pytest.warns(UserWarning, match="vmap fell back to a loop"), pytest.raises(
        RuntimeError, match="reverse-mode differentiation through a forward-mode result"
    ):
        kitty.func.vmap(kitty.func.grad(lambda v: kitty.func.jvp(lambda q: q.sin(), (v,), (kitty.ones_like(v),))[1].sum()))(
            kitty.tensor(X)
        )


def test_vjp_fn_in_a_nested_vmap_loops_with_right_values():
    """The NTK-by-products pattern: vjp under one vmap, its vjp_fn under a vmap inside it, jvp on
    the result. The inner vmap loops (the vjp graph's batch dims are not the cotangent's); the
    values must be torch's."""

    def build(L, F, func, x, t, w):
        def one(b):
            out, vjp_fn = func.vjp(lambda p: L.tanh(b @ p), w)

            def column(v):
                (cot,) = vjp_fn(v)
                return func.jvp(lambda p: L.tanh(b.sin() @ p), (w,), (cot,))[1]

            return func.vmap(column)(L.eye(out.numel()).reshape((-1,) + tuple(out.shape)))

        return func.vmap(one)(x)

    _run(build, loop_expected=True)


@pytest.mark.parametrize("name", ["vmap(jvp)", "vmap(jacfwd)", "vmap(jacfwd(jacrev))", "vmap(vmap(jvp))"])
def test_no_cyclic_garbage(name):
    w, x = kitty.tensor(W), kitty.tensor(X)
    f = lambda q: kitty.tanh(q @ w)  # noqa: E731
    call = {
        "vmap(jvp)": lambda: kitty.func.vmap(lambda v: kitty.func.jvp(f, (v,), (kitty.ones_like(v),)))(x),
        "vmap(jacfwd)": lambda: kitty.func.vmap(kitty.func.jacfwd(f))(x),
        "vmap(jacfwd(jacrev))": lambda: kitty.func.vmap(kitty.func.jacfwd(kitty.func.jacrev(lambda q: f(q).sum())))(x),
        "vmap(vmap(jvp))": lambda: kitty.func.vmap(kitty.func.vmap(lambda v: kitty.func.jvp(f, (v,), (v,))))(x),
    }[name]
    found = cyclic_garbage(call)
    assert found == 0, f"{name} left {found} objects in reference cycles"
