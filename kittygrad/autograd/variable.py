"""``kittygrad.autograd.Variable``: PyTorch's legacy wrapper, kept for older programs.

Since PyTorch 0.4 a Variable is a Tensor: ``Variable(t)`` returns a Tensor that shares ``t``'s
memory and version counter, cut from the graph (a new leaf), with ``requires_grad`` as given;
``isinstance(x, Variable)`` is True for every Tensor. ``volatile`` has no effect (it warns), as in
torch: use ``no_grad()``.
"""
from __future__ import annotations

import warnings

from .. import backend as B
from .. import dtypes as D
from ..errors import KittyRuntimeError, KittyTypeError
from . import engine as _engine


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, _engine.Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False)``: ``data`` as a new leaf Tensor.

    >>> import kittygrad as kitty
    >>> v = kitty.autograd.Variable(kitty.ones(2), requires_grad=True)
    >>> v, isinstance(v, kitty.autograd.Variable), v.data
    (tensor([1., 1.], requires_grad=True), True, tensor([1., 1.]))
    """

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        Tensor = _engine.Tensor
        if data is None:
            return Tensor._wrap(B.xp.zeros((0,), D.get_default_dtype().np))
        if not isinstance(data, Tensor):
            raise KittyTypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if not isinstance(requires_grad, (bool, int)):
            raise KittyTypeError(f"requires_grad must be a bool, got {type(requires_grad).__name__}")
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",  # (torch's words)
                UserWarning,
                stacklevel=2,
            )
        out = Tensor._wrap(data._data)
        out._vc = data._vc  # an alias, as detach(): in-place changes show through both
        if requires_grad:
            if out._data.dtype.kind not in "fc":
                raise KittyRuntimeError("Only Tensors of floating point and complex dtype can require gradients")
            out._requires_grad = True
        return out
