"""``kittygrad.cpu.amp``: torch's deprecated CPU aliases of ``amp.autocast`` and ``amp.GradScaler``.

>>> import kittygrad as kitty, warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     with kitty.cpu.amp.autocast():
...         kitty.get_autocast_dtype("cpu")
kittygrad.bfloat16
"""
from __future__ import annotations

import warnings

from ... import _display
from ... import amp as _amp
from ... import dtypes as D

__all__ = ["autocast", "GradScaler"]


def _deprecated(old: str) -> None:
    """torch's FutureWarning for a ``torch.cpu.amp`` name, under the printed package name (torch's
    text under ``kittygrad.run``)."""
    pkg = _display.name
    warnings.warn(
        f"`{pkg}.cpu.amp.{old}(args...)` is deprecated. Please use `{pkg}.amp.{old}('cpu', args...)` instead.",
        FutureWarning, stacklevel=3,
    )


class autocast(_amp.autocast):  # noqa: N801 - torch's name
    """Deprecated: ``kittygrad.amp.autocast("cpu", ...)`` (warns, as torch).

    ``dtype`` defaults to bfloat16, as in torch (not to the current CPU autocast dtype).

    >>> import kittygrad as kitty
    >>> issubclass(kitty.cpu.amp.autocast, kitty.amp.autocast)
    True
    """

    def __init__(self, enabled: bool = True, dtype: D.dtype = D.bfloat16, cache_enabled: bool = True) -> None:
        _deprecated("autocast")
        super().__init__("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """Deprecated: ``kittygrad.amp.GradScaler("cpu", ...)`` (warns, as torch).

    >>> import kittygrad as kitty
    >>> issubclass(kitty.cpu.amp.GradScaler, kitty.amp.GradScaler)
    True
    """

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        _deprecated("GradScaler")
        super().__init__("cpu", init_scale=init_scale, growth_factor=growth_factor, backoff_factor=backoff_factor,
                         growth_interval=growth_interval, enabled=enabled)
