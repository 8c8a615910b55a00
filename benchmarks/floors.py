"""The hand-written NumPy floors of the op table (``python -m benchmarks ops``): for each row judged
against a target, the forward and backward of the same maths in the fewest passes, with the upstream
gradient of ``out.sum()`` (ones). Where there are several ways, each is a variant and the fastest one
is the floor.
"""
from __future__ import annotations

import math

import numpy as np

f32 = np.float32


def _ones(shape):
    """The upstream gradient of ``out.sum()``: ones, as a broadcast view (what the libraries pass)."""
    return np.broadcast_to(f32(1.0), shape)


def _row_sums(a):
    """``a.sum(-1, keepdims=True)`` for a contiguous float array, as einsum's SIMD loop: 3-4x
    faster than NumPy's pairwise sum along a short last axis, and the fastest NumPy way to it."""
    n = a.shape[-1]
    return np.einsum("ij->i", a.reshape(-1, n)).reshape(a.shape[:-1] + (1,))


def _total(a):
    """``a.sum()`` of a contiguous float array as einsum's SIMD loop: ~3x faster than NumPy's
    pairwise ``sum`` over every element (7.5 vs 20.7 us at (312, 416) float32), and the fastest
    NumPy way to it."""
    return np.einsum("i->", a.reshape(-1))


_ZEROS: dict = {}


def _zeros(shape):
    """A cached array of zeros: NumPy's maximum runs in SIMD between two arrays, not against a
    number (2.5x slower), so the fastest hand-written ReLU compares with a zeros array kept around."""
    z = _ZEROS.get(shape)
    if z is None:
        z = _ZEROS[shape] = np.zeros(shape, f32)
    return z


def _special():
    try:
        import scipy.special as sp

        return sp
    except ImportError:  # pragma: no cover - scipy comes with the dev environment
        return None


def _unary(fwd_bwd):
    def make(arrays, extras):
        (x,) = arrays

        def step():
            y, gx = fwd_bwd(x)
            return y, gx

        return [step]

    return make


def _exp(x):
    y = np.exp(x)
    y.sum()
    return y, np.multiply(_ones(y.shape), y)


def _log(x):
    y = np.log(x)
    y.sum()
    return y, np.divide(_ones(y.shape), x)


def _sqrt(x):
    y = np.sqrt(x)
    y.sum()
    gx = np.divide(_ones(y.shape), y)
    gx *= f32(0.5)
    return y, gx


def _abs(x):
    y = np.abs(x)
    y.sum()
    gx = np.sign(x)
    gx *= _ones(y.shape)
    return y, gx


def _neg(x):
    y = np.negative(x)
    y.sum()
    return y, np.negative(_ones(y.shape))


def _sin(x):
    y = np.sin(x)
    y.sum()
    gx = np.cos(x)
    gx *= _ones(y.shape)
    return y, gx


def _cos(x):
    y = np.cos(x)
    y.sum()
    gx = np.sin(x)
    np.negative(gx, out=gx)
    gx *= _ones(y.shape)
    return y, gx


def _tanh(x):
    y = np.tanh(x)
    y.sum()
    gx = np.multiply(y, y)
    np.subtract(f32(1), gx, out=gx)
    gx *= _ones(y.shape)
    return y, gx


def _sigmoid_fwd(x):
    # 1 / (1 + exp(-x)) in place: ~5x faster here than SciPy's float32 expit
    y = np.negative(x)
    with np.errstate(over="ignore"):
        np.exp(y, out=y)
    y += f32(1)
    return np.reciprocal(y, out=y)


def _sigmoid(x):
    y = _sigmoid_fwd(x)
    y.sum()
    gx = np.subtract(f32(1), y)
    gx *= y
    gx *= _ones(y.shape)
    return y, gx


def _relu(x):
    y = np.maximum(x, _zeros(x.shape))
    y.sum()
    gx = np.multiply(_ones(y.shape), np.greater(x, f32(0)), dtype=np.float32)
    return y, gx


def _silu(x):
    s = _sigmoid_fwd(x)
    y = np.multiply(x, s)
    y.sum()
    gx = np.subtract(f32(1), s)
    gx *= x
    gx += f32(1)
    gx *= s
    gx *= _ones(y.shape)
    return y, gx


def _square(x):
    y = np.multiply(x, x)
    y.sum()
    gx = np.multiply(x, f32(2))
    gx *= _ones(y.shape)
    return y, gx


