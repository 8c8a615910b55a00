"""Gather and scatter along a dimension: ``gather``, ``scatter(_add/_reduce)``, ``index_select``,
``index_add``, ``masked_*``, ``take``."""
from __future__ import annotations

import warnings

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.refusals import check_saved_index
from ..autograd.function import Op, apply_inplace
from ..autograd.graph_array import add_at
from ..errors import KittyIndexError, KittyRuntimeError, KittyTypeError, user_stacklevel
from ._prep import (
    along_index,
    as_one_dim as _one_dim,
    broadcast_shape_of,
    cast,
    check_scalar,
    cpp_type_name,
    dtype_name,
    dtype_scalar_name,
    expand_to,
    nonempty_shape as _nonempty,
    normalize_dim,
    scatter_src_part as _src_part,
    scatter_src_region as _src_region,
    tensor_input,
    torch_named,
)
from .joining import cat
from ._prep import warn_once as _warn_once
from .shape import expand

_I64 = B.NP_DTYPES["int64"]


#: torch's refusal of an index tensor of a non-integer dtype, worded by each kernel ({} is the dtype);
#: the index_* family's are _index_vector's, which checks their rank and dtype in torch's order
_INDEX_DTYPE_ERRORS = {
    "gather": (KittyRuntimeError, "gather(): Expected dtype int32/int64 for index"),
    "scatter": (KittyRuntimeError, "scatter(): Expected dtype int32/int64 for index"),
    "take": (KittyRuntimeError, "take(): Expected a long tensor for index, but got {}"),
    "take_along_dim": (KittyRuntimeError, "torch.take_along_dim(): dtype of indices should be Long but got {}"),
}


def _index_arg(index, fname, kinds="iu"):
    idx = tensor_input(index, "index")
    if not idx._data.size and fname.startswith(("gather", "scatter")):
        # an empty index picks or writes nothing: torch's gather and scatter take it of any dtype
        return idx._data.astype(_I64, copy=False)
    if idx._data.dtype.kind not in kinds:
        # the in-place twins and scatter_add / scatter_reduce share their kernel's message
        key = "scatter" if fname.startswith("scatter") else fname.rstrip("_")
        err, text = _INDEX_DTYPE_ERRORS.get(key, (KittyRuntimeError, f"{fname}(): Expected dtype int64 for index"))
        raise err(text.format(dtype_name(idx)))
    return idx._data


def _region(shape, idx_shape, axis):
    """The slice of an array of ``shape`` that an index of ``idx_shape`` addresses (all but axis)."""
    return tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(idx_shape)) if len(shape) else ()


def _check_gather_index(x_shape, idx, axis, fname):
    # nothing for an empty index; a 0-d self or index counts as one element of one dim
    if not idx.size:
        return
    xs, ix = _nonempty(x_shape), _nonempty(idx.shape)
    if len(ix) != len(xs):
        raise KittyRuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(len(xs)):
        if d != axis and ix[d] > xs[d]:
            raise KittyRuntimeError(
                f"Size does not match at dimension {d} expected index {list(idx.shape)} to be no larger than "
                f"self {list(x_shape)} apart from dimension {axis}"
            )
    _check_positions(idx, xs[axis], axis, -xs[axis] if fname == "take_along_dim" else 0)


def _check_positions(idx, n, axis, low=0) -> None:
    """gather's and scatter's range check of a non-empty index along ``axis`` (of size ``n``): their
    kernels take no negative positions (``low``: ``-n`` for take_along_dim, which wraps them)."""
    if idx.max() >= n or idx.min() < low:
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise KittyRuntimeError(f"index {bad} is out of bounds for dimension {axis} with size {n}")


class Gather(Op):
    saved_fields = ("axis", "idx", "in_shape")

    def forward(self, x, idx, axis=0):
        self.in_shape, self.idx, self.axis = x.shape, idx, axis
        if not idx.size:  # (torch takes an empty index of any rank: it picks nothing)
            return self.xp.zeros(idx.shape, x.dtype)
        return self.xp.take_along_axis(x[_region(x.shape, idx.shape, axis)], idx, axis)

    def backward(self, g):
        gx = self.xp.zeros_like(g, shape=self.in_shape)  # a GraphArray when g is one
        if not self.idx.size:
            return gx, None
        region = _region(self.in_shape, self.idx.shape, self.axis)
        part = gx[region]
        added = add_at(part, along_index(self.idx, self.axis), g)
        if added is not part:  # GraphArrays: add_at returns a new value instead of writing in place
            gx[region] = added
        return gx, None


class Scatter(Op):
    """``x`` with ``src`` (a tensor or a number) written at ``idx`` along ``axis``."""

    saved_fields = ("axis", "idx", "reduce", "src_shape")


    def forward(self, x, src, idx, axis=0, reduce=None):
        xp = self.xp
        self.idx, self.axis, self.reduce = idx, axis, reduce
        self.src_shape = xp.shape(src)
        out = x.copy()
        if not idx.size:  # an empty index (of any rank: torch takes it) writes nothing
            return out
        where = along_index(idx, axis)
        part = _src_part(src, idx.shape) if xp.ndim(src) else src
        view = _one_dim(out)  # (a 0-d self, written through a view of one dim)
        if reduce == "add":
            B.scatter_add(view, where, xp.broadcast_to(part, idx.shape))
        elif reduce == "multiply":
            xp.multiply.at(view, where, xp.broadcast_to(part, idx.shape))
        else:
            view[where] = part
        return out

    def backward(self, g):
        xp = self.xp
        if self.reduce is not None and not isinstance(self, ScatterAdd):  # (its node may be a subclass)
            raise KittyRuntimeError("derivative for aten::scatter is not implemented (scatter with reduce)")
        where = along_index(self.idx, self.axis)
        need = self.needs_input_grad
        gx = gs = None
        g1, written = _one_dim(g), self.idx.size
        if need[0]:
            gx = g1.copy()
            if self.reduce is None and written:
                gx[where] = 0
            gx = gx.reshape(g.shape) if gx.shape != g.shape else gx
        if need[1]:
            gs = xp.zeros_like(g, shape=_nonempty(self.src_shape))
            if written:
                gs[_src_region(self.idx.shape)] = g1[where]
            gs = gs.reshape(self.src_shape) if gs.shape != self.src_shape else gs
        return gx, gs, None


