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
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData, SessionEndInfo, SessionStartInfo
from google.protobuf.struct_pb2 import ListValue, Value

from ...backend import xp
from ...tensor import Tensor

try:
    from PIL import Image as _PILImage
except ImportError:  # pragma: no cover - depends on the environment
    _PILImage = None

__all__ = ["as_array", "default_bins", "histogram", "hparams", "image", "make_histogram", "scalar", "text"]


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


def _to_hwc(arr, dataformats: str):
    """``arr`` laid out as ``dataformats`` ("CHW", "HWC" or "HW") as an RGB(A) HWC array."""
    if len(set(dataformats)) != len(dataformats) or len(dataformats) != arr.ndim:
        raise AssertionError(f"size of input tensor and input format are different. tensor shape: {arr.shape}, "
                             f"input_format: {dataformats}")
    if arr.ndim == 2:
        arr = arr.transpose([dataformats.find(c) for c in "HW"])
        return xp.stack([arr, arr, arr], 2)
    if arr.ndim == 3:
        arr = arr.transpose([dataformats.find(c) for c in "HWC"])
        return xp.concatenate([arr, arr, arr], 2) if arr.shape[2] == 1 else arr
    raise AssertionError(f"add_image takes a 2-D or 3-D image, got shape {arr.shape}")


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
