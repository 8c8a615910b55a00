"""Arithmetic: ``+ - * / **`` and negation, division with rounding modes, ``fmod``/``remainder``,
``atan2``, ``hypot``, ``logaddexp``, ``xlogy``, ``lerp``, ``addcmul``/``addcdiv``."""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.function import Op, apply_inplace
from ..errors import KittyRuntimeError, KittyTypeError
from ._prep import (KittyNotImplementedError, all_finite, binary, broadcast_shape_of, cast, check_scalar,
                    checked_scalar, expand_to, inplace_operand, owns_saved, scalar_argument, times_grad,
                    torch_named)
from . import _kernels as _k
from .unary import _tensor, _tname


def _ufunc_in_place(ufunc):
    """``write_in_place`` (see Op) for an op that computes ``ufunc(a, alpha * b)`` (alpha 1: ``ufunc(a,
    b)``): the same ufunc with self's array as its output, so the same roundings; an operand of
    another dtype (promotion decides the result's) and bfloat16 (computed in float32 out of place)
    are declined.

    >>> import numpy as np
    >>> a = np.ones(2); _ufunc_in_place(np.add).__func__(a, np.ones(2), alpha=2.0); a
    array([3., 3.])
    """
    def write(data, b, alpha=1):
        if getattr(b, "dtype", None) != data.dtype or data.dtype == B.bfloat16:
            return NotImplemented
        ufunc(data, b if alpha == 1 else alpha * b, out=data)
        return None

    return staticmethod(write)


class Add(Op):
    scalar_edges = True  # a Python number operand keeps its (None, 0) edge, as torch's wrapped number
    write_in_place = _ufunc_in_place(B.xp.add)  # (a hand-written update, p += lr * g: one pass)

    def forward(self, a, b):
        return _k.by_materializing(B.xp.add, a, b)

    def backward(self, g):
        return g, g


class AddScaled(Op):
    """``a + alpha * b`` (the ``alpha`` of torch.add)."""
    scalar_edges = True  # a Python number operand keeps its (None, 0) edge, as torch's wrapped number

    saved_fields = ("alpha",)
    _name = "AddBackward"
    write_in_place = _ufunc_in_place(B.xp.add)

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a + alpha * b

    def backward(self, g):
        return g, g * self.alpha


class Sub(Op):
    scalar_edges = True  # a Python number operand keeps its (None, 0) edge, as torch's wrapped number
    saved_fields = ("alpha",)
    write_in_place = _ufunc_in_place(B.xp.subtract)

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return _k.by_materializing(B.xp.subtract, a, b) if alpha == 1 else a - alpha * b

    def backward(self, g):
        alpha = self.alpha
        return g, (-g if alpha == 1 else -alpha * g)


class RSub(Op):
    """``b - alpha * a`` (scalar minus tensor)."""

    saved_fields = ("alpha",)
    _name = "RsubBackward"

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return b - a if alpha == 1 else b - alpha * a

    def backward(self, g):
        return (-g if self.alpha == 1 else -self.alpha * g), g


class Mul(Op):
    scalar_edges = True  # a Python number operand keeps its (None, 0) edge, as torch's wrapped number
    saved_fields = ("a", "b")
    torch_saved = {"self": "a", "other": "b"}  # grad_fn._saved_self / _saved_other, as torch
    saved_inputs = (0, 1)
    save_needed = {0: (1,), 1: (0,)}  # a is read only for b's gradient, and b only for a's
    write_in_place = _ufunc_in_place(B.xp.multiply)

    def forward(self, a, b):
        nodes = self._next_nodes  # (set before forward when a gradient will be needed)
        self.a = a if len(nodes) == 2 and nodes[1] is not None else None
        self.b = b if nodes and nodes[0] is not None else None
        return _k.by_materializing(B.xp.multiply, a, b)

    def backward(self, g):
        need = self.needs_input_grad
        product = _k.by_materializing
        return (product(B.xp.multiply, g, self.b) if need[0] else None), (product(B.xp.multiply, g, self.a) if need[1] else None)


def _keep_result(out):
    """Hand the node of ``out`` its own result, as ``(version counter, version now, array)``, for a
    backward that can read it instead of recomputing it (see :func:`_unchanged`); returns ``out``.
    The node holds the result until its backward ran (torch's keeps only the inputs), so this is
    for results that save a costly pass (a square root). Not while anything observes
    the recorded ops (saved-tensor hooks pack what nodes save, to offload or drop it: a result held
    here would escape them)."""
    if not F.observers:
        out._grad_fn._result_kept = (out._vc, out._vc[0], out._data)
    return out


