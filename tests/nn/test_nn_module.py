"""Module core: registration, iteration, modes, conversion, hooks, state_dict/load_state_dict,
containers, Parameter, and the printed module tree (compared with torch)."""
from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import kittygrad as kitty
from _compare import copy_weights


def both(build):
    """The same model built with torch and with kittygrad."""
    return build(torch), build(kitty)


def cnn(m):
    return m.nn.Sequential(
        m.nn.Conv2d(1, 8, 3, padding=1), m.nn.BatchNorm2d(8), m.nn.ReLU(), m.nn.MaxPool2d(2),
        m.nn.Conv2d(8, 16, 3, stride=2, padding="same" if False else 1, bias=False), m.nn.Dropout2d(0.2),
        m.nn.AdaptiveAvgPool2d(1), m.nn.Flatten(), m.nn.Linear(16, 10),
    )


class _Tagger:
    pass


def seq_model(m):
    class Net(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = m.nn.Embedding(20, 8, padding_idx=0)
            self.rnn = m.nn.LSTM(8, 16, num_layers=2, batch_first=True, dropout=0.1, bidirectional=True)
            self.heads = m.nn.ModuleDict({"cls": m.nn.Linear(32, 3), "reg": m.nn.Sequential(m.nn.Linear(32, 4), m.nn.GELU())})
            self.blocks = m.nn.ModuleList([m.nn.LayerNorm(32) for _ in range(3)] + [m.nn.RMSNorm(32)])
            self.scale = m.nn.Parameter(m.ones(1))
            self.register_buffer("steps", m.zeros(1))
            self.register_buffer("cache", m.zeros(2), persistent=False)

        def forward(self, x):
            out, _ = self.rnn(self.emb(x))
            for b in self.blocks:
                out = b(out)
            return self.heads["cls"](out) * self.scale

    return Net()


def transformer(m):
    layer = m.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.1, batch_first=True)
    return m.nn.TransformerEncoder(layer, 3, norm=m.nn.LayerNorm(16))


MODELS = [cnn, seq_model, transformer]


def _norm_repr(text: str) -> str:
    return text.replace("kittygrad.", "torch.")


