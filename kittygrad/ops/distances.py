"""``dist``: the p-norm distance of two tensors (composed of differentiable ops; ``cdist`` lives in
``functional.py``, ``pdist`` in ``nn/functional.py``)."""
from __future__ import annotations

from .. import backend as B
from ..errors import KittyRuntimeError
from ._prep import as_tensor_arg, dtype_name
from .norms import vector_norm


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (broadcast).

    >>> import kittygrad as kitty
    >>> kitty.dist(kitty.tensor([3., 4.]), kitty.tensor([0., 0.]))
    tensor(5.)
    """
    input, other = as_tensor_arg(input), as_tensor_arg(other, "other")
    diff = input - other
    if not B.is_float(diff._data.dtype):
        raise KittyRuntimeError(
            f"norm(): input dtype should be either floating point or complex. Got {dtype_name(diff)} instead."
        )
    return vector_norm(diff, float(p))
