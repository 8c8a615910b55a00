"""Batching rules: how an op runs on the physical tensors of ``vmap``'s batched inputs.

A rule gets the op class, its arguments and parameters as the wrapper computed them for *one
sample* (logical shapes and dims), and runs the op once on the physical tensors (batch dim first):
elementwise ops align ranks so broadcasting cannot mix the batch dim with a sample dim; ops with a
dim parameter get it shifted past the batch dim; the matmul family, linear, conv and embedding take
per-sample weights (what ``grad`` inside ``vmap`` differentiates) by batched GEMMs, grouped
convolution and gathers; losses run unreduced and reduce per sample. A rule returns
``NotImplemented`` for a case it does not cover, and the op then runs once per sample and the
results are stacked (``loop``), with a warning naming the op, once. More rules (the add-matmul
family, writes through an index, solves, ...) live in ``_batching_rules_more``, which adds them to
``RULES`` and ``INPLACE_RULES`` (the package imports it).
"""

from __future__ import annotations

import inspect
import warnings

from .. import backend as B
from .._runtime import first_warning
from ..autograd import function as _function
from ..autograd.function import Op
from ..ops import activation as _act
from ..ops import arithmetic as _arith
from ..ops import comparison as _cmp
from ..ops import conversion as _conv
from ..ops import decompositions as _decomp
from ..ops import eigen as _eigen
from ..ops import gather_scatter as _gs
from ..ops import indexing as _idx
from ..ops import inplace_twins as _twins
from ..ops import inverses as _inverses
from ..ops import joining as _join
from ..ops import linalg as _linalg
from ..ops import matrix_functions as _matfun
from ..ops import norms as _norms
from ..ops import pointwise as _pw
from ..ops import reduction as _red
from ..ops import scans as _scans
from ..ops import shape as _shape
from ..ops import sorting as _sorting
from ..ops import sliding_windows as _sliding
from ..ops import solvers as _solvers
from ..ops import special as _special
from ..ops import unary as _unary
from ..ops.nn import conv as _nnconv
from ..ops.nn import embedding as _emb
from ..ops.nn import linear as _lin
from ..ops.nn import loss as _loss
from ..ops.nn import normalization as _nnorm
from ..ops.nn import padding as _pad_ops
from ..ops.nn import pooling as _pool
from ..ops.nn import recurrent as _rec
from ..tensor import Tensor
from ..errors import KittyRuntimeError
from ._batched import BatchedTensor, Level, VmapFallback, _Logical, batched_at, is_batched_at, uneven_results
from ._batched import levels as _levels
from ._batched import release_batched, remember_write, stand_in_for

_warned: set = set()


def _mine(a, level: Level) -> bool:
    return type(a) is BatchedTensor and a._level is level


def _mine_array(v, level: Level) -> bool:
    return type(v) is _Logical and v.owner._level is level


def _params_mine(params: dict, level: Level) -> bool:
    for v in params.values():
        if type(v) is _Logical:
            if v.owner._level is level:
                return True
        elif type(v) in (tuple, list) and any(_mine_array(x, level) for x in v):
            return True
    return False


def _names(cls) -> list:
    names = cls.__dict__.get("_forward_names")
    if names is None:
        names = [p.name for p in inspect.signature(cls.forward).parameters.values()][1:]
        cls._forward_names = names
    return names


def _pad(a: BatchedTensor, rank: int) -> Tensor:
    """``a``'s physical tensor with 1s inserted after the batch dim up to logical ``rank``."""
    r = a._data.ndim
    p = a._phys
    if rank > r:
        p = p.reshape((p._data.shape[0],) + (1,) * (rank - r) + tuple(a._data.shape))
    return p


def _rank(a) -> int:
    if isinstance(a, Tensor):
        return a._data.ndim
    return a.ndim if type(a) is _Logical else B.xp.ndim(a)


def _pad_any(a, rank: int, level: Level):
    """``_pad`` for a batched tensor or a batched stand-in array; anything else as it is."""
    if _mine(a, level):
        return _pad(a, rank)
    if _mine_array(a, level):
        return a._physical(rank)
    return a


def _wrap(out, level: Level):
    if type(out) is tuple:
        return tuple(_wrap_one(o, level) for o in out)
    return _wrap_one(out, level)


def _wrap_one(out: Tensor, level: Level) -> Tensor:
    shape = out._data.shape
    if out._data.size == 0 and (not shape or shape[0] != level.size):
        return out  # an empty placeholder without a batch dim (qr's Q in mode 'r'): the same for every sample
    return BatchedTensor.make(out, level)


def _expanded(a: Tensor, level: Level) -> Tensor:
    """The physical tensor of ``a`` batched at ``level`` (a plain ``a`` expanded along it)."""
    return batched_at(a, level)._phys


def _dim(d: int, rank: int) -> int:
    """Logical dim ``d`` (maybe negative) of a rank-``rank`` sample as a physical dim."""
    if d < 0:
        d += max(rank, 1)
    return d + 1


