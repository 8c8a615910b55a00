"""``parameters_to_vector`` and ``vector_to_parameters``."""
from __future__ import annotations

from collections.abc import Iterable

from ...errors import KittyRuntimeError, KittyTypeError
from ...ops.joining import cat
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one vector (differentiable).

    >>> import kittygrad as kitty
    >>> kitty.nn.utils.parameters_to_vector(kitty.nn.Linear(3, 2).parameters()).shape
    kittygrad.Size([8])
    """
    return cat([p.reshape(-1) for p in parameters], 0)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters' data (no graph).

    >>> import kittygrad as kitty
    >>> lin = kitty.nn.Linear(2, 1)
    >>> kitty.nn.utils.vector_to_parameters(kitty.zeros(3), lin.parameters()); lin.bias
    Parameter containing:
    tensor([0.], requires_grad=True)
    """
    if not isinstance(vec, Tensor):
        raise KittyTypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    data = vec._data
    for p in parameters:
        n = p.numel()
        piece = data[pointer : pointer + n]  # along the first axis, as torch slices the vector
        if piece.size != n:
            raise KittyRuntimeError(f"shape '{list(p.shape)}' is invalid for input of size {piece.size}")
        p._data = piece.reshape(tuple(p.shape)).astype(p._data.dtype)
        pointer += n
