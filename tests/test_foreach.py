"""``torch._foreach_*`` (kittygrad/_foreach.py): values, dtypes, return types, in-place rules,
gradients, backward-node names and errors, each against torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import kittygrad as kitty


def _lists(lib):
    a = [lib.tensor([1.0, -2.0]), lib.tensor([[0.5, 3.0], [4.0, -1.5]])]
    b = [lib.tensor([2.0, 0.5]), lib.tensor([[1.0, -2.0], [0.25, 2.0]])]
    return a, b


CALLS = {
    "add_scalar": lambda m, a, b: m._foreach_add(a, 1.5),
    "add_list_alpha": lambda m, a, b: m._foreach_add(a, b, alpha=-2),
    "add_scalarlist": lambda m, a, b: m._foreach_add(a, [1, 2.5]),
    "add_tensor_alpha": lambda m, a, b: m._foreach_add(a, m.tensor(2.0), alpha=3),
    "sub_list": lambda m, a, b: m._foreach_sub(a, b),
    "mul_tensor": lambda m, a, b: m._foreach_mul(a, m.tensor(-0.5)),
    "div_list": lambda m, a, b: m._foreach_div(a, b),
    "pow_scalar": lambda m, a, b: m._foreach_pow(b, 2),
    "pow_base": lambda m, a, b: m._foreach_pow(2.0, a),
    "maximum_scalar": lambda m, a, b: m._foreach_maximum(a, 0.75),
    "minimum_list": lambda m, a, b: m._foreach_minimum(a, b),
    "clamp_max_scalarlist": lambda m, a, b: m._foreach_clamp_max(a, [0.0, 1.0]),
    "lerp_scalar": lambda m, a, b: m._foreach_lerp(a, b, 0.25),
    "lerp_list": lambda m, a, b: m._foreach_lerp(a, b, b),
    "addcmul_value": lambda m, a, b: m._foreach_addcmul(a, b, b, value=0.5),
    "addcdiv_scalarlist": lambda m, a, b: m._foreach_addcdiv(a, a, b, [2.0, -1.0]),
    "addcmul_tensor_scalars": lambda m, a, b: m._foreach_addcmul(a, a, b, m.tensor([0.5, 2.0])),
    "sqrt": lambda m, a, b: m._foreach_sqrt(m._foreach_abs(a)),
    "sign": lambda m, a, b: m._foreach_sign(a),
    "exp_neg": lambda m, a, b: m._foreach_exp(m._foreach_neg(a)),
    "reciprocal": lambda m, a, b: m._foreach_reciprocal(b),
    "norm": lambda m, a, b: m._foreach_norm(a),
    "norm_inf": lambda m, a, b: m._foreach_norm(a, float("inf")),
    "norm_1_float64": lambda m, a, b: m._foreach_norm(a, 1, dtype=m.float64),
    "max": lambda m, a, b: m._foreach_max(a),
    "clone": lambda m, a, b: m._foreach_clone(a),
    "int_mul_float": lambda m, a, b: m._foreach_mul([m.arange(3)], 1.5),
    "int_div": lambda m, a, b: m._foreach_div([m.arange(3)], 2),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_out_of_place_matches_torch(name):
    ours = CALLS[name](kitty, *_lists(kitty))
    theirs = CALLS[name](torch, *_lists(torch))
    assert type(ours) is tuple and type(theirs) is tuple and len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1] and tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-6)


INPLACE = {
    "add_": lambda m, a, b: m._foreach_add_(a, b, alpha=0.5),
    "mul_": lambda m, a, b: m._foreach_mul_(a, 3),
    "lerp_": lambda m, a, b: m._foreach_lerp_(a, b, 0.1),
    "addcdiv_": lambda m, a, b: m._foreach_addcdiv_(a, b, b, value=-1),
    "sqrt_": lambda m, a, b: m._foreach_sqrt_(b[:1]),
    "zero_": lambda m, a, b: m._foreach_zero_(a),
    "copy_": lambda m, a, b: m._foreach_copy_(a, b),
    "maximum_": lambda m, a, b: m._foreach_maximum_(a, b),
    "clamp_min_": lambda m, a, b: m._foreach_clamp_min_(a, 0.0),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_in_place_writes_into_the_tensors_and_returns_the_list(name):
    results = []
    for lib in (kitty, torch):
        a, b = _lists(lib)
        ids = [id(t) for t in a + b]
        out = INPLACE[name](lib, a, b)
        assert [id(t) for t in a + b] == ids
        assert out is a or out is b[:1] or isinstance(out, list)
        results.append([t.numpy().copy() for t in a + b])
    for o, t in zip(*results):
        np.testing.assert_allclose(o, t, rtol=1e-6)


def test_gradients_flow_and_nodes_carry_torchs_names():
    grads = []
    names = []
    for lib in (kitty, torch):
        x = lib.tensor([0.5, 2.0], requires_grad=True)
        y = lib.tensor([1.5, -1.0], requires_grad=True)
        outs = [lib._foreach_mul([x], 3.0)[0], lib._foreach_lerp([x], [y], 0.25)[0],
                lib._foreach_addcmul([x], [y], [y], value=2)[0], lib._foreach_norm([y])[0],
                lib._foreach_pow(2.0, [x])[0], lib._foreach_sigmoid([y])[0], lib._foreach_log1p([x])[0]]
        sum(o.sum() for o in outs).backward()
        grads.append((x.grad.numpy(), y.grad.numpy()))
        names.append([o.grad_fn.name() if lib is torch else o.grad_fn.torch_name() for o in outs])
    for o, t in zip(*grads):
        np.testing.assert_allclose(o, t, rtol=1e-6)
    assert names[0] == names[1] == ["ForeachMulBackward1Scalar", "ForeachLerpBackward0Scalar", "ForeachAddcmulBackward0Scalar",
                        "ForeachNormBackward0", "ForeachPowBackward2", "ForeachSigmoidBackward0",
                        "ForeachLog1PBackward0"]


def test_in_place_on_a_leaf_needs_no_grad_as_in_torch():
    for lib in (kitty, torch):
        w = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            lib._foreach_mul_([w], 2.0)
        with lib.no_grad():
            lib._foreach_mul_([w], 2.0)
        assert w.tolist() == [2.0, 2.0] and w.requires_grad


ERRORS = {
    "empty": (lambda m: m._foreach_add([], 1.0), RuntimeError, "Tensor list must have at least one tensor."),
    "lengths": (lambda m: m._foreach_add([m.ones(1), m.ones(1)], [m.ones(1)]), RuntimeError,
                "Tensor lists must have the same number of tensors, got 2 and 1"),
    "scalar_list_length": (lambda m: m._foreach_mul([m.ones(1), m.ones(1)], [1.0]), RuntimeError,
                           "Tensor list must have same number of elements as scalar list."),
    "not_0_dim": (lambda m: m._foreach_mul([m.ones(2)], m.tensor([2.0])), RuntimeError,
                  "scalar tensor expected to be 0 dim but it has 1 dimensions and 1 elements."),
    "not_a_tensor": (lambda m: m._foreach_add([1.0], 1), TypeError,
                     "expected Tensor as element 0 in argument 0, but got float"),
    "not_a_list": (lambda m: m._foreach_add(m.ones(2), 1), TypeError,
                   "_foreach_add() received an invalid combination of arguments - got (Tensor, int)"),
    "alpha_with_scalar": (lambda m: m._foreach_mul([m.ones(2)], 2, alpha=3), TypeError,
                          "_foreach_mul() received an invalid combination of arguments"),
    "scalars_tensor_length": (lambda m: m._foreach_addcmul([m.ones(2)], [m.ones(2)], [m.ones(2)], m.tensor([1.0, 2.0])),
                              RuntimeError, "Expected length of scalars to match input of length 1 but got 2 instead."),
    "int_in_place": (lambda m: m._foreach_mul_([m.arange(3)], 1.5), RuntimeError,
                     "result type Float can't be cast to the desired output type Long"),
    "max_of_empty": (lambda m: m._foreach_max([m.ones(0)]), RuntimeError,
                     "_foreach_max cannot compute the maximum of an empty tensor"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_misuse_raises_torchs_error(name):
    fn, kind, message = ERRORS[name]
    for lib in (torch, kitty):
        with pytest.raises(kind) as err:
            fn(lib)
        assert str(err.value).startswith(message), (lib.__name__, str(err.value))


def test_an_ema_update_with_foreach_lerp():
    shadow = {lib: [lib.zeros(3), lib.zeros(2)] for lib in (kitty, torch)}
    for step in range(4):
        for lib, s in shadow.items():
            params = [lib.full((3,), float(step)), lib.arange(2, dtype=lib.float32) * step]
            lib._foreach_lerp_(s, params, 1 - 0.9)
    for o, t in zip(shadow[kitty], shadow[torch]):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-6)
