"""Differences a differential sweep of nn / functional / utils.data against torch found, each
checked against torch: masked attention rows, BatchNorm state dicts without their batch count,
collated string columns, lp-pooling at p = inf, BatchNorm folding, sparse init, gradient clipping
by a given norm, and the error types and messages of bad arguments."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty

LIBS = (torch, kitty)


def _np(t):
    return t.detach().numpy()


def test_attention_to_nothing_gives_zeros_and_finite_gradients():
    rng = np.random.default_rng(0)
    q0, k0 = (rng.standard_normal((2, 3, 4)).astype(np.float32) for _ in range(2))
    results = []
    for lib in LIBS:
        q, k = lib.tensor(q0, requires_grad=True), lib.tensor(k0, requires_grad=True)
        mask = lib.tensor([[True, True, False], [False, False, False], [True, False, True]])
        out = lib.nn.functional.scaled_dot_product_attention(q, k, k, attn_mask=mask)
        out.sum().backward()
        results.append((_np(out), _np(q.grad), _np(k.grad)))
    for want, got in zip(*results):
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_a_fully_padded_sequence_does_not_poison_a_transformer_layer():
    outs = []
    for lib in LIBS:
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True)
        x = lib.randn(2, 3, 4)
        padding = lib.tensor([[False, False, True], [True, True, True]])
        outs.append(_np(layer.train()(x, src_key_padding_mask=padding)))
    assert np.isfinite(outs[1]).all()
    np.testing.assert_allclose(outs[1], outs[0], atol=1e-5)


def test_mha_weights_path_keeps_torch_s_nan_for_a_query_that_sees_nothing():
    for lib in LIBS:
        mha = lib.nn.MultiheadAttention(4, 2)
        x = lib.ones(3, 1, 4)
        out, _ = mha(x, x, x, key_padding_mask=lib.tensor([[True, True, True]]), need_weights=True)
        assert bool(lib.isnan(out).all())


def test_batchnorm_loads_a_state_dict_without_its_batch_count():
    for lib in LIBS:
        bn = lib.nn.BatchNorm1d(3)
        plain = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
        assert str(bn.load_state_dict(plain)) == "<All keys matched successfully>"
        versioned = bn.state_dict()
        del versioned["num_batches_tracked"]  # a version-2 state dict must have it
        assert bn.load_state_dict(versioned, strict=False).missing_keys == ["num_batches_tracked"]


def test_a_column_of_strings_collates_to_a_tuple():
    batches = [next(iter(lib.utils.data.DataLoader([(1, "a"), (2, "b")], batch_size=2))) for lib in LIBS]
    assert batches[1][1] == batches[0][1] == ("a", "b")


@pytest.mark.parametrize("fn,shape,options", [
    ("lp_pool1d", (2, 3, 5), {"kernel_size": 2}),
    ("lp_pool2d", (2, 3, 5, 5), {"kernel_size": 2, "stride": 1}),
    ("lp_pool2d", (1, 2, 5, 5), {"kernel_size": 3, "ceil_mode": True}),
])
def test_lp_pool_at_infinity_is_the_largest_magnitude(fn, shape, options):
    x0 = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    results = []
    for lib in LIBS:
        x = lib.tensor(x0, requires_grad=True)
        y = getattr(lib.nn.functional, fn)(x, float("inf"), **options)
        y.sum().backward()
        results.append((_np(y), _np(x.grad)))
    for want, got in zip(*results):
        np.testing.assert_allclose(got, want)


def test_batchnorm_folding_matches_torch():
    outs = []
    for lib in LIBS:
        lib.manual_seed(0)
        conv, bn = lib.nn.Conv2d(2, 3, 3).eval(), lib.nn.BatchNorm2d(3).eval()
        with lib.no_grad():
            bn.running_mean.copy_(lib.tensor([0.1, -0.2, 0.3]))
            bn.running_var.copy_(lib.tensor([0.5, 1.5, 2.0]))
            bn.weight.copy_(lib.tensor([1.2, 0.8, -0.5]))
        up, bn_up = lib.nn.ConvTranspose2d(3, 2, 3).eval(), lib.nn.BatchNorm2d(2).eval()
        lin = lib.nn.Linear(3, 3).eval()
        x, xl = lib.randn(1, 2, 5, 5), lib.randn(4, 3)
        outs.append([_np(lib.nn.utils.fuse_conv_bn_eval(conv, bn)(x)), _np(bn(conv(x))),
                     _np(lib.nn.utils.fuse_conv_bn_eval(up, bn_up, transpose=True)(lib.ones(1, 3, 2, 2))),
                     _np(lib.nn.utils.fuse_linear_bn_eval(lin, bn)(xl))])
        with pytest.raises(AssertionError, match="Fusion only for eval"):
            lib.nn.utils.fuse_conv_bn_eval(conv.train(), bn)
    for want, got in zip(*outs):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_sparse_init_draws_torch_s_numbers():
    drawn = []
    for lib in LIBS:
        lib.manual_seed(0)
        drawn.append(_np(lib.nn.init.sparse_(lib.empty(6, 5), 0.4)))
    np.testing.assert_array_equal(drawn[1] == 0, drawn[0] == 0)  # the same rows zeroed in each column
    np.testing.assert_allclose(drawn[1], drawn[0], rtol=1e-6)
    with pytest.raises(ValueError, match="2 dimensions"):
        kitty.nn.init.sparse_(kitty.empty(3), 0.5)


def test_clip_grads_with_a_given_norm():
    grads = []
    for lib in LIBS:
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        (w * w).sum().backward()
        lib.nn.utils.clip_grads_with_norm_([w], 1.0, lib.tensor(20.0))
        grads.append(_np(w.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


def test_bce_with_logits_promotes_to_the_target_s_float_dtype():
    for lib in LIBS:
        loss = lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(2), lib.ones(2, dtype=lib.float64))
        assert str(loss.dtype).endswith("float64")


ERRORS = {
    "lib.nn.InstanceNorm1d(3)(lib.ones(2, 3, 1))": (ValueError, "more than 1 spatial element"),
    "lib.nn.functional.dropout1d(lib.ones(2, 2, 2, 2), training=False)": (RuntimeError, "Expected 2D or 3D input"),
    "lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(2), lib.ones(2, dtype=lib.int64))":
        (RuntimeError, "can't be cast to the desired output type Long"),
    "lib.nn.GroupNorm(2, 4)(lib.ones(2, 6, 3))": (RuntimeError, "Expected weight to be a vector of size equal"),
    "lib.nn.RNNCell(3, 4)(lib.ones(2, 3), lib.ones(2, 5))": (RuntimeError, "hidden0 has inconsistent hidden_size"),
    "lib.nn.LSTMCell(3, 4)(lib.ones(2, 3), (lib.ones(2, 4), lib.ones(2, 5)))":
        (RuntimeError, "hidden1 has inconsistent hidden_size"),
    "lib.nn.GRUCell(3, 4)(lib.ones(2, 3), lib.ones(3, 4))": (RuntimeError, "doesn't match hidden0 batch size"),
    "lib.nn.AvgPool2d(2, stride=0)(lib.ones(1, 1, 4, 4))": (RuntimeError, "stride should not be zero"),
    "lib.nn.functional.conv2d(lib.ones(1, 2, 5, 5), lib.ones(1, 2, 3, 3), padding=-1)":
        (RuntimeError, "negative padding is not supported"),
    "lib.nn.functional.conv2d(lib.ones(1, 2, 5, 5), lib.ones(1, 2, 3, 3), padding='same', stride=2)":
        (RuntimeError, "not supported for strided convolutions"),
    "lib.nn.functional.conv2d(lib.ones(1, 2, 5, 5), lib.ones(1, 2, 3, 3), padding='full')":
        (RuntimeError, "Invalid padding string"),
    "lib.nn.utils.vector_to_parameters(lib.ones(3, 3), lib.nn.Linear(2, 2).parameters())":
        (RuntimeError, r"shape '\[2, 2\]' is invalid for input of size 9"),
    "lib.nn.functional.pad(lib.ones(1, 2, 4), (1, 1), mode='reflect', value=1.0)":
        (RuntimeError, "doesn't take in value argument"),
    "lib.nn.functional.adaptive_avg_pool2d(lib.ones(1, 2, 5, 5), (2, 2, 2))": (RuntimeError, "output_size must be 2"),
    "lib.nn.Hardtanh(1.0, -1.0)": (AssertionError, "must be greater than min_val"),
    "lib.nn.functional.mse_loss(lib.ones(2, dtype=lib.int64), lib.ones(2, dtype=lib.int64))":
        (NotImplementedError, "mse_cpu"),
    "lib.nn.MultiheadAttention(4, 2)(lib.ones(3, 2, 4), lib.ones(3, 2, 4), lib.ones(3, 2, 4), "
    "key_padding_mask=lib.zeros(3, 3, dtype=lib.bool))": (AssertionError, "key_pad"),
}


@pytest.mark.parametrize("code", ERRORS)
def test_bad_arguments_raise_torch_s_error_type(code):
    kind, pattern = ERRORS[code]
    for lib in LIBS:
        with pytest.raises(kind, match=pattern):
            eval(code, {"lib": lib})


@pytest.mark.parametrize("fn,ndim", [("dropout2d", 2), ("dropout3d", 6)])
@pytest.mark.parametrize("training", [True, False])
def test_feature_dropout_of_an_odd_rank_warns_in_both_modes(fn, ndim, training):
    for lib in LIBS:
        with pytest.warns(UserWarning, match="deprecated"):
            getattr(lib.nn.functional, fn)(lib.ones(*(2,) * ndim), training=training)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace_rounds_as_torch_bit_for_bit(dtype):
    """Grids built from linspace (affine_grid) must land on the same pixel centres as torch's:
    grid_sample's gradient has a kink there."""
    for steps in list(range(0, 70)) + [100, 257, 1000]:
        for start, end in [(-1, 1), (0, 1), (0.1, 7.3), (-3, 10), (5, -2), (2, 2)]:
            want = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
            got = kitty.linspace(start, end, steps, dtype=getattr(kitty, dtype)).numpy()
            np.testing.assert_array_equal(got, want, err_msg=f"linspace({start}, {end}, {steps})")


