"""The array backend: the only module of kittygrad that imports NumPy.

Every op reaches arrays through ``xp`` (the array namespace) and the helpers below, so a
CuPy backend can replace this one module without touching any op. The random-number generator
(torch's stream, :class:`Generator`) is in ``backend_random``, which takes NumPy from here.
"""
from __future__ import annotations

import sys
import warnings

import ml_dtypes as _ml_dtypes
import numpy as np
import scipy.linalg as linalg_extra  # noqa: F401 - for ops: LAPACK trtrs, sytrf, sytrs (CuPy: cupyx.scipy.linalg)
import scipy.sparse as _sparse
import scipy.special as _scipy_special_kernels

# NumPy 1.x promotes a 0-d float32 array times a Python float to float64 ("value-based" rules);
# NumPy 2 keeps float32 (NEP 50), as torch does. On NumPy 1.24-1.26 opt in to NEP 50 so the
# library's dtypes are the same on both (NumPy 2's behaviour, which 1.x users get with it).
if np.lib.NumpyVersion(np.__version__) < "2.0.0" and hasattr(np, "_set_promotion_state"):
    np._set_promotion_state("weak")

# NumPy reports IEEE special cases (division by zero, overflow, 0 * inf) as RuntimeWarnings that
# name the line which called the kernel: inside kittygrad that line is ours, and torch computes the
# same inf and nan without a word. So warnings raised from kittygrad's own modules are not shown;
# NumPy's settings (np.seterr) and the user's own NumPy code are left as they were.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"kittygrad(\.|$)")

xp = np
ndarray = np.ndarray
generic = np.generic

# einsum's C entry point: what np.einsum itself calls when not asked to optimize (its default),
# less the Python wrapper and the __array_function__ dispatch around it, which cost ~2.3 us a call
# (a third of a small bias gradient's time). For NumPy arrays only: a GraphArray or another
# library's array needs np.einsum's dispatch. (A private name of NumPy's: if a release drops it,
# np.einsum serves.)
try:
    from numpy._core._multiarray_umath import c_einsum as array_einsum
except ImportError:  # NumPy 1.x's module path
    try:
        from numpy.core._multiarray_umath import c_einsum as array_einsum
    except ImportError:
        array_einsum = np.einsum

#: NumPy's dtype objects for the dtypes kittygrad supports, keyed by kittygrad's name.
NP_DTYPES: dict[str, np.dtype] = {
    name: np.dtype(name) for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
}

# ---- bfloat16 ----------------------------------------------------------------------------------
# NumPy has no bfloat16; ml_dtypes registers one (8 exponent bits, 7 mantissa bits). Its arrays
# hold bfloat16 values, but its kernels are incomplete (matmul answers in float32, sums add in
# bfloat16). torch computes bfloat16 ops in float32 and rounds the result once, so ``Op.apply``
# does the same through the two helpers below; views, casts and copies keep the bfloat16 arrays.

#: the NumPy dtype of bfloat16 arrays (its ``kind`` is "V", so float tests use :func:`is_float`)
bfloat16 = np.dtype(_ml_dtypes.bfloat16)
NP_DTYPES["bfloat16"] = bfloat16
_CANONICAL = {d: d for d in NP_DTYPES.values()}  # (see canonical())
_FLOAT32 = np.dtype(np.float32)


def is_float(dt) -> bool:
    """Whether the NumPy dtype ``dt`` is a floating one (bfloat16 included, unlike ``dt.kind``).

    >>> is_float(bfloat16), is_float(np.dtype(np.int64))
    (True, False)
    """
    return dt.kind == "f" or dt is bfloat16


def widen_half(arrays: list, half=bfloat16) -> list:
    """``arrays`` with each array of the 16-bit float type ``half`` (bfloat16 or float16) as float32
    (exact: every value of either is a float32).

    >>> widen_half([np.ones(2, bfloat16), 3])[0].dtype
    dtype('float32')
    """
    return [a.astype(_FLOAT32) if type(a) is np.ndarray and a.dtype is half else a for a in arrays]


