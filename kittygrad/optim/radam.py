"""RAdam: Adam with a rectified adaptive learning rate."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..tensor import Tensor
from . import _kernels as K
from ._validate import check_betas, check_eps, check_lr, check_nonneg
from .optimizer import Optimizer, _scalar, _step_tensor, _zeros_like

__all__ = ["RAdam"]

xp = K.xp


class RAdam(Optimizer):
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
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check_eps(eps)
        check_betas(betas)
        check_nonneg(weight_decay, "weight_decay")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            beta1, beta2 = group["betas"]
            eps, wd, maximize = group["eps"], group["weight_decay"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                data = p._data
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                if wd != 0 and decoupled:
                    data *= 1 - lr * wd
                    g = K.grad_with_decay(p._grad._data, data, maximize, 0)
                else:
                    g = K.grad_with_decay(p._grad._data, data, maximize, wd)
                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                tmp = xp.empty_like(data)
                K.lerp_(m, g, 1 - beta1, tmp)
                v *= beta2
                K.addcmul_(v, g, g, 1 - beta2, tmp)
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                update = xp.divide(m, bias_correction1)
                update *= lr
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    xp.sqrt(v, out=tmp)
                    tmp += eps
                    xp.reciprocal(tmp, out=tmp)  # torch's scalar / tensor is reciprocal(tensor) * scalar
                    tmp *= bias_correction2**0.5
                    update *= tmp
                    update *= rect
                data -= update
                p._vc[0] += 1
        return loss