@pytest.mark.parametrize("build", MODELS, ids=lambda f: f.__name__)
def test_tree_repr_and_names_match_torch(build):
    tm, km = both(build)
    assert repr(km) == repr(tm)
    assert [n for n, _ in km.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in km.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert [n for n, _ in km.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in km.named_children()] == [n for n, _ in tm.named_children()]
    assert list(km.state_dict()) == list(tm.state_dict())
    for (n, kp), (_, tp) in zip(km.named_parameters(), tm.named_parameters()):
        assert tuple(kp.shape) == tuple(tp.shape), n


def test_param_containers_repr_match_torch():
    def build(m):
        net = m.nn.Module()
        net.plist = m.nn.ParameterList([m.nn.Parameter(m.zeros(2, 3)), m.zeros(4)])
        net.pdict = m.nn.ParameterDict({"a": m.nn.Parameter(m.zeros(3)), "b": m.zeros(2, 2, dtype=m.float64)})
        net.empty = m.nn.ModuleList()
        net.seq = m.nn.Sequential()
        return net

    tm, km = both(build)
    assert _norm_repr(repr(km)) == repr(tm)
    assert [n for n, _ in km.named_parameters()] == ["plist.0", "plist.1", "pdict.a", "pdict.b"]


def test_parameter_basics():
    p = kitty.nn.Parameter(kitty.tensor([1.0, 2.0]))
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    assert isinstance(p, kitty.Tensor) and p.requires_grad and p.is_leaf
    assert type(p * 2) is kitty.Tensor
    assert not kitty.nn.Parameter(kitty.zeros(2), requires_grad=False).requires_grad
    assert tuple(kitty.nn.Parameter().shape) == (0,)
    q = copy.deepcopy(p)
    assert type(q) is kitty.nn.Parameter and q.requires_grad and q is not p
    np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is kitty.nn.Parameter and r.requires_grad
    data = kitty.zeros(3)
    shared = kitty.nn.Parameter(data)
    with kitty.no_grad():
        shared.add_(1)
    assert data.numpy().tolist() == [1.0, 1.0, 1.0]


def test_registration_and_errors_match_torch():
    for m in (torch, kitty):
        mod = m.nn.Module()
        mod.w = m.nn.Parameter(m.zeros(2))
        mod.sub = m.nn.Linear(2, 2)
        mod.register_buffer("buf", m.zeros(1))
        mod.plain = 3
        assert [n for n, _ in mod.named_parameters()] == ["w", "sub.weight", "sub.bias"]
        with pytest.raises(TypeError):
            mod.w = m.zeros(2)  # a plain tensor where a parameter is registered
        with pytest.raises(TypeError):
            mod.sub = 3
        with pytest.raises(TypeError):
            mod.buf = 5
        with pytest.raises(KeyError):
            mod.register_buffer("plain", m.zeros(1))
        with pytest.raises(KeyError):
            mod.register_parameter("a.b", None)
        with pytest.raises(TypeError):
            mod.register_parameter("x", m.zeros(1))
        with pytest.raises(TypeError):
            mod.add_module("x", 3)
        with pytest.raises(AttributeError):
            _ = mod.missing
        mod.w = None
        assert [n for n, _ in mod.named_parameters()] == ["sub.weight", "sub.bias"]
        del mod.sub
        assert "sub" not in dict(mod.named_children())
        mod.sub = m.nn.ReLU()  # re-registered as a module
        with pytest.raises(ValueError):
            mod.register_parameter("z", m.nn.Parameter(m.zeros(1)) * 2 if False else _nonleaf(m))
    with pytest.raises(AttributeError):
        class Bad(kitty.nn.Module):
            def __init__(self):
                self.w = kitty.nn.Parameter(kitty.zeros(1))

        Bad()


def _nonleaf(m):
    p = m.nn.Parameter(m.zeros(1))
    out = p * 2
    out.__class__ = m.nn.Parameter
    return out


def test_shared_parameters_are_listed_once():
    for m in (torch, kitty):
        lin = m.nn.Linear(3, 3)
        net = m.nn.Sequential(lin, m.nn.ReLU(), lin)
        assert len(list(net.parameters())) == 2
        assert [n for n, _ in net.named_modules()] == ["", "0", "1"]
        assert len(list(net.named_parameters(remove_duplicate=False))) == 4


def test_train_eval_zero_grad_requires_grad():
    net = cnn(kitty)
    net.eval()
    assert all(not mod.training for mod in net.modules())
    net.train()
    assert all(mod.training for mod in net.modules())
    with pytest.raises(ValueError):
        net.train("yes")
    out = net(kitty.randn(2, 1, 8, 8)).sum()
    out.backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(abs(p.grad.numpy()).sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_double_keeps_identity_and_integer_buffers():
    net = cnn(kitty)
    params = list(net.parameters())
    net.to(kitty.float64)
    assert all(a is b for a, b in zip(params, net.parameters()))
    assert all(p.dtype == kitty.float64 for p in net.parameters())
    bn = net[1]
    assert bn.running_mean.dtype == kitty.float64
    assert bn.num_batches_tracked.dtype == kitty.int64
    net.float()
    assert all(p.dtype == kitty.float32 for p in net.parameters())
    assert net.to(kitty.zeros(1, dtype=kitty.float64)) is net and params[0].dtype == kitty.float64
    net.double().train()
    out = net(kitty.randn(2, 1, 8, 8, dtype=kitty.float64))
    assert out.dtype == kitty.float64
    with pytest.raises(RuntimeError):
        net.to("cuda")


def test_apply_and_lookup():
    net = cnn(kitty)
    seen = []
    net.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Sequential" and seen[0] == "Conv2d"
    assert net.get_submodule("8") is net[8]
    assert net.get_parameter("8.bias") is net[8].bias
    assert net.get_buffer("1.running_var") is net[1].running_var
    with pytest.raises(AttributeError):
        net.get_submodule("9")
    with pytest.raises(AttributeError):
        net.get_parameter("1.running_var")


def test_forward_hooks():
    calls = []
    lin = kitty.nn.Linear(2, 2)
    h1 = lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda mod, args, out: calls.append("post") or out + 1)
    h3 = lin.register_forward_hook(lambda mod, args, out: calls.append("first"), prepend=True)
    out = lin(kitty.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy()[None] + 1, rtol=1e-6)
    assert calls == ["first", "post"]
    h1.remove()
    h2.remove()
    h3.remove()
    np.testing.assert_allclose(lin(kitty.zeros(1, 2)).detach().numpy(), lin.bias.detach().numpy()[None], rtol=1e-6)
    got = {}
    lin.register_forward_pre_hook(lambda mod, args, kwargs: (args, kwargs), with_kwargs=True)
    lin.register_forward_hook(lambda mod, args, kwargs, out: got.setdefault("kw", kwargs), with_kwargs=True)
    lin(kitty.zeros(1, 2))
    assert got["kw"] == {}
    failing = kitty.nn.Linear(2, 2)
    seen = []
    failing.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(RuntimeError):
        failing(kitty.zeros(1, 3))
    assert seen == [None]


def test_state_dict_roundtrip_and_sharing():
    tm, km = both(seq_model)
    sd = km.state_dict()
    assert "cache" not in sd and "steps" in sd
    assert not any(v.requires_grad for v in sd.values())
    assert all(v.requires_grad for k, v in km.state_dict(keep_vars=True).items() if k != "steps")
    fresh = seq_model(kitty)
    assert repr(fresh.load_state_dict(sd)) == "<All keys matched successfully>"
    for (n, a), (_, b) in zip(fresh.state_dict().items(), sd.items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=n)
    # the state dict shares memory with the module
    with kitty.no_grad():
        km.scale.fill_(5.0)
    assert sd["scale"].item() == 5.0
    # torch's state dict loads into kittygrad and back
    copy_weights(km, tm)
    back = tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in km.state_dict().items()})
    assert repr(back) == "<All keys matched successfully>"


