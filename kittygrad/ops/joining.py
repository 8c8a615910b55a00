"""Joining and splitting: ``cat``/``stack``, ``split``/``chunk``, ``repeat``, ``flip``, ``roll``."""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.function import Op
from ..autograd.graph_array import add_at
from ..errors import KittyIndexError, KittyNotImplementedError, KittyRuntimeError, KittyTypeError, KittyValueError
from ._prep import cast, dtype_name, index_int, normalize_dim, tensor_input, torch_named, varargs_sequence, warn_once
from .indexing import Select
from .shape import Permute, _alias, _shape_arg, expand, reshape, transpose


def _tensor_list(tensors, fname):
    if isinstance(tensors, F.Tensor) or not isinstance(tensors, (list, tuple)):
        raise KittyTypeError(f"{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        # torch names the offending element (``torch.cat([x, None])`` in a replay buffer's batch
        # is the usual way to get here); arrays still pass, tensor_input wraps them.
        if not (isinstance(t, F.Tensor) or B.is_array(t)):
            raise KittyTypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return [tensor_input(t, "tensors") for t in tensors]


def _promote_all(ts):
    dt = ts[0].dtype
    for t in ts[1:]:
        if t.dtype is not dt:
            dt = D.promote(dt, t.dtype)
    return [cast(t, dt) for t in ts]


class Cat(Op):
    """Concatenation; empty 1-D tensors take no part (torch's legacy rule) and get empty gradients."""

    saved_fields = ("axis", "sizes", "skip")


    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.skip = skip = [a.ndim == 1 and a.shape[0] == 0 for a in arrays]
        if True not in skip:
            self.sizes = [a.shape[axis] for a in arrays]
            return self.xp.concatenate(arrays, axis=axis)
        self.sizes = [a.shape[axis] if not s else 0 for a, s in zip(arrays, skip)]
        parts = [a for a, s in zip(arrays, skip) if not s] or list(arrays)
        return self.xp.concatenate(parts, axis=axis)

    def backward(self, g):
        out, start = [], 0
        idx = [slice(None)] * g.ndim
        for n, skipped in zip(self.sizes, self.skip):
            if skipped:
                out.append(self.xp.zeros((0,), g.dtype))
                continue
            idx[self.axis] = slice(start, start + n)
            out.append(g[tuple(idx)])
            start += n
        return tuple(out)


class Stack(Op):
    saved_fields = ("axis",)

    def forward(self, *arrays, axis=0):
        self.axis = axis
        # the arrays (one shape, one dtype: stack() checked and promoted them) given the new unit
        # dim and concatenated, the copy NumPy's stack makes after 1.8 us of checks in Python (1.0)
        shape = arrays[0].shape
        unit = shape[:axis] + (1,) + shape[axis:]
        return self.xp.concatenate([a.reshape(unit) for a in arrays], axis=axis)

    def backward(self, g):
        xp = self.xp
        return tuple(xp.take(g, i, axis=self.axis) for i in range(g.shape[self.axis]))


def cat(tensors, dim: int = 0):
    """Join tensors along an existing dim (dtypes promote; empty 1-D tensors are skipped, as torch).

    >>> import kittygrad as kitty
    >>> kitty.cat([kitty.zeros(2, 1), kitty.ones(2, 2)], dim=1).shape
    kittygrad.Size([2, 3])
    """
    ts = _tensor_list(tensors, "cat")
    if not ts:
        raise KittyValueError("torch.cat(): expected a non-empty list of Tensors")
    if index_int(dim) is None:
        raise KittyTypeError(f"cat(): argument 'dim' (position 2) must be int, not {type(dim).__name__}")
    joined = _plain_cat(ts, dim)
    if joined is not None:
        return joined
    real = [t for t in ts if not (t._data.ndim == 1 and t._data.shape[0] == 0)]
    ref = real[0] if real else ts[0]
    nd = ref._data.ndim
    if nd == 0:
        raise KittyRuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    axis = normalize_dim(dim, nd)
    for i, t in enumerate(ts):
        if t._data.ndim == 1 and t._data.shape[0] == 0 and nd != 1:
            continue
        if t._data.ndim != nd:
            raise KittyRuntimeError(
                f"Tensors must have same number of dimensions: got {nd} and {t._data.ndim}"
            )
        for d in range(nd):
            if d != axis and t._data.shape[d] != ref._data.shape[d]:
                raise KittyRuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size {ref._data.shape[d]} "
                    f"but got size {t._data.shape[d]} for tensor number {i} in the list."
                )
    return Cat.apply(*_promote_all(ts), axis=axis)


