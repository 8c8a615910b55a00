"""Sampling ops: in-place samplers (``uniform_``, ``normal_``, ...), ``bernoulli``, ``multinomial``,
``poisson``, ``binomial``."""
from __future__ import annotations

import math

from .. import backend as B
from .. import backend_random
from .. import dtypes as D
from ..autograd import function as F
from ..autograd.function import Op, apply_inplace
from ..device import check_device
from ..errors import KittyNotImplementedError, KittyRuntimeError, KittyTypeError, KittyValueError
from . import _scalar_samplers as scalar_samplers
from ._prep import broadcast_shape_of, check_scalar, dtype_name, tensor_input
from .shape import _shape_arg


def _gen(generator):
    return generator if generator is not None else backend_random.default_generator


class Overwrite(Op):
    """``self`` replaced by drawn values (the in-place random fills); the gradient to self is zero."""

    def forward(self, x, values=None):
        return values.astype(x.dtype, copy=False)

    def backward(self, g):
        return (self.xp.zeros_like(g),)


def _sample_op(values, *params, derivative=True):
    """Wrap ``values`` as the result of a zero-gradient op of the tensor ``params`` (or, without a
    ``derivative``, one whose backward raises, as torch's ``bernoulli(x, p)``; a string
    ``derivative`` names the op whose backward raises)."""
    return ZeroGradSample.apply(*params, values=values, derivative=derivative)


class ZeroGradSample(Op):
    """Samples drawn with tensor parameters (normal's mean/std, bernoulli's p): zero gradients."""

    saved_fields = ("derivative", "shapes")
    _name = "NormalBackward"

    def forward(self, *params, values=None, derivative=True):
        self.shapes, self.derivative = [p.shape for p in params], derivative
        return values

    def backward(self, g):
        if self.derivative is not True:
            name = self.derivative or "bernoulli"
            raise KittyRuntimeError(f"derivative for aten::{name} is not implemented")
        xp = self.xp
        return tuple(xp.zeros(s, g.dtype) if need else None for s, need in zip(self.shapes, self.needs_input_grad))


def _in_dtype(v, dtype):
    """A parameter in ``dtype``: a tensor's array (inside vmap, maybe the stand-in for the batch's,
    which NumPy's ``asarray`` cannot take) or a number."""
    return v.astype(dtype, copy=False) if hasattr(v, "astype") else B.xp.asarray(v, dtype=dtype)


def _float_dtype(dtype):
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    return dt


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad: bool = False):
    """Normal samples: tensor ``mean``/``std`` broadcast elementwise, or numbers with a ``size``.

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(0); kitty.normal(0., 1., size=(2,)).shape
    kittygrad.Size([2])
    """
    check_device(device, "normal")
    T = F.Tensor
    gen = _gen(generator)
    tm, ts = isinstance(mean, T), isinstance(std, T)
    if not tm and not ts:
        if size is None:
            raise KittyTypeError("normal() received an invalid combination of arguments: with number mean and std, give a size")
        m, s = check_scalar(mean, "normal"), check_scalar(std, "normal")
        if s < 0:
            raise KittyRuntimeError(f"normal expects std >= 0.0, but found std {s}")

        dt = _float_dtype(dtype)
        t = T._wrap(gen.normal(m, s, _shape_arg((size,)), dt.np))
        return t.requires_grad_() if requires_grad else t
    params = [p for p in (mean, std) if isinstance(p, T)]
    for p in params:
        if not B.is_float(p._data.dtype):
            raise KittyRuntimeError(f'"normal" not implemented for \'{p.dtype.name}\'')
    if ts and std._data.size and std._data.min() < 0:
        raise KittyRuntimeError("normal expects all elements of std >= 0.0")
    m = mean._data if tm else mean
    s = std._data if ts else std
    shape = broadcast_shape_of(B.xp.shape(m), B.xp.shape(s))
    dt = (mean if tm else std)._data.dtype
    values = gen.normal(0.0, 1.0, shape, dt) * _in_dtype(s, dt) + _in_dtype(m, dt)
    return _sample_op(values.astype(dt, copy=False), *params)


def bernoulli(input, p=None, *, generator=None):
    """0/1 samples with probabilities ``input`` (or the number ``p``), in input's dtype.

    >>> import kittygrad as kitty
    >>> kitty.bernoulli(kitty.ones(3))
    tensor([1., 1., 1.])
    """
    x = tensor_input(input)
    probs = x._data if p is None else B.xp.asarray(p, dtype="float64")
    if probs.size and not (probs.min() >= 0 and probs.max() <= 1):  # (a NaN fails both)
        raise KittyRuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    gen = _gen(generator)
    if p is None:  # torch compares uniforms of the probabilities' dtype with them (in C order)
        draw = gen.bernoulli(x._data)
    else:  # bernoulli(x, p) fills a new contiguous tensor with bernoulli_(p): float64 uniforms
        draw = gen.bernoulli_scalar(float(p), x._data.shape)
    values = draw.astype(x._data.dtype)
    if B.is_float(x._data.dtype):
        return _sample_op(values, x, derivative=p is None)
    return F.Tensor._wrap(values)


