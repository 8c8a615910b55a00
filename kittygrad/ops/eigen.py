"""Eigen-decompositions: ``eigh`` and ``eigvalsh`` of symmetric matrices (differentiable, with
torch's gradients); ``eig`` and ``eigvals``, whose results are complex, refused."""
from __future__ import annotations

from .. import backend as B
from ..autograd.function import Op
from ..errors import KittyNotImplementedError, KittyRuntimeError
from . import _return_types as RT
from ._prep import dtype_name, tensor_input
from ._refusals import Refused, Removed
from .decompositions import _mT, _raw

_LAPACK_FLOATS = ("float32", "float64")


def _lapack_input(A, fname: str, kernel: str, *, square: bool = True, name: str = "A"):
    """``A`` as a Tensor of float32/float64 matrices, with torch's errors (``fname`` names the
    function in shape errors, ``kernel`` the CPU kernel in dtype errors)."""
    a = tensor_input(A, name)
    if a._data.ndim < 2:
        raise KittyRuntimeError(f"{fname}: The input tensor {name} must have at least 2 dimensions.")
    n, m = a._data.shape[-2:]
    if square and n != m:
        raise KittyRuntimeError(f"{fname}: {name} must be batches of square matrices, but they are {n} by {m} matrices")
    if a._data.dtype.name not in _LAPACK_FLOATS:
        raise KittyNotImplementedError(f"\"{kernel}\" not implemented for '{dtype_name(a)}'")
    return a


def _check_uplo(UPLO) -> str:
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise KittyRuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def _eigh_np(a, uplo="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of the triangle ``uplo`` of each matrix;
    a matrix with NaNs gets NaN results instead of an error."""
    xp = B.xp
    with B.errstate(all="ignore"):
        try:
            w, v = xp.linalg.eigh(a, UPLO=uplo)
        except xp.linalg.LinAlgError:  # no convergence (non-finite entries): NaN
            w = xp.full(a.shape[:-1], xp.nan, dtype=a.dtype)
            v = xp.full(a.shape, xp.nan, dtype=a.dtype)
    return w.astype(a.dtype, copy=False), v.astype(a.dtype, copy=False)


def _eigh_grad(xp, w, v, gw, gv):
    """torch's gradient of A = V diag(w) V^T (symmetric, not restricted to the triangle read):
    gA = V (diag(gw) + skew(V^T gV) / E) V^T with E_ij = w_j - w_i.

    Repeated eigenvalues make E zero off the diagonal: the eigenvectors' gradient is then inf/NaN,
    as torch's. A zero ``gv`` (the eigenvectors unused, where torch's is undefined) adds nothing,
    so losses of the eigenvalues alone stay finite at repeated eigenvalues, as in torch.
    """
    n = _raw(w).shape[-1]
    inner = gw[..., None, :] * B.xp.eye(n, dtype=_raw(w).dtype)
    if B.xp.any(_raw(gv)):
        vtgv = _mT(v) @ gv
        skew = 0.5 * (vtgv - _mT(vtgv))
        # the diagonal of skew is zero: divide it by one (a division by zero would turn into
        # NaN in the derivative of this formula, double backward)
        gap = xp.where(B.xp.eye(n, dtype=bool), 1, w[..., None, :] - w[..., :, None])
        with B.errstate(divide="ignore", invalid="ignore"):
            inner = inner + skew / gap
    with B.errstate(invalid="ignore"):
        return v @ inner @ _mT(v)


class Eigh(Op):
    """``(eigenvalues, eigenvectors)`` of the symmetric matrix stored in the triangle ``uplo``."""

    saved_fields = ("vals", "vecs")
    saves_output = True

    def forward(self, a, uplo="L"):
        self.vals, self.vecs = _eigh_np(a, uplo)
        return self.vals, self.vecs

    def backward(self, gw, gv):
        return (_eigh_grad(self.xp, self.vals, self.vecs, gw, gv),)


class Eigvalsh(Op):
    """The eigenvalues alone; gradient V diag(g) V^T. Double backward differentiates ``Eigh``."""

    saved_fields = ("vecs",)

    def forward(self, a, uplo="L"):
        vals, self.vecs = _eigh_np(a, uplo)
        return vals

    def backward(self, g):
        return ((self.vecs * g[..., None, :]) @ _mT(self.vecs),)

    def composite(self, a, uplo="L"):
        return Eigh.apply(a, uplo=uplo)[0]


def eigh(A, UPLO: str = "L"):
    """``(eigenvalues, eigenvectors)`` of a (batch of) symmetric matrix, eigenvalues ascending;
    only the lower (``UPLO='L'``) or upper (``'U'``) triangle is read. The eigenvectors' gradient
    is infinite/NaN at repeated eigenvalues, as torch's.

    >>> import kittygrad as kitty
    >>> kitty.linalg.eigh(kitty.tensor([[2., 1.], [1., 2.]])).eigenvalues
    tensor([1., 3.])
    """
    uplo = _check_uplo(UPLO)
    a = _lapack_input(A, "linalg.eigh", "linalg_eigh_cpu")
    return RT.linalg_eigh(*Eigh.apply(a, uplo=uplo))


def eigvalsh(A, UPLO: str = "L"):
    """The eigenvalues (ascending) of a (batch of) symmetric matrix, from one triangle.

    >>> import kittygrad as kitty
    >>> kitty.linalg.eigvalsh(kitty.tensor([[2., 1.], [1., 2.]]))
    tensor([1., 3.])
    """
    uplo = _check_uplo(UPLO)
    a = _lapack_input(A, "linalg.eigh", "linalg_eigh_cpu")
    return Eigvalsh.apply(a, uplo=uplo)


_COMPLEX = (
    "its results are complex (the eigenvalues of a real non-symmetric matrix are complex in "
    "general, and torch returns complex tensors even when they are real), and kittygrad has no "
    "complex dtype. For a symmetric matrix use linalg.eigh / linalg.eigvalsh."
)

eig = Refused("linalg.eig", _COMPLEX)
eigvals = Refused("linalg.eigvals", _COMPLEX)
#: ``torch.eig`` / ``torch.symeig`` (and the Tensor methods): removed from torch, errors there too
torch_eig = Removed("torch.eig", "torch.linalg.eig")
torch_symeig = Removed("torch.symeig", "torch.linalg.eigh (eigvalsh for the eigenvalues alone)")
