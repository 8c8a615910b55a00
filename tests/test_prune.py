"""``kittygrad.nn.utils.prune`` against torch 2.13's ``torch.nn.utils.prune``: the same entries pruned
(ties included), the same names, forward results, gradients, ``remove``, and errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tprune

import kittygrad as kitty
from kittygrad.nn.utils import prune as kprune
from kittygrad.nn.utils.prune import _torch_topk_indices

LIBS = {"torch": (torch, tprune), "kitty": (kitty, kprune)}


def _values(shape, seed, levels=None):
    """Deterministic weights; ``levels`` rounds them to few distinct magnitudes, so ties abound."""
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return np.round(a * levels) / levels if levels else a


def _set(lib, module, seed, levels=None):
    with lib.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(lib.tensor(_values(tuple(p.shape), seed + i, levels)))
    return module


def _np(t):
    return t.detach().numpy()


def _lenet(lib, seed=0, levels=None):
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(3, 4, 2), nn.Flatten(),
                          nn.Linear(16, 6), nn.ReLU(), nn.Linear(6, 3))
    return _set(lib, model, seed, levels)


def _both(fn):
    """``fn(lib, prune)`` under torch and under kittygrad."""
    return fn(*LIBS["torch"]), fn(*LIBS["kitty"])


# --------------------------------------------------------------------------------------- masks
@pytest.mark.parametrize("levels", [None, 2, 1])
@pytest.mark.parametrize("amount", [0, 1, 7, 0.25, 0.5, 0.9, 1.0])
def test_l1_unstructured_masks_match_torch_with_ties(levels, amount):
    def run(lib, prune):
        m = _set(lib, lib.nn.Linear(8, 5), 3, levels)
        prune.l1_unstructured(m, "weight", amount=amount)
        prune.l1_unstructured(m, "bias", amount=amount if isinstance(amount, float) else min(amount, 5))
        return _np(m.weight_mask), _np(m.bias_mask), _np(m.weight)
    t, k = _both(run)
    for a, b in zip(t, k):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n", [1, 2, 3, 0.5, float("inf"), float("-inf")])
@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("levels", [None, 1])
def test_ln_structured_masks_match_torch(n, dim, levels):
    def run(lib, prune):
        m = _set(lib, lib.nn.Conv2d(3, 5, 2), 11, levels)
        prune.ln_structured(m, "weight", amount=0.4, n=n, dim=dim)
        return _np(m.weight_mask)
    t, k = _both(run)
    np.testing.assert_array_equal(t, k)


def test_iterative_pruning_combines_masks_as_torch():
    def run(lib, prune):
        m = _set(lib, lib.nn.Conv2d(2, 6, 3), 5, levels=2)
        prune.l1_unstructured(m, "weight", amount=0.3)
        prune.ln_structured(m, "weight", amount=2, n=2, dim=0)
        prune.l1_unstructured(m, "weight", amount=10)
        prune.ln_structured(m, "weight", amount=0.5, n=1, dim=1)
        hook = next(iter(m._forward_pre_hooks.values()))
        return _np(m.weight_mask), type(hook).__name__, [type(h).__name__ for h in hook]
    (tm, tname, tkinds), (km, kname, kkinds) = _both(run)
    np.testing.assert_array_equal(tm, km)
    assert (tname, tkinds) == (kname, kkinds) == ("PruningContainer",
                                                  ["L1Unstructured", "LnStructured", "L1Unstructured", "LnStructured"])


@pytest.mark.parametrize("amount", [0.2, 0.6, 25])
def test_global_unstructured_matches_torch(amount):
    def run(lib, prune):
        model = _lenet(lib, seed=1, levels=2)
        prune.l1_unstructured(model[0], "weight", amount=0.5)  # earlier masks are respected
        params = [(model[0], "weight"), (model[3], "weight"), (model[5], "weight"), (model[7], "bias")]
        scores = {(model[3], "weight"): lib.tensor(_values((4, 3, 2, 2), 9))}
        prune.global_unstructured(params, pruning_method=prune.L1Unstructured, importance_scores=scores, amount=amount)
        return [_np(b) for _, b in model.named_buffers()], [n for n, _ in model.named_buffers()]
    (tb, tn), (kb, kn) = _both(run)
    assert tn == kn
    for a, b in zip(tb, kb):
        np.testing.assert_array_equal(a, b)


def test_importance_scores_and_custom_mask():
    def run(lib, prune):
        m = _set(lib, lib.nn.Linear(4, 3), 2)
        prune.l1_unstructured(m, "weight", amount=5, importance_scores=lib.tensor(_values((3, 4), 7)))
        prune.custom_from_mask(m, "bias", mask=lib.tensor([1, 0, 1]))
        prune.custom_from_mask(m, "weight", mask=lib.tensor(_values((3, 4), 8) > 0))
        return _np(m.weight_mask), _np(m.bias_mask), _np(m.bias)
    for a, b in zip(*_both(run)):
        np.testing.assert_array_equal(a, b)


def test_topk_replay_matches_torch_on_ties():
    rng = np.random.default_rng(0)
    for _ in range(400):
        n = int(rng.choice([2, 5, 17, 64, 65, 130, 700]))
        values = rng.integers(0, int(rng.choice([1, 2, 4])), n).astype(np.float32)
        if rng.random() < 0.15:
            values[rng.random(n) < 0.1] = np.nan
        k, largest = int(rng.integers(0, n + 1)), bool(rng.random() < 0.5)
        want = torch.topk(torch.from_numpy(values), k, largest=largest).indices.tolist()
        assert sorted(_torch_topk_indices(values, k, largest)) == sorted(want)


# ------------------------------------------------------------------------------ re-parametrisation
def test_names_forward_backward_and_remove_match_torch():
    def run(lib, prune):
        model = _lenet(lib, seed=4)
        prune.l1_unstructured(model[0], "weight", amount=0.3)
        prune.ln_structured(model[5], "weight", amount=0.5, n=2, dim=0)
        prune.random_unstructured(model[7], "bias", amount=0)
        prune.identity(model[3], "bias")
        x = lib.tensor(_values((2, 1, 9, 9), 99))
        out = model(x)
        out.square().sum().backward()
        seen = {
            "params": [n for n, _ in model.named_parameters()],
            "buffers": [n for n, _ in model.named_buffers()],
            "state": list(model.state_dict()),
            "weight_is_param": isinstance(model[0].weight, lib.nn.Parameter),
            "pruned": prune.is_pruned(model),
        }
        arrays = [_np(out), _np(model[0].weight_orig.grad), _np(model[5].weight_orig.grad)]
        for idx, name in [(0, "weight"), (5, "weight"), (7, "bias"), (3, "bias")]:
            prune.remove(model[idx], name)
        seen["after_params"] = [n for n, _ in model.named_parameters()]
        seen["after_buffers"] = [n for n, _ in model.named_buffers()]
        seen["after_pruned"] = prune.is_pruned(model)
        arrays += [_np(model[0].weight), _np(model(x))]
        return seen, arrays
    (ts, ta), (ks, ka) = _both(run)
    assert ts == ks
    assert ks["params"][:2] == ["0.bias", "0.weight_orig"]
    for a, b in zip(ta, ka):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_pruned_model_trains_only_kept_entries_and_reloads():
    model = _lenet(kitty, seed=2)
    kprune.l1_unstructured(model[5], "weight", amount=0.5)
    opt = kitty.optim.SGD(model.parameters(), lr=0.1)
    x = kitty.tensor(_values((3, 1, 9, 9), 5))
    model(x).sum().backward()
    opt.step()
    mask = _np(model[5].weight_mask)
    assert (_np(model[5].weight)[mask == 0] == 0).all()
    assert (_np(model[5].weight_orig.grad)[mask == 0] == 0).all()
    fresh = _lenet(kitty, seed=3)
    kprune.identity(fresh[5], "weight")
    fresh.load_state_dict(model.state_dict())
    fresh(x)  # the hook recomputes weight from the loaded orig and mask
    np.testing.assert_array_equal(_np(fresh[5].weight), _np(model[5].weight_orig * model[5].weight_mask))


def test_random_methods_prune_the_right_amount():
    kitty.manual_seed(0)
    m = kitty.nn.Linear(10, 8)
    kprune.random_unstructured(m, "weight", amount=0.25)
    assert int((m.weight_mask == 0).sum()) == 20
    before = _np(m.weight_mask)
    kprune.random_structured(m, "weight", amount=3, dim=0)
    mask = _np(m.weight_mask)
    dropped = (mask.sum(1) == 0) & (before.sum(1) != 0)
    assert dropped.sum() == 3 and (mask[~dropped] == before[~dropped]).all()
    kprune.random_unstructured(m, "weight", amount=5)  # only among entries still alive
    assert int((mask != 0).sum()) - int((m.weight_mask != 0).sum()) == 5


def test_prune_method_without_module():
    def run(lib, prune):
        t = lib.tensor(_values((4, 3), 6, levels=1))
        return (_np(prune.L1Unstructured(amount=0.5).prune(t)),
                _np(prune.LnStructured(amount=1, n=1, dim=1).prune(t)),
                _np(prune.Identity().prune(t)))
    for a, b in zip(*_both(run)):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------------------- errors
def _error(fn):
    """The error ``fn`` raised and its message."""
    with pytest.raises(Exception) as info:
        fn()
    return info.value, str(info.value)


def _module_free(message, lib):
    # messages that print a module differ only in the module's repr
    return message.replace(repr(lib.nn.Linear(3, 2)), "<module>")


@pytest.mark.parametrize("call", [
    lambda lib, p: p.l1_unstructured(lib.nn.Linear(3, 2), "weight", amount=-1),
    lambda lib, p: p.l1_unstructured(lib.nn.Linear(3, 2), "weight", amount=1.5),
    lambda lib, p: p.l1_unstructured(lib.nn.Linear(3, 2), "weight", amount=-0.1),
    lambda lib, p: p.l1_unstructured(lib.nn.Linear(3, 2), "weight", amount="half"),
    lambda lib, p: p.l1_unstructured(lib.nn.Linear(3, 2), "weight", amount=7),
    lambda lib, p: p.random_unstructured(lib.nn.Linear(3, 2), "bias", amount=3),
    lambda lib, p: p.ln_structured(lib.nn.Linear(3, 2), "bias", amount=1, n=2, dim=0),
    lambda lib, p: p.ln_structured(lib.nn.Linear(3, 2), "weight", amount=1, n=2, dim=2),
    lambda lib, p: p.ln_structured(lib.nn.Linear(3, 2), "weight", amount=3, n=2, dim=0),
    lambda lib, p: p.random_structured(lib.nn.Linear(3, 2), "weight", amount=4, dim=1),
    lambda lib, p: p.remove(lib.nn.Linear(3, 2), "weight"),
    lambda lib, p: p.global_unstructured(5, p.L1Unstructured, amount=1),
    lambda lib, p: p.global_unstructured([], p.L1Unstructured, importance_scores=[1], amount=1),
    lambda lib, p: p.global_unstructured([(lib.nn.Linear(3, 2), "weight")], p.RandomStructured, amount=1),
    lambda lib, p: p.PruningContainer().add_pruning_method(3),
])
def test_errors_match_torch(call):
    (te, tm), (ke, km) = _both(lambda lib, p: _error(lambda: call(lib, p)))
    assert isinstance(ke, type(te)), (te, ke)  # kittygrad's typed errors subclass the builtin ones
    tm, km = _module_free(tm, torch), _module_free(km, kitty)
    tm = tm.replace("torch.", "")
    km = km.replace("kittygrad.", "").replace("kitty.", "")
    if "Found method" in tm:  # the class's repr names its module
        tm, km = tm.split("Found method")[0], km.split("Found method")[0]
    assert tm == km


def test_failed_pruning_restores_the_parameter_as_torch():
    def run(lib, prune):
        m = lib.nn.Linear(3, 2)
        with pytest.raises(ValueError):
            prune.l1_unstructured(m, "weight", amount=7)
        # the parameter is back under its name (registered again, so after bias, as in torch)
        return [n for n, _ in m.named_parameters()], list(m.state_dict()), prune.is_pruned(m)
    t, k = _both(run)
    assert t == k == (["bias", "weight"], ["bias", "weight"], False)