def _poisson_sample(g, lam: float) -> int:
    """One Poisson(lam) sample from float64 uniforms of ``g``, drawn as torch's CPU sampler draws
    them: Knuth's product of uniforms below a rate of 10, Hormann's transformed rejection (PTRS,
    1993) from 10 up. The same seed gives torch's numbers.

    >>> _poisson_sample(backend_random.Generator().manual_seed(11), 50.0)  # torch.poisson(torch.tensor([50.])) after manual_seed(11)
    43
    """
    def uniform() -> float:
        return float(g.random(()))

    if lam == 0:
        return 0
    if lam < 10:
        limit, count, prod = math.exp(-lam), 0, uniform()
        while prod > limit:
            count, prod = count + 1, prod * uniform()
        return count
    slam, loglam = math.sqrt(lam), math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = uniform() - 0.5
        v = uniform()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= v_r:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b) <= -lam + k * loglam - math.lgamma(k + 1):
            return k


#: rates up to which poisson draws torch's numbers, one Python sample at a time (~10-30 us each);
#: more are drawn by NumPy's vectorised sampler, seeded from the generator: repeatable, not torch's
_POISSON_TORCH_STREAM_MAX = 4096


def poisson(input, generator=None):
    """Poisson samples with rates ``input`` (float result, zero gradient): torch's numbers for up to
    4096 rates, NumPy's sampler (seeded from the generator) for more.

    >>> import kittygrad as kitty
    >>> kitty.poisson(kitty.zeros(2))
    tensor([0., 0.])
    """
    x = tensor_input(input)
    if not (x._data >= 0).all():  # (a NaN rate too, as torch)
        raise KittyRuntimeError("invalid Poisson rate, expected rate to be non-negative")
    g = _gen(generator)
    if x._data.size > _POISSON_TORCH_STREAM_MAX:
        values = B.xp.asarray(backend_random.poisson(g, x._data)).astype(x._data.dtype)
    else:
        rates = x._data.reshape(-1).tolist()  # C order: torch samples element after element
        values = B.xp.asarray([_poisson_sample(g, float(lam)) for lam in rates], dtype=x._data.dtype)
        values = values.reshape(x._data.shape)
    return _sample_op(values, x) if B.is_float(x._data.dtype) else F.Tensor._wrap(values)


def binomial(count, prob, generator=None):
    """The successes in ``count`` trials of probability ``prob`` (float result, zero gradient), as
    ``torch.binomial``: torch's numbers for up to 4096 elements (see :mod:`._scalar_samplers`).

    >>> import kittygrad as kitty
    >>> kitty.binomial(kitty.tensor([0., 5.]), kitty.tensor([0.5, 1.0]))
    tensor([0., 5.])
    """
    n, p = tensor_input(count), tensor_input(prob)
    if not B.is_float(n._data.dtype):
        raise KittyValueError(f"binomial only supports floating-point dtypes for count, got: {dtype_name(n)}")
    if (n._data < 0).any() or (p._data < 0).any() or (p._data > 1).any():
        raise KittyRuntimeError("binomial: expected count >= 0 and 0 <= prob <= 1")
    values = scalar_samplers.binomial(_gen(generator), n._data, p._data)
    return _sample_op(values, n, p, derivative="binomial")


def check_distribution(rows, num_samples: int, replacement: bool) -> None:
    """torch's checks of multinomial's weights (2-D array ``rows``), whose wording depends on the
    kernel that draws: the one for many samples with replacement walks the rows in order and
    names the first bad entry (NaN fails its ``>= 0`` test) or a row's sum; the other checks the
    whole tensor at once."""
    if not replacement or num_samples == 1:
        if (rows < 0).any() or not B.xp.isfinite(rows).all():
            raise KittyRuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (rows.sum(axis=1, dtype="float64") <= 0).any():
            raise KittyRuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        return
    with B.errstate(invalid="ignore"):
        negative = ~(rows >= 0)
        infinite = B.xp.isinf(rows)
        empty = rows.sum(axis=1, dtype="float64") <= 0
    bad = negative | infinite
    broken = bad.any(axis=1) | empty
    if not broken.any():
        return
    r = int(B.xp.argmax(broken))  # the first row with a problem
    if not bad[r].any():
        raise KittyRuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if negative[r, int(B.xp.argmax(bad[r]))]:
        raise KittyRuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
    raise KittyRuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None):
    """Category indices drawn with the (unnormalised) weights of each row of ``input``.

    >>> import kittygrad as kitty
    >>> kitty.multinomial(kitty.tensor([0., 1., 0.]), 2, replacement=True)
    tensor([1, 1])
    """
    x = tensor_input(input)
    w = x._data
    if w.ndim not in (1, 2):
        raise KittyRuntimeError("prob_dist must be 1 or 2 dim")
    if w.dtype.kind != "f":
        raise KittyRuntimeError(f"multinomial only supports floating-point dtypes for input, got: {dtype_name(x)}")
    if num_samples <= 0:
        raise KittyRuntimeError("cannot sample n_sample <= 0 samples")
    n = w.shape[-1]
    if not replacement and num_samples > n:
        raise KittyRuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rows = w.reshape(-1, n)
    check_distribution(rows, num_samples, replacement)
    # without replacement, a row with fewer positive weights than samples is no error in torch: its
    # zero-weight categories (key 0 / Exp(1) = 0) come after the others, here in index order (torch's
    # order among them is its topk's, unspecified, as for ties elsewhere)
    res = _gen(generator).multinomial(rows, num_samples, replacement)  # torch's draws, row by row
    return F.Tensor._wrap(res.reshape(w.shape[:-1] + (num_samples,)))


