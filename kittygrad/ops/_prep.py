"""Input preparation shared by every op: tensor checks, dtype promotion, broadcasting, bundling."""
from __future__ import annotations

import cmath as _cmath
import operator as _operator
import warnings

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..errors import KittyIndexError, KittyNotImplementedError, KittyRuntimeError, KittyTypeError  # noqa: F401 (re-exported)
from ..errors import user_stacklevel
from ._kernels import SAME_WIDTH_INT, SIMD_FLOATS
from .conversion import Expand, ToCopy

_NUMBER_TYPES = (int, float, bool)

WARNED_ONCE: set[str] = set()  # torch gives its deprecation and beta warnings once a process


def warn_once(key: str, message: str) -> None:
    """A UserWarning at the user's line, the first time ``key`` comes up in this process only."""
    if key not in WARNED_ONCE:
        WARNED_ONCE.add(key)
        warnings.warn(message, UserWarning, stacklevel=user_stacklevel())


def tensor_cls():
    return F.Tensor


def as_tensor_arg(x, name: str = "input"):
    """Accept a Tensor (or an ndarray, which we wrap); reject anything else with a TypeError."""
    T = F.Tensor
    if isinstance(x, T):
        return x
    if B.is_array(x):
        return T._wrap(x) if x.dtype in D._BY_NP else _bad_dtype(x)
    raise KittyTypeError(f"{name} must be a Tensor, not {type(x).__name__}")


def _bad_dtype(x):
    raise KittyTypeError(f"arrays of dtype {x.dtype} are not supported")


def check_scalar(x, opname: str):
    if isinstance(x, _NUMBER_TYPES) or B.is_array_like_scalar(x):
        if isinstance(x, complex) or (B.is_array_like_scalar(x) and x.dtype.kind == "c"):
            raise KittyTypeError(f"{opname}: complex numbers are not supported")
        return x.item() if B.is_array_like_scalar(x) else x
    if isinstance(x, complex):
        raise KittyTypeError(f"{opname}: complex numbers are not supported")
    raise KittyTypeError(
        f"{opname}: expected a Tensor or a number as operand, but got {type(x).__name__}"
    )


def scalar_argument(x, opname: str, argname: str):
    """A Number argument (``alpha``, ``value``) as a Python number: torch also takes a 0-d tensor
    that does not require grad there (as its item, so scripts pass an optimizer's state or a
    computed step), and refuses any other tensor, as it refuses other non-numbers (no gradient
    could flow through the number)."""
    if isinstance(x, F.Tensor):
        if x._data.ndim != 0 or x.requires_grad:
            raise KittyTypeError(f"{opname}(): argument '{argname}' must be Number, not Tensor")
        return x._data.item()
    return check_scalar(x, opname)


def cast(t, dtype):
    """t.to(dtype), differentiable, or t itself when it already has that dtype."""
    if t._data.dtype == dtype.np:
        return t

    return ToCopy.apply(t, dtype.np)


def broadcast_shape_of(sa, sb):
    if sa == sb:
        return tuple(sa)
    try:
        return B.broadcast_shapes(sa, sb)
    except ValueError:
        # torch's message, naming the first dim that differs (counted from the left of the result)
        na, nb = len(sa), len(sb)
        n = max(na, nb)
        for i in range(1, n + 1):
            da = sa[-i] if i <= na else 1
            db = sb[-i] if i <= nb else 1
            if da != db and da != 1 and db != 1:
                raise KittyRuntimeError(
                    f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                    f"non-singleton dimension {n - i}"
                ) from None
        raise


def expand_to(t, shape):
    if t._data.shape == shape:
        return t

    return Expand.apply(t, tuple(shape))


def operand_to(t, shape):
    """``expand_to`` for an operand that only the op it is prepared for reads (``binary``'s).

    An operand that records no node (it carries no gradient, or grad mode is off) is stretched as
    a plain broadcast view that shares the tensor's version counter (so a saved operand changed in
    place is still caught), without the view op's record: 4 of the 8.5 us a broadcast ``a + b``
    took. One that requires grad keeps the seed's Expand node, as does a view whose base changed
    in place (the record re-derives it), every forward-AD or vmap operand, and every operand while
    a CompGraph or another observer watches the ops (the seed's picture shows the implicit
    broadcast).

    >>> import kittygrad as kitty
    >>> operand_to(kitty.ones(3), (2, 3)).shape
    kittygrad.Size([2, 3])
    """
    data = t._data
    if data.shape == shape:
        return t
    if type(data) is B.ndarray and F.dual_apply is None and not F.observers and (
            not F._state.enabled
            or (not t._requires_grad
                and (t._view is None or (t._view_version == t._vc[0] and not t._view[0]._requires_grad)))):
        out = F.Tensor._wrap(B.broadcast_view(data, shape))
        out._vc = t._vc
        if t._inference:  # (an inference tensor stays one: saving it for backward is refused)
            out._inference = True
        return out
    return expand_to(t, shape)


