"""Adagrad."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import backend as B
from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float, step_counter, tick
from ._validate import check_hyper

__all__ = ["Adagrad"]

xp = K.xp


class Adagrad(PerParamOptimizer):
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
        initial_accumulator_value: float = 0, eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_hyper(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                    initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "fused": fused,
        })
        # torch creates Adagrad's state at construction (so state_dict lists every parameter)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._fresh_state(p, group)

    def _fresh_state(self, param, group):
        fill = group["initial_accumulator_value"]
        return {"step": step_counter(), "sum": Tensor._wrap(B.xp.full_like(param._data, fill))}

    def _step_param(self, data, grad, state, group) -> None:
        t = tick(state)
        g = K.grad_with_decay(grad, data, group["maximize"], group["weight_decay"])
        decayed_lr = as_float(group["lr"]) / (1 + (t - 1) * group["lr_decay"])
        total = state["sum"]._data
        tmp = xp.multiply(g, g)
        total += tmp
        std = xp.sqrt(total)
        std += group["eps"]
        K.addcdiv_(data, g, std, -decayed_lr, tmp)