def test_load_state_dict_reports_everything_like_torch():
    def build(m):
        return m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4), m.nn.Linear(4, 2))

    tm, km = both(build)
    tsd = tm.state_dict()
    bad_t = OrderedDict(tsd)
    del bad_t["0.bias"]
    del bad_t["1.running_var"]
    bad_t["2.weight"] = torch.zeros(3, 4)
    bad_t["3.weight"] = torch.zeros(1)
    bad_t["extra"] = torch.zeros(1)
    bad_k = OrderedDict((k, kitty.tensor(v.numpy())) for k, v in bad_t.items())
    with pytest.raises(RuntimeError) as t_err:
        tm.load_state_dict(bad_t)
    with pytest.raises(RuntimeError) as k_err:
        km.load_state_dict(bad_k)
    assert str(k_err.value).replace("kittygrad.Size", "torch.Size") == str(t_err.value)
    # strict=False: missing/unexpected are returned, the size mismatch still raises
    del bad_t["2.weight"], bad_k["2.weight"]
    t_res = tm.load_state_dict(bad_t, strict=False)
    k_res = km.load_state_dict(bad_k, strict=False)
    assert k_res.missing_keys == t_res.missing_keys and k_res.unexpected_keys == t_res.unexpected_keys
    assert tuple(k_res) == tuple(t_res)
    with pytest.raises(TypeError):
        km.load_state_dict([1, 2])


def test_load_state_dict_assign_and_dtype_cast():
    lin = kitty.nn.Linear(2, 2)
    sd = {"weight": kitty.ones(2, 2, dtype=kitty.float64), "bias": kitty.zeros(2, dtype=kitty.float64)}
    lin.load_state_dict(sd)
    assert lin.weight.dtype == kitty.float32 and lin.weight.detach().numpy().sum() == 4
    lin.load_state_dict(sd, assign=True)
    assert isinstance(lin.weight, kitty.nn.Parameter) and lin.weight.dtype == kitty.float64


def test_sequential_api():
    for m in (torch, kitty):
        seq = m.nn.Sequential(m.nn.Linear(2, 3), m.nn.ReLU(), m.nn.Linear(3, 1))
        assert len(seq) == 3 and isinstance(seq[-1], m.nn.Linear)
        sub = seq[1:]
        assert isinstance(sub, m.nn.Sequential) and list(sub._modules) == ["1", "2"]
        seq.append(m.nn.Sigmoid())
        seq.insert(0, m.nn.Identity())
        assert [type(x).__name__ for x in seq] == ["Identity", "Linear", "ReLU", "Linear", "Sigmoid"]
        del seq[0]
        assert list(seq._modules) == ["0", "1", "2", "3"]
        seq[1] = m.nn.Tanh()
        assert isinstance(seq[1], m.nn.Tanh)
        with pytest.raises(IndexError):
            seq[10]
        named = m.nn.Sequential(OrderedDict([("fc", m.nn.Linear(2, 2)), ("act", m.nn.ReLU())]))
        assert [n for n, _ in named.named_children()] == ["fc", "act"]
        assert len(seq + named) == 6
    k = kitty.nn.Sequential(kitty.nn.Linear(2, 3), kitty.nn.ReLU())
    assert tuple(k(kitty.ones(4, 2)).shape) == (4, 3)


def test_modulelist_moduledict_api():
    for m in (torch, kitty):
        ml = m.nn.ModuleList([m.nn.Linear(2, 2)])
        ml.append(m.nn.ReLU())
        ml.extend([m.nn.Tanh(), m.nn.Sigmoid()])
        ml.insert(1, m.nn.Identity())
        assert [type(x).__name__ for x in ml] == ["Linear", "Identity", "ReLU", "Tanh", "Sigmoid"]
        assert isinstance(ml[1:3], m.nn.ModuleList) and len(ml[1:3]) == 2
        del ml[1]
        assert list(ml._modules) == ["0", "1", "2", "3"]
        assert type(ml.pop(0)).__name__ == "Linear"
        with pytest.raises(TypeError):
            ml.extend(3)
        md = m.nn.ModuleDict([("a", m.nn.ReLU())])
        md["b"] = m.nn.Tanh()
        md.update({"c": m.nn.Sigmoid()})
        assert list(md.keys()) == ["a", "b", "c"] and "b" in md and len(md) == 3
        assert type(md.pop("a")).__name__ == "ReLU"
        assert [k for k in md] == ["b", "c"]


