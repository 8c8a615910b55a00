"""Elementwise primitives: arithmetic, unary math, activations, casts.

Each class holds its forward and its backward; backward returns one gradient per forward
argument (broadcasting was already made explicit by ``_prep.binary``).
"""
from __future__ import annotations

from .. import backend as B
from ..autograd.function import Op
from ..errors import KittyRuntimeError
from ._prep import binary, masked_grad


class ToCopy(Op):
    """A dtype cast (``x.to(dtype)``); the gradient is cast back by the engine."""

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, g):
        return g, None


class Clone(Op):
    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return (g,)


class Add(Op):
    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class AddScaled(Op):
    """``a + alpha * b`` (the ``alpha`` of torch.add)."""

    _name = "AddBackward"

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a + alpha * b

    def backward(self, g):
        return g, g * self.alpha


class Sub(Op):
    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a - b if alpha == 1 else a - alpha * b

    def backward(self, g):
        alpha = self.alpha
        return g, (-g if alpha == 1 else -alpha * g)


class RSub(Op):
    """``b - alpha * a`` (scalar minus tensor)."""

    _name = "RsubBackward"

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return b - a if alpha == 1 else b - alpha * a

    def backward(self, g):
        return (-g if self.alpha == 1 else -self.alpha * g), g


class Mul(Op):
    saved_inputs = (0, 1)
    save_needed = {0: (1,), 1: (0,)}  # a is read only for b's gradient, and b only for a's

    def forward(self, a, b):
        edges = self.next_edges  # (set before forward when a gradient will be needed)
        self.a = a if len(edges) == 2 and edges[1] is not None else None
        self.b = b if edges and edges[0] is not None else None
        return a * b

    def backward(self, g):
        need = self.needs_input_grad
        return (g * self.b if need[0] else None), (g * self.a if need[1] else None)


class Div(Op):
    saved_inputs = (0, 1)
    save_needed = {0: (1,), 1: (0, 1)}

    def forward(self, a, b):
        edges = self.next_edges
        self.a = a if len(edges) == 2 and edges[1] is not None else None
        self.b = b
        return a / b

    def backward(self, g):
        need = self.needs_input_grad
        a, b = self.a, self.b
        ga = g / b if need[0] else None
        gb = -g * a / (b * b) if need[1] else None
        return ga, gb


class Pow(Op):
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        with B.errstate(divide="ignore", invalid="ignore"):
            return a**b

    def backward(self, g):
        xp = self.xp
        a, b = self.a, self.b
        need = self.needs_input_grad
        ga = gb = None
        with B.errstate(divide="ignore", invalid="ignore"):
            if need[0]:
                # torch: d/da a**0 is 0 everywhere (also at a == 0)
                ga = xp.where(b == 0, 0.0, g * b * a ** (b - 1)).astype(g.dtype, copy=False)
            if need[1]:
                # torch: where a == 0 and b >= 0 the exponent's gradient is 0
                out = a**b
                gb = xp.where((a == 0) & (b >= 0), 0.0, g * out * xp.log(a)).astype(g.dtype, copy=False)
        return ga, gb


class Neg(Op):
    def forward(self, x):
        return -x

    def backward(self, g):
        return (-g,)


class Abs(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.abs(x)

    def backward(self, g):
        return (g * self.xp.sign(self.x),)


class Exp(Op):
    saves_output = True

    def forward(self, x):
        self.out = self.xp.asarray(self.xp.exp(x))  # 0-d: an array, not a NumPy scalar
        return self.out

    def backward(self, g):
        return (g * self.out,)


class Log(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with B.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log(x)

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / self.x,)


class Sqrt(Op):
    saves_output = True

    def forward(self, x):
        with B.errstate(invalid="ignore"):
            self.out = self.xp.asarray(self.xp.sqrt(x))
        return self.out

    def backward(self, g):
        with B.errstate(divide="ignore", invalid="ignore"):
            return (g / (2 * self.out),)


class Sigmoid(Op):
    saves_output = True

    def forward(self, x):
        xp = self.xp
        if x.dtype.kind != "f":  # sigmoid_ on an integer/bool tensor: a float result it cannot hold
            x = x.astype(xp.float32)
        # stable for large |x|: exp of a non-positive number only
        e = xp.exp(-xp.abs(x))
        self.out = xp.asarray(xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False))
        return self.out

    def backward(self, g):
        s = self.out
        return (g * s * (1 - s),)


class Tanh(Op):
    saves_output = True

    def forward(self, x):
        self.out = self.xp.asarray(self.xp.tanh(x))
        return self.out

    def backward(self, g):
        t = self.out
        return (g * (1 - t * t),)


class Relu(Op):
    saves_output = True
    graph_formal_inputs = (0,)  # torch: threshold_backward(grad, result, 0)

    def forward(self, x):
        self.out = self.xp.asarray(self.xp.maximum(x, 0).astype(x.dtype, copy=False))
        return self.out

    def backward(self, g):
        # as torch: relu'(0) = 0, and a select (an infinite gradient where x <= 0 gives 0, not nan)
        return (masked_grad(self.out > 0, g),)


