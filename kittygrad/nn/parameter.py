"""``Parameter`` (a tensor a Module learns) and ``Buffer`` (state a Module keeps), as torch.nn."""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from .._printing import tensor_repr
from ..errors import KittyTypeError
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
        new = Parameter(Tensor._wrap(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            new._grad = Tensor._wrap(self._grad._data.copy())
        memo[id(self)] = new
        return new


def _rebuild_parameter(arr, requires_grad):
    return Parameter(Tensor._wrap(arr), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.Module(); m.count = kitty.nn.Buffer(kitty.zeros(1))
    >>> list(dict(m.named_buffers()))
    ['count']
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        t = _alias(cls, data)
        t.persistent = persistent
        return t

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        pass


def is_lazy(param) -> bool:
    return False
