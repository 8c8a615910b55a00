"""RMSprop (with momentum and the centered variant)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float, step_counter, tick, zeros_for
from ._validate import check_hyper

__all__ = ["RMSprop"]

xp = K.xp


class RMSprop(PerParamOptimizer):
    """RMSprop, as ``torch.optim.RMSprop``.

    ``v = alpha v + (1 - alpha) g^2``; the step is ``g / (sqrt(v - mean(g)^2 if centered) + eps)``,
    accumulated into a momentum buffer when ``momentum > 0``; ``p -= lr * step``.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0], requires_grad=True)
    >>> opt = kitty.optim.RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyper(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        super().__init__(params, {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable,
        })

    def _fresh_state(self, param, group):
        state = {"step": step_counter(), "square_avg": zeros_for(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_for(param)
        if group["centered"]:
            state["grad_avg"] = zeros_for(param)
        return state

    def _step_param(self, data, grad, state, group) -> None:
        alpha = group["alpha"]
        tick(state)
        g = K.grad_with_decay(grad, data, group["maximize"], group["weight_decay"])
        sq = state["square_avg"]._data
        tmp = xp.empty_like(data)
        sq *= alpha
        K.addcmul_(sq, g, g, 1 - alpha, tmp)
        if group["centered"]:  # variance instead of second moment: subtract the squared mean gradient
            mean = state["grad_avg"]._data
            K.lerp_(mean, g, 1 - alpha, tmp)
            scale = xp.multiply(mean, mean)
            xp.subtract(sq, scale, out=scale)
            xp.sqrt(scale, out=scale)
        else:
            scale = xp.sqrt(sq)
        scale += group["eps"]
        lr = as_float(group["lr"])
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]._data
            buf *= group["momentum"]
            xp.divide(g, scale, out=tmp)
            buf += tmp
            K.add_scaled_(data, buf, -lr, tmp)
        else:
            K.addcdiv_(data, g, scale, -lr, tmp)