def test_views_that_change_nothing_are_named_as_torch_names_them(monkeypatch):
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")
    a = kitty.randn(2, 3, requires_grad=True) * 1
    b = kitty.randn(3, requires_grad=True) * 1
    names = {"a.reshape(2, 3)": "ViewBackward0", "a.transpose(0, 0)": "TransposeBackward0",
             "a.squeeze(0)": "SqueezeBackward1", "a.squeeze()": "SqueezeBackward0", "a.expand(2, 3)": "ExpandBackward0",
             "a.movedim(0, 0)": "PermuteBackward0", "b.t()": "TBackward0", "a.reshape_as(a)": "ViewBackward0",
             "1 - b": "RsubBackward1", "kitty.rsub(b, b)": "RsubBackward0", "b.clamp(0, 1)": "ClampBackward1",
             "b.clamp(min=b)": "ClampBackward0", "b.clamp_min(0)": "ClampMinBackward0", "b.clamp_max(1)": "ClampMaxBackward0",
             "2 ** b": "PowBackward2", "b ** 2": "PowBackward0", "b ** b": "PowBackward1", "2 / b": "MulBackward0",
             "b / 2": "DivBackward0", "b.unbind()[0]": "UnbindBackward0", "b.split(1)[0]": "SplitBackward0",
             "b.chunk(3)[0]": "SplitBackward0", "a.split([1, 1])[0]": "SplitWithSizesBackward0",
             "kitty.cross(a, a, dim=1)": "LinalgCrossBackward0", "kitty.nn.functional.l1_loss(b, b * 2)": "MeanBackward0",
             "a[:, :2].trace()": "TraceBackward0"}
    for code, name in names.items():
        assert eval(code).grad_fn.name() == name, code
    assert a.flatten(1) is a and b.flatten() is b  # nothing to merge: the tensor itself, as torch


