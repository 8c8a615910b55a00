"""Collectives that carry gradients (``torch.distributed.nn.functional``), over MPI.

The collectives of :mod:`kittygrad.distributed` write into their arguments and are invisible to
autograd. These return new tensors instead, and each is a custom autograd ``Function`` whose
backward is the collective that moves the gradients back: the gradient of ``all_gather`` is a
reduce-scatter (this rank's input gets the sum over ranks of the gradients of its slot), that of
``broadcast`` a reduce to the source, that of ``scatter`` a gather, and so on. This is what
distributed contrastive losses (CLIP, SimCLR) need to backpropagate through the embeddings that
every rank gathers::

    feats = kitty.cat(dist_nn.all_gather(model(x)))   # this rank's rows carry gradients

Backward runs a collective, so every rank must backpropagate through the same calls in the same
order, as under torch. Values and gradients are torch's; in particular the gradient of
``all_reduce`` is the same reduction applied to the gradients, as torch computes it: the true
gradient for ``SUM`` and ``AVG``, not for ``MIN``/``MAX``/``PRODUCT`` (torch does the same).
``broadcast``, ``all_gather``, ``all_reduce``, ``reduce_scatter`` and ``all_to_all_single`` warn
(``FutureWarning``) as torch 2.13 does, which deprecates them in favour of its
``_functional_collectives`` (which kittygrad does not provide; these keep working).
"""

from __future__ import annotations

import warnings

from ...autograd.function import Function
from ...creation import empty, zeros_like
from ...errors import KittyTypeError
from ...tensor import Tensor
from .. import collectives as _c
from .. import exchange as _x
from ..collectives import ReduceOp
from ..process_group import ProcessGroup, _resolve, group

__all__ = [
    "ReduceOp",
    "all_gather",
    "all_reduce",
    "all_to_all",
    "all_to_all_single",
    "broadcast",
    "gather",
    "group",
    "reduce",
    "reduce_scatter",
    "scatter",
]

# torch 2.13's replacements, named in its deprecation warnings
_REPLACEMENT = "torch.distributed._functional_collectives."


def _deprecated(name: str, suggestion: str) -> None:
    """torch's FutureWarning for the collectives it deprecates (stacklevel 3: the script's call)."""
    warnings.warn(
        f"torch.distributed.nn.functional.{name} is deprecated, use {_REPLACEMENT}{suggestion} instead.",
        FutureWarning,
        stacklevel=3,
    )


def _is_rank(grp: ProcessGroup, global_rank: int) -> bool:
    """Whether this process is ``global_rank`` (src/dst arguments are global ranks, as in torch)."""
    return grp.ranks[grp.rank()] == global_rank


class _Broadcast(Function):
    @staticmethod
    def forward(ctx, src, grp, tensor):
        ctx.src, ctx.group = src, grp
        out = tensor.clone()  # a new tensor: the caller's input stays as it was
        _c.broadcast(out, src, group=grp)
        return out

    @staticmethod
    def backward(ctx, grad):
        # every rank's output came from src: src's input gets their summed gradients
        gx = _Reduce.apply(ctx.src, ReduceOp.SUM, ctx.group, grad)
        if not _is_rank(_resolve(ctx.group), ctx.src):
            gx = zeros_like(gx)  # the other ranks' inputs were not read (reduce left them their own gradient)
        return None, None, gx


class _Reduce(Function):
    @staticmethod
    def forward(ctx, dst, op, grp, tensor):
        ctx.dst, ctx.group = dst, grp
        out = tensor.clone()
        _c.reduce(out, dst, op=op, group=grp)
        return out

    @staticmethod
    def backward(ctx, grad):
        # as torch: dst's gradient goes to every rank's input (the result only exists on dst)
        return None, None, None, _Broadcast.apply(ctx.dst, ctx.group, grad)


