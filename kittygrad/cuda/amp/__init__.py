"""``kittygrad.cuda.amp``: torch's deprecated CUDA spellings of ``amp.autocast``, ``amp.GradScaler``
and ``amp.custom_fwd``/``custom_bwd``.

Each one warns (FutureWarning) that it is deprecated and then behaves as its ``kittygrad.amp``
form with ``device_type="cuda"``; kittygrad has no CUDA, so, as on a CPU-only torch build, the
autocast region warns and stays disabled and the scaler warns and turns itself off (it passes
losses and steps through unchanged).

>>> import kittygrad as kitty, warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     scaler = kitty.cuda.amp.GradScaler()
...     with kitty.cuda.amp.autocast():
...         dtype = (kitty.ones(2, 2) @ kitty.ones(2, 2)).dtype
>>> scaler.is_enabled(), scaler.get_scale(), dtype
(False, 1.0, kittygrad.float32)
"""

from __future__ import annotations

import warnings
from typing import Callable

from ... import _display
from ... import amp as _amp
from ... import dtypes as D

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]


def _deprecated(old: str, new: str) -> None:
    """torch's FutureWarning for a ``torch.cuda.amp`` name, pointing at its ``torch.amp`` form."""
    pkg = _display.name
    warnings.warn(
        f"`{pkg}.cuda.amp.{old}(args...)` is deprecated. Please use `{pkg}.amp.{new}` instead.",
        FutureWarning,
        stacklevel=3,
    )


class autocast(_amp.autocast):  # noqa: N801 - torch's name
    """Deprecated: ``kittygrad.amp.autocast("cuda", ...)``; without CUDA it warns and stays disabled.

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     region = kitty.cuda.amp.autocast()
    >>> region.device, region.fast_dtype, kitty.is_autocast_enabled()
    ('cuda', kittygrad.float16, False)
    """

    def __init__(self, enabled: bool = True, dtype: D.dtype = D.float16, cache_enabled: bool = True) -> None:
        _deprecated("autocast", "autocast('cuda', args...)")
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """Deprecated: ``kittygrad.amp.GradScaler("cuda", ...)``; without CUDA an enabled one warns and
    disables itself, as torch's on a CPU-only build.

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     scaler = kitty.cuda.amp.GradScaler(init_scale=8.0)
    >>> scaler.is_enabled(), scaler.state_dict(), isinstance(scaler, kitty.amp.GradScaler)
    (False, {}, True)
    """

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        _deprecated("GradScaler", "GradScaler('cuda', args...)")
        # (kittygrad.amp.GradScaler takes these in the same order, after the device)
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


def custom_fwd(fwd: Callable | None = None, *, cast_inputs: D.dtype | None = None):
    """Deprecated: ``kittygrad.amp.custom_fwd(..., device_type="cuda")``.

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     callable(kitty.cuda.amp.custom_fwd(cast_inputs=kitty.float32))
    True
    """
    _deprecated("custom_fwd", "custom_fwd(args..., device_type='cuda')")
    return _amp.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd: Callable) -> Callable:
    """Deprecated: ``kittygrad.amp.custom_bwd(..., device_type="cuda")``.

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kitty.cuda.amp.custom_bwd(abs)  # doctest: +ELLIPSIS
    <function abs at ...>
    """
    _deprecated("custom_bwd", "custom_bwd(args..., device_type='cuda')")
    return _amp.custom_bwd(bwd, device_type="cuda")
