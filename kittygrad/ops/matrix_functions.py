"""Functions of a matrix: ``matrix_exp`` (differentiable to any order through the block-matrix
form of its Fréchet derivative)."""
from __future__ import annotations

from .. import backend as B
from ..autograd.function import Op
from ..errors import KittyRuntimeError
from ._prep import dtype_name, tensor_input
from .decompositions import _mT, _raw, _run

# Padé [13/13] of exp and the largest 1-norm it is used at without scaling (Higham 2005, "The
# scaling and squaring method for the matrix exponential revisited"), for float64 accuracy
_PADE13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
    10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)
_THETA13 = 5.371920351148152


def _expm_np(a):
    """exp(A) of a batch of square matrices by scaling and squaring with the [13/13] Padé
    approximant, computed in float64. Each matrix is scaled by its own power of two."""
    xp = B.xp
    n = a.shape[-1]
    if a.size == 0:
        return xp.zeros(a.shape, dtype=a.dtype)
    x = a.astype(xp.float64)
    with B.errstate(all="ignore"):
        norm = xp.abs(x).sum(axis=-2).max(axis=-1)  # the 1-norm
        s = xp.ceil(xp.log2(norm / _THETA13))
        s = xp.where(xp.isfinite(s) & (s > 0), s, 0).astype(xp.int64)
        s = xp.minimum(s, 1100)  # beyond this the squares overflow anyway
        x = x / (2.0 ** s)[..., None, None]
        b = _PADE13
        eye = xp.eye(n)
        x2 = x @ x
        x4 = x2 @ x2
        x6 = x4 @ x2
        u = x @ (x6 @ (b[13] * x6 + b[11] * x4 + b[9] * x2) + b[7] * x6 + b[5] * x4 + b[3] * x2 + b[1] * eye)
        v = x6 @ (b[12] * x6 + b[10] * x4 + b[8] * x2) + b[6] * x6 + b[4] * x4 + b[2] * x2 + b[0] * eye
        try:
            r = xp.linalg.solve(v - u, v + u)
        except xp.linalg.LinAlgError:  # non-finite input: no exponential to compute
            r = xp.full(x.shape, xp.nan)
        for k in range(int(s.max()) if s.size else 0):
            r = xp.where((s > k)[..., None, None], r @ r, r)
        # exp(0) is exactly I, as torch's Taylor step gives it; the solve's pivot reciprocals would leave
        # 0.9999999999999999 on the diagonal, and the identity would print as 1.0000, not torch's 1.
        r = xp.where((norm == 0)[..., None, None], eye, r)
    return r.astype(a.dtype)


class MatrixExp(Op):
    """exp(A). Its gradient is the adjoint Fréchet derivative L(A^T, g), the top-right block of
    exp([[A^T, g], [0, A^T]]) (torch's formula); backward calls this op on the block, so double
    backward differentiates it the same way."""

    saved_fields = ("a",)
    saved_inputs = (0,)

    def forward(self, a):
        self.a = a
        return _expm_np(a)

    def backward(self, g):
        xp = self.xp
        n = _raw(self.a).shape[-1]
        at = _mT(self.a)
        zero = B.xp.zeros(_raw(g).shape, dtype=_raw(g).dtype)
        block = xp.concatenate([xp.concatenate([at, g], axis=-1), xp.concatenate([zero, at], axis=-1)], axis=-2)
        return (_run(MatrixExp, block)[..., :n, n:],)


def matrix_exp(A):
    """The matrix exponential exp(A) = sum A^k / k! of a (batch of) square matrix.

    >>> import kittygrad as kitty
    >>> kitty.linalg.matrix_exp(kitty.zeros(2, 2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    a = tensor_input(A, "A")
    if a._data.ndim < 2:
        raise KittyRuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 dimensions.")
    n, m = a._data.shape[-2:]
    if n != m:
        raise KittyRuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but they are {n} by {m} matrices")
    if not B.is_float(a._data.dtype):
        raise KittyRuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as input. Got {dtype_name(a)}")
    return MatrixExp.apply(a)
