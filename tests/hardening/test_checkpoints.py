"""Checkpoints: a training state saved with kitty.save resumes bit-exactly; damaged and hostile
files are rejected without running anything; SIGKILL during save keeps the previous file.
(tests/test_serialization.py covers the format itself; these are end-to-end scenarios.)"""
from __future__ import annotations

import os
import pickle
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import kittygrad as kitty
from hardening._figures import record
from kittygrad.serialization import SerializationError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _model(seed=0):
    kitty.manual_seed(seed)
    return kitty.nn.Sequential(kitty.nn.Linear(5, 8), kitty.nn.BatchNorm1d(8), kitty.nn.ReLU(), kitty.nn.Linear(8, 2))


def _data():
    rng = np.random.default_rng(3)
    return kitty.tensor(rng.standard_normal((16, 5)), dtype=kitty.float32), kitty.tensor(rng.integers(0, 2, 16))


def _steps(model, opt, sched, n):
    x, y = _data()
    losses = []
    for _ in range(n):
        opt.zero_grad()
        loss = kitty.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


def _training():
    model = _model()
    opt = kitty.optim.AdamW(model.parameters(), lr=0.01)
    sched = kitty.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    return model, opt, sched


def test_resume_from_checkpoint_is_bit_exact(tmp_path):
    model, opt, sched = _training()
    _steps(model, opt, sched, 5)
    path = tmp_path / "train.kitty"
    kitty.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": 5}, path)
    straight = _steps(model, opt, sched, 5)
    model2, opt2, sched2 = _training()
    state = kitty.load(path)
    model2.load_state_dict(state["model"])
    opt2.load_state_dict(state["opt"])
    sched2.load_state_dict(state["sched"])
    resumed = _steps(model2, opt2, sched2, 5)
    assert resumed == straight
    for (n, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        assert a.numpy().tobytes() == b.numpy().tobytes(), n


def test_special_values_round_trip_bit_exact(tmp_path):
    vals = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -1.7976931348623157e308, 1 / 3])
    with np.errstate(over="ignore"):
        f32, f16 = vals.astype(np.float32), vals.astype(np.float16)
    arrays = {
        "f64": vals,
        "f32": f32,
        "f16": f16,
        "nan_payload": np.array([0x7FF8000000000123, 0xFFF0000000000001], dtype=np.uint64).view(np.float64),
        "int64": np.array([np.iinfo(np.int64).min, -1, 0, np.iinfo(np.int64).max]),
        "strided": np.arange(24.0).reshape(4, 6)[::2, ::-3],
    }
    obj = {k: kitty.tensor(v) for k, v in arrays.items()}
    path = tmp_path / "special.kitty"
    kitty.save(obj, path)
    back = kitty.load(path)
    for k, v in arrays.items():
        got = back[k].numpy()
        assert got.dtype == v.dtype and got.shape == v.shape, k
        assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(v).tobytes(), k


def test_damaged_checkpoints_are_rejected(tmp_path):
    model, opt, _ = _training()
    path = tmp_path / "ok.kitty"
    kitty.save({"model": model.state_dict(), "opt": opt.state_dict()}, path)
    blob = path.read_bytes()
    rng = random.Random(0)
    bad = tmp_path / "bad.kitty"
    tried = 0
    cuts = sorted({rng.randrange(len(blob)) for _ in range(60)} | {0, 1, 8, 20, len(blob) - 1})
    for cut in cuts:
        bad.write_bytes(blob[:cut])
        with pytest.raises(SerializationError) as info:
            kitty.load(bad)
        assert len(str(info.value)) > 20
        tried += 1
    for _ in range(60):
        data = bytearray(blob)
        pos = rng.randrange(len(data))
        data[pos] ^= 1 << rng.randrange(8)
        bad.write_bytes(bytes(data))
        with pytest.raises(SerializationError):
            kitty.load(bad)
        tried += 1
    record("checkpoints: damaged files rejected", f"{tried} ({len(cuts)} truncations, 60 bit flips), all SerializationError")


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_never_runs(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    blob = pickle.dumps({"model": _Payload(str(marker))})
    pickle.loads(blob)  # the payload works when unpickled...
    assert marker.exists()
    marker.unlink()

    def refuse(*a, **k):
        raise AssertionError("kitty.load handed bytes to pickle")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    evil = tmp_path / "model.kitty"
    for variant in (blob, b"KITTYGRD" + blob, blob + b"\0" * 64):
        evil.write_bytes(variant)
        for kwargs in ({}, {"weights_only": False}, {"weights_only": True}):
            with pytest.raises(SerializationError) as info:
                kitty.load(evil, **kwargs)
            assert "checkpoint" in str(info.value) or "pickle" in str(info.value)
    assert not marker.exists()


_CHILD = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    import numpy as np
    import kittygrad as kitty
    path = sys.argv[1]
    print("ready", flush=True)
    v = 1
    while True:
        v += 1
        kitty.save({{"version": v, "w": kitty.full((1_000_000,), float(v))}}, path)
        print(v, flush=True)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_during_save_keeps_a_complete_checkpoint(tmp_path):
    path = tmp_path / "ckpt.kitty"
    kitty.save({"version": 1, "w": kitty.full((1_000_000,), 1.0)}, path)
    script = tmp_path / "child.py"
    script.write_text(_CHILD.format(root=ROOT))
    rng = random.Random(1)
    kills = 6
    last_done = 1
    for _ in range(kills):
        proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.15))  # somewhere inside one of the saves
            os.kill(proc.pid, signal.SIGKILL)
            out = proc.communicate(timeout=30)[0].split()
        finally:
            if proc.poll() is None:
                proc.kill()
        finished = [int(v) for v in out]
        state = kitty.load(path)  # never a torn file
        v = state["version"]
        # the newest finished save, or the one in flight if it got renamed just before the kill
        assert v in ({last_done} | set(finished) | {max(finished, default=1) + 1})
        assert state["w"].shape == (1_000_000,) and bool((state["w"] == float(v)).all())
        last_done = v
    record("checkpoints: SIGKILL during save", f"{kills} kills at random moments, previous/complete checkpoint intact each time")