def test_parameterlist_parameterdict_api():
    pl = kitty.nn.ParameterList([kitty.zeros(2)])
    pl.append(kitty.ones(3))
    assert all(isinstance(p, kitty.nn.Parameter) for p in pl)
    assert len(pl) == 2 and tuple(pl[-1].shape) == (3,)
    assert len(pl[:1]) == 1
    pd = kitty.nn.ParameterDict({"a": kitty.zeros(1)})
    pd["b"] = kitty.ones(2)
    assert list(pd.keys()) == ["a", "b"] and isinstance(pd["b"], kitty.nn.Parameter)
    assert pd.get("zzz") is None
    del pd["a"]
    assert [n for n, _ in pd.named_parameters()] == ["b"]
    with pytest.raises(RuntimeError):
        pl(1)


def test_deepcopy_and_pickle_module():
    _, km = both(transformer)
    clone = copy.deepcopy(km)
    assert repr(clone) == repr(km)
    for (n, a), (_, b) in zip(clone.named_parameters(), km.named_parameters()):
        assert a is not b
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=n)
    restored = pickle.loads(pickle.dumps(km))
    assert list(restored.state_dict()) == list(km.state_dict())


def test_default_init_bounds_like_torch():
    kitty.manual_seed(0)
    lin = kitty.nn.Linear(50, 40)
    bound = 1 / np.sqrt(50)
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    conv = kitty.nn.Conv2d(4, 6, 3, groups=2)
    cb = 1 / np.sqrt(2 * 9)
    assert np.abs(conv.weight.detach().numpy()).max() <= cb
    emb = kitty.nn.Embedding(500, 20, padding_idx=3)
    e = emb.weight.detach().numpy()
    assert abs(e.std() - 1) < 0.05 and not e[3].any()
    lstm = kitty.nn.LSTM(5, 25)
    assert all(np.abs(p.detach().numpy()).max() <= 0.2 for p in lstm.parameters())
    mha = kitty.nn.MultiheadAttention(8, 2)
    xb = np.sqrt(6 / (8 + 24))
    assert np.abs(mha.in_proj_weight.detach().numpy()).max() <= xb
    assert not mha.in_proj_bias.detach().numpy().any() and not mha.out_proj.bias.detach().numpy().any()
    bn = kitty.nn.BatchNorm2d(3)
    assert bn.weight.detach().numpy().tolist() == [1, 1, 1] and bn.bias.detach().numpy().tolist() == [0, 0, 0]
    kitty.manual_seed(7)
    a = kitty.nn.Linear(3, 3).weight.detach().numpy().copy()
    kitty.manual_seed(7)
    b = kitty.nn.Linear(3, 3).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_module_dtype_factory_argument():
    lin = kitty.nn.Linear(2, 2, dtype=kitty.float64)
    assert lin.weight.dtype == kitty.float64
    assert lin(kitty.ones(1, 2, dtype=kitty.float64)).dtype == kitty.float64


def test_ignored_attention_weights_hold_back_no_gradient():
    """`out, _ = mha(x, x, x)` is the common torch idiom: the unused weights must not be a
    pending use under the seed's locks (pytest turns BackwardGraphWarning into an error)."""
    for batch_first, x in ((True, kitty.randn(2, 5, 8)), (False, kitty.randn(5, 8))):
        mha = kitty.nn.MultiheadAttention(8, 2, batch_first=batch_first)
        out, _ = mha(x, x, x)
        out.sum().backward()
        assert mha.in_proj_weight.grad is not None and mha.out_proj.weight.grad is not None


def test_load_state_dict_takes_a_scalar_saved_as_a_one_element_vector():
    # pre-0.4 checkpoints stored 0-dim entries (num_batches_tracked, PReLU-like scalars) as shape [1]
    results = []
    for lib in (torch, kitty):
        bn = lib.nn.BatchNorm1d(2)
        sd = dict(bn.state_dict())
        sd["num_batches_tracked"] = lib.tensor([7])
        assert str(bn.load_state_dict(sd)) == "<All keys matched successfully>"
        results.append((bn.num_batches_tracked.shape, int(bn.num_batches_tracked)))
    assert results[0] == results[1] == (torch.Size([]), 7)


def test_iteration_methods_are_generators_named_as_torch_names_them():
    # tutorials print `model.parameters()`; the generator's repr names the method that made it
    names = ("parameters", "named_parameters", "buffers", "named_buffers", "children", "named_children",
             "modules", "named_modules")
    for name in names:
        made = [getattr(lib.nn.Linear(2, 2), name)() for lib in (torch, kitty)]
        assert [g.__qualname__ for g in made] == [f"Module.{name}"] * 2
