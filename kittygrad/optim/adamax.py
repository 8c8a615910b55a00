"""Adamax: Adam with the infinity norm."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float, step_counter, tick, zeros_for
from ._validate import check_hyper

__all__ = ["Adamax"]

xp = K.xp


class Adamax(PerParamOptimizer):
    """Adamax, as ``torch.optim.Adamax``.

    ``m = lerp(m, g, 1 - beta1)``, ``u = max(beta2 u, |g| + eps)``, ``p -= lr / (1 - beta1^t) * m / u``.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0], requires_grad=True)
    >>> opt = kitty.optim.Adamax([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_hyper(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        super().__init__(params, {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "capturable": capturable,
        })

    def _fresh_state(self, param, group):
        return {"step": step_counter(), "exp_avg": zeros_for(param), "exp_inf": zeros_for(param)}

    def _step_param(self, data, grad, state, group) -> None:
        b1, b2 = group["betas"]
        t = tick(state)
        g = K.grad_with_decay(grad, data, group["maximize"], group["weight_decay"])
        m, u = state["exp_avg"]._data, state["exp_inf"]._data
        tmp = xp.empty_like(data)
        K.lerp_(m, g, 1 - b1, tmp)
        u *= b2
        xp.abs(g, out=tmp)
        tmp += group["eps"]
        xp.maximum(u, tmp, out=u)
        K.addcdiv_(data, m, u, -(as_float(group["lr"]) / (1 - b1**t)), tmp)
