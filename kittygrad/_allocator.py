"""glibc's malloc set up for arrays that a training step allocates and frees every step.

A training step makes the same large temporaries every step (a convolution's patch matrix,
activations, gradients), each a NumPy array allocated with ``malloc`` and freed a moment later.
glibc serves an allocation of 128 KiB or more with a fresh ``mmap`` until its adaptive thresholds
have grown, and gives freed memory at the top of its heap back to the system once more than
twice that threshold lies free. Either way the next step touches new pages, and the kernel zeroes
each of them on the first write: the CNN step of ``benchmarks/distributed.py`` (two 3x3 convs on
(32, 1, 28, 28)) took 11.7 ms in a fresh process, 6.9 ms with the thresholds below (torch: 4.7 ms).

At import kittygrad sets the mmap threshold to where glibc's own adaptive policy would take it
after freeing one 32 MiB array (the most it ever raises it to on 64-bit systems): arrays up to
32 MiB come from the heap; larger ones are still mapped and unmapped one by one. The trim
threshold goes to 1 GiB: up to that much freed heap stays mapped for the next step. glibc's
adaptive value (twice the mmap threshold, 64 MiB) was too little for a step that frees more at
once: the char-GPT with its GELU written out frees ~70 MB of activations and gradients at the end
of its backward, and in some processes (where no live block happened to sit above them in the
heap) glibc returned them all to the system and faulted them in again the next step, 17,000 page
faults a step, 122 ms instead of 85. The peak RSS is the same either way. It is one process-wide call, done only where the
C library is glibc, and not at all when the process was started with glibc's own settings
(``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``) or with ``KITTYGRAD_TUNE_MALLOC=0``.

>>> import kittygrad as kitty
>>> kitty._allocator.TUNED in (True, False)
True
"""
from __future__ import annotations

import ctypes
import os
import platform

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "TUNED", "tune_malloc"]

#: glibc's largest adaptive mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX)
MMAP_THRESHOLD = 32 * 1024 * 1024
#: how much freed memory at the top of the heap glibc keeps mapped (see the module docstring)
TRIM_THRESHOLD = 1024 * 1024 * 1024
# mallopt's parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: the environment variables through which a user sets glibc's thresholds; kittygrad leaves them be
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")

#: whether this process's malloc thresholds were set by kittygrad (see the module docstring)
TUNED = False


def tune_malloc() -> bool:
    """Set glibc's mmap and trim thresholds for step-after-step array traffic (see the module
    docstring); returns whether it did. Nothing happens off glibc, under
    ``KITTYGRAD_TUNE_MALLOC=0``, or when the user already set the thresholds.

    >>> tune_malloc() in (True, False)
    True
    """
    global TUNED
    if os.environ.get("KITTYGRAD_TUNE_MALLOC", "1") == "0":
        return False
    if any(name in os.environ for name in _USER_SETTINGS):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols: glibc's, loaded with Python
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    TUNED = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return TUNED
