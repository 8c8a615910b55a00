"""AdamW: Adam with decoupled weight decay."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: ``p *= 1 - lr * weight_decay`` before the Adam update.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0], requires_grad=True)
    >>> opt = kitty.optim.AdamW([w], lr=0.1, weight_decay=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8900], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999), eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        options = dict(maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, fused=fused,
                         decoupled_weight_decay=True, **options)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:  # AdamW is decoupled whatever a loaded state says
            group.update(decoupled_weight_decay=True)
