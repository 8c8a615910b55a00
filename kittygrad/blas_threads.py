"""How many threads NumPy's BLAS uses: ``torch.set_num_threads`` / ``torch.get_num_threads``.

Through threadpoolctl (scikit-learn installs it), which finds the BLAS library NumPy loaded; it
needs no NumPy itself, so it lives beside the backend rather than in it.
"""
from __future__ import annotations

import os

__all__ = ["get_num_threads", "set_num_threads"]

_blas_limit = None


def set_num_threads(n: int) -> None:
    """Cap the threads NumPy's BLAS uses (through threadpoolctl, which scikit-learn installs).

    On a busy machine one thread is often fastest for small matrices.
    """
    global _blas_limit
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise RuntimeError("set_num_threads needs threadpoolctl (pip install threadpoolctl), or set "
                           "OPENBLAS_NUM_THREADS / OMP_NUM_THREADS before starting Python") from None
    _blas_limit = threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    """The number of threads the BLAS library uses for matrix products (the CPU count when it cannot be read).

    >>> import kittygrad as kitty
    >>> kitty.get_num_threads() >= 1
    True
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    counts = [lib["num_threads"] for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return max(counts) if counts else 1
