"""``kittygrad.backends.cudnn``: cuDNN's switches, stored for scripts that set them.

kittygrad has no cuDNN, so ``is_available()`` is False and the flags (``enabled``, ``benchmark``,
``deterministic``, ``allow_tf32``, ``benchmark_limit``) change nothing; they keep torch's defaults
and whatever a script assigns. kittygrad's CPU kernels are deterministic whatever they say.

>>> import kittygrad as kitty
>>> kitty.backends.cudnn.deterministic = True; kitty.backends.cudnn.deterministic
True
>>> kitty.backends.cudnn.deterministic = False
"""
from __future__ import annotations

from ._flags import flags_for_block

enabled = True
benchmark = False
benchmark_limit = None
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: kittygrad has no cuDNN.

    >>> import kittygrad as kitty
    >>> kitty.backends.cudnn.is_available()
    False
    """
    return False


def version() -> int | None:
    """cuDNN's version: None, as torch answers without cuDNN.

    >>> import kittygrad as kitty
    >>> kitty.backends.cudnn.version() is None
    True
    """
    return None


def flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int = 10, deterministic: bool = False,
          allow_tf32: bool = True):
    """Set the flags for a block and restore them after it, as torch's ``cudnn.flags``.

    >>> import kittygrad as kitty
    >>> with kitty.backends.cudnn.flags(enabled=False):
    ...     kitty.backends.cudnn.enabled
    False
    >>> kitty.backends.cudnn.enabled
    True
    """
    return flags_for_block(__name__, enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit,
                           deterministic=deterministic, allow_tf32=allow_tf32)
