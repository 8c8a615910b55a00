"""Summary protobufs for TensorBoard, built from kittygrad tensors, NumPy arrays or Python numbers.

Each builder returns a ``tensorboard.compat.proto.summary_pb2.Summary`` that ``FileWriter.add_summary``
wraps in an ``Event``.
"""
from __future__ import annotations

import io

from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.hparams.api_pb2 import DataType, Experiment, HParamInfo, MetricInfo, MetricName, Status
from tensorboard.plugins.custom_scalar.layout_pb2 import (
    Category,
    Chart,
    Layout,
    MarginChartContent,
    MultilineChartContent,
)
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData, SessionEndInfo, SessionStartInfo
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData
from google.protobuf.struct_pb2 import ListValue, Value

from ...backend import xp
from ...tensor import Tensor

try:
    from PIL import Image as _PILImage
except ImportError:  # pragma: no cover - depends on the environment
    _PILImage = None

__all__ = [
    "as_array", "custom_scalars", "default_bins", "histogram", "hparams", "image", "make_histogram", "pr_curve",
    "pr_curve_raw", "scalar", "text", "tile", "video",
]


def as_array(value):
    """``value`` (a kittygrad Tensor, a NumPy array, a Python number or a nested list) as an array."""
    if isinstance(value, Tensor):
        return xp.asarray(value.detach().numpy())
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor, as torch's writer accepts
        return xp.asarray(value.detach().cpu().numpy())
    return xp.asarray(value)


def default_bins() -> list[float]:
    """The bucket edges of TensorBoard's ``"tensorflow"`` histograms (torch's ``bins="tensorflow"``).

    Edges grow geometrically by a factor 1.1 from 1e-12 up to 1e20, mirrored for negative values,
    with 0 in the middle; the products are formed one at a time so the edges equal torch's bit for bit.
    """
    positive = []
    edge = 1e-12
    while edge < 1e20:
        positive.append(edge)
        edge *= 1.1
    return [-e for e in reversed(positive)] + [0] + positive


def scalar(tag: str, value, new_style: bool = False, double_precision: bool = False) -> Summary:
    """A scalar summary: a ``simple_value`` or, with ``new_style``, a 0-d tensor for the scalars plugin."""
    arr = as_array(value)
    if arr.squeeze().ndim != 0:
        raise AssertionError("scalar should be 0D")
    number = float(arr.reshape(()))
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=number)])
    if double_precision:
        tensor = TensorProto(double_val=[number], dtype="DT_DOUBLE")
    else:
        tensor = TensorProto(float_val=[number], dtype="DT_FLOAT")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=metadata)])


def _merge_buckets(counts, edges, max_bins):
    """Sum neighbouring buckets (zero-padding the last group) until at most ``max_bins`` remain."""
    group = len(counts) // max_bins
    spare = len(counts) % group
    if spare:
        counts = xp.concatenate([counts, xp.zeros(group - spare, dtype=counts.dtype)])
    counts = counts.reshape(-1, group).sum(axis=-1)
    edges = xp.concatenate([edges[:-1:group], edges[-1:]])
    return counts, edges


def make_histogram(values, bins, max_bins=None) -> HistogramProto:
    """A ``HistogramProto`` of ``values`` over ``bins`` (anything ``numpy.histogram`` takes as bins).

    Buckets run from one empty bucket before the first non-empty one to the last non-empty one; each
    ``bucket_limit`` is the right edge of its bucket (the leading empty bucket ends at the first edge
    when the first bucket is already non-empty), as torch's writer lays them out.
    """
    values = as_array(values).astype(float).reshape(-1)
    if values.size == 0:
        raise ValueError("The input has no element.")
    counts, edges = xp.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        counts, edges = _merge_buckets(counts, edges, max_bins)
    filled = xp.flatnonzero(counts)
    if filled.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    first, last = int(filled[0]), int(filled[-1])
    bucket = [0.0] + counts[first:last + 1].tolist()
    bucket_limit = edges[first:last + 2].tolist()
    return HistogramProto(min=float(values.min()), max=float(values.max()), num=int(values.size),
                          sum=float(values.sum()), sum_squares=float(values.dot(values)),
                          bucket_limit=bucket_limit, bucket=bucket)


