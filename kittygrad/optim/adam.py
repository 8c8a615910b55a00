"""Adam (and, with ``decoupled_weight_decay``, AdamW), with the AMSGrad variant."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import KittyValueError
from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float, step_counter, tick, zeros_for
from ._validate import check_hyper

__all__ = ["Adam"]

xp = K.xp


class Adam(PerParamOptimizer):
    """Adam, as ``torch.optim.Adam`` (same update, defaults and state keys).

    ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g^2`` and
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``; ``amsgrad`` uses the
    running maximum of ``v``; ``decoupled_weight_decay`` turns it into AdamW.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0], requires_grad=True)
    >>> opt = kitty.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999), eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None, decoupled_weight_decay: bool = False,
    ) -> None:
        check_hyper(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        # torch takes two floats or two one-element tensors, never a mix (nor ints)
        if not any(all(isinstance(b, kind) for b in betas) for kind in (float, Tensor)):
            raise KittyValueError("betas must be either both floats or both Tensors")
        for i, b in enumerate(betas):
            if isinstance(b, Tensor) and b.numel() != 1:
                raise KittyValueError(f"Tensor betas[{i}] must be 1-element")
        super().__init__(params, {
            "lr": lr, "betas": tuple(as_float(b) for b in betas), "eps": eps, "weight_decay": weight_decay,
            "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach, "capturable": capturable,
            "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay,
        })

    def _fresh_state(self, param, group):
        state = {"step": step_counter(), "exp_avg": zeros_for(param), "exp_avg_sq": zeros_for(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_for(param)
        return state

    def _step_param(self, data, grad, state, group) -> None:
        lr = as_float(group["lr"])
        b1, b2 = map(as_float, group["betas"])
        t = tick(state)
        g = K.decayed_grad(data, grad, lr, group["weight_decay"], group["maximize"], group["decoupled_weight_decay"])
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        tmp = xp.empty_like(data)
        K.lerp_(m, g, 1 - b1, tmp)
        v *= b2
        K.addcmul_(v, g, g, 1 - b2, tmp)
        if group["amsgrad"]:
            peak = state["max_exp_avg_sq"]._data
            xp.maximum(peak, v, out=peak)
            v = peak
        # the bias corrections enter as torch applies them (sqrt(v) / sqrt(c2), lr / c1), so
        # float32 runs round as torch's do
        denom = xp.sqrt(v)
        denom /= (1 - b2**t) ** 0.5
        denom += group["eps"]
        K.addcdiv_(data, m, denom, -(lr / (1 - b1**t)), tmp)
