"""kittygrad.optim against torch.optim: trajectories, state dicts, validation, in-place semantics."""
import copy
import tracemalloc

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad import optim

RNG = np.random.default_rng(1234)
X = RNG.normal(size=(8, 3))
Y = RNG.normal(size=(8, 4))
W0 = RNG.normal(size=(3, 4)) * 0.5
B0 = RNG.normal(size=(4,)) * 0.1


def _kitty_params(dtype):
    return [
        kitty.tensor(W0.astype(dtype), requires_grad=True),
        kitty.tensor(B0.astype(dtype), requires_grad=True),
    ]


def _torch_params(dtype):
    return [
        torch.tensor(W0.astype(dtype), requires_grad=True),
        torch.tensor(B0.astype(dtype), requires_grad=True),
    ]


def _kitty_loss(params, dtype):
    w, b = params
    x, y = kitty.tensor(X.astype(dtype)), kitty.tensor(Y.astype(dtype))
    out = (x @ w + b).tanh() * 2.0
    return ((out - y) ** 2).mean()


def _torch_loss(params, dtype):
    w, b = params
    x, y = torch.tensor(X.astype(dtype)), torch.tensor(Y.astype(dtype))
    out = (x @ w + b).tanh() * 2.0
    return ((out - y) ** 2).mean()


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.05, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, eps=1e-6, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4)),
    ("Adadelta", dict(weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1, betas=(0.8, 0.95))),
    ("Adamax", dict(lr=0.05, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.01, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.05, betas=(0.9, 0.9), maximize=True)),
]


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def _run_both(name, kw, dtype, steps=20):
    kp, tp = _kitty_params(dtype), _torch_params(dtype)
    ko = getattr(optim, name)(kp, **kw)
    to = getattr(torch.optim, name)(tp, **kw)
    history = []
    for _ in range(steps):
        ko.zero_grad()
        to.zero_grad()
        _kitty_loss(kp, dtype).backward()
        _torch_loss(tp, dtype).backward()
        ko.step()
        to.step()
        history.append(([p.detach().numpy().copy() for p in kp], [p.detach().numpy().copy() for p in tp]))
    return ko, to, kp, tp, history


@pytest.mark.parametrize("case", CASES, ids=_ids)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_trajectory_matches_torch(case, dtype):
    name, kw = case
    _, _, _, _, history = _run_both(name, kw, dtype)
    rtol, atol = (1e-10, 1e-12) if dtype == "float64" else (2e-5, 2e-6)
    for step, (ks, ts) in enumerate(history):
        for k, t in zip(ks, ts):
            assert k.dtype == t.dtype
            np.testing.assert_allclose(k, t, rtol=rtol, atol=atol, err_msg=f"{name} {kw} step {step + 1}")
    # the parameters actually moved
    assert not np.allclose(history[-1][0][0], W0.astype(dtype))


