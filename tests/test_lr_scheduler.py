"""kittygrad.optim.lr_scheduler against torch.optim.lr_scheduler, step by step."""
import copy
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad import optim
from kittygrad.optim import lr_scheduler as KS
from torch_errors import raised_as_torch  # (tests/ is on sys.path under pytest)

TS = torch.optim.lr_scheduler


def _opts(opt_name="SGD", **kw):
    kw = {"lr": 0.1, **kw}
    kp = [kitty.zeros(2, requires_grad=True), kitty.zeros(3, requires_grad=True)]
    tp = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    ko = getattr(optim, opt_name)([{"params": [kp[0]]}, {"params": [kp[1]], "lr": 0.05}], **kw)
    to = getattr(torch.optim, opt_name)([{"params": [tp[0]]}, {"params": [tp[1]], "lr": 0.05}], **kw)
    return ko, to


def _lam(epoch):
    return 0.95**epoch + 0.01 * (epoch % 3)


SCHEDULERS = [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 11], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7)),
    ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01)),
    ("LambdaLR", dict(lr_lambda=_lam)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.2, end_factor=0.9, total_iters=8)),
    ("ConstantLR", dict(factor=0.5, total_iters=4)),
    ("PolynomialLR", dict(total_iters=12, power=2.0)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=21)),
    ("OneCycleLR", dict(max_lr=[1.0, 0.5], epochs=3, steps_per_epoch=7, anneal_strategy="linear")),
    ("OneCycleLR", dict(max_lr=0.8, total_steps=25, three_phase=True, pct_start=0.25)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3)),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=2, eta_min=0.001)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=4, mode="exp_range", gamma=0.9)),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=0.2, step_size_up=3, mode="triangular2")),
]


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in kw.items())


def _check_groups(ko, to):
    for kg, tg in zip(ko.param_groups, to.param_groups):
        for key in ("lr", "initial_lr", "momentum", "betas", "max_lr", "min_lr"):
            if key in tg:
                assert kg[key] == pytest.approx(tg[key], rel=1e-13, abs=1e-15), key


@pytest.mark.parametrize("case", SCHEDULERS, ids=_ids)
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_schedule_matches_torch(case, opt_name):
    name, kw = case
    extra = {"momentum": 0.9} if opt_name == "SGD" else {}
    ko, to = _opts(opt_name, **extra)
    ks = getattr(KS, name)(ko, **kw)
    ts = getattr(TS, name)(to, **kw)
    assert ks.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-13)
    _check_groups(ko, to)
    for _ in range(20):
        ko.step()
        to.step()
        ks.step()
        ts.step()
        assert ks.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-13, abs=1e-15)
        assert ks.last_epoch == ts.last_epoch
        _check_groups(ko, to)


@pytest.mark.parametrize("case", SCHEDULERS, ids=_ids)
def test_state_dict_round_trip(case):
    name, kw = case
    ko_ref, _ = _opts(momentum=0.9)
    ref = getattr(KS, name)(ko_ref, **kw)
    for _ in range(20):
        ko_ref.step()
        ref.step()

    ko, _ = _opts(momentum=0.9)
    s = getattr(KS, name)(ko, **kw)
    for _ in range(8):
        ko.step()
        s.step()
    opt_sd, sched_sd = copy.deepcopy(ko.state_dict()), copy.deepcopy(s.state_dict())
    ko2, _ = _opts(momentum=0.9)
    s2 = getattr(KS, name)(ko2, **kw)
    s2.load_state_dict(sched_sd)
    ko2.load_state_dict(opt_sd)
    for _ in range(12):
        ko2.step()
        s2.step()
    assert s2.get_last_lr() == ref.get_last_lr()
    assert [g["lr"] for g in ko2.param_groups] == [g["lr"] for g in ko_ref.param_groups]


@pytest.mark.parametrize("case", SCHEDULERS + [("ReduceLROnPlateau", dict(mode="max", patience=2))], ids=_ids)
def test_state_dict_keys_match_torch(case):
    # print(scheduler.state_dict()) shows the same entries in the same order as torch's,
    # private flags (False) and OneCycleLR's phase table included
    name, kw = case
    ko, to = _opts(momentum=0.9)
    ks, ts = getattr(KS, name)(ko, **kw), getattr(TS, name)(to, **kw)
    ko.step()
    to.step()
    ks.step(*([1.0] if name == "ReduceLROnPlateau" else []))
    ts.step(*([1.0] if name == "ReduceLROnPlateau" else []))
    ours, theirs = ks.state_dict(), ts.state_dict()
    assert list(ours) == list(theirs)
    for key in ("_is_initial", "_get_lr_called_within_step", "_schedule_phases"):
        if key in theirs:
            assert ours[key] == theirs[key], key


