"""Tensor methods that answer questions or hand back the tensor itself: ``is_*`` predicates, the
complex-number API on real tensors (``conj``, ``resolve_conj``, ``adjoint``, ...), ``positive``,
``type_as``, ``as_subclass``, ``dim_order``, DLPack export and the legacy constructor ``new``; the
dtype casts kittygrad has no dtype for are refused.

Kept apart from ``_tensor_methods.py`` (one file per kind of method, each under the size limit).
"""
from __future__ import annotations

import warnings

from typing import TYPE_CHECKING

from . import dtypes as D
from . import storage as _storage
from ._refused import NO_COMPLEX, refused
from .device import contiguous_format, is_in_memory_format, laid_out, memory_format, preserve_format, strided
from .errors import KittyRuntimeError, KittyTypeError
from .ops import conjugation as _conj
from .ops import conversion as _conv
from .ops import shape as _shape
from .ops._prep import cpp_type_name, dtype_name, dtype_scalar_name, normalize_dim
from .ops import pointwise as _pw
from .size import Size

if TYPE_CHECKING:
    from .tensor import Tensor


def check_assigned_grad(x, value, tensor_type) -> None:
    """``x.grad = value``'s checks, in torch's order and words: a tensor (or None), then the
    dtype (torch names the gradient's C++ element type and the tensor's grad_dtype), then the size."""
    if value is None:
        return
    if not isinstance(value, tensor_type):
        raise KittyTypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
    if value._data.dtype != x._data.dtype:
        raise KittyRuntimeError(
            f"attempting to assign a gradient with dtype '{cpp_type_name(value)}' to a tensor with grad_dtype "
            f"'{dtype_name(x)}'. The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). "
            "You can set the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
            "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient may break downstream "
            "systems that assume they match."
        )
    if value._data.shape != x._data.shape:
        raise KittyRuntimeError(
            f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
            f"'{list(x._data.shape)}'. Please ensure that the gradient and the tensor are the same size"
        )


