"""Helpers to run a kittygrad module and its torch twin with identical weights and compare
outputs, input gradients, parameter gradients and buffers."""
from __future__ import annotations

import numpy as np
import torch

import kittygrad as kitty

TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-7, atol=1e-9)}
GRAD_TOL = {"float32": dict(rtol=2e-3, atol=2e-4), "float64": dict(rtol=1e-6, atol=1e-8)}


def to_kitty(t: torch.Tensor) -> kitty.Tensor:
    return kitty.tensor(t.detach().numpy().copy())


def copy_weights(kmod, tmod) -> None:
    """Load torch's state_dict into the kittygrad module (strict: the key sets must agree)."""
    kmod.load_state_dict({k: to_kitty(v) for k, v in tmod.state_dict().items()})


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def _np(t):
    if t is None:
        return None
    if isinstance(t, kitty.Tensor):
        return t.detach().numpy()
    return t.detach().numpy()


class Const:
    """A float input that does not require grad (e.g. a target torch cannot differentiate)."""

    def __init__(self, value):
        self.value = value


def make_inputs(lib, arrays, dtype, requires_grad=True):
    out = []
    for a in arrays:
        if isinstance(a, Const):
            out.append(lib.tensor(a.value, dtype=getattr(lib, dtype)))
        elif isinstance(a, np.ndarray) and a.dtype.kind == "f":
            t = lib.tensor(a, dtype=getattr(lib, dtype))
            if requires_grad:
                t.requires_grad_(True)
            out.append(t)
        elif isinstance(a, np.ndarray):
            out.append(lib.tensor(a))
        else:
            out.append(a)
    return out


def check(make, arrays, dtype="float64", call=None, train=True, seed=0, grads=True, what=""):
    """Build the module in both libraries, copy torch's weights into kittygrad's, run, compare."""
    torch.manual_seed(seed)
    tmod = make(torch).to(getattr(torch, dtype))
    kmod = make(kitty).to(getattr(kitty, dtype))
    copy_weights(kmod, tmod)
    tmod.train(train)
    kmod.train(train)
    t_in = make_inputs(torch, arrays, dtype)
    k_in = make_inputs(kitty, arrays, dtype)
    call = call or (lambda mod, *xs: mod(*xs))
    t_out = _flat(call(tmod, *t_in))
    k_out = _flat(call(kmod, *k_in))
    assert len(t_out) == len(k_out), what
    tol, gtol = TOL[dtype], GRAD_TOL[dtype]
    for i, (k, t) in enumerate(zip(k_out, t_out)):
        if t is None:
            assert k is None, f"{what}: output {i} should be None"
            continue
        assert tuple(k.shape) == tuple(t.shape), f"{what}: output {i} shape {tuple(k.shape)} != {tuple(t.shape)}"
        assert str(k.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"{what}: output {i} dtype"
        np.testing.assert_allclose(_np(k), _np(t), err_msg=f"{what}: output {i}", **tol)
    for name, b in tmod.named_buffers():
        np.testing.assert_allclose(_np(kmod.get_buffer(name)), _np(b), err_msg=f"{what}: buffer {name}", **tol)
    if not grads:
        return kmod, tmod
    rng = np.random.default_rng(123)
    t_loss = k_loss = None
    for k, t in zip(k_out, t_out):
        if t is None or not t.requires_grad:
            continue
        w = rng.standard_normal(tuple(t.shape))
        tl = (t * torch.tensor(w, dtype=t.dtype)).sum()
        kl = (k * kitty.tensor(w, dtype=k.dtype)).sum()
        t_loss = tl if t_loss is None else t_loss + tl
        k_loss = kl if k_loss is None else k_loss + kl
    if t_loss is None:
        return kmod, tmod
    t_loss.backward()
    k_loss.backward()
    for i, (k, t) in enumerate(zip(k_in, t_in)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            if t.grad is None:
                assert k.grad is None, f"{what}: input {i} got a gradient, torch's got none"
                continue
            np.testing.assert_allclose(_np(k.grad), _np(t.grad), err_msg=f"{what}: grad of input {i}", **gtol)
    k_params = dict(kmod.named_parameters())
    for name, p in tmod.named_parameters():
        kp = k_params[name]
        if p.grad is None:
            assert kp.grad is None, f"{what}: parameter {name} got a gradient, torch's got none"
            continue
        assert kp.grad is not None, f"{what}: parameter {name} has no gradient"
        np.testing.assert_allclose(_np(kp.grad), _np(p.grad), err_msg=f"{what}: grad of {name}", **gtol)
    return kmod, tmod


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)
