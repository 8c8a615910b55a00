"""``SummaryWriter`` (as torch.utils.tensorboard.SummaryWriter): log scalars, histograms, text, images,
figures, videos, PR curves, custom-scalar layouts, hyperparameters and model graphs to TensorBoard event
files written by the ``tensorboard`` package's ``EventFileWriter``, and embeddings to the projector's files.
"""
from __future__ import annotations

import importlib.util
import io
import os
import socket
import sys
import time
from datetime import datetime

from tensorboard.compat.proto.event_pb2 import Event, SessionLog, TaggedRunMetadata
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from ...backend import xp
from . import model_graph as _model_graph
from . import projector as _projector
from . import summary as _summary

__all__ = ["FileWriter", "SummaryWriter"]


class FileWriter:
    """One event file in ``log_dir``: wraps summaries in ``Event`` protos and hands them to ``EventFileWriter``.

    The file is named ``events.out.tfevents.<time>.<host>.<pid>.<n><filename_suffix>`` by the tensorboard
    package.
    """

    def __init__(self, log_dir, max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = ""):
        log_dir = str(log_dir)
        self.event_writer = EventFileWriter(log_dir, max_queue, flush_secs, filename_suffix)

    def get_logdir(self) -> str:
        writer = self.event_writer
        return writer.get_logdir()

    def add_event(self, event: Event, step=None, walltime=None) -> None:
        event.wall_time = _wall_time(walltime)
        if step is not None:
            event.step = int(step)
        writer = self.event_writer
        writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None) -> None:
        self.add_event(Event(summary=summary), global_step, walltime)

    def flush(self) -> None:
        self.event_writer.flush()

    def close(self) -> None:
        self.event_writer.close()

    def reopen(self) -> None:
        self.event_writer.reopen()


def _wall_time(walltime) -> float:
    """The given wall time, or now."""
    return time.time() if walltime is None else walltime


def _figure_chw(figure, close: bool):
    """A matplotlib figure rendered by Agg at its own size, dpi and face colour, as a ``(3, H, W)`` uint8 array."""
    if importlib.util.find_spec("matplotlib") is None:
        raise ImportError("add_figure needs matplotlib to render figures: pip install matplotlib "
                          "(or kittygrad's 'examples' extra)")
    if not hasattr(figure, "savefig") or not hasattr(figure, "canvas"):
        raise TypeError(f"add_figure expects a matplotlib Figure or a list of them, got {type(figure).__name__}")
    # the figure exists, so matplotlib is loaded: no import is needed (nor paid for) here
    matplotlib = sys.modules["matplotlib"]
    buffer = io.BytesIO()
    # the figure as it is drawn on screen: no tight bounding box or saving colours from the user's rcParams
    with matplotlib.rc_context({"savefig.bbox": "standard"}):
        figure.savefig(buffer, format="rgba", dpi=figure.dpi, facecolor=figure.get_facecolor(),
                       edgecolor=figure.get_edgecolor(), transparent=False)
    width, height = (int(v) for v in figure.canvas.get_width_height())
    pixels = xp.frombuffer(buffer.getvalue(), dtype=xp.uint8).reshape(height, width, 4)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if close and pyplot is not None:  # only pyplot keeps figures open, and only when it has been imported
        pyplot.close(figure)
    return xp.ascontiguousarray(pixels[:, :, :3].transpose(2, 0, 1))


def _default_log_dir(comment: str) -> str:
    stamp = datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", stamp + "_" + socket.gethostname() + comment)


