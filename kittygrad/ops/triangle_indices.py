"""The index factories of triangular matrices: ``tril_indices`` and ``triu_indices``."""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..errors import KittyRuntimeError


def _tri_indices(row, col, offset, dtype, upper, name):
    if row < 0 or col < 0:
        raise KittyRuntimeError(f"{name}: row and col must be non-negative, but got row={row} and col={col}")
    dtype = D.int64 if dtype is None else D.to_dtype(dtype)
    if dtype not in (D.int32, D.int64):
        raise KittyRuntimeError(f"\"{name}\" not implemented for '{dtype.name}'")
    r, c = B.xp.triu_indices(row, offset, col) if upper else B.xp.tril_indices(row, offset, col)
    return F.Tensor._wrap(B.xp.stack([r, c]).astype(dtype.np).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the lower triangle of a ``row x col`` matrix, as a 2 x N tensor.

    >>> import kittygrad as kitty
    >>> kitty.tril_indices(2, 2)
    tensor([[0, 1, 1],
            [0, 0, 1]])
    """
    return _tri_indices(row, col, offset, dtype, False, "tril_indices")


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the upper triangle of a ``row x col`` matrix, as a 2 x N tensor.

    >>> import kittygrad as kitty
    >>> kitty.triu_indices(2, 2)
    tensor([[0, 0, 1],
            [0, 1, 1]])
    """
    return _tri_indices(row, col, offset, dtype, True, "triu_indices")
