"""Elementwise math of one tensor: ``abs``, ``exp``/``log`` families, trigonometry, rounding, special
functions."""
from __future__ import annotations

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.function import Op, apply_inplace
from . import _erf32
from . import _kernels as _k
from ._prep import KittyNotImplementedError, as_tensor_arg, cast, dtype_name, grad_over, times_grad


def _negated(fresh):
    """``-fresh``, in place when ``fresh`` is an array the caller has just made."""
    return B.xp.negative(fresh, out=fresh) if type(fresh) is B.ndarray and fresh.ndim else -fresh


class Abs(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        if x.dtype == bool:  # (NumPy's abs of bools is the identity; torch has no bool kernel)
            raise KittyNotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
        self.x = x
        return self.xp.abs(x)

    def backward(self, g):
        return (times_grad(_k.signs(self.x), g),)  # (torch's sign: 0 at NaN, so a NaN input gets 0)


class Exp(Op):
    saved_fields = ("out",)
    torch_saved = {"result": "out"}
    saves_output = True

    def forward(self, x):
        self.out = self.xp.asarray(self.xp.exp(x))  # 0-d: an array, not a NumPy scalar
        return self.out

    def backward(self, g):
        return (g * self.out,)


class Log(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / self.x,)


class Sqrt(Op):
    saved_fields = ("out",)
    saves_output = True

    def forward(self, x):
        with B.errstate(invalid="ignore"):
            self.out = self.xp.asarray(self.xp.sqrt(x))
        return self.out

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (grad_over(g, 2 * self.out),)


def abs(input):  # noqa: A001
    """Absolute value; its gradient at 0 is 0, as torch.

    >>> import kittygrad as kitty
    >>> kitty.abs(kitty.tensor([-1., 2.]))
    tensor([1., 2.])
    """
    return Abs.apply(input)


absolute = abs


def _float_input(x):
    return x if B.is_float(x._data.dtype) else cast(x, D.get_default_dtype())


def exp(input):
    """Elementwise e**x.

    >>> import kittygrad as kitty
    >>> kitty.exp(kitty.tensor([0.]))
    tensor([1.])
    """
    return Exp.apply(_float_input(input))


def log(input):
    """Natural logarithm (``-inf`` at 0, ``nan`` below).

    >>> import kittygrad as kitty
    >>> kitty.log(kitty.tensor([1.]))
    tensor([0.])
    """
    return Log.apply(_float_input(input))


def sqrt(input):
    """Square root.

    >>> import kittygrad as kitty
    >>> kitty.sqrt(kitty.tensor([4.]))
    tensor([2.])
    """
    return Sqrt.apply(_float_input(input))

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
    return x if B.is_float(x._data.dtype) else cast(x, D.get_default_dtype())


def _not_for(x, name, kinds="b"):
    if x._data.dtype.kind in kinds:
        raise KittyNotImplementedError(f'"{name}_cpu" not implemented for \'{_tname(x)}\'')


_tname = dtype_name


# ---------------------------------------------------------------------------------------------
# unary ops with a smooth derivative


class Sin(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.sin(x)

    def backward(self, g):
        return (times_grad(self.xp.cos(self.x), g),)


class Cos(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.cos(x)

    def backward(self, g):
        return (times_grad(_negated(self.xp.sin(self.x)), g),)


class Tan(Op):
    saved_fields = ("out",)
    saves_output = True

    def forward(self, x):
        self.out = self.xp.asarray(self.xp.tan(x))  # 0-d: an array, not a NumPy scalar
        return self.out

    def backward(self, g):
        return (g * (1 + self.out * self.out),)


class Asin(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(invalid="ignore"):
            return self.xp.arcsin(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / self.xp.sqrt(1 - self.x * self.x),)


class Acos(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(invalid="ignore"):
            return self.xp.arccos(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (-g / self.xp.sqrt(1 - self.x * self.x),)


class Atan(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.arctan(x)

    def backward(self, g):
        return (g / (1 + self.x * self.x),)


class Sinh(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.sinh(x)

    def backward(self, g):
        return (g * self.xp.cosh(self.x),)


class Cosh(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.cosh(x)

    def backward(self, g):
        return (g * self.xp.sinh(self.x),)


class Asinh(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.arcsinh(x)

    def backward(self, g):
        return (g / self.xp.sqrt(self.x * self.x + 1),)


class Acosh(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(invalid="ignore"):
            return self.xp.arccosh(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / self.xp.sqrt(self.x * self.x - 1),)


class Atanh(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.arctanh(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / (1 - self.x * self.x),)


class Exp2(Op):
    saved_fields = ("out",)
    saves_output = True

    def forward(self, x):
        self.out = self.xp.asarray(self.xp.exp2(x))
        return self.out

    def backward(self, g):
        return (g * self.out * _LN2,)


class Expm1(Op):
    saved_fields = ("out",)
    saves_output = True

    def forward(self, x):
        self.out = self.xp.asarray(self.xp.expm1(x))
        return self.out

    def backward(self, g):
        return (g * (self.out + 1),)


class Log2(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log2(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / (self.x * _LN2),)


class Log10(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log10(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / (self.x * _LN10),)


class Log1p(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log1p(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / (1 + self.x),)


class Rsqrt(Op):
    saved_fields = ("out",)
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
    saved_fields = ("x",)
    saved_inputs = (0,)
    _name = "PowBackward0"

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        # (x * 2) is exact and fresh, so g (often a broadcast view) is read once, in place
        return (times_grad(self.x * 2, g),)


class Reciprocal(Op):
    saved_fields = ("out",)
    saves_output = True

    def forward(self, x):
        with B.errstate(divide="ignore"):
            self.out = self.xp.asarray((1 / x).astype(x.dtype, copy=False))
        return self.out

    def backward(self, g):
        o = self.out
        return (times_grad(_negated(o * o), g),)


class Logit(Op):
    saved_fields = ("eps", "x")
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
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return _erf32.erf(x)

    def backward(self, g):
        x = self.x
        return (g * _TWO_OVER_SQRT_PI * self.xp.exp(-x * x),)


class Erfc(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return B.erfc(x)

    def backward(self, g):
        x = self.x
        return (-g * _TWO_OVER_SQRT_PI * self.xp.exp(-x * x),)


class Erfinv(Op):
    saved_fields = ("out",)
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
        return _k.signs(x) if x.dtype.kind == "f" else self.xp.sign(x)  # (torch's: 0 at NaN)


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


class NanToNum(Op):
    saved_fields = ("x",)
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
    >>> kitty.log10(kitty.tensor([100.], dtype=kitty.float64))
    tensor([2.], dtype=kittygrad.float64)
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
    if not B.is_float(x._data.dtype):
        _refuse_exact(x, cls)
        return F.Tensor._wrap(x._data.copy())
    return cls.apply(x)


def _refuse_exact(x, cls, decimals=None):
    """torch rounds integer tensors to a copy of themselves but has no bool kernel for it, and
    none for integers once ``decimals`` is given (even 0): its errors. ``decimals`` None: not given."""
    name = cls.__name__.lower()
    if decimals not in (None, 0):
        raise KittyNotImplementedError(f'"{name}_cpu" not implemented for \'{_tname(x)}\'')
    if decimals == 0 or x._data.dtype == bool:
        raise KittyNotImplementedError(f'"{name}_vml_cpu" not implemented for \'{_tname(x)}\'')


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


def round(input, *, decimals: int | None = None):  # noqa: A001 - torch's name
    """Round half to even, optionally to ``decimals`` places (None: not given, which integer
    tensors tell apart from an explicit 0).

    >>> import kittygrad as kitty
    >>> kitty.round(kitty.tensor([0.5, 1.5, 1.2345]), decimals=0)
    tensor([0., 2., 1.])
    """
    x = _tensor(input)
    if not B.is_float(x._data.dtype):
        _refuse_exact(x, Round, decimals)
        return F.Tensor._wrap(x._data.copy())
    return Round.apply(x, decimals=decimals or 0)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace NaN with ``nan`` and ±inf with ``posinf``/``neginf`` (default: the dtype's extremes).

    >>> import kittygrad as kitty
    >>> kitty.nan_to_num(kitty.tensor([float('nan'), 1.]))
    tensor([0., 1.])
    """
    x = _tensor(input)
    return NanToNum.apply(x, **nan_to_num_params(x, nan, posinf, neginf))


def nan_to_num_params(x, nan, posinf, neginf) -> dict:
    """NanToNum's parameters for ``x``: a bfloat16 tensor's infinities default to bfloat16's
    extremes (its forward sees the input widened to float32, whose extremes round to inf)."""
    if x._data.dtype is B.bfloat16:
        big = float(B.finfo(B.bfloat16).max)
        posinf = big if posinf is None else posinf
        neginf = -big if neginf is None else neginf
    return {"nan": nan, "posinf": posinf, "neginf": neginf}


# ---------------------------------------------------------------------------------------------
# in-place twins (used by the Tensor methods); each writes the out-of-place result into self


def _inplace_unary(self, cls, **params):
    return apply_inplace(cls, self, **params)


def _inplace_rounding(self, cls, **params):
    if not B.is_float(self._data.dtype):
        if cls is not Sign:  # (sign has a bool kernel)
            _refuse_exact(self, cls, params.get("decimals"))
        return self
    if cls is Round:
        params["decimals"] = params["decimals"] or 0
    return apply_inplace(cls, self, **params)