_LINALG_NODES = [
    "lib.linalg.inv(s)", "lib.inverse(s)", "lib.linalg.matrix_power(s, -1)", "lib.linalg.det(s)", "lib.det(s)",
    "lib.linalg.slogdet(s)[1]", "lib.logdet(s)", "lib.linalg.cholesky(s)", "lib.linalg.cholesky_ex(s)[0]",
    "lib.linalg.eigh(s)[0]", "lib.linalg.eigvalsh(s)", "lib.linalg.qr(s)[0]", "lib.linalg.svd(s)[0]",
    "lib.linalg.svdvals(s)", "lib.linalg.solve(s, v)", "lib.linalg.solve(s, m)", "lib.linalg.solve(s, m.mT, left=False)",
    "lib.linalg.lstsq(s, m).solution", "lib.linalg.pinv(s)", "lib.matrix_exp(s)", "lib.linalg.matrix_exp(s)",
    "lib.linalg.lu_factor(s)[0]", "lib.linalg.solve_triangular(s, m, upper=True)",
    "lib.linalg.lu_solve(*lib.linalg.lu_factor(s), m)", "lib.linalg.householder_product(s, v[:2])", "lib.kron(v, v)",
    "lib.log1p(v.abs())", "lib.trapezoid(m)", "lib.trapezoid(m, dx=0.5)", "lib.trapezoid(m, lib.arange(2.0))",
    "lib.cumulative_trapezoid(m, lib.arange(2.0))",
    # nodes torch records last in its compositions
    "lib.linalg.cond(s)", "lib.linalg.cond(m)", "lib.linalg.cond(s, -2)", "lib.linalg.cond(s, 'fro')", "lib.linalg.cond(s, 1)",
    "lib.linalg.cond(s, float('inf'))", "lib.linalg.cond(s, 'nuc')", "lib.linalg.multi_dot([s, s, s])",
    "lib.linalg.multi_dot([v, s, v])", "lib.linalg.multi_dot([s, m])", "lib.linalg.vecdot(v, v)", "lib.linalg.vecdot(s, v)",
    "lib.linalg.vecdot(m, m, dim=0)", "lib.vdot(v, v)", "v.vdot(v)", "lib.dot(v, v)", "lib.linalg.tensorinv(s, ind=1)",
    "lib.linalg.tensorinv(s.reshape(3, 3, 1), ind=1)", "lib.linalg.ldl_factor(s)[0]", "lib.linalg.ldl_factor_ex(s)[0]",
]


def test_linalg_and_calculus_nodes_are_named_as_torch_names_them(monkeypatch):
    # a printed inverse read grad_fn=<InvBackward0>, torch's <LinalgInvExBackward0>
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")
    a0 = np.random.default_rng(0).standard_normal((3, 3))
    names = []
    for lib in LIBS:
        a = lib.tensor(a0, requires_grad=True)
        s, v, m = a @ a.mT + lib.eye(3, dtype=lib.float64), a[0], a[:, :2]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scope = {"lib": lib, "s": s, "v": v, "m": m}
            names.append([eval(code, scope).grad_fn.name() for code in _LINALG_NODES])
    assert dict(zip(_LINALG_NODES, names[1])) == dict(zip(_LINALG_NODES, names[0]))



_MATMUL_SHAPES = [((3,), (3, 2)), ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)), ((2, 5, 2, 3), (3, 4)), ((5, 2, 3), (3,)),
                  ((3,), (5, 3, 4)), ((2, 3), (5, 3, 4)), ((1, 3), (5, 3, 4)), ((2, 3), (5, 3, 1)), ((2, 3), (0, 3, 4)),
                  ((2, 0), (5, 0, 4)), ((2, 1, 2, 3), (5, 3, 4))]


@pytest.mark.parametrize("shapes", _MATMUL_SHAPES)
def test_matmul_nodes_are_named_as_torch_names_them(monkeypatch, shapes):
    # ``print(attn @ v)`` read grad_fn=<MatmulBackward0>, a node torch has not: its matmul ends in a
    # view of the bmm / folded mm, or (a matrix requiring grad times a stack) a contiguous copy
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")
    names = []
    for lib in LIBS:
        x, y = lib.ones(*shapes[0], requires_grad=True), lib.ones(*shapes[1], requires_grad=True)
        names.append([(x @ y).grad_fn.name(), (x.detach() @ y).grad_fn.name(), (x @ y.detach()).grad_fn.name()])
    assert names[1] == names[0]