# ---------------------------------------------------------------------------------------------
# in-place fills (Tensor.uniform_ and friends)


def _fill(self, values):
    """Write ``values`` (in draw order) into ``self``, which torch fills in its memory order."""
    return apply_inplace(Overwrite, self, values=B.memory_order(values, self._data))


def _float_fill(self, name):
    if not B.is_float(self._data.dtype):
        raise KittyNotImplementedError(f'"{name}" not implemented for \'{dtype_name(self)}\'')


def _check_uniform_fill(self, a, b) -> None:
    """torch's checks before ``self`` is filled from U(a, b) (``uniform_``, ``nn.init.uniform_``)."""
    if a > b:
        raise KittyRuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    _float_fill(self, "check_uniform_bounds")


def _check_normal_fill(self, std) -> None:
    """torch's checks before ``self`` is filled from N(mean, std^2) (``normal_``, ``nn.init.normal_``)."""
    if std < 0:
        raise KittyRuntimeError(f"normal expects std >= 0.0, but found std {std}")
    _float_fill(self, "normal_kernel_cpu")


def _uniform_(self, a=0.0, b=1.0, *, generator=None):
    _check_uniform_fill(self, a, b)
    return _fill(self, _gen(generator).uniform(a, b, self._data.shape, self._data.dtype))


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    _check_normal_fill(self, std)
    # torch's block algorithm needs a contiguous tensor; a strided one is filled one element at a time
    values = _gen(generator).normal(mean, std, self._data.shape, self._data.dtype, contiguous=self._data.flags.c_contiguous)
    return _fill(self, values)


def _bernoulli_(self, p=0.5, *, generator=None):
    probs = p._data if isinstance(p, F.Tensor) else p
    arr = B.xp.asarray(probs, dtype="float64")
    if arr.size and ((arr < 0).any() or (arr > 1).any()):
        raise KittyRuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    gen = _gen(generator)
    if isinstance(p, F.Tensor):  # uniforms of p's dtype, in self's memory order
        return apply_inplace(Overwrite, self, values=gen.bernoulli(B.xp.broadcast_to(probs, self._data.shape), like=self._data))
    return _fill(self, gen.bernoulli_scalar(float(p), self._data.shape))


def _exponential_(self, lambd=1.0, *, generator=None):
    if lambd <= 0:
        raise KittyRuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    if not B.is_float(self._data.dtype):
        raise KittyRuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be a floating point "
            f"but you specified {dtype_name(self)}"
        )
    return _fill(self, _gen(generator).exponential(lambd, self._data.shape))


def _geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise KittyRuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = _gen(generator).random(self._data.shape)
    with B.errstate(divide="ignore"):
        values = B.xp.ceil(B.xp.log(u) / math.log1p(-p))
    return _fill(self, B.xp.maximum(values, 1))


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    if std <= 0:
        raise KittyRuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    # torch draws these normals one at a time (float64, sharing the cached second normal)
    z = _gen(generator).normal(mean, std, self._data.shape, "float64", contiguous=False)
    return _fill(self, B.xp.exp(z))


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    if sigma <= 0:
        raise KittyRuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    u = _gen(generator).random(self._data.shape)
    return _fill(self, median + sigma * B.xp.tan(math.pi * (u - 0.5)))


def _random_(self, a=None, b=None, *, generator=None):
    dt = self._data.dtype
    if a is None and b is None:  # over the dtype's exactly held integers, torch's own way
        return _fill(self, _gen(generator).random_full(self._data.shape, dt))
    if a is None:
        lo, hi = 0, b
    elif b is None:
        lo, hi = 0, a
    else:
        lo, hi = a, b
    if lo >= hi:
        raise KittyRuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    return _fill(self, _gen(generator).integers(lo, hi, self._data.shape, "int64"))