# ---- the rules -------------------------------------------------------------------------------

def elementwise(level, cls, args, params):
    if _params_mine(params, level):
        return NotImplemented
    rank = max(_rank(a) for a in args if isinstance(a, Tensor) or type(a) is _Logical)
    new = [_pad_any(a, rank, level) for a in args]
    return _wrap(cls.apply(*new, **params), level)


def _shifting(translate):
    """A rule for ops of one batched tensor (args[0]) whose dim parameters ``translate`` shifts."""

    def rule(level, cls, args, params):
        if any(_mine(a, level) or _mine_array(a, level) for a in args[1:]) or _params_mine(params, level):
            return NotImplemented
        names = _names(cls)
        bound = dict(zip(names, args))
        bound.update(params)
        new = translate(bound, args[0]._data.ndim, level)
        if new is NotImplemented:
            return NotImplemented
        positional = [new.pop(n) if n in new else bound[n] for n in names[: len(args)]]
        positional[0] = args[0]._phys
        return _wrap(cls.apply(*positional, **new), level)

    return rule


def _axes_all(name):
    def translate(b, r, level):
        v = b.get(name)
        if v is None:
            b[name] = tuple(range(1, r + 1))
        elif isinstance(v, int):
            b[name] = _dim(v, r) if r else NotImplemented
        else:
            b[name] = tuple(_dim(d, r) for d in v) if r else NotImplemented
        return NotImplemented if b[name] is NotImplemented else b

    return translate


def _axis(name, extra=0):
    def translate(b, r, level):
        v = b.get(name)
        if not isinstance(v, int) or (r + extra == 0):
            return NotImplemented
        b[name] = _dim(v, r + extra)
        return b

    return translate


def _axes_tuple(name):
    def translate(b, r, level):
        v = b.get(name)
        if v is None or r == 0:
            return NotImplemented
        b[name] = tuple(_dim(d, r) for d in (v if isinstance(v, (tuple, list)) else (v,)))
        return b

    return translate


def _transpose(b, r, level):
    if r == 0:
        return NotImplemented
    b["dim0"], b["dim1"] = _dim(b["dim0"], r), _dim(b["dim1"], r)
    return b


def _permute(b, r, level):
    b["dims"] = (0,) + tuple(_dim(d, r) for d in b["dims"])
    return b


def _reshape(b, r, level):
    b["shape"] = (level.size,) + tuple(b["shape"])
    return b


def _diagonal(b, r, level):
    b["dim1"], b["dim2"] = _dim(b["dim1"], r), _dim(b["dim2"], r)
    return b


def _diag_embed(b, r, level):
    b["dim1"], b["dim2"] = _dim(b["dim1"], r + 1), _dim(b["dim2"], r + 1)
    return b


def _select(b, r, level):
    idx = b["idx"]
    b["idx"] = (slice(None),) + (idx if isinstance(idx, tuple) else (idx,))
    return b


def _pads(b, r, level):
    pads = tuple(b["pads"])
    if len(pads) != r:
        return NotImplemented
    b["pads"] = ((0, 0),) + pads
    return b


def einsum_rule(level, cls, args, params):
    inputs, output = list(params.get("inputs", ())), params.get("output", "")
    if _params_mine(params, level) or len(inputs) != len(args):
        return NotImplemented
    used = set("".join(inputs) + output)
    letter = next(c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in used)
    arrays = []
    for i, a in enumerate(args):
        if _mine(a, level):
            inputs[i] = letter + inputs[i]
            arrays.append(a._phys)
        else:
            arrays.append(a)
    return _wrap(cls.apply(*arrays, inputs=tuple(inputs), output=letter + output), level)


def _leading_dims(b, r, level):
    return b  # the op works on trailing dims and takes any leading ones


def expand_rule(level, cls, args, params):
    x = args[0]
    if not _mine(x, level):
        return NotImplemented
    shape = tuple(params.get("shape", args[1] if len(args) > 1 else ()))
    p = _pad(x, len(shape))
    return _wrap(cls.apply(p, (level.size,) + shape), level)


def _joined(level, cls, args, params):
    """cat / stack: every input batched (expanded where not), the axis shifted."""
    axis = params.get("axis", 0)
    ranks = {a._data.ndim for a in args}
    r = max(ranks) + (1 if cls is _join.Stack else 0)
    if r == 0:
        return NotImplemented
    phys = [_expanded(a, level) for a in args]
    if cls is _join.Cat and any(a._data.ndim == 1 and a._data.shape[0] == 0 for a in args):
        return NotImplemented  # torch's legacy skipping of empty 1-D inputs
    return _wrap(cls.apply(*phys, axis=_dim(axis, r)), level)


