"""Constraints: where a distribution's parameters and samples may live (torch.distributions.constraints).

A constraint's ``check(value)`` returns a bool tensor over the batch (its ``event_dim`` rightmost
dims are reduced); ``repr`` names it as torch does (``GreaterThan(lower_bound=0.0)``).

Most constraints here are declared, not hand-written: ``_declare`` builds a Constraint subclass from
a test function, the names of its parameters and its static flags. Each kind keeps a class of its own
because ``biject_to``/``transform_to`` look transforms up by the constraint's type.

>>> import kittygrad as kitty
>>> from kittygrad.distributions import constraints
>>> constraints.positive.check(kitty.tensor([1., -1.]))
tensor([ True, False])
>>> constraints.unit_interval
Interval(lower_bound=0.0, upper_bound=1.0)
"""

from __future__ import annotations

from .. import backend as B
from .. import linalg
from ..creation import full
from ..dtypes import bool as _bool
from ..errors import KittyNotImplementedError, KittyTypeError, KittyValueError
from ..ops.joining import cat as _cat_tensors
from ..ops.joining import stack as _stack_tensors
from ..tensor import Tensor

__all__ = [
    "Constraint",
    "MixtureSameFamilyConstraint",
    "boolean",
    "cat",
    "corr_cholesky",
    "dependent",
    "dependent_property",
    "greater_than",
    "greater_than_eq",
    "half_open_interval",
    "independent",
    "integer_interval",
    "interval",
    "is_dependent",
    "less_than",
    "lower_cholesky",
    "lower_triangular",
    "multinomial",
    "nonnegative",
    "nonnegative_integer",
    "one_hot",
    "positive",
    "positive_definite",
    "positive_integer",
    "positive_semidefinite",
    "real",
    "real_vector",
    "simplex",
    "square",
    "stack",
    "symmetric",
    "unit_interval",
]


def _all_over_rightmost(mask, ndims: int):
    """``mask`` (a tensor or an array) reduced with ``all`` over its ``ndims`` rightmost dims."""
    keep = tuple(mask.shape[: mask.ndim - ndims])
    return mask.reshape(keep + (-1,)).all(-1)


def _plain_values(value):
    """The array of a float tensor that the checks may read directly (validation's shortcut, see
    ``Constraint._holds_everywhere``); None for anything else: a number, an integer or bfloat16
    tensor (where comparing with a float bound promotes differently in NumPy), an empty tensor
    (whose check may raise torch's reshape error), a tensor under vmap (whose data is a stand-in
    for its batch)."""
    if isinstance(value, Tensor):
        data = value._data
        if type(data) is B.ndarray and data.dtype.kind == "f" and data.size:
            return data
    return None


class Constraint:
    """The base of constraints: ``check(value)`` says, per batch element, whether it is satisfied.

    >>> from kittygrad.distributions import constraints
    >>> constraints.real
    Real()
    """

    is_discrete = False  # continuous unless said otherwise
    event_dim = 0  # univariate unless said otherwise
    _params: tuple = ()  # attribute names that repr shows as keywords
    _dependent = False  # True only for the uncheckable placeholders

    def check(self, value):
        raise NotImplementedError

    def _holds_everywhere(self, value) -> bool:
        """True when ``check(value)`` is surely true everywhere, found from the values alone,
        without recording ops (``MultivariateNormal(loc, scale_tril=L)`` with its checks: 68-82 ->
        27 us); False means "ask ``check``", which decides and builds the error. Distributions
        validate through this."""
        return False

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)}" for name in self._params)
        return f"{type(self).__name__[1:]}({shown})"  # the class name without its leading underscore


def _declare(name, test, *, params=(), is_discrete=False, event_dim=0, doc=None, on_arrays=False):
    """A Constraint subclass ``_<name>``: ``check(value)`` is ``test(value, *params)``, the
    parameters being given (positionally, in this order) when it is instantiated. ``on_arrays``:
    ``test`` gives the same answer on a float tensor's array, which validation then reads
    directly where the parameters are Python numbers."""

    def __init__(self, *args):
        if len(args) != len(params):
            raise KittyTypeError(f"{name} takes {len(params)} arguments ({', '.join(params)}), got {len(args)}")
        for attr, arg in zip(params, args):
            setattr(self, attr, arg)

    def check(self, value):
        return test(value, *(getattr(self, attr) for attr in params))

    def _holds_everywhere(self, value) -> bool:
        data = _plain_values(value)
        if data is None or data.ndim < event_dim or type(self).check is not check:  # (a subclass's own check decides)
            return False
        args = tuple(getattr(self, attr) for attr in params)
        for arg in args:
            if type(arg) is not int and type(arg) is not float:  # (a tensor bound, a bool: check decides)
                return False
        return bool(test(data, *args).all())

    namespace = {
        "__init__": __init__,
        "check": check,
        "_params": tuple(params),
        "is_discrete": is_discrete,
        "event_dim": event_dim,
        "__doc__": doc or f"The {name} constraint.",
        **({"_holds_everywhere": _holds_everywhere} if on_arrays else {}),
        "__module__": __name__,
    }
    return type(f"_{name}", (Constraint,), namespace)


