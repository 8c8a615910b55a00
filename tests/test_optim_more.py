"""Rprop, ASGD, Adafactor and L-BFGS against torch: trajectories, state and errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty


def _trajectory(lib, name, kwargs, shape, dtype, steps=8):
    rng = np.random.default_rng(0)
    w = lib.tensor(rng.standard_normal(shape) * 0.5, dtype=getattr(lib, dtype), requires_grad=True)
    opt = getattr(lib.optim, name)([w], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        noise = lib.tensor(rng.standard_normal(shape), dtype=getattr(lib, dtype))
        ((w * w).sum() + (w * noise).sum()).backward()
        opt.step()
    return w.detach().numpy(), opt.state_dict()


CASES = [
    ("Rprop", {}), ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2), "maximize": True}),
    ("ASGD", {"lr": 0.05}), ("ASGD", {"lr": 0.05, "t0": 3, "weight_decay": 0.1, "lambd": 0.01}),
    ("Adafactor", {}), ("Adafactor", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adafactor", {"lr": 0.1, "eps": (1e-6, 1e-3), "maximize": True, "d": 2.0}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_trajectory_and_state_match_torch(name, kwargs, shape, dtype):
    ours, our_state = _trajectory(kitty, name, kwargs, shape, dtype)
    theirs, their_state = _trajectory(torch, name, kwargs, shape, dtype)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-7 if dtype == "float32" else 1e-14)
    assert sorted(our_state["state"][0]) == sorted(their_state["state"][0])
    assert sorted(our_state["param_groups"][0]) == sorted(their_state["param_groups"][0])
    for key, value in their_state["state"][0].items():
        np.testing.assert_allclose(np.asarray(our_state["state"][0][key].numpy()), value.numpy(), rtol=1e-5, atol=1e-7)


def _lbfgs(lib, kwargs, loss_kind, steps=3):
    w = lib.tensor([-1.5, 2.0, 0.5], dtype=lib.float64, requires_grad=True)
    opt = lib.optim.LBFGS([w], **kwargs)

    def closure():
        opt.zero_grad()
        if loss_kind == "rosenbrock":
            loss = ((1 - w[:-1]) ** 2).sum() + 100 * ((w[1:] - w[:-1] ** 2) ** 2).sum()
        else:
            loss = (w.exp() - 2 * w).sum() + (w ** 4).sum()
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    state = opt.state[w]
    return w.detach().numpy(), losses, state["func_evals"], state["n_iter"]


@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.5, "history_size": 3}, {"line_search_fn": "strong_wolfe"},
                                    {"line_search_fn": "strong_wolfe", "max_iter": 5, "history_size": 2}])
@pytest.mark.parametrize("loss_kind", ["rosenbrock", "smooth"])
def test_lbfgs_matches_torch_in_float64(kwargs, loss_kind):
    ours, theirs = _lbfgs(kitty, kwargs, loss_kind), _lbfgs(torch, kwargs, loss_kind)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-8, atol=1e-10)
    assert ours[2:] == theirs[2:]  # the same number of evaluations and iterations


def test_lbfgs_refuses_what_torch_refuses():
    w = kitty.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        kitty.optim.LBFGS([{"params": [w]}, {"params": [kitty.zeros(1, requires_grad=True)]}])
    opt = kitty.optim.LBFGS([w], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


def test_lbfgs_state_dict_holds_tensors_and_round_trips():
    w = kitty.tensor([1.0, -1.0], requires_grad=True)
    opt = kitty.optim.LBFGS([w], history_size=2)

    def closure():
        opt.zero_grad()
        loss = ((w - 3) ** 4).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert opt.state[opt._params[0]]["n_iter"] == opt.state[w]["n_iter"] > 0  # torch's attribute, read by scripts
    state = opt.state_dict()["state"][0]
    assert isinstance(state["d"], kitty.Tensor) and all(isinstance(v, kitty.Tensor) for v in state["old_dirs"])
    opt2 = kitty.optim.LBFGS([w], history_size=2)
    opt2.load_state_dict(opt.state_dict())
    opt2.step(closure)


@pytest.mark.parametrize("make, message", [
    (lambda p: kitty.optim.Rprop(p, etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
    (lambda p: kitty.optim.Adafactor(p, beta2_decay=0.5), "beta2_decay should be <= 0 but is: 0.5"),
    (lambda p: kitty.optim.Adafactor(p, d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
    (lambda p: kitty.optim.ASGD(p, lr=-1), "Invalid learning rate: -1"),
])
def test_bad_hyperparameters_raise_torchs_value_error(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make([kitty.zeros(1, requires_grad=True)])


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (5, 5)])
@pytest.mark.parametrize("kwargs", [{"lr": 0.02}, {"lr": 0.02, "nesterov": False, "adjust_lr_fn": "match_rms_adamw"}])
def test_muon_follows_torch_to_bfloat16_precision(shape, kwargs):
    # torch orthogonalises in bfloat16, kittygrad in the parameter's dtype: agreement to ~1e-3
    ours, theirs = _trajectory(kitty, "Muon", kwargs, shape, "float32", 4), _trajectory(torch, "Muon", kwargs, shape, "float32", 4)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=0, atol=5e-3)
    assert sorted(ours[1]["state"][0]) == sorted(theirs[1]["state"][0])


def test_muon_refuses_what_torch_refuses():
    with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
        kitty.optim.Muon([kitty.zeros(3, requires_grad=True)])


def _lbfgs_state(lib):
    w = lib.tensor([-1.5, 2.0, 0.5], dtype=lib.float64, requires_grad=True)
    opt = lib.optim.LBFGS([w], history_size=4, max_iter=3)

    def closure():
        opt.zero_grad()
        loss = ((1 - w[:-1]) ** 2).sum() + 100 * ((w[1:] - w[:-1] ** 2) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return opt.state_dict()["state"][0]


def test_lbfgs_state_has_torchs_entries_and_two_loop_coefficients():
    ours, theirs = _lbfgs_state(kitty), _lbfgs_state(torch)
    assert sorted(ours) == sorted(theirs)
    # "al": one slot per history entry, filled as far as the history reached, the rest None
    assert len(ours["al"]) == len(theirs["al"]) == 4
    assert [v is None for v in ours["al"]] == [v is None for v in theirs["al"]]
    for mine, their in zip(ours["al"], theirs["al"]):
        if their is not None:
            assert isinstance(mine, kitty.Tensor) and mine.shape == their.shape
            np.testing.assert_allclose(mine.numpy(), their.numpy(), rtol=1e-10)


def _after_a_plain_number_step(lib, name):
    """One step, then ``state['step']`` set to a plain number by hand (A3C's SharedAdam does so),
    then another: torch refuses the number (ASGD counts on from it without storing it back)."""
    p = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
    opt = getattr(lib.optim, name)([p], lr=0.1)
    p.grad = lib.tensor([0.5, 1.0])
    opt.step()
    opt.state[p]["step"] = 1
    try:
        opt.step()
    except RuntimeError as e:
        return "RuntimeError", str(e)
    return p.detach().numpy().tolist(), opt.state[p]["step"]


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Rprop", "Adadelta",
                                  "Adagrad", "ASGD", "Adafactor"])
def test_a_step_count_kept_as_a_plain_number_is_treated_as_torch(name):
    assert _after_a_plain_number_step(kitty, name) == _after_a_plain_number_step(torch, name)