concat = concatenate = cat


def _plain_cat(ts, dim):
    """``cat`` of tensors of one dtype and rank that agree off ``dim`` (an RNN step's input and
    state, a batch's pieces): the general checks' outcome found in one pass, or None where they
    must run (they name what is wrong, and promote, and skip empty 1-D tensors)."""
    first = ts[0]._data
    nd, dtype = first.ndim, first.dtype
    if type(dim) is not int or not -nd <= dim < nd:
        return None
    axis = dim % nd
    around = first.shape[:axis], first.shape[axis + 1:]
    for t in ts:
        a = t._data
        if a.dtype is not dtype or a.ndim != nd or (a.shape[:axis], a.shape[axis + 1:]) != around:
            return None
    return Cat.apply(*ts, axis=axis)


def stack(tensors, dim: int = 0):
    """Join same-shaped tensors along a new dim.

    >>> import kittygrad as kitty
    >>> kitty.stack([kitty.zeros(3), kitty.ones(3)]).shape
    kittygrad.Size([2, 3])
    """
    ts = _tensor_list(tensors, "stack")
    if not ts:
        raise KittyRuntimeError("stack expects a non-empty TensorList")
    shape = ts[0]._data.shape
    for i, t in enumerate(ts):
        if t._data.shape != shape:
            raise KittyRuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                f"{list(t._data.shape)} at entry {i}"
            )
    axis = normalize_dim(dim, len(shape) + 1)
    return Stack.apply(*_promote_all(ts), axis=axis)


def atleast_1d(*tensors):
    """The tensor(s) with at least one dim (0-d become shape (1,)).

    >>> import kittygrad as kitty
    >>> kitty.atleast_1d(kitty.tensor(1.)).shape
    kittygrad.Size([1])
    """
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    """The tensor(s) with at least two dims (new dims in front).

    >>> import kittygrad as kitty
    >>> kitty.atleast_2d(kitty.ones(3)).shape
    kittygrad.Size([1, 3])
    """
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    """The tensor(s) with at least three dims ((n,) -> (1, n, 1); (m, n) -> (m, n, 1)).

    >>> import kittygrad as kitty
    >>> kitty.atleast_3d(kitty.ones(3)).shape
    kittygrad.Size([1, 3, 1])
    """
    return _atleast(tensors, 3)


def _atleast(tensors, n):
    single = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    ts = [tensor_input(t) for t in varargs_sequence(tensors)]
    out = []
    for t in ts:
        s = t._data.shape
        if len(s) >= n:
            out.append(t)
            continue
        if n == 3:
            new = {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}[len(s)]
        else:
            new = (1,) * (n - len(s)) + s
        out.append(reshape(t, new))
    return out[0] if single else tuple(out)


def hstack(tensors):
    """Concatenate along dim 1 (dim 0 for 1-D tensors).

    >>> import kittygrad as kitty
    >>> kitty.hstack([kitty.ones(2), kitty.zeros(3)]).shape
    kittygrad.Size([5])
    """
    ts = atleast_1d(*_tensor_list(tensors, "hstack"))
    ts = ts if isinstance(ts, tuple) else (ts,)
    return cat(list(ts), 0 if ts[0]._data.ndim == 1 else 1)


def vstack(tensors):
    """Concatenate along dim 0 after making each tensor at least 2-D.

    >>> import kittygrad as kitty
    >>> kitty.vstack([kitty.ones(3), kitty.zeros(3)]).shape
    kittygrad.Size([2, 3])
    """
    ts = atleast_2d(*_tensor_list(tensors, "vstack"))
    return cat(list(ts if isinstance(ts, tuple) else (ts,)), 0)


row_stack = vstack


def dstack(tensors):
    """Concatenate along dim 2 after making each tensor at least 3-D.

    >>> import kittygrad as kitty
    >>> kitty.dstack([kitty.ones(2, 3), kitty.zeros(2, 3)]).shape
    kittygrad.Size([2, 3, 2])
    """
    ts = atleast_3d(*_tensor_list(tensors, "dstack"))
    return cat(list(ts if isinstance(ts, tuple) else (ts,)), 2)


