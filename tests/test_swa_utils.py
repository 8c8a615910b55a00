"""kittygrad.optim.swa_utils against torch.optim.swa_utils: averaged weights and buffers, the SWA
learning-rate schedule, BatchNorm statistics and a whole SWA training run."""
import copy

import numpy as np
import pytest
import torch

import kittygrad as kitty
import kittygrad.optim.swa_utils
from kittygrad.optim import swa_utils as KS

TS = torch.optim.swa_utils


# ---- two identical models ------------------------------------------------------------------------
def _net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))


def _set_same_weights(kmodel, tmodel, rng):
    """Draw new parameters and give both models the same ones (a stand-in for a training step)."""
    for (kname, kp), (tname, tp) in zip(kmodel.named_parameters(), tmodel.named_parameters()):
        assert kname == tname
        arr = rng.standard_normal(tuple(tp.shape)).astype(np.float32)
        with kitty.no_grad():
            kp.copy_(kitty.tensor(arr))
        with torch.no_grad():
            tp.copy_(torch.tensor(arr))


def _models(seed=0):
    rng = np.random.default_rng(seed)
    kmodel, tmodel = _net(kitty), _net(torch)
    _set_same_weights(kmodel, tmodel, rng)
    return kmodel, tmodel, rng


def _batch(rng, n=6):
    return rng.standard_normal((n, 4)).astype(np.float32)


def _forward_both(kmodel, tmodel, arr):
    """One forward in training mode: BatchNorm's running statistics move in both models."""
    return kmodel(kitty.tensor(arr)), tmodel(torch.tensor(arr))


def _np(t):
    return t.detach().numpy()


def _assert_same_state(kmod, tmod, atol=1e-6):
    ks, ts = kmod.state_dict(), tmod.state_dict()
    assert list(ks) == list(ts)
    for key in ts:
        got, want = _np(ks[key]), _np(ts[key])
        assert got.dtype == want.dtype, key
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=atol, err_msg=key)


# ---- the module and its imports ------------------------------------------------------------------
def test_importable_as_module_and_attribute():
    assert kitty.optim.swa_utils is kittygrad.optim.swa_utils is KS
    assert sorted(KS.__all__) == sorted(TS.__all__)


def test_state_dict_keys_match_torch():
    kmodel, tmodel, _ = _models()
    for use_buffers in (False, True):
        ks = KS.AveragedModel(kmodel, use_buffers=use_buffers).state_dict()
        ts = TS.AveragedModel(tmodel, use_buffers=use_buffers).state_dict()
        assert list(ks) == list(ts)
        assert list(ks)[:2] == ["n_averaged", "module.0.weight"]
        assert ks["n_averaged"].dtype == kitty.int64 and int(ks["n_averaged"]) == 0


def test_the_copy_is_deep_and_forward_calls_it():
    kmodel, _, rng = _models()
    swa = KS.AveragedModel(kmodel)
    assert isinstance(swa, kitty.nn.Module)
    pairs = list(zip(swa.module.parameters(), kmodel.parameters()))
    assert all(mine is not theirs for mine, theirs in pairs)
    with kitty.no_grad():
        kmodel[0].weight.add_(1.0)  # the original moves, the copy does not
    assert not np.allclose(_np(swa.module[0].weight), _np(kmodel[0].weight))
    x = kitty.tensor(_batch(rng))
    swa.eval()
    np.testing.assert_array_equal(_np(swa(x)), _np(swa.module(x)))
    # a deepcopy of an AveragedModel is independent too
    twin = copy.deepcopy(swa)
    with kitty.no_grad():
        twin.module[0].bias.zero_()
    assert not np.allclose(_np(twin.module[0].bias), _np(swa.module[0].bias))


def test_device_argument():
    kmodel, _, _ = _models()
    swa = KS.AveragedModel(kmodel, device="cpu")
    assert swa.n_averaged.device == kitty.device("cpu")
    swa.update_parameters(kmodel)
    assert int(swa.n_averaged) == 1


