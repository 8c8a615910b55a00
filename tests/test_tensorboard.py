"""kittygrad.utils.tensorboard.SummaryWriter: event files read back with TensorBoard's own reader, and
compared with what torch's SummaryWriter writes for the same calls."""
from __future__ import annotations

import os
import re
import socket

import numpy as np
import pytest

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402

import kittygrad as kg  # noqa: E402
from kittygrad.utils.tensorboard import SummaryWriter  # noqa: E402

try:  # the reference: tests comparing with torch's SummaryWriter skip without it
    import torch
    import torch.utils.tensorboard as torch_tb
except ImportError:  # pragma: no cover - depends on the environment
    torch = torch_tb = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

SIZE_GUIDANCE = {"scalars": 0, "histograms": 0, "tensors": 0, "images": 0}


def _load(path) -> EventAccumulator:
    acc = EventAccumulator(str(path), size_guidance=SIZE_GUIDANCE)
    acc.Reload()
    return acc


def _events(path):
    files = sorted(f for f in os.listdir(path) if f.startswith("events.out.tfevents."))
    assert len(files) == 1, files
    return list(EventFileLoader(os.path.join(path, files[0])).Load())


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def _histos(acc, tag):
    return [(e.step, list(e.histogram_value.bucket), list(e.histogram_value.bucket_limit),
             e.histogram_value.num, e.histogram_value.min, e.histogram_value.max) for e in acc.Histograms(tag)]


def test_event_file_name_and_directory(tmp_path):
    with SummaryWriter(tmp_path / "run", filename_suffix=".sfx") as w:
        w.add_scalar("x", 1.0, 0)
        assert w.get_logdir() == str(tmp_path / "run")
    (name,) = os.listdir(tmp_path / "run")
    host = re.escape(socket.gethostname())
    assert re.fullmatch(rf"events\.out\.tfevents\.\d{{10}}\.{host}\.{os.getpid()}\.\d+\.sfx", name), name


