"""``vmap`` with batching rules: one batched run instead of a loop, checked against ``torch.func.vmap``.

Every case here must run without the per-sample loop: a "vmap fell back to a loop" warning is an
error in this file, except where a test expects it.
"""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import kittygrad as kitty
import kittygrad.nn.functional as KF
from kittygrad.func import _batching_rules

rng = np.random.default_rng(7)
X = rng.standard_normal((5, 4, 6)).astype(np.float32)
W = rng.standard_normal((3, 6)).astype(np.float32)
IMG = rng.standard_normal((5, 2, 3, 8, 8)).astype(np.float32)
KERNEL = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)


@pytest.fixture(autouse=True)
def _no_loop():
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="vmap fell back to a loop")
        yield


def _assert_close(k, t, atol=1e-5):
    k = k.detach().numpy() if isinstance(k, kitty.Tensor) else np.asarray(k)
    t = t.detach().numpy()
    assert k.shape == t.shape, (k.shape, t.shape)
    np.testing.assert_allclose(k.astype(np.float64), t.astype(np.float64), rtol=1e-4, atol=atol)


def _torch_vmap(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's own "no batching rule" performance notes
        return torch.func.vmap(fn, **kwargs)(*args)


FAMILIES = {
    "elementwise": lambda L, F, x: (x.sin() * 2 + x.exp() / (1 + x**2)).tanh() - x.abs().sqrt(),
    "broadcast_against_bigger": lambda L, F, x: x + L.ones(3, 4, 6),
    "reductions_dim": lambda L, F, x: x.sum(1) + x.mean(-1, keepdim=True).squeeze(-1)[:, None],
    "reductions_all": lambda L, F, x: x.sum() + x.var() + x.std(0).sum() + x.amax() + x.logsumexp(1).sum(),
    "max_min_dim": lambda L, F, x: x.max(1)[0] + x.min(0).values.sum(),
    "softmax": lambda L, F, x: F.softmax(x, -1) + F.log_softmax(x, 0),
    "views": lambda L, F, x: x.transpose(0, 1).reshape(-1).view(2, 12).permute(1, 0).unsqueeze(1).flatten(),
    "expand": lambda L, F, x: x[:, :1].expand(4, 6) + x.unsqueeze(0).expand(2, 4, 6).sum(0),
    "indexing": lambda L, F, x: x[1:3, ::2].sum() + x[L.tensor([0, 2])].sum() + x[:, 0].sum() + x[..., -1].sum(),
    "cat_stack": lambda L, F, x: L.cat([x, L.ones(2, 6)], 0).sum(0) + L.stack([x[0], x[1]], 1).sum(1),
    "matmul_fixed_matrix": lambda L, F, x: x @ L.tensor(W).T + (x[0] @ x.T).sum(),
    "matmul_batched_right": lambda L, F, x: L.tensor(W) @ x[0] + L.mm(x, L.tensor(W).T).sum(0)[:1],
    "matmul_vectors": lambda L, F, x: L.dot(x[0], x[1]) + L.mv(x, x[0]).sum() + (x[0] @ x[1]),
    "linear": lambda L, F, x: F.linear(x, L.tensor(W), L.ones(3)),
    "layer_norm": lambda L, F, x: F.layer_norm(x, (6,)),
    "losses": lambda L, F, x: F.mse_loss(x, L.zeros(4, 6)) + F.l1_loss(x, L.ones(4, 6), reduction="sum")
    + F.smooth_l1_loss(x, x.detach() * 0.5),
    "bce_kl": lambda L, F, x: F.binary_cross_entropy_with_logits(x, L.ones(4, 6))
    + F.kl_div(F.log_softmax(x, -1), F.softmax(x * 2, -1), reduction="batchmean"),
    "activations": lambda L, F, x: F.gelu(x) + F.relu(x) + F.silu(x) + F.leaky_relu(x) + F.elu(x) + F.softplus(x),
    "where_clamp": lambda L, F, x: L.where(x > 0, x, L.zeros(())) + x.clamp(-0.5, 0.5),
    "scans_flip": lambda L, F, x: x.cumsum(1) + x.flip(0),
    "gather": lambda L, F, x: x.gather(1, L.zeros(4, 2, dtype=L.long)),
    "norms": lambda L, F, x: x.norm(dim=1) + L.linalg.vector_norm(x),
    "comparisons": lambda L, F, x: ((x > 0) & (x < 1)).float() + (x == x[0]).float() + (x != 0).float(),
    "argmax": lambda L, F, x: x.argmax(-1).float() + x.argmin().float(),
    "masked_fill": lambda L, F, x: x.masked_fill(x > 0, 0.0),
    "creation_like": lambda L, F, x: L.zeros_like(x) + L.ones_like(x) * x + L.full_like(x, 2.0),
    "casts": lambda L, F, x: x.clone().detach() + x.float() + x.to(L.float64).float(),
    "sort_topk": lambda L, F, x: x.topk(2, dim=-1).values.sum(-1) + x.sort(0).values.sum(-1),
    "einsum": lambda L, F, x: L.einsum("ij,kj->ik", x, L.ones(3, 6)),
    "pad": lambda L, F, x: F.pad(x, (1, 1)),
    "split_chunk": lambda L, F, x: L.cat(x.split(2, dim=1)[::-1], 1) + x.chunk(2, 0)[0].sum(0),
    "unbind": lambda L, F, x: x.unbind(0)[1],
    "repeat_roll": lambda L, F, x: x.repeat(2, 1, 1).sum(0) + x.roll(1, 0) + x.roll((1, 2), (0, 1)),
    "repeat_interleave_unfold": lambda L, F, x: x.repeat_interleave(2, dim=0)[:4] + x.unfold(1, 2, 2).sum(-1).repeat(1, 2),
    "soft_cross_entropy": lambda L, F, x: F.cross_entropy(x, F.softmax(x * 3, -1)) + F.cross_entropy(x, F.softmax(-x, -1), reduction="sum"),
    "scatter_family": lambda L, F, x: x.scatter(1, L.zeros(4, 2, dtype=L.long), x[:, :2] * 2)
    + x.scatter_add(0, L.ones(4, 6, dtype=L.long), x) + x.scatter_reduce(1, L.zeros(4, 6, dtype=L.long), x, "amax"),
    "index_add_copy_fill": lambda L, F, x: x.index_add(1, L.tensor([0, 2, 2]), x[:, :3]) + x.index_copy(0, L.tensor([1, 0, 3, 2]), x * 3)
    + x.index_fill(1, L.tensor([5]), -1.0),
    "diagonal_tril": lambda L, F, x: x[:, :4].diagonal() + x[:, :4].tril().sum(0) + L.diag_embed(x[0, :4]).sum(1),
}


@pytest.mark.parametrize("name", list(FAMILIES))
def test_family_matches_torch(name):
    f = FAMILIES[name]
    got = kitty.func.vmap(lambda x: f(kitty, KF, x))(kitty.tensor(X))
    want = _torch_vmap(lambda x: f(torch, TF, x), torch.tensor(X))
    _assert_close(got, want)


def test_conv_pool_and_batch_norm_eval():
    def f(L, F, x, k):
        y = F.max_pool2d(F.conv2d(x, k, padding=1), 2) + F.avg_pool2d(F.conv2d(x, k, padding=1), 2)
        return F.batch_norm(y, L.zeros(4), L.ones(4), training=False)

    got = kitty.func.vmap(lambda x: f(kitty, KF, x, kitty.tensor(KERNEL)))(kitty.tensor(IMG))
    want = _torch_vmap(lambda x: f(torch, TF, x, torch.tensor(KERNEL)), torch.tensor(IMG))
    _assert_close(got, want, atol=1e-4)


def test_embedding_and_cross_entropy_with_batched_indices():
    table = rng.standard_normal((10, 4)).astype(np.float32)
    idx = rng.integers(0, 10, (5, 3))
    target = rng.integers(0, 4, (5, 3))

    def f(L, F, i, t):
        logits = F.embedding(i, L.tensor(table))
        return F.cross_entropy(logits, t) + F.nll_loss(F.log_softmax(logits, -1), t, reduction="sum")

    got = kitty.func.vmap(lambda i, t: f(kitty, KF, i, t))(kitty.tensor(idx), kitty.tensor(target))
    want = _torch_vmap(lambda i, t: f(torch, TF, i, t), torch.tensor(idx), torch.tensor(target))
    _assert_close(got, want)


def _per_sample_grads(lib, model_fn, params, xs, ys):
    func = lib.func

    def loss_of_one(p, x, y):
        return model_fn(lib, p, x.unsqueeze(0), y.unsqueeze(0))

    return func.vmap(func.grad(loss_of_one), in_dims=(None, 0, 0))(params, xs, ys)


def _mlp(L, p, x, y):
    F = KF if L is kitty else TF
    h = F.relu(F.linear(x.flatten(1), p["w1"], p["b1"]))
    return F.cross_entropy(F.linear(h, p["w2"], p["b2"]), y)


def _cnn(L, p, x, y):
    F = KF if L is kitty else TF
    h = F.max_pool2d(F.relu(F.conv2d(x, p["k"], p["kb"], padding=1)), 2).flatten(1)
    return F.nll_loss(F.log_softmax(F.linear(h, p["w"]), -1), y)


def _embed_ln(L, p, x, y):
    F = KF if L is kitty else TF
    h = F.layer_norm(F.embedding(x, p["emb"]).mean(1), (4,), p["g"], p["b"])
    return F.cross_entropy(h @ p["out"], y)


PER_SAMPLE = {
    "mlp": (
        _mlp,
        {"w1": (16, 12), "b1": (16,), "w2": (3, 16), "b2": (3,)},
        lambda: rng.standard_normal((6, 12)).astype(np.float32),
        3,
    ),
    "cnn": (
        _cnn,
        {"k": (4, 3, 3, 3), "kb": (4,), "w": (5, 64)},
        lambda: rng.standard_normal((6, 3, 8, 8)).astype(np.float32),
        5,
    ),
    "embedding_layer_norm": (
        _embed_ln,
        {"emb": (10, 4), "g": (4,), "b": (4,), "out": (4, 3)},
        lambda: rng.integers(0, 10, (6, 5)),
        3,
    ),
}


@pytest.mark.parametrize("name", list(PER_SAMPLE))
def test_per_sample_gradients_match_torch(name):
    model_fn, shapes, make_x, classes = PER_SAMPLE[name]
    params = {k: rng.standard_normal(s).astype(np.float32) * 0.3 for k, s in shapes.items()}
    xs, ys = make_x(), rng.integers(0, classes, (6,))
    got = _per_sample_grads(kitty, model_fn, {k: kitty.tensor(v) for k, v in params.items()}, kitty.tensor(xs), kitty.tensor(ys))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _per_sample_grads(torch, model_fn, {k: torch.tensor(v) for k, v in params.items()}, torch.tensor(xs), torch.tensor(ys))
    for k in params:
        _assert_close(got[k], want[k], atol=1e-5)


def test_in_dims_out_dims_pytrees_and_chunks():
    def f(d, scale):
        return {"sum": d["a"] * scale + d["b"], "first": d["a"][:2]}

    a, b = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    for chunk in (None, 3):
        got = kitty.func.vmap(f, in_dims=({"a": 1, "b": 0}, None), out_dims=1, chunk_size=chunk)(
            {"a": kitty.tensor(a), "b": kitty.tensor(b)}, 2.0
        )
        want = _torch_vmap(f, {"a": torch.tensor(a), "b": torch.tensor(b)}, 2.0, in_dims=({"a": 1, "b": 0}, None), out_dims=1)
        _assert_close(got["sum"], want["sum"])
        _assert_close(got["first"], want["first"])


def test_unbatched_output_is_expanded_and_out_dims_none():
    c = kitty.ones(2)
    got = kitty.func.vmap(lambda x: (x * 2, c), out_dims=(0, 0))(kitty.tensor(X))
    assert tuple(got[1].shape) == (5, 2)
    same = kitty.func.vmap(lambda x: (x.sum(), c), out_dims=(0, None))(kitty.tensor(X))[1]
    assert same is c
    assert kitty.func.vmap(lambda x: (x * 2, 3), out_dims=(0, None))(kitty.tensor(X))[1] == 3  # torch passes it on
    with pytest.raises(ValueError, match="must only return Tensors"):
        kitty.func.vmap(lambda x: (x * 2, 3))(kitty.tensor(X))
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        kitty.func.vmap(lambda x: x, out_dims=None)(kitty.tensor(X))


def test_nested_transforms():
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    w = rng.standard_normal((5,)).astype(np.float32)

    def f(L, x, w):
        return ((x * w).tanh() ** 2).sum()

    cases = [
        lambda lib, x, w: lib.func.vmap(lib.func.vmap(lambda r: f(lib, r, w)))(x),
        lambda lib, x, w: lib.func.vmap(lib.func.grad(lambda r: f(lib, r, w)))(x),
        lambda lib, x, w: lib.func.vmap(lib.func.vmap(lib.func.grad(lambda ww, r: f(lib, r, ww)), in_dims=(None, 0)), in_dims=(None, 0))(w, x),
        lambda lib, x, w: lib.func.vmap(lib.func.jacrev(lambda r: (r * w).sin()))(x[0]),
        lambda lib, x, w: lib.func.vmap(lib.func.hessian(lambda r: f(lib, r, w)))(x[0]),
        lambda lib, x, w: lib.func.vmap(lib.func.grad(lib.func.grad(lambda s: (s * s * s).sum() * 0 + (s**3).squeeze())))(x[0, 0]),
        lambda lib, x, w: lib.func.grad(lambda xx: lib.func.vmap(lambda r: f(lib, r, w))(xx).sum())(x),
        lambda lib, x, w: lib.func.jacrev(lambda ww: lib.func.vmap(lambda r: f(lib, r, ww))(x))(w),
        lambda lib, x, w: lib.func.vmap(lambda r: lib.func.vjp(lambda q: q.exp() * w, r)[1](r)[0])(x[0]),
    ]
    for i, case in enumerate(cases):
        got = case(kitty, kitty.tensor(x), kitty.tensor(w))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = case(torch, torch.tensor(x), torch.tensor(w))
        _assert_close(got, want, atol=1e-4)


def test_grad_through_vmap_reaches_outer_leaf():
    w = kitty.tensor(rng.standard_normal(6).astype(np.float32), requires_grad=True)
    out = kitty.func.vmap(lambda r: (r * w).sin().sum())(kitty.tensor(X)).sum()
    out.backward()
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    _torch_vmap(lambda r: (r * tw).sin().sum(), torch.tensor(X)).sum().backward()
    _assert_close(w.grad, tw.grad)


def test_forward_mode_inside_vmap_runs_batched():
    # (forward-mode AD inside vmap runs batched, no loop: tests/test_vmap_forward_ad.py has the rest)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = kitty.func.vmap(lambda r: kitty.func.jvp(lambda q: q.sin(), (r,), (kitty.ones_like(r),))[1])(kitty.tensor(X))
    _assert_close(got, torch.tensor(X).cos())


class _Cube(kitty.autograd.function.Op):
    """An op made here, so that no batching rule can know it."""

    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, g):
        return (3 * g * self.x**2,)


