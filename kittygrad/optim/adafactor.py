"""Adafactor: Adam-like steps with a factored (row x column) second-moment estimate."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .. import backend as B
from ..errors import KittyValueError
from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float, step_counter, tick, zeros_for
from ._validate import check_hyper

__all__ = ["Adafactor"]

xp = K.xp


def _zeros(shape, like) -> Tensor:
    return Tensor._wrap(B.xp.zeros(shape, dtype=like.dtype))


class Adafactor(PerParamOptimizer):
    """Adafactor, as ``torch.optim.Adafactor``.

    For a matrix (or a batch of them) only the row and column means of ``g^2`` are kept, and
    their outer product, normalised, estimates the second moment; vectors keep the full
    estimate. The relative step ``min(lr, 1/sqrt(t))`` is scaled by the parameter's RMS (at
    least ``eps[1]``), and the update is clipped to an RMS of ``d``.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> opt = kitty.optim.Adafactor([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step(); w.shape
    kittygrad.Size([2, 2])
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        check_hyper(lr=lr)
        if not 0.0 >= beta2_decay:
            raise KittyValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        # eps1 floors the second-moment estimate (None: the dtype's eps), eps2 the parameters' RMS
        eps1, eps2 = eps[0], eps[1]
        if eps1 is not None and not 0.0 <= eps1:
            raise KittyValueError(f"epsilon1 should be >= 0 but is: {eps1}")
        if not 0.0 <= eps2:
            raise KittyValueError(f"epsilon2 should be >= 0 but is: {eps2}")
        if not 1.0 <= d:
            raise KittyValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise KittyValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, {
            "lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d, "weight_decay": weight_decay,
            "foreach": foreach, "maximize": maximize,
        })

    def _fresh_state(self, param, group):
        data = param._data
        state = {"step": step_counter()}
        if data.ndim > 1:
            state["row_var"] = _zeros(data.shape[:-1] + (1,), data)
            state["col_var"] = _zeros(data.shape[:-2] + (1,) + data.shape[-1:], data)
        else:
            state["variance"] = zeros_for(param)
        return state

    def _step_param(self, data, grad, state, group) -> None:
        t = tick(state, "`state_steps` argument must contain a list of singleton tensors")
        g = xp.negative(grad) if group["maximize"] else grad
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(B.finfo(data.dtype).eps)
        lr = as_float(group["lr"])
        rho = min(lr, 1 / math.sqrt(t))
        alpha = max(eps2, float(xp.sqrt(xp.mean(data * data)))) * rho
        if group["weight_decay"] != 0:
            data *= 1 - lr * group["weight_decay"]
        keep = 1 - (1 - t ** group["beta2_decay"])  # lerp weight 1 - beta2_t
        tmp = xp.empty_like(data)
        if data.ndim > 1:
            row_var, col_var = state["row_var"]._data, state["col_var"]._data
            K.lerp_(row_var, xp.mean(g * g, axis=-1, keepdims=True), keep, xp.empty_like(row_var))
            K.lerp_(col_var, xp.mean(g * g, axis=-2, keepdims=True), keep, xp.empty_like(col_var))
            estimate = row_var @ col_var
            estimate /= xp.maximum(xp.mean(row_var, axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"]._data
            K.lerp_(variance, g * g, keep, tmp)
            estimate = variance.copy()
        update = 1 / xp.sqrt(xp.maximum(estimate, eps1 * eps1))
        update *= g
        denom = max(1.0, float(xp.sqrt(xp.sum(update * update))) / (math.sqrt(update.size) * group["d"]))
        K.add_scaled_(data, update, -alpha / denom, tmp)