class _AllReduce(Function):
    @staticmethod
    def forward(ctx, op, grp, tensor):
        ctx.op, ctx.group = op, grp
        out = tensor.contiguous().clone()
        _c.all_reduce(out, op=op, group=grp)
        return out

    @staticmethod
    def backward(ctx, grad):
        # torch's rule: the same reduction of the gradients (exact for SUM and AVG)
        return None, None, _AllReduce.apply(ctx.op, ctx.group, grad)


class _AllGather(Function):
    @staticmethod
    def forward(ctx, grp, tensor):
        ctx.group = grp
        tensor = tensor.contiguous()
        outs = [zeros_like(tensor) for _ in range(_resolve(grp).size())]
        _c.all_gather(outs, tensor, group=grp)
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        # slot r of every rank's output is rank r's input: rank r gets the sum of those gradients
        grp = _resolve(ctx.group)
        gx = zeros_like(grads[grp.rank()])
        return None, _ReduceScatter.apply(ReduceOp.SUM, ctx.group, gx, *grads)


class _ReduceScatter(Function):
    @staticmethod
    def forward(ctx, op, grp, output, *inputs):
        ctx.group = grp
        _c.reduce_scatter(output, [t.contiguous() for t in inputs], op=op, group=grp)
        return output

    @staticmethod
    def backward(ctx, grad):
        # input_list[r] of every rank went into rank r's output: each gets rank r's gradient
        return (None, None, None) + _AllGather.apply(ctx.group, grad)


