"""What the op-table rows are built from: the ``Row`` record, input domains, shape helpers, and the
small functions rows call (each family's rows live in ``tests/ops/test_<family>.py``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


def positive(x):
    return np.abs(x) + 0.5


def unit_open(x):  # (-1, 1), away from the ends
    return np.tanh(x) * 0.9


def away_from_zero(x):
    return np.where(np.abs(x) < 0.2, np.sign(x + 1e-12) * 0.2 + x, x)


def away_from_int(x):  # for floor/round-like kinks
    return np.floor(x) + 0.25 + 0.5 * (np.abs(x) % 1)


def distinct(x):
    """Values that are far apart (for max/sort-like ops whose gradients need no ties)."""
    flat = np.arange(x.size, dtype=np.float64)
    np.random.default_rng(x.size).shuffle(flat)
    return (flat.reshape(x.shape) * 0.37 - x.size * 0.15)


@dataclass
class Row:
    name: str  # the public name the row covers (coverage is checked by name)
    fn: Callable  # fn(lib, *tensors) -> tensor or tuple of tensors
    nargs: int = 1
    broadcast: bool = False  # draw mutually broadcastable shapes for the inputs
    shapes: Callable | None = None  # rng -> list of shapes, for ops with shape constraints
    domain: Callable | None = None  # maps drawn float values into the op's domain
    grad: tuple | bool = True  # which inputs get gradients (True = all)
    fd: bool = True  # run the float64 finite-difference check
    atol: float = 1e-5
    rtol: float = 1e-4
    min_dims: int = 0
    max_dims: int = 3
    also: tuple = field(default_factory=tuple)  # further public names this row covers
    float_only: bool = True
    ints: bool = False  # also compare forward on int64 inputs (no gradients)
    inputs: str = "float"  # "int" / "bool": the row's inputs are int64 / bool tensors (forward only)
    random: bool = False  # sampling op: compare shapes, dtypes, flags and gradients, not values

    @property
    def names(self):
        return (self.name,) + tuple(self.also)


def matrix_shapes(*pattern):
    """shapes for matmul-like ops: pattern letters are sizes drawn per call, e.g. ("nk", "km")."""

    def draw(rng):
        sizes = {c: int(rng.integers(1, 5)) for c in "".join(pattern)}
        return [tuple(sizes[c] for c in p) for p in pattern]

    return draw


def fixed(*shapes):
    return lambda rng: [tuple(s) for s in shapes]


def _setitem(m, a, b):
    x = a * 1
    x[1] = b
    x[0, 1:3] = 5.0
    return x


def _inplace_view(a, b):
    x = a * 1
    v = x[1:]
    v.mul_(b)
    x[0].add_(b)
    del v
    return x * x


def F(m):
    return m.nn.functional


def _vf(m):
    if m.__name__ == "torch":
        return m._VF
    from kittygrad.ops.nn import recurrent

    return recurrent


def _attention_weights(m, w, average, batched):
    """kittygrad's fused op, or the same maths composed in torch (torch has no such primitive)."""
    if m.__name__ == "torch":
        ret = w.reshape(2, 2, *w.shape[1:])
        ret = ret.mean(1) if average else ret
        return w * 1, ret if batched else ret[0]
    from kittygrad.ops.nn import attention

    return attention.attention_weights(w, 2, 2, average, batched)


def _probs(x):
    return 1 / (1 + np.exp(-x)) * 0.9 + 0.05


def _int_tensor(m, values):
    return m.tensor(values)


def _rnn_shapes(mode, T=3, N=2, I=3, H=2, layers=1, bidir=False, bias=True):
    gate = {"lstm": 4, "gru": 3}.get(mode, 1) * H
    ndir = 2 if bidir else 1
    shapes = [(T, N, I), (layers * ndir, N, H)]
    if mode == "lstm":
        shapes.append((layers * ndir, N, H))
    for layer in range(layers):
        for _ in range(ndir):
            in_size = I if layer == 0 else H * ndir
            shapes += [(gate, in_size), (gate, H)]
            if bias:
                shapes += [(gate,), (gate,)]
    return fixed(*shapes)


def _rnn(name, layers=1, bidir=False, bias=True, batch_first=False):
    def fn(m, x, h, *rest):
        vf = _vf(m)
        if batch_first:
            x = x.transpose(0, 1)
        if name == "lstm":
            c, params = rest[0], list(rest[1:])
            return getattr(vf, name)(x, (h, c), params, bias, layers, 0.0, False, bidir, batch_first)
        return getattr(vf, name)(x, h, list(rest), bias, layers, 0.0, False, bidir, batch_first)

    return fn


