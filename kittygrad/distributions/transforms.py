"""Transforms: invertible maps with known log-Jacobians (torch.distributions.transforms), from which
:class:`TransformedDistribution` builds new distributions (LogNormal is Normal through ``exp``).

Each transform declares what it is -- domain, codomain, bijectivity, Jacobian sign -- as class
keywords, names the constructor arguments that rebuild it (``_rebuild_from``, used by
``with_cache``) and those that decide equality (``_equal_by``), and supplies only its maps:
``_call``, ``_inverse`` and ``log_abs_det_jacobian``. Caching, inversion and comparison live once,
in :class:`Transform`.

>>> import kittygrad as kitty
>>> from kittygrad.distributions.transforms import ExpTransform
>>> t = ExpTransform()
>>> t(kitty.tensor([0.])), t.inv(kitty.tensor([1.]))
(tensor([1.]), tensor([0.]))
"""

from __future__ import annotations

import math
import weakref
from functools import reduce
from itertools import accumulate
from numbers import Number

from ..errors import KittyIndexError, KittyNotImplementedError, KittyValueError
from .. import linalg
from ..creation import eye, full_like, ones, zeros
from ..nn import functional as F
from ..ops.joining import cat as _cat
from ..ops.joining import stack as _stack
from ..ops.shape import broadcast_shapes
from ..ops.triangle_indices import tril_indices
from ..size import Size
from . import constraints
from .utils import _finfo, _sum_rightmost, broadcast_all

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "CatTransform",
    "ComposeTransform",
    "CorrCholeskyTransform",
    "CumulativeDistributionTransform",
    "ExpTransform",
    "IndependentTransform",
    "LowerCholeskyTransform",
    "PositiveDefiniteTransform",
    "PowerTransform",
    "ReshapeTransform",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StackTransform",
    "StickBreakingTransform",
    "TanhTransform",
    "Transform",
    "identity_transform",
]

_DECLARABLE = ("domain", "codomain", "bijective", "sign")


def _delegate(owner: str, name: str):
    """A read-only attribute answered by the object held in ``self.<owner>``."""
    return property(lambda self: getattr(getattr(self, owner), name))


def _same_value(a, b) -> bool:
    """Equality of parameters that may be numbers, tensors or lists of transforms."""
    result = a == b
    return result if isinstance(result, bool) else bool(result.all())


def _reals(event_dim: int):
    return constraints.independent(constraints.real, event_dim) if event_dim else constraints.real


def _widened(constraint, event_dim: int):
    """``constraint`` read over ``event_dim`` rightmost dims (if that is more than its own)."""
    extra = event_dim - constraint.event_dim
    return constraints.independent(constraint, extra) if extra > 0 else constraint


def _all_bijective(parts) -> bool:
    return all(part.bijective for part in parts)


def _checked_parts(tseq, cache_size: int, owner: str):
    parts = list(tseq)
    if any(not isinstance(part, Transform) for part in parts):
        raise KittyValueError(f"{owner}: every element of tseq must be a Transform")
    return [part.with_cache(cache_size) for part in parts] if cache_size else parts