def histogram(tag: str, values, bins, max_bins=None) -> Summary:
    """A histogram summary of ``values`` (see ``make_histogram``)."""
    return Summary(value=[Summary.Value(tag=tag, histo=make_histogram(values, bins, max_bins))])


def text(tag: str, text_string: str) -> Summary:
    """A text-plugin summary, under the tag ``<tag>/text_summary`` as torch writes it."""
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text"))
    tensor = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf_8")],
                         tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=metadata, tensor=tensor)])


def tile(batch, ncols: int = 8):
    """An ``(N, C, H, W)`` batch as one ``(C, rows * H, cols * W)`` picture: ``min(N, ncols)`` images per
    row, filled left to right and top to bottom, the unused places of the last row black. One-channel
    images become grey RGB.
    """
    n, channels, height, width = batch.shape
    if channels == 1:
        batch = xp.concatenate([batch, batch, batch], 1)
        channels = 3
    if channels not in (3, 4):
        raise AssertionError(f"a batch of images needs 1, 3 or 4 channels, got a batch of shape {batch.shape}")
    cols = min(n, ncols)
    rows = -(-n // cols)
    blank = xp.zeros((rows * cols - n, channels, height, width), dtype=batch.dtype)
    places = xp.concatenate([batch, blank]).reshape(rows, cols, channels, height, width)
    return places.transpose(2, 0, 3, 1, 4).reshape(channels, rows * height, cols * width)


def _to_hwc(arr, dataformats: str):
    """``arr`` laid out as ``dataformats`` ("CHW", "HWC", "HW", or a batch "NCHW"/"NHWC" shown as a grid of
    8 images per row) as an RGB(A) HWC array."""
    if len(set(dataformats)) != len(dataformats) or len(dataformats) != arr.ndim:
        raise AssertionError(f"size of input tensor and input format are different. tensor shape: {arr.shape}, "
                             f"input_format: {dataformats}")
    if arr.ndim == 4:
        return tile(arr.transpose([dataformats.find(c) for c in "NCHW"])).transpose(1, 2, 0)
    if arr.ndim == 2:
        arr = arr.transpose([dataformats.find(c) for c in "HW"])
        return xp.stack([arr, arr, arr], 2)
    if arr.ndim == 3:
        arr = arr.transpose([dataformats.find(c) for c in "HWC"])
        return xp.concatenate([arr, arr, arr], 2) if arr.shape[2] == 1 else arr
    raise AssertionError(f"an image is 2-D, 3-D or a 4-D batch, got shape {arr.shape}")


def image(tag: str, img_tensor, rescale: float = 1, dataformats: str = "CHW") -> Summary:
    """An image summary (PNG, encoded with Pillow): floats in [0, 1] are scaled by 255, uint8 kept."""
    if _PILImage is None:
        raise ImportError("add_image needs Pillow to encode PNG images: pip install pillow")
    arr = _to_hwc(as_array(img_tensor), dataformats.upper())
    scale = 1 if arr.dtype == xp.uint8 else 255
    arr = (arr.astype(xp.float32) * scale).clip(0, 255).astype(xp.uint8)
    height, width, channels = arr.shape
    picture = _PILImage.fromarray(arr)
    if rescale != 1:
        picture = picture.resize((int(width * rescale), int(height * rescale)), _PILImage.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    encoded = Summary.Image(height=picture.height, width=picture.width, colorspace=channels,
                            encoded_image_string=buffer.getvalue())
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])


def _hparams_summary(tag: str, data: HParamsPluginData) -> Summary:
    plugin = SummaryMetadata.PluginData(plugin_name="hparams", content=data.SerializeToString())
    return Summary(value=[Summary.Value(tag=tag, metadata=SummaryMetadata(plugin_data=plugin))])