def _unchanged(kept, like):
    """The array ``kept`` by :func:`_keep_result`, while the result has not been changed in place and
    has ``like``'s dtype and shape; else None.

    torch's node for such an op saves only its inputs, so changing the result in place stays
    allowed: backward then recomputes what it would have read, and the gradient is the same."""
    if kept is None:
        return None
    counter, version, result = kept
    if counter[0] == version and result.dtype == like.dtype and result.shape == like.shape:
        return result
    return None


class Div(Op):
    scalar_edges = True  # a Python number operand keeps its (None, 0) edge, as torch's wrapped number
    # _result_kept: the quotient with its version (see _keep_result), set by ``div`` when the
    # divisor's gradient will be computed
    saved_fields = ("a", "b", "_result_kept")
    _result_kept = None
    torch_saved = {"self": "a", "other": "b"}
    saved_inputs = (0, 1)
    save_needed = {0: (1,), 1: (0, 1)}

    def forward(self, a, b):
        nodes = self._next_nodes
        self.a = a if len(nodes) == 2 and nodes[1] is not None else None
        self.b = b
        return a / b

    def backward(self, g):
        need = self.needs_input_grad
        a, b = self.a, self.b
        ga = g / b if need[0] or need[1] else None
        gb = None
        if need[1]:
            if type(ga) is B.ndarray and type(a) is B.ndarray:
                # -g a / b**2 as -(g / b) * (a / b), reading forward's quotient while it is
                # unchanged (one division fewer), else -(g / b) * a / b; in place on a fresh array
                # of the output's shape, and no b * b to overflow
                quotient = _unchanged(self._result_kept, ga)
                if quotient is not None:
                    gb = ga * quotient
                else:
                    gb = ga * a
                    gb /= b
                B.xp.negative(gb, out=gb)
            else:
                gb = -g * a / (b * b)
        return (ga if need[0] else None), gb


def _half_power_slope(a, kept=None):
    """``0.5 * a ** -0.5`` (the slope of ``a ** 0.5``) as ``0.5 / sqrt(a)``, or None where that
    is not the generic power's value: at -0 and -inf the quotient is -inf and nan, where the power
    gives inf and 0. Both are non-finite, which all_finite notices (then the generic power runs).

    ``kept`` is forward's result (see :func:`_keep_result`): while unchanged it is ``sqrt(a)`` to
    the bit, and backward divides by it instead of taking the root again (a float32 square root
    costs 3.5x a product)."""
    if type(a) is not B.ndarray or a.ndim == 0:
        return None
    root = _unchanged(kept, a)
    if root is None:
        slope = B.xp.sqrt(a)
        B.xp.divide(a.dtype.type(0.5), slope, out=slope)
    else:
        slope = B.xp.divide(a.dtype.type(0.5), root)
    return slope if all_finite(slope) else None


