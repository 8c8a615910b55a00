"""The Tensor: an array, its autograd metadata, and PyTorch's methods (each one line deep)."""
from __future__ import annotations

from . import _display

import warnings

from . import backend as B
from . import dtypes as D
from ._printing import tensor_repr
from ._tensor_data import writable_array
from ._tensor_methods import TensorMethods
from ._tensor_methods_inplace import InplaceMethods
from ._tensor_methods_numeric import NumericMethods
from ._tensor_methods_queries import QueryMethods, check_assigned_grad
from .autograd import accumulation as _accumulation
from .autograd import engine as _engine
from .autograd import function as _function
from .autograd import tensor_hooks as _tensor_hooks
from .autograd import walk as _walk
from .autograd.engine import AccumulateGrad
from .autograd.function import apply_inplace
from .autograd.grad_mode import _state as _grad_state
from .autograd.grad_mode import enable_grad
from .autograd.gradients import backward as _autograd_backward
from .autograd.hooks import RemovableHandle
from .autograd.refusals import view_rebase_error
from .autograd.walk import run_backward as _run_backward
from .device import CPU, META, accelerator_copy, asks_for_meta, check_device, laid_out, parse_to, preserve_format
from .device import suggest_memory_format
from .meta_array import MetaArray
from .errors import (
    DETACH_VIEW_MESSAGE, KittyRuntimeError, KittyTypeError, KittyValueError, hinted, warn_scalar_of_grad,
)
from .ops import activation as _act
from .ops import arithmetic as _arith
from .ops import comparison as _cmp
from .ops import conversion as _conv
from .ops import indexing as _idx
from .ops import linalg as _la
from .ops import reduction as _red
from .ops import shape as _shape
from .ops import unary as _unary
from .ops._prep import as_tensor_arg, broadcast_shape_of, cast, check_scalar, clamp_inplace_bounds, inplace_operand, normalize_dim, torch_named
from .size import Size

_ndarray = B.ndarray


#: torch's legacy tensor-type names, as ``Tensor.type("torch.DoubleTensor")`` accepts them
_LEGACY_TYPE_NAMES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
                      "BFloat16Tensor": "bfloat16",
                      "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16", "CharTensor": "int8",
                      "ByteTensor": "uint8", "BoolTensor": "bool"}


def _np_dtype_name_to_legacy(d: D.dtype) -> str:
    return {
        "float32": "FloatTensor",
        "float64": "DoubleTensor",
        "float16": "HalfTensor",
        "bfloat16": "BFloat16Tensor",
        "int64": "LongTensor",
        "int32": "IntTensor",
        "int16": "ShortTensor",
        "int8": "CharTensor",
        "uint8": "ByteTensor",
        "bool": "BoolTensor",
    }[d.name]


