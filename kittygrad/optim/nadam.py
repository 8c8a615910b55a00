"""NAdam: Adam with Nesterov momentum (and momentum decay)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float, step_counter, tick, zeros_for
from ._validate import check_hyper

__all__ = ["NAdam"]

xp = K.xp


def _momentum_at(beta1: float, psi: float, k: float) -> float:
    """NAdam's momentum schedule ``mu_k = beta1 (1 - 0.96^(k psi) / 2)``."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (k * psi))


class NAdam(PerParamOptimizer):
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
        betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
        weight_decay: float = 0, momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyper(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay)
        super().__init__(params, {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize, "foreach": foreach, "capturable": capturable, "differentiable": differentiable,
        })

    def _fresh_state(self, param, group):
        # mu_product is a 0-d tensor at the step counter's precision, as torch keeps it
        return {"step": step_counter(), "mu_product": step_counter(1.0),
                "exp_avg": zeros_for(param), "exp_avg_sq": zeros_for(param)}

    def _step_param(self, data, grad, state, group) -> None:
        lr = as_float(group["lr"])
        b1, b2 = group["betas"]
        psi = group["momentum_decay"]
        t = tick(state)
        g = K.decayed_grad(data, grad, lr, group["weight_decay"], group["maximize"], group["decoupled_weight_decay"])
        mu, mu_following = _momentum_at(b1, psi, t), _momentum_at(b1, psi, t + 1)
        product = state["mu_product"]._data
        product *= mu
        prod_now = float(product)
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        tmp = xp.empty_like(data)
        K.lerp_(m, g, 1 - b1, tmp)
        v *= b2
        K.addcmul_(v, g, g, 1 - b2, tmp)
        denom = xp.divide(v, 1 - b2**t)
        xp.sqrt(denom, out=denom)
        denom += group["eps"]
        # the Nesterov look-ahead: a share of the raw gradient plus a share of the next momentum
        K.addcdiv_(data, g, denom, -lr * (1.0 - mu) / (1.0 - prod_now), tmp)
        K.addcdiv_(data, m, denom, (-lr * mu_following) / (1.0 - prod_now * mu_following), tmp)