_FUSED_NODES = [
    "lib.addmm(m, m, m)", "lib.addmm(v, m, m, beta=0.5, alpha=2)", "m.addmm(m, m)", "lib.baddbmm(b, b, b)",
    "lib.baddbmm(m, b, b, alpha=0.1)", "lib.addbmm(m, b, b)", "lib.addmv(v, m, v)", "lib.addr(m, v, v)",
    "lib.addr(m, v, v, beta=0)", "lib.nn.functional.glu(g, 1)", "b.masked_fill(b > 0, lib.tensor(1.0))",
    "b.masked_fill(b > 0, 1.0)", "b.detach().masked_fill(b > 0, v[0])", "b.repeat_interleave(2, dim=0)",
    "v.repeat_interleave(2)", "b.repeat_interleave(lib.tensor([1, 2]), dim=0)", "v.repeat_interleave(lib.tensor(2))",
    "b.repeat_interleave(lib.tensor([2]), dim=1)", "lib.nn.functional.prelu(b, lib.tensor([0.25], dtype=lib.float64))",
    "lib.nn.functional.prelu(v, lib.tensor([0.25], dtype=lib.float64))", "lib.nn.functional.bilinear(b, b, g[:, :3, :3])",
    "lib.nn.functional.bilinear(v, v, g[:, :3, :3], g[:, 0, 0])", "lib.nn.functional.softsign(b)", "b.nanmean(1)",
    "lib.nansum(b)", "lib.nn.functional.pixel_shuffle(g.reshape(1, 4, 2, 4), 2)",
    "lib.nn.functional.pixel_unshuffle(g.reshape(1, 2, 4, 4), 2)",
]


def test_fused_ops_are_named_as_torch_names_them(monkeypatch):
    # ops kittygrad composes (glu as a * sigmoid(b)) or runs as one node for several torch ops
    # (addmm / baddbmm / addmv / addbmm) print torch's node, with its overload (masked_fill's value)
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")
    a0 = np.random.default_rng(0).standard_normal((2, 4, 4))
    names = []
    for lib in LIBS:
        a = lib.tensor(a0, requires_grad=True)
        scope = {"lib": lib, "m": a[0, :3, :3], "b": a[:, :3, :3], "v": a[0, 0, :3], "g": a}
        names.append([eval(code, scope).grad_fn.name() for code in _FUSED_NODES])
    assert dict(zip(_FUSED_NODES, names[1])) == dict(zip(_FUSED_NODES, names[0]))


_EINSUMS = [("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]), ("ij,jk->ki", [(3, 4), (4, 5)]), ("i,j->ij", [(3,), (4,)]),
            ("bi,bi->b", [(2, 3), (2, 3)]), ("ij,ij->ij", [(3, 4), (3, 4)]), ("ij->ji", [(3, 4)]), ("ij->", [(3, 4)]),
            ("ii->i", [(3, 3)]), ("ij->ij", [(3, 4)]), ("ij,k->k", [(3, 4), (5,)]), ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
            ("ij,jk->ik", [(3, 1), (1, 5)]), ("i,->i", [(3,), ()])]


@pytest.mark.parametrize("equation, shapes", _EINSUMS)
def test_einsum_nodes_are_named_as_torch_names_them(monkeypatch, equation, shapes):
    # attention written with einsum printed grad_fn=<EinsumBackward0>, a node torch has not
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")
    names = [lib.einsum(equation, *[lib.ones(s, requires_grad=True) for s in shapes]).grad_fn.name() for lib in LIBS]
    assert names[1] == names[0]


def test_accumulate_grad_is_named_and_printed_as_torch(monkeypatch):
    # torch's C++ nodes: name() has the namespace, the repr and a tensor's printout the bare name
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")
    seen = []
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        acc = (x * 2).grad_fn.next_functions[0][0]
        z = x.clone()
        z[0] = 5
        seen.append((acc.name(), repr(acc).split(" object")[0], z.grad_fn.name(), str(z)))
    assert seen[1] == seen[0]


def test_not_implemented_node_is_named_and_printed_as_torch(monkeypatch):
    # an op torch has no derivative for records its generic C++ node: namespaced only in name()
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")
    seen = []
    for lib in LIBS:
        s = (lib.eye(2, dtype=lib.float64) * 2).requires_grad_()
        ld = lib.linalg.ldl_factor(s).LD
        seen.append((ld.grad_fn.name(), repr(ld.grad_fn).split(" object")[0], str(ld)))
    assert seen[1] == seen[0]


@pytest.mark.parametrize("leaf", [True, False])
@pytest.mark.parametrize("hook,pattern", [(lambda g: g.sum(), "changed the size of value"),
                                          (lambda g: g[:2], "changed the size of value"),
                                          (lambda g: g.double(), "changed the type of value")])
def test_a_tensor_hook_may_not_change_the_gradient_s_size_or_type(leaf, hook, pattern):
    for lib in LIBS:
        x = lib.ones(3, requires_grad=True)
        y = x if leaf else x * 2
        y.register_hook(hook)
        with pytest.raises(RuntimeError, match=pattern):
            (y * 2).sum().backward()


@pytest.mark.parametrize("index", ["[[0, 2], [1, 1]]", "[[0, 2]]", "[lib.tensor([0, 2]), lib.tensor([1, 1])]",
                                   "[slice(0, 2), 1]"])
def test_a_list_of_sequences_indexes_as_a_tuple_with_torch_s_warning(index):
    got = []
    for lib in LIBS:
        x = lib.arange(12).reshape(3, 4)
        with pytest.warns(UserWarning, match="non-tuple sequence for multidimensional indexing"):
            read = eval(f"x[{index}]", {"x": x, "lib": lib})
        y = x.clone()
        with pytest.warns(UserWarning, match="non-tuple sequence"):
            exec(f"y[{index}] = -1", {"y": y, "lib": lib})
        got.append((read.tolist(), y.tolist()))
    assert got[1] == got[0]


@pytest.mark.parametrize("route", ["torch", "kittygrad", "safetensors"])
def test_a_loaded_bfloat16_tensor_is_a_full_bfloat16_tensor(route, tmp_path):
    """Loaders build little-endian dtypes that equal bfloat16 without being NumPy's same object; the
    tensors must still count as floating point everywhere (they were left half broken)."""
    import io

    import safetensors.torch

    values = [[1.0, 2.5], [3.0, 4.0]]
    if route == "torch":
        buf = io.BytesIO()
        torch.save({"w": torch.tensor(values, dtype=torch.bfloat16)}, buf)
        buf.seek(0)
        w = kitty.load(buf)["w"]
    elif route == "kittygrad":
        buf = io.BytesIO()
        kitty.save({"w": kitty.tensor(values, dtype=kitty.bfloat16)}, buf)
        buf.seek(0)
        w = kitty.load(buf)["w"]
    else:
        path = tmp_path / "w.safetensors"
        safetensors.torch.save_file({"w": torch.tensor(values, dtype=torch.bfloat16)}, str(path))
        w = kitty.load(path)["w"]
    assert w.dtype == kitty.bfloat16 and w.is_floating_point()
    assert w.mean().item() == 2.625 and (w @ w).dtype == kitty.bfloat16 and w.softmax(-1).dtype == kitty.bfloat16
    assert w.requires_grad_().requires_grad


@pytest.mark.parametrize("make", [lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, 2),
                                  lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=10)])