def _both_batched(translate=None):
    """Ops of several same-rank tensors (gather, cross): all batched, dims shifted."""

    def rule(level, cls, args, params):
        if _params_mine(params, level):
            return NotImplemented
        names = _names(cls)
        bound = dict(zip(names, args))
        bound.update(params)
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        r = args[0]._data.ndim
        if translate is not None:
            bound = translate(bound, r, level)
            if bound is NotImplemented:
                return NotImplemented
        positional = [bound.pop(n) for n in names[: len(args)]]
        for i in tensors:
            positional[i] = _expanded(args[i], level)
        for i, a in enumerate(args):
            if _mine_array(a, level):
                positional[i] = a.owner._phys._data
            elif type(a) is B.xp.ndarray:
                positional[i] = B.xp.broadcast_to(a, (level.size,) + a.shape)
        return _wrap(cls.apply(*positional, **bound), level)

    return rule


def index_along_axis_rule(level, cls, args, params):
    """index_add / index_copy / index_fill: the input and source batched (expanded where not),
    the index vector shared by every sample, the axis shifted."""
    x = args[0]
    r = x._data.ndim
    if r == 0 or _params_mine(params, level) or any(_mine_array(a, level) for a in args):
        return NotImplemented
    new = []
    for a in args:
        if isinstance(a, Tensor) and (a is x or a._data.ndim == r):
            new.append(_expanded(a, level))
        elif _mine(a, level):
            return NotImplemented  # a per-sample fill value
        else:
            new.append(a)
    return _wrap(cls.apply(*new, **dict(params, axis=_dim(params.get("axis", 0), r))), level)


def matmul_rule(level, cls, args, params):
    a, b = args[0], args[1]
    ra, rb = a._data.ndim, b._data.ndim
    if ra == 0 or rb == 0:
        return NotImplemented
    if not _mine(b, level) and _mine(a, level) and (rb == 2 or 2 <= rb <= ra):
        # a stack times fixed matrices, as is: b's own batch dims (if any) meet a's trailing ones.
        # (Not when b has more dims than a: they would meet the batch dim.)
        return _wrap(_linalg.Matmul.apply(a._phys, b), level)
    squeeze = []
    if _mine(a, level):
        pa = a._phys
        if ra == 1:
            pa, ra = pa.unsqueeze(1), 2
            squeeze.append(-2)
    else:
        pa = a
    if _mine(b, level):
        pb = b._phys
        if rb == 1:
            pb, rb = pb.unsqueeze(-1), 2
            squeeze.append(-1)
    else:
        pb = b
        if rb == 1:
            pb, rb = b.unsqueeze(-1), 2
            squeeze.append(-1)
    if not _mine(a, level) and ra == 1:
        pa, ra = a.unsqueeze(0), 2
        squeeze.append(-2)
    rank = max(ra, rb)
    if _mine(a, level) and ra < rank:
        pa = pa.reshape((level.size,) + (1,) * (rank - ra) + tuple(pa._data.shape[1:]))
    if _mine(b, level) and rb < rank:
        pb = pb.reshape((level.size,) + (1,) * (rank - rb) + tuple(pb._data.shape[1:]))
    out = _linalg.Matmul.apply(pa, pb)
    for d in sorted(squeeze):
        out = out.squeeze(d)
    return _wrap(out, level)


def linear_rule(level, cls, args, params):
    x, w, b = args
    if not _mine(w, level) and not _mine(b, level):
        return _wrap(_lin.Linear.apply(x._phys, w, b), level)
    if x._data.ndim == 0:
        return NotImplemented
    pw = _expanded(w, level)  # (B, out, in)
    lead = tuple(x._data.shape[:-1])
    if _mine(x, level):
        px = x._phys.reshape((level.size, -1, x._data.shape[-1]))
    else:
        px = x.reshape((-1, x._data.shape[-1]))
    out = _linalg.Matmul.apply(px, pw.transpose(-1, -2))  # (B, rows, out)
    if b is not None:
        out = out + (b._phys.unsqueeze(1) if _mine(b, level) else b)
    return _wrap(out.reshape((level.size,) + lead + (w._data.shape[0],)), level)


def conv_rule(level, cls, args, params):
    x, w, b = args
    k = w._data.ndim - 2
    if x._data.ndim != k + 2 or _params_mine(params, level):
        return NotImplemented
    if not _mine(w, level) and not _mine(b, level):
        px = x._phys
        n = x._data.shape[0]
        out = cls.apply(px.reshape((level.size * n,) + tuple(x._data.shape[1:])), w, b, **params)
        return _wrap(out.reshape((level.size, n) + tuple(out._data.shape[1:])), level)
    if cls is not _nnconv.ConvNd:
        return NotImplemented
    # per-sample weights: the samples become groups of one convolution
    groups = params.get("groups", 1)
    n, c = x._data.shape[0], x._data.shape[1]
    px = _expanded(x, level)  # (B, N, C, *spatial)
    px = px.transpose(0, 1).reshape((n, level.size * c) + tuple(x._data.shape[2:]))
    pw = _expanded(w, level)
    o = w._data.shape[0]
    pw = pw.reshape((level.size * o,) + tuple(w._data.shape[1:]))
    pb = _expanded(b, level).reshape((level.size * o,)) if b is not None else None
    out = cls.apply(px, pw, pb, **dict(params, groups=groups * level.size))
    spatial = tuple(out._data.shape[2:])
    out = out.reshape((n, level.size, o) + spatial).transpose(0, 1)
    return _wrap(out, level)