# ---- averaging against torch ---------------------------------------------------------------------
VARIANTS = {
    "default": lambda lib: {},
    "swa_avg_fn": lambda lib: {"avg_fn": lib.get_swa_avg_fn()},
    "ema_avg_fn": lambda lib: {"avg_fn": lib.get_ema_avg_fn(0.8)},
    "swa_multi": lambda lib: {"multi_avg_fn": lib.get_swa_multi_avg_fn()},
    "ema_multi": lambda lib: {"multi_avg_fn": lib.get_ema_multi_avg_fn(0.8)},
    "ema_multi_default_decay": lambda lib: {"multi_avg_fn": lib.get_ema_multi_avg_fn()},
}


def _run_updates(kswa, tswa, kmodel, tmodel, rng, steps=5):
    for step in range(steps):
        _set_same_weights(kmodel, tmodel, rng)
        _forward_both(kmodel, tmodel, _batch(rng))
        kswa.update_parameters(kmodel)
        tswa.update_parameters(tmodel)
        assert int(kswa.n_averaged) == int(tswa.n_averaged) == step + 1
        _assert_same_state(kswa, tswa)


# torch's get_swa_multi_avg_fn refuses the integer num_batches_tracked that use_buffers brings in:
# that pair has its own test below
CASES = [(v, b) for v in VARIANTS for b in (False, True) if (v, b) != ("swa_multi", True)]


@pytest.mark.parametrize("variant, use_buffers", CASES)
def test_update_parameters_matches_torch(variant, use_buffers):
    kmodel, tmodel, rng = _models(1)
    kswa = KS.AveragedModel(kmodel, use_buffers=use_buffers, **VARIANTS[variant](KS))
    tswa = TS.AveragedModel(tmodel, use_buffers=use_buffers, **VARIANTS[variant](TS))
    _run_updates(kswa, tswa, kmodel, tmodel, rng)
    # the averaged copy computes what torch's does
    x = _batch(rng)
    kswa.eval(), tswa.eval()
    np.testing.assert_allclose(_np(kswa(kitty.tensor(x))), _np(tswa(torch.tensor(x))), atol=1e-6)


def test_swa_multi_with_buffers_averages_integer_buffers_as_the_default_rule():
    # torch raises for integer tensors in get_swa_multi_avg_fn; kittygrad takes the truncated
    # running mean there, which is what torch's default rule computes
    kmodel, tmodel, rng = _models(2)
    refused = TS.AveragedModel(tmodel, multi_avg_fn=TS.get_swa_multi_avg_fn(), use_buffers=True)
    refused.update_parameters(tmodel)
    with pytest.raises(RuntimeError):
        refused.update_parameters(tmodel)
    kswa = KS.AveragedModel(kmodel, multi_avg_fn=KS.get_swa_multi_avg_fn(), use_buffers=True)
    tswa = TS.AveragedModel(tmodel, use_buffers=True)
    _run_updates(kswa, tswa, kmodel, tmodel, rng)


def test_buffers_follow_the_model_unless_averaged():
    kmodel, tmodel, rng = _models(3)
    plain, averaged = KS.AveragedModel(kmodel), KS.AveragedModel(kmodel, use_buffers=True)
    means = []
    for _ in range(3):
        _forward_both(kmodel, tmodel, _batch(rng))
        means.append(kmodel[1].running_mean.numpy().copy())
        plain.update_parameters(kmodel)
        averaged.update_parameters(kmodel)
    np.testing.assert_array_equal(plain.module[1].running_mean.numpy(), means[-1])
    np.testing.assert_allclose(averaged.module[1].running_mean.numpy(), np.mean(means, axis=0), atol=1e-6)


def test_n_averaged_is_saved_and_loaded():
    kmodel, _, _ = _models()
    swa = KS.AveragedModel(kmodel)
    for _ in range(3):
        swa.update_parameters(kmodel)
    other = KS.AveragedModel(kmodel)
    other.load_state_dict(swa.state_dict())
    assert int(other.n_averaged) == 3


