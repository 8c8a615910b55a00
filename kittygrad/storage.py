"""Storages: the flat memory a tensor and its views share (``t.storage()``, ``t.untyped_storage()``).

A kittygrad tensor's memory is a NumPy array, often a view of another one. The storage is the array
at the bottom of that chain of views, seen flat: ``UntypedStorage`` as bytes, ``TypedStorage`` as
elements of the tensor's dtype. Both share the memory, so writing through a storage changes every
tensor over it, as in torch; books use them to show that ``t.t()``, ``t[1]`` and ``t.view(...)``
are views (the same ``data_ptr()``, another ``storage_offset()`` and ``stride()``).

>>> import kittygrad as kitty
>>> points = kitty.tensor([[4.0, 1.0], [5.0, 3.0]])
>>> points.untyped_storage().nbytes(), points[1].untyped_storage().data_ptr() == points.data_ptr()
(16, True)
"""
from __future__ import annotations

import warnings
import weakref

from . import _display
from . import backend as B
from . import dtypes as D
from ._runtime import first_warning
from .device import CPU
from .errors import KittyIndexError, KittyRuntimeError

__all__ = ["TypedStorage", "UntypedStorage"]

#: id(root array) -> its UntypedStorage, so that asking twice gives the same object while one is
#: alive, as torch does; the storage holds the array, so the id cannot be reused meanwhile
_by_root: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_warned: set = set()

_TYPED_DEPRECATION = (
    "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
    "storage class. This should only matter to you if you are using storages directly.  To access "
    "UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()"
)


def _warn_typed(stacklevel: int) -> None:
    """torch's deprecation warning for TypedStorage: once per process (every time under warn_always)."""
    if first_warning(_warned, "TypedStorage"):
        warnings.warn(_TYPED_DEPRECATION, UserWarning, stacklevel=stacklevel + 1)


def root_array(arr):
    """The array at the bottom of ``arr``'s chain of views: the memory every view of it shares."""
    base = arr
    while base.base is not None and hasattr(base.base, "__array_interface__"):
        base = base.base
    return base if isinstance(base, B.xp.ndarray) else B.xp.asarray(base)


def untyped_storage_of(arr) -> UntypedStorage:
    """The byte storage under the array ``arr`` (one object per memory while it is in use)."""
    if not isinstance(arr, B.xp.ndarray):
        raise KittyRuntimeError("a meta tensor has no memory, so kittygrad gives it no storage")
    root = root_array(arr)
    found = _by_root.get(id(root))
    if found is None or found._root is not root:
        found = _by_root[id(root)] = UntypedStorage._over(root)
    return found


def _check_index(idx, size: int) -> int:
    if not isinstance(idx, int) or isinstance(idx, bool):
        raise KittyRuntimeError(f"can't index a storage with {type(idx).__name__}")
    if not -size <= idx < size:
        raise KittyIndexError(f"index {idx} out of range for storage of size {size}")
    return idx % size


class UntypedStorage:
    """The bytes of a tensor's memory (``t.untyped_storage()``); indexing reads and writes bytes.

    >>> import kittygrad as kitty
    >>> kitty.tensor([1.0]).untyped_storage().tolist()
    [0, 0, 128, 63]
    """

    __slots__ = ("__weakref__", "_bytes", "_root")

    def __init__(self, size: int = 0, *, device=None) -> None:
        self._root = B.xp.zeros(int(size), dtype=B.xp.uint8)
        self._bytes = self._root

    @classmethod
    def _over(cls, root) -> UntypedStorage:
        if not (root.flags.c_contiguous or root.flags.f_contiguous):
            raise KittyRuntimeError("this tensor's memory is not one contiguous block, so it has no storage")
        out = cls.__new__(cls)
        out._root = root
        out._bytes = root.ravel(order="K").view(B.xp.uint8)  # (a view: the memory stays shared)
        return out

    device = property(lambda self: CPU)
    dtype = property(lambda self: D.uint8)
    is_cuda = property(lambda self: False)

    def nbytes(self) -> int:
        return int(self._bytes.shape[0])

    size = nbytes

    def __len__(self) -> int:
        return self.nbytes()

    def element_size(self) -> int:
        return 1

    def data_ptr(self) -> int:
        return self._bytes.__array_interface__["data"][0]

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            out = UntypedStorage.__new__(UntypedStorage)
            out._root, out._bytes = self._root, self._bytes[idx]
            return out
        return int(self._bytes[_check_index(idx, self.nbytes())])

    def __setitem__(self, idx, value) -> None:
        self._bytes[idx if isinstance(idx, slice) else _check_index(idx, self.nbytes())] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self) -> list:
        return self._bytes.tolist()

    def fill_(self, value) -> UntypedStorage:
        self._bytes[...] = value
        return self

    def copy_(self, source, non_blocking=None) -> UntypedStorage:
        if source.nbytes() != self.nbytes():
            raise KittyRuntimeError(f"size mismatch: {self.nbytes()} bytes to copy into {source.nbytes()}")
        self._bytes[...] = source._bytes
        return self

    def clone(self) -> UntypedStorage:
        out = UntypedStorage.__new__(UntypedStorage)
        out._root = out._bytes = self._bytes.copy()
        return out

    def cpu(self) -> UntypedStorage:
        return self

    def type(self, dtype=None, non_blocking: bool = False) -> str:
        return f"{_display.name}.storage.UntypedStorage"

    def is_shared(self) -> bool:
        return False

    def is_pinned(self, device=None) -> bool:
        return False

    def __str__(self) -> str:
        info = f"[{_display.name}.storage.UntypedStorage(device=cpu) of size {self.nbytes()}]"
        return " " + "\n ".join(str(v) for v in self.tolist()) + "\n" + info

    __repr__ = __str__