class Transform:
    """An invertible (or at least computable) map ``y = t(x)`` with ``log |dy/dx|``.

    Subclasses define ``_call``, ``_inverse``, ``log_abs_det_jacobian``, ``domain`` and
    ``codomain``. With ``cache_size=1`` the latest ``(x, y)`` pair is remembered, so ``t.inv(t(x))``
    returns ``x`` itself.

    >>> import kittygrad as kitty
    >>> Transform().inv.inv.__class__.__name__
    'Transform'
    """

    bijective = False
    domain = constraints.real
    codomain = constraints.real
    # Constructor arguments (attribute names) that rebuild this transform; None: only the default.
    _rebuild_from: tuple | None = None
    # Attributes compared by ``==``; None: a transform equals only itself.
    _equal_by: tuple | None = None

    def __init_subclass__(cls, **declared) -> None:
        unknown = set(declared) - set(_DECLARABLE)
        if unknown:
            raise TypeError(f"unknown Transform declarations: {sorted(unknown)}")
        super().__init_subclass__()
        for name, value in declared.items():
            setattr(cls, name, value)

    def __init__(self, cache_size: int = 0) -> None:
        if cache_size not in (0, 1):
            raise KittyValueError("cache_size must be 0 or 1")
        if cache_size:
            self._cached_x_y = None, None
        self._cache_size = cache_size
        self._inv = None
        super().__init__()

    def __getstate__(self):
        # the inverse is held by weak reference, which cannot be pickled
        return {**self.__dict__, "_inv": None}

    @property
    def event_dim(self) -> int:
        in_dim, out_dim = self.domain.event_dim, self.codomain.event_dim
        if in_dim != out_dim:
            raise KittyValueError("Please use either .domain.event_dim or .codomain.event_dim")
        return in_dim

    def _make_inverse(self):
        return _InverseTransform(self)

    @property
    def inv(self):
        """The inverse transform (kept weakly, so a transform and its inverse do not leak)."""
        inverse = None if self._inv is None else self._inv()
        if inverse is None:
            inverse = self._make_inverse()
            self._inv = weakref.ref(inverse)
        return inverse

    @property
    def sign(self):
        """The sign of the Jacobian's determinant, where it is constant (monotone maps)."""
        raise NotImplementedError

    def with_cache(self, cache_size: int = 1):
        if cache_size == self._cache_size:
            return self
        args = self._rebuild_from
        if args is None:
            if type(self).__init__ is not Transform.__init__:
                raise KittyNotImplementedError(f"{type(self)}.with_cache is not implemented")
            args = ()
        return type(self)(*(getattr(self, name) for name in args), cache_size=cache_size)

    def __eq__(self, other) -> bool:
        if self._equal_by is None:
            return self is other
        # equality is per family: the class that declared what to compare (and its subclasses)
        family = next(c for c in type(self).__mro__ if "_equal_by" in vars(c))
        return isinstance(other, family) and all(
            _same_value(getattr(self, name), getattr(other, name)) for name in self._equal_by
        )

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def _through_cache(self, value, compute, given: int):
        """``compute(value)``, remembering the pair; ``given`` is 0 when value is an x, 1 for a y."""
        if not self._cache_size:
            return compute(value)
        pair = self._cached_x_y
        if pair[given] is value:
            return pair[1 - given]
        result = compute(value)
        self._cached_x_y = (value, result) if given == 0 else (result, value)
        return result

    def __call__(self, x):
        return self._through_cache(x, self._call, 0)

    def _inv_call(self, y):
        return self._through_cache(y, self._inverse, 1)

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError

    def log_abs_det_jacobian(self, x, y):
        """log |det dy/dx| (elementwise for event_dim 0)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def forward_shape(self, shape):
        """The output shape for an input of ``shape``."""
        return shape

    def inverse_shape(self, shape):
        """The input shape for an output of ``shape``."""
        return shape


class _InverseTransform(Transform):
    """The inverse of a transform (``t.inv``)."""

    bijective = _delegate("_inv", "bijective")
    sign = _delegate("_inv", "sign")
    # shapes and maps swap roles with the forward transform's
    forward_shape = _delegate("_inv", "inverse_shape")
    inverse_shape = _delegate("_inv", "forward_shape")
    __call__ = _delegate("_inv", "_inv_call")

    def __init__(self, transform: Transform) -> None:
        super().__init__(cache_size=transform._cache_size)
        self._inv = transform

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        return self._inv.codomain

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        return self._inv.domain

    @property
    def inv(self):
        return self._inv

    def with_cache(self, cache_size: int = 1):
        return self._inv.with_cache(cache_size).inv

    def __eq__(self, other) -> bool:
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._inv!r})"

    def log_abs_det_jacobian(self, x, y):
        forward = self._inv.log_abs_det_jacobian(y, x)
        return -forward


def _propagated_event_dim(ordered_parts, src: str, dst: str) -> int:
    """The event dim a chain of transforms needs at its ``dst`` end, walked from the ``src`` end
    (``"domain"`` to ``"codomain"`` forwards, the reverse backwards): each part may add event dims."""
    needed = getattr(ordered_parts[0], src).event_dim
    for part in ordered_parts:
        d_src, d_dst = getattr(part, src).event_dim, getattr(part, dst).event_dim
        needed = max(needed + d_dst - d_src, d_dst)
    return needed


class ComposeTransform(Transform):
    """The transforms of ``parts`` applied in order (``ComposeTransform([])`` is the identity).

    >>> import kittygrad as kitty
    >>> t = ComposeTransform([ExpTransform(), AffineTransform(1., 2.)])
    >>> t(kitty.tensor([0.]))
    tensor([3.])
    """

    _rebuild_from = ("parts",)
    _equal_by = ("parts",)

    def __init__(self, parts, cache_size: int = 0) -> None:
        parts = list(parts)
        super().__init__(cache_size=cache_size)
        self.parts = [p.with_cache(cache_size) for p in parts] if cache_size else parts

    def _end_constraint(self, ordered_parts, src: str, dst: str):
        if not ordered_parts:
            return constraints.real
        end = getattr(ordered_parts[-1], dst)
        return _widened(end, _propagated_event_dim(ordered_parts, src, dst))

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        return self._end_constraint(self.parts[::-1], "codomain", "domain")

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        return self._end_constraint(self.parts, "domain", "codomain")

    @property
    def bijective(self) -> bool:
        return _all_bijective(self.parts)

    @property
    def sign(self):
        return reduce(lambda acc, p: acc * p.sign, self.parts, 1)

    def _make_inverse(self):
        # the inverse is again a composition, not an _InverseTransform wrapper; the two refer to
        # each other weakly
        inverse = ComposeTransform([p.inv for p in self.parts[::-1]])
        inverse._inv = weakref.ref(self)
        return inverse

    def __call__(self, x):
        return reduce(lambda value, p: p(value), self.parts, x)

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return full_like(x, 0.0)
        total, event_dim, last = 0, self.domain.event_dim, len(self.parts) - 1
        for i, part in enumerate(self.parts):
            # the last output is the given y; intermediates are recomputed (or taken from caches)
            out = y if i == last else part(x)
            term = part.log_abs_det_jacobian(x, out)
            total = total + _sum_rightmost(term, event_dim - part.domain.event_dim)
            event_dim = event_dim - part.domain.event_dim + part.codomain.event_dim
            x = out
        return total

    def forward_shape(self, shape):
        return reduce(lambda s, p: p.forward_shape(s), self.parts, shape)

    def inverse_shape(self, shape):
        return reduce(lambda s, p: p.inverse_shape(s), self.parts[::-1], shape)

    def __repr__(self) -> str:
        inner = ",\n    ".join(map(repr, self.parts))
        return f"{type(self).__name__}(\n    {inner}\n)"


identity_transform = ComposeTransform(parts=[])


class IndependentTransform(Transform):
    """``base_transform`` with ``reinterpreted_batch_ndims`` extra dims treated as one event.

    >>> import kittygrad as kitty
    >>> IndependentTransform(ExpTransform(), 1).log_abs_det_jacobian(kitty.ones(2), kitty.ones(2))
    tensor(2.)
    """

    _rebuild_from = ("base_transform", "reinterpreted_batch_ndims")
    bijective = _delegate("base_transform", "bijective")
    sign = _delegate("base_transform", "sign")
    forward_shape = _delegate("base_transform", "forward_shape")
    inverse_shape = _delegate("base_transform", "inverse_shape")

    def __init__(self, base_transform, reinterpreted_batch_ndims: int, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        # the wrapped transform caches as this one does, so that inverting through it is free too
        wrapped = base_transform.with_cache(cache_size)
        self.base_transform = wrapped
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @staticmethod
    def _apply(fn, value, constraint):
        if value.dim() < constraint.event_dim:
            raise KittyValueError("Too few dimensions on input")
        return fn(value)

    def _call(self, x):
        return self._apply(self.base_transform, x, self.domain)

    def _inverse(self, y):
        return self._apply(self.base_transform.inv, y, self.codomain)

    def log_abs_det_jacobian(self, x, y):
        return _sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


def _swap_tail(shape, tail, replacement):
    """``shape`` with its trailing ``tail`` dims replaced by ``replacement`` (checked)."""
    keep = len(shape) - len(tail)
    if keep < 0:
        raise KittyValueError("Too few dimensions on input")
    if tuple(shape[keep:]) != tuple(tail):
        raise KittyValueError(f"Shape mismatch: expected {shape[keep:]} but got {tail}")
    return Size(tuple(shape[:keep]) + tuple(replacement))


def _real_block(ndim: int):
    return constraints.independent(constraints.real, ndim)


def _batch_shape(t, event_ndim: int):
    return tuple(t.shape)[: t.dim() - event_ndim]


class ReshapeTransform(Transform, bijective=True):
    """Reshape the rightmost ``in_shape`` dims to ``out_shape`` (same number of elements).

    >>> import kittygrad as kitty
    >>> ReshapeTransform((4,), (2, 2))(kitty.zeros(3, 4)).shape
    kittygrad.Size([3, 2, 2])
    """

    _rebuild_from = ("in_shape", "out_shape")

    def __init__(self, in_shape, out_shape, cache_size: int = 0) -> None:
        self.in_shape, self.out_shape = Size(in_shape), Size(out_shape)
        sizes = {shape.numel() for shape in (self.in_shape, self.out_shape)}
        if len(sizes) != 1:
            raise KittyValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size=cache_size)

    @constraints.dependent_property
    def domain(self):
        return _real_block(len(self.in_shape))

    @constraints.dependent_property
    def codomain(self):
        return _real_block(len(self.out_shape))

    def _call(self, x):
        return x.reshape(_batch_shape(x, len(self.in_shape)) + tuple(self.out_shape))

    def _inverse(self, y):
        return y.reshape(_batch_shape(y, len(self.out_shape)) + tuple(self.in_shape))

    def log_abs_det_jacobian(self, x, y):
        # a reshape only moves entries: volume is preserved
        return zeros(_batch_shape(x, len(self.in_shape)), dtype=x.dtype)

    def forward_shape(self, shape):
        return _swap_tail(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return _swap_tail(shape, self.out_shape, self.in_shape)


class ExpTransform(Transform, codomain=constraints.positive, bijective=True, sign=+1):
    """y = exp(x)."""

    _equal_by = ()

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class PowerTransform(Transform, domain=constraints.positive, codomain=constraints.positive, bijective=True):
    """y = x ** exponent on positive x.

    >>> import kittygrad as kitty
    >>> PowerTransform(2.)(kitty.tensor([3.]))
    tensor([9.])
    """

    _rebuild_from = ("exponent",)
    _equal_by = ("exponent",)

    def __init__(self, exponent, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.exponent = broadcast_all(exponent)[0]

    @property
    def sign(self):
        return self.exponent.sign()

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(self.exponent.reciprocal())

    def log_abs_det_jacobian(self, x, y):
        # dy/dx = exponent * x ** (exponent - 1) = exponent * y / x
        return (self.exponent * (y / x)).abs().log()

    def forward_shape(self, shape):
        return Size(broadcast_shapes(tuple(shape), tuple(getattr(self.exponent, "shape", ()))))

    inverse_shape = forward_shape


def _clamp_open_unit(p):
    """``p`` kept strictly inside (0, 1) at the dtype's resolution."""
    info = _finfo(p.dtype)
    return p.clamp(min=float(info.tiny), max=1.0 - float(info.eps))


