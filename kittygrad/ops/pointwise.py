"""Elementwise functions beyond ``arithmetic.py`` and ``unary.py``: the float-representation ops
(``copysign``, ``frexp``, ``ldexp``, ``nextafter``), angles (``deg2rad``, ``rad2deg``, ``angle``),
``float_power``, ``logaddexp2``, the step ``heaviside``, the integer ``gcd``/``lcm``, ``positive``."""
from __future__ import annotations

import math

from .. import backend as B
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.function import Op
from ..errors import KittyNotImplementedError, KittyRuntimeError, KittyTypeError
from . import _kernels as _k
from ._prep import as_tensor_arg, binary, broadcast_shape_of, cast, dtype_name, expand_to
from ._return_types import _make
from .arithmetic import mul, pow
from .unary import _fin

frexp_result = _make("frexp", ("mantissa", "exponent"))


def _tensors(input, other, name: str, second: str = "other"):
    if not isinstance(input, F.Tensor):
        raise KittyTypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not isinstance(other, F.Tensor):
        raise KittyTypeError(f"{name}(): argument '{second}' (position 2) must be Tensor, not {type(other).__name__}")


def _floats_only(name: str, *tensors) -> None:
    for t in tensors:
        if not B.is_float(t._data.dtype):
            raise KittyNotImplementedError(f'"{name}_cpu" not implemented for \'{dtype_name(t)}\'')


# ---------------------------------------------------------------------------------------------
# the float representation


class Copysign(Op):
    saved_fields = ("a", "out")
    saved_inputs = (0,)
    saves_output = True

    def forward(self, a, b):
        self.a = a
        self.out = self.xp.asarray(self.xp.copysign(a, b))
        return self.out

    def backward(self, g):
        xp = self.xp
        # torch: grad * result / self, 0 where self is 0; the sign of other gets no gradient
        ga = g * (xp.sign(self.a) * xp.sign(self.out)) if self.needs_input_grad[0] else None
        return ga, (xp.zeros_like(g) if self.needs_input_grad[1] else None)


def copysign(input, other):
    """``|input|`` with the sign of ``other`` (a tensor or a number); integers give floats.

    >>> import kittygrad as kitty
    >>> kitty.copysign(kitty.tensor([1., -2.]), -1)
    tensor([-1., -2.])
    """
    a, b = binary(input, other, "copysign", float_result=True)
    return Copysign.apply(a, b)


class Frexp(Op):
    saved_fields = ("scale",)
    graph_constants = ("scale",)  # 2**-exponent: a constant of the forward

    def forward(self, x):
        mantissa, exponent = self.xp.frexp(x)
        self.scale = self.xp.ldexp(self.xp.ones_like(x), -exponent)
        return self.xp.asarray(mantissa), self.xp.asarray(exponent.astype(self.xp.int32))

    def backward(self, g, _g_exponent=None):
        return (g * self.scale if g is not None else None,)


def frexp(input):
    """Split floats into mantissa in [0.5, 1) and int32 exponent: ``input = mantissa * 2**exponent``.

    >>> import kittygrad as kitty
    >>> kitty.frexp(kitty.tensor([8.])).exponent
    tensor([4], dtype=kittygrad.int32)
    """
    if not B.is_float(input._data.dtype):
        raise KittyRuntimeError("torch.frexp() only supports floating-point dtypes")
    return frexp_result(*Frexp.apply(input))


def ldexp(input, other):
    """``input * 2**other`` (a float result).

    >>> import kittygrad as kitty
    >>> kitty.ldexp(kitty.tensor([1.]), kitty.tensor([3]))
    tensor([8.])
    """
    _tensors(input, other, "ldexp")
    return mul(input, pow(2.0, other))


class Nextafter(Op):
    saved_fields = ("a", "b")
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.asarray(_k.next_after(a, b))

    def backward(self, g):
        # torch: the gradient passes to input where it moved (input != other); other gets zeros
        ga = self.xp.where(self.a != self.b, g, 0 * g) if self.needs_input_grad[0] else None
        return ga, (self.xp.zeros_like(g) if self.needs_input_grad[1] else None)


def nextafter(input, other):
    """The next float after ``input`` towards ``other``.

    >>> import kittygrad as kitty
    >>> kitty.nextafter(kitty.tensor([1.]), kitty.tensor([2.])) > 1
    tensor([True])
    """
    _tensors(input, other, "nextafter")
    _floats_only("nextafter", input, other)
    a, b = binary(input, other, "nextafter")
    return Nextafter.apply(a, b)


# ---------------------------------------------------------------------------------------------
# angles


def deg2rad(input):
    """Degrees to radians (integers give floats).

    >>> import kittygrad as kitty
    >>> kitty.deg2rad(kitty.tensor([180.]))
    tensor([3.1416])
    """
    _no_bool(input, "deg2rad")
    return mul(_fin(input), math.pi / 180)


def rad2deg(input):
    """Radians to degrees (integers give floats).

    >>> import kittygrad as kitty
    >>> kitty.rad2deg(kitty.tensor([3.14159265]))
    tensor([180.])
    """
    _no_bool(input, "rad2deg")
    return mul(_fin(input), 180 / math.pi)