def hparams(hparam_dict: dict, metric_dict: dict, hparam_domain_discrete: dict | None = None):
    """The three hparams-plugin summaries (experiment, session start, session end) for one run.

    Numbers (and bools, as torch treats them) become ``DATA_TYPE_FLOAT64`` hyperparameters, strings
    ``DATA_TYPE_STRING``; one-element tensors are read as numbers; ``None`` values are left out.
    """
    if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
        raise TypeError("parameter: hparam_dict and metric_dict should be dictionary.")
    discrete = hparam_domain_discrete or {}
    for key, domain in discrete.items():
        if key not in hparam_dict or not isinstance(domain, list) or \
                not all(isinstance(d, type(hparam_dict[key])) for d in domain):
            raise TypeError(f"parameter: hparam_domain_discrete[{key}] should be a list of same type as "
                            f"hparam_dict[{key}].")
    start = SessionStartInfo()
    infos = []
    for key, value in hparam_dict.items():
        if value is None:
            continue
        if isinstance(value, (int, float)):
            start.hparams[key].number_value = value
            kind, field = "DATA_TYPE_FLOAT64", "number_value"
        elif isinstance(value, str):
            start.hparams[key].string_value = value
            kind, field = "DATA_TYPE_STRING", "string_value"
        elif isinstance(value, Tensor):
            start.hparams[key].number_value = float(as_array(value).reshape(-1)[0])
            kind, field = "DATA_TYPE_FLOAT64", "number_value"
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
        domain = None
        if key in discrete:
            domain = ListValue(values=[Value(**{field: d}) for d in discrete[key]])
        infos.append(HParamInfo(name=key, type=DataType.Value(kind), domain_discrete=domain))
    experiment = Experiment(hparam_infos=infos,
                            metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict])
    end = SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))
    return (_hparams_summary("_hparams_/experiment", HParamsPluginData(experiment=experiment, version=0)),
            _hparams_summary("_hparams_/session_start_info", HParamsPluginData(session_start_info=start, version=0)),
            _hparams_summary("_hparams_/session_end_info", HParamsPluginData(session_end_info=end, version=0)))


# the smallest denominator of precision and recall, so that empty thresholds give 0 instead of NaN
_MIN_COUNT = 1e-7
# the pr_curves plugin stores at most this many thresholds
_MAX_THRESHOLDS = 127


def _pr_curve_summary(tag: str, rows, num_thresholds: int) -> Summary:
    """The pr_curves-plugin summary of a ``(6, num_thresholds)`` table: TP, FP, TN, FN, precision, recall."""
    table = xp.stack([xp.asarray(r, dtype=xp.float64).reshape(-1) for r in rows])
    content = PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString()
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="pr_curves", content=content))
    shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=n) for n in table.shape])
    tensor = TensorProto(dtype="DT_FLOAT", float_val=table.reshape(-1).tolist(), tensor_shape=shape)
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=tensor)])


