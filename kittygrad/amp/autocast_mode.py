"""``kittygrad.amp.autocast``: regions where the matmul/linear/conv family runs in lower precision.

As ``torch.amp.autocast``: a context manager (and decorator) per device type. On the CPU, inside
an enabled region, the ops on torch's lower-precision list cast their float32 inputs to the
region's dtype (bfloat16 by default, or float16) through a differentiable cast, so their results
are in that dtype and gradients come back in float32. kittygrad casts the matmul/linear/conv
family (``kittygrad.ops._autocast.HOOKED``) down, and the losses of torch's float32 list up to
float32 (``float32_args``); the lists are data in ``kittygrad/ops/_autocast.py``. Other device types are unavailable (kittygrad runs on the CPU): such
a region warns and stays disabled, as torch does without CUDA.

>>> import kittygrad as kitty
>>> with kitty.autocast("cpu"):
...     kitty.nn.functional.linear(kitty.ones(2, 3), kitty.ones(4, 3)).dtype
kittygrad.bfloat16
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from .. import _display
from .. import dtypes as D
from ..errors import KittyRuntimeError, KittyTypeError, KittyValueError
from ..ops import _autocast as _S
from ..tensor import Tensor

__all__ = ["autocast", "custom_fwd", "custom_bwd", "is_autocast_available", "is_autocast_enabled",
           "get_autocast_dtype", "set_autocast_enabled", "set_autocast_dtype", "is_autocast_cpu_enabled",
           "get_autocast_cpu_dtype", "set_autocast_cpu_enabled", "set_autocast_cpu_dtype", "get_autocast_gpu_dtype",
           "set_autocast_gpu_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache"]

#: the device types torch's device strings start with
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                 "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


def _check_device_type(device_type) -> str:
    """``device_type`` itself when it names one of torch's device types; torch's errors otherwise."""
    if isinstance(device_type, str):
        if device_type in _DEVICE_TYPES:
            return device_type
        raise KittyRuntimeError(
            f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device string: {device_type}"
        )
    raise KittyValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")


class autocast:  # noqa: N801 - torch's name
    """A region where lower-precision ops run in ``dtype`` on ``device_type`` (see the module).

    ``dtype`` defaults to the device's current autocast dtype (bfloat16 on the CPU unless set with
    :func:`set_autocast_dtype`). ``enabled=False`` turns autocast off inside an enclosing region.
    ``cache_enabled`` is accepted (kittygrad keeps no cast cache).

    >>> import kittygrad as kitty
    >>> @kitty.autocast("cpu", dtype=kitty.float16)
    ... def product(a, b):
    ...     return a @ b
    >>> product(kitty.ones(2, 2), kitty.ones(2, 2)).dtype, kitty.is_autocast_enabled("cpu")
    (kittygrad.float16, False)
    >>> with kitty.autocast("cpu"):
    ...     (kitty.ones(2, 2) @ kitty.ones(2, 2)).dtype
    kittygrad.bfloat16
    """

    def __init__(self, device_type: str, dtype: D.dtype | None = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        self.device = _check_device_type(device_type)
        self.fast_dtype = _S.get_dtype(device_type) if dtype is None else D.to_dtype(dtype)
        self._cache_enabled = cache_enabled
        enabled = bool(enabled)
        if enabled and device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", UserWarning,
                          stacklevel=2)
            enabled = False
        elif enabled and device_type != "cpu":
            warnings.warn(
                f"User specified an unsupported autocast device_type '{device_type}': kittygrad runs on the CPU. "
                "Disabling autocast.", UserWarning, stacklevel=2,
            )
            enabled = False
        elif enabled and self.fast_dtype.name not in _S.CPU_DTYPES:
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                "CPU Autocast only supports dtypes of kittygrad.bfloat16, kittygrad.float16 currently.",
                UserWarning, stacklevel=2,
            )
            enabled = False
        self._enabled = enabled
        self._saved: list[tuple] = []

    def __enter__(self) -> autocast:
        self._saved.append((_S.is_enabled(self.device), _S._state.dtype.get(self.device)))
        _S.set_state(self.device, self._enabled, self.fast_dtype)
        return self

    def __exit__(self, *exc) -> bool:
        enabled, dtype = self._saved.pop()
        _S.set_state(self.device, enabled, dtype)
        return False

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def in_region(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return in_region


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can run on ``device_type``: only on the CPU in kittygrad.

    >>> import kittygrad as kitty
    >>> kitty.amp.is_autocast_available("cpu"), kitty.amp.is_autocast_available("cuda")
    (True, False)
    """
    return _check_device_type(device_type) == "cpu"


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an enabled autocast region is active for ``device_type`` (``None``: CUDA's, as torch).

    >>> import kittygrad as kitty
    >>> kitty.is_autocast_enabled("cpu")
    False
    """
    return _S.is_enabled("cuda" if device_type is None else _check_device_type(device_type))


def get_autocast_dtype(device_type: str) -> D.dtype:
    """The dtype autocast uses on ``device_type`` (float16 outside the CPU; bfloat16 on it unless set).

    >>> import kittygrad as kitty
    >>> kitty.get_autocast_dtype("cpu")
    kittygrad.bfloat16
    >>> with kitty.autocast("cpu", dtype=kitty.float16):
    ...     kitty.get_autocast_dtype("cpu")
    kittygrad.float16
    """
    return _S.get_dtype(_check_device_type(device_type))


def set_autocast_enabled(device_type: str, enabled: bool | None = None) -> None:
    """Turn autocast on or off for ``device_type`` outside a ``with`` block (torch's low-level switch).

    torch's older one-argument form, ``set_autocast_enabled(enabled)``, switches CUDA's, as
    ``is_autocast_enabled()`` without a device reads CUDA's.

    >>> import kittygrad as kitty
    >>> kitty.set_autocast_enabled("cpu", False)
    >>> kitty.set_autocast_enabled(False); kitty.is_autocast_enabled()
    False
    """
    if enabled is None:
        if not isinstance(device_type, bool):
            raise KittyTypeError(
                f"set_autocast_enabled(): argument 'enabled' (position 1) must be bool, not {type(device_type).__name__}"
            )
        device_type, enabled = "cuda", device_type
    device_type = _check_device_type(device_type)
    _S.set_state(device_type, bool(enabled), _S._state.dtype.get(device_type))


def set_autocast_dtype(device_type: str, dtype: D.dtype) -> None:
    """Set the dtype autocast uses on ``device_type``.

    >>> import kittygrad as kitty
    >>> kitty.set_autocast_dtype("cuda", kitty.float16)
    """
    device_type = _check_device_type(device_type)
    _S.set_state(device_type, _S.is_enabled(device_type), D.to_dtype(dtype))


def _cast_floats(value: Any, dtype: D.dtype):
    """``value`` with every float tensor in it (through lists, tuples and dicts) cast to ``dtype``."""
    if isinstance(value, Tensor):
        return value.to(dtype) if value.is_floating_point() else value
    if isinstance(value, dict):
        return {k: _cast_floats(v, dtype) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_cast_floats(v, dtype) for v in value)
    return value


def custom_fwd(fwd: Callable | None = None, *, device_type: str, cast_inputs: D.dtype | None = None):
    """Decorate a custom ``Function.forward`` for autocast, as ``torch.amp.custom_fwd``.

    Inside an enabled region, ``cast_inputs`` runs forward with autocast off on float inputs cast
    to that dtype; without it, forward runs under the region, and :func:`custom_bwd` makes backward
    run under the same one.

    >>> import kittygrad as kitty
    >>> class Double(kitty.autograd.Function):
    ...     @staticmethod
    ...     @kitty.amp.custom_fwd(device_type="cpu", cast_inputs=kitty.float32)
    ...     def forward(ctx, x):
    ...         return x * 2
    ...     @staticmethod
    ...     @kitty.amp.custom_bwd(device_type="cpu")
    ...     def backward(ctx, g):
    ...         return g * 2
    >>> with kitty.autocast("cpu", dtype=kitty.float16):
    ...     Double.apply(kitty.ones(1, dtype=kitty.float16)).dtype
    kittygrad.float32
    """
    _check_device_type(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def forward(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = _S.get_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = _S.is_enabled(device_type)
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        if not _S.is_enabled(device_type):
            return fwd(*args, **kwargs)
        with autocast(device_type, enabled=False):
            return fwd(*_cast_floats(args, cast_inputs), **_cast_floats(kwargs, cast_inputs))

    return forward


def custom_bwd(bwd: Callable | None = None, *, device_type: str):
    """Decorate a custom ``Function.backward`` to run under the autocast state its forward saw.

    >>> import kittygrad as kitty
    >>> kitty.amp.custom_bwd(device_type="cpu")(abs)  # doctest: +ELLIPSIS
    <function abs at ...>
    """
    _check_device_type(device_type)
    if bwd is None:  # used as @custom_bwd(device_type=...): the decorator still to be applied
        return lambda fn: custom_bwd(fn, device_type=device_type)

    @functools.wraps(bwd)
    def backward(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)

    return backward


def is_autocast_cpu_enabled() -> bool:
    """Deprecated: ``is_autocast_enabled("cpu")`` (warns, as torch).

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kitty.is_autocast_cpu_enabled()
    False
    """
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return _S.is_enabled("cpu")


def get_autocast_cpu_dtype() -> D.dtype:
    """Deprecated: ``get_autocast_dtype("cpu")`` (warns, as torch).

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings(), kitty.autocast("cpu", dtype=kitty.float16):
    ...     warnings.simplefilter("ignore")
    ...     kitty.get_autocast_cpu_dtype()
    kittygrad.float16
    """
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def _deprecated(old: str, new: str) -> None:
    """torch's DeprecationWarning for a legacy autocast switch, under the printed package name
    (torch's text under ``kittygrad.run``)."""
    pkg = _display.name
    warnings.warn(f"{pkg}.{old} is deprecated. Please use {pkg}.{new} instead.", DeprecationWarning,
                  stacklevel=3)


def set_autocast_cpu_enabled(enabled: bool) -> None:
    """Deprecated: ``set_autocast_enabled("cpu", enabled)`` (warns, as torch)."""
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def set_autocast_cpu_dtype(dtype: D.dtype) -> None:
    """Deprecated: ``set_autocast_dtype("cpu", dtype)`` (warns, as torch)."""
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype() -> D.dtype:
    """Deprecated: ``get_autocast_dtype("cuda")`` (warns, as torch).

    >>> import kittygrad as kitty, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kitty.get_autocast_gpu_dtype()
    kittygrad.float16
    """
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype: D.dtype) -> None:
    """Deprecated: ``set_autocast_dtype("cuda", dtype)`` (warns, as torch)."""
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


_cache_enabled = True


def is_autocast_cache_enabled() -> bool:
    """Whether autocast may cache the low-precision copies of weights (torch's switch; on by default).
    kittygrad casts afresh on every op, so the flag is only kept and reported.

    >>> import kittygrad as kitty
    >>> kitty.is_autocast_cache_enabled()
    True
    """
    return _cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    """Set the flag :func:`is_autocast_cache_enabled` reports (kittygrad keeps no cast cache)."""
    global _cache_enabled
    _cache_enabled = bool(enabled)


def clear_autocast_cache() -> None:
    """Empty autocast's cache of cast weights: kittygrad keeps none, so there is nothing to clear.

    >>> import kittygrad as kitty
    >>> kitty.clear_autocast_cache()
    """