class TypedStorage:
    """A tensor's memory as elements of its dtype (``t.storage()``, deprecated in torch for
    ``t.untyped_storage()``, and warned about as torch does).

    >>> import kittygrad as kitty
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     kitty.arange(6).view(2, 3).t().storage().tolist()
    [0, 1, 2, 3, 4, 5]
    """

    __slots__ = ("_untyped", "_values", "dtype")

    def __init__(self, *args, wrap_storage=None, dtype=None, device=None, _internal: bool = False) -> None:
        if not _internal:
            _warn_typed(2)
        self.dtype = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
        if wrap_storage is None:
            size = int(args[0]) if args and isinstance(args[0], int) else 0
            wrap_storage = UntypedStorage(size * self.dtype.np.itemsize)
        self._untyped = wrap_storage
        raw = wrap_storage._bytes
        usable = raw.shape[0] - raw.shape[0] % self.dtype.np.itemsize
        self._values = raw[:usable].view(self.dtype.np)
        if args and not isinstance(args[0], int):  # TypedStorage([1.0, 2.0]): the values themselves
            self._values[...] = args[0]

    @property
    def device(self):
        return CPU

    is_cuda = property(lambda self: False)

    def size(self) -> int:
        return int(self._values.shape[0])

    def __len__(self) -> int:
        return self.size()

    def element_size(self) -> int:
        return int(self._values.itemsize)

    def nbytes(self) -> int:
        return int(self._values.nbytes)

    def data_ptr(self) -> int:
        return self._untyped.data_ptr()

    def untyped(self) -> UntypedStorage:
        return self._untyped

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            raise KittyRuntimeError("slices are only supported in UntypedStorage.__getitem__")
        return self._values[_check_index(idx, self.size())].item()

    def __setitem__(self, idx, value) -> None:
        if isinstance(idx, slice):
            self._values[idx] = value
            return
        if not -self.size() <= idx < self.size():
            raise KittyIndexError(f"index {idx} is out of bounds for dimension 0 with size {self.size()}")
        self._values[idx] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self) -> list:
        return self._values.tolist()

    def fill_(self, value) -> TypedStorage:
        self._values[...] = value
        return self

    def copy_(self, source, non_blocking=None) -> TypedStorage:
        if source.size() != self.size():
            raise KittyRuntimeError(f"size mismatch: {source.size()} elements to copy into {self.size()}")
        self._values[...] = source._values
        return self

    def clone(self) -> TypedStorage:
        return TypedStorage(wrap_storage=self._untyped.clone(), dtype=self.dtype, _internal=True)

    def cpu(self) -> TypedStorage:
        return TypedStorage(wrap_storage=self._untyped, dtype=self.dtype, _internal=True)

    def type(self, dtype=None, non_blocking: bool = False) -> str:
        return D.legacy_type_name(self.dtype).removesuffix("Tensor") + "Storage"

    def is_shared(self) -> bool:
        return False

    def is_pinned(self, device=None) -> bool:
        return False

    def __str__(self) -> str:
        info = f"[{_display.name}.storage.TypedStorage(dtype={self.dtype}, device=cpu) of size {self.size()}]"
        return " " + "\n ".join(str(v) for v in self.tolist()) + "\n" + info

    __repr__ = __str__