class Clamp(Op):
    """clamp(x, min, max) with scalar or array bounds; gradient passes where min <= x <= max."""

    saved_inputs = (0, 1, 2)

    def forward(self, x, lo, hi):
        xp = self.xp
        self.x, self.lo, self.hi = x, lo, hi
        out = x
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
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


# ---------------------------------------------------------------------------------------------
# public functions (torch.add, torch.mul, ...); Tensor methods call these


def add(input, other, *, alpha=1):
    """``input + alpha * other`` with broadcasting and type promotion.

    >>> import kittygrad as kitty
    >>> kitty.add(kitty.tensor([1., 2.]), 1, alpha=2)
    tensor([3., 4.])
    """
    a, b = binary(input, other, "add")
    if alpha != 1:
        return AddScaled.apply(a, b, alpha=alpha)
    return Add.apply(a, b)


def _check_sub_operands(input, other) -> None:
    """torch refuses subtraction with bool operands (``-`` and ``sub_`` alike)."""
    if any(isinstance(x, bool) or (hasattr(x, "_data") and x._data.dtype.kind == "b") for x in (input, other)):
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
    if not hasattr(a, "_data"):  # number - tensor
        return RSub.apply(b, a, alpha=alpha)
    return Sub.apply(a, b, alpha=alpha)


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    a, b = binary(input, other, "rsub")
    if not hasattr(b, "_data"):
        return RSub.apply(a, b, alpha=alpha)
    return Sub.apply(b, a, alpha=alpha)


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
        from .more_elementwise import div_rounding

        return div_rounding(input, other, rounding_mode)
    a, b = binary(input, other, "div", float_result=True)
    return Div.apply(a, b)


def pow(input, exponent):  # noqa: A001 - torch's name
    """``input ** exponent``.

    >>> import kittygrad as kitty
    >>> kitty.pow(kitty.tensor([2., 3.]), 2)
    tensor([4., 9.])
    """
    a, b = binary(input, exponent, "pow")
    return Pow.apply(a, b)


def neg(input):
    return Neg.apply(input)


negative = neg


def abs(input):  # noqa: A001
    """Absolute value; its gradient at 0 is 0, as torch.

    >>> import kittygrad as kitty
    >>> kitty.abs(kitty.tensor([-1., 2.]))
    tensor([1., 2.])
    """
    return Abs.apply(input)


absolute = abs


def _float_input(x):
    from ._prep import cast
    from .. import dtypes as D

    return x if x._data.dtype.kind == "f" else cast(x, D.get_default_dtype())


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


def sigmoid(input):
    """Logistic sigmoid, stable for large inputs.

    >>> import kittygrad as kitty
    >>> kitty.sigmoid(kitty.tensor([0.]))
    tensor([0.5000])
    """
    return Sigmoid.apply(_float_input(input))


def tanh(input):
    """Hyperbolic tangent.

    >>> import kittygrad as kitty
    >>> kitty.tanh(kitty.tensor([0.]))
    tensor([0.])
    """
    return Tanh.apply(_float_input(input))


def relu(input):
    """max(x, 0); its gradient at 0 is 0, as torch.

    >>> import kittygrad as kitty
    >>> kitty.relu(kitty.tensor([-1., 2.]))
    tensor([0., 2.])
    """
    return Relu.apply(input)


def clamp(input, min=None, max=None):  # noqa: A002
    """Limit values to [min, max]; bounds may be numbers or tensors.

    >>> import kittygrad as kitty
    >>> kitty.clamp(kitty.tensor([-2., 0.5, 3.]), -1, 1)
    tensor([-1.0000,  0.5000,  1.0000])
    """
    from ._prep import as_tensor_arg, broadcast_shape_of, cast, expand_to
    from .. import dtypes as D
    from ..errors import KittyRuntimeError

    if min is None and max is None:
        raise KittyRuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    T = type(input)
    input = as_tensor_arg(input)
    bounds = [min, max]
    if any(isinstance(b, T) for b in bounds):
        tensors = [input] + [b for b in bounds if isinstance(b, T)]
        rt = D.result_type(*tensors, *[b for b in bounds if b is not None and not isinstance(b, T)])
        shape = input._data.shape
        for t in tensors[1:]:
            shape = broadcast_shape_of(shape, t._data.shape)
        input = expand_to(cast(input, rt), shape)
        bounds = [expand_to(cast(b, rt), shape) if isinstance(b, T) else (None if b is None else rt.np.type(b)) for b in bounds]
        return Clamp.apply(input, bounds[0], bounds[1])
    rt = D.result_type(input, *[b for b in bounds if b is not None])
    input = cast(input, rt)
    return Clamp.apply(input, *(None if b is None else rt.np.type(b) for b in bounds))


clip = clamp
