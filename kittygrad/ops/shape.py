"""Shape and view ops: ``view``/``reshape``, ``permute``/``transpose``, ``squeeze``, slicing views."""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from ..autograd.function import Op
from ..errors import KittyRuntimeError, KittyTypeError, KittyValueError
from ..size import Size
from ._prep import broadcast_shape_of, expand_to, index_int, normalize_dim, torch_named, varargs_sequence
from .conversion import Expand


class Transpose(Op):
    saved_fields = ("dims",)
    is_view = True

    def forward(self, x, dim0, dim1):
        self.dims = (dim0, dim1)
        return self.xp.swapaxes(x, dim0, dim1)

    def backward(self, g):
        return self.xp.swapaxes(g, *self.dims), None, None


class Permute(Op):
    saved_fields = ("dims",)
    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return self.xp.transpose(x, dims)

    def backward(self, g):
        return self.xp.transpose(g, tuple(self.xp.argsort(self.dims).tolist())), None


class View(Op):
    """``view``: a reshape that must not copy."""

    saved_fields = ("in_shape",)
    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        out = x.reshape(shape)
        if out.size and not B.may_share_memory(out, x):  # the strides do not allow a view
            raise KittyRuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            )
        return out

    def backward(self, g):
        return g.reshape(self.in_shape), None


class Reshape(Op):
    """``reshape``: a view when the strides allow it, else a copy (as torch)."""

    saved_fields = ("in_shape", "is_view")
    _name = "ViewBackward"
    bfloat16_kernel = True  # (a view or not is decided on the array itself, so it must stay bfloat16)

    def forward(self, x, shape):
        self.in_shape = x.shape
        out = x.reshape(shape)
        if not out.size or B.may_share_memory(out, x):  # an empty reshape is a view in torch (#6c)
            self.is_view = True
            if out.size and not x.flags.c_contiguous:  # (torch views a strided input by _reshape_alias)
                self.torch_label = "ReshapeAliasBackward0"
        else:
            self._name = "CloneBackward"
            self.torch_label = "UnsafeViewBackward0"  # (torch's copying reshape: _unsafe_view of a clone)
        return out

    def backward(self, g):
        return g.reshape(self.in_shape), None


class Squeeze(Op):
    saved_fields = ("in_shape",)
    is_view = True

    def forward(self, x, axes):
        self.in_shape = x.shape
        return x.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))

    def backward(self, g):
        return g.reshape(self.in_shape), None


class Unsqueeze(Op):
    saved_fields = ("axis",)
    is_view = True

    def forward(self, x, axis):
        self.axis = axis
        # (a reshape that inserts the unit dims, always a view: NumPy's expand_dims took 1.9 us of
        # Python to the reshape's 0.2, and recurrent cells unsqueeze every step's input and states)
        shape = x.shape
        for a in axis if type(axis) is tuple else (axis,):  # (sorted: each a position in the result)
            shape = shape[:a] + (1,) + shape[a:]
        return x.reshape(shape)

    def backward(self, g):
        return self.xp.squeeze(g, self.axis), None


class Alias(Op):
    """A new tensor object on the same memory (``view_as(self)``, ``detach`` bookkeeping)."""

    is_view = True
    _name = "AliasBackward"

    def forward(self, x):
        return x.view()

    def backward(self, g):
        return (g,)


def _alias(input, torch_label: str):
    """A view of all of ``input`` where a shape op changes nothing: torch records the op's own node
    (``reshape`` to the same shape is a ``ViewBackward0``), so its name is given for torch's naming."""
    return torch_named(Alias.apply(input), torch_label)


# ---------------------------------------------------------------------------------------------


def _sizes_or_keyword(args: tuple, keyword, name: str, fn: str) -> tuple:
    """The sizes of a call that takes them as varargs or as one keyword (``zeros(2, 3)`` or
    ``zeros(size=(2, 3))``, ``x.reshape(shape=...)``): the varargs, or the keyword's value as one argument."""
    if keyword is None:
        return args
    if args:
        raise KittyTypeError(f"{fn}() got multiple values for argument '{name}'")
    return (keyword,)