@pytest.mark.parametrize("case", CASES[::3], ids=_ids)
def test_state_dict_format_matches_torch(case):
    name, kw = case
    ko, to, *_ = _run_both(name, kw, "float32", steps=2)
    ks, ts = ko.state_dict(), to.state_dict()
    assert [sorted(g) for g in ks["param_groups"]] == [sorted(g) for g in ts["param_groups"]]
    for kg, tg in zip(ks["param_groups"], ts["param_groups"]):
        for key in tg:
            kv, tv = kg[key], tg[key]
            assert type(kv) is type(tv) and kv == tv, key
    assert sorted(ks["state"]) == sorted(ts["state"])
    for i in ts["state"]:
        assert sorted(ks["state"][i]) == sorted(ts["state"][i])
        for key, tv in ts["state"][i].items():
            kv = ks["state"][i][key]
            assert isinstance(kv, kitty.Tensor)
            assert kv.dtype.name == str(tv.dtype).split(".")[1], key
            np.testing.assert_allclose(kv.numpy(), tv.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_state_dict_round_trip_continues_identically(case):
    name, kw = case
    cls = getattr(optim, name)
    # uninterrupted run: 20 steps
    ref = _kitty_params("float64")
    ref_opt = cls(ref, **kw)
    for _ in range(20):
        ref_opt.zero_grad()
        _kitty_loss(ref, "float64").backward()
        ref_opt.step()
    # 10 steps, checkpoint (deep copy, as a save/load would), fresh params + optimizer, 10 more
    run = _kitty_params("float64")
    opt = cls(run, **kw)
    for _ in range(10):
        opt.zero_grad()
        _kitty_loss(run, "float64").backward()
        opt.step()
    sd = copy.deepcopy(opt.state_dict())
    weights = [p.detach().numpy().copy() for p in run]
    del opt, run
    fresh = [kitty.tensor(w, requires_grad=True) for w in weights]
    opt2 = cls(fresh, **{**kw, "lr": 123.0})  # the loaded groups override the constructor's lr
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == kw.get("lr", ref_opt.defaults["lr"])
    assert opt2.param_groups[0]["params"][0] is fresh[0]
    for _ in range(10):
        opt2.zero_grad()
        _kitty_loss(fresh, "float64").backward()
        opt2.step()
    for a, b in zip(fresh, ref):
        if name == "NAdam":
            # torch casts every loaded state tensor but 'step' to the parameter's dtype, so NAdam's
            # float32 mu_product continues in float64 after a load (torch does the same)
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-12)
        else:
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_load_state_dict_copies_and_casts_state():
    p = kitty.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = kitty.tensor([0.5, -0.5])
    opt.step()
    sd = opt.state_dict()
    q = kitty.tensor([1.0, 2.0], dtype=kitty.float64, requires_grad=True)
    opt2 = optim.Adam([q], lr=0.1)
    opt2.load_state_dict(sd)
    st = opt2.state[q]
    assert st["exp_avg"].dtype == kitty.float64  # cast to the parameter's dtype
    assert st["step"].dtype == kitty.float32  # the step counter keeps its own dtype
    assert st["exp_avg"] is not sd["state"][0]["exp_avg"]
    # a step given as a plain number (older checkpoints) is accepted
    sd2 = copy.deepcopy(sd)
    sd2["state"][0]["step"] = 1
    opt2.load_state_dict(sd2)
    assert isinstance(opt2.state[q]["step"], kitty.Tensor) and opt2.state[q]["step"].item() == 1.0


def test_load_state_dict_mismatch_errors():
    a, b = kitty.zeros(2, requires_grad=True), kitty.zeros(3, requires_grad=True)
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)


def test_param_groups_and_skipped_params():
    a = kitty.tensor([1.0, 1.0], requires_grad=True)
    b = kitty.tensor([1.0], requires_grad=True)
    c = kitty.tensor([5.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}, {"params": [c]}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5, 0.1]
    assert opt.param_groups[1]["momentum"] == 0.9
    (a.sum() + b.sum()).backward()
    opt.step()
    assert a.tolist() == pytest.approx([0.9, 0.9]) and b.tolist() == pytest.approx([0.5])
    assert c.tolist() == [5.0] and c not in opt.state  # no grad: skipped, no state
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1], [2]]
    assert sorted(sd["state"]) == [0, 1]


