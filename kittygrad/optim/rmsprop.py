"""RMSprop (with momentum and the centered variant)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..tensor import Tensor
from . import _kernels as K
from ._validate import check_eps, check_lr, check_nonneg
from .optimizer import Optimizer, _scalar, _step_tensor, _zeros_like

__all__ = ["RMSprop"]

xp = K.xp


class RMSprop(Optimizer):
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
        check_lr(lr)
        check_eps(eps)
        check_nonneg(momentum, "momentum")
        check_nonneg(weight_decay, "weight_decay")
        check_nonneg(alpha, "alpha")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
            centered, wd, maximize = group["centered"], group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if centered:
                        state["grad_avg"] = _zeros_like(p)
                data = p._data
                state["step"]._data += 1
                g = K.grad_with_decay(p._grad._data, data, maximize, wd)
                sq = state["square_avg"]._data
                tmp = xp.empty_like(data)
                sq *= alpha
                K.addcmul_(sq, g, g, 1 - alpha, tmp)
                if centered:
                    ga = state["grad_avg"]._data
                    K.lerp_(ga, g, 1 - alpha, tmp)
                    avg = xp.multiply(ga, ga)
                    xp.subtract(sq, avg, out=avg)
                    xp.sqrt(avg, out=avg)
                else:
                    avg = xp.sqrt(sq)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    xp.divide(g, avg, out=tmp)
                    buf += tmp
                    K.add_scaled_(data, buf, -lr, tmp)
                else:
                    K.addcdiv_(data, g, avg, -lr, tmp)
                p._vc[0] += 1
        return loss
