"""The batched tensors ``vmap`` runs a function on, and the hooks that route their ops to batching rules.

Inside ``vmap`` each mapped input is a :class:`BatchedTensor`: a *logical* tensor (one sample's
shape, which is what ``shape``, ``dim()`` and every wrapper's argument checks see) standing for a
*physical* tensor, ``_phys``, that holds all samples with the batch dim first. Every op reaches
``Op.apply``; while a vmap level is open, ``Op.apply`` hands ops with batched inputs to that level's
hook, which runs the op's batching rule (``_batching_rules``) on the physical tensors. The autograd
graph is therefore built on the physical tensors, so ``grad`` inside ``vmap`` pulls back all samples
in one backward pass.

Code that reads a batched tensor's values directly instead of through an op (a wrapper's fast path,
``.item()``, ``if tensor:``) meets ``_Logical``, the stand-in for the array: it knows the logical
shape and dtype, and refuses anything that would read values, so no sample's values can silently
stand in for all of them. ``.item()``, ``tolist()``, ``numpy()`` and ``bool()`` raise torch's
errors; any other direct read makes ``vmap`` run the function per sample instead (with a warning).

Nested ``vmap`` nests these: the physical tensor of an inner level's BatchedTensor is a BatchedTensor
of the outer level, and each level's hook passes ops on its physical tensors on to the level outside.
"""

from __future__ import annotations

import sys
import weakref

from .. import backend as B
from .. import dtypes as D
from ..autograd import forward_ad as _forward_ad
from ..autograd import function as _function
from ..autograd.grad_mode import no_grad
from ..errors import KittyRuntimeError
from ..ops import _kernels
from ..errors import DETACH_VIEW_MESSAGE
from ..tensor import Tensor


class VmapFallback(BaseException):
    """Raised inside a batched run when the function needs the per-sample loop; ``vmap`` catches it.

    (A BaseException, so that no ``except Exception`` on the way mistakes it for the op's own error.)"""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def random_in_error_mode() -> KittyRuntimeError:
    """torch's error for a random op inside ``vmap(..., randomness="error")``."""
    return KittyRuntimeError(
        "vmap: called random operation while in randomness error mode. Please either use the 'same' or "
        "'different' randomness flags on vmap or perform the randomness operation out of vmap"
    )


def same_randomness_of_batched_input() -> KittyRuntimeError:
    """torch's error for a sampler with batched parameters inside ``vmap(..., randomness="same")``."""
    return KittyRuntimeError(
        "Vmap does not currently support same randomness with a batched tensor input. Please file an issue with "
        "functorch"
    )


def uneven_results(what: str, shapes: set) -> KittyRuntimeError:
    """The error for samples whose results differ in shape (one batched tensor cannot hold them)."""
    return KittyRuntimeError(
        f"{what} gives the samples results of different shapes ({sorted(shapes)[:4]}), which one batched tensor "
        "cannot hold: vmap does not support operators whose output shape depends on the values (boolean-mask "
        "indexing, nonzero, unique, masked_select)"
    )


def _reader() -> str:
    """The kittygrad function (module.name) that tried to read a batched tensor's values."""
    frame = sys._getframe(2)
    here = __file__
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if frame.f_code.co_filename != here and name.startswith("kittygrad") and not name.startswith("kittygrad.backend"):
            return f"{name.removeprefix('kittygrad.')}.{frame.f_code.co_name}"
        frame = frame.f_back
    return "a function"


def _plain_index_part(part) -> bool:
    """An index part whose meaning does not depend on batched values: an int, a slice of ints,
    None, Ellipsis, or a plain integer/boolean NumPy array."""
    if part is None or part is Ellipsis or isinstance(part, (int, B.xp.integer)):
        return True
    if isinstance(part, slice):
        return all(v is None or isinstance(v, (int, B.xp.integer)) for v in (part.start, part.stop, part.step))
    return B.is_array(part) and (part.dtype == bool or B.xp.issubdtype(part.dtype, B.xp.integer))


