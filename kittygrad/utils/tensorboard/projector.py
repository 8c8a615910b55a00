"""The files of TensorBoard's embedding projector, as torch's ``SummaryWriter.add_embedding`` writes them.

Each embedding lives in ``<log_dir>/<step, 5 digits>/<tag, %-escaped>/``: ``tensors.tsv`` (one point per
line, tab-separated), optionally ``metadata.tsv`` (one label per line, or a header line and tab-separated
columns) and ``sprite.png`` (the label images on a square grid). ``<log_dir>/projector_config.pbtxt`` lists
every embedding the writer has logged, and is rewritten whole after each one.
"""

from __future__ import annotations

import io
import math
import os

from google.protobuf import text_format
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo, ProjectorConfig

from ...backend import xp
from .summary import _PILImage, as_array, tile

__all__ = ["ProjectorConfig", "escape_tag", "write_embedding", "write_projector_config"]


def escape_tag(tag: str) -> str:
    """``tag`` usable as one directory name: ``%``, ``/`` and ``\\`` become ``%25``, ``%2f`` and ``%5c``.

    >>> escape_tag("layer/1")
    'layer%2f1'
    """
    return "".join(f"%{ord(ch):02x}" if ch in "%/\\" else ch for ch in tag)


def _write(path: str, text: str) -> None:
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))


def _metadata_lines(metadata, header) -> list[str]:
    if not header:
        return [str(label) for label in metadata]
    rows = [list(header)] + [list(row) for row in metadata]
    if len(rows[0]) != len(rows[1]):
        raise AssertionError(
            f"len of header must be equal to the number of columns in metadata: "
            f"{len(rows[0])} header names, {len(rows[1])} columns"
        )
    return ["\t".join(str(cell) for cell in row) for row in rows]


def _sprite_png(images) -> bytes:
    """The ``(N, C, H, W)`` label images (floats in [0, 1]) on a ``ceil(sqrt(N))``-wide grid, in a square
    picture as wide as that grid (the projector cuts the sprite into equal squares)."""
    if _PILImage is None:
        raise ImportError("add_embedding with label_img needs Pillow to write sprite.png: pip install pillow")
    side = math.ceil(images.shape[0] ** 0.5)
    grid = tile(images, ncols=side).transpose(1, 2, 0)[:, :, :3]
    square = xp.zeros((grid.shape[1], grid.shape[1], 3))
    square[: grid.shape[0]] = grid[: grid.shape[1]]
    buffer = io.BytesIO()
    _PILImage.fromarray((square * 255).clip(0, 255).astype(xp.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def write_embedding(
    log_dir: str, mat, metadata=None, label_img=None, global_step=None, tag: str = "default", metadata_header=None
) -> EmbeddingInfo:
    """Write one embedding's files under ``log_dir`` and return its entry for the projector config."""
    points = as_array(mat)
    step = 0 if global_step is None else global_step
    subdir = f"{str(step).zfill(5)}/{escape_tag(tag)}"
    save_path = os.path.join(log_dir, subdir)
    if os.path.exists(save_path):
        if not os.path.isdir(save_path):
            raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. Cannot proceed.")
        print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
    os.makedirs(save_path, exist_ok=True)
    info = EmbeddingInfo(tensor_name=f"{tag}:{str(step).zfill(5)}", tensor_path=f"{subdir}/tensors.tsv")
    if metadata is not None:
        if points.shape[0] != len(metadata):
            raise AssertionError(
                f"#labels should equal with #data points: {len(metadata)} labels, {points.shape[0]} points"
            )
        _write(os.path.join(save_path, "metadata.tsv"), "\n".join(_metadata_lines(metadata, metadata_header)) + "\n")
        info.metadata_path = f"{subdir}/metadata.tsv"
    if label_img is not None:
        images = as_array(label_img)
        if points.shape[0] != images.shape[0]:
            raise AssertionError(
                f"#images should equal with #data points: {images.shape[0]} images, {points.shape[0]} points"
            )
        with open(os.path.join(save_path, "sprite.png"), "wb") as f:
            f.write(_sprite_png(images))
        info.sprite.image_path = f"{subdir}/sprite.png"
        info.sprite.single_image_dim.extend([images.shape[3], images.shape[2]])
    if points.ndim != 2:
        raise AssertionError(
            f"mat should be 2D, where mat.size(0) is the number of data points; got shape {points.shape}"
        )
    # each value as Python prints the float (or int) it holds, as torch's writer does
    lines = ["\t".join(str(v) for v in row) + "\n" for row in points.tolist()]
    _write(os.path.join(save_path, "tensors.tsv"), "".join(lines))
    return info


def write_projector_config(log_dir: str, config: ProjectorConfig) -> None:
    """``<log_dir>/projector_config.pbtxt``: the config in protobuf's text format."""
    _write(os.path.join(log_dir, "projector_config.pbtxt"), text_format.MessageToString(config))