def test_op_without_rule_loops_once_per_op_with_a_warning():
    _batching_rules._warned.discard(_Cube)
    with pytest.warns(UserWarning, match="vmap fell back to a loop for _Cube"):
        got = kitty.func.vmap(lambda r: _Cube.apply(r))(kitty.tensor(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kitty.func.vmap(lambda r: _Cube.apply(r))(kitty.tensor(X))  # said once
    _assert_close(got, torch.tensor(X) ** 3)


def test_misuse_errors_name_the_problem():
    xs = kitty.tensor(X)
    with pytest.raises(RuntimeError, match=r"\.item\(\)"):
        kitty.func.vmap(lambda r: r.sum().item())(xs)
    with pytest.raises(RuntimeError, match="data-dependent control flow"):
        kitty.func.vmap(lambda r: r if r.sum() > 0 else -r)(xs)
    # the words are torch's
    for read in (lambda r: r.sum().item(), lambda r: float(r[0, 0]), lambda r: r.tolist(), lambda r: r.numpy(),
                 lambda r: bool(r.sum() > 0)):
        with pytest.raises(RuntimeError) as theirs:
            torch.func.vmap(read)(torch.tensor(X))
        with pytest.raises(RuntimeError) as ours:
            kitty.func.vmap(read)(xs)
        assert str(ours.value) == str(theirs.value)
    captured = kitty.zeros(4, 6)
    with pytest.raises(RuntimeError, match=r"add_\(self, \*extra_args\) is not possible"):
        kitty.func.vmap(lambda r: captured.add_(r))(xs)


def test_in_place_on_batched_tensors():
    def f(L, r):
        y = r.clone()
        y.mul_(2).add_(1)
        y[0] = 0.0
        return y

    got = kitty.func.vmap(lambda r: f(kitty, r))(kitty.tensor(X))
    want = _torch_vmap(lambda r: f(torch, r), torch.tensor(X))
    _assert_close(got, want)


def test_ensemble_with_stacked_state():
    models = [kitty.nn.Linear(6, 3) for _ in range(4)]
    params, buffers = kitty.func.stack_module_state(models)
    base = models[0]
    x = kitty.tensor(X[0])
    out = kitty.func.vmap(lambda p, b: kitty.func.functional_call(base, (p, b), (x,)))(params, buffers)
    for i, m in enumerate(models):
        _assert_close(out[i], torch.tensor(m(x).detach().numpy()))



def test_jacobians_take_one_batched_pass(monkeypatch):
    from kittygrad.func import _forward, _reverse

    w = rng.standard_normal((6, 6)).astype(np.float32)
    x = rng.standard_normal(6).astype(np.float32)
    duals, pullbacks = [], []
    run_dual, pullback = _forward._run_dual, _reverse._pullback
    monkeypatch.setattr(_forward, "_run_dual", lambda *a, **k: duals.append(1) or run_dual(*a, **k))
    monkeypatch.setattr(_reverse, "_pullback", lambda *a, **k: pullbacks.append(1) or pullback(*a, **k))
    for transform, name in ((kitty.func.jacfwd, "jacfwd"), (kitty.func.jacrev, "jacrev")):
        got = transform(lambda v: (v @ kitty.tensor(w)).tanh() * v)(kitty.tensor(x))
        want = getattr(torch.func, name)(lambda v: (v @ torch.tensor(w)).tanh() * v)(torch.tensor(x))
        _assert_close(got, want)
    assert duals == [1]  # all six basis tangents in one forward pass
    assert pullbacks == []  # all six rows in one batched backward, not one pullback per row


SPD = (lambda a: a @ a.T + 4 * np.eye(4, dtype=np.float32))(rng.standard_normal((4, 4)).astype(np.float32))
LINALG = {
    "det_inv_slogdet": lambda L, a: L.linalg.det(a) + L.linalg.inv(a).sum() + L.linalg.slogdet(a)[1],
    "cholesky_eigh": lambda L, a: L.linalg.cholesky(a).sum() + L.linalg.eigvalsh(a).sum() + L.linalg.eigh(a)[0].sum(),
    "svd_qr": lambda L, a: L.linalg.svdvals(a).sum() + L.linalg.qr(a)[1].abs().sum() + L.linalg.matrix_exp(a * 0.1).sum(),
    "pinv_prod": lambda L, a: L.linalg.pinv(a).sum() + (a * 0.5).prod() + a.prod(1).sum(),
}


@pytest.mark.parametrize("name", list(LINALG))
def test_linear_algebra_batches(name):
    f = LINALG[name]
    a = np.stack([SPD + i * 0.1 * np.eye(4, dtype=np.float32) for i in range(3)])
    got = kitty.func.vmap(lambda m: f(kitty, m))(kitty.tensor(a))
    want = _torch_vmap(lambda m: f(torch, m), torch.tensor(a))
    _assert_close(got, want, atol=1e-3)


def test_hessian_pulls_back_both_levels_batched(monkeypatch):
    """The outer jacrev's batched pass runs through the inner backward's graph, whose formulas
    write batched gradients into fresh buffers (a select's backward): they are batched too."""
    from kittygrad.func import _reverse

    calls = []
    rows = _reverse._all_rows
    monkeypatch.setattr(_reverse, "_all_rows", lambda *a, **k: calls.append(r := rows(*a, **k)) or r)
    w = rng.standard_normal((5, 5)).astype(np.float32)
    x = rng.standard_normal(5).astype(np.float32)
    got = kitty.func.hessian(lambda v: (v.tanh() @ kitty.tensor(w)).sin().sum())(kitty.tensor(x))
    want = torch.func.hessian(lambda v: (v.tanh() @ torch.tensor(w)).sin().sum())(torch.tensor(x))
    _assert_close(got, want, atol=1e-4)
    assert calls[-1] is not None  # (the inner one is a gradient: one pullback, no rows to batch)


# ---- rules for the add-matmul family, writes through an index, nn ops, medians and solves -------

def _arrays(*shapes, seed=11):
    r = np.random.default_rng(seed)
    return [r.standard_normal(s).astype(np.float32) for s in shapes]


def _both(fn, arrays, in_dims, argnums=None, atol=1e-5):
    """vmap of ``fn`` and (with ``argnums``) of its gradient, under kittygrad and torch."""
    got = kitty.func.vmap(lambda *a: fn(kitty, KF, *a), in_dims=in_dims)(*[kitty.tensor(a) for a in arrays])
    want = _torch_vmap(lambda *a: fn(torch, TF, *a), *[torch.tensor(a) for a in arrays], in_dims=in_dims)
    _assert_close(got, want, atol=atol)
    if argnums is None:
        return

    def scalar(L, F):
        return lambda *a: fn(L, F, *a).sin().sum()

    got = kitty.func.vmap(kitty.func.grad(scalar(kitty, KF), argnums=argnums), in_dims=in_dims)(
        *[kitty.tensor(a) for a in arrays]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = torch.func.vmap(torch.func.grad(scalar(torch, TF), argnums=argnums), in_dims=in_dims)(
            *[torch.tensor(a) for a in arrays]
        )
    for g, w in zip(got, want):
        _assert_close(g, w, atol=atol)


ADD_MATMUL = {
    # name: (fn, shapes, in_dims)
    "addmm_all_batched": (lambda L, F, i, a, b: L.addmm(i, a, b, beta=0.5, alpha=2.0), [(5, 3, 2), (5, 3, 4), (5, 4, 2)], 0),
    "addmm_mat1_batched_dim1": (lambda L, F, i, a, b: L.addmm(i, a, b), [(3, 2), (3, 5, 4), (4, 2)], (None, 1, None)),
    "addmm_input_batched_broadcast": (lambda L, F, i, a, b: L.addmm(i, a, b, beta=3.0), [(5, 2), (3, 4), (4, 2)], (0, None, None)),
    "addmm_mat2_batched_beta0": (lambda L, F, i, a, b: L.addmm(i, a, b, beta=0), [(3, 2), (3, 4), (4, 5, 2)], (None, None, 1)),
    "addmv_mat_batched": (lambda L, F, i, a, v: L.addmv(i, a, v, alpha=0.5), [(3,), (5, 3, 4), (4,)], (None, 0, None)),
    "addmv_vec_batched_dim1": (lambda L, F, i, a, v: L.addmv(i, a, v), [(5, 3), (3, 4), (4, 5)], (0, None, 1)),
    "baddbmm": (lambda L, F, i, a, b: L.baddbmm(i, a, b, beta=0.5), [(2, 3, 1), (5, 2, 3, 4), (2, 4, 2)], (None, 0, None)),
    "baddbmm_batch2_batched": (lambda L, F, i, a, b: L.baddbmm(i, a, b), [(5, 2, 3, 2), (2, 3, 4), (2, 4, 5, 2)], (0, None, 2)),
    "addbmm": (lambda L, F, i, a, b: L.addbmm(i, a, b, alpha=2.0), [(3, 2), (5, 2, 3, 4), (5, 2, 4, 2)], (None, 0, 0)),
}


@pytest.mark.parametrize("name", list(ADD_MATMUL))
def test_add_matmul_family_batches(name):
    fn, shapes, in_dims = ADD_MATMUL[name]
    _both(fn, _arrays(*shapes), in_dims, argnums=(0, 1, 2), atol=1e-4)


def test_add_matmul_nested_vmap():
    inp, a, b = _arrays((3, 2), (4, 3, 3, 5), (5, 4, 2))

    def f(L):
        return L.func.vmap(L.func.vmap(lambda i, x, y: L.addmm(i, x, y, beta=0.5), in_dims=(None, 0, None)), in_dims=(None, 0, 1))

    got = f(kitty)(kitty.tensor(inp), kitty.tensor(a), kitty.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = f(torch)(torch.tensor(inp), torch.tensor(a), torch.tensor(b))
    _assert_close(got, want, atol=1e-4)


def _put(L, x, idx, value):
    y = x.clone()
    y[idx] = value
    return y


INDEXING = {
    # name: (fn, arrays, in_dims, argnums)
    "take_shared_index": (lambda L, F, x: L.take(x, L.tensor([[0, -1], [7, 3]])), [X], 0, (0,)),
    "take_batched_index": (lambda L, F, i: L.take(L.tensor(X[0]), i), [rng.integers(-24, 24, (5, 3))], 0, None),
    "take_both_batched": (lambda L, F, x, i: L.take(x, i), [X, rng.integers(0, 24, (3, 5))], (0, 1), (0,)),
    "index_put_shared_index": (
        lambda L, F, x, v: L.index_put(x, (L.tensor([0, 2]), L.tensor([1, 5])), v), [X, X[:, 0, :2]], (0, 0), (0, 1),
    ),
    "index_put_value_batched_only": (
        lambda L, F, x, v: L.index_put(x, (L.tensor([3, 1]),), v), [X[0], X[:, :1, :]], (None, 0), (0, 1),
    ),
    "index_put_accumulate_repeats": (
        lambda L, F, x, v: L.index_put(x, (L.tensor([0, 0, 3]),), v, accumulate=True), [X, X[0, 0]], (0, None), (0, 1),
    ),
    "index_put_batched_indices": (
        lambda L, F, x, i, v: L.index_put(x, (i,), v), [X[0], rng.permutation(4)[None].repeat(5, 0)[:, :2], X[:, :2, :]],
        (None, 0, 0), (0, 2),
    ),
    "index_put_accumulate_batched_indices": (
        lambda L, F, x, i: L.index_put(x, (i, L.tensor([1])), x[0, 0:1], accumulate=True), [X, rng.integers(0, 4, (5, 3))],
        0, (0,),
    ),
    # (no gradients: setitem on a tensor that requires grad reads the index into its values, which
    # sends grad-of-setitem inside vmap to the whole-function loop)
    "setitem_shared_index": (lambda L, F, x, v: _put(L, x, (slice(None), [0, 2]), v), [X, X[:, :, 4:5]], 0, None),
    "setitem_basic_index_value_unbatched": (lambda L, F, x, v: _put(L, x, (1, slice(2, 5)), v), [X, X[0, 0, :3]], (0, None), None),
    "setitem_batched_indices": (lambda L, F, x, i: _put(L, x, i, x[0] * 2), [X, rng.integers(0, 4, (5, 2))], 0, None),
    "masked_scatter_batched_mask": (lambda L, F, x, s: x.masked_scatter(x > 0, s), [X, X[0] * 7], (0, None), (0, 1)),
    "masked_scatter_shared_mask": (
        lambda L, F, x, s: x.masked_scatter(L.tensor(X[0] > 0.5), s), [X, X[:, ::-1].copy()], 0, (0, 1),
    ),
    "masked_scatter_only_mask_batched": (
        lambda L, F, m, s: L.zeros(4, 6).masked_scatter(m > 0, s), [X, X[1]], (0, None), (1,),
    ),
    "masked_select_shared_mask": (lambda L, F, x: x.masked_select(L.tensor(X[2] > 0)), [X], 0, (0,)),
    # reads with a per-sample index: after full slices, with a shared x, and index_select
    "getitem_batched_index_after_slices": (lambda L, F, x, i: x[:, i], [X, rng.integers(0, 6, (5, 3))], 0, (0,)),
    "getitem_shared_x_batched_index": (lambda L, F, x, i: x[i, 1:], [X[0], rng.integers(0, 4, (5, 2))], (None, 0), (0,)),
    "index_select_shared_index": (lambda L, F, x: x.index_select(1, L.tensor([5, 0, 5])), [X], 0, (0,)),
    "index_select_batched_index": (lambda L, F, x, i: x.index_select(-1, i), [X, rng.integers(0, 6, (5, 2))], 0, (0,)),
}


@pytest.mark.parametrize("name", list(INDEXING))
def test_indexing_family_batches(name):
    fn, arrays, in_dims, argnums = INDEXING[name]
    _both(fn, arrays, in_dims, argnums=argnums)


@pytest.mark.parametrize("fn", [lambda L, F, x, i: -F.log_softmax(x[0], -1)[i], lambda L, F, x, i: x[i, 2]],
                         ids=["log_softmax_of_class", "beside_an_int"])
def test_a_per_sample_0d_index_batches(fn):
    """A 0-d per-sample index (a class, as in ``-log_softmax(x)[y]``): torch's vmap calls .item() on
    it and refuses; one batched read here, and its gradient, against torch sample by sample."""
    idx = rng.integers(0, 4, 5)
    got = kitty.func.vmap(lambda x, i: fn(kitty, KF, x, i))(kitty.tensor(X), kitty.tensor(idx))
    _assert_close(got, _per_sample_torch(lambda x, i: fn(torch, TF, x, i), X, idx))
    grads = kitty.func.vmap(kitty.func.grad(lambda x, i: fn(kitty, KF, x, i).sin()))(kitty.tensor(X), kitty.tensor(idx))
    want = []
    for x, i in zip(X, idx):
        t = torch.tensor(x, requires_grad=True)
        fn(torch, TF, t, torch.tensor(i)).sin().backward()
        want.append(t.grad)
    _assert_close(grads, torch.stack(want))


def _per_sample_torch(fn, *arrays):
    """torch's answers sample by sample, where torch's vmap refuses (bool masks, data-dependent shapes)."""
    return torch.stack([fn(*[torch.tensor(a[i]) for a in arrays]) for i in range(len(arrays[0]))])


def test_writes_through_a_batched_bool_mask_batch():
    # torch's vmap refuses to batch a bool mask; every sample's answer is still well defined here
    v = X[:, 0]

    def put(L, x, v):
        y = x.clone()
        y[x > 0] = 0.0
        y[x[:, 0] < 0] = v * 3
        return y

    def index_put(L, x, v):
        y = L.index_put(x, (x[:, 0] < 0,), v * 3)
        return L.index_put(y, (x < -1,), v[0], accumulate=True)

    for f in (put, index_put):
        got = kitty.func.vmap(lambda x, v: f(kitty, x, v))(kitty.tensor(X), kitty.tensor(v))
        _assert_close(got, _per_sample_torch(lambda x, v: f(torch, x, v), X, v))
    grads = kitty.func.vmap(kitty.func.grad(lambda x, v: index_put(kitty, x, v).sin().sum(), argnums=(0, 1)))(
        kitty.tensor(X), kitty.tensor(v)
    )
    for k in (0, 1):
        want = _per_sample_torch(
            lambda x, v: torch.func.grad(lambda x, v: index_put(torch, x, v).sin().sum(), argnums=(0, 1))(x, v)[k], X, v
        )
        _assert_close(grads[k], want)


def test_setitem_with_parted_advanced_indices_follows_torch_and_batches():
    # an int and an index array parted by a slice: torch selects the int first, so the value is
    # (4, 2) (NumPy's rule would want (2, 4)); the write goes through that selection's view, batched
    x = _arrays((3, 2, 4, 5))[0]
    value = kitty.arange(8.0).reshape(4, 2)

    def f(r):
        return _put(kitty, r, (0, slice(None), kitty.tensor([1, 2])), value)

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="vmap fell back")
        got = kitty.func.vmap(f)(kitty.tensor(x))
    want = []
    for r in x:
        t = torch.tensor(r).clone()
        t[0, :, torch.tensor([1, 2])] = torch.arange(8.0).reshape(4, 2)
        want.append(t)
    _assert_close(got, torch.stack(want))


def test_masked_select_with_a_batched_mask():
    # as many Trues in every sample: one batched selection; different counts: a clear error (torch raises always)
    x = np.stack([rng.permutation(24).reshape(4, 6) for _ in range(5)]).astype(np.float32)
    got = kitty.func.vmap(lambda r: r.masked_select(r >= 20))(kitty.tensor(x))
    _assert_close(got, _per_sample_torch(lambda r: r.masked_select(r >= 20), x))
    with pytest.raises(RuntimeError, match="masked_select.*different number in each sample"):
        kitty.func.vmap(lambda r: r.masked_select(r > 0))(kitty.tensor(X))


def test_indexing_nested_vmap():
    x = _arrays((3, 4, 5, 6))[0]
    idx = rng.integers(0, 30, (3, 4, 2))

    def f(L, x, i):
        return L.take(x, i) + L.index_put(x, (i[:1] % 5,), x[0, 0], accumulate=True)[0, :2]

    def nested(L):
        return L.func.vmap(L.func.vmap(lambda a, b: f(L, a, b)))

    got = nested(kitty)(kitty.tensor(x), kitty.tensor(idx))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = nested(torch)(torch.tensor(x), torch.tensor(idx))
    _assert_close(got, want)


NN_AND_MORE = {
    # name: (fn, arrays, in_dims, argnums)
    "prelu_shared_weight": (lambda L, F, x, w: F.prelu(x, w), [X, _arrays((6,))[0]], (0, None), (0, 1)),
    "prelu_batched_weight": (lambda L, F, x, w: F.prelu(x, w), [X[0], _arrays((5, 6))[0]], (None, 0), (0, 1)),
    "prelu_batched_weight_dim1_4d": (lambda L, F, x, w: F.prelu(x, w), [IMG, _arrays((3, 5))[0]], (0, 1), (0, 1)),
    "prelu_vector_sample": (lambda L, F, x, w: F.prelu(x, w), [X[:, 0], np.float32([0.2])], (0, None), (0, 1)),
    "prelu_scalar_sample_one_weight": (lambda L, F, x, w: F.prelu(x, w), [X[:, 0, 0], np.float32([0.3])], (0, None), (0, 1)),
    "bilinear_inputs_batched": (
        lambda L, F, a, b, w, c: F.bilinear(a, b, w, c), _arrays((5, 3, 4), (5, 3, 2), (6, 4, 2), (6,)), (0, 0, None, None),
        (0, 1, 2, 3),
    ),
    "bilinear_weight_batched_dim1": (
        lambda L, F, a, b, w, c: F.bilinear(a, b, w, c), _arrays((3, 4), (3, 2), (6, 5, 4, 2), (6,)), (None, None, 1, None),
        (0, 1, 2, 3),
    ),
    "bilinear_vector_sample_bias_batched": (
        lambda L, F, a, b, w, c: F.bilinear(a, b, w, c), _arrays((5, 4), (2,), (6, 4, 2), (5, 6)), (0, None, None, 0),
        (0, 1, 2, 3),
    ),
    "mvlgamma": (lambda L, F, x: L.mvlgamma(x.abs() + 2, 3), [X], 0, (0,)),
    "median_all": (lambda L, F, x: x.median() + x[0].median() * 2, [X], 0, (0,)),
    "median_all_batched_dim2": (lambda L, F, x: x.median(), [X], 2, (0,)),
}


@pytest.mark.parametrize("name", list(NN_AND_MORE))
def test_nn_ops_and_medians_batch(name):
    fn, arrays, in_dims, argnums = NN_AND_MORE[name]
    _both(fn, arrays, in_dims, argnums=argnums, atol=1e-4)


def test_median_nan_and_ties_per_sample():
    # NaN in a sample makes its median NaN (nanmedian skips it); tied medians share the gradient
    x = np.array([[1.0, 2.0, 2.0, 5.0], [np.nan, 1.0, 3.0, 0.0], [4.0, 4.0, 4.0, 1.0]], np.float32)
    got = kitty.func.vmap(lambda r: kitty.stack([r.median(), r.nanmedian()]))(kitty.tensor(x))
    want = torch.stack([torch.stack([r.median(), r.nanmedian()]) for r in torch.tensor(x)])
    _assert_close(got, want)
    grads = kitty.func.vmap(kitty.func.grad(lambda r: r.median() + r.nanmedian()))(kitty.tensor(x))
    one_at_a_time = [kitty.func.grad(lambda r: r.median() + r.nanmedian())(kitty.tensor(r)) for r in x]
    _assert_close(grads, torch.tensor(np.stack([g.numpy() for g in one_at_a_time])))
    ints = kitty.func.vmap(lambda r: r.median())(kitty.tensor(np.array([[3, 1, 2], [7, 7, 0]])))
    assert ints.tolist() == [2, 7]


def test_median_nested_vmap():
    x = _arrays((3, 4, 5))[0]
    got = kitty.func.vmap(kitty.func.vmap(lambda r: r.median()))(kitty.tensor(x))
    _assert_close(got, torch.tensor(x).median(-1).values)


SOLVE_A = np.stack([SPD + i * 0.1 * np.eye(4, dtype=np.float32) for i in range(5)])
SOLVES = {
    # name: (fn, arrays, in_dims)
    "solve_both_batched": (lambda L, F, a, b: L.linalg.solve(a, b), [SOLVE_A, _arrays((5, 4, 2))[0]], 0),
    "solve_matrix_batched": (lambda L, F, a, b: L.linalg.solve(a, b), [SOLVE_A, _arrays((4, 2))[0]], (0, None)),
    "solve_vector_batched_dim1": (lambda L, F, a, b: L.linalg.solve(a, b), [SPD, _arrays((4, 5))[0]], (None, 1)),
    "solve_left_false": (lambda L, F, a, b: L.linalg.solve(a, b, left=False), [SOLVE_A, _arrays((3, 4))[0]], (0, None)),
    "solve_triangular_matrix_batched": (
        lambda L, F, a, b: L.linalg.solve_triangular(a, b, upper=True), [SOLVE_A, _arrays((4, 3))[0]], (0, None),
    ),
    "solve_triangular_rhs_batched_unit": (
        lambda L, F, a, b: L.linalg.solve_triangular(a, b, upper=False, unitriangular=True), [SPD, _arrays((5, 4, 3))[0]],
        (None, 0),
    ),
    "cholesky_solve_rhs_batched": (
        lambda L, F, b, f: L.cholesky_solve(b, f), [_arrays((4, 5, 2))[0], np.linalg.cholesky(SPD)], (1, None),
    ),
    "cholesky_solve_factor_batched_upper": (
        lambda L, F, b, f: L.cholesky_solve(b, f, upper=True), [_arrays((4, 2))[0], np.linalg.cholesky(SOLVE_A).transpose(0, 2, 1).copy()],
        (None, 0),
    ),
}


@pytest.mark.parametrize("name", list(SOLVES))
def test_solves_batch(name):
    fn, arrays, in_dims = SOLVES[name]
    _both(fn, arrays, in_dims, argnums=(0, 1), atol=1e-4)


def test_multihead_attention_weights_batch():
    mha = kitty.nn.MultiheadAttention(6, 2, batch_first=True)
    reference = torch.nn.MultiheadAttention(6, 2, batch_first=True)
    reference.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in mha.state_dict().items()})
    x = _arrays((5, 2, 3, 6))[0]
    for sample, average in ((x, True), (x[:, 0], False)):  # batched (N, L, E) and unbatched (L, E) samples
        got = kitty.func.vmap(lambda r: mha(r, r, r, average_attn_weights=average))(kitty.tensor(sample))
        with torch.no_grad():
            want = _torch_vmap(lambda r: reference(r, r, r, average_attn_weights=average), torch.tensor(sample))
        _assert_close(got[0], want[0], atol=1e-5)
        _assert_close(got[1], want[1], atol=1e-5)


_R = np.random.default_rng(5)
_X4 = _R.standard_normal((3, 4, 5, 6)).astype(np.float32)
_TRI = (np.eye(3) * 2 + _R.standard_normal((4, 3, 3)) * 0.1).astype(np.float32)
NESTED = {
    # name: (fn, arrays, inner in_dims, outer in_dims): arguments batched at one level or the other
    "take": (lambda L, a, i: L.take(a, i), [_X4[0], _R.integers(-30, 30, (3, 2))], (0, None), (None, 0)),
    "index_put_index_outer": (lambda L, a, i: L.index_put(a, (i % 5,), a[0]), [_X4[0], _R.integers(0, 5, (3, 2))], (0, None), (None, 0)),
    "index_put_accumulate_index_inner": (
        lambda L, a, i, v: L.index_put(a, (i,), v, accumulate=True), [_X4[:, 0], _R.integers(0, 5, (4, 2)), _X4[0, :, :2]],
        (None, 0, 0), (0, None, None),
    ),
    "addmm": (
        lambda L, i, a, b: L.addmm(i, a, b), [_X4[0, 0, :3, :2], _X4[0, :, :3, :5], _X4[:, 0, :, :2]], (None, 0, None), (None, None, 0),
    ),
    "solve": (lambda L, a, b: L.linalg.solve(a, b), [_TRI, _X4[:2, 0, :3, :3]], (0, None), (None, 0)),
    "solve_triangular": (lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True), [_TRI, _X4[:2, 0, :3, :2]], (0, None), (None, 0)),
    "cholesky_solve": (lambda L, b, f: L.cholesky_solve(b, f), [_X4[:2, 0, :3, :2], np.tril(_TRI)], (None, 0), (0, None)),
    "prelu": (lambda L, a, w: L.nn.functional.prelu(a, w), [_X4[0], _R.random((3, 6)).astype(np.float32)], (0, None), (None, 0)),
    "masked_scatter": (lambda L, a, s: a.masked_scatter(a > 0, s), [_X4[0], _X4[:, 0]], (0, None), (None, 0)),
    "bilinear": (
        lambda L, a, b, w: L.nn.functional.bilinear(a, b, w), [_X4[0, :, :, :3], _X4[1, :, :, :2], _R.random((3, 4, 3, 2)).astype(np.float32)],
        (0, 0, None), (None, None, 0),
    ),
    "median": (lambda L, a: a.median(), [_X4], 1, 3),
}


