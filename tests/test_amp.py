"""Automatic mixed precision (kittygrad.amp): autocast on the CPU with bfloat16 and float16, and
GradScaler, checked against torch 2.13."""
from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad.ops import _autocast


def _arrays(*shapes, seed=0):
    g = np.random.default_rng(seed)
    return [g.standard_normal(s).astype(np.float32) for s in shapes]


#: op name -> (kittygrad callable, torch callable, argument shapes)
HOOKED_CALLS = {
    "mm": (kitty.mm, torch.mm, [(3, 4), (4, 2)]),
    "bmm": (kitty.bmm, torch.bmm, [(2, 3, 4), (2, 4, 5)]),
    "matmul": (kitty.matmul, torch.matmul, [(2, 3, 4), (4, 5)]),
    "addmm": (kitty.addmm, torch.addmm, [(3, 2), (3, 4), (4, 2)]),
    "baddbmm": (kitty.baddbmm, torch.baddbmm, [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
    "addbmm": (kitty.addbmm, torch.addbmm, [(3, 5), (2, 3, 4), (2, 4, 5)]),
    "linear": (kitty.nn.functional.linear, torch.nn.functional.linear, [(3, 4), (2, 4), (2,)]),
    "conv1d": (kitty.nn.functional.conv1d, torch.nn.functional.conv1d, [(2, 3, 7), (4, 3, 3), (4,)]),
    "conv2d": (kitty.nn.functional.conv2d, torch.nn.functional.conv2d, [(2, 3, 6, 6), (4, 3, 3, 3), (4,)]),
    "conv3d": (kitty.nn.functional.conv3d, torch.nn.functional.conv3d, [(1, 2, 4, 4, 4), (3, 2, 2, 2, 2), (3,)]),
    "conv_transpose1d": (kitty.nn.functional.conv_transpose1d, torch.nn.functional.conv_transpose1d,
                         [(2, 3, 5), (3, 4, 3), (4,)]),
    "conv_transpose2d": (kitty.nn.functional.conv_transpose2d, torch.nn.functional.conv_transpose2d,
                         [(2, 3, 4, 4), (3, 4, 2, 2), (4,)]),
    "conv_transpose3d": (kitty.nn.functional.conv_transpose3d, torch.nn.functional.conv_transpose3d,
                         [(1, 2, 3, 3, 3), (2, 3, 2, 2, 2), (3,)]),
}


def test_the_lists_are_data_and_every_hooked_op_is_on_torchs_lower_precision_list():
    assert _autocast.HOOKED <= _autocast.LOWER_PRECISION
    assert set(HOOKED_CALLS) == set(_autocast.HOOKED)
    assert not (_autocast.LOWER_PRECISION & _autocast.FP32)


@pytest.mark.parametrize("name", sorted(HOOKED_CALLS))
def test_hooked_ops_run_in_float16_as_torch(name):
    kfn, tfn, shapes = HOOKED_CALLS[name]
    arrays = _arrays(*shapes)
    kin = [kitty.tensor(a, requires_grad=True) for a in arrays]
    tin = [torch.tensor(a, requires_grad=True) for a in arrays]
    with kitty.autocast("cpu", dtype=kitty.float16):
        k = kfn(*kin)
    with torch.autocast("cpu", dtype=torch.float16):
        t = tfn(*tin)
    assert k.dtype is kitty.float16 and t.dtype is torch.float16 and k.shape == tuple(t.shape)
    np.testing.assert_allclose(k.detach().numpy().astype(np.float32), t.detach().numpy().astype(np.float32),
                               rtol=2e-2, atol=2e-2)
    w = _arrays(tuple(t.shape), seed=1)[0].astype(np.float16)
    (k * kitty.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    for a, b in zip(kin, tin):
        assert a.grad.dtype is kitty.float32 and b.grad.dtype is torch.float32  # the cast's gradient comes back
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=3e-2, atol=3e-2)


def test_outside_the_list_and_float64_nothing_changes_as_torch():
    a, b = _arrays((2, 3), (3, 2))
    for lib in (kitty, torch):
        x, y = lib.tensor(a), lib.tensor(b)
        with lib.autocast("cpu", dtype=lib.float16):
            assert (x + x).dtype is lib.float32 and x.exp().dtype is lib.float32
            assert (x.double() @ y.double()).dtype is lib.float64
            assert lib.mm(x.half(), y).dtype is lib.float16  # a float16 input meets a cast float32 one
        assert (x @ y).dtype is lib.float32  # the region is over


def test_modules_under_autocast_train_as_torch():
    kitty.manual_seed(0)
    torch.manual_seed(0)
    km = kitty.nn.Sequential(kitty.nn.Linear(4, 8), kitty.nn.ReLU(), kitty.nn.Linear(8, 2))
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    with torch.no_grad():
        for kp, tp in zip(km.parameters(), tm.parameters()):
            tp.copy_(torch.tensor(kp.detach().numpy()))
    x = _arrays((5, 4))[0]
    with kitty.autocast("cpu", dtype=kitty.float16):
        ky = km(kitty.tensor(x))
        kloss = ky.float().pow(2).mean()
    with torch.autocast("cpu", dtype=torch.float16):
        ty = tm(torch.tensor(x))
        tloss = ty.float().pow(2).mean()
    assert ky.dtype is kitty.float16 and ty.dtype is torch.float16
    kloss.backward()
    tloss.backward()
    for kp, tp in zip(km.parameters(), tm.parameters()):
        assert kp.grad.dtype is kitty.float32 and tp.grad.dtype is torch.float32
        np.testing.assert_allclose(kp.grad.numpy(), tp.grad.numpy(), rtol=5e-2, atol=5e-3)


def test_nesting_disabling_and_state_as_torch():
    for lib in (kitty, torch):
        assert lib.is_autocast_enabled("cpu") is False and lib.is_autocast_enabled() is False
        with lib.autocast("cpu", dtype=lib.float16):
            assert lib.is_autocast_enabled("cpu") and lib.get_autocast_dtype("cpu") is lib.float16
            assert lib.is_autocast_enabled() is False  # no argument: CUDA's state
            with lib.autocast("cpu", enabled=False):
                assert not lib.is_autocast_enabled("cpu") and lib.get_autocast_dtype("cpu") is lib.float16
                assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype is lib.float32
            assert lib.is_autocast_enabled("cpu")
            with lib.autocast("cpu", dtype=lib.float16):
                pass
            assert lib.is_autocast_enabled("cpu")
        assert not lib.is_autocast_enabled("cpu")
        assert lib.get_autocast_dtype("cuda") is lib.float16


def test_autocast_as_a_decorator_and_per_thread():
    @kitty.autocast("cpu", dtype=kitty.float16)
    def product(a, b):
        seen.append(kitty.is_autocast_enabled("cpu"))
        return a @ b

    seen = []
    assert product(kitty.ones(2, 2), kitty.ones(2, 2)).dtype is kitty.float16
    assert seen == [True] and not kitty.is_autocast_enabled("cpu")
    other = []
    with kitty.autocast("cpu", dtype=kitty.float16):
        thread = threading.Thread(target=lambda: other.append((kitty.ones(2, 2) @ kitty.ones(2, 2)).dtype))
        thread.start()
        thread.join()
    assert other == [kitty.float32]  # autocast state is per thread, as torch's


def _warning_and_state(lib, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with lib.autocast(**kw):
                state = lib.is_autocast_enabled(kw["device_type"])
        except Exception as e:  # noqa: BLE001 - compared
            builtin = next(c for c in type(e).__mro__ if c.__module__ == "builtins")
            return builtin.__name__, str(e).replace("torch.", "kittygrad."), None
    return None, [str(w.message).replace("torch.", "kittygrad.") for w in caught], state


@pytest.mark.parametrize("kw", [
    dict(device_type="cpu", dtype="float32"), dict(device_type="cpu", dtype="float64"),
    dict(device_type="cpu", dtype="int64"), dict(device_type="cuda"), dict(device_type="xyz"), dict(device_type=1),
])
def test_unsupported_autocast_requests_as_torch(kw):
    kw_k = {k: getattr(kitty, v) if k == "dtype" else v for k, v in kw.items()}
    kw_t = {k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()}
    k, t = _warning_and_state(kitty, **kw_k), _warning_and_state(torch, **kw_t)
    if kw["device_type"] == "xyz":  # the list of device types names torch's
        assert k[0] == t[0] == "RuntimeError" and k[1].endswith("device type at start of device string: xyz")
    elif kw["device_type"] == 1:
        assert k[:2] == t[:2]
    else:
        assert k == t


def test_default_cpu_dtype_is_bfloat16_as_torch():
    assert kitty.get_autocast_dtype("cpu") is kitty.bfloat16
    assert torch.get_autocast_dtype("cpu") is torch.bfloat16
    for region in (lambda m: m.autocast("cpu"), lambda m: m.amp.autocast("cpu"), lambda m: m.cpu.amp.autocast()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # cpu.amp.autocast is deprecated in both
            with region(kitty) as k_region, region(torch) as t_region:
                assert k_region.fast_dtype is kitty.bfloat16 and t_region.fast_dtype is torch.bfloat16
                k, t = kitty.ones(2, 3) @ kitty.ones(3, 2), torch.ones(2, 3) @ torch.ones(3, 2)
                assert k.dtype is kitty.bfloat16 and t.dtype is torch.bfloat16
                assert k.tolist() == t.tolist()


#: the float32-list ops kittygrad casts up under autocast, with their arguments (input first)
FP32_CALLS = {
    "cross_entropy": lambda m, x, y: m.nn.functional.cross_entropy(x, m.tensor([0, 2, 1, 1])),
    "nll_loss": lambda m, x, y: m.nn.functional.nll_loss(x, m.tensor([0, 2, 1, 1])),
    "mse_loss": lambda m, x, y: m.nn.functional.mse_loss(x, y),
    "l1_loss": lambda m, x, y: m.nn.functional.l1_loss(x, y),
    "smooth_l1_loss": lambda m, x, y: m.nn.functional.smooth_l1_loss(x, y),
    "binary_cross_entropy_with_logits": lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(x, y),
}


@pytest.mark.parametrize("name", sorted(FP32_CALLS))
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_float32_list_losses_run_in_float32_under_autocast(name, dtype):
    x0, y0 = _arrays((4, 3), (4, 3), seed=5)
    y0 = np.abs(y0) / (1 + np.abs(y0))  # in [0, 1): also a target of probabilities
    out = {}
    for lib in (kitty, torch):
        x = lib.tensor(x0).to(getattr(lib, dtype)).requires_grad_()
        with lib.autocast("cpu", dtype=getattr(lib, dtype)):
            loss = FP32_CALLS[name](lib, x, lib.tensor(y0).to(getattr(lib, dtype)))
        loss.backward()
        out[lib] = (str(loss.dtype).split(".")[1], loss.item(), str(x.grad.dtype).split(".")[1], x.grad.float().tolist())
    (kd, kv, kg, kgrad), (td, tv, tg, tgrad) = out[kitty], out[torch]
    assert (kd, kg) == (td, tg) == ("float32", dtype)
    np.testing.assert_allclose(kv, tv, rtol=1e-5)
    np.testing.assert_allclose(kgrad, tgrad, rtol=1.6e-2, atol=1e-5)


def _bf16_training_losses(lib, steps=6):
    """A small MLP classifier trained under CPU autocast (bfloat16 by default): the loss per step."""
    g = np.random.default_rng(3)
    x0 = g.standard_normal((16, 8)).astype(np.float32)
    y0 = g.integers(0, 4, 16)
    w1, b1 = g.standard_normal((12, 8)).astype(np.float32) * 0.3, np.zeros(12, np.float32)
    w2, b2 = g.standard_normal((4, 12)).astype(np.float32) * 0.3, np.zeros(4, np.float32)
    params = [lib.nn.Parameter(lib.tensor(v)) for v in (w1, b1, w2, b2)]
    opt = lib.optim.SGD(params, lr=0.5, momentum=0.9)
    x, y = lib.tensor(x0), lib.tensor(y0)
    losses, dtypes = [], set()
    for _ in range(steps):
        opt.zero_grad()
        with lib.autocast("cpu"):
            hidden = lib.relu(lib.nn.functional.linear(x, params[0], params[1]))
            logits = lib.nn.functional.linear(hidden, params[2], params[3])
            loss = lib.nn.functional.cross_entropy(logits, y)
        dtypes.add((str(hidden.dtype), str(logits.dtype), str(loss.dtype)))
        loss.backward()
        dtypes.add(tuple(str(p.grad.dtype) for p in params))
        opt.step()
        losses.append(loss.item())
    return losses, {tuple(d.split(".")[1] for d in ds) for ds in dtypes}


def test_bfloat16_autocast_training_tracks_torch():
    k_losses, k_dtypes = _bf16_training_losses(kitty)
    t_losses, t_dtypes = _bf16_training_losses(torch)
    assert k_dtypes == t_dtypes
    assert ("bfloat16", "bfloat16", "float32") in k_dtypes  # activations in bfloat16, the loss in float32
    assert t_losses[-1] < 0.8 * t_losses[0]  # (it does learn)
    np.testing.assert_allclose(k_losses, t_losses, rtol=2e-2, atol=1e-3)


def test_cuda_amp_aliases_warn_and_disable_as_torch():
    for lib in (kitty, torch):
        with pytest.warns(FutureWarning, match=r"cuda.amp.autocast\(args...\)` is deprecated"), \
                pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
            region = lib.cuda.amp.autocast()
        with region:
            assert not lib.is_autocast_enabled() and (lib.ones(2, 2) @ lib.ones(2, 2)).dtype is lib.float32
        assert region.device == "cuda" and str(region.fast_dtype).endswith("float16")
        with pytest.warns(FutureWarning, match=r"cuda.amp.GradScaler\(args...\)` is deprecated"), \
                pytest.warns(UserWarning, match=r"cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling."):
            scaler = lib.cuda.amp.GradScaler(init_scale=8.0)
        assert isinstance(scaler, lib.amp.GradScaler)
        assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
        loss = lib.ones(1, requires_grad=True).sum()
        assert scaler.scale(loss) is loss
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.cuda.amp.GradScaler(enabled=False)
        assert [w.category for w in caught] == [FutureWarning]
        with pytest.warns(FutureWarning, match=r"cuda.amp.custom_fwd\(args...\)` is deprecated"):
            assert callable(lib.cuda.amp.custom_fwd(cast_inputs=lib.float32))
        with pytest.warns(FutureWarning, match=r"cuda.amp.custom_bwd\(args...\)` is deprecated"):
            lib.cuda.amp.custom_bwd(abs)


def test_deprecated_cpu_alias_and_low_level_switches():
    with pytest.warns(FutureWarning, match=r"cpu.amp.autocast\(args...\)` is deprecated"):
        region = kitty.cpu.amp.autocast(dtype=kitty.float16)
    with region:
        assert kitty.is_autocast_enabled("cpu") and (kitty.ones(1, 1) @ kitty.ones(1, 1)).dtype is kitty.float16
    with pytest.warns(DeprecationWarning):
        assert kitty.is_autocast_cpu_enabled() is False
    try:
        kitty.set_autocast_dtype("cpu", kitty.float16)
        kitty.set_autocast_enabled("cpu", True)
        assert (kitty.ones(1, 1) @ kitty.ones(1, 1)).dtype is kitty.float16
        with pytest.warns(DeprecationWarning):
            assert kitty.get_autocast_cpu_dtype() is kitty.float16
    finally:
        kitty.set_autocast_enabled("cpu", False)
    assert (kitty.ones(1, 1) @ kitty.ones(1, 1)).dtype is kitty.float32
    assert kitty.amp.is_autocast_available("cpu") and not kitty.amp.is_autocast_available("cuda")



@pytest.mark.parametrize("call", [
    lambda m: m.cpu.amp.autocast(),
    lambda m: m.cpu.amp.GradScaler(),
    lambda m: m.is_autocast_cpu_enabled(),
    lambda m: m.get_autocast_cpu_dtype(),
    lambda m: m.set_autocast_cpu_dtype(m.bfloat16),
    lambda m: m.get_autocast_gpu_dtype(),
])
def test_deprecated_autocast_names_warn_torchs_text_under_the_runner(call, monkeypatch):
    from kittygrad import _display
    monkeypatch.setattr(_display, "name", "torch")  # as kittygrad.run sets it
    texts = []
    for lib in (kitty, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(lib)
        texts.append([(w.category, str(w.message).split(" (Triggered internally")[0]) for w in caught])
    assert texts[0] == texts[1] and texts[0]


def test_set_autocast_enabled_takes_torchs_older_one_argument_form():
    try:
        for lib in (kitty, torch):
            lib.set_autocast_enabled(True)  # CUDA's switch, as is_autocast_enabled() without a device
            assert (lib.is_autocast_enabled(), lib.is_autocast_enabled("cuda"), lib.is_autocast_enabled("cpu")) == \
                (True, True, False)
            lib.set_autocast_enabled(False)
            assert lib.is_autocast_enabled() is False
    finally:
        kitty.set_autocast_enabled("cuda", False)
        torch.set_autocast_enabled("cuda", False)
    with pytest.raises(TypeError, match="argument 'enabled' \\(position 1\\) must be bool, not str"):
        kitty.set_autocast_enabled("cpu")
    with pytest.raises(TypeError, match="argument 'enabled' \\(position 1\\) must be bool, not str"):
        torch.set_autocast_enabled("cpu")

def test_custom_fwd_bwd_as_torch():
    def make(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            @lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float32)
            def forward(ctx, x):
                ctx.seen = (x.dtype, lib.is_autocast_enabled("cpu"))
                return x * 3

            @staticmethod
            @lib.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                ctx.back = lib.is_autocast_enabled("cpu")
                return g * 3

        class Keep(lib.autograd.Function):
            @staticmethod
            @lib.amp.custom_fwd(device_type="cpu")
            def forward(ctx, x, w):
                ctx.save_for_backward(x, w)
                return x @ w

            @staticmethod
            @lib.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                x, w = ctx.saved_tensors
                ctx.back = lib.is_autocast_enabled("cpu")
                return g @ w.t(), x.t() @ g

        return Scale, Keep

    results = []
    for lib in (kitty, torch):
        Scale, Keep = make(lib)
        x = lib.ones(2, 2, dtype=lib.float16, requires_grad=True)
        w = lib.ones(2, 2, requires_grad=True)
        with lib.autocast("cpu", dtype=lib.float16):
            y = Scale.apply(x)
            z = Keep.apply(lib.ones(2, 2, requires_grad=True), w)
        y.sum().backward()
        z.float().sum().backward()
        results.append((str(y.dtype).split(".")[1], str(z.dtype).split(".")[1], str(x.grad.dtype).split(".")[1],
                        y.grad_fn is not None))
    assert results[0] == results[1]


# ---- GradScaler ---------------------------------------------------------------------------------


def _train(lib, scaler_kw=None, steps=4, inf_at=(), lr=0.1):
    lib.manual_seed(0)
    w0, x0 = _arrays((3, 2), (5, 3))
    w = lib.nn.Parameter(lib.tensor(w0))
    opt = lib.optim.SGD([w], lr=lr)
    scaler = lib.amp.GradScaler("cpu", **scaler_kw) if scaler_kw is not None else None
    scales, skipped = [], []
    for i in range(steps):
        opt.zero_grad()
        loss = (lib.tensor(x0) @ w).pow(2).mean()
        if i in inf_at:
            loss = loss * float("inf")
        if scaler is None:
            loss.backward()
            opt.step()
            continue
        scaler.scale(loss).backward()
        skipped.append(scaler.step(opt) is None and i in inf_at)
        scaler.update()
        scales.append(scaler.get_scale())
    return w.detach().numpy(), scales, skipped, scaler


def test_grad_scaler_is_the_identity_without_infs():
    plain, _, _, _ = _train(kitty)
    scaled, scales, _, scaler = _train(kitty, {})
    np.testing.assert_allclose(scaled, plain, rtol=1e-6)
    t_scaled, t_scales, _, t_scaler = _train(torch, {})
    np.testing.assert_allclose(scaled, t_scaled, rtol=1e-5)
    assert scales == t_scales == [65536.0] * 4
    assert scaler.state_dict() == t_scaler.state_dict()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (NumPy on the inf/overflowing values)
def test_grad_scaler_skips_steps_backs_off_and_grows_as_torch():
    kw = dict(init_scale=8.0, growth_interval=2, growth_factor=4.0, backoff_factor=0.25)
    k = _train(kitty, kw, steps=7, inf_at=(1, 2))
    t = _train(torch, kw, steps=7, inf_at=(1, 2))
    np.testing.assert_allclose(k[0], t[0], rtol=1e-5)
    assert k[1] == t[1] and k[2] == t[2]
    assert k[3].state_dict() == t[3].state_dict()


def test_grad_scaler_state_dict_round_trip_as_torch():
    for lib in (kitty, torch):
        s = lib.amp.GradScaler("cpu", init_scale=16.0, growth_interval=3)
        assert s.get_scale() == 16.0 and s._get_growth_tracker() == 0
        s.load_state_dict({"scale": 4.0, "growth_factor": 3.0, "backoff_factor": 0.5, "growth_interval": 7,
                           "_growth_tracker": 2})
        assert s.state_dict() == {"scale": 4.0, "growth_factor": 3.0, "backoff_factor": 0.5, "growth_interval": 7,
                                  "_growth_tracker": 2}
        assert s.scale(lib.tensor(2.0)).item() == 8.0
        with pytest.raises(RuntimeError, match="The source state dict is empty"):
            s.load_state_dict({})


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (NumPy on the inf/overflowing values)
def test_grad_scaler_errors_as_torch():
    def unscale_twice(lib):
        w = lib.nn.Parameter(lib.ones(1))
        opt, s = lib.optim.SGD([w], lr=1.0), lib.amp.GradScaler("cpu")
        s.scale(w.sum()).backward()
        s.unscale_(opt)
        s.unscale_(opt)

    def step_twice(lib):
        w = lib.nn.Parameter(lib.ones(1))
        opt, s = lib.optim.SGD([w], lr=1.0), lib.amp.GradScaler("cpu")
        s.scale(w.sum()).backward()
        s.step(opt)
        s.step(opt)

    def unscale_after_step(lib):
        w = lib.nn.Parameter(lib.ones(1))
        opt, s = lib.optim.SGD([w], lr=1.0), lib.amp.GradScaler("cpu")
        s.scale(w.sum()).backward()
        s.step(opt)
        s.unscale_(opt)

    def update_before_scale(lib):
        lib.amp.GradScaler("cpu").update()

    def step_without_grads(lib):
        w = lib.nn.Parameter(lib.ones(1))
        opt, s = lib.optim.SGD([w], lr=1.0), lib.amp.GradScaler("cpu")
        s.scale(w.sum())
        s.step(opt)

    def fp16_grads(lib):
        w = lib.nn.Parameter(lib.ones(1, dtype=lib.float16))
        opt, s = lib.optim.SGD([w], lr=1.0), lib.amp.GradScaler("cpu")
        s.scale(w.sum()).backward()
        s.step(opt)

    def bad_factors(lib):
        lib.amp.GradScaler("cpu", growth_factor=1.0)

    def closure(lib):
        w = lib.nn.Parameter(lib.ones(1))
        opt, s = lib.optim.SGD([w], lr=1.0), lib.amp.GradScaler("cpu")
        s.scale(w.sum()).backward()
        s.step(opt, closure=lambda: None)

    def bad_outputs(lib):
        lib.amp.GradScaler("cpu").scale(3)

    for case in (unscale_twice, step_twice, unscale_after_step, update_before_scale, step_without_grads, fp16_grads,
                 bad_factors, closure, bad_outputs):
        errors = []
        for lib in (kitty, torch):
            try:
                case(lib)
                errors.append(None)
            except Exception as e:  # noqa: BLE001 - compared
                errors.append(e)
        k, t = errors
        assert t is not None and k is not None, case.__name__
        assert isinstance(k, type(t)) or type(t).__name__ in [c.__name__ for c in type(k).__mro__], case.__name__
        assert str(k) == str(t).replace("torch.", "kittygrad."), case.__name__


def test_disabled_and_cuda_scalers_pass_through_as_torch():
    for lib in (kitty, torch):
        with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
            s = lib.amp.GradScaler()
        assert not s.is_enabled() and s.get_scale() == 1.0 and s.state_dict() == {}
        w = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([w], lr=1.0)
        loss = w.sum()
        assert s.scale(loss) is loss
        loss.backward()
        s.step(opt)
        s.update()
        assert w.detach().tolist() == [0.0, 0.0]
        off = lib.amp.GradScaler("cpu", enabled=False)
        assert not off.is_enabled() and off.scale(loss) is loss


def test_scale_of_several_outputs_and_the_deprecated_alias():
    s = kitty.amp.GradScaler("cpu", init_scale=2.0)
    a, b = s.scale([kitty.tensor(1.0), kitty.tensor(3.0)])
    assert (a.item(), b.item()) == (2.0, 6.0)
    (c,) = s.scale((kitty.tensor(1.5),))
    assert c.item() == 3.0 and list(s.scale(iter([kitty.tensor(1.0)])))[0].item() == 2.0
    assert s.scale(kitty.ones(2, dtype=kitty.float16)).dtype is kitty.float16  # the 0-d scale does not promote
    with pytest.warns(FutureWarning, match=r"cpu.amp.GradScaler\(args...\)` is deprecated"):
        old = kitty.cpu.amp.GradScaler(init_scale=4.0)
    assert old.is_enabled() and old.get_scale() == 4.0
