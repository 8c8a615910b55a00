"""Special functions: the gamma family (``lgamma``, ``digamma``, ``polygamma``, ``mvlgamma``), the
modified Bessel functions ``i0``/``i0e``/``i1``/``i1e``, the normal distribution's ``ndtr``/``ndtri``/
``log_ndtr``, ``erfcx``, ``sinc``, ``entr``, ``xlog1py``, Hurwitz ``zeta``, the incomplete gamma
functions; and the functions torch gives no derivative (Bessel functions, orthogonal polynomials).

Values come from scipy.special through ``backend.special``. Backward formulas use ``self.xp`` and
:func:`_via` (another primitive's values, or that primitive itself on GraphArrays), so they also
run for double backward.
"""
from __future__ import annotations

import math

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.function import Op, apply_inplace
from ..autograd.graph_array import GraphArray
from . import _polygamma
from ._prep import (
    KittyNotImplementedError,
    KittyRuntimeError,
    KittyTypeError,
    as_tensor_arg,
    binary,
    broadcast_shape_of,
    cast,
    check_scalar,
    dtype_name,
    dtype_scalar_name,
    expand_to,
)

K = B.special
_LOG_PI = math.log(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _values(fn, *arrays, like):
    """``fn(*arrays)`` as an array of ``like``'s dtype (SciPy gives NumPy scalars for 0-d inputs and
    float32 for float16)."""
    with B.errstate(all="ignore"):
        return B.xp.asarray(fn(*arrays)).astype(like.dtype, copy=False)


def _via(cls, *args, **params):
    """``cls``'s forward values for arrays; on GraphArrays (double backward) ``cls`` applied to their
    Tensors, so a backward formula can use another primitive and still build a graph."""
    graph = [a for a in args if isinstance(a, GraphArray)]
    if graph:
        dt = graph[0].t._data.dtype
        ts = [a.t if isinstance(a, GraphArray) else F.Tensor._wrap(B.xp.asarray(a, dtype=dt)) for a in args]
        return GraphArray(cls.apply(*ts, **params))
    return object.__new__(cls).forward(*args, **params)


def _no_derivative(what: str):
    return KittyNotImplementedError(f"the derivative for '{what}' is not implemented.")


# ---------------------------------------------------------------------------------------------
# the gamma family


class Lgamma(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)
    _name = "LgammaBackward0"

    def forward(self, x):
        self.x = x
        out = _values(K.gammaln, x, like=x)
        # |Gamma| grows without bound at -inf too; a typed inf keeps the dtype on NumPy 1.x, whose
        # np.where takes a Python float as float64
        return B.xp.where(x == -B.xp.inf, out.dtype.type(B.xp.inf), out)

    def backward(self, g):
        return (g * _via(Digamma, self.x),)


class Digamma(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)
    _name = "DigammaBackward0"

    def forward(self, x):
        self.x = x
        return _polygamma.polygamma_values(0, x)

    def backward(self, g):
        return (g * _via(Polygamma, self.x, n=1),)


class Polygamma(Op):
    saved_fields = ("n", "x")
    saved_inputs = (0,)
    _name = "PolygammaBackward0"

    def forward(self, x, n=0):
        self.x, self.n = x, n
        return _polygamma.polygamma_values(n, x)

    def backward(self, g):
        return (g * _via(Polygamma, self.x, n=self.n + 1),)


class Mvlgamma(Op):
    saved_fields = ("p", "x")
    saved_inputs = (0,)
    _name = "MvlgammaBackward0"

    def forward(self, x, p=1):
        self.x, self.p = x, p
        with B.errstate(all="ignore"):
            total = sum(K.gammaln(x - 0.5 * j) for j in range(p)) + p * (p - 1) / 4 * _LOG_PI
        return B.xp.asarray(total).astype(x.dtype, copy=False)

    def backward(self, g):
        x = self.x
        total = _via(Digamma, x)
        for j in range(1, self.p):
            total = total + _via(Digamma, x - 0.5 * j)
        return (g * total,)


# ---------------------------------------------------------------------------------------------
# modified Bessel functions of the first kind


class I0(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)
    _name = "I0Backward0"

    def forward(self, x):
        self.x = x
        return _values(K.i0, x, like=x)

    def backward(self, g):
        return (g * _via(I1, self.x),)


class I0e(Op):
    saved_fields = ("out", "x")
    saved_inputs = (0,)
    saves_output = True
    _name = "SpecialI0EBackward0"

    def forward(self, x):
        self.x = x
        self.out = _values(K.i0e, x, like=x)
        return self.out

    def backward(self, g):
        x = self.x
        return (g * (_via(I1e, x) - self.xp.sign(x) * self.out),)


class I1(Op):
    saved_fields = ("out", "x")
    saved_inputs = (0,)
    saves_output = True
    _name = "SpecialI1Backward0"

    def forward(self, x):
        self.x = x
        self.out = _values(K.i1, x, like=x)
        return self.out

    def backward(self, g):
        x, xp = self.x, self.xp
        with B.errstate(divide="ignore", invalid="ignore"):
            d = _via(I0, x) - self.out / x
        return (g * xp.where(x == 0, 0.5, d),)  # I1'(0) = 1/2


class I1e(Op):
    saved_fields = ("out", "x")
    saved_inputs = (0,)
    saves_output = True
    _name = "SpecialI1EBackward0"

    def forward(self, x):
        self.x = x
        self.out = _values(K.i1e, x, like=x)
        return self.out

    def backward(self, g):
        x, xp = self.x, self.xp
        with B.errstate(divide="ignore", invalid="ignore"):
            d = _via(I0e, x) - self.out * (xp.sign(x) + 1 / x)
        return (g * xp.where(x == 0, 0.5, d),)


# ---------------------------------------------------------------------------------------------
# the error function's relatives and the normal distribution


class Erfcx(Op):
    saved_fields = ("out", "x")
    saved_inputs = (0,)
    saves_output = True
    _name = "SpecialErfcxBackward0"

    def forward(self, x):
        self.x = x
        self.out = _values(K.erfcx, x, like=x)
        return self.out

    def backward(self, g):
        return (g * (2 * self.x * self.out - _TWO_OVER_SQRT_PI),)


class Ndtr(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)
    _name = "SpecialNdtrBackward0"

    def forward(self, x):
        self.x = x
        return _values(K.ndtr, x, like=x)

    def backward(self, g):
        x = self.x
        return (g * self.xp.exp(-0.5 * x * x) / _SQRT_2PI,)


class Ndtri(Op):
    saved_fields = ("out",)
    saves_output = True
    _name = "SpecialNdtriBackward0"

    def forward(self, x):
        self.out = _values(K.ndtri, x, like=x)
        return self.out

    def backward(self, g):
        o = self.out
        with B.errstate(over="ignore", invalid="ignore"):
            return (g * _SQRT_2PI * self.xp.exp(0.5 * o * o),)


class LogNdtr(Op):
    saved_fields = ("out", "x")
    saved_inputs = (0,)
    saves_output = True
    _name = "SpecialLogNdtrBackward0"

    def forward(self, x):
        self.x = x
        self.out = _values(K.log_ndtr, x, like=x)
        return self.out

    def backward(self, g):
        x = self.x
        with B.errstate(over="ignore", invalid="ignore"):
            return (g * self.xp.exp(-(self.out + 0.5 * x * x)) / _SQRT_2PI,)


class Sinc(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)
    _name = "SincBackward0"

    def forward(self, x):
        self.x = x
        with B.errstate(invalid="ignore"):  # sin(inf) / inf is nan, silently (NumPy's sinc would warn)
            return B.xp.asarray(B.xp.sinc(x)).astype(x.dtype, copy=False)

    def backward(self, g):
        xp, x = self.xp, self.x
        px = math.pi * x
        with B.errstate(divide="ignore", invalid="ignore"):
            d = (px * xp.cos(px) - xp.sin(px)) / (px * x)
        return (g * xp.where(x == 0, 0.0, d),)


class Entr(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)
    _name = "SpecialEntrBackward0"

    def forward(self, x):
        self.x = x
        return _values(K.entr, x, like=x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (-g * (self.xp.log(self.x) + 1),)


# ---------------------------------------------------------------------------------------------
# functions of two tensors


class Xlog1py(Op):
    saved_fields = ("a", "b")
    saved_inputs = (0, 1)
    _name = "SpecialXlog1PyBackward0"

    def forward(self, a, b):
        self.a, self.b = a, b
        xp = self.xp
        with B.errstate(divide="ignore", invalid="ignore"):
            out = xp.where(a == 0, 0, a * xp.log1p(b))
            return xp.where(xp.isnan(b), xp.nan, out).astype(a.dtype, copy=False)

    def backward(self, g):
        xp, a, b = self.xp, self.a, self.b
        with B.errstate(divide="ignore", invalid="ignore"):
            ga = xp.where((a == 0) & (b <= -1), 0.0, g * xp.log1p(b))
            gb = g * a / (b + 1)
        return ga, gb


class Zeta(Op):
    """Hurwitz zeta(x, q) = sum_k (k + q)^-x; torch differentiates it in q only."""

    saved_fields = ("q", "x")
    saved_inputs = (0, 1)
    _name = "SpecialZetaBackward0"

    def forward(self, x, q):
        self.x, self.q = x, q
        return _values(K.zeta, x, q, like=x)

    def backward(self, g):
        if self.needs_input_grad[0]:
            raise _no_derivative("zeta")
        x, q = self.x, self.q
        return None, -g * x * _via(Zeta, x + 1, q)


class Igamma(Op):
    """The regularized lower incomplete gamma P(a, x); torch differentiates it in x only."""

    saved_fields = ("a", "x")
    saved_inputs = (0, 1)
    _name = "IgammaBackward0"
    sign = 1
    kernel = staticmethod(K.gammainc)
    what = "igamma: input"

    def forward(self, a, x):
        self.a, self.x = a, x
        return _values(self.kernel, a, x, like=a)

    def backward(self, g):
        if self.needs_input_grad[0]:
            raise _no_derivative(self.what)
        a, x, xp = self.a, self.x, self.xp
        with B.errstate(divide="ignore", invalid="ignore", over="ignore"):
            density = xp.exp((a - 1) * xp.log(x) - x - _via(Lgamma, a))
        return None, self.sign * g * density


class Igammac(Igamma):
    """The regularized upper incomplete gamma Q(a, x) = 1 - P(a, x)."""

    _name = "IgammacBackward0"
    sign = -1
    kernel = staticmethod(K.gammaincc)
    what = "igammac: input"


# ---------------------------------------------------------------------------------------------
# public functions


def _fin(x):
    """The input as a floating tensor (ints and bools become the default float), as torch's math."""
    if not isinstance(x, F.Tensor):
        x = as_tensor_arg(x)
    return x if B.is_float(x._data.dtype) else cast(x, D.get_default_dtype())


def lgamma(input):
    """log|Gamma(x)| (``special.gammaln``); its derivative is ``digamma``.

    >>> import kittygrad as kitty
    >>> kitty.lgamma(kitty.tensor([1., 4.]))
    tensor([0.0000, 1.7918])
    """
    return Lgamma.apply(_fin(input))


def digamma(input):
    """d/dx log Gamma(x) (``special.psi``); -inf at 0, nan at the negative integers.

    >>> import kittygrad as kitty
    >>> kitty.digamma(kitty.tensor([1.]))
    tensor([-0.5772])
    """
    return Digamma.apply(_fin(input))


def _order(n, name: str) -> int:
    if isinstance(n, F.Tensor) and n._data.ndim == 0 and n._data.dtype.kind in "iu":
        n = int(n._data)  # torch takes a 0-d integer tensor for the order too
    if not isinstance(n, int) or isinstance(n, bool):
        raise KittyTypeError(f"{name}(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise KittyRuntimeError("polygamma(n, x) does not support negative n.")
    return n


def polygamma(n: int, input):
    """The n-th derivative of digamma (``polygamma(0, x)`` is ``digamma(x)``).

    >>> import kittygrad as kitty
    >>> kitty.polygamma(1, kitty.tensor([1.]))  # pi^2 / 6
    tensor([1.6449])
    """
    return Polygamma.apply(_fin(input), n=_order(n, "polygamma"))


def _check_p(p) -> int:
    if not isinstance(p, int) or isinstance(p, bool):
        raise KittyTypeError(f"mvlgamma(): argument 'p' (position 2) must be int, not {type(p).__name__}")
    if p < 1:
        raise KittyRuntimeError("p has to be greater than or equal to 1")
    return p


def mvlgamma(input, p: int):
    """The multivariate log-gamma of dimension ``p``: p(p-1)/4 log(pi) + sum_j lgamma(x - j/2).

    >>> import kittygrad as kitty
    >>> kitty.mvlgamma(kitty.tensor([3.]), 2)
    tensor([1.5502])
    """
    return Mvlgamma.apply(_fin(input), p=_check_p(p))


def i0(input):
    """The modified Bessel function of the first kind of order 0; its derivative is ``i1``.

    >>> import kittygrad as kitty
    >>> kitty.i0(kitty.tensor([0., 1.]))
    tensor([1.0000, 1.2661])
    """
    return I0.apply(_fin(input))


def i0e(input):
    """``i0(x) * exp(-|x|)``, which does not overflow.

    >>> import kittygrad as kitty
    >>> kitty.special.i0e(kitty.tensor([0.]))
    tensor([1.])
    """
    return I0e.apply(_fin(input))


def i1(input):
    """The modified Bessel function of the first kind of order 1.

    >>> import kittygrad as kitty
    >>> kitty.special.i1(kitty.tensor([0.]))
    tensor([0.])
    """
    return I1.apply(_fin(input))


def i1e(input):
    """``i1(x) * exp(-|x|)``.

    >>> import kittygrad as kitty
    >>> kitty.special.i1e(kitty.tensor([0.]))
    tensor([0.])
    """
    return I1e.apply(_fin(input))


def erfcx(input):
    """The scaled complementary error function exp(x^2) erfc(x).

    >>> import kittygrad as kitty
    >>> kitty.special.erfcx(kitty.tensor([0.]))
    tensor([1.])
    """
    return Erfcx.apply(_fin(input))


def ndtr(input):
    """The standard normal CDF.

    >>> import kittygrad as kitty
    >>> kitty.special.ndtr(kitty.tensor([0.]))
    tensor([0.5000])
    """
    return Ndtr.apply(_fin(input))


def ndtri(input):
    """The inverse of the standard normal CDF (-inf at 0, inf at 1).

    >>> import kittygrad as kitty
    >>> kitty.special.ndtri(kitty.tensor([0.5]))
    tensor([0.])
    """
    return Ndtri.apply(_fin(input))


def log_ndtr(input):
    """log of the standard normal CDF, accurate far in the left tail.

    >>> import kittygrad as kitty
    >>> kitty.special.log_ndtr(kitty.tensor([0.]))
    tensor([-0.6931])
    """
    return LogNdtr.apply(_fin(input))


def sinc(input):
    """The normalized sinc sin(pi x) / (pi x), 1 at 0.

    >>> import kittygrad as kitty
    >>> kitty.sinc(kitty.tensor([0., 0.5]))
    tensor([1.0000, 0.6366])
    """
    return Sinc.apply(_fin(input))


def entr(input):
    """Elementwise entropy -x log x (0 at 0, -inf below 0).

    >>> import kittygrad as kitty
    >>> kitty.special.entr(kitty.tensor([0., 0.5]))
    tensor([0.0000, 0.3466])
    """
    return Entr.apply(_fin(input))


def _two_operands(input, other, name: str):
    """Two operands of a float binary op as same-dtype, same-shape tensors (one may be a number)."""
    if not isinstance(input, F.Tensor) and not isinstance(other, F.Tensor) and not B.is_array(input) \
            and not B.is_array(other):
        raise KittyTypeError(
            f"{name}() received an invalid combination of arguments - got ({type(input).__name__}, "
            f"{type(other).__name__}), but expected one of: (Tensor input, Tensor other), "
            "(Number self, Tensor other), (Tensor input, Number other)"
        )
    a, b = binary(input, other, name, float_result=True)
    if not isinstance(a, F.Tensor):
        a = F.Tensor._wrap(B.xp.full(b._data.shape, a, b._data.dtype))
    if not isinstance(b, F.Tensor):
        b = F.Tensor._wrap(B.xp.full(a._data.shape, b, a._data.dtype))
    return a, b


def xlog1py(input, other):
    """input * log1p(other), with 0 where input is 0 (unless other is NaN).

    >>> import kittygrad as kitty
    >>> kitty.special.xlog1py(kitty.tensor([0., 2.]), kitty.tensor([-1., 0.]))
    tensor([0., 0.])
    """
    return Xlog1py.apply(*_two_operands(input, other, "special_xlog1py"))


def zeta(input, other):
    """The Hurwitz zeta function sum_k (k + other)^-input (differentiable in ``other`` only, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.zeta(kitty.tensor([2.]), 1.)
    tensor([1.6449])
    """
    return Zeta.apply(*_two_operands(input, other, "special_zeta"))


def _incomplete_gamma(cls, input, other, name):
    for arg, what in ((input, "input"), (other, "other")):
        if not isinstance(arg, F.Tensor):
            position = 1 if what == "input" else 2
            raise KittyTypeError(f"{name}(): argument '{what}' (position {position}) must be Tensor, not {type(arg).__name__}")
    rt = D.result_type(input, other)
    if not rt.is_floating_point:
        raise KittyNotImplementedError(f'"{cls.__name__.lower()}_cpu" not implemented for \'{dtype_name(cast(input, rt))}\'')
    a, x = binary(input, other, name, float_result=True)
    return cls.apply(a, x)


def igamma(input, other):
    """The regularized lower incomplete gamma function P(input, other) (``special.gammainc``);
    differentiable in ``other`` only, as torch.

    >>> import kittygrad as kitty
    >>> kitty.igamma(kitty.tensor([1.]), kitty.tensor([2.]))  # 1 - exp(-2)
    tensor([0.8647])
    """
    return _incomplete_gamma(Igamma, input, other, "igamma")


def igammac(input, other):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P(input, other).

    >>> import kittygrad as kitty
    >>> kitty.igammac(kitty.tensor([1.]), kitty.tensor([2.]))
    tensor([0.1353])
    """
    return _incomplete_gamma(Igammac, input, other, "igammac")


# ---------------------------------------------------------------------------------------------
# functions torch gives no derivative: the result never requires grad


def _constant(values, like):
    return F.Tensor._wrap(B.xp.asarray(values).astype(like.dtype, copy=False))


def _no_grad_unary(kernel, input):
    x = _fin(input)._data
    with B.errstate(all="ignore"):
        return _constant(kernel(x), x)


def _betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b) of three same-shape float tensors, as a
    constant (torch has no such op; the Beta and Dirichlet reparameterised gradients use it)."""
    with B.errstate(all="ignore"):
        return _constant(K.betainc(a._data, b._data, x._data), x._data)


def airy_ai(input):
    """The Airy function Ai(x) (no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.airy_ai(kitty.tensor([0.]))
    tensor([0.3550])
    """
    return _no_grad_unary(lambda x: K.airy(x)[0], input)


def bessel_j0(input):
    """The Bessel function of the first kind of order 0 (no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.bessel_j0(kitty.tensor([0.]))
    tensor([1.])
    """
    return _no_grad_unary(K.j0, input)


def bessel_j1(input):
    """The Bessel function of the first kind of order 1 (no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.bessel_j1(kitty.tensor([0.]))
    tensor([0.])
    """
    return _no_grad_unary(K.j1, input)


def bessel_y0(input):
    """The Bessel function of the second kind of order 0 (no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.bessel_y0(kitty.tensor([1.]))
    tensor([0.0883])
    """
    return _no_grad_unary(K.y0, input)


def bessel_y1(input):
    """The Bessel function of the second kind of order 1 (no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.bessel_y1(kitty.tensor([1.]))
    tensor([-0.7812])
    """
    return _no_grad_unary(K.y1, input)


def modified_bessel_i0(input):
    """The modified Bessel function I0 (the same values as ``i0``, but no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.modified_bessel_i0(kitty.tensor([0.]))
    tensor([1.])
    """
    return _no_grad_unary(K.i0, input)


def modified_bessel_i1(input):
    """The modified Bessel function I1 (no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.modified_bessel_i1(kitty.tensor([0.]))
    tensor([0.])
    """
    return _no_grad_unary(K.i1, input)


def modified_bessel_k0(input):
    """The modified Bessel function of the second kind K0 (no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.modified_bessel_k0(kitty.tensor([1.]))
    tensor([0.4210])
    """
    return _no_grad_unary(K.k0, input)


def modified_bessel_k1(input):
    """The modified Bessel function of the second kind K1 (no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.modified_bessel_k1(kitty.tensor([1.]))
    tensor([0.6019])
    """
    return _no_grad_unary(K.k1, input)


def scaled_modified_bessel_k0(input):
    """``K0(x) * exp(x)`` (no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.scaled_modified_bessel_k0(kitty.tensor([1.]))
    tensor([1.1445])
    """
    return _no_grad_unary(K.k0e, input)


def scaled_modified_bessel_k1(input):
    """``K1(x) * exp(x)`` (no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.scaled_modified_bessel_k1(kitty.tensor([1.]))
    tensor([1.6362])
    """
    return _no_grad_unary(K.k1e, input)


def spherical_bessel_j0(input):
    """The spherical Bessel function j0(x) = sin(x) / x (no gradient, as torch).

    >>> import kittygrad as kitty
    >>> kitty.special.spherical_bessel_j0(kitty.tensor([0.]))
    tensor([1.])
    """
    return _no_grad_unary(lambda x: K.spherical_jn(0, x), input)


# ---- orthogonal polynomials P_n(x): a three-term recurrence up to the largest n asked for


def _polynomial_operands(x, n, name):
    T = F.Tensor
    if not isinstance(x, T) and not isinstance(n, T):
        raise KittyTypeError(
            f"special_{name}() received an invalid combination of arguments - got ({type(x).__name__}, "
            f"{type(n).__name__}), but expected one of: (Tensor x, Tensor n), (Number x, Tensor n), (Tensor x, Number n)"
        )
    for v in (x, n):
        if not isinstance(v, T):
            check_scalar(v, f"special_{name}")
    rt = D.result_type(x, n)
    if not rt.is_floating_point:
        rt = D.get_default_dtype()
    xs = x._data if isinstance(x, T) else B.xp.asarray(x)
    ns = n._data if isinstance(n, T) else B.xp.asarray(n)
    shape = broadcast_shape_of(B.xp.shape(xs), B.xp.shape(ns))
    xv = B.xp.broadcast_to(B.xp.asarray(xs, dtype="float64"), shape)
    with B.errstate(invalid="ignore"):
        nv = B.xp.broadcast_to(B.xp.trunc(B.xp.asarray(ns, dtype="float64")), shape)
    return xv, nv, rt


def _recurrence(x, n, first, step):
    """P_n(x) elementwise from P_0 = 1, P_1 = ``first(x)`` and P_{k+1} = ``step(k, x, P_k, P_{k-1})``;
    0 for n < 0, as torch."""
    xp = B.xp
    prev, cur = xp.ones_like(x), first(x)
    out = xp.where(n == 0, prev, cur)
    finite = n[xp.isfinite(n)]
    top = int(finite.max()) if finite.size else 0
    with B.errstate(all="ignore"):
        for k in range(1, top):
            prev, cur = cur, step(k, x, cur, prev)
            out = xp.where(n == k + 1, cur, out)
    out = xp.where(n < 0, out.dtype.type(0), out)  # typed scalars: NumPy 1.x would promote a Python float
    return xp.where(xp.isnan(n), out.dtype.type(xp.nan), out)


def _chebyshev(first):
    return first, lambda k, x, p, q: 2 * x * p - q


_FAMILIES = {
    "chebyshev_polynomial_t": _chebyshev(lambda x: x),
    "chebyshev_polynomial_u": _chebyshev(lambda x: 2 * x),
    "chebyshev_polynomial_v": _chebyshev(lambda x: 2 * x - 1),
    "chebyshev_polynomial_w": _chebyshev(lambda x: 2 * x + 1),
    "hermite_polynomial_h": (lambda x: 2 * x, lambda k, x, p, q: 2 * x * p - 2 * k * q),
    "hermite_polynomial_he": (lambda x: x, lambda k, x, p, q: x * p - k * q),
    "laguerre_polynomial_l": (lambda x: 1 - x, lambda k, x, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1)),
    "legendre_polynomial_p": (lambda x: x, lambda k, x, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1)),
}


def _polynomial(name, x, n, shifted=False):
    xv, nv, rt = _polynomial_operands(x, n, ("shifted_" if shifted else "") + name)
    first, step = _FAMILIES[name]
    values = _recurrence(2 * xv - 1 if shifted else xv, nv, first, step)
    return F.Tensor._wrap(B.xp.asarray(values).astype(rt.np, copy=False))


def chebyshev_polynomial_t(input, n):
    """The Chebyshev polynomial of the first kind T_n(input) (n truncated to an integer; 0 for n < 0).

    >>> import kittygrad as kitty
    >>> kitty.special.chebyshev_polynomial_t(kitty.tensor([0.5]), 2)
    tensor([-0.5000])
    """
    return _polynomial("chebyshev_polynomial_t", input, n)


def chebyshev_polynomial_u(input, n):
    """The Chebyshev polynomial of the second kind U_n(input).

    >>> import kittygrad as kitty
    >>> kitty.special.chebyshev_polynomial_u(kitty.tensor([0.5]), 2)
    tensor([0.])
    """
    return _polynomial("chebyshev_polynomial_u", input, n)


def chebyshev_polynomial_v(input, n):
    """The Chebyshev polynomial of the third kind V_n(input).

    >>> import kittygrad as kitty
    >>> kitty.special.chebyshev_polynomial_v(kitty.tensor([0.5]), 2)
    tensor([-1.])
    """
    return _polynomial("chebyshev_polynomial_v", input, n)


def chebyshev_polynomial_w(input, n):
    """The Chebyshev polynomial of the fourth kind W_n(input).

    >>> import kittygrad as kitty
    >>> kitty.special.chebyshev_polynomial_w(kitty.tensor([0.5]), 2)
    tensor([1.])
    """
    return _polynomial("chebyshev_polynomial_w", input, n)


def shifted_chebyshev_polynomial_t(input, n):
    """T_n(2 input - 1), the Chebyshev polynomial of the first kind shifted to [0, 1].

    >>> import kittygrad as kitty
    >>> kitty.special.shifted_chebyshev_polynomial_t(kitty.tensor([0.75]), 2)
    tensor([-0.5000])
    """
    return _polynomial("chebyshev_polynomial_t", input, n, shifted=True)


def shifted_chebyshev_polynomial_u(input, n):
    """U_n(2 input - 1).

    >>> import kittygrad as kitty
    >>> kitty.special.shifted_chebyshev_polynomial_u(kitty.tensor([0.75]), 2)
    tensor([0.])
    """
    return _polynomial("chebyshev_polynomial_u", input, n, shifted=True)


def shifted_chebyshev_polynomial_v(input, n):
    """V_n(2 input - 1).

    >>> import kittygrad as kitty
    >>> kitty.special.shifted_chebyshev_polynomial_v(kitty.tensor([0.75]), 2)
    tensor([-1.])
    """
    return _polynomial("chebyshev_polynomial_v", input, n, shifted=True)


def shifted_chebyshev_polynomial_w(input, n):
    """W_n(2 input - 1).

    >>> import kittygrad as kitty
    >>> kitty.special.shifted_chebyshev_polynomial_w(kitty.tensor([0.75]), 2)
    tensor([1.])
    """
    return _polynomial("chebyshev_polynomial_w", input, n, shifted=True)


def hermite_polynomial_h(input, n):
    """The physicists' Hermite polynomial H_n(input).

    >>> import kittygrad as kitty
    >>> kitty.special.hermite_polynomial_h(kitty.tensor([2.]), 3)
    tensor([40.])
    """
    return _polynomial("hermite_polynomial_h", input, n)


def hermite_polynomial_he(input, n):
    """The probabilists' Hermite polynomial He_n(input).

    >>> import kittygrad as kitty
    >>> kitty.special.hermite_polynomial_he(kitty.tensor([2.]), 3)
    tensor([2.])
    """
    return _polynomial("hermite_polynomial_he", input, n)


def laguerre_polynomial_l(input, n):
    """The Laguerre polynomial L_n(input).

    >>> import kittygrad as kitty
    >>> kitty.special.laguerre_polynomial_l(kitty.tensor([1.]), 2)
    tensor([-0.5000])
    """
    return _polynomial("laguerre_polynomial_l", input, n)


def legendre_polynomial_p(input, n):
    """The Legendre polynomial P_n(input).

    >>> import kittygrad as kitty
    >>> kitty.special.legendre_polynomial_p(kitty.tensor([0.5]), 2)
    tensor([-0.1250])
    """
    return _polynomial("legendre_polynomial_p", input, n)


# ---------------------------------------------------------------------------------------------
# in-place twins (used by the Tensor methods)


def _inplace(self, cls, **params):
    """``self.op_()`` of an op with a floating result (``lgamma_``, and ``exp_``, ``sqrt_``, ``sigmoid_``
    and the like): torch refuses it on an integer or bool tensor before computing, naming the
    result type the op would have had (the default float dtype); the op's forward, given ``self``
    unconverted, would compute in NumPy's promotion or keep the integer dtype."""
    if not B.is_float(self._data.dtype):
        raise KittyRuntimeError(
            f"result type {dtype_scalar_name(D.get_default_dtype().np)} can't be cast to the desired output "
            f"type {dtype_name(self)}"
        )
    return apply_inplace(cls, self, **params)


def _inplace_polygamma(self, n):
    return _inplace(self, Polygamma, n=_order(n, "polygamma_"))


def _inplace_mvlgamma(self, p):
    return _inplace(self, Mvlgamma, p=_check_p(p))


def _inplace_incomplete_gamma(self, cls, other, name):
    if not isinstance(other, F.Tensor):
        raise KittyTypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
    if not B.is_float(self._data.dtype):
        raise KittyNotImplementedError(f'"{cls.__name__.lower()}_cpu" not implemented for \'{dtype_name(self)}\'')
    shape = self._data.shape
    full = broadcast_shape_of(other._data.shape, shape)
    if full != shape:
        raise KittyRuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}")
    return apply_inplace(cls, self, expand_to(cast(other, self.dtype), shape))