def _reciprocal(x):
    y = np.reciprocal(x)
    y.sum()
    gx = np.multiply(y, y)
    np.negative(gx, out=gx)
    gx *= _ones(y.shape)
    return y, gx


def _cube(x):  # a ** 3
    sq = np.multiply(x, x)
    y = np.multiply(sq, x)
    y.sum()
    sq *= f32(3)
    sq *= _ones(y.shape)
    return y, sq


def _gelu_times_2(a):  # the row is F.gelu(a * 2): exact (erf) GELU
    sp = _special()
    x = np.multiply(a, f32(2))
    cdf = np.multiply(x, f32(1 / math.sqrt(2)))
    sp.erf(cdf, out=cdf)
    cdf += f32(1)
    cdf *= f32(0.5)
    y = np.multiply(x, cdf)
    y.sum()
    pdf = np.multiply(x, x)
    pdf *= f32(-0.5)
    np.exp(pdf, out=pdf)
    pdf *= x
    pdf *= f32(2 / math.sqrt(2 * math.pi))  # the 2 of a * 2, folded in
    cdf *= f32(2)
    pdf += cdf
    pdf *= _ones(y.shape)
    return y, pdf


def _gelu_tanh(x):
    c, k = f32(math.sqrt(2 / math.pi)), f32(0.044715)
    x2 = np.multiply(x, x)
    u = np.multiply(x2, k)
    u += f32(1)
    u *= x
    u *= c
    t = np.tanh(u, out=u)
    y = np.add(t, f32(1))
    half_one_plus_t = np.multiply(y, f32(0.5))
    y *= x
    y *= f32(0.5)
    y.sum()
    gx = np.multiply(t, t)
    np.subtract(f32(1), gx, out=gx)
    x2 *= f32(3) * k
    x2 += f32(1)
    gx *= x2
    gx *= x
    gx *= f32(0.5) * c
    gx += half_one_plus_t
    gx *= _ones(y.shape)
    return y, gx


def _binary(fwd_bwd):
    def make(arrays, extras):
        a, b = arrays
        return [lambda: fwd_bwd(a, b)]

    return make


def _add(a, b):
    y = np.add(a, b)
    y.sum()
    g = _ones(y.shape)
    return y, np.array(g), np.array(g)


def _sub(a, b):
    y = np.subtract(a, b)
    y.sum()
    g = _ones(y.shape)
    return y, np.array(g), np.negative(g)


def _mul(a, b):
    y = np.multiply(a, b)
    y.sum()
    g = _ones(y.shape)
    return y, np.multiply(g, b), np.multiply(g, a)


def _div(a, b):
    y = np.divide(a, b)
    y.sum()
    ga = np.divide(_ones(y.shape), b)
    gb = np.multiply(ga, y)
    np.negative(gb, out=gb)
    return y, ga, gb


def _maximum(a, b):
    y = np.maximum(a, b)
    y.sum()
    g = _ones(y.shape)
    m = np.greater(a, b)
    ga = np.multiply(g, m, dtype=np.float32)
    np.logical_not(m, out=m)
    return y, ga, np.multiply(g, m, dtype=np.float32)


def _pow(a, b):
    y = np.power(a, b)
    y.sum()
    g = _ones(y.shape)
    ga = np.divide(y, a)
    ga *= b
    ga *= g
    gb = np.log(a)
    gb *= y
    gb *= g
    return y, ga, gb


def _mse(a, b):
    d = np.subtract(a, b)
    flat = d.reshape(-1)
    y = np.dot(flat, flat) / f32(d.size)
    d *= f32(2 / d.size)
    return y, d, np.negative(d)


def _reduce(fn):
    def make(arrays, extras):
        (x,) = arrays
        return [lambda: fn(x)]

    return make


def _sum(x):
    y = _total(x)
    gx = np.empty_like(x)
    gx[...] = _ones(y.shape)
    return y, gx


def _sum_last(x):
    y = _row_sums(x)
    gx = np.empty_like(x)
    gx[...] = _ones(y.shape)
    return y, gx


def _mean(x):
    y = _total(x) / f32(x.size)
    gx = np.empty_like(x)
    gx[...] = _ones(y.shape) / f32(x.size)
    return y, gx