# ---- placeholders for supports that depend on other variables

_STATIC = ("is_discrete", "event_dim")


class _Dependent(Constraint):
    """A placeholder for a support that depends on other variables: it cannot be checked. Its
    static attributes are known only when they are given (``dependent(event_dim=1)``)."""

    _dependent = True

    def __init__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented) -> None:
        self._known = {"is_discrete": is_discrete, "event_dim": event_dim}

    def _static(self, attr):
        value = self._known[attr]
        if value is NotImplemented:
            raise KittyNotImplementedError(f".{attr} cannot be determined statically")
        return value

    is_discrete = property(lambda self: self._static("is_discrete"))
    event_dim = property(lambda self: self._static("event_dim"))

    def _merged(self, **given) -> dict:
        return {attr: self._known[attr] if given[attr] is NotImplemented else given[attr] for attr in _STATIC}

    def __call__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        """A new dependent constraint with these static attributes."""
        return _Dependent(**self._merged(is_discrete=is_discrete, event_dim=event_dim))

    def check(self, x):
        raise KittyValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint) -> bool:
    """True for the ``dependent`` placeholder constraints (which cannot be checked).

    >>> from kittygrad.distributions import constraints
    >>> constraints.is_dependent(constraints.dependent), constraints.is_dependent(constraints.real)
    (True, False)
    """
    return getattr(constraint, "_dependent", False) is True


class _DependentProperty(property, _Dependent):
    """A property on the instance (``Uniform.support`` is ``interval(low, high)``) that is the
    dependent placeholder on the class, so argument validation skips it."""

    def __init__(self, fn=None, *, is_discrete=NotImplemented, event_dim=NotImplemented) -> None:
        property.__init__(self, fn)
        _Dependent.__init__(self, is_discrete=is_discrete, event_dim=event_dim)

    def __call__(self, fn):
        """Used as ``@dependent_property(is_discrete=..., event_dim=...)``."""
        return _DependentProperty(fn, **self._known)


# ---- constraints built on another constraint


def _require_constraint(obj) -> None:
    if not isinstance(obj, Constraint):
        raise KittyTypeError(f"base_constraint must be a Constraint, got {type(obj).__name__}")


def _rank_error(needed: int, value):
    return KittyValueError(f"Expected value.dim() >= {needed} but got {value.dim()}")


class _Wrapper(Constraint):
    """A constraint on top of ``base_constraint``: as discrete as it, with ``_extra_dims`` more event dims."""

    def __init__(self, base_constraint) -> None:
        _require_constraint(base_constraint)
        self.base_constraint = base_constraint

    _extra_dims = 0
    is_discrete = property(lambda self: self.base_constraint.is_discrete)
    event_dim = property(lambda self: self.base_constraint.event_dim + self._extra_dims)


