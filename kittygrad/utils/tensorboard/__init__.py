"""kittygrad.utils.tensorboard (as torch.utils.tensorboard): ``SummaryWriter`` writing TensorBoard event files.

The event files are written by the ``tensorboard`` package's own ``EventFileWriter`` with its protobufs, so
TensorBoard (and its ``EventAccumulator``) reads them as it reads torch's. Needs ``pip install tensorboard``.
"""
from __future__ import annotations

try:
    import tensorboard  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "TensorBoard logging requires TensorBoard version 2.14 or above to be installed: pip install tensorboard"
    ) from exc

from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
