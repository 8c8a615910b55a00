"""``Parameter`` (a tensor a Module learns) and ``Buffer`` (state a Module keeps), as torch.nn."""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from .._printing import tensor_repr
from ..errors import KittyTypeError
from .._display import TensorType
from ..device import CPU
from ..tensor import Tensor


def _alias(cls, data: Tensor | None):
    """A new ``cls`` instance sharing ``data``'s memory and version counter."""
    t = object.__new__(cls)
    if data is None:
        t._data = B.xp.empty((0,), D.get_default_dtype().np)
        t._vc = [0]
    else:
        if not isinstance(data, Tensor):
            raise KittyTypeError(f"{cls.__name__} data must be a Tensor, got {type(data).__name__}")
        t._data = data._data
        t._vc = data._vc
    t._grad_fn = None
    t._output_nr = 0
    t._view = None
    t._requires_grad = False
    return t


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter when assigned as an attribute.

    It shares memory with ``data`` and requires grad by default; results of operations on it are
    plain Tensors.

    >>> import kittygrad as kitty
    >>> p = kitty.nn.Parameter(kitty.zeros(2))
    >>> p
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        t = _alias(cls, data)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + tensor_repr(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data.copy(), self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        # only the values and requires_grad, as torch's: a deep-copied model (an EMA or target
        # network) starts without .grad, unlike a deep-copied plain tensor
        new = Parameter(Tensor._wrap(self._data.copy()), self._requires_grad)
        memo[id(self)] = new
        return new


def _rebuild_parameter(arr, requires_grad):
    return Parameter(Tensor._wrap(arr), requires_grad)


class _BufferMark(TensorType):
    """``isinstance(t, Buffer)`` asks whether ``t`` was marked by ``Buffer(...)``: like torch's, a
    buffer is a plain Tensor carrying the mark (and its ``persistent`` flag)."""

    def __instancecheck__(cls, instance) -> bool:
        # (read from the instance's own dict: a missed attribute lookup is what the runner reports)
        return isinstance(instance, Tensor) and instance.__dict__.get("_is_buffer", False)


class Buffer(Tensor, metaclass=_BufferMark):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute. What it
    returns is a plain Tensor sharing ``data`` (its ``requires_grad`` too), as torch's.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.Module(); m.count = kitty.nn.Buffer(kitty.zeros(1))
    >>> list(dict(m.named_buffers())), type(m.count).__name__
    (['count'], 'Tensor')
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        t = _alias(Tensor, data)
        t._requires_grad = data is not None and data.requires_grad
        t._is_buffer = True
        t.persistent = persistent
        return t


_UNINITIALIZED_USE = (
    "Attempted to use an uninitialized parameter in {}. This error happens when you are using a `LazyModule` or "
    "explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. When using LazyModules Call "
    "`forward` with a dummy batch to initialize the parameters before calling torch functions"
)


class _UninitializedTensorMixin:
    """A tensor with no shape and no values yet: any use of its values raises, until ``materialize``
    gives it a shape (with unset values) and turns it into ``cls_to_become``."""

    cls_to_become: type = Tensor

    @property
    def _data(self):
        raise ValueError(_UNINITIALIZED_USE.format("a kittygrad operation"))

    @property
    def shape(self):
        raise ValueError(_UNINITIALIZED_USE.format("shape"))

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor ``shape`` (values unset) and make it a ``cls_to_become`` in place."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        dtype = dtype or self._lazy_dtype or D.get_default_dtype()
        self.__class__ = type(self).cls_to_become  # in place: references to the parameter stay valid
        self._data = B.xp.empty(shape, dtype.np)  # the Tensor slot, now that the class is no longer lazy
        del self._lazy_dtype

    @property
    def dtype(self):
        return self._lazy_dtype or D.get_default_dtype()

    # Where it will live is known before its shape: ``next(model.parameters()).device``, the usual
    # way to place a model's inputs, is asked before the first forward materializes it.
    device = property(lambda self: CPU, doc="The CPU, where ``materialize`` puts the values.")
    is_meta = property(lambda self: False)
    is_cpu = property(lambda self: True)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def to(self, *args, **kwargs):
        """Only a dtype is kept (for ``materialize``); the tensor itself is returned."""
        for arg in (*args, kwargs.get("dtype")):
            if isinstance(arg, D.dtype):
                self._lazy_dtype = arg
        return self

    def detach(self):
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self._requires_grad, dtype=self._lazy_dtype)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (type(self), (self._requires_grad, None, self._lazy_dtype))


def _uninitialized(cls, requires_grad: bool, dtype):
    t = object.__new__(cls)
    Tensor._data.__set__(t, B.xp.empty((0,), D.get_default_dtype().np))
    t._vc = [0]
    t._grad_fn = None
    t._output_nr = 0
    t._view = None
    t._requires_grad = bool(requires_grad)
    t._lazy_dtype = dtype
    return t


class UninitializedParameter(_UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (a lazy module's, until its first forward).

    >>> import kittygrad as kitty
    >>> p = kitty.nn.UninitializedParameter(); p
    <UninitializedParameter>
    >>> p.materialize((2,)); type(p).__name__, p.shape
    ('Parameter', kittygrad.Size([2]))
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        return _uninitialized(cls, requires_grad, dtype)

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        pass


class UninitializedBuffer(_UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy module's, until its first forward).

    >>> import kittygrad as kitty
    >>> b = kitty.nn.UninitializedBuffer(); b
    <UninitializedBuffer>
    >>> b.materialize(3); type(b).__name__, b.shape
    ('Tensor', kittygrad.Size([3]))
    """

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True):
        t = _uninitialized(cls, requires_grad, dtype)
        t.persistent = persistent
        return t

    def __init__(self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True) -> None:
        pass


def is_lazy(param) -> bool:
    """Whether ``param`` is an uninitialised (lazy) parameter or buffer.

    >>> import kittygrad as kitty
    >>> is_lazy(kitty.nn.UninitializedParameter()), is_lazy(kitty.zeros(1))
    (True, False)
    """
    return isinstance(param, _UninitializedTensorMixin)
