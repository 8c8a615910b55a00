"""The array backend: the only module of kittygrad that imports NumPy.

Every op reaches arrays through ``xp`` (the array namespace) and the helpers below, so a
CuPy backend can replace this one module without touching any op.
"""
from __future__ import annotations

import numpy as np

# NumPy 1.x promotes a 0-d float32 array times a Python float to float64 ("value-based" rules);
# NumPy 2 keeps float32 (NEP 50), as torch does. On NumPy 1.24-1.26 opt in to NEP 50 so the
# library's dtypes are the same on both (NumPy 2's behaviour, which 1.x users get with it).
if np.lib.NumpyVersion(np.__version__) < "2.0.0" and hasattr(np, "_set_promotion_state"):
    np._set_promotion_state("weak")

xp = np
ndarray = np.ndarray
generic = np.generic

#: NumPy's dtype objects for the dtypes kittygrad supports, keyed by kittygrad's name.
NP_DTYPES: dict[str, np.dtype] = {
    "float16": np.dtype(np.float16),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "int8": np.dtype(np.int8),
    "int16": np.dtype(np.int16),
    "int32": np.dtype(np.int32),
    "int64": np.dtype(np.int64),
    "uint8": np.dtype(np.uint8),
    "bool": np.dtype(np.bool_),
}


def is_array(obj) -> bool:
    return isinstance(obj, np.ndarray)


def is_array_like_scalar(obj) -> bool:
    """True for NumPy scalars (np.float32(1.0), np.int64(3), ...)."""
    return isinstance(obj, np.generic)


def asarray(data, dtype=None):
    return np.asarray(data, dtype=dtype)


def array(data, dtype=None, copy=True):
    return np.array(data, dtype=dtype, copy=copy)


def promote_types(a, b):
    return np.promote_types(a, b)


def sum_to_shape(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    This is the adjoint of broadcasting and is used by every op that broadcasts.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def broadcast_shapes(*shapes):
    return np.broadcast_shapes(*shapes)


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
    np.add.at(target, index, values)
    return target


def errstate(**kwargs):
    return np.errstate(**kwargs)


def array2string(arr) -> str:
    return np.array2string(arr)


class Generator:
    """Random-number state, as ``torch.Generator`` (seeded with :meth:`manual_seed`).

    >>> g = Generator().manual_seed(0)
    """

    def __init__(self, device: str = "cpu") -> None:
        self._seed = 67280421310721
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed & 0xFFFF_FFFF_FFFF_FFFF))
        return self

    def seed(self) -> int:
        seed = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state) -> Generator:
        self._rng.bit_generator.state = state
        return self

    @property
    def device(self) -> str:
        return "cpu"

    # array-level sampling used by the creation functions and random ops
    def uniform(self, low, high, size, dtype):
        return self._rng.uniform(low, high, size).astype(dtype, copy=False)

    def normal(self, mean, std, size, dtype):
        return self._rng.normal(mean, std, size).astype(dtype, copy=False)

    def integers(self, low, high, size, dtype):
        return self._rng.integers(low, high, size=size, dtype=np.int64).astype(dtype, copy=False)

    def permutation(self, n):
        return self._rng.permutation(n)

    def random(self, size):
        return self._rng.random(size)

    def exponential(self, scale, size):
        return self._rng.exponential(scale, size)

    def choice(self, n, size, replace, p):
        return self._rng.choice(n, size=size, replace=replace, p=p)


default_generator = Generator()


# ---------------------------------------------------------------------------------------------
# special functions NumPy lacks (float64-accurate, vectorised), used by the erf family of ops

_SQRT_PI = 1.7724538509055159


def _erf_series_coefficients(n_terms: int = 36) -> list:
    out, c = [], 1.0
    for n in range(n_terms):
        out.append(c)
        c *= 2.0 / (2 * n + 3)
    return out[::-1]


_ERF_COEFFS = _erf_series_coefficients()


def _erf_series(x):
    """erf for |x| <= 2.5: 2/sqrt(pi) e^(-x^2) x sum_n (2x^2)^n / (3*5*...*(2n+1)) (no cancellation)."""
    x2 = x * x
    acc = np.full_like(x2, _ERF_COEFFS[0])
    for c in _ERF_COEFFS[1:]:  # Horner's rule in x^2, in place
        acc *= x2
        acc += c
    acc *= x
    np.negative(x2, out=x2)
    np.exp(x2, out=x2)
    acc *= x2
    acc *= 2.0 / _SQRT_PI
    return acc


def _erfc_fraction(x, depth):
    """erfc for x >= 1 by the continued fraction e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + ...)))."""
    f = x.copy()
    for k in range(depth, 0, -1):
        f = x + (0.5 * k) / f
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(np.isinf(x), 0.0, np.exp(-x * x) / (_SQRT_PI * f))


_SCIPY = []


def _scipy_special():
    """scipy.special if importable (looked up once), else None."""
    if not _SCIPY:
        try:
            import scipy.special as special
        except ImportError:
            special = None
        _SCIPY.append(special)
    return _SCIPY[0]


