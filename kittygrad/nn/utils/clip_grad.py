"""Gradient clipping by total norm or by value (in place, no graph)."""
from __future__ import annotations

import math
import warnings
from collections.abc import Iterable

from ... import backend as B
from ...errors import KittyRuntimeError
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _params(parameters) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _grads(parameters) -> list:
    return [p._grad for p in _params(parameters) if p._grad is not None]


def get_total_norm(tensors: Iterable[Tensor], norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` together, as a 0-d tensor.

    >>> import kittygrad as kitty
    >>> kitty.nn.utils.get_total_norm([kitty.tensor([3.]), kitty.tensor([4.])])
    tensor(5.)
    """
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._wrap(B.xp.asarray(0.0, dtype=B.NP_DTYPES["float32"]))
    dtype = tensors[0]._data.dtype
    xp = B.xp
    if norm_type == math.inf:
        total = max(float(xp.abs(t._data).max()) if t._data.size else 0.0 for t in tensors)
    elif norm_type == -math.inf:
        total = min(float(xp.abs(t._data).min()) for t in tensors if t._data.size)
    elif norm_type == 0:  # torch takes the 0-norm of the per-tensor 0-norms: the tensors with a non-zero
        total = float(sum(1 for t in tensors if bool((t._data != 0).any())))
    else:
        acc = 0.0
        for t in tensors:
            a = xp.abs(t._data.astype(xp.float64, copy=False))
            with B.errstate(divide="ignore"):  # 0 ** p = inf for p < 0, as torch
                acc += float((a**norm_type).sum()) if norm_type != 2 else float((a * a).sum())
        total = acc ** (1.0 / norm_type) if acc or norm_type > 0 else math.inf
    if error_if_nonfinite and not math.isfinite(total):
        raise KittyRuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return Tensor._wrap(xp.asarray(total, dtype=dtype))


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale all gradients in place so that their total norm is at most ``max_norm``; returns
    the total norm before clipping.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([3., 4.], requires_grad=True); (w * w).sum().backward()
    >>> kitty.nn.utils.clip_grad_norm_([w], 1.0)
    tensor(10.)
    >>> w.grad
    tensor([0.6000, 0.8000])
    """
    parameters = _params(parameters)
    grads = _grads(parameters)
    if not grads:
        return Tensor._wrap(B.xp.asarray(0.0, dtype=B.NP_DTYPES["float32"]))
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Scale the gradients in place by ``max_norm / (total_norm + 1e-6)`` when that is below 1: the
    second half of :func:`clip_grad_norm_`, for a ``total_norm`` computed elsewhere (e.g. reduced
    across processes).

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([3., 4.], requires_grad=True); (w * 1).sum().backward()
    >>> kitty.nn.utils.clip_grads_with_norm_([w], 1.0, kitty.tensor(2.0)); w.grad
    tensor([0.5000, 0.5000])
    """
    coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0)
    for g in _grads(parameters):
        g._data = g._data * g._data.dtype.type(coef)


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Deprecated alias of :func:`clip_grad_norm_` (warns, as torch does).

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([3., 4.], requires_grad=True); (w * 1).sum().backward()
    >>> kitty.nn.utils.clip_grad_norm([w], 1.0).item() > 1.41
    True
    """
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type=norm_type, error_if_nonfinite=error_if_nonfinite, foreach=foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([3., 4.], requires_grad=True); (w * w).sum().backward()
    >>> kitty.nn.utils.clip_grad_value_([w], 7.0); w.grad
    tensor([6., 7.])
    """
    v = float(clip_value)
    for g in _grads(parameters):
        B.xp.clip(g._data, -v, v, out=g._data)