def _clipped_sigmoid(x):
    return _clamp_open_unit(x.sigmoid())


class SigmoidTransform(Transform, codomain=constraints.unit_interval, bijective=True, sign=+1):
    """y = 1 / (1 + exp(-x)), kept inside (0, 1)."""

    _equal_by = ()

    def _call(self, x):
        return _clipped_sigmoid(x)

    def _inverse(self, y):
        p = _clamp_open_unit(y)
        return p.log() - (-p).log1p()

    def log_abs_det_jacobian(self, x, y):
        # sigmoid' = sigmoid(x) sigmoid(-x), each factor as -softplus for stability
        return -(F.softplus(x) + F.softplus(-x))


class SoftplusTransform(Transform, codomain=constraints.positive, bijective=True, sign=+1):
    """y = log(1 + exp(x))."""

    _equal_by = ()

    def _call(self, x):
        return F.softplus(x)

    def _inverse(self, y):
        # log(exp(y) - 1) = y + log(1 - exp(-y)), without overflow
        return y + (-(-y).expm1()).log()

    def log_abs_det_jacobian(self, x, y):
        return -F.softplus(-x)


class TanhTransform(Transform, codomain=constraints.interval(-1.0, 1.0), bijective=True, sign=+1):
    """y = tanh(x)."""

    _equal_by = ()

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return y.atanh()

    def log_abs_det_jacobian(self, x, y):
        # log(1 - tanh(x)^2) = 2 (log 2 - x - softplus(-2x)), without cancellation
        return 2.0 * (math.log(2.0) - x - F.softplus(-2.0 * x))


