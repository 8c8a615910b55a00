"""More batching rules (see ``_batching_rules``): the add-matmul family, writes through an index
(``index_put``, ``x[idx] = v``, ``masked_scatter``), ``take``, ``masked_select``, ``prelu``,
``bilinear``, the median of all elements, linear solves, attention weights and the values samplers
draw with tensor parameters (``bernoulli``, ``normal``).

Written in the same physical terms as the rules there; imported by it, which registers them.
"""

from __future__ import annotations

from .. import backend as B
from ..autograd import function as _function
from ..autograd.function import Op
from ..errors import KittyRuntimeError
from ..ops import activation as _act
from ..ops import comparison as _cmp
from ..ops import conversion as _conv
from ..ops import decompositions as _decomp
from ..ops import gather_scatter as _gs
from ..ops import indexing as _idx
from ..ops import inverses as _inverses
from ..ops import _prep
from ..ops import linalg as _linalg
from ..ops import random_ops as _random
from ..ops import sliding_windows as _sliding
from ..ops import solvers as _solvers
from ..ops import sorting as _sorting
from ..ops import view_scatter as _view_scatter
from ..ops.nn import attention as _attention
from ..ops.nn import linear as _lin
from ..tensor import Tensor
from ._batched import _Logical, _physical_at, random_in_error_mode, same_randomness_of_batched_input
from ._batching_rules import (
    INPLACE_RULES,
    RULES,
    _expanded,
    _leading_dims,
    _mine,
    _mine_array,
    _names,
    _pad,
    _pad_any,
    _params_mine,
    _rank,
    _shifting,
    _wrap,
    matmul_rule,
)


# ---- the add-matmul family -------------------------------------------------------------------

def add_matmul_rule(level, cls, args, params):
    """addmm / addmv / baddbmm / addbmm: the product by the matmul rule, then ``beta`` and ``alpha``
    as elementwise ops (the fused op's backward assumes unbatched shapes for its operands)."""
    inp, a, b = args
    if _params_mine(params, level):
        return NotImplemented
    beta, alpha = params.get("beta", 1), params.get("alpha", 1)
    if _mine(a, level) or _mine(b, level):
        prod = matmul_rule(level, _linalg.Matmul, (a, b), {})
        if prod is NotImplemented:
            return NotImplemented
        prod, batched = prod._phys, True
    else:
        prod, batched = _linalg.Matmul.apply(a, b), False
    if params.get("sum_batch", False):  # addbmm: the sample's own batch of products is summed
        prod = prod.sum(1 if batched else 0)
    out_rank = prod._data.ndim - (1 if batched else 0)
    out = prod if alpha == 1 else prod * alpha  # as the op: a product by 1 is skipped, exactly
    if beta != 0:  # beta == 0 ignores input (so NaN in it does not propagate), as the op and torch
        term = _pad_any(inp, out_rank, level)
        out = out + (term if beta == 1 else term * beta)
        batched = batched or _mine(inp, level)
    if not batched:  # only the ignored input was batched: every sample gets the same product
        out = out.unsqueeze(0).expand((level.size,) + tuple(out._data.shape))
    return _wrap(out.to(a.dtype) if out._data.dtype != a._data.dtype else out, level)


# ---- writes through an index: x[idx] = v, index_put, masked_scatter ----------------------------

def _is_array_item(v) -> bool:
    return type(v) is _Logical or B.is_array(v) or type(v) is bool


