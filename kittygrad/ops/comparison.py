"""Comparison and selection: ``eq``/``lt``/..., ``clamp``, ``maximum``/``minimum``, ``fmax``/``fmin``,
``where``, logical ops."""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.refusals import check_saved_index
from ..autograd.function import Op, _write
from ..autograd.grad_mode import _state, no_grad
from ..errors import KittyRuntimeError, KittyTypeError
from . import _kernels as _k
from ._prep import (
    all_finite,
    KittyNotImplementedError,
    as_tensor_arg,
    binary,
    broadcast_shape_of,
    cast,
    check_scalar,
    checked_scalar,
    clamp_bounds,
    dtype_name,
    expand_to,
    masked_grad,
    torch_named,
)
from .arithmetic import _binary_tensors
from .gather_scatter import nonzero
from .unary import _tensor


def _wrap(arr):
    return F.Tensor._wrap(arr)  # (which makes NumPy scalars arrays)


def _input(x, fname, pos="input"):
    if isinstance(x, F.Tensor):
        return x
    if B.is_array(x):
        return as_tensor_arg(x)
    raise KittyTypeError(f"{fname}(): argument '{pos}' (position 1) must be Tensor, not {type(x).__name__}")


def _operands(input, other, fname):
    """Raw arrays of ``input`` (a tensor) and ``other`` (a tensor or a number), promoted as torch."""
    T = F.Tensor
    input = _input(input, fname)
    if isinstance(other, T):
        if other._data.shape != input._data.shape:
            broadcast_shape_of(input._data.shape, other._data.shape)  # torch's error where they do not broadcast
        if other._data.dtype == input._data.dtype:
            return input._data, other._data
    elif not isinstance(other, (int, float, bool)) and not B.is_array_like_scalar(other) and not B.is_array(other):
        raise KittyTypeError(
            f"{fname}() received an invalid combination of arguments - got (Tensor, {type(other).__name__}), "
            "but expected (Tensor input, Tensor other) or (Tensor input, Number other)"
        )
    with no_grad():
        a, b = binary(input, other, fname)
    return (a._data if isinstance(a, T) else a), (b._data if isinstance(b, T) else b)


def eq(input, other):
    """Elementwise ``==`` as a bool tensor.

    >>> import kittygrad as kitty
    >>> kitty.eq(kitty.tensor([1, 2]), 2)
    tensor([False,  True])
    """
    a, b = _operands(input, other, "eq")
    return _wrap(a == b)


def ne(input, other):
    """Elementwise ``!=``.

    >>> import kittygrad as kitty
    >>> kitty.ne(kitty.tensor([1, 2]), 2)
    tensor([ True, False])
    """
    a, b = _operands(input, other, "ne")
    return _wrap(a != b)


def lt(input, other):
    """Elementwise ``<``.

    >>> import kittygrad as kitty
    >>> kitty.lt(kitty.tensor([1, 2]), 2)
    tensor([ True, False])
    """
    a, b = _operands(input, other, "lt")
    return _wrap(a < b)


def le(input, other):
    """Elementwise ``<=``.

    >>> import kittygrad as kitty
    >>> kitty.le(kitty.tensor([1, 3]), 2)
    tensor([ True, False])
    """
    a, b = _operands(input, other, "le")
    return _wrap(a <= b)


def gt(input, other):
    """Elementwise ``>``.

    >>> import kittygrad as kitty
    >>> kitty.gt(kitty.tensor([1, 3]), 2)
    tensor([False,  True])
    """
    a, b = _operands(input, other, "gt")
    return _wrap(a > b)


def ge(input, other):
    """Elementwise ``>=``.

    >>> import kittygrad as kitty
    >>> kitty.ge(kitty.tensor([1, 2]), 2)
    tensor([False,  True])
    """
    a, b = _operands(input, other, "ge")
    return _wrap(a >= b)


not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


def _same_dtype(a, b):
    if a._data.dtype != b._data.dtype:
        raise KittyRuntimeError(f"{_tname(a)} did not match {_tname(b)}")