class SummaryWriter:
    """Writes entries to event files in ``log_dir`` for TensorBoard to show, as torch's ``SummaryWriter``.

    ``log_dir`` defaults to ``runs/<Mon><DD>_<HH-MM-SS>_<hostname><comment>``. Values may be kittygrad
    tensors, NumPy arrays or Python numbers. ``purge_step`` writes a restart marker so TensorBoard drops
    events at or after that step left by a crashed run.

    >>> with SummaryWriter("runs/demo") as w:                      # doctest: +SKIP
    ...     for step in range(3):
    ...         w.add_scalar("loss", 1.0 / (step + 1), step)
    """

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: int = 120, filename_suffix: str = ""):
        if not log_dir:
            log_dir = _default_log_dir(comment)
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self._projector_config = None  # the embeddings logged so far (add_embedding rewrites the whole file)
        self._forget_writers()
        self._get_file_writer()
        self.default_bins = _summary.default_bins()

    def _get_file_writer(self) -> FileWriter:
        """The writer of the main event file, opened anew after ``close``."""
        main = self.file_writer
        if main is None or self.all_writers is None:
            main = self._open_writer(self.log_dir, main=True)
        return main

    def _open_writer(self, log_dir: str, main: bool = False) -> FileWriter:
        """A new event file in ``log_dir``, tracked for flush/close; the main one also carries the
        pending purge marker (written once)."""
        writer = FileWriter(log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
        if main:
            self.file_writer = writer
            self.all_writers = {}
            purge_at, self.purge_step = self.purge_step, None
            if purge_at is not None:
                writer.add_event(Event(step=purge_at, file_version="brain.Event:2"))
                writer.add_event(Event(step=purge_at, session_log=SessionLog(status=SessionLog.START)))
        self.all_writers[writer.get_logdir()] = writer
        return writer

    def _forget_writers(self) -> None:
        self.file_writer = None
        self.all_writers = None

    def _log(self, summary, global_step, walltime) -> None:
        """Append ``summary`` to the main event file."""
        main = self._get_file_writer()
        main.add_summary(summary, global_step, walltime)

    def get_logdir(self) -> str:
        """The directory the event files go to."""
        return self.log_dir

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """Log one number (a Python number, a one-element tensor or array) under ``tag`` at ``global_step``."""
        self._log(_summary.scalar(tag, scalar_value, new_style=new_style, double_precision=double_precision),
                  global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None, walltime=None) -> None:
        """Log several numbers under ``main_tag``, one at a time: each key gets its own event file in the
        sub-directory ``<log_dir>/<main_tag with / as _>_<key>``, so TensorBoard draws them on one chart."""
        stamp = _wall_time(walltime)
        root = self._get_file_writer().get_logdir()
        prefix = f"{root}/{main_tag.replace('/', '_')}_"
        for tag, value in tag_scalar_dict.items():
            sub_dir = prefix + tag
            writer = self.all_writers.get(sub_dir) or self._open_writer(sub_dir)
            writer.add_summary(_summary.scalar(main_tag, value), global_step, stamp)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None) -> None:
        """Log a histogram of ``values``.

        ``bins="tensorflow"`` uses TensorBoard's default edges (geometric by 1.1 from 1e-12 to 1e20 on
        both sides of 0), the same edges as torch's writer; any other ``bins`` is passed to NumPy's
        ``histogram`` (an int, a sequence of edges, or a rule such as ``"auto"``). ``max_bins`` merges
        neighbouring buckets.
        """
        edges = self.default_bins if isinstance(bins, str) and bins == "tensorflow" else bins
        self._log(_summary.histogram(tag, values, edges, max_bins=max_bins), global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """Log a (markdown) string for TensorBoard's text tab, under the tag ``<tag>/text_summary``."""
        self._log(_summary.text(tag, text_string), global_step, walltime)

    def add_image(self, tag: str, img_tensor, global_step=None, walltime=None, dataformats: str = "CHW") -> None:
        """Log an image laid out as ``dataformats`` ("CHW", "HWC" or "HW"): uint8 values as they are,
        floats in [0, 1] scaled by 255. Encoded as PNG with Pillow."""
        self._log(_summary.image(tag, img_tensor, dataformats=dataformats), global_step, walltime)

    def add_images(self, tag: str, img_tensor, global_step=None, walltime=None, dataformats: str = "NCHW") -> None:
        """Log a batch of images (``dataformats`` "NCHW" or "NHWC") as one picture: a grid of 8 images per
        row, as torch's writer lays them out; values as in :meth:`add_image`."""
        self._log(_summary.image(tag, img_tensor, dataformats=dataformats), global_step, walltime)

    def add_figure(self, tag: str, figure, global_step=None, close: bool = True, walltime=None) -> None:
        """Log a matplotlib figure (or a list of figures, shown as one grid of images) rendered as an RGB
        image at the figure's size and dpi; ``close`` closes the figures afterwards."""
        if isinstance(figure, list):
            pictures = xp.stack([_figure_chw(f, close) for f in figure])
            self.add_image(tag, pictures, global_step, walltime, dataformats="NCHW")
        else:
            self.add_image(tag, _figure_chw(figure, close), global_step, walltime, dataformats="CHW")

    def add_video(self, tag: str, vid_tensor, global_step=None, fps=4, walltime=None) -> None:
        """Log ``(N, T, C, H, W)`` clips (uint8, or floats in [0, 1]) as one looping animated GIF at ``fps``
        frames per second, the clips side by side in a grid (encoded with Pillow, not moviepy)."""
        self._log(_summary.video(tag, vid_tensor, fps), global_step, walltime)

    def add_pr_curve(self, tag: str, labels, predictions, global_step=None, num_thresholds: int = 127, weights=None,
                     walltime=None) -> None:
        """Log a precision-recall curve: ``labels`` are 0/1 (or bools), ``predictions`` the probabilities of
        the positive class, ``num_thresholds`` (at most 127) evenly spaced thresholds in [0, 1]."""
        summary = _summary.pr_curve(tag, labels, predictions, num_thresholds, weights)
        self._log(summary, global_step, walltime)

    def add_pr_curve_raw(self, tag: str, true_positive_counts, false_positive_counts, true_negative_counts,
                         false_negative_counts, precision, recall, global_step=None, num_thresholds: int = 127,
                         weights=None, walltime=None) -> None:
        """Log a precision-recall curve from counts, precision and recall computed elsewhere, one value per
        threshold each (``weights`` is accepted, as torch's, and unused)."""
        counts = (true_positive_counts, false_positive_counts, true_negative_counts, false_negative_counts)
        summary = _summary.pr_curve_raw(tag, *counts, precision, recall, num_thresholds)
        self._log(summary, global_step, walltime)

    def add_custom_scalars(self, layout: dict) -> None:
        """Lay out TensorBoard's custom scalars tab: ``{category: {title: ["Multiline", [tags]] or
        ["Margin", [value, lower, upper]]}}``.

        >>> w.add_custom_scalars({"loss": {"both": ["Multiline", ["loss/train", "loss/val"]]}})  # doctest: +SKIP
        """
        self._log(_summary.custom_scalars(layout), None, None)

    def add_custom_scalars_multilinechart(self, tags, category: str = "default", title: str = "untitled") -> None:
        """One custom-scalars chart drawing the series ``tags`` together."""
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags, category: str = "default", title: str = "untitled") -> None:
        """One custom-scalars chart of a value between two bounds: ``tags`` is [value, lower, upper]."""
        if len(tags) != 3:
            raise AssertionError(f"a margin chart takes 3 tags (value, lower, upper), got {len(tags)}")
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag: str = "default",
                      metadata_header=None) -> None:
        """Log ``mat`` (one point per row) for TensorBoard's projector, with optional labels (``metadata``,
        a list, or rows of columns named by ``metadata_header``) and ``label_img`` (N, C, H, W) thumbnails.

        Writes ``<step>/<tag>/tensors.tsv`` (and ``metadata.tsv``, ``sprite.png``) under the log dir and
        rewrites ``projector_config.pbtxt`` there with every embedding logged so far.
        """
        log_dir = self._get_file_writer().get_logdir()
        info = _projector.write_embedding(log_dir, mat, metadata, label_img, global_step, tag, metadata_header)
        if self._projector_config is None:
            self._projector_config = _projector.ProjectorConfig()
        self._projector_config.embeddings.append(info)
        _projector.write_projector_config(log_dir, self._projector_config)

    def add_graph(self, model, input_to_model=None, verbose: bool = False, use_strict_trace: bool = True) -> None:
        """Log the graph of one ``model(*input_to_model)`` call for TensorBoard's graphs tab.

        ``input_to_model`` is a tensor or a tuple/list of them. The model runs once, without gradients,
        while kittygrad records its operations (no tracing compiler is involved, so ``use_strict_trace``
        changes nothing); nodes are grouped by module as torch names them (``Net/Linear[fc]/...``).
        ``verbose`` prints the GraphDef.
        """
        if input_to_model is None:
            args = ()
        elif isinstance(input_to_model, (list, tuple)):
            args = tuple(input_to_model)
        else:
            args = (input_to_model,)
        graph, run = _model_graph.model_graph(model, args)
        if verbose:
            print(graph)
        main = self._get_file_writer()
        main.add_event(Event(graph_def=graph.SerializeToString()))
        # TensorBoard pairs a graph with run metadata under a tag; torch's writer sends this empty one
        main.add_event(Event(tagged_run_metadata=TaggedRunMetadata(tag="step1", run_metadata=run.SerializeToString())))

    def add_hparams(self, hparam_dict: dict, metric_dict: dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None) -> None:
        """Log hyperparameters and final metrics for TensorBoard's hparams tab, in the sub-directory
        ``<log_dir>/<run_name>`` (``run_name`` defaults to the current time)."""
        experiment, start, end = _summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        log_dir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=log_dir) as run:
            for piece in (experiment, start, end):
                run.file_writer.add_summary(piece, global_step)
            for key, value in metric_dict.items():
                run.add_scalar(key, value, global_step)

    def flush(self) -> None:
        """Write everything pending to disk."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self) -> None:
        """Flush and close every event file; a later ``add_*`` opens a new file."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self._forget_writers()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        self.close()
