"""SummaryWriter's images, figures, PR curves, custom scalars, embeddings, videos and graphs: event files
read back with TensorBoard's own reader and compared with what torch's SummaryWriter writes for the same
calls (byte for byte where torch can write them here)."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

pytest.importorskip("tensorboard")
torch = pytest.importorskip("torch")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader  # noqa: E402
from tensorboard.compat.proto.event_pb2 import Event  # noqa: E402
from tensorboard.plugins.custom_scalar import layout_pb2  # noqa: E402
from torch.utils.tensorboard import SummaryWriter as TorchWriter  # noqa: E402

import kittygrad as kg  # noqa: E402
from kittygrad.utils.tensorboard import SummaryWriter  # noqa: E402
from kittygrad.utils.tensorboard import writer as kg_writer  # noqa: E402

PIL = pytest.importorskip("PIL.Image")
SIZE_GUIDANCE = {"scalars": 0, "histograms": 0, "tensors": 0, "images": 0}
BOTH = (("kg", SummaryWriter, kg.tensor), ("torch", TorchWriter, torch.tensor))


def _events(path):
    files = sorted(f for f in os.listdir(path) if f.startswith("events.out.tfevents."))
    assert len(files) == 1, files
    # raw records: the loader that migrates old summaries would turn images into tensors
    records = RawEventFileLoader(os.path.join(path, files[0])).Load()
    return [Event.FromString(r) for r in records][1:]  # past the file-version event


def _load(path) -> EventAccumulator:
    acc = EventAccumulator(str(path), size_guidance=SIZE_GUIDANCE)
    acc.Reload()
    return acc


def _same_events(tmp_path, count):
    mine, ref = _events(tmp_path / "kg"), _events(tmp_path / "torch")
    assert len(mine) == len(ref) == count
    for a, b in zip(mine, ref):
        assert a.summary == b.summary
        assert (a.step, a.wall_time) == (b.step, b.wall_time)
    return mine


# ---- add_images ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(11, 3, 4, 6), (3, 1, 5, 4), (8, 3, 2, 2), (1, 3, 3, 5)])
def test_add_images_matches_torch(tmp_path, shape):
    batch = np.random.default_rng(0).random(shape).astype(np.float32)
    for lib, Writer, wrap in BOTH:
        with Writer(tmp_path / lib) as w:
            w.add_images("nchw", wrap(batch), 3, walltime=2.0)
            w.add_images("nhwc", batch.transpose(0, 2, 3, 1), 4, walltime=2.0, dataformats="NHWC")
            w.add_images("u8", (batch * 255).astype(np.uint8), 5, walltime=2.0)
    mine = _same_events(tmp_path, 3)
    img = mine[0].summary.value[0].image
    n, _, h, w = shape
    cols = min(n, 8)
    assert (img.height, img.width, img.colorspace) == (h * -(-n // cols), w * cols, 3)
    # the first image sits in the top-left corner, unchanged
    picture = np.asarray(PIL.open(io.BytesIO(img.encoded_image_string)))
    first = (batch[0].transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(picture[:h, :w], np.broadcast_to(first, (h, w, 3)))


def test_add_images_rejects_a_mismatched_format(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(AssertionError, match="input format"):
        w.add_images("x", np.zeros((2, 3, 4)), 0)


# ---- add_figure ---------------------------------------------------------------------------------


def _figure(plt, seed, dpi=80):
    fig = plt.figure(figsize=(2.5, 1.5), dpi=dpi)
    plt.plot(np.random.default_rng(seed).random(6))
    plt.title(f"figure {seed}")
    return fig


def test_add_figure_matches_torch_and_closes(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    plt = pytest.importorskip("matplotlib.pyplot")
    kept = []
    for lib, Writer, _ in BOTH:
        with Writer(tmp_path / lib) as w:
            fig = _figure(plt, 0)
            w.add_figure("one", fig, 1, walltime=3.0)
            assert not plt.fignum_exists(fig.number)  # close=True
            figs = [_figure(plt, 1), _figure(plt, 2)]
            w.add_figure("many", figs, 2, close=False, walltime=3.0)
            assert all(plt.fignum_exists(f.number) for f in figs)
            kept += figs
    for fig in kept:
        plt.close(fig)
    mine = _same_events(tmp_path, 2)
    one, many = (e.summary.value[0].image for e in mine)
    assert (one.width, one.height) == (200, 120)
    assert (many.width, many.height) == (400, 120)  # two figures side by side


def test_add_figure_of_a_plain_figure_object(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    for lib, Writer, _ in BOTH:
        fig = Figure(figsize=(1.5, 1.0), dpi=60)
        fig.add_subplot().bar([0, 1, 2], [3, 1, 2])
        with Writer(tmp_path / lib) as w:
            w.add_figure("bar", fig, 0, walltime=1.0)
    _same_events(tmp_path, 1)


def test_add_figure_refuses_without_matplotlib_or_a_figure(tmp_path, monkeypatch):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(TypeError, match="matplotlib Figure"):
            w.add_figure("x", np.zeros((3, 4, 4)))
        monkeypatch.setattr(kg_writer.importlib.util, "find_spec", lambda name: None)
        with pytest.raises(ImportError, match="pip install matplotlib"):
            w.add_figure("x", object())


# ---- PR curves and custom scalars -----------------------------------------------------------------


def test_pr_curves_match_torch(tmp_path):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 200)
    predictions = rng.random(200).astype(np.float32)
    weights = rng.random(200)
    for lib, Writer, wrap in BOTH:
        with Writer(tmp_path / lib) as w:
            w.add_pr_curve("pr", wrap(labels), wrap(predictions), 1, walltime=1.0)
            w.add_pr_curve(
                "weighted", labels.astype(bool), predictions, 2, num_thresholds=13, weights=weights, walltime=1.0
            )
            w.add_pr_curve("many", labels, predictions, 3, num_thresholds=500, walltime=1.0)  # at most 127
            w.add_pr_curve(
                "edges", np.array([1, 0, 1, 0]), np.array([0.0, 0.5, 1.0, 1.0]), 4, num_thresholds=3, walltime=1.0
            )
            w.add_pr_curve_raw(
                "raw",
                [4, 3, 1],
                [3, 1, 0],
                [0, 2, 3],
                [0, 1, 3],
                [0.57, 0.75, 1.0],
                [1.0, 0.75, 0.25],
                5,
                num_thresholds=3,
                walltime=1.0,
            )
    mine = _same_events(tmp_path, 5)
    table = mine[3].summary.value[0].tensor
    assert [d.size for d in table.tensor_shape.dim] == [6, 3]
    # thresholds 0, 0.5, 1: TP row then FP row
    assert list(table.float_val[:6]) == [2, 1, 1, 2, 2, 1]
    assert [d.size for d in mine[2].summary.value[0].tensor.tensor_shape.dim] == [6, 127]


def test_custom_scalars_match_torch(tmp_path):
    layout = {
        "Loss": {"both": ["Multiline", ["loss/train", "loss/val"]], "band": ["Margin", ["m", "lo", "hi"]]},
        "Acc": {"acc": ["Multiline", ["acc/.*"]]},
    }
    for lib, Writer, _ in BOTH:
        with Writer(tmp_path / lib) as w:
            w.add_custom_scalars(layout)
            w.add_custom_scalars_multilinechart(["a", "b"], category="C", title="T")
            w.add_custom_scalars_marginchart(["v", "l", "u"])
    mine, ref = _events(tmp_path / "kg"), _events(tmp_path / "torch")
    assert [e.summary for e in mine] == [e.summary for e in ref]
    assert [e.step for e in mine] == [0, 0, 0]
    parsed = layout_pb2.Layout.FromString(mine[0].summary.value[0].tensor.string_val[0])
    assert [c.title for c in parsed.category] == ["Loss", "Acc"]
    assert parsed.category[0].chart[1].margin.series[0].upper == "hi"
    with SummaryWriter(tmp_path / "bad") as w, pytest.raises(AssertionError):
        w.add_custom_scalars({"x": {"y": ["Margin", ["only", "two"]]}})


# ---- add_embedding ------------------------------------------------------------------------------


def _tree(root):
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.startswith("events."):
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    found[os.path.relpath(path, root)] = f.read()
    return found


def test_embedding_files_match_torch(tmp_path, capsys):
    rng = np.random.default_rng(5)
    points = rng.normal(size=(10, 4)).astype(np.float32)
    thumbs = rng.random((10, 3, 6, 6)).astype(np.float32)
    for lib, Writer, wrap in BOTH:
        with Writer(tmp_path / lib) as w:
            w.add_embedding(
                wrap(points), metadata=list("abcdefghij"), label_img=wrap(thumbs), global_step=7, tag="layer/1"
            )
            w.add_embedding(points[:3], metadata=[[1, "x"], [2, "y"], [3, "z"]], metadata_header=["id", "name"])
            w.add_embedding(wrap(points[:2].astype(np.float64)), tag="100%")
            w.add_embedding(points[:2], tag="100%")  # same place again: a warning, then overwritten
    assert capsys.readouterr().out.count("Embedding dir exists") == 2
    mine, ref = _tree(tmp_path / "kg"), _tree(tmp_path / "torch")
    assert sorted(mine) == sorted(ref)
    assert "00007/layer%2f1/sprite.png" in mine and "00000/100%25/tensors.tsv" in mine
    for name in mine:
        assert mine[name] == ref[name], name
    config = mine["projector_config.pbtxt"].decode()
    assert config.count("embeddings {") == 4 and 'tensor_name: "layer/1:00007"' in config


def test_embedding_checks_sizes(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(AssertionError, match="#labels"):
            w.add_embedding(np.zeros((3, 2)), metadata=["a"])
        with pytest.raises(AssertionError, match="#images"):
            w.add_embedding(np.zeros((3, 2)), label_img=np.zeros((2, 3, 4, 4)), global_step=1)
        with pytest.raises(AssertionError, match="mat should be 2D"):
            w.add_embedding(np.zeros((3, 2, 2)), global_step=2)
        with pytest.raises(AssertionError, match="header"):
            w.add_embedding(np.zeros((2, 2)), metadata=[[1, 2], [3, 4]], metadata_header=["one"], global_step=3)


# ---- add_video ----------------------------------------------------------------------------------


def _gif_frames(data, step):
    """The frames as shown, one per ``step`` ms (Pillow merges a repeated frame into a longer one)."""
    gif = PIL.open(io.BytesIO(data))
    frames = []
    for i in range(gif.n_frames):
        gif.seek(i)
        frames += [np.asarray(gif.convert("RGB"))] * (gif.info["duration"] // step)
    gif.seek(0)
    return gif, frames


@pytest.mark.parametrize("n", [1, 3, 4, 5])
def test_add_video_lays_clips_out_as_torch_and_plays(tmp_path, n):
    from torch.utils.tensorboard._utils import _prepare_video  # torch's layout, for reference

    rng = np.random.default_rng(n)
    # a few exact colours, so the GIF palette keeps every value
    clips = rng.integers(0, 4, size=(n, 5, 3, 4, 6)).astype(np.float32) / 3
    with SummaryWriter(tmp_path) as w:
        w.add_video("clip", kg.tensor(clips), 2, fps=5)
    (event,) = [e for e in _events(tmp_path) if e.HasField("summary")]
    img = event.summary.value[0].image
    expected = (_prepare_video(clips.copy()) * 255).clip(0, 255).astype(np.uint8)  # (T, H, W, C)
    assert (img.height, img.width, img.colorspace) == expected.shape[1:]
    gif, frames = _gif_frames(img.encoded_image_string, 200)
    assert gif.info.get("loop") == 0
    assert len(frames) == 5
    for got, want in zip(frames, expected):
        np.testing.assert_array_equal(got, want)


def test_add_video_uint8_and_grey(tmp_path):
    clips = np.zeros((2, 3, 1, 2, 2), dtype=np.uint8)
    clips[1, :, 0] = 200
    with SummaryWriter(tmp_path) as w:
        w.add_video("grey", clips, 0)
        with pytest.raises(ValueError, match="5-D"):
            w.add_video("bad", np.zeros((2, 3, 4)), 0)
    (event,) = [e for e in _events(tmp_path) if e.HasField("summary")]
    img = event.summary.value[0].image
    assert (img.height, img.width, img.colorspace) == (2, 4, 1)
    _, frames = _gif_frames(img.encoded_image_string, 250)  # fps=4
    assert len(frames) == 3 and frames[0][:, :2].max() == 0 and (frames[0][:, 2:] == 200).all()


# ---- add_graph ----------------------------------------------------------------------------------


def _net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
            self.norm = nn.BatchNorm1d(3)

        def forward(self, image):
            return self.norm(self.head(lib.relu(self.conv(image)))).softmax(-1)

    return Net().eval()


def _scopes(graph):
    return {n.name.rsplit("/", 1)[0] for n in graph.node if n.name.startswith("Net")}


def _io(graph):
    return {
        (n.name.split("/")[0], tuple(tuple(d.size for d in s.dim) for s in n.attr["_output_shapes"].list.shape))
        for n in graph.node
        if n.op == "IO Node"
    }


def test_add_graph_writes_a_graph_def_grouped_by_module(tmp_path):
    for (lib, Writer, wrap), module in zip(BOTH, (kg, torch)):
        with Writer(tmp_path / lib) as w:
            w.add_graph(_net(module), wrap(np.zeros((2, 1, 6, 6), dtype=np.float32)))
    mine, ref = _load(tmp_path / "kg"), _load(tmp_path / "torch")
    graph, torch_graph = mine.Graph(), ref.Graph()
    assert mine.Tags()["graph"] and mine.Tags()["run_metadata"] == ref.Tags()["run_metadata"] == ["step1"]
    # the same module groups as torch's trace, and the same inputs and outputs
    assert _scopes(graph) - {"Net"} <= _scopes(torch_graph)
    assert {"Net/Conv2d[conv]", "Net/Sequential[head]/Linear[1]", "Net/BatchNorm1d[norm]"} <= _scopes(graph)
    assert _io(graph) == _io(torch_graph) == {("input", ((2, 1, 6, 6),)), ("output", ((2, 3),))}
    names = {n.name: n for n in graph.node}
    assert "input/image" in names
    (weight_shape,) = names["Net/Conv2d[conv]/weight"].attr["_output_shapes"].list.shape
    assert [d.size for d in weight_shape.dim] == [2, 1, 3, 3]
    # every input names a node of the graph, and the output is reached from the input
    for node in graph.node:
        for source in node.input:
            assert source.split(":")[0] in names, source
    reached, stack = set(), ["output/output.1"]
    while stack:
        name = stack.pop()
        if name not in reached:
            reached.add(name)
            stack.extend(s.split(":")[0] for s in names[name].input)
    assert {"input/image", "Net/Conv2d[conv]/weight", "Net/Sequential[head]/Linear[1]/bias"} <= reached


def test_add_graph_of_several_inputs_and_outputs(tmp_path):
    class Pair(kg.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = kg.nn.Linear(2, 2)

        def forward(self, a, b):
            return {"sum": self.lin(a) + b, "diff": a - b}

    with SummaryWriter(tmp_path) as w:
        w.add_graph(Pair(), [kg.ones(3, 2), kg.zeros(3, 2)], verbose=False)
    graph = _load(tmp_path).Graph()
    names = {n.name: n for n in graph.node}
    assert {"input/a", "input/b", "output/output.1", "output/output.2"} <= set(names)
    assert names["output/output.2"].input[0].startswith("Pair/")
    # the model ran without building a backward graph, and its hooks are gone
    model = Pair()
    with SummaryWriter(tmp_path / "again") as w:
        w.add_graph(model, (kg.ones(1, 2), kg.ones(1, 2)))
    assert not model._forward_hooks and not model.lin._forward_pre_hooks
