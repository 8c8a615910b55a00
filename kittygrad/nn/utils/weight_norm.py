"""The legacy, hook-based weight normalisation (``torch.nn.utils.weight_norm``), deprecated by torch
in favour of :func:`kittygrad.nn.utils.parametrizations.weight_norm`: the parameter is replaced by
``<name>_g`` and ``<name>_v``, and a forward pre-hook recomputes ``<name>`` before each call."""
from __future__ import annotations

import warnings
from typing import Any

from ...tensor import Tensor
from ..modules.module import Module
from ..parameter import Parameter
from .parametrizations import _norm_except_dim
from .spectral_norm import _hook_key

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


class WeightNorm:
    """The forward pre-hook that computes ``<name> = g * v / ||v||`` from ``<name>_g``, ``<name>_v``."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def _part_names(self) -> tuple[str, str]:
        """The parameters holding the magnitude (g) and the direction (v)."""
        return f"{self.name}_g", f"{self.name}_v"

    def compute_weight(self, module: Module) -> Tensor:
        magnitude, direction = (getattr(module, part) for part in self._part_names())
        return direction * (magnitude / _norm_except_dim(direction, self.dim))

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        warnings.warn(
            "`torch.nn.utils.weight_norm` is deprecated in favor of `torch.nn.utils.parametrizations.weight_norm`.",
            FutureWarning,
            stacklevel=3,
        )
        if _hook_key(module, WeightNorm, name) is not None:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        hook = WeightNorm(name, dim)
        full = getattr(module, name)
        module._parameters.pop(name)
        parts = (_norm_except_dim(full, hook.dim), full)
        for part_name, value in zip(hook._part_names(), parts):
            module.register_parameter(part_name, Parameter(value.detach()))
        hook(module, None)
        module.register_forward_pre_hook(hook)
        return hook

    def remove(self, module: Module) -> None:
        final = self.compute_weight(module)
        delattr(module, self.name)
        for part_name in self._part_names():
            module._parameters.pop(part_name)
        setattr(module, self.name, Parameter(final.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        # before every forward: <name> is a plain tensor rebuilt from <name>_g and <name>_v
        rebuilt = self.compute_weight(module)
        setattr(module, self.name, rebuilt)


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Replace ``module.<name>`` by ``<name>_g`` (magnitude) and ``<name>_v`` (direction), recomputed
    into ``<name>`` before every forward (deprecated: use ``parametrizations.weight_norm``).

    >>> import warnings
    >>> import kittygrad as kitty
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = kitty.nn.utils.weight_norm(kitty.nn.Linear(3, 2))
    >>> list(m.state_dict())
    ['bias', 'weight_g', 'weight_v']
    """
    WeightNorm.apply(module, name, dim=dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``<name>`` becomes a plain parameter holding its current value.

    >>> import warnings
    >>> import kittygrad as kitty
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = kitty.nn.utils.weight_norm(kitty.nn.Linear(3, 2))
    >>> list(kitty.nn.utils.remove_weight_norm(m).state_dict())
    ['bias', 'weight']
    """
    key = _hook_key(module, WeightNorm, name)
    if key is None:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    module._forward_pre_hooks[key].remove(module)
    del module._forward_pre_hooks[key]
    return module
