"""Fused primitives of ``kittygrad.nn``: activations, linear maps, convolution, pooling,
normalisation, embedding, padding, recurrent layers and losses.

Each primitive is an ``Op`` whose forward and backward sit side by side and work on raw arrays
reached through ``kittygrad.backend``. Fusing keeps the graph at one node per layer, lets the
arithmetic run in BLAS (convolution is im2col through stride tricks plus one batched matmul, a
recurrent layer runs its whole sequence in one node) and keeps losses stable (cross-entropy holds
its own log-softmax). The public functions carry the names and arguments of
``torch.nn.functional`` (recurrent layers those of ``torch._VF``); ``kittygrad.nn.functional``
re-exports them.
"""
from __future__ import annotations

import itertools
import math
import warnings

from .. import backend as B
from .. import dtypes as D
from ..autograd.function import Op, apply_inplace
from ..errors import KittyIndexError, KittyRuntimeError, KittyValueError
from ._prep import as_tensor_arg, broadcast_shape_of, cast, expand_to, masked_grad

xp = B.xp


# ---------------------------------------------------------------------------------------------
# small helpers


def _needs(node) -> tuple:
    """``needs_input_grad`` of a node, or () when the op runs without recording a graph."""
    return getattr(node, "needs_input_grad", ())


def _float(x, name: str):
    x = as_tensor_arg(x)
    if x._data.dtype.kind != "f":
        raise KittyRuntimeError(f'"{name}" not implemented for \'{_type_name(x)}\'')
    return x


def _type_name(x) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[x.dtype.name]


def _same_dtype(name: str, *tensors) -> None:
    ref = None
    for t in tensors:
        if t is None:
            continue
        if ref is None:
            ref = t
        elif t._data.dtype != ref._data.dtype:
            raise KittyRuntimeError(
                f"{name}: expected all tensors to have the same dtype, but got {_type_name(ref)} and "
                f"{_type_name(t)}; convert one with .to(...)"
            )


def _ntuple(v, n: int, name: str = "argument") -> tuple:
    if isinstance(v, (list, tuple)):
        if len(v) == 1 and n > 1:
            return tuple(int(v[0]) for _ in range(n))
        if len(v) != n:
            raise KittyRuntimeError(f"expected {name} to be a single integer value or a list of {n} values")
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _sigmoid(x):
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _softplus(x):
    """log(1 + exp(x)) without overflow."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class KittyNotImplemented(KittyRuntimeError, NotImplementedError):
    pass


_SQRT_PI = math.sqrt(math.pi)


def _erf(x):
    """The error function (one implementation for the whole library: the backend's)."""
    return B.erf(x)


def _kt():
    """The kittygrad package (composites, for double backward, build on its differentiable ops)."""
    import kittygrad

    return kittygrad


def _const(arr, like):
    """A constant Tensor (no gradient) holding ``arr`` in ``like``'s dtype."""
    return _kt().Tensor._wrap(xp.asarray(arr, dtype=like._data.dtype))


def _tpad(t, pairs, value=0.0):
    """``t`` padded (negative: cropped) by ``(lo, hi)`` per dim, as a differentiable op."""
    pairs = tuple(pairs) + ((0, 0),) * (t._data.ndim - len(pairs))
    if not any(lo or hi for lo, hi in pairs):
        return t
    return Pad.apply(t, pads=pairs, mode="constant", value=value)


def _tslice(t, axis, start, count, step=1):
    """``t[..., start : start + count * step : step, ...]`` along ``axis`` (differentiable), built
    from padding and reshapes only, so it also differentiates twice."""
    shape = t._data.shape
    n = shape[axis]
    pairs = [(0, 0)] * len(shape)
    pairs[axis] = (-start, start + count * step - n)
    t = _tpad(t, pairs)
    if step == 1:
        return t
    t = t.reshape(shape[:axis] + (count, step) + shape[axis + 1:])
    pairs = [(0, 0)] * (len(shape) + 1)
    pairs[axis + 1] = (0, 1 - step)
    return _tpad(t, pairs).reshape(shape[:axis] + (count,) + shape[axis + 1:])


def _assign(t, arr) -> None:
    """Write ``arr`` into tensor ``t`` in place, outside autograd (running statistics, init)."""
    t._data[...] = arr
    t._vc[0] += 1


# ---------------------------------------------------------------------------------------------
# activations


class LeakyRelu(Op):
    saved_inputs = (0,)
    graph_formal_inputs = (0,)  # torch: leaky_relu_backward(grad, self, ...)

    def forward(self, x, negative_slope=0.01):
        self.x, self.slope = x, negative_slope
        return self.xp.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)

    def backward(self, g):
        return (self.xp.where(self.x > 0, g, g * self.slope).astype(g.dtype, copy=False),)


class Elu(Op):
    """``scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1))``: ELU, SELU and CELU."""

    saved_inputs = (0,)

    def forward(self, x, alpha=1.0, scale=1.0, input_scale=1.0):
        xp = self.xp
        self.x, self.args = x, (alpha, scale, input_scale)
        self.neg = xp.exp(xp.minimum(x, 0) * input_scale)
        out = xp.where(x > 0, x * scale, (self.neg - 1) * (alpha * scale))
        return out.astype(x.dtype, copy=False)

    def composite(self, x, alpha=1.0, scale=1.0, input_scale=1.0):
        k = _kt()
        neg = k.exp(k.clamp(x, max=0) * input_scale)
        return k.where(x > 0, x * scale, (neg - 1) * (alpha * scale))

    def backward(self, g):
        alpha, scale, input_scale = self.args
        d = self.xp.where(self.x > 0, scale, self.neg * (alpha * scale * input_scale))
        return ((g * d).astype(g.dtype, copy=False),)


class Gelu(Op):
    saved_inputs = (0,)

    def forward(self, x, approximate="none"):
        xp = self.xp
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            self.t = xp.tanh(k * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1 + self.t)
        return (0.5 * x * (1 + _erf(x / math.sqrt(2)))).astype(x.dtype, copy=False)

    def composite(self, x, approximate="none"):
        k = _kt()
        if approximate == "tanh":
            t = k.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1 + t)
        return 0.5 * x * (1 + k.erf(x / math.sqrt(2)))

    def backward(self, g):
        xp = self.xp
        x = self.x
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = self.t
            with B.errstate(invalid="ignore", over="ignore"):  # x*x overflows float16 where tanh saturated
                inner = 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
            d = 0.5 * (1 + t) + xp.where(t * t == 1, 0, inner)
        else:
            cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
            d = cdf + x * xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return ((g * d).astype(g.dtype, copy=False),)


