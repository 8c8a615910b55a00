"""Meta tensors, as far as kittygrad has them: ``Module.to("meta")`` / ``Tensor.to("meta")`` keep shapes
and dtypes without data (torch's reprs), serve as the skeleton of ``func.functional_call``, and
refuse anything that needs values."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import kittygrad as kitty


def test_reprs_devices_and_flags_match_torch():
    shown = []
    for lib in (torch, kitty):
        lib.manual_seed(0)
        layer = lib.nn.Linear(3, 2).to("meta")
        shown.append([repr(layer.weight), repr(layer.bias.detach()), str(layer.weight.device), layer.weight.is_meta,
                      tuple(layer.weight.shape), repr(lib.ones(2, dtype=lib.float64).to(device="meta")),
                      # with no values to tell them apart, torch names int64 and bool too (BatchNorm's counter)
                      repr(lib.nn.BatchNorm1d(2).to("meta").num_batches_tracked),
                      repr(lib.zeros(0, dtype=lib.bool).to("meta"))])
    shown[1] = [s.replace("kittygrad.", "torch.") if isinstance(s, str) else s for s in shown[1]]
    assert shown[1] == shown[0]


def test_a_meta_skeleton_runs_under_functional_call_and_vmap():
    kitty.manual_seed(0)
    models = [kitty.nn.Sequential(kitty.nn.Linear(4, 5), kitty.nn.ReLU(), kitty.nn.Linear(5, 2)) for _ in range(3)]
    params, buffers = kitty.func.stack_module_state(models)
    skeleton = copy.deepcopy(models[0]).to("meta")
    x = kitty.randn(3, 6, 4)
    out = kitty.func.vmap(lambda p, b, xb: kitty.func.functional_call(skeleton, (p, b), (xb,)))(params, buffers, x)
    np.testing.assert_allclose(out.detach().numpy(), np.stack([m(xb).detach().numpy() for m, xb in zip(models, x)]), rtol=1e-6)


def test_values_of_a_meta_tensor_are_refused_clearly():
    layer = kitty.nn.Linear(3, 2).to("meta")
    for use in (lambda: layer(kitty.ones(1, 3)), lambda: layer.weight.sum(), lambda: layer.weight.tolist(),
                lambda: layer.weight + 1):
        with pytest.raises(RuntimeError, match="meta device .* has no data"):
            use()


def test_to_empty_gives_a_meta_module_cpu_memory_again():
    layer = kitty.nn.Linear(3, 2).to("meta").to_empty(device="cpu")
    assert not layer.weight.is_meta and layer.weight.device.type == "cpu"
    assert tuple(layer(kitty.ones(1, 3)).shape) == (1, 2)


@pytest.mark.parametrize("make", [
    lambda m: m.nn.Linear(4, 2, device="meta"), lambda m: m.nn.Linear(4, 2, True, m.device("meta")),
    lambda m: m.nn.BatchNorm1d(3, device="meta"), lambda m: m.nn.LSTM(3, 4, 2, device="meta"),
    lambda m: m.nn.TransformerEncoderLayer(8, 2, 16, device="meta"),
    lambda m: m.nn.Embedding(5, 2, padding_idx=1, device="meta"),
], ids=["Linear", "Linear positional", "BatchNorm1d", "LSTM", "TransformerEncoderLayer", "Embedding"])
def test_a_layer_built_on_meta_is_a_skeleton_and_draws_nothing(make):
    # device="meta" was dropped: the layer came out on the CPU, its init's draws shifting later random numbers
    shown = []
    for lib in (torch, kitty):
        lib.manual_seed(0)
        layer = make(lib)
        tensors = [*layer.parameters(), *layer.buffers()]
        shown.append(([(tuple(t.shape), t.is_meta, str(t.dtype).split(".")[-1]) for t in tensors],
                      repr(layer.state_dict()[next(iter(layer.state_dict()))]).replace("kittygrad.", "torch."),
                      lib.rand(3).tolist()))
    assert shown[1] == shown[0]
    layer = make(kitty).to_empty(device="cpu")
    assert not any(p.is_meta for p in layer.parameters())


def test_loading_values_into_a_meta_skeleton_without_assign_warns_and_keeps_it():
    # copy_ into a meta tensor raised, so load_state_dict reported every entry as an error
    messages, outcomes = [], []
    for lib in (torch, kitty):
        lib.manual_seed(0)
        source = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
        skeleton = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2)).to("meta")
        with pytest.warns(UserWarning) as record:
            result = skeleton.load_state_dict(source.state_dict())
        messages.append([str(w.message) for w in record])
        outcomes.append((repr(result), all(t.is_meta for t in skeleton.state_dict().values())))
    assert messages[1] == messages[0] and len(messages[0]) == 7
    assert outcomes[1] == outcomes[0]
