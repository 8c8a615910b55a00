"""Checkpoint interop: files written by real torch load in kittygrad bit-exactly (zip and legacy
formats, views, every dtype, training checkpoints with optimizer state), kittygrad's
format="torch" files load with torch.load(weights_only=True), and safetensors both ways.
(tests/hardening/test_checkpoint_interop.py holds the damaged and hostile files.)"""

from __future__ import annotations

import collections
import io
import os
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest
import torch
from safetensors.torch import load_file as st_load_file
from safetensors.torch import save_file as st_save_file

import kittygrad as kitty
from kittygrad.serialization import SafetensorsDict, SerializationError

TORCH_DTYPES = {
    "float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "int64": torch.int64, "int32": torch.int32, "int16": torch.int16, "int8": torch.int8, "uint8": torch.uint8,
    "bool": torch.bool,
}  # fmt: skip


def _bits(t) -> bytes:
    """A tensor's values as raw bytes (bfloat16 through its 16-bit pattern), for bit-exact checks."""
    if isinstance(t, torch.Tensor):
        t = t.contiguous()
        return (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
    return np.ascontiguousarray(t._data).tobytes()  # _data: .numpy() refuses bfloat16, as torch


def _same(k, t) -> None:
    assert str(k.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(k.shape) == tuple(t.shape)
    assert _bits(k) == _bits(t)


def _every_dtype_torch():
    g = torch.Generator().manual_seed(0)
    out = {}
    special = torch.tensor([0.0, -0.0, float("inf"), -float("inf"), float("nan"), 1e-45, 3.4e38, 1 / 3])
    for name, dt in TORCH_DTYPES.items():
        if dt.is_floating_point:
            out[name] = torch.randn(3, 5, generator=g).to(dt)
            out[name + "_special"] = special.to(dt)
        elif dt == torch.bool:
            out[name] = torch.rand(4, 3, generator=g) > 0.5
        else:
            info = torch.iinfo(dt)
            out[name] = torch.tensor([info.min, -1 if info.min < 0 else 0, 0, 1, info.max], dtype=dt)
    out["nan_payload"] = torch.tensor([0x7FF8000000000123, -0x000FFFFFFFFFFFFF], dtype=torch.int64).view(torch.float64)
    out["scalar"] = torch.tensor(2.5)
    out["empty"] = torch.zeros(0, 4)
    return out


# ---------------------------------------------------------------------------------------------
# torch -> kittygrad


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_every_dtype_from_torch_is_bit_exact(tmp_path, legacy):
    ref = _every_dtype_torch()
    path = tmp_path / "dtypes.pt"
    torch.save(ref, path, _use_new_zipfile_serialization=not legacy)
    got = kitty.load(path)
    assert list(got) == list(ref)
    for name, t in ref.items():
        _same(got[name], t)


def test_model_state_dict_from_torch_loads_into_kittygrad_modules(tmp_path):
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Flatten(),
                             torch.nn.Linear(4 * 4 * 4, 3))  # fmt: skip
    tm.train()
    tm(torch.randn(5, 1, 6, 6))  # running stats and num_batches_tracked move
    path = tmp_path / "model.pt"
    torch.save(tm.state_dict(), path)
    sd = kitty.load(path)
    assert isinstance(sd, collections.OrderedDict) and sd._metadata == tm.state_dict()._metadata
    km = kitty.nn.Sequential(kitty.nn.Conv2d(1, 4, 3), kitty.nn.BatchNorm2d(4), kitty.nn.ReLU(), kitty.nn.Flatten(),
                             kitty.nn.Linear(4 * 4 * 4, 3))  # fmt: skip
    assert not km.load_state_dict(sd).missing_keys
    for (kn, kv), (tn, tv) in zip(km.state_dict().items(), tm.state_dict().items()):
        assert kn == tn
        _same(kv, tv)
    tm.eval()
    km.eval()
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(
        km(kitty.tensor(x)).detach().numpy(), tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_load_state_dict_assign_takes_the_loaded_tensors(tmp_path):
    tl = torch.nn.Linear(3, 2)
    torch.save(tl.state_dict(), tmp_path / "lin.pt")
    sd = kitty.load(tmp_path / "lin.pt")
    km = kitty.nn.Linear(3, 2)
    km.load_state_dict(sd, assign=True)
    assert isinstance(km.weight, kitty.nn.Parameter) and km.weight.requires_grad
    assert np.shares_memory(km.weight.detach().numpy(), sd["weight"].numpy())
    with pytest.raises(RuntimeError, match="Unexpected key"):
        km.load_state_dict({**sd, "extra": kitty.ones(1)}, strict=True)
    assert km.load_state_dict({**sd, "extra": kitty.ones(1)}, strict=False).unexpected_keys == ["extra"]


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_views_of_one_storage_stay_views(tmp_path, legacy):
    base = torch.arange(24.0).reshape(4, 6)
    obj = {"base": base, "rows": base[1:3], "cols": base[:, ::2], "t": base.t(), "flat": base.view(-1)[5:9],
           "expanded": torch.arange(3.0).expand(4, 3), "again": base}  # fmt: skip
    torch.save(obj, tmp_path / "views.pt", _use_new_zipfile_serialization=not legacy)
    got = kitty.load(tmp_path / "views.pt")
    for k, v in obj.items():
        _same(got[k], v)
        assert got[k].stride() == v.stride(), k
    assert got["again"] is got["base"]  # one tensor object saved twice loads as one object
    got["base"].add_(100.0)  # in place through the base reaches every view
    for k in ("rows", "cols", "t", "flat"):
        assert (got[k].numpy() >= 100).all(), k
    assert not (got["expanded"].numpy() >= 100).any()


def test_parameters_and_requires_grad_come_back(tmp_path):
    p = torch.nn.Parameter(torch.randn(3))
    frozen = torch.nn.Parameter(torch.randn(2), requires_grad=False)
    torch.save({"p": p, "frozen": frozen, "leaf": torch.ones(2, requires_grad=True)}, tmp_path / "p.pt")
    got = kitty.load(tmp_path / "p.pt")
    assert isinstance(got["p"], kitty.nn.Parameter) and got["p"].requires_grad
    assert isinstance(got["frozen"], kitty.nn.Parameter) and not got["frozen"].requires_grad
    assert got["leaf"].requires_grad and not isinstance(got["leaf"], kitty.nn.Parameter)
    _same(got["p"].detach(), p.detach())


def test_plain_values_and_containers_from_torch(tmp_path):
    obj = {"int": 3, "big": 2**80, "float": 0.1, "str": "é", "bytes": b"\x00\xff", "none": None, "bool": True,
           "tuple": (1, (2, "x")), "list": [1, [2.5]], "set": {1, 2}, "size": torch.Size([2, 3]), "dtype": torch.bfloat16,
           "complex": 1 + 2j, 5: "int key", (1, 2): "tuple key"}  # fmt: skip
    torch.save(obj, tmp_path / "plain.pt")
    got = kitty.load(tmp_path / "plain.pt")
    assert got["size"] == kitty.Size([2, 3]) and type(got["size"]) is kitty.Size
    assert got["dtype"] is kitty.bfloat16
    for k in obj:
        if k not in ("size", "dtype"):
            assert got[k] == obj[k] and type(got[k]) is type(obj[k]), k


def _torch_training(opt_name):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    opt = {
        "adam": lambda p: torch.optim.Adam(p, lr=0.01),
        "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
        "sgd": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
    }[opt_name](model.parameters())
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched


def _kitty_training(opt_name):
    model = kitty.nn.Sequential(kitty.nn.Linear(4, 8), kitty.nn.Tanh(), kitty.nn.Linear(8, 2))
    opt = {
        "adam": lambda p: kitty.optim.Adam(p, lr=0.5),
        "adamw": lambda p: kitty.optim.AdamW(p, lr=0.5),
        "sgd": lambda p: kitty.optim.SGD(p, lr=0.5, momentum=0.1, nesterov=True),
        "rmsprop": lambda p: kitty.optim.RMSprop(p, lr=0.5),
    }[opt_name](model.parameters())
    sched = kitty.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched


def _train(lib, model, opt, sched, steps):
    rng = np.random.default_rng(7)
    x = lib.tensor(rng.standard_normal((16, 4)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 2, 16))
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("opt_name", ["adam", "adamw", "sgd", "rmsprop"])
def test_training_checkpoint_from_torch_resumes_in_kittygrad(tmp_path, opt_name):
    model, opt, sched = _torch_training(opt_name)
    _train(torch, model, opt, sched, 3)
    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "epoch": 3}
    torch.save(ckpt, tmp_path / "ckpt.pt")
    state = kitty.load(tmp_path / "ckpt.pt")
    km, kopt, ksched = _kitty_training(opt_name)
    km.load_state_dict(state["model"])
    kopt.load_state_dict(state["optimizer"])
    ksched.load_state_dict(state["scheduler"])
    assert state["epoch"] == 3 and kopt.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for p, ref in zip(km.parameters(), model.parameters()):
        for key, value in opt.state[ref].items():
            if isinstance(value, torch.Tensor):
                _same(kopt.state[p][key], value)
    # both continue from the same state: the same losses and parameters (to rounding)
    want = _train(torch, model, opt, sched, 3)
    got = _train(kitty, km, kopt, ksched, 3)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    for p, ref in zip(km.parameters(), model.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), ref.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_map_location_and_mmap(tmp_path):
    ref = {"w": torch.randn(4, 3), "v": torch.arange(5)}
    path = tmp_path / "m.pt"
    torch.save(ref, path)
    for loc in (None, "cpu", kitty.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage):
        got = kitty.load(path, map_location=loc)
        _same(got["w"], ref["w"])
    with pytest.raises(RuntimeError, match="CPU only"):
        kitty.load(path, map_location="cuda:0")
    before = path.read_bytes()
    mapped = kitty.load(path, mmap=True)
    _same(mapped["w"], ref["w"])
    mapped["w"].mul_(0.0)  # copy-on-write: the file keeps its bytes
    assert path.read_bytes() == before
    assert any(type(b).__name__ == "memmap" for b in _bases(mapped["v"].numpy()))
    plain = kitty.load(path)
    assert not any(type(b).__name__ == "memmap" for b in _bases(plain["v"].numpy()))
    with pytest.raises(ValueError, match="file path"):
        kitty.load(io.BytesIO(before), mmap=True)


def _bases(arr):
    while arr is not None:
        yield arr
        arr = getattr(arr, "base", None)


def test_file_objects_and_byte_streams(tmp_path):
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf)
    buf.seek(0)
    _same(kitty.load(buf)["w"], torch.ones(2))
    out = io.BytesIO()
    kitty.save({"w": kitty.ones(2)}, out, format="torch")
    out.seek(0)
    _same(kitty.load(out)["w"], torch.ones(2))
    out.seek(0)
    assert torch.load(out, weights_only=True)["w"].tolist() == [1.0, 1.0]


