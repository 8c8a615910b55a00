"""Activation functions as differentiable ops: ``sigmoid``, ``tanh``, ``relu`` and the
``nn.functional`` activations (GELU, SiLU, ELU, ...)."""
from __future__ import annotations

import math

from .. import backend as B
from .. import dtypes as D
from ..autograd.function import Op, apply_inplace
from ..errors import KittyNotImplementedError, KittyRuntimeError, KittyValueError
from . import _erf32
from . import _kernels as _k
from . import comparison as _comparison
from . import unary as _unary
from ._fused import _float, _needs, _sigmoid, _softplus
from ._prep import as_tensor_arg, cast, dtype_name, masked_grad, normalize_dim, scaled_own, times_grad, torch_named
from .unary import _float_input

_HALF = B.xp.dtype("float16")


class Softmax(Op):
    saved_fields = ("axis", "out")
    saves_output = True

    def forward(self, x, axis):
        xp = self.xp
        self.axis = axis
        if x.dtype == _HALF:
            # torch computes a float16 softmax in float32 and rounds the result once (bfloat16
            # inputs arrive widened already): per-element float16 exps and sums drift a unit
            self.out = self.forward(x.astype(xp.float32), axis).astype(_HALF)
            return self.out
        e = _k.minus_max(x, axis)  # (a row all -inf, every key masked, is NaN in torch, quietly)
        if type(e) is B.ndarray and e.ndim > 0:  # a fresh array: exp and the scaling in place
            _k.exp_normalized(e, axis)
            self.out = e
        else:
            e = xp.exp(e)
            self.out = xp.asarray(e / e.sum(axis=axis, keepdims=True))  # 0-d: an array, not a NumPy scalar
        return self.out

    def backward(self, g):
        y = self.out
        if self.axis == y.ndim - 1:
            out = g - _k.dot_last(g, y)  # (the row sums of g * y without the product's temporary)
            if type(out) is B.ndarray and out.shape == y.shape and out.dtype == y.dtype:
                out *= y
                return out, None
            return y * out, None
        return y * (g - _k.sum_along(g * y, self.axis)), None


class LogSoftmax(Op):
    saved_fields = ("axis", "out")
    saves_output = True

    def forward(self, x, axis, low=None):
        xp = self.xp
        self.axis = axis
        if x.dtype == _HALF:  # computed in float32 and rounded once, as softmax (bfloat16 arrives widened)
            self.out = self.forward(x.astype(xp.float32), axis, low).astype(_HALF)
            return self.out
        shifted = _k.minus_max(x, axis)  # (a row all -inf: NaN, quietly, as softmax's)
        e = xp.exp(shifted)
        log_total = xp.log(_k.sum_along(e, axis))
        if low is not None and axis == e.ndim - 1:
            # torch's last-dim kernel for float16/bfloat16 keeps the row sums and their logs in the
            # input's dtype: rounding both there prints the same last digit as torch
            log_total = xp.log(_k.sum_last(e).astype(low).astype(xp.float32)).astype(low).astype(xp.float32)
        if type(shifted) is B.ndarray and shifted.ndim:
            shifted -= log_total  # a fresh array: the result in place
            self.out = shifted
        else:
            self.out = xp.asarray(shifted - log_total)
        return self.out

    def backward(self, g):
        xp = self.xp
        probs = xp.exp(self.out)
        if type(probs) is B.ndarray and probs.shape == g.shape and probs.dtype == g.dtype:
            # g - softmax * sum(g), in place on the one fresh array
            probs *= _k.sum_along(g, self.axis)
            return xp.subtract(g, probs, out=probs), None, None
        return g - probs * g.sum(axis=self.axis, keepdims=True), None, None


def _softmax_input(input, dim, dtype, name: str = "softmax"):
    if dim is None:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    x = cast(input, D.to_dtype(dtype)) if dtype is not None else input
    axis = normalize_dim(dim, x._data.ndim)
    if not B.is_float(x._data.dtype):
        # in the words of torch's kernel: one for the last dim, one for any other
        kernel = f"{name}_lastdim_kernel_impl" if axis == x._data.ndim - 1 or x._data.ndim == 0 else f"{name}_kernel_impl"
        raise KittyNotImplementedError(f'"{kernel}" not implemented for \'{dtype_name(x)}\'')
    return x, axis


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed without overflow.

    >>> import kittygrad as kitty
    >>> kitty.softmax(kitty.tensor([0., 0.]), dim=0)
    tensor([0.5000, 0.5000])
    """
    x, axis = _softmax_input(input, dim, dtype)
    if x._data.ndim == 0:
        return Softmax.apply(x.reshape(1), 0).reshape(())
    return Softmax.apply(x, axis)


def log_softmax(input, dim=None, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably (no -inf for large logits).

    >>> import kittygrad as kitty
    >>> kitty.log_softmax(kitty.tensor([0., 0.]), dim=0)
    tensor([-0.6931, -0.6931])
    """
    x, axis = _softmax_input(input, dim, dtype, "log_softmax")
    low = x._data.dtype if x._data.dtype.itemsize == 2 else None  # float16, bfloat16
    if x._data.ndim == 0:
        return LogSoftmax.apply(x.reshape(1), 0, low).reshape(())
    return LogSoftmax.apply(x, axis, low)