class ScatterAdd(Scatter):
    def forward(self, x, src, idx, axis=0):
        return Scatter.forward(self, x, src, idx, axis, reduce="add")


class ScatterReduce(Op):
    """``scatter_reduce``: 'sum', 'prod', 'mean', 'amax' or 'amin' of ``src`` (and, with
    ``include_self``, of ``x``) at each target position, with torch's gradients (exact at zeros
    for 'prod'; ties share the gradient evenly for 'amax'/'amin')."""

    saved_fields = ("count", "hit_v", "hit_x", "part", "reduce", "region", "src", "src_shape", "where", "x")
    saved_inputs = (0, 1)
    #: 'mean': how many values meet at each position (from the index and include_self alone)
    graph_constants = ("count",)

    def forward(self, x, src, idx, axis=0, reduce="sum", include_self=True):
        xp = self.xp
        # a 0-d self or src counts as one element of one dim, as torch's kernel counts it
        shape, self.src_shape = x.shape, src.shape
        x, src = _one_dim(x), _one_dim(src)
        where = along_index(idx, axis)
        self.region = idx.shape  # (what src reads: see _src_part)
        vals = _src_part(src, idx.shape)
        self.x, self.src, self.where, self.reduce = x, src, where, reduce
        scattered = xp.zeros(x.shape, bool)
        scattered[where] = True
        self.part = xp.ones(x.shape, bool) if include_self else ~scattered  # where x takes part
        out = x.copy()
        if reduce in ("sum", "mean"):
            if not include_self:
                out[where] = 0
            B.scatter_add(out, where, vals)
            if reduce == "mean":
                count = self.part.astype(x.dtype)
                B.scatter_add(count, where, xp.ones(vals.shape, x.dtype))
                self.count = count
                safe = xp.maximum(count, 1)
                out = out // safe if x.dtype.kind in "iub" else out / safe
        elif reduce == "prod":
            if not include_self:
                out[where] = 1
            xp.multiply.at(out, where, vals)
        else:
            big = reduce in ("amax", "max")
            fill = _lowest(x.dtype) if big else _highest(x.dtype)
            if not include_self:
                out[where] = fill
            (xp.maximum if big else xp.minimum).at(out, where, vals)
            # which values reached the result (masks taken now: an in-place change to the output
            # must not reach them, and they are piecewise constant, so double backward keeps them)
            self.hit_x, self.hit_v = x == out, vals == out[where]
        return out.reshape(shape) if out.shape != shape else out

    def backward(self, g):
        xp = self.xp
        x, where, part = self.x, self.where, self.part
        vals = _src_part(self.src, self.region)
        need = self.needs_input_grad
        shape, g = g.shape, _one_dim(g)
        if self.reduce in _FORWARD_ONLY:
            raise KittyRuntimeError(
                f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' but got {self.reduce}.")
        # where include_self=False left x out, its gradient is a plain zero, as torch fills it
        # (multiplying by the mask would give -0. under negative gradients)
        if self.reduce == "sum":
            gx, gv = xp.where(part, g, 0), g[where]
        elif self.reduce == "mean":
            gc = g / self.count
            gx, gv = xp.where(part, gc, 0), gc[where]
        elif self.reduce == "prod":
            # product of the other factors at each position: exact when factors are zero
            nz = xp.where(part & (x != 0), x, 1).astype(g.dtype)
            zeros = (part & (x == 0)).astype(xp.int64)
            xp.multiply.at(nz, where, xp.where(vals != 0, vals, 1))
            B.scatter_add(zeros, where, (vals == 0).astype(xp.int64))
            with B.errstate(divide="ignore", invalid="ignore"):
                own = xp.where(x == 0, xp.where(zeros == 1, nz, 0), xp.where(zeros == 0, nz / xp.where(x == 0, 1, x), 0))
                src_nz, src_zeros = nz[where], zeros[where]
                theirs = xp.where(vals == 0, xp.where(src_zeros == 1, src_nz, 0),
                                  xp.where(src_zeros == 0, src_nz / xp.where(vals == 0, 1, vals), 0))
            gx, gv = xp.where(part, g * own, 0), g[where] * theirs
        else:
            # torch counts x's ties even where include_self=False left x out (x then gets none)
            hit_x, hit_v = self.hit_x, self.hit_v
            count = hit_x.astype(g.dtype)
            B.scatter_add(count, where, hit_v.astype(g.dtype))
            gc = g / xp.maximum(count, 1)
            gx, gv = xp.where(part, gc * hit_x, 0), gc[where] * hit_v
        gs = None
        if need[1]:
            gs = xp.zeros_like(g, shape=_nonempty(self.src_shape))
            if vals.size:
                gs[_src_region(vals.shape)] = gv
            gs = gs.reshape(self.src_shape) if gs.shape != self.src_shape else gs
        gx = gx.reshape(shape) if need[0] and gx.shape != shape else gx
        return (gx if need[0] else None), gs, None


class ScatterReduceProd(ScatterReduce):
    """``scatter_reduce`` with 'prod': double backward differentiates :meth:`composite`."""

    _name = ScatterReduce._name

    def composite(self, x, src, idx, axis=0, reduce="prod", include_self=True):
        """The same product from differentiable ops: each position's factors (its own value where
        it takes part, then the values scattered to it, padded with ones) gathered into one row
        of a table, and the rows multiplied out pairwise. (Plain multiplications, not ``prod``: their
        second derivatives stay exact where factors are zero.)"""
        xp = self.xp
        shape = x._data.shape
        n = x._data.size
        pos = xp.arange(n).reshape(_nonempty(shape))[along_index(idx, axis)].reshape(-1)
        m = pos.size
        one = n + m  # the table entry that holds the constant 1
        counts = xp.bincount(pos, minlength=n)
        table = xp.full((n, 1 + (int(counts.max()) if m else 0)), one, dtype=_I64)
        own = xp.arange(n)
        if not include_self:
            own = xp.where(counts > 0, one, own)
        table[:, 0] = own
        order = xp.argsort(pos, kind="stable")
        ranked = pos[order]
        rank = xp.arange(m) - (xp.cumsum(counts) - counts)[ranked]
        table[ranked, 1 + rank] = n + order
        vals = src.reshape(_nonempty(tuple(src.shape)))[_src_region(idx.shape)] if idx.size else src.reshape(-1)[:0]
        flat = cat([x.reshape(-1), vals.reshape(-1), F.Tensor._wrap(B.xp.ones(1, dtype=x._data.dtype))])
        rows = flat[F.Tensor._wrap(table)]
        while rows.shape[1] > 1:
            half = rows.shape[1] // 2
            rows = cat([rows[:, :half] * rows[:, half:2 * half], rows[:, 2 * half:]], dim=1)
        return rows[:, 0].reshape(shape)


def _scatter_reduce_op(reduce):
    return ScatterReduceProd if reduce == "prod" else ScatterReduce


def _lowest(dtype):
    return -B.xp.inf if B.is_float(dtype) else (False if dtype.kind == "b" else B.xp.iinfo(dtype).min)


def _highest(dtype):
    return B.xp.inf if B.is_float(dtype) else (True if dtype.kind == "b" else B.xp.iinfo(dtype).max)


class IndexSelect(Op):
    saved_fields = ("axis", "idx", "in_shape")

    def forward(self, x, idx, axis=0):
        self.in_shape, self.idx, self.axis = x.shape, idx, axis
        return self.xp.take(x, idx, axis=axis)

    def backward(self, g):
        gx = self.xp.zeros_like(g, shape=self.in_shape)
        return add_at(gx, (slice(None),) * self.axis + (self.idx,), g), None


def _rows(a):
    """``a`` with at least one dim: torch's index_add/copy/fill take a 0-d tensor as one slot along dim 0."""
    return a.reshape(1) if a.ndim == 0 else a


class IndexAdd(Op):
    saved_fields = ("alpha", "axis", "idx", "src_shape")

    def forward(self, x, src, idx, axis=0, alpha=1):
        self.idx, self.axis, self.alpha, self.src_shape = idx, axis, alpha, src.shape
        out = _rows(x).copy()
        B.scatter_add(out, (slice(None),) * axis + (idx,), src if alpha == 1 else alpha * src)
        return out if x.ndim else out.reshape(())

    def backward(self, g):
        gs = None
        if self.needs_input_grad[1]:
            gs = self.xp.take(_rows(g), self.idx, axis=self.axis)
            if not self.src_shape:  # (a 0-d source: one index, one value)
                gs = gs.reshape(())
            if self.alpha != 1:
                gs = gs * self.alpha
        return g, gs, None


class IndexCopy(Op):
    saved_fields = ("axis", "idx", "src_shape")

    def forward(self, x, src, idx, axis=0):
        self.idx, self.axis, self.src_shape = idx, axis, src.shape
        out = _rows(x).copy()
        out[(slice(None),) * axis + (idx,)] = src
        return out if x.ndim else out.reshape(())

    def backward(self, g):
        where = (slice(None),) * self.axis + (self.idx,)
        rows = _rows(g)
        gx = rows.copy()
        gx[where] = 0
        gs = rows[where] if self.needs_input_grad[1] else None
        if gs is not None and not self.src_shape:
            gs = gs.reshape(())
        return (gx if g.ndim else gx.reshape(())), gs, None


class IndexFill(Op):
    """``x`` with ``value`` (a number or a 0-d tensor, which gets the summed gradient) at ``idx``."""

    saved_fields = ("where",)


    def forward(self, x, value, idx, axis=0):
        self.where = (slice(None),) * axis + (idx,)
        out = _rows(x).copy()
        out[self.where] = value
        return out if x.ndim else out.reshape(())

    def backward(self, g):
        rows = _rows(g)
        gx = rows.copy()
        gx[self.where] = 0
        gv = rows[self.where].sum() if self.needs_input_grad[1] else None
        return (gx if g.ndim else gx.reshape(())), gv, None


class MaskedFill(Op):
    saved_fields = ("mask", "value_shape")

    def forward(self, x, value, mask):
        self.mask = mask
        self.value_shape = getattr(value, "shape", ())  # (not 0-d only under vmap: one value per sample)
        return B.select(mask, value, x).astype(x.dtype, copy=False)  # (a blend: where branches per element)

    def backward(self, g):
        zero = g.dtype.type(0)
        gx = B.select(self.mask, zero, g)
        gv = None
        if self.needs_input_grad[1]:
            picked = B.select(self.mask, g, zero)
            gv = picked.sum() if not self.value_shape else B.sum_to_shape(picked, self.value_shape)
        return gx, gv, None


MASKED_SCATTER_SHORT = "Number of elements of source < number of ones in mask"


class MaskedScatter(Op):
    saved_fields = ("mask", "src_shape")

    def forward(self, x, src, mask):
        self.mask, self.src_shape = mask, src.shape
        out = x.copy()
        n = int(mask.sum())
        if n > src.size:
            raise KittyRuntimeError(MASKED_SCATTER_SHORT)
        out[mask] = src.reshape(-1)[:n]
        return out

    def backward(self, g):
        xp = self.xp
        gx = xp.where(self.mask, g.dtype.type(0), g)
        gs = None
        if self.needs_input_grad[1]:
            flat = xp.zeros_like(g, shape=int(xp.prod(self.src_shape)) if self.src_shape else 1)
            picked = g[self.mask]
            flat[: picked.size] = picked
            gs = flat.reshape(self.src_shape)
        return gx, gs, None


class MaskedSelect(Op):
    saved_fields = ("in_shape", "mask")

    def forward(self, x, mask):
        self.mask, self.in_shape = mask, x.shape
        return x[mask]

    def backward(self, g):
        gx = self.xp.zeros_like(g, shape=self.in_shape)
        gx[self.mask] = g
        return gx, None


class Take(Op):
    saved_fields = ("idx", "in_shape")

    def forward(self, x, idx):
        self.in_shape, self.idx = x.shape, idx
        return x.reshape(-1)[idx]

    def backward(self, g):
        gx = self.xp.zeros_like(g, shape=int(self.xp.prod(self.in_shape)) if self.in_shape else 1)
        return add_at(gx, self.idx, g).reshape(self.in_shape), None


# ---------------------------------------------------------------------------------------------
# public functions


def gather(input, dim: int, index, *, sparse_grad: bool = False):
    """Pick ``input`` values along ``dim`` at ``index`` (same number of dims; the result has index's shape).

    >>> import kittygrad as kitty
    >>> kitty.gather(kitty.tensor([[1., 2.], [3., 4.]]), 1, kitty.tensor([[1], [0]]))
    tensor([[2.],
            [3.]])
    """
    x = tensor_input(input)
    check_saved_index(index, x)
    idx = _index_arg(index, "gather")
    axis = normalize_dim(dim, x._data.ndim)
    _check_gather_index(x._data.shape, idx, axis, "gather")
    if (x._data.ndim == 0 or idx.ndim == 0) and idx.size:
        return Gather.apply(x.reshape(-1), idx.reshape(-1), axis=0).reshape(idx.shape)
    return Gather.apply(x, idx, axis=axis)


def _scatter_src(x, src, fname):
    if isinstance(src, F.Tensor):
        if src._data.dtype != x._data.dtype:
            # every spelling (scatter_add, scatter_reduce_, ...) runs torch's one check, in its words
            raise KittyRuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        return src
    return x._data.dtype.type(check_scalar(src, fname))


def _scatter_value(value):
    """scatter's ``value=``: a number; torch takes a 0-d tensor there as its number (no gradient),
    where a tensor passed as ``src`` is scattered as a tensor, with the src checks."""
    return value.item() if isinstance(value, F.Tensor) and value._data.ndim == 0 else value


def _check_scatter_index(x_shape, idx, axis, src_shape=None):
    """torch's shape checks for scatter and its spellings, in its order and words: nothing for an
    empty index; index's rank against self's; index's size beside ``axis`` against self's, then
    (when self allows it) in every dim against src's; src's rank; only then a size that is too
    large; then the positions against self's size along ``axis``."""
    if idx.size == 0:
        return
    nd, xs, ix = len(_nonempty(x_shape)), _nonempty(x_shape), _nonempty(idx.shape)
    if len(ix) != nd:
        raise KittyRuntimeError("Index tensor must have the same number of dimensions as self tensor")
    wrong = any(d != axis and ix[d] > xs[d] for d in range(nd))
    if src_shape is not None:
        ss = _nonempty(src_shape)
        for d in range(nd if not wrong else 0):
            if d >= len(ss):  # (torch asks src for its size in each of index's dims)
                raise KittyIndexError(
                    f"Dimension out of range (expected to be in range of [{-len(ss)}, {len(ss) - 1}], but got {d})")
            if ix[d] > ss[d]:
                wrong = True
                break
        if len(ss) != nd:
            raise KittyRuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if wrong:
        text = f"Expected index {list(idx.shape)} to be no larger than self {list(x_shape)} apart from dimension {axis}"
        raise KittyRuntimeError(text + (f" and to be no larger size than src {list(src_shape)}" if src_shape is not None else ""))
    _check_positions(idx, xs[axis], axis)


def _scatter_prep(input, dim, index, src, fname):
    x = tensor_input(input)
    axis = normalize_dim(dim, x._data.ndim)  # (torch's dim check comes before the index's dtype)
    idx = _index_arg(index, fname)
    s = _scatter_src(x, src, fname)
    _check_scatter_index(x._data.shape, idx, axis, s._data.shape if isinstance(s, F.Tensor) else None)
    # the kernels' view of the index: a 0-d one is one element of one dim, an empty one (of any
    # rank: it writes nothing) takes self's rank
    if not idx.size:
        idx = idx.reshape((0,) * len(_nonempty(x._data.shape)))
    elif not idx.ndim:
        idx = idx.reshape(1)
    return x, s, idx, axis


def scatter(input, dim: int, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src`` (a tensor or a number) written at ``index`` along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.scatter(kitty.zeros(3), 0, kitty.tensor([2]), kitty.tensor([5.]))
    tensor([0., 0., 5.])
    """
    src = _scatter_value(value) if src is None else src
    _check_scatter_reduce(reduce)
    x, s, idx, axis = _scatter_prep(input, dim, index, src, "scatter")
    _warn_reduce_with_tensor_src(reduce, s)
    return Scatter.apply(x, s, idx, axis=axis, reduce=reduce)


_SCATTER_REDUCE_DEPRECATED = (
    "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a future PyTorch "
    "release. Use torch.scatter_reduce instead for more reduction options."
)


def _check_scatter_reduce(reduce) -> None:
    if reduce not in (None, "add", "multiply"):
        raise KittyRuntimeError("reduce argument must be either add or multiply.")


def _warn_reduce_with_tensor_src(reduce, src) -> None:
    # torch deprecates scatter's reduce= for a tensor src only (a number src keeps it), once a process
    if reduce is not None and isinstance(src, F.Tensor):
        _warn_once("scatter_reduce_argument", _SCATTER_REDUCE_DEPRECATED)


def scatter_add(input, dim: int, index, src):
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (repeats accumulate).

    >>> import kittygrad as kitty
    >>> kitty.scatter_add(kitty.zeros(3), 0, kitty.tensor([1, 1]), kitty.tensor([1., 2.]))
    tensor([0., 3., 0.])
    """
    x, s, idx, axis = _scatter_prep(input, dim, index, src, "scatter_add")
    if not isinstance(s, F.Tensor):
        raise KittyTypeError("scatter_add(): argument 'src' must be Tensor")
    return ScatterAdd.apply(x, s, idx, axis=axis)


#: torch's forward also takes 'max' and 'min' (as amax and amin); its backward refuses them
_FORWARD_ONLY = ("max", "min")
_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin") + _FORWARD_ONLY


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """Reduce ``src`` values into ``input`` at ``index`` along ``dim`` with 'sum', 'prod', 'mean',
    'amax' or 'amin' (``include_self=False`` leaves ``input``'s own values out where written).

    >>> import kittygrad as kitty
    >>> kitty.scatter_reduce(kitty.zeros(2), 0, kitty.tensor([0, 0, 1]), kitty.tensor([1., 3., 5.]), "amax")
    tensor([3., 5.])
    """
    if reduce not in _REDUCTIONS:
        raise KittyRuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    x, s, idx, axis = _scatter_prep(input, dim, index, src, "scatter_reduce")
    if not isinstance(s, F.Tensor):
        raise KittyTypeError("scatter_reduce(): argument 'src' must be Tensor")
    return _scatter_reduce_op(reduce).apply(x, s, idx, axis=axis, reduce=reduce, include_self=include_self)


def _index_vector(index, op, size, source=None, ndim=0):
    """``index`` as a 1-D array after the checks torch's kernel for ``index_<op>`` makes first: its
    rank and dtype (int32 or int64 for select and add, int64 only for copy and fill), each kernel in
    its own words (the in-place kernel's name, which the out-of-place spelling runs too)."""
    t = tensor_input(index, "index")
    idx, name = t._data, f"index_{op}" if op == "select" else f"index_{op}_"
    if op == "fill" and idx.dtype != _I64:  # (torch's fill looks at the dtype before the rank)
        raise KittyIndexError(f"{name}(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise {
            "select": KittyIndexError(f"{name}(): Index is supposed to be a vector"),
            "add": KittyIndexError(f"{name}(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                                   f"{dtype_name(t)} and size: {list(idx.shape)}"),
            "copy": KittyIndexError(f"{name}(): Index should have dimension 1 or 0 (got {idx.ndim})"),
            "fill": KittyRuntimeError("Index has to be a vector/scalar"),
        }[op]
    if op in ("select", "add") and idx.dtype not in (B.NP_DTYPES["int32"], _I64):
        raise KittyRuntimeError(f"{name}(): Expected dtype int32 or int64 for index" if op == "select" else
                                f"{name}(): Expected dtype int32/int64 for index but got: {dtype_name(t)}")
    if op == "copy" and source is not None:
        src_ndim = tensor_input(source, "source")._data.ndim
        if not src_ndim and idx.size != 1:  # (a 0-d source fills one slot, of any self)
            raise KittyIndexError(f"{name}(): When source is scalar, index should have one element (got {idx.size})")
        if src_ndim and ndim and src_ndim != ndim:
            raise KittyIndexError(
                f"{name}(): When source and destination are not scalars, their dimensionality must match. Source "
                f"dimensionality ({src_ndim}), destination dimensionality ({ndim})"
            )
    if op == "copy" and idx.dtype != _I64:
        raise KittyRuntimeError(f"{name}(): Expected a long tensor for index, but got {dtype_name(t)}")
    idx = idx.reshape(-1)
    if op == "select":
        _index_in_range(idx, op, size, 0, 1)
    return idx


def _index_in_range(idx, op, size, axis, ndim):
    """torch's range check for ``index_<op>``: only fill takes negative positions (from the end);
    each kernel words a miss its own way (add's per-dim kernel for int64 on 2-D and up)."""
    low = -size if op == "fill" else 0
    if not idx.size or (idx.min() >= low and idx.max() < size):  # (min and max: vmap batches these reads)
        return
    bad = idx[(idx < low) | (idx >= size)]
    where = f"index {int(bad[0])} is out of bounds for dimension {axis} with size {size}"
    if op == "copy":
        raise KittyIndexError(f"index_copy_(): {where}")
    if op == "fill":
        raise KittyIndexError(where)
    if op == "add" and idx.dtype == _I64 and ndim >= 2:
        raise KittyRuntimeError(where)
    raise KittyIndexError("index out of range in self")


def index_select(input, dim: int, index):
    """The slices of ``input`` along ``dim`` at the positions in the 1-D ``index``.

    >>> import kittygrad as kitty
    >>> kitty.index_select(kitty.tensor([[1, 2], [3, 4]]), 0, kitty.tensor([1, 1]))
    tensor([[3, 4],
            [3, 4]])
    """
    x = tensor_input(input)
    check_saved_index(index, x)
    axis = normalize_dim(dim, x._data.ndim)
    if x._data.ndim == 0:
        n = tensor_input(index, "index")._data
        if n.ndim <= 1 and n.size != 1:  # (torch counts before it looks at the index's dtype)
            raise KittyRuntimeError(f"index_select(): Index to scalar can have only 1 value, got {n.size} value(s)")
        idx = _index_vector(index, "select", 1)
        return IndexSelect.apply(x.reshape(1), idx, axis=0).reshape(())
    return IndexSelect.apply(x, _index_vector(index, "select", x._data.shape[axis]), axis=axis)


def _index_source(x, axis, idx, source, op):
    """``source`` checked against ``x`` (its dtype first, as torch), then ``idx`` against x's size."""
    src, fname = tensor_input(source, "source"), f"index_{op}_"
    if src._data.dtype != x._data.dtype:
        raise KittyRuntimeError(
            f"{fname}(): self and source expected to have the same dtype, but got (self) {dtype_name(x)} and "
            f"(source) {dtype_name(src)}" if op == "copy" else
            f"{fname}(): self ({dtype_name(x)}) and source ({dtype_name(src)}) must have the same scalar type"
        )
    xs, ss = list(x._data.shape), list(src._data.shape)
    if op == "add":
        if axis and axis >= len(ss):
            raise KittyRuntimeError(f"{fname}(): Indexing dim {axis} is out of bounds of the source tensor with dim {len(ss)}")
        if not ss and idx.size != 1:  # (torch asks a 0-d source for its size along dim 0)
            raise KittyIndexError("Dimension specified as 0 but tensor has no dimensions")
        if ss and ss[axis] != idx.size:
            raise KittyRuntimeError(f"{fname}(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                                    f"({ss[axis]}), for dim: {axis}")
    if op == "copy":
        # the slices beside dim must agree (a 0-d tensor is one empty slice); then the index count
        x_slice, s_slice = xs[:axis] + xs[axis + 1:], ss[:axis] + ss[axis + 1:]
        if x_slice != s_slice:  # (torch names dimension 0 for the source)
            raise KittyRuntimeError(
                f"{fname}(): Source/destination tensor must have same slice shapes. Destination slice shape: "
                f"{' '.join(map(str, x_slice))} at dimension {axis} and source slice shape: "
                f"{' '.join(map(str, s_slice))} at dimension 0."
            )
        if ss and ss[axis] != idx.size:
            raise KittyIndexError(f"{fname}(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                                  f"({ss[axis]})")
        _index_in_range(idx, op, xs[axis] if xs else 1, axis, len(xs))
        return src
    expect = list(xs)
    if expect:
        expect[axis] = idx.size
    if ss != expect and not (src._data.ndim == 0 and not expect):
        if op == "add":
            raise KittyRuntimeError("source tensor shape must match self tensor shape, excluding the specified "
                                    f"dimension. Got self.shape = {xs} source.shape = {ss}")
        raise KittyRuntimeError(
            f"{fname}(): Source/destination tensor must have same slice shapes. Destination slice shape: "
            f"{expect} and source slice shape: {ss}"
        )
    _index_in_range(idx, op, x._data.shape[axis] if x._data.ndim else 1, axis, x._data.ndim)
    return src


def index_add(input, dim: int, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source`` slices added at ``index`` along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.index_add(kitty.zeros(3), 0, kitty.tensor([0, 0]), kitty.tensor([1., 2.]))
    tensor([3., 0., 0.])
    """
    x = tensor_input(input)
    axis = normalize_dim(dim, x._data.ndim)
    idx = _index_vector(index, "add", x._data.shape[axis] if x._data.ndim else 1)
    src = _index_source(x, axis, idx, source, "add")
    return IndexAdd.apply(x, src, idx, axis=axis, alpha=alpha)


def index_copy(input, dim: int, index, source):
    """A copy of ``input`` with ``source`` slices written at ``index`` along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.index_copy(kitty.zeros(3), 0, kitty.tensor([2]), kitty.tensor([7.]))
    tensor([0., 0., 7.])
    """
    x = tensor_input(input)
    axis = normalize_dim(dim, x._data.ndim)
    idx = _index_vector(index, "copy", x._data.shape[axis] if x._data.ndim else 1, source, x._data.ndim)
    src = _index_source(x, axis, idx, source, "copy")
    return IndexCopy.apply(x, src, idx, axis=axis)


def _fill_value(x, value, fname):
    if isinstance(value, F.Tensor):
        if value._data.ndim != 0:
            raise KittyRuntimeError(
                f"{fname} only supports a 0-dimensional value tensor, but got tensor with {value._data.ndim} dimension(s)."
            )
        return cast(value, x.dtype)
    return D.fill_scalar(check_scalar(value, fname), x._data.dtype)


def _fill_index(index, axis, size, ndim):
    idx = _index_vector(index, "fill", size)
    _index_in_range(idx, "fill", size, axis, ndim)
    return idx


def index_fill(input, dim: int, index, value):
    """A copy of ``input`` with ``value`` at the ``index`` slices along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.index_fill(kitty.zeros(3), 0, kitty.tensor([1]), 2.)
    tensor([0., 2., 0.])
    """
    x = tensor_input(input)
    axis = normalize_dim(dim, x._data.ndim)
    idx = _fill_index(index, axis, x._data.shape[axis] if x._data.ndim else 1, x._data.ndim)
    return IndexFill.apply(x, _fill_value(x, value, "index_fill_"), idx, axis=axis)


def _mask_arg(mask, fname):
    m = tensor_input(mask, "mask")
    if m._data.dtype.kind != "b":
        if fname == "masked_scatter_" and m._data.dtype == B.xp.uint8:  # (warned, then refused all the same)
            warnings.warn(f"masked_scatter_ received a mask with dtype {D.uint8}, this behavior is now deprecated,"
                          f"please use a mask with dtype {D.bool} instead.", UserWarning, stacklevel=user_stacklevel())
        # each torch kernel words this its own way: masked_fill_ names the C++ element type
        # ('float'), masked_scatter_ the scalar type ('Float'), masked_select the tensor class
        if fname == "masked_select":
            raise KittyRuntimeError("masked_select: expected BoolTensor for mask")
        name = cpp_type_name(m) if fname == "masked_fill_" else dtype_scalar_name(m._data.dtype)
        raise KittyRuntimeError(f"{fname} only supports boolean masks, but got mask with dtype {name}")
    return m._data


def _mask_shape(shape, m):
    """The shape ``input`` and its mask broadcast to; torch puts the mask first, so a mismatch
    names the mask's size as tensor a."""
    return broadcast_shape_of(m.shape, shape)


def _mask_inplace_shape(shape, m):
    full = broadcast_shape_of(shape, m.shape)  # here torch names the tensor written to as tensor a
    if full != shape:
        raise KittyRuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}")
    return shape


def masked_fill(input, mask, value):
    """``input`` with ``value`` (a number or 0-d tensor) where the bool ``mask`` is True.

    >>> import kittygrad as kitty
    >>> kitty.masked_fill(kitty.zeros(3), kitty.tensor([True, False, True]), 1.)
    tensor([1., 0., 1.])
    """
    x = tensor_input(input)
    check_saved_index(mask, x)
    m = _mask_arg(mask, "masked_fill_")
    shape = _mask_shape(x._data.shape, m)
    x = expand_to(x, shape)
    out = MaskedFill.apply(x, _fill_value(x, value, "masked_fill_"), B.xp.broadcast_to(m, shape))
    # torch's overloads: MaskedFillBackward0 for a number, MaskedFillBackward1 for a tensor value
    return torch_named(out, "MaskedFillBackward1") if isinstance(value, F.Tensor) else out


def masked_scatter(input, mask, source):
    """``input`` with consecutive ``source`` elements written where ``mask`` is True.

    >>> import kittygrad as kitty
    >>> kitty.masked_scatter(kitty.zeros(3), kitty.tensor([True, False, True]), kitty.tensor([1., 2.]))
    tensor([1., 0., 2.])
    """
    return _masked_scatter(input, mask, source, "masked_scatter", 2)


def _masked_scatter_args(mask, source, fname, first):
    """mask and source as tensors, or torch's TypeError naming the argument and its position
    (``first``, the mask's: 1 for the Tensor methods, 2 for ``torch.masked_scatter``)."""
    for what, arg, position in (("mask", mask, first), ("source", source, first + 1)):
        if not isinstance(arg, (F.Tensor, B.xp.ndarray)):
            raise KittyTypeError(
                f"{fname}(): argument '{what}' (position {position}) must be Tensor, not {type(arg).__name__}")
    return tensor_input(mask, "mask"), tensor_input(source, "source")


def _same_dtype_source(x, src):
    if src._data.dtype != x._data.dtype:  # (torch's message has no space after 'got')
        raise KittyRuntimeError("masked_scatter: expected self and source to have same dtypes but "
                                f"got{dtype_name(x)} and {dtype_name(src)}")


def _masked_scatter(input, mask, source, fname, first):
    """Out of place, torch checks the broadcast shape, then source's dtype, then the mask's."""
    x = tensor_input(input)
    mt, src = _masked_scatter_args(mask, source, fname, first)
    shape = _mask_shape(x._data.shape, mt._data)
    _same_dtype_source(x, src)
    m = _mask_arg(mt, "masked_scatter_")
    return MaskedScatter.apply(expand_to(x, shape), src, B.xp.broadcast_to(m, shape))


def masked_select(input, mask):
    """The elements where ``mask`` is True, as a 1-D tensor (input and mask broadcast).

    >>> import kittygrad as kitty
    >>> kitty.masked_select(kitty.tensor([1., 2., 3.]), kitty.tensor([True, False, True]))
    tensor([1., 3.])
    """
    x = tensor_input(input)
    m = _mask_arg(mask, "masked_select")
    shape = _mask_shape(x._data.shape, m)
    return MaskedSelect.apply(expand_to(x, shape), B.xp.broadcast_to(m, shape))


def take(input, index):
    """Elements of the flattened ``input`` at ``index`` (the result has index's shape).

    >>> import kittygrad as kitty
    >>> kitty.take(kitty.tensor([[1, 2], [3, 4]]), kitty.tensor([0, 3]))
    tensor([1, 4])
    """
    x = tensor_input(input)
    idx = _index_arg(index, "take")
    n = x._data.size
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = int(idx.max()) if idx.max() >= n else int(idx.min())
        raise KittyIndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return Take.apply(x, idx)


def take_along_dim(input, indices, dim=None):
    """Values along ``dim`` at ``indices``, which broadcast against ``input`` on the other dims
    (of the flattened tensor when ``dim`` is None).

    >>> import kittygrad as kitty
    >>> x = kitty.tensor([[10., 30.], [20., 5.]])
    >>> kitty.take_along_dim(x, kitty.argmax(x, 1, keepdim=True), 1)
    tensor([[30.],
            [20.]])
    """
    x = tensor_input(input)
    idx = _index_arg(indices, "take_along_dim")
    if dim is None:
        return Gather.apply(x.reshape(-1), idx.reshape(-1), axis=0)
    axis = normalize_dim(dim, x._data.ndim)
    if idx.ndim != x._data.ndim:
        raise KittyRuntimeError("torch.take_along_dim(): input and indices should have the same number of dimensions")
    xs, ids = list(x._data.shape), list(idx.shape)
    xs[axis] = ids[axis] = 1
    common = broadcast_shape_of(tuple(xs), tuple(ids))
    xt = list(common)
    xt[axis] = x._data.shape[axis]
    it = list(common)
    it[axis] = idx.shape[axis]
    x = expand_to(x, tuple(xt))
    idx = B.xp.broadcast_to(idx, tuple(it))
    _check_gather_index(x._data.shape, idx, axis, "take_along_dim")
    return Gather.apply(x, idx, axis=axis)


def nonzero(input, *, as_tuple: bool = False):
    """Indices of nonzero elements: an (n, ndim) int64 tensor, or a tuple of 1-D index tensors.

    >>> import kittygrad as kitty
    >>> kitty.nonzero(kitty.tensor([0, 3, 0, 4]))
    tensor([[1],
            [3]])
    """
    x = tensor_input(input)._data
    wrap = F.Tensor._wrap
    if x.ndim == 0:
        hit = bool(x)
        if as_tuple:
            return (wrap(B.xp.zeros(int(hit), _I64)),)
        return wrap(B.xp.zeros((int(hit), 0), _I64))
    idx = B.xp.nonzero(x)
    if as_tuple:
        return tuple(wrap(i.astype(_I64, copy=False)) for i in idx)
    return wrap(B.xp.stack(idx, axis=1).astype(_I64, copy=False))


def argwhere(input):
    """``nonzero(input)``: an (n, ndim) tensor of the indices of nonzero elements.

    >>> import kittygrad as kitty
    >>> kitty.argwhere(kitty.tensor([0, 3]))
    tensor([[1]])
    """
    return nonzero(input)


# in-place helpers used by the Tensor methods (each checks self's shape is kept, as torch)


def _inplace(cls, self, *args, **params):
    return apply_inplace(cls, self, *args, **params)


def _masked_fill_(self, mask, value):
    m = _mask_arg(mask, "masked_fill_")
    shape = _mask_inplace_shape(self._data.shape, m)
    return _inplace(MaskedFill, self, _fill_value(self, value, "masked_fill_"), B.xp.broadcast_to(m, shape))


def _masked_scatter_(self, mask, source):
    mt, src = _masked_scatter_args(mask, source, "masked_scatter_", 1)
    _same_dtype_source(self, src)  # (in place, torch checks the dtypes first)
    shape = self._data.shape
    expand(mt, shape)  # torch expands the mask to self, with expand's errors
    m = _mask_arg(mt, "masked_scatter_")
    return _inplace(MaskedScatter, self, src, B.xp.broadcast_to(m, shape))


def _scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    src = _scatter_value(value) if src is None else src
    _check_scatter_reduce(reduce)
    x, s, idx, axis = _scatter_prep(self, dim, index, src, "scatter_")
    _warn_reduce_with_tensor_src(reduce, s)
    return _inplace(Scatter, self, s, idx, axis=axis, reduce=reduce)


def _scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    if reduce not in _REDUCTIONS:
        raise KittyRuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    x, s, idx, axis = _scatter_prep(self, dim, index, src, "scatter_reduce_")
    return _inplace(_scatter_reduce_op(reduce), self, s, idx, axis=axis, reduce=reduce, include_self=include_self)


def _scatter_add_(self, dim, index, src):
    x, s, idx, axis = _scatter_prep(self, dim, index, src, "scatter_add_")
    return _inplace(ScatterAdd, self, s, idx, axis=axis)


def _index_add_(self, dim, index, source, *, alpha=1):
    axis = normalize_dim(dim, self._data.ndim)
    idx = _index_vector(index, "add", self._data.shape[axis] if self._data.ndim else 1)
    src = _index_source(self, axis, idx, source, "add")
    return _inplace(IndexAdd, self, src, idx, axis=axis, alpha=alpha)


def _index_copy_(self, dim, index, source):
    axis = normalize_dim(dim, self._data.ndim)
    idx = _index_vector(index, "copy", self._data.shape[axis] if self._data.ndim else 1, source, self._data.ndim)
    src = _index_source(self, axis, idx, source, "copy")
    return _inplace(IndexCopy, self, src, idx, axis=axis)


def _index_fill_(self, dim, index, value):
    axis = normalize_dim(dim, self._data.ndim)
    idx = _fill_index(index, axis, self._data.shape[axis] if self._data.ndim else 1, self._data.ndim)
    return _inplace(IndexFill, self, _fill_value(self, value, "index_fill_"), idx, axis=axis)