def test_other_pickled_objects_are_refused_naming_the_global(tmp_path):
    torch.save({"model": torch.nn.Linear(2, 2)}, tmp_path / "module.pt")
    with pytest.raises(SerializationError, match="torch.nn.modules.linear.Linear"):
        kitty.load(tmp_path / "module.pt")
    torch.save({"rng": np.random.default_rng(0).standard_normal(2)}, tmp_path / "np.pt")
    with pytest.raises(SerializationError, match="numpy"):
        kitty.load(tmp_path / "np.pt")
    torch.save({"c": torch.ones(2, dtype=torch.complex64)}, tmp_path / "complex.pt")
    with pytest.raises(SerializationError, match="complex"):
        kitty.load(tmp_path / "complex.pt")


# ---------------------------------------------------------------------------------------------
# kittygrad -> torch


def _every_dtype_kitty():
    """The same tensors as _every_dtype_torch, made in kittygrad from their bits."""
    out = {}
    for name, t in _every_dtype_torch().items():
        if t.dtype == torch.bfloat16:
            out[name] = kitty.from_numpy(t.view(torch.int16).numpy().view(ml_dtypes.bfloat16).copy())
        else:
            out[name] = kitty.from_numpy(t.numpy().copy())
    return out


def test_every_dtype_to_torch_is_bit_exact(tmp_path):
    src = _every_dtype_kitty()
    path = tmp_path / "k.pt"
    kitty.save(src, path, format="torch")
    got = torch.load(path, weights_only=True)
    assert list(got) == list(src)
    for name, t in src.items():
        _same(t, got[name])
    again = kitty.load(path)  # and back into kittygrad
    for name, t in src.items():
        _same(again[name], got[name])


