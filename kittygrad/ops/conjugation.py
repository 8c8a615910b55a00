"""The complex-number API on real tensors: ``conj``, ``conj_physical``, ``resolve_conj``,
``resolve_neg`` and ``real`` return the tensor itself (as torch does for real dtypes), ``adjoint``
is the transpose of the last two dims (a view), ``imag`` is refused as torch refuses it."""
from __future__ import annotations

from ..errors import KittyRuntimeError
from ._prep import tensor_input
from .shape import Transpose


def conj(input):
    """The complex conjugate: ``input`` itself for a real tensor.

    >>> import kittygrad as kitty
    >>> kitty.conj(kitty.tensor([1., -2.]))
    tensor([ 1., -2.])
    """
    return tensor_input(input)


def conj_physical(input):
    """The conjugate, computed: ``input`` itself for a real tensor.

    >>> import kittygrad as kitty
    >>> kitty.conj_physical(kitty.tensor([1.]))
    tensor([1.])
    """
    return tensor_input(input)


def resolve_conj(input):
    """``input`` itself: a real tensor is never a lazily conjugated view.

    >>> import kittygrad as kitty
    >>> kitty.resolve_conj(kitty.tensor([1.]))
    tensor([1.])
    """
    return tensor_input(input)


def resolve_neg(input):
    """``input`` itself: kittygrad has no lazily negated views.

    >>> import kittygrad as kitty
    >>> kitty.resolve_neg(kitty.tensor([1.]))
    tensor([1.])
    """
    return tensor_input(input)


def real(input):
    """The real part: ``input`` itself for a real tensor.

    >>> import kittygrad as kitty
    >>> kitty.real(kitty.tensor([1.]))
    tensor([1.])
    """
    return tensor_input(input)


def imag(input):
    """Refused as torch refuses it: a real tensor has no imaginary part.

    >>> import kittygrad as kitty
    >>> try:
    ...     kitty.imag(kitty.tensor([1.]))
    ... except RuntimeError as err:
    ...     print(err)
    imag is not implemented for tensors with non-complex dtypes.
    """
    tensor_input(input)
    raise KittyRuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def adjoint(input):
    """The conjugate transpose of the last two dims (a view; for a real tensor, ``mT``).

    >>> import kittygrad as kitty
    >>> kitty.adjoint(kitty.zeros(2, 3)).shape
    kittygrad.Size([3, 2])
    """
    x = tensor_input(input)
    nd = x._data.ndim
    if nd < 2:
        raise KittyRuntimeError(
            f"tensor.adjoint() is only supported on matrices or batches of matrices. Got {nd}-D tensor."
        )
    return Transpose.apply(x, nd - 2, nd - 1)