class Sigmoid(Op):
    saved_fields = ("out",)
    torch_saved = {"result": "out"}
    saves_output = True

    def forward(self, x):
        xp = self.xp
        if x.dtype.kind != "f":  # sigmoid_ on an integer/bool tensor: a float result it cannot hold
            x = x.astype(xp.float32)
        self.out = xp.asarray(_sigmoid(x))
        return self.out

    def backward(self, g):
        s = self.out
        # torch's sigmoid_backward rounds g (1 - s) first, then times s (in the one fresh array)
        return (times_grad(times_grad(1 - s, g), s),)


class Tanh(Op):
    saved_fields = ("out",)
    torch_saved = {"result": "out"}
    saves_output = True

    def forward(self, x):
        self.out = self.xp.asarray(self.xp.tanh(x))
        return self.out

    def backward(self, g):
        t = self.out
        slope = t * t
        slope = B.xp.subtract(1, slope, out=slope if type(slope) is B.ndarray else None)
        return (times_grad(slope, g),)


class Relu(Op):
    saved_fields = ("out",)
    torch_saved = {"result": "out"}
    saves_output = True
    graph_formal_inputs = (0,)  # torch: threshold_backward(grad, result, 0)

    def forward(self, x):
        out = _k.bounded(self.xp.maximum, x, 0)
        if type(out) is not B.ndarray or out.dtype != x.dtype:  # (a 0-d input gives a NumPy scalar)
            out = self.xp.asarray(out.astype(x.dtype, copy=False))
        self.out = out
        return out

    def backward(self, g):
        # as torch: relu'(0) = 0, a NaN output passes the gradient (torch zeroes it only where
        # out <= 0), and a select (an infinite gradient where x <= 0 gives 0, not nan). The output
        # is never negative, so out <= 0 is out == 0 and its negation one pass: out != 0 (NaN too)
        return (masked_grad(self.out != 0, g),)


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


# ---------------------------------------------------------------------------------------------
# activations


class LeakyRelu(Op):
    saved_fields = ("slope", "x")
    saved_inputs = (0,)
    graph_formal_inputs = (0,)  # torch: leaky_relu_backward(grad, self, ...)

    def forward(self, x, negative_slope=0.01):
        self.x, self.slope = x, negative_slope
        if 0 <= negative_slope <= 1 and type(x) is B.ndarray:
            # x * slope lies between x and 0, so the larger of the two is the result: two passes
            return B.xp.maximum(x, x * negative_slope).astype(x.dtype, copy=False)
        return B.select(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)

    def backward(self, g):
        x, slope = self.x, self.slope
        if (type(x) is B.ndarray and type(g) is B.ndarray and x.shape == g.shape and x.dtype == g.dtype
                and type(slope) in (int, float) and 0 <= slope <= 1):
            # the factor max([x > 0], slope): 1 where x > 0, the slope elsewhere (a NaN x too, as
            # torch), in float passes; the products are g's own (g * 1 and g * slope)
            factor = _k.bounded(B.xp.maximum, (x > 0).astype(x.dtype), slope)
            factor *= g
            return (factor,)
        return (B.select(x > 0, g, g * slope).astype(g.dtype, copy=False),)


class Elu(Op):
    """``scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1))``: ELU, SELU and CELU."""

    float16_opmath = True

    saved_fields = ("args", "neg", "x")
    saved_inputs = (0,)

    def forward(self, x, alpha=1.0, scale=1.0, input_scale=1.0):
        xp = self.xp
        self.x, self.args = x, (alpha, scale, input_scale)
        self.neg = xp.exp(_k.bounded(xp.minimum, x, 0) * input_scale)
        out = B.select(x > 0, x * scale, (self.neg - 1) * (alpha * scale))
        return out.astype(x.dtype, copy=False)

    def composite(self, x, alpha=1.0, scale=1.0, input_scale=1.0):
        neg = _unary.exp(_comparison.clamp(x, max=0) * input_scale)
        return _comparison.where(x > 0, x * scale, (neg - 1) * (alpha * scale))

    def backward(self, g):
        alpha, scale, input_scale = self.args
        d = B.select(self.x > 0, scale, self.neg * (alpha * scale * input_scale))
        return ((g * d).astype(g.dtype, copy=False),)