def _index_plan(level, items):
    """How one sample's index ``items`` reads the physical tensor: ``(how, physical, lead)``, or
    NotImplemented. ``how`` is "prefix" (the index is shared: a full slice for the batch dim goes
    before it), "rows" (per-sample integer indices: an ``arange`` over the batch goes right before
    them) or "mask" (a per-sample bool mask: ``physical`` is the mask's physical array). ``lead`` is
    the number of full slices before the per-sample index: the batch dim moves behind them, so
    that the arange stands next to the indices (NumPy keeps the result dims of advanced indices
    in place only when they stand together)."""
    items = tuple(items)
    arrays = [i for i, v in enumerate(items) if _is_array_item(v)]
    if not arrays:
        return "prefix", (slice(None),) + items, 0
    # with an array among them, ints index like arrays
    advanced = sorted(set(arrays) | {i for i, v in enumerate(items) if isinstance(v, int)})
    if advanced != list(range(advanced[0], advanced[-1] + 1)):
        return NotImplemented  # parted advanced indices put their dims first
    mine = [i for i in arrays if _mine_array(items[i], level)]
    if not mine:
        return "prefix", (slice(None),) + items, 0
    if any(type(items[i]) is _Logical and i not in mine for i in arrays):
        return NotImplemented  # indices batched at different levels
    lead = advanced[0]
    if any(v is not Ellipsis and v != slice(None) for v in items[:lead]):
        return NotImplemented
    if any(B.xp.dtype(items[i].dtype).kind == "b" for i in arrays if type(items[i]) is not bool):
        rest_is_full = all(v is Ellipsis or v == slice(None) for v in items[lead + 1 :])
        if advanced != [lead] or not rest_is_full or Ellipsis in items[:lead]:
            return NotImplemented
        physical = items[lead].owner._phys._data
        return ("mask", physical, lead) if type(physical) is B.xp.ndarray else NotImplemented
    if Ellipsis in items[:lead]:
        return NotImplemented
    new = [v.owner._phys._data if i in mine else v for i, v in enumerate(items)]
    depth = max(B.xp.ndim(new[i]) for i in arrays)
    rows = B.xp.arange(level.size).reshape((level.size,) + (1,) * (depth - 1))
    return "rows", items[:lead] + (rows,) + tuple(new[lead:]), lead


def _region_rank(sample_shape, items) -> int | None:
    """The rank of ``x[items]`` for one sample (from arrays that hold no memory), or None."""
    region = B.xp.lib.stride_tricks.as_strided(B.xp.zeros(1), shape=sample_shape, strides=(0,) * len(sample_shape))
    stand_ins = tuple(B.xp.zeros(v.shape, v.dtype) if type(v) is _Logical else v for v in items)
    try:
        return B.xp.ndim(region[stand_ins])
    except (IndexError, ValueError):
        return None


def _as_tensor(value, like: Tensor):
    return value if isinstance(value, Tensor) else Tensor._wrap(B.xp.asarray(value, dtype=like._data.dtype))


def _value_for_region(level, value, rank: int, lead: int):
    """``value`` shaped for the physical region of a write: the batch dim (a 1 where ``value`` is
    not batched) at ``lead``, where the batch dim of the written tensor was moved."""
    if _mine(value, level):
        return _pad(value, rank).movedim(0, lead) if lead else _pad(value, rank)
    r = _rank(value)
    if not lead or r <= rank - lead:
        return value  # it broadcasts against the dims after the batch dim only
    shape = (1,) * (rank - r) + tuple(value._data.shape)  # (a value of rank > 0 is a Tensor)
    return value.reshape(shape[:lead] + (1,) + shape[lead:])


def _index_put_physical(level, cls, x, value, idx):
    """``cls`` (IndexPut or IndexPutAccumulate) on physical tensors: ``("result", out)`` (computed),
    ``("write", target, value, index, lead)`` (to run, on ``target`` moved by ``lead``) or
    NotImplemented."""
    items = idx if isinstance(idx, tuple) else (idx,)
    shape = tuple(x._data.shape)
    plan = _index_plan(level, items)
    if plan is NotImplemented:
        return NotImplemented
    how, physical, lead = plan
    px = _expanded(x, level)
    if how == "mask":
        # one sample's x[mask] = v is where(mask, v, x) when v broadcasts over the dims after the mask
        rest = len(shape) - lead - (physical.ndim - 1)
        if _rank(value) > rest or physical.shape[1:] != shape[lead : lead + physical.ndim - 1]:
            return NotImplemented  # one value per True element (their count differs per sample), or a bad mask
        cond = Tensor._wrap(physical.reshape((level.size,) + (1,) * lead + physical.shape[1:] + (1,) * rest))
        v = _pad_any(_as_tensor(value, x), len(shape), level)
        if cls is _idx.IndexPut:
            return "result", _cmp.where(cond, v, px)
        return "result", px + _cmp.where(cond, v, 0)
    rank = _region_rank(shape, items)
    if rank is None or (_mine(value, level) and value._data.ndim > rank):
        return NotImplemented
    return "write", px, _value_for_region(level, value, rank, lead), physical, lead