class Tensor(TensorMethods, InplaceMethods, NumericMethods, QueryMethods, metaclass=_display.TensorType):
    """A multi-dimensional array that records the operations on it for automatic differentiation.

    >>> import kittygrad as kitty
    >>> a = kitty.tensor([1., 2.], requires_grad=True)
    >>> (a * a).sum().backward(); a.grad
    tensor([2., 4.])
    """

    __slots__ = ("_data", "_requires_grad", "_grad_fn", "_output_nr", "_vc", "_view", "__weakref__", "__dict__")
    # rarely set fields live in __dict__, with these class-level defaults
    _grad = None
    _accum = None
    _inference = False  # made inside inference_mode (autograd/inference_tensors.py)
    _retains_grad = False
    _retain_version = 0  # version at retain_grad(): the engine warns when it changed (seed)
    _hooks = None
    _post_hooks = None
    _view_version = 0
    _multi_view = None  # the op (split, unbind, ...) that returned this view together with others
    _no_grad_view = False  # a view made under no_grad (or a view of one)
    _shared = False  # share_memory_() was called (what is_shared() reports)
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operator

    def __init__(self, *args, dtype=None, device=None, requires_grad: bool = False) -> None:
        check_device(device, "Tensor")
        # torch.Tensor(data) makes a default-float tensor; torch.Tensor(2, 3) an uninitialised one
        if len(args) == 1 and not isinstance(args[0], int):
            src = args[0]
            if isinstance(src, Tensor):
                arr = src._data.astype(D.get_default_dtype().np)
            elif B.is_array(src):  # an array of the default dtype is shared, not copied, as torch
                arr = writable_array(src).astype(D.get_default_dtype().np, copy=False)
            else:
                arr = B.array(src, dtype=D.get_default_dtype().np)
        else:
            shape = _shape._shape_arg(args) if args else (0,)
            arr = B.xp.zeros(shape, D.get_default_dtype().np)
        self._data = arr
        self._requires_grad = False
        self._grad_fn = None
        self._output_nr = 0
        self._vc = [0]
        self._view = None
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(arr) -> Tensor:
        if type(arr) is not _ndarray:  # NumPy returns scalars from 0-d arithmetic
            if hasattr(type(arr), "tensor"):  # inside vmap: a batched tensor's stand-in array
                return arr.tensor
            if type(arr) is not MetaArray:
                arr = B.asarray(arr)
        t = object.__new__(Tensor)
        t._data = arr
        t._requires_grad = False
        t._grad_fn = None
        t._output_nr = 0
        t._vc = [0]
        t._view = None
        return t

    # ---- properties ---------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """The shape, or the size of one dim.

        >>> import kittygrad as kitty
        >>> kitty.zeros(2, 3).size(1)
        3
        """
        if dim is None:
            return Size(self._data.shape)

        return self._data.shape[normalize_dim(dim, self._data.ndim)]

    @property
    def dtype(self) -> D.dtype:
        return D._BY_NP[self._data.dtype]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def device(self) -> device:
        """Where the data lives: the CPU (``device(type='cpu')``), or nowhere for a meta tensor."""
        return META if type(self._data) is MetaArray else CPU

    is_cuda = is_mps = is_xpu = property(lambda self: False, doc="False: tensors live on the CPU.")
    is_meta = property(lambda self: type(self._data) is MetaArray, doc="A tensor without data (Module.to('meta')).")
    is_cpu = property(lambda self: type(self._data) is not MetaArray, doc="True but for meta tensors.")

    def is_floating_point(self) -> bool:
        return B.is_float(self._data.dtype)


    @property
    def data(self) -> Tensor:
        """The same memory without autograd (changes through it are not tracked)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise KittyTypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def grad(self) -> Tensor | None:
        if self._grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
                "the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        check_assigned_grad(self, value, Tensor)
        self._grad = value

    @property
    def grad_fn(self):
        if self._view is not None and self._view_version != self._vc[0]:
            self._refresh_view()
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        if self._requires_grad:
            return True
        # a view requires grad when its base does (torch), also when it was made under no_grad or
        # before an in-place op made the base require grad; reading the flag re-derives nothing
        view = self._view
        return view is not None and view[0]._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise KittyRuntimeError("requires_grad must be a bool")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether gradients are recorded for this leaf tensor (in place).

        >>> import kittygrad as kitty
        >>> kitty.zeros(2).requires_grad_().requires_grad
        True
        """
        if not isinstance(requires_grad, bool):
            raise KittyTypeError(
                f"requires_grad_(): argument 'requires_grad' (position 1) must be bool, not {type(requires_grad).__name__}"
            )
        if self._grad_fn is not None:
            if not requires_grad:
                raise KittyRuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use "
                    "a computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach()."
                )
            return self
        if requires_grad and not B.is_float(self._data.dtype):
            raise KittyRuntimeError(hinted(
                "only Tensors of floating point dtype can require gradients",
                f"got {self.dtype.name}; convert it first, e.g. x.float().requires_grad_()",
            ))
        if requires_grad and self._inference and not _grad_state.inference:
            raise KittyRuntimeError(
                "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        """Populate ``.grad`` for this non-leaf tensor during backward.

        >>> import kittygrad as kitty
        >>> a = kitty.tensor([1.], requires_grad=True); b = a * 2; b.retain_grad()
        >>> b.sum().backward(); b.grad
        tensor([1.])
        """
        _tensor_hooks.retain_grad(self)

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def version(self) -> int:
        """The seed's name for the version counter (torch's ``_version``): in-place changes bump
        it, and a view shares its base's.

        >>> import kittygrad as kitty
        >>> x = kitty.zeros(3); v = x[1:]
        >>> _ = x.add_(1); _ = v.mul_(2); (x.version, v.version)
        (2, 2)
        """
        return self._vc[0]

    @property
    def _base(self):
        return self._view[0] if self._view is not None else None

    def _is_view(self) -> bool:
        return self._view is not None

    @property
    def H(self) -> Tensor:  # noqa: N802
        return self.T

    @property
    def mH(self) -> Tensor:  # noqa: N802
        return self.mT

    # ---- autograd plumbing --------------------------------------------------------------------
    def _accumulator(self) -> AccumulateGrad:
        acc = self._accum
        if acc is None:
            acc = self._accum = AccumulateGrad(self)
        return acc

    def _refresh_view(self) -> None:
        """After an in-place change of the base (or of another view of it), re-derive this view's
        grad_fn from the base: when its grad_fn is read or an op records a use of it."""
        base, replay = self._view
        if base._requires_grad or self._grad_fn is not None:
            if self._multi_view is not None or self._no_grad_view:
                # torch refuses these views once their memory changed in place with a graph around
                raise view_rebase_error(self, "its base or another view of its base has been modified inplace")
            if base._requires_grad:
                with enable_grad(), _function._quiet():  # bookkeeping, not an op the user ran
                    fresh = replay(base)
                if fresh._grad_fn is not None:  # torch regenerates such a view as an as_strided of its base
                    fresh._grad_fn.torch_label = "AsStridedBackward0"
                _tensor_hooks.view_refreshed(self, fresh._grad_fn, fresh._output_nr)
                self._grad_fn, self._output_nr, self._requires_grad = fresh._grad_fn, fresh._output_nr, fresh._requires_grad
        self._view_version = self._vc[0]

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """Compute the gradient of this tensor with respect to the graph leaves.

        >>> import kittygrad as kitty
        >>> a = kitty.tensor(3., requires_grad=True)
        >>> (a * a).backward(); a.grad
        tensor(6.)
        """
        fn = self._grad_fn
        if (
            gradient is None and fn is not None and not retain_graph and not create_graph and inputs is None
            and self._data.size == 1 and self._view is None
        ):  # the common `loss.backward()`: straight to the engine
            data = self._data
            key = (data.shape, data.dtype)
            one = _SEED_ONES.get(key)
            if one is None:
                one = _SEED_ONES[key] = B.xp.ones(data.shape, data.dtype)
            _run_backward([(fn, self._output_nr, one.copy())])  # (a copy: 0.1 us, np.ones 0.56 us)
            return
        _autograd_backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new gradient.

        >>> import kittygrad as kitty
        >>> a = kitty.tensor([1.], requires_grad=True)
        >>> h = a.register_hook(lambda g: g * 2); (a * 3).sum().backward(); a.grad
        tensor([6.])
        """
        return _tensor_hooks.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self._grad_fn is not None:
            raise KittyRuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_hooks is None:
            self._post_hooks = {}
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = hook
        return handle

    def detach(self) -> Tensor:
        """The same memory and version counter, cut from the graph.

        >>> import kittygrad as kitty
        >>> kitty.ones(2, requires_grad=True).detach().requires_grad
        False
        """
        t = Tensor._wrap(self._data)
        # shared, but for an inference tensor's (torch lets a write through its detach() count)
        t._vc = self._vc if type(self._vc) is list else [self._vc[0]]
        return t

    def detach_(self) -> Tensor:
        if self._view is not None:
            raise KittyRuntimeError(DETACH_VIEW_MESSAGE)
        self._grad_fn = None
        self._requires_grad = False
        if _function.dual_inplace is not None:  # forward AD: detached from the tangent too
            _function.dual_inplace(self, None, False)
        return self

    # ---- conversion ---------------------------------------------------------------------------
    def numpy(self, *, force: bool = False):
        """The underlying array (shares memory); not allowed while it requires grad, unless grad
        mode is off (torch's rule: under no_grad, and so in a custom Function's forward, it is fine).

        >>> import kittygrad as kitty
        >>> kitty.tensor([1., 2.]).numpy()
        array([1., 2.], dtype=float32)
        """
        if self._requires_grad and not force and _grad_state.enabled:
            raise KittyRuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._data.dtype is B.bfloat16:  # torch has no NumPy bfloat16 to hand out
            raise KittyTypeError("Got unsupported ScalarType BFloat16")
        return self._data.copy() if force else self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        """A NumPy ufunc's result on tensors (``np.exp(t)``, ``np.sqrt(loss)``) comes back as a tensor
        sharing its memory, as torch's does, a 0-d one included; torch hands a bool result back as
        uint8. A dtype kittygrad lacks stays an array."""
        if array.dtype.kind == "b":
            array = array.astype(D.uint8.np)
        return Tensor._wrap(array) if array.dtype in D._BY_NP else array

    def item(self):
        """The value of a one-element tensor as a Python number.

        >>> import kittygrad as kitty
        >>> kitty.tensor([2.5]).item()
        2.5
        """
        if self._data.size != 1:
            raise KittyRuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item() if self._data.ndim == 0 else self._data.reshape(()).item()

    def tolist(self):
        """Nested Python lists (a number for a 0-d tensor).

        >>> import kittygrad as kitty
        >>> kitty.tensor([[1, 2]]).tolist()
        [[1, 2]]
        """
        return self._data.tolist()

    def to(self, *args, **kwargs) -> Tensor:
        """torch's ``to(device, dtype)``, ``to(dtype)``, ``to(other)`` (+ ``non_blocking``, ``copy``,
        ``memory_format``): ``self`` when nothing changes, else a differentiable copy (always with
        ``copy=True``). The CPU is the only device; a GPU one raises (kittygrad.device.unavailable).

        >>> import kittygrad as kitty
        >>> kitty.tensor([1, 2]).to("cpu", kitty.float32)
        tensor([1., 2.])
        """
        if asks_for_meta(args, kwargs):  # shape and dtype, no values (see backend.MetaArray)
            dtype = kwargs.get("dtype", args[1] if len(args) > 1 else None)
            meta = Tensor._wrap(MetaArray(self._data.shape, dtype.np if dtype is not None else self._data.dtype))
            meta._requires_grad = self._requires_grad and meta.is_floating_point()
            return meta
        device, dtype, _, copy, fmt = parse_to(args, kwargs, Tensor)
        dtype = self.dtype if dtype is None else D.to_dtype(dtype)  # (a complex dtype is refused there)
        if not copy and dtype is self.dtype and (device is None or device.index is None) and (
                fmt in (None, preserve_format) or suggest_memory_format(self._data) is fmt):
            return self
        out = _conv.ToCopy.apply(self, dtype.np)  # a cpu:0 device copies too, as torch
        out._data = laid_out(out._data, fmt)  # a fresh array, relaid only when fmt asks it
        return out

    def type(self, dtype=None, non_blocking: bool = False):
        if dtype is None:
            return f"{_display.name}." + _np_dtype_name_to_legacy(self.dtype)
        if isinstance(getattr(dtype, "dtype", None), D.dtype):  # a legacy type: kitty.FloatTensor
            dtype = dtype.dtype
        elif isinstance(dtype, str) and dtype.rsplit(".", 1)[-1].endswith("Tensor"):  # "torch.FloatTensor"
            dtype = _LEGACY_TYPE_NAMES[dtype.rsplit(".", 1)[-1]]
        return self.to(D.to_dtype(dtype))

    def float(self) -> Tensor:
        return self.to(D.float32)

    def double(self) -> Tensor:
        return self.to(D.float64)

    def half(self) -> Tensor:
        return self.to(D.float16)

    def long(self) -> Tensor:
        return self.to(D.int64)

    def int(self) -> Tensor:
        return self.to(D.int32)

    def short(self) -> Tensor:
        return self.to(D.int16)

    def char(self) -> Tensor:
        return self.to(D.int8)

    def byte(self) -> Tensor:
        return self.to(D.uint8)

    def bool(self) -> Tensor:
        return self.to(D.bool)

    def cpu(self, memory_format=preserve_format) -> Tensor:
        """``self`` (kittygrad's tensors live on the CPU), or a copy laid out in another ``memory_format``.

        >>> import kittygrad as kitty
        >>> x = kitty.zeros(2); x.cpu() is x
        True
        """
        return self.to(memory_format=memory_format)

    cuda, xpu, ipu, mtia = (accelerator_copy(kind) for kind in ("cuda", "xpu", "ipu", "mtia"))

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def storage_offset(self) -> int:
        base = self._data
        while base.base is not None and hasattr(base.base, "__array_interface__"):
            base = base.base
        return (self.data_ptr() - base.__array_interface__["data"][0]) // self._data.itemsize

    def get_device(self) -> int:
        return -1

    # new_* create tensors with this tensor's dtype (unless given), as torch
    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return _creation().tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return _creation()._zeros_for("new_zeros", sizes, size, dtype=dtype or self.dtype, device=device,
                                      requires_grad=requires_grad)

    def new_ones(self, *sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return _creation()._ones_for("new_ones", sizes, size, dtype=dtype or self.dtype, device=device,
                                     requires_grad=requires_grad)

    def new_empty(self, *sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return _creation()._zeros_for("new_empty", sizes, size, dtype=dtype or self.dtype, device=device,
                                      requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return _creation()._full_for("new_full", size, fill_value, dtype=dtype or self.dtype, device=device,
                                     requires_grad=requires_grad)

    # ---- Python protocol ----------------------------------------------------------------------
    def __repr__(self) -> str:
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __contains__(self, element) -> bool:
        if isinstance(element, (Tensor, int, float, bool)):
            return bool(B.xp.any((self == element)._data))
        raise KittyRuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element).__name__}.")

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise KittyTypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise KittyTypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise KittyRuntimeError(
                f"Boolean value of Tensor with {'no values' if self._data.size == 0 else 'more than one value'} "
                "is ambiguous"
            )
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        if self._data.size != 1:
            raise KittyValueError("only one element tensors can be converted to Python scalars")
        warn_scalar_of_grad(self)
        return float(self.item())

    def __int__(self) -> int:
        if self._data.size != 1:
            raise KittyValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise KittyTypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor, (self._data.copy(), self._requires_grad))

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise KittyRuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment."
            )
        new = type(self).__new__(type(self))
        Tensor.__init__(new, 0)
        new._data = self._data.copy()
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = Tensor._wrap(self._grad._data.copy())
        for k, v in self.__dict__.items():
            if not k.startswith("_"):
                import copy as _copy

                new.__dict__[k] = _copy.deepcopy(v, memo)
        memo[id(self)] = new
        return new

    # ---- arithmetic ---------------------------------------------------------------------------
    # Fast paths: a Python float with a float tensor, or a tensor of the same dtype and shape,
    # needs no cast and no broadcast, so the op applies at once (the general path decides the same).
    def __add__(self, other):
        if type(other) is float and self._data.dtype.kind == "f":
            return _arith.Add.apply(self, self._data.dtype.type(other))
        if type(other) is Tensor and other._data.dtype == self._data.dtype and other._data.shape == self._data.shape:
            return _arith.Add.apply(self, other)
        return _arith.add(self, other)

    def __radd__(self, other):
        return self.__add__(other)

    def __iadd__(self, other):
        return self.add_(other)

    def __sub__(self, other):
        if type(other) is float and self._data.dtype.kind == "f":
            return _arith.Sub.apply(self, self._data.dtype.type(other))
        if (type(other) is Tensor and other._data.dtype == self._data.dtype and other._data.shape == self._data.shape
                and self._data.dtype.kind != "b"):  # (two bool tensors: sub()'s refusal)
            return _arith.Sub.apply(self, other)
        return _arith.sub(self, other)

    def __rsub__(self, other):
        return _arith.rsub(self, other)

    def __isub__(self, other):
        return self.sub_(other)

    def __mul__(self, other):
        if type(other) is float and self._data.dtype.kind == "f":
            return _arith.Mul.apply(self, self._data.dtype.type(other))
        if type(other) is Tensor and other._data.dtype == self._data.dtype and other._data.shape == self._data.shape:
            return _arith.Mul.apply(self, other)
        return _arith.mul(self, other)

    def __rmul__(self, other):
        return self.__mul__(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __truediv__(self, other):
        return _arith.div(self, other)

    def __rtruediv__(self, other):
        out = _arith.div(other, self)
        # torch divides a number by a tensor as reciprocal then multiply: its node is a MulBackward0
        return out if isinstance(other, Tensor) else torch_named(out, "MulBackward0")

    def __itruediv__(self, other):
        return self.div_(other)

    def __pow__(self, other):
        return _arith.pow(self, other)

    def __rpow__(self, other):
        return _arith.pow(other, self)

    def __ipow__(self, other):
        return self.pow_(other)

    def __matmul__(self, other):
        return _la.matmul(self, other)

    def __rmatmul__(self, other):
        return _la.matmul(as_tensor_arg(other), self)

    def __neg__(self):
        return _arith.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _unary.Abs.apply(self)

    # comparisons give bool tensors and are not differentiable; the dunders share the named
    # functions' promotion but return NotImplemented for a foreign operand, as Python expects
    def _compare(self, other, fn):
        try:
            return fn(self, other)
        except KittyTypeError:
            return NotImplemented

    def __eq__(self, other):  # type: ignore[override]
        return self._compare(other, _cmp.eq)

    def __ne__(self, other):  # type: ignore[override]
        return self._compare(other, _cmp.ne)

    def __lt__(self, other):
        return self._compare(other, _cmp.lt)

    def __le__(self, other):
        return self._compare(other, _cmp.le)

    def __gt__(self, other):
        return self._compare(other, _cmp.gt)

    def __ge__(self, other):
        return self._compare(other, _cmp.ge)

    # the named methods raise TypeError for a bad operand (the dunders return NotImplemented)
    def eq(self, other):
        return _cmp.eq(self, other)

    def ne(self, other):
        return _cmp.ne(self, other)

    def lt(self, other):
        return _cmp.lt(self, other)

    def le(self, other):
        return _cmp.le(self, other)

    def gt(self, other):
        return _cmp.gt(self, other)

    def ge(self, other):
        return _cmp.ge(self, other)

    # ---- indexing -----------------------------------------------------------------------------
    def __getitem__(self, idx):
        return _idx.getitem(self, idx)

    def __setitem__(self, idx, value) -> None:
        _idx.setitem(self, idx, value)

    # ---- math methods -------------------------------------------------------------------------
    def add(self, other, *, alpha=1):
        return _arith.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _arith.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other):
        return _arith.mul(self, other)

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        return _arith.div(self, other, rounding_mode=rounding_mode)

    divide = true_divide = div

    def pow(self, exponent):
        return _arith.pow(self, exponent)

    def neg(self):
        return _arith.neg(self)

    negative = neg

    def abs(self):
        return _unary.abs(self)

    absolute = abs

    def exp(self):
        return _unary.exp(self)

    def log(self):
        return _unary.log(self)

    def sqrt(self):
        return _unary.sqrt(self)

    def sigmoid(self):
        return _act.sigmoid(self)

    def tanh(self):
        return _act.tanh(self)

    def relu(self):
        return _act.relu(self)

    def clamp(self, min=None, max=None):  # noqa: A002
        return _cmp.clamp(self, min, max)

    clip = clamp

    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        return _red.sum(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        return _red.mean(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _red.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _red.std(self, dim, unbiased, keepdim, correction=correction)

    def dot(self, other):
        return _la.dot(self, other)

    def mm(self, mat2):
        return _la.mm(self, mat2)

    def mv(self, vec):
        return _la.mv(self, vec)

    def bmm(self, mat2):
        return _la.bmm(self, mat2)

    def matmul(self, other):
        return _la.matmul(self, other)

    def softmax(self, dim, dtype=None):
        return _act.softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return _act.log_softmax(self, dim, dtype)

    # ---- shape methods ------------------------------------------------------------------------

    def view(self, *shape, dtype=None, size=None):
        """The same memory in another shape, or (``view(dtype)``) read as another dtype.

        >>> import kittygrad as kitty
        >>> kitty.tensor([1.0]).view(kitty.int32)
        tensor([1065353216], dtype=kittygrad.int32)
        """
        if size is not None:
            shape = _shape._sizes_or_keyword(shape, size, "size", "view")
        if dtype is None and not (len(shape) == 1 and isinstance(shape[0], D.dtype)):
            return _shape.view(self, *shape)
        return self._view_as_dtype(shape, dtype)

    def view_as(self, other):
        return _shape.view(self, *other.shape)

    def reshape(self, *sizes, shape=None):
        return _shape.reshape(self, *_shape._sizes_or_keyword(sizes, shape, "shape", "reshape"))

    def reshape_as(self, other):
        return _shape.reshape(self, *other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _shape.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        return _shape.transpose(self, dim0, dim1)

    swapdims = transpose

    def swapaxes(self, axis0, axis1):
        return _shape.transpose(self, axis0, axis1)

    def t(self):
        return _shape.t(self)

    def permute(self, *order, dims=None):
        return _shape.permute(self, *_shape._sizes_or_keyword(order, dims, "dims", "permute"))

    def squeeze(self, dim=None):
        return _shape.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _shape.unsqueeze(self, dim)

    def expand(self, *sizes, size=None):
        return _shape.expand(self, *_shape._sizes_or_keyword(sizes, size, "size", "expand"))

    def expand_as(self, other):
        return _shape.expand(self, *other.shape)

    def broadcast_to(self, size=None, *, shape=None):
        return _shape.broadcast_to(self, size, shape=shape)

    # ---- in-place methods ---------------------------------------------------------------------
    def _inplace_binary(self, op, other, name, float_result=False, **params):
        other = inplace_operand(self, other, name, float_result)
        return apply_inplace(op, self, other, **params)

    def add_(self, other, *, alpha=1):
        if alpha.__class__ is not int or alpha != 1:
            alpha = _arith._check_alpha(self, other, alpha, "add_")
            return self._inplace_binary(_arith.AddScaled, other, "add_", alpha=alpha)
        return self._inplace_binary(_arith.Add, other, "add_")

    def sub_(self, other, *, alpha=1):
        _arith._check_sub_operands(self, other)
        if alpha.__class__ is not int or alpha != 1:
            alpha = _arith._check_alpha(self, other, alpha, "sub_")
        return self._inplace_binary(_arith.Sub, other, "sub_", alpha=alpha)

    def mul_(self, other):
        return self._inplace_binary(_arith.Mul, other, "mul_")

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is not None:
            return self.copy_(self.div(other, rounding_mode=rounding_mode))
        return self._inplace_binary(_arith.Div, other, "div_", float_result=True)

    def pow_(self, exponent):
        return self._inplace_binary(_arith.Pow, exponent, "pow_")

    def clamp_(self, min=None, max=None):  # noqa: A002
        return apply_inplace(_cmp.Clamp, self, *clamp_inplace_bounds(self, min, max))

    clip_ = clamp_

    def zero_(self):
        """Fill with zeros in place.

        >>> import kittygrad as kitty
        >>> kitty.ones(2).zero_()
        tensor([0., 0.])
        """
        return apply_inplace(_conv.Fill, self, self._data.dtype.type(0))

    def fill_(self, value):
        """Fill with ``value`` (a number or a 0-d tensor) in place.

        >>> import kittygrad as kitty
        >>> kitty.zeros(2).fill_(3)
        tensor([3., 3.])
        """
        if isinstance(value, Tensor):
            if value._data.ndim != 0:
                raise KittyRuntimeError(
                    f"fill_ only supports 0-dimension value tensor but got tensor with {value._data.ndim} dimensions."
                )
            return apply_inplace(_conv.Fill, self, cast(value, self.dtype))
        value = check_scalar(value, "fill_")
        return apply_inplace(_conv.Fill, self, D.fill_scalar(value, self._data.dtype))

    def copy_(self, src, non_blocking: bool = False):
        """Copy ``src``'s values (broadcast and cast) into this tensor, in place.

        >>> import kittygrad as kitty
        >>> kitty.zeros(2).copy_(kitty.tensor([1, 2]))
        tensor([1., 2.])
        """
        src = as_tensor_arg(src, "src")
        shape = self._data.shape
        if broadcast_shape_of(src._data.shape, shape) != shape:
            raise KittyRuntimeError(
                f"output with shape {list(shape)} doesn't match the broadcast shape "
                f"{list(broadcast_shape_of(src._data.shape, shape))}"
            )
        return apply_inplace(_conv.Copy, self, src)


def _creation():
    # late: the factories build Tensors (creation -> tensor); Tensor.new_* call back into them
    from . import creation

    return creation


def _rebuild_tensor(arr, requires_grad):
    t = Tensor._wrap(arr)
    t._requires_grad = requires_grad
    return t


_function.Tensor = Tensor
_engine.Tensor = Tensor
_walk.Tensor = Tensor
_accumulation.Tensor = Tensor
#: (shape, dtype) -> a ones array of that one-element shape: the seed of ``loss.backward()``, copied
_SEED_ONES: dict = {}
_function._wrap = Tensor._wrap