def column_stack(tensors):
    """Stack 0-d/1-D tensors as columns (others are hstacked).

    >>> import kittygrad as kitty
    >>> kitty.column_stack([kitty.ones(3), kitty.zeros(3)]).shape
    kittygrad.Size([3, 2])
    """
    ts = _tensor_list(tensors, "column_stack")
    cols = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in ts]
    return cat(cols, 1)


# ---------------------------------------------------------------------------------------------
# views: narrow, select, split, chunk, unbind


class Pieces(Op):
    """Views of consecutive pieces of the input along ``axis`` in one node, as torch records a
    split: ``keys`` holds each piece's slice. Backward joins the pieces' gradients into one array
    (one pass), where a node per piece would fill a zero array of the input's size for each and
    the engine would sum them (16 pieces of (32, 16, 256): 0.79 -> 0.2 ms forward + backward)."""

    saved_fields = ("axis", "dtype", "in_shape", "keys")
    is_view = True
    _name = "SplitBackward"
    _fills_missing = False  # a piece that got no gradient stays zero in the joined array

    @staticmethod
    def piece_views(axis, keys):
        """Each piece as the single view that re-derives it from the input (after an in-place
        change of the input)."""
        lead = (slice(None),) * axis
        return [(Select, (lead + (key,),), {}) for key in keys]

    def forward(self, x, axis, keys):
        self.in_shape, self.dtype, self.axis, self.keys = x.shape, x.dtype, axis, keys
        lead = (slice(None),) * axis
        # (the Ellipsis: a whole-array int index would give a NumPy scalar, a copy)
        return tuple(x[lead + (key, Ellipsis)] for key in keys)

    def backward(self, *grads):
        if all(g is not None for g in grads):
            return (self._joined(grads),)
        gx = B.xp.zeros_like(next(g for g in grads if g is not None), self.dtype, shape=self.in_shape)
        lead = (slice(None),) * self.axis
        for key, g in zip(self.keys, grads):
            if g is not None:
                gx[lead + (key,)] = g
        return (gx,)

    def _joined(self, grads):
        return B.xp.concatenate(grads, axis=self.axis)


class UnbindPieces(Pieces):
    """unbind's slices (the axis removed) in one node; their gradients are stacked."""

    _name = "UnbindBackward"

    def _joined(self, grads):
        return B.xp.stack(grads, axis=self.axis)


def narrow(input, dim: int, start, length: int):
    """A view of ``length`` elements from ``start`` along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.narrow(kitty.arange(5), 0, 1, 3)
    tensor([1, 2, 3])
    """
    x = tensor_input(input)
    nd = x._data.ndim
    if nd == 0:
        raise KittyRuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    axis = normalize_dim(dim, nd)
    size = x._data.shape[axis]
    if isinstance(start, F.Tensor):
        start = start.item()
    if not -size <= start <= size:
        raise KittyIndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise KittyRuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise KittyRuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return Select.apply(x, (slice(None),) * axis + (slice(start, start + length),))


def select(input, dim: int, index: int):
    """A view of the slice at ``index`` along ``dim`` (that dim is removed).

    >>> import kittygrad as kitty
    >>> kitty.select(kitty.arange(6).view(2, 3), 1, 0)
    tensor([0, 3])
    """
    x = tensor_input(input)
    nd = x._data.ndim
    if nd == 0:
        raise KittyIndexError("select() cannot be applied to a 0-dim tensor.")
    axis = normalize_dim(dim, nd)
    size = x._data.shape[axis]
    if isinstance(index, F.Tensor):
        index = index.item()
    if not -size <= index < size:
        raise KittyIndexError(
            f"select(): index {index} out of range for tensor of size {list(x._data.shape)} at dimension {axis}"
        )
    return Select.apply(x, (slice(None),) * axis + (index % size,))