def index_rule(level, cls, args, params):
    """``x[idx]`` with ``x`` or an index array batched: one read of the physical tensor, the index
    laid out by :func:`_index_plan` (a per-sample bool mask selects a different count per sample:
    that goes to the loop)."""
    x = args[0]
    idx = args[1] if len(args) > 1 else params["idx"]
    if any(_mine(a, level) for a in args[2:]) or not isinstance(idx, tuple):
        return NotImplemented
    plan = _index_plan(level, idx)
    if plan is NotImplemented or plan[0] == "mask":
        return NotImplemented
    how, physical, lead = plan
    if how == "prefix":
        return _wrap(cls.apply(x._phys, physical), level) if _mine(x, level) else NotImplemented
    px = _expanded(x, level)
    if not lead:
        return _wrap(cls.apply(px, physical), level)
    # the batch dim stands behind the leading full slices, beside the per-sample indices, and the
    # result's batch dim comes out there too
    return _wrap(cls.apply(px.movedim(0, lead), physical).movedim(lead, 0), level)


def index_select_rule(level, cls, args, params):
    """``x.index_select(axis, idx)``: a shared index selects along the physical axis; a per-sample
    index reads each sample's rows by one advanced index (an arange over the batch beside it)."""
    x, idx = args[0], args[1]
    axis = params.get("axis", args[2] if len(args) > 2 else 0)
    if len(args) > 3 or _params_mine(params, level):
        return NotImplemented
    axis %= max(x._data.ndim, 1)
    if not _mine_array(idx, level):
        if type(idx) is _Logical or not _mine(x, level):
            return NotImplemented  # an index batched at another level, or nothing batched here
        return _wrap(cls.apply(x._phys, idx, axis=axis + 1), level)
    physical = idx.owner._phys._data
    if type(physical) is not B.xp.ndarray or physical.ndim != 2:
        return NotImplemented
    rows = B.xp.arange(level.size)[:, None]
    moved = _expanded(x, level).movedim(0, axis)
    out = _idx.Index.apply(moved, (slice(None),) * axis + (rows, physical))
    return _wrap(out.movedim(axis, 0), level)


def as_strided_rule(level, cls, args, params):
    """``as_strided`` of each sample (offsets relative to the sample, as kittygrad's are): one view of
    a contiguous physical tensor, whose batch dim steps over one sample's elements."""
    if len(args) != 4 or params:
        return NotImplemented
    x, size, stride, offset = args  # (as ops.sliding_windows.as_strided passes them)
    if not _mine(x, level):
        return NotImplemented
    physical = x._phys
    if not physical._data.flags.c_contiguous:
        return NotImplemented
    per_sample = int(B.xp.prod(physical._data.shape[1:], dtype=B.xp.int64))
    return _wrap(cls.apply(physical, (level.size,) + tuple(size), (per_sample,) + tuple(stride), offset), level)


def bundle_rule(level, cls, args, params):
    """The results of ``var_mean``/``aminmax`` as one node's outputs: the same, batch dims and all."""
    return _wrap(cls.apply(*[_expanded(a, level) for a in args], **params), level)


def index_put_rule(level, cls, args, params):
    """Out-of-place ``index_put`` (``accumulate`` or not) of a batched tensor, value or index."""
    x, value = args[0], args[1]
    idx = args[2] if len(args) > 2 else params.get("idx")
    if _params_mine({k: v for k, v in params.items() if k != "idx"}, level) or len(args) > 3:
        return NotImplemented
    done = _index_put_physical(level, cls, x, value, idx)
    if done is NotImplemented:
        return NotImplemented
    if done[0] == "result":
        return _wrap(done[1], level)
    _, px, pv, physical, lead = done
    if not lead:
        return _wrap(cls.apply(px, pv, physical), level)
    return _wrap(cls.apply(px.movedim(0, lead), pv, physical).movedim(lead, 0), level)


