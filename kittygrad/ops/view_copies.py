"""The ``*_copy`` twins of the view ops (``view_copy``, ``transpose_copy``, ``diagonal_copy``, ...):
the same values as the view, in new memory (torch's functionalized ops); differentiable."""
from __future__ import annotations

from ._prep import tensor_input


def _copies(views):
    return tuple(v.clone() for v in views)


def alias_copy(input):
    """A copy of ``input`` (the copy twin of an alias).

    >>> import kittygrad as kitty
    >>> kitty.alias_copy(kitty.ones(2))
    tensor([1., 1.])
    """
    return tensor_input(input).clone()


def detach_copy(input):
    """A copy of ``input``, cut from the graph.

    >>> import kittygrad as kitty
    >>> kitty.detach_copy(kitty.ones(2, requires_grad=True)).requires_grad
    False
    """
    return tensor_input(input).detach().clone()


def diagonal_copy(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """``diagonal`` as a new tensor.

    >>> import kittygrad as kitty
    >>> kitty.diagonal_copy(kitty.eye(2))
    tensor([1., 1.])
    """
    return tensor_input(input).diagonal(offset, dim1, dim2).clone()


def expand_copy(input, size, *, implicit: bool = False):
    """``expand`` as a new tensor.

    >>> import kittygrad as kitty
    >>> kitty.expand_copy(kitty.ones(1), [3])
    tensor([1., 1., 1.])
    """
    return tensor_input(input).expand(*size).clone()


def permute_copy(input, dims):
    """``permute`` as a new tensor.

    >>> import kittygrad as kitty
    >>> kitty.permute_copy(kitty.ones(2, 3), (1, 0)).shape
    kittygrad.Size([3, 2])
    """
    return tensor_input(input).permute(*dims).clone()


def select_copy(input, dim: int, index: int):
    """``select`` as a new tensor.

    >>> import kittygrad as kitty
    >>> kitty.select_copy(kitty.eye(2), 0, 1)
    tensor([0., 1.])
    """
    return tensor_input(input).select(dim, index).clone()


def slice_copy(input, dim: int = 0, start=None, end=None, step: int = 1):
    """``input[start:end:step]`` along ``dim``, as a new tensor.

    >>> import kittygrad as kitty
    >>> kitty.slice_copy(kitty.arange(5), 0, 1, None, 2)
    tensor([1, 3])
    """
    x = tensor_input(input)
    d = dim % x.dim() if x.dim() else 0
    return x[(slice(None),) * d + (slice(start, end, step),)].clone()


def split_copy(input, split_size, dim: int = 0):
    """``split`` as new tensors.

    >>> import kittygrad as kitty
    >>> [t.tolist() for t in kitty.split_copy(kitty.arange(3), 2)]
    [[0, 1], [2]]
    """
    return _copies(tensor_input(input).split(split_size, dim))


def split_with_sizes_copy(input, split_sizes, dim: int = 0):
    """``split_with_sizes`` as new tensors.

    >>> import kittygrad as kitty
    >>> [t.tolist() for t in kitty.split_with_sizes_copy(kitty.arange(3), [1, 2])]
    [[0], [1, 2]]
    """
    return _copies(tensor_input(input).split(list(split_sizes), dim))


def squeeze_copy(input, dim=None):
    """``squeeze`` as a new tensor.

    >>> import kittygrad as kitty
    >>> kitty.squeeze_copy(kitty.ones(1, 2)).shape
    kittygrad.Size([2])
    """
    return tensor_input(input).squeeze(dim).clone()


def t_copy(input):
    """``t`` as a new tensor.

    >>> import kittygrad as kitty
    >>> kitty.t_copy(kitty.ones(2, 3)).shape
    kittygrad.Size([3, 2])
    """
    return tensor_input(input).t().clone()


def transpose_copy(input, dim0: int, dim1: int):
    """``transpose`` as a new tensor.

    >>> import kittygrad as kitty
    >>> kitty.transpose_copy(kitty.ones(2, 3), 0, 1).shape
    kittygrad.Size([3, 2])
    """
    return tensor_input(input).transpose(dim0, dim1).clone()


def unbind_copy(input, dim: int = 0):
    """``unbind`` as new tensors.

    >>> import kittygrad as kitty
    >>> kitty.unbind_copy(kitty.eye(2))[0]
    tensor([1., 0.])
    """
    return _copies(tensor_input(input).unbind(dim))


def unfold_copy(input, dimension: int, size: int, step: int):
    """``Tensor.unfold`` (sliding windows) as a new tensor.

    >>> import kittygrad as kitty
    >>> kitty.unfold_copy(kitty.arange(4), 0, 2, 2)
    tensor([[0, 1],
            [2, 3]])
    """
    return tensor_input(input).unfold(dimension, size, step).clone()


def unsqueeze_copy(input, dim: int):
    """``unsqueeze`` as a new tensor.

    >>> import kittygrad as kitty
    >>> kitty.unsqueeze_copy(kitty.ones(2), 0).shape
    kittygrad.Size([1, 2])
    """
    return tensor_input(input).unsqueeze(dim).clone()


def view_copy(input, size):
    """``view`` as a new tensor (``size`` a shape; a dtype reinterprets the bytes and is refused).

    >>> import kittygrad as kitty
    >>> kitty.view_copy(kitty.arange(4), [2, 2]).shape
    kittygrad.Size([2, 2])
    """
    return tensor_input(input).view(*size).clone() if isinstance(size, (list, tuple)) or hasattr(size, "__len__") \
        else tensor_input(input).view(size).clone()