def _no_bool(input, name):
    if not isinstance(input, F.Tensor):
        raise KittyTypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind == "b":
        raise KittyRuntimeError(f"{name} is not supported for bool tensors.")


class Angle(Op):
    """The argument of a real number: pi below 0, else 0 (NaN stays NaN); a zero gradient."""

    def forward(self, x):
        xp = self.xp
        # (a product of the comparison, not np.where: its branch per element on a random sign
        # pattern made the op 10x torch)
        out = xp.asarray((x < 0).astype(x.dtype))
        out *= x.dtype.type(xp.pi)
        nan = x != x
        if nan.any():
            out[nan] = x[nan]
        return out

    def backward(self, g):
        return (self.xp.zeros_like(g),)


def angle(input):
    """The angle of each (real) element: ``pi`` for negatives, ``0`` otherwise.

    >>> import kittygrad as kitty
    >>> kitty.angle(kitty.tensor([-1., 2.]))
    tensor([3.1416, 0.0000])
    """
    return Angle.apply(_fin(as_tensor_arg(input)))


def positive(input):
    """``input`` itself (torch.positive); bool tensors are refused, as torch's unary ``+``.

    >>> import kittygrad as kitty
    >>> kitty.positive(kitty.tensor([-1, 2]))
    tensor([-1,  2])
    """
    input = as_tensor_arg(input)
    if input._data.dtype.kind == "b":
        raise KittyRuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# ---------------------------------------------------------------------------------------------
# other bases and steps


def float_power(input, exponent):
    """``input ** exponent`` computed in float64 (the result is float64).

    >>> import kittygrad as kitty
    >>> kitty.float_power(kitty.tensor([2]), 3)
    tensor([8.], dtype=kittygrad.float64)
    """
    f64 = D.float64
    if isinstance(input, F.Tensor):
        input = cast(input, f64)
    elif not isinstance(exponent, F.Tensor):
        raise KittyTypeError("float_power(): at least one of input and exponent must be a Tensor")
    else:
        input = float(input)
    exponent = cast(exponent, f64) if isinstance(exponent, F.Tensor) else float(exponent)
    return pow(input, exponent)


class Logaddexp2(Op):
    saved_fields = ("a", "b")
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.asarray(self.xp.logaddexp2(a, b))

    def backward(self, g):
        # d/da = 1 / (1 + 2**(b - a)): finite where one side is infinite (torch's formula)
        xp = self.xp
        ln2 = math.log(2)
        with B.errstate(invalid="ignore", over="ignore"):
            ga = g / (1 + xp.exp((self.b - self.a) * ln2)) if self.needs_input_grad[0] else None
            gb = g / (1 + xp.exp((self.a - self.b) * ln2)) if self.needs_input_grad[1] else None
        return ga, gb


def logaddexp2(input, other):
    """``log2(2**input + 2**other)``, computed stably.

    >>> import kittygrad as kitty
    >>> kitty.logaddexp2(kitty.tensor([1.]), kitty.tensor([1.]))
    tensor([2.])
    """
    _tensors(input, other, "logaddexp2")
    _floats_only("logaddexp2", input, other)
    a, b = binary(input, other, "logaddexp2")
    return Logaddexp2.apply(a, b)


class Heaviside(Op):
    def forward(self, x, values):
        xp = self.xp
        return xp.asarray(xp.where(x == 0, values, (x > 0)).astype(x.dtype))

    def backward(self, g):
        raise KittyRuntimeError("derivative for heaviside is not implemented")


def heaviside(input, values):
    """The step function: 0 below 0, 1 above, ``values`` at 0.

    >>> import kittygrad as kitty
    >>> kitty.heaviside(kitty.tensor([-1., 0., 2.]), kitty.tensor([0.25]))
    tensor([0.0000, 0.2500, 1.0000])
    """
    _tensors(input, values, "heaviside", "values")
    if input._data.dtype != values._data.dtype:
        raise KittyRuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    shape = broadcast_shape_of(input._data.shape, values._data.shape)
    return Heaviside.apply(expand_to(input, shape), expand_to(values, shape))


# ---------------------------------------------------------------------------------------------
# integers


def _integer_pair(input, other, name):
    _tensors(input, other, name)
    a, b = binary(input, other, name)
    for t in (a, b):
        if t._data.dtype.kind not in "iu":
            raise KittyNotImplementedError(f'"{name}_cpu" not implemented for \'{dtype_name(t)}\'')
    return a, b


def gcd(input, other):
    """The greatest common divisor, elementwise (integer tensors; ``gcd(0, 0) = 0``).

    >>> import kittygrad as kitty
    >>> kitty.gcd(kitty.tensor([4, 6]), kitty.tensor([6, -4]))
    tensor([2, 2])
    """
    a, b = _integer_pair(input, other, "gcd")
    return F.Tensor._wrap(B.xp.gcd(a._data, b._data))


def lcm(input, other):
    """The least common multiple, elementwise (integer tensors).

    >>> import kittygrad as kitty
    >>> kitty.lcm(kitty.tensor([4, 6]), kitty.tensor([6, -4]))
    tensor([12, 12])
    """
    a, b = _integer_pair(input, other, "lcm")
    return F.Tensor._wrap(B.xp.lcm(a._data, b._data))