class Gelu(Op):
    float16_opmath = True
    # t: the tanh (approximate) or the derivative CDF + x * pdf (exact) at x, kept for backward: erf
    # is the costly part of GELU, and double backward differentiates the composite, not these
    saved_fields = ("approximate", "t", "x")
    saved_inputs = (0,)

    def forward(self, x, approximate="none"):
        xp = self.xp
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            if type(x) is B.ndarray and x.ndim:  # the same steps in place: one temporary each
                with B.errstate(over="ignore", invalid="ignore"):
                    inner = x * x
                    inner *= x
                    inner *= 0.044715
                    inner += x
                    inner *= k
                self.t = xp.tanh(inner, out=inner)
                out = self.t + 1
                out *= x
                out *= 0.5
                return out
            self.t = xp.tanh(k * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1 + self.t)
        keep = _needs(self)
        slope, out = _erf32.gelu_parts(x, slope=keep)
        if keep:
            self.t = slope
        return out.astype(x.dtype, copy=False)

    def composite(self, x, approximate="none"):
        if approximate == "tanh":
            t = tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1 + t)
        return 0.5 * x * (1 + _unary.erf(x / math.sqrt(2)))

    def backward(self, g):
        if self.approximate != "tanh":  # forward kept the derivative itself: the gradient is one product
            return (scaled_own(self, self.t, g).astype(g.dtype, copy=False),)
        x, t, k = self.x, self.t, math.sqrt(2 / math.pi)
        if type(g) is B.ndarray and type(x) is B.ndarray and x.ndim and g.shape == x.shape and g.dtype == x.dtype:
            slope = self._tanh_slope(x, t, k)
            if slope is not None:
                slope *= g
                return (slope,)
        with B.errstate(invalid="ignore", over="ignore"):  # x*x overflows float16 where tanh saturated
            inner = 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
        d = 0.5 * (1 + t) + B.select(t * t == 1, 0, inner)
        return ((g * d).astype(g.dtype, copy=False),)

    @staticmethod
    def _tanh_slope(x, t, k):
        """d/dx of the tanh GELU, 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 * 0.044715 x^2), in place
        on two temporaries; None where x * x overflowed (t is +-1 there and the slope 0 or 1:
        the general formula selects those) or x holds a NaN. The polynomial is at least 1 unless
        one of those happened, so its largest value tells (NaN propagates through max): one
        reduction, where checking the slope took two."""
        xp = B.xp
        with B.errstate(over="ignore", invalid="ignore"):
            poly = x * x
            poly *= 3 * 0.044715
            poly += 1
            if not xp.isfinite(poly.max()):
                return None
            slope = xp.multiply(t, t)
            xp.subtract(1, slope, out=slope)
            slope *= poly
            slope *= x
            slope *= 0.5 * k
            xp.multiply(t, 0.5, out=poly)
            slope += poly
            slope += 0.5
        return slope


class Silu(Op):
    float16_opmath = True
    saved_fields = ("s", "x")
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        self.s = _sigmoid(x)
        return x * self.s

    def composite(self, x):
        return x * sigmoid(x)

    def backward(self, g):
        s = self.s
        slope = 1 - s
        if type(slope) is B.ndarray and slope.ndim:  # fresh: s * (1 + x * (1 - s)) in place, same order
            slope *= self.x
            slope += 1
            slope *= s
        else:
            slope = s * (1 + self.x * slope)
        return (times_grad(slope, g),)


class Mish(Op):
    float16_opmath = True
    saved_fields = ("t", "x")
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        self.t = self.xp.tanh(_softplus(x))
        return x * self.t

    def composite(self, x):
        return x * tanh(Softplus.apply(x))

    def backward(self, g):
        t = self.t
        return (g * (t + self.x * (1 - t * t) * _sigmoid(self.x)),)


class Softplus(Op):
    float16_opmath = True
    saved_fields = ("beta", "threshold", "x")
    saved_inputs = (0,)

    def forward(self, x, beta=1.0, threshold=20.0):
        self.x, self.beta, self.threshold = x, beta, threshold
        z = x * beta
        return B.select(z > threshold, x, _softplus(z) / beta).astype(x.dtype, copy=False)

    def backward(self, g):
        z = self.x * self.beta
        return (B.select(z > self.threshold, g, g * _sigmoid(z)).astype(g.dtype, copy=False),)


