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


def test_forward_mode_inside_vmap_loops_and_says_so():
    with pytest.warns(UserWarning, match="vmap fell back to a loop for .*forward-mode AD"):
        got = kitty.func.vmap(lambda r: kitty.func.jvp(lambda q: q.sin(), (r,), (kitty.ones_like(r),))[1])(kitty.tensor(X))
    _assert_close(got, torch.tensor(X).cos())


def test_op_without_rule_loops_once_per_op_with_a_warning():
    _batching_rules._warned.discard(kitty.ops.activation.Prelu)
    w = kitty.tensor([0.25] * 6)
    with pytest.warns(UserWarning, match="vmap fell back to a loop for Prelu"):
        got = kitty.func.vmap(lambda r: KF.prelu(r, w))(kitty.tensor(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kitty.func.vmap(lambda r: KF.prelu(r, w))(kitty.tensor(X))  # said once
    _assert_close(got, TF.prelu(torch.tensor(X).flatten(0, 1), torch.tensor([0.25] * 6)).reshape(5, 4, 6))


def test_misuse_errors_name_the_problem():
    xs = kitty.tensor(X)
    with pytest.raises(RuntimeError, match=r"\.item\(\)"):
        kitty.func.vmap(lambda r: r.sum().item())(xs)
    with pytest.raises(RuntimeError, match="data-dependent control flow"):
        kitty.func.vmap(lambda r: r if r.sum() > 0 else -r)(xs)
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
