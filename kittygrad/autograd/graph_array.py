"""Higher-order gradients: run an op's NumPy backward formula on Tensors.

Every op's backward is written once, against NumPy arrays. With ``create_graph=True`` the engine
hands the formula :class:`GraphArray` objects instead: stand-ins for ndarrays that wrap a Tensor,
so each NumPy call the formula makes (``g * self.b``, ``xp.where(...)``, ``xp.einsum(...)``) runs
as the matching differentiable kittygrad op and the gradient itself gets a graph. NumPy routes
its functions to us through ``__array_ufunc__`` / ``__array_function__``; anything we do not know
raises a TypeError instead of silently dropping the graph (there is no ``__array__``).

What an op saved in forward is swapped for the Tensors it came from: a saved input becomes the
input Tensor, a saved output a Tensor whose ``grad_fn`` is the node itself. A float array that is
neither (a value the forward derived, like a softmax) cannot be differentiated through, so the
op must recompute it in backward or list it in ``graph_constants`` when it truly is a constant
(a dropout mask); otherwise double backward raises naming the op, never a wrong number.
"""
from __future__ import annotations

from .. import backend as B
from ..dtypes import from_numpy_dtype
from ..errors import KittyNotImplementedError, KittyTypeError

_ndarray = B.xp.ndarray
_generic = B.xp.generic