def _mean0(x):
    y = x.mean(0)
    y.sum()
    gx = np.empty_like(x)
    gx[...] = np.divide(_ones(y.shape), f32(x.shape[0]))
    return y, gx


def _var_all(x, correction=1, std=False):
    d = np.subtract(x, _total(x) / f32(x.size))
    flat = d.reshape(-1)
    v = np.dot(flat, flat) / f32(x.size - correction)
    if std:
        s = np.sqrt(v)
        d *= f32(1 / ((x.size - correction) * s))
        return s, d
    d *= f32(2 / (x.size - correction))
    return v, d


def _var_dim1(x):  # var(dim=1, keepdim=True, correction=0)
    d = np.subtract(x, x.mean(1, keepdims=True))
    sq = np.multiply(d, d)
    v = sq.mean(1, keepdims=True)
    v.sum()
    d *= np.multiply(_ones(v.shape), f32(2 / x.shape[1]))
    return v, d


def _logsumexp(x):  # over dims (0, -1)
    axes = (0, x.ndim - 1)
    m = x.max(axis=axes, keepdims=True, initial=-np.inf)  # (initial: NumPy's faster loop)
    e = np.subtract(x, m)
    np.exp(e, out=e)
    s = e.sum(axis=axes, keepdims=True)
    y = np.log(s)
    y += m
    y = y.reshape(x.shape[1:-1])
    y.sum()
    e *= np.divide(_ones(y.shape).reshape(s.shape), s)
    return y, e


def _softmax_last(x):
    y = np.subtract(x, x.max(-1, keepdims=True, initial=-np.inf))  # (initial: NumPy's faster loop)
    np.exp(y, out=y)
    y /= _row_sums(y)
    y.sum()
    g = _ones(y.shape)
    t = np.multiply(g, y)
    dot = _row_sums(t)
    np.subtract(g, dot, out=t)
    t *= y
    return y, t


def _log_softmax0(x):
    z = np.subtract(x, x.max(0, keepdims=True, initial=-np.inf))  # (initial: NumPy's faster loop)
    e = np.exp(z)
    s = e.sum(0, keepdims=True)
    z -= np.log(s)
    z.sum()
    g = _ones(z.shape)
    e /= s
    e *= g.sum(0, keepdims=True)
    np.subtract(g, e, out=e)
    return z, e


def _layer_norm(arrays, extras):
    x, w, b = arrays
    eps = f32(1e-5)

    def step():
        d = x.shape[-1]
        xc = np.subtract(x, _row_sums(x) / f32(d))
        var = np.einsum("...i,...i->...", xc, xc)[..., None] / f32(d)
        rstd = 1 / np.sqrt(var + eps)
        xc *= rstd  # xhat, in place
        y = np.multiply(xc, w)
        y += b
        y.sum()
        g = _ones(y.shape)
        g2, xh2 = g.reshape(-1, d), xc.reshape(-1, d)
        gb = g2.sum(0)
        gw = np.einsum("ni,ni->i", g2, xh2)
        gxh = np.multiply(g, w)
        m1 = _row_sums(gxh) / f32(d)
        m2 = np.einsum("...i,...i->...", gxh, xc)[..., None] / f32(d)
        xc *= m2
        gxh -= m1
        gxh -= xc
        gxh *= rstd
        return y, gxh, gw, gb

    return [step]


def _cross_entropy(arrays, extras):
    (x,) = arrays
    (t,) = extras
    n = x.shape[0]
    rows = np.arange(n)

    def step():
        e = np.subtract(x, x.max(1, keepdims=True, initial=-np.inf))  # (initial: NumPy's faster loop)
        picked = e[rows, t]
        np.exp(e, out=e)
        s = _row_sums(e)
        loss = (np.log(s).sum() - picked.sum()) / n
        e *= f32(1.0 / n) / s  # softmax / n, in place
        e[rows, t] -= f32(1.0 / n)
        return loss, e

    return [step]