def binary(a, b, opname: str, float_result: bool = False):
    """Bring two operands (Tensors or numbers) to one dtype and shape.

    Returns ``(a, b)`` where tensors are cast/expanded and a Python number stays a number of
    the result dtype (so no graph node is made for it). ``float_result``: ints promote to float
    (true division).
    """
    T = F.Tensor
    ta = isinstance(a, T)
    tb = isinstance(b, T)
    if not ta:
        if B.is_array(a):
            a = as_tensor_arg(a)
            ta = True
        else:
            a = check_scalar(a, opname)
    if not tb:
        if B.is_array(b):
            b = as_tensor_arg(b)
            tb = True
        else:
            b = check_scalar(b, opname)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        if da != db:
            rt = D.result_type(a, b)
            if float_result and not rt.is_floating_point:
                rt = D.get_default_dtype()
            a, b = cast(a, rt), cast(b, rt)
        elif float_result and not B.is_float(da):
            rt = D.get_default_dtype()
            a, b = cast(a, rt), cast(b, rt)
        sa, sb = a._data.shape, b._data.shape
        if sa != sb:
            shape = broadcast_shape_of(sa, sb)
            a, b = operand_to(a, shape), operand_to(b, shape)
        return a, b
    if ta:
        return _with_scalar(a, b, float_result), _scalar_value(a, b, float_result)
    if tb:
        return _scalar_value(b, a, float_result), _with_scalar(b, a, float_result)
    raise KittyTypeError(f"{opname}: at least one operand must be a Tensor")


def _target_dtype(t, scalar, float_result):
    dt = t._data.dtype
    kind = "f" if B.is_float(dt) else dt.kind  # (bfloat16's NumPy kind is "V")
    if isinstance(scalar, float):
        if kind != "f":
            return D.get_default_dtype()
    elif isinstance(scalar, bool):
        pass
    elif kind == "b":  # int scalar with a bool tensor
        return D.get_default_dtype() if float_result else D.int64
    if float_result and kind != "f":
        return D.get_default_dtype()
    return None


def _with_scalar(t, scalar, float_result):
    target = _target_dtype(t, scalar, float_result)
    return t if target is None else cast(t, target)


def _scalar_value(t, scalar, float_result):
    target = _target_dtype(t, scalar, float_result)
    np_dtype = t._data.dtype if target is None else target.np
    if type(scalar) is int and np_dtype.kind in "iu":
        return D.typed_scalar(scalar, np_dtype)
    return checked_scalar(scalar, np_dtype)


def checked_scalar(value, np_dtype):
    """``value`` as a scalar of ``np_dtype``; torch's error when it does not fit (a clamp bound of -1
    for uint8), where arithmetic would wrap instead."""
    try:
        return np_dtype.type(value)
    except OverflowError:
        raise KittyRuntimeError(f"value cannot be converted to type {np_dtype} without overflow") from None



def torch_named(result, label: str):
    """``result`` (a tensor or a tuple of them) with its backward node named ``label`` under torch's
    naming (``python -m kittygrad.run``): where kittygrad records an op through another node than
    torch's (``2 / x`` is torch's reciprocal-then-multiply: ``MulBackward0``). Only the name changes."""
    for out in result if isinstance(result, tuple) else (result,):
        node = getattr(out, "_grad_fn", None)
        if node is not None:
            node.torch_label = label
    return result


def accumulating(a):
    """``a`` widened to float32 when it is float16, for a reduction: torch accumulates half
    precision in float32 (the squares of a norm or a variance pass 65504 long before the result)."""
    return a.astype(B.xp.float32) if type(a) is B.ndarray and a.dtype == B.xp.float16 else a


def index_int(value) -> int | None:
    """``value`` as a Python int when torch reads it as one (an int, a NumPy integer scalar, a
    one-element integer tensor: anything with ``__index__`` but a bool), else None.

    >>> import numpy as np
    >>> index_int(np.int64(3)), index_int(2.0), index_int(True)
    (3, None, None)
    """
    if type(value) is int:
        return value
    if isinstance(value, bool):
        return None
    try:
        return _operator.index(value)
    except TypeError:
        return None