def test_lambda_state_dict_saves_callable_objects():
    class Fn:
        def __init__(self):
            self.factor = 0.5

        def __call__(self, epoch):
            return self.factor**epoch

    ko, _ = _opts()
    fn = Fn()
    s = KS.LambdaLR(ko, [fn, lambda e: 1.0])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"factor": 0.5}, None]
    fn2 = Fn()
    fn2.factor = 0.1
    s2 = KS.LambdaLR(_opts()[0], [fn2, lambda e: 1.0])
    s2.load_state_dict(sd)
    assert fn2.factor == 0.5


def _seq(lib, opt):
    S = lib
    warm = S.LinearLR(opt, start_factor=0.1, total_iters=4)
    cos = S.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)
    step = S.StepLR(opt, step_size=2, gamma=0.5)
    return S.SequentialLR(opt, [warm, cos, step], milestones=[4, 10])


def _chain(lib, opt):
    return lib.ChainedScheduler([lib.ConstantLR(opt, factor=0.5, total_iters=3), lib.ExponentialLR(opt, gamma=0.9)])


def _nested(lib, opt):
    inner = lib.SequentialLR(opt, [lib.ConstantLR(opt, 0.5, 2), lib.ExponentialLR(opt, 0.8)], milestones=[3])
    return lib.SequentialLR(opt, [inner, lib.CosineAnnealingLR(opt, T_max=5)], milestones=[8])


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")  # nested: torch warns too
@pytest.mark.parametrize("build", [_seq, _chain, _nested], ids=["sequential", "chained", "nested"])
def test_composite_schedulers_match_torch(build):
    ko, to = _opts(momentum=0.9)
    ks, ts = build(KS, ko), build(TS, to)
    assert ks.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-13)
    for _ in range(20):
        ko.step()
        to.step()
        ks.step()
        ts.step()
        assert ks.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-13, abs=1e-15)
        _check_groups(ko, to)
    # round trip of the nested state
    ko2, _ = _opts(momentum=0.9)
    ks2 = build(KS, ko2)
    ks2.load_state_dict(copy.deepcopy(ks.state_dict()))
    ko2.load_state_dict(copy.deepcopy(ko.state_dict()))
    ko.step()
    ko2.step()
    ks.step()
    ks2.step()
    assert ks2.get_last_lr() == ks.get_last_lr()


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(mode="max", patience=2, factor=0.5),
        dict(patience=1, threshold=0.1, threshold_mode="abs", cooldown=2, min_lr=[0.02, 0.001]),
        dict(patience=0, factor=0.5, min_lr=0.01, eps=1e-3),
    ],
)
def test_reduce_on_plateau_matches_torch(kw):
    ko, to = _opts()
    ks, ts = KS.ReduceLROnPlateau(ko, **kw), TS.ReduceLROnPlateau(to, **kw)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.8, 0.8, 0.81, 0.82, 0.83, 0.5, 0.6, 0.7, 0.7, 0.7, 0.7, 0.3, 0.3, 0.3, 0.3]
    metrics += metrics[::-1]
    for m in metrics:
        ks.step(m)
        ts.step(m)
        assert ks.get_last_lr() == ts.get_last_lr()
        assert ks.num_bad_epochs == ts.num_bad_epochs and ks.best == ts.best
    sd = ks.state_dict()
    ks2 = KS.ReduceLROnPlateau(_opts()[0])
    ks2.load_state_dict(sd)
    assert ks2.mode == ks.mode and ks2.best == ks.best


def test_reduce_on_plateau_accepts_tensor_metric():
    ko, _ = _opts()
    s = KS.ReduceLROnPlateau(ko, patience=0)
    s.step(kitty.tensor(1.0))
    s.step(kitty.tensor(2.0))
    assert s.get_last_lr() == pytest.approx([0.01, 0.005])