def split(tensor, split_size_or_sections, dim: int = 0):
    """Views of consecutive pieces: of size ``split_size`` (the last may be smaller) or of the listed sizes.

    >>> import kittygrad as kitty
    >>> [t.tolist() for t in kitty.split(kitty.arange(5), 2)]
    [[0, 1], [2, 3], [4]]
    """
    x = tensor_input(tensor, "tensor")
    nd = x._data.ndim
    if nd == 0:
        raise KittyRuntimeError("split expects at least a 1-dimensional tensor")
    axis = normalize_dim(dim, nd)
    size = x._data.shape[axis]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != size or any(s < 0 for s in sizes):
            raise KittyRuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                f"dimension {axis}), but got split_sizes={sizes}"
            )
    else:
        step = int(split_size_or_sections)
        if step < 0 or (step == 0 and size != 0):
            raise KittyRuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        # an empty dim still gives one (empty) piece, as torch
        sizes = ([min(step, size - s) for s in range(0, size, step)] or [0]) if step else [0]
    keys, start = [], 0
    for n in sizes:
        keys.append(slice(start, start + n))
        start += n
    label = "SplitWithSizesBackward0" if isinstance(split_size_or_sections, (list, tuple)) else "SplitBackward0"
    return _multi_view(torch_named(Pieces.apply(x, axis=axis, keys=tuple(keys)), label), "SplitBackward")


def _multi_view(outs: tuple, name: str) -> tuple:
    """Mark views that one call returned together: torch refuses in-place ops on them."""
    for t in outs:
        t._multi_view = name
    return outs


def tensor_split(input, indices_or_sections, dim: int = 0):
    """Split into ``n`` nearly equal views, or at the given indices.

    >>> import kittygrad as kitty
    >>> [t.tolist() for t in kitty.tensor_split(kitty.arange(5), 3)]
    [[0, 1], [2, 3], [4]]
    """
    x = tensor_input(input)
    axis = normalize_dim(dim, x._data.ndim)
    size = x._data.shape[axis]
    if isinstance(indices_or_sections, F.Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        if n <= 0:
            raise KittyRuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds = [0]
        for i in range(n):
            bounds.append(bounds[-1] + q + (1 if i < r else 0))
    else:
        bounds = [0] + [builtins_min(builtins_max(int(i) if i >= 0 else int(i) + size, 0), size) for i in indices_or_sections] + [size]
    return tuple(  # ordinary slice views: torch allows in-place ops on them (unlike split's)
        narrow(x, axis, builtins_min(s, size), builtins_max(0, builtins_min(e, size) - builtins_min(s, size)))
        for s, e in zip(bounds[:-1], bounds[1:])
    )


builtins_min, builtins_max = min, max


def chunk(input, chunks: int, dim: int = 0):
    """Up to ``chunks`` views of equal size (the last may be smaller).

    >>> import kittygrad as kitty
    >>> [t.tolist() for t in kitty.chunk(kitty.arange(5), 2)]
    [[0, 1, 2], [3, 4]]
    """
    x = tensor_input(input)
    if chunks <= 0:
        raise KittyRuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    nd = x._data.ndim
    if nd == 0:
        raise KittyRuntimeError("chunk expects at least a 1-dimensional tensor")
    axis = normalize_dim(dim, nd)
    size = x._data.shape[axis]
    step = -(-size // chunks)
    return split(x, step if size else 0, axis) if size else tuple(narrow(x, axis, 0, 0) for _ in range(chunks))


def unbind(input, dim: int = 0):
    """All slices along ``dim``, as a tuple of views.

    >>> import kittygrad as kitty
    >>> len(kitty.unbind(kitty.zeros(3, 2), 1))
    2
    """
    x = tensor_input(input)
    if x._data.ndim == 0:
        raise KittyIndexError("Dimension specified as 0 but tensor has no dimensions")
    axis = normalize_dim(dim, x._data.ndim)
    pieces = UnbindPieces.apply(x, axis=axis, keys=tuple(range(x._data.shape[axis])))
    return _multi_view(torch_named(pieces, "UnbindBackward0"), "UnbindBackward")


# ---------------------------------------------------------------------------------------------
# rearranging


def movedim(input, source, destination):
    """Move dims from ``source`` to ``destination`` positions (others keep their order); a view.

    >>> import kittygrad as kitty
    >>> kitty.movedim(kitty.zeros(2, 3, 4), 0, -1).shape
    kittygrad.Size([3, 4, 2])
    """
    x = tensor_input(input)
    nd = x._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise KittyRuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) should contain the same "
            f"number of dims as destination ({dst} dims)"
        )
    src = [normalize_dim(d, nd) for d in src]
    dst = [normalize_dim(d, nd) for d in dst]
    if len(set(src)) != len(src):
        raise KittyRuntimeError(f"movedim: repeated dim in `source` ({src})")
    if len(set(dst)) != len(dst):
        raise KittyRuntimeError(f"movedim: repeated dim in `destination` ({dst})")
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src)
    order = [o if o is not None else next(rest) for o in order]
    if nd == 0 or order == list(range(nd)):
        return _alias(x, "PermuteBackward0")
    return Permute.apply(x, tuple(order))


