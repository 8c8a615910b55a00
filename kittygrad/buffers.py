"""Tensors over raw memory: ``frombuffer`` (shares the buffer), DLPack exchange (``from_dlpack``,
``to_dlpack``: shares memory with NumPy, torch, JAX, ...), ``empty_strided``/``empty_permuted``
(dense layouts only: kittygrad tensors are NumPy arrays), ``from_file`` (refused)."""
from __future__ import annotations

from . import backend as B
from . import dtypes as D
from ._refused import refused
from .device import check_device
from .errors import KittyRuntimeError, KittyValueError
from .tensor import Tensor


def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:
    """A 1-D tensor over an object that exposes the buffer protocol (``bytearray``, ``array``,
    ``memoryview``): it shares that memory.

    >>> import kittygrad as kitty
    >>> kitty.frombuffer(bytearray(b"\\x01\\x00\\x02\\x00"), dtype=kitty.int16)
    tensor([1, 2], dtype=kittygrad.int16)
    """
    dt = D.to_dtype(dtype)
    size = memoryview(buffer).nbytes
    item = dt.np.itemsize
    if offset < 0 or offset >= size:
        raise KittyValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length ({size} bytes) minus 1")
    if count <= 0 and count != -1:
        raise KittyValueError(f"count must be either -1 or greater than 0, but got {count}")
    if count == -1:
        if (size - offset) % item:
            raise KittyValueError(
                f"buffer length ({size - offset} bytes) after offset ({offset} bytes) must be a multiple of element size ({item})"
            )
        count = (size - offset) // item
    elif offset + count * item > size:
        raise KittyValueError(
            f"requested buffer length ({count} * {item} bytes) after offset ({offset} bytes) must not be greater than actual buffer length ({size} bytes)"
        )
    arr = B.xp.frombuffer(buffer, dtype=dt.np, count=count, offset=offset)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _contiguous_strides(shape) -> tuple:
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(out))


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor (zeros here) of ``size`` laid out with ``stride`` (in elements).

    Strides that order the dims of a dense block (contiguous, transposed, channels-last) are
    honoured; overlapping or gappy strides raise, as a NumPy array owns a dense block.

    >>> import kittygrad as kitty
    >>> kitty.empty_strided((2, 3), (1, 2)).stride()
    (1, 2)
    """
    check_device(device, "empty_strided")
    shape, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(shape) != len(stride):
        raise KittyRuntimeError(
            f"mismatch in length of strides and shape: size has {len(shape)} dims, stride has {len(stride)}"
        )
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    order = sorted(range(len(shape)), key=lambda i: (-stride[i], i))  # outermost dim first
    dense = tuple(shape[i] for i in order)
    if any(n == 0 for n in shape) or tuple(stride[i] for i in order if shape[i] != 1) == tuple(
        s for s, i in zip(_contiguous_strides(dense), order) if shape[i] != 1
    ):
        arr = B.xp.zeros(dense, dtype=dt.np).transpose([order.index(i) for i in range(len(shape))])
    else:
        raise KittyRuntimeError(
            f"empty_strided: strides {stride} for size {shape} do not describe a dense layout; kittygrad "
            "tensors are NumPy arrays over one dense block, so overlapping or gappy strides are not supported"
        )
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


from_file = refused("from_file", "kittygrad has no file-backed storages; read the file with NumPy "
                                 "(numpy.fromfile or numpy.memmap) and wrap it with kittygrad.from_numpy")


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing memory with any CPU array that speaks DLPack (a torch tensor, a NumPy or
    JAX array, ...), or with a DLPack capsule from ``to_dlpack``.

    >>> import kittygrad as kitty
    >>> kitty.from_dlpack(kitty.to_dlpack(kitty.arange(3)))
    tensor([0, 1, 2])
    """
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    arr = B.xp.from_dlpack(ext_tensor)
    D.from_numpy_dtype(arr.dtype)  # a dtype kittygrad has, or a clear TypeError
    return Tensor._wrap(arr)


class _Capsule:
    """A DLPack capsule presented through the protocol NumPy's ``from_dlpack`` reads."""

    def __init__(self, capsule) -> None:
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU


def to_dlpack(tensor: Tensor):
    """A DLPack capsule over the tensor's memory (for libraries that take capsules).

    >>> import kittygrad as kitty
    >>> type(kitty.to_dlpack(kitty.zeros(2))).__name__
    'PyCapsule'
    """
    return tensor._data.__dlpack__()


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                   pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor (zeros here) of ``size`` whose dims lie in memory in the order
    ``physical_layout`` (outermost first): ``(0, 2, 3, 1)`` is channels-last for NCHW.

    >>> import kittygrad as kitty
    >>> kitty.empty_permuted((2, 3, 4), (0, 2, 1)).stride()
    (12, 1, 3)
    """
    check_device(device, "empty_permuted")
    shape, order = tuple(int(s) for s in size), tuple(int(d) for d in physical_layout)
    if sorted(order) != list(range(len(shape))):
        raise KittyRuntimeError(
            f"Number of dimensions in size does not match the length of the physical_layout; or physical_layout "
            f"is not a permutation of the dims: size {list(shape)}, physical_layout {list(order)}"
        )
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    arr = B.xp.zeros(tuple(shape[d] for d in order), dtype=dt.np).transpose([order.index(i) for i in range(len(shape))])
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t
