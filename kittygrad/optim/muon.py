"""Muon: momentum SGD whose update for a weight matrix is orthogonalised (Newton-Schulz)."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..errors import KittyValueError
from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float, zeros_for
from ._validate import check_hyper

__all__ = ["Muon"]

xp = K.xp


def orthogonalize(g, coefficients: tuple[float, float, float], steps: int, eps: float):
    """The nearest semi-orthogonal matrix to ``g``, approximately: ``steps`` quintic
    Newton-Schulz iterations ``X <- a X + (b G + c G^2) X`` with ``G = X X^T``, on the wide side."""
    if steps >= 100:
        raise KittyValueError("Number of steps must be less than 100 for computational efficiency")
    if g.ndim != 2:
        raise KittyValueError("Input tensor gradient must be a 2D matrix")
    if len(coefficients) != 3:
        raise KittyValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = coefficients
    tall = g.shape[0] > g.shape[1]
    x = g.T if tall else g
    x = x / max(float(xp.sqrt(xp.sum(x * x))), eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if tall else x


class Muon(PerParamOptimizer):
    """Muon, as ``torch.optim.Muon`` (2-D parameters only).

    ``buf = lerp(buf, g, 1 - momentum)``; the update (Nesterov: ``lerp(g, buf, momentum)``) is
    orthogonalised by :func:`orthogonalize` and applied with a learning rate scaled for the
    matrix's shape (``adjust_lr_fn``), after decoupled weight decay. One documented difference:
    torch runs the Newton-Schulz iterations in bfloat16, kittygrad in the parameter's dtype, so
    kittygrad's updates are the more accurate and agree with torch's to bfloat16's precision.

    >>> import kittygrad as kitty
    >>> w = kitty.eye(2, requires_grad=True)
    >>> opt = kitty.optim.Muon([w], lr=0.1, weight_decay=0.0)
    >>> (w * kitty.tensor([[1.0, 0.0], [0.0, 2.0]])).sum().backward(); opt.step(); w.shape
    kittygrad.Size([2, 2])
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (3.4445, -4.775, 2.0315),
        eps: float = 1e-7,
        ns_steps: int = 5, adjust_lr_fn: str | None = None,
    ) -> None:
        check_hyper(lr=lr, weight_decay=weight_decay, momentum=momentum)
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise KittyValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        super().__init__(params, {
            "lr": lr, "weight_decay": weight_decay, "momentum": momentum, "nesterov": nesterov,
            "ns_coefficients": ns_coefficients, "eps": eps, "ns_steps": ns_steps, "adjust_lr_fn": adjust_lr_fn,
        })
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise KittyValueError(
                        f"Muon only supports 2D parameters whereas we found a parameter with size: {p.size()}"
                    )

    def _fresh_state(self, param, group):
        return {"momentum_buffer": zeros_for(param)}

    def _step_param(self, data, grad, state, group) -> None:
        momentum, lr = group["momentum"], as_float(group["lr"])
        buf = state["momentum_buffer"]._data
        K.lerp_(buf, grad, 1 - momentum, xp.empty_like(buf))
        update = K.lerp_(grad.copy(), buf, momentum, xp.empty_like(buf)) if group["nesterov"] else buf
        update = orthogonalize(update, group["ns_coefficients"], group["ns_steps"], group["eps"])
        rows, cols = data.shape[:2]
        if group["adjust_lr_fn"] == "match_rms_adamw":
            ratio = 0.2 * math.sqrt(max(rows, cols))
        else:
            ratio = math.sqrt(max(1, rows / cols))
        data *= 1 - lr * group["weight_decay"]
        data -= (lr * ratio) * update.astype(data.dtype)