def _shape_arg(args) -> tuple:
    """Sizes given as varargs or as one sequence, as torch accepts them."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)) or (len(args) == 1 and type(args[0]).__name__ == "Size"):
        args = tuple(args[0])
    out = []
    for a in args:
        if type(a) is not int:
            if hasattr(a, "_data") and a._data.ndim == 0:
                a = a.item()
            as_int = index_int(a)  # NumPy integer scalars too, as torch takes them
            if as_int is None:
                raise KittyTypeError(f"sizes must be ints, got {type(a).__name__}")
            a = as_int
        out.append(a)
    return tuple(out)


def _infer_shape(shape, numel: int, in_shape) -> tuple:
    # one left-to-right pass, as torch's: the first offending entry decides which error is raised
    inferred = False
    for i, n in enumerate(shape):
        if n == -1:
            if inferred:
                raise KittyRuntimeError("only one dimension can be inferred")
            inferred = True
        elif n < 0:
            raise KittyRuntimeError(f"invalid shape dimension {n} at index {i} of shape {list(shape)}")
    if -1 in shape:
        known = 1
        for n in shape:
            if n != -1:
                known *= n
        if known == 0 or numel % known:
            raise KittyRuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if n == -1 else n for n in shape)
    total = 1
    for n in shape:
        total *= n
    if total != numel:
        raise KittyRuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def view(input, *shape):
    """A tensor with another shape on the same memory (raises if the strides don't allow it).

    >>> import kittygrad as kitty
    >>> kitty.arange(6).view(2, 3).shape
    kittygrad.Size([2, 3])
    """
    shape = _infer_shape(_shape_arg(shape), input._data.size, input._data.shape)
    return View.apply(input, shape)


def reshape(input, *shape):
    """Like ``view``, but copies when the memory layout requires it.

    >>> import kittygrad as kitty
    >>> kitty.reshape(kitty.arange(6), (3, -1)).shape
    kittygrad.Size([3, 2])
    """
    shape = _infer_shape(_shape_arg(shape), input._data.size, input._data.shape)
    if shape == input._data.shape:  # (a view of a strided input is torch's _reshape_alias, as in Reshape)
        strided = input._data.size and not input._data.flags.c_contiguous
        return _alias(input, "ReshapeAliasBackward0" if strided else "ViewBackward0")
    return Reshape.apply(input, shape)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dims ``start_dim..end_dim`` into one.

    >>> import kittygrad as kitty
    >>> kitty.zeros(2, 3, 4).flatten(1).shape
    kittygrad.Size([2, 12])
    """
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s = normalize_dim(start_dim, len(shape))
    e = normalize_dim(end_dim, len(shape))
    if s > e:
        raise KittyRuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:  # nothing to merge: torch returns the tensor itself, not a view
        return input
    n = 1
    for d in shape[s : e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1 :])


def transpose(input, dim0: int, dim1: int):
    """Swap two dims (a view).

    >>> import kittygrad as kitty
    >>> kitty.zeros(2, 3).transpose(0, 1).shape
    kittygrad.Size([3, 2])
    """
    nd = input._data.ndim
    d0, d1 = normalize_dim(dim0, nd), normalize_dim(dim1, nd)
    if nd == 0:
        return _alias(input, "TransposeBackward0")
    return Transpose.apply(input, d0, d1)


swapdims = transpose


def swapaxes(input, axis0: int, axis1: int):
    """``transpose`` under NumPy's names (torch names this one's arguments ``axis0``/``axis1``).

    >>> import kittygrad as kitty
    >>> kitty.swapaxes(kitty.zeros(2, 3), axis0=0, axis1=1).shape
    kittygrad.Size([3, 2])
    """
    return transpose(input, axis0, axis1)


