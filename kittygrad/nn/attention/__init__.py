"""``torch.nn.attention``: choosing the kernel behind ``F.scaled_dot_product_attention``.

torch has several attention kernels (flash, memory-efficient, cuDNN, the plain maths) and
``sdpa_kernel`` restricts which it may pick. kittygrad has one: the maths path, written with
matmul and softmax. So ``sdpa_kernel`` is accepted and checked, and changes nothing: every backend
list gives the same results. This is a documented no-op.

>>> import kittygrad as kitty
>>> from kittygrad.nn.attention import SDPBackend, sdpa_kernel
>>> q = kitty.ones(1, 2, 3)
>>> with sdpa_kernel(SDPBackend.MATH):
...     kitty.nn.functional.scaled_dot_product_attention(q, q, q).shape
kittygrad.Size([1, 2, 3])
"""
from __future__ import annotations

import contextlib
import enum
from typing import Iterable, Iterator, Union

from ...backends import cuda as _cuda
from ...errors import KittyTypeError

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.IntEnum):
    """The attention kernels torch knows (with torch's numbers); kittygrad computes every one as MATH.

    Prints as torch's enum does (``SDPBackend.MATH``), not as the int an IntEnum prints in Python 3.11+.
    """

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __str__(self) -> str:
        return f"SDPBackend.{self.name}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


_active: tuple = tuple(SDPBackend)[1:]


@contextlib.contextmanager
def sdpa_kernel(backends: Union[SDPBackend, Iterable[SDPBackend]], set_priority: bool = False) -> Iterator[None]:
    """Restrict attention to ``backends`` inside the block (a no-op in kittygrad: see the module).

    >>> from kittygrad.nn.attention import SDPBackend, sdpa_kernel
    >>> with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]):
    ...     pass
    """
    global _active
    chosen = (backends,) if isinstance(backends, SDPBackend) else tuple(backends)
    for backend in chosen:
        if not isinstance(backend, SDPBackend):
            raise KittyTypeError(f"sdpa_kernel expects SDPBackend values, got {type(backend).__name__}: {backend!r}")
    previous, _active = _active, chosen
    # torch turns each kernel's flag on or off (torch.backends.cuda.flash_sdp_enabled() and the others
    # read them inside the block) and restores them after it
    flags = {"flash": SDPBackend.FLASH_ATTENTION in chosen, "mem_efficient": SDPBackend.EFFICIENT_ATTENTION in chosen,
             "math": SDPBackend.MATH in chosen, "cudnn": SDPBackend.CUDNN_ATTENTION in chosen}
    try:
        with _cuda._sdp_flags(**flags):
            yield
    finally:
        _active = previous