def narrow_to_half(out, half=bfloat16):
    """A forward's result computed on widened inputs, its float32 arrays rounded back to ``half``.

    Integer and bool results (indices, masks) are left as they are; so is a tuple's non-array part.

    >>> narrow_to_half((np.ones(2, np.float32), np.zeros(2, np.int64)))[0].dtype
    dtype(bfloat16)
    """
    if type(out) is tuple:
        return tuple([narrow_to_half(o, half) for o in out])
    if isinstance(out, (np.ndarray, np.generic)) and out.dtype == _FLOAT32:
        return np.asarray(out).astype(half)
    return out


def canonical(arr):
    """``arr`` with kittygrad's own dtype object (hot paths test ``dtype is bfloat16``; a loader's equal one is not)."""
    dt = _CANONICAL.get(arr.dtype)
    return arr if dt is None or dt is arr.dtype else arr.view(dt)


def is_array(obj) -> bool:
    return isinstance(obj, np.ndarray)


def is_array_like_scalar(obj) -> bool:
    """True for NumPy scalars (np.float32(1.0), np.int64(3), ...)."""
    return isinstance(obj, np.generic)


def asarray(data, dtype=None):
    return np.asarray(data, dtype=dtype)


def array(data, dtype=None, copy=True):
    return np.array(data, dtype=dtype, copy=copy)


_FLOAT16 = np.dtype(np.float16)


def promote_types(a, b):
    """The dtype both ``a`` and ``b`` convert to; bfloat16 with float16 gives float32, as in torch
    (ml_dtypes before 0.7 has no rule for that pair).

    >>> promote_types(bfloat16, np.dtype(np.float16))
    dtype('float32')
    """
    try:
        return np.promote_types(a, b)
    except TypeError:
        if {np.dtype(a), np.dtype(b)} == {bfloat16, _FLOAT16}:
            return _FLOAT32
        raise


def finfo(dt):
    """Machine limits of the floating NumPy dtype ``dt``, bfloat16's included (ml_dtypes before 0.7
    gives those only through its own ``finfo``).

    >>> float(finfo(bfloat16).eps)
    0.0078125
    """
    # (NumPy's own for the rest: ml_dtypes' finfo takes three times as long to answer for float32)
    return _ml_dtypes.finfo(dt) if dt == bfloat16 else np.finfo(dt)


