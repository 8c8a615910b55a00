"""Every activation and loss module against torch (outputs and gradients, float32 and float64),
and the stability of the fused log-softmax / cross-entropy at extreme logits."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from _compare import Const, check, randn


def away(x, gap=0.05):
    return np.where(np.abs(x) < gap, gap + np.abs(x), x)


ACTIVATIONS = [
    ("ReLU", lambda m: m.nn.ReLU()),
    ("ReLU6", lambda m: m.nn.ReLU6()),
    ("LeakyReLU", lambda m: m.nn.LeakyReLU(0.2)),
    ("ELU", lambda m: m.nn.ELU(alpha=0.5)),
    ("SELU", lambda m: m.nn.SELU()),
    ("CELU", lambda m: m.nn.CELU(alpha=2.0)),
    ("GELU", lambda m: m.nn.GELU()),
    ("GELU_tanh", lambda m: m.nn.GELU(approximate="tanh")),
    ("SiLU", lambda m: m.nn.SiLU()),
    ("Mish", lambda m: m.nn.Mish()),
    ("Softplus", lambda m: m.nn.Softplus(beta=2, threshold=3)),
    ("Softsign", lambda m: m.nn.Softsign()),
    ("Hardtanh", lambda m: m.nn.Hardtanh(-2.0, 1.5)),
    ("Hardswish", lambda m: m.nn.Hardswish()),
    ("Hardsigmoid", lambda m: m.nn.Hardsigmoid()),
    ("Sigmoid", lambda m: m.nn.Sigmoid()),
    ("Tanh", lambda m: m.nn.Tanh()),
    ("LogSigmoid", lambda m: m.nn.LogSigmoid()),
    ("Tanhshrink", lambda m: m.nn.Tanhshrink()),
    ("Softmax", lambda m: m.nn.Softmax(dim=1)),
    ("LogSoftmax", lambda m: m.nn.LogSoftmax(dim=-1)),
    ("Softmin", lambda m: m.nn.Softmin(dim=0)),
    ("PReLU", lambda m: m.nn.PReLU()),
    ("PReLU_channels", lambda m: m.nn.PReLU(4, init=0.1)),
    ("GLU", lambda m: m.nn.GLU(dim=1)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ACTIVATIONS, ids=[c[0] for c in ACTIVATIONS])
def test_activation_matches_torch(case, dtype):
    name, make = case
    x = away(randn(3, 4, 5) * 3)
    check(make, [x], dtype, what=name)


@pytest.mark.parametrize("name", ["ReLU", "LeakyReLU", "ELU", "SELU", "SiLU", "Mish", "Hardtanh", "ReLU6", "Hardswish", "Hardsigmoid"])
def test_inplace_activation_matches_torch(name):
    kwargs = {"inplace": True}
    def make(m):
        return getattr(m.nn, name)(**kwargs)
    x = away(randn(3, 4) * 3)
    check(make, [x], "float64", call=lambda mod, a: mod(a * 1), what=name)


def _t(values):
    return np.array(values)


LOSSES = [
    ("L1Loss", lambda m: m.nn.L1Loss(), [away(randn(3, 4)), randn(3, 4, seed=1) * 0]),
    ("MSELoss_sum", lambda m: m.nn.MSELoss(reduction="sum"), [randn(3, 4), randn(3, 4, seed=1)]),
    ("MSELoss_none", lambda m: m.nn.MSELoss(reduction="none"), [randn(3, 4), randn(3, 4, seed=1)]),
    ("SmoothL1Loss", lambda m: m.nn.SmoothL1Loss(beta=0.5), [randn(3, 4), randn(3, 4, seed=1)]),
    ("HuberLoss", lambda m: m.nn.HuberLoss(delta=0.8, reduction="none"), [randn(3, 4), randn(3, 4, seed=1)]),
    ("CrossEntropyLoss", lambda m: m.nn.CrossEntropyLoss(), [randn(5, 4), _t([0, 3, 1, 1, 2])]),
    ("CrossEntropyLoss_weight_ignore_smooth", lambda m: m.nn.CrossEntropyLoss(
        weight=m.tensor([1.0, 0.5, 2.0, 1.5]), ignore_index=1, label_smoothing=0.15), [randn(5, 4), _t([0, 3, 1, 1, 2])]),
    ("CrossEntropyLoss_spatial_none", lambda m: m.nn.CrossEntropyLoss(reduction="none"), [randn(2, 3, 4, 2), np.random.default_rng(0).integers(0, 3, (2, 4, 2))]),
    ("CrossEntropyLoss_probs", lambda m: m.nn.CrossEntropyLoss(label_smoothing=0.1), [randn(4, 3), np.random.default_rng(0).dirichlet([1, 1, 1], 4)]),
    ("CrossEntropyLoss_sum", lambda m: m.nn.CrossEntropyLoss(reduction="sum", weight=m.tensor([2.0, 1.0, 0.5])), [randn(4, 3), _t([2, 2, 0, 1])]),
    ("NLLLoss", lambda m: m.nn.NLLLoss(weight=m.tensor([1.0, 2.0, 0.5])), [randn(4, 3), _t([2, 2, 0, 1])]),
    ("NLLLoss_ignore_none", lambda m: m.nn.NLLLoss(ignore_index=0, reduction="none"), [randn(4, 3), _t([2, 0, 0, 1])]),
    ("BCELoss", lambda m: m.nn.BCELoss(), [np.random.default_rng(0).uniform(0.05, 0.95, (3, 4)), np.random.default_rng(1).uniform(0, 1, (3, 4))]),
    ("BCELoss_weight", lambda m: m.nn.BCELoss(weight=m.tensor([1.0, 2.0, 0.5, 1.0]), reduction="sum"),
     [np.random.default_rng(0).uniform(0.05, 0.95, (3, 4)), (np.random.default_rng(1).uniform(0, 1, (3, 4)) > 0.5) * 1.0]),
    ("BCEWithLogitsLoss", lambda m: m.nn.BCEWithLogitsLoss(), [randn(3, 4) * 3, np.random.default_rng(1).uniform(0, 1, (3, 4))]),
    ("BCEWithLogitsLoss_posweight", lambda m: m.nn.BCEWithLogitsLoss(pos_weight=m.tensor([1.0, 3.0, 0.5, 2.0]), weight=m.tensor([0.5, 1.0, 1.0, 2.0])),
     [randn(3, 4) * 3, (np.random.default_rng(1).uniform(0, 1, (3, 4)) > 0.5) * 1.0]),
    ("KLDivLoss_batchmean", lambda m: m.nn.KLDivLoss(reduction="batchmean"), [randn(3, 4), np.random.default_rng(0).dirichlet([1, 1, 1, 1], 3)]),
    ("KLDivLoss_log_target", lambda m: m.nn.KLDivLoss(reduction="sum", log_target=True), [randn(3, 4), randn(3, 4, seed=1)]),
    ("CosineEmbeddingLoss", lambda m: m.nn.CosineEmbeddingLoss(margin=0.2), [randn(4, 5), randn(4, 5, seed=1), _t([1, -1, 1, -1])]),
    ("MarginRankingLoss", lambda m: m.nn.MarginRankingLoss(margin=0.3), [randn(5), randn(5, seed=1), _t([1.0, -1.0, 1.0, 1.0, -1.0])]),
    ("TripletMarginLoss", lambda m: m.nn.TripletMarginLoss(margin=1.5), [randn(4, 5), randn(4, 5, seed=1), randn(4, 5, seed=2)]),
    ("TripletMarginLoss_p1_swap", lambda m: m.nn.TripletMarginLoss(p=1, swap=True, reduction="sum"),
     [randn(4, 5), randn(4, 5, seed=1), randn(4, 5, seed=2)]),
    ("HingeEmbeddingLoss", lambda m: m.nn.HingeEmbeddingLoss(margin=0.5), [randn(6), _t([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])]),
    ("SoftMarginLoss", lambda m: m.nn.SoftMarginLoss(), [randn(6), Const(_t([1.0, -1.0, 1.0, -1.0, -1.0, 1.0]))]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss_matches_torch(case, dtype):
    name, make, arrays = case
    check(make, arrays, dtype, what=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_and_log_softmax_are_stable(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])
    target = np.array([1, 0, 2])
    kx = kitty.tensor(logits, dtype=getattr(kitty, dtype), requires_grad=True)
    tx = torch.tensor(logits, dtype=getattr(torch, dtype), requires_grad=True)
    kl = kitty.nn.functional.cross_entropy(kx, kitty.tensor(target), label_smoothing=0.1)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(target), label_smoothing=0.1)
    kl.backward()
    tl.backward()
    assert np.isfinite(kl.item()) and np.isfinite(kx.grad.numpy()).all()
    np.testing.assert_allclose(kl.item(), tl.item(), rtol=1e-6)
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-7)
    kls = kitty.nn.functional.log_softmax(kitty.tensor(logits, dtype=getattr(kitty, dtype)), dim=1)
    assert np.isfinite(kls.numpy()).all()
    np.testing.assert_allclose(kls.numpy(), torch.log_softmax(torch.tensor(logits), 1).numpy(), rtol=1e-6)


def test_loss_reduction_errors_match_torch():
    x = kitty.randn(3, 2)
    with pytest.raises(ValueError):
        kitty.nn.functional.mse_loss(x, x, reduction="avg")
    with pytest.raises(IndexError):
        kitty.nn.functional.cross_entropy(x, kitty.tensor([0, 2, 1]))
    with pytest.raises(ValueError):
        kitty.nn.functional.cross_entropy(x, kitty.tensor([0, 1]))
    with pytest.raises(ValueError):
        kitty.nn.functional.binary_cross_entropy(x.sigmoid(), kitty.ones(3))
    with pytest.raises(RuntimeError):
        kitty.nn.functional.binary_cross_entropy(x, kitty.ones(3, 2))


@pytest.mark.parametrize("size_average, reduce", [(False, None), (None, False), (True, None), (False, True), (True, False)])
def test_legacy_reduction_arguments_warn_with_the_reduction_they_mean(size_average, reduce):
    got = []
    for lib in (kitty, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loss = lib.nn.MSELoss(size_average=size_average, reduce=reduce)
            x = lib.nn.functional.l1_loss(lib.ones(2), lib.zeros(2), size_average=size_average, reduce=reduce)
        got.append(([str(w.message) for w in caught], loss.reduction, x.tolist()))
    assert got[0] == got[1]


_TARGET_CASES = [  # (input shape, target shape, target dtype)
    ((3, 4), (3, 2), "int64"), ((3, 4), (2,), "int32"), ((3, 4), (3, 2), "int32"), ((3, 4), (3,), "float32"),
    ((3, 4), (3, 2), "float32"), ((3, 4), (3, 4), "int64"), ((3, 4), (3, 4), "uint8"), ((3, 4), (3,), "bool"),
    ((4,), (1,), "int64"), ((4,), (1,), "uint8"), ((4,), (2,), "int64"), ((4,), (4,), "int64"), ((4,), (4,), "int32"),
    ((4,), (1, 1), "int64"), ((4,), (1,), "float32"), ((4,), (), "int64"),
    ((3, 4, 5), (3, 4), "int64"), ((3, 4, 5), (3, 5, 1), "int64"), ((3, 4, 5), (3, 4), "int32"),
    ((3, 4, 5), (3, 5), "int32"), ((3, 4, 5), (3, 5), "uint8"), ((3, 4, 5), (3, 4, 5), "int64"),
    ((3, 4, 5, 6), (3, 5, 5), "int64"), ((3, 4, 5, 6), (3, 5), "int32"), ((3, 4, 5, 6), (3, 5, 6, 1), "int64"),
    ((3, 4, 5, 6), (3, 5, 5), "int32"), ((3, 4, 5, 6), (3, 5, 6), "uint8"), ((3, 4, 5, 6), (3, 5, 6), "float32"),
    ((3, 4, 5, 6, 2), (3, 5, 6), "int64"), ((3, 4, 5, 6, 2), (3, 5, 6, 2), "uint8"), ((), (), "int64"), ((), (1,), "int64"),
]


@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("shape, tshape, tdtype", _TARGET_CASES)
def test_class_index_target_checks_match_torch(fn, shape, tshape, tdtype):
    # torch's checks differ by the input's rank; a 1-D input takes a target of one element too
    def run(lib):
        x = lib.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape), dtype=lib.float32)
        t = lib.tensor(np.zeros(tshape), dtype=getattr(lib, tdtype))
        try:
            out = getattr(lib.nn.functional, fn)(x, t, reduction="none")
            return "ok", tuple(out.shape), np.round(out.numpy(), 5).tolist()
        except (RuntimeError, ValueError, IndexError) as err:
            return next(c for c in type(err).__mro__ if c.__module__ == "builtins").__name__, str(err)
    assert run(kitty) == run(torch)


def test_cross_entropy_probability_targets_refuse_an_ignore_index():
    for lib in (kitty, torch):
        with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
            lib.nn.functional.cross_entropy(lib.zeros(3, 4), lib.full((3, 4), 0.25), ignore_index=1)


def test_nll_all_ignored_is_nan_like_torch():
    k = kitty.nn.functional.nll_loss(kitty.zeros(2, 3), kitty.tensor([-100, -100]))
    t = torch.nn.functional.nll_loss(torch.zeros(2, 3), torch.tensor([-100, -100]))
    assert np.isnan(k.item()) and np.isnan(t.item())


LOSS_NODES = [
    "kl_div(x, p, reduction=r)", "kl_div(x, p.log(), reduction=r, log_target=True)",
    "kl_div(x, p, reduction='batchmean')", "smooth_l1_loss(x, p, beta=0.0, reduction=r)",
    "multi_margin_loss(x, c, reduction=r)", "multi_margin_loss(x[0], c[:1], reduction=r, weight=w)",
    "multilabel_margin_loss(x, m, reduction=r)", "soft_margin_loss(x, s, reduction=r)",
    "triplet_margin_with_distance_loss(x, p, p * 2, reduction=r, swap=True)",
    "margin_ranking_loss(x, p, s, reduction=r)", "clamp_min(x, p)", "clamp_max(x, p)", "clamp(x, min=p)",
    # class losses: label smoothing and probability targets are composed; ranks other than 1-D/2-D
    # go through torch's 2-D kernel (3-D and 5-D folded into 4-D and a 'none' result viewed back)
    "cross_entropy(x, c, reduction=r, label_smoothing=0.1)", "cross_entropy(x, p, reduction=r)",
    "cross_entropy(x[:0], p[:0], reduction=r)", "cross_entropy(x, p, reduction=r, label_smoothing=0.2, weight=w)",
    "nll_loss(x.t().reshape(1, 4, 3), c.view(1, 3), reduction=r)",
    "cross_entropy(x.t().reshape(1, 4, 3, 1), c.view(1, 3, 1), reduction=r)",
    "cross_entropy(x.t().reshape(1, 4, 1, 3, 1), c.view(1, 1, 3, 1), reduction=r, weight=w)",
    "cross_entropy(x[0], c[0], reduction=r)",
]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("code", LOSS_NODES)
def test_composite_losses_name_their_last_node_as_torch(monkeypatch, code, reduction):
    """Under ``kittygrad.run`` a loss prints torch's grad_fn: the native kernel's node
    (MultiMarginLossBackward0) or the last op of torch's composition (kl_div 'none': SubBackward0)."""
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")
    names = []
    for lib in (torch, kitty):
        env = {"x": lib.tensor([[0.3, -1.2, 0.8, 0.1], [1.5, 0.2, -0.4, 0.9], [0.0, 0.7, -2.0, 0.4]], requires_grad=True),
               "c": lib.tensor([0, 2, 3]), "w": lib.tensor([1.0, 2.0, 0.5, 1.0]),
               "m": lib.tensor([[0, 1, -1, 2]] * 3), "s": lib.tensor([[1.0, -1.0, 1.0, 1.0]] * 3), "r": reduction}
        env["p"] = lib.softmax(lib.tensor([[0.1, 0.2, 0.3, 0.4]] * 3), -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = eval(code, env, {**vars(lib), **vars(lib.nn.functional)})
        out.sum().backward()  # the name survives backward releasing the node's saved values
        names.append(out.grad_fn.name())
    assert names[1] == names[0], code


_CLASS_LOSS_CASES = [  # (input shape, soft targets, reduction, label_smoothing)
    ((5, 4), False, "mean", 0.0), ((4,), False, "sum", 0.0), ((5, 4), False, "none", 0.1),
    ((2, 4, 3, 3), False, "mean", 0.0), ((2, 4, 3, 3), False, "none", 0.0), ((2, 4, 3), False, "none", 0.0),
    ((2, 4, 2, 2, 2), False, "sum", 0.0), ((2, 4, 3), False, "mean", 0.2),
    ((5, 4), True, "mean", 0.0), ((5, 4), True, "none", 0.1), ((2, 4, 3, 3), True, "sum", 0.0), ((0, 4), True, "mean", 0.0),
]


@pytest.mark.parametrize("shape, soft, reduction, smoothing", _CLASS_LOSS_CASES)
def test_class_losses_end_on_torchs_node(shape, soft, reduction, smoothing):
    # a printed loss names its grad_fn: torch's composite smoothing and soft-target formulas end on
    # an add, a negation or a division, and inputs of 3 or more dims take its 2-D kernel's node
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    if soft:
        t = rng.random(shape).astype(np.float32)
    else:
        t = rng.integers(0, 4, (shape[0],) + shape[2:] if len(shape) > 1 else ()).astype(np.int64)
    names = []
    for lib in (torch, kitty):
        xt = lib.tensor(x, requires_grad=True)
        ce = lib.nn.functional.cross_entropy(xt, lib.tensor(t), reduction=reduction, label_smoothing=smoothing)
        outs = [ce] if soft else [ce, lib.nn.functional.nll_loss(xt, lib.tensor(t), reduction=reduction)]
        names.append([o.grad_fn.name() if lib is torch else o.grad_fn.torch_name() for o in outs])
    assert names[0] == names[1]


def test_soft_cross_entropy_takes_the_wider_dtype_of_its_target():
    # float64 class probabilities (built with NumPy) make a float64 loss, as torch's product does
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    t = np.full((3, 4), 0.25)
    results = []
    for lib in (torch, kitty):
        xt = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(xt, lib.tensor(t), weight=lib.ones(4))
        loss.backward()
        results.append((str(loss.dtype).split(".")[-1], str(xt.grad.dtype).split(".")[-1], loss.item(), xt.grad.numpy()))
    (d1, g1, v1, gr1), (d2, g2, v2, gr2) = results
    assert (d1, g1) == (d2, g2) == ("float64", "float32")
    np.testing.assert_allclose(v2, v1, rtol=1e-6)
    np.testing.assert_allclose(gr2, gr1, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_broadcast_target_warning_points_at_the_caller(name):
    for lib in (torch, kitty):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(lib.nn.functional, name)(lib.zeros(4, 1), lib.zeros(4))
        assert [w.filename for w in caught] == [__file__], lib.__name__
        assert "Using a target size" in str(caught[0].message)