moveaxis = movedim


def unflatten(input, dim: int, sizes):
    """Split one dim into several (``sizes`` may hold one -1).

    >>> import kittygrad as kitty
    >>> kitty.unflatten(kitty.zeros(2, 6), 1, (2, 3)).shape
    kittygrad.Size([2, 2, 3])
    """
    x = tensor_input(input)
    nd = x._data.ndim
    axis = normalize_dim(dim, nd)
    sizes = _shape_arg((sizes,)) if not isinstance(sizes, int) else (sizes,)
    n = x._data.shape[axis]
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if sizes.count(-1) > 1:
        raise KittyRuntimeError("unflatten: only one dimension can be inferred")
    if -1 in sizes:
        if known == 0 or n % known:
            raise KittyRuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({n}) in the input tensor")
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    elif known != n:
        raise KittyRuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({n}) in the input tensor")
    shape = x._data.shape
    # (torch's unflatten is a view, and its ravel views a contiguous copy: not reshape's alias node)
    return torch_named(reshape(x, shape[:axis] + tuple(sizes) + shape[axis + 1 :]), "ViewBackward0")


def ravel(input):
    """The elements as a 1-D tensor (a view when contiguous).

    >>> import kittygrad as kitty
    >>> kitty.ravel(kitty.zeros(2, 3)).shape
    kittygrad.Size([6])
    """
    return torch_named(reshape(tensor_input(input), (-1,)), "ViewBackward0")