def sum_to_shape(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    This is the adjoint of broadcasting and is used by every op that broadcasts.
    """
    have = grad.shape
    if have == shape:
        return grad
    key = (have, tuple(shape))
    plan = _SUM_PLANS.get(key)
    if plan is None:  # (the axes of a pair of shapes, found once: every step asks for the same ones)
        lead = len(have) - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and have[i + lead] != 1)
        plan = _kept(_SUM_PLANS, key, (axes, lead > 0))
    axes, lead = plan
    if axes:
        # (add.reduce is what ndarray.sum calls, without its Python wrapper; a GraphArray sums itself)
        if type(grad) is np.ndarray:
            grad = np.add.reduce(grad, axis=axes, keepdims=True)
        else:
            grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


_SUM_PLANS: dict = {}  # (gradient's shape, operand's shape) -> (axes summed, whether dims lead)


def _kept(cache: dict, key, value):
    """``cache[key] = value``, returned: the answers kept per pair of shapes, emptied first once they
    number 1,024 (a program of ever new shapes must not grow them)."""
    if len(cache) >= 1024:
        cache.clear()
    cache[key] = value
    return value


def broadcast_view(values, shape):
    """A read-only view of ``values`` stretched to ``shape`` (zero strides; nothing is copied).

    A 0-d ``values`` (a full reduction's gradient), or a contiguous one (a reduction's gradient
    with its dims kept as ones, a bias stretched over rows), gets its view built directly, with
    the strides of a pair of shapes found once: 0.5 against ``np.broadcast_to``'s 1.8 us. Consumers
    read it as they read any array, and the engine copies it before it becomes a ``.grad`` (it is
    a view).

    >>> broadcast_view(np.array(2.0), (2, 3)).strides
    (0, 0)
    """
    if type(values) is not np.ndarray:
        return np.broadcast_to(values, shape)
    if values.ndim == 0:
        view = np.ndarray(shape, values.dtype, values, 0, (0,) * len(shape))
    elif values.flags.c_contiguous:  # (the buffer protocol needs a contiguous array)
        key = (values.shape, values.strides, shape)
        strides = _VIEW_STRIDES.get(key)
        if strides is None:
            strides = _stretched_strides(values.shape, values.strides, shape)
            if strides is None:
                return np.broadcast_to(values, shape)  # (NumPy's error)
            _kept(_VIEW_STRIDES, key, strides)
        view = np.ndarray(shape, values.dtype, values, 0, strides)
    else:
        return np.broadcast_to(values, shape)
    view.setflags(write=False)
    return view


_VIEW_STRIDES: dict = {}  # (shape, strides, target shape) -> the stretched view's strides


def _stretched_strides(have_shape, have_strides, shape):
    """The strides of an array of ``have_shape`` and ``have_strides`` broadcast to ``shape`` (0
    along the dims it adds or stretches), or None where it does not broadcast to it."""
    lead = len(shape) - len(have_shape)
    if lead < 0:
        return None
    strides = [0] * lead
    for have, want, stride in zip(have_shape, shape[lead:], have_strides):
        if have != want:
            if have != 1:
                return None
            stride = 0
        strides.append(stride)
    return tuple(strides)


def grad_like(arr, variable):
    """A new array of ``arr``'s values laid out as ``variable`` (its dtype and strides): what a
    leaf's ``.grad`` gets, as torch gives a gradient its parameter's layout. A broadcast
    gradient (a mean's) copied in its own order put the stretched axis innermost: 2.5x slower to
    fill, and every later pass over ``.grad`` crossed its strides.

    >>> grad_like(broadcast_view(np.array(2.0), (2, 3)), np.zeros((2, 3), np.float32)).strides
    (12, 4)
    """
    out = np.empty_like(variable)
    np.copyto(out, arr, casting="unsafe")
    return out


#: the unsigned integer dtype the size of each float dtype (select blends bit patterns)
_BITS_OF_SIZE = {n: np.dtype(f"u{n}") for n in (1, 2, 4, 8)}
#: below this many elements np.where's one call beats select's passes
_SELECT_MIN_SIZE = 2048


def _plain(v) -> bool:
    return type(v) is np.ndarray or isinstance(v, (int, float, np.generic))


def select(mask, a, b):
    """``np.where(mask, a, b)``, for float and integer values without a branch per element.

    ``where`` branches per element (~6x a product on an activation's sign pattern); float and integer values
    are blended as wrapping unsigned bit patterns, ``b + (a - b) * mask``: three passes, the same bits;
    with +0 on a side, one product (XOR with the negated mask took 4: 27.5 against 20.3 us at (128, 256)
    float32 on an AMD EPYC, 24.5 against 12.3 with +0). Other values and small arrays: ``np.where``.

    >>> select(np.arange(4096) < 1, np.float32(1.5), np.float32(0))[:2]
    array([1.5, 0. ], dtype=float32)
    """
    if (type(mask) is not np.ndarray or mask.dtype != np.bool_ or mask.size < _SELECT_MIN_SIZE
            or not (_plain(a) and _plain(b)) or (dtype := np.result_type(a, b)).kind not in "fiu"
            or dtype.itemsize not in _BITS_OF_SIZE):
        return np.where(mask, a, b)  # (also every graph-building array of a double backward)
    unsigned = _BITS_OF_SIZE[dtype.itemsize]
    a_bits = np.asarray(a, dtype).view(unsigned)
    b_bits = np.asarray(b, dtype).view(unsigned)
    b_zero = b_bits.ndim == 0 and not b_bits  # (+0's bits are zero, -0's not)
    if b_zero or (a_bits.ndim == 0 and not a_bits):
        kept, where = (a_bits, mask) if b_zero else (b_bits, np.logical_not(mask))
        return np.multiply(kept, where, dtype=unsigned).view(dtype)
    blend = np.subtract(a_bits, b_bits)
    full = blend.shape == mask.shape or blend.shape == np.broadcast_shapes(blend.shape, mask.shape)
    blend = np.multiply(blend, mask, out=blend if full else None, dtype=unsigned)
    np.add(blend, b_bits, out=blend)
    return blend.view(dtype)


def sole_view(view) -> bool:
    """Whether ``view`` covers the whole buffer it views (up to 64 bytes of alignment) and nothing
    else holds that buffer: the view's own reference, the local name and getrefcount's argument
    are the only ones (a fresh array reshaped). The engine lets such a view become a ``.grad``
    without a copy.

    >>> sole_view(np.zeros(6).reshape(2, 3)), sole_view(np.zeros(100)[:3])
    (True, False)
    """
    base = view.base
    return (type(base) is np.ndarray and base.base is None and base.nbytes <= view.nbytes + 64
            and view.flags.c_contiguous and sys.getrefcount(base) <= 3)


def empty_aligned(size: int, dtype):
    """A fresh 1-d array whose data starts on a 64-byte boundary. NumPy's arrays start wherever
    malloc put them (in 16-byte steps), and with AVX-512 a pass that writes a misaligned output
    of in-cache data took up to twice as long (two float32 arrays in, one out, 64K elements:
    12.4 vs 6.0 us on an Intel Xeon); chunked kernels write their results into such arrays.

    >>> empty_aligned(5, np.float32).__array_interface__["data"][0] % 64
    0
    """
    dtype = np.dtype(dtype)
    spare = 64 // dtype.itemsize
    buf = np.empty(size + spare, dtype)
    skip = (-buf.__array_interface__["data"][0] % 64) // dtype.itemsize
    return buf[skip: skip + size]


def broadcast_shapes(*shapes):
    """The shape two or more shapes broadcast to (NumPy's rule and its ValueError). Every binary
    op with a broadcast operand asks this of the same pair of shapes again and again: a pair's
    answer is kept (0.1 against NumPy's 2.4 us).

    >>> broadcast_shapes((8, 1), (16,))
    (8, 16)
    """
    if len(shapes) == 2:
        key = (tuple(shapes[0]), tuple(shapes[1]))
        shape = _BROADCAST_SHAPES.get(key)
        if shape is None:
            shape = _kept(_BROADCAST_SHAPES, key, np.broadcast_shapes(*key))
        return shape
    return np.broadcast_shapes(*shapes)


_BROADCAST_SHAPES: dict = {}  # (shape, shape) -> the shape they broadcast to


def shares_memory(a, b) -> bool:
    return np.shares_memory(a, b)


def may_share_memory(a, b) -> bool:
    return np.may_share_memory(a, b)


def scatter_add(target, index, values):
    """``target[index] += values`` in place, accumulating repeated indices (np.add.at).

    NumPy arrays only: a backward formula that must also run on GraphArrays (double backward)
    uses :func:`index_add`, which returns its result.
    """
    np.add.at(target, index, values)


def index_add(target, index, values):
    """``target`` plus ``values`` at ``index`` (repeated indices accumulate), in place; returns it.

    Backward formulas use ``autograd.graph_array.add_at``, which also takes GraphArrays.

    >>> index_add(np.zeros(3), np.array([0, 0, 2]), 1.0)
    array([2., 0., 1.])
    """
    if _rows_by_sparse_product(target, index, values):
        # row r of the sum is (selection matrix S, S[r, i] = 1 where index[i] == r) @ values: one
        # sparse product sums each row's terms in their order, in C
        n = len(index)
        rows = _sparse.csr_matrix(
            (np.ones(n, values.dtype), (index, np.arange(n))), shape=(target.shape[0], n)
        )
        flat = values.reshape(n, -1)
        target += (rows @ flat).reshape(target.shape)
        return target
    np.add.at(target, index, values)
    return target


def _rows_by_sparse_product(target, index, values) -> bool:
    """Whether ``index_add`` should sum by a sparse product: whole rows, many of them, float32 or
    float64, at non-negative indices.

    ``np.add.at`` handles one element at a time; a sparse selection matrix times the values is
    3-10x faster for embedding-sized gradients (hundreds of rows of tens of columns or more) and
    slower below ~8k values. Negative indices stay with ``add.at`` (-1 and n-1 are one row).
    """
    return (
        isinstance(index, np.ndarray) and index.ndim == 1 and index.dtype.kind in "iu"
        and isinstance(values, np.ndarray) and values.ndim >= 2 and values.size >= 8192
        and values.dtype in (np.float32, np.float64) and target.dtype == values.dtype
        and values.shape == index.shape + target.shape[1:] and values.size // len(index) >= 8
        and index.min() >= 0 and index.max() < target.shape[0]
    )


def errstate(**kwargs):
    return np.errstate(**kwargs)


# ---------------------------------------------------------------------------------------------
# Exact float helpers: a fused multiply-add with one rounding (torch's uniform_, normal_ and
# linspace round so), for float64 and float32 arrays

_SPLITTER = 134217729.0  # 2**27 + 1, Dekker's split of a float64 into two 26-bit halves


def _two_sum(a, b):
    """``s = fl(a + b)`` and the exact rounding error ``a + b - s`` (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    """``p = fl(a * b)`` and the exact error ``a * b - p`` (Dekker's product, no FMA needed)."""
    p = a * b
    t = _SPLITTER * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLITTER * b
    bh = t - (t - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _round_to_odd(s, err):
    """``s + err`` (``s`` the rounded sum, ``err`` its exact error) rounded to odd: ``s`` when
    exact or odd, else its neighbour toward ``err`` (whose last bit is odd)."""
    s = np.asarray(s, dtype=np.float64)
    fix = (err != 0) & ((s.view(np.int64) & 1) == 0)
    if fix.any():
        s = np.where(fix, np.nextafter(s, np.where(err > 0, np.inf, -np.inf)), s)
    return s


def fma(a, b, c):
    """``a * b + c`` in float64 with a single rounding, as C's ``fma`` (elementwise, broadcast).

    Boldo and Melquiond's emulation: the exact product and sum split into error-free parts, the
    low parts added with rounding to odd, then one final rounding.

    >>> float(fma(np.array(0.1), 10.0, -1.0))  # 0.1 * 10 - 1 exactly: the error of 0.1, not 0
    5.551115123125783e-17
    """
    a, b, c = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
    uh, ul = _two_prod(a, b)
    th, tl = _two_sum(c, uh)
    v, e = _two_sum(tl, ul)
    return th + _round_to_odd(v, e)


def _fma32(a, b, c):
    """``a * b + c`` rounded once to float32, for float32-exact float64 inputs: the product is
    exact in float64, the sum rounded to odd there, so the last rounding is the only one."""
    s, e = _two_sum(np.asarray(a, dtype=np.float64) * b, c)
    return _round_to_odd(s, e).astype(np.float32)


def linspace(start, end, steps: int, dtype):
    """torch's ``linspace`` in a float ``dtype``, bit for bit: ``start + step * i`` for the first half,
    ``end - step * (steps - 1 - i)`` for the second, each one fused multiply-add (as torch's kernel).

    >>> linspace(-1.0, 1.0, 5, np.dtype(np.float32)).tolist()
    [-1.0, -0.5, 0.0, 0.5, 1.0]
    """
    work = np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)
    first, last = work.type(start), work.type(end)
    step = (last - first) / work.type(max(steps - 1, 1))
    index, fused = np.arange(steps), (fma if work == np.float64 else _fma32)
    out = np.where(index < steps // 2, fused(step, index, first), fused(-step, steps - 1 - index, last))
    return (out if steps != 1 else np.full(1, first)).astype(dtype)


#: its ``device('cpu')`` when it is imported, as torch's generators report a device object
cpu_device: object = "cpu"


def memory_order(values, like):
    """``values`` (in draw order) laid out so that walking ``like``'s memory visits them in order,
    as torch fills a strided tensor; a C-contiguous ``like`` (or None) keeps them as they are.

    >>> memory_order(np.arange(4), np.zeros((2, 2)).T)
    array([[0, 2],
           [1, 3]])
    """
    if like is None:
        return np.asarray(values)
    values = np.asarray(values).reshape(like.shape)
    if like.ndim < 2 or like.flags.c_contiguous:
        return values
    axes = sorted(range(like.ndim), key=lambda d: -abs(like.strides[d]))
    out = np.empty(like.shape, dtype=values.dtype)
    out.transpose(axes)[...] = values.reshape(tuple(like.shape[d] for d in axes))
    return out


def like_layout(arr):
    """``arr`` when a result made "like" it keeps its dimensions' order in memory (torch's
    ``empty_like``: a dense input's strides, or dense strides in the order of a sliced input's),
    else None (the result is C-contiguous): the order is C's, or an expanded or flipped dimension
    leaves it ambiguous (torch's sort of such strides keeps them where they are; C order here).

    >>> like_layout(np.zeros((2, 3)).T) is not None, like_layout(np.zeros((2, 3))[:, ::2])
    (True, None)
    >>> like_layout(np.zeros((2, 3, 4)).transpose(2, 0, 1)[:, :, 1:]) is not None
    True
    """
    if arr.ndim < 2 or arr.flags.c_contiguous:
        return None
    steps = [arr.strides[d] for d in range(arr.ndim) if arr.shape[d] != 1]
    if any(step <= 0 for step in steps) or all(a > b for a, b in zip(steps, steps[1:])):
        return None
    return arr


# ---------------------------------------------------------------------------------------------
# the error function family (the erf ops, exact GELU, the normal distribution)

def sobol(dimension: int, shift=None, ltm=None):
    """SciPy's Sobol' generator (Joe and Kuo's direction numbers, as torch's), 30 bits.

    Given ``shift`` (``(dimension,)`` integers) and ``ltm`` (``(dimension, 30, 30)`` lower-triangular
    0/1 matrices), it is scrambled as torch scrambles: each direction number's bits, most significant
    first, are multiplied over GF(2) by its dimension's matrix (with a unit diagonal), and the points
    are XOR-shifted by ``shift``. SciPy draws its own scrambling; this one installs torch's in the
    engine's state instead (its direction numbers ``_sv``, running point ``_quasi`` and first point).
    """
    from scipy.stats import qmc  # (slow to import: only a Sobol engine needs it)
    engine = qmc.Sobol(dimension, scramble=False, bits=30)
    if ltm is None:
        return engine
    bits = 30
    ltm = np.array(ltm, dtype=np.int64)
    diag = np.arange(bits)
    ltm[:, diag, diag] = 1
    weights = np.int64(1) << (bits - 1 - diag)  # column k of a matrix is bit 29 - k
    sv = engine._sv.astype(np.int64)
    sv_bits = (sv[:, :, None] >> (bits - 1 - diag)) & 1  # (dimension, direction, bit)
    # the GF(2) products as float matmuls (exact: the sums stay below 31) for speed
    products = np.matmul(sv_bits.astype(np.float64), np.swapaxes(ltm, 1, 2).astype(np.float64))
    scrambled = (products.astype(np.int64) % 2) @ weights
    engine._sv = scrambled.astype(engine._sv.dtype)
    engine._shift = np.asarray(shift).astype(engine._shift.dtype)
    engine._quasi = engine._shift.copy()
    engine._first_point = (engine._shift * engine._scale).reshape(1, -1)
    return engine


def erf(x):
    """The error function, elementwise, by SciPy in float64, in x's float dtype (float64 for
    integers); ``ops._erf32.erf`` serves large float32 arrays by vectorised polynomials.

    >>> float(erf(np.array(0.5)))  # doctest: +ELLIPSIS
    0.5204998778...
    """
    return _in_float64(_scipy_special_kernels.erf, np.asarray(x))


def _in_float64(kernel, x):
    """SciPy's ``kernel`` of ``x`` computed in float64, in x's float dtype (float64 for integers)."""
    out_dtype = x.dtype if is_float(x.dtype) else np.dtype(np.float64)
    return np.asarray(kernel(x.astype(np.float64, copy=False)), dtype=out_dtype)


def erfc(x):
    """The complementary error function 1 - erf(x), accurate in the tails (SciPy's, in float64).

    >>> float(erfc(np.array(3.0)))  # doctest: +ELLIPSIS
    2.209049699858...e-05
    """
    return _in_float64(_scipy_special_kernels.erfc, np.asarray(x))


def erfinv(y):
    """The inverse error function on (-1, 1) (±inf at ±1, nan outside), SciPy's, in float64.

    >>> float(erfinv(np.array(0.5)))  # doctest: +ELLIPSIS
    0.476936276204...
    """
    return _in_float64(_scipy_special_kernels.erfinv, np.asarray(y))


def diagonal_view(x, offset: int, axis1: int, axis2: int):
    """A view of the diagonal of ``x`` over ``axis1``/``axis2`` (as a last dim), writable where
    ``x`` is, as torch's. NumPy's own diagonal is that view, handed out read-only; opening it
    takes 0.2 us where building the strides by hand through ``as_strided`` took 3.7.

    >>> m = np.zeros((2, 2)); diagonal_view(m, 0, 0, 1)[...] = 1; m
    array([[1., 0.],
           [0., 1.]])
    """
    view = x.diagonal(offset, axis1, axis2)
    if x.flags.writeable:
        view.setflags(write=True)
    return view


# ---------------------------------------------------------------------------------------------
# scipy.special: the kernels of kittygrad.special (gamma family, Bessel functions, the normal
# distribution's functions, zeta, incomplete gamma/beta). Ops reach them as ``B.special.<name>``
# so a CuPy backend can map this namespace to ``cupyx.scipy.special`` (same names, same ufuncs).
# They are elementwise NumPy ufuncs; the ops cast results back to the input's float dtype.


class _SpecialKernels:
    """The scipy.special functions kittygrad uses, by their SciPy names: expit (the stable logistic
    sigmoid), gammaln (log|Gamma|), psi (digamma), polygamma, zeta (Hurwitz), gammainc/gammaincc
    (regularized incomplete gamma P and Q), betainc (regularized incomplete beta), erfcx
    (exp(x^2) erfc(x)), ndtr/ndtri/log_ndtr (the standard normal CDF, its inverse, its log accurate
    in the tails), entr (-x log x), the modified Bessel functions i0/i1/k0/k1 and their exp-scaled
    i0e/i1e/k0e/k1e, the Bessel functions j0/j1/y0/y1, airy (Ai, Ai', Bi, Bi') and spherical_jn.

    >>> float(special.gammaln(np.array(4.0)))  # log(3!)  # doctest: +ELLIPSIS
    1.791759469228...
    """

    __slots__ = ()


for _name in ("expit gammaln psi polygamma zeta gammainc gammaincc betainc erfcx ndtr ndtri log_ndtr entr i0 i0e "
              "i1 i1e k0 k0e k1 k1e j0 j1 y0 y1 airy spherical_jn").split():
    setattr(_SpecialKernels, _name, staticmethod(getattr(_scipy_special_kernels, _name)))
special = _SpecialKernels()