class Pow(Op):
    # _result_kept: the result of ``a ** 0.5`` with its version (see _keep_result), set by ``pow``
    saved_fields = ("a", "b", "_result_kept", "_square")
    _result_kept = None
    _square = None  # a * a, from forward's a ** 3 (see forward)
    torch_saved = {"self": "a", "exponent": ("b", "number")}  # a number exponent stays a number
    saved_inputs = (0, 1)

    def _torch_overload(self) -> str:
        # torch: PowBackward0 for a number exponent, PowBackward1 for a tensor one, PowBackward2 for
        # a number base (``2 ** x``)
        if _k.is_number(getattr(self, "a", None)):
            return "2"
        return "1" if B.is_array(getattr(self, "b", None)) and self.b.ndim else "0"

    def forward(self, a, b):
        self.a, self.b = a, b
        with B.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if _k.is_number(b):
                if a.dtype.kind in "iu" and b < 0 and not isinstance(b, float):
                    raise KittyRuntimeError("Integers to negative integer powers are not allowed.")
                nodes = self._next_nodes  # (set before forward when a gradient will be needed)
                wanted = nodes and nodes[0] is not None and not F.observers
                if wanted and b == 3 and a.dtype.kind == "f" and type(a) is B.ndarray and a.ndim:
                    # the square on the way to the cube is the slope's a ** 2 to the bit: kept, backward
                    # scales it in place instead of squaring again (a pass fewer). It is a's own square,
                    # and a is saved with its version, so a change to a in place is refused as before.
                    # Not while saved-tensor hooks observe (the square would escape what they pack)
                    self._square = a * a
                    return self._square * a
                return _k.float_power_of(self.xp, a, b)
            if a.dtype.kind in "iu" and b.dtype.kind in "iu":
                return _integer_power(self.xp, a, b)
            return a**b

    def backward(self, g):
        xp = self.xp
        a, b = self.a, self.b
        need = self.needs_input_grad
        ga = gb = None
        with B.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if need[0] and _k.is_number(b) and b != 0 and a.dtype.kind == "f":
                if b == 1:
                    return g, None
                half = _half_power_slope(a, self._result_kept) if b == 0.5 else None
                if half is not None:  # (already scaled by the exponent)
                    return times_grad(half, g), None
                if b == 2:  # the slope 2a in one pass (a ** 1 would be a copy, scaled after)
                    return times_grad(a * b, g), None
                square = self._square if type(g) is B.ndarray and type(a) is B.ndarray else None
                if square is None:
                    slope = _k.float_power_of(xp, a, b - 1)
                else:  # (scaled in place where no later backward reads it, else a copy of it)
                    slope = square if owns_saved(self) else square.copy()
                if type(slope) is not B.ndarray or slope is a or slope.shape != g.shape or slope.dtype != g.dtype:
                    return (g * b) * slope, None
                slope *= b  # a fresh array: scaled in place, no temporaries
                slope *= g
                return slope, None
            if type(a) is B.ndarray and type(b) is B.ndarray and type(g) is B.ndarray:
                grads = self._array_grads(g, need)
                if grads is not None:
                    return grads
            if need[0]:
                # torch: d/da a**0 is 0 everywhere (also at a == 0)
                ga = xp.where(b == 0, 0.0, g * b * a ** (b - 1)).astype(g.dtype, copy=False)
            if need[1]:
                # torch: where a == 0 and b >= 0 the exponent's gradient is 0
                out = self._result()
                gb = xp.where((a == 0) & (b >= 0), 0.0, g * out * xp.log(a)).astype(g.dtype, copy=False)
        return ga, gb

    def _array_grads(self, g, need):
        """Both gradients from one power: ``b * out / a`` and ``out * log(a)``, where the general
        formulas take ``a ** (b - 1)`` and ``a ** b`` (two more powers, ~10x a product each).
        They agree wherever a is finite and non-zero; at a == 0 or an infinite a the quotient is
        nan or inf, which all_finite notices, and then None sends the call to the general formulas
        (their selects give torch's values there)."""
        xp, a, b = self.xp, self.a, self.b
        out = self._result()
        ga = gb = None
        if need[0]:
            ga = g * b
            ga *= out  # (g * b has the broadcast shape of all three, so these stay in place)
            ga /= a
            if not all_finite(ga):
                return None
        if need[1]:
            gb = xp.log(a)
            gb = xp.multiply(gb, out, out=gb if gb.shape == out.shape else None)
            gb = xp.multiply(gb, g, out=gb if gb.shape == g.shape else None)
            if not all_finite(gb):
                return None
        return ga, gb


    def _result(self):
        """``a ** b`` once more: what the exponent's gradient reads (see PowOfTensor)."""
        return self.a**self.b


class PowOfTensor(Pow):
    """``a ** b`` with a tensor exponent, which keeps its result as torch's PowBackward1 and
    PowBackward2 do: the exponent's gradient ``out * log(a)`` and the fast base gradient
    ``b * out / a`` read it, instead of backward paying for a second power, the costliest pass of
    the op. So, as in torch, changing the result in place makes backward an error; with a number
    exponent (PowBackward0, the Pow node) it stays allowed."""

    saved_fields = ("out",)
    saves_output = True
    torch_saved = {**Pow.torch_saved, "result": "out"}
    _name = "PowBackward"

    def forward(self, a, b):
        self.out = super().forward(a, b)
        return self.out

    def _result(self):
        return self.out


class Neg(Op):
    def forward(self, x):
        if x.dtype == bool:  # NumPy's own error is a TypeError in its words; torch's is this
            raise KittyRuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
                "use the `~` or `logical_not()` operator instead."
            )
        return -x

    def backward(self, g):
        return (-g,)


# ---------------------------------------------------------------------------------------------
# public functions (torch.add, torch.mul, ...); Tensor methods call these