def test_default_log_dir_is_runs_date_host(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.close()
    (sub,) = os.listdir(tmp_path / "runs")
    assert re.fullmatch(r"[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname()) + r"_lr0\.1", sub)
    assert w.get_logdir() == os.path.join("runs", sub)


def test_scalars_from_tensors_numbers_and_arrays(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", kg.tensor(2.5), 0)
        w.add_scalar("loss", 1.25, 1)
        w.add_scalar("loss", np.float32(0.5), 2, walltime=123.0)
        w.add_scalar("loss", kg.tensor([0.25]), 3)
        w.add_scalar("acc", np.array(7), 5)
    acc = _load(tmp_path)
    assert set(acc.Tags()["scalars"]) == {"loss", "acc"}
    assert _scalars(acc, "loss") == [(0, 2.5), (1, 1.25), (2, 0.5), (3, 0.25)]
    assert acc.Scalars("loss")[2].wall_time == 123.0
    assert _scalars(acc, "acc") == [(5, 7.0)]


def test_scalar_must_be_zero_d(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(AssertionError):
        w.add_scalar("bad", kg.tensor([1.0, 2.0]), 0)


@needs_torch
@pytest.mark.parametrize("double", [False, True])
def test_new_style_scalar_matches_torch(tmp_path, double):
    for lib, Writer in (("kg", SummaryWriter), ("torch", torch_tb.SummaryWriter)):
        with Writer(tmp_path / lib) as w:
            w.add_scalar("s", 0.1, 4, walltime=1.0, new_style=True, double_precision=double)
    mine, ref = _events(tmp_path / "kg"), _events(tmp_path / "torch")
    assert [e.summary for e in mine] == [e.summary for e in ref]
    assert [(e.step, e.wall_time) for e in mine[1:]] == [(e.step, e.wall_time) for e in ref[1:]]


@needs_torch
def test_scalars_and_histograms_match_torch(tmp_path):
    rng = np.random.default_rng(0)
    data = [rng.normal(size=200).astype(np.float32) for _ in range(3)]
    for lib, Writer, wrap in (("kg", SummaryWriter, kg.tensor), ("torch", torch_tb.SummaryWriter, torch.tensor)):
        with Writer(tmp_path / lib) as w:
            for step, values in enumerate(data):
                w.add_scalar("loss", wrap(float(values.mean())), step * 10)
                w.add_histogram("weights", wrap(values), step * 10)
                w.add_histogram("auto", values, step * 10, bins="auto")
                w.add_histogram("ten", values * 3 + 1, step * 10, bins=10)
                w.add_histogram("merged", values, step * 10, max_bins=50)
            w.add_histogram("ints", np.array([0, 0, 1, 5, 5, 5]), 0)
            w.add_histogram("one", 3.0, 0)
    mine, ref = _load(tmp_path / "kg"), _load(tmp_path / "torch")
    assert _scalars(mine, "loss") == _scalars(ref, "loss")
    assert [s for s, _ in _scalars(mine, "loss")] == [0, 10, 20]
    assert sorted(mine.Tags()["histograms"]) == sorted(ref.Tags()["histograms"])
    for tag in ("weights", "auto", "ten", "merged", "ints", "one"):
        assert _histos(mine, tag) == _histos(ref, tag), tag
    h = mine.Histograms("weights")[0].histogram_value
    assert sum(h.bucket) == 200 and h.num == 200
    assert h.sum == pytest.approx(float(data[0].astype(float).sum()))
    assert h.sum_squares == pytest.approx(float((data[0].astype(float) ** 2).sum()))


def test_empty_histogram_raises(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="no element"):
        w.add_histogram("h", kg.tensor([]), 0)


@needs_torch
def test_add_scalars_writes_one_subdirectory_per_key(tmp_path):
    for lib, Writer in (("kg", SummaryWriter), ("torch", torch_tb.SummaryWriter)):
        with Writer(tmp_path / lib) as w:
            for step in range(3):
                w.add_scalars("run/loss", {"train": step * 1.0, "val": kg.tensor(step * 2.0) if lib == "kg"
                                           else step * 2.0}, step)
    subdirs = lambda p: sorted(d for d in os.listdir(p) if (p / d).is_dir())
    assert subdirs(tmp_path / "kg") == subdirs(tmp_path / "torch") == ["run_loss_train", "run_loss_val"]
    for sub in ("run_loss_train", "run_loss_val"):
        mine, ref = _load(tmp_path / "kg" / sub), _load(tmp_path / "torch" / sub)
        assert mine.Tags()["scalars"] == ["run/loss"]
        assert _scalars(mine, "run/loss") == _scalars(ref, "run/loss")
    assert _scalars(_load(tmp_path / "kg" / "run_loss_val"), "run/loss") == [(0, 0.0), (1, 2.0), (2, 4.0)]


@needs_torch
def test_text_matches_torch(tmp_path):
    for lib, Writer in (("kg", SummaryWriter), ("torch", torch_tb.SummaryWriter)):
        with Writer(tmp_path / lib) as w:
            w.add_text("notes", "héllo **world**", 3, walltime=5.0)
    mine, ref = _events(tmp_path / "kg"), _events(tmp_path / "torch")
    assert mine[1].summary == ref[1].summary
    assert mine[1].step == 3 and mine[1].wall_time == 5.0
    acc = _load(tmp_path / "kg")
    assert acc.Tags()["tensors"] == ["notes/text_summary"]
    assert acc.Tensors("notes/text_summary")[0].tensor_proto.string_val == ["héllo **world**".encode()]


@needs_torch
@pytest.mark.parametrize("fmt,shape", [("CHW", (3, 5, 4)), ("HWC", (5, 4, 3)), ("HW", (5, 4)), ("CHW", (1, 5, 4))])
def test_image_matches_torch(tmp_path, fmt, shape):
    pytest.importorskip("PIL")
    values = np.random.default_rng(1).random(shape).astype(np.float32)
    for lib, Writer, img in (("kg", SummaryWriter, kg.tensor(values)), ("torch", torch_tb.SummaryWriter,
                                                                          torch.tensor(values))):
        with Writer(tmp_path / lib) as w:
            w.add_image("img", img, 2, dataformats=fmt)
            w.add_image("u8", (values * 255).astype(np.uint8), 3, dataformats=fmt)
    mine, ref = _load(tmp_path / "kg"), _load(tmp_path / "torch")
    assert sorted(mine.Tags()["images"]) == ["img", "u8"]
    for tag in ("img", "u8"):
        (a,), (b,) = mine.Images(tag), ref.Images(tag)
        assert (a.step, a.width, a.height, a.encoded_image_string) == (b.step, b.width, b.height, b.encoded_image_string)
    assert mine.Images("img")[0].encoded_image_string.startswith(b"\x89PNG")


@needs_torch
def test_hparams_match_torch(tmp_path):
    hp, metrics = {"lr": 0.1, "opt": "adam", "layers": 3, "skip": None}, {"hparam/acc": 0.75}
    for lib, Writer in (("kg", SummaryWriter), ("torch", torch_tb.SummaryWriter)):
        with Writer(tmp_path / lib) as w:
            w.add_hparams(hp, metrics, hparam_domain_discrete={"opt": ["adam", "sgd"]}, run_name="trial")
    mine, ref = _events(tmp_path / "kg" / "trial"), _events(tmp_path / "torch" / "trial")
    assert [e.summary for e in mine[1:4]] == [e.summary for e in ref[1:4]]
    acc = _load(tmp_path / "kg" / "trial")
    assert _scalars(acc, "hparam/acc") == [(0, 0.75)]


def test_purge_step_writes_restart_marker(tmp_path):
    with SummaryWriter(tmp_path, purge_step=7) as w:
        w.add_scalar("x", 1.0, 8)
    events = _events(tmp_path)
    marker = [e for e in events if e.HasField("session_log")]
    assert len(marker) == 1 and marker[0].step == 7 and marker[0].session_log.status == 1


def test_flush_then_read_and_reopen_after_close(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=10_000)
    w.add_scalar("x", 1.0, 0)
    w.flush()
    assert _scalars(_load(tmp_path), "x") == [(0, 1.0)]
    w.close()
    w.close()
    w.add_scalar("x", 2.0, 1)  # a write after close opens a new event file, as in torch
    w.close()
    assert len(os.listdir(tmp_path)) == 2
    assert sorted(_scalars(_load(tmp_path), "x")) == [(0, 1.0), (1, 2.0)]