class AbsTransform(Transform, codomain=constraints.positive):
    """y = |x| (not injective: the inverse returns the positive root)."""

    _equal_by = ()

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class AffineTransform(Transform, bijective=True):
    """y = loc + scale * x (over ``event_dim`` rightmost dims for the Jacobian).

    >>> import kittygrad as kitty
    >>> AffineTransform(1., 2.).log_abs_det_jacobian(kitty.zeros(2), kitty.zeros(2))
    tensor([0.6931, 0.6931])
    """

    _rebuild_from = ("loc", "scale", "event_dim")
    _equal_by = ("loc", "scale")

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.loc, self.scale = loc, scale
        self._event_dim = event_dim

    @property
    def event_dim(self) -> int:
        return self._event_dim

    @constraints.dependent_property(is_discrete=False)
    def domain(self):
        return _reals(self.event_dim)

    @constraints.dependent_property(is_discrete=False)
    def codomain(self):
        return _reals(self.event_dim)

    @property
    def sign(self):
        if isinstance(self.scale, Number):
            return int(self.scale > 0) - int(self.scale < 0)
        return self.scale.sign()

    def _call(self, x):
        return self.scale * x + self.loc

    def _inverse(self, y):
        return (y - self.loc).div(self.scale)

    def log_abs_det_jacobian(self, x, y):
        if isinstance(self.scale, Number):
            per_entry = full_like(x, math.log(abs(self.scale)))
        else:
            per_entry = self.scale.abs().log()
        batch = tuple(x.shape)
        if self.event_dim:
            # one term per event: the sum over its flattened entries
            per_entry = per_entry.reshape(_batch_shape(per_entry, self.event_dim) + (-1,)).sum(-1)
            batch = batch[: len(batch) - self.event_dim]
        return per_entry.expand(batch)

    def forward_shape(self, shape):
        params = (getattr(self.loc, "shape", ()), getattr(self.scale, "shape", ()))
        return Size(broadcast_shapes(tuple(shape), *map(tuple, params)))

    inverse_shape = forward_shape


