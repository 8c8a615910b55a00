"""``kittygrad.linalg``: torch.linalg's functions (differentiable, with torch's gradients).

>>> import kittygrad as kitty
>>> kitty.linalg.det(kitty.eye(3) * 2)
tensor(8.)
"""
from __future__ import annotations

from .ops.decompositions import lu, lu_factor, lu_factor_ex, lu_solve, pinv, solve_triangular
from .ops.linalg import matmul, vdot
from .ops.linalg_extra import (
    LinAlgError,
    cholesky,
    det,
    diagonal as _diagonal,
    inv,
    matrix_norm,
    matrix_power,
    multi_dot,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
    vector_norm,
)
from .ops.linalg_extra import linalg_cross as cross
from .ops.linalg_extra import linalg_norm as norm


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """The diagonal of the last two dims (a view), as ``torch.linalg.diagonal``.

    >>> import kittygrad as kitty
    >>> kitty.linalg.diagonal(kitty.eye(2))
    tensor([1., 1.])
    """
    return _diagonal(A, offset, dim1, dim2)


__all__ = [
    "LinAlgError", "cholesky", "cross", "det", "diagonal", "inv", "lu", "lu_factor", "lu_factor_ex", "lu_solve",
    "matmul", "matrix_norm", "matrix_power", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve",
    "solve_triangular", "svd", "svdvals", "vdot", "vector_norm",
]
