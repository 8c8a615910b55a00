"""Adadelta."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import KittyValueError
from ..tensor import Tensor
from . import _kernels as K
from ._validate import check_eps, check_lr, check_nonneg
from .optimizer import Optimizer, _scalar, _step_tensor, _zeros_like

__all__ = ["Adadelta"]

xp = K.xp


class Adadelta(Optimizer):
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
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise KittyValueError(f"Invalid rho value: {rho}")
        check_eps(eps)
        check_nonneg(weight_decay, "weight_decay")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            rho, eps, wd, maximize = group["rho"], group["eps"], group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = _zeros_like(p)
                    state["acc_delta"] = _zeros_like(p)
                data = p._data
                state["step"]._data += 1
                g = K.grad_with_decay(p._grad._data, data, maximize, wd)
                sq = state["square_avg"]._data
                acc = state["acc_delta"]._data
                tmp = xp.empty_like(data)
                sq *= rho
                K.addcmul_(sq, g, g, 1 - rho, tmp)
                std = xp.add(sq, eps)
                xp.sqrt(std, out=std)
                delta = xp.add(acc, eps)
                xp.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                acc *= rho
                K.addcmul_(acc, delta, delta, 1 - rho, tmp)
                K.add_scaled_(data, delta, -lr, tmp)
                p._vc[0] += 1
        return loss
