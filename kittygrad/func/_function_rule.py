"""Custom ``autograd.Function``s inside ``vmap``.

A Function whose class defines the ``vmap`` staticmethod runs on whole batches: it gets the
physical tensors (batch dim first, ``in_dims`` saying which are batched) and returns its outputs
with their ``out_dims``, as in torch. Any other Function meets batched tensors sample by sample:
its forward may read values (NumPy), and its backward node must sit on the per-sample graph for
``grad`` inside ``vmap`` to reach it, so ``vmap`` falls back to its loop, saying so.
"""
from __future__ import annotations

from collections import namedtuple

from ..autograd import function as _function
from ..tensor import Tensor
from . import _batched as B_

#: what a ``vmap`` staticmethod receives as ``info``
VmapInfo = namedtuple("VmapInfo", ["batch_size", "randomness"])


def batched_function(cls, args: tuple, kwargs: dict):
    """``cls.apply(*args, **kwargs)`` where an argument is batched, or NotImplemented (none is)."""
    if not any(B_.batch_depth(a) for a in args if isinstance(a, Tensor)):
        return NotImplemented
    level = B_.levels[-1]
    if level.tangents_only:  # jacfwd's level batches tangents only: forward-mode AD's business
        return NotImplemented
    if cls.vmap is _function.Function.vmap or not any(B_.is_batched_at(a, level) for a in args):
        raise B_.VmapFallback(f"the custom autograd.Function {cls.__name__} defines no vmap staticmethod")
    args = cls._bound(args, kwargs)  # the staticmethod takes forward's arguments positionally
    in_dims = tuple(0 if B_.is_batched_at(a, level) else None for a in args)
    physical = [a._phys if d == 0 else a for a, d in zip(args, in_dims)]
    outputs, out_dims = cls.vmap(VmapInfo(level.size, level.randomness), in_dims, *physical)
    single = not isinstance(outputs, tuple)
    outs = (outputs,) if single else outputs
    dims = out_dims if isinstance(out_dims, tuple) else (out_dims,) * len(outs)
    if len(dims) != len(outs):
        raise RuntimeError(
            f"{cls.__name__}.vmap returned {len(outs)} outputs but {len(dims)} out_dims; give one per output"
        )
    wrapped = [
        B_.BatchedTensor.make(o.movedim(d, 0), level) if d is not None and isinstance(o, Tensor) else o
        for o, d in zip(outs, dims)
    ]
    return wrapped[0] if single else tuple(wrapped)


_function.batched_function = batched_function