def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting and type promotion.

    >>> import kittygrad as kitty
    >>> kitty.add(kitty.tensor([1., 2.]), 1, alpha=2)
    tensor([3., 4.])
    """
    a, b = binary(input, other, "add")
    if alpha.__class__ is not int or alpha != 1:
        alpha = _check_alpha(a, b, alpha, "add")
        if alpha.__class__ is not int or alpha != 1:
            return AddScaled.apply(a, b, alpha=alpha)
    return Add.apply(a, b)


def _check_alpha(a, b, alpha, name: str):
    """``alpha`` of add/sub as a Python number (a NumPy scalar counts as one: no float64 result),
    checked against the dtype of ``a + b`` as torch checks it: a float alpha needs a floating
    result, a bool alpha a bool one; for a bool result any alpha acts as a bool."""
    if (type(alpha) is float and isinstance(a, F.Tensor) and isinstance(b, F.Tensor) and a._data.dtype.kind == "f"
            and b._data.dtype.kind == "f"):
        return alpha  # (a float alpha on two float tensors, a hand-written SGD step's: nothing to promote or refuse)
    alpha = scalar_argument(alpha, name, "alpha")
    operands = [x for x in (a, b) if isinstance(x, F.Tensor) or isinstance(x, (bool, int, float))]
    kind = D.result_type(*operands).np.kind
    if isinstance(alpha, bool) and kind != "b":
        raise KittyRuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and kind in "biu":
        raise KittyRuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    return bool(alpha) if kind == "b" else alpha


def _check_sub_operands(input, other) -> None:
    """torch refuses subtraction with bool operands (``-``, ``rsub`` and ``sub_`` alike)."""
    bools = sum(isinstance(x, bool) or (hasattr(x, "_data") and x._data.dtype.kind == "b") for x in (input, other))
    if bools == 2:
        raise KittyRuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
            "`logical_xor()` operator instead."
        )
    if bools:
        raise KittyRuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead."
        )


def sub(input, other, *, alpha=1):
    """``input - alpha * other``.

    >>> import kittygrad as kitty
    >>> kitty.sub(kitty.tensor([1., 2.]), 1)
    tensor([0., 1.])
    """
    _check_sub_operands(input, other)
    a, b = binary(input, other, "sub")
    if alpha.__class__ is not int or alpha != 1:
        alpha = _check_alpha(a, b, alpha, "sub")
    if not hasattr(a, "_data"):  # number - tensor
        return RSub.apply(b, a, alpha=alpha)
    return Sub.apply(a, b, alpha=alpha)


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    _check_sub_operands(input, other)
    a, b = binary(input, other, "rsub")
    if not hasattr(b, "_data"):
        return torch_named(RSub.apply(a, b, alpha=alpha), "RsubBackward1")  # torch's rsub(Tensor, Scalar)
    return torch_named(Sub.apply(b, a, alpha=alpha), "RsubBackward0")


def mul(input, other):
    """Elementwise product.

    >>> import kittygrad as kitty
    >>> kitty.mul(kitty.tensor([1., 2.]), 3)
    tensor([3., 6.])
    """
    a, b = binary(input, other, "mul")
    return Mul.apply(a, b)


def div(input, other, *, rounding_mode=None):
    """True division (ints give floats), or ``rounding_mode='trunc'|'floor'``.

    >>> import kittygrad as kitty
    >>> kitty.div(kitty.tensor([1, 2]), 2)
    tensor([0.5000, 1.0000])
    """
    if rounding_mode is not None:

        return div_rounding(input, other, rounding_mode)
    a, b = binary(input, other, "div", float_result=True)
    out = Div.apply(a, b)
    node = out._grad_fn
    # the divisor's gradient reads the quotient back (forward keeps the dividend only then)
    return _keep_result(out) if type(node) is Div and node.a is not None else out


def _integer_power(xp, a, b):
    """``a ** b`` for integer arrays, with torch's values where an exponent is negative (NumPy refuses
    those): 1 for a base of 1, +-1 for -1 by the exponent's parity, 0 otherwise (integer division)."""
    negative = b < 0
    if not negative.any():
        return a**b
    out = a ** xp.where(negative, 0, b)
    small = xp.where(a == 1, 1, xp.where(a == -1, 1 - 2 * (b % 2 != 0), 0)).astype(out.dtype)
    return xp.where(negative, small, out)


_REAL_NUMBERS = frozenset([int, float])  # (a bool exponent takes binary()'s path)


def pow(input, exponent):  # noqa: A001 - torch's name
    """``input ** exponent``.

    >>> import kittygrad as kitty
    >>> kitty.pow(kitty.tensor([2., 3.]), 2)
    tensor([4., 9.])
    """
    if type(exponent) in _REAL_NUMBERS and isinstance(input, F.Tensor) and input._data.dtype.kind == "f":
        # a float tensor to a number's power, the common call: the exponent as binary() gives
        # it (a number of the tensor's dtype), without its checks (4.8 -> 4.0 us for x.pow(2))
        a, b = input, checked_scalar(exponent, input._data.dtype)
    else:
        a, b = binary(input, exponent, "pow")
    if isinstance(b, F.Tensor):
        return PowOfTensor.apply(a, b)
    out = Pow.apply(a, b)
    return _keep_result(out) if b == 0.5 and type(out._grad_fn) is Pow else out


