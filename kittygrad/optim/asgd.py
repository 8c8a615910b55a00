"""ASGD: SGD with Polyak-Ruppert averaging of the iterates."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float, step_counter, tick, zeros_for
from ._validate import check_hyper

__all__ = ["ASGD"]

xp = K.xp


class ASGD(PerParamOptimizer):
    """Averaged SGD, as ``torch.optim.ASGD``.

    The step is ``p = p (1 - lambd eta) - eta g`` with a decaying ``eta = lr / (1 + lambd lr t)^alpha``;
    from step ``t0`` on, ``state["ax"]`` holds the running average of the iterates.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0], requires_grad=True)
    >>> opt = kitty.optim.ASGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_hyper(lr=lr, weight_decay=weight_decay)
        super().__init__(params, {
            "lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
            "foreach": foreach, "maximize": maximize, "differentiable": differentiable, "capturable": capturable,
        })

    def _fresh_state(self, param, group):
        # eta and mu are 0-d tensors of the step's dtype (float32 unless the default is float64),
        # as torch keeps them: the update reads them back rounded to that precision
        return {"step": step_counter(), "eta": step_counter(as_float(group["lr"])),
                "mu": step_counter(1.0), "ax": zeros_for(param)}

    def _step_param(self, data, grad, state, group) -> None:
        t = tick(state, plain_step_error=None)
        g = K.grad_with_decay(grad, data, group["maximize"], group["weight_decay"])
        eta, mu = float(state["eta"]._data), float(state["mu"]._data)
        data *= 1 - group["lambd"] * eta
        K.add_scaled_(data, g, -eta, xp.empty_like(data))
        ax = state["ax"]._data
        if mu != 1:
            ax += (data - ax) * mu
        else:
            ax[...] = data
        lr = as_float(group["lr"])
        state["eta"]._data[...] = lr / (1 + group["lambd"] * lr * t) ** group["alpha"]
        state["mu"]._data[...] = 1 / max(1.0, t - group["t0"])