def pool_rule(level, cls, args, params):
    x = args[0]
    k = len(params.get("kernel", ()))
    if any(_mine(a, level) for a in args[1:]) or _params_mine(params, level) or not k:
        return NotImplemented
    shape = tuple(x._data.shape)
    if len(shape) == k + 1:
        return _wrap(cls.apply(x._phys, *args[1:], **params), level)
    lead = shape[: len(shape) - k - 1]
    flat = x._phys.reshape((-1,) + shape[-k - 1 :])
    out = cls.apply(flat, *args[1:], **params)

    def back(o):
        return o.reshape((level.size,) + lead + tuple(o._data.shape[1:]))

    return _wrap(tuple(back(o) for o in out) if type(out) is tuple else back(out), level)


def _physical_stat(stat, level: Level):
    """A stored statistic for a batched Norm: its physical array when batched at ``level`` (batch
    dim first), else the shared array with a leading 1 that broadcasts over the batch."""
    if _mine_array(stat, level):
        return stat.owner._phys._data
    return stat.reshape((1,) + tuple(stat.shape))


class _PerSampleStats:
    """What a batched batch norm in training mode leaves in the wrapper's ``sink``: reading it (to
    update running statistics) asks for the per-sample loop, as those updates are per sample."""

    def __getattr__(self, name: str):
        raise VmapFallback("batch_norm updates its running statistics per sample")


def norm_rule(level, cls, args, params):
    x, w, b = args
    stats = params.get("stats")
    if stats is not None and any(_mine_array(s, level) for s in stats):
        # eval mode with running statistics batched like the input (an ensemble's buffers): each
        # sample normalised by its own, the batch dim leading their broadcast shape as it leads x's
        params = dict(params, stats=tuple(_physical_stat(s, level) for s in stats))
    if _params_mine(params, level):
        return NotImplemented
    if params.get("sink") is not None:  # training: batch statistics, per sample; no running ones read yet
        running = [t for t in params["sink"].get("running", ()) if t is not None]
        if running and not all(_mine(t, level) for t in running):
            raise KittyRuntimeError(
                "Batch norm got a batched tensor as input while the running_mean or running_var, which "
                "will be updated in place, were not batched.\nEach sample would update the same running "
                "statistics. Use eval mode, a BatchNorm built with track_running_stats=False, or running "
                "statistics batched like the input (e.g. from func.stack_module_state)."
            )
        if running:  # batched like the input (an ensemble's buffers): per-sample statistics update them
            outer, inner = params["sink"], {}
            params = dict(params, sink=inner)
        else:
            outer, inner = None, None
            params["sink"]["mean"] = params["sink"]["var"] = _PerSampleStats()
            params = dict(params, sink=None)
    else:
        outer = inner = None
    r = x._data.ndim
    new = dict(params)
    new["stat_shape"] = (level.size,) + tuple(params["stat_shape"])
    new["axes"] = tuple(_dim(a, len(params["stat_shape"])) for a in params["axes"])
    px = _expanded(x, level)
    if not _mine(w, level) and not _mine(b, level):
        out = _wrap(cls.apply(px, w, b, **new), level)
    else:
        # per-sample affine parameters: the batch dim leads their broadcast shape too
        shape = tuple(params["param_shape"])
        new["param_shape"] = (level.size,) + (1,) * (r - len(shape)) + shape
        pw = _expanded(w, level) if w is not None else None
        pb = _expanded(b, level) if b is not None else None
        out = _wrap(cls.apply(px, pw, pb, **new), level)
    if outer is not None:  # each sample's statistics, batched: batch_norm updates the running ones with them
        for key in ("mean", "var"):
            outer[key] = _wrap(Tensor._wrap(inner[key]), level)
    return out


def embedding_rule(level, cls, args, params):
    (w,) = args
    idx = params["indices"]
    if params.get("scale_grad_by_freq"):
        return NotImplemented
    idx_phys = idx.owner._phys._data if _mine_array(idx, level) else idx
    if type(idx_phys) is not B.xp.ndarray:
        return NotImplemented
    if not _mine(w, level):
        return _wrap(cls.apply(w, **dict(params, indices=idx_phys)), level)
    weights = w._phys
    padding = params.get("padding_idx")
    if padding is not None:  # (per-sample weights, an ensemble's) the padding row reads the same, gets no gradient
        keep = B.xp.ones((1, weights._data.shape[1], 1), dtype=bool)
        keep[0, padding] = False
        weights = _cmp.where(Tensor._wrap(keep), weights, weights.detach())
    if _mine_array(idx, level):
        rows = B.xp.arange(level.size).reshape((level.size,) + (1,) * (idx_phys.ndim - 1))
        return _wrap(_idx.Index.apply(weights, (rows, idx_phys)), level)
    return _wrap(_idx.Index.apply(weights, (slice(None), idx_phys)), level)


