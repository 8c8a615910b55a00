"""Products as BLAS runs them best: stacks folded into one GEMM, operands made ready for BLAS,
two-operand contractions as batched GEMMs, and outer products (a summed dim of size 1) as the
broadcast products NumPy's matmul does not hand to BLAS.

They take and return arrays (NumPy's, or GraphArrays while a double backward builds its graph),
so forward and backward formulas call them alike.
"""
from __future__ import annotations

import math

from .. import backend as B
from ._kernels import by_rows


def matmul(a, b):
    """``a @ b`` for two arrays of two or more dims; an outer product (``a``'s last dim, the one
    summed, of size 1) as the broadcast product ``a * b``.

    NumPy's matmul gives no k = 1 product to BLAS but runs its own loop: a (384, 1) @ (1, 128)
    float32 product took 48 us where the broadcast product takes 10, a (32, 64, 1) @ (32, 1, 64)
    stack 130 against 30. A linear layer meets it at batch 1 (its weight's gradient), at one input
    or output feature, and an RNN cell stepping one sample. Each entry is one rounded product, as
    BLAS computes it; a -0 product stays -0, as in torch's mm (NumPy's loop and torch's bmm add it
    to +0).

    >>> import numpy as np
    >>> matmul(np.array([[2.0], [3.0]]), np.array([[1.0, -1.0]]))
    array([[ 2., -2.],
           [ 3., -3.]])
    """
    if (a.shape[-1] == 1 and type(a) is B.ndarray and type(b) is B.ndarray and a.ndim >= 2 and b.ndim >= 2
            and b.shape[-2] == 1):  # (b's summed dim checked too: a mismatch is matmul's error, never a broadcast)
        return B.xp.multiply(a, b, order="C")  # (C order: the layout matmul's result has)
    return a @ b


def rows_matmul(a, w):
    """``a @ w`` for a stack ``a`` of shape (..., K) and a matrix ``w`` (K, N), as one GEMM.

    NumPy's ``matmul`` runs one small GEMM per leading index; folding the leading dims into the
    rows gives BLAS a single large product (2x faster for a (32, 16, 256) stack).
    """
    if a.ndim <= 2:
        return matmul(a, w) if a.ndim == 2 else a @ w
    return matmul(a.reshape(-1, a.shape[-1]), w).reshape(*a.shape[:-1], w.shape[-1])


def rows_affine(x, w, b):
    """``x @ w.T + b`` for a stack ``x`` (..., K), a matrix ``w`` (N, K) and a bias ``b`` (N,) or None:
    a linear layer, as one GEMM over the leading dims folded into rows (see :func:`rows_matmul`),
    then the bias added in place, by long rows where the product is large (see :func:`by_rows`).

    The GEMM is NumPy's. SciPy's GEMM could add the bias inside BLAS (``beta = 1``, 0.96 -> 0.83 ms
    at (2048, 96) x (96, 384) on one thread), but SciPy carries an OpenBLAS of its own: with more
    than one BLAS thread, the two libraries' idle threads spin against each other, and a GEMM of
    one library right after one of the other took ~9x as long (a 784-256-128-10 MLP step: 14 ms
    against 1.0 ms on 2 threads).

    >>> import numpy as np
    >>> rows_affine(np.ones((2, 1, 3)), np.ones((4, 3)), np.arange(4.0)).shape
    (2, 1, 4)
    """
    out = rows_matmul(x, w.T)
    if b is None:
        return out
    if out.size > _BIAS_TILED_MIN:  # (by_rows itself falls back to NumPy's add where it cannot tile)
        return by_rows(B.xp.add, out, b, out=out)
    out += b
    return out


#: products from which rows_affine adds the bias by long rows (below, NumPy's broadcast was as fast:
#: 11.2 against 11.4 us at (256, 256) float32, 21.0 against 15.5 at (512, 256))
_BIAS_TILED_MIN = 1 << 16