class _IndependentConstraint(_Wrapper):
    """``base_constraint`` with its ``reinterpreted_batch_ndims`` rightmost batch dims made event dims."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims: int) -> None:
        _require_constraint(base_constraint)
        if not isinstance(reinterpreted_batch_ndims, int) or reinterpreted_batch_ndims < 0:
            raise KittyValueError(
                f"reinterpreted_batch_ndims must be a non-negative int, got {reinterpreted_batch_ndims!r}"
            )
        super().__init__(base_constraint)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    _extra_dims = property(lambda self: self.reinterpreted_batch_ndims)

    def check(self, value):
        inner = self.base_constraint.check(value)
        if inner.dim() < self._extra_dims:
            raise _rank_error(self.event_dim, value)
        return _all_over_rightmost(inner, self._extra_dims)

    def _holds_everywhere(self, value) -> bool:
        # true everywhere over the batch exactly where the base is true over every element (the
        # base reads the values, or steps aside); a value of too few dims is left to check (its error)
        return (isinstance(value, Tensor) and value.dim() >= self.event_dim
                and type(self).check is _IndependentConstraint.check and self.base_constraint._holds_everywhere(value))

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class MixtureSameFamilyConstraint(_Wrapper):
    """The support of a :class:`MixtureSameFamily`: the component's constraint, checked with the
    component dim added back and then reduced.

    >>> import kittygrad as kitty
    >>> from kittygrad.distributions import constraints
    >>> constraints.MixtureSameFamilyConstraint(constraints.real).check(kitty.tensor([1., float('nan')]))
    tensor([ True, False])
    """

    def check(self, value):
        ndims = self.event_dim
        per_component = self.base_constraint.check(value.unsqueeze(-1 - ndims))
        if value.dim() < ndims:
            raise _rank_error(ndims, value)
        batch = tuple(per_component.shape[: value.dim() - ndims])
        return per_component.reshape(batch + (-1,)).all(-1)

    def __repr__(self) -> str:
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


# ---- elementwise constraints


def _zero_or_one(x):
    return (x == 0) | (x == 1)


def _whole(x):
    return x % 1 == 0


_Boolean = _declare("Boolean", _zero_or_one, is_discrete=True)
_IntegerInterval = _declare(
    "IntegerInterval",
    lambda x, lo, hi: _whole(x) & (lo <= x) & (x <= hi),
    params=("lower_bound", "upper_bound"),
    is_discrete=True,
)
_IntegerLessThan = _declare(
    "IntegerLessThan", lambda x, hi: _whole(x) & (x <= hi), params=("upper_bound",), is_discrete=True
)
_IntegerGreaterThan = _declare(
    "IntegerGreaterThan", lambda x, lo: _whole(x) & (x >= lo), params=("lower_bound",), is_discrete=True
)
_Real = _declare("Real", lambda x: x == x, doc="Every value but NaN (the only one unequal to itself).", on_arrays=True)
_GreaterThan = _declare("GreaterThan", lambda x, lo: x > lo, params=("lower_bound",), on_arrays=True)
_GreaterThanEq = _declare("GreaterThanEq", lambda x, lo: x >= lo, params=("lower_bound",), on_arrays=True)
_LessThan = _declare("LessThan", lambda x, hi: x < hi, params=("upper_bound",), on_arrays=True)
_Interval = _declare(
    "Interval", lambda x, lo, hi: (x >= lo) & (x <= hi), params=("lower_bound", "upper_bound"), on_arrays=True
)
_HalfOpenInterval = _declare(
    "HalfOpenInterval", lambda x, lo, hi: (x >= lo) & (x < hi), params=("lower_bound", "upper_bound"),
    on_arrays=True,
)


# ---- vector constraints


def _is_one_hot(x):
    return _zero_or_one(x).all(-1) & (x.sum(-1) == 1)


def _is_simplex(x):
    # a sum within 1e-6 of 1 counts, as rounding leaves softmax outputs slightly off
    return (x >= 0).all(-1) & ((x.sum(-1) - 1).abs() < 1e-6)


_OneHot = _declare("OneHot", _is_one_hot, is_discrete=True, event_dim=1)
_Simplex = _declare(
    "Simplex", _is_simplex, event_dim=1, doc="Nonnegative vectors summing to 1 (to within 1e-6) over the last dim."
)


class _Multinomial(Constraint):
    """Nonnegative integer vectors summing to at most ``upper_bound`` (its repr shows no bound, as torch's)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound) -> None:
        self.upper_bound = upper_bound

    def check(self, x):
        return (x >= 0).all(-1) & (x.sum(-1) <= self.upper_bound)


# ---- matrix constraints


# The matrix tests read their value as a tensor (check) or as its array (validation's shortcut):
# both take these methods and operators alike.


def _is_lower_triangular(m):
    lower = m.tril() if isinstance(m, Tensor) else B.xp.tril(m)
    return _all_over_rightmost(lower == m, 2)


def _is_lower_cholesky(m):
    return _is_lower_triangular(m) & (m.diagonal(0, -2, -1) > 0).all(-1)


def _is_corr_cholesky(m):
    # rows of unit norm, to within a tolerance that grows with the row length
    tol = float(B.finfo(m._data.dtype).eps) * m.size(-1) * 10
    unit_rows = ((linalg.vector_norm(m.detach(), dim=-1) - 1.0).abs() <= tol).all(-1)
    return _is_lower_cholesky(m) & unit_rows


def _is_square(m):
    square = m.shape[-2] == m.shape[-1]
    if isinstance(m, Tensor):
        return full(tuple(m.shape[:-2]), square, dtype=_bool)
    return B.xp.full(m.shape[:-2], square)


def _is_symmetric(m):
    ok = _is_square(m)
    if not bool(ok.all()):
        return ok  # a non-square matrix has no transpose to compare with
    flipped = m.swapaxes(-1, -2)
    return (abs(m - flipped) <= 1e-6 + 1e-5 * abs(flipped)).all(-1).all(-1)


def _eigenvalues(value):
    """The eigenvalues of a batch of symmetric matrices (values only: a check, not a computation)."""
    if isinstance(value, Tensor):
        return Tensor._wrap(B.xp.linalg.eigvalsh(value.detach()._data))
    return B.xp.linalg.eigvalsh(value)


def _spectrum_check(accept):
    """A check for symmetric matrices whose eigenvalues all pass ``accept``."""

    def test(m):
        ok = _is_symmetric(m)
        if not bool(ok.all()):
            return ok
        return accept(_eigenvalues(m)).all(-1)

    return test


_LowerTriangular = _declare("LowerTriangular", _is_lower_triangular, event_dim=2, on_arrays=True)
_LowerCholesky = _declare(
    "LowerCholesky", _is_lower_cholesky, event_dim=2, doc="Lower-triangular matrices with a positive diagonal.",
    on_arrays=True,
)
_CorrCholesky = _declare(
    "CorrCholesky",
    _is_corr_cholesky,
    event_dim=2,
    doc="Lower Cholesky factors of correlation matrices: rows of unit norm.",
)
_Square = _declare("Square", _is_square, event_dim=2)
_Symmetric = _declare("Symmetric", _is_symmetric, event_dim=2, on_arrays=True)
_PositiveSemidefinite = _declare(
    "PositiveSemidefinite", _spectrum_check(lambda ev: ev >= 0), event_dim=2, on_arrays=True
)
_PositiveDefinite = _declare("PositiveDefinite", _spectrum_check(lambda ev: ev > 0), event_dim=2, on_arrays=True)


# ---- constraints on pieces of a tensor


class _Composite(Constraint):
    """Constraints ``cseq`` applied to pieces of a value along ``dim``: discrete if any piece is."""

    def __init__(self, cseq, dim: int = 0) -> None:
        self.cseq = list(cseq)
        self.dim = dim

    @property
    def is_discrete(self) -> bool:
        return any(part.is_discrete for part in self.cseq)

    def _widest_event_dim(self) -> int:
        return max(part.event_dim for part in self.cseq)


class _Cat(_Composite):
    """Constraints ``cseq`` applied to pieces of sizes ``lengths`` along ``dim`` (torch.cat's way)."""

    def __init__(self, cseq, dim: int = 0, lengths=None) -> None:
        super().__init__(cseq, dim)
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.cseq) != len(self.lengths):
            raise KittyValueError(f"cat: {len(self.cseq)} constraints but {len(self.lengths)} lengths")

    event_dim = property(_Composite._widest_event_dim)

    def check(self, value):
        offsets = [sum(self.lengths[:i]) for i in range(len(self.lengths))]
        pieces = [
            part.check(value.narrow(self.dim, start, size))
            for part, start, size in zip(self.cseq, offsets, self.lengths)
        ]
        return _cat_tensors(pieces, self.dim)