def test_kittygrad_state_dicts_and_training_checkpoints_load_in_torch(tmp_path):
    km, kopt, ksched = _kitty_training("adam")
    _train(kitty, km, kopt, ksched, 3)
    path = tmp_path / "kitty_ckpt.pt"
    kitty.save({"model": km.state_dict(), "optimizer": kopt.state_dict(), "scheduler": ksched.state_dict(), "step": 3},
               path, format="torch")  # fmt: skip
    state = torch.load(path, weights_only=True)
    tm, topt, tsched = _torch_training("adam")
    tm.load_state_dict(state["model"])
    topt.load_state_dict(state["optimizer"])
    tsched.load_state_dict(state["scheduler"])
    assert state["model"]._metadata == km.state_dict()._metadata
    for (kn, kv), (tn, tv) in zip(km.state_dict().items(), tm.state_dict().items()):
        assert kn == tn
        _same(kv, tv)
    for p, ref in zip(km.parameters(), tm.parameters()):
        for key, value in topt.state[ref].items():
            _same(kopt.state[p][key], value)
    np.testing.assert_allclose(_train(torch, tm, topt, tsched, 2), _train(kitty, km, kopt, ksched, 2), rtol=1e-5)


def test_views_and_shared_tensors_stay_shared_in_torch(tmp_path):
    base = kitty.arange(12.0).reshape(3, 4)
    p = kitty.nn.Parameter(kitty.ones(3))
    obj = {"base": base, "row": base[1], "t": base.T, "cols": base[:, 1::2], "p": p, "p_again": p}
    kitty.save(obj, tmp_path / "v.pt", format="torch")
    got = torch.load(tmp_path / "v.pt", weights_only=True)
    assert got["p_again"] is got["p"] and isinstance(got["p"], torch.nn.Parameter)
    ptr = got["base"].untyped_storage().data_ptr()
    for k in ("row", "t", "cols"):
        assert got[k].untyped_storage().data_ptr() == ptr, k
        assert got[k].stride() == obj[k].stride() and got[k].storage_offset() == obj[k].storage_offset(), k
        _same(obj[k], got[k])
    got["base"].add_(100)
    assert (got["row"] >= 100).all() and (got["cols"] >= 100).all()