class _Unread:
    """A slice of a batched tensor's stand-in (``_Logical.__getitem__``): its shape and dtype,
    and nothing else; any use beyond those asks for the per-sample loop."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape: tuple, dtype) -> None:
        self.shape, self.dtype = tuple(shape), dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def _refuse(self, *args, **kwargs):
        raise VmapFallback(f"{_reader()} reads the values of a batched tensor directly")

    __array__ = __getitem__ = __setitem__ = __iter__ = __len__ = __bool__ = __float__ = __int__ = __index__ = _refuse
    __array_ufunc__ = __array_function__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _refuse
    __pow__ = __rpow__ = __neg__ = __abs__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _refuse
    __hash__ = None

    def __getattr__(self, name: str):
        raise VmapFallback(f"{_reader()} reads the values of a batched tensor directly (.{name})")


class _Logical:
    """What ``BatchedTensor._data`` is: the logical shape and dtype, and no values to read."""

    __slots__ = ("shape", "dtype", "owner", "__weakref__")

    def __init__(self, shape: tuple, dtype, owner: BatchedTensor) -> None:
        self.shape, self.dtype, self.owner = tuple(shape), dtype, owner

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    # structural steps wrappers take on index and target arrays: done on the physical tensor
    def reshape(self, *shape) -> _Logical:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self.owner.reshape(shape)._data

    @property
    def T(self) -> _Logical:
        """NumPy's ``.T`` (all dims reversed) of each sample: a kernel's ``a.T @ g`` (a linear
        layer's weight gradient, which ``autograd.grad(is_grads_batched=True)`` batches) stays batched."""
        return self.owner.permute(tuple(reversed(range(self.ndim))))._data

    def astype(self, dtype, copy: bool = True) -> _Logical:
        if B.xp.dtype(dtype) == self.dtype and not copy:
            return self
        return self.owner.to(D._BY_NP[B.xp.dtype(dtype)])._data

    def __getitem__(self, index):
        """A slice of the stand-in, for a wrapper that only checks an index this way (``setitem``
        before writing): the index meets the logical shape, so a bad one raises NumPy's
        IndexError about the sample's dims, and the slice is a :class:`_Unread`, which knows its
        shape and refuses every other use (those still make vmap loop). Indices that are
        themselves batched, or of a kind the check cannot vouch for, refuse at once."""
        parts = index if isinstance(index, tuple) else (index,)
        if not all(_plain_index_part(p) for p in parts):
            self._refuse()
        probe = B.xp.broadcast_to(B.xp.zeros((), self.dtype), self.shape)[index]  # no values: strides of 0
        return _Unread(B.xp.shape(probe), self.dtype)

    # range checks (an index in bounds) hold for every sample when they hold for all of them at once
    def min(self):
        return physical_array(self.owner).min()

    def max(self):
        return physical_array(self.owner).max()

    # elementwise NumPy on the stand-in (a comparison's mask, a wrapper's no-grad arithmetic) runs
    # on the physical arrays, ranks aligned as the elementwise batching rule aligns them
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or "out" in kwargs or "where" in kwargs:
            self._refuse()
        level = self.owner._level
        rank = max(B.xp.ndim(a) if type(a) is not _Logical else a.ndim for a in inputs)
        physical = []
        for a in inputs:
            if type(a) is _Logical and a.owner._level is level:
                physical.append(a._physical(rank))
            elif type(a) is _Logical and a.owner._level.depth > level.depth:
                return NotImplemented  # an inner level's stand-in takes the call (its own ufunc)
            else:
                physical.append(a)
        out = ufunc(*physical, **kwargs)
        if type(out) is tuple:
            return tuple(BatchedTensor.make(Tensor._wrap(o), level)._data for o in out)
        return BatchedTensor.make(Tensor._wrap(out), level)._data

    def _ufunc(ufunc, reflected=False):
        def op(self, other):
            return ufunc(other, self) if reflected else ufunc(self, other)

        return op

    __add__, __radd__ = _ufunc(B.xp.add), _ufunc(B.xp.add, True)
    __sub__, __rsub__ = _ufunc(B.xp.subtract), _ufunc(B.xp.subtract, True)
    __mul__, __rmul__ = _ufunc(B.xp.multiply), _ufunc(B.xp.multiply, True)
    __truediv__, __rtruediv__ = _ufunc(B.xp.true_divide), _ufunc(B.xp.true_divide, True)
    __pow__, __rpow__ = _ufunc(B.xp.power), _ufunc(B.xp.power, True)
    __and__, __rand__ = _ufunc(B.xp.logical_and), _ufunc(B.xp.logical_and, True)
    __or__, __ror__ = _ufunc(B.xp.logical_or), _ufunc(B.xp.logical_or, True)
    __lt__, __le__ = _ufunc(B.xp.less), _ufunc(B.xp.less_equal)
    __gt__, __ge__ = _ufunc(B.xp.greater), _ufunc(B.xp.greater_equal)
    __eq__, __ne__ = _ufunc(B.xp.equal), _ufunc(B.xp.not_equal)
    __hash__ = None
    del _ufunc

    def __neg__(self):
        return B.xp.negative(self)

    def __abs__(self):
        return B.xp.absolute(self)

    def __invert__(self):
        return B.xp.invert(self)

    def _refuse(self, *args, **kwargs):
        raise VmapFallback(f"{_reader()} reads the values of a batched tensor directly")

    __array__ = __iter__ = __len__ = __bool__ = __float__ = __int__ = __index__ = __setitem__ = _refuse

    def __array_function__(self, func, types, args, kwargs):
        batched_form = _ARRAY_FUNCTIONS.get(func)
        if batched_form is None:
            self._refuse()
        return batched_form(*args, **kwargs)

    @property
    def flags(self):
        """The physical array's flags (``contiguous()`` asks for C order: with the batch dim leading,
        a C-ordered physical array holds every sample in C order)."""
        return self._physical().flags

    def _physical(self, rank: int | None = None):
        """The physical array, with 1s inserted after the batch dim up to logical ``rank``."""
        p = self.owner._phys._data
        if rank is not None and rank > self.ndim:
            p = p.reshape((self.owner._level.size,) + (1,) * (rank - self.ndim) + self.shape)
        return p

    def _reduced(self, func, axis=None, keepdims=False, **kwargs):
        level = self.owner._level
        p = self._physical()
        if axis is None:
            p, axis = p.reshape((level.size, -1)), 1
            if keepdims:
                out = func(p, axis=axis, keepdims=True, **kwargs).reshape((level.size,) + (1,) * self.ndim)
                return BatchedTensor.make(Tensor._wrap(out), level)._data
        elif isinstance(axis, int):
            axis = (axis % max(self.ndim, 1)) + 1
        else:
            axis = tuple((a % max(self.ndim, 1)) + 1 for a in axis)
        out = func(p, axis=axis, keepdims=keepdims, **kwargs) if keepdims else func(p, axis=axis, **kwargs)
        return BatchedTensor.make(Tensor._wrap(out), level)._data

    def any(self, axis=None, keepdims=False):
        return self._reduced(B.xp.any, axis, keepdims)

    def all(self, axis=None, keepdims=False):
        return self._reduced(B.xp.all, axis, keepdims)

    def sum(self, axis=None, keepdims=False):  # (a linear layer's bias gradient: its rows summed)
        return self._reduced(B.xp.sum, axis, keepdims)

    def argmax(self, axis=None, keepdims=False):
        return self._reduced(B.xp.argmax, axis, keepdims)

    def argmin(self, axis=None, keepdims=False):
        return self._reduced(B.xp.argmin, axis, keepdims)

    def copy(self):
        return BatchedTensor.make(Tensor._wrap(self._physical().copy()), self.owner._level)._data

    @property
    def tensor(self) -> BatchedTensor:
        """The batched tensor whose stand-in this is (``Tensor._wrap`` of a stand-in returns it)."""
        return self.owner

    def __getattr__(self, name: str):
        raise VmapFallback(f"{_reader()} reads the values of a batched tensor directly (.{name})")

    def __repr__(self) -> str:
        return f"<values of a batched tensor, logical shape {self.shape}>"


def _where(cond, a, b):
    return _elementwise_call(B.xp.where, (cond, a, b), {})


def _broadcast_to(x: _Logical, shape, **kwargs):
    shape = tuple(shape) if not isinstance(shape, int) else (shape,)
    level = x.owner._level
    out = B.xp.broadcast_to(x._physical(len(shape)), (level.size,) + shape)
    return BatchedTensor.make(Tensor._wrap(out), level)._data


def _elementwise_call(func, inputs, kwargs):
    for a in inputs:
        if type(a) is _Logical:
            return a.__array_ufunc__(func, "__call__", *inputs, **kwargs)
    return func(*inputs, **kwargs)


def _stand_in(out, level: Level) -> _Logical:
    """The stand-in for ``out``, a physical array (batch dim first) of ``level``."""
    return BatchedTensor.make(Tensor._wrap(out), level)._data


def _sample_axes(axis, ndim: int):
    """A sample's axis (or tuple of axes; None: all of them) as axes of the physical array."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axis, (tuple, list)):
        return tuple((a % max(ndim, 1)) + 1 for a in axis)
    return (axis % max(ndim, 1)) + 1


def _argsort(a: _Logical, axis=-1, kind=None, order=None, **kwargs):
    """Each sample sorted along its own ``axis`` (NumPy's sort of the physical array along it)."""
    if axis is None or order is not None or a.ndim == 0:
        a._refuse()
    return _stand_in(B.xp.argsort(a._physical(), axis=_sample_axes(axis, a.ndim), kind=kind, **kwargs), a.owner._level)


def _flip(m: _Logical, axis=None):
    return _stand_in(B.xp.flip(m._physical(), _sample_axes(axis, m.ndim)), m.owner._level)


def _innermost(*arrays) -> Level:
    """The innermost level among the stand-ins in ``arrays``."""
    return max((a.owner._level for a in arrays if type(a) is _Logical), key=lambda lv: lv.depth)


def _physical_at(a, level: Level):
    """``a`` with ``level``'s batch dim leading: a stand-in of ``level`` as its physical array, any
    other array (a shared one, or an outer level's stand-in) broadcast along a new leading dim."""
    if type(a) is _Logical and a.owner._level is level:
        return a._physical()
    return B.xp.broadcast_to(a, (level.size,) + tuple(B.xp.shape(a)))


def _take_along_axis(arr, indices, axis=None):
    if axis is None:
        (arr if type(arr) is _Logical else indices)._refuse()
    level = _innermost(arr, indices)
    rank = B.xp.ndim(arr)
    out = B.xp.take_along_axis(_physical_at(arr, level), _physical_at(indices, level), axis=_sample_axes(axis, rank))
    return _stand_in(out, level)


def _searchsorted(a, v, side="left", sorter=None):
    """``searchsorted`` with a batched sorted sequence or batched values: a sequence shared by
    the samples searches all of their values at once; each sample's own sequence (1-D, or rows
    matching its values' leading dims) is searched row by row in one vectorized binary search."""
    level = _innermost(a, v)
    if sorter is not None:  # (kittygrad's searchsorted applies a sorter before it gets here)
        (a if type(a) is _Logical else v)._refuse()
    values = _physical_at(v, level)
    if type(a) is _Logical and a.owner._level is not level:
        return _stand_in(B.xp.searchsorted(a, values, side=side), level)  # (batched at an outer level: its own search)
    rows = a._physical() if type(a) is _Logical else a
    if type(rows) is B.xp.ndarray and rows.ndim <= 1 and type(values) is not B.xp.ndarray:
        return _stand_in(B.xp.searchsorted(rows, values, side=side), level)  # (values batched further out too)
    if type(a) is not _Logical and rows.ndim > 1:  # the samples share an N-D sequence: one copy of its rows each
        rows = B.xp.broadcast_to(rows, (level.size,) + rows.shape)
    if type(rows) is not B.xp.ndarray or type(values) is not B.xp.ndarray:
        (a if type(a) is _Logical else v)._refuse()  # batched at an outer level too: their values are not here
    return _stand_in(_kernels.search_sorted(rows, values, side == "right"), level)


_ARRAY_FUNCTIONS = {
    B.xp.ndim: lambda x: x.ndim,
    B.xp.shape: lambda x: x.shape,
    B.xp.size: lambda x, axis=None: x.size if axis is None else x.shape[axis],
    B.xp.where: _where,
    B.xp.broadcast_to: _broadcast_to,
    B.xp.reshape: lambda x, shape, **kw: x.reshape(shape),
    B.xp.copy: lambda x, **kw: x.copy(),
    B.xp.any: lambda x, axis=None, keepdims=False: x._reduced(B.xp.any, axis, keepdims),
    B.xp.all: lambda x, axis=None, keepdims=False: x._reduced(B.xp.all, axis, keepdims),
    B.xp.argmax: lambda x, axis=None, keepdims=False, **kw: x._reduced(B.xp.argmax, axis, keepdims),
    B.xp.argmin: lambda x, axis=None, keepdims=False, **kw: x._reduced(B.xp.argmin, axis, keepdims),
    B.xp.count_nonzero: lambda x, axis=None, keepdims=False: x._reduced(B.xp.count_nonzero, axis, keepdims),
    B.xp.argsort: _argsort,
    B.xp.flip: _flip,
    B.xp.take_along_axis: _take_along_axis,
    B.xp.searchsorted: _searchsorted,
}


class Level:
    """One open ``vmap``: its batch size and the hooks it installed over the outer ones."""

    __slots__ = ("size", "depth", "prev_apply", "prev_inplace", "randomness", "tangents_only", "inputs", "journal",
                 "hooks", "stand_ins")

    def __init__(self, size: int, depth: int, randomness: str, tangents_only: bool = False) -> None:
        self.size, self.depth, self.randomness = size, depth, randomness
        self.prev_apply = self.prev_inplace = None
        #: the physical tensors of vmap's own inputs, and the first value of each one the batched
        #: run writes in place (``remember_write``): when the run gives way to the per-sample loop,
        #: the loop must start from the inputs as the caller passed them, or a buffer updated in
        #: place (BatchNorm's running statistics) would be updated twice
        self.inputs: list = []
        self.journal: dict = {}
        #: jacfwd's level over its basis: only forward-AD tangents are batched at it, never a
        #: primal, so reverse-mode transforms inside work on the primals as outside any vmap
        self.tangents_only = tangents_only
        #: the hooks ``open_level`` installed (they call each other, so they are dropped at close)
        self.hooks: tuple = ()
        #: weak references to the stand-ins of this level's batched tensors: each stand-in and
        #: its tensor refer to each other, a cycle that close_level cuts (see release_batched)
        self.stand_ins: list = []


#: the open levels, outermost first
levels: list[Level] = []


def remember_write(level: Level, target: BatchedTensor) -> None:
    """Before an in-place write to ``target`` at ``level``: keep its old physical values when they
    are (a view of) one of vmap's inputs, once per physical tensor."""
    phys = target._phys
    if not level.inputs or id(phys) in level.journal:
        return
    data = phys._data
    if type(data) is _Logical:  # batched at an outer level too: only the input itself is known
        ours = any(phys is p for p in level.inputs)
    else:
        ours = any(type(p._data) is not _Logical and B.xp.may_share_memory(data, p._data) for p in level.inputs)
    if ours:
        with no_grad():
            level.journal[id(phys)] = (phys, phys.detach().clone())


def stand_in_for(t: BatchedTensor, phys: Tensor, level: Level) -> _Logical:
    """The ``_data`` of batched tensor ``t`` over ``phys``, remembered by ``level`` (weakly)."""
    logical = _Logical(phys._data.shape[1:], phys._data.dtype, t)
    level.stand_ins.append(weakref.ref(logical))
    return logical


def release_batched(level: Level) -> None:
    """Free the batched tensors of a closing level that nothing else holds.

    A batched tensor and its stand-in refer to each other, so without this each pair, with the
    physical tensor it holds (a vmap's whole batch of results), would wait for the cyclic
    collector: per-sample gradients of a layer then stayed alive one or two calls longer. A pair
    whose only references are each other's (and this function's) is cut here, and freed at once.
    """
    refcount = sys.getrefcount
    for ref in level.stand_ins:
        logical = ref()
        if logical is None:
            continue
        owner = logical.owner
        # references: owner._data / logical.owner, the local name, getrefcount's argument
        if owner is not None and owner._data is logical and refcount(logical) == 3 and refcount(owner) == 3:
            logical.owner = None
        del owner, logical
    level.stand_ins = []
    level.hooks = ()  # (each hook reaches the level through its closure: a cycle)


def undo_writes(level: Level) -> None:
    """Put back what the batched run wrote into vmap's inputs (newest first, so overlapping views
    end with the oldest values)."""
    journal, level.journal = level.journal, {}
    with no_grad():
        for phys, old in reversed(list(journal.values())):
            phys.copy_(old)


def primal_levels() -> list[Level]:
    """The open levels whose batched tensors include primals (every level but jacfwd's)."""
    return [lv for lv in levels if not lv.tangents_only]


class BatchedTensor(Tensor):
    """A tensor inside ``vmap``: one sample's view of ``_phys`` (all samples, batch dim first)."""

    __slots__ = ()

    @staticmethod
    def make(phys: Tensor, level: Level) -> BatchedTensor:
        t = object.__new__(BatchedTensor)
        t._phys = phys
        t._level = level
        t._data = stand_in_for(t, phys, level)
        t._requires_grad = phys.requires_grad
        t._grad_fn = None
        t._output_nr = 0
        t._vc = phys._vc
        t._view = None
        return t

    # values leave a batched tensor only through ops: these are the torch errors for reading them
    def item(self):
        raise KittyRuntimeError(
            "vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over calling .item() on a "
            "Tensor, please try to rewrite what you're doing with other operations. If error is occurring somewhere "
            "inside PyTorch internals, please file a bug report."
        )

    def tolist(self):
        # torch's batched tensor has no storage of its own: reading its values fails where the data is read
        raise KittyRuntimeError("Cannot access data pointer of Tensor that doesn't have storage")

    def numpy(self, *, force: bool = False):
        self.tolist()

    def __array__(self, dtype=None, copy=None):
        self.numpy()

    def __bool__(self) -> bool:
        raise KittyRuntimeError(
            "vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow. We don't "
            "support that yet, please file an issue at https://github.com/pytorch/pytorch/issues ."
        )

    __float__ = __int__ = __index__ = lambda self: self.item()  # noqa: E731

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return f"BatchedTensor(lvl={self._level.depth}, bdim=0, value=\n{self._phys!r}\n)"

    def filled_like(self, shape, fill, dtype) -> BatchedTensor:
        """A new tensor of one sample's ``shape`` full of ``fill``, batched as ``self`` is (what a
        backward formula's fresh buffer must be when the gradient written into it is batched)."""
        batch = tuple(unwrap_all(self)._data.shape[: batch_depth(self)])
        return rewrap_like(Tensor._wrap(B.xp.full(batch + tuple(shape), fill, dtype=dtype)), self)

    @property
    def requires_grad(self) -> bool:
        return self._phys.requires_grad

    @property
    def grad_fn(self):
        return self._phys.grad_fn

    def detach(self) -> BatchedTensor:
        return BatchedTensor.make(self._phys.detach(), self._level)

    def detach_(self) -> BatchedTensor:
        # the graph lives on the physical tensor: cut it there (this wrapper holds none)
        if self._phys._view is not None:
            raise KittyRuntimeError(DETACH_VIEW_MESSAGE)
        self._phys = self._phys.detach()
        self._grad_fn, self._requires_grad = None, False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> BatchedTensor:
        self._phys.requires_grad_(requires_grad)
        self._requires_grad = self._phys.requires_grad
        return self


def physical_array(t: Tensor):
    """All of ``t``'s values as one array: every level's batch dims first, outermost first."""
    while type(t) is BatchedTensor:
        t = t._phys
    return t._data


def is_batched_at(t, level: Level) -> bool:
    return type(t) is BatchedTensor and t._level is level


def batched_to_all_levels(t: Tensor) -> Tensor:
    """``t`` batched at every open primal level (expanded, not copied, where it was not)."""
    for level in primal_levels():
        t = batched_at(t, level)
    return t


def batched_at(t: Tensor, level: Level) -> Tensor:
    """``t`` as a BatchedTensor of ``level``: itself, or ``t`` expanded along a new batch dim."""
    if type(t) is BatchedTensor and t._level is level:
        return t
    if type(t) is BatchedTensor and t._level.depth > level.depth:
        # batched at an inner level: expand its physical tensor at this level, keep the inner level
        return BatchedTensor.make(batched_at(t._phys, level), t._level)
    saved = _function.dual_apply
    _function.dual_apply = level.prev_apply  # t is plain at this level: its ops belong to the outer ones
    try:
        phys = t.unsqueeze(0).expand((level.size,) + tuple(t._data.shape))
    finally:
        _function.dual_apply = saved
    return BatchedTensor.make(phys, level)


def batch_depth(t: Tensor) -> int:
    """How many levels ``t`` is batched at (0 for a plain tensor)."""
    depth = 0
    while type(t) is BatchedTensor:
        t, depth = t._phys, depth + 1
    return depth


def unwrap_all(t: Tensor) -> Tensor:
    """The plain tensor under every level of a tensor batched at all open levels."""
    while type(t) is BatchedTensor:
        t = t._phys
    return t


def rewrap_all(t: Tensor) -> Tensor:
    """A plain tensor whose leading dims are the open primal levels' batch dims, as nested BatchedTensors."""
    for level in primal_levels():
        t = BatchedTensor.make(t, level)
    return t


def levels_of(t: Tensor) -> list:
    """The levels ``t`` is batched at, innermost first."""
    chain = []
    while type(t) is BatchedTensor:
        chain.append(t._level)
        t = t._phys
    return chain


def rewrap_like(phys: Tensor, like: Tensor) -> Tensor:
    """A plain tensor with ``like``'s physical batch dims leading, batched at ``like``'s levels."""
    for level in reversed(levels_of(like)):
        phys = BatchedTensor.make(phys, level)
    return phys


def rewrap_like_all(t: Tensor) -> Tensor:
    """``rewrap_all`` when any level is open, else ``t``."""
    return rewrap_all(t) if primal_levels() else t


class ForwardBridge:
    """What forward-mode AD (``autograd.forward_ad``, which cannot import ``func``) needs of vmap
    to run under it: a dual level opened inside vmap sits *under* the vmap levels, so tangents
    are computed on the physical tensors, all samples at once, by the same rules as outside vmap
    (jvp and vmap commute). Its tangent table then holds physical tensors; these translate
    between them and the BatchedTensors that the forward-AD API (make_dual, unpack_dual) sees."""

    primal_levels = staticmethod(primal_levels)
    physical = staticmethod(unwrap_all)
    rewrap_like = staticmethod(rewrap_like)

    @staticmethod
    def is_batched(t) -> bool:
        return type(t) is BatchedTensor

    @staticmethod
    def physical_like(t: Tensor, like: BatchedTensor) -> Tensor:
        """``t`` (a tangent for ``like``) as the physical tensor ``like``'s would be: expanded along
        the levels of ``like`` it is not batched at. A tangent batched at a level its primal is
        not has no physical place (``make_dual`` batches the primal to prevent it)."""
        t = ForwardBridge.batched_union(t, like)
        if batch_depth(t) != batch_depth(like):
            raise VmapFallback("a forward-mode tangent is batched at a vmap level its primal is not")
        return unwrap_all(t)

    @staticmethod
    def batched_union(primal: Tensor, tangent: Tensor) -> Tensor:
        """``primal``, batched also at the levels ``tangent`` is (expanded along them)."""
        for level in reversed(levels_of(tangent)):
            primal = batched_at(primal, level)
        return primal


_forward_ad.vmap_bridge = ForwardBridge