def test_a_scheduler_state_crosses_between_torch_and_kittygrad(make):
    def pair(lib):
        p = lib.nn.Parameter(lib.ones(1))
        opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
        return opt, make(lib, opt)

    (ot, st), (ok, sk) = pair(torch), pair(kitty)
    for _ in range(3):
        ot.step(), st.step(), ok.step(), sk.step()
    (ot2, st2), (ok2, sk2) = pair(torch), pair(kitty)
    sk2.load_state_dict(st.state_dict())
    st2.load_state_dict(sk.state_dict())
    for _ in range(2):
        ot2.step(), st2.step(), ok2.step(), sk2.step()
    assert sk2.get_last_lr() == pytest.approx(st2.get_last_lr())


def test_a_torch_checkpoint_holding_devices_loads():
    import io

    buf = io.BytesIO()
    torch.save({"device": torch.device("cpu"), "gpu": torch.device("cuda", 1), "w": torch.ones(2)}, buf)
    buf.seek(0)
    loaded = kitty.load(buf)
    assert loaded["device"] == kitty.device("cpu") and str(loaded["gpu"]) == "cuda:1"
    assert loaded["w"].tolist() == [1.0, 1.0]


def test_state_dict_hooks_libraries_use():
    for lib in LIBS:
        m = lib.nn.Linear(2, 2)
        seen = []
        m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: seen.append((prefix, keep_vars)))
        def drop_bias(mod, sd, prefix, meta):
            del sd[prefix + "bias"]

        m._register_state_dict_hook(drop_bias)
        assert list(m.state_dict()) == ["weight"] and seen == [("", False)]

        def rename(sd, prefix, *rest):
            if prefix + "w" in sd:
                sd[prefix + "weight"] = sd.pop(prefix + "w")

        n = lib.nn.Linear(1, 1)
        n._register_load_state_dict_pre_hook(rename)
        assert str(n.load_state_dict({"w": lib.ones(1, 1), "bias": lib.zeros(1)})) == "<All keys matched successfully>"
        calls = []
        n._register_load_state_dict_pre_hook(lambda mod, sd, *rest: calls.append(type(mod).__name__), with_module=True)
        n.load_state_dict({"weight": lib.ones(1, 1), "bias": lib.zeros(1)})
        assert calls == ["Linear"]


def test_optimizer_step_hooks_see_the_optimizer_first_among_step_s_arguments():
    for lib in LIBS:
        p = lib.nn.Parameter(lib.ones(1))
        opt = lib.optim.SGD([p], lr=0.1)
        seen = []
        opt.register_step_pre_hook(lambda o, args, kwargs: seen.append((len(args), args[0] is o, dict(kwargs))))
        opt.register_step_post_hook(lambda o, args, kwargs: seen.append((len(args), args[0] is o, dict(kwargs))))
        p.grad = lib.ones(1)
        opt.step()
        opt.step(closure=None)
        assert seen == [(1, True, {}), (1, True, {}), (1, True, {"closure": None}), (1, True, {"closure": None})]


# --- a second sweep: utils.data, nn.utils and linalg against torch ---------------------------------


def _error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        return e
    raise AssertionError("expected an error")


def test_a_stack_dataset_needs_at_least_one_dataset():
    for lib in LIBS:
        with pytest.raises(ValueError, match="At least one dataset should be passed"):
            lib.utils.data.StackDataset()


def test_pin_memory_without_an_accelerator_warns_at_each_epoch():
    for lib in LIBS:
        loader = lib.utils.data.DataLoader([1, 2, 3], batch_size=2, pin_memory=True)
        for _ in range(2):
            with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator"):
                assert [b.tolist() for b in loader] == [[1, 2], [3]]


@pytest.mark.parametrize("context,workers,error", [
    ("spawn", 0, ValueError), ("x", 0, ValueError), ("x", 2, ValueError), (3, 2, TypeError), (3, 0, ValueError),
])
def test_multiprocessing_context_is_checked_as_torch_checks_it(context, workers, error):
    errors = [_error_of(lambda: lib.utils.data.DataLoader([1, 2], num_workers=workers, multiprocessing_context=context,
                                                          batch_size=0)) for lib in LIBS]
    for e in errors:
        assert isinstance(e, error)
    assert str(errors[1]) == str(errors[0])


def test_a_named_start_method_becomes_its_context():
    for lib in LIBS:
        loader = lib.utils.data.DataLoader([1, 2], num_workers=2, multiprocessing_context="spawn")
        assert type(loader.multiprocessing_context).__name__ == "SpawnContext"
        with pytest.raises(ValueError, match="num_workers > 0"):
            lib.utils.data.DataLoader([1, 2]).multiprocessing_context = "spawn"