def rnn_rule(level, cls, args, params):
    """A recurrent stack (RNN/GRU/LSTM) with shared weights: the samples join the op's own batch dim
    (dim 1 of x ``(T, N, I)`` and of h0/c0 ``(L*D, N, H)``) for one run, then are split off again."""
    x, h0, c0, *weights = args
    if any(_mine(w, level) for w in weights) or _params_mine(params, level):
        return NotImplemented  # per-sample weights (an ensemble): the loop
    if params.get("dropout", 0) > 0 and params.get("train"):
        return NotImplemented  # (the dropout mask between layers is drawn per call)
    v = level.size
    px = _expanded(x, level)  # (V, T, N, I)
    steps, n = px.shape[1], px.shape[2]

    def joined(state):
        if state is None:
            return None
        ps = _expanded(state, level)  # (V, L*D, N, H)
        return ps.movedim(0, 1).reshape(ps.shape[1], v * n, ps.shape[-1])

    outs = cls.apply(px.movedim(0, 1).reshape(steps, v * n, px.shape[-1]), joined(h0), joined(c0), *weights, **params)
    split = [outs[0].reshape(steps, v, n, outs[0].shape[-1]).movedim(1, 0)]
    split += [s.reshape(s.shape[0], v, n, s.shape[-1]).movedim(1, 0) for s in outs[1:]]
    return _wrap(tuple(split), level)


def roll_rule(level, cls, args, params):
    """``roll`` along dims (shifted past the batch dim), or of each flattened sample."""
    (x,) = args
    if not _mine(x, level):
        return NotImplemented
    physical, axes, rank = x._phys, params.get("axes"), x._data.ndim
    if axes is not None:
        axes = tuple(_dim(a, rank) for a in axes) if isinstance(axes, (tuple, list)) else _dim(axes, rank)
        return _wrap(cls.apply(physical, shifts=params["shifts"], axes=axes), level)
    flat = physical.reshape((level.size, -1))
    rolled = cls.apply(flat, shifts=(params["shifts"],), axes=(1,))
    return _wrap(rolled.reshape(tuple(physical._data.shape)), level)


def _class_nll_rule(level, cls, args, params):
    (x,) = args
    target = params.get("target")
    if x._data.ndim != 2 or not (_mine(x, level) or _mine_array(target, level)):
        return NotImplemented
    weight = params.get("weight")
    if params.get("label_smoothing", 0.0) and weight is not None and params.get("reduction", "mean") == "mean":
        return NotImplemented
    if _mine_array(target, level):
        rows = target.owner._phys  # (its array is a _Logical when an outer level batches it too)
    elif type(target) is B.xp.ndarray:
        rows = Tensor._wrap(B.xp.broadcast_to(target, (level.size,) + target.shape))
    elif type(target) is _Logical:  # batched at an outer level only
        rows = target.owner.expand((level.size,) + target.shape)
    else:
        return NotImplemented
    return _class_nll_rows(level, cls, x, rows, params)


def _class_nll_rows(level, cls, x, rows: Tensor, params: dict):
    """The class NLL of every sample at once: ``rows`` holds each sample's targets (batch dim
    leading). The losses come from one call on the stacked rows; the reduction runs as ops, which
    an outer vmap level batches in turn when it batches the targets too."""
    n, c = x._data.shape
    reduction = params.get("reduction", "mean")
    flat = rows.reshape((-1,))
    losses = cls.apply(
        _expanded(x, level).reshape((level.size * n, c)),
        **dict(params, target=flat._data, reduction="none", out_shape=(level.size * n,)),
    ).reshape((level.size, n))
    if reduction == "none":
        return _wrap(losses.reshape((level.size,) + tuple(params.get("out_shape") or (n,))), level)
    total = losses.sum(1)
    if reduction == "sum":
        return _wrap(total, level)
    rows = rows.reshape((level.size, n))
    kept = rows != params.get("ignore_index", -100)
    weight = params.get("weight")
    if weight is not None:
        weights = Tensor._wrap(weight)[_cmp.where(kept, rows, 0)] * kept
    else:
        weights = kept
    return _wrap(total / weights.sum(1).to(x.dtype), level)


