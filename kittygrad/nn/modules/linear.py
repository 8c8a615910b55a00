"""Identity, Linear, Bilinear."""
from __future__ import annotations

import math

from ...ops.nn.linear import bilinear, linear
from ...tensor import Tensor
from .. import init
from ._layer_utils import empty_parameter, fan_in_uniform_, set_optional_bias
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear"]


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored).

    >>> import kittygrad as kitty
    >>> kitty.nn.Identity(54, unused="x")(kitty.ones(2))
    tensor([1., 1.])
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """``y = x @ weight.T + bias`` with ``weight`` of shape ``(out_features, in_features)``.

    Initialised as torch: weight and bias uniform in ``+-1/sqrt(in_features)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Linear(3, 2)(kitty.ones(4, 3)).shape
    kittygrad.Size([4, 2])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = empty_parameter(out_features, in_features, dtype=dtype)
        set_optional_bias(self, bias, out_features, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight and bias again, as a new layer's (torch's default init)."""
        fan_in_uniform_(self.weight, self.bias)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # a subclass that defines weight or bias itself (a property: tied or computed weights)
        # must be read through the attribute, as torch reads it
        cls._registered_weights = not any("weight" in vars(k) or "bias" in vars(k) for k in cls.__mro__)

    #: weight and bias are read from the parameter registry (see forward)
    _registered_weights = True

    def forward(self, input: Tensor) -> Tensor:
        # (the registry read directly: a registered parameter's attribute lookup first fails and then
        # runs Module.__getattr__, 0.4 us each, twice per call of the layer models call most)
        params = self._parameters
        if self._registered_weights and "weight" in params and "bias" in params:
            return linear(input, params["weight"], params["bias"])
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class NonDynamicallyQuantizableLinear(Linear):
    """The Linear that MultiheadAttention uses for its output projection (torch's class name).

    >>> import kittygrad as kitty
    >>> kitty.nn.modules.linear.NonDynamicallyQuantizableLinear(2, 3)(kitty.ones(1, 2)).shape
    kittygrad.Size([1, 3])
    """


class Bilinear(Module):
    """``y = x1^T A x2 + b`` with weight ``(out_features, in1_features, in2_features)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Bilinear(3, 4, 2)(kitty.ones(5, 3), kitty.ones(5, 4)).shape
    kittygrad.Size([5, 2])
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = empty_parameter(out_features, in1_features, in2_features, dtype=dtype)
        set_optional_bias(self, bias, out_features, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight and bias uniform in ``+-1/sqrt(in1_features)`` (torch's default)."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        for param in (self.weight, self.bias):
            if param is not None:
                init.uniform_(param, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
