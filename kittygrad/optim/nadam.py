"""NAdam: Adam with Nesterov momentum (and momentum decay)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..tensor import Tensor
from . import _kernels as K
from ._validate import check_betas, check_eps, check_lr, check_nonneg
from .optimizer import Optimizer, _scalar, _step_tensor, _zeros_like

__all__ = ["NAdam"]

xp = K.xp


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam`` (``mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay))``).

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0], requires_grad=True)
    >>> opt = kitty.optim.NAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8944], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
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
        check_nonneg(momentum_decay, "momentum_decay")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
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
            momentum_decay, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["mu_product"] = _step_tensor(1.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                data = p._data
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                bias_correction2 = 1 - beta2**step
                if wd != 0 and decoupled:
                    data *= 1 - lr * wd
                    g = K.grad_with_decay(p._grad._data, data, maximize, 0)
                else:
                    g = K.grad_with_decay(p._grad._data, data, maximize, wd)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mp_arr = state["mu_product"]._data
                mp_arr *= mu  # kept at the step counter's precision, as torch does
                mu_product = float(mp_arr)
                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                tmp = xp.empty_like(data)
                K.lerp_(m, g, 1 - beta1, tmp)
                v *= beta2
                K.addcmul_(v, g, g, 1 - beta2, tmp)
                denom = xp.divide(v, bias_correction2)
                xp.sqrt(denom, out=denom)
                denom += eps
                mu_product_next = mu_product * mu_next
                K.addcdiv_(data, g, denom, -lr * (1.0 - mu) / (1.0 - mu_product), tmp)
                K.addcdiv_(data, m, denom, (-lr * mu_next) / (1.0 - mu_product_next), tmp)
                p._vc[0] += 1
        return loss