def normalize_dim(dim: int, ndim: int, name: str = "dim") -> int:
    n = max(ndim, 1)
    if type(dim) is not int:
        given, dim = dim, index_int(dim)
        if dim is None:
            raise KittyTypeError(f"{name} must be an int, got {type(given).__name__}")
    if dim < -n or dim >= n:

        raise KittyIndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n if ndim else 0


def normalize_dims(dim, ndim: int):
    """A dim argument (None, int, or sequence) as a sorted tuple of axes, or None for all."""
    if dim is None:
        return None
    if type(dim) is int and -ndim <= dim < ndim:  # (one dim in range, the common call)
        return (dim % ndim,)
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        axes = tuple(normalize_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise KittyRuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return tuple(sorted(axes)) if ndim else ()
    return (normalize_dim(dim, ndim),) if ndim else ()


def nonempty_shape(shape):
    """``shape`` with a 0-d tensor counted as one element of one dim (as torch's scatter checks count it)."""
    return tuple(shape) or (1,)


def as_one_dim(a):
    """A 0-d array as one element of one dim (a view), as torch's scatter kernels count it; others as they are."""
    return a.reshape(1) if not len(a.shape) else a


def scatter_src_region(idx_shape):
    """The part of ``src`` that scatter reads: index's extent in every dim."""
    return tuple(slice(0, n) for n in idx_shape)


def scatter_src_part(src, idx_shape):
    """``src[scatter_src_region(idx_shape)]``, for an array ``src`` that a 0-d tensor may be (one
    element of one dim there); an empty index reads nothing, whatever src's rank."""
    if not all(idx_shape):
        return src.reshape(-1)[:0].reshape(idx_shape)
    return src.reshape(nonempty_shape(src.shape))[scatter_src_region(idx_shape)]


def along_index(idx, axis: int) -> tuple:
    """An advanced index that addresses ``x[..., idx[...], ...]`` along ``axis`` elementwise (the
    index form of ``take_along_axis``), for scatter-adds with repeated indices."""
    xp = B.xp
    nd = idx.ndim
    out = []
    for d in range(nd):
        if d == axis:
            out.append(idx)
        else:
            shape = [1] * nd
            shape[d] = idx.shape[d]
            out.append(xp.arange(idx.shape[d]).reshape(shape))
    return tuple(out)


def _holds(fresh, g) -> bool:
    """Whether ``fresh`` (an array the caller has just made) can take ``g``'s product in place."""
    return (type(fresh) is B.ndarray and type(g) is B.ndarray and fresh.ndim != 0
            and fresh.shape == g.shape and fresh.dtype == g.dtype)


def times_grad(fresh, g):
    """``g * fresh``, written into ``fresh`` (a new array the caller made for this product, never a
    saved one) when it can hold the result: one temporary less in an elementwise backward.

    >>> times_grad(B.xp.ones(2), B.xp.array([3.0, 4.0]))
    array([3., 4.])
    """
    if _holds(fresh, g):
        fresh *= g
        return fresh
    return g * fresh


def grad_over(g, fresh):
    """``g / fresh``, written into ``fresh`` when it can hold the result (see :func:`times_grad`).

    >>> grad_over(B.xp.array([3.0, 4.0]), B.xp.full(2, 2.0))
    array([1.5, 2. ])
    """
    if _holds(fresh, g):
        return B.xp.divide(g, fresh, out=fresh)
    return g / fresh


def all_finite(a) -> bool:
    """Whether every element of the float array ``a`` is finite.

    A contiguous float32 or float64 array of 2048 elements or more is first summed by einsum (one
    read, nothing written): an inf or a NaN anywhere makes the sum inf or NaN, so a finite sum
    settles it (131K float32: 16 us, against 25 for isfinite and all). A sum that is not finite
    (a non-finite element, or large finite values that overflow) is settled by the exact check:
    one SIMD ``isfinite`` pass into bytes, then ``all``, which took 1.3-2.4x less time than
    reading the max and min (through which NaN propagates) on NumPy 1.26 and 2.4.

    >>> all_finite(B.xp.array([1.0, -2.0])), all_finite(B.xp.array([1.0, B.xp.nan]))
    (True, False)
    """
    if a.size == 0:
        return True
    strides = a.strides
    if 0 in strides:  # a broadcast gradient (a sum's): its distinct values, not their copies
        if not any(strides):  # one value (a full reduction's): read it, no ufunc calls (5 -> 0.2 us)
            return _cmath.isfinite(a.item(0))
        a = a[tuple(0 if stride == 0 else slice(None) for stride in strides)]
    elif a.size >= 2048 and a.dtype in SIMD_FLOATS and a.flags.c_contiguous and type(a) is B.ndarray:
        if _cmath.isfinite(B.array_einsum("i->", a.reshape(-1))):
            return True
    return bool(B.xp.isfinite(a).all())


def owns_saved(node) -> bool:
    """Whether ``node``'s backward, running now, is the last reader of what its forward saved:
    the engine frees those values once it returns (no retain_graph, no create_graph), no post
    hook of the node will look at them, and no saved-tensor hook holds them. An array that
    forward made for backward alone (a cross-entropy's exponentials, never shown to the user) may
    then take the gradient in place, as a hand-written backward scales its buffer.

    >>> owns_saved(object())  # outside a backward
    False
    """
    return (getattr(node, "_last_read", False) and node._post_hooks_node is None
            and not getattr(type(node), "_hooked", False))


def scaled_own(node, buf, factor):
    """``buf * factor``, written into ``buf`` itself when ``buf`` is an array ``node``'s forward made
    for backward alone and this backward reads it last (:func:`owns_saved`), and the product keeps
    its dtype: the gradient then needs no new array, as a hand-written backward scales its buffer."""
    if factor.dtype == buf.dtype and owns_saved(node):
        return B.xp.multiply(buf, factor, out=buf)
    return buf * factor


#: up to this many elements masked_grad selects with NumPy's where (one call), above it by bits
_WHERE_MAX_SIZE = 512
_ZERO_OF: dict = {}  # dtype -> a 0-d zero of it


def masked_grad(mask, g):
    """``g`` where ``mask`` holds, +0 elsewhere, as torch's backward selects it: an infinite or NaN
    gradient where the mask is off leaves 0 (``g * mask`` would give 0 * inf = nan there, and -0
    for a negative g).

    An array ``g`` and a bool mask of its shape are selected by bits: g's bits, read as integers of
    its width, times the mask (1 keeps them, 0 gives +0's bits). One pass that never looks at g's
    values, so no finiteness check is needed: as fast as the unguarded product ``g * mask`` (14.1
    against 13.8 us at (128, 256) float32 on an AMD EPYC; widening the mask, negating it and ANDing
    it with the bits took 16.3). One value broadcast (a sum's gradient) takes two passes: the
    widened mask times that value's bits. Up to 512 elements ``where`` is one call and the faster
    (float32: 1.15 against 1.31 us at 32 elements; 2.22 against 1.77 at 1,024). Other masks take
    the product while g is finite, else ``where``.

    >>> import numpy as np
    >>> masked_grad(np.array([True, False, False]), np.array([np.inf, np.inf, -2.0]))
    array([inf,  0.,  0.])
    """
    if type(g) is B.ndarray and type(mask) is B.ndarray and mask.dtype.kind == "b" and mask.shape == g.shape:
        ints = SAME_WIDTH_INT.get(g.dtype)
        if ints is not None:
            if g.size <= _WHERE_MAX_SIZE:
                zero = _ZERO_OF.get(g.dtype)
                if zero is None:  # (a 0-d array of the dtype: where's quickest third operand; shared, so read-only)
                    zero = _ZERO_OF[g.dtype] = B.xp.zeros((), g.dtype)
                    zero.flags.writeable = False
                return B.xp.where(mask, g, zero)
            if g.size and not any(g.strides):  # one value broadcast (a sum's gradient): 0 or 1 times its bits
                bits = mask.view(B.xp.uint8).astype(ints)
                bits *= g.view(ints).item(0)
                return bits.view(g.dtype)
            # (the mask read as uint8: NumPy then multiplies without casting it in buffered chunks)
            return B.xp.multiply(g.view(ints), mask.view(B.xp.uint8)).view(g.dtype)
    if B.is_array(g) and all_finite(g):
        return g * mask
    return B.xp.where(mask, g, 0)


def tensor_input(x, name: str = "input"):
    """``x`` if it is a Tensor, else as_tensor_arg's conversion (arrays) or TypeError."""
    return x if isinstance(x, F.Tensor) else as_tensor_arg(x, name)


def varargs_sequence(args: tuple) -> tuple:
    """The items of a ``*tensors`` parameter, also when the caller passed one list or tuple.

    torch's ``broadcast_tensors(a, b)``, ``meshgrid([a, b])`` and ``einsum(eq, [a, b])`` accept
    both spellings, so each of them starts here.
    """
    lone = args[0] if len(args) == 1 else None
    return tuple(lone) if isinstance(lone, (list, tuple)) else args


def clamp_bounds(low, high) -> list:
    """``[low, high]`` for clamp and clamp_, which need at least one of them."""
    bounds = [low, high]
    if all(b is None for b in bounds):
        raise KittyRuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return bounds


def clamp_inplace_bounds(self, low, high) -> list:
    """clamp_'s bounds, each in self's dtype and shape (or None)."""
    return [None if b is None else inplace_operand(self, b, "clamp_", False, True) for b in clamp_bounds(low, high)]


def dtype_name(x) -> str:
    """torch's short scalar-type name of a tensor's dtype ('Float', 'Long', ...), for messages."""
    return dtype_scalar_name(x._data.dtype)


def dtype_scalar_name(np_dtype) -> str:
    """torch's short scalar-type name of a NumPy dtype, for messages.

    >>> dtype_scalar_name(B.xp.dtype("int64"))
    'Long'
    """
    return _SCALAR_NAMES[np_dtype.name]


_SCALAR_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long", "int32": "Int",
    "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
}
#: the C++ element types torch's matrix-product kernels name in their dtype errors
_CPP_NAMES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16", "int64": "long int",
    "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
    "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
}