def index_put_inplace(level, cls, target, args, params):
    """``target[idx] = value`` (or ``index_put_``) on a batched target, through its physical tensor."""
    value = args[0]
    idx = args[1] if len(args) > 1 else params.get("idx")
    if len(args) > 2 or _params_mine({k: v for k, v in params.items() if k != "idx"}, level):
        return NotImplemented
    done = _index_put_physical(level, cls, target, value, idx)
    if done is NotImplemented:
        return NotImplemented
    if done[0] == "result":  # the new values computed out of place, then written as one copy_
        _function.apply_inplace(_conv.Copy, target._phys, done[1])
        return target
    _, _, pv, physical, lead = done
    _function.apply_inplace(cls, target._phys.movedim(0, lead) if lead else target._phys, pv, physical)
    return target


def _physical_mask(mask, level, shape):
    """A bool mask (batched at ``level`` or shared) as a NumPy array of the physical shape, or None."""
    if _mine_array(mask, level):
        physical = mask.owner._phys._data
    elif type(mask) is B.xp.ndarray:
        physical = mask
    else:
        return None  # batched at another level: its values are not here
    return B.xp.broadcast_to(physical, (level.size,) + tuple(shape)) if type(physical) is B.xp.ndarray else None


def masked_scatter_rule(level, cls, args, params):
    """Each sample's True positions take its source's leading elements in order: the k-th True
    element (a running count over the sample's mask) reads source element k, by one gather."""
    x, src, mask = args
    if _params_mine(params, level):
        return NotImplemented
    shape = tuple(x._data.shape)
    m = _physical_mask(mask, level, shape)
    if m is None or src._data.size == 0:
        return NotImplemented
    flat = m.reshape((level.size, -1))
    if flat.shape[1] and int(flat.sum(1).max()) > src._data.size:
        raise KittyRuntimeError(_gs.MASKED_SCATTER_SHORT)
    order = B.xp.maximum(B.xp.cumsum(flat, axis=1) - 1, 0)  # non-mask positions read element 0, unused
    source = _expanded(src, level).reshape((level.size, -1))
    picked = _gs.Gather.apply(source, order, axis=1).reshape((level.size,) + shape)
    return _wrap(_cmp.where(Tensor._wrap(m), picked, _pad_any(x, len(shape), level)), level)


def masked_select_rule(level, cls, args, params):
    """A shared mask selects the same positions in every sample; a per-sample mask works only
    when it holds as many Trues in every sample (the result is one tensor)."""
    x, mask = args
    shape = tuple(x._data.shape)
    m = _physical_mask(mask, level, shape)
    if m is None:
        return NotImplemented
    if not _mine_array(mask, level):
        return _wrap(_idx.Index.apply(_expanded(x, level), (slice(None), mask)), level)
    counts = m.reshape((level.size, -1)).sum(1)
    if counts.size and (counts != counts[0]).any():
        raise KittyRuntimeError(
            "vmap: masked_select's result has as many elements as its mask has Trues, and the batched mask "
            f"holds a different number in each sample ({sorted(set(counts.tolist()))}), so the results cannot "
            "be stacked into one tensor (torch's vmap refuses data-dependent shapes too). Use "
            "torch.where(mask, x, 0) or masked_fill instead."
        )
    picked = _idx.Index.apply(_expanded(x, level), (m,))
    return _wrap(picked.reshape((level.size, int(counts[0]) if counts.size else 0)), level)


def take_rule(level, cls, args, params):
    """``take`` reads the flattened sample: a gather along the flat dim of each sample's row."""
    x, idx = args
    if _params_mine(params, level):
        return NotImplemented
    shape = tuple(idx.shape)
    if _mine_array(idx, level):
        physical = idx.owner._phys._data
        if not _mine(x, level) and type(physical) is B.xp.ndarray:
            return _wrap(cls.apply(x, physical), level)  # one tensor read at each sample's indices
    else:
        physical = B.xp.broadcast_to(idx, (level.size,) + shape)
    rows = _expanded(x, level).reshape((level.size, -1))
    picked = _gs.Gather.apply(rows, physical.reshape((level.size, -1)), axis=1)
    return _wrap(picked.reshape((level.size,) + shape), level)