class SoftmaxTransform(Transform, domain=constraints.real_vector, codomain=constraints.simplex):
    """Real vectors to the simplex by the softmax (not bijective: the inverse is one preimage)."""

    _equal_by = ()

    def _call(self, x):
        # shift by the max so exp cannot overflow
        unnormalised = (x - x.max(-1, True)[0]).exp()
        return unnormalised / unnormalised.sum(-1, keepdim=True)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise KittyValueError("Too few dimensions on input")
        return shape

    inverse_shape = forward_shape


class StickBreakingTransform(Transform, domain=constraints.real_vector, codomain=constraints.simplex, bijective=True):
    """R^(K-1) onto the K-simplex by stick breaking (bijective).

    >>> import kittygrad as kitty
    >>> StickBreakingTransform()(kitty.zeros(2))
    tensor([0.3333, 0.3333, 0.3333])
    """

    _equal_by = ()

    @staticmethod
    def _log_offsets(k, dtype):
        # log of k, k-1, ..., 1 (the pieces still to break off): centres x = 0 on the uniform point
        return ones(k, dtype=dtype).cumsum(-1).flip(-1).log()

    def _call(self, x):
        z = _clipped_sigmoid(x - self._log_offsets(x.shape[-1], x.dtype))
        rest = (1 - z).cumprod(-1)
        return F.pad(z, [0, 1], value=1) * F.pad(rest, [1, 0], value=1)

    def _inverse(self, y):
        crop = y[..., :-1]
        remaining = (1 - crop.cumsum(-1)).clamp(min=float(_finfo(y.dtype).tiny))
        return crop.log() - remaining.log() + self._log_offsets(crop.shape[-1], y.dtype)

    def log_abs_det_jacobian(self, x, y):
        shifted = x - self._log_offsets(x.shape[-1], x.dtype)
        return (-shifted + F.logsigmoid(shifted) + y[..., :-1].log()).sum(-1)

    @staticmethod
    def _resized_last(shape, change):
        if len(shape) < 1:
            raise KittyValueError("Too few dimensions on input")
        # built from the given shape's own slice: a tuple gives a tuple back, a Size a Size, as torch's
        return shape[:-1] + (shape[-1] + change,)

    def forward_shape(self, shape):
        return self._resized_last(shape, +1)

    def inverse_shape(self, shape):
        return self._resized_last(shape, -1)


