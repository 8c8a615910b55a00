"""The legacy, hook-based spectral normalisation (``torch.nn.utils.spectral_norm``): the parameter
moves to ``<name>_orig``, the power-iteration vectors are the buffers ``<name>_u`` and
``<name>_v``, and a forward pre-hook recomputes ``<name> = <name>_orig / sigma`` before each call
(iterating in training mode only). :func:`kittygrad.nn.utils.parametrizations.spectral_norm` is
the newer form."""
from __future__ import annotations

from typing import Any

from ... import creation as C
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import functional as F
from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _hook_key(module: Module, hook_type: type, name: str):
    """The key of ``module``'s forward pre-hook of ``hook_type`` acting on ``name``, or None."""
    return next((key for key, hook in module._forward_pre_hooks.items()
                 if isinstance(hook, hook_type) and hook.name == name), None)


class SpectralNorm:
    """The forward pre-hook that divides ``<name>_orig`` by its estimated spectral norm."""

    _version: int = 1

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        if n_power_iterations <= 0:
            raise ValueError(
                f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}"
            )
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def _attr_names(self) -> tuple[str, str, str]:
        """Where the hook keeps the raw weight and the two power-iteration vectors."""
        return self.name + "_orig", self.name + "_u", self.name + "_v"

    def _unit(self, vector: Tensor) -> Tensor:
        return F.normalize(vector, dim=0, eps=self.eps)

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        raw, u, v = (getattr(module, attr) for attr in self._attr_names())
        matrix = self.reshape_weight_to_matrix(raw)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(self._unit(matrix.T.mv(u)))
                    u.copy_(self._unit(matrix.mv(v)))
            # the buffers change in place on the next call; autograd must keep these values
            u, v = u.clone(), v.clone()
        return raw / u.dot(matrix.mv(v))

    def remove(self, module: Module) -> None:
        with no_grad():
            final = self.compute_weight(module, do_power_iteration=False)
        orig_name, u_name, v_name = self._attr_names()
        for attr in (self.name, u_name, v_name, orig_name):
            delattr(module, attr)
        module.register_parameter(self.name, Parameter(final.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int, eps: float) -> SpectralNorm:
        if _hook_key(module, SpectralNorm, name) is not None:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        hook = SpectralNorm(name, n_power_iterations, dim, eps)
        raw = module._parameters[name]
        if raw is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with no_grad():
            rows, cols = hook.reshape_weight_to_matrix(raw).shape
            u, v = (hook._unit(C.randn(size, dtype=raw.dtype)) for size in (rows, cols))
        orig_name, u_name, v_name = hook._attr_names()
        delattr(module, name)
        module.register_parameter(orig_name, raw)
        # a plain tensor until the first forward recomputes it
        setattr(module, name, raw.detach())
        module.register_buffer(u_name, u)
        module.register_buffer(v_name, v)
        module.register_forward_pre_hook(hook)
        return hook


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Spectral normalisation with a forward pre-hook (torch's legacy form): ``<name>`` is
    recomputed as ``<name>_orig / sigma`` before every call.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.utils.spectral_norm(kitty.nn.Linear(4, 3))
    >>> list(m.state_dict())
    ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """
    if dim is None:
        # transposed convolutions keep their output channels in dim 1
        dim = int(isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)))
    SpectralNorm.apply(module, name, n_power_iterations=n_power_iterations, dim=dim, eps=eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``<name>`` becomes a plain parameter holding ``<name>_orig / sigma``.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.utils.remove_spectral_norm(kitty.nn.utils.spectral_norm(kitty.nn.Linear(4, 3)))
    >>> list(m.state_dict())
    ['bias', 'weight']
    """
    key = _hook_key(module, SpectralNorm, name)
    if key is None:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    module._forward_pre_hooks[key].remove(module)
    del module._forward_pre_hooks[key]
    return module
