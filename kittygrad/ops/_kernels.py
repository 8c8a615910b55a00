"""Array kernels that several ops share: float powers by products, row-wise sums and broadcasts,
searches, running reductions (the products are in ``_gemm``).

They take and return arrays (NumPy's, or GraphArrays while a double backward builds its graph),
so forward and backward formulas call them alike.
"""
from __future__ import annotations

import math
import operator

from .. import backend as B


#: Float powers computed by products, square roots and reciprocals rather than NumPy's generic
#: ``power`` (~10x slower). These are the exponents torch special-cases too, so the roundings agree
#: with torch's (1.5 is not among them: ``-inf * sqrt(-inf)`` is nan where ``pow`` gives inf).
_POWER_BY_PRODUCTS = {
    0.5: lambda xp, a: xp.sqrt(a),
    1.0: lambda xp, a: a.copy(),
    2.0: lambda xp, a: a * a,
    3.0: lambda xp, a: a * a * a,
    -1.0: lambda xp, a: 1.0 / a,
    -2.0: lambda xp, a: 1.0 / (a * a),
}


def is_number(x) -> bool:
    """A Python or NumPy number (not an array): the exponents that select a power by products."""
    return isinstance(x, (int, float)) or B.is_array_like_scalar(x)


def float_power_of(xp, a, exponent):
    """``a ** exponent`` for a float array and a number exponent, by products where one serves."""
    by_gemm = _POWER_BY_PRODUCTS.get(float(exponent)) if a.dtype.kind == "f" else None
    if by_gemm is None:
        return a**exponent
    return by_gemm(xp, a).astype(a.dtype, copy=False)


#: elements of the constant blocks that bounded() compares against (512 KiB of float32: it stays
#: in the cache while the chunks of the input stream past it)
_BLOCK = 1 << 17
#: the float dtypes these kernels (and ops._prep's) take NumPy's SIMD loops for: maximum/minimum
#: between two arrays (not against a number), einsum's sums, bool-to-float casts. float16 has none
#: of them, and its sums overflow at 65504
SIMD_FLOATS = frozenset([B.xp.dtype("float32"), B.xp.dtype("float64")])
#: the signed integer of each float type's width: a float's bits read as an integer (ops._prep's
#: masked_grad selects them, next_after steps them)
SAME_WIDTH_INT = {
    B.NP_DTYPES["float64"]: B.NP_DTYPES["int64"], B.NP_DTYPES["float32"]: B.NP_DTYPES["int32"],
    B.NP_DTYPES["float16"]: B.NP_DTYPES["int16"], B.bfloat16: B.NP_DTYPES["int16"],
}
_BLOCKS: dict = {}  # (value, dtype) -> a read-only block of _BLOCK copies of value
_SHAPED: dict = {}  # (value, dtype, shape) -> the head of its block seen in that shape
_PYTHON_REALS = frozenset([int, float])
#: below this many elements the element-at-a-time loop against the number is the faster: the chunked
#: path's Python costs ~1.5 us (float32: 0.7 against 1.9 us at 1,024 elements, 3.4 against 3.7 at 16K)
_BOUNDED_MIN = 16_384


def bounded(ufunc, x, value):
    """``ufunc(x, value)`` for ``maximum`` or ``minimum`` and a Python number: ``relu``'s
    ``maximum(x, 0)``, a clamp's bounds.

    NumPy runs these two ufuncs in SIMD only between two arrays; against a number it takes an
    element-at-a-time loop, 2.5x slower at (128, 256) and (32, 16, 256) float32 (NumPy 1.26 and
    2.4). A contiguous float input is therefore compared with a cached block holding the number
    (its head seen in the input's shape, or chunk by chunk past the block's size): the same
    elements, NaN propagated the same way.

    >>> import numpy as np
    >>> bounded(np.maximum, np.array([-1.0, 2.0, np.nan]), 0)
    array([ 0.,  2., nan])
    """
    if type(x) is B.ndarray and type(value) in _PYTHON_REALS:
        shaped = _SHAPED.get((value, x.dtype, x.shape))  # (a layer's every step: its view, made once)
        if shaped is not None and x.flags.c_contiguous:
            return ufunc(x, shaped)
    if (type(x) is not B.ndarray or x.dtype not in SIMD_FLOATS or x.size < _BOUNDED_MIN or not x.flags.c_contiguous
            or type(value) not in _PYTHON_REALS or not abs(value) < 1e38):  # (NaN, inf and float32's overflow keep NumPy's own path)
        return ufunc(x, value)
    key = (value, x.dtype)
    block = _BLOCKS.get(key)
    if block is None:
        if len(_BLOCKS) >= 8:  # (a clamp with ever new bounds must not grow the cache)
            _BLOCKS.clear()
            _SHAPED.clear()  # (its views would keep the old blocks alive)
        block = _BLOCKS[key] = B.xp.full(_BLOCK, value, x.dtype)
        block.flags.writeable = False
    n = x.size
    if n <= _BLOCK:  # one chunk: the block's head seen in x's shape (a view), NumPy's fresh result
        if len(_SHAPED) >= 64:
            _SHAPED.clear()
        view = block[:n].reshape(x.shape)
        _SHAPED[value, x.dtype, x.shape] = view
        return ufunc(x, view)
    out = B.xp.empty_like(x)
    flat, out_flat = x.reshape(-1), out.reshape(-1)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        ufunc(flat[start:stop], block[: stop - start], out=out_flat[start:stop])
    return out


#: the length a row-broadcast operand is tiled to, at least (see by_rows): long enough that NumPy's
#: inner loop runs in SIMD for most of a pass, short enough that the tile stays in the L1 cache. Not
#: 4096 itself: tiles of 3072-4096 float32 took twice the time of 4100-8192 on an Intel Xeon (the
#: tile's loads and the rows' stores 16 KiB apart, likely 4K aliasing)
_TILE_LENGTH = 4608
_TILED_MIN = 32_768  # (below, the tiling's ~2 us of calls cost more than the loop it saves)