def test_custom_multi_avg_fn_gets_lists_and_the_count():
    kmodel, tmodel, _ = _models()
    seen = {"kitty": [], "torch": []}

    def recorder(key):
        def fn(averaged, current, n):
            seen[key].append((len(averaged), len(current), int(n)))
        return fn

    kswa = KS.AveragedModel(kmodel, multi_avg_fn=recorder("kitty"), use_buffers=True)
    tswa = TS.AveragedModel(tmodel, multi_avg_fn=recorder("torch"), use_buffers=True)
    for _ in range(3):
        kswa.update_parameters(kmodel)
        tswa.update_parameters(tmodel)
    # one call per (device, dtype) group from the second update on (8 float32 tensors, 1 int64);
    # the order of the groups is torch's implementation detail
    assert sorted(seen["kitty"]) == sorted(seen["torch"]) == [(1, 1, 1), (1, 1, 2), (8, 8, 1), (8, 8, 2)]


def test_averaging_rules_on_their_own():
    ka, kb = kitty.tensor([1.0, -2.0, 4.0]), kitty.tensor([3.0, 0.5, -1.0])
    ta, tb = torch.tensor([1.0, -2.0, 4.0]), torch.tensor([3.0, 0.5, -1.0])
    for n in (1, 4):
        got = KS.get_swa_avg_fn()(ka, kb, kitty.tensor(n)).numpy()
        np.testing.assert_allclose(got, TS.get_swa_avg_fn()(ta, tb, torch.tensor(n)).numpy(), rtol=1e-6)
        got = KS.get_ema_avg_fn(0.7)(ka, kb, n).numpy()
        np.testing.assert_allclose(got, TS.get_ema_avg_fn(0.7)(ta, tb, n).numpy(), rtol=1e-6)


def test_errors():
    kmodel, _, _ = _models()
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        KS.AveragedModel(kmodel, avg_fn=KS.get_swa_avg_fn(), multi_avg_fn=KS.get_swa_multi_avg_fn())
    for make in (KS.get_ema_avg_fn, KS.get_ema_multi_avg_fn):
        for decay in (-0.1, 1.5):
            with pytest.raises(ValueError, match="Invalid decay value") as err:
                make(decay)
            assert isinstance(err.value, kitty.KittygradError)
    swa = KS.AveragedModel(kmodel)
    swa.update_parameters(kmodel)
    with pytest.raises(ValueError, match="buffers"):
        swa.update_parameters(kitty.nn.Sequential(kitty.nn.Linear(4, 3)))


# ---- SWALR -------------------------------------------------------------------------------------
def _optimizers(lr=(0.5, 0.2)):
    kp = [kitty.zeros(2, requires_grad=True), kitty.zeros(3, requires_grad=True)]
    tp = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    ko = kitty.optim.SGD([{"params": [kp[0]], "lr": lr[0]}, {"params": [kp[1]], "lr": lr[1]}], lr=0.1)
    to = torch.optim.SGD([{"params": [tp[0]], "lr": lr[0]}, {"params": [tp[1]], "lr": lr[1]}], lr=0.1)
    return ko, to