def _soft_cross_entropy_rule(level, cls, args, params):
    x, t = args[0], args[1]
    if _params_mine(params, level) or x._data.ndim != 2 or any(_mine(a, level) for a in args[2:]):
        return NotImplemented
    n, c = x._data.shape
    px, pt = _expanded(x, level), _expanded(t, level)
    out = cls.apply(
        px.reshape((level.size * n, c)), pt.reshape((level.size * n, c)), *args[2:],
        **dict(params, reduction="none", out_shape=(level.size * n,)),
    ).reshape((level.size, n))
    reduction = params.get("reduction", "mean")
    if reduction == "none":
        return _wrap(out.reshape((level.size,) + tuple(params.get("out_shape") or (n,))), level)
    if reduction == "sum":
        return _wrap(out.sum(1), level)
    if params.get("weight") is not None:
        return NotImplemented
    return _wrap(out.mean(1), level)


def repeat_rule(level, cls, args, params):
    x = args[0]
    reps = tuple(params.get("reps", args[1] if len(args) > 1 else ()))
    if not _mine(x, level) or len(reps) < x._data.ndim:
        return NotImplemented
    return _wrap(cls.apply(_pad(x, len(reps)), reps=(1,) + reps), level)


def prod_rule(level, cls, args, params):
    x = args[0]
    if any(_mine(a, level) for a in args[1:]) or _params_mine(params, level):
        return NotImplemented
    axis, keepdim = params.get("axis"), params.get("keepdim", False)
    r = x._data.ndim
    if axis is None:
        if keepdim or r == 0:
            return NotImplemented
        return _wrap(cls.apply(x._phys.reshape((level.size, -1)), axis=1), level)
    if not isinstance(axis, int) or r == 0:
        return NotImplemented
    return _wrap(cls.apply(x._phys, axis=_dim(axis, r), keepdim=keepdim), level)


def _reduced_loss(level, cls, args, params):
    """Elementwise losses (mse, l1, huber, bce, kl): unreduced on the batch, reduced per sample."""
    reduction = params.get("reduction", "mean")
    if _params_mine(params, level) or reduction not in ("none", "mean", "sum", "batchmean"):
        return NotImplemented
    tensors = [a for a in args if isinstance(a, Tensor)]
    rank = max(a._data.ndim for a in tensors)
    new = [_pad(a, rank) if _mine(a, level) else a for a in args]
    out = cls.apply(*new, **dict(params, reduction="none"))
    if out._data.shape[0] != level.size or out._data.ndim != rank + 1:
        out = out.expand((level.size,) + tuple(out._data.shape[-rank:] if rank else ()))
    dims = tuple(range(1, rank + 1))
    if reduction == "none":
        return _wrap(out, level)
    if not dims:
        return _wrap(out, level)
    if reduction == "sum":
        return _wrap(out.sum(dims), level)
    if reduction == "batchmean":
        return _wrap(out.sum(dims) / out._data.shape[1], level)
    return _wrap(out.mean(dims), level)


# ---- the fallback ----------------------------------------------------------------------------

def _opname(cls) -> str:
    name = getattr(cls, "_name", cls.__name__)
    return name[:-8] if name.endswith("Backward") else name


def loop(level, cls, args, params):
    """Run the op once per sample and stack the results (warns once per op)."""
    if cls.is_view:  # stacked samples are a copy: a write through the view would be lost
        raise VmapFallback(f"{_opname(cls)} makes a view, which a loop over the op alone cannot give")
    if first_warning(_warned, cls):
        warnings.warn(
            f"vmap fell back to a loop for {_opname(cls)}: it has no batching rule for these arguments, so it runs "
            "once per sample",
            UserWarning,
            stacklevel=4,
        )
    results = []
    for i in range(level.size):
        sample = [_sample_arg(a, i, level) for a in args]
        sample_params = {k: _sample_param(v, i, level) for k, v in params.items()}
        results.append(cls.apply(*sample, **sample_params))
    shapes = {tuple(o._data.shape) for r in results for o in (r if type(r) is tuple else (r,))[:1]}
    if len(shapes) > 1:  # (boolean masks, nonzero, unique: a shape that depends on the values)
        raise uneven_results(f"vmap: {_opname(cls)}", shapes)
    if type(results[0]) is tuple:
        return tuple(
            BatchedTensor.make(_join.Stack.apply(*[r[k] for r in results], axis=0), level) for k in range(len(results[0]))
        )
    return BatchedTensor.make(_join.Stack.apply(*results, axis=0), level)


def _sample_arg(a, i, level):
    """Sample ``i`` of an op's argument: of a batched tensor, or of the batched arrays in it (an
    index array, or a tuple of them, passed positionally)."""
    if _mine(a, level):
        return _idx.Select.apply(a._phys, (i,))
    return _sample_param(a, i, level)


def _sample_param(v, i, level):
    if _mine_array(v, level):
        return _idx.Select.apply(v.owner._phys, (i,))._data
    if type(v) in (tuple, list) and any(_mine_array(x, level) for x in v):
        return type(v)(_sample_param(x, i, level) for x in v)
    return v