def neg(input):
    """``-input`` elementwise (``negative`` is the same function).

    >>> import kittygrad as kitty
    >>> kitty.neg(kitty.tensor([1.0, -2.0]))
    tensor([-1.,  2.])
    """
    return Neg.apply(input)


negative = neg


def _int_zero_division(b):
    if B.xp.any(b == 0):
        raise KittyRuntimeError("ZeroDivisionError")


def _refuse_bool(a, kernel: str):
    """torch has no bool kernel for the rounded divisions and remainders (NumPy would answer in
    int8, or divide True by False): its error, before any zero-division check."""
    if a.dtype == bool:
        raise KittyNotImplementedError(f"\"{kernel}_cpu\" not implemented for 'Bool'")


class DivRounding(Op):
    """``div(a, b, rounding_mode='trunc'|'floor')``; the gradient is zero for both operands."""

    _name = "DivBackward2"

    def forward(self, a, b, mode):
        xp = self.xp
        if a.dtype.kind in "iub":
            _refuse_bool(a, f"div_{mode}")
            _int_zero_division(b)
            q = xp.floor_divide(a, b)
            if mode == "trunc":  # floor rounds towards -inf; trunc wants towards 0 for mixed signs
                q = q + ((xp.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
            return xp.asarray(q, dtype=a.dtype)
        with B.errstate(divide="ignore", invalid="ignore"):
            if mode == "floor":
                return xp.asarray(_k.floor_quotient(a, b), dtype=a.dtype)
            return xp.asarray(xp.trunc(a / b), dtype=a.dtype)

    def backward(self, g):
        zeros = self.xp.zeros_like(g)
        need = self.needs_input_grad
        return (zeros if need[0] else None), (zeros if need[1] else None), None


class FloorDivide(Op):
    """``floor_divide``: torch defines no derivative for it, so backward raises."""

    def forward(self, a, b):
        return DivRounding.forward(self, a, b, "floor")

    def backward(self, g):
        raise KittyRuntimeError("derivative for aten::floor_divide is not implemented")


# ---------------------------------------------------------------------------------------------
# binary ops


class Atan2(Op):
    saved_fields = ("a", "b")
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.arctan2(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        denom = a * a + b * b
        with B.errstate(divide="ignore", invalid="ignore"):
            # 0 at the origin, as torch (also where a * a + b * b underflows: both compute it the
            # same way); the gradient multiplies after the mask, so an infinite one still gives nan
            r = self.xp.where(denom == 0, 0, 1 / self.xp.where(denom == 0, 1, denom)).astype(g.dtype, copy=False)
        need = self.needs_input_grad
        return (g * (r * b) if need[0] else None), (-g * (r * a) if need[1] else None)


class _IntegerPartRemainder(Op):
    """``a - q(a, b) * b`` for an integer quotient ``q``: the gradient is 1 for ``a`` and ``-q`` for
    ``b``. Fmod and Remainder differ only in the kernel and in how they round the quotient."""

    saved_fields = ("a", "b")
    saved_inputs = (0, 1)
    kernel = None  # the function computing the result (a staticmethod)

    def quotient(self, xp, a, b):
        raise NotImplementedError

    def forward(self, a, b):
        self.a, self.b = a, b
        _refuse_bool(a, self.kernel.__name__)
        if a.dtype.kind in "iu":
            _int_zero_division(b)
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.kernel(a, b)

    def backward(self, g):
        gb = None
        if self.needs_input_grad[1]:
            with B.errstate(divide="ignore", invalid="ignore"):
                gb = -g * self.quotient(self.xp, self.a, self.b)
        return g, gb


class Fmod(_IntegerPartRemainder):
    kernel = staticmethod(_k.fmod)  # the quotient rounds toward zero (C's fmod)

    def quotient(self, xp, a, b):
        return xp.trunc(a / b)


class Remainder(_IntegerPartRemainder):
    kernel = staticmethod(_k.remainder)  # the quotient rounds down (Python's %)

    def quotient(self, xp, a, b):
        return _k.floor_quotient(a, b)


class Hypot(Op):
    saved_fields = ("a", "b", "out")
    saves_output = True
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = self.xp.asarray(self.xp.hypot(a, b))
        return self.out

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            r = g / self.out
            return r * self.a, r * self.b


class Logaddexp(Op):
    saved_fields = ("a", "b", "out")
    saved_inputs = (0, 1)
    saves_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = self.xp.asarray(_k.logaddexp(a, b))
        return self.out

    def backward(self, g):
        xp = self.xp
        with B.errstate(invalid="ignore"):
            return g * xp.exp(self.a - self.out), g * xp.exp(self.b - self.out)


class Xlogy(Op):
    saved_fields = ("a", "b")
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        xp = self.xp
        with B.errstate(divide="ignore", invalid="ignore"):
            out = xp.where(a == 0, 0, a * xp.log(b))
            return xp.where(xp.isnan(b), xp.nan, out).astype(a.dtype, copy=False)

    def backward(self, g):
        xp = self.xp
        a, b = self.a, self.b
        with B.errstate(divide="ignore", invalid="ignore"):
            ga = xp.where((a == 0) & (b <= 0), 0, g * xp.log(b)).astype(g.dtype, copy=False)
            gb = g * a / b
        return ga, gb


class Lerp(Op):
    saved_fields = ("end", "start", "weight")
    saved_inputs = (0, 1, 2)

    def forward(self, start, end, weight):
        self.start, self.end, self.weight = start, end, weight
        xp = self.xp
        d = end - start
        # as torch: from the nearer end, so that weight 0 gives start and weight 1 gives end
        # exactly (start + 1 * (end - start) can round off end)
        with B.errstate(invalid="ignore"):
            near_start = xp.abs(weight) < 0.5
        if xp.ndim(near_start) == 0:  # a number: one formula, no where
            out = start + weight * d if near_start else end - d * (1 - weight)
        else:
            # (a blend of bit patterns: NumPy's where branches per element, slower on a random mask)
            out = B.select(near_start, start + weight * d, end - d * (1 - weight))
        return out.astype(start.dtype, copy=False)

    def backward(self, g):
        need = self.needs_input_grad
        w = self.weight
        gs = g * (1 - w) if need[0] else None
        ge = g * w if need[1] else None
        gw = g * (self.end - self.start) if need[2] else None
        return gs, ge, gw


class Addcmul(Op):
    saved_fields = ("t1", "t2", "value")
    saved_inputs = (1, 2)

    def forward(self, x, t1, t2, value=1):
        self.t1, self.t2, self.value = t1, t2, value
        return x + value * t1 * t2 if value != 1 else x + t1 * t2

    def backward(self, g):
        need = self.needs_input_grad
        v = self.value
        return g, (g * v * self.t2 if need[1] else None), (g * v * self.t1 if need[2] else None)


class Addcdiv(Op):
    saved_fields = ("t1", "t2", "value")
    saved_inputs = (1, 2)

    def forward(self, x, t1, t2, value=1):
        self.t1, self.t2, self.value = t1, t2, value
        with B.errstate(divide="ignore", invalid="ignore"):
            return (x + value * (t1 / t2)).astype(x.dtype, copy=False)

    def backward(self, g):
        need = self.needs_input_grad
        v, t1, t2 = self.value, self.t1, self.t2
        with B.errstate(divide="ignore", invalid="ignore"):
            g1 = g * v / t2 if need[1] else None
            g2 = -g * v * t1 / (t2 * t2) if need[2] else None
        return g, g1, g2


_ROUNDING_MODES = ("trunc", "floor")


def div_rounding(input, other, rounding_mode):
    """``div`` with ``rounding_mode='trunc'`` or ``'floor'`` (ints stay ints); gradients are 0.

    >>> import kittygrad as kitty
    >>> kitty.div(kitty.tensor([-7., 7.]), 2, rounding_mode="trunc")
    tensor([-3.,  3.])
    """
    if rounding_mode not in _ROUNDING_MODES:
        raise KittyRuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )
    a, b = binary(input, other, "div")
    return DivRounding.apply(a, b, rounding_mode)


def floor_divide(input, other):
    """Division rounded down (ints stay ints); torch defines no gradient for it.

    >>> import kittygrad as kitty
    >>> kitty.floor_divide(kitty.tensor([7, -7]), 2)
    tensor([ 3, -4])
    """
    a, b = binary(input, other, "floor_divide")
    return FloorDivide.apply(a, b)


def atan2(input, other):
    """The angle of the point (other, input), in (-pi, pi].

    >>> import kittygrad as kitty
    >>> kitty.atan2(kitty.tensor([1.]), kitty.tensor([1.]))
    tensor([0.7854])
    """
    a, b = binary(input, other, "atan2", float_result=True)
    return Atan2.apply(a, b)


arctan2 = atan2


def _binary_tensors(input, other, name, float_result=False):
    if not isinstance(input, F.Tensor) or not isinstance(other, F.Tensor):
        raise KittyTypeError(f"{name}(): argument 'other' must be Tensor, not {type(other).__name__}")
    return binary(input, other, name, float_result)


def fmod(input, other):
    """C-style remainder: the result has the sign of ``input``.

    >>> import kittygrad as kitty
    >>> kitty.fmod(kitty.tensor([-3., 5.]), 2)
    tensor([-1.,  1.])
    """
    a, b = binary(input, other, "fmod")
    return Fmod.apply(a, b)


def remainder(input, other):
    """Python-style remainder: the result has the sign of ``other``.

    >>> import kittygrad as kitty
    >>> kitty.remainder(kitty.tensor([-3., 5.]), 2)
    tensor([1., 1.])
    """
    a, b = binary(input, other, "remainder")
    return Remainder.apply(a, b)


def hypot(input, other):
    """sqrt(input**2 + other**2).

    >>> import kittygrad as kitty
    >>> kitty.hypot(kitty.tensor([3.]), kitty.tensor([4.]))
    tensor([5.])
    """
    a, b = _binary_tensors(input, other, "hypot")
    return Hypot.apply(a, b)


def logaddexp(input, other):
    """log(exp(input) + exp(other)), computed stably.

    >>> import kittygrad as kitty
    >>> kitty.logaddexp(kitty.tensor([0.]), kitty.tensor([0.]))
    tensor([0.6931])
    """
    a, b = _binary_tensors(input, other, "logaddexp", float_result=True)
    return Logaddexp.apply(a, b)


def xlogy(input, other):
    """input * log(other), with 0 where input is 0 (unless other is NaN).

    >>> import kittygrad as kitty
    >>> kitty.xlogy(kitty.tensor([0., 2.]), kitty.tensor([0., 1.]))
    tensor([0., 0.])
    """
    a, b = binary(input, other, "xlogy", float_result=True)
    if not isinstance(a, F.Tensor):
        a = F.Tensor._wrap(B.xp.full(b._data.shape, a, b._data.dtype))
    if not isinstance(b, F.Tensor):
        b = F.Tensor._wrap(B.xp.full(a._data.shape, b, a._data.dtype))
    return Xlogy.apply(a, b)


def _common(name, *operands):
    """Cast tensors (and numbers) to their result dtype and expand tensors to one shape."""
    T = F.Tensor
    tensors = [o for o in operands if isinstance(o, T)]
    for o in operands:
        if not isinstance(o, T) and o is not None:
            check_scalar(o, name)
    rt = D.result_type(*[o for o in operands if o is not None])
    shape = ()
    for t in tensors:
        shape = broadcast_shape_of(shape, t._data.shape)
    out = []
    for o in operands:
        if isinstance(o, T):
            out.append(expand_to(cast(o, rt), shape))
        elif o is None:
            out.append(None)
        else:
            out.append(rt.np.type(o))
    return rt, shape, out


def lerp(input, end, weight):
    """input + weight * (end - input); ``weight`` is a number or a tensor.

    >>> import kittygrad as kitty
    >>> kitty.lerp(kitty.tensor([0.]), kitty.tensor([10.]), 0.25)
    tensor([2.5000])
    """
    x, e = _tensor(input), _tensor(end, "end")
    if not B.is_float(x._data.dtype):
        raise KittyNotImplementedError(f"\"lerp_kernel_scalar\" not implemented for '{_tname(x)}'")
    if e._data.dtype != x._data.dtype:
        raise KittyRuntimeError(f"expected dtype {_tdesc(x)} for `end` but got dtype {_tdesc(e)}")
    T = F.Tensor
    if isinstance(weight, T) and weight._data.dtype != x._data.dtype:
        if weight._data.ndim:
            raise KittyRuntimeError(f"expected dtype {_tdesc(x)} for `weight` but got dtype {_tdesc(weight)}")
        # a 0-dim weight takes part in type promotion, as in torch (it wins only over 0-dim inputs)
        rt = D.result_type(x, weight)
        x, e, weight = cast(x, rt), cast(e, rt), cast(weight, rt)
    if not isinstance(weight, T):
        weight = x._data.dtype.type(check_scalar(weight, "lerp"))
    shape = broadcast_shape_of(x._data.shape, e._data.shape)
    if isinstance(weight, T):
        shape = broadcast_shape_of(shape, weight._data.shape)
        weight = expand_to(weight, shape)
    out = Lerp.apply(expand_to(x, shape), expand_to(e, shape), weight)
    return torch_named(out, "LerpBackward1") if isinstance(weight, T) else out  # (a tensor weight: torch's 2nd overload)


# torch's C++ names of the scalar types, as its dtype-mismatch messages print them
_CPP_TYPE_NAMES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16", "int64": "long int",
    "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
}


def _tdesc(t) -> str:
    return _CPP_TYPE_NAMES.get(t._data.dtype.name, t._data.dtype.name)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2.

    >>> import kittygrad as kitty
    >>> kitty.addcmul(kitty.tensor([1.]), kitty.tensor([2.]), kitty.tensor([3.]), value=0.5)
    tensor([4.])
    """
    rt, _, (x, a, b) = _common("addcmul", _tensor(input), _tensor(tensor1, "tensor1"), _tensor(tensor2, "tensor2"))
    return Addcmul.apply(x, a, b, value=_addc_value(value, rt.np, "addcmul", "addcmul"))


# torch's words (its ScalarType names, a double space included) for integer tensor1 and tensor2
_ADDCDIV_INTEGERS = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true "
    "division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * "
    "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
    "for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
    "tensor2), for all dtypes."
)


def _addc_value(value, np_dtype, kernel: str, name: str):
    """addcmul/addcdiv's ``value`` for a result of ``np_dtype``. torch converts it to the result's
    dtype instead of promoting by it: an integer result truncates a float value (``value=0.5`` adds
    nothing) and refuses one out of its range; a bool result has no kernel."""
    v = scalar_argument(value, name, "value")
    kind = np_dtype.kind
    if kind not in "iub":  # (the float path: the number as it is)
        return v
    if kind == "b":
        raise KittyNotImplementedError(f"\"{kernel}_cpu_out\" not implemented for 'Bool'")
    if not isinstance(v, int):
        info = B.xp.iinfo(np_dtype)
        if not info.min <= v <= info.max:  # (nan and the infinities too)
            raise KittyRuntimeError(f"value cannot be converted to type {np_dtype.name}_t without overflow")
        v = int(v)
    return D.fill_scalar(v, np_dtype)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (floating point only, as torch).

    >>> import kittygrad as kitty
    >>> kitty.addcdiv(kitty.tensor([1.]), kitty.tensor([2.]), kitty.tensor([4.]), value=2)
    tensor([2.])
    """
    t1, t2 = _tensor(tensor1, "tensor1"), _tensor(tensor2, "tensor2")
    if not B.is_float(t1._data.dtype) and not B.is_float(t2._data.dtype):
        raise KittyRuntimeError(_ADDCDIV_INTEGERS)
    rt, _, (x, a, b) = _common("addcdiv", _tensor(input), t1, t2)
    return Addcdiv.apply(x, a, b, value=_addc_value(value, rt.np, "addcdiv", "addcdiv"))


def _inplace_operand(self, other, name, float_result=False):
    return inplace_operand(self, other, name, float_result)


def _inplace_binary(self, cls, other, name, float_result=False, **params):
    return apply_inplace(cls, self, _inplace_operand(self, other, name, float_result), **params)


def _inplace_div_rounding(self, other, rounding_mode):
    if rounding_mode not in _ROUNDING_MODES:
        raise KittyRuntimeError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )
    return apply_inplace(DivRounding, self, _inplace_operand(self, other, "div_"), rounding_mode)