@pytest.mark.parametrize("name", list(NESTED))
def test_new_rules_under_nested_vmap(name):
    fn, arrays, inner, outer = NESTED[name]

    def nested(L):
        return L.func.vmap(L.func.vmap(lambda *a: fn(L, *a), in_dims=inner), in_dims=outer)

    got = nested(kitty)(*[kitty.tensor(a) for a in arrays])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = nested(torch)(*[torch.tensor(a) for a in arrays])
    _assert_close(got, want, atol=1e-4)


def test_setitem_with_batched_indices_after_full_slices():
    # y[:, i] = v with a per-sample i: the batch dim moves behind the slices, next to the indices
    # (compared sample by sample: torch's own vmap gets this case wrong)
    idx = _R.integers(0, 6, (3, 4, 2))
    v = _R.standard_normal((5, 2)).astype(np.float32)

    def put(L, a, i):
        y = a.clone()
        y[:, i] = L.tensor(v)
        y[:, i[:1]] = a[:, :1] * 3
        return y

    got = kitty.func.vmap(kitty.func.vmap(lambda a, i: put(kitty, a, i)))(kitty.tensor(_X4), kitty.tensor(idx))
    want = [[put(torch, torch.tensor(_X4[p, q]), torch.tensor(idx[p, q])) for q in range(4)] for p in range(3)]
    _assert_close(got, torch.stack([torch.stack(row) for row in want]))


