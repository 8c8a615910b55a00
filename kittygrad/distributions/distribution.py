"""``Distribution``: the base of every distribution (torch.distributions.Distribution).

A distribution has a ``batch_shape`` (independent, differently parameterised copies) and an
``event_shape`` (the shape of one draw). With validation on (the default, as torch: Python's
``__debug__``), parameters are checked against ``arg_constraints`` when it is made and values
against ``support`` in ``log_prob``/``cdf``/``icdf``, raising torch's ValueErrors.
"""
from __future__ import annotations

import warnings

from ..autograd import no_grad
from ..errors import KittyNotImplementedError, KittyValueError
from ..size import Size
from ..tensor import Tensor
from . import constraints
from .utils import _broadcastable, _values_only, lazy_property

__all__ = ["Distribution"]


def _all_true(valid) -> bool:
    return bool(valid.all()) if isinstance(valid, Tensor) else bool(valid)


class Distribution:
    """The abstract base class of probability distributions.

    >>> import kittygrad as kitty
    >>> d = kitty.distributions.Normal(kitty.zeros(3), 1.0)
    >>> d.batch_shape, d.event_shape
    (kittygrad.Size([3]), kittygrad.Size([]))
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for distributions made afterwards (default: on).

        >>> from kittygrad.distributions import Distribution
        >>> Distribution.set_default_validate_args(True)
        """
        if value not in (True, False):
            raise KittyValueError
        Distribution._validate_args = bool(value)

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = batch_shape, event_shape
        self._use_validation(validate_args)
        if self._validate_args:
            self._check_parameters()
        super().__init__()

    def _use_validation(self, setting: bool | None) -> None:
        """Validate arguments as ``setting`` says; ``None`` leaves it to the class-wide default
        (which ``set_default_validate_args`` may still change)."""
        if setting is not None:
            self._validate_args = setting

    def _declared_constraints(self) -> dict:
        try:
            return self.arg_constraints
        except NotImplementedError:
            warnings.warn(
                f"{self.__class__} does not define `arg_constraints`. Please set `arg_constraints = {{}}` or "
                "initialize the distribution with `validate_args=False` to turn off validation.",
                stacklevel=4,
            )
            return {}

    def _checkable(self, param, constraint) -> bool:
        # a dependent constraint cannot be checked; a lazily derived parameter (probs when logits
        # were given) does not exist yet
        not_made_yet = param not in self.__dict__ and isinstance(getattr(type(self), param), lazy_property)
        return not (constraints.is_dependent(constraint) or not_made_yet)

    def _check_parameters(self) -> None:
        """Raise torch's ValueError for the first parameter outside its constraint."""
        for param, constraint in self._declared_constraints().items():
            if not self._checkable(param, constraint):
                continue
            with _values_only():
                value = getattr(self, param)
                valid = constraint._holds_everywhere(value) or _all_true(constraint.check(value))
            if not valid:
                raise KittyValueError(
                    f"Expected parameter {param} ({type(value).__name__} of shape {tuple(value.shape)}) "
                    f"of distribution {self!r} to satisfy the constraint {constraint!r}, "
                    f"but found invalid values:\n{value}"
                )

    def _expanded_shell(self, cls, _instance, batch_shape, event_shape):
        """For ``expand``: an instance of our type (or ``_instance``) with these shapes and our
        validation setting, its parameters left for the caller to fill in (they are not checked)."""
        shell = self._fresh_instance(cls, _instance)
        Distribution.__init__(shell, batch_shape, event_shape, validate_args=False)
        shell._use_validation(self._validate_args)
        return shell

    def expand(self, batch_shape, _instance=None):
        """A new distribution with the batch dims expanded to ``batch_shape`` (no copy of the
        parameters, no new validation)."""
        raise NotImplementedError

    @property
    def batch_shape(self) -> Size:
        """The shape over which the parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        """The shape of a single sample (without batching)."""
        return self._event_shape

    @property
    def arg_constraints(self) -> dict:
        """``{parameter name: Constraint}`` the parameters must satisfy."""
        raise NotImplementedError

    @property
    def support(self):
        """The Constraint the distribution's values satisfy."""
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise KittyNotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=Size()):
        """A sample of shape ``sample_shape + batch_shape + event_shape`` (no gradient)."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        """A reparameterised sample: gradients flow to the parameters."""
        raise NotImplementedError

    def sample_n(self, n: int):
        warnings.warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.", FutureWarning, stacklevel=2)
        return self.sample(Size((n,)))

    def log_prob(self, value):
        """The log of the density (or mass) at ``value``."""
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        """exp(entropy)."""
        return self.entropy().exp()

    def _extended_shape(self, sample_shape=Size()) -> Size:
        if not isinstance(sample_shape, Size):
            sample_shape = Size(sample_shape)
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value) -> None:
        if not isinstance(value, Tensor):
            raise KittyValueError("The value argument to log_prob must be a Tensor")
        shape, event = tuple(value.size()), tuple(self._event_shape)
        if len(shape) < len(event) or shape[len(shape) - len(event):] != event:
            raise KittyValueError(
                f"The right-most size of value must match event_shape: {value.size()} vs {self._event_shape}."
            )
        expected_shape = Size(tuple(self._batch_shape) + event)
        if not _broadcastable(shape, expected_shape):
            raise KittyValueError(
                f"Value is not broadcastable with batch_shape+event_shape: {value.size()} vs {expected_shape}."
            )
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(
                f"{self.__class__} does not define `support` to enable sample validation. Please initialize "
                "the distribution with `validate_args=False` to turn off validation.",
                stacklevel=2,
            )
            return
        if not (support._holds_everywhere(value) or _all_true(support.check(value))):
            raise KittyValueError(
                f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) "
                f"to be within the support ({support!r}) of the distribution {self!r}, "
                f"but found invalid values:\n{value}"
            )

    def _fresh_instance(self, cls, _instance=None):
        """The object ``cls.expand`` fills in: ``_instance`` when a subclass's ``expand`` passes its
        own, else a bare (uninitialised) instance of our type."""
        if _instance is not None:
            return _instance
        # a subclass with its own __init__ may hold state that cls.expand() does not copy
        if type(self).__init__ != cls.__init__:
            raise KittyNotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom __init__ method "
                "must also define a custom .expand() method."
            )
        return self.__new__(type(self))

    def _get_checked_instance(self, cls, _instance=None):
        """torch's name for :meth:`_fresh_instance`, which subclasses written for torch call."""
        return self._fresh_instance(cls, _instance)

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(
            f"{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else self.__dict__[p].size()}" for p in names
        )
        return f"{self.__class__.__name__}({args})"