def by_rows(ufunc, x, w, out=None):
    """``ufunc(x, w, out=out)`` for ``x`` of shape (..., C), C-contiguous, and ``w`` of shape (C,):
    one parameter per trailing element (layer norm's bias, added in place).

    NumPy runs such a broadcast as one inner loop per row, and rows as short as a transformer's
    (96) leave its SIMD loop little to do: ``x += w`` took 32-39 us at (2048, 96) float32, against
    14-15 us with ``w`` tiled to 4608 elements and ``x`` viewed as rows that long. The same
    elements meet the same operands: the bits are NumPy's own. Rows that do not fill a tile run
    as NumPy's broadcast.

    >>> import numpy as np
    >>> by_rows(np.multiply, np.ones((3, 2)), np.array([2.0, 3.0]))
    array([[2., 3.],
           [2., 3.],
           [2., 3.]])
    """
    n = w.shape[-1] if w.ndim and w.size == w.shape[-1] else 0  # (a (1, C) weight: batch norm's on (N, C))
    if n and w.ndim > 1:
        w = w.reshape(n)
    if (type(x) is not B.ndarray or type(w) is not B.ndarray or x.size < _TILED_MIN or not n or x.shape[-1] != n
            or n > _TILE_LENGTH // 2 or not x.flags.c_contiguous or (out is not None and not out.flags.c_contiguous)):
        return ufunc(x, w) if out is None else ufunc(x, w, out=out)
    if out is None:
        out = B.xp.empty(x.shape, B.xp.result_type(x, w))
    per_tile = -(-_TILE_LENGTH // n)
    flat, out_flat = x.reshape(-1, n), out.reshape(-1, n)
    tiled_rows = flat.shape[0] // per_tile * per_tile
    tile = B.xp.tile(w, per_tile)
    ufunc(flat[:tiled_rows].reshape(-1, tile.size), tile, out=out_flat[:tiled_rows].reshape(-1, tile.size))
    if tiled_rows < flat.shape[0]:
        ufunc(flat[tiled_rows:], w, out=out_flat[tiled_rows:])
    return out


#: the arrays from which by_materializing serves a broadcast operand (below, its extra call costs more)
_MATERIALIZED_MIN = 8192


def by_materializing(ufunc, a, b, out=None):
    """``ufunc(a, b)`` (into ``out``, if given: an array sharing no memory with ``a`` or ``b``) for
    ``add``, ``subtract`` or ``multiply`` of two float arrays of one dtype, one of them broadcast
    over the other's shape (a bias, a per-row mean; given as is, or already stretched to the shape
    as a view with zero strides): the broadcast operand is first copied out to the result's shape,
    into the result itself, and the ufunc then runs in place between two arrays laid out alike.
    NumPy's loop with a broadcast operand took 1.3-1.6x as long at 131K-786K float32 elements on an
    Intel Xeon ((32, 16, 256) + (256,): 35.6 -> 23.8 us; (2048, 96) - (2048, 1): 67.9 -> 41.7 us);
    the same elements meet the same operands, so the bits are NumPy's. (A division is slow enough
    in itself that the copy does not pay: it is not served.)

    >>> import numpy as np
    >>> by_materializing(np.subtract, np.ones((2, 3)), np.array([[1.0], [2.0]]))
    array([[ 0.,  0.,  0.],
           [-1., -1., -1.]])
    """
    pair = _broadcast_pair(a, b)
    if pair is not None:
        big, small, big_first = pair
        if out is None:
            out = B.xp.empty(big.shape, big.dtype)
        elif not (out.shape == big.shape and out.dtype == big.dtype and out.flags.c_contiguous
                  and not B.may_share_memory(out, a) and not B.may_share_memory(out, b)):
            return ufunc(a, b, out=out)
        B.xp.copyto(out, small)
        return ufunc(big, out, out=out) if big_first else ufunc(out, big, out=out)
    if out is not None:
        return ufunc(a, b, out=out)
    return _OPERATOR_OF[ufunc](a, b)  # (an operator: a GraphArray, in double backward, takes it too)


def minus_max(x, axis: int):
    """``x - x.max(axis, keepdims=True)`` for softmax and log-softmax (an empty slice's max is -inf),
    NumPy's invalid-value warning hidden where a slice's max is infinite (a slice all -inf gives
    NaN, quietly, as torch's). One slice with a finite max (a recurrent step's scores) cannot make
    inf - inf, and skips ``errstate``: 0.7 of its 1.5 us.

    >>> import numpy as np
    >>> minus_max(np.array([[1.0, 3.0]]), 1)
    array([[-2.,  0.]])
    """
    peak = x.max(axis=axis, keepdims=True, initial=-B.xp.inf)
    if peak.size == 1 and -math.inf < peak.item() < math.inf:  # (False at NaN)
        return by_materializing(B.xp.subtract, x, peak)
    with B.errstate(invalid="ignore"):
        return by_materializing(B.xp.subtract, x, peak)


def _broadcast_pair(a, b):
    """``(big, small, big comes first)`` where by_materializing serves ``a`` and ``b``, else None."""
    if (type(a) is B.ndarray and type(b) is B.ndarray and (a.size >= _MATERIALIZED_MIN or b.size >= _MATERIALIZED_MIN)
            and a.dtype == b.dtype and a.dtype in SIMD_FLOATS):  # (the size first: a small pair is never served)
        if a.shape == b.shape:  # (as the ops get them: binary() stretches an operand to the result's shape)
            if a.flags.c_contiguous:
                if not b.flags.c_contiguous and _stretched(b):
                    return a, b, True
            elif b.flags.c_contiguous and _stretched(a):
                return b, a, False
        elif a.size > b.size:
            if _stretches_to(b, a):
                return a, b, True
        elif _stretches_to(a, b):
            return b, a, False
    return None


def _stretched(view) -> bool:
    """Whether ``view`` stretches something along zero strides, but is not one value everywhere
    (NumPy's scalar loop serves that: 12 us where the copy and the product take 26). (Whether the
    pair is worth the copy, _broadcast_pair asks first.)"""
    strides = view.strides
    return 0 in strides and any(strides)


def _stretches_to(small, big) -> bool:
    """Whether ``small``, of fewer elements and not a single one, broadcasts to the shape of ``big``, a
    C-contiguous array (worth the copy: _broadcast_pair asks that first)."""
    if small.size == 1 or small.ndim > big.ndim or not big.flags.c_contiguous:
        return False
    for s, t in zip(reversed(small.shape), reversed(big.shape)):
        if s != 1 and s != t:
            return False
    return True


_OPERATOR_OF = {B.xp.add: operator.add, B.xp.subtract: operator.sub, B.xp.multiply: operator.mul}


def signs(x):
    """torch's sign of a real array: -1, 0 or 1, with 0 at NaN (NumPy's sign gives NaN there). For
    float32 and float64 arrays it is built from two comparisons, as bytes: NumPy's float sign is an
    element-at-a-time loop, 1.4x the time of these passes at (32, 16, 256).

    >>> import numpy as np
    >>> signs(np.array([-2.0, -0.0, 3.0, np.nan]))
    array([-1.,  0.,  1.,  0.])
    """
    xp = B.xp
    if type(x) is B.ndarray and x.ndim and x.dtype in SIMD_FLOATS:
        return xp.subtract((x > 0).view(xp.int8), (x < 0).view(xp.int8)).astype(x.dtype)
    out = xp.sign(x)
    if type(x) is B.ndarray and x.dtype.kind == "f":
        out = xp.where(x != x, out.dtype.type(0), out)
    return out


#: the longest rows whose sums go to einsum (beyond, NumPy's pairwise sum is the more accurate)
_EINSUM_ROW_MAX = 4096


def _einsum_rows(a) -> bool:
    # (below 2048 elements einsum's own call costs more than the loop it saves)
    return (type(a) is B.ndarray and a.size >= 2048 and a.dtype in SIMD_FLOATS and 0 < a.shape[-1] <= _EINSUM_ROW_MAX
            and a.flags.c_contiguous)


def _summed(a, keepdims: bool):
    """``a.sum(axis=-1)``, the ufunc called from here for arrays: NumPy's RuntimeWarnings (inf - inf)
    then name a kittygrad module, whose warnings kittygrad keeps quiet as torch does."""
    if type(a) is B.ndarray:
        return B.xp.add.reduce(a, axis=-1, keepdims=keepdims)
    return a.sum(axis=-1, keepdims=keepdims)  # (a GraphArray, in double backward)


def sum_last(a, keepdims: bool = True):
    """``a.sum(axis=-1, keepdims=keepdims)``: through einsum for contiguous float rows of up to 4096
    elements (in arrays of 2048 elements or more). NumPy's ``add.reduce`` along the last axis runs a pairwise loop per row that took
    2.8-4.4x as long (rows of 65 to 4096 float32); einsum's SIMD loop is as accurate at these
    lengths and, being no BLAS, gives the same bits on every CPU (checked with NumPy's CPU features
    disabled, and on NumPy 1.26).

    >>> import numpy as np
    >>> sum_last(np.ones((2, 3)))
    array([[3.],
           [3.]])
    """
    if not _einsum_rows(a):
        return _summed(a, keepdims)
    rows = B.array_einsum("ij->i", a.reshape(-1, a.shape[-1]))
    return rows.reshape(a.shape[:-1] + ((1,) if keepdims else ()))


def exp_normalized(shifted, axis: int) -> None:
    """Softmax's finish, in place on a fresh array of scores already shifted by their maxima along
    ``axis``: the exponential, then times the reciprocal of the sums (as torch's kernel scales: a
    division per element costs more).

    >>> import numpy as np
    >>> e = np.zeros((1, 4)); exp_normalized(e, 1); e
    array([[0.25, 0.25, 0.25, 0.25]])
    """
    B.xp.exp(shifted, out=shifted)
    shifted *= 1 / sum_along(shifted, axis)


def dot_last(a, b, keepdims: bool = True):
    """``(a * b).sum(axis=-1, keepdims=keepdims)`` for two arrays of one shape: fused through einsum
    (no temporary product) where :func:`sum_last` would use it.

    >>> import numpy as np
    >>> dot_last(np.ones((2, 3)), np.full((2, 3), 2.0), keepdims=False)
    array([6., 6.])
    """
    if not (_einsum_rows(a) and _einsum_rows(b) and a.shape == b.shape and a.dtype == b.dtype):
        return _summed(a * b, keepdims)
    n = a.shape[-1]
    rows = B.array_einsum("ij,ij->i", a.reshape(-1, n), b.reshape(-1, n))
    return rows.reshape(a.shape[:-1] + ((1,) if keepdims else ()))


def _in_rows(flat):
    """``flat`` (1-d) as whole rows of 4096 elements and the rest: what einsum sums a row at a time."""
    rows = flat.size // _EINSUM_ROW_MAX
    whole = rows * _EINSUM_ROW_MAX
    return flat[:whole].reshape(rows, _EINSUM_ROW_MAX), flat[whole:]


def _einsum_whole(a) -> bool:
    # (below 2048 elements einsum's own call costs more than the loop it saves)
    return type(a) is B.ndarray and a.dtype in SIMD_FLOATS and a.size >= 2048 and a.flags.c_contiguous


def sum_all(a):
    """``a.sum()`` of a float array: rows of 4096 elements through einsum's SIMD sum, the rows'
    sums then summed pairwise. NumPy's ``add.reduce`` over every element runs a scalar pairwise
    loop: 20.7 us against 10.4 at (312, 416) float32 on an Intel Xeon. As accurate as the pairwise
    sum (see :func:`sum_last`) and, being no BLAS, the same bits on every CPU.

    >>> import numpy as np
    >>> float(sum_all(np.full(5000, 0.5)))
    2500.0
    """
    if not _einsum_whole(a):
        return B.xp.add.reduce(a, axis=None)
    block, rest = _in_rows(a.reshape(-1))
    total = B.xp.add.reduce(B.array_einsum("ij->i", block))
    if rest.size:
        total = total + B.array_einsum("i->", rest)
    return total


def sum_of_squares(a):
    """``(a * a).sum()`` for a float array: rows of 4096 elements through einsum's fused product-sum,
    the rows' results summed pairwise. No temporary the size of ``a`` and one pass instead of
    two; as accurate as NumPy's pairwise sum and, unlike a BLAS dot, the same bits on every CPU.

    >>> import numpy as np
    >>> float(sum_of_squares(np.full(5000, 2.0)))
    20000.0
    """
    if not _einsum_whole(a):
        return B.xp.add.reduce((a * a).reshape(-1)) if type(a) is B.ndarray else (a * a).sum()
    block, rest = _in_rows(a.reshape(-1))
    total = B.xp.add.reduce(B.array_einsum("ij,ij->i", block, block))
    if rest.size:
        total = total + B.array_einsum("i,i->", rest, rest)
    return total


#: rows summed one after another in a block before the blocks' sums are summed (see sum_leading)
_SUM_BLOCK = 64


def sum_leading(x, axes, keepdims: bool):
    """``add.reduce(x, axis=axes, keepdims=keepdims)``, in blocks where ``axes`` are the leading
    axes of a C-contiguous float array of many rows.

    NumPy sums along an axis other than the innermost row after row: in float32 the error grows
    with the number of rows (the column means of 200,000 rows near 1000 were 2e-3 off, torch's
    1e-7). Here blocks of 64 rows are summed, then blocks of those sums, and so on: the error grows
    with 64 times the number of levels, at the cost of one pass, as before (2.2e-7 there). A sum of
    every element goes to :func:`sum_all`; other reductions, and fewer than 257 rows, are NumPy's
    (through einsum where a run of adjacent axes is followed by a short one: see :func:`sum_run`).

    >>> import numpy as np
    >>> x = np.full((100_000, 2), 1000.1, np.float32)
    >>> round(float(sum_leading(x, (0,), False)[0]) / 100_000, 2)  # row after row: 1000.0
    1000.1
    """
    k = len(axes) if axes is not None else 0
    if (axes is None or (k == x.ndim and axes == tuple(range(k)))) and _einsum_whole(x):
        total = sum_all(x)  # every element: einsum's rows, then their sums
        return B.xp.asarray(total).reshape((1,) * x.ndim) if keepdims else total
    rows = math.prod(x.shape[:k]) if k else 0
    if not (type(x) is B.ndarray and x.dtype.kind == "f" and 0 < k < x.ndim and axes == tuple(range(k))
            and rows > 4 * _SUM_BLOCK and x.flags.c_contiguous):  # (a few hundred rows: NumPy's is as good)
        total = sum_run(x, axes, keepdims)
        return total if total is not None else B.xp.add.reduce(x, axis=axes, keepdims=keepdims)
    rest = x.shape[k:]
    part = x.reshape((rows, -1))
    while part.shape[0] > _SUM_BLOCK:
        n = part.shape[0]
        whole = n - n % _SUM_BLOCK
        blocks = _sum_middle(part[:whole].reshape(whole // _SUM_BLOCK, _SUM_BLOCK, -1))
        if whole < n:  # the rows beyond the last whole block, as one more block
            blocks = B.xp.concatenate([blocks, B.xp.add.reduce(part[whole:], axis=0, keepdims=True)])
        part = blocks
    total = B.xp.add.reduce(part, axis=0).reshape(rest)
    return total.reshape((1,) * k + rest) if keepdims else total


#: the most elements after the summed axes for which einsum sums along them: its loop (a row added
#: to the running sums, row after row, as NumPy's) took 0.2-0.5x NumPy's time up to 64 elements,
#: 0.8x at 96 to 160 and 0.96x at 255 (float32, AMD EPYC); 1.2-1.4x from 512 on
_EINSUM_INNER_MAX = 255


def _sum_middle(a):
    """``add.reduce(a, axis=1)`` of a C-contiguous (outer, n, inner) float array: through einsum
    while ``inner`` is short (see :data:`_EINSUM_INNER_MAX`), else NumPy's."""
    if a.dtype in SIMD_FLOATS and 1 < a.shape[2] <= _EINSUM_INNER_MAX:
        return B.array_einsum("ijk->ik", a)
    return B.xp.add.reduce(a, axis=1)


def sum_run(x, axes, keepdims: bool):
    """``add.reduce(x, axis=axes, keepdims=keepdims)`` where ``axes`` are adjacent and followed by
    2 to 255 elements per index (``(N, C, 4)`` summed over C, ``(N, H, W, C)`` over H and W) in a
    C-contiguous float32/float64 array, through einsum; else None.

    NumPy sums along an axis other than the innermost as einsum does, a row of the trailing
    elements added to the running sums, one row after another, so the bits are NumPy's; but
    NumPy's loop over short rows costs more: 35 -> 17 us at (32, 80, 48) over dim 1, 196 -> 44
    at (1024, 16, 4).

    >>> import numpy as np
    >>> sum_run(np.ones((2, 3, 4)), (1,), False)
    array([[3., 3., 3., 3.],
           [3., 3., 3., 3.]])
    """
    if type(x) is not B.ndarray or x.dtype not in SIMD_FLOATS or not axes or not x.flags.c_contiguous:
        return None
    first, last = axes[0], axes[-1]
    if last - first != len(axes) - 1 or last == x.ndim - 1:
        return None
    inner = math.prod(x.shape[last + 1:])
    if not 1 < inner <= _EINSUM_INNER_MAX or not x.size:
        return None
    kept = x.shape[:first] + x.shape[last + 1:]
    total = B.array_einsum("ijk->ik", x.reshape(math.prod(x.shape[:first]), -1, inner))
    if keepdims:
        return total.reshape(x.shape[:first] + (1,) * len(axes) + x.shape[last + 1:])
    return total.reshape(kept)


def sum_along(a, axis: int):
    """``a.sum(axis=axis, keepdims=True)`` by the kernel that serves: :func:`sum_last` along the last
    axis, :func:`sum_run` along another where it can, else NumPy's (a GraphArray's own sum).

    >>> import numpy as np
    >>> sum_along(np.ones((2, 3, 4)), 1).shape
    (2, 1, 4)
    """
    if type(a) is not B.ndarray:
        return a.sum(axis=axis, keepdims=True)
    if axis == a.ndim - 1:
        return sum_last(a)
    total = sum_run(a, (axis,), True)
    return total if total is not None else B.xp.add.reduce(a, axis=axis, keepdims=True)


def sum_over(x, axes, keepdims: bool):
    """``add.reduce(x, axis=axes, keepdims=keepdims)`` for a float array, by the kernel that serves:
    along the last axis :func:`sum_last` (einsum's rows), else :func:`sum_leading` (every element
    by :func:`sum_all`, leading axes in blocks, other axes NumPy's own sum).

    >>> import numpy as np
    >>> sum_over(np.ones((2, 3)), (1,), False), sum_over(np.ones((2, 3)), (0,), True).shape
    (array([3., 3.]), (1, 3))
    """
    if axes == (x.ndim - 1,):
        return sum_last(x, keepdims)
    return sum_leading(x, axes, keepdims)


def take_along(x, idx, axis: int):
    """``np.take_along_axis(x, idx, axis)`` for the non-negative indices a sort or a running
    maximum gives. Along the last axis of a contiguous array, one flat index and ``take`` (0.47 ->
    0.17 ms at (32, 16, 256)): NumPy's builds an index array per dimension.

    >>> import numpy as np
    >>> take_along(np.arange(6.0).reshape(2, 3), np.array([[2, 0], [1, 1]]), 1)
    array([[2., 0.],
           [4., 4.]])
    """
    if (type(x) is B.ndarray and type(idx) is B.ndarray and x.ndim >= 2 and axis in (-1, x.ndim - 1)
            and x.flags.c_contiguous and idx.shape[:-1] == x.shape[:-1] and idx.size >= 4096):
        n = x.shape[-1]
        starts = B.xp.arange(0, x.size, n).reshape(x.shape[:-1] + (1,))
        return x.reshape(-1).take(idx + starts)
    return B.xp.take_along_axis(x, idx, axis)


def search_sorted(seq, values, right: bool):
    """torch's ``searchsorted`` of the NumPy array ``values`` in the NumPy array ``seq``: a 1-D
    sequence holds every value; each row of an N-D one (all dims but the last) holds the values of
    the same leading index of ``values``. NumPy's own search where it gives torch's index (a 1-D
    sequence without NaN), else :func:`binary_search_rows`; the result has ``values``' shape.

    >>> import numpy as np
    >>> search_sorted(np.array([[1.0, 3.0], [2.0, 4.0]]), np.array([[2.0], [3.0]]), right=False)
    array([[1],
           [1]])
    """
    if seq.ndim <= 1 and not (seq.dtype.kind == "f" and B.xp.isnan(seq).any()):
        return B.xp.searchsorted(seq.reshape(-1), values, side="right" if right else "left")
    count = math.prod(seq.shape[:-1])  # (1 for a 1-D sequence)
    per_row = values.size // count if count else 0
    found = binary_search_rows(seq.reshape(count, seq.shape[-1] if seq.ndim else 1), values.reshape(count, per_row), right)
    return found.reshape(values.shape)


def binary_search_rows(rows, values, right: bool):
    """torch's ``searchsorted`` of each row of ``values`` (R, M) in the same row of the sorted
    ``rows`` (R, N), step for step, all rows and values at once (log2(N) + 1 vectorized steps).

    torch's binary search moves right of an element unless ``element >= value`` (``>`` with
    ``right``). That is NumPy's answer on ordinary data, but not once the sequence holds a NaN:
    NumPy orders NaN after every number, while every comparison with a NaN sends torch's search
    right. Following the same steps gives torch's index in both cases.

    >>> import numpy as np
    >>> binary_search_rows(np.array([[1.0, 2.0, np.nan]]), np.array([[3.0]]), right=False)
    array([[3]])
    """
    xp = B.xp
    n = rows.shape[1]
    start = xp.zeros(values.shape, dtype=xp.int64)
    end = xp.full(values.shape, n, dtype=xp.int64)
    row = xp.arange(rows.shape[0])[:, None]
    active = start < end
    while active.any():
        mid = (start + end) >> 1
        element = rows[row, xp.minimum(mid, n - 1)]
        # an element that does not reach the value (or a NaN on either side) sends the search right
        goes_right = ~(element > values) if right else ~(element >= values)
        move = active & goes_right
        start = xp.where(move, mid + 1, start)
        end = xp.where(active & ~goes_right, mid, end)
        active = start < end
    return start


# ---------------------------------------------------------------------------------------------
# running (cumulative) reductions

#: the most steps along the axis, and the fewest elements per step, for which running() loops
#: over slices instead of calling ufunc.accumulate
_RUNNING_MAX_STEPS = 128
_RUNNING_MIN_SLICE = 64


def running(ufunc, x, axis: int, dtype=None):
    """``ufunc.accumulate(x, axis=axis, dtype=dtype)``: a running sum, product, max or min.

    NumPy accumulates element by element, which along an outer axis is slow: (32, 16, 256) along
    dim 0 took 1.5 ms (float32 minimum) and 2.6 ms (a float64 cumsum). Few long steps are instead
    taken as one ufunc call per slice, ``out[k] = ufunc(out[k - 1], x[k])``: the same operations in
    the same order (the same bits), 0.04-0.1 ms there. Many short steps keep ``accumulate``.

    >>> import numpy as np
    >>> running(np.add, np.ones((3, 64)), 0)[:, 0]
    array([1., 2., 3.])
    """
    xp = B.xp
    if type(x) is not B.ndarray:  # (a GraphArray in double backward: its own cumsum and cumprod)
        cumulative = {xp.add: xp.cumsum, xp.multiply: xp.cumprod}.get(ufunc)
        return cumulative(x, axis=axis, dtype=dtype) if cumulative else ufunc.accumulate(x, axis=axis, dtype=dtype)
    n = x.shape[axis] if x.ndim else 0
    if n < 2 or n > _RUNNING_MAX_STEPS or x.size // n < _RUNNING_MIN_SLICE:
        return ufunc.accumulate(x, axis=axis, dtype=dtype)
    out = xp.empty(x.shape, dtype if dtype is not None else x.dtype)
    steps, out_steps = xp.moveaxis(x, axis, 0), xp.moveaxis(out, axis, 0)
    out_steps[0] = steps[0]
    for k in range(1, n):
        ufunc(out_steps[k - 1], steps[k], out=out_steps[k])
    return out


# ---------------------------------------------------------------------------------------------
# log(exp(a) + exp(b))

#: float dtypes whose logaddexp runs vectorised below (NumPy's calls the C library per element)
_LOGADDEXP_DTYPES = frozenset([B.xp.dtype("float16"), B.xp.dtype("float32"), B.xp.dtype("float64")])


def logaddexp(a, b):
    """``log(exp(a) + exp(b))`` as torch computes it: ``max(a, b) + log1p(exp(-|a - b|))``, and
    ``a`` where a and b are the same infinity.

    NumPy's float32 logaddexp calls the C library's exp and log1p once per element (1.9 ms at
    (32, 16, 256), 3x torch's whole forward and backward). Here each step is one SIMD pass, the
    correction term computed in float64 and rounded once (the difference a - b is exact there), so
    the error stays that of the final addition: 0.34 ulp on average against NumPy's 0.39, in 0.4 ms.

    >>> import numpy as np
    >>> logaddexp(np.array([0.0, -np.inf, np.inf], np.float32), np.array([0.0, -np.inf, 1.0], np.float32)).tolist()
    [0.6931471824645996, -inf, inf]
    """
    xp = B.xp
    if not (type(a) is B.ndarray and type(b) is B.ndarray and a.dtype == b.dtype and a.dtype in _LOGADDEXP_DTYPES
            and max(a.size, b.size) >= _VECTORISED_MIN_SIZE):
        return xp.logaddexp(a, b)
    if a.dtype.itemsize == 2:  # (float16 is computed in float32 and rounded once, as torch)
        return logaddexp(a.astype(xp.float32), b.astype(xp.float32)).astype(a.dtype)
    top = xp.maximum(a, b)
    term = xp.subtract(a, b, dtype=xp.float64)
    xp.abs(term, out=term)
    xp.negative(term, out=term)
    xp.exp(term, out=term)
    xp.log1p(term, out=term)  # (nan where a - b is inf - inf: the same infinity, fixed below)
    out = term.astype(a.dtype)
    out += top
    infinite = xp.isinf(top)
    if infinite.any():
        same = infinite & (a == b)
        if same.any():
            out = B.select(same, top, out)
    return out


# ---------------------------------------------------------------------------------------------
# division with an integer quotient: fmod, remainder, floor division

#: float dtypes whose fmod is computed through float64 (their values and quotients fit its mantissa)
_NARROW_FLOATS = frozenset([B.xp.dtype("float32"), B.xp.dtype("float16")])
#: below this |a / b| the float64 quotient of two float32 numbers truncates to the exact integer
#: part: a non-integer quotient of 24-bit significands lies at least 2**-24 (relative to b) from
#: an integer, which a 53-bit division resolves while the quotient stays under 2**29
_EXACT_QUOTIENT = 2.0**29
#: below this many elements NumPy's own per-element fmod and logaddexp are as fast
_VECTORISED_MIN_SIZE = 256


def _narrow_float_arrays(a, b):
    """``a`` and ``b`` as arrays when their result is float32 (large enough for the float64 route
    of :func:`fmod` to pay) or float16 (always: its floor division must round as torch's at any
    size); else None."""
    if not (type(a) is B.ndarray or type(b) is B.ndarray) or not all(type(v) is B.ndarray or is_number(v) for v in (a, b)):
        return None  # (a GraphArray of double backward keeps NumPy's ufuncs, which record the graph)
    a, b = B.xp.asarray(a), B.xp.asarray(b)
    dtype = B.xp.result_type(a, b) if a.ndim and b.ndim else _scalar_result_type(a, b)
    if dtype not in _NARROW_FLOATS or dtype.itemsize == 4 and max(a.size, b.size) < _VECTORISED_MIN_SIZE:
        return None
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False), dtype


def _scalar_result_type(a, b):
    # a 0-d array made from a Python number takes the other operand's dtype (NumPy 2's weak scalars)
    return b.dtype if a.ndim == 0 and b.ndim else a.dtype if b.ndim == 0 and a.ndim else B.xp.result_type(a, b)


def fmod(a, b):
    """C's ``fmod(a, b)`` (the remainder of the quotient truncated toward zero, with ``a``'s sign).

    NumPy's float32 fmod calls the C library once per element: 25 ns each here (3.3 ms at
    (32, 16, 256)), 12x torch. For float32 and float16 the remainder is computed in float64 as
    ``a - trunc(a / b) * b``, exact while ``|a / b| < 2**29`` (see ``_EXACT_QUOTIENT``: the
    product is exact, and so is the difference, a float32 value); the rest (larger quotients,
    infinities, NaN, a zero divisor) go to NumPy's fmod. The same bits, ~10x faster.

    >>> import numpy as np
    >>> fmod(np.array([-7.5, 7.5, -4.0], np.float32), np.float32(2)).tolist()
    [-1.5, 1.5, -0.0]
    """
    xp = B.xp
    narrow = _narrow_float_arrays(a, b)
    if narrow is None:
        return xp.fmod(a, b)
    a, b, dtype = narrow
    a64, b64 = a.astype(xp.float64), b.astype(xp.float64)
    q = xp.divide(a64, b64)
    xp.trunc(q, out=q)
    exact = xp.abs(q) < _EXACT_QUOTIENT  # (False at NaN: a zero divisor, an infinite dividend)
    q *= b64
    r = xp.subtract(a64, q, out=q) if q.shape == a64.shape else a64 - q
    exact &= xp.isfinite(r)  # (an infinite divisor: 0 * inf)
    xp.copysign(r, a64, out=r)  # the exact difference may be a zero of either sign; fmod's has a's
    out = r.astype(dtype)
    if not exact.all():
        a_full, b_full = xp.broadcast_to(a, out.shape), xp.broadcast_to(b, out.shape)
        rest = ~exact
        out[rest] = xp.fmod(a_full[rest], b_full[rest])
    return out


def _turns(mod, b):
    """Where a nonzero remainder ``mod`` and the divisor ``b`` differ in sign: there the floored
    remainder adds ``b`` and the floored quotient is one less than the truncated one."""
    return (mod != 0) & ((mod < 0) != (B.xp.asarray(b) < 0))


def _any_float(a, b) -> bool:
    return any(isinstance(v, float) or getattr(v, "dtype", None) is not None and v.dtype.kind == "f" for v in (a, b))


def remainder(a, b):
    """torch's ``remainder`` of floats: ``fmod(a, b)``, plus ``b`` where that has the opposite sign
    of a nonzero ``b``; a zero keeps fmod's sign (NumPy's remainder gives it b's sign instead).

    >>> import numpy as np
    >>> remainder(np.array([-7.5, 7.5, -4.0], np.float32), np.float32(2)).tolist()
    [0.5, 1.5, -0.0]
    """
    xp = B.xp
    if not _any_float(a, b):
        return xp.remainder(a, b)  # (integers: Python's %, as torch)
    mod = fmod(a, b)
    if type(mod) is not B.ndarray:
        return xp.remainder(a, b)  # (two numbers)
    turn = _turns(mod, b)
    if turn.any():
        return B.select(turn, (mod + b).astype(mod.dtype, copy=False), mod)
    return mod


def floor_quotient(a, b):
    """torch's (and NumPy's) ``floor_divide`` of floats, from the exact :func:`fmod`: the truncated
    quotient ``(a - fmod(a, b)) / b``, one less where the remainder and ``b`` differ in sign, then
    rounded to the nearest integer (the division may land just below it), with the sign of
    ``a / b`` (a zero quotient's too); ``a / b`` itself where ``b`` is 0.

    >>> import numpy as np
    >>> floor_quotient(np.array([-7.5, 7.5, 1.0], np.float32), np.float32(-2)).tolist()
    [3.0, -4.0, -1.0]
    """
    xp = B.xp
    narrow = _narrow_float_arrays(a, b)
    if narrow is None:
        return xp.floor_divide(a, b)
    a, b, dtype = narrow
    mod = fmod(a, b)
    div = xp.subtract(a, mod)
    xp.divide(div, b, out=div)
    div -= _turns(mod, b)  # (a bool subtracts as 0 or 1)
    floor = xp.floor(div)
    floor += (div - floor) > 0.5
    with B.errstate(divide="ignore", invalid="ignore"):
        quotient = a / b
    # a nonzero floor has the sign of a / b already; a zero one takes it (torch's copysign(0, a / b))
    xp.copysign(floor, quotient, out=floor)
    by_zero = b == 0
    if by_zero.any():  # a zero divisor gives a / b itself (inf or nan)
        floor = B.select(xp.broadcast_to(by_zero, floor.shape), quotient, floor)
    return floor


# ---------------------------------------------------------------------------------------------
# triangles of matrices

#: the largest (rows, cols) bit mask kept for triangle(): 1 MiB (a 512 x 512 float32 matrix)
_TRIANGLE_MASK_BYTES = 1 << 20
_TRIANGLE_MASKS: dict = {}  # (rows, cols, k, upper, itemsize) -> a read-only mask of all-one / zero words


def triangle(x, k: int, upper: bool):
    """``np.triu(x, k)`` if ``upper`` else ``np.tril(x, k)``, the same values bit for bit.

    NumPy's tril/triu pick each element with ``where`` (86 us at (32, 16, 256) float32). Here
    each element's bits are ANDed with a cached mask of the kept positions (all ones) and the
    dropped ones (zeros): one SIMD pass, the mask shared by every matrix of a batch and every
    call of the same shape (a causal mask's). Large matrices and other dtypes keep NumPy's.

    >>> import numpy as np
    >>> triangle(np.ones((2, 3), np.float32), 0, False)
    array([[1., 0., 0.],
           [1., 1., 0.]], dtype=float32)
    """
    xp = B.xp
    if (type(x) is not B.ndarray or x.ndim < 2 or x.dtype.kind not in "fiu" or x.dtype.itemsize not in (2, 4, 8)
            or x.shape[-2] * x.shape[-1] * x.dtype.itemsize > _TRIANGLE_MASK_BYTES):
        return xp.triu(x, k) if upper else xp.tril(x, k)
    rows, cols = x.shape[-2:]
    itemsize = x.dtype.itemsize
    key = (rows, cols, k, upper, itemsize)
    mask = _TRIANGLE_MASKS.get(key)
    if mask is None:
        if len(_TRIANGLE_MASKS) >= 16:
            _TRIANGLE_MASKS.clear()
        below = xp.tri(rows, cols, k - 1 if upper else k, dtype=bool)  # on or below diagonal k (k - 1)
        kept = ~below if upper else below
        mask = xp.negative(kept.view(xp.int8), dtype=xp.dtype(f"i{itemsize}")).view(f"u{itemsize}")
        mask.flags.writeable = False
        _TRIANGLE_MASKS[key] = mask
    return xp.bitwise_and(x.view(f"u{itemsize}"), mask).view(x.dtype)


# ---------------------------------------------------------------------------------------------
# the next float

#: float dtypes whose nextafter steps through the bit patterns below (NumPy calls the C library
#: per element: 1.0 ms for 131K float32 here)
_NEXT_AFTER_INTS = {dt: SAME_WIDTH_INT[dt] for dt in SIMD_FLOATS}


def next_after(a, b):
    """``np.nextafter(a, b)``, the same values, by stepping each bit pattern: a float's magnitude
    grows with its bit pattern read as an integer, so the next float away from zero is one more,
    toward zero one less (finite to infinite and back included). Then C's special cases: ``a == b``
    gives ``b``, zero gives the smallest subnormal with ``b``'s sign, NaN gives ``a + b``.

    >>> import numpy as np
    >>> float(next_after(np.float32([1.0] * 300), np.float32([2.0] * 300))[0]) - 1.0  # float32's epsilon
    1.1920928955078125e-07
    """
    xp = B.xp
    ints = _NEXT_AFTER_INTS.get(getattr(a, "dtype", None))
    if (ints is None or type(a) is not B.ndarray or type(b) is not B.ndarray or b.dtype != a.dtype
            or max(a.size, b.size) < 256):
        return xp.nextafter(a, b)
    a, b = xp.broadcast_arrays(a, b)
    away = xp.equal(b > a, a > 0)  # (garbage where a is 0 or NaN: replaced below)
    step = away.astype(ints)
    step += step
    step -= 1
    out = (a.view(ints) + step).view(a.dtype)
    same = a == b
    if same.any():
        out = B.select(same, b, out)
    zero = (a == 0) & ~same
    if zero.any():
        out = B.select(zero, xp.copysign(xp.full_like(a, B.finfo(a.dtype).smallest_subnormal), b), out)
    nan = xp.isnan(a) | xp.isnan(b)
    if nan.any():
        out = B.select(nan, a + b, out)
    return out


#: rows_added_at's bincount serves from the first many values up to the second (more go to
#: index_add's sparse product; fewer, np.add.at is as fast: 2.3 against 3.9 us at 16 rows of 8),
#: and for a table of at most this many rows per row given (its bins are the whole table, in float64)
_BINCOUNT_VALUES = (512, 8192)
_BINCOUNT_TABLE_ROWS_PER_ROW = 16


def rows_added_at(index, rows, table_rows: int):
    """``zeros((table_rows, d))`` with ``rows[i]`` added into row ``index[i]`` (repeats
    accumulate): an embedding's weight gradient, for valid non-negative ``index``. One
    ``bincount`` over the (row, column) bins, or None where it does not serve (then
    ``autograd.graph_array.add_at``: a sparse product, ``np.add.at``, GraphArrays).

    It serves float32 and float64 ``rows`` of 512 to 8191 values into a table of at most 16 rows
    per row given: 1.5-4x faster than ``np.add.at`` there (9.2 -> 5.5 us at 64 rows of 16, 40 ->
    13 us at 320, 16 -> 11 us at 64 rows of 32 into 1,000; AMD EPYC). Each bin is summed in
    float64 in the order given, by a scalar loop: the same bits on every CPU, ``np.add.at``'s own
    for float64, and for float32 one rounding of the float64 sum (at most ``np.add.at``'s error,
    often less).

    >>> import numpy as np
    >>> rows_added_at(np.array([1, 1] * 256), np.ones((512, 2)), 2)
    array([[  0.,   0.],
           [512., 512.]])
    """
    if not (type(rows) is B.ndarray and type(index) is B.ndarray and rows.ndim == 2 and rows.dtype in SIMD_FLOATS
            and _BINCOUNT_VALUES[0] <= rows.size < _BINCOUNT_VALUES[1]
            and table_rows <= _BINCOUNT_TABLE_ROWS_PER_ROW * len(rows)):
        return None
    width = rows.shape[1]
    bins = (index * width)[:, None] + B.xp.arange(width)  # bin of (row, column): row * width + column
    sums = B.xp.bincount(bins.reshape(-1), weights=rows.reshape(-1), minlength=table_rows * width)
    return sums.reshape(table_rows, width).astype(rows.dtype, copy=False)