def test_index_put_in_place_gradients():
    # index_put_ writes into the batched tensor (no setitem index check on the way): gradients
    # flow through the in-place write, by a per-sample mask and by per-sample indices
    idx = _R.integers(0, 4, (5, 3))

    def f(L, x, i):
        y = x * 1
        y.index_put_((x[:, 0] > 0,), x[0] * 2)
        y.index_put_((i,), x[1], accumulate=True)
        return y.sin().sum()

    got = kitty.func.vmap(kitty.func.grad(lambda x, i: f(kitty, x, i)))(kitty.tensor(X), kitty.tensor(idx))
    want = torch.stack([torch.func.grad(lambda x: f(torch, x, torch.tensor(idx[k])))(torch.tensor(X[k])) for k in range(5)])
    _assert_close(got, want)


@pytest.mark.parametrize("sample_shape, fixed_shape", [((3,), (2, 3, 4)), ((2, 3), (2, 2, 3, 4)), ((5, 3), (2, 3, 4)),
                                                       ((2, 5, 3), (2, 3, 4)), ((5, 3), (3, 4))])
def test_a_batched_stack_times_fixed_matrices_of_any_rank(sample_shape, fixed_shape):
    """The batch dim must not meet the fixed operand's own batch dims (a (3,) sample times a
    (2, 3, 4) stack once gave the batch in the wrong place, and wrong values when sizes matched)."""
    a = rng.standard_normal((2,) + sample_shape)
    b = rng.standard_normal(fixed_shape)
    got = kitty.func.vmap(lambda x: kitty.matmul(x, kitty.tensor(b)))(kitty.tensor(a))
    _assert_close(got, _torch_vmap(lambda x: torch.matmul(x, torch.tensor(b)), torch.tensor(a)))