def repeated_matrix(a, b):
    """The one matrix that the stack ``b`` repeats along all its batch dims (zero strides there: a
    weight broadcast to every sample, as vmap gives per-sample weights), when ``a``'s batch dims
    are already the product's; else None. Then ``a @ b`` is ``rows_matmul(a, matrix)``: one GEMM
    instead of one small product per sample (64 rows of 784 x 128: 0.27 -> 0.17 ms).

    >>> import numpy as np
    >>> w = np.arange(6.0).reshape(2, 3)
    >>> repeated_matrix(np.ones((4, 1, 2)), np.broadcast_to(w, (4, 2, 3))) is not None
    True
    """
    if (type(b) is not B.ndarray or b.ndim < 3 or a.ndim < b.ndim or any(b.strides[:-2])
            or a.shape[-1] != b.shape[-2]):
        return None
    batch = a.shape[: a.ndim - 2]
    if any(m != 1 and m != n for m, n in zip(b.shape[:-2], batch[len(batch) - (b.ndim - 2):])):
        return None  # (a size the product broadcasts a to: not a's own batch)
    return b[(0,) * (b.ndim - 2)]


def rows_outer(a, g):
    """``sum over the leading dims of a[..., :, None] * g[..., None, :]`` as one GEMM: the weight
    gradient of ``a @ w`` when a 2-D ``w`` met a stack ``a`` (one row: an outer product, see :func:`matmul`)."""
    return matmul(a.reshape(-1, a.shape[-1]).T, g.reshape(-1, g.shape[-1]))


def rows_dot_rows(a, b):
    """``a @ swapaxes(b, -1, -2)`` for stacks of long rows: every entry a sum over all positions of
    a batch (a convolution's weight gradient). Computed as ``swapaxes(b @ swapaxes(a), -1, -2)``:
    OpenBLAS takes 0.45-0.95x the time this way round (NumPy 1.26 and 2.4, from 8 x 9 x 21632 to
    256 x 2304 x 196; 16 x 72 x 25088: 1.48 -> 0.89 ms).

    >>> import numpy as np
    >>> rows_dot_rows(np.ones((1, 2, 5)), np.ones((1, 3, 5))).shape
    (1, 2, 3)
    """
    return (b @ a.swapaxes(-1, -2)).swapaxes(-1, -2)


def transposed_matmul(a, g):
    """``swapaxes(a, -1, -2) @ g``: the gradient of ``b`` in ``a @ b``, fast for stacks.

    A stack of one-row ``a`` (what per-sample weights in ``vmap`` meet) gives outer products, which
    a broadcast product computes ~3x faster than one k=1 GEMM per matrix. Other stacks go to
    matmul as the transposed view: BLAS reads a transposed matrix itself, and copying it first was
    1.2-5x slower (NumPy 1.26 and 2.4, stacks from (4, 8, 32) to (2, 512, 512)).
    """
    if a.ndim > 2 and a.shape[-2] == 1 and g.ndim > 2:
        # written as (g x a) and returned transposed: a linear layer's weight gradient is this
        # product transposed, which then needs no copy; writing the long rows is faster too
        return (g[..., 0, :, None] * a[..., 0, None, :]).swapaxes(-1, -2)
    return matmul(blas_ready(a).swapaxes(-1, -2), g)


def column_major(m) -> bool:
    """Whether the matrix ``m`` is laid out column by column (``w.t()`` of a contiguous ``w``), the
    test torch's mm backward makes: such an operand gets its gradient computed transposed, so that
    the gradient comes out in the operand's own layout and the transpose's backward hands ``w`` a
    contiguous one. ``torch.autograd.grad(loss, w)`` for ``x @ w.t()`` then takes ``.view(-1)``
    (flattening a meta-learning step's gradients), which a transposed layout refuses.

    >>> import numpy as np
    >>> column_major(np.ones((2, 3)).T), column_major(np.ones((2, 3)))
    (True, False)
    """
    arr = m if type(m) is B.ndarray else m.t._data  # (a GraphArray in double backward: its tensor's array)
    if arr.ndim != 2:
        return False
    return arr.strides[0] == arr.itemsize and arr.strides[1] == arr.shape[0] * arr.itemsize


def blas_ready(m):
    """``m``, copied to contiguous memory if it has a zero stride (a gradient broadcast from a
    reduction): NumPy's matmul does not hand such an operand to BLAS but runs its own loop,
    2-9x slower than one copy and the GEMM ((2048, 64) @ (64, 64): 0.92 vs 0.10 ms)."""
    if type(m) is B.ndarray and m.size > 1 and 0 in m.strides:
        return B.xp.ascontiguousarray(m)
    return m  # (a GraphArray, in double backward, is left as it is)


