"""Helpers the distributions share (torch.distributions.utils): broadcasting parameters, probs and
logits, cached properties, dtype limits.

>>> import kittygrad as kitty
>>> from kittygrad.distributions.utils import broadcast_all
>>> [t.shape for t in broadcast_all(kitty.zeros(2, 1), 1.0)]
[kittygrad.Size([2, 1]), kittygrad.Size([2, 1])]
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import update_wrapper
from numbers import Number

from ..errors import KittyValueError
from .. import backend as B
from ..autograd import enable_grad, no_grad
from ..creation import randn, tensor
from ..dtypes import get_default_dtype
from ..ops.shape import broadcast_tensors
from ..tensor import Tensor

__all__ = ["broadcast_all", "clamp_probs", "euler_constant", "lazy_property", "logits_to_probs", "probs_to_logits"]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant


def broadcast_all(*values):
    """The values (Tensors or numbers) broadcast to one shape; numbers become tensors of the
    first tensor's dtype (or the default dtype).

    >>> import kittygrad as kitty
    >>> broadcast_all(kitty.tensor([1., 2.]), 0.5)[1]
    tensor([0.5000, 0.5000])
    """
    if not all(isinstance(v, (Tensor, Number)) for v in values):
        raise KittyValueError(
            "Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
            "implementing __torch_function__."
        )
    if not all(isinstance(v, Tensor) for v in values):
        dtype = next((v.dtype for v in values if isinstance(v, Tensor)), get_default_dtype())
        values = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype) for v in values]
    return broadcast_tensors(*values)


def _standard_normal(shape, dtype):
    return randn(tuple(shape), dtype=dtype)


def _sum_rightmost(value, dim: int):
    """``value`` summed over its ``dim`` rightmost dims."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.dim() - dim]) + (-1,)).sum(-1)


def _broadcastable(shape_a, shape_b) -> bool:
    """Whether two shapes broadcast: aligned from the right, each pair of sizes is equal or has a 1."""
    return all(a == b or 1 in (a, b) for a, b in zip(reversed(tuple(shape_a)), reversed(tuple(shape_b))))


def _finfo(dtype):
    """The limits of a floating kittygrad dtype (eps, tiny, min, max)."""
    return B.finfo(dtype.np)


def logits_to_probs(logits, is_binary: bool = False):
    """Probabilities from logits: the sigmoid for binary events, else the softmax of the last dim.

    >>> import kittygrad as kitty
    >>> logits_to_probs(kitty.tensor([0., 0.]))
    tensor([0.5000, 0.5000])
    """
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)


def clamp_probs(probs):
    """``probs`` clamped to [eps, 1 - eps] of its dtype, so that their logs are finite.

    >>> import kittygrad as kitty
    >>> bool(clamp_probs(kitty.tensor([0.])) > 0)
    True
    """
    eps = float(_finfo(probs.dtype).eps)
    return probs.clamp(eps, 1 - eps)


def probs_to_logits(probs, is_binary: bool = False):
    """Logits from probabilities (log-odds for binary events, else log-probabilities).

    >>> import kittygrad as kitty
    >>> probs_to_logits(kitty.tensor([0.5]), is_binary=True)
    tensor([0.])
    """
    clamped = clamp_probs(probs)
    if is_binary:
        return clamped.log() - (-clamped).log1p()
    return clamped.log()


#: non-empty while a distribution only reads values (checks its parameters, draws samples)
_CHECKING: list = []


@contextmanager
def _values_only():
    """Inside, lazily derived parameters (``probs`` from ``logits``) are computed without a graph
    and not kept: for checks and samplers, which need values only. Under the seed's locks a graph
    use nobody backpropagates through would hold the parameters' gradients back."""
    _CHECKING.append(True)
    try:
        with no_grad():
            yield
    finally:
        _CHECKING.pop()


class lazy_property:  # noqa: N801 - torch's name
    """A property computed on first use and then kept on the instance (``probs`` from ``logits``).

    >>> class A:
    ...     @lazy_property
    ...     def x(self):
    ...         return 3
    >>> A().x
    3
    """

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _LazyPropertyOnClass(self.wrapped)
        if _CHECKING:
            # a value derived only to be checked: not kept, and without a graph, so that under the
            # seed's locks it leaves no unused use behind (it is derived again, with its graph, on use)
            with no_grad():
                return self.wrapped(instance)
        with enable_grad():
            computed = self.wrapped(instance)
        # kept on the instance, where it shadows this (non-data) descriptor from now on
        instance.__dict__[self.__name__] = computed
        return computed


class _LazyPropertyOnClass(lazy_property, property):
    """What a lazy_property is on the class: also a property, so documentation tools see it."""

    def __init__(self, wrapped) -> None:
        property.__init__(self, fget=wrapped)
