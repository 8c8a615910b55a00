"""``kittygrad.backends.mkldnn``: oneDNN's switches, stored for scripts that set them.

kittygrad's CPU kernels are NumPy's and its BLAS, not oneDNN's, so ``is_available()`` is False and
the flags (``enabled``, ``deterministic``) change nothing; they keep torch's defaults and whatever a
script assigns, and ``flags`` sets them for a block as torch's does.

>>> import kittygrad as kitty
>>> kitty.backends.mkldnn.is_available()
False
"""
from __future__ import annotations

from ._flags import flags_for_block

enabled = True
deterministic = False


def is_available() -> bool:
    """False: kittygrad is not built with oneDNN (MKL-DNN).

    >>> import kittygrad as kitty
    >>> kitty.backends.mkldnn.is_available()
    False
    """
    return False


def flags(enabled: bool = False, deterministic: bool = False):
    """Set ``enabled`` and ``deterministic`` for a block and restore them after it.

    >>> import kittygrad as kitty
    >>> with kitty.backends.mkldnn.flags(enabled=False):
    ...     kitty.backends.mkldnn.enabled
    False
    >>> kitty.backends.mkldnn.enabled
    True
    """
    return flags_for_block(__name__, enabled=enabled, deterministic=deterministic)
