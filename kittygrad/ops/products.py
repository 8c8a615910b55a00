"""Products beyond ``linalg.py``'s: ``kron``, ``inner``, and the set product ``combinations`` (all
composed of differentiable ops; ``cartesian_prod`` and ``chain_matmul`` live in ``functional.py``)."""
from __future__ import annotations

import itertools

from .. import backend as B
from ..autograd import function as F
from ..errors import KittyRuntimeError
from ._prep import as_tensor_arg, torch_named
from .linalg import tensordot


def kron(input, other):
    """The Kronecker product: every element of ``input`` times the whole ``other``.

    >>> import kittygrad as kitty
    >>> kitty.kron(kitty.tensor([1, 2]), kitty.tensor([1, 10]))
    tensor([ 1, 10,  2, 20])
    """
    a, b = as_tensor_arg(input), as_tensor_arg(other, "other")
    nd = max(a._data.ndim, b._data.ndim)
    a = a.reshape((1,) * (nd - a._data.ndim) + tuple(a._data.shape))
    b = b.reshape((1,) * (nd - b._data.ndim) + tuple(b._data.shape))
    # interleave the dims: a's dim i next to b's dim i, then merge each pair
    sa = [s for n in a._data.shape for s in (n, 1)]
    sb = [s for n in b._data.shape for s in (1, n)]
    out = a.reshape(sa) * b.reshape(sb)
    return torch_named(out.reshape([x * y for x, y in zip(a._data.shape, b._data.shape)]), "UnsafeViewBackward0")


def inner(input, other):
    """The sum of products over the last dims of both (a scalar times a tensor when one is 0-d).

    >>> import kittygrad as kitty
    >>> kitty.inner(kitty.tensor([1., 2.]), kitty.tensor([3., 4.]))
    tensor(11.)
    """
    a, b = as_tensor_arg(input), as_tensor_arg(other, "other")
    if a._data.ndim == 0 or b._data.ndim == 0:
        return a * b
    if a._data.shape[-1] != b._data.shape[-1]:
        raise KittyRuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(a._data.shape)} and {list(b._data.shape)}"
        )
    return tensordot(a, b, ([-1], [-1]))


def combinations(input, r: int = 2, with_replacement: bool = False):
    """The ``r``-length combinations of the elements of the 1-D ``input`` (as ``itertools``), as
    rows.

    >>> import kittygrad as kitty
    >>> kitty.combinations(kitty.tensor([1, 2, 3]))
    tensor([[1, 2],
            [1, 3],
            [2, 3]])
    """
    input = as_tensor_arg(input)
    if input._data.ndim != 1:
        raise KittyRuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    if r < 0:
        raise KittyRuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return F.Tensor._wrap(B.xp.empty((0,), dtype=input._data.dtype))
    n = input._data.shape[0]
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = B.xp.asarray(list(pick(range(n), r)), dtype=B.xp.int64).reshape(-1, r)
    if idx.shape[0] == 0:
        return input.index_select(0, F.Tensor._wrap(B.xp.zeros(0, dtype=B.xp.int64))).reshape(0, r)
    return input.index_select(0, F.Tensor._wrap(idx.reshape(-1))).reshape(-1, r)
