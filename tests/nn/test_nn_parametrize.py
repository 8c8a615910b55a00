"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm, orthogonal) and the
legacy weight_norm / spectral_norm hooks against torch: with torch's state dict loaded (originals,
u/v, base), outputs, gradients to the originals and buffers after power iteration agree."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from _compare import check, copy_weights, randn
from torch_errors import raised_as_torch  # (tests/ is on sys.path under pytest)


def symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    return Symmetric()


def scale(lib, factor=2.0):
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * factor

        def right_inverse(self, X):
            return X / factor

    return Scale()


def norm_split(lib):
    """A parametrization of two originals: a magnitude and a direction (right_inverse returns two)."""
    class Split(lib.nn.Module):
        def forward(self, a, b):
            return a * b

        def right_inverse(self, X):
            return X.abs() + 1, X / (X.abs() + 1)

    return Split()


def param(lib):
    return lib.nn.utils.parametrize


P = lambda lib: lib.nn.utils.parametrizations  # noqa: E731


def quiet(fn):
    def build(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(lib)
    return build


CASES = [
    # id, factory, inputs, train
    ("symmetric", lambda m: param(m).register_parametrization(m.nn.Linear(4, 4), "weight", symmetric(m)), [randn(3, 4)], True),
    ("chained_and_bias", lambda m: param(m).register_parametrization(
        param(m).register_parametrization(param(m).register_parametrization(m.nn.Linear(4, 4), "weight", symmetric(m)),
                                          "weight", scale(m)), "bias", m.nn.Tanh(), unsafe=True), [randn(3, 4)], True),
    ("two_originals", lambda m: param(m).register_parametrization(m.nn.Linear(3, 2), "weight", norm_split(m)), [randn(5, 3)], True),
    ("weight_norm", lambda m: P(m).weight_norm(m.nn.Linear(4, 3)), [randn(5, 4)], True),
    ("weight_norm_dim_none_conv", lambda m: P(m).weight_norm(m.nn.Conv1d(2, 3, 3), dim=None), [randn(2, 2, 6)], True),
    ("weight_norm_dim1_conv", lambda m: P(m).weight_norm(m.nn.Conv2d(2, 3, 2), dim=1), [randn(1, 2, 4, 4)], True),
    ("spectral_norm_train", lambda m: P(m).spectral_norm(m.nn.Linear(5, 3), n_power_iterations=3), [randn(4, 5)], True),
    ("spectral_norm_eval", lambda m: P(m).spectral_norm(m.nn.Linear(5, 3)), [randn(4, 5)], False),
    ("spectral_norm_conv_transpose", lambda m: P(m).spectral_norm(m.nn.ConvTranspose1d(3, 2, 3)), [randn(2, 3, 5)], True),
    ("spectral_norm_bias_vector", lambda m: P(m).spectral_norm(m.nn.Linear(3, 4), name="bias"), [randn(2, 3)], True),
    ("orthogonal_square_matrix_exp", lambda m: P(m).orthogonal(m.nn.Linear(4, 4)), [randn(3, 4)], True),
    ("orthogonal_wide_householder", lambda m: P(m).orthogonal(m.nn.Linear(5, 3)), [randn(3, 5)], True),
    ("orthogonal_tall_householder", lambda m: P(m).orthogonal(m.nn.Linear(2, 5)), [randn(3, 2)], True),
    ("orthogonal_cayley", lambda m: P(m).orthogonal(m.nn.Linear(4, 4), orthogonal_map="cayley"), [randn(3, 4)], True),
    ("orthogonal_tall_matrix_exp", lambda m: P(m).orthogonal(m.nn.Linear(2, 4), orthogonal_map="matrix_exp"), [randn(3, 2)], True),
    ("orthogonal_householder_no_trivialization", lambda m: P(m).orthogonal(
        m.nn.Linear(3, 5), orthogonal_map="householder", use_trivialization=False), [randn(3, 3)], True),
    ("legacy_weight_norm", quiet(lambda m: m.nn.utils.weight_norm(m.nn.Linear(4, 3))), [randn(5, 4)], True),
    ("legacy_spectral_norm_train", lambda m: m.nn.utils.spectral_norm(m.nn.Linear(5, 3), n_power_iterations=2),
     [randn(4, 5)], True),
    ("legacy_spectral_norm_eval", lambda m: m.nn.utils.spectral_norm(m.nn.Linear(5, 3)), [randn(4, 5)], False),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(case, dtype):
    name, make, arrays, train = case
    check(make, arrays, dtype, train=train, what=name)


def test_orthogonal_moves_the_weight_to_an_orthogonal_matrix_after_steps():
    """Optimising an orthogonal Linear keeps it orthogonal, and matches torch step for step."""
    for shape in ((4, 4), (3, 5)):
        torch.manual_seed(0)
        tm = P(torch).orthogonal(torch.nn.Linear(shape[1], shape[0]))
        km = P(kitty).orthogonal(kitty.nn.Linear(shape[1], shape[0]))
        copy_weights(km, tm)
        topt, kopt = torch.optim.SGD(tm.parameters(), lr=0.2), kitty.optim.SGD(km.parameters(), lr=0.2)
        x = randn(6, shape[1])
        for _ in range(3):
            for lib, mod, opt in ((torch, tm, topt), (kitty, km, kopt)):
                opt.zero_grad()
                mod(lib.tensor(x, dtype=lib.float32)).pow(2).sum().backward()
                opt.step()
        w = km.weight.detach().numpy()
        np.testing.assert_allclose(w, tm.weight.detach().numpy(), rtol=1e-4, atol=1e-5)
        small = min(shape)
        gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
        np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)


def test_state_dict_keys_repr_and_class_match_torch():
    for make in [lambda m: P(m).weight_norm(m.nn.Linear(3, 2)), lambda m: P(m).spectral_norm(m.nn.Linear(3, 2)),
                 lambda m: P(m).orthogonal(m.nn.Linear(3, 2)),
                 lambda m: param(m).register_parametrization(m.nn.Linear(3, 3), "weight", symmetric(m)),
                 quiet(lambda m: m.nn.utils.weight_norm(m.nn.Linear(3, 2))),
                 lambda m: m.nn.utils.spectral_norm(m.nn.Linear(3, 2))]:
        tm, km = make(torch), make(kitty)
        assert list(km.state_dict()) == list(tm.state_dict())
        assert [n for n, _ in km.named_parameters()] == [n for n, _ in tm.named_parameters()]
        assert repr(km) == repr(tm)
        assert type(km).__name__ == type(tm).__name__


def test_register_assign_cache_and_remove():
    m = kitty.nn.Linear(3, 3)
    param(kitty).register_parametrization(m, "weight", symmetric(kitty))
    assert param(kitty).is_parametrized(m) and param(kitty).is_parametrized(m, "weight")
    assert not param(kitty).is_parametrized(m, "bias")
    assert param(kitty).type_before_parametrizations(m) is kitty.nn.Linear
    original = m.parametrizations.weight.original
    # assignment runs right_inverse (keeps the upper triangle) into the same original tensor
    target = kitty.tensor(randn(3, 3), dtype=kitty.float32)
    target = target + target.T
    m.weight = target
    assert m.parametrizations.weight.original is original
    np.testing.assert_allclose(m.weight.detach().numpy(), target.numpy(), rtol=1e-6)
    assert m.weight is not m.weight
    with param(kitty).cached():
        assert m.weight is m.weight
    # removing keeps the value (leave_parametrized) in the original Parameter object
    value = m.weight.detach().numpy().copy()
    param(kitty).remove_parametrizations(m, "weight")
    assert type(m) is kitty.nn.Linear and not hasattr(m, "parametrizations")
    assert m.weight is original and isinstance(m.weight, kitty.nn.Parameter)
    np.testing.assert_allclose(m.weight.detach().numpy(), value)
    assert list(m.state_dict()) == ["bias", "weight"]  # re-registered after bias, as in torch
    # leave_parametrized=False restores the original (here the upper triangle)
    param(kitty).register_parametrization(m, "weight", symmetric(kitty))
    param(kitty).remove_parametrizations(m, "weight", leave_parametrized=False)
    np.testing.assert_allclose(m.weight.detach().numpy(), np.triu(value))


def test_buffer_parametrization_and_deepcopy():
    for lib in (torch, kitty):
        m = lib.nn.BatchNorm1d(3)
        param(lib).register_parametrization(m, "running_var", scale(lib, 3.0))
        assert "parametrizations.running_var.original" in m.state_dict()
        assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
        clone = copy.deepcopy(m)
        assert type(clone).__name__ == "ParametrizedBatchNorm1d"
        assert float(clone.running_var.sum()) == pytest.approx(3.0)  # right_inverse then forward


def test_leaving_two_originals_unparametrized_is_refused():
    for lib in (torch, kitty):
        m = P(lib).weight_norm(lib.nn.Linear(3, 2))
        with pytest.raises(ValueError, match="Cannot leave unparametrized"):
            param(lib).remove_parametrizations(m, "weight", leave_parametrized=False)
        param(lib).remove_parametrizations(m, "weight")
        assert isinstance(m.weight, lib.nn.Parameter) and list(m.state_dict()) == ["bias", "weight"]


@pytest.mark.parametrize("bad", ["shape", "missing", "not_parametrized", "orth_map", "orth_vector", "power_iterations",
                                 "pickle", "legacy_twice"])
def test_errors_match_torch(bad):
    def run(lib):
        m = lib.nn.Linear(3, 2)
        if bad == "shape":
            class Transpose(lib.nn.Module):
                def forward(self, X):
                    return X.T
            return param(lib).register_parametrization(m, "weight", Transpose())
        if bad == "missing":
            return param(lib).register_parametrization(m, "nothing", lib.nn.Tanh())
        if bad == "not_parametrized":
            return param(lib).remove_parametrizations(m, "weight")
        if bad == "orth_map":
            return P(lib).orthogonal(m, orthogonal_map="svd")
        if bad == "orth_vector":
            return P(lib).orthogonal(m, "bias")
        if bad == "power_iterations":
            return P(lib).spectral_norm(m, n_power_iterations=0)
        if bad == "pickle":
            return P(lib).weight_norm(m).__getstate__()
        return lib.nn.utils.spectral_norm(lib.nn.utils.spectral_norm(m))

    ours, theirs = raised_as_torch(lambda: run(torch), lambda: run(kitty))
    assert ours.replace("kittygrad.", "torch.") == theirs


def test_weight_norm_loads_a_legacy_checkpoint():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        legacy = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3))
    m = P(kitty).weight_norm(kitty.nn.Linear(4, 3))
    m.load_state_dict({k: kitty.tensor(v.detach().numpy()) for k, v in legacy.state_dict().items()})
    x = randn(2, 4)
    np.testing.assert_allclose(m(kitty.tensor(x, dtype=kitty.float32)).detach().numpy(),
                               legacy(torch.tensor(x, dtype=torch.float32)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_legacy_hooks_remove_and_warn():
    for lib in (torch, kitty):
        with pytest.warns(FutureWarning, match="weight_norm` is deprecated"):
            m = lib.nn.utils.weight_norm(lib.nn.Linear(3, 2))
        value = m.weight.detach().numpy().copy()
        lib.nn.utils.remove_weight_norm(m)
        assert list(m.state_dict()) == ["bias", "weight"] and isinstance(m.weight, lib.nn.Parameter)
        np.testing.assert_allclose(m.weight.detach().numpy(), value, rtol=1e-6)
        with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
            lib.nn.utils.remove_weight_norm(m)
        s = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 2)).eval()
        s(lib.zeros(1, 3))
        lib.nn.utils.remove_spectral_norm(s)
        assert list(s.state_dict()) == ["bias", "weight"]