def test_closed_form_with_epoch_argument():
    ko, to = _opts()
    ks, ts = KS.StepLR(ko, step_size=2, gamma=0.5), TS.StepLR(to, step_size=2, gamma=0.5)
    with pytest.warns(UserWarning):
        ks.step(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts.step(5)
    assert ks.get_last_lr() == ts.get_last_lr()
    cw_k, cw_t = KS.CosineAnnealingWarmRestarts(ko, T_0=2, T_mult=2), TS.CosineAnnealingWarmRestarts(to, T_0=2, T_mult=2)
    for epoch in [0.5, 1.5, 2.0, 3.7, 7.2, 13.0]:
        cw_k.step(epoch)
        cw_t.step(epoch)
        assert cw_k.get_last_lr() == pytest.approx(cw_t.get_last_lr(), rel=1e-13)


def test_warns_when_scheduler_steps_before_optimizer():
    ko, to = _opts()
    s, t = KS.StepLR(ko, step_size=1), TS.StepLR(to, step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`") as ours:
        s.step()
    with pytest.warns(UserWarning) as theirs:
        t.step()
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]  # word for word
    ko2, _ = _opts()
    s2 = KS.StepLR(ko2, step_size=1)
    ko2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2.step()


def test_scheduler_with_training_matches_torch():
    rng = np.random.default_rng(0)
    x, y, w0 = rng.normal(size=(16, 3)), rng.normal(size=(16, 1)), rng.normal(size=(3, 1))
    kw_, tw = kitty.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    ko, to = optim.SGD([kw_], lr=0.1, momentum=0.9), torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    ks, ts = KS.OneCycleLR(ko, max_lr=0.2, total_steps=20), TS.OneCycleLR(to, max_lr=0.2, total_steps=20)
    for _ in range(20):
        ko.zero_grad()
        to.zero_grad()
        ((kitty.tensor(x) @ kw_ - kitty.tensor(y)) ** 2).mean().backward()
        ((torch.tensor(x) @ tw - torch.tensor(y)) ** 2).mean().backward()
        ko.step()
        to.step()
        ks.step()
        ts.step()
        np.testing.assert_allclose(kw_.detach().numpy(), tw.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_tensor_lr_is_updated_in_place():
    p = kitty.zeros(1, requires_grad=True)
    lr = kitty.tensor(0.1)
    opt = optim.SGD([p], lr=lr)
    s = KS.ExponentialLR(opt, gamma=0.5)
    opt.step()
    s.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.05)
    assert s.get_last_lr()[0] is not lr


ERRORS = [
    lambda S, o: S.StepLR(object(), 1),
    lambda S, o: S.LinearLR(o, start_factor=0),
    lambda S, o: S.LinearLR(o, end_factor=1.5),
    lambda S, o: S.ConstantLR(o, factor=2.0),
    lambda S, o: S.LambdaLR(o, [lambda e: 1.0]),
    lambda S, o: S.MultiplicativeLR(o, 3),
    lambda S, o: S.OneCycleLR(o, max_lr=1.0),
    lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=0),
    lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1),
    lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
    lambda S, o: S.OneCycleLR(o, max_lr=[1.0], total_steps=10),
    lambda S, o: S.ReduceLROnPlateau(o, factor=1.0),
    lambda S, o: S.ReduceLROnPlateau(o, mode="avg"),
    lambda S, o: S.ReduceLROnPlateau(o, threshold_mode="x"),
    lambda S, o: S.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda S, o: S.SequentialLR(o, [S.StepLR(o, 1)], milestones=[1]),
    lambda S, o: S.SequentialLR(o, [], milestones=[]),
    lambda S, o: S.SequentialLR(o, [S.ReduceLROnPlateau(o)], milestones=[]),
    lambda S, o: S.ChainedScheduler([]),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda S, o: S.StepLR(o, 1, last_epoch=3),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    ko, to = _opts()
    raised_as_torch(lambda: ERRORS[i](TS, to), lambda: ERRORS[i](KS, ko))  # (the messages differ in places)


def test_one_cycle_too_many_steps():
    ko, _ = _opts()
    s = KS.OneCycleLR(ko, max_lr=1.0, total_steps=3)
    for _ in range(3):
        ko.step()
        s.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        s.step()