class _Stack(_Composite):
    """Constraints ``cseq`` applied to the slices of ``value`` along ``dim`` (torch.stack's way)."""

    @property
    def event_dim(self) -> int:
        widest = self._widest_event_dim()
        # a negative dim that reaches into the event dims makes the stacked dim an event dim too
        return widest + 1 if self.dim + widest < 0 else widest

    def check(self, value):
        slices = range(value.size(self.dim))
        return _stack_tensors([self.cseq[i].check(value.select(self.dim, i)) for i in slices], self.dim)


# ---- the public names: parameterised kinds are exposed as their classes, fixed ones as instances

dependent = _Dependent()
dependent_property, independent = _DependentProperty, _IndependentConstraint
greater_than, greater_than_eq, less_than = _GreaterThan, _GreaterThanEq, _LessThan
interval, half_open_interval, integer_interval = _Interval, _HalfOpenInterval, _IntegerInterval
multinomial, cat, stack = _Multinomial, _Cat, _Stack

boolean = _Boolean()
one_hot = _OneHot()
nonnegative_integer, positive_integer = _IntegerGreaterThan(0), _IntegerGreaterThan(1)
real = _Real()
real_vector = _IndependentConstraint(real, 1)
positive, nonnegative = greater_than(0.0), greater_than_eq(0.0)
unit_interval = interval(0.0, 1.0)
simplex = _Simplex()
lower_triangular, lower_cholesky, corr_cholesky = _LowerTriangular(), _LowerCholesky(), _CorrCholesky()
square, symmetric = _Square(), _Symmetric()
positive_semidefinite, positive_definite = _PositiveSemidefinite(), _PositiveDefinite()