class GraphArray:
    """An ndarray stand-in holding a Tensor ``t``; NumPy calls on it build differentiable ops.

    >>> import kittygrad as kitty
    >>> from kittygrad.autograd.graph_array import GraphArray
    >>> x = kitty.tensor([1., 2.], requires_grad=True)
    >>> y = GraphArray(x) * 3          # what a backward formula like ``g * 3`` becomes
    >>> y.t.grad_fn is not None
    True
    """

    __slots__ = ("t", "_parent", "_index")
    __array_priority__ = 3000  # ndarray <op> GraphArray defers to us

    def __init__(self, t, parent=None, index=None) -> None:
        self.t = t
        # a basic-indexing result is a view in NumPy: in-place changes must reach the parent
        self._parent = parent
        self._index = index

    def _set(self, t) -> None:
        """Replace the values (an in-place change): a view writes them through to its parent."""
        self.t = t
        if self._parent is not None:
            self._parent[self._index] = self

    # ---- ndarray metadata -----------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.t._data.shape

    @property
    def dtype(self):
        return self.t._data.dtype

    @property
    def ndim(self) -> int:
        return self.t._data.ndim

    @property
    def size(self) -> int:
        return self.t._data.size

    @property
    def flags(self):
        return self.t._data.flags

    @property
    def base(self):
        return None

    def __len__(self) -> int:
        return len(self.t._data)

    def __repr__(self) -> str:
        return f"GraphArray({self.t!r})"

    def __array__(self, *args, **kwargs):
        raise KittyTypeError(
            "a backward formula turned a gradient into a plain array while building a graph "
            "for higher-order gradients (create_graph=True); the op needs a Tensor-aware formula"
        )

    def __float__(self):
        raise KittyTypeError(
            "a backward formula took float() of a gradient while building a graph for "
            "higher-order gradients (create_graph=True); the op needs a Tensor-aware formula"
        )

    __int__ = __float__

    def __bool__(self):
        return bool(self.t._data)

    # ---- array methods --------------------------------------------------------------------------
    def astype(self, dtype, copy=True, **kwargs):
        dtype = B.xp.dtype(dtype)
        if dtype == self.t._data.dtype:
            return GraphArray(self.t.clone()) if copy else self
        if dtype.kind not in "fc":
            return self.t._data.astype(dtype)
        return GraphArray(self.t.to(_kdtype(dtype)))

    def copy(self, order="C"):
        return GraphArray(self.t.clone())

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return GraphArray(self.t.reshape(*[int(s) for s in shape]))

    def ravel(self, order="C"):
        return GraphArray(self.t.reshape(-1))

    flatten = ravel

    def transpose(self, *axes):
        if not axes or axes == (None,):
            axes = tuple(range(self.ndim))[::-1]
        elif len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return GraphArray(self.t.permute(*axes))

    @property
    def T(self):
        return self.transpose()

    def swapaxes(self, a, b):
        return GraphArray(self.t.transpose(a, b))

    def squeeze(self, axis=None):
        return _squeeze(self, axis)

    def sum(self, axis=None, dtype=None, keepdims=False, **kwargs):
        return _reduce("sum", self, axis, keepdims, dtype)

    def mean(self, axis=None, dtype=None, keepdims=False, **kwargs):
        return _reduce("mean", self, axis, keepdims, dtype)

    def prod(self, axis=None, dtype=None, keepdims=False, **kwargs):
        return _prod(self, axis, keepdims)

    def max(self, axis=None, keepdims=False, **kwargs):
        return _reduce("amax", self, axis, keepdims)

    def min(self, axis=None, keepdims=False, **kwargs):
        return _reduce("amin", self, axis, keepdims)

    def cumsum(self, axis=None, **kwargs):
        return _cumsum(self, axis)

    def clip(self, a_min=None, a_max=None, **kwargs):
        return GraphArray(_k().clamp(self.t, _scalar_or_t(a_min), _scalar_or_t(a_max)))

    def dot(self, other):
        return _dot(self, other)

    def any(self, *args, **kwargs):
        return self.t._data.any(*args, **kwargs)

    def all(self, *args, **kwargs):
        return self.t._data.all(*args, **kwargs)

    def item(self):
        return self.t._data.item()

    def fill(self, value):
        self._set(_k().full_like(self.t, value))

    # ---- indexing -------------------------------------------------------------------------------
    def __getitem__(self, index):
        index = _index(index)
        if _is_basic(index):
            return GraphArray(self.t[index], self, index)
        return GraphArray(self.t[index])

    def __setitem__(self, index, value):
        t = self.t.clone()
        v = _T(value, t)
        t[_index(index)] = v if v._data.dtype == t._data.dtype else v.to(t.dtype)
        self._set(t)

    # ---- arithmetic (in-place forms rebind the wrapped Tensor: the wrapper is what is shared) ----
    def __add__(self, o):
        return _binary("add", self, o)

    def __radd__(self, o):
        return _binary("add", o, self)

    def __sub__(self, o):
        return _binary("sub", self, o)

    def __rsub__(self, o):
        return _binary("sub", o, self)

    def __mul__(self, o):
        return _binary("mul", self, o)

    def __rmul__(self, o):
        return _binary("mul", o, self)

    def __truediv__(self, o):
        return _binary("div", self, o)

    def __rtruediv__(self, o):
        return _binary("div", o, self)

    def __pow__(self, o):
        return _binary("pow", self, o)

    def __rpow__(self, o):
        return _binary("pow", o, self)

    def __matmul__(self, o):
        return _binary("matmul", self, o)

    def __rmatmul__(self, o):
        return _binary("matmul", o, self)

    def __neg__(self):
        return GraphArray(-self.t)

    def __pos__(self):
        return self

    def __abs__(self):
        return GraphArray(self.t.abs())

    def __iadd__(self, o):
        self._set(_binary("add", self, o).t)
        return self

    def __isub__(self, o):
        self._set(_binary("sub", self, o).t)
        return self

    def __imul__(self, o):
        self._set(_binary("mul", self, o).t)
        return self

    def __itruediv__(self, o):
        self._set(_binary("div", self, o).t)
        return self

    # comparisons give plain boolean arrays: masks carry no gradient
    def __gt__(self, o):
        return self.t._data > _data(o)

    def __ge__(self, o):
        return self.t._data >= _data(o)

    def __lt__(self, o):
        return self.t._data < _data(o)

    def __le__(self, o):
        return self.t._data <= _data(o)

    def __eq__(self, o):
        return self.t._data == _data(o)

    def __ne__(self, o):
        return self.t._data != _data(o)

    __hash__ = None

    # ---- NumPy dispatch -------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__
        out = kwargs.pop("out", None)
        if method == "at":  # np.add.at(target, index, values): target is changed in place
            target, index = inputs[0], inputs[1]
            if name != "add" or not isinstance(target, GraphArray):
                return NotImplemented
            values = inputs[2] if len(inputs) > 2 else 1
            target._set(_index_add(target.t, index, _T(values, target.t)))
            return None
        if method == "reduce":
            axis = kwargs.get("axis", 0)
            keepdims = kwargs.get("keepdims", False)
            if name == "add":
                return _reduce("sum", inputs[0], axis, keepdims)
            if name in ("maximum", "minimum"):
                return _reduce("amax" if name == "maximum" else "amin", inputs[0], axis, keepdims)
            return NotImplemented
        if method != "__call__":
            return NotImplemented
        kwargs.pop("casting", None)
        dtype = kwargs.pop("dtype", None)
        if kwargs.pop("where", True) is not True or kwargs:
            return NotImplemented
        step = _STEP_UFUNCS.get(name)
        if step is not None and any(isinstance(a, GraphArray) and a.t._requires_grad for a in inputs):
            # piecewise constant, but torch keeps sign/floor/... of a graph value in the graph
            # (zero derivative): a gradient that reads one requires grad as torch's does
            result = step(*inputs)
        elif name in _CONSTANT_UFUNCS:  # no gradient flows through these: compute on the values
            result = ufunc(*[_data(a) for a in inputs])
        else:
            fn = _UFUNCS.get(name)
            if fn is None:
                return NotImplemented
            result = fn(*inputs)
            if dtype is not None:
                result = result.astype(dtype)
        if out is not None:
            target = out[0]
            if isinstance(target, GraphArray):
                target._set(_T(result, target.t).expand(*target.shape).to(target.t.dtype))
                return target
            return NotImplemented
        return result

    def __array_function__(self, func, types, args, kwargs):
        fn = _FUNCTIONS.get(func.__name__)
        if fn is None:
            return NotImplemented
        return fn(*args, **kwargs)