def contract_pair(a_sub: str, a, b_sub: str, b, out_sub: str):
    """``einsum(f"{a_sub},{b_sub}->{out_sub}", a, b)`` for two plain arrays as one batched GEMM.

    NumPy's two-operand einsum runs its own multiply-add loops, not BLAS: ``bij,bjk->bik`` at
    (32, 64, 64) took 6x as long as ``matmul``. Letters are sorted into batch (both operands and
    the output), contracted (both operands only), and kept from one side; a letter found in one
    operand only and not in the output is summed first. Outer products, and an operand lying with a
    batch letter innermost, go to einsum after that sum. Returns None where einsum serves better:
    operands other than NumPy float or complex arrays (GraphArrays, integers), a letter repeated
    inside an operand (a diagonal), or two operands that disagree on a letter's size.

    >>> import numpy as np
    >>> contract_pair("ij", np.ones((2, 3)), "jk", np.ones((3, 4)), "ki").shape
    (4, 2)
    """
    if not all(type(m) is B.ndarray and m.dtype.kind in "fc" for m in (a, b)):
        return None
    if len(set(a_sub)) != len(a_sub) or len(set(b_sub)) != len(b_sub):
        return None
    a_sub, a = _sum_lone_letters(a_sub, a, b_sub + out_sub)
    b_sub, b = _sum_lone_letters(b_sub, b, a_sub + out_sub)
    size = dict(zip(a_sub, a.shape))
    for c, n in zip(b_sub, b.shape):
        if size.setdefault(c, n) != n:
            return None
    batch = [c for c in a_sub if c in b_sub and c in out_sub]
    summed = [c for c in a_sub if c in b_sub and c not in out_sub]
    left = [c for c in a_sub if c not in b_sub]
    right = [c for c in b_sub if c not in a_sub]
    nb, nl, nk, nr = (math.prod(size[c] for c in group) for group in (batch, left, summed, right))
    if nk == 1 or any(_batch_innermost(sub, m, batch) for sub, m in ((a_sub, a), (b_sub, b))):
        # outer products (nothing summed: NumPy's matmul does not give k = 1 products to BLAS,
        # 64 x 256 x 256 took 4.8 ms against einsum's 0.85), and an operand whose contiguous
        # axis is a batch letter (the regrouping copy strides across memory: ikj,ij->kj at
        # 128 x 128 x 8 took 0.40 ms against einsum's 0.08): einsum's, of the operands as summed
        # above (i,jk->ik with j summed first is an outer product: 3.6 -> 0.2 ms at 208 x 312 x 416)
        return B.array_einsum(f"{a_sub},{b_sub}->{out_sub}", a, b)
    am = a.transpose([a_sub.index(c) for c in batch + left + summed]).reshape(nb, nl, nk)
    bm = b.transpose([b_sub.index(c) for c in batch + summed + right]).reshape(nb, nk, nr)
    got = batch + left + right
    # the GEMMs write into an array of the result's own letters: when the output keeps that order,
    # the result is that array itself, not a view (which the engine would copy into a .grad)
    product = B.xp.empty(tuple(size[c] for c in got), B.xp.result_type(am, bm))
    B.xp.matmul(blas_ready(am), blas_ready(bm), out=product.reshape(nb, nl, nr))
    order = [got.index(c) for c in out_sub]
    return product if order == sorted(order) else product.transpose(order)


def _batch_innermost(sub: str, m, batch) -> bool:
    """Whether the operand ``m`` (letters ``sub``) lies with a batch letter as its contiguous axis."""
    return bool(m.ndim) and m.shape[-1] > 1 and m.strides[-1] == m.itemsize and sub[-1] in batch


def _sum_lone_letters(sub: str, arr, elsewhere: str):
    """Sum ``arr`` over the letters of ``sub`` found nowhere in ``elsewhere``."""
    lone = tuple(i for i, c in enumerate(sub) if c not in elsewhere)
    if not lone:
        return sub, arr
    return "".join(c for i, c in enumerate(sub) if i not in lone), arr.sum(axis=lone)


