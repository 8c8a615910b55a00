"""Adagrad."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import backend as B
from ..tensor import Tensor
from . import _kernels as K
from ._validate import check_eps, check_lr, check_nonneg
from .optimizer import Optimizer, _scalar, _step_tensor

__all__ = ["Adagrad"]

xp = K.xp


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad`` (state is created for every parameter up front).

    ``s += g^2``; ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0], requires_grad=True)
    >>> opt = kitty.optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_lr(lr)
        check_nonneg(lr_decay, "lr_decay")
        check_nonneg(weight_decay, "weight_decay")
        check_nonneg(initial_accumulator_value, "initial_accumulator_value")
        check_eps(eps)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _step_tensor()
                state["sum"] = Tensor._wrap(B.xp.full_like(p._data, initial_accumulator_value))

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            lr_decay, eps, wd, maximize = group["lr_decay"], group["eps"], group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:  # a group added after construction
                    state["step"] = _step_tensor()
                    state["sum"] = Tensor._wrap(B.xp.full_like(p._data, self.defaults["initial_accumulator_value"]))
                data = p._data
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                g = K.grad_with_decay(p._grad._data, data, maximize, wd)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state["sum"]._data
                tmp = xp.multiply(g, g)
                s += tmp
                std = xp.sqrt(s)
                std += eps
                K.addcdiv_(data, g, std, -clr, tmp)
                p._vc[0] += 1
        return loss