# ---------------------------------------------------------------------------------------------
# helpers: conversions

_kitty = None


def _k():
    global _kitty
    if _kitty is None:
        # late: a backward formula run on Tensors calls the whole op library, which is built on
        # this package (ops -> autograd); the formulas run long after both are loaded
        import kittygrad

        _kitty = kittygrad
    return _kitty


def _kdtype(np_dtype):
    return from_numpy_dtype(np_dtype)


def _data(x):
    return x.t._data if isinstance(x, GraphArray) else x


def _T(x, like=None):
    """A Tensor for ``x``: the wrapped Tensor, or a constant (no gradient) for arrays/scalars."""
    if isinstance(x, GraphArray):
        return x.t
    k = _k()
    if isinstance(x, k.Tensor):
        return x
    if isinstance(x, _ndarray):
        return k.Tensor._wrap(x)
    if isinstance(x, (bool, int, float, _generic)):
        dtype = like._data.dtype if like is not None and like._data.dtype.kind == "f" else None
        return k.Tensor._wrap(B.xp.asarray(x, dtype=dtype))
    raise KittyTypeError(f"cannot use a {type(x).__name__} in a higher-order gradient formula")


def _scalar_or_t(x):
    if x is None or isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, _generic):
        return x.item()
    return _T(x)