def loop_inplace(level, cls, target, args, params):
    """An in-place op on a batched tensor, applied per sample through views of its physical tensor."""
    if first_warning(_warned, cls):
        warnings.warn(f"vmap fell back to a loop for {_opname(cls)}_: it runs once per sample", UserWarning, stacklevel=4)
    for i in range(level.size):
        sample = [_sample_arg(a, i, level) for a in args]
        sample_params = {k: _sample_param(v, i, level) for k, v in params.items()}
        _function.apply_inplace(cls, _idx.Select.apply(target._phys, (i,)), *sample, **sample_params)
    return target


# ---- the table -------------------------------------------------------------------------------

def _ops_of(module, exclude=()):
    return [
        v for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, Op) and v.__module__ == module.__name__ and v not in exclude
        and not v.__name__.startswith("_")
    ]


RULES: dict = {}
ELEMENTWISE: set = set()
for _cls in (
    _ops_of(_unary) + _ops_of(_arith) + _ops_of(_cmp) + _ops_of(_pw) + _ops_of(_twins)
    + _ops_of(_special)
    + _ops_of(_act, exclude=(_act.Softmax, _act.LogSoftmax, _act.Prelu))
    + [_conv.Clone, _conv.ToCopy, _conv.Fill, _conv.Copy, _gs.MaskedFill]
):
    RULES[_cls] = elementwise
    ELEMENTWISE.add(_cls)
for _cls, _name in (
    (_red.Sum, "axes"), (_red.Mean, "axes"), (_red.Var, "axes"), (_red.Std, "axes"), (_red.Amax, "axes"),
    (_red.Amin, "axes"), (_red.Logsumexp, "axes"), (_red.MaxAll, "axes"), (_red.MinAll, "axes"),
    (_red.NanMean, "axes"), (_red.NanSum, "axes"), (_norms.VectorNorm, "axes"),
):
    RULES[_cls] = _shifting(_axes_all(_name))
for _cls, _name in (
    (_red.MaxDim, "axis"), (_red.MinDim, "axis"), (_red.Cummax, "axis"), (_red.Cummin, "axis"),
    (_red.Cumprod, "axis"), (_red.Cumsum, "axis"), (_scans.Logcumsumexp, "dim"), (_act.Softmax, "axis"),
    (_act.LogSoftmax, "axis"), (_sorting.Sort, "axis"), (_sorting.Topk, "axis"), (_sorting.KthValue, "axis"),
    (_gs.IndexSelect, "axis"),
):
    RULES[_cls] = _shifting(_axis(_name))
RULES[_shape.Unsqueeze] = _shifting(_axis("axis", extra=1))
RULES[_shape.Squeeze] = _shifting(_axes_tuple("axes"))
RULES[_join.Flip] = _shifting(_axes_tuple("axes"))
RULES[_join.Roll] = roll_rule
RULES[_shape.Transpose] = _shifting(_transpose)
RULES[_shape.Permute] = _shifting(_permute)
RULES[_shape.Reshape] = RULES[_shape.View] = _shifting(_reshape)
RULES[_shape.Alias] = _shifting(_leading_dims)
RULES[_linalg.Diagonal] = _shifting(_diagonal)
RULES[_linalg.DiagEmbed] = _shifting(_diag_embed)
RULES[_linalg.Tril] = _shifting(_leading_dims)
RULES[_idx.Select] = _shifting(_select)
RULES[_join.Pieces] = RULES[_join.UnbindPieces] = _shifting(_axis("axis"))
RULES[_pad_ops.Pad] = _shifting(_pads)
RULES[_linalg.Einsum] = einsum_rule
RULES[_conv.Expand] = expand_rule
RULES[_join.Cat] = RULES[_join.Stack] = _joined
RULES[_gs.Gather] = _both_batched(_axis("axis"))
RULES[_gs.Scatter] = RULES[_gs.ScatterAdd] = RULES[_gs.ScatterReduce] = _both_batched(_axis("axis"))
RULES[_gs.IndexAdd] = RULES[_gs.IndexCopy] = RULES[_gs.IndexFill] = index_along_axis_rule
RULES[_linalg.Cross] = _both_batched(_axis("axis"))
for _cls in (_linalg.Matmul, _linalg.Mm, _linalg.Bmm, _linalg.Mv, _linalg.Dot):
    RULES[_cls] = matmul_rule
RULES[_lin.Linear] = linear_rule
RULES[_nnconv.ConvNd] = RULES[_nnconv.ConvTransposeNd] = conv_rule
RULES[_pool.MaxPoolNd] = RULES[_pool.AvgPoolNd] = pool_rule
RULES[_nnorm.Norm] = norm_rule
RULES[_emb.Embedding] = embedding_rule
RULES[_rec.Rnn] = rnn_rule
for _cls in (
    _inverses.Det, _inverses.Inv, _inverses.Slogdet, _inverses.Pinv, _decomp.Cholesky, _decomp.QR, _decomp.SVD,
    _decomp.SVDVals, _eigen.Eigh, _eigen.Eigvalsh, _matfun.MatrixExp, _solvers.CholeskyEx, _solvers.CholeskyInverse,
):
    RULES[_cls] = _shifting(_leading_dims)  # linear algebra on the trailing two dims, any leading ones
