"""``biject_to`` and ``transform_to``: from a constraint to a transform that maps unconstrained
reals into it (torch.distributions.constraint_registry) -- for optimising constrained parameters.

``biject_to(c)`` is bijective (``log_abs_det_jacobian`` is meaningful, as HMC needs);
``transform_to(c)`` need not be (simplex: softmax), but is cheaper or better conditioned.

>>> import kittygrad as kitty
>>> from kittygrad.distributions import constraints, transform_to
>>> transform_to(constraints.positive)(kitty.tensor([0.]))
tensor([1.])
"""

from __future__ import annotations

from functools import partial
from numbers import Number

from ..errors import KittyNotImplementedError, KittyTypeError
from . import constraints, transforms

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """A table from constraint classes to factories ``factory(constraint) -> Transform``.

    >>> reg = ConstraintRegistry()
    >>> _ = reg.register(constraints.real, lambda c: transforms.identity_transform)
    """

    def __init__(self) -> None:
        self._registry: dict = {}
        super().__init__()

    def register(self, constraint, factory=None):
        """Register ``factory`` for a constraint class (or the class of a constraint instance);
        without ``factory``, a decorator."""
        if factory is None:
            return partial(self.register, constraint)
        kind = type(constraint) if isinstance(constraint, constraints.Constraint) else constraint
        if not (isinstance(kind, type) and issubclass(kind, constraints.Constraint)):
            raise KittyTypeError(
                f"Expected constraint to be either a Constraint subclass or instance, but got {constraint}"
            )
        self._registry[kind] = factory
        return factory

    def __call__(self, constraint):
        """The transform the factory registered for ``type(constraint)`` builds for it."""
        factory = self._registry.get(type(constraint))
        if factory is None:
            raise KittyNotImplementedError(f"Cannot transform {type(constraint).__name__} constraints")
        return factory(constraint)


biject_to, transform_to = ConstraintRegistry(), ConstraintRegistry()


# Factories for constraints built from other constraints: they recurse into the same registry, so
# biject_to of a product stays bijective.


def _independent_via(registry):
    return lambda c: transforms.IndependentTransform(registry(c.base_constraint), c.reinterpreted_batch_ndims)


def _cat_via(registry):
    return lambda c: transforms.CatTransform([registry(part) for part in c.cseq], c.dim, c.lengths)


def _stack_via(registry):
    return lambda c: transforms.StackTransform([registry(part) for part in c.cseq], c.dim)


def _shifted_exp(c):
    """exp, then an offset from the bound: onto (lower, inf) or, mirrored, (-inf, upper)."""
    if isinstance(c, constraints.less_than):
        bound, direction = c.upper_bound, -1
    else:
        bound, direction = c.lower_bound, 1
    return transforms.ComposeTransform([transforms.ExpTransform(), transforms.AffineTransform(bound, direction)])


def _scaled_sigmoid(c):
    lb, ub = c.lower_bound, c.upper_bound
    if isinstance(lb, Number) and lb == 0 and isinstance(ub, Number) and ub == 1:
        return transforms.SigmoidTransform()  # the unit interval needs no affine step
    return transforms.ComposeTransform([transforms.SigmoidTransform(), transforms.AffineTransform(lb, ub - lb)])


_BOTH = (biject_to, transform_to)

# (registries, constraint classes, factory)
_TABLE = [
    (_BOTH, [constraints.real], lambda c: transforms.identity_transform),
    ((biject_to,), [constraints.independent], _independent_via(biject_to)),
    ((transform_to,), [constraints.independent], _independent_via(transform_to)),
    (_BOTH, [constraints.positive, constraints.nonnegative], lambda c: transforms.ExpTransform()),
    (_BOTH, [constraints.greater_than, constraints.greater_than_eq, constraints.less_than], _shifted_exp),
    (_BOTH, [constraints.interval, constraints.half_open_interval], _scaled_sigmoid),
    ((biject_to,), [constraints.simplex], lambda c: transforms.StickBreakingTransform()),
    ((transform_to,), [constraints.simplex], lambda c: transforms.SoftmaxTransform()),
    ((transform_to,), [constraints.lower_cholesky], lambda c: transforms.LowerCholeskyTransform()),
    (
        (transform_to,),
        [constraints.positive_definite, constraints.positive_semidefinite],
        lambda c: transforms.PositiveDefiniteTransform(),
    ),
    (_BOTH, [constraints.corr_cholesky], lambda c: transforms.CorrCholeskyTransform()),
    ((biject_to,), [constraints.cat], _cat_via(biject_to)),
    ((transform_to,), [constraints.cat], _cat_via(transform_to)),
    ((biject_to,), [constraints.stack], _stack_via(biject_to)),
    ((transform_to,), [constraints.stack], _stack_via(transform_to)),
]

for _registries, _kinds, _factory in _TABLE:
    for _registry in _registries:
        for _kind in _kinds:
            _registry.register(_kind, _factory)