@pytest.mark.parametrize("dims", [None, 1, (0, 1)])
def test_roll_batches(dims):
    shifts = 2 if dims is None or isinstance(dims, int) else (1, -2)
    fn = lambda L, F, x: L.roll(x, shifts, dims) * 2  # noqa: E731
    _both(fn, [X], 0, argnums=(0,))


def test_an_ensemble_of_embeddings_with_padding_batches():
    """Per-model embedding tables (stacked weights, as an ensemble has) with a padding row: one
    gather for all models; the padding row gets no gradient."""
    weights = rng.standard_normal((5, 7, 3))
    idx = np.array([[0, 2, 6], [2, 2, 1]])
    fn = lambda L, F, w, i: F.embedding(i, w, padding_idx=2)  # noqa: E731
    _both(fn, [weights, idx], (0, None), argnums=(0,))
    grads = kitty.func.vmap(kitty.func.grad(lambda w: KF.embedding(kitty.tensor(idx), w, padding_idx=2).sum()))(
        kitty.tensor(weights))
    assert not grads[:, 2].any()


def test_paired_reductions_batch():
    """var_mean / std_mean / aminmax give their two results as one node's outputs."""
    fn = lambda L, F, x: L.var_mean(x, 1)[0][:, None] + L.std_mean(x, 0, keepdim=True)[1] + sum(L.aminmax(x, dim=-1))[:, None]  # noqa: E731
    _both(fn, [X], 0, argnums=(0,))
