"""More elementwise primitives: unary math, rounding, binary math, ternary ops, in-place helpers.

Piecewise-constant ops (floor, sign, rounding divisions, ...) are differentiable with a zero
gradient, as in torch; the ``erf`` family reaches the backend's float64-accurate kernels.
"""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.function import Op, apply_inplace
from ..errors import KittyRuntimeError, KittyTypeError
from ._prep import (
    KittyNotImplementedError,
    as_tensor_arg,
    binary,
    broadcast_shape_of,
    cast,
    check_scalar,
    dtype_name,
    expand_to,
    masked_grad,
)

_LN2 = 0.6931471805599453
_LN10 = 2.302585092994046
_TWO_OVER_SQRT_PI = 1.1283791670955126
_SQRT_PI_OVER_TWO = 0.886226925452758


def _tensor(x, name="input"):
    return x if isinstance(x, F.Tensor) else as_tensor_arg(x, name)


def _fin(x):
    """The input as a floating tensor (ints and bools become the default float), as torch's math."""
    if not isinstance(x, F.Tensor):
        x = as_tensor_arg(x)
    return x if x._data.dtype.kind == "f" else cast(x, D.get_default_dtype())


def _not_for(x, name, kinds="b"):
    if x._data.dtype.kind in kinds:
        raise KittyNotImplementedError(f'"{name}_cpu" not implemented for \'{_tname(x)}\'')


_tname = dtype_name


# ---------------------------------------------------------------------------------------------
# unary ops with a smooth derivative