def _is_basic(index) -> bool:
    """NumPy's basic indexing (ints, slices, None, Ellipsis) gives views; anything else copies."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items)


def _index(index):
    """Indices are constants: unwrap any GraphArray used as an index."""
    if isinstance(index, tuple):
        return tuple(_data(i) for i in index)
    return _data(index)


def _wrap_out(x):
    return GraphArray(x) if isinstance(x, _k().Tensor) else x


def _binary(name, a, b):
    k = _k()
    ta = _T(a)
    tb = _T(b)
    if ta._data.dtype.kind != "f" and tb._data.dtype.kind == "f" and not isinstance(a, GraphArray):
        ta = ta.to(tb.dtype)
    if tb._data.dtype.kind != "f" and ta._data.dtype.kind == "f" and not isinstance(b, GraphArray):
        tb = tb.to(ta.dtype)
    if ta._data.dtype != tb._data.dtype and ta._data.dtype.kind == "f" and tb._data.dtype.kind == "f":
        # NumPy promotes mixed floats to the wider one; so do we (explicitly, to keep the graph)
        wide = B.xp.promote_types(ta._data.dtype, tb._data.dtype)
        ta, tb = ta.to(_kdtype(wide)), tb.to(_kdtype(wide))
    if name == "matmul":
        return GraphArray(k.matmul(ta, tb))
    if name == "pow":
        return GraphArray(k.pow(ta, tb))
    return GraphArray(getattr(k, name)(ta, tb))


def _axes(axis):
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(int(a) for a in axis)
    return int(axis)


def _reduce(name, x, axis=None, keepdims=False, dtype=None):
    k = _k()
    t = _T(x)
    dim = _axes(axis)
    if dim is None:
        dim = tuple(range(t.ndim))
    if dim == ():
        out = t.clone() if name in ("sum", "mean") else t
    else:
        out = getattr(k, name)(t, dim=dim, keepdim=keepdims)
    if dtype is not None and B.xp.dtype(dtype) != out._data.dtype:
        out = out.to(_kdtype(B.xp.dtype(dtype)))
    return GraphArray(out)


def _prod(x, axis=None, keepdims=False):
    k = _k()
    t = _T(x)
    if axis is None:
        out = k.prod(t.reshape(-1))
        return GraphArray(out.reshape([1] * t.ndim) if keepdims else out)
    axes = (axis,) if not isinstance(axis, (tuple, list)) else axis
    out = t
    for a in sorted((a % t.ndim for a in axes), reverse=True):
        out = k.prod(out, dim=a, keepdim=keepdims)
    return GraphArray(out)


def _cumsum(x, axis=None, dtype=None, **kwargs):
    t = _T(x)
    if axis is None:
        t, axis = t.reshape(-1), 0
    return GraphArray(_k().cumsum(t, dim=int(axis)))


def _cumprod(x, axis=None, dtype=None, **kwargs):
    t = _T(x)
    if axis is None:
        t, axis = t.reshape(-1), 0
    return GraphArray(_k().cumprod(t, dim=int(axis)))


def _squeeze(x, axis=None):
    t = _T(x)
    if axis is None:
        return GraphArray(t.reshape([s for s in t.shape if s != 1]))
    axes = (axis,) if not isinstance(axis, (tuple, list)) else axis
    axes = {a % t.ndim for a in axes}
    return GraphArray(t.reshape([s for i, s in enumerate(t.shape) if i not in axes]))


def _dot(a, b):
    ta, tb = _T(a), _T(b)
    if ta.ndim == 0 or tb.ndim == 0:
        return GraphArray(ta * tb)
    return GraphArray(_k().matmul(ta, tb)) if tb.ndim <= 2 else GraphArray(_k().tensordot(ta, tb, dims=([ta.ndim - 1], [tb.ndim - 2])))


def _index_add(target, index, values):
    """``target`` with ``values`` added at ``index`` (repeated indices accumulate), out of place."""
    k = _k()
    index = _index(index)
    flat_target = target.reshape(-1)
    positions = B.xp.arange(target._data.size).reshape(target._data.shape)[index]
    values = values.expand(positions.shape) if values.shape != positions.shape else values
    flat = k.Tensor._wrap(positions.reshape(-1).astype("int64"))
    return flat_target.index_add(0, flat, values.reshape(-1).to(target.dtype)).reshape(target.shape)


# ---------------------------------------------------------------------------------------------
# the dispatch tables


def _unary(name):
    def fn(x):
        return GraphArray(getattr(_k(), name)(_T(x)))

    return fn


def _binary_fn(name):
    def fn(a, b):
        return _binary(name, a, b)

    return fn


def _square(x):
    t = _T(x)
    return GraphArray(t * t)


def _reciprocal(x):
    return GraphArray(_k().reciprocal(_T(x)))


def _extremum(name):
    def fn(a, b):
        ta, tb = _T(a), _T(b)
        if ta._data.dtype != tb._data.dtype:
            ta, tb = (ta.to(tb.dtype), tb) if isinstance(b, GraphArray) else (ta, tb.to(ta.dtype))
        return GraphArray(getattr(_k(), name)(ta, tb))

    return fn


_UFUNCS = {
    "add": _binary_fn("add"),
    "subtract": _binary_fn("sub"),
    "multiply": _binary_fn("mul"),
    "true_divide": _binary_fn("div"),
    "divide": _binary_fn("div"),
    "power": _binary_fn("pow"),
    "float_power": _binary_fn("pow"),
    "matmul": _binary_fn("matmul"),
    "negative": lambda x: GraphArray(-_T(x)),
    "positive": lambda x: x,
    "absolute": _unary("abs"),
    "fabs": _unary("abs"),
    "exp": _unary("exp"),
    "exp2": _unary("exp2"),
    "expm1": _unary("expm1"),
    "log": _unary("log"),
    "log2": _unary("log2"),
    "log10": _unary("log10"),
    "log1p": _unary("log1p"),
    "sqrt": _unary("sqrt"),
    "square": _square,
    "reciprocal": _reciprocal,
    "tanh": _unary("tanh"),
    "sinh": _unary("sinh"),
    "cosh": _unary("cosh"),
    "sin": _unary("sin"),
    "cos": _unary("cos"),
    "tan": _unary("tan"),
    "arcsin": _unary("asin"),
    "arccos": _unary("acos"),
    "arctan": _unary("atan"),
    "arcsinh": _unary("asinh"),
    "arccosh": _unary("acosh"),
    "arctanh": _unary("atanh"),
    "arctan2": _binary_fn("atan2"),
    "hypot": _binary_fn("hypot"),
    "logaddexp": _binary_fn("logaddexp"),
    "maximum": _extremum("maximum"),
    "minimum": _extremum("minimum"),
    "fmax": _extremum("fmax"),
    "fmin": _extremum("fmin"),
}


def _floor_divide(a, b):
    like = a.t if isinstance(a, GraphArray) else b.t
    return GraphArray(_k().div(_T(a, like), _T(b, like), rounding_mode="floor"))


#: piecewise-constant ufuncs as the zero-derivative kittygrad ops torch's formulas use (sgn,
#: floor, trunc, round, div(rounding_mode="floor")): applied to a value with a graph, the result
#: stays in the graph, so a gradient built from it requires grad where torch's does and a further
#: grad() gives torch's zeros instead of raising
_STEP_UFUNCS = {
    "sign": _unary("sign"),
    "floor": _unary("floor"),
    "ceil": _unary("ceil"),
    "trunc": _unary("trunc"),
    "rint": _unary("round"),
    "floor_divide": _floor_divide,
}

#: ufuncs whose result carries no gradient (piecewise constant, or boolean / integer valued)
_CONSTANT_UFUNCS = frozenset({
    "sign", "floor", "ceil", "trunc", "rint", "signbit", "isnan", "isinf", "isfinite", "isposinf",
    "isneginf", "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "floor_divide", "bitwise_and",
    "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift",
})


def _where(cond, a=None, b=None):
    if a is None:
        return B.xp.where(_data(cond))
    k = _k()
    like = a if isinstance(a, GraphArray) else b
    ta, tb = _T(a, like.t), _T(b, like.t)
    dtype = like.t.dtype
    return GraphArray(k.where(k.Tensor._wrap(B.xp.asarray(_data(cond), dtype=bool)), ta.to(dtype), tb.to(dtype)))


def _like(fill):
    def fn(a, dtype=None, order="K", subok=True, shape=None, **kwargs):
        base = _data(a)
        shape = base.shape if shape is None else shape
        filled_like = getattr(type(a.t), "filled_like", None) if isinstance(a, GraphArray) else None
        if filled_like is not None:  # (a batched gradient inside vmap: the new buffer is batched too)
            return GraphArray(filled_like(a.t, shape, fill, dtype or base.dtype))
        return GraphArray(_k().Tensor._wrap(B.xp.full(shape, fill, dtype=dtype or base.dtype)))

    return fn


def _full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    return _like(fill_value)(a, dtype=dtype, shape=shape)


def _broadcast_to(x, shape, subok=False):
    return GraphArray(_T(x).expand(*[int(s) for s in shape]))


def _expand_dims(x, axis):
    t = _T(x)
    axes = (axis,) if not isinstance(axis, (tuple, list)) else axis
    nd = t.ndim + len(axes)
    axes = sorted(a % nd for a in axes)
    for a in axes:
        t = t.unsqueeze(a)
    return GraphArray(t)


def _moveaxis(x, source, destination):
    return GraphArray(_k().movedim(_T(x), source, destination))


def _concatenate(arrays, axis=0, out=None, dtype=None, **kwargs):
    ts = [_T(a) for a in arrays]
    dtype = next((t.dtype for t, a in zip(ts, arrays) if isinstance(a, GraphArray)), ts[0].dtype)
    if axis is None:
        ts, axis = [t.reshape(-1) for t in ts], 0
    return GraphArray(_k().cat([t.to(dtype) for t in ts], dim=axis))


def _stack(arrays, axis=0, out=None, dtype=None, **kwargs):
    ts = [_T(a) for a in arrays]
    dtype = next((t.dtype for t, a in zip(ts, arrays) if isinstance(a, GraphArray)), ts[0].dtype)
    return GraphArray(_k().stack([t.to(dtype) for t in ts], dim=axis))


def _take_along_axis(arr, indices, axis):
    return GraphArray(_k().take_along_dim(_T(arr), _k().Tensor._wrap(_data(indices)), dim=axis))


def _put_along_axis(arr, indices, values, axis):
    if not isinstance(arr, GraphArray):
        return NotImplemented
    k = _k()
    idx = k.Tensor._wrap(B.xp.asarray(_data(indices), dtype="int64"))
    vals = _T(values, arr.t).to(arr.t.dtype)
    if vals.shape != idx.shape:
        vals = vals.expand(*idx.shape)
    arr._set(k.scatter(arr.t, axis, idx, vals))
    return None


def _take(a, indices, axis=None, **kwargs):
    t = _T(a)
    idx = B.xp.asarray(_data(indices))
    if axis is None:
        t, axis = t.reshape(-1), 0
    flat = _k().Tensor._wrap(idx.reshape(-1).astype("int64") % max(t.shape[axis], 1))
    out = _k().index_select(t, axis, flat)
    shape = list(t.shape[:axis]) + list(idx.shape) + list(t.shape[axis + 1:])
    return GraphArray(out.reshape(shape))


def _einsum(*operands, **kwargs):
    kwargs.pop("optimize", None)
    subscripts, rest = operands[0], operands[1:]
    ts = [_T(x) for x in rest]
    dtype = next((t.dtype for t, a in zip(ts, rest) if isinstance(a, GraphArray)), ts[0].dtype)
    return GraphArray(_k().einsum(subscripts, *[t.to(dtype) for t in ts]))


def _tensordot(a, b, axes=2):
    ta, tb = _T(a), _T(b)
    dtype = ta.dtype if isinstance(a, GraphArray) else tb.dtype
    if isinstance(axes, int):
        dims = axes
    else:
        dims = ([*axes[0]] if isinstance(axes[0], (tuple, list)) else [axes[0]],
                [*axes[1]] if isinstance(axes[1], (tuple, list)) else [axes[1]])
    return GraphArray(_k().tensordot(ta.to(dtype), tb.to(dtype), dims=dims))


def _flip(m, axis=None):
    t = _T(m)
    dims = tuple(range(t.ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    return GraphArray(_k().flip(t, dims))


def _roll(a, shift, axis=None):
    t = _T(a)
    if axis is None:
        return GraphArray(_k().roll(t.reshape(-1), shift).reshape(t.shape))
    return GraphArray(_k().roll(t, shift, axis))


def _tri(name):
    def fn(m, k=0):
        return GraphArray(getattr(_k(), name)(_T(m), k))

    return fn


def _diagonal(a, offset=0, axis1=0, axis2=1):
    return GraphArray(_k().diagonal(_T(a), offset, axis1, axis2))


def _transpose(a, axes=None):
    return a.transpose(axes) if isinstance(a, GraphArray) else GraphArray(_T(a)).transpose(axes)


def _reshape(a, shape=None, order="C", **kwargs):
    shape = kwargs.get("newshape", shape)
    return GraphArray(_T(a)).reshape(shape)


def _clip(a, a_min=None, a_max=None, out=None, **kwargs):
    a_min = kwargs.get("min", a_min)
    a_max = kwargs.get("max", a_max)
    return GraphArray(_T(a)).clip(a_min, a_max)


def _matmul_fn(a, b, **kwargs):
    return _binary("matmul", a, b)


def _outer(a, b, out=None):
    return GraphArray(_k().outer(_T(a).reshape(-1), _T(b).reshape(-1)))


def _cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    dim = -1 if axis is None else axis
    ta, tb = _T(a), _T(b)
    dtype = ta.dtype if isinstance(a, GraphArray) else tb.dtype
    ta, tb = ta.to(dtype), tb.to(dtype)
    shape = B.broadcast_shapes(ta.shape, tb.shape)
    return GraphArray(_k().linalg.cross(ta.expand(*shape), tb.expand(*shape), dim=dim))


def _pad(array, pad_width, mode="constant", constant_values=0, **kwargs):
    if mode != "constant" or constant_values != 0:
        return NotImplemented
    t = _T(array)
    width = B.xp.broadcast_to(B.xp.asarray(pad_width), (t.ndim, 2))
    flat = []
    for before, after in width[::-1]:
        flat += [int(before), int(after)]
    return GraphArray(_k().nn.functional.pad(t, flat))


def _tile(a, reps):
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    return GraphArray(_T(a).tile(reps))


def _repeat(a, repeats, axis=None):
    t = _T(a)
    if axis is None:
        t, axis = t.reshape(-1), 0
    r = repeats if isinstance(repeats, int) else _k().Tensor._wrap(B.xp.asarray(repeats, dtype="int64"))
    return GraphArray(_k().repeat_interleave(t, r, dim=axis))


def _copyto(dst, src, casting="same_kind", where=True):
    if not isinstance(dst, GraphArray):
        return NotImplemented
    src_t = _T(src, dst.t).to(dst.t.dtype).expand(*dst.shape)
    if where is True:
        dst._set(src_t.clone())
    else:
        k = _k()
        dst._set(k.where(k.Tensor._wrap(B.xp.asarray(_data(where), dtype=bool)), src_t, dst.t))
    return None


def _split(ary, indices_or_sections, axis=0):
    t = _T(ary)
    n = t.shape[axis]
    cuts = indices_or_sections  # a number of equal sections, or the indices to cut at
    if isinstance(cuts, int):
        bounds = list(range(0, n + 1, n // cuts))
    else:
        bounds = [0, *[int(i) for i in cuts], n]
    return [GraphArray(t.narrow(axis, lo, max(hi - lo, 0))) for lo, hi in zip(bounds[:-1], bounds[1:])]


def _linalg(name):
    def fn(*args, **kwargs):
        return _wrap_out(getattr(_k().linalg, name)(*[_T(a) for a in args], **kwargs))

    return fn


def _identity(a, dtype=None, **kwargs):
    return a if dtype is None else a.astype(dtype, copy=False)


def _nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    return GraphArray(_k().nan_to_num(_T(x), nan=nan, posinf=posinf, neginf=neginf))


def _diff(a, n=1, axis=-1, **kwargs):
    t = _T(a)
    for _ in range(n):
        size = t.shape[axis]
        t = t.narrow(axis, 1, size - 1) - t.narrow(axis, 0, size - 1)
    return GraphArray(t)


_FUNCTIONS = {
    "where": _where,
    "sum": lambda a, axis=None, dtype=None, out=None, keepdims=False, **kw: _reduce("sum", a, axis, keepdims, dtype),
    "mean": lambda a, axis=None, dtype=None, out=None, keepdims=False, **kw: _reduce("mean", a, axis, keepdims, dtype),
    "prod": lambda a, axis=None, dtype=None, out=None, keepdims=False, **kw: _prod(a, axis, keepdims),
    "amax": lambda a, axis=None, out=None, keepdims=False, **kw: _reduce("amax", a, axis, keepdims),
    "max": lambda a, axis=None, out=None, keepdims=False, **kw: _reduce("amax", a, axis, keepdims),
    "amin": lambda a, axis=None, out=None, keepdims=False, **kw: _reduce("amin", a, axis, keepdims),
    "min": lambda a, axis=None, out=None, keepdims=False, **kw: _reduce("amin", a, axis, keepdims),
    "cumsum": _cumsum,
    "cumprod": _cumprod,
    "zeros_like": _like(0),
    "ones_like": _like(1),
    "empty_like": _like(0),
    "full_like": _full_like,
    "broadcast_to": _broadcast_to,
    "expand_dims": _expand_dims,
    "squeeze": lambda a, axis=None: _squeeze(a, axis),
    "reshape": _reshape,
    "ravel": lambda a, order="C": GraphArray(_T(a).reshape(-1)),
    "transpose": _transpose,
    "swapaxes": lambda a, axis1, axis2: GraphArray(_T(a).transpose(axis1, axis2)),
    "moveaxis": _moveaxis,
    "concatenate": _concatenate,
    "stack": _stack,
    "take_along_axis": _take_along_axis,
    "put_along_axis": _put_along_axis,
    "take": _take,
    "einsum": _einsum,
    "tensordot": _tensordot,
    "dot": lambda a, b, out=None: _dot(a, b),
    "matmul": _matmul_fn,
    "outer": _outer,
    "cross": _cross,
    "flip": _flip,
    "roll": _roll,
    "tril": _tri("tril"),
    "triu": _tri("triu"),
    "diagonal": _diagonal,
    "clip": _clip,
    "pad": _pad,
    "tile": _tile,
    "repeat": _repeat,
    "copyto": _copyto,
    "split": _split,
    "ascontiguousarray": _identity,
    "copy": lambda a, order="K", subok=False: GraphArray(_T(a).clone()),
    "asanyarray": _identity,
    "nan_to_num": _nan_to_num,
    "diff": _diff,
    "inv": _linalg("inv"),
    "solve": _linalg("solve"),
    "det": _linalg("det"),
    "shape": lambda a: a.shape,
    "ndim": lambda a: a.ndim,
    "isnan": lambda x: B.xp.isnan(_data(x)),
    "isfinite": lambda x: B.xp.isfinite(_data(x)),
    "any": lambda a, *args, **kw: B.xp.any(_data(a), *args, **kw),
    "all": lambda a, *args, **kw: B.xp.all(_data(a), *args, **kw),
    "count_nonzero": lambda a, *args, **kw: B.xp.count_nonzero(_data(a), *args, **kw),
    "nonzero": lambda a: B.xp.nonzero(_data(a)),
    "argmax": lambda a, *args, **kw: B.xp.argmax(_data(a), *args, **kw),
    "argmin": lambda a, *args, **kw: B.xp.argmin(_data(a), *args, **kw),
    "argsort": lambda a, *args, **kw: B.xp.argsort(_data(a), *args, **kw),
    "allclose": lambda a, b, *args, **kw: B.xp.allclose(_data(a), _data(b), *args, **kw),
}


def add_at(target, index, values):
    """``target`` plus ``values`` at ``index`` (repeated indices accumulate); returns the result.

    Backward formulas call this rather than ``np.add.at``: on NumPy arrays ``target`` is updated
    in place and returned; with GraphArrays (double backward) the result is a new GraphArray, so
    always use the returned value.

    >>> import numpy as np
    >>> add_at(np.zeros(3), np.array([0, 0, 2]), 1.0)
    array([2., 0., 1.])
    """
    if isinstance(target, GraphArray) or isinstance(values, GraphArray):
        return scatter_add_graph(target, index, values)
    return B.index_add(target, index, values)


def scatter_add_graph(target, index, values):
    """``add_at`` when a graph is being built: a new GraphArray, target left alone."""
    base = _T(target, values.t if isinstance(values, GraphArray) else None)
    vals = _T(values, base)
    if base._data.dtype != vals._data.dtype:
        base = base.to(vals.dtype) if isinstance(values, GraphArray) else base
        vals = vals.to(base.dtype)
    return GraphArray(_index_add(base, index, vals))


def unsupported(node, what: str) -> KittyNotImplementedError:
    return KittyNotImplementedError(
        f"higher-order gradients (create_graph=True) through {node._name}: {what}"
    )