def t(input):
    """Transpose a tensor of at most 2 dims.

    >>> import kittygrad as kitty
    >>> kitty.zeros(2, 3).t().shape
    kittygrad.Size([3, 2])
    """
    nd = input._data.ndim
    if nd > 2:
        raise KittyRuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    if nd < 2:
        return _alias(input, "TBackward0")
    out = torch_named(Transpose.apply(input, 0, 1), "TBackward0")
    return out


def permute(input, *dims):
    """Reorder dims (a view).

    >>> import kittygrad as kitty
    >>> kitty.zeros(2, 3, 4).permute(2, 0, 1).shape
    kittygrad.Size([4, 2, 3])
    """
    dims = _shape_arg(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise KittyRuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
            f"of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to len(dims) = {len(dims)}"
        )
    axes = tuple(normalize_dim(d, nd) for d in dims)
    if len(set(axes)) != len(axes):
        raise KittyRuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, axes)


def _squeeze_axes(shape: tuple, dim=None) -> tuple:
    """The axes ``squeeze``/``squeeze_`` drop: every size-1 dim, or those of ``dim`` that have size 1."""
    if dim is None:
        return tuple(i for i, n in enumerate(shape) if n == 1)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return tuple(i for i in (normalize_dim(d, len(shape)) for d in dims) if shape and shape[i] == 1)


def squeeze(input, dim=None):
    """Remove dims of size 1 (all, or the given ones).

    >>> import kittygrad as kitty
    >>> kitty.zeros(1, 3, 1).squeeze().shape
    kittygrad.Size([3])
    """
    axes = _squeeze_axes(input._data.shape, dim)
    if not axes:
        return _alias(input, "SqueezeBackward0" if dim is None else
                      "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2")
    out = Squeeze.apply(input, axes)
    if dim is not None:  # torch's squeeze(), squeeze(dim) and squeeze(dims) are overloads 0, 1 and 2
        torch_named(out, "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2")
    return out


