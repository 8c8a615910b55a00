"""The array backend: the only module of kittygrad that imports NumPy.

Every op reaches arrays through ``xp`` (the array namespace) and the helpers below, so a
CuPy backend can replace this one module without touching any op.
"""
from __future__ import annotations

import numpy as np

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
    """target[index] += values, accumulating repeated indices (np.add.at)."""
    np.add.at(target, index, values)


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