class Softsign(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return x / (1 + self.xp.abs(x))

    def backward(self, g):
        d = 1 + self.xp.abs(self.x)
        return (g / (d * d),)


class Hardtanh(Op):
    saved_fields = ("hi", "lo", "x")
    saved_inputs = (0,)
    graph_formal_inputs = (0,)  # torch: hardtanh_backward(grad, self, ...)

    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.x, self.lo, self.hi = x, min_val, max_val
        return self.xp.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    def backward(self, g):
        x = self.x
        # as torch: 0 at both bounds (unlike clamp), a NaN input passes the gradient (torch zeroes
        # it only where x <= lo or x >= hi), and a select (no 0 * inf)
        return (masked_grad(~((x <= self.lo) | (x >= self.hi)), g),)


class Hardswish(Op):
    float16_opmath = True
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return x * self.xp.clip(x + 3, 0, 6) / 6

    def backward(self, g):
        x = self.x
        # as torch: both corners take the outer piece's slope (0 at -3, 1 at 3), selected
        d = B.select(x < 3, x / 3 + 0.5, 1.0)
        return (masked_grad(x > -3, g * d).astype(g.dtype, copy=False),)


class Hardsigmoid(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)
    graph_formal_inputs = (0,)  # torch: hardsigmoid_backward(grad, self)

    def forward(self, x):
        self.x = x
        return self.xp.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    def backward(self, g):
        x = self.x
        # as torch: 0 at both corners, selected
        return (masked_grad((x > -3) & (x < 3), g / 6).astype(g.dtype, copy=False),)


class LogSigmoid(Op):
    saved_fields = ("x",)
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        xp = self.xp
        # min(x, 0) - log1p(exp(-|x|)), not -softplus(-x): where exp underflows (x > ~104 in
        # float32) torch's result is 0.0, and negating softplus's 0.0 would print -0.
        return _k.bounded(xp.minimum, x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, g):
        return (g * _sigmoid(-self.x),)


class Prelu(Op):
    """``x if x > 0 else w * x`` with one learnable slope per channel (dim 1)."""

    saved_fields = ("w", "wb", "x")
    saved_inputs = (0, 1)

    def forward(self, x, w):
        self.x, self.w = x, w
        shape = [1] * x.ndim
        if x.ndim >= 2:
            shape[1] = w.size
        elif x.ndim == 1:
            shape[0] = w.size
        self.wb = w.reshape(shape) if x.ndim else w.reshape(())
        return B.select(x > 0, x, self.wb * x).astype(x.dtype, copy=False)

    def composite(self, x, w):
        return _comparison.where(x > 0, x, w.reshape(self.wb.shape) * x)

    def backward(self, g):
        need = self.needs_input_grad
        pos = self.x > 0
        gx = B.select(pos, g, g * self.wb).astype(g.dtype, copy=False) if need[0] else None
        gw = None
        if need[1]:
            gw = B.sum_to_shape(B.select(pos, 0, g * self.x), self.wb.shape).reshape(self.w.shape)
        return gx, gw


def _activation(cls, input, inplace: bool, name: str, **params):
    x = _float(input, name)
    if inplace:
        return apply_inplace(cls, x, **params)
    return cls.apply(x, **params)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.leaky_relu(kitty.tensor([-1., 2.]), 0.1)
    tensor([-0.1000,  2.0000])
    """
    return _activation(LeakyRelu, input, inplace, "leaky_relu_cpu", negative_slope=float(negative_slope))


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.elu(kitty.tensor([0., 1.]))
    tensor([0., 1.])
    """
    return _activation(Elu, input, inplace, "elu_cpu", alpha=float(alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace: bool = False):
    """Scaled ELU with the self-normalising constants.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.selu(kitty.tensor([0.]))
    tensor([0.])
    """
    return _activation(Elu, input, inplace, "elu_cpu", alpha=_SELU_ALPHA, scale=_SELU_SCALE)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.celu(kitty.tensor([1.]))
    tensor([1.])
    """
    if alpha == 0:
        raise KittyRuntimeError("ZeroDivisionError: alpha of celu must not be 0")
    out = _activation(Elu, input, inplace, "elu_cpu", alpha=float(alpha), input_scale=1.0 / alpha)
    return out if inplace else torch_named(out, "CeluBackward0")  # (torch's celu is an op of its own)


def gelu(input, approximate: str = "none"):
    """Gaussian error linear unit, exact (``'none'``) or with the tanh approximation.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.gelu(kitty.tensor([0.]))
    tensor([0.])
    """
    if approximate not in ("none", "tanh"):
        raise KittyRuntimeError("approximate argument must be either none or tanh.")
    return Gelu.apply(_float(input, "GeluKernelImpl"), approximate=approximate)


def silu(input, inplace: bool = False):
    """``x * sigmoid(x)`` (swish).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.silu(kitty.tensor([0.]))
    tensor([0.])
    """
    return _activation(Silu, input, inplace, "silu_cpu")


def mish(input, inplace: bool = False):
    """``x * tanh(softplus(x))``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.mish(kitty.tensor([0.]))
    tensor([0.])
    """
    return _activation(Mish, input, inplace, "mish_cpu")


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.softplus(kitty.tensor([0.]))
    tensor([0.6931])
    """
    return Softplus.apply(_float(input, "softplus_cpu"), beta=float(beta), threshold=float(threshold))


def softsign(input):
    """``x / (1 + |x|)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.softsign(kitty.tensor([1.]))
    tensor([0.5000])
    """
    x = as_tensor_arg(input)
    if not B.is_float(x._data.dtype):
        # torch divides by 1 + |x|: integers come out in the default float dtype, bools fail at |x|
        if x._data.dtype.kind == "b":
            raise KittyNotImplementedError('"abs_cpu" not implemented for \'Bool\'')
        x = cast(x, D.get_default_dtype())
    return Softsign.apply(x)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """Clamp to ``[min_val, max_val]``; the gradient is 1 strictly inside.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.hardtanh(kitty.tensor([-2., 0.5]))
    tensor([-1.0000,  0.5000])
    """
    if min_val > max_val:
        raise KittyValueError("min_val cannot be greater than max_val")
    return _hardtanh(input, min_val, max_val, inplace)


def _hardtanh(input, lo, hi, inplace):
    """hardtanh and relu6: torch clamps integer tensors too, at the bounds truncated to integers."""
    x = as_tensor_arg(input)
    if B.is_float(x._data.dtype):
        lo, hi = float(lo), float(hi)
    elif x._data.dtype.kind == "b":
        raise KittyRuntimeError("Bool inputs not supported for hardtanh")
    elif x._data.dtype.kind == "u" and lo < 0:
        raise KittyRuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    else:
        lo, hi = int(lo), int(hi)
    return apply_inplace(Hardtanh, x, min_val=lo, max_val=hi) if inplace else Hardtanh.apply(x, min_val=lo, max_val=hi)


def relu6(input, inplace: bool = False):
    """``min(max(0, x), 6)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.relu6(kitty.tensor([-1., 7.]))
    tensor([0., 6.])
    """
    return _hardtanh(input, 0, 6, inplace)


def hardswish(input, inplace: bool = False):
    """``x * relu6(x + 3) / 6``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.hardswish(kitty.tensor([3.]))
    tensor([3.])
    """
    return _activation(Hardswish, input, inplace, "hardswish_cpu")


def hardsigmoid(input, inplace: bool = False):
    """``relu6(x + 3) / 6``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.hardsigmoid(kitty.tensor([0.]))
    tensor([0.5000])
    """
    return _activation(Hardsigmoid, input, inplace, "hardsigmoid_cpu")


def logsigmoid(input):
    """``log(sigmoid(x))``, stable for large ``|x|``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.logsigmoid(kitty.tensor([0.]))
    tensor([-0.6931])
    """
    return LogSigmoid.apply(_float(input, "log_sigmoid_cpu"))


def prelu(input, weight):
    """``x`` where positive, ``weight * x`` elsewhere, one weight per channel (or one shared).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.prelu(kitty.tensor([-1., 1.]), kitty.tensor([0.25]))
    tensor([-0.2500,  1.0000])
    """
    x, w = as_tensor_arg(input), as_tensor_arg(weight, "weight")
    if w._data.dtype != x._data.dtype:  # (torch checks this before the kernel's dtype)
        raise KittyRuntimeError(f"prelu: Type promoting not supported. Got {dtype_name(x)} and {dtype_name(w)}")
    channels = x._data.shape[1] if x._data.ndim >= 2 else (x._data.shape[0] if x._data.ndim == 1 else 1)
    if w._data.size not in (1, channels):
        raise KittyRuntimeError(
            f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{w._data.size} and channel size = {channels}."
        )
    return Prelu.apply(_float(x, "prelu_cpu"), w)