def cpp_type_name(x) -> str:
    """The C++ element type torch's kernels name in their dtype errors ('double', 'long int')."""
    return _CPP_NAMES.get(x._data.dtype.name, x._data.dtype.name)


def mm_dtype_error(a, b) -> KittyRuntimeError:
    """torch's error for a matrix product of two tensors of different dtypes (mm, matmul, linear
    without bias), which names the C++ element types.

    >>> str(mm_dtype_error(F.Tensor._wrap(B.xp.ones(1)), F.Tensor._wrap(B.xp.ones(1, dtype="float32"))))
    'expected m1 and m2 to have the same dtype, but got: double != float'
    """
    return KittyRuntimeError(f"expected m1 and m2 to have the same dtype, but got: {cpp_type_name(a)} != {cpp_type_name(b)}")


class Bundle(F.Op):
    """Several results of one composite op (``var_mean``, ``aminmax``) as outputs of one node.

    Under the seed's locks a node waits for every recorded use of its output; if ``var_mean``
    were two separate ops, ignoring the mean would hold back the variance's gradient. As outputs
    of a single node, an unused result is simply no use.
    """

    def forward(self, *arrays, name: str = "Bundle"):
        self._name = name + "Backward"
        return tuple(arrays)

    def backward(self, *grads):
        return grads


