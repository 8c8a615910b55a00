"""The error every checkpoint reader raises for a file it will not load (kittygrad's own format,
PyTorch's zip and legacy formats, safetensors)."""

from __future__ import annotations

from .errors import KittyRuntimeError

__all__ = ["SerializationError"]


class SerializationError(KittyRuntimeError):
    """A file given to ``kitty.load`` is damaged, hostile or not a checkpoint kittygrad reads.

    >>> import io, kittygrad as kitty
    >>> try:
    ...     kitty.load(io.BytesIO(b"not a checkpoint"))
    ... except SerializationError as e:
    ...     print(type(e).__name__)
    SerializationError
    """
