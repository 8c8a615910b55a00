"""Stochastic gradient descent (with momentum, dampening, Nesterov momentum, weight decay)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import KittyValueError
from ..tensor import Tensor
from . import _kernels as K
from .optimizer import Optimizer, _scalar

__all__ = ["SGD"]


class SGD(Optimizer):
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
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise KittyValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise KittyValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise KittyValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise KittyValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise KittyValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            nesterov = group["nesterov"]
            wd = group["weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                data = p._data
                g = K.grad_with_decay(p._grad._data, data, maximize, wd)
                tmp = None
                if momentum != 0:
                    state = self.state[p]
                    buf_t = state.get("momentum_buffer")
                    if buf_t is None:
                        buf = g.copy()
                        state["momentum_buffer"] = Tensor._wrap(buf)
                    else:
                        buf = buf_t._data
                        buf *= momentum
                        tmp = K.xp.empty_like(data)
                        K.add_scaled_(buf, g, 1 - dampening, tmp)
                    if nesterov:
                        nb = K.xp.multiply(buf, momentum)
                        nb += g
                        g = nb
                    else:
                        g = buf
                if tmp is None:
                    tmp = K.xp.empty_like(data)
                K.add_scaled_(data, g, -lr, tmp)
                p._vc[0] += 1
        return loss