def bundle(*tensors, name: str):
    """The tensors again, as the outputs of one ``{name}Backward`` node (see :class:`Bundle`)."""
    outs = Bundle.apply(*tensors, name=name)
    for out, src in zip(outs, tensors):
        out._vc = src._vc  # same memory: an in-place change of a result must count for its source too
    return outs


def inplace_operand(self, other, name, float_result, cpp_scalar_cast=False):
    """Bring the other operand of an in-place op to self's dtype and shape (torch's rules).
    ``cpp_scalar_cast``: a number that self's dtype cannot take is refused naming that dtype's C++
    type, as torch's ``clamp_`` does for a number bound (its check runs in the scalar's kernel)."""
    if (type(other) is F.Tensor and other._data.dtype is self._data.dtype and other._data.shape == self._data.shape
            and (not float_result or other._data.dtype.kind == "f")):
        return other  # (a hand-written update's operand, p.grad: nothing to promote, refuse or stretch)
    is_tensor = isinstance(other, F.Tensor) or B.is_array(other)
    if is_tensor:
        other = as_tensor_arg(other, "other")
        rt = D.result_type(self, other)
    else:
        other = check_scalar(other, name)
        rt = D.result_type(self, other)
    if float_result and not rt.is_floating_point:
        rt = D.get_default_dtype()
    if rt is not self.dtype and rt._category > self.dtype._category:
        # torch casts by category (bool < integer < float): any integer result fits an integer tensor
        names = _CPP_NAMES if cpp_scalar_cast and not is_tensor else _SCALAR_NAMES
        raise KittyRuntimeError(
            f"result type {_SCALAR_NAMES[rt.np.name]} can't be cast to the desired output type "
            f"{names[self._data.dtype.name]}"
        )
    if not isinstance(other, F.Tensor):
        return D.typed_scalar(other, self._data.dtype)
    shape = self._data.shape
    full = broadcast_shape_of(other._data.shape, shape)
    if full != shape:
        raise KittyRuntimeError(
            f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}"
        )
    return expand_to(cast(other, self.dtype), shape)
