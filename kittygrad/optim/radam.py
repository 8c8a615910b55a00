"""RAdam: Adam with a rectified adaptive learning rate."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float, step_counter, tick, zeros_for
from ._validate import check_hyper

__all__ = ["RAdam"]

xp = K.xp


class RAdam(PerParamOptimizer):
    """RAdam, as ``torch.optim.RAdam``: plain momentum SGD until the variance estimate is
    tractable (``rho_t > 5``), then Adam scaled by the rectification term.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0], requires_grad=True)
    >>> opt = kitty.optim.RAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
        weight_decay: float = 0, decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyper(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        super().__init__(params, {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
            "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        })

    def _fresh_state(self, param, group):
        return {"step": step_counter(), "exp_avg": zeros_for(param), "exp_avg_sq": zeros_for(param)}

    def _step_param(self, data, grad, state, group) -> None:
        lr = as_float(group["lr"])
        b1, b2 = group["betas"]
        t = tick(state)
        g = K.decayed_grad(data, grad, lr, group["weight_decay"], group["maximize"], group["decoupled_weight_decay"])
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        tmp = xp.empty_like(data)
        K.lerp_(m, g, 1 - b1, tmp)
        v *= b2
        K.addcmul_(v, g, g, 1 - b2, tmp)
        c2 = 1 - b2**t
        step = xp.divide(m, 1 - b1**t)
        step *= lr
        # length of the approximated simple moving average: its limit, then its value at step t
        rho_limit = 2 / (1 - b2) - 1
        rho = rho_limit - 2 * t * b2**t / c2
        if rho > 5.0:  # the variance is tractable: adaptive step, rectified
            r = ((rho - 4) * (rho - 2) * rho_limit / ((rho_limit - 4) * (rho_limit - 2) * rho)) ** 0.5
            xp.sqrt(v, out=tmp)
            tmp += group["eps"]
            xp.reciprocal(tmp, out=tmp)  # torch's scalar / tensor is reciprocal(tensor) * scalar
            tmp *= c2**0.5
            step *= tmp
            step *= r
        data -= step