def test_format_torch_refuses_what_torch_would_not_load(tmp_path):
    target = tmp_path / "x.pt"
    target.write_bytes(b"previous")
    for bad in ({"f": frozenset([1])}, {"m": kitty.nn.Linear(1, 1)}, {"a": np.ones(2)}, {"fn": len}):
        with pytest.raises(TypeError):
            kitty.save(bad, target, format="torch")
    assert target.read_bytes() == b"previous"  # nothing written
    cyc: list = []
    cyc.append(cyc)
    with pytest.raises(ValueError, match="cycle"):
        kitty.save(cyc, target, format="torch")
    with pytest.raises(ValueError, match="format"):
        kitty.save({}, target, format="onnx")


# ---------------------------------------------------------------------------------------------
# safetensors


def test_safetensors_from_torch(tmp_path):
    ref = _every_dtype_torch()
    path = tmp_path / "t.safetensors"
    st_save_file(ref, str(path), metadata={"format": "pt", "note": "from torch"})
    got = kitty.load(path)
    assert isinstance(got, SafetensorsDict) and got.metadata == {"format": "pt", "note": "from torch"}
    assert set(got) == set(ref)
    for k, v in ref.items():
        _same(got[k], v)


def test_safetensors_to_torch_and_metadata_round_trip(tmp_path):
    src = _every_dtype_kitty()
    path = tmp_path / "k.safetensors"
    kitty.save(src, path, metadata={"epoch": "3"})  # the extension picks the format
    got = st_load_file(str(path))
    for k, v in src.items():
        _same(v, got[k])
    back = kitty.load(path)
    assert back.metadata == {"epoch": "3"}
    kitty.save(back, tmp_path / "again.safetensors")  # metadata travels with the loaded dict
    assert kitty.load(tmp_path / "again.safetensors").metadata == {"epoch": "3"}
    buf = io.BytesIO()
    kitty.save({"w": kitty.ones(2)}, buf, format="safetensors")
    buf.seek(0)
    assert kitty.load(buf)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="str -> tensor"):
        kitty.save({"nested": {"w": kitty.ones(1)}}, tmp_path / "bad.safetensors")
    with pytest.raises(ValueError, match="metadata"):
        kitty.save({"w": kitty.ones(1)}, tmp_path / "w.kitty", metadata={"a": "b"})


def test_kittygrad_format_is_still_the_default(tmp_path):
    kitty.save({"w": kitty.ones(2)}, tmp_path / "model.pt")
    assert (tmp_path / "model.pt").read_bytes()[:8] == b"KITTYGRD"


# ---------------------------------------------------------------------------------------------
# the example


_WITHOUT_TORCH = """
import runpy, sys

class NoTorch:  # makes `import torch` fail, as on a machine without it
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("torch is not installed here")

sys.meta_path.insert(0, NoTorch())
sys.argv = ["finetune_from_torch"] + sys.argv[1:]
runpy.run_module("kittygrad.examples.finetune_from_torch", run_name="__main__")
assert "torch" not in sys.modules
"""


def test_finetune_example_round_trips_through_torch(tmp_path):
    """The example runs with torch unimportable; torch then loads what it saved."""
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TORCH, "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "test accuracy" in result.stdout
    state = torch.load(tmp_path / "finetuned.pt", weights_only=True)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    model.load_state_dict(state["model"])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    opt.load_state_dict(state["optimizer"])  # the kittygrad optimizer's state, in torch's format
    from sklearn.datasets import load_digits

    pretrained = kitty.load(os.path.join(os.path.dirname(kitty.__file__), "examples", "data", "digits_mlp_torch.pt"))
    data = load_digits()
    x = (torch.tensor(data.data, dtype=torch.float32) - pretrained["mean"]) / pretrained["std"]
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == torch.tensor(data.target)).float().mean().item()
    assert accuracy > 0.8  # torch runs the fine-tuned weights and gets all ten digits mostly right
    tensors = st_load_file(str(tmp_path / "finetuned.safetensors"))
    assert set(tensors) == set(state["model"])
    for k, v in tensors.items():
        assert torch.equal(v, state["model"][k])