def pr_curve(tag: str, labels, predictions, num_thresholds: int = 127, weights=None) -> Summary:
    """A precision-recall curve of ``predictions`` (probabilities in [0, 1]) against 0/1 ``labels``.

    Threshold ``i`` of ``num_thresholds`` (at most 127) is ``i / (num_thresholds - 1)``: a prediction counts
    as positive there when it falls in that threshold's bucket or above. ``weights`` weigh each example.
    """
    num_thresholds = min(num_thresholds, _MAX_THRESHOLDS)
    truth = as_array(labels).astype(xp.float64).reshape(-1)
    scores = as_array(predictions).astype(xp.float64).reshape(-1)
    weight = 1.0 if weights is None else as_array(weights).astype(xp.float64).reshape(-1)
    bucket = xp.floor(scores * (num_thresholds - 1)).astype(xp.int64)
    inside = (bucket >= 0) & (bucket < num_thresholds)  # out-of-range predictions are not counted
    positive = xp.broadcast_to(truth * weight, bucket.shape)[inside]
    negative = xp.broadcast_to((1.0 - truth) * weight, bucket.shape)[inside]
    # counts at or above each threshold: sums of the buckets from the top down
    tp = xp.bincount(bucket[inside], positive, num_thresholds)[::-1].cumsum()[::-1]
    fp = xp.bincount(bucket[inside], negative, num_thresholds)[::-1].cumsum()[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / xp.maximum(tp + fp, _MIN_COUNT)
    recall = tp / xp.maximum(tp + fn, _MIN_COUNT)
    return _pr_curve_summary(tag, (tp, fp, tn, fn, precision, recall), num_thresholds)


def pr_curve_raw(tag: str, tp, fp, tn, fn, precision, recall, num_thresholds: int = 127) -> Summary:
    """A precision-recall curve from counts computed elsewhere (one value per threshold in each)."""
    num_thresholds = min(num_thresholds, _MAX_THRESHOLDS)
    rows = [as_array(r) for r in (tp, fp, tn, fn, precision, recall)]
    return _pr_curve_summary(tag, rows, num_thresholds)


def custom_scalars(layout: dict) -> Summary:
    """The custom_scalars-plugin layout: ``{category: {chart title: [kind, tags]}}`` where ``kind`` is
    ``"Multiline"`` (tags: the series, or regexes, drawn together) or ``"Margin"`` (tags: value, lower, upper)."""
    categories = []
    for category, charts in layout.items():
        built = []
        for title, (kind, tags) in charts.items():
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError(f"a Margin chart takes 3 tags (value, lower, upper), got {len(tags)}")
                series = MarginChartContent.Series(value=tags[0], lower=tags[1], upper=tags[2])
                built.append(Chart(title=title, margin=MarginChartContent(series=[series])))
            else:
                built.append(Chart(title=title, multiline=MultilineChartContent(tag=tags)))
        categories.append(Category(title=category, chart=built))
    serialized = Layout(category=categories).SerializeToString()
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="custom_scalars"))
    tensor = TensorProto(dtype="DT_STRING", string_val=[serialized], tensor_shape=TensorShapeProto())
    return Summary(value=[Summary.Value(tag="custom_scalars__config__", tensor=tensor, metadata=metadata)])


def _video_frames(clips):
    """``(N, T, C, H, W)`` clips as ``(T, H', W', C)`` uint8 frames: the clips side by side in a grid of
    ``2**k`` rows (the batch padded with black clips to a power of two), floats in [0, 1] scaled by 255."""
    n, frames, channels, height, width = clips.shape
    if clips.dtype != xp.uint8:
        clips = (clips.astype(xp.float32) * 255).clip(0, 255).astype(xp.uint8)
    places = 1 << (n - 1).bit_length()  # the power of two at or above n
    rows = 1 << ((n.bit_length() - 1) // 2)
    blank = xp.zeros((places - n,) + clips.shape[1:], dtype=xp.uint8)
    grid = xp.concatenate([clips, blank]).reshape(rows, places // rows, frames, channels, height, width)
    return grid.transpose(2, 0, 4, 1, 5, 3).reshape(frames, rows * height, (places // rows) * width, channels)


def video(tag: str, vid_tensor, fps: float = 4) -> Summary:
    """A video summary: ``(N, T, C, H, W)`` clips (uint8, or floats in [0, 1]) as one animated GIF that loops,
    encoded with Pillow at ``fps`` frames per second; TensorBoard shows it in the images tab."""
    if _PILImage is None:
        raise ImportError("add_video needs Pillow to encode GIF animations: pip install pillow")
    clips = as_array(vid_tensor)
    if clips.ndim != 5:
        raise ValueError(f"add_video takes a 5-D (N, T, C, H, W) tensor, got shape {clips.shape}")
    if clips.shape[2] not in (1, 3, 4):
        raise ValueError(f"video frames need 1, 3 or 4 channels (dim 2), got {clips.shape[2]}")
    frames = _video_frames(clips)
    count, height, width, channels = frames.shape
    pictures = [_PILImage.fromarray(f[:, :, 0] if channels == 1 else f[:, :, :3]) for f in frames]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=max(1, round(1000 / fps)), loop=0)
    encoded = Summary.Image(height=height, width=width, colorspace=channels, encoded_image_string=buffer.getvalue())
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])