def sigmoid_open(x):  # (0.05, 0.95)
    return 0.05 + 0.9 / (1 + np.exp(-x))


def above_one(x):
    return np.abs(x) + 1.5


def away_from_tenths(x):  # for round(decimals=1)
    return (np.floor(x * 10) + 0.3) / 10


def well_conditioned(x):
    """Add a multiple of the identity to the last two dims when they are square."""
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        return x
    return x + 3.0 * np.eye(x.shape[-1])


def clamp_domain(x):
    return x * 1.013 + 0.001


def _bits(m, a):
    return a.abs() % 4


def _specials(m, a):
    # finite values, NaN (log of negatives) and ±inf (1 / ±0)
    return m.stack([a, a.log(), 1 / (a * 0)])


def _spd(m, a):
    n = a.shape[-1]
    return a @ a.mT + n * m.eye(n, dtype=a.dtype)


# ---- elementwise unary ops: function rows and in-place twins, with their domains -------------
UNARY = [
    ("sin", None), ("cos", None), ("tan", unit_open), ("asin", unit_open), ("acos", unit_open),
    ("atan", None), ("sinh", None), ("cosh", None), ("asinh", None), ("acosh", above_one),
    ("atanh", unit_open), ("exp2", None), ("expm1", None), ("log2", positive), ("log10", positive),
    ("log1p", positive), ("rsqrt", positive), ("square", None), ("reciprocal", away_from_zero),
    ("erf", None), ("erfc", None), ("erfinv", unit_open), ("frac", away_from_int), ("sign", away_from_zero),
    ("floor", away_from_int), ("ceil", away_from_int), ("trunc", away_from_int), ("round", away_from_int),
    ("logit", sigmoid_open),
]
ALIASES = {"asin": ("arcsin",), "acos": ("arccos",), "atan": ("arctan",), "asinh": ("arcsinh",),
           "acosh": ("arccosh",), "atanh": ("arctanh",), "trunc": ("fix",), "sign": ("sgn",)}
INT_OK = {"square", "sign", "floor", "ceil", "trunc", "round", "sin", "exp2", "reciprocal", "rsqrt"}


def _unary_rows():
    rows = []
    for name, dom in UNARY:
        rows.append(Row(name, lambda m, a, n=name: getattr(m, n)(a), domain=dom, also=ALIASES.get(name, ()),
                        ints=name in INT_OK and name not in ("rsqrt", "reciprocal")))
        rows.append(Row(name + "_method", lambda m, a, n=name: getattr(a, n)(), domain=dom))
        # torch has no derivative for the in-place inverse hyperbolics (kittygrad has one)
        grad = name not in ("asinh", "acosh", "atanh")
        rows.append(Row(name + "_", lambda m, a, n=name: getattr(a * 1, n + "_")(), domain=dom, grad=grad, fd=grad))
    return rows + inplace_rows(("exp", None), ("log", positive), ("sqrt", positive), ("abs", away_from_zero))


def inplace_rows(*specs):
    """``x.<name>_()`` rows for ``(name, domain)`` pairs: the in-place twin of an out-of-place op."""
    return [Row(name + "_", lambda m, a, n=name: getattr(a * 1, n + "_")(), domain=dom) for name, dom in specs]


def _ibits(x, y):
    x |= y
    x ^= y + 1
    x &= y - 1
    return x.bitwise_not_()


def _ints(m, a):
    return (a * 3).round().long()


def _lin(name, fn, n=1, **kw):
    return Row(name, fn, n, **kw)


def _quiet(fn, *args):
    """Call a deprecated torch function without its deprecation warning (kittygrad gives none).
    With five arguments, ``fn`` is scatter and the last one its ``reduce``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if len(args) == 5:
            return fn(*args[:4], reduce=args[4])
        return fn(*args)


def _diag_write(a):
    x = a * 1
    x.diagonal().mul_(3)
    return x


def _svd_use(m, usv, full=False):
    """Sign-invariant uses of the SVD: U Vh (polar factor), S, and the rank-1 parts u_i v_i^T."""
    u, s, vh = usv
    k = s.shape[-1]
    if full:
        u = u[..., :, :k]
    return u @ vh[..., :k, :], s, u[..., :, :1] * vh[..., :1, :]


def _svd_old(m, usv):
    u, s, v = usv
    return u @ v.mT, s


def _SR_IDX(m):  # noqa: N802 - a constant-like helper
    return m.tensor([[0, 1, 0], [2, 1, 0], [0, 0, 2]])


def _narrow_write(m, a, b):
    x = a * 1
    x.narrow(1, 1, 2).add_(b)
    m.select(x, 0, 2).mul_(2)
    x.diagonal(1).sub_(1)
    return x * x
