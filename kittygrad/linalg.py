"""``kittygrad.linalg``: torch.linalg's functions (differentiable, with torch's gradients).

>>> import kittygrad as kitty
>>> kitty.linalg.det(kitty.eye(3) * 2)
tensor(8.)
"""
from __future__ import annotations

from ._out import LINALG as _OUT_RULES
from ._out import install as _install_out
from .ops.decompositions import (
    LinAlgError,
    cholesky,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_solve,
    qr,
    solve_triangular,
    svd,
    svdvals,
)
from .ops.conditioning import linalg_cond as cond
from .ops.conditioning import matrix_rank
from .ops.eigen import eig, eigh, eigvals, eigvalsh
from .ops.householder import householder_product
from .ops.inverses import det, inv, matrix_power, pinv, slogdet, solve
from .ops.ldl import ldl_factor, ldl_factor_ex, ldl_solve
from .ops.least_squares import lstsq
from .ops.matrix_functions import matrix_exp
from .ops.solvers import cholesky_ex, inv_ex, solve_ex, tensorinv, tensorsolve
from .ops.vectors import linalg_vander as vander
from .ops.vectors import vecdot
from .ops.linalg import diagonal as _diagonal
from .ops.linalg import linalg_cross as cross
from .ops.linalg import matmul, multi_dot, vdot
from .ops.norms import linalg_norm as norm
from .ops.norms import matrix_norm, vector_norm


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
    "cholesky_ex", "cond", "eig", "eigh", "eigvals", "eigvalsh", "householder_product", "inv_ex", "ldl_factor",
    "ldl_factor_ex", "ldl_solve", "lstsq", "matrix_exp", "matrix_rank", "solve_ex", "tensorinv", "tensorsolve",
    "vander", "vecdot",
]

_install_out(globals(), _OUT_RULES)  # out= where torch.linalg accepts it (kittygrad/_out.py)