_tname = dtype_name


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """|input - other| <= atol + rtol * |other|, elementwise (same dtypes required, as torch).

    >>> import kittygrad as kitty
    >>> kitty.isclose(kitty.tensor([1., 2.]), kitty.tensor([1., 2.1]))
    tensor([ True, False])
    """
    a, b = _input(input, "isclose"), _input(other, "isclose", "other")
    _same_dtype(a, b)
    x, y = a._data, b._data
    if x.shape != y.shape:
        broadcast_shape_of(x.shape, y.shape)  # torch's error where they do not broadcast
    if x.dtype.kind != "f":
        x, y = x.astype("float64"), y.astype("float64")
    with B.errstate(invalid="ignore", over="ignore"):
        close = (x == y) | (B.xp.abs(x - y) <= atol + rtol * B.xp.abs(y))
    if equal_nan:
        close = close | (B.xp.isnan(x) & B.xp.isnan(y))
    return _wrap(close)


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True when every element is ``isclose``.

    >>> import kittygrad as kitty
    >>> kitty.allclose(kitty.tensor([1., 2.]), kitty.tensor([1., 2.]))
    True
    """
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """True when both tensors have the same shape and elements.

    >>> import kittygrad as kitty
    >>> kitty.equal(kitty.tensor([1, 2]), kitty.tensor([1, 2]))
    True
    """
    a, b = _input(input, "equal"), _input(other, "equal", "other")
    if a._data.shape != b._data.shape:
        return False
    return bool((a._data == b._data).all())


def isnan(input):
    """True where the value is NaN.

    >>> import kittygrad as kitty
    >>> kitty.isnan(kitty.tensor([1., float('nan')]))
    tensor([False,  True])
    """
    x = _input(input, "isnan")._data
    return _wrap(B.xp.isnan(x) if B.is_float(x.dtype) else B.xp.zeros(x.shape, bool))


def isinf(input):
    """True where the value is +inf or -inf.

    >>> import kittygrad as kitty
    >>> kitty.isinf(kitty.tensor([1., float('inf')]))
    tensor([False,  True])
    """
    x = _input(input, "isinf")._data
    return _wrap(B.xp.isinf(x) if B.is_float(x.dtype) else B.xp.zeros(x.shape, bool))


def isposinf(input):
    """True where the value is +inf.

    >>> import kittygrad as kitty
    >>> kitty.isposinf(kitty.tensor([-float('inf'), float('inf')]))
    tensor([False,  True])
    """
    x = _input(input, "isposinf")._data
    return _wrap(B.xp.isposinf(x) if B.is_float(x.dtype) else B.xp.zeros(x.shape, bool))


def isneginf(input):
    """True where the value is -inf.

    >>> import kittygrad as kitty
    >>> kitty.isneginf(kitty.tensor([-float('inf'), float('inf')]))
    tensor([ True, False])
    """
    x = _input(input, "isneginf")._data
    return _wrap(B.xp.isneginf(x) if B.is_float(x.dtype) else B.xp.zeros(x.shape, bool))


def isfinite(input):
    """True where the value is neither inf nor NaN.

    >>> import kittygrad as kitty
    >>> kitty.isfinite(kitty.tensor([1., float('inf')]))
    tensor([ True, False])
    """
    x = _input(input, "isfinite")._data
    return _wrap(B.xp.isfinite(x) if B.is_float(x.dtype) else B.xp.ones(x.shape, bool))


def isreal(input):
    """True everywhere (kittygrad tensors are real).

    >>> import kittygrad as kitty
    >>> kitty.isreal(kitty.tensor([1.]))
    tensor([True])
    """
    return _wrap(B.xp.ones(_input(input, "isreal")._data.shape, bool))


def signbit(input):
    """True where the sign bit is set (also for -0.0).

    >>> import kittygrad as kitty
    >>> kitty.signbit(kitty.tensor([-0., 1.]))
    tensor([ True, False])
    """
    x = _input(input, "signbit")._data
    return _wrap(B.xp.signbit(x) if x.dtype.kind != "b" else B.xp.zeros(x.shape, bool))


def _logical_operands(input, other, fname):
    a = _input(input, fname)
    if not isinstance(other, F.Tensor):
        if B.is_array(other):
            other = as_tensor_arg(other)
        else:
            raise KittyTypeError(f"{fname}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return a._data, other._data


def logical_and(input, other):
    """Elementwise AND of the truth values (any dtype), as a bool tensor.

    >>> import kittygrad as kitty
    >>> kitty.logical_and(kitty.tensor([1., 0.]), kitty.tensor([True, True]))
    tensor([ True, False])
    """
    a, b = _logical_operands(input, other, "logical_and")
    return _wrap(B.xp.logical_and(a, b))


def logical_or(input, other):
    """Elementwise OR of the truth values.

    >>> import kittygrad as kitty
    >>> kitty.logical_or(kitty.tensor([1., 0.]), kitty.tensor([False, False]))
    tensor([ True, False])
    """
    a, b = _logical_operands(input, other, "logical_or")
    return _wrap(B.xp.logical_or(a, b))


def logical_xor(input, other):
    """Elementwise XOR of the truth values.

    >>> import kittygrad as kitty
    >>> kitty.logical_xor(kitty.tensor([1., 0.]), kitty.tensor([True, False]))
    tensor([False, False])
    """
    a, b = _logical_operands(input, other, "logical_xor")
    return _wrap(B.xp.logical_xor(a, b))


def logical_not(input):
    """Elementwise NOT of the truth values.

    >>> import kittygrad as kitty
    >>> kitty.logical_not(kitty.tensor([1., 0.]))
    tensor([False,  True])
    """
    return _wrap(B.xp.logical_not(_input(input, "logical_not")._data))


def _bitwise_operands(input, other, fname):
    a, b = _operands(input, other, fname)
    for x in (a, b):
        kind = B.xp.result_type(x).kind if not hasattr(x, "dtype") else x.dtype.kind
        if kind not in "biu":
            name = _tname(F.Tensor._wrap(B.xp.asarray(x))) if kind == "f" else str(kind)
            raise KittyNotImplementedError(f'"{fname}_cpu" not implemented for \'{name}\'')
    return a, b


def bitwise_and(input, other):
    """Elementwise ``&`` of integer or bool tensors.

    >>> import kittygrad as kitty
    >>> kitty.bitwise_and(kitty.tensor([3, 4]), 1)
    tensor([1, 0])
    """
    a, b = _bitwise_operands(input, other, "bitwise_and")
    return _wrap(B.xp.bitwise_and(a, b))


def bitwise_or(input, other):
    """Elementwise ``|`` of integer or bool tensors.

    >>> import kittygrad as kitty
    >>> kitty.bitwise_or(kitty.tensor([1, 4]), 2)
    tensor([3, 6])
    """
    a, b = _bitwise_operands(input, other, "bitwise_or")
    return _wrap(B.xp.bitwise_or(a, b))


def bitwise_xor(input, other):
    """Elementwise ``^`` of integer or bool tensors.

    >>> import kittygrad as kitty
    >>> kitty.bitwise_xor(kitty.tensor([3, 4]), 1)
    tensor([2, 5])
    """
    a, b = _bitwise_operands(input, other, "bitwise_xor")
    return _wrap(B.xp.bitwise_xor(a, b))


def bitwise_not(input):
    """Elementwise ``~`` (logical NOT for bool tensors).

    >>> import kittygrad as kitty
    >>> kitty.bitwise_not(kitty.tensor([0, 1]))
    tensor([-1, -2])
    """
    x = _input(input, "bitwise_not")._data
    if x.dtype.kind not in "biu":
        raise KittyNotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{_tname(F.Tensor._wrap(x))}'")
    return _wrap(B.xp.invert(x))


def bitwise_left_shift(input, other):
    """Elementwise ``<<`` of integer tensors.

    >>> import kittygrad as kitty
    >>> kitty.bitwise_left_shift(kitty.tensor([1, 2]), 1)
    tensor([2, 4])
    """
    a, b = _bitwise_operands(input, other, "lshift")
    return _wrap(B.xp.left_shift(a, b))


def bitwise_right_shift(input, other):
    """Elementwise ``>>`` of integer tensors.

    >>> import kittygrad as kitty
    >>> kitty.bitwise_right_shift(kitty.tensor([4, 9]), 1)
    tensor([2, 4])
    """
    a, b = _bitwise_operands(input, other, "rshift")
    return _wrap(B.xp.right_shift(a, b))


# in-place twins of the logical/bitwise ops write into self; they are not differentiable


class _InplaceName:
    """What ``_write`` names in its messages."""

    def __init__(self, name: str) -> None:
        self._name = name + "Backward"


def _inplace_result(self, result, name):

    if self._requires_grad and _state.enabled:
        raise KittyRuntimeError(f"{name}_ is not differentiable: it can't write into a tensor that requires grad")
    _write(self, result._data, _InplaceName(name))
    return self


class Clamp(Op):
    """clamp(x, min, max) with scalar or array bounds; gradient passes where min <= x <= max."""

    saved_fields = ("hi", "lo", "x")
    saved_inputs = (0, 1, 2)

    #: torch's overload: ClampBackward1 for number bounds, ClampBackward0 for tensor ones (set by
    #: forward and kept past backward, which releases the bounds)
    _overload = "1"

    def _torch_overload(self) -> str:
        return self._overload

    def forward(self, x, lo, hi):
        xp = self.xp
        self.x, self.lo, self.hi = x, lo, hi
        if any(B.is_array(b) and b.ndim for b in (lo, hi)):
            self._overload = "0"
        out = x
        if lo is not None:
            out = _k.bounded(xp.maximum, out, lo)
        if hi is not None:
            out = _k.bounded(xp.minimum, out, hi)
        return out.astype(x.dtype, copy=False) if out is not x else x.copy()

    def backward(self, g):
        # as torch: x keeps the gradient at a bound (x == lo or x == hi); the masks select, so an
        # infinite gradient is not spread as 0 * inf
        x, lo, hi = self.x, self.lo, self.hi
        need = self.needs_input_grad
        gx = glo = ghi = None
        if need[0]:
            mask_x = x >= lo if lo is not None else True
            if hi is not None:
                mask_x = mask_x & (x <= hi)
            gx = masked_grad(mask_x, g)
        if lo is not None and need[1]:
            glo = masked_grad((x < lo) & (lo <= hi) if hi is not None else x < lo, g)
        if hi is not None and need[2]:
            ghi = masked_grad((x > hi) | (lo > hi) if lo is not None else x > hi, g)
        return gx, glo, ghi


def clamp(input, min=None, max=None):  # noqa: A002
    """Limit values to [min, max]; bounds may be numbers or tensors.

    >>> import kittygrad as kitty
    >>> kitty.clamp(kitty.tensor([-2., 0.5, 3.]), -1, 1)
    tensor([-1.0000,  0.5000,  1.0000])
    """
    bounds = clamp_bounds(min, max)
    T = type(input)
    input = as_tensor_arg(input)
    if any(isinstance(b, T) for b in bounds):
        tensors = [input] + [b for b in bounds if isinstance(b, T)]
        rt = D.result_type(*tensors, *[b for b in bounds if b is not None and not isinstance(b, T)])
        shape = input._data.shape
        for t in tensors[1:]:
            shape = broadcast_shape_of(shape, t._data.shape)
        input = expand_to(cast(input, rt), shape)
        bounds = [expand_to(cast(b, rt), shape) if isinstance(b, T) else (None if b is None else checked_scalar(b, rt.np)) for b in bounds]
        return Clamp.apply(input, bounds[0], bounds[1])
    rt = D.result_type(input, *[b for b in bounds if b is not None])
    input = cast(input, rt)
    return Clamp.apply(input, *(None if b is None else checked_scalar(b, rt.np) for b in bounds))


clip = clamp


class Maximum(Op):
    """Elementwise max. As torch: at ties each operand gets half of the gradient; an operand
    gets none only where it compares below the other, so a NaN passes the gradient to both; and
    the masks select (a non-finite gradient is not spread as 0 * inf)."""

    saved_fields = ("a", "b")
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.maximum(a, b)

    @staticmethod
    def _loses(a, b):
        return a < b

    def backward(self, g):
        xp = self.xp
        a, b = self.a, self.b
        need = self.needs_input_grad
        if (type(a) is B.ndarray and type(b) is B.ndarray and type(g) is B.ndarray and (a.ndim or b.ndim)
                and all_finite(g)):  # (two 0-d operands compare to a NumPy bool, not a mask array)
            return self._finite_grads(g, need)
        tie = a == b
        ga = masked_grad(~self._loses(a, b), g) if need[0] else None
        gb = masked_grad(~self._loses(b, a), g) if need[1] else None
        if tie.any():
            ga = xp.where(tie, 0.5 * ga, ga) if ga is not None else None
            gb = xp.where(tie, 0.5 * gb, gb) if gb is not None else None
        return ga, gb

    def _finite_grads(self, g, need):
        """The same gradients for a finite ``g``, where products with the masks select exactly:
        each mask is built in place, and a tie (rare for float data) costs one more pass."""
        xp, a, b = self.xp, self.a, self.b
        a_loses, b_loses = self._loses(a, b), self._loses(b, a)
        if a_loses.shape == g.shape and xp.logical_or(a_loses, b_loses).all():
            # no tie and no NaN (every pair compares one way): each operand keeps g exactly where
            # the other loses, with no tie pass (one OR of the masks and its all(): 4.0 us at
            # (32, 16, 256) against 6.8 for counting both masks' set bits)
            return (xp.multiply(g, b_loses, dtype=g.dtype) if need[0] else None,
                    xp.multiply(g, a_loses, dtype=g.dtype) if need[1] else None)
        grads = []
        for wins, own, other in ((need[0], a, b), (need[1], b, a)):
            if not wins:
                grads.append(None)
                continue
            keeps = self._loses(own, other)
            xp.logical_not(keeps, out=keeps)
            grads.append(xp.multiply(g, keeps, dtype=g.dtype))
        tie = xp.equal(a, b)
        if tie.any():
            halves = xp.where(tie, g.dtype.type(0.5), g.dtype.type(1))
            grads = [None if gr is None else gr * halves for gr in grads]
        return tuple(grads)


class Minimum(Maximum):
    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.minimum(a, b)

    @staticmethod
    def _loses(a, b):
        return a > b


class Fmax(Op):
    """max that ignores NaN; ties send the whole gradient to ``input``, as torch."""

    saved_fields = ("a", "b")
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.fmax(a, b)

    def backward(self, g):
        xp = self.xp
        first = (self.a >= self.b) | xp.isnan(self.b)
        return masked_grad(first, g), masked_grad(~first, g)  # (selects, as torch: see Maximum)


class Fmin(Fmax):
    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.fmin(a, b)

    def backward(self, g):
        xp = self.xp
        first = (self.a <= self.b) | xp.isnan(self.b)
        return masked_grad(first, g), masked_grad(~first, g)


# ---------------------------------------------------------------------------------------------
# ternary ops


class Where(Op):
    """``where(cond, a, b)``; operands arrive expanded to one shape."""
    scalar_edges = True  # a Python number operand keeps its (None, 0) edge, as torch's wrapped number

    saved_fields = ("cond",)


    def forward(self, cond, a, b):
        self.cond = cond
        # (a blend of bit patterns: NumPy's where branches per element, 7x slower on a random mask)
        return B.select(cond, a, b)

    def backward(self, g):
        need = self.needs_input_grad
        zero = g.dtype.type(0)
        ga = B.select(self.cond, g, zero) if need[1] else None
        gb = B.select(self.cond, zero, g) if need[2] else None
        return None, ga, gb


def maximum(input, other):
    """Elementwise maximum of two tensors (NaN propagates; ties split the gradient).

    >>> import kittygrad as kitty
    >>> kitty.maximum(kitty.tensor([1., 5.]), kitty.tensor([3., 2.]))
    tensor([3., 5.])
    """
    a, b = _binary_tensors(input, other, "maximum")
    return Maximum.apply(a, b)


def minimum(input, other):
    """Elementwise minimum of two tensors.

    >>> import kittygrad as kitty
    >>> kitty.minimum(kitty.tensor([1., 5.]), kitty.tensor([3., 2.]))
    tensor([1., 2.])
    """
    a, b = _binary_tensors(input, other, "minimum")
    return Minimum.apply(a, b)


def fmax(input, other):
    """Elementwise maximum that ignores NaN.

    >>> import kittygrad as kitty
    >>> kitty.fmax(kitty.tensor([1., float('nan')]), kitty.tensor([3., 2.]))
    tensor([3., 2.])
    """
    a, b = _binary_tensors(input, other, "fmax")
    return Fmax.apply(a, b)


def fmin(input, other):
    """Elementwise minimum that ignores NaN.

    >>> import kittygrad as kitty
    >>> kitty.fmin(kitty.tensor([1., float('nan')]), kitty.tensor([3., 2.]))
    tensor([1., 2.])
    """
    a, b = _binary_tensors(input, other, "fmin")
    return Fmin.apply(a, b)


def where(condition, input=None, other=None):
    """Pick ``input`` where ``condition`` holds, else ``other`` (numbers allowed); with only a
    condition, the indices of its nonzero elements as a tuple.

    >>> import kittygrad as kitty
    >>> kitty.where(kitty.tensor([True, False]), kitty.tensor([1., 2.]), 0.)
    tensor([1., 0.])
    """
    cond = _tensor(condition, "condition")
    if input is None and other is None:

        return nonzero(cond, as_tuple=True)
    if cond._data.dtype.kind != "b":
        raise KittyRuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype {_tname(cond)}"
        )
    T = F.Tensor
    if not isinstance(input, T) and not isinstance(other, T):
        check_scalar(input, "where")
        check_scalar(other, "where")
        rt = D.result_type(input, other)
        arr = B.xp.where(cond._data, rt.np.type(input), rt.np.type(other))
        return T._wrap(B.xp.asarray(arr, dtype=rt.np))
    rt = D.result_type(*[o for o in (input, other)])
    shape = cond._data.shape
    for o in (input, other):
        if isinstance(o, T):
            shape = broadcast_shape_of(shape, o._data.shape)
    ops = []
    for o in (input, other):
        if isinstance(o, T):
            ops.append(expand_to(cast(o, rt), shape))
        else:  # a number stays a number (no graph input); the tensor operand carries the shape
            ops.append(rt.np.type(check_scalar(o, "where")))
    if not isinstance(ops[0], T) and ops[1]._data.shape != shape:
        ops[1] = expand_to(ops[1], shape)
    for o in ops:
        if isinstance(o, T):
            check_saved_index(cond, o)
    c = cond._data if cond._data.shape == shape else B.xp.broadcast_to(cond._data, shape)
    return Where.apply(c, ops[0], ops[1])


def clamp_min(input, min):  # noqa: A002
    """clamp(input, min=min).

    >>> import kittygrad as kitty
    >>> kitty.clamp_min(kitty.tensor([-1., 2.]), 0)
    tensor([0., 2.])
    """

    # torch: ClampMinBackward0 for a number bound, ClampMinBackward1 for a tensor one
    return torch_named(clamp(input, min=min), "ClampMinBackward1" if isinstance(min, F.Tensor) else "ClampMinBackward0")


def clamp_max(input, max):  # noqa: A002
    """clamp(input, max=max).

    >>> import kittygrad as kitty
    >>> kitty.clamp_max(kitty.tensor([-1., 2.]), 0)
    tensor([-1.,  0.])
    """

    return torch_named(clamp(input, max=max), "ClampMaxBackward1" if isinstance(max, F.Tensor) else "ClampMaxBackward0")