RULES[_red.Prod] = prod_rule
RULES[_loss.ClassNll] = _class_nll_rule
RULES[_loss.SoftCrossEntropy] = _soft_cross_entropy_rule
RULES[_join.Repeat] = repeat_rule
RULES[_join.RepeatInterleave] = _shifting(_axis("axis"))
RULES[_sliding.Unfold] = _shifting(_axis("dim"))
for _cls in (_loss.PointwiseLoss, _loss.BceWithLogits, _loss.BinaryCrossEntropy, _loss.KlDiv):
    RULES[_cls] = _reduced_loss


#: rules for in-place ops on a batched target, ``rule(level, cls, target, args, params)``; the
#: writes through an index come from ``_batching_rules_more``
INPLACE_RULES: dict = {}


def view_inplace_rule(level, cls, target, args, params):
    """``t_``/``transpose_``/``squeeze_``/``unsqueeze_`` of a batched tensor: the out-of-place view
    by its batching rule, whose physical tensor (and graph) the target then holds."""
    out = cls.apply(target, *args, **params)
    if not is_batched_at(out, level):
        return NotImplemented
    target._phys = out._phys
    target._data = stand_in_for(target, out._phys, level)
    target._vc[0] += 1
    return target


for _cls in (_shape.Transpose, _shape.Squeeze, _shape.Unsqueeze):
    INPLACE_RULES[_cls] = view_inplace_rule


def run(level: Level, cls, args, params):
    """``cls.apply(*args, **params)`` with some arguments batched at ``level``."""
    rule = RULES.get(cls)
    if rule is None and cls not in RULES:  # a subclass made on the fly (einsum's saving variants)
        rule = RULES[cls] = next((RULES[base] for base in cls.__mro__[1:] if base in RULES), None)
    if rule is not None:
        out = rule(level, cls, args, params)
        if out is not NotImplemented:
            return out
    return loop(level, cls, args, params)


def run_inplace(level: Level, cls, target, args, params):
    """An in-place op on the batched ``target``."""
    rule = INPLACE_RULES.get(cls)
    if rule is not None:
        done = rule(level, cls, target, args, params)
        if done is not NotImplemented:
            return done
    if cls in ELEMENTWISE and not _params_mine(params, level):
        rank = target._data.ndim
        if all(_rank(a) <= rank for a in args if isinstance(a, Tensor)):
            new = [_pad(a, rank) if _mine(a, level) else a for a in args]
            _function.apply_inplace(cls, target._phys, *new, **params)
            return target
    return loop_inplace(level, cls, target, args, params)


# ---- levels ----------------------------------------------------------------------------------

def open_level(size: int, randomness: str = "error", tangents_only: bool = False) -> Level:
    """Open a vmap level of ``size`` samples: install its hooks over the outer ones."""
    level = Level(size, len(_levels) + 1, randomness, tangents_only)
    level.prev_apply, level.prev_inplace = _function.dual_apply, _function.vmap_inplace

    def apply_hook(cls, args, params):
        mine = False
        for a in args:
            kind = type(a)
            if (kind is BatchedTensor and a._level is level) or (kind is _Logical and a.owner._level is level):
                mine = True
                break
            if kind is tuple and any(type(v) is _Logical and v.owner._level is level for v in a):
                mine = True  # a batched index array inside an index tuple (x[idx], index_put)
                break
        if not mine and params:
            mine = _params_mine(params, level)
        _function.dual_apply = level.prev_apply
        try:
            if mine:
                return run(level, cls, args, params)
            return cls.apply(*args, **params)
        finally:
            _function.dual_apply = level.hooks[0]  # (through the level: naming itself is a cycle)

    def inplace_hook(cls, target, args, params):
        if is_batched_at(target, level):
            remember_write(level, target)
            return run_inplace(level, cls, target, args, params)
        if any(is_batched_at(a, level) for a in args) or _params_mine(params, level):
            raise KittyRuntimeError(
                f"vmap: {_opname(cls).lower()}_(self, *extra_args) is not possible: `self` is not batched "
                "(a tensor captured from outside vmap, or created inside it) while an argument is, so each sample "
                f"would write its own values into the same memory. Use the out-of-place {_opname(cls).lower()} "
                "instead."
            )
        if level.prev_inplace is not None:
            return level.prev_inplace(cls, target, args, params)
        return NotImplemented

    level.hooks = (apply_hook, inplace_hook)
    _function.dual_apply, _function.vmap_inplace = apply_hook, inplace_hook
    _levels.append(level)
    return level


def close_level(level: Level) -> None:
    """Close ``level`` (the innermost one), restoring the outer hooks."""
    _levels.remove(level)
    _function.dual_apply, _function.vmap_inplace = level.prev_apply, level.prev_inplace
    release_batched(level)