class Sin(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.sin(x)

    def backward(self, g):
        return (g * self.xp.cos(self.x),)


class Cos(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.cos(x)

    def backward(self, g):
        return (-g * self.xp.sin(self.x),)


class Tan(Op):
    saves_output = True

    def forward(self, x):
        self.out = self.xp.asarray(self.xp.tan(x))  # 0-d: an array, not a NumPy scalar
        return self.out

    def backward(self, g):
        return (g * (1 + self.out * self.out),)


class Asin(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(invalid="ignore"):
            return self.xp.arcsin(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / self.xp.sqrt(1 - self.x * self.x),)


class Acos(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(invalid="ignore"):
            return self.xp.arccos(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (-g / self.xp.sqrt(1 - self.x * self.x),)


class Atan(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.arctan(x)

    def backward(self, g):
        return (g / (1 + self.x * self.x),)


class Sinh(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.sinh(x)

    def backward(self, g):
        return (g * self.xp.cosh(self.x),)


class Cosh(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.cosh(x)

    def backward(self, g):
        return (g * self.xp.sinh(self.x),)


class Asinh(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.arcsinh(x)

    def backward(self, g):
        return (g / self.xp.sqrt(self.x * self.x + 1),)


class Acosh(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(invalid="ignore"):
            return self.xp.arccosh(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / self.xp.sqrt(self.x * self.x - 1),)


class Atanh(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.arctanh(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / (1 - self.x * self.x),)


class Exp2(Op):
    saves_output = True

    def forward(self, x):
        self.out = self.xp.asarray(self.xp.exp2(x))
        return self.out

    def backward(self, g):
        return (g * self.out * _LN2,)


class Expm1(Op):
    saves_output = True

    def forward(self, x):
        self.out = self.xp.asarray(self.xp.expm1(x))
        return self.out

    def backward(self, g):
        return (g * (self.out + 1),)


class Log2(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log2(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / (self.x * _LN2),)


class Log10(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log10(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / (self.x * _LN10),)


class Log1p(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log1p(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / (1 + self.x),)


class Rsqrt(Op):
    saves_output = True

    def forward(self, x):
        with B.errstate(divide="ignore", invalid="ignore"):
            self.out = self.xp.asarray((1 / self.xp.sqrt(x)).astype(x.dtype, copy=False))
        return self.out

    def backward(self, g):
        o = self.out
        with B.errstate(invalid="ignore"):
            return (-0.5 * g * o * o * o,)


class Square(Op):
    saved_inputs = (0,)
    _name = "PowBackward0"

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return (2 * g * self.x,)


class Reciprocal(Op):
    saves_output = True

    def forward(self, x):
        with B.errstate(divide="ignore"):
            self.out = self.xp.asarray((1 / x).astype(x.dtype, copy=False))
        return self.out

    def backward(self, g):
        o = self.out
        return (-g * o * o,)


class Logit(Op):
    saved_inputs = (0,)

    def forward(self, x, eps=None):
        self.x, self.eps = x, eps
        z = x if eps is None else self.xp.clip(x, eps, 1 - eps)
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log(z / (1 - z)).astype(x.dtype, copy=False)

    def backward(self, g):
        x, eps = self.x, self.eps
        with B.errstate(divide="ignore", invalid="ignore"):
            gx = g / (x * (1 - x))
        if eps is not None:
            gx = self.xp.where((x < eps) | (x > 1 - eps), 0, gx).astype(g.dtype, copy=False)
        return (gx,)


class Erf(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return B.erf(x)

    def backward(self, g):
        x = self.x
        return (g * _TWO_OVER_SQRT_PI * self.xp.exp(-x * x),)


class Erfc(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return B.erfc(x)

    def backward(self, g):
        x = self.x
        return (-g * _TWO_OVER_SQRT_PI * self.xp.exp(-x * x),)


class Erfinv(Op):
    saves_output = True

    def forward(self, x):
        self.out = self.xp.asarray(B.erfinv(x))
        return self.out

    def backward(self, g):
        o = self.out
        with B.errstate(over="ignore", invalid="ignore"):
            return (g * _SQRT_PI_OVER_TWO * self.xp.exp(o * o),)


class Frac(Op):
    def forward(self, x):
        return x - self.xp.trunc(x)

    def backward(self, g):
        return (g,)


# ---------------------------------------------------------------------------------------------
# piecewise-constant ops: the gradient is zero (and the output still requires grad, as torch)


class _ZeroGrad(Op):
    def backward(self, g):
        return (self.xp.zeros_like(g),)


class Sign(_ZeroGrad):
    def forward(self, x):
        out = self.xp.sign(x)
        if out.dtype.kind == "f":  # torch: sign(nan) is 0
            out = self.xp.where(out != out, out.dtype.type(0), out)
        return out


class Floor(_ZeroGrad):
    def forward(self, x):
        return self.xp.floor(x)


class Ceil(_ZeroGrad):
    def forward(self, x):
        return self.xp.ceil(x)


class Trunc(_ZeroGrad):
    def forward(self, x):
        return self.xp.trunc(x)


class Round(_ZeroGrad):
    def forward(self, x, decimals=0):
        return self.xp.round(x, decimals)


def _int_zero_division(b):
    if B.xp.any(b == 0):
        raise KittyRuntimeError("ZeroDivisionError")


class DivRounding(Op):
    """``div(a, b, rounding_mode='trunc'|'floor')``; the gradient is zero for both operands."""

    _name = "DivBackward2"

    def forward(self, a, b, mode):
        xp = self.xp
        if a.dtype.kind in "iub":
            _int_zero_division(b)
            q = xp.floor_divide(a, b)
            if mode == "trunc":  # floor rounds towards -inf; trunc wants towards 0 for mixed signs
                q = q + ((xp.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
            return xp.asarray(q, dtype=a.dtype)
        with B.errstate(divide="ignore", invalid="ignore"):
            if mode == "floor":
                return xp.asarray(xp.floor_divide(a, b), dtype=a.dtype)
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


class Maximum(Op):
    """Elementwise max. As torch: at ties each operand gets half of the gradient; an operand
    gets none only where it compares below the other, so a NaN passes the gradient to both; and
    the masks select (a non-finite gradient is not spread as 0 * inf)."""

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
        tie = a == b
        need = self.needs_input_grad
        ga = masked_grad(~self._loses(a, b), g) if need[0] else None
        gb = masked_grad(~self._loses(b, a), g) if need[1] else None
        if tie.any():
            ga = xp.where(tie, 0.5 * ga, ga) if ga is not None else None
            gb = xp.where(tie, 0.5 * gb, gb) if gb is not None else None
        return ga, gb


class Minimum(Maximum):
    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.minimum(a, b)

    @staticmethod
    def _loses(a, b):
        return a > b


class Fmax(Op):
    """max that ignores NaN; ties send the whole gradient to ``input``, as torch."""

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


class Fmod(Op):
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        if a.dtype.kind in "iu":
            _int_zero_division(b)
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.fmod(a, b)

    def backward(self, g):
        need = self.needs_input_grad
        gb = None
        if need[1]:
            with B.errstate(divide="ignore", invalid="ignore"):
                gb = -g * self.xp.trunc(self.a / self.b)
        return g, gb


class Remainder(Op):
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        if a.dtype.kind in "iu":
            _int_zero_division(b)
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.remainder(a, b)

    def backward(self, g):
        need = self.needs_input_grad
        gb = None
        if need[1]:
            with B.errstate(divide="ignore", invalid="ignore"):
                gb = -g * self.xp.floor_divide(self.a, self.b)
        return g, gb


class Hypot(Op):
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
    saved_inputs = (0, 1)
    saves_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = self.xp.asarray(self.xp.logaddexp(a, b))
        return self.out

    def backward(self, g):
        xp = self.xp
        with B.errstate(invalid="ignore"):
            return g * xp.exp(self.a - self.out), g * xp.exp(self.b - self.out)


class Xlogy(Op):
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


# ---------------------------------------------------------------------------------------------
# ternary ops


class Where(Op):
    """``where(cond, a, b)``; operands arrive expanded to one shape."""

    def forward(self, cond, a, b):
        self.cond = cond
        return self.xp.where(cond, a, b)

    def backward(self, g):
        xp = self.xp
        need = self.needs_input_grad
        zero = g.dtype.type(0)
        ga = xp.where(self.cond, g, zero) if need[1] else None
        gb = xp.where(self.cond, zero, g) if need[2] else None
        return None, ga, gb


class Lerp(Op):
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
            out = xp.where(near_start, start + weight * d, end - d * (1 - weight))
        return out.astype(start.dtype, copy=False)

    def backward(self, g):
        need = self.needs_input_grad
        w = self.weight
        gs = g * (1 - w) if need[0] else None
        ge = g * w if need[1] else None
        gw = g * (self.end - self.start) if need[2] else None
        return gs, ge, gw


class Addcmul(Op):
    saved_inputs = (1, 2)

    def forward(self, x, t1, t2, value=1):
        self.t1, self.t2, self.value = t1, t2, value
        return x + value * t1 * t2 if value != 1 else x + t1 * t2

    def backward(self, g):
        need = self.needs_input_grad
        v = self.value
        return g, (g * v * self.t2 if need[1] else None), (g * v * self.t1 if need[2] else None)


class Addcdiv(Op):
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


class NanToNum(Op):
    saved_inputs = (0,)

    def forward(self, x, nan=0.0, posinf=None, neginf=None):
        self.x = x
        if x.dtype.kind != "f":
            return x.copy()
        return self.xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, g):
        return (g * self.xp.isfinite(self.x),)


# ---------------------------------------------------------------------------------------------
# public functions


def sin(input):
    """Elementwise sine.

    >>> import kittygrad as kitty
    >>> kitty.sin(kitty.tensor([0.]))
    tensor([0.])
    """
    return Sin.apply(_fin(input))


def cos(input):
    """Elementwise cosine.

    >>> import kittygrad as kitty
    >>> kitty.cos(kitty.tensor([0.]))
    tensor([1.])
    """
    return Cos.apply(_fin(input))


def tan(input):
    """Elementwise tangent.

    >>> import kittygrad as kitty
    >>> kitty.tan(kitty.tensor([0.]))
    tensor([0.])
    """
    return Tan.apply(_fin(input))


def asin(input):
    """Elementwise arcsine (nan outside [-1, 1]).

    >>> import kittygrad as kitty
    >>> kitty.asin(kitty.tensor([0.]))
    tensor([0.])
    """
    return Asin.apply(_fin(input))


def acos(input):
    """Elementwise arccosine.

    >>> import kittygrad as kitty
    >>> kitty.acos(kitty.tensor([1.]))
    tensor([0.])
    """
    return Acos.apply(_fin(input))


def atan(input):
    """Elementwise arctangent.

    >>> import kittygrad as kitty
    >>> kitty.atan(kitty.tensor([0.]))
    tensor([0.])
    """
    return Atan.apply(_fin(input))


def sinh(input):
    """Hyperbolic sine.

    >>> import kittygrad as kitty
    >>> kitty.sinh(kitty.tensor([0.]))
    tensor([0.])
    """
    return Sinh.apply(_fin(input))


def cosh(input):
    """Hyperbolic cosine.

    >>> import kittygrad as kitty
    >>> kitty.cosh(kitty.tensor([0.]))
    tensor([1.])
    """
    return Cosh.apply(_fin(input))


def asinh(input):
    """Inverse hyperbolic sine.

    >>> import kittygrad as kitty
    >>> kitty.asinh(kitty.tensor([0.]))
    tensor([0.])
    """
    return Asinh.apply(_fin(input))


def acosh(input):
    """Inverse hyperbolic cosine (nan below 1).

    >>> import kittygrad as kitty
    >>> kitty.acosh(kitty.tensor([1.]))
    tensor([0.])
    """
    return Acosh.apply(_fin(input))


def atanh(input):
    """Inverse hyperbolic tangent.

    >>> import kittygrad as kitty
    >>> kitty.atanh(kitty.tensor([0.]))
    tensor([0.])
    """
    return Atanh.apply(_fin(input))


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def exp2(input):
    """2 ** x.

    >>> import kittygrad as kitty
    >>> kitty.exp2(kitty.tensor([3.]))
    tensor([8.])
    """
    return Exp2.apply(_fin(input))


def expm1(input):
    """exp(x) - 1, accurate for small x.

    >>> import kittygrad as kitty
    >>> kitty.expm1(kitty.tensor([0.]))
    tensor([0.])
    """
    return Expm1.apply(_fin(input))


def log2(input):
    """Base-2 logarithm.

    >>> import kittygrad as kitty
    >>> kitty.log2(kitty.tensor([8.]))
    tensor([3.])
    """
    return Log2.apply(_fin(input))


def log10(input):
    """Base-10 logarithm.

    >>> import kittygrad as kitty
    >>> kitty.log10(kitty.tensor([100.]))
    tensor([2.])
    """
    return Log10.apply(_fin(input))


def log1p(input):
    """log(1 + x), accurate for small x.

    >>> import kittygrad as kitty
    >>> kitty.log1p(kitty.tensor([0.]))
    tensor([0.])
    """
    return Log1p.apply(_fin(input))


def rsqrt(input):
    """1 / sqrt(x).

    >>> import kittygrad as kitty
    >>> kitty.rsqrt(kitty.tensor([4.]))
    tensor([0.5000])
    """
    return Rsqrt.apply(_fin(input))


def square(input):
    """x * x (ints stay ints; bools become int64, as torch).

    >>> import kittygrad as kitty
    >>> kitty.square(kitty.tensor([-2, 3]))
    tensor([4, 9])
    """
    x = _tensor(input)
    if x._data.dtype.kind == "b":
        x = cast(x, D.int64)
    return Square.apply(x)


def reciprocal(input):
    """1 / x (ints give floats).

    >>> import kittygrad as kitty
    >>> kitty.reciprocal(kitty.tensor([2.]))
    tensor([0.5000])
    """
    return Reciprocal.apply(_fin(input))


def logit(input, eps=None):
    """log(p / (1 - p)); with ``eps`` the input is clamped to [eps, 1 - eps] first.

    >>> import kittygrad as kitty
    >>> kitty.logit(kitty.tensor([0.5]))
    tensor([0.])
    """
    return Logit.apply(_fin(input), eps=eps)


def erf(input):
    """The error function (float64-accurate).

    >>> import kittygrad as kitty
    >>> kitty.erf(kitty.tensor([0.]))
    tensor([0.])
    """
    return Erf.apply(_fin(input))


def erfc(input):
    """1 - erf(x), accurate in the tails.

    >>> import kittygrad as kitty
    >>> kitty.erfc(kitty.tensor([0.]))
    tensor([1.])
    """
    return Erfc.apply(_fin(input))


def erfinv(input):
    """The inverse of erf on (-1, 1).

    >>> import kittygrad as kitty
    >>> kitty.erfinv(kitty.tensor([0.]))
    tensor([0.])
    """
    return Erfinv.apply(_fin(input))


def frac(input):
    """The fractional part x - trunc(x) (floating inputs only).

    >>> import kittygrad as kitty
    >>> kitty.frac(kitty.tensor([1.5, -1.25]))
    tensor([ 0.5000, -0.2500])
    """
    x = _tensor(input)
    _not_for(x, "frac", "biu")
    return Frac.apply(x)


def sign(input):
    """-1, 0 or 1 by the sign (ints and bools keep their dtype); the gradient is 0.

    >>> import kittygrad as kitty
    >>> kitty.sign(kitty.tensor([-2., 0., 3.]))
    tensor([-1.,  0.,  1.])
    """
    x = _tensor(input)
    if x._data.dtype.kind == "b":
        return F.Tensor._wrap(x._data.copy())
    return Sign.apply(x)


def sgn(input):
    """``sign`` (the complex-aware name; kittygrad has real tensors only).

    >>> import kittygrad as kitty
    >>> kitty.sgn(kitty.tensor([-2.]))
    tensor([-1.])
    """
    return sign(input)


def _rounding(cls, input):
    x = _tensor(input)
    if x._data.dtype.kind != "f":
        return F.Tensor._wrap(x._data.copy())
    return cls.apply(x)


def floor(input):
    """Round down (ints are returned unchanged); the gradient is 0.

    >>> import kittygrad as kitty
    >>> kitty.floor(kitty.tensor([1.5, -1.5]))
    tensor([ 1., -2.])
    """
    return _rounding(Floor, input)


def ceil(input):
    """Round up.

    >>> import kittygrad as kitty
    >>> kitty.ceil(kitty.tensor([1.5, -1.5]))
    tensor([ 2., -1.])
    """
    return _rounding(Ceil, input)


def trunc(input):
    """Round towards zero.

    >>> import kittygrad as kitty
    >>> kitty.trunc(kitty.tensor([1.5, -1.5]))
    tensor([ 1., -1.])
    """
    return _rounding(Trunc, input)


fix = trunc


def round(input, *, decimals: int = 0):  # noqa: A001 - torch's name
    """Round half to even, optionally to ``decimals`` places.

    >>> import kittygrad as kitty
    >>> kitty.round(kitty.tensor([0.5, 1.5, 1.2345]), decimals=0)
    tensor([0., 2., 1.])
    """
    x = _tensor(input)
    if x._data.dtype.kind != "f":
        return F.Tensor._wrap(x._data.copy())
    return Round.apply(x, decimals=decimals)


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


def where(condition, input=None, other=None):
    """Pick ``input`` where ``condition`` holds, else ``other`` (numbers allowed); with only a
    condition, the indices of its nonzero elements as a tuple.

    >>> import kittygrad as kitty
    >>> kitty.where(kitty.tensor([True, False]), kitty.tensor([1., 2.]), 0.)
    tensor([1., 0.])
    """
    cond = _tensor(condition, "condition")
    if input is None and other is None:
        from .gather_scatter import nonzero

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
    c = cond._data if cond._data.shape == shape else B.xp.broadcast_to(cond._data, shape)
    return Where.apply(c, ops[0], ops[1])


def lerp(input, end, weight):
    """input + weight * (end - input); ``weight`` is a number or a tensor.

    >>> import kittygrad as kitty
    >>> kitty.lerp(kitty.tensor([0.]), kitty.tensor([10.]), 0.25)
    tensor([2.5000])
    """
    x, e = _tensor(input), _tensor(end, "end")
    if x._data.dtype.kind != "f":
        raise KittyNotImplementedError(f"\"lerp_kernel_scalar\" not implemented for '{_tname(x)}'")
    if e._data.dtype != x._data.dtype:
        raise KittyRuntimeError(f"expected dtype {x.dtype.name.replace('32', '')} for `end` but got dtype {_tdesc(e)}")
    T = F.Tensor
    if isinstance(weight, T) and weight._data.dtype != x._data.dtype:
        raise KittyRuntimeError(f"expected dtype {_tdesc(x)} for `weight` but got dtype {_tdesc(weight)}")
    if not isinstance(weight, T):
        weight = x._data.dtype.type(check_scalar(weight, "lerp"))
    shape = broadcast_shape_of(x._data.shape, e._data.shape)
    if isinstance(weight, T):
        shape = broadcast_shape_of(shape, weight._data.shape)
        weight = expand_to(weight, shape)
    return Lerp.apply(expand_to(x, shape), expand_to(e, shape), weight)


def _tdesc(t) -> str:
    return {"float32": "float", "float64": "double", "float16": "half"}.get(t._data.dtype.name, t._data.dtype.name)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2.

    >>> import kittygrad as kitty
    >>> kitty.addcmul(kitty.tensor([1.]), kitty.tensor([2.]), kitty.tensor([3.]), value=0.5)
    tensor([4.])
    """
    _, _, (x, a, b) = _common("addcmul", _tensor(input), _tensor(tensor1, "tensor1"), _tensor(tensor2, "tensor2"))
    return Addcmul.apply(x, a, b, value=value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (floating point only, as torch).

    >>> import kittygrad as kitty
    >>> kitty.addcdiv(kitty.tensor([1.]), kitty.tensor([2.]), kitty.tensor([4.]), value=2)
    tensor([2.])
    """
    t1, t2 = _tensor(tensor1, "tensor1"), _tensor(tensor2, "tensor2")
    if t1._data.dtype.kind != "f" and t2._data.dtype.kind != "f":
        raise KittyRuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release addcdiv will "
            "perform a true division of tensor1 and tensor2. Use (input + value * tensor1 / tensor2)."
        )
    _, _, (x, a, b) = _common("addcdiv", _tensor(input), t1, t2)
    return Addcdiv.apply(x, a, b, value=value)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace NaN with ``nan`` and ±inf with ``posinf``/``neginf`` (default: the dtype's extremes).

    >>> import kittygrad as kitty
    >>> kitty.nan_to_num(kitty.tensor([float('nan'), 1.]))
    tensor([0., 1.])
    """
    x = _tensor(input)
    return NanToNum.apply(x, nan=nan, posinf=posinf, neginf=neginf)


def clamp_min(input, min):  # noqa: A002
    """clamp(input, min=min).

    >>> import kittygrad as kitty
    >>> kitty.clamp_min(kitty.tensor([-1., 2.]), 0)
    tensor([0., 2.])
    """
    from .elementwise import clamp

    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    """clamp(input, max=max).

    >>> import kittygrad as kitty
    >>> kitty.clamp_max(kitty.tensor([-1., 2.]), 0)
    tensor([-1.,  0.])
    """
    from .elementwise import clamp

    return clamp(input, max=max)


# ---------------------------------------------------------------------------------------------
# in-place twins (used by the Tensor methods); each writes the out-of-place result into self


def _inplace_unary(self, cls, **params):
    return apply_inplace(cls, self, **params)


def _inplace_operand(self, other, name, float_result=False):
    from ..tensor import _prepare_inplace_operand

    return _prepare_inplace_operand(self, other, name, float_result)


def _inplace_binary(self, cls, other, name, float_result=False, **params):
    return apply_inplace(cls, self, _inplace_operand(self, other, name, float_result), **params)


def _inplace_rounding(self, cls, **params):
    if self._data.dtype.kind != "f":
        return self
    return apply_inplace(cls, self, **params)


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
    w = expand_to(weight, shape) if isinstance(weight, F.Tensor) else self._data.dtype.type(weight)
    return apply_inplace(Lerp, self, expand_to(e, shape), w)


def _inplace_addc(self, cls, tensor1, tensor2, value):
    t1 = _inplace_operand(self, tensor1, cls._name)
    t2 = _inplace_operand(self, tensor2, cls._name)
    return apply_inplace(cls, self, t1, t2, value=value)
