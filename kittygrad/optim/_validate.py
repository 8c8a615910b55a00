"""Hyper-parameter checks shared by the optimizers (torch's messages and ValueError)."""
from __future__ import annotations

from ..errors import KittyValueError
from ..tensor import Tensor


def check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise KittyValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise KittyValueError(f"Invalid learning rate: {lr}")


def check_nonneg(value, what: str) -> None:
    if not 0.0 <= value:
        raise KittyValueError(f"Invalid {what} value: {value}")


def check_eps(eps) -> None:
    if not 0.0 <= eps:
        raise KittyValueError(f"Invalid epsilon value: {eps}")


def check_betas(betas) -> None:
    if not 0.0 <= betas[0] < 1.0:
        raise KittyValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise KittyValueError(f"Invalid beta parameter at index 1: {betas[1]}")