class QueryMethods:
    __slots__ = ()

    # ---- the real and imaginary parts (kittygrad's dtypes are real) ---------------------------
    @property
    def real(self):
        """The real part: the tensor itself (torch returns a view sharing its data).

        >>> import kittygrad as kitty
        >>> kitty.tensor([1., 2.]).real
        tensor([1., 2.])
        """
        return _conj.real(self)

    @property
    def imag(self):
        """Refused as torch refuses it for a real tensor (RuntimeError)."""
        return _conj.imag(self)

    # ---- storage facts (every kittygrad tensor is a dense CPU array) --------------------------
    def is_contiguous(self, memory_format: memory_format = contiguous_format) -> bool:
        return is_in_memory_format(self._data, memory_format)

    def clone(self, *, memory_format=None) -> Tensor:
        """A copy that stays in the graph.

        >>> import kittygrad as kitty
        >>> kitty.tensor([1.]).clone()
        tensor([1.])
        """
        out = _conv.Clone.apply(self)
        if memory_format is not None and memory_format is not preserve_format:
            out._data = laid_out(out._data, memory_format)  # (a fresh copy: relaid before anyone sees it)
        return out

    def contiguous(self, memory_format: memory_format = contiguous_format) -> Tensor:
        fmt = contiguous_format if memory_format is None else memory_format
        return self if is_in_memory_format(self._data, fmt) else self.clone(memory_format=fmt)

    def untyped_storage(self):
        """The bytes of the memory this tensor and its views share (see ``kittygrad.storage``).

        >>> import kittygrad as kitty
        >>> x = kitty.zeros(2, 3)
        >>> x.t().untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
        True
        """
        return _storage.untyped_storage_of(self._data)

    def storage(self):
        """That memory as elements of this tensor's dtype: a ``TypedStorage``, which torch deprecates
        (and warns about, once) for ``untyped_storage()``."""
        _storage._warn_typed(2)
        return _storage.TypedStorage(wrap_storage=self.untyped_storage(), dtype=self.dtype, _internal=True)

    @property
    def nbytes(self) -> int:
        """Bytes of the elements (``numel() * element_size()``)."""
        return int(self._data.nbytes)

    @property
    def itemsize(self) -> int:
        """Bytes of one element (``element_size()``)."""
        return self._data.itemsize

    layout = property(lambda self: strided, doc="kittygrad.strided: every tensor is dense.")
    is_sparse = is_sparse_csr = is_quantized = is_nested = property(
        lambda self: False, doc="False: kittygrad's tensors are dense, unquantized and not nested."
    )

    @property
    def output_nr(self) -> int:
        """Which output of its ``grad_fn`` this tensor is (0 for leaves and single results)."""
        return self._output_nr

    def pin_memory(self, device=None) -> Tensor:
        """Refused, as by torch on a machine without an accelerator: pinned memory is for copies to
        a GPU, which kittygrad does not have (``DataLoader(pin_memory=True)`` just goes on)."""
        raise KittyRuntimeError("Cannot access accelerator device when none is available.")

    def is_pinned(self, device=None) -> bool:
        """False: see :meth:`pin_memory`."""
        return False

    def share_memory_(self) -> Tensor:
        """Mark this tensor shared and return it (A3C's shared model and optimizer state call it).

        kittygrad's tensors live in one process's memory and reach other processes by value (see
        :mod:`kittygrad.multiprocessing`), so nothing moves; the mark is what :meth:`is_shared`
        then reports, as torch's does after this call.
        """
        self._shared = True
        return self

    def is_shared(self) -> bool:
        """Whether :meth:`share_memory_` was called on this tensor (a copy is not shared)."""
        return self._shared

    def _view_as_dtype(self, shape: tuple, dtype) -> Tensor:
        """``view(dtype)`` / ``view(dtype=...)``: see :meth:`_bits_as`."""
        if dtype is None:
            dtype, shape = shape[0], ()
        if shape:
            raise KittyTypeError("view() takes either a shape or a dtype, not both")
        return self._bits_as(D.to_dtype(dtype))

    def _bits_as(self, dtype: D.dtype) -> Tensor:
        """``view(dtype)``: the bytes reread as ``dtype`` (sharing memory and the version counter;
        outside autograd, as torch's: reinterpreted bits have no derivative)."""
        if dtype is self.dtype:
            return _shape.view(self, *self._data.shape)
        arr = self._data
        if arr.ndim == 0 and dtype.itemsize != arr.itemsize:
            raise KittyRuntimeError(
                f"self.dim() cannot be 0 to view {dtype_name(self)} as {dtype_scalar_name(dtype.np)} "
                "(different element sizes)"
            )
        if dtype.itemsize != arr.itemsize and arr.ndim and arr.strides[-1] != arr.itemsize:
            raise KittyRuntimeError("self.stride(-1) must be 1 to view " f"{self.dtype} as {dtype} (different element sizes)")
        try:
            bits = arr.view(dtype.np)
        except ValueError as exc:
            raise KittyRuntimeError(f"cannot view {self.dtype} as {dtype}: {exc}") from None
        out = type(self)._wrap(bits)
        out._vc = self._vc  # writes through either are in-place changes of both
        return out

    # ---- predicates ---------------------------------------------------------------------------
    def is_complex(self) -> bool:
        return False  # kittygrad's dtypes are real

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def is_conj(self) -> bool:
        return False  # no lazily conjugated views

    def is_neg(self) -> bool:
        return False  # no lazily negated views

    def is_inference(self) -> bool:
        """Whether this tensor was made inside ``inference_mode``.

        >>> import kittygrad as kitty
        >>> with kitty.inference_mode():
        ...     made = kitty.zeros(1)
        >>> made.is_inference()
        True
        """
        return self._inference

    def is_distributed(self) -> bool:
        return False

    def is_nonzero(self) -> bool:
        """The truth of a one-element tensor.

        >>> import kittygrad as kitty
        >>> kitty.tensor([0.]).is_nonzero()
        False
        """
        data = self._data
        if data.size == 0:
            raise KittyRuntimeError("Boolean value of Tensor with no values is ambiguous")
        if data.size > 1:
            raise KittyRuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(data.reshape(()))

    def is_same_size(self, other) -> bool:
        return self._data.shape == other._data.shape

    def is_set_to(self, tensor) -> bool:
        """Whether both tensors cover the same memory with the same shape and strides.

        >>> import kittygrad as kitty
        >>> x = kitty.zeros(2); x.is_set_to(x.detach())
        True
        """
        a, b = self._data, tensor._data
        return (a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
                and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])

    def stride(self, dim: int | None = None):
        """Strides in elements, as torch (NumPy's are in bytes).

        NumPy gives a dim of size 1 that indexing (``x[None]``) or broadcasting (``expand``) added a
        stride of 0; torch gives it the step of the dims inside it (size times stride of the next
        dim, 1 for the last), as an ``unsqueeze`` would. The stride of a size-1 dim is never used to
        step, so only what ``stride()`` reports changes (an existing size-1 dim that ``expand`` keeps
        reads the same way, where torch keeps its old stride).

        >>> import kittygrad as kitty
        >>> kitty.zeros(3, 4)[:, None].stride(), kitty.arange(4).expand(1, -1).stride()
        ((4, 4, 1), (4, 1))
        """
        data = self._data
        if data.size == 0 and not any(data.strides):
            # NumPy 2 lays a fresh empty array out with all-zero strides; torch gives an empty
            # tensor the contiguous strides of its shape (a 0-long dim counting as 1)
            strides, acc = [], 1
            for n in reversed(data.shape):
                strides.append(acc)
                acc *= max(n, 1)
            strides = tuple(reversed(strides))
            return strides if dim is None else strides[normalize_dim(dim, data.ndim)]
        strides = [s // data.itemsize for s in data.strides]
        for i in reversed(range(data.ndim)):
            if data.shape[i] == 1 and strides[i] == 0:
                strides[i] = strides[i + 1] * data.shape[i + 1] if i + 1 < data.ndim else 1
        if dim is None:
            return tuple(strides)
        return strides[normalize_dim(dim, data.ndim)]

    def dim_order(self, *, ambiguity_check=False) -> tuple:
        """The dims from outermost to innermost in memory (``(0, 1, ...)`` when contiguous).

        >>> import kittygrad as kitty
        >>> kitty.zeros(2, 3, 4).permute(2, 0, 1).dim_order()
        (1, 2, 0)
        """
        strides = self.stride()
        return tuple(sorted(range(len(strides)), key=lambda i: -strides[i]))

    # ---- the complex-number API on a real tensor ------------------------------------------------
    def conj(self):
        return _conj.conj(self)

    def conj_physical(self):
        return _conj.conj_physical(self)

    def resolve_conj(self):
        return _conj.resolve_conj(self)

    def resolve_neg(self):
        return _conj.resolve_neg(self)

    def adjoint(self):
        return _conj.adjoint(self)

    def positive(self):
        return _pw.positive(self)

    # ---- conversions --------------------------------------------------------------------------
    def type_as(self, other):
        """This tensor with ``other``'s dtype (``self`` when it already has it).

        >>> import kittygrad as kitty
        >>> kitty.ones(2).type_as(kitty.zeros(1, dtype=kitty.int64))
        tensor([1, 1])
        """
        return self.to(other.dtype)

    def new(self, *args, device=None):
        """The legacy constructor, with this tensor's dtype: ``t.new(2, 3)`` (uninitialised),
        ``t.new([1, 2])`` (data), ``t.new()`` (empty), ``t.new(other)`` (an alias of a tensor of
        the same dtype).

        >>> import kittygrad as kitty
        >>> kitty.zeros(1, dtype=kitty.int64).new([1.5, 2])
        tensor([1, 2])
        """
        if not args:
            return self.new_empty(0, device=device)
        if len(args) == 1 and isinstance(args[0], type(self)):
            src = args[0]
            if src.dtype is not self.dtype:
                raise KittyTypeError(f"expected a tensor of dtype {self.dtype} (got {src.dtype})")
            return src.detach()
        if (len(args) == 1 and isinstance(args[0], Size)) or all(
                isinstance(a, int) and not isinstance(a, bool) for a in args):
            return self.new_zeros(*args, device=device)
        if len(args) > 1:
            raise KittyTypeError(f"new(): expected sizes (ints) or one sequence of data, got {args!r}")
        return self.new_tensor(args[0], device=device)

    def as_subclass(self, cls):
        """This tensor as an instance of the Tensor subclass ``cls``: same memory, same graph.

        >>> import kittygrad as kitty
        >>> class Tagged(kitty.Tensor): pass
        >>> type(kitty.ones(2).as_subclass(Tagged)).__name__
        'Tagged'
        """
        if not (isinstance(cls, type) and issubclass(cls, _tensor_class(self))):
            raise KittyTypeError(f"as_subclass(): cls must be a subclass of Tensor, got {cls!r}")
        out = self.view_as(self)
        out.__class__ = cls
        return out

    # ---- DLPack: torch.from_dlpack(t), numpy.from_dlpack(t) share this tensor's memory ------------
    def __dlpack__(self, *args, **kwargs):
        if self._requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def bfloat16(self, memory_format=None) -> QueryMethods:
        """This tensor as bfloat16 (itself when it already is), as ``torch.Tensor.bfloat16``.

        >>> import kittygrad as kitty
        >>> kitty.tensor([1.0, 3.14159]).bfloat16()
        tensor([1.0000, 3.1406], dtype=kittygrad.bfloat16)
        """
        return self.to(D.bfloat16, memory_format=memory_format)

    # ---- transposed views ----------------------------------------------------------------------
    @property
    def T(self) -> Tensor:  # noqa: N802 - torch's name
        """The dimensions reversed (torch warns for a tensor that is not 2-D; ``mT`` transposes batches)."""
        nd = self._data.ndim
        if nd == 2:  # (the common case: its dims need no checks, 1.1 us less than permute's)
            return _shape.Permute.apply(self, (1, 0))
        if nd == 0:
            warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                          UserWarning, stacklevel=2)
        elif nd != 2:
            warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
                          "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
                          "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
                          "tensor.", UserWarning, stacklevel=2)
        return _shape.permute(self, *range(nd - 1, -1, -1))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        """The last two dimensions swapped (a batch of matrices transposed)."""
        nd = self._data.ndim
        if nd == 0:  # (torch: deprecated, and the tensor itself)
            warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the identity in these cases.",
                          UserWarning, stacklevel=2)
            return self
        if nd == 1:
            raise KittyRuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
        return _shape.Transpose.apply(self, nd - 2, nd - 1)  # (transpose's node, its dims known to be in range)

    # ---- casts to dtypes kittygrad does not have ----------------------------------------------
    cfloat = refused("cfloat", NO_COMPLEX)
    cdouble = refused("cdouble", NO_COMPLEX)
    chalf = refused("chalf", NO_COMPLEX)
    stft = refused("stft", f"{NO_COMPLEX}, and the short-time Fourier transform is complex-valued; use "
                           "scipy.signal.stft on tensor.numpy()")
    istft = refused("istft", f"{NO_COMPLEX}, and the inverse short-time Fourier transform takes complex input; use "
                             "scipy.signal.istft")


def _tensor_class(t):
    """kittygrad's Tensor class (the first class of ``t``'s MRO that holds these methods' mixins)."""
    for cls in type(t).__mro__:
        if QueryMethods in cls.__bases__:
            return cls
    return type(t)
