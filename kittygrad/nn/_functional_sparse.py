"""``embedding_bag`` for ``kittygrad.nn.functional`` (re-exported there): sums, means or maxima of
bags of embeddings without building the intermediate embeddings per bag.

The rows of all bags are looked up at once (``embedding``, so ``max_norm`` and
``scale_grad_by_freq`` behave as there); sum and mean reduce them with one ``(bags, rows)``
weighting matrix, max gathers each bag's per-feature argmax row.
"""
from __future__ import annotations

import warnings

from .. import backend as B
from .. import creation as C
from ..errors import KittyRuntimeError, KittyValueError
from ..ops._prep import torch_named
from ..ops.nn.embedding import embedding
from ..tensor import Tensor

__all__ = ["embedding_bag"]

xp = B.xp


def _bag_bounds(offsets, count: int, include_last_offset: bool) -> list:
    """``(start, end)`` of each bag in the flat input, checked as torch checks the offsets."""
    offs = [int(v) for v in offsets.tolist()]
    if offs and offs[0] != 0:
        raise KittyRuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. "
            f"However, got {offs[0]}"
        )
    if offs and offs[-1] > count:
        raise KittyRuntimeError(f"offsets[-1] can not be greater than input's length {count} but got offsets[-1] of {offs[-1]}")
    ends = offs[1:] + ([] if include_last_offset else [count])
    starts = offs[:-1] if include_last_offset else offs
    return [(s, max(s, e)) for s, e in zip(starts, ends)]


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """The sum, mean or max of each bag of embeddings: ``input`` is 2-D (one bag per row) or 1-D
    with ``offsets`` where each bag starts; ``padding_idx`` entries are left out of their bag.

    >>> import kittygrad as kitty
    >>> w = kitty.arange(8.).reshape(4, 2)
    >>> kitty.nn.functional.embedding_bag(kitty.tensor([0, 1, 3]), w, kitty.tensor([0, 2]), mode="sum")
    tensor([[2., 4.],
            [6., 7.]])
    """
    if not weight.is_floating_point() and input.is_floating_point():
        warnings.warn(
            "Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, ...)` is "
            "deprecated, and should now be `embedding_bag(input, weight, ...)`.",
            stacklevel=2,
        )
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise KittyValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it must have the "
            f"same shape as the input ({input.shape})"
        )
    if weight.ndim != 2:
        raise KittyValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if input.ndim == 2:
        if offsets is not None:
            raise KittyValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length "
                f"sequences. However, found offsets of type {type(offsets)}"
            )
        width = input.shape[1]
        bounds = [(i * width, (i + 1) * width) for i in range(input.shape[0])]
        input = input.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise KittyValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise KittyValueError("offsets has to be a 1D Tensor")
        bounds = _bag_bounds(offsets, input.shape[0], include_last_offset)
    else:
        raise KittyValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    # one weight per index of the flattened input, scaling the row it looks up
    row_scale = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    if mode not in ("sum", "mean", "max"):
        raise KittyValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise KittyValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise KittyValueError("max mode does not support sparse weights")
    if row_scale is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' "
            f"(got mode='{mode}'). Please open a feature request on GitHub."
        )
    if scale_grad_by_freq:
        # torch scales each occurrence's gradient by a count that is not the frequency of its index
        # (e.g. bags [1, 1, 4], [5, 4, 3, 6] give row 4 twice the gradient of row 1); rather than a
        # gradient that differs from torch's, kittygrad refuses the option
        raise NotImplementedError("embedding_bag: scale_grad_by_freq=True is not supported by kittygrad")
    rows = embedding(input, weight, max_norm=max_norm, norm_type=norm_type)
    ids = input.detach().numpy()
    if padding_idx is not None:
        padding_idx = padding_idx % weight.shape[0]
    used = ids != padding_idx if padding_idx is not None else xp.ones(ids.shape, bool)
    if mode == "max":
        values = rows.detach().numpy()
        choice = xp.zeros((len(bounds), weight.shape[1]), xp.int64)
        empty = xp.ones((len(bounds), 1), weight.dtype.np)
        for b, (start, end) in enumerate(bounds):
            members = xp.arange(start, end)[used[start:end]]
            if members.size:
                choice[b] = members[values[members].argmax(0)]  # the first maximum per feature
                empty[b] = 0
        picked = rows.gather(0, C.tensor(choice)) if ids.size else C.zeros(len(bounds), weight.shape[1], dtype=weight.dtype)
        return _as_bag(picked * C.tensor(1 - empty))
    mix = xp.zeros((len(bounds), ids.shape[0]), weight.dtype.np)
    for b, (start, end) in enumerate(bounds):
        keep = used[start:end]
        count = int(keep.sum())
        if count:
            mix[b, start:end] = keep / count if mode == "mean" else keep
    if row_scale is not None:
        rows = rows * row_scale.unsqueeze(1)
    return _as_bag(C.tensor(mix) @ rows)


def _as_bag(out: Tensor) -> Tensor:
    """``out``, whose last node torch records as one ``EmbeddingBagBackward0`` (kittygrad builds the bag
    from a gather or a matrix product)."""
    return torch_named(out, "EmbeddingBagBackward0")