def _on_diagonal(m, fn):
    """``m``'s strict lower triangle, with ``fn`` applied to its diagonal."""
    return m.tril(-1) + fn(m.diagonal(dim1=-2, dim2=-1)).diag_embed()


class LowerCholeskyTransform(Transform, domain=_real_block(2), codomain=constraints.lower_cholesky):
    """Square matrices to lower-triangular ones with a positive diagonal (exp of the diagonal)."""

    _equal_by = ()

    def _call(self, x):
        return _on_diagonal(x, lambda d: d.exp())

    def _inverse(self, y):
        return _on_diagonal(y, lambda d: d.log())


def _lower_size(n: int) -> int:
    """d for n = d (d - 1) / 2 entries below a d x d diagonal; -1 when n is no such number."""
    d = (1 + math.isqrt(1 + 8 * n)) // 2
    return d if d * (d - 1) // 2 == n else -1


def _exclusive_cumprod(t):
    """Products along the last dim of everything before each entry (1 for the first)."""
    return F.pad(t[..., :-1], [1, 0], value=1.0).cumprod(-1)


class CorrCholeskyTransform(
    Transform, domain=constraints.real_vector, codomain=constraints.corr_cholesky, bijective=True
):
    """Real vectors of length d (d - 1) / 2 to Cholesky factors of d x d correlation matrices.

    Each entry is squashed by tanh into a partial correlation z in (-1, 1) and placed below the
    diagonal, row by row. A row is then built by stick breaking on its squared norm: the entry in
    column j is z_ij times the square root of what the earlier entries left of the unit norm,
    prod_(k<j) (1 - z_ik^2), and the diagonal takes the rest. Rows therefore have unit norm.

    >>> import kittygrad as kitty
    >>> CorrCholeskyTransform()(kitty.zeros(1))
    tensor([[1., 0.],
            [0., 1.]])
    """

    _equal_by = ()

    @staticmethod
    def _indices(d: int):
        return tril_indices(d, d, -1)

    def _call(self, x):
        if x.dim() < 1:
            raise KittyIndexError("CorrCholeskyTransform expects at least one dimension, got a 0-d input")
        n = x.shape[-1]
        d = _lower_size(n)
        if d < 0:
            raise KittyValueError(
                f"The size of last dimension is {n} which cannot be expressed as the lower triangular part "
                "of a square D x D matrix."
            )
        # |z| < 1 strictly, so that every row keeps some of its norm for the diagonal
        z = x.tanh().clamp(-1 + float(_finfo(x.dtype).eps), 1 - float(_finfo(x.dtype).eps))
        rows, cols = self._indices(d)
        partial = zeros(tuple(x.shape[:-1]) + (d, d), dtype=x.dtype)
        partial[..., rows, cols] = z
        left = _exclusive_cumprod(1 - partial.pow(2))  # of each row's unit norm, the part not yet taken
        return (partial + eye(d, dtype=x.dtype)) * left.sqrt()

    def _inverse(self, y):
        d = y.shape[-1]
        # what the earlier entries of each row left of its unit norm: 1 - (their squares summed)
        taken = F.pad(y[..., :-1].pow(2), [1, 0]).cumsum(-1)
        partial = y / (1 - taken).clamp(min=float(_finfo(y.dtype).tiny)).sqrt()
        rows, cols = self._indices(d)
        return partial[..., rows, cols].atanh()

    def log_abs_det_jacobian(self, x, y):
        # In the order of the entries the Jacobian is triangular: entry (i, j) of y depends on z_ik
        # for k <= j only, with dy_ij/dz_ij = sqrt(prod_(k<j) (1 - z_ik^2)). Collected per z_ik, the
        # log-determinant is sum (i - k + 1) / 2 log(1 - z_ik^2), where log(1 - tanh(x)^2) is
        # written as 2 (log 2 - x - softplus(-2x)) to stay finite for large |x|.
        d = _lower_size(x.shape[-1])
        rows, cols = self._indices(d)
        weights = (rows - cols + 1).to(x.dtype) / 2
        log_tanh_slope = 2.0 * (math.log(2.0) - x - F.softplus(-2.0 * x))
        return (weights * log_tanh_slope).sum(-1)

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise KittyValueError("Too few dimensions on input")
        d = _lower_size(shape[-1])
        if d < 0:
            raise KittyValueError("Input is not a flattened lower-diagonal number")
        return shape[:-1] + (d, d)  # the given shape's type, as _resized_last

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise KittyValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise KittyValueError("Input is not square")
        d = shape[-1]
        return shape[:-2] + (d * (d - 1) // 2,)


class CumulativeDistributionTransform(Transform, codomain=constraints.unit_interval, bijective=True, sign=+1):
    """y = distribution.cdf(x): the distribution's support onto [0, 1]."""

    _rebuild_from = ("distribution",)
    _call = _delegate("distribution", "cdf")
    _inverse = _delegate("distribution", "icdf")
    domain = _delegate("distribution", "support")

    def __init__(self, distribution, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    def log_abs_det_jacobian(self, x, y):
        # the cdf's derivative is the density
        density = self.distribution
        return density.log_prob(x)


class PositiveDefiniteTransform(Transform, domain=_real_block(2), codomain=constraints.positive_definite):
    """Square matrices to positive-definite ones: L L^T with L from :class:`LowerCholeskyTransform`.

    >>> import kittygrad as kitty
    >>> PositiveDefiniteTransform()(kitty.zeros(2, 2))
    tensor([[1., 0.],
            [0., 1.]])
    """

    _equal_by = ()

    def _call(self, x):
        lower = LowerCholeskyTransform()(x)
        return lower @ lower.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(linalg.cholesky(y))


class _JoinedTransform(Transform):
    """Shared by :class:`CatTransform` and :class:`StackTransform`: one transform per block of
    ``dim``; the constraints are joined the same way (``_join_constraints``)."""

    @property
    def bijective(self) -> bool:
        return _all_bijective(self.transforms)

    @constraints.dependent_property
    def domain(self):
        return self._join_constraints([t.domain for t in self.transforms])

    @constraints.dependent_property
    def codomain(self):
        return self._join_constraints([t.codomain for t in self.transforms])


class CatTransform(_JoinedTransform):
    """The transforms of ``tseq`` applied to consecutive pieces (of sizes ``lengths``) along ``dim``,
    as ``torch.cat`` joins them.

    >>> import kittygrad as kitty
    >>> CatTransform([ExpTransform(), identity_transform], dim=0, lengths=[1, 1])(kitty.zeros(2))
    tensor([1., 0.])
    """

    _rebuild_from = ("transforms", "dim", "lengths")

    def __init__(self, tseq, dim: int = 0, lengths=None, cache_size: int = 0) -> None:
        parts = _checked_parts(tseq, cache_size, "CatTransform")
        super().__init__(cache_size=cache_size)
        self.transforms = parts
        self.lengths = [1] * len(parts) if lengths is None else list(lengths)
        if len(self.lengths) != len(parts):
            raise KittyValueError(f"CatTransform: {len(parts)} transforms but {len(self.lengths)} lengths")
        self.dim = dim

    def _join_constraints(self, cseq):
        return constraints.cat(cseq, self.dim, self.lengths)

    @property
    def event_dim(self) -> int:
        return max(part.event_dim for part in self.transforms)

    @property
    def length(self) -> int:
        return sum(self.lengths)

    def _split(self, z, check: bool = True):
        if check and (not -z.dim() <= self.dim < z.dim() or z.size(self.dim) != self.length):
            raise KittyValueError(
                f"CatTransform: expected size {self.length} along dim {self.dim}, got shape {tuple(z.shape)}"
            )
        starts = accumulate(self.lengths[:-1], initial=0)
        return [z.narrow(self.dim, start, n) for start, n in zip(starts, self.lengths)]

    def _call(self, x):
        return _cat([t(piece) for t, piece in zip(self.transforms, self._split(x))], self.dim)

    def _inverse(self, y):
        return _cat([t.inv(piece) for t, piece in zip(self.transforms, self._split(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        joint = self.event_dim
        # each piece's term summed over the event dims it has fewer than the joint event
        terms = [
            _sum_rightmost(t.log_abs_det_jacobian(a, b), joint - t.event_dim)
            for t, a, b in zip(self.transforms, self._split(x, False), self._split(y, False))
        ]
        # ``dim`` counted from the right of the terms (which lack the joint event dims)
        axis = (self.dim if self.dim < 0 else self.dim - x.dim()) + joint
        return _cat(terms, axis) if axis < 0 else sum(terms)


class StackTransform(_JoinedTransform):
    """The i-th transform of ``tseq`` applied to the i-th slice along ``dim`` (as ``torch.stack``).

    >>> import kittygrad as kitty
    >>> StackTransform([ExpTransform(), identity_transform], dim=0)(kitty.zeros(2))
    tensor([1., 0.])
    """

    _rebuild_from = ("transforms", "dim")

    def __init__(self, tseq, dim: int = 0, cache_size: int = 0) -> None:
        parts = _checked_parts(tseq, cache_size, "StackTransform")
        super().__init__(cache_size=cache_size)
        self.transforms = parts
        self.dim = dim

    def _join_constraints(self, cseq):
        return constraints.stack(cseq, self.dim)

    def _slices(self, z):
        if not -z.dim() <= self.dim < z.dim() or z.size(self.dim) != len(self.transforms):
            raise KittyValueError(
                f"StackTransform: expected {len(self.transforms)} slices along dim {self.dim}, got shape {tuple(z.shape)}"
            )
        return z.unbind(self.dim)

    def _call(self, x):
        return _stack([t(s) for s, t in zip(self._slices(x), self.transforms)], self.dim)

    def _inverse(self, y):
        return _stack([t.inv(s) for s, t in zip(self._slices(y), self.transforms)], self.dim)

    def log_abs_det_jacobian(self, x, y):
        pairs = zip(self._slices(x), self._slices(y), self.transforms)
        return _stack([t.log_abs_det_jacobian(a, b) for a, b, t in pairs], self.dim)
