"""Hyper-parameter checks for the optimizers' constructors (torch's ValueError texts)."""
from __future__ import annotations

from ..errors import KittyValueError
from ..tensor import Tensor

# the word torch's message uses for a hyper-parameter, where it is not the argument's own name
_WORDS = {"eps": "epsilon"}


def check_hyper(*, allow_nan: bool = False, **values) -> None:
    """Raise torch's ValueError for the first invalid hyper-parameter, in the order given.

    ``lr`` and the non-negative scalars must be ``>= 0``, every ``betas`` entry in ``[0, 1)``,
    ``rho`` in ``[0, 1]``. Most optimizers refuse a NaN; ``allow_nan`` reproduces SGD's
    ``value < 0`` test, which lets one through.

    >>> check_hyper(lr=0.1, eps=1e-8, betas=(0.9, 0.999))  # fine: returns None
    >>> try:
    ...     check_hyper(lr=0.1, momentum=-1.0)
    ... except ValueError as e:
    ...     print(e)
    Invalid momentum value: -1.0
    """
    for name, value in values.items():
        if name == "lr" and isinstance(value, Tensor) and value.numel() != 1:
            raise KittyValueError("Tensor lr must be 1-element")
        if name == "betas":
            for i, beta in enumerate(value):
                if not 0.0 <= beta < 1.0:
                    raise KittyValueError(f"Invalid beta parameter at index {i}: {beta}")
            continue
        if name == "rho":
            bad = not 0.0 <= value <= 1.0
        else:
            bad = value < 0.0 if allow_nan else not value >= 0.0
        if bad:
            if name == "lr":
                raise KittyValueError(f"Invalid learning rate: {value}")
            raise KittyValueError(f"Invalid {_WORDS.get(name, name)} value: {value}")
