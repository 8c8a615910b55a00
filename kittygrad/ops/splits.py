"""More ways to split: ``split_with_sizes``, the ``unsafe_*`` splits (pieces that share the input's
memory without being its views, so they may be changed in place), ``hsplit``/``vsplit``/``dsplit``
(NumPy's), and ``narrow_copy``."""
from __future__ import annotations

from .. import backend as B
from ..autograd.function import Op
from ..errors import KittyRuntimeError
from ._prep import normalize_dim, tensor_input, torch_named
from .joining import chunk, narrow, split, tensor_split


def split_with_sizes(input, split_sizes, dim: int = 0):
    """Views of consecutive pieces of the listed sizes along ``dim`` (they must add up to its size).

    >>> import kittygrad as kitty
    >>> [t.tolist() for t in kitty.split_with_sizes(kitty.arange(5), [2, 3])]
    [[0, 1], [2, 3, 4]]
    """
    return split(input, list(split_sizes), dim)


class UnsafeSplit(Op):
    """Consecutive pieces along ``axis`` that share the input's memory but are not its views, as
    torch's unsafe splits: one node, and an in-place change of a piece is allowed (it changes the
    input too, unchecked: that is what "unsafe" means in torch)."""

    saved_fields = ("axis", "sizes")
    _name = "UnsafeSplitBackward"

    def forward(self, x, sizes, axis):
        self.axis, self.sizes = axis, sizes
        return tuple(x[(slice(None),) * axis + (slice(start, start + n),)] for start, n in _spans(sizes))

    def composite(self, x, sizes, axis):
        return tuple(narrow(x, axis, start, n) for start, n in _spans(sizes))

    def backward(self, *grads):
        # (the engine hands zeros for pieces that got no gradient)
        return B.xp.concatenate(grads, axis=self.axis), None, None


def _spans(sizes):
    """``(start, size)`` of consecutive pieces of ``sizes``."""
    start = 0
    for n in sizes:
        yield start, n
        start += n


def _unsafe_pieces(x, checked, dim, label):
    """The unsafe pieces of ``x`` as large as the ``checked`` pieces the safe split made."""
    axis = normalize_dim(dim, x._data.ndim)
    sizes = tuple(p._data.shape[axis] for p in checked)
    return torch_named(UnsafeSplit.apply(x, sizes, axis), label)


def unsafe_split_with_sizes(input, split_sizes, dim: int = 0):
    """``split_with_sizes`` whose pieces are not views (torch lets them be changed in place).

    >>> import kittygrad as kitty
    >>> [t.tolist() for t in kitty.unsafe_split_with_sizes(kitty.arange(3), [1, 2])]
    [[0], [1, 2]]
    """
    checked = split(input, list(split_sizes), dim)  # checks the sizes
    return _unsafe_pieces(input, checked, dim, "UnsafeSplitWithSizesBackward0")


def unsafe_split(tensor, split_size: int, dim: int = 0):
    """``split`` whose pieces are not views (torch lets them be changed in place).

    >>> import kittygrad as kitty
    >>> [t.tolist() for t in kitty.unsafe_split(kitty.arange(5), 2)]
    [[0, 1], [2, 3], [4]]
    """
    return _unsafe_pieces(tensor, split(tensor, split_size, dim), dim, "UnsafeSplitBackward0")


def unsafe_chunk(input, chunks: int, dim: int = 0):
    """``chunk`` whose pieces are not views (torch lets them be changed in place).

    >>> import kittygrad as kitty
    >>> [t.tolist() for t in kitty.unsafe_chunk(kitty.arange(5), 2)]
    [[0, 1, 2], [3, 4]]
    """
    return _unsafe_pieces(input, chunk(input, chunks, dim), dim, "UnsafeSplitBackward0")


def _numpy_split(input, indices_or_sections, dim, name, min_dims):
    x = tensor_input(input)
    nd = x._data.ndim
    if nd < min_dims:
        s = "" if min_dims == 1 else ""
        raise KittyRuntimeError(
            f"torch.{name} requires a tensor with at least {min_dims} dimension{s}, but got a tensor with {nd} dimensions!"
        )
    if isinstance(indices_or_sections, int):
        size = x._data.shape[dim]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise KittyRuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension {size} "
                f"is not divisible by the split_size {indices_or_sections}!"
            )
    return tensor_split(x, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 for a 1-D tensor) into equal parts or at the given indices.

    >>> import kittygrad as kitty
    >>> [t.shape for t in kitty.hsplit(kitty.zeros(2, 4), 2)]
    [kittygrad.Size([2, 2]), kittygrad.Size([2, 2])]
    """
    x = tensor_input(input)
    return _numpy_split(x, indices_or_sections, 1 if x._data.ndim > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):
    """Split along dim 0 (of a tensor with at least 2 dims) into equal parts or at the given indices.

    >>> import kittygrad as kitty
    >>> [t.shape for t in kitty.vsplit(kitty.zeros(4, 2), [1])]
    [kittygrad.Size([1, 2]), kittygrad.Size([3, 2])]
    """
    return _numpy_split(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    """Split along dim 2 (of a tensor with at least 3 dims) into equal parts or at the given indices.

    >>> import kittygrad as kitty
    >>> [t.shape for t in kitty.dsplit(kitty.zeros(1, 1, 4), 2)]
    [kittygrad.Size([1, 1, 2]), kittygrad.Size([1, 1, 2])]
    """
    return _numpy_split(input, indices_or_sections, 2, "dsplit", 3)


def narrow_copy(input, dim: int, start: int, length: int):
    """``narrow`` as a new tensor (not a view).

    >>> import kittygrad as kitty
    >>> kitty.narrow_copy(kitty.arange(5), 0, 1, 2)
    tensor([1, 2])
    """
    return narrow(input, dim, start, length).clone()