def _embedding(arrays, extras):
    (w,) = arrays
    (idx,) = extras
    v, d = w.shape
    flat = idx.reshape(-1)

    def sort_reduceat():
        y = np.take(w, idx, axis=0)
        y.sum()
        g2 = _ones(y.shape).reshape(-1, d)
        order = np.argsort(flat, kind="stable")
        sf = flat[order]
        starts = np.flatnonzero(np.concatenate(([True], sf[1:] != sf[:-1])))
        gw = np.zeros_like(w)
        gw[sf[starts]] = np.add.reduceat(g2[order], starts, axis=0)
        return y, gw

    def one_hot_gemm():
        y = np.take(w, idx, axis=0)
        y.sum()
        g2 = np.ascontiguousarray(_ones(y.shape)).reshape(-1, d)
        hot = np.zeros((v, flat.size), np.float32)
        hot[flat, np.arange(flat.size)] = 1
        return y, hot @ g2

    return [sort_reduceat, one_hot_gemm]


def _conv2d(arrays, extras):  # padding=1, stride 1, bias
    x, w, b = arrays
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    w2 = w.reshape(o, -1)

    def step():
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        oh, ow = h + 2 - kh + 1, wd + 2 - kw + 1
        s = xp.strides
        win = np.lib.stride_tricks.as_strided(xp, (n, oh, ow, c, kh, kw), (s[0], s[2], s[3], s[1], s[2], s[3]))
        cols = win.reshape(n * oh * ow, c * kh * kw)  # the one im2col copy
        y2 = cols @ w2.T
        y2 += b
        y = np.ascontiguousarray(y2.reshape(n, oh, ow, o).transpose(0, 3, 1, 2))
        y.sum()
        g = _ones(y.shape)
        g2 = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(-1, o)
        gw = (g2.T @ cols).reshape(w.shape)
        gb = g2.sum(0)
        gcols = (g2 @ w2).reshape(n, oh, ow, c, kh, kw)
        gxp = np.zeros_like(xp)
        for i in range(kh):
            for j in range(kw):
                gxp[:, :, i:i + oh, j:j + ow] += gcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        return y, gxp[:, :, 1:-1, 1:-1], gw, gb

    def per_image_layout():  # columns as (n, c*kh*kw, oh*ow): the output comes out NCHW, col2im adds rows
        xp = np.zeros((n, c, h + 2, wd + 2), np.float32)
        xp[:, :, 1:-1, 1:-1] = x
        oh, ow = h + 2 - kh + 1, wd + 2 - kw + 1
        s = xp.strides
        win = np.lib.stride_tricks.as_strided(xp, (n, c, kh, kw, oh, ow), (s[0], s[1], s[2], s[3], s[2], s[3]))
        cols = win.reshape(n, c * kh * kw, oh * ow)  # the one im2col copy
        y = np.matmul(w2, cols)
        y += b[:, None]
        y = y.reshape(n, o, oh, ow)
        y.sum()
        g = np.ascontiguousarray(_ones(y.shape)).reshape(n, o, oh * ow)
        gb = g.sum((0, 2))
        gw = np.matmul(g, cols.transpose(0, 2, 1)).sum(0).reshape(w.shape)
        gcols = np.matmul(w2.T, g).reshape(n, c, kh, kw, oh, ow)
        gxp = np.zeros_like(xp)
        for i in range(kh):
            for j in range(kw):
                gxp[:, :, i:i + oh, j:j + ow] += gcols[:, :, i, j]
        return y, gxp[:, :, 1:-1, 1:-1], gw, gb

    return [step, per_image_layout]


def _max_pool2d(arrays, extras):  # kernel 2, stride 2
    (x,) = arrays
    n, c, h, w = x.shape
    quads = [(i, j) for i in range(2) for j in range(2)]

    def by_slices():
        parts = [x[:, :, i:h - h % 2:2, j:w - w % 2:2] for i, j in quads]
        y = np.maximum(np.maximum(parts[0], parts[1]), np.maximum(parts[2], parts[3]))
        y.sum()
        g = _ones(y.shape)
        gx = np.zeros_like(x)
        for (i, j), p in zip(quads, parts):
            np.multiply(g, np.equal(p, y), out=gx[:, :, i:h - h % 2:2, j:w - w % 2:2])
        return y, gx

    def by_argmax():
        h2, w2 = h // 2, w // 2
        win = x[:, :, :h2 * 2, :w2 * 2].reshape(n, c, h2, 2, w2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h2, w2, 4)
        arg = win.argmax(-1)[..., None]
        y = np.take_along_axis(win, arg, -1)[..., 0]
        y.sum()
        gwin = np.zeros_like(win)
        np.put_along_axis(gwin, arg, _ones(y.shape)[..., None], -1)
        gx = np.zeros_like(x)
        gx[:, :, :h2 * 2, :w2 * 2] = gwin.reshape(n, c, h2, w2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h2 * 2, w2 * 2)
        return y, gx

    return [by_slices, by_argmax]