def test_pad_sequence_gives_the_first_sequence_s_dtype():
    for first, second in (("float32", "float64"), ("int64", "float32")):
        outs = []
        for lib in LIBS:
            a = lib.tensor([1.0, 2.0]).to(getattr(lib, first))
            b = lib.tensor([1.5], dtype=getattr(lib, second), requires_grad=second.startswith("float"))
            out = lib.nn.utils.rnn.pad_sequence([a, b], batch_first=True)
            assert str(out.dtype).split(".")[-1] == first
            if b.requires_grad and out.is_floating_point():
                (out * 3).sum().backward()
                outs.append(_np(b.grad))
            outs.append(_np(out))
        for want, got in zip(outs[: len(outs) // 2], outs[len(outs) // 2:]):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("norm_type", [0, 0.0, -1, -2, 0.5, float("-inf")])
def test_clip_grad_norm_at_order_zero_and_below_agrees(norm_type):
    results = []
    for lib in LIBS:
        ps = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3)), lib.nn.Parameter(lib.ones(1))]
        for p, g in zip(ps, ([0.0, 2.0], [1.0, 3.0, -1.0], [0.0])):
            p.grad = lib.tensor(g)
        total = lib.nn.utils.clip_grad_norm_(ps, 1.0, norm_type=norm_type)
        results.append([_np(total)] + [_np(p.grad) for p in ps])
    for want, got in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_a_fused_bias_trains_only_where_the_layer_had_a_trainable_bias():
    for lib in LIBS:
        bn = lib.nn.BatchNorm2d(3).eval()
        fused = lib.nn.utils.fuse_conv_bn_eval(lib.nn.Conv2d(2, 3, 1, bias=False).eval(), bn)
        assert fused.weight.requires_grad and not fused.bias.requires_grad
        linear = lib.nn.utils.fuse_linear_bn_eval(lib.nn.Linear(2, 3).eval(), lib.nn.BatchNorm1d(3).eval())
        assert linear.bias.requires_grad


@pytest.mark.parametrize("make", [
    lambda lib: lib.linalg.cholesky(-lib.eye(3)),
    lambda lib: lib.linalg.cholesky(lib.stack([lib.eye(2), lib.eye(2), lib.tensor([[1.0, 2.0], [2.0, 1.0]])])
                                    .reshape(3, 1, 2, 2)),
    lambda lib: lib.linalg.cholesky(lib.tensor([[4.0, 2.0], [2.0, float("nan")]]), upper=True),
    lambda lib: lib.linalg.cholesky(lib.tensor([[float("nan"), 0.0], [0.0, 1.0]])),
    lambda lib: lib.tensor([[1.0, 2.0], [2.0, 1.0]]).cholesky(),
])
def test_a_failed_cholesky_names_the_batch_element_and_the_leading_minor(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.cholesky's deprecation
        errors = [_error_of(lambda: make(lib)) for lib in LIBS]
    assert isinstance(errors[0], torch.linalg.LinAlgError) and isinstance(errors[1], kitty.linalg.LinAlgError)
    assert str(errors[1]) == str(errors[0])


def test_cross_without_dim_and_torch_cholesky_warn_their_deprecation_once():
    from kittygrad.ops import _prep

    _prep.WARNED_ONCE.clear()
    for call, text in ((lambda: kitty.cross(kitty.ones(2, 3), kitty.ones(2, 3)), "without specifying the dim"),
                       (lambda: kitty.cholesky(kitty.eye(2)), "torch.cholesky is deprecated")):
        with pytest.warns(UserWarning, match=text):
            call()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            call()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kitty.linalg.cross(kitty.ones(3), kitty.ones(3))
        kitty.cross(kitty.ones(3), kitty.ones(3), dim=0)


# each older spelling, then its Tensor method, which must not warn a second time
_OLD_LINALG_CALLS = (
    ("lib.qr(A)", "A.qr()"), ("lib.lu(A)", "A.lu()"),
    ("lib.lu_solve(b, *lib.linalg.lu_factor(A))", "b.lu_solve(*lib.linalg.lu_factor(A))"),
    ("lib.triangular_solve(b, A)", "b.triangular_solve(A)"),
)


def test_the_older_linalg_spellings_warn_torchs_deprecation_texts_once():
    import subprocess
    import sys

    from kittygrad.ops import _prep

    # torch warns once a process, so its texts come from a fresh one; its C++ source location is dropped
    script = ("import torch as lib, warnings\nA, b = lib.eye(2) * 2, lib.ones(2, 1)\n"
              "for call, _ in %r:\n    with warnings.catch_warnings(record=True) as w:\n"
              "        warnings.simplefilter('always')\n        eval(call)\n"
              "    print(repr(str(w[-1].message).split(' (Triggered internally')[0]))\n" % (_OLD_LINALG_CALLS,))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    expected = [eval(line) for line in out.splitlines()]
    _prep.WARNED_ONCE.clear()
    lib, A, b = kitty, kitty.eye(2) * 2, kitty.ones(2, 1)  # noqa: F841 (the calls' names)
    for (call, method), text in zip(_OLD_LINALG_CALLS, expected, strict=True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            eval(call)
            eval(method)
        assert [str(w.message) for w in caught if w.category is UserWarning] == [text]


# each call, then its in-place twin (which must not warn again), then a call torch lets pass silently
_ONCE_WARNING_CALLS = (
    ("lib.zeros(3).scatter(0, i, lib.ones(2), reduce='add')", "lib.zeros(3).scatter_(0, i, lib.ones(2), reduce='multiply')",
     "lib.zeros(3).scatter(0, i, 2.0, reduce='add')"),
    ("lib.zeros(3).index_reduce(0, i, lib.ones(2), 'prod')", "lib.zeros(3).index_reduce_(0, i, lib.ones(2), 'amax')",
     "lib.zeros(3).scatter_reduce(0, i, lib.ones(2), 'amax')"),
)


def test_scatters_reduce_argument_and_index_reduce_warn_torchs_texts_once():
    import subprocess
    import sys

    from kittygrad.ops import _prep

    # torch warns once a process, so its texts come from a fresh one; its C++ source location is dropped
    script = ("import torch as lib, warnings\ni = lib.tensor([0, 0])\n"
              "for calls in %r:\n    with warnings.catch_warnings(record=True) as w:\n"
              "        warnings.simplefilter('always')\n        [eval(c) for c in calls]\n"
              "    print(repr([str(x.message).split(' (Triggered internally')[0] for x in w]))\n" % (_ONCE_WARNING_CALLS,))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    expected = [eval(line) for line in out.splitlines()]
    _prep.WARNED_ONCE.clear()
    lib, i = kitty, kitty.tensor([0, 0])  # noqa: F841 (the calls' names)
    for calls, texts in zip(_ONCE_WARNING_CALLS, expected, strict=True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for call in calls:
                eval(call)
        assert len(texts) == 1 and [str(w.message) for w in caught] == texts


@pytest.mark.parametrize("call", [
    lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2), None),
    lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2), dim=(0, 0)),
    lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2), dim=(1, -1)),
    lambda lib: lib.linalg.norm(lib.ones(4), "fro"),
    lambda lib: lib.linalg.norm(lib.ones(4, 3), "fro", dim=(0,)),
    lambda lib: lib.linalg.norm(lib.ones(4, 3), "nuc", dim=0),
    lambda lib: lib.linalg.vector_norm(lib.zeros(0), float("inf")),
    lambda lib: lib.linalg.vector_norm(lib.zeros(0, 3), float("inf"), dim=0),
])
def test_norm_argument_errors_are_torchs(call):
    errors = []
    for lib in LIBS:
        with pytest.raises(Exception) as info:
            call(lib)
        errors.append(info.value)
    torch_error, kitty_error = errors
    assert isinstance(kitty_error, type(torch_error))
    if isinstance(torch_error, RuntimeError):
        assert str(kitty_error) == str(torch_error)