class Silu(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        self.s = _sigmoid(x)
        return x * self.s

    def composite(self, x):
        return x * _kt().sigmoid(x)

    def backward(self, g):
        s = self.s
        return (g * (s * (1 + self.x * (1 - s))),)


class Mish(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        self.t = self.xp.tanh(_softplus(x))
        return x * self.t

    def composite(self, x):
        return x * _kt().tanh(Softplus.apply(x))

    def backward(self, g):
        t = self.t
        return (g * (t + self.x * (1 - t * t) * _sigmoid(self.x)),)


class Softplus(Op):
    saved_inputs = (0,)

    def forward(self, x, beta=1.0, threshold=20.0):
        self.x, self.beta, self.threshold = x, beta, threshold
        z = x * beta
        return self.xp.where(z > threshold, x, _softplus(z) / beta).astype(x.dtype, copy=False)

    def backward(self, g):
        z = self.x * self.beta
        return (self.xp.where(z > self.threshold, g, g * _sigmoid(z)).astype(g.dtype, copy=False),)


class Softsign(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return x / (1 + self.xp.abs(x))

    def backward(self, g):
        d = 1 + self.xp.abs(self.x)
        return (g / (d * d),)


class Hardtanh(Op):
    saved_inputs = (0,)
    graph_formal_inputs = (0,)  # torch: hardtanh_backward(grad, self, ...)

    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.x, self.lo, self.hi = x, min_val, max_val
        return self.xp.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    def backward(self, g):
        x = self.x
        # as torch: 0 at both bounds (unlike clamp), and a select (no 0 * inf)
        return (masked_grad((x > self.lo) & (x < self.hi), g),)


class Hardswish(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return x * self.xp.clip(x + 3, 0, 6) / 6

    def backward(self, g):
        xp = self.xp
        x = self.x
        # as torch: both corners take the outer piece's slope (0 at -3, 1 at 3), selected
        d = xp.where(x < 3, x / 3 + 0.5, 1.0)
        return (masked_grad(x > -3, g * d).astype(g.dtype, copy=False),)


class Hardsigmoid(Op):
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
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return -_softplus(-x)

    def backward(self, g):
        return (g * _sigmoid(-self.x),)


class Prelu(Op):
    """``x if x > 0 else w * x`` with one learnable slope per channel (dim 1)."""

    saved_inputs = (0, 1)

    def forward(self, x, w):
        self.x, self.w = x, w
        shape = [1] * x.ndim
        if x.ndim >= 2:
            shape[1] = w.size
        elif x.ndim == 1:
            shape[0] = w.size
        self.wb = w.reshape(shape) if x.ndim else w.reshape(())
        return self.xp.where(x > 0, x, self.wb * x).astype(x.dtype, copy=False)

    def composite(self, x, w):
        return _kt().where(x > 0, x, w.reshape(self.wb.shape) * x)

    def backward(self, g):
        xp = self.xp
        need = self.needs_input_grad
        pos = self.x > 0
        gx = xp.where(pos, g, g * self.wb).astype(g.dtype, copy=False) if need[0] else None
        gw = None
        if need[1]:
            gw = B.sum_to_shape(xp.where(pos, 0, g * self.x), self.wb.shape).reshape(self.w.shape)
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
    return _activation(LeakyRelu, input, inplace, "leaky_relu", negative_slope=float(negative_slope))


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.elu(kitty.tensor([0., 1.]))
    tensor([0., 1.])
    """
    return _activation(Elu, input, inplace, "elu", alpha=float(alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace: bool = False):
    """Scaled ELU with the self-normalising constants.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.selu(kitty.tensor([0.]))
    tensor([0.])
    """
    return _activation(Elu, input, inplace, "selu", alpha=_SELU_ALPHA, scale=_SELU_SCALE)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.celu(kitty.tensor([1.]))
    tensor([1.])
    """
    if alpha == 0:
        raise KittyRuntimeError("ZeroDivisionError: alpha of celu must not be 0")
    return _activation(Elu, input, inplace, "celu", alpha=float(alpha), input_scale=1.0 / alpha)


def gelu(input, approximate: str = "none"):
    """Gaussian error linear unit, exact (``'none'``) or with the tanh approximation.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.gelu(kitty.tensor([0.]))
    tensor([0.])
    """
    if approximate not in ("none", "tanh"):
        raise KittyRuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return Gelu.apply(_float(input, "gelu"), approximate=approximate)


def silu(input, inplace: bool = False):
    """``x * sigmoid(x)`` (swish).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.silu(kitty.tensor([0.]))
    tensor([0.])
    """
    return _activation(Silu, input, inplace, "silu")


def mish(input, inplace: bool = False):
    """``x * tanh(softplus(x))``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.mish(kitty.tensor([0.]))
    tensor([0.])
    """
    return _activation(Mish, input, inplace, "mish")


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.softplus(kitty.tensor([0.]))
    tensor([0.6931])
    """
    return Softplus.apply(_float(input, "softplus"), beta=float(beta), threshold=float(threshold))


def softsign(input):
    """``x / (1 + |x|)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.softsign(kitty.tensor([1.]))
    tensor([0.5000])
    """
    return Softsign.apply(_float(input, "softsign"))


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """Clamp to ``[min_val, max_val]``; the gradient is 1 strictly inside.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.hardtanh(kitty.tensor([-2., 0.5]))
    tensor([-1.0000,  0.5000])
    """
    if min_val > max_val:
        raise KittyValueError("min_val cannot be greater than max_val")
    return _activation(Hardtanh, input, inplace, "hardtanh", min_val=float(min_val), max_val=float(max_val))


def relu6(input, inplace: bool = False):
    """``min(max(0, x), 6)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.relu6(kitty.tensor([-1., 7.]))
    tensor([0., 6.])
    """
    return _activation(Hardtanh, input, inplace, "relu6", min_val=0.0, max_val=6.0)


def hardswish(input, inplace: bool = False):
    """``x * relu6(x + 3) / 6``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.hardswish(kitty.tensor([3.]))
    tensor([3.])
    """
    return _activation(Hardswish, input, inplace, "hardswish")


def hardsigmoid(input, inplace: bool = False):
    """``relu6(x + 3) / 6``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.hardsigmoid(kitty.tensor([0.]))
    tensor([0.5000])
    """
    return _activation(Hardsigmoid, input, inplace, "hardsigmoid")


def logsigmoid(input):
    """``log(sigmoid(x))``, stable for large ``|x|``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.logsigmoid(kitty.tensor([0.]))
    tensor([-0.6931])
    """
    return LogSigmoid.apply(_float(input, "log_sigmoid"))


def prelu(input, weight):
    """``x`` where positive, ``weight * x`` elsewhere, one weight per channel (or one shared).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.prelu(kitty.tensor([-1., 1.]), kitty.tensor([0.25]))
    tensor([-0.2500,  1.0000])
    """
    x, w = _float(input, "prelu"), as_tensor_arg(weight, "weight")
    channels = x._data.shape[1] if x._data.ndim >= 2 else (x._data.shape[0] if x._data.ndim == 1 else 1)
    if w._data.size not in (1, channels):
        raise KittyRuntimeError(
            f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{w._data.size} and channel size = {channels}."
        )
    _same_dtype("prelu", x, w)
    return Prelu.apply(x, w)


# ---------------------------------------------------------------------------------------------
# linear maps


class Linear(Op):
    """``x @ w.T + b`` in one node (the gradient of b is summed over the leading dims)."""

    saved_inputs = (0, 1)
    _name = "AddmmBackward"

    def forward(self, x, w, b):
        self.x, self.w = x, w
        out = x @ w.T
        if b is not None:
            out += b
        return out

    def backward(self, g):
        need = self.needs_input_grad
        x, w = self.x, self.w
        gx = gw = gb = None
        if need[0]:
            gx = g @ w
        if need[1] or need[2]:
            g2 = g.reshape(-1, w.shape[0])
            if need[1]:
                gw = g2.T @ x.reshape(-1, w.shape[1])
            if need[2]:
                gb = g2.sum(0)
        return gx, gw, gb


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` (torch's layout: weight is ``(out_features, in_features)``).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.linear(kitty.ones(2, 3), kitty.ones(4, 3)).shape
    kittygrad.Size([2, 4])
    """
    x, w = as_tensor_arg(input), as_tensor_arg(weight, "weight")
    b = as_tensor_arg(bias, "bias") if bias is not None else None
    if w._data.ndim != 2:
        raise KittyRuntimeError(f"linear: weight must be 2-D, got {w._data.ndim}-D")
    if x._data.ndim == 0 or x._data.shape[-1] != w._data.shape[1]:
        shape = x._data.shape
        rows = int(math.prod(shape[:-1])) if len(shape) > 1 else 1
        raise KittyRuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{shape[-1] if shape else 1} and "
            f"{w._data.shape[1]}x{w._data.shape[0]})"
        )
    _same_dtype("linear", x, w, b)
    return Linear.apply(x, w, b)


class Bilinear(Op):
    """``y[n, o] = x1[n, i] w[o, i, j] x2[n, j] + b[o]``."""

    saved_inputs = (0, 1, 2)

    def forward(self, x1, x2, w, b):
        xp = self.xp
        lead = x1.shape[:-1]
        a = x1.reshape(-1, x1.shape[-1])
        c = x2.reshape(-1, x2.shape[-1])
        self.a, self.c, self.w, self.lead = a, c, w, lead
        out = xp.einsum("ni,oij,nj->no", a, w, c, optimize=True)
        if b is not None:
            out += b
        return out.reshape(lead + (w.shape[0],))

    def composite(self, x1, x2, w, b):
        out = _kt().einsum("...i,oij,...j->...o", x1, w, x2)
        return out + b if b is not None else out

    def backward(self, g):
        xp = self.xp
        need = self.needs_input_grad
        a, c, w = self.a, self.c, self.w
        g2 = g.reshape(-1, w.shape[0])
        g1 = gc = gw = gb = None
        if need[0]:
            g1 = xp.einsum("no,oij,nj->ni", g2, w, c, optimize=True).reshape(self.lead + (a.shape[1],))
        if need[1]:
            gc = xp.einsum("no,oij,ni->nj", g2, w, a, optimize=True).reshape(self.lead + (c.shape[1],))
        if need[2]:
            gw = xp.einsum("no,ni,nj->oij", g2, a, c, optimize=True)
        if need[3]:
            gb = g2.sum(0)
        return g1, gc, gw, gb


def bilinear(input1, input2, weight, bias=None):
    """``x1^T W x2 + b`` for each output feature; weight is ``(out, in1, in2)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.bilinear(kitty.ones(2, 3), kitty.ones(2, 4), kitty.ones(5, 3, 4)).shape
    kittygrad.Size([2, 5])
    """
    x1, x2, w = as_tensor_arg(input1), as_tensor_arg(input2, "input2"), as_tensor_arg(weight, "weight")
    b = as_tensor_arg(bias, "bias") if bias is not None else None
    if x1._data.shape[:-1] != x2._data.shape[:-1]:
        raise KittyRuntimeError(
            f"bilinear(): input batch dimensions do not match: got {list(x1.shape[:-1])} and {list(x2.shape[:-1])}"
        )
    if w._data.ndim != 3 or w._data.shape[1] != x1._data.shape[-1] or w._data.shape[2] != x2._data.shape[-1]:
        raise KittyRuntimeError(
            f"bilinear(): weight of shape {list(w.shape)} does not match inputs with "
            f"{x1._data.shape[-1]} and {x2._data.shape[-1]} features"
        )
    _same_dtype("bilinear", x1, x2, w, b)
    return Bilinear.apply(x1, x2, w, b)


# ---------------------------------------------------------------------------------------------
# convolution: im2col through stride tricks, one batched matmul per call


def _windows(x, ksize, stride, dilation):
    """A view ``(N, C, *out, *k)`` of the sliding windows over ``x``'s spatial dims."""
    nd = len(ksize)
    eff = tuple(d * (k - 1) + 1 for k, d in zip(ksize, dilation))
    v = xp.lib.stride_tricks.sliding_window_view(x, eff, axis=tuple(range(2, 2 + nd)))
    idx = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)
    idx += tuple(slice(None, None, d) for d in dilation)
    return v[idx]


def _im2col(xpad, ksize, stride, dilation, groups, limit=None):
    """The ``(G, Cg*K, N*P)`` patch matrix of a padded input, and the output's spatial size.

    The input is read channel-first (``(C, N, *spatial)``), so the innermost copied axis is
    contiguous in memory; this makes the gather several times faster than a row-per-patch layout.
    """
    nd = len(ksize)
    n, c = xpad.shape[:2]
    v = _windows(xpad.swapaxes(0, 1), ksize, stride, dilation)  # (C, N, *out, *k)
    if limit is not None:
        v = v[(slice(None), slice(None)) + tuple(slice(0, m) for m in limit)]
    out_sz = tuple(v.shape[2 : 2 + nd])
    v = v.reshape((groups, c // groups) + v.shape[1:])  # (G, Cg, N, *out, *k)
    perm = (0, 1) + tuple(range(3 + nd, 3 + 2 * nd)) + (2,) + tuple(range(3, 3 + nd))
    cols = v.transpose(perm).reshape(groups, (c // groups) * math.prod(ksize), n * math.prod(out_sz))
    return cols, out_sz


def _to_cmat(g, groups):
    """``(N, O, *sp)`` -> ``(G, O/G, N*P)``."""
    o = g.shape[1]
    return g.swapaxes(0, 1).reshape(groups, o // groups, -1)


def _from_cmat(m, n, out_sz):
    """``(G, Og, N*P)`` -> ``(N, G*Og, *out)``, contiguous."""
    groups, og, _ = m.shape
    return xp.ascontiguousarray(m.reshape((groups * og, n) + tuple(out_sz)).swapaxes(0, 1))


def _col2im(cols, xshape, ksize, stride, dilation, groups, out_sz):
    """Adjoint of :func:`_im2col`: add each patch's gradient back onto the (padded) input.

    Returns an ``(N, C, *spatial)`` view of a channel-first array.
    """
    n, c = xshape[:2]
    cg = c // groups
    gc = cols.reshape((groups, cg) + tuple(ksize) + (n,) + tuple(out_sz))
    gxt = xp.zeros((c, n) + tuple(xshape[2:]), cols.dtype)
    view = gxt.reshape((groups, cg, n) + tuple(xshape[2:]))
    for kidx in itertools.product(*(range(k) for k in ksize)):
        sl = (slice(None), slice(None), slice(None)) + tuple(
            slice(k * d, k * d + s * (o - 1) + 1, s) for k, d, s, o in zip(kidx, dilation, stride, out_sz)
        )
        view[sl] += gc[(slice(None), slice(None)) + kidx]
    return gxt.swapaxes(0, 1)


def _pad_array(x, pads, value=0):
    if not any(lo or hi for lo, hi in pads):
        return x
    return xp.pad(x, ((0, 0), (0, 0)) + tuple(pads), constant_values=value)


def _crop(x, pads, shape):
    if not any(lo or hi for lo, hi in pads):
        return x
    return x[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, shape))]


class ConvNd(Op):
    """N-d cross-correlation (torch's convolution) with stride, padding, dilation and groups:
    one im2col gather and one batched matmul (BLAS) forward, two matmuls and a col2im backward."""

    saved_inputs = (0, 1)
    _name = "ConvolutionBackward"
    graph_formal_inputs = (0, 1)  # torch: convolution_backward(grad, input, weight, ...)

    def forward(self, x, w, b, stride=(1,), padding=((0, 0),), dilation=(1,), groups=1):
        need = _needs(self)
        xpad = _pad_array(x, padding)
        ksize = w.shape[2:]
        cols, out_sz = _im2col(xpad, ksize, stride, dilation, groups)
        wm = w.reshape(groups, w.shape[0] // groups, -1)
        out = _from_cmat(wm @ cols, x.shape[0], out_sz)
        if b is not None:
            out += b.reshape((1, -1) + (1,) * len(out_sz))
        self.args = (x.shape, xpad.shape, w.shape, stride, padding, dilation, groups, out_sz)
        self.wm = wm
        if len(need) > 1 and need[1]:
            self.cols = cols
        return out

    def composite(self, x, w, b, stride=(1,), padding=((0, 0),), dilation=(1,), groups=1):
        """The same convolution from differentiable ops: one strided slice of the padded input per
        kernel offset, stacked, and one einsum (what double backward differentiates)."""
        k = _kt()
        n, c = x._data.shape[:2]
        o = w._data.shape[0]
        ksize = w._data.shape[2:]
        out_sz = self.args[-1]
        xpad = _tpad(x, ((0, 0), (0, 0)) + tuple(padding))
        patches = []
        for kidx in itertools.product(*(range(kk) for kk in ksize)):
            p = xpad
            for i, (kk, d, st, m) in enumerate(zip(kidx, dilation, stride, out_sz)):
                p = _tslice(p, 2 + i, kk * d, m, st)
            patches.append(p.reshape(n, groups, c // groups, -1))
        cols = k.stack(patches, dim=-1)  # (N, G, Cg, P, K)
        wm = w.reshape(groups, o // groups, c // groups, -1)  # (G, Og, Cg, K)
        out = k.einsum("ngcpk,gock->ngop", cols, wm).reshape((n, o) + tuple(out_sz))
        if b is not None:
            out = out + b.reshape((1, -1) + (1,) * len(out_sz))
        return out

    def backward(self, g):
        need = self.needs_input_grad
        xshape, pshape, wshape, stride, padding, dilation, groups, out_sz = self.args
        gm = _to_cmat(g, groups)
        gx = gw = gb = None
        if need[0]:
            gpad = _col2im(self.wm.transpose(0, 2, 1) @ gm, pshape, wshape[2:], stride, dilation, groups, out_sz)
            gx = xp.ascontiguousarray(_crop(gpad, padding, xshape[2:]))
        if need[1]:
            gw = (gm @ self.cols.transpose(0, 2, 1)).reshape(wshape)
        if need[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        return gx, gw, gb


class ConvTransposeNd(Op):
    """The adjoint of :class:`ConvNd` in its input (a "deconvolution"); weight is ``(Cin, Cout/G, *k)``."""

    saved_inputs = (0, 1)
    _name = "ConvolutionBackward"
    graph_formal_inputs = (0, 1)  # torch: convolution_backward(grad, input, weight, ...)

    def forward(self, x, w, b, stride=(1,), padding=(0,), output_padding=(0,), dilation=(1,), groups=1):
        n, cin = x.shape[:2]
        sp = x.shape[2:]
        ksize = w.shape[2:]
        cout = w.shape[1] * groups
        full = tuple((n_ - 1) * s + d * (k - 1) + 1 + op for n_, s, d, k, op in zip(sp, stride, dilation, ksize, output_padding))
        wm = w.reshape(groups, cin // groups, -1)
        xm = _to_cmat(x, groups)
        outpad = _col2im(wm.transpose(0, 2, 1) @ xm, (n, cout) + full, ksize, stride, dilation, groups, sp)
        out_sz = tuple(f - 2 * p for f, p in zip(full, padding))
        pads = tuple((p, p) for p in padding)
        out = xp.ascontiguousarray(_crop(outpad, pads, out_sz))
        if b is not None:
            out += b.reshape((1, -1) + (1,) * len(sp))
        self.xm, self.wm = xm, wm
        self.args = (x.shape, w.shape, full, pads, stride, dilation, groups)
        return out

    def composite(self, x, w, b, stride=(1,), padding=(0,), output_padding=(0,), dilation=(1,), groups=1):
        """The same transposed convolution from differentiable ops: per kernel offset, the input
        times that offset's weights, spread out by the stride (zeros between) and shifted into
        place by padding; summed, then cropped (what double backward differentiates)."""
        k = _kt()
        n, cin = x._data.shape[:2]
        sp = x._data.shape[2:]
        ksize = w._data.shape[2:]
        cog = w._data.shape[1]
        full, pads = self.args[2], self.args[3]
        xm = x.reshape(n, groups, cin // groups, -1)  # (N, G, Cg, P)
        wm = w.reshape(groups, cin // groups, cog, -1)  # (G, Cg, Og, K)
        ys = k.einsum("ngcp,gcok->kngop", xm, wm)  # (K, N, G, Og, P)
        out = None
        for q, kidx in enumerate(itertools.product(*(range(kk) for kk in ksize))):
            y = _tslice(ys, 0, q, 1).reshape((n, groups * cog) + tuple(sp))
            for i, (kk, d, st, m, f) in enumerate(zip(kidx, dilation, stride, sp, full)):
                ax = 2 + i
                shape = y._data.shape
                if st > 1:  # spread: m values, each followed by st - 1 zeros
                    pairs = [(0, 0)] * (len(shape) + 1)
                    pairs[ax + 1] = (0, st - 1)
                    y = _tpad(y.reshape(shape[: ax + 1] + (1,) + shape[ax + 1:]), pairs)
                    y = y.reshape(shape[:ax] + (m * st,) + shape[ax + 1:])
                pairs = [(0, 0)] * len(shape)
                pairs[ax] = (kk * d, f - kk * d - m * st)
                y = _tpad(y, pairs)
            out = y if out is None else out + y
        out = _tpad(out, ((0, 0), (0, 0)) + tuple((-lo, -hi) for lo, hi in pads))
        if b is not None:
            out = out + b.reshape((1, -1) + (1,) * len(sp))
        return out

    def backward(self, g):
        need = self.needs_input_grad
        xshape, wshape, full, pads, stride, dilation, groups = self.args
        n = xshape[0]
        gpad = xp.zeros((n, g.shape[1]) + full, g.dtype)
        gpad[(slice(None), slice(None)) + tuple(slice(lo, lo + s) for (lo, _), s in zip(pads, g.shape[2:]))] = g
        cols, _ = _im2col(gpad, wshape[2:], stride, dilation, groups, limit=xshape[2:])
        gx = gw = gb = None
        if need[0]:
            gx = _from_cmat(self.wm @ cols, n, xshape[2:])
        if need[1]:
            gw = (self.xm @ cols.transpose(0, 2, 1)).reshape(wshape)
        if need[2]:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        return gx, gw, gb


def _conv_prepare(name, nd, input, weight, bias, groups):
    x, w = as_tensor_arg(input), as_tensor_arg(weight, "weight")
    b = as_tensor_arg(bias, "bias") if bias is not None else None
    unbatched = x._data.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    if x._data.ndim != nd + 2:
        raise KittyRuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
            f"size: {list(x._data.shape)}"
        )
    if w._data.ndim != nd + 2:
        raise KittyRuntimeError(f"{name}: weight must be {nd + 2}-D, got {w._data.ndim}-D")
    if groups < 1:
        raise KittyRuntimeError("non-positive groups is not supported")
    _same_dtype(name, x, w, b)
    if x._data.dtype.kind != "f":
        raise KittyRuntimeError(f'"{name}" not implemented for \'{_type_name(x)}\'')
    return x, w, b, unbatched


def _conv(nd, name, input, weight, bias, stride, padding, dilation, groups):
    x, w, b, unbatched = _conv_prepare(name, nd, input, weight, bias, groups)
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    ksize = w._data.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise KittyValueError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(ksize, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            pads = tuple(pads)
        else:
            raise KittyValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    else:
        pads = tuple((p, p) for p in _ntuple(padding, nd, "padding"))
    cin = x._data.shape[1]
    if w._data.shape[1] * groups != cin:
        raise KittyRuntimeError(
            f"Given groups={groups}, weight of size {list(w._data.shape)}, expected input"
            f"{list(x._data.shape)} to have {w._data.shape[1] * groups} channels, but got {cin} channels instead"
        )
    if w._data.shape[0] % groups:
        raise KittyRuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
            f"weight of size {list(w._data.shape)} instead"
        )
    for n_, (lo, hi), k, d in zip(x._data.shape[2:], pads, ksize, dilation):
        if n_ + lo + hi < d * (k - 1) + 1:
            raise KittyRuntimeError(
                f"Calculated padded input size per channel: ({n_ + lo + hi}). Kernel size: ({d * (k - 1) + 1}). "
                "Kernel size can't be greater than actual input size"
            )
    out = ConvNd.apply(x, w, b, stride=stride, padding=pads, dilation=dilation, groups=groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """1-D convolution over ``(N, C, L)`` with weight ``(O, C/groups, k)``; padding may be 'same'/'valid'.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv1d(kitty.ones(1, 2, 5), kitty.ones(3, 2, 3)).shape
    kittygrad.Size([1, 3, 3])
    """
    return _conv(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """2-D convolution over ``(N, C, H, W)`` with weight ``(O, C/groups, kh, kw)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv2d(kitty.ones(1, 2, 5, 5), kitty.ones(3, 2, 3, 3), padding=1).shape
    kittygrad.Size([1, 3, 5, 5])
    """
    return _conv(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """3-D convolution over ``(N, C, D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv3d(kitty.ones(1, 1, 3, 3, 3), kitty.ones(2, 1, 2, 2, 2)).shape
    kittygrad.Size([1, 2, 2, 2, 2])
    """
    return _conv(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(nd, name, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, w, b, unbatched = _conv_prepare(name, nd, input, weight, bias, groups)
    stride = _ntuple(stride, nd, "stride")
    padding = _ntuple(padding, nd, "padding")
    output_padding = _ntuple(output_padding, nd, "output_padding")
    dilation = _ntuple(dilation, nd, "dilation")
    if w._data.shape[0] != x._data.shape[1]:
        raise KittyRuntimeError(
            f"Given transposed=1, weight of size {list(w._data.shape)}, expected input{list(x._data.shape)} "
            f"to have {w._data.shape[0]} channels, but got {x._data.shape[1]} channels instead"
        )
    if x._data.shape[1] % groups:
        raise KittyRuntimeError(f"{name}: input channels must be divisible by groups={groups}")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise KittyRuntimeError("output padding must be smaller than either stride or dilation")
    out = ConvTransposeNd.apply(
        x, w, b, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups
    )
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1):
    """Transposed 1-D convolution; weight is ``(C_in, C_out/groups, k)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv_transpose1d(kitty.ones(1, 2, 4), kitty.ones(2, 3, 3), stride=2).shape
    kittygrad.Size([1, 3, 9])
    """
    return _conv_transpose(1, "conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1):
    """Transposed 2-D convolution; weight is ``(C_in, C_out/groups, kh, kw)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.conv_transpose2d(kitty.ones(1, 2, 4, 4), kitty.ones(2, 3, 2, 2), stride=2).shape
    kittygrad.Size([1, 3, 8, 8])
    """
    return _conv_transpose(2, "conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups, dilation)


# ---------------------------------------------------------------------------------------------
# pooling: a loop over the kernel offsets, each a strided slice (no window copy)


def _pool_out(n, k, s, p, d, ceil_mode):
    num = n + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_geometry(name, x, kernel, stride, padding, dilation, ceil_mode):
    nd = len(kernel)
    sp = x.shape[2:]
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise KittyRuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and "
                f"dilation={d}"
            )
    out_sz = tuple(_pool_out(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(sp, kernel, stride, padding, dilation))
    if any(o < 1 for o in out_sz):
        raise KittyRuntimeError(
            f"Given input size: ({'x'.join(map(str, x.shape[1:]))}). Calculated output size: "
            f"({'x'.join(map(str, (x.shape[1],) + out_sz))}). Output size is too small"
        )
    pads = tuple(
        (p, max(p, (o - 1) * s + d * (k - 1) + 1 - n - p))
        for n, k, s, p, d, o in zip(sp, kernel, stride, padding, dilation, out_sz)
    )
    del nd
    return out_sz, pads


def _offset_slices(kernel, stride, dilation, out_sz):
    for q, kidx in enumerate(itertools.product(*(range(k) for k in kernel))):
        yield q, (slice(None), slice(None)) + tuple(
            slice(k * d, k * d + s * (o - 1) + 1, s) for k, d, s, o in zip(kidx, dilation, stride, out_sz)
        )


class MaxPoolNd(Op):
    """Max over each window; the gradient goes to the first maximum (as torch)."""

    _name = "MaxPoolWithIndicesBackward"
    graph_formal_inputs = (0,)  # torch: max_pool2d_with_indices_backward(grad, self, ...)

    def forward(self, x, kernel=(1,), stride=(1,), padding=(0,), dilation=(1,), ceil_mode=False, return_indices=False):
        out_sz, pads = _pool_geometry("max_pool", x, kernel, stride, padding, dilation, ceil_mode)
        # windows that tile the input (stride == kernel, no padding/dilation) get a faster backward
        self.tiled = stride == kernel and all(d == 1 for d in dilation) and not any(lo or hi for lo, hi in pads)
        low = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
        xpad = _pad_array(x, pads, low)
        nan = x.dtype.kind == "f" and bool(xp.isnan(x).any())
        out = arg = None
        k = math.prod(kernel)
        for q, sl in _offset_slices(kernel, stride, dilation, out_sz):
            v = xpad[sl]
            if out is None:
                out = v.copy()
                arg = xp.zeros(out.shape, xp.int8 if k < 128 else xp.int64)
                continue
            upd = v > out
            if nan:
                upd |= xp.isnan(v)
            xp.copyto(out, v, where=upd)
            xp.copyto(arg, q, where=upd)
        self.arg = arg
        self.args = (x.shape, xpad.shape, pads, kernel, stride, dilation, out_sz)
        if return_indices:
            return out, self._indices(x.shape, pads, kernel, stride, dilation, out_sz)
        return out

    def _indices(self, xshape, pads, kernel, stride, dilation, out_sz):
        nd = len(kernel)
        offs = xp.unravel_index(self.arg, kernel)
        flat = xp.zeros(self.arg.shape, xp.int64)
        for i in range(nd):
            o = xp.arange(out_sz[i]).reshape((-1,) + (1,) * (nd - 1 - i))
            pos = o * stride[i] + offs[i] * dilation[i] - pads[i][0]
            flat = flat * xshape[2 + i] + pos
        return flat

    def backward(self, g, *unused):
        xshape, pshape, pads, kernel, stride, dilation, out_sz = self.args
        if self.tiled:
            # every input element is in at most one window: write each offset's share directly
            blocks = xp.zeros_like(g, shape=xshape[:2] + tuple(v for o, k in zip(out_sz, kernel) for v in (o, k)))
            fast = B.is_array(g) and xp.isfinite(g.sum())  # (see masked_grad)
            for q, kidx in enumerate(itertools.product(*(range(k) for k in kernel))):
                sl = (slice(None), slice(None)) + tuple(v for i in kidx for v in (slice(None), i))
                # a select, as torch (an infinite gradient must not leave nan at the others)
                if fast:
                    xp.multiply(g, self.arg == q, out=blocks[sl])
                else:
                    blocks[sl] = xp.where(self.arg == q, g, 0)
            full = blocks.reshape(xshape[:2] + tuple(o * k for o, k in zip(out_sz, kernel)))
            if full.shape == tuple(xshape):
                return (full,)
            gx = xp.zeros_like(g, shape=xshape)
            gx[(slice(None), slice(None)) + tuple(slice(0, n) for n in full.shape[2:])] = full
            return (gx,)
        gx = xp.zeros_like(g, shape=pshape)  # (zeros_like: a graph-building g stays one)
        for q, sl in _offset_slices(kernel, stride, dilation, out_sz):
            gx[sl] += xp.where(self.arg == q, g, 0)
        return (_crop(gx, pads, xshape[2:]),)


class AvgPoolNd(Op):
    saved_inputs = ()
    graph_formal_inputs = (0,)  # torch: avg_pool2d_backward(grad, self, ...)
    graph_constants = ("div",)  # window sizes: depend on shapes only

    def forward(self, x, kernel=(1,), stride=(1,), padding=(0,), ceil_mode=False, count_include_pad=True, divisor_override=None):
        nd = len(kernel)
        dil = (1,) * nd
        out_sz, pads = _pool_geometry("avg_pool", x, kernel, stride, padding, dil, ceil_mode)
        xpad = _pad_array(x, pads)
        out = None
        for _, sl in _offset_slices(kernel, stride, dil, out_sz):
            out = xpad[sl].copy() if out is None else out + xpad[sl]
        if divisor_override:
            div = x.dtype.type(divisor_override)
        else:
            div = xp.ones((), x.dtype)
            for i, (n, k, s, (lo, hi), o) in enumerate(zip(x.shape[2:], kernel, stride, pads, out_sz)):
                ind = xp.zeros(n + lo + hi)
                if count_include_pad:
                    ind[: n + 2 * lo] = 1
                else:
                    ind[lo : lo + n] = 1
                csum = xp.concatenate([[0.0], xp.cumsum(ind)])
                starts = xp.arange(o) * s
                cnt = (csum[starts + k] - csum[starts]).astype(x.dtype)
                div = div * cnt.reshape((-1,) + (1,) * (nd - 1 - i))
        self.div = div
        self.args = (x.shape, xpad.shape, pads, kernel, stride, out_sz)
        return out / div

    def backward(self, g):
        xshape, pshape, pads, kernel, stride, out_sz = self.args
        gd = g / self.div
        gx = xp.zeros_like(g, shape=pshape)
        for _, sl in _offset_slices(kernel, stride, (1,) * len(kernel), out_sz):
            gx[sl] += gd
        return (_crop(gx, pads, xshape[2:]),)


def _pool_args(nd, name, input, kernel_size, stride, padding):
    x = as_tensor_arg(input)
    unbatched = x._data.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    if x._data.ndim != nd + 2:
        raise KittyRuntimeError(
            f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for input, but got {list(x._data.shape)}"
        )
    kernel = _ntuple(kernel_size, nd, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _ntuple(stride, nd, "stride")
    padding = _ntuple(padding, nd, "padding")
    return x, unbatched, kernel, stride, padding


def _max_pool(nd, name, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unbatched, kernel, stride, padding = _pool_args(nd, name, input, kernel_size, stride, padding)
    dilation = _ntuple(dilation, nd, "dilation")
    out = MaxPoolNd.apply(
        x, kernel=kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=bool(ceil_mode),
        return_indices=bool(return_indices),
    )
    if unbatched:
        return tuple(o.squeeze(0) for o in out) if return_indices else out.squeeze(0)
    return out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of ``(N, C, L)``; ``return_indices`` also gives the argmax positions.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.max_pool1d(kitty.tensor([[[1., 3., 2., 0.]]]), 2)
    tensor([[[3., 2.]]])
    """
    return _max_pool(1, "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False, return_indices: bool = False):
    """Max over sliding windows of ``(N, C, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.max_pool2d(kitty.ones(1, 1, 4, 4), 2).shape
    kittygrad.Size([1, 1, 2, 2])
    """
    return _max_pool(2, "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _avg_pool(nd, name, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    x, unbatched, kernel, stride, padding = _pool_args(nd, name, input, kernel_size, stride, padding)
    if x._data.dtype.kind != "f":
        raise KittyRuntimeError(f'"{name}" not implemented for \'{_type_name(x)}\'')
    if divisor_override is not None and divisor_override == 0:
        raise KittyRuntimeError("divisor must be not zero")
    out = AvgPoolNd.apply(
        x, kernel=kernel, stride=stride, padding=padding, ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad), divisor_override=divisor_override,
    )
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True):
    """Mean over sliding windows of ``(N, C, L)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.avg_pool1d(kitty.tensor([[[1., 3., 2., 0.]]]), 2)
    tensor([[[2., 1.]]])
    """
    return _avg_pool(1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True, divisor_override=None):
    """Mean over sliding windows of ``(N, C, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.avg_pool2d(kitty.ones(1, 1, 4, 4), 2).shape
    kittygrad.Size([1, 1, 2, 2])
    """
    return _avg_pool(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


# ---------------------------------------------------------------------------------------------
# normalisation: one fused op for batch, layer, group and RMS norm


class Norm(Op):
    """``(x - mean) / sqrt(var + eps) * w + b`` with the statistics over some axes.

    ``stat_shape``/``axes``: x is viewed as ``stat_shape`` and reduced over ``axes``.
    ``param_shape``: the shape w and b broadcast as. ``center=False`` gives RMS norm.
    ``stats``: given (mean, var) arrays (batch norm in eval mode); no gradient flows into them.
    ``sink``: a dict that receives the batch mean and biased variance (running statistics).
    """

    _name = "NativeBatchNormBackward"
    saved_inputs = (1,)  # backward reads the weight (x enters only through the saved xhat)

    @property
    def graph_formal_inputs(self):
        # torch: native_batch_norm_backward / native_layer_norm_backward(grad, input, weight, ...);
        # its group and RMS norms are composites, whose gradients take no such formal inputs
        return (0, 1) if self._name in ("NativeBatchNormBackward", "NativeLayerNormBackward") else ()

    def forward(self, x, w, b, stat_shape=(), axes=(), param_shape=(), center=True, eps=1e-5, stats=None, sink=None, name=None):
        self.dt = dt = x.dtype
        if dt == xp.float16:  # statistics in float32, as torch: x * x overflows float16 beyond 256
            x = x.astype(xp.float32)
        xr = x.reshape(stat_shape)
        if stats is not None:
            mean, var = stats
            self.fixed = True
        else:
            self.fixed = False
            if center:
                mean = xr.mean(axis=axes, keepdims=True)
                xc = xr - mean
                var = (xc * xc).mean(axis=axes, keepdims=True)
            else:
                mean = None
                var = (xr * xr).mean(axis=axes, keepdims=True)
            if sink is not None:
                sink["mean"], sink["var"] = mean, var
        rstd = 1 / xp.sqrt(var + eps)
        xhat = ((xr - mean) * rstd if mean is not None else xr * rstd).reshape(x.shape)
        self.xhat, self.rstd = xhat, rstd.astype(x.dtype, copy=False)
        self.args = (stat_shape, axes, param_shape, center)
        self.wb = w.reshape(param_shape) if w is not None else None
        self.shapes = (w.shape if w is not None else None, b.shape if b is not None else None)
        if name is not None:
            self._name = name
        # without weight the output must not be the saved xhat itself: an in-place change to the
        # output (allowed, as torch saves no output here) would corrupt the gradient
        out = xhat * self.wb if w is not None else (xhat if b is not None else xhat.copy())
        if b is not None:
            out = out + b.reshape(param_shape)
        return out.astype(dt, copy=False)

    def composite(self, x, w, b, stat_shape=(), axes=(), param_shape=(), center=True, eps=1e-5, stats=None, sink=None, name=None):
        """The same normalisation from differentiable ops (no side effects: ``sink`` is left alone)."""
        dt = x.dtype
        if dt == _kt().float16:
            x = x.float()
        xr = x.reshape(stat_shape)
        axes = tuple(axes)
        if stats is not None:
            mean, var = _const(stats[0], xr), _const(stats[1], xr)
        elif center:
            mean = xr.mean(axes, keepdim=True)
            xc = xr - mean
            var = (xc * xc).mean(axes, keepdim=True)
        else:
            mean = None
            var = (xr * xr).mean(axes, keepdim=True)
        rstd = (var + eps).rsqrt()
        xhat = ((xr - mean) * rstd if mean is not None else xr * rstd).reshape(x.shape)
        out = xhat * w.reshape(param_shape) if w is not None else xhat
        if b is not None:
            out = out + b.reshape(param_shape)
        return out.to(dt)

    def backward(self, g):
        need = self.needs_input_grad
        stat_shape, axes, param_shape, center = self.args
        xhat, rstd = self.xhat, self.rstd
        gx = gw = gb = None
        if need[1]:
            gw = B.sum_to_shape(g * xhat, param_shape).reshape(self.shapes[0])
        if need[2]:
            gb = B.sum_to_shape(g, param_shape).reshape(self.shapes[1])
        if need[0]:
            gh = g * self.wb if self.wb is not None else g
            gh = gh.reshape(stat_shape)
            if self.fixed:
                gx = gh * rstd
            else:
                xr = xhat.reshape(stat_shape)
                proj = (gh * xr).mean(axis=axes, keepdims=True)
                inner = gh - xr * proj
                if center:
                    inner = inner - gh.mean(axis=axes, keepdims=True)
                gx = inner * rstd
            gx = gx.reshape(g.shape)
        if self.dt == xp.float16:
            return tuple(None if a is None else a.astype(self.dt) for a in (gx, gw, gb))
        return gx, gw, gb


def _norm_params(name, x, weight, bias):
    w = as_tensor_arg(weight, "weight") if weight is not None else None
    b = as_tensor_arg(bias, "bias") if bias is not None else None
    _same_dtype(name, x, w, b)
    return w, b


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each channel (dim 1) by batch statistics (training) or the running ones (eval).

    In training, ``running_mean``/``running_var`` (when given) are updated in place with
    ``momentum`` (unbiased variance), as torch.

    >>> import kittygrad as kitty
    >>> x = kitty.randn(8, 3)
    >>> kitty.nn.functional.batch_norm(x, None, None, training=True).mean(0).abs().max() < 1e-5
    tensor(True)
    """
    x = _float(input, "batch_norm")
    w, b = _norm_params("batch_norm", x, weight, bias)
    shape = x._data.shape
    if x._data.ndim < 2:
        raise KittyValueError(f"expected 2D or higher input (got {x._data.ndim}D input)")
    c = shape[1]
    for t, what in ((running_mean, "running_mean"), (running_var, "running_var"), (w, "weight"), (b, "bias")):
        if t is not None and t._data.size != c:
            raise KittyRuntimeError(f"{what} should contain {c} elements not {t._data.size}")
    axes = (0,) + tuple(range(2, len(shape)))
    param_shape = (1, c) + (1,) * (len(shape) - 2)
    if training:
        count = shape[0] * math.prod(shape[2:])
        if count <= 1:
            raise KittyValueError(
                f"Expected more than 1 value per channel when training, got input size {x.shape}"
            )
        sink = {}
        out = Norm.apply(
            x, w, b, stat_shape=shape, axes=axes, param_shape=param_shape, center=True, eps=eps, sink=sink,
            name="NativeBatchNormBackward",
        )
        if running_mean is not None:
            m = running_mean._data
            _assign(running_mean, (1 - momentum) * m + momentum * sink["mean"].reshape(-1).astype(m.dtype))
        if running_var is not None:
            v = running_var._data
            unbiased = sink["var"].reshape(-1) * (count / (count - 1))
            _assign(running_var, (1 - momentum) * v + momentum * unbiased.astype(v.dtype))
        return out
    if running_mean is None or running_var is None:
        raise KittyRuntimeError("running_mean and running_var must be defined in evaluation mode")
    dt = x._data.dtype
    stats = (running_mean._data.astype(dt).reshape(param_shape), running_var._data.astype(dt).reshape(param_shape))
    return Norm.apply(
        x, w, b, stat_shape=shape, axes=axes, param_shape=param_shape, eps=eps, stats=stats,
        name="NativeBatchNormBackward",
    )


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each channel of each sample over its spatial dims.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.instance_norm(kitty.randn(2, 3, 5)).shape
    kittygrad.Size([2, 3, 5])
    """
    x = _float(input, "instance_norm")
    w, b = _norm_params("instance_norm", x, weight, bias)
    shape = x._data.shape
    n, c = shape[:2]
    param_shape = (1, c) + (1,) * (len(shape) - 2)
    stat_shape = (n, c, -1)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise KittyRuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        dt = x._data.dtype
        stats = (running_mean._data.astype(dt).reshape(1, c, 1), running_var._data.astype(dt).reshape(1, c, 1))
        return Norm.apply(x, w, b, stat_shape=stat_shape, axes=(2,), param_shape=param_shape, eps=eps, stats=stats)
    sink = {}
    out = Norm.apply(x, w, b, stat_shape=stat_shape, axes=(2,), param_shape=param_shape, eps=eps, sink=sink)
    count = math.prod(shape[2:])
    if running_mean is not None:
        m = running_mean._data
        _assign(running_mean, (1 - momentum) * m + momentum * sink["mean"].reshape(n, c).mean(0).astype(m.dtype))
    if running_var is not None:
        v = running_var._data
        unbiased = sink["var"].reshape(n, c).mean(0) * (count / max(count - 1, 1))
        _assign(running_var, (1 - momentum) * v + momentum * unbiased.astype(v.dtype))
    return out


def _check_normalized_shape(name, x, normalized_shape):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(n) for n in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or x._data.shape[x._data.ndim - k :] != normalized_shape or x._data.ndim < k:
        raise KittyRuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(x._data.shape)}"
        )
    return normalized_shape


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims of each sample.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.layer_norm(kitty.tensor([[1., 3.]]), (2,))
    tensor([[-1.0000,  1.0000]])
    """
    x = _float(input, "layer_norm")
    w, b = _norm_params("layer_norm", x, weight, bias)
    ns = _check_normalized_shape("layer_norm", x, normalized_shape)
    k = len(ns)
    nd = x._data.ndim
    return Norm.apply(
        x, w, b, stat_shape=x._data.shape, axes=tuple(range(nd - k, nd)), param_shape=ns, eps=eps,
        name="NativeLayerNormBackward",
    )


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    """Normalise each group of channels of each sample.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.group_norm(kitty.randn(2, 4, 3), 2).shape
    kittygrad.Size([2, 4, 3])
    """
    x = _float(input, "group_norm")
    w, b = _norm_params("group_norm", x, weight, bias)
    shape = x._data.shape
    if x._data.ndim < 2 or shape[1] % num_groups:
        raise KittyRuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{list(shape)} and num_groups={num_groups}"
        )
    c = shape[1]
    return Norm.apply(
        x, w, b, stat_shape=(shape[0], num_groups, -1), axes=(2,), param_shape=(1, c) + (1,) * (len(shape) - 2),
        eps=eps, name="NativeGroupNormBackward",
    )


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x**2) + eps) * weight`` over the last dims; ``eps`` defaults to the dtype's eps.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.rms_norm(kitty.tensor([[3., 4.]]), (2,)).shape
    kittygrad.Size([1, 2])
    """
    x = _float(input, "rms_norm")
    w, _ = _norm_params("rms_norm", x, weight, None)
    ns = _check_normalized_shape("rms_norm", x, normalized_shape)
    if eps is None:
        eps = float(xp.finfo(x._data.dtype).eps)
    k = len(ns)
    nd = x._data.ndim
    return Norm.apply(
        x, w, None, stat_shape=x._data.shape, axes=tuple(range(nd - k, nd)), param_shape=ns, center=False,
        eps=eps, name="RmsNormBackward",
    )


# ---------------------------------------------------------------------------------------------
# embedding and padding


class Embedding(Op):
    """Rows of ``weight`` picked by integer ``indices``; repeated rows add their gradients."""

    _name = "EmbeddingBackward"

    def forward(self, w, indices=None, padding_idx=None, scale_grad_by_freq=False):
        self.indices, self.wshape = indices, w.shape
        self.padding_idx, self.scale = padding_idx, scale_grad_by_freq
        return xp.take(w, indices, axis=0)

    def backward(self, g):
        idx = self.indices.reshape(-1)
        g2 = g.reshape(-1, self.wshape[1])
        if self.scale:
            counts = xp.bincount(idx, minlength=self.wshape[0])
            g2 = g2 / counts[idx][:, None]
        gw = B.index_add(xp.zeros_like(g2, shape=self.wshape), idx, g2)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return (gw,)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False):
    """Look up rows of ``weight`` (``(num_embeddings, dim)``) by integer ``input``.

    ``padding_idx``'s row gets no gradient; ``max_norm`` renormalises the rows used, in place.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.embedding(kitty.tensor([2, 0]), kitty.arange(6.).view(3, 2))
    tensor([[4., 5.],
            [0., 1.]])
    """
    idx = as_tensor_arg(input)
    w = as_tensor_arg(weight, "weight")
    if idx._data.dtype.kind not in "iu":
        raise KittyRuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {idx.dtype} instead (while checking arguments for embedding)"
        )
    if w._data.ndim != 2:
        raise KittyRuntimeError("'weight' must be 2-D")
    n = w._data.shape[0]
    arr = idx._data
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise KittyIndexError("index out of range in self")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise KittyValueError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n
    if max_norm is not None:
        rows = xp.unique(arr)
        data = w._data
        norms = (xp.abs(data[rows]) ** norm_type).sum(1) ** (1.0 / norm_type)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        data[rows] = data[rows] * scale[:, None].astype(data.dtype)
        w._vc[0] += 1
    return Embedding.apply(w, indices=arr, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq))


def _pad_index(n, lo, hi, mode):
    i = xp.arange(-lo, n + hi)
    if mode == "reflect":
        period = 2 * (n - 1)
        if period == 0:
            return xp.zeros_like(i)
        i = xp.abs(i) % period
        return xp.where(i >= n, period - i, i)
    if mode == "replicate":
        return xp.clip(i, 0, n - 1)
    return i % n  # circular


class Pad(Op):
    """Constant, reflect, replicate or circular padding (negative pads crop)."""

    _name = "ConstantPadNdBackward"

    @property
    def graph_formal_inputs(self):
        # torch: reflection_pad / replication_pad backward(grad, self); constant and circular
        # padding's gradients are slices of grad alone
        return (0,) if self.mode in ("reflect", "replicate") else ()

    def forward(self, x, pads=(), mode="constant", value=0.0):
        self.shape, self.pads, self.mode = x.shape, pads, mode
        if mode == "constant":
            crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pads, x.shape))
            grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads)
            self.crop, self.grow = crop, grow
            return xp.pad(x[crop], grow, constant_values=value)
        self.index = []
        out = x
        for ax, ((lo, hi), n) in enumerate(zip(pads, x.shape)):
            if lo or hi:
                idx = _pad_index(n, lo, hi, mode)
                self.index.append((ax, idx))
                out = xp.take(out, idx, axis=ax)
        return out

    def backward(self, g):
        if self.mode == "constant":
            core = g[tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(self.grow))]
            if core.shape == self.shape:
                return (core,)
            gx = xp.zeros_like(g, shape=self.shape)  # (zeros_like: a graph-building g stays one)
            gx[self.crop] = core
            return (gx,)
        for ax, idx in reversed(self.index):
            shape = list(g.shape)
            shape[ax] = self.shape[ax]
            acc = xp.zeros_like(g, shape=shape)
            xp.add.at(acc, (slice(None),) * ax + (idx,), g)
            g = acc
        return (g,)


def pad(input, pad, mode: str = "constant", value=None):
    """Pad the last dims: ``pad = (left_last, right_last, left_prev, right_prev, ...)``.

    ``mode``: 'constant' (with ``value``), 'reflect', 'replicate' or 'circular'.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.pad(kitty.tensor([[1., 2.]]), (1, 1))
    tensor([[0., 1., 2., 0.]])
    """
    x = as_tensor_arg(input)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise KittyRuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    nd = x._data.ndim
    if k > nd:
        raise KittyRuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but got padding "
            f"length {len(pad)} and input of dimension {nd}"
        )
    pairs = [(0, 0)] * (nd - k) + [(pad[2 * i], pad[2 * i + 1]) for i in range(k)][::-1]
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise KittyNotImplemented(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        if value is not None and value != 0:
            raise KittyValueError(f"Padding mode \"{mode}\" doesn't take in value argument")
        if k > 3 or nd < k + 1:
            raise KittyNotImplemented(
                "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now"
            )
        for (lo, hi), n in zip(pairs, x._data.shape):
            if mode == "reflect" and (lo >= n or hi >= n):
                raise KittyRuntimeError(
                    f"Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                    f"padding ({lo}, {hi}) at dimension of input {list(x._data.shape)}"
                )
            if mode == "circular" and (lo > n or hi > n):
                raise KittyRuntimeError("Padding value causes wrapping around more than once.")
            if lo < 0 or hi < 0:
                raise KittyRuntimeError(f"negative padding is not supported in mode {mode}")
    else:
        for (lo, hi), n in zip(pairs, x._data.shape):
            if n + lo + hi < 0:
                raise KittyRuntimeError(
                    f"The input size {n}, plus negative padding {lo} and {hi} resulted in a negative output size"
                )
    val = 0 if value is None else value
    return Pad.apply(x, pads=tuple(pairs), mode=mode, value=val)


# ---------------------------------------------------------------------------------------------
# recurrent layers: a whole (multi-layer, bidirectional) sequence in one node


class Rnn(Op):
    """Elman RNN (tanh/relu), LSTM or GRU over a whole sequence, all layers and directions.

    Positional inputs: ``x (T, N, I)``, ``h0 (L*D, N, H)``, ``c0`` (LSTM) or None, then the flat
    weights per layer and direction: ``w_ih, w_hh[, b_ih, b_hh]`` (torch's order). Outputs:
    ``(output (T, N, D*H), h_n[, c_n])``. Backward is backpropagation through time.
    """

    def forward(self, x, h0, c0, *weights, mode="RNN_TANH", num_layers=1, bidirectional=False, has_biases=True, dropout=0.0, train=False, generator=None):
        ndir = 2 if bidirectional else 1
        per = 4 if has_biases else 2
        self.mode, self.ndir, self.per, self.num_layers = mode, ndir, per, num_layers
        self.weights = weights
        T, n = x.shape[:2]
        H = weights[1].shape[1]
        self.hidden = H
        lstm = mode == "LSTM"
        self._name = {"LSTM": "LstmBackward", "GRU": "GruBackward"}.get(mode, "RnnBackward")
        dt = x.dtype
        if h0 is None:
            h0 = xp.zeros((num_layers * ndir, n, H), dt)
        if lstm and c0 is None:
            c0 = xp.zeros((num_layers * ndir, n, H), dt)
        self.has_c0 = c0 is not None
        hn = xp.empty((num_layers * ndir, n, H), dt)
        cn = xp.empty((num_layers * ndir, n, H), dt) if lstm else None
        self.saved = []  # per layer: (input, masks, [per direction caches])
        inp = x
        for layer in range(num_layers):
            out = xp.empty((T, n, ndir * H), dt)
            caches = []
            for d in range(ndir):
                k = layer * ndir + d
                ws = weights[k * per : (k + 1) * per]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if has_biases else (None, None)
                xw = inp @ w_ih.T
                if b_ih is not None:
                    xw += b_ih
                cache = self._run(xw, h0[k], c0[k] if lstm else None, w_hh, b_hh, d == 1, out[..., d * H : (d + 1) * H])
                hn[k] = cache["h_last"]
                if lstm:
                    cn[k] = cache["c_last"]
                caches.append(cache)
            mask = None
            if dropout > 0 and train and layer < num_layers - 1:
                keep = generator.random(out.shape) >= dropout
                mask = (keep / (1 - dropout)).astype(dt) if dropout < 1 else xp.zeros(out.shape, dt)
            self.saved.append((inp, caches, mask))
            inp = out * mask if mask is not None else out
        if lstm:
            return inp, hn, cn
        return inp, hn

    def _run(self, xw, h, c, w_hh, b_hh, reverse, out):
        mode, H = self.mode, self.hidden
        T = xw.shape[0]
        order = range(T - 1, -1, -1) if reverse else range(T)
        hs = xp.empty((T,) + h.shape, h.dtype)  # h after each step (in time order)
        cache = {"reverse": reverse, "h0": h, "c0": c}
        if mode == "LSTM":
            gates = xp.empty(xw.shape, h.dtype)
            cs = xp.empty((T,) + h.shape, h.dtype)
            tcs = xp.empty((T,) + h.shape, h.dtype)
            for t in order:
                a = xw[t] + h @ w_hh.T
                if b_hh is not None:
                    a += b_hh
                i = _sigmoid(a[:, :H])
                f = _sigmoid(a[:, H : 2 * H])
                gg = xp.tanh(a[:, 2 * H : 3 * H])
                o = _sigmoid(a[:, 3 * H :])
                c = f * c + i * gg
                tc = xp.tanh(c)
                h = o * tc
                gates[t, :, :H], gates[t, :, H : 2 * H], gates[t, :, 2 * H : 3 * H], gates[t, :, 3 * H :] = i, f, gg, o
                cs[t], tcs[t], hs[t] = c, tc, h
            cache.update(gates=gates, cs=cs, tcs=tcs, c_last=c)
        elif mode == "GRU":
            gates = xp.empty(xw.shape, h.dtype)  # r, z, n
            hn_ = xp.empty((T,) + h.shape, h.dtype)  # the hidden part of n's pre-activation
            for t in order:
                hw = h @ w_hh.T
                if b_hh is not None:
                    hw += b_hh
                r = _sigmoid(xw[t, :, :H] + hw[:, :H])
                z = _sigmoid(xw[t, :, H : 2 * H] + hw[:, H : 2 * H])
                nn_ = xp.tanh(xw[t, :, 2 * H :] + r * hw[:, 2 * H :])
                h = (1 - z) * nn_ + z * h
                gates[t, :, :H], gates[t, :, H : 2 * H], gates[t, :, 2 * H :] = r, z, nn_
                hn_[t], hs[t] = hw[:, 2 * H :], h
            cache.update(gates=gates, hn=hn_)
        else:
            relu = mode == "RNN_RELU"
            for t in order:
                a = xw[t] + h @ w_hh.T
                if b_hh is not None:
                    a += b_hh
                h = xp.maximum(a, 0) if relu else xp.tanh(a)
                hs[t] = h
        cache["hs"] = hs
        cache["h_last"] = h
        out[...] = hs
        return cache

    def composite(self, x, h0, c0, *weights, mode="RNN_TANH", num_layers=1, bidirectional=False, has_biases=True, dropout=0.0, train=False, generator=None):
        """The same recurrence, step by step, from differentiable ops (double backward
        differentiates this); the dropout masks drawn in forward are reused."""
        k = _kt()
        ndir, per, H = self.ndir, self.per, self.hidden
        lstm = mode == "LSTM"
        T, n = x._data.shape[:2]

        def pick(t, i):  # t[i]
            return _tslice(t, 0, i, 1).reshape(t._data.shape[1:])

        def part(a, j):  # a[:, j * H : (j + 1) * H]
            return _tslice(a, 1, j * H, H)

        if h0 is None:
            h0 = k.zeros((num_layers * ndir, n, H), dtype=x.dtype)
        if lstm and c0 is None:
            c0 = k.zeros((num_layers * ndir, n, H), dtype=x.dtype)
        inp, hn, cn = x, [], []
        for layer in range(num_layers):
            outs = []
            for d in range(ndir):
                idx = layer * ndir + d
                ws = weights[idx * per : (idx + 1) * per]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if has_biases else (None, None)
                xw = k.matmul(inp, w_ih.t())
                if b_ih is not None:
                    xw = xw + b_ih
                h = pick(h0, idx)
                c = pick(c0, idx) if lstm else None
                hs = [None] * T
                for t in (range(T - 1, -1, -1) if d == 1 else range(T)):
                    xt = pick(xw, t)
                    hw = k.matmul(h, w_hh.t())
                    if b_hh is not None:
                        hw = hw + b_hh
                    if lstm:
                        a = xt + hw
                        c = k.sigmoid(part(a, 1)) * c + k.sigmoid(part(a, 0)) * k.tanh(part(a, 2))
                        h = k.sigmoid(part(a, 3)) * k.tanh(c)
                    elif mode == "GRU":
                        r = k.sigmoid(part(xt, 0) + part(hw, 0))
                        z = k.sigmoid(part(xt, 1) + part(hw, 1))
                        nn_ = k.tanh(part(xt, 2) + r * part(hw, 2))
                        h = (1 - z) * nn_ + z * h
                    else:
                        a = xt + hw
                        h = k.relu(a) if mode == "RNN_RELU" else k.tanh(a)
                    hs[t] = h
                outs.append(k.stack(hs, 0))
                hn.append(h)
                cn.append(c)
            out = k.cat(outs, -1) if ndir > 1 else outs[0]
            mask = self.saved[layer][2]
            inp = out * _const(mask, out) if mask is not None else out
        if lstm:
            return inp, k.stack(hn, 0), k.stack(cn, 0)
        return inp, k.stack(hn, 0)

    def backward(self, g_out, g_hn, g_cn=None):
        mode, ndir, per, H = self.mode, self.ndir, self.per, self.hidden
        lstm = mode == "LSTM"
        need = self.needs_input_grad
        weights = self.weights
        grads_w = [None] * len(weights)
        gh0 = xp.zeros(g_hn.shape, g_hn.dtype)
        gc0 = xp.zeros(g_hn.shape, g_hn.dtype) if lstm else None
        dinp = g_out
        for layer in range(self.num_layers - 1, -1, -1):
            inp, caches, mask = self.saved[layer]
            if mask is not None:
                dinp = dinp * mask
            dprev = None
            for d in range(ndir):
                k = layer * ndir + d
                ws = weights[k * per : (k + 1) * per]
                w_ih, w_hh = ws[0], ws[1]
                cache = caches[d]
                gout = dinp[..., d * H : (d + 1) * H]
                dx_pre, dh_pre, dh0, dc0 = self._bptt(cache, gout, g_hn[k], g_cn[k] if lstm else None, w_hh)
                gh0[k] = dh0
                if lstm:
                    gc0[k] = dc0
                T, n = inp.shape[:2]
                hprev = self._hprev(cache)
                flat_x = dx_pre.reshape(T * n, -1)
                flat_h = dh_pre.reshape(T * n, -1)
                grads_w[k * per] = flat_x.T @ inp.reshape(T * n, -1)
                grads_w[k * per + 1] = flat_h.T @ hprev.reshape(T * n, -1)
                if per == 4:
                    grads_w[k * per + 2] = flat_x.sum(0)
                    grads_w[k * per + 3] = flat_h.sum(0)
                contrib = dx_pre @ w_ih
                dprev = contrib if dprev is None else dprev + contrib
            dinp = dprev
        grads_w = [gw if need[3 + i] else None for i, gw in enumerate(grads_w)]
        return (dinp if need[0] else None, gh0 if need[1] else None, gc0 if (lstm and need[2]) else None, *grads_w)

    def _hprev(self, cache):
        """The hidden state each step started from, in time order."""
        hs, h0 = cache["hs"], cache["h0"]
        prev = xp.empty_like(hs)
        if cache["reverse"]:
            prev[:-1] = hs[1:]
            prev[-1] = h0
        else:
            prev[1:] = hs[:-1]
            prev[0] = h0
        return prev

    def _bptt(self, cache, gout, dh, dc, w_hh):
        mode, H = self.mode, self.hidden
        hs = cache["hs"]
        T = hs.shape[0]
        rev = cache["reverse"]
        order = range(T) if rev else range(T - 1, -1, -1)  # the forward order, reversed
        hprev = self._hprev(cache)
        dh = dh.copy()
        if mode == "LSTM":
            gates, cs, tcs = cache["gates"], cache["cs"], cache["tcs"]
            dpre = xp.empty(gates.shape, hs.dtype)
            dc = dc.copy()
            cprev_all = xp.empty_like(cs)
            if rev:
                cprev_all[:-1] = cs[1:]
                cprev_all[-1] = cache["c0"]
            else:
                cprev_all[1:] = cs[:-1]
                cprev_all[0] = cache["c0"]
            for t in order:
                dh = dh + gout[t]
                i, f, gg, o = gates[t, :, :H], gates[t, :, H : 2 * H], gates[t, :, 2 * H : 3 * H], gates[t, :, 3 * H :]
                tc = tcs[t]
                cprev = cprev_all[t]
                dc = dc + dh * o * (1 - tc * tc)
                dpre[t, :, :H] = dc * gg * i * (1 - i)
                dpre[t, :, H : 2 * H] = dc * cprev * f * (1 - f)
                dpre[t, :, 2 * H : 3 * H] = dc * i * (1 - gg * gg)
                dpre[t, :, 3 * H :] = dh * tc * o * (1 - o)
                dc = dc * f
                dh = dpre[t] @ w_hh
            return dpre, dpre, dh, dc
        if mode == "GRU":
            gates, hn_ = cache["gates"], cache["hn"]
            dx = xp.empty(gates.shape, hs.dtype)
            dhh = xp.empty(gates.shape, hs.dtype)
            for t in order:
                dh = dh + gout[t]
                r, z, nn_ = gates[t, :, :H], gates[t, :, H : 2 * H], gates[t, :, 2 * H :]
                hp = hprev[t]
                dn = dh * (1 - z) * (1 - nn_ * nn_)
                dz = dh * (hp - nn_) * z * (1 - z)
                dr = dn * hn_[t] * r * (1 - r)
                dx[t, :, :H] = dr
                dx[t, :, H : 2 * H] = dz
                dx[t, :, 2 * H :] = dn
                dhh[t, :, :H] = dr
                dhh[t, :, H : 2 * H] = dz
                dhh[t, :, 2 * H :] = dn * r
                dh = dhh[t] @ w_hh + dh * z
            return dx, dhh, dh, None
        relu = mode == "RNN_RELU"
        dpre = xp.empty(hs.shape, hs.dtype)
        for t in order:
            dh = dh + gout[t]
            h = hs[t]
            dpre[t] = masked_grad(h > 0, dh) if relu else dh * (1 - h * h)  # relu'(0) = 0, selected as torch
            dh = dpre[t] @ w_hh
        return dpre, dpre, dh, None


def _rnn_impl(mode, input, hx, cx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    x = _float(input, mode.lower())
    if batch_first:
        x = x.transpose(0, 1)
    params = [as_tensor_arg(p, "params") for p in params]
    per = 4 if has_biases else 2
    ndir = 2 if bidirectional else 1
    if len(params) != per * ndir * num_layers:
        raise KittyRuntimeError(
            f"{mode.lower()}: expected {per * ndir * num_layers} parameter tensors, got {len(params)}"
        )
    _same_dtype(mode.lower(), x, hx, cx, *params)
    gen = B.default_generator
    from .linalg_extra import _saving_all  # backward reads x, h0, c0 and every weight

    outs = _saving_all(Rnn, 3 + len(params)).apply(
        x, hx, cx, *params, mode=mode, num_layers=num_layers, bidirectional=bidirectional, has_biases=has_biases,
        dropout=float(dropout), train=bool(train), generator=gen,
    )
    out = outs[0].transpose(0, 1) if batch_first else outs[0]
    return (out,) + tuple(outs[1:])


def rnn_tanh(input, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool, batch_first: bool):
    """A whole Elman RNN (tanh) as ``torch._VF.rnn_tanh``: returns ``(output, h_n)``.

    >>> import kittygrad as kitty
    >>> from kittygrad.ops.nn_ops import rnn_tanh
    >>> ps = [kitty.ones(4, 3), kitty.ones(4, 4), kitty.zeros(4), kitty.zeros(4)]
    >>> rnn_tanh(kitty.zeros(5, 2, 3), kitty.zeros(1, 2, 4), ps, True, 1, 0.0, False, False, False)[0].shape
    kittygrad.Size([5, 2, 4])
    """
    return _rnn_impl("RNN_TANH", input, hx, None, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def rnn_relu(input, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool, batch_first: bool):
    """A whole Elman RNN (relu) as ``torch._VF.rnn_relu``: returns ``(output, h_n)``."""
    return _rnn_impl("RNN_RELU", input, hx, None, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def gru(input, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool, batch_first: bool):
    """A whole GRU as ``torch._VF.gru``: returns ``(output, h_n)``."""
    return _rnn_impl("GRU", input, hx, None, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def lstm(input, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool, batch_first: bool):
    """A whole LSTM as ``torch._VF.lstm`` (``hx = (h0, c0)``): returns ``(output, h_n, c_n)``."""
    h0, c0 = hx
    return _rnn_impl("LSTM", input, h0, c0, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


# ---------------------------------------------------------------------------------------------
# losses


_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction: str) -> str:
    if reduction not in _REDUCTIONS:
        raise KittyValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """torch's rule for the deprecated ``size_average``/``reduce`` arguments."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='mean' instead.")
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduce_array(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return xp.asarray(loss.sum(), dtype=loss.dtype)
    with B.errstate(invalid="ignore", divide="ignore"):
        return xp.asarray(loss.mean(), dtype=loss.dtype)


def _expand_reduced(g, shape, reduction, dtype):
    """The upstream gradient of a reduced loss, per element."""
    if reduction == "none":
        return g
    n = math.prod(shape)
    if reduction == "mean":
        g = g / n if n else g
    if g.dtype != dtype:  # (astype, not asarray: a graph-building g must stay one)
        g = g.astype(dtype)
    return xp.broadcast_to(g, shape)


def _recomputing(node, grads, names):
    """``Op._graph_backward`` with the derived values ``names`` hidden (their class default is
    None), so the backward formula recomputes them from the graph-building inputs."""
    d = node.__dict__
    hidden = {n: d.pop(n) for n in names if n in d}
    try:
        return Op._graph_backward(node, grads)
    finally:
        d.update(hidden)


class PointwiseLoss(Op):
    """Elementwise regression losses of ``d = input - target``: mse, l1, smooth_l1, huber."""

    saved_inputs = (0, 1)

    def forward(self, x, y, w=None, kind="mse", reduction="mean", beta=1.0):
        d = x - y
        a = xp.abs(d)
        if kind == "mse":
            loss = d * d
        elif kind == "l1":
            loss = a
        elif kind == "smooth_l1":
            loss = a - 0.5 * beta if beta == 0 else xp.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)
        else:  # huber
            loss = xp.where(a < beta, 0.5 * d * d, beta * (a - 0.5 * beta))
        loss = loss.astype(x.dtype, copy=False)
        self.d, self.w, self.kind, self.reduction, self.beta = d, w, kind, reduction, beta
        self._name = {"mse": "MseLossBackward", "l1": "L1LossBackward", "smooth_l1": "SmoothL1LossBackward"}.get(kind, "HuberLossBackward")
        if w is not None:
            self.loss = loss
            loss = loss * w
        return _reduce_array(loss, reduction)

    def composite(self, x, y, w=None, kind="mse", reduction="mean", beta=1.0):
        k = _kt()
        d = x - y
        a = d.abs()
        if kind == "mse":
            loss = d * d
        elif kind == "l1":
            loss = a
        elif kind == "smooth_l1":
            loss = a - 0.5 * beta if beta == 0 else k.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)
        else:
            loss = k.where(a < beta, 0.5 * d * d, beta * (a - 0.5 * beta))
        if w is not None:
            loss = loss * w
        if reduction == "none":
            return loss
        return loss.sum() if reduction == "sum" else loss.mean()

    def backward(self, g):
        need = self.needs_input_grad
        d, kind, beta = self.d, self.kind, self.beta
        ge = _expand_reduced(g, d.shape, self.reduction, d.dtype)
        if kind == "mse":
            dd = 2 * d
        elif kind == "l1":
            dd = xp.sign(d)
        elif kind == "smooth_l1":
            dd = xp.sign(d) if beta == 0 else xp.where(xp.abs(d) < beta, d / beta, xp.sign(d))
        else:
            dd = xp.clip(d, -beta, beta)
        gd = ge * dd
        gw = None
        if self.w is not None:
            if len(need) > 2 and need[2]:
                gw = ge * self.loss
            gd = gd * self.w
        gd = gd.astype(d.dtype, copy=False)
        return (gd if need[0] else None), (-gd if need[1] else None), gw


def _loss_pair(name, input, target, check_size=True):
    x, y = as_tensor_arg(input), as_tensor_arg(target, "target")
    if check_size and x._data.shape != y._data.shape:
        warnings.warn(
            f"Using a target size ({y.shape}) that is different to the input size ({x.shape}). This will "
            "likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )
    if x._data.dtype != y._data.dtype:
        rt = D.promote_types(x.dtype, y.dtype)
        x, y = cast(x, rt), cast(y, rt)
    if x._data.dtype.kind != "f":
        raise KittyRuntimeError(f'"{name}" not implemented for \'{_type_name(x)}\'')
    shape = broadcast_shape_of(x._data.shape, y._data.shape)
    return expand_to(x, shape), expand_to(y, shape)


def _pointwise(kind, name, input, target, reduction, beta=1.0, weight=None):
    _check_reduction(reduction)
    x, y = _loss_pair(name, input, target)
    w = None
    if weight is not None:
        w = expand_to(cast(as_tensor_arg(weight, "weight"), x.dtype), x._data.shape)
    return PointwiseLoss.apply(x, y, w, kind=kind, reduction=reduction, beta=float(beta))


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None):
    """Mean squared error.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.mse_loss(kitty.tensor([1., 2.]), kitty.tensor([1., 4.]))
    tensor(2.)
    """
    return _pointwise("mse", "mse_loss", input, target, _legacy_reduction(size_average, reduce, reduction), weight=weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None):
    """Mean absolute error.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.l1_loss(kitty.tensor([1., 2.]), kitty.tensor([1., 4.]))
    tensor(1.)
    """
    return _pointwise("l1", "l1_loss", input, target, _legacy_reduction(size_average, reduce, reduction), weight=weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
    """Quadratic below ``beta``, linear above (``0.5 d**2 / beta`` or ``|d| - beta / 2``).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.smooth_l1_loss(kitty.tensor([0., 0.]), kitty.tensor([0.5, 3.]))
    tensor(1.3125)
    """
    if beta < 0:
        raise KittyRuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise("smooth_l1", "smooth_l1_loss", input, target, _legacy_reduction(size_average, reduce, reduction), beta)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """``0.5 d**2`` below ``delta``, ``delta * (|d| - delta / 2)`` above.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.huber_loss(kitty.tensor([0., 0.]), kitty.tensor([0.5, 3.]))
    tensor(1.3125)
    """
    if delta <= 0:
        raise KittyRuntimeError("huber_loss does not support non-positive values for delta.")
    return _pointwise("huber", "huber_loss", input, target, reduction, delta, weight)


class ClassNll(Op):
    """Negative log-likelihood of class indices, optionally on logits (a fused log-softmax).

    ``x``: ``(M, C)`` rows; ``target``: ``(M,)`` ints; weight, ignore_index and label smoothing
    as torch's cross_entropy. Output: per-row losses or their weighted mean / sum.
    """

    _name = "NllLossBackward"
    graph_formal_inputs = (0,)  # torch: nll_loss_backward(grad, self, target, ...)

    def forward(self, x, target=None, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0, logits=True, out_shape=None):
        m, c = x.shape
        valid = target != ignore_index
        tc = xp.where(valid, target, 0)
        if valid.any():
            bad = target[valid]
            if bad.min() < 0 or bad.max() >= c:
                raise KittyIndexError(f"Target {int(bad[(bad < 0) | (bad >= c)][0])} is out of bounds.")
        wt = weight[tc] * valid if weight is not None else valid.astype(x.dtype)
        picked = xp.take_along_axis(x, tc[:, None], axis=1)[:, 0]
        if logits:
            # log p = x - lse(x); only the picked entries (and, with smoothing, a row sum) are needed
            self._name = "CrossEntropyLossBackward"
            shift = x.max(axis=1, keepdims=True)
            xs = x - shift
            e = xp.exp(xs)
            ssum = e.sum(axis=1, keepdims=True)
            log_ssum = xp.log(ssum)[:, 0]
            # (x - shift) - log(ssum), not x - lse: no cancellation between two large numbers
            picked = (picked - shift[:, 0]) - log_ssum
            self.e, self.ssum = e, ssum
        loss = -(1 - label_smoothing) * wt * picked
        if label_smoothing:
            src = xs if logits else x
            rows = (src * weight).sum(1) if weight is not None else src.sum(1)
            if logits:
                rows = rows - log_ssum * (weight.sum() if weight is not None else c)
            loss = loss - (label_smoothing / c) * rows * valid
        loss = loss.astype(x.dtype, copy=False)
        self.tc, self.valid, self.wt, self.weight, self.shape = tc, valid, wt, weight, x.shape
        self.args = (reduction, label_smoothing, logits, out_shape)
        if reduction == "none":
            return loss.reshape(out_shape)
        if reduction == "sum":
            return xp.asarray(loss.sum(), dtype=x.dtype)
        self.denom = wt.sum()
        with B.errstate(invalid="ignore", divide="ignore"):
            return xp.asarray(loss.sum() / self.denom, dtype=x.dtype)

    def composite(self, x, target=None, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0, logits=True, out_shape=None):
        """The same loss from differentiable ops (double backward differentiates this)."""
        m, c = x._data.shape
        logp = _kt().log_softmax(x, 1) if logits else x
        onehot = xp.zeros((m, c), x._data.dtype)
        onehot[xp.arange(m), self.tc] = 1
        picked = (logp * _const(onehot, x)).sum(1)
        loss = picked * _const(-(1 - label_smoothing) * self.wt, x)
        if label_smoothing:
            rows = (logp * _const(weight, x)).sum(1) if weight is not None else logp.sum(1)
            loss = loss - rows * _const((label_smoothing / c) * self.valid, x)
        if reduction == "none":
            return loss.reshape(out_shape)
        if reduction == "sum":
            return loss.sum()
        return loss.sum() / _const(self.denom, x)

    def backward(self, g):
        reduction, ls, logits, _ = self.args
        tc, valid, wt, weight = self.tc, self.valid, self.wt, self.weight
        m, c = self.shape
        if reduction == "none":
            scale = g.reshape(-1)
        elif reduction == "sum":
            scale = xp.broadcast_to(g, (m,))
        else:
            with B.errstate(invalid="ignore", divide="ignore"):
                scale = xp.broadcast_to(g / self.denom, (m,))
        # d loss / d log p at the target, and (times the class weight) at every class; ignored
        # rows are selected out, as torch, so an infinite gradient leaves them 0, not nan
        hit = xp.where(valid, -(1 - ls) * wt * scale, 0)
        smooth = xp.where(valid, (ls / c) * scale, 0) if ls else 0  # (not 0 * scale: inf would give nan)
        if logits:
            # d/dx = G - softmax * rowsum(G), with G the gradient w.r.t. log p
            total = -hit + smooth * (weight.sum() if weight is not None else c)
            gx = self.e * (total / self.ssum[:, 0])[:, None]
        else:
            gx = xp.zeros(self.shape, g.dtype)
        idx = tc[:, None]
        xp.put_along_axis(gx, idx, xp.take_along_axis(gx, idx, axis=1) + hit[:, None], axis=1)
        if ls:
            gx -= smooth[:, None] * (weight if weight is not None else 1.0)
        return (gx.astype(g.dtype, copy=False),)


class SoftCrossEntropy(Op):
    """Cross-entropy against class probabilities (``target`` has the logits' shape)."""

    _name = "CrossEntropyLossBackward"

    def forward(self, x, t, weight=None, reduction="mean", label_smoothing=0.0, out_shape=None):
        m, c = x.shape
        shifted = x - x.max(axis=1, keepdims=True)
        logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        tt = t * (1 - label_smoothing) + label_smoothing / c if label_smoothing else t
        wl = logp * weight if weight is not None else logp
        loss = -(wl * tt).sum(1)
        self.logp, self.tt, self.wl, self.weight = logp, tt, wl, weight
        self.args = (reduction, label_smoothing, out_shape)
        if reduction == "none":
            return loss.reshape(out_shape)
        if reduction == "sum":
            return xp.asarray(loss.sum(), dtype=x.dtype)
        return xp.asarray(loss.sum() / m, dtype=x.dtype)

    def composite(self, x, t, weight=None, reduction="mean", label_smoothing=0.0, out_shape=None):
        m, c = x._data.shape
        logp = _kt().log_softmax(x, 1)
        tt = t * (1 - label_smoothing) + label_smoothing / c if label_smoothing else t
        wl = logp * _const(weight, x) if weight is not None else logp
        loss = -(wl * tt).sum(1)
        if reduction == "none":
            return loss.reshape(out_shape)
        if reduction == "sum":
            return loss.sum()
        return loss.sum() / m

    def backward(self, g):
        need = self.needs_input_grad
        reduction, ls, _ = self.args
        logp = self.logp
        m, c = logp.shape
        if reduction == "none":
            scale = g.reshape(-1, 1)
        elif reduction == "sum":
            scale = g
        else:
            scale = g / m
        gx = gt = None
        if need[0]:
            G = -self.tt * scale
            if self.weight is not None:
                G = G * self.weight
            gx = (G - xp.exp(logp) * G.sum(axis=1, keepdims=True)).astype(logp.dtype, copy=False)
        if need[1]:
            gt = (-self.wl * scale * (1 - ls)).astype(logp.dtype, copy=False)
        return gx, gt


def _class_rows(x, name):
    """Logits ``(N, C, d1, ...)`` (or ``(C,)``) as rows ``(M, C)`` plus the per-sample shape."""
    nd = x._data.ndim
    if nd == 0:
        raise KittyValueError(f"{name}: input must have at least 1 dimension")
    if nd == 1:
        return x.unsqueeze(0), (), True
    if nd == 2:
        return x, (x._data.shape[0],), False
    n, c = x._data.shape[:2]
    rest = x._data.shape[2:]
    perm = (0,) + tuple(range(2, nd)) + (1,)
    return x.permute(*perm).reshape(-1, c), (n,) + rest, False


def _class_weight(weight, x, c):
    if weight is None:
        return None
    w = as_tensor_arg(weight, "weight")
    if w._data.ndim != 1 or w._data.shape[0] != c:
        raise KittyRuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got weight tensor "
            f"of shape: {list(w._data.shape)}"
        )
    return w._data.astype(x._data.dtype, copy=False)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Cross-entropy of logits ``(N, C, ...)`` against class indices ``(N, ...)`` or class
    probabilities (same shape as the logits); log-softmax is fused in and stable.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.cross_entropy(kitty.tensor([[0., 0.]]), kitty.tensor([1]))
    tensor(0.6931)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    x = _float(input, "cross_entropy")
    t = as_tensor_arg(target, "target")
    if not 0.0 <= label_smoothing <= 1.0:
        raise KittyRuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    rows, out_shape, unbatched = _class_rows(x, "cross_entropy")
    c = rows._data.shape[1]
    w = _class_weight(weight, x, c)
    if t._data.dtype.kind == "f":
        if t._data.shape != x._data.shape:
            raise KittyRuntimeError(
                f"Expected input batch_size ({x._data.shape[0]}) to match target batch_size ({t._data.shape[0]})."
                if t._data.ndim != x._data.ndim else
                f"cross_entropy: probability target of shape {list(t.shape)} must match input of shape {list(x.shape)}"
            )
        t = cast(t, x.dtype)
        trows, _, _ = _class_rows(t, "cross_entropy")
        return SoftCrossEntropy.apply(rows, trows, weight=w, reduction=reduction, label_smoothing=float(label_smoothing), out_shape=out_shape)
    _check_targets(x, t, out_shape, unbatched)
    return ClassNll.apply(
        rows, target=t._data.reshape(-1).astype(xp.int64, copy=False), weight=w, ignore_index=ignore_index,
        reduction=reduction, label_smoothing=float(label_smoothing), logits=True, out_shape=out_shape,
    )


def _check_targets(x, t, out_shape, unbatched):
    if t._data.dtype.kind not in "iu":
        raise KittyRuntimeError(f"expected scalar type Long but found {_type_name(t)}")
    want = () if unbatched else out_shape
    if tuple(t._data.shape) != tuple(want):
        if x._data.ndim >= 2 and (t._data.ndim == 0 or t._data.shape[0] != x._data.shape[0]):
            raise KittyValueError(
                f"Expected input batch_size ({x._data.shape[0]}) to match target batch_size "
                f"({t._data.shape[0] if t._data.ndim else 0})."
            )
        raise KittyRuntimeError(f"expected target of shape {list(want)}, got {list(t._data.shape)}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None, reduction: str = "mean"):
    """Negative log-likelihood of log-probabilities ``(N, C, ...)`` at class indices ``(N, ...)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.nll_loss(kitty.tensor([[-1., -2.]]), kitty.tensor([1]))
    tensor(2.)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    x = _float(input, "nll_loss")
    t = as_tensor_arg(target, "target")
    rows, out_shape, unbatched = _class_rows(x, "nll_loss")
    w = _class_weight(weight, x, rows._data.shape[1])
    _check_targets(x, t, out_shape, unbatched)
    return ClassNll.apply(
        rows, target=t._data.reshape(-1).astype(xp.int64, copy=False), weight=w, ignore_index=ignore_index,
        reduction=reduction, logits=False, out_shape=out_shape,
    )


class BinaryCrossEntropy(Op):
    saved_inputs = (0, 1)
    _name = "BinaryCrossEntropyBackward"

    def forward(self, x, y, w, reduction="mean"):
        with B.errstate(divide="ignore"):
            lx = xp.maximum(xp.log(x), -100)
            l1x = xp.maximum(xp.log1p(-x), -100)
        loss = -(y * lx + (1 - y) * l1x)
        if w is not None:
            loss = loss * w
        self.x, self.y, self.w, self.reduction = x, y, w, reduction
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    graph_constants = ("w",)  # the weight argument: an array, never differentiated

    def backward(self, g):
        need = self.needs_input_grad
        x, y, w = self.x, self.y, self.w
        ge = _expand_reduced(g, x.shape, self.reduction, x.dtype)
        if w is not None:
            ge = ge * w
        gx = gy = None
        if need[0]:
            gx = ge * (x - y) / xp.maximum((1 - x) * x, 1e-12)
        if need[1]:
            # -logit(x), with the logs not clamped at -100 (as torch): +-inf where x is 0 or 1
            with B.errstate(divide="ignore"):
                gy = ge * -xp.log(x / (1 - x))
        return gx, gy, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
    """``-w (t log x + (1 - t) log(1 - x))`` for probabilities ``x`` (logs clamped at -100).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.binary_cross_entropy(kitty.tensor([0.5]), kitty.tensor([1.]))
    tensor(0.6931)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = as_tensor_arg(input), as_tensor_arg(target, "target")
    if x._data.shape != y._data.shape:
        raise KittyValueError(
            f"Using a target size ({y.shape}) that is different to the input size ({x.shape}) is deprecated. "
            "Please ensure they have the same size."
        )
    x = _float(x, "binary_cross_entropy")
    y = cast(y, x.dtype)
    if x._data.size and not ((x._data >= 0) & (x._data <= 1)).all():  # NaN fails too, as in torch
        raise KittyRuntimeError("all elements of input should be between 0 and 1")
    if y._data.size and not ((y._data >= 0) & (y._data <= 1)).all():
        raise KittyRuntimeError("all elements of target should be between 0 and 1")
    w = None
    if weight is not None:
        w = xp.broadcast_to(as_tensor_arg(weight, "weight")._data.astype(x._data.dtype), x._data.shape)
    return BinaryCrossEntropy.apply(x, y, w, reduction=reduction)


class BceWithLogits(Op):
    """Sigmoid + binary cross-entropy in one stable step, with ``weight`` and ``pos_weight``."""

    saved_inputs = (0, 1, 2, 3)
    _name = "BinaryCrossEntropyWithLogitsBackward"

    def forward(self, x, y, w, pw, reduction="mean"):
        sp = _softplus(-x)  # -log(sigmoid(x))
        lw = 1 + (pw - 1) * y if pw is not None else None
        raw = (1 - y) * x + (lw * sp if lw is not None else sp)
        loss = raw * w if w is not None else raw
        self.x, self.y, self.w, self.pw, self.lw, self.sp, self.raw = x, y, w, pw, lw, sp, raw
        self.reduction = reduction
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    def composite(self, x, y, w, pw, reduction="mean"):
        sp = Softplus.apply(-x, beta=1.0, threshold=math.inf)  # -log(sigmoid(x)), exact
        raw = (1 - y) * x + ((1 + (pw - 1) * y) * sp if pw is not None else sp)
        loss = raw * w if w is not None else raw
        if reduction == "none":
            return loss
        return loss.sum() if reduction == "sum" else loss.mean()

    def backward(self, g):
        need = self.needs_input_grad
        x, y, w, pw, lw, sp = self.x, self.y, self.w, self.pw, self.lw, self.sp
        shape = x.shape
        ge = _expand_reduced(g, shape, self.reduction, x.dtype)
        gw_el = ge * w if w is not None else ge
        gx = gy = gw = gpw = None
        if need[0]:
            s_neg = _sigmoid(-x)
            gx = gw_el * ((1 - y) - (lw if lw is not None else 1) * s_neg)
        if need[1]:
            gy = gw_el * (-x + ((pw - 1) * sp if pw is not None else 0))
        if w is not None and need[2]:
            gw = B.sum_to_shape(ge * self.raw, w.shape)
        if pw is not None and need[3]:
            gpw = B.sum_to_shape(gw_el * y * sp, pw.shape)
        return (gx, gy, gw, gpw)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None):
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits.

    ``pos_weight`` weighs the positive term (broadcast over the last dim, one per class).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.binary_cross_entropy_with_logits(kitty.tensor([0.]), kitty.tensor([1.]))
    tensor(0.6931)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = as_tensor_arg(input), as_tensor_arg(target, "target")
    if x._data.shape != y._data.shape:
        raise KittyValueError(f"Target size ({y.shape}) must be the same as input size ({x.shape})")
    x = _float(x, "binary_cross_entropy_with_logits")
    y = cast(y, x.dtype)
    w = pw = None
    if weight is not None:
        w = cast(as_tensor_arg(weight, "weight"), x.dtype)
        broadcast_shape_of(w._data.shape, x._data.shape)
    if pos_weight is not None:
        pw = cast(as_tensor_arg(pos_weight, "pos_weight"), x.dtype)
        broadcast_shape_of(pw._data.shape, x._data.shape)
    return BceWithLogits.apply(x, y, w, pw, reduction=reduction)


def _log_target(t):
    """log(t), with 0 where t is 0 (safe there for double backward; the loss uses t * 0)."""
    with B.errstate(divide="ignore", invalid="ignore"):
        return xp.where(t == 0, 0, xp.log(xp.where(t == 0, 1, t)))


class KlDiv(Op):
    """``target * (log(target) - input)`` (0 where target is 0), or with a log-target."""

    saved_inputs = (0, 1)
    _name = "KlDivBackward"

    def forward(self, x, t, reduction="mean", log_target=False):
        if log_target:
            et = xp.exp(t)
            loss = et * (t - x)
            self.et = et
        else:
            # as torch (xlogy(t, t) - t x): 0 where t is 0, nan where t < 0
            lt = _log_target(t)
            loss = xp.where(t == 0, 0, t * lt) - t * x
            self.lt = lt
        self.x, self.t, self.reduction, self.log_target = x, t, reduction, log_target
        loss = loss.astype(x.dtype, copy=False)
        if reduction == "batchmean":
            n = x.shape[0] if x.ndim else 1
            return xp.asarray(loss.sum() / n, dtype=x.dtype)
        return _reduce_array(loss, reduction)

    et = lt = None

    def _graph_backward(self, grads):
        # exp(t) / log(t) are derived from the target: the formula recomputes them from it
        return _recomputing(self, grads, ("et", "lt"))

    def backward(self, g):
        need = self.needs_input_grad
        x, t = self.x, self.t
        if self.reduction == "batchmean":
            n = x.shape[0] if x.ndim else 1
            ge = _expand_reduced(g / n, x.shape, "sum", x.dtype)
        else:
            ge = _expand_reduced(g, x.shape, self.reduction, x.dtype)
        gx = gt = None
        if self.log_target:
            et = self.et if self.et is not None else xp.exp(t)
            if need[0]:
                gx = -ge * et
            if need[1]:
                gt = ge * et * (t - x + 1)
        else:
            if need[0]:
                gx = -ge * t
            if need[1]:
                lt = self.lt if self.lt is not None else _log_target(t)
                # nan where t is 0, as torch: there its xlogy(t, t)'s derivative in the second
                # argument is t / t
                gt = xp.where(t == 0, xp.nan, ge * (lt + 1 - x))
        return gx, gt


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
    """Kullback-Leibler divergence; ``input`` holds log-probabilities. ``reduction='batchmean'``
    divides the sum by the batch size (the mathematically correct mean).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.kl_div(kitty.tensor([0.]), kitty.tensor([1.]), reduction='sum')
    tensor(0.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise KittyValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    x, t = _loss_pair("kl_div", input, target, check_size=False)
    return KlDiv.apply(x, t, reduction=reduction, log_target=bool(log_target))


# ---------------------------------------------------------------------------------------------
# private helpers other nn code composes with


class VectorNorm(Op):
    """p-norm over some axes; its gradient is 0 where the norm is 0 (as torch)."""

    saved_inputs = (0,)
    saves_output = True
    _name = "LinalgVectorNormBackward"

    def forward(self, x, p=2.0, axes=None, keepdim=False):
        a = xp.abs(x)
        if p == math.inf:
            out = a.max(axis=axes, keepdims=True)
        elif p == -math.inf:
            out = a.min(axis=axes, keepdims=True)
        elif p == 1:
            out = a.sum(axis=axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        elif p == 0:
            out = (a != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        else:
            with B.errstate(divide="ignore"):  # p < 0: a zero entry gives inf, then a norm of 0
                out = (a**p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        out = out.astype(x.dtype, copy=False)
        self.x, self.p, self.axes, self.keepdim, self.kshape = x, p, axes, keepdim, out.shape
        if not keepdim:
            out = out.reshape(tuple(n for i, n in enumerate(out.shape) if i not in (axes if axes is not None else range(x.ndim))))
        self.out = out  # the output itself (saves_output): double backward sees it as such
        return out

    def backward(self, g):
        x, p = self.x, self.p
        norm = self.out.reshape(self.kshape)
        if not self.keepdim:
            g = g.reshape(norm.shape)
        with B.errstate(divide="ignore", invalid="ignore"):
            if abs(p) == math.inf:  # as torch: tied extremes share the gradient evenly
                hit = xp.abs(x) == norm
                d = xp.sign(x) * hit / xp.maximum(hit.sum(axis=self.axes, keepdims=True), 1)
            elif p == 1:
                d = xp.sign(x)
            elif p == 2:  # (a safe denominator: no 0/0 in the unused branch, for double backward)
                zero = norm == 0
                d = xp.where(zero, 0, x / xp.where(zero, 1, norm))
            elif p == 0:
                d = xp.zeros_like(x)
            else:
                # sign(x) |x|^(p-1) / norm^(p-1), 0 where x is 0 (as torch: for p < 2 the power
                # would give 0 * inf there) and where the norm is 0; safe bases keep the unused
                # branch finite for double backward
                zero = norm == 0
                a = xp.abs(x)
                off = (a == 0) | zero
                d = xp.where(off, 0, xp.sign(x) * xp.where(off, 1, a) ** (p - 1) / xp.where(zero, 1, norm) ** (p - 1))
        return ((g * d).astype(x.dtype, copy=False),)


def _vector_norm(x, p=2.0, dim=None, keepdim=False):
    from ._prep import normalize_dims

    x = _float(x, "norm")
    axes = normalize_dims(dim, x._data.ndim)
    return VectorNorm.apply(x, p=float(p), axes=axes, keepdim=keepdim)


class Concat(Op):
    """Concatenate arrays along an axis (what nn needs before the tensor ``cat`` lands)."""

    _name = "CatBackward"

    def forward(self, *arrays, axis=0):
        self.sizes = [a.shape[axis] for a in arrays]
        self.axis = axis
        return xp.concatenate(arrays, axis=axis)

    def backward(self, g):
        cuts = list(itertools.accumulate(self.sizes))[:-1]
        return tuple(xp.split(g, cuts, axis=self.axis))


def _cat(tensors, dim=0):
    tensors = [as_tensor_arg(t) for t in tensors]
    if not tensors:
        raise KittyRuntimeError("torch.cat(): expected a non-empty list of Tensors")
    _same_dtype("cat", *tensors)
    return Concat.apply(*tensors, axis=dim % tensors[0]._data.ndim)


# ---------------------------------------------------------------------------------------------
# attention weights handed back to the caller


class AttentionWeights(Op):
    """Passes the attention probabilities on (output 0) and returns them to the caller (output 1:
    per batch, averaged over heads when asked, without the batch dim for unbatched input).

    Both come from one node on purpose: with the seed's locks, a separate op computing the
    returned weights would be a pending use of the probabilities, so ``out, _ = mha(x, x, x)``
    would hold back every gradient until ``_`` called backward. An unused output is no use.
    """

    _name = "AttentionWeightsBackward"

    def forward(self, w, n, heads, average, batched):
        self.shape, self.n, self.heads, self.average, self.batched = w.shape, n, heads, average, batched
        w4 = w.reshape((n, heads) + w.shape[1:])
        ret = w4.mean(axis=1) if average else w4.copy()
        return w, (ret if batched else ret[0])

    def backward(self, g_pass, g_ret):
        xp = self.xp
        if not self.batched:  # only batch 0 was returned
            full = xp.zeros_like(g_ret, shape=(self.n,) + g_ret.shape)
            full[0] = g_ret
            g_ret = full
        if self.average:
            g_ret = xp.broadcast_to(g_ret[:, None] / self.heads, (self.n, self.heads) + g_ret.shape[1:])
        return g_pass + g_ret.reshape(self.shape), None, None, None, None


def attention_weights(weights, n: int, heads: int, average: bool = True, batched: bool = True):
    """``(weights, returned)``: see :class:`AttentionWeights` (used by ``nn.MultiheadAttention``).

    >>> import kittygrad as kitty
    >>> w, ret = attention_weights(kitty.ones(4, 3, 5), 2, 2)
    >>> ret.shape
    kittygrad.Size([2, 3, 5])
    """
    return AttentionWeights.apply(weights, n, heads, average, batched)
