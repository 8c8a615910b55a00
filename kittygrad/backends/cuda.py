"""``kittygrad.backends.cuda``: CUDA's switches, stored for scripts that set them.

kittygrad has no CUDA backend (``is_built()`` is False). ``matmul.allow_tf32`` and the
scaled-dot-product-attention kernel switches keep torch's defaults and whatever a script sets;
kittygrad's CPU kernels ignore them.

>>> import kittygrad as kitty
>>> kitty.backends.cuda.matmul.allow_tf32 = True; kitty.backends.cuda.matmul.allow_tf32
True
>>> kitty.backends.cuda.matmul.allow_tf32 = False
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Iterator

from .. import _display, _matmul_precision
from ..errors import KittyRuntimeError


class _MatmulFlags:
    """``backends.cuda.matmul``: the cuBLAS matmul switches (only these names can be read or set).

    ``allow_tf32`` is the float32 matmul precision seen another way, as in torch: setting it sets
    ``set_float32_matmul_precision("high")`` (or ``"highest"``), and it reads True for any precision but
    ``"highest"``.

    >>> import kittygrad as kitty
    >>> kitty.set_float32_matmul_precision("medium"); kitty.backends.cuda.matmul.allow_tf32
    True
    >>> kitty.backends.cuda.matmul.allow_tf32 = False; kitty.get_float32_matmul_precision()
    'highest'
    """

    __slots__ = ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction")

    def __init__(self) -> None:
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self) -> bool:
        return _matmul_precision.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        _matmul_precision.set_float32_matmul_precision("high" if value else "highest")

    def __getattr__(self, name: str):
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value) -> None:
        if name != "allow_tf32" and name not in _MatmulFlags.__slots__:
            raise AttributeError(f"Unknown attribute {name}")
        object.__setattr__(self, name, value)


matmul = _MatmulFlags()
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def is_built() -> bool:
    """False: kittygrad is not built with CUDA.

    >>> import kittygrad as kitty
    >>> kitty.backends.cuda.is_built()
    False
    """
    return False


def _set_sdp(kind: str, enabled: bool) -> None:
    if not isinstance(enabled, bool):
        raise KittyRuntimeError(f"set_sdp_use_{kind} expects a bool, but got {type(enabled).__name__}")
    _sdp[kind] = enabled


def flash_sdp_enabled() -> bool:
    """Whether the flash attention kernel may be chosen (a stored flag; kittygrad has one CPU kernel).

    >>> import kittygrad as kitty
    >>> kitty.backends.cuda.flash_sdp_enabled()
    True
    """
    return _sdp["flash"]


def enable_flash_sdp(enabled: bool) -> None:
    """Allow or forbid the flash attention kernel (stored; kittygrad's CPU attention ignores it).

    >>> import kittygrad as kitty
    >>> kitty.backends.cuda.enable_flash_sdp(True)
    """
    _set_sdp("flash", enabled)


def mem_efficient_sdp_enabled() -> bool:
    """Whether the memory-efficient attention kernel may be chosen (a stored flag).

    >>> import kittygrad as kitty
    >>> kitty.backends.cuda.mem_efficient_sdp_enabled()
    True
    """
    return _sdp["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    """Allow or forbid the memory-efficient attention kernel (stored, ignored on the CPU).

    >>> import kittygrad as kitty
    >>> kitty.backends.cuda.enable_mem_efficient_sdp(True)
    """
    _set_sdp("mem_efficient", enabled)


def math_sdp_enabled() -> bool:
    """Whether the math attention kernel may be chosen (a stored flag).

    >>> import kittygrad as kitty
    >>> kitty.backends.cuda.math_sdp_enabled()
    True
    """
    return _sdp["math"]


def enable_math_sdp(enabled: bool) -> None:
    """Allow or forbid the math attention kernel (stored, ignored on the CPU).

    >>> import kittygrad as kitty
    >>> kitty.backends.cuda.enable_math_sdp(True)
    """
    _set_sdp("math", enabled)


def cudnn_sdp_enabled() -> bool:
    """Whether the cuDNN attention kernel may be chosen (a stored flag).

    >>> import kittygrad as kitty
    >>> kitty.backends.cuda.cudnn_sdp_enabled()
    True
    """
    return _sdp["cudnn"]


def enable_cudnn_sdp(enabled: bool) -> None:
    """Allow or forbid the cuDNN attention kernel (stored, ignored on the CPU).

    >>> import kittygrad as kitty
    >>> kitty.backends.cuda.enable_cudnn_sdp(True)
    """
    _set_sdp("cudnn", enabled)


@contextlib.contextmanager
def _sdp_flags(**enabled: bool) -> Iterator[None]:
    """Set attention kernel flags for a block and put the earlier ones back after it: shared by
    ``nn.attention.sdpa_kernel`` and the older ``sdp_kernel``, so both show in ``*_sdp_enabled()``."""
    previous = dict(_sdp)
    _sdp.update(enabled)
    try:
        yield
    finally:
        _sdp.update(previous)


def sdp_kernel(enable_flash: bool = True, enable_math: bool = True, enable_mem_efficient: bool = True,
               enable_cudnn: bool = True):
    """Deprecated form of ``nn.attention.sdpa_kernel`` (PyTorch 2.0 code, e.g. nanoGPT's era, uses
    it): warns, then sets the kernel flags for the block. kittygrad's one attention kernel ignores them.

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     with kitty.backends.cuda.sdp_kernel(enable_flash=False):
    ...         kitty.backends.cuda.flash_sdp_enabled(), kitty.backends.cuda.math_sdp_enabled()
    (False, True)
    >>> kitty.backends.cuda.flash_sdp_enabled()
    True
    """
    pkg = _display.name
    warnings.warn(
        f"`{pkg}.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager will be removed. "
        f"Please see `{pkg}.nn.attention.sdpa_kernel()` for the new context manager, with updated signature.",
        FutureWarning, stacklevel=2,
    )
    return _sdp_flags(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient, cudnn=enable_cudnn)
