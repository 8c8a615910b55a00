"""Rprop: resilient backpropagation, sign-based steps with per-element step sizes."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import backend as B
from ..errors import KittyValueError
from ..tensor import Tensor
from . import _kernels as K
from ._per_param import PerParamOptimizer, as_float, step_counter, tick, zeros_for
from ._validate import check_hyper

__all__ = ["Rprop"]

xp = K.xp


class Rprop(PerParamOptimizer):
    """Rprop, as ``torch.optim.Rprop``.

    Each element keeps its own step size: it grows by ``etas[1]`` while the gradient keeps its
    sign, shrinks by ``etas[0]`` when the sign flips (and that element then skips one update),
    and stays within ``step_sizes``. The parameter moves by ``-sign(g) * step_size``.

    >>> import kittygrad as kitty
    >>> w = kitty.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = kitty.optim.Rprop([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float | Tensor = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2), step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyper(lr=lr)
        # the step size shrinks where the gradient's sign flips and grows where it holds
        shrink, grow = etas[0], etas[1]
        if not 0.0 < shrink < 1.0 < grow:
            raise KittyValueError(f"Invalid eta values: {shrink}, {grow}")
        super().__init__(params, {
            "lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
            "differentiable": differentiable, "capturable": capturable,
        })

    def _fresh_state(self, param, group):
        return {"step": step_counter(), "prev": zeros_for(param),
                "step_size": Tensor._wrap(B.xp.full_like(param._data, as_float(group["lr"])))}

    def _step_param(self, data, grad, state, group) -> None:
        tick(state)
        shrink, grow = group["etas"]
        smallest, largest = group["step_sizes"]
        g = xp.negative(grad) if group["maximize"] else grad
        prev, step_size = state["prev"]._data, state["step_size"]._data
        agreement = xp.sign(g * prev)
        factor = xp.where(agreement > 0, grow, xp.where(agreement < 0, shrink, 1.0)).astype(data.dtype)
        step_size *= factor
        xp.clip(step_size, smallest, largest, out=step_size)
        g = xp.where(agreement < 0, 0, g).astype(data.dtype)  # a flipped sign skips this update
        data -= xp.sign(g) * step_size
        prev[...] = g