class Repeat(Op):
    """``x.repeat(*sizes)``: tile the whole tensor; the gradient sums the copies."""

    saved_fields = ("in_shape", "reps", "shape")


    def forward(self, x, reps=()):
        lead = len(reps) - x.ndim
        self.shape = (1,) * lead + x.shape
        self.in_shape, self.reps = x.shape, reps
        return self.xp.tile(x.reshape(self.shape), reps)

    def backward(self, g):
        inter = []
        for r, s in zip(self.reps, self.shape):
            inter += [r, s]
        axes = tuple(range(0, 2 * len(self.reps), 2))
        return (g.reshape(inter).sum(axis=axes).reshape(self.in_shape),)


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim (more sizes than dims add leading dims).

    >>> import kittygrad as kitty
    >>> kitty.tensor([1, 2]).repeat(2)
    tensor([1, 2, 1, 2])
    """
    x = tensor_input(input)
    reps = _shape_arg(sizes)
    if len(reps) < x._data.ndim:
        raise KittyRuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    if any(r < 0 for r in reps):
        raise KittyRuntimeError(f"Trying to create tensor with negative dimension: {list(reps)}")
    return Repeat.apply(x, reps=reps)


def tile(input, dims):
    """``repeat`` that pads ``dims`` with leading ones when it is shorter than the tensor's dims.

    >>> import kittygrad as kitty
    >>> kitty.tile(kitty.ones(2, 2), (2,)).shape
    kittygrad.Size([2, 4])
    """
    x = tensor_input(input)
    dims = _shape_arg((dims,)) if not isinstance(dims, int) else (dims,)
    dims = (1,) * (x._data.ndim - len(dims)) + tuple(dims)
    return repeat(x, dims)


class RepeatInterleave(Op):
    saved_fields = ("axis", "n", "repeats")

    def forward(self, x, repeats=None, axis=0):
        xp = self.xp
        self.axis, self.repeats, self.n = axis, repeats, x.shape[axis]
        return xp.repeat(x, repeats, axis=axis)

    def backward(self, g):
        xp = self.xp
        reps, axis = self.repeats, self.axis
        if isinstance(reps, int):
            shape = g.shape[:axis] + (self.n, reps) + g.shape[axis + 1 :]
            copies = g.reshape(shape)
            if type(g) is B.ndarray and 1 <= reps <= 8:
                # the copies added one by one, in order (torch's order, up to 8 copies): NumPy's
                # sum along a short axis runs a loop per element (repeat_interleave(x, 2)'s
                # backward took 4x torch's time)
                lead = (slice(None),) * (axis + 1)
                out = copies[lead + (0,)].copy()
                for k in range(1, reps):
                    out += copies[lead + (k,)]
                return (out,)
            return (copies.sum(axis=axis + 1),)
        starts = xp.concatenate([xp.zeros(1, reps.dtype), xp.cumsum(reps)[:-1]])
        out = xp.zeros(g.shape[:axis] + (self.n,) + g.shape[axis + 1 :], g.dtype)
        nonempty = reps > 0
        if nonempty.any():
            sums = xp.add.reduceat(g, starts[nonempty], axis=axis)
            idx = [slice(None)] * g.ndim
            idx[axis] = xp.nonzero(nonempty)[0]
            out[tuple(idx)] = sums
        return (out,)

    def _graph_backward(self, grads):
        # double backward: add.reduceat has no Tensor form; the same sums as an index_add of g
        # into the source positions (linear in g, so its own gradient is exact)
        (g,) = grads
        if isinstance(self.repeats, int):
            return super()._graph_backward(grads)
        if g is None:
            return (None,)
        xp = self.xp
        src = xp.repeat(xp.arange(self.n), self.repeats)
        idx = (slice(None),) * self.axis + (src,)
        gx = xp.zeros_like(g, shape=g.shape[: self.axis] + (self.n,) + g.shape[self.axis + 1 :])
        return (add_at(gx, idx, g),)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element ``repeats`` times (an int or one count per element) along ``dim``
    (of the flattened tensor by default). With only a tensor of counts, repeat its indices.

    >>> import kittygrad as kitty
    >>> kitty.repeat_interleave(kitty.tensor([1, 2]), 2)
    tensor([1, 1, 2, 2])
    """
    x = tensor_input(input)
    if repeats is None:  # repeat_interleave(repeats): indices repeated
        counts = x._data
        if counts.ndim != 1:
            raise KittyRuntimeError("repeat_interleave only accept 1D vector as repeat")
        if counts.dtype.kind not in "iu":
            raise KittyNotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{dtype_name(x)}'")
        _check_counts(counts, output_size)
        return F.Tensor._wrap(B.xp.repeat(B.xp.arange(counts.shape[0]), counts).astype(counts.dtype))
    if dim is None:
        x = reshape(x, (-1,))
        axis = 0
    else:
        axis = normalize_dim(dim, x._data.ndim)
        if x._data.ndim == 0:
            x = reshape(x, (1,))
    if isinstance(repeats, F.Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise KittyRuntimeError("repeat_interleave: repeats has to be Long or Int tensor")
        if r.ndim == 0 or r.size == 1:
            # one count for every element, with a tensor's checks (its words for a negative count)
            _check_counts(B.xp.broadcast_to(r.reshape(()), (x._data.shape[axis],)), output_size)
            count = int(r.reshape(()))
        else:
            if r.ndim != 1:
                raise KittyRuntimeError("repeats must be 0-dim or 1-dim tensor")
            if r.shape[0] != x._data.shape[axis]:
                raise KittyRuntimeError(
                    "repeats must have the same size as input along dim, but got "
                    f"repeats.size(0) = {r.shape[0]} and input.size({0 if dim is None else dim}) = {x._data.shape[axis]}"
                )
            _check_counts(r, output_size)
            return torch_named(RepeatInterleave.apply(x, repeats=r, axis=axis), "IndexSelectBackward0")
    else:  # a number: torch's own checks for it
        if repeats < 0:
            raise KittyRuntimeError("Repeats must be non-negative")
        total = int(repeats) * x._data.shape[axis]
        if output_size is not None and output_size != total:
            raise KittyRuntimeError(f"repeat_interleave: Invalid output_size, expected {total} but got {output_size}")
        count = int(repeats)
    # torch picks the elements by index_select for counts in a tensor (even one), and views an
    # expand for a number
    label = "IndexSelectBackward0" if isinstance(repeats, F.Tensor) else "ViewBackward0"
    return torch_named(RepeatInterleave.apply(x, repeats=count, axis=axis), label)


def _check_counts(counts, output_size) -> None:
    """torch's checks of a tensor of repeat counts: none negative, and their sum the output_size given."""
    if counts.size and (counts < 0).any():
        raise KittyRuntimeError("repeats can not be negative")
    if output_size is not None and output_size != int(counts.sum()):
        raise KittyRuntimeError("allocated size does not match required size")


class Flip(Op):
    saved_fields = ("axes",)

    def forward(self, x, axes=()):
        self.axes = axes
        return self.xp.flip(x, axes).copy()

    def backward(self, g):
        return (self.xp.flip(g, self.axes),)


def flip(input, dims):
    """Reverse the order of elements along ``dims`` (a copy, as torch).

    >>> import kittygrad as kitty
    >>> kitty.flip(kitty.tensor([1, 2, 3]), (0,))
    tensor([3, 2, 1])
    """
    x = tensor_input(input)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = tuple(normalize_dim(d, x._data.ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise KittyRuntimeError(f"dims has duplicates, original flip dims size={len(dims)}, but unique flip dims size={len(set(axes))}")
    if x._data.ndim == 0:
        axes = ()
    return Flip.apply(x, axes=axes)


def fliplr(input):
    """Flip the columns (dim 1).

    >>> import kittygrad as kitty
    >>> kitty.fliplr(kitty.tensor([[1, 2]]))
    tensor([[2, 1]])
    """
    x = tensor_input(input)
    if x._data.ndim < 2:
        raise KittyRuntimeError("Input must be >= 2-d.")
    return flip(x, (1,))


def flipud(input):
    """Flip the rows (dim 0).

    >>> import kittygrad as kitty
    >>> kitty.flipud(kitty.tensor([1, 2]))
    tensor([2, 1])
    """
    x = tensor_input(input)
    if x._data.ndim < 1:
        raise KittyRuntimeError("Input must be >= 1-d.")
    return flip(x, (0,))


class Roll(Op):
    saved_fields = ("axes", "shifts")

    def forward(self, x, shifts=(), axes=None):
        self.shifts, self.axes = shifts, axes
        return self.xp.roll(x, shifts, axes)

    def backward(self, g):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return (self.xp.roll(g, back, self.axes),)


def roll(input, shifts, dims=None):
    """Shift elements cyclically along ``dims`` (of the flattened tensor when not given).

    >>> import kittygrad as kitty
    >>> kitty.roll(kitty.tensor([1, 2, 3]), 1)
    tensor([3, 1, 2])
    """
    x = tensor_input(input)
    shifts_t = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts_t) != 1:
            raise KittyRuntimeError(f"shifts and dimensions must align. shifts: {len(shifts_t)}, dims:0")
        return Roll.apply(x, shifts=shifts_t[0], axes=None)
    dims_t = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts_t) != len(dims_t):
        raise KittyRuntimeError(f"shifts and dimensions must align. shifts: {len(shifts_t)}, dims:{len(dims_t)}")
    axes = tuple(normalize_dim(d, x._data.ndim) for d in dims_t)
    return Roll.apply(x, shifts=shifts_t, axes=axes)


def rot90(input, k: int = 1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the second).

    >>> import kittygrad as kitty
    >>> kitty.rot90(kitty.tensor([[1, 2], [3, 4]]))
    tensor([[2, 4],
            [1, 3]])
    """

    x = tensor_input(input)
    if len(dims) != 2:
        raise KittyRuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = x._data.ndim
    if nd < 2:
        raise KittyRuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = normalize_dim(dims[0], nd), normalize_dim(dims[1], nd)
    if d0 == d1:
        raise KittyRuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(x, (d1,)), d0, d1)
    if k == 2:
        return flip(x, (d0, d1))
    if k == 3:
        return transpose(flip(x, (d0,)), d0, d1)
    return x.clone()


def meshgrid(*tensors, indexing: str | None = None):
    """Coordinate grids from 1-D tensors (``indexing='ij'`` or ``'xy'``), as expanded views.
    Without ``indexing``, ``'ij'``, and torch's warning (once a process) that it will be required.

    >>> import kittygrad as kitty
    >>> a, b = kitty.meshgrid(kitty.arange(2), kitty.arange(3), indexing="ij")
    >>> a.shape
    kittygrad.Size([2, 3])
    """

    ts = [tensor_input(t, "tensors") for t in varargs_sequence(tensors)]
    if indexing is None:
        warn_once("meshgrid", "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.")
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise KittyValueError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in ts:
        if t._data.ndim > 1:
            raise KittyRuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t._data.ndim}D")
    ts = [reshape(t, (-1,)) for t in ts]
    n = len(ts)
    sizes = [t._data.shape[0] for t in ts]
    swap = indexing == "xy" and n >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(ts):
        pos = i
        if swap and i < 2:
            pos = 1 - i
        shape = [1] * n
        shape[pos] = t._data.shape[0]
        out.append(expand(reshape(t, tuple(shape)), *sizes))
    return tuple(out)
