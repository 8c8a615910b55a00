"""Stochastic gradient descent (with momentum, dampening, Nesterov momentum, weight decay)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import KittyValueError
from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float
from ._validate import check_hyper

__all__ = ["SGD"]

xp = K.xp


class SGD(PerParamOptimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD`` (same update, same defaults).

    With momentum ``mu``: ``b = mu * b + (1 - dampening) * g`` (``b = g`` at the first step), and
    the step uses ``g + mu * b`` (Nesterov) or ``b``; then ``p -= lr * step``.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0], requires_grad=True)
    >>> opt = kitty.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_hyper(lr=lr, momentum=momentum, weight_decay=weight_decay, allow_nan=True)
        if nesterov and (dampening != 0 or momentum <= 0):
            raise KittyValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, {
            "lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
            "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
            "differentiable": differentiable, "fused": fused,
        })

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given.

        A group without momentum, weight decay or ``maximize`` (plain SGD, the common case) is
        updated in one loop over its parameters, without the per-parameter state lookups and
        calls the general path makes (the same arithmetic: ``p += (-lr) * g``).
        """
        plain = [g for g in self.param_groups if g["momentum"] == 0 and g["weight_decay"] == 0 and not g["maximize"]]
        if len(plain) < len(self.param_groups):
            return super().step(closure)
        loss = self._closure_loss(closure)
        for group in plain:
            scale = -as_float(group["lr"])
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                data = p._data
                data += xp.multiply(grad._data, scale, dtype=data.dtype)
                p._vc[0] += 1
        return loss

    def _fresh_state(self, param, group):
        # only momentum needs state; its buffer is the first gradient itself, set by _step_param
        return {} if group["momentum"] != 0 else None

    def _step_param(self, data, grad, state, group) -> None:
        g = K.grad_with_decay(grad, data, group["maximize"], group["weight_decay"])
        tmp = xp.empty_like(data)
        mu = group["momentum"]
        if mu != 0:
            held = state.get("momentum_buffer")
            if held is None:
                buf = g.copy()
                state["momentum_buffer"] = Tensor._wrap(buf)
            else:
                buf = held._data
                buf *= mu
                K.add_scaled_(buf, g, 1 - group["dampening"], tmp)
            if group["nesterov"]:
                ahead = xp.multiply(buf, mu)
                ahead += g
                g = ahead
            else:
                g = buf
        K.add_scaled_(data, g, -as_float(group["lr"]), tmp)