def _check_lrs(ks, ts, ko, to):
    np.testing.assert_allclose(ks.get_last_lr(), ts.get_last_lr(), rtol=1e-12, atol=1e-15)
    for kg, tg in zip(ko.param_groups, to.param_groups):
        assert kg["swa_lr"] == tg["swa_lr"]
        np.testing.assert_allclose(kg["lr"], tg["lr"], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("anneal_epochs", [0, 1, 3, 10])
@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("swa_lr", [0.05, [0.05, 0.3]])
def test_swalr_matches_torch(strategy, anneal_epochs, swa_lr):
    ko, to = _optimizers()
    ks = KS.SWALR(ko, swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    ts = TS.SWALR(to, swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy)
    _check_lrs(ks, ts, ko, to)
    for _ in range(14):
        ko.step(), to.step()
        ks.step(), ts.step()
        _check_lrs(ks, ts, ko, to)
    assert ks.last_epoch == ts.last_epoch


def test_swalr_with_tensor_learning_rates():
    kw = dict(swa_lr=0.1, anneal_epochs=3)
    ko = kitty.optim.SGD([kitty.zeros(2, requires_grad=True)], lr=kitty.tensor(0.5))
    to = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=torch.tensor(0.5))
    ks, ts = KS.SWALR(ko, **kw), TS.SWALR(to, **kw)
    held = ko.param_groups[0]["lr"]
    for _ in range(5):
        ko.step(), to.step()
        ks.step(), ts.step()
        assert isinstance(ks.get_last_lr()[0], kitty.Tensor)
        np.testing.assert_allclose(float(ks.get_last_lr()[0]), float(ts.get_last_lr()[0]), rtol=1e-6)
    assert ko.param_groups[0]["lr"] is held  # the optimizer's tensor is filled in place


def test_swalr_warns_when_get_lr_is_called_directly():
    ko, _ = _optimizers()
    sched = KS.SWALR(ko, 0.1)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


def test_swalr_after_another_schedule():
    # the usual pattern: a cosine schedule, then SWALR from whatever rate it reached
    ko, to = _optimizers()
    kc = kitty.optim.lr_scheduler.CosineAnnealingLR(ko, T_max=10)
    tc = torch.optim.lr_scheduler.CosineAnnealingLR(to, T_max=10)
    ks = KS.SWALR(ko, swa_lr=0.02, anneal_epochs=4, anneal_strategy="cos")
    ts = TS.SWALR(to, swa_lr=0.02, anneal_epochs=4, anneal_strategy="cos")
    for epoch in range(12):
        ko.step(), to.step()
        if epoch < 5:
            kc.step(), tc.step()
        else:
            ks.step(), ts.step()
        for kg, tg in zip(ko.param_groups, to.param_groups):
            np.testing.assert_allclose(kg["lr"], tg["lr"], rtol=1e-12)


def test_swalr_state_dict_round_trip():
    ko, _ = _optimizers()
    sched = KS.SWALR(ko, swa_lr=0.1, anneal_strategy="linear")
    for _ in range(3):
        ko.step(), sched.step()
    state = sched.state_dict()
    assert "anneal_func" not in state and state["_anneal_strategy"] == "linear"
    fresh = KS.SWALR(_optimizers()[0], swa_lr=0.1)
    fresh.load_state_dict(state)
    assert fresh.anneal_func(0.25) == 0.25 and fresh.anneal_epochs == 10
    assert isinstance(sched, kitty.optim.lr_scheduler.LRScheduler)


def test_swalr_errors():
    ko, _ = _optimizers()
    with pytest.raises(ValueError, match="anneal_strategy must be one of"):
        KS.SWALR(ko, 0.1, anneal_strategy="step")
    for bad in (-1, 2.5):
        with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
            KS.SWALR(ko, 0.1, anneal_epochs=bad)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        KS.SWALR(ko, [0.1, 0.2, 0.3])
    with pytest.raises(TypeError):
        KS.SWALR(object(), 0.1)


# ---- update_bn ---------------------------------------------------------------------------------
def _loaders(rng, kind):
    xs = [_batch(rng, n) for n in (5, 8, 3)]
    ys = [rng.standard_normal((len(x), 2)).astype(np.float32) for x in xs]
    if kind == "tensors":
        return [kitty.tensor(x) for x in xs], [torch.tensor(x) for x in xs]
    if kind == "tuples":
        return ([(kitty.tensor(x), kitty.tensor(y)) for x, y in zip(xs, ys)],
                [(torch.tensor(x), torch.tensor(y)) for x, y in zip(xs, ys)])
    x, y = np.concatenate(xs), np.concatenate(ys)
    kds = kitty.utils.data.TensorDataset(kitty.tensor(x), kitty.tensor(y))
    tds = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    return kitty.utils.data.DataLoader(kds, batch_size=4), torch.utils.data.DataLoader(tds, batch_size=4)


@pytest.mark.parametrize("kind", ["tensors", "tuples", "dataloader"])
@pytest.mark.parametrize("training", [False, True])
def test_update_bn_matches_torch(kind, training):
    kmodel, tmodel, rng = _models(4)
    for _ in range(2):  # stale statistics that update_bn must discard
        _forward_both(kmodel, tmodel, _batch(rng))
    kmodel.train(training), tmodel.train(training)
    kloader, tloader = _loaders(rng, kind)
    KS.update_bn(kloader, kmodel)
    TS.update_bn(tloader, tmodel)
    _assert_same_state(kmodel, tmodel, atol=1e-6)
    assert kmodel[1].momentum == tmodel[1].momentum == 0.1
    assert kmodel.training == tmodel.training == training
    assert all(m.training == training for m in kmodel.modules())


def test_update_bn_on_an_averaged_model_with_device():
    kmodel, tmodel, rng = _models(5)
    kswa, tswa = KS.AveragedModel(kmodel), TS.AveragedModel(tmodel)
    for _ in range(3):
        _set_same_weights(kmodel, tmodel, rng)
        kswa.update_parameters(kmodel), tswa.update_parameters(tmodel)
    kloader, tloader = _loaders(rng, "tuples")
    KS.update_bn(kloader, kswa, device="cpu")
    TS.update_bn(tloader, tswa, device="cpu")
    _assert_same_state(kswa, tswa)


def test_update_bn_keeps_custom_momentum_and_mixed_modes():
    kmodel, _, rng = _models()
    kmodel[1].momentum = 0.3
    kmodel.train()
    kmodel[3].eval()  # a frozen head inside a training model keeps its mode
    KS.update_bn([kitty.tensor(_batch(rng))], kmodel)
    assert kmodel[1].momentum == 0.3
    assert [m.training for m in kmodel.modules()] == [True, True, True, True, False]


def test_update_bn_without_batchnorm_runs_nothing():
    calls = []

    class Probe(kitty.nn.Module):
        def forward(self, x):
            calls.append(x)
            return x

    KS.update_bn([kitty.zeros(2, 3)], Probe())
    assert calls == []


# ---- a whole SWA run ---------------------------------------------------------------------------
def _swa_program(lib, swa_lib, init, data):
    """A small SWA training program, written once for both libraries: SGD with a cosine schedule,
    then SWALR with weight averaging, then update_bn on the averaged model."""
    model = _net(lib)
    with lib.no_grad():
        for p, arr in zip(model.parameters(), init):
            p.copy_(lib.tensor(arr))
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6)
    swa_model = swa_lib.AveragedModel(model)
    ema_model = swa_lib.AveragedModel(model, multi_avg_fn=swa_lib.get_ema_multi_avg_fn(0.9), use_buffers=True)
    swa_sched = swa_lib.SWALR(opt, swa_lr=0.03, anneal_epochs=2)
    loader = [(lib.tensor(x), lib.tensor(y)) for x, y in data]
    loss_fn = lib.nn.MSELoss()
    for epoch in range(7):
        for x, y in loader:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            ema_model.update_parameters(model)
        if epoch >= 3:
            swa_model.update_parameters(model)
            swa_sched.step()
        else:
            sched.step()
    swa_lib.update_bn(loader, swa_model)
    swa_model.eval()
    out = swa_model(loader[0][0])
    return swa_model, ema_model, out


def test_swa_training_program_matches_torch():
    rng = np.random.default_rng(7)
    init = [rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.5 for p in _net(torch).parameters()]
    w = rng.standard_normal((4, 2)).astype(np.float32)
    data = []
    for _ in range(3):
        x = _batch(rng, 8)
        data.append((x, (x @ w + 0.1 * rng.standard_normal((8, 2))).astype(np.float32)))
    kswa, kema, kout = _swa_program(kitty, KS, init, data)
    tswa, tema, tout = _swa_program(torch, TS, init, data)
    assert int(kswa.n_averaged) == int(tswa.n_averaged) == 4
    assert int(kema.n_averaged) == int(tema.n_averaged) == 21
    _assert_same_state(kswa, tswa, atol=1e-5)
    _assert_same_state(kema, tema, atol=1e-5)
    np.testing.assert_allclose(_np(kout), _np(tout), rtol=1e-5, atol=1e-5)