def _inplace_lerp(self, end, weight):
    e = _tensor(end, "end")
    shape = self._data.shape
    if broadcast_shape_of(e._data.shape, shape) != shape:
        raise KittyRuntimeError(
            f"output with shape {list(shape)} doesn't match the broadcast shape {list(broadcast_shape_of(e._data.shape, shape))}"
        )
    if e._data.dtype != self._data.dtype:
        raise KittyRuntimeError(f"expected dtype {_tdesc(self)} for `end` but got dtype {_tdesc(e)}")
    if isinstance(weight, F.Tensor) and weight._data.dtype != self._data.dtype:
        if weight._data.ndim:
            raise KittyRuntimeError(f"expected dtype {_tdesc(self)} for `weight` but got dtype {_tdesc(weight)}")
        weight = cast(weight, self.dtype)  # a 0-dim weight of another dtype is cast, as in torch
    w = expand_to(weight, shape) if isinstance(weight, F.Tensor) else self._data.dtype.type(weight)
    return apply_inplace(Lerp, self, expand_to(e, shape), w)


def _inplace_addc(self, cls, tensor1, tensor2, value):
    kernel = "addcmul" if cls is Addcmul else "addcdiv"
    if cls is Addcdiv:
        t1, t2 = _tensor(tensor1, "tensor1"), _tensor(tensor2, "tensor2")
        if not B.is_float(t1._data.dtype) and not B.is_float(t2._data.dtype):
            raise KittyRuntimeError(_ADDCDIV_INTEGERS)
    t1 = _inplace_operand(self, tensor1, cls._name)
    t2 = _inplace_operand(self, tensor2, cls._name)
    return apply_inplace(cls, self, t1, t2, value=_addc_value(value, self._data.dtype, kernel, kernel + "_"))
