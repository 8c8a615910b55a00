"""``renorm``: rescale the sub-tensors along a dim whose ``p``-norm exceeds ``maxnorm``."""
from __future__ import annotations

from .. import backend as B
from ..errors import KittyRuntimeError
from ._prep import as_tensor_arg, dtype_name, normalize_dim, torch_named
from .norms import vector_norm


def renorm(input, p, dim: int, maxnorm):
    """Each slice ``input.select(dim, i)`` whose ``p``-norm is above ``maxnorm`` is scaled down to
    norm ``maxnorm`` (the others are unchanged).

    >>> import kittygrad as kitty
    >>> kitty.renorm(kitty.tensor([[3., 4.], [0.3, 0.4]]), 2, 0, 1)
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    """
    input = as_tensor_arg(input)
    if not B.is_float(input._data.dtype):
        raise KittyRuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {dtype_name(input)}"
        )
    if p <= 0:
        raise KittyRuntimeError(f"renorm: non-positive-norm not supported, got p={p}")
    if maxnorm < 0:
        raise KittyRuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    nd = input._data.ndim
    if nd <= 1:
        raise KittyRuntimeError(f"renorm: input needs at least 2 dimensions, got {nd} dimensions")
    d = normalize_dim(dim, nd)
    others = tuple(i for i in range(nd) if i != d)
    norms = vector_norm(input, float(p), others, True)
    # torch: factor = maxnorm / (norm + 1e-7) where norm > maxnorm, else 1 (the factor has no gradient)
    big = norms.detach() > maxnorm
    factor = (maxnorm / (norms + 1e-7)).where(big, 1.0)
    return torch_named(input * factor.to(input.dtype), "RenormBackward0")  # torch's one renorm op