def test_norms_that_torch_computes_still_agree():
    for call in (lambda lib: lib.linalg.norm(lib.arange(12.0).reshape(4, 3), "fro"),
                 lambda lib: lib.linalg.vector_norm(lib.zeros(0, 3), float("inf"), dim=1),
                 lambda lib: lib.linalg.matrix_norm(lib.arange(6.0).reshape(2, 3), 1, dim=[1, 0])):
        theirs, ours = (call(lib) for lib in LIBS)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_sums_of_infinities_and_sinc_at_infinity_are_silent_as_torch():
    # kittygrad silences the RuntimeWarnings NumPy raises from kittygrad's own lines (the filter
    # it installs on import, set again here: pytest drops filters added while it collects); these
    # two came from NumPy's Python (ndarray.sum, np.sinc), which that filter does not cover
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.filterwarnings("always", category=RuntimeWarning)
            warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"kittygrad(\.|$)")
            assert math.isnan(lib.tensor([-math.inf, math.inf]).sum().item())
            assert math.isnan(lib.sinc(lib.tensor([math.inf])).item())
        assert [f"{w.message} ({w.filename}:{w.lineno})" for w in caught] == []


def test_polygamma_takes_a_zero_dim_integer_tensor_order():
    theirs, ours = (lib.special.polygamma(lib.tensor(1), lib.ones(2)) for lib in LIBS)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    for lib in LIBS:
        with pytest.raises(TypeError):
            lib.special.polygamma(lib.tensor([1]), lib.ones(2))


