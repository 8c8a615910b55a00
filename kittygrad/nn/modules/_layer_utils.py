"""What several layer families share: argument normalisation and torch's default initialisation.

Linear and the convolutions start from the same distribution (torch's default since its Lua days):
the weight kaiming-uniform with slope ``a = sqrt(5)`` — which works out to ``U(-1/sqrt(fan_in),
1/sqrt(fan_in))`` — and the bias uniform with that same bound. The draws are made in torch's order
(weight, then bias) through ``nn.init``, so a seeded kittygrad layer holds torch's numbers.
"""
from __future__ import annotations

import math
from typing import Any

from ... import creation as C
from .. import init
from ..parameter import Parameter

__all__ = ["as_tuple", "empty_parameter", "set_optional_bias", "fan_in_uniform_"]

#: the leaky-ReLU slope torch's default layer init passes to kaiming_uniform_
_DEFAULT_INIT_SLOPE = math.sqrt(5)


def as_tuple(value: Any, n: int) -> tuple:
    """``value`` as an ``n``-tuple: a sequence becomes a tuple, anything else is repeated.

    >>> as_tuple(3, 2), as_tuple([1, 2], 2)
    ((3, 3), (1, 2))
    """
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def empty_parameter(*shape: int, dtype=None) -> Parameter:
    """A Parameter of ``shape`` whose values ``reset_parameters`` will set.

    >>> empty_parameter(2, 3).shape
    kittygrad.Size([2, 3])
    """
    return Parameter(C.empty(shape, dtype=dtype))  # one tuple: () is a 0-d parameter


def set_optional_bias(module, wanted: bool, size: int, dtype=None) -> None:
    """Give ``module`` a ``bias`` of ``size`` or register it as None (the name stays a parameter slot, as torch).

    >>> import kittygrad as kitty
    >>> lin = kitty.nn.Module(); set_optional_bias(lin, False, 3); "bias" in lin._parameters
    True
    """
    module.register_parameter("bias", empty_parameter(size, dtype=dtype) if wanted else None)


def fan_in_uniform_(weight: Parameter, bias: Parameter | None, *, bias_without_fan_in: bool = True) -> None:
    """torch's default init of Linear and the convolutions, in place.

    ``fan_in`` is the size of one output unit's input (``weight[0].numel()``). When it is 0,
    Linear still draws its bias (as zeros) while the convolutions leave it as it is
    (``bias_without_fan_in=False``): each consumes the random stream as torch does.

    >>> import kittygrad as kitty
    >>> w, b = empty_parameter(4, 9), empty_parameter(4)
    >>> fan_in_uniform_(w, b); bool(b.abs().max() <= 1 / 3)
    True
    """
    init.kaiming_uniform_(weight, a=_DEFAULT_INIT_SLOPE)
    if bias is None:
        return
    fan_in = math.prod(weight.shape[1:])
    if fan_in > 0:
        bound = 1 / math.sqrt(fan_in)
    elif bias_without_fan_in:
        bound = 0
    else:
        return
    init.uniform_(bias, -bound, bound)