def _gemm(arrays, extras):  # (n,k) @ (k,m), or (..., k) @ (k, m) folded into one GEMM
    a, b = arrays
    k = a.shape[-1]

    def step():
        a2 = a.reshape(-1, k)
        y2 = a2 @ b
        y2.sum()
        g2 = np.ascontiguousarray(_ones(y2.shape))
        return y2.reshape(*a.shape[:-1], b.shape[1]), (g2 @ b.T).reshape(a.shape), a2.T @ g2

    return [step]


def _bmm(arrays, extras):
    a, b = arrays

    def step():
        y = np.matmul(a, b)
        y.sum()
        g = np.ascontiguousarray(_ones(y.shape))
        return y, np.matmul(g, b.transpose(0, 2, 1)), np.matmul(a.transpose(0, 2, 1), g)

    return [step]


def _linear(arrays, extras):
    x, w, b = arrays
    k = x.shape[-1]

    def step():
        x2 = x.reshape(-1, k)
        y2 = x2 @ w.T
        y2 += b
        y2.sum()
        g2 = np.ascontiguousarray(_ones(y2.shape))
        return y2.reshape(*x.shape[:-1], w.shape[0]), (g2 @ w).reshape(x.shape), g2.T @ x2, g2.sum(0)

    return [step]


def _addmm(arrays, extras):  # addmm(c, a, b, beta=0.5, alpha=2)
    c, a, b = arrays

    def step():
        y = a @ b
        y *= f32(2)
        y += np.multiply(c, f32(0.5))
        y.sum()
        g = np.ascontiguousarray(_ones(y.shape))
        ga = g @ b.T
        ga *= f32(2)
        gb = a.T @ g
        gb *= f32(2)
        return y, np.multiply(g, f32(0.5)), ga, gb

    return [step]


def _baddbmm(arrays, extras):  # baddbmm(c, a, b, beta=2)
    c, a, b = arrays

    def step():
        y = np.matmul(a, b)
        y += np.multiply(c, f32(2))
        y.sum()
        g = np.ascontiguousarray(_ones(y.shape))
        return y, np.multiply(g, f32(2)), np.matmul(g, b.transpose(0, 2, 1)), np.matmul(a.transpose(0, 2, 1), g)

    return [step]


_UNARY_FLOORS = {
    "exp": _exp, "log": _log, "sqrt": _sqrt, "pow_half": _sqrt, "abs": _abs, "neg": _neg, "sin": _sin, "cos": _cos,
    "tanh": _tanh, "sigmoid": _sigmoid, "relu": _relu, "silu": _silu, "square": _square, "reciprocal": _reciprocal,
    "pow_scalar": _cube, "gelu": _gelu_times_2, "gelu_tanh": _gelu_tanh,
}
_BINARY_FLOORS = {"add": _add, "sub": _sub, "mul": _mul, "div": _div, "maximum": _maximum, "pow": _pow, "mse_loss": _mse}
_REDUCE_FLOORS = {
    "sum": _sum, "sum_dim": _sum_last, "mean": _mean, "mean_dim": _mean0, "var": _var_all, "var_dim": _var_dim1,
    "std": lambda x: _var_all(x, std=True), "logsumexp": _logsumexp, "softmax": _softmax_last,
    "log_softmax": _log_softmax0,
}

#: row name -> make(arrays, extras) -> list of zero-argument variants (the fastest one is the floor)
FLOORS: dict = {
    **{k: _unary(v) for k, v in _UNARY_FLOORS.items()},
    **{k: _binary(v) for k, v in _BINARY_FLOORS.items()},
    **{k: _reduce(v) for k, v in _REDUCE_FLOORS.items()},
    "layer_norm": _layer_norm, "cross_entropy": _cross_entropy, "embedding": _embedding, "conv2d": _conv2d,
    "max_pool2d": _max_pool2d, "mm": _gemm, "matmul": _gemm, "bmm": _bmm, "linear": _linear, "addmm": _addmm,
    "baddbmm": _baddbmm,
}
# the method spelling of a function row computes the same maths
for _name in ("sin", "cos", "square", "reciprocal"):
    FLOORS.setdefault(_name + "_method", FLOORS[_name])
