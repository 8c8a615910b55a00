"""``kittygrad.onnx``: importable (scripts import it at the top), with no exporter yet.

``export`` raises a clear error until kittygrad has an ONNX exporter; ``is_in_onnx_export`` answers
False, as torch outside an export.

>>> import kittygrad as kitty
>>> kitty.onnx.is_in_onnx_export()
False
"""
from __future__ import annotations

from typing import Any

from .errors import KittyNotImplementedError

__all__ = ["export", "is_in_onnx_export", "OnnxExporterError"]


class OnnxExporterError(KittyNotImplementedError):
    """Raised by :func:`export`: kittygrad has no ONNX exporter yet."""


def export(model, args: tuple[Any, ...] = (), f=None, *, kwargs: dict[str, Any] | None = None, **options):
    """Refused: kittygrad has no ONNX exporter yet.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.onnx.export(kitty.nn.Linear(1, 1), (kitty.ones(1),), "m.onnx")
    ... except NotImplementedError as err:
    ...     print(err)
    kittygrad has no ONNX exporter yet: kittygrad.onnx.export cannot write 'm.onnx'. To get an ONNX file, build the same architecture in PyTorch, copy the weights over ({k: torch.from_numpy(v.numpy()) for k, v in model.state_dict().items()}) and use torch.onnx.export.
    """
    where = f"write {f!r}" if f is not None else "export the model"
    raise OnnxExporterError(
        f"kittygrad has no ONNX exporter yet: kittygrad.onnx.export cannot {where}. To get an ONNX file, build the "
        "same architecture in PyTorch, copy the weights over ({k: torch.from_numpy(v.numpy()) for k, v in "
        "model.state_dict().items()}) and use torch.onnx.export."
    )


def is_in_onnx_export() -> bool:
    """False: no export is ever running.

    >>> import kittygrad as kitty
    >>> kitty.onnx.is_in_onnx_export()
    False
    """
    return False