# ---- nn: prelu, bilinear, attention weights -----------------------------------------------------

def _prelu_weight_shape(rank: int, size: int) -> tuple:
    """Where prelu puts one sample's weights: along its channel dim (dim 1, or 0 for a vector)."""
    shape = [1] * rank
    if rank >= 2:
        shape[1] = size
    elif rank == 1:
        shape[0] = size
    return tuple(shape)


def prelu_rule(level, cls, args, params):
    x, w = args
    r = x._data.ndim
    if _mine(w, level):  # per-sample slopes: the op's formula, with the batch dim leading them
        pw = w._phys.reshape((level.size,) + _prelu_weight_shape(r, w._data.size))
        px = _pad(x, r) if _mine(x, level) else x
        return _wrap(_cmp.where(px > 0, px, pw * px), level)
    px = x._phys
    if r < 2:  # the physical (B, C) or (B,) puts the channels where the op looks for them
        return _wrap(cls.apply(px, w), level)
    # (B, N, C, ...) -> (B * N, C, ...): the channel dim back at dim 1
    merged = px.reshape((-1,) + tuple(x._data.shape[1:]))
    return _wrap(cls.apply(merged, w).reshape((level.size,) + tuple(x._data.shape)), level)


def bilinear_rule(level, cls, args, params):
    x1, x2, w, b = args
    lead = tuple(x1._data.shape[:-1])
    out_features = w._data.shape[0]
    p1, p2 = _expanded(x1, level), _expanded(x2, level)
    if not _mine(w, level) and not _mine(b, level):  # the batch is one more leading dim
        return _wrap(cls.apply(p1, p2, w, b), level)
    # per-sample weights: one contraction with the batch dim on every operand
    rows1 = p1.reshape((level.size, -1, x1._data.shape[-1]))
    rows2 = p2.reshape((level.size, -1, x2._data.shape[-1]))
    out = _linalg.einsum("bni,boij,bnj->bno", rows1, _expanded(w, level), rows2)
    if b is not None:
        out = out + (b._phys.unsqueeze(1) if _mine(b, level) else b)
    return _wrap(out.reshape((level.size,) + lead + (out_features,)), level)


def attention_weights_rule(level, cls, args, params):
    """The samples' (n * heads) rows are merged into one batch of B * n, and split back."""
    bound = dict(zip(_names(cls), args))
    bound.update(params)
    w, n, heads, average, batched = (bound[k] for k in ("w", "n", "heads", "average", "batched"))
    if not _mine(w, level) or _params_mine(params, level):
        return NotImplemented
    sample = tuple(w._data.shape)
    merged = w._phys.reshape((level.size * sample[0],) + sample[1:])
    passed, returned = cls.apply(merged, level.size * n, heads, average, True)
    returned = returned.reshape((level.size, n) + tuple(returned._data.shape[1:]))
    if not batched:
        returned = returned.select(1, 0)
    return _wrap((passed.reshape((level.size,) + sample), returned), level)


# ---- the median of all elements -----------------------------------------------------------------

