"""Adadelta."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float, step_counter, tick, zeros_for
from ._validate import check_hyper

__all__ = ["Adadelta"]

xp = K.xp


class Adadelta(PerParamOptimizer):
    """Adadelta, as ``torch.optim.Adadelta``.

    ``v = rho v + (1 - rho) g^2``; ``d = sqrt(u + eps) / sqrt(v + eps) * g``;
    ``u = rho u + (1 - rho) d^2``; ``p -= lr * d``.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0], requires_grad=True)
    >>> opt = kitty.optim.Adadelta([w])
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.9968], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyper(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        super().__init__(params, {
            "lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
            "capturable": capturable, "foreach": foreach, "differentiable": differentiable,
        })

    def _fresh_state(self, param, group):
        return {"step": step_counter(), "square_avg": zeros_for(param), "acc_delta": zeros_for(param)}

    def _step_param(self, data, grad, state, group) -> None:
        rho, eps = group["rho"], group["eps"]
        tick(state)
        g = K.grad_with_decay(grad, data, group["maximize"], group["weight_decay"])
        sq, acc = state["square_avg"]._data, state["acc_delta"]._data
        tmp = xp.empty_like(data)
        sq *= rho
        K.addcmul_(sq, g, g, 1 - rho, tmp)
        rms_grad = xp.add(sq, eps)
        xp.sqrt(rms_grad, out=rms_grad)
        delta = xp.add(acc, eps)
        xp.sqrt(delta, out=delta)
        delta /= rms_grad
        delta *= g
        acc *= rho
        K.addcmul_(acc, delta, delta, 1 - rho, tmp)
        K.add_scaled_(data, delta, -as_float(group["lr"]), tmp)