def erf(x):
    """The error function, elementwise, computed in float64 and returned in x's float dtype.

    >>> float(erf(np.array(0.5)))  # doctest: +ELLIPSIS
    0.5204998778...
    """
    out_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    fast = _scipy_special()
    if fast is not None:  # SciPy's C implementation, when SciPy is installed (scikit-learn brings it)
        return np.asarray(fast.erf(np.asarray(x, dtype=out_dtype)), dtype=out_dtype)
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    ax = np.abs(a)
    small = ax <= 2.5
    if small.all():
        out = _erf_series(a)
    else:
        out = np.empty_like(a)
        out[small] = _erf_series(a[small])
        big = ~small
        with np.errstate(invalid="ignore"):
            out[big] = np.copysign(1.0 - _erfc_fraction(ax[big], 50), a[big])
    return out.reshape(np.shape(x)).astype(out_dtype, copy=False)


def erfc(x):
    """The complementary error function 1 - erf(x), accurate in the tails.

    >>> float(erfc(np.array(3.0)))  # doctest: +ELLIPSIS
    2.209049699858...e-05
    """
    out_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    ax = np.abs(a)
    out = np.empty_like(a)
    near = ax < 1.0
    mid = (ax >= 1.0) & (ax < 2.5)
    far = ~(near | mid)
    out[near] = 1.0 - _erf_series(a[near])
    for mask, depth in ((mid, 200), (far, 50)):
        if mask.any():
            tail = _erfc_fraction(ax[mask], depth)
            out[mask] = np.where(a[mask] < 0, 2.0 - tail, tail)
    nan = np.isnan(a)
    if nan.any():
        out[nan] = np.nan
    return out.reshape(np.shape(x)).astype(out_dtype, copy=False)


def erfinv(y):
    """The inverse error function on (-1, 1) (±inf at ±1, nan outside).

    A closed-form first guess (rel. error ~1e-3) refined by three Halley steps on erf/erfc.

    >>> float(erfinv(np.array(0.5)))  # doctest: +ELLIPSIS
    0.476936276204...
    """
    out_dtype = y.dtype if y.dtype.kind == "f" else np.dtype(np.float64)
    a = np.asarray(y, dtype=np.float64).reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ay = np.abs(a)
        inside = ay < 1.0
        t = np.log((1.0 - ay) * (1.0 + ay))
        c = 2.0 / (np.pi * 0.147) + 0.5 * t
        x = np.sqrt(np.sqrt(c * c - t / 0.147) - c)
        x = np.where(inside, x, 0.0)
        ayi = np.where(inside, ay, 0.0)
        tail = ayi > 0.5
        for _ in range(3):
            # residual f(x) = erf(x) - y, written through erfc in the tail to keep its digits
            f = np.where(tail, (1.0 - ayi) - erfc(x), erf(x) - ayi)
            fp = (2.0 / _SQRT_PI) * np.exp(-x * x)
            x = x - f / (fp + x * f)
        out = np.copysign(x, a)
        out = np.where(ay == 1.0, np.copysign(np.inf, a), out)
        out = np.where((ay > 1.0) | np.isnan(a), np.nan, out)
    return out.reshape(np.shape(y)).astype(out_dtype, copy=False)


def diagonal_view(x, offset: int, axis1: int, axis2: int):
    """A writable view of the diagonal of ``x`` over ``axis1``/``axis2`` (as a last dim), as torch's."""
    n1, n2 = x.shape[axis1], x.shape[axis2]
    length = max(0, min(n1, n2 - offset)) if offset >= 0 else max(0, min(n1 + offset, n2))
    rest = [i for i in range(x.ndim) if i not in (axis1, axis2)]
    shape = tuple(x.shape[i] for i in rest) + (length,)
    if length == 0 or x.size == 0:
        return np.zeros(shape, x.dtype)
    idx = [slice(None)] * x.ndim
    if offset >= 0:
        idx[axis2] = slice(offset, None)
    else:
        idx[axis1] = slice(-offset, None)
    start = x[tuple(idx)]
    strides = tuple(x.strides[i] for i in rest) + (x.strides[axis1] + x.strides[axis2],)
    return np.lib.stride_tricks.as_strided(start, shape=shape, strides=strides, writeable=x.flags.writeable)


def poisson(generator, lam):
    """Poisson samples with rates ``lam`` (an array) from a :class:`Generator`."""
    return generator._rng.poisson(lam)


# ---------------------------------------------------------------------------------------------
# BLAS threads (torch.set_num_threads / get_num_threads)

_blas_limit = None


def set_num_threads(n: int) -> None:
    """Cap the threads NumPy's BLAS uses (through threadpoolctl, which scikit-learn installs).

    On a busy machine one thread is often fastest for small matrices.
    """
    global _blas_limit
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise RuntimeError(
            "set_num_threads needs threadpoolctl (pip install threadpoolctl), or set "
            "OPENBLAS_NUM_THREADS / OMP_NUM_THREADS before starting Python"
        ) from None
    _blas_limit = threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        import os

        return os.cpu_count() or 1
    counts = [lib["num_threads"] for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return max(counts) if counts else 1