class RowMedian(Op):
    """The lower median of each row (the last dim), as ``MedianAll`` takes it of all elements:
    NaN if a NaN is in the row (unless ``ignore_nan``: then of the others); ties share the gradient."""

    saved_fields = ("count", "mask")
    _name = "MedianBackward0"

    def forward(self, x, ignore_nan=False):
        xp = self.xp
        n = x.shape[-1]
        floating = x.dtype.kind == "f"
        ordered = xp.sort(x, axis=-1)  # NaN sorts last
        nan = xp.isnan(x) if floating else xp.zeros(x.shape, bool)
        valid = n - nan.sum(-1) if ignore_nan else xp.full(x.shape[:-1], n)
        pos = xp.maximum((valid - 1) // 2, 0)
        if n:
            out = xp.take_along_axis(ordered, pos[..., None], -1)[..., 0]
        else:
            out = xp.zeros(x.shape[:-1], x.dtype)
        empty = (valid == 0) if ignore_nan or not n else xp.zeros(x.shape[:-1], bool)
        if floating:
            has_nan = nan.any(-1) if not ignore_nan else xp.zeros(x.shape[:-1], bool)
            out = xp.where(empty | has_nan, xp.nan, out)
        else:
            out = xp.where(empty, 0, out)
        out = xp.asarray(out, dtype=x.dtype)
        mask = x == out[..., None]
        if floating:
            mask |= nan & xp.isnan(out)[..., None]
        self.mask, self.count = mask, xp.maximum(mask.sum(-1, keepdims=True), 1)
        return out

    def backward(self, g):
        xp = self.xp
        return (xp.where(self.mask, g[..., None] / self.count.astype(g.dtype), 0).astype(g.dtype, copy=False),)


def median_all_rule(level, cls, args, params):
    (x,) = args
    if _params_mine(params, level):
        return NotImplemented
    rows = x._phys.reshape((level.size, -1))
    return _wrap(RowMedian.apply(rows, **params), level)


# ---- linear solves ------------------------------------------------------------------------------

def solve_rule(level, cls, args, params):
    """NumPy's solve broadcasts the batch dims (ranks aligned: under a nested vmap one operand may
    carry an inner level's batch dim), and the op's gradients sum back to each input's shape."""
    if _params_mine(params, level):
        return NotImplemented
    rank = max(a._data.ndim for a in args)
    return _wrap(cls.apply(*[_pad_any(a, rank, level) for a in args], **params), level)


def expanded_solve_rule(level, cls, args, params):
    """Triangular and Cholesky solves: their gradients keep the full batch shape, so both operands
    get one batch shape (expanded where they had less: the expansion sums the gradient back)."""
    if _params_mine(params, level):
        return NotImplemented
    rank = max(a._data.ndim for a in args)
    padded = [_pad(a, rank) if _mine(a, level) else a for a in args]
    batch = B.broadcast_shapes(*[tuple(p._data.shape[:-2]) for p in padded])
    return _wrap(cls.apply(*[p.expand(batch + tuple(p._data.shape[-2:])) for p in padded], **params), level)


# ---- samples drawn with tensor parameters ----------------------------------------------------------

def sample_rule(level, cls, args, params):
    """The values a sampler drew (normal's, bernoulli's) as an op of its tensor parameters, with
    zero gradients: the values as drawn (batched when each sample drew its own, else shared by
    all), the parameters expanded along the batch (their gradients sum back). Batched parameters
    ask for per-sample draws: under randomness "error" and "same" that is torch's error."""
    if any(_mine(a, level) for a in args):
        if level.randomness == "error":
            raise random_in_error_mode()
        if level.randomness == "same":
            raise same_randomness_of_batched_input()
    physical = _physical_at(params.get("values"), level)
    out = cls.apply(*[_expanded(a, level) for a in args], **dict(params, values=physical))
    return _wrap(out, level)


# ---- the table -------------------------------------------------------------------------------

RULES[_linalg.AddMatmul] = add_matmul_rule
RULES[_idx.Index] = index_rule
RULES[_prep.Bundle] = bundle_rule
RULES[_sliding.AsStrided] = as_strided_rule
RULES[_gs.IndexSelect] = index_select_rule
INDEX_PUTS = (_idx.IndexPut, _view_scatter.IndexPutAccumulate)
for _cls in INDEX_PUTS:
    RULES[_cls] = index_put_rule
    INPLACE_RULES[_cls] = index_put_inplace
RULES[_gs.MaskedScatter] = masked_scatter_rule
RULES[_gs.MaskedSelect] = masked_select_rule
RULES[_gs.Take] = take_rule
RULES[_act.Prelu] = prelu_rule
RULES[_lin.Bilinear] = bilinear_rule
RULES[_attention.AttentionWeights] = attention_weights_rule
RULES[_sorting.MedianAll] = median_all_rule
RULES[RowMedian] = _shifting(_leading_dims)  # (nested vmap) rows of any leading dims
RULES[_inverses.Solve] = solve_rule
RULES[_random.ZeroGradSample] = sample_rule
RULES[_decomp.SolveTriangular] = RULES[_solvers.CholeskySolve] = expanded_solve_rule
