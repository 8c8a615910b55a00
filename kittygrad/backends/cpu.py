"""``kittygrad.backends.cpu``: what the CPU backend is built for.

>>> import kittygrad as kitty
>>> kitty.backends.cpu.get_cpu_capability()
'DEFAULT'
"""
from __future__ import annotations


def get_cpu_capability() -> str:
    """The vector instruction set kittygrad's own kernels are built for: ``'DEFAULT'`` (none).

    kittygrad compiles no kernels of its own; NumPy picks SIMD code for the machine at run time.

    >>> import kittygrad as kitty
    >>> kitty.backends.cpu.get_cpu_capability()
    'DEFAULT'
    """
    return "DEFAULT"