@pytest.mark.parametrize("make", [
    lambda lib: lib.zeros(2, 2),
    lambda lib: lib.tensor([[1.0, 2.0], [2.0, 4.0]]),
    lambda lib: lib.stack([lib.eye(2), lib.tensor([[1.0, 2.0], [2.0, 4.0]])]),
])
def test_a_singular_inverse_names_the_batch_element_and_the_zero_pivot(make):
    messages = []
    for lib in LIBS:
        with pytest.raises(RuntimeError) as info:
            lib.linalg.inv(make(lib))
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("needs", [(True, False), (False, True), (True, True)])
def test_triangular_solve_results_come_from_one_node_as_torch(needs):
    results = []
    for lib in LIBS:
        b = lib.tensor([[1.0], [2.0]], requires_grad=needs[0])
        a = lib.tensor([[2.0, 1.0], [0.5, 3.0]], requires_grad=needs[1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's deprecation
            out = lib.triangular_solve(b, a)
        assert out.solution.requires_grad and out.cloned_coefficient.requires_grad
        (out.solution.sum() * 2 + (out.cloned_coefficient * 3).sum()).backward()
        results.append([None if t.grad is None else t.grad.numpy() for t in (b, a)])
    for ours, theirs in zip(results[1], results[0]):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_minimum_and_maximum_of_two_zero_dim_tensors_backpropagate():
    for lib in LIBS:
        a, b = lib.tensor(1.0, requires_grad=True), lib.tensor(2.0, requires_grad=True)
        (lib.minimum(a, b) + lib.maximum(a, b) * 3).backward()
        assert (a.grad.item(), b.grad.item()) == (1.0, 3.0)


def test_trapezoid_over_no_samples_gives_zeros_with_no_history_as_torch():
    for lib in LIBS:
        assert not lib.trapezoid(lib.zeros(0, requires_grad=True)).requires_grad
        assert lib.trapezoid(lib.zeros(0, 3, requires_grad=True), dim=0).shape == (3,)
        assert lib.trapezoid(lib.zeros(1, requires_grad=True)).requires_grad


@pytest.mark.parametrize("pieces", [
    lambda lib, x: lib.unsafe_chunk(x, 2),
    lambda lib, x: lib.unsafe_split(x, 2),
    lambda lib, x: x.unsafe_split_with_sizes([2, 2]),
])
def test_unsafe_split_pieces_may_change_in_place_and_share_the_input_as_torch(pieces):
    results = []
    for lib in LIBS:
        x = lib.arange(4.0).requires_grad_()
        a, b = pieces(lib, x)
        assert not a._is_view() and a.grad_fn is not None
        a.mul_(2)  # allowed (torch: "unsafe"), and the input changes with it
        (a.sum() + b.sum() * 3).backward()
        results.append((x.detach().numpy().copy(), x.grad.numpy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_array_equal(ours, theirs)


def test_mode_over_an_empty_dim_is_torchs_index_error():
    for lib in LIBS:
        with pytest.raises(IndexError, match="Expected reduction dim 1 to have non-zero size"):
            lib.mode(lib.zeros(3, 0))
        assert lib.mode(lib.zeros(0, 3)).values.shape == (0,)


@pytest.mark.parametrize("inplace", [False, True])
def test_index_reduce_is_named_as_torch_names_it(monkeypatch, inplace):
    """index_reduce is recorded as a scatter_reduce over whole slices; under torch's naming its node
    is torch's IndexReduceBackward0 (in place too), not ScatterReduceBackward0."""
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")
    names = []
    for m in LIBS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the beta warning)
            x = m.ones(3, 2, requires_grad=True) * 1
            src, index = m.ones(2, 2, requires_grad=True), m.tensor([0, 2])
            y = x.index_reduce_(0, index, src, "amax") if inplace else x.index_reduce(0, index, src, "mean")
        names.append(y.grad_fn.name())
    assert names[1] == names[0] == "IndexReduceBackward0"


# ops kittygrad computes through another node than torch (or whose torch node has another name or
# overload), named as torch names theirs, so a printed result shows torch's grad_fn
_NODE_NAME_CASES = {
    "log1p": lambda m, x, y: x.abs().log1p(), "triu": lambda m, x, y: x.triu(1), "tril": lambda m, x, y: m.tril(x),
    "prod over a dim": lambda m, x, y: x.prod(1), "prod": lambda m, x, y: x.prod(),
    "lerp, tensor weight": lambda m, x, y: m.lerp(x, y, m.full_like(y, 0.3)), "lerp": lambda m, x, y: x.lerp(y, 0.3),
    "celu": lambda m, x, y: m.nn.functional.celu(x, 2.0), "softsign": lambda m, x, y: m.nn.functional.softsign(x),
    "threshold": lambda m, x, y: m.nn.functional.threshold(x, 0.1, 0.0), "glu": lambda m, x, y: m.nn.functional.glu(x),
    "hardshrink": lambda m, x, y: m.nn.functional.hardshrink(x), "softshrink": lambda m, x, y: m.nn.functional.softshrink(x),
    "prelu": lambda m, x, y: m.nn.functional.prelu(x, m.tensor([0.2])), "nanmean": lambda m, x, y: x.nanmean(1),
    "nansum": lambda m, x, y: x.nansum(), "addmm": lambda m, x, y: m.addmm(y[:, :4], x, y.T),
    "addmv": lambda m, x, y: m.addmv(y[:, 0], x, y[0]), "addr": lambda m, x, y: m.addr(y, x[:, 0], y[0]),
    "baddbmm": lambda m, x, y: m.baddbmm(y[None, :, :4], x[None], y.T[None]),
    "addbmm": lambda m, x, y: m.addbmm(y[:, :4], x[None], y.T[None]),
    "rms_norm": lambda m, x, y: m.nn.functional.rms_norm(x, (6,)),
    "instance_norm": lambda m, x, y: m.nn.functional.instance_norm(x.reshape(2, 2, 6)),
    "bilinear": lambda m, x, y: m.nn.functional.bilinear(x, y, m.ones(2, 6, 6)),
    "bilinear with bias": lambda m, x, y: m.nn.functional.bilinear(x, y, m.ones(2, 6, 6), m.ones(2)),
    "unfold": lambda m, x, y: m.nn.functional.unfold(x.reshape(1, 1, 4, 6), 2),
    "fold": lambda m, x, y: m.nn.functional.fold(x.reshape(1, 4, 6), (3, 4), 2),
    "reshape copying a transpose": lambda m, x, y: x.t().reshape(-1),
    "reshape viewing a strided input": lambda m, x, y: x[:, ::2].reshape(-1),
    "same-shape reshape of a transpose": lambda m, x, y: x.t().reshape(6, 4),
    "flatten of a permute": lambda m, x, y: x.reshape(2, 2, 6).permute(2, 0, 1).flatten(1),
    "unflatten of a transpose": lambda m, x, y: x.t().unflatten(1, (2, 2)),
    "ravel of a transpose": lambda m, x, y: x.t().ravel(),
}


@pytest.mark.parametrize("case", sorted(_NODE_NAME_CASES))
def test_composite_and_overloaded_ops_name_torchs_node(case):
    values = np.random.default_rng(0).standard_normal((2, 4, 6)).astype(np.float32)
    names = []
    for lib in LIBS:
        x = lib.tensor(values[0], requires_grad=True)
        out = _NODE_NAME_CASES[case](lib, x, lib.tensor(values[1]))
        names.append(out.grad_fn.name() if lib is torch else out.grad_fn.torch_name())
    assert names[1] == names[0]


def test_copy_into_a_tensor_is_named_and_printed_as_torch(monkeypatch):
    # torch's copy_ node is hand-written: name() has the namespace, no overload number
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")
    seen = []
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        b = lib.zeros(2).copy_(x)
        seen.append((b.grad_fn.name(), repr(b.grad_fn).split(" object")[0], str(b)))
    assert seen[1] == seen[0]