def test_named_params():
    a = kitty.zeros(2, requires_grad=True)
    opt = optim.Adam([("w", a)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w"]


def test_update_in_place_no_graph_version_bump():
    p = kitty.tensor([1.0, -1.0], requires_grad=True)
    arr = p._data
    for cls in (optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad, optim.Adadelta,
                optim.Adamax, optim.NAdam, optim.RAdam):
        opt = cls([p], lr=0.1)
        p.grad = kitty.tensor([0.3, -0.2])
        g_before = p.grad.numpy().copy()
        v = p._version
        opt.step()
        assert p._data is arr, cls  # same array, updated in place
        assert p._version == v + 1, cls
        assert p.is_leaf and p.grad_fn is None and p.requires_grad, cls
        np.testing.assert_array_equal(p.grad.numpy(), g_before)  # the gradient is untouched
        for value in opt.state[p].values():
            assert not value.requires_grad and value.grad_fn is None


def test_step_inside_grad_mode_and_closure():
    p = kitty.tensor([2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        assert kitty.is_grad_enabled()
        loss = (p * p).sum()
        loss.backward()
        calls.append(loss.item())
        return loss

    with kitty.no_grad():
        loss = opt.step(closure)
    assert calls == [4.0] and loss.item() == 4.0
    assert p.item() == pytest.approx(1.6)


def test_zero_grad():
    p = kitty.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * 3).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and p.grad.tolist() == [0.0]
    opt.zero_grad()
    assert p.grad is None


def test_step_hooks():
    p = kitty.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    seen = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: seen.append("pre"))
    h2 = opt.register_step_post_hook(lambda o, a, k: seen.append("post"))
    p.grad = kitty.tensor([1.0])
    opt.step()
    assert seen == ["pre", "post"]
    h1.remove()
    h2.remove()
    opt.step()
    assert seen == ["pre", "post"]


def test_subclass_custom_optimizer():
    class Halve(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {})

        def step(self, closure=None):
            for g in self.param_groups:
                for p in g["params"]:
                    p.mul_(0.5)  # a Tensor in-place op: allowed because step runs under no_grad

    p = kitty.tensor([4.0], requires_grad=True)
    Halve([p]).step()
    assert p.tolist() == [2.0]


def test_a_wrapper_that_skips_optimizer_init_steps_as_in_torch():
    """Lookahead-style wrappers share an inner optimizer's groups and never call Optimizer.__init__:
    torch wraps step in __init__, so their step runs bare (no hooks) instead of failing."""

    def run(lib):
        class Lookahead(lib.optim.Optimizer):
            def __init__(self, base, k=2, alpha=0.5):
                self.base, self.k, self.alpha, self.count = base, k, alpha, 0
                self.param_groups, self.defaults, self.state = base.param_groups, base.defaults, base.state
                self.slow = [p.detach().clone() for g in self.param_groups for p in g["params"]]

            def zero_grad(self, set_to_none=True):  # (torch's inherited one would patch step, needing __init__)
                self.base.zero_grad(set_to_none)

            def step(self, closure=None):
                loss = self.base.step(closure)
                self.count += 1
                if self.count % self.k == 0:
                    with lib.no_grad():
                        for p, slow in zip([p for g in self.param_groups for p in g["params"]], self.slow):
                            slow.add_(p - slow, alpha=self.alpha)
                            p.copy_(slow)
                return loss

        w = lib.tensor([1.0, -2.0], requires_grad=True)
        opt = Lookahead(lib.optim.SGD([w], lr=0.1))
        for _ in range(4):
            opt.zero_grad()
            (w ** 2).sum().backward()
            opt.step()
        return w.tolist()

    np.testing.assert_allclose(run(kitty), run(torch), rtol=1e-6)


def test_pickle_round_trip():
    import pickle

    p = kitty.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = kitty.tensor([1.0, 1.0])
    opt.step()
    opt2 = pickle.loads(pickle.dumps(opt))
    assert opt2.param_groups[0]["lr"] == 0.1 and len(opt2.state) == 1


def test_repr():
    opt = optim.SGD([kitty.zeros(1, requires_grad=True)], lr=0.1)
    top = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    assert repr(opt) == repr(top)


def test_step_allocates_little():
    p = kitty.zeros(250_000, requires_grad=True)  # 1 MB of float32
    p.grad = kitty.ones(250_000)
    nbytes = 250_000 * 4
    for cls, kw in [(optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.Adam, dict(lr=0.1)),
                    (optim.RMSprop, dict(lr=0.1, centered=True)), (optim.NAdam, dict(lr=0.1))]:
        opt = cls([p], **kw)
        opt.step()  # creates the state
        tracemalloc.start()
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 3.2 * nbytes, (cls.__name__, peak / nbytes)


# ---- validation: same exception types (and messages) as torch ------------------------------------
BAD = [
    ("SGD", dict(lr=-1)),
    ("SGD", dict(lr=0.1, momentum=-0.1)),
    ("SGD", dict(lr=0.1, weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-0.001)),
    ("Adam", dict(eps=-1.0)),
    ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(weight_decay=-0.1)),
    ("Adam", dict(betas=(0, 0.999))),
    ("AdamW", dict(lr=-1.0)),
    ("AdamW", dict(betas=(0.9, 1.5))),
    ("RMSprop", dict(lr=-1.0)),
    ("RMSprop", dict(alpha=-0.5)),
    ("RMSprop", dict(momentum=-0.5)),
    ("RMSprop", dict(eps=-1.0)),
    ("RMSprop", dict(weight_decay=-1.0)),
    ("Adagrad", dict(lr=-1.0)),
    ("Adagrad", dict(lr_decay=-1.0)),
    ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adagrad", dict(eps=-1.0)),
    ("Adadelta", dict(rho=1.5)),
    ("Adadelta", dict(lr=-1.0)),
    ("Adadelta", dict(eps=-1.0)),
    ("Adamax", dict(betas=(0.9, 1.0))),
    ("Adamax", dict(weight_decay=-1.0)),
    ("NAdam", dict(momentum_decay=-1.0)),
    ("NAdam", dict(betas=(-0.1, 0.9))),
    ("RAdam", dict(eps=-1e-8)),
    ("RAdam", dict(betas=(0.9, 1.0))),
]


@pytest.mark.parametrize("case", BAD, ids=_ids)
def test_hyper_parameter_validation_matches_torch(case):
    name, kw = case
    with pytest.raises(Exception) as te:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kw)
    with pytest.raises(Exception) as ke:
        getattr(optim, name)([kitty.zeros(1, requires_grad=True)], **kw)
    assert isinstance(ke.value, te.type), (ke.value, te.value)
    assert isinstance(ke.value, kitty.KittygradError)
    assert str(ke.value) == str(te.value)