def unsqueeze(input, dim: int | tuple[int, ...]):
    """Insert a dim of size 1 at ``dim``.

    A tuple (or list) of dims is the seed's extension (torch takes an int only): each dim is a
    position in the result, which has ``input.dim() + len(dim)`` dims (negative ones count from
    its end), so the dims are inserted one by one in increasing order of those positions -- as
    NumPy's ``expand_dims``. A dim given twice is an error.

    >>> import kittygrad as kitty
    >>> kitty.zeros(3).unsqueeze(0).shape
    kittygrad.Size([1, 3])
    >>> kitty.zeros(3, 4).unsqueeze((0, -1)).shape
    kittygrad.Size([1, 3, 4, 1])
    """
    if isinstance(dim, (tuple, list)):
        ndim = input._data.ndim + len(dim)
        axes = tuple(normalize_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise KittyRuntimeError(
                f"unsqueeze: each dim may appear once, but got {tuple(dim)} (positions {axes} in the "
                f"{ndim}-dim result)"
            )
        if not axes:
            return Alias.apply(input)
        return Unsqueeze.apply(input, tuple(sorted(axes)))
    return Unsqueeze.apply(input, normalize_dim(dim, input._data.ndim + 1))


def expand(input, *sizes):
    """Broadcast to a larger shape without copying (``-1`` keeps a dim).

    >>> import kittygrad as kitty
    >>> kitty.zeros(3, 1).expand(3, 4).shape
    kittygrad.Size([3, 4])
    """
    shape = input._data.shape
    target = expanded_shape(shape, input.dtype, _shape_arg(sizes))
    if target == shape:
        return _alias(input, "ExpandBackward0")
    return Expand.apply(input, target)


def expanded_shape(shape, dtype, sizes) -> tuple:
    """The shape that ``expand(*sizes)`` gives a tensor of ``shape`` and ``dtype`` (``-1`` keeps a
    dim), or torch's error for sizes it cannot expand to; ``x[i] = value`` checks its value with it.

    >>> expanded_shape((3, 1), None, (-1, 4))
    (3, 4)
    """
    if len(sizes) < len(shape):
        raise KittyRuntimeError(_expand_rank_message(shape, dtype, sizes))
    lead = len(sizes) - len(shape)
    target = [0] * len(sizes)
    # torch checks the sizes from the last dim back, so with several bad dims the error names the
    # rightmost one (and a leading -1 only once the existing dims all fit)
    for i in reversed(range(len(sizes))):
        n = sizes[i]
        if i < lead:
            if n < 0:
                raise KittyRuntimeError(
                    f"The expanded size of the tensor ({n}) isn't allowed in a leading, non-existing dimension {i}"
                )
            target[i] = n
            continue
        cur = shape[i - lead]
        if n == -1:
            n = cur
        if cur != n and cur != 1:
            raise KittyRuntimeError(
                f"The expanded size of the tensor ({n}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
        target[i] = n
    return tuple(target)


def _expand_rank_message(shape, dtype, sizes) -> str:
    """torch's words when ``sizes`` has fewer dimensions than the tensor being expanded (``shape``)."""
    # torch's C++ check prints the legacy class name ('torch.FloatTensor'), except for the dtypes
    # its check names by backend type
    kind = {"bool": "CPUBoolType", "bfloat16": "CPUBFloat16Type"}.get(dtype.name) or D.legacy_type_name(dtype)
    return (
        f"expand({kind}{{{list(shape)}}}, size={list(sizes)}): the number of sizes provided "
        f"({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
    )


def broadcast_to(input, size=None, *, shape=None):
    """``expand`` to ``size`` (torch.broadcast_to); ``shape=`` is the seed's name for it.

    >>> import kittygrad as kitty
    >>> kitty.broadcast_to(kitty.zeros(3), (2, 3)).shape
    kittygrad.Size([2, 3])
    >>> kitty.broadcast_to(kitty.zeros(3, 1), shape=(3, 4)).shape
    kittygrad.Size([3, 4])
    """
    if (size is None) == (shape is None):
        given = "both" if size is not None else "neither"
        raise KittyTypeError(f"broadcast_to expects the target shape as size or shape=, exactly one, but got {given}")
    return expand(input, *tuple(size if shape is None else shape))


def broadcast_tensors(*tensors):
    """Expand tensors to their common broadcast shape.

    >>> import kittygrad as kitty
    >>> a, b = kitty.broadcast_tensors(kitty.zeros(3, 1), kitty.zeros(4))
    >>> a.shape, b.shape
    (kittygrad.Size([3, 4]), kittygrad.Size([3, 4]))
    """

    tensors = varargs_sequence(tensors)
    shape = ()
    for t_ in tensors:
        shape = broadcast_shape_of(shape, t_._data.shape)
    return tuple(expand_to(t_, shape) for t_ in tensors)


def broadcast_shapes(*shapes):
    """The shape that tensors of the given shapes broadcast to together.

    >>> import kittygrad as kitty
    >>> kitty.broadcast_shapes((2, 1), (3,))
    kittygrad.Size([2, 3])
    """
    shapes = [s if isinstance(s, (tuple, list)) else (s,) for s in shapes if s is not None]
    if not shapes:
        return Size(())
    # torch grows one common shape argument by argument, so its message names the first argument
    # that does not fit and the shape built from the ones before it
    common = [1] * max(len(s) for s in shapes)
    for k, s in enumerate(shapes):
        for i in range(-1, -1 - len(s), -1):
            n = s[i]
            if n == common[i]:
                continue
            if common[i] == 1:
                if n < 0:
                    raise KittyValueError("Attempting to broadcast a dimension with negative length!")
                common[i] = n
            elif n != 1:
                raise KittyRuntimeError(
                    f"Attempting to broadcast a dimension of length {n} at {i}! Mismatching argument at index "
                    f"{k} had {s}; but expected shape should be broadcastable to {common}"
                )
    return Size(common)