class _AllGatherBase(Function):
    @staticmethod
    def forward(ctx, output, tensor, grp):
        ctx.group = grp
        _c.all_gather_into_tensor(output, tensor.contiguous(), group=grp)
        return output

    @staticmethod
    def backward(ctx, grad):
        # rank r's block of every rank's output is rank r's input: a reduce-scatter of the blocks
        size = _resolve(ctx.group).size()
        gx = empty((grad.shape[0] // size, *grad.shape[1:]), dtype=grad.dtype)
        _c.reduce_scatter_tensor(gx, grad.contiguous(), group=ctx.group)
        return None, gx, None


class _Gather(Function):
    @staticmethod
    def forward(ctx, dst, grp, tensor):
        ctx.dst, ctx.group = dst, grp
        resolved = _resolve(grp)
        outs = [zeros_like(tensor) for _ in range(resolved.size())]  # zeros on the other ranks, as torch
        _c.gather(tensor.contiguous(), outs if _is_rank(resolved, dst) else None, dst, group=grp)
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        # only dst's outputs hold data: dst's gradient of slot r goes back to rank r
        return None, None, _Scatter.apply(ctx.dst, ctx.group, *grads)


class _Scatter(Function):
    @staticmethod
    def forward(ctx, src, grp, *tensors):
        ctx.src, ctx.group = src, grp
        shape = tensors[0].shape
        if any(t.shape != shape for t in tensors):
            raise KittyTypeError(f"scatter: every tensor must have one shape, got {[list(t.shape) for t in tensors]}")
        out = zeros_like(tensors[0])
        _c.scatter(out, list(tensors) if _is_rank(_resolve(grp), src) else None, src, group=grp)
        return out

    @staticmethod
    def backward(ctx, grad):
        return (None, None) + _Gather.apply(ctx.src, ctx.group, grad)


class _AlltoAll(Function):
    @staticmethod
    def forward(ctx, grp, out_list, *tensors):
        ctx.group = grp
        ctx.shapes = [t.shape for t in tensors]
        _x.all_to_all(out_list, [t.contiguous() for t in tensors], group=grp)
        return tuple(out_list)

    @staticmethod
    def backward(ctx, *grads):
        # the exchange reversed: the gradient of what rank j received from us goes back from j
        back = [empty(shape, dtype=grads[0].dtype) for shape in ctx.shapes]
        return (None, None) + _AlltoAll.apply(ctx.group, back, *grads)


class _AlltoAllSingle(Function):
    @staticmethod
    def forward(ctx, grp, output, output_split_sizes, input_split_sizes, tensor):
        ctx.group, ctx.shape = grp, tensor.shape
        ctx.splits = (output_split_sizes, input_split_sizes)
        _x.all_to_all_single(output, tensor, output_split_sizes, input_split_sizes, group=grp)
        return output

    @staticmethod
    def backward(ctx, grad):
        out_splits, in_splits = ctx.splits
        back = empty(ctx.shape, dtype=grad.dtype)  # the reverse exchange swaps the split sizes
        return None, None, None, None, _AlltoAllSingle.apply(ctx.group, back, in_splits, out_splits, grad.contiguous())


def _tensor(t: object, what: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise KittyTypeError(f"{what} must be a Tensor, got {type(t).__name__}")
    return t


def broadcast(tensor: Tensor, src: int, group: ProcessGroup | None = group.WORLD) -> Tensor:
    """Rank ``src``'s ``tensor``, returned on every rank; backward sums the ranks' gradients into
    ``src``'s input (the others get zeros).

    >>> import kittygrad as kitty, kittygrad.distributed.nn.functional as dist_nn  # doctest: +SKIP
    >>> x = kitty.full((2,), float(dist.get_rank()), requires_grad=True)  # doctest: +SKIP
    >>> y = dist_nn.broadcast(x, src=0); y.sum().backward(); y, x.grad  # on rank 0 of 2  # doctest: +SKIP
    (tensor([0., 0.], grad_fn=<_BroadcastBackward>), tensor([2., 2.]))
    """
    _deprecated("broadcast", "broadcast")
    return _Broadcast.apply(src, group, _tensor(tensor, "broadcast's tensor"))


def reduce(
    tensor: Tensor, dst: int, op: ReduceOp.RedOpType = ReduceOp.SUM, group: ProcessGroup | None = group.WORLD
) -> Tensor:
    """``tensor`` combined across the ranks with ``op``, returned on rank ``dst`` (the other ranks
    get their own input back); backward gives every rank's input ``dst``'s gradient, as torch.

    >>> y = dist_nn.reduce(x, dst=0)  # doctest: +SKIP
    """
    return _Reduce.apply(dst, op, group, _tensor(tensor, "reduce's tensor"))


def all_reduce(
    tensor: Tensor, op: ReduceOp.RedOpType = ReduceOp.SUM, group: ProcessGroup | None = group.WORLD
) -> Tensor:
    """``tensor`` combined across the ranks with ``op``, returned on every rank. Backward applies
    the same reduction to the gradients, as torch (the true gradient for ``SUM`` and ``AVG``).

    >>> import kittygrad as kitty, kittygrad.distributed.nn.functional as dist_nn  # doctest: +SKIP
    >>> x = kitty.ones(2, requires_grad=True); y = dist_nn.all_reduce(x)  # 2 ranks  # doctest: +SKIP
    >>> y.sum().backward(); y, x.grad  # doctest: +SKIP
    (tensor([2., 2.], grad_fn=<_AllReduceBackward>), tensor([2., 2.]))
    """
    _deprecated("all_reduce", "all_reduce")
    return _AllReduce.apply(op, group, _tensor(tensor, "all_reduce's tensor"))


def all_gather(tensor: Tensor, group: ProcessGroup | None = group.WORLD) -> tuple[Tensor, ...]:
    """Every rank's ``tensor``, as a tuple indexed by rank, on every rank. Backward is a
    reduce-scatter: this rank's input gets the sum over ranks of the gradients of its slot.

    >>> import kittygrad as kitty, kittygrad.distributed.nn.functional as dist_nn  # doctest: +SKIP
    >>> emb = model(x)  # this rank's embeddings  # doctest: +SKIP
    >>> everyone = kitty.cat(dist_nn.all_gather(emb))  # (world_size * batch, dim), with gradients  # doctest: +SKIP
    """
    _deprecated("all_gather", "all_gather_single")
    return _AllGather.apply(group, _tensor(tensor, "all_gather's tensor"))


def _all_gather_base(output_tensor: Tensor, input_tensor: Tensor, group: ProcessGroup | None = group.WORLD) -> Tensor:
    """Every rank's ``input_tensor`` concatenated along dim 0 into ``output_tensor`` (returned);
    backward reduce-scatters the gradient's blocks. (torch's gloo backend refuses this backward;
    MPI has the reduce-scatter, so it runs here as under torch's NCCL.)

    >>> out = dist_nn._all_gather_base(kitty.empty(4), x)  # x of 2 elements, 2 ranks  # doctest: +SKIP
    """
    return _AllGatherBase.apply(output_tensor, _tensor(input_tensor, "_all_gather_base's input_tensor"), group)


def reduce_scatter(
    output: Tensor, input_list: list[Tensor], op: ReduceOp.RedOpType = ReduceOp.SUM,
    group: ProcessGroup | None = group.WORLD,
) -> Tensor:
    """``input_list[r]`` combined across the ranks with ``op``, written into rank ``r``'s ``output``
    and returned; backward all-gathers the gradient into every ``input_list`` entry's gradient.

    >>> out = dist_nn.reduce_scatter(kitty.empty(2), [a, b])  # 2 ranks  # doctest: +SKIP
    """
    _deprecated("reduce_scatter", "reduce_scatter_single")
    return _ReduceScatter.apply(op, group, _tensor(output, "reduce_scatter's output"), *input_list)


def gather(tensor: Tensor, dst: int = 0, group: ProcessGroup | None = group.WORLD) -> tuple[Tensor, ...]:
    """Every rank's ``tensor``, as a tuple indexed by rank, on rank ``dst`` (zeros of that shape
    on the others); backward scatters ``dst``'s gradients back to the ranks.

    >>> parts = dist_nn.gather(x, dst=0)  # doctest: +SKIP
    """
    return _Gather.apply(dst, group, _tensor(tensor, "gather's tensor"))


def scatter(tensors: list[Tensor], src: int = 0, group: ProcessGroup | None = group.WORLD) -> Tensor:
    """``tensors[r]`` from rank ``src``, returned on rank ``r``; backward gathers the gradients
    into ``src``'s ``tensors``. As under torch, every rank passes a list of ``world_size`` tensors:
    on the other ranks only their shape and dtype count (they size the output).

    >>> y = dist_nn.scatter([a, b], src=0)  # 2 ranks  # doctest: +SKIP
    """
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise KittyTypeError(
            "scatter: every rank passes `tensors`, a list of world_size tensors (on ranks other than src "
            f"they give the output's shape and dtype), got {type(tensors).__name__}"
        )
    return _Scatter.apply(src, group, *tensors)


def all_to_all(
    output_tensor_list: list[Tensor], input_tensor_list: list[Tensor], group: ProcessGroup | None = group.WORLD
) -> tuple[Tensor, ...]:
    """Rank ``i``'s ``input_tensor_list[j]`` into rank ``j``'s ``output_tensor_list[i]``; returns
    the output tensors, whose gradients travel back the same way.

    >>> outs = dist_nn.all_to_all([kitty.empty(2), kitty.empty(2)], [a, b])  # 2 ranks  # doctest: +SKIP
    """
    return _AlltoAll.apply(group, output_tensor_list, *input_tensor_list)


def all_to_all_single(
    output: Tensor, input: Tensor, output_split_sizes: list[int] | None = None,
    input_split_sizes: list[int] | None = None, group: ProcessGroup | None = group.WORLD,
) -> Tensor:
    """``input`` split along dim 0 and exchanged (piece ``j`` to rank ``j``) into ``output``,
    which is returned; the gradient makes the reverse exchange.

    >>> out = dist_nn.all_to_all_single(kitty.empty(4), x)  # 2 ranks  # doctest: +SKIP
    """
    _deprecated("all_to_all_single", "all_to_all_single")
    return _AlltoAllSingle.apply(group, _tensor(output, "all_to_all_single's output"), output_split_sizes,
                                 input_split_sizes, _tensor(input, "all_to_all_single's input"))
