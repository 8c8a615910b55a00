"""The data of a tensor on the ``meta`` device: :class:`MetaArray`, a shape and a dtype without values."""
from __future__ import annotations

from . import backend as B

__all__ = ["MetaArray", "MetaDataError"]


class _MetaFlags:
    writeable = False
    c_contiguous = True
    contiguous = True
    owndata = True

    def __init__(self, ndim: int) -> None:
        self.f_contiguous = ndim <= 1


class MetaDataError(RuntimeError, AttributeError):
    """Reading values of a meta tensor, which has none (a RuntimeError, as torch's; an AttributeError
    too, so that ``hasattr`` probes of array attributes answer False)."""


class MetaArray:
    """The data of a tensor on the ``meta`` device: a shape and a dtype, and no values.

    kittygrad's meta tensors serve one purpose: a module moved with ``.to("meta")`` as the
    skeleton ``func.functional_call`` fills with real parameters (torch's model-ensembling
    pattern). They print and report shapes; anything that needs values raises, naming the device.

    >>> a = MetaArray((2, 3), "float32")
    >>> a.shape, a.size, a.dtype
    ((2, 3), 6, dtype('float32'))
    """

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype) -> None:
        self.shape = tuple(int(n) for n in shape)
        self.dtype = B.xp.dtype(dtype)

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(B.xp.prod(self.shape, dtype=B.xp.int64)))
    itemsize = property(lambda self: self.dtype.itemsize)
    nbytes = property(lambda self: self.size * self.dtype.itemsize)
    flags = property(lambda self: _MetaFlags(self.ndim))
    base = None

    @property
    def strides(self) -> tuple:
        steps, step = [], self.dtype.itemsize
        for n in reversed(self.shape):
            steps.append(step)
            step *= max(n, 1)
        return tuple(reversed(steps))

    def copy(self, order: str = "K") -> MetaArray:
        return self  # (no values to copy: meta arrays never change)

    def astype(self, dtype, copy: bool = True) -> MetaArray:
        return MetaArray(self.shape, dtype)

    def _no_data(self, *args, **kwargs):
        raise MetaDataError(
            f"a tensor on the meta device (shape {self.shape}, {self.dtype}) has no data: kittygrad's meta "
            "tensors only stand in for parameters (Module.to('meta') before func.functional_call) and "
            "compute nothing; move the module or tensor to the CPU (.to_empty(device='cpu') or real data)"
        )

    __array__ = __array_ufunc__ = __array_function__ = __getitem__ = __setitem__ = __iter__ = __float__ = _no_data
    __int__ = __bool__ = __len__ = tolist = item = reshape = view = fill = sum = __index__ = _no_data

    def __getattr__(self, name: str):
        if name.startswith("__"):  # protocol probes (copy, pickle): the usual answer
            raise AttributeError(name)
        self._no_data()

    def __repr__(self) -> str:
        return f"MetaArray(shape={self.shape}, dtype={self.dtype})"