def _param_errors(lib):
    t = lib.zeros(2, requires_grad=True)
    return [
        lambda: lib.optim.SGD(t, lr=0.1),  # a tensor, not an iterable of tensors
        lambda: lib.optim.SGD([], lr=0.1),
        lambda: lib.optim.SGD([1.0], lr=0.1),
        lambda: lib.optim.SGD([t * 2], lr=0.1),  # non-leaf
        lambda: lib.optim.SGD([{"params": [t]}, {"params": [t]}], lr=0.1),
        lambda: lib.optim.SGD([t], lr=0.1).add_param_group([t]),
        lambda: lib.optim.SGD([t], lr=0.1).add_param_group({"params": {t}}),
    ]


@pytest.mark.parametrize("i", range(7))
def test_param_errors_match_torch(i):
    with pytest.raises(Exception) as te:
        _param_errors(torch)[i]()
    with pytest.raises(Exception) as ke:
        _param_errors(kitty)[i]()
    assert isinstance(ke.value, te.type), (ke.value, te.value)


def test_differentiable_is_refused():
    with pytest.raises(RuntimeError, match="differentiable"):
        optim.Adam([kitty.zeros(1, requires_grad=True)], differentiable=True)


def test_tensor_lr():
    kp, tp = _kitty_params("float32"), _torch_params("float32")
    ko = optim.SGD(kp, lr=kitty.tensor(0.1))
    to = torch.optim.SGD(tp, lr=torch.tensor(0.1))
    for _ in range(3):
        ko.zero_grad()
        to.zero_grad()
        _kitty_loss(kp, "float32").backward()
        _torch_loss(tp, "float32").backward()
        ko.step()
        to.step()
    np.testing.assert_allclose(kp[0].detach().numpy(), tp[0].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_with_nn_module_if_available():
    nn = kitty.nn
    if not hasattr(nn, "Linear"):
        pytest.skip("kittygrad.nn.Linear is not available yet")
    torch.manual_seed(0)
    tl = torch.nn.Linear(3, 4)
    kl = nn.Linear(3, 4)
    kl.load_state_dict({k: kitty.tensor(v.detach().numpy()) for k, v in tl.state_dict().items()})
    ko = optim.Adam(kl.parameters(), lr=0.05)
    to = torch.optim.Adam(tl.parameters(), lr=0.05)
    x = RNG.normal(size=(5, 3)).astype("float32")
    for _ in range(20):
        ko.zero_grad()
        to.zero_grad()
        (kl(kitty.tensor(x)) ** 2).mean().backward()
        (tl(torch.tensor(x)) ** 2).mean().backward()
        ko.step()
        to.step()
    np.testing.assert_allclose(kl.weight.detach().numpy(), tl.weight.detach().numpy(), rtol=1e-4, atol=1e-5)
