"""3-D norm and padding layers, lazy modules and Container, checked against torch."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty

nn = kitty.nn


def _close(k, t, atol=1e-5):
    np.testing.assert_allclose(k.detach().numpy(), t.detach().numpy(), atol=atol, rtol=1e-5)


def _same_weights(km, tm):
    for name, tp in tm.state_dict().items():
        km.state_dict()[name].copy_(kitty.tensor(tp.numpy()))


def _check_pair(km, tm, shape, seed=0):
    """Outputs, input gradients, parameter gradients and state_dict keys agree."""
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    kx, tx = kitty.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ko, to = km(kx), tm(tx)
    _close(ko, to)
    w = np.random.default_rng(seed + 1).standard_normal(tuple(to.shape)).astype(np.float32)
    (ko * kitty.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    _close(kx.grad, tx.grad, atol=1e-4)
    assert list(km.state_dict()) == list(tm.state_dict())
    for (kn, kp), (tn, tp) in zip(km.named_parameters(), tm.named_parameters()):
        assert kn == tn
        _close(kp.grad, tp.grad, atol=1e-4)


# ---- 3-D variants ------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"track_running_stats": False}, {"momentum": None}])
def test_batchnorm3d(kwargs):
    km, tm = nn.BatchNorm3d(3, **kwargs), torch.nn.BatchNorm3d(3, **kwargs)
    assert repr(km) == repr(tm)
    _same_weights(km, tm)
    _check_pair(km, tm, (2, 3, 2, 3, 4))
    for name, tb in tm.named_buffers():
        _close(dict(km.named_buffers())[name], tb)
    km.eval(), tm.eval()
    _check_pair(km, tm, (2, 3, 2, 3, 4), seed=5)


def test_batchnorm3d_rejects_other_ranks():
    with pytest.raises(ValueError, match=r"expected 5D input \(got 4D input\)"):
        nn.BatchNorm3d(2)(kitty.zeros(2, 2, 3, 3))


@pytest.mark.parametrize("kwargs", [{}, {"affine": True}, {"track_running_stats": True}])
@pytest.mark.parametrize("shape", [(2, 3, 2, 3, 4), (3, 2, 3, 4)])
def test_instancenorm3d(kwargs, shape):
    km, tm = nn.InstanceNorm3d(3, **kwargs), torch.nn.InstanceNorm3d(3, **kwargs)
    assert repr(km) == repr(tm)
    _same_weights(km, tm)
    _check_pair(km, tm, shape)


def test_instancenorm3d_rejects_other_ranks():
    with pytest.raises(ValueError, match=r"expected 4D or 5D input \(got 3D input\)"):
        nn.InstanceNorm3d(2)(kitty.zeros(2, 2, 3))


@pytest.mark.parametrize("name, args", [
    ("ZeroPad3d", (1,)), ("ZeroPad3d", ((1, 0, 2, 1, 0, 1),)), ("ConstantPad3d", (1, 2.5)),
    ("ConstantPad3d", ((0, 1, 1, 0, 2, 0), -1.0)), ("ReflectionPad3d", (1,)), ("ReflectionPad3d", ((1, 2, 0, 1, 1, 0),)),
    ("ReplicationPad3d", (2,)), ("ReplicationPad3d", ((1, 0, 2, 1, 0, 3),)), ("CircularPad3d", (1,)),
    ("CircularPad3d", ((1, 2, 0, 1, 2, 0),)),
])
@pytest.mark.parametrize("shape", [(2, 2, 3, 3, 4), (2, 3, 3, 4)])
def test_padding3d(name, args, shape):
    km, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(km) == repr(tm)
    _check_pair(km, tm, shape)


# ---- uninitialised parameters ----------------------------------------------------------------

def test_uninitialized_parameter_and_buffer():
    p, b = nn.UninitializedParameter(), nn.UninitializedBuffer()
    assert repr(p) == repr(torch.nn.UninitializedParameter()) == "<UninitializedParameter>"
    assert repr(b) == repr(torch.nn.UninitializedBuffer())
    assert p.requires_grad and not b.requires_grad
    assert isinstance(p, nn.Parameter)
    with pytest.raises(ValueError, match="uninitialized parameter"):
        p + 1
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.requires_grad
    b.materialize(4, dtype=kitty.float64)
    assert type(b) is kitty.Tensor and b.shape == (4,) and b.dtype == kitty.float64


# ---- lazy modules ------------------------------------------------------------------------------

LAZY = [
    ("LazyLinear", (4,), {}, (3, 5)),
    ("LazyLinear", (4,), {"bias": False}, (2, 3, 5)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 7)),
    ("LazyConv1d", (4, 3), {"groups": 2, "bias": False}, (4, 6)),
    ("LazyConv2d", (4, 3), {"stride": 2}, (2, 2, 6, 5)),
    ("LazyConv3d", (2, 2), {}, (1, 3, 3, 4, 3)),
    ("LazyConvTranspose1d", (3, 4), {"stride": 2}, (2, 2, 5)),
    ("LazyConvTranspose2d", (2, 3), {"padding": 1, "groups": 2}, (1, 4, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), {"affine": False}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"momentum": None}, (2, 3, 2, 2)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"affine": False, "track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"bias": False}, (2, 3, 2, 3, 2)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", LAZY)
def test_lazy_module_matches_torch(name, args, kwargs, shape):
    kitty.manual_seed(7)
    torch.manual_seed(7)
    km, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(km) == repr(tm)
    assert km.has_uninitialized_params() == tm.has_uninitialized_params()
    assert list(km.state_dict()) == list(tm.state_dict())
    assert [repr(v) for v in km.state_dict().values()] == [repr(v) for v in tm.state_dict().values()]
    # the first forward initialises from the same random stream: nothing is copied across
    _check_pair(km, tm, shape)
    assert type(km) is getattr(nn, type(tm).__name__)
    assert repr(km) == repr(tm)
    assert not km._forward_pre_hooks and not km._load_state_dict_pre_hooks
    for (kn, kp), (tn, tp) in zip(km.state_dict().items(), tm.state_dict().items()):
        assert kn == tn
        _close(kp, tp)
    _check_pair(km, tm, shape, seed=3)  # a second call runs as the plain layer


def test_lazy_linear_equals_seeded_linear():
    kitty.manual_seed(3)
    lazy = nn.LazyLinear(6)
    lazy(kitty.zeros(1, 4))
    kitty.manual_seed(3)
    plain = nn.Linear(4, 6)
    _close(lazy.weight, plain.weight)
    _close(lazy.bias, plain.bias)


def test_a_lazy_modules_device_is_known_before_its_first_forward():
    # ``next(model.parameters()).device`` places the inputs of the very forward that materializes
    shown = []
    for lib in (torch, kitty):
        model = lib.nn.Sequential(lib.nn.LazyLinear(4), lib.nn.ReLU(), lib.nn.LazyBatchNorm1d())
        tensors = [*model.parameters(), *model.buffers()]
        shown.append([(str(t.device), t.is_meta, t.is_cpu, t.is_cuda) for t in tensors])
        device = next(model.parameters()).device
        assert tuple(model(lib.ones(3, 5, device=device)).shape) == (3, 4)
    assert shown[1] == shown[0]


def test_lazy_uninitialized_use_raises():
    m = nn.LazyLinear(3)
    assert isinstance(m.weight, nn.UninitializedParameter)
    with pytest.raises(ValueError, match="uninitialized parameter"):
        m.weight * 2


def test_lazy_conv_rejects_wrong_rank_and_groups():
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d"):
        nn.LazyConv2d(4, 3)(kitty.zeros(1, 2, 3, 3, 3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv1d(4, 3, groups=2)(kitty.zeros(1, 3, 5))


@pytest.mark.parametrize("name, args, shape, plain", [
    ("LazyLinear", (3,), (2, 5), torch.nn.Linear(5, 3)),
    ("LazyConv2d", (4, 3), (1, 2, 5, 5), torch.nn.Conv2d(2, 4, 3)),
    ("LazyBatchNorm1d", (), (4, 3), torch.nn.BatchNorm1d(3)),
])
def test_lazy_load_state_dict_before_forward(name, args, shape, plain):
    sd = {k: kitty.tensor(v.numpy()) for k, v in plain.state_dict().items()}
    km, tm = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    km.load_state_dict(sd)
    tm.load_state_dict(plain.state_dict())
    assert type(km).__name__ == type(tm).__name__ == name  # still lazy until the first forward
    assert km.has_uninitialized_params() is tm.has_uninitialized_params() is False
    assert repr(km) == repr(tm)
    _check_pair(km, tm, shape)
    assert type(km).__name__ == type(tm).__name__
    for kp, tp in zip(km.state_dict().values(), tm.state_dict().values()):
        _close(kp, tp)


def test_lazy_deepcopy_before_forward():
    m = copy.deepcopy(nn.LazyLinear(3))
    assert m.has_uninitialized_params()
    m(kitty.ones(2, 4))
    assert type(m) is nn.Linear and m.weight.shape == (3, 4)


def test_container_warns_and_registers():
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        c = nn.Container(a=nn.ReLU(), b=nn.Linear(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.Container(a=torch.nn.ReLU(), b=torch.nn.Linear(2, 2))
    assert repr(c) == repr(t)
    assert list(c.state_dict()) == list(t.state_dict())


def test_lazy_dtype_cast_before_forward():
    km, tm = nn.LazyBatchNorm1d().double(), torch.nn.LazyBatchNorm1d().double()
    assert list(km.state_dict()) == list(tm.state_dict())
    km(kitty.randn(4, 3, dtype=kitty.float64))
    tm(torch.randn(4, 3, dtype=torch.float64))
    assert km.weight.dtype == kitty.float64 and km.running_mean.dtype == kitty.float64
    assert km.num_batches_tracked.dtype == kitty.int64 and km.num_batches_tracked.item() == 1
    assert tm.weight.dtype == torch.float64
