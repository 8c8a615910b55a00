"""Max, average, adaptive, power-average (LP) and fractional pooling (1-D to 3-D), and max unpooling.

Each family stores its settings and hands them to its functional op (``_kernel``), in the op's
argument order; the stored form (an int stays an int, except in AvgPool1d) is torch's, as the
printed form shows.
"""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ._layer_utils import as_tuple
from .module import Module

__all__ = [
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "MaxPool3d",
    "AvgPool3d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "LPPool1d",
    "LPPool2d", "LPPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "FractionalMaxPool2d", "FractionalMaxPool3d",
]


class _MaxPool(Module):
    _kernel = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride  # windows side by side by default
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor):
        return self._kernel(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPool):
    """Max over windows of ``(N, C, L)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.MaxPool1d(2)(kitty.zeros(1, 2, 8)).shape
    kittygrad.Size([1, 2, 4])
    """

    _kernel = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPool):
    """Max over windows of ``(N, C, H, W)``; stride defaults to the kernel size.

    >>> import kittygrad as kitty
    >>> kitty.nn.MaxPool2d(2)(kitty.zeros(1, 2, 8, 8)).shape
    kittygrad.Size([1, 2, 4, 4])
    """

    _kernel = staticmethod(F.max_pool2d)


class _AvgPool(Module):
    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPool):
    """Mean over windows of ``(N, C, L)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.AvgPool1d(2)(kitty.ones(1, 1, 4))
    tensor([[[1., 1.]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        # stored as 1-tuples, as torch's AvgPool1d does (its repr shows kernel_size=(2,))
        self.kernel_size = as_tuple(kernel_size, 1)
        self.stride = self.kernel_size if stride is None else as_tuple(stride, 1)
        self.padding = as_tuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class _AvgPoolWithDivisor(_AvgPool):
    """The 2-D and 3-D average pools: torch stores their settings as given and adds ``divisor_override``."""

    _kernel = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True, divisor_override=None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return self._kernel(
            input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad, self.divisor_override
        )


class AvgPool2d(_AvgPoolWithDivisor):
    """Mean over windows of ``(N, C, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.AvgPool2d(2)(kitty.ones(1, 1, 4, 4)).shape
    kittygrad.Size([1, 1, 2, 2])
    """

    _kernel = staticmethod(F.avg_pool2d)


class _AdaptivePool(Module):
    _kernel = None

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return self._kernel(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling to a fixed output length.

    >>> import kittygrad as kitty
    >>> kitty.nn.AdaptiveAvgPool1d(3)(kitty.zeros(1, 2, 10)).shape
    kittygrad.Size([1, 2, 3])
    """

    _kernel = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling to a fixed ``(H, W)`` (``1`` gives global average pooling).

    >>> import kittygrad as kitty
    >>> kitty.nn.AdaptiveAvgPool2d(1)(kitty.zeros(2, 3, 7, 7)).shape
    kittygrad.Size([2, 3, 1, 1])
    """

    _kernel = staticmethod(F.adaptive_avg_pool2d)


class MaxPool3d(_MaxPool):
    """Max over windows of ``(N, C, D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.MaxPool3d(2)(kitty.zeros(1, 2, 4, 4, 4)).shape
    kittygrad.Size([1, 2, 2, 2, 2])
    """

    _kernel = staticmethod(F.max_pool3d)


class AvgPool3d(_AvgPoolWithDivisor):
    """Mean over windows of ``(N, C, D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.AvgPool3d(2)(kitty.ones(1, 1, 4, 4, 4)).shape
    kittygrad.Size([1, 1, 2, 2, 2])
    """

    _kernel = staticmethod(F.avg_pool3d)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Average pooling to a fixed ``(D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.AdaptiveAvgPool3d(1)(kitty.zeros(2, 3, 4, 4, 4)).shape
    kittygrad.Size([2, 3, 1, 1, 1])
    """

    _kernel = staticmethod(F.adaptive_avg_pool3d)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return self._kernel(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max pooling to a fixed output length.

    >>> import kittygrad as kitty
    >>> kitty.nn.AdaptiveMaxPool1d(3)(kitty.zeros(1, 2, 10)).shape
    kittygrad.Size([1, 2, 3])
    """

    _kernel = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max pooling to a fixed ``(H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.AdaptiveMaxPool2d((2, None))(kitty.zeros(1, 2, 5, 7)).shape
    kittygrad.Size([1, 2, 2, 7])
    """

    _kernel = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """Max pooling to a fixed ``(D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.AdaptiveMaxPool3d(1)(kitty.zeros(1, 2, 3, 4, 5)).shape
    kittygrad.Size([1, 2, 1, 1, 1])
    """

    _kernel = staticmethod(F.adaptive_max_pool3d)


class _LPPool(Module):
    _kernel = None

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return self._kernel(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, ceil_mode={self.ceil_mode}"


class LPPool1d(_LPPool):
    """Power-average pooling over windows of ``(N, C, L)``: ``(sum x^p)^(1/p)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.LPPool1d(2, 2)(kitty.tensor([[[3., 4.]]]))
    tensor([[[5.]]])
    """

    _kernel = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPool):
    """Power-average pooling over windows of ``(N, C, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.LPPool2d(1, 2)(kitty.ones(1, 1, 2, 2))
    tensor([[[[4.]]]])
    """

    _kernel = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPool):
    """Power-average pooling over windows of ``(N, C, D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.LPPool3d(1, 2)(kitty.ones(1, 1, 2, 2, 2))
    tensor([[[[[8.]]]]])
    """

    _kernel = staticmethod(F.lp_pool3d)


class _MaxUnpool(Module):
    _kernel = None
    _dims = 1

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        self.kernel_size = as_tuple(kernel_size, self._dims)
        self.stride = as_tuple(stride if stride is not None else kernel_size, self._dims)
        self.padding = as_tuple(padding, self._dims)

    def forward(self, input: Tensor, indices: Tensor, output_size=None) -> Tensor:
        return self._kernel(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """The inverse of ``MaxPool1d``: values back at their indices, zeros elsewhere.

    >>> import kittygrad as kitty
    >>> out, idx = kitty.nn.MaxPool1d(2, return_indices=True)(kitty.tensor([[[1., 3., 2., 0.]]]))
    >>> kitty.nn.MaxUnpool1d(2)(out, idx)
    tensor([[[0., 3., 2., 0.]]])
    """

    _kernel = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpool):
    """The inverse of ``MaxPool2d``.

    >>> import kittygrad as kitty
    >>> out, idx = kitty.nn.MaxPool2d(2, return_indices=True)(kitty.ones(1, 1, 4, 4))
    >>> kitty.nn.MaxUnpool2d(2)(out, idx).shape
    kittygrad.Size([1, 1, 4, 4])
    """

    _kernel = staticmethod(F.max_unpool2d)
    _dims = 2


class MaxUnpool3d(_MaxUnpool):
    """The inverse of ``MaxPool3d``.

    >>> import kittygrad as kitty
    >>> out, idx = kitty.nn.MaxPool3d(2, return_indices=True)(kitty.ones(1, 1, 2, 2, 2))
    >>> kitty.nn.MaxUnpool3d(2)(out, idx).shape
    kittygrad.Size([1, 1, 2, 2, 2])
    """

    _kernel = staticmethod(F.max_unpool3d)
    _dims = 3


class _FractionalMaxPool(Module):
    _kernel = None
    _dims = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False, _random_samples=None) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = as_tuple(kernel_size, self._dims)
        self.return_indices = return_indices
        # persistent, as torch's: a checkpoint carries the fixed samples
        self.register_buffer("_random_samples", _random_samples, persistent=True)
        self.output_size = as_tuple(output_size, self._dims) if output_size is not None else None
        self.output_ratio = as_tuple(output_ratio, self._dims) if output_ratio is not None else None
        if (output_size is None) == (output_ratio is None):  # exactly one of the two is needed
            raise ValueError(
                f"{name} requires specifying either an output size, or a pooling ratio" if output_size is None
                else "only one of output_size and output_ratio may be specified"
            )
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor):
        return self._kernel(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                            _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPool):
    """Max pooling over pseudo-random overlapping windows (Graham, 2014).

    >>> import kittygrad as kitty
    >>> kitty.nn.FractionalMaxPool2d(3, output_ratio=0.5)(kitty.ones(1, 1, 8, 8)).shape
    kittygrad.Size([1, 1, 4, 4])
    """

    _kernel = staticmethod(F.fractional_max_pool2d)


class FractionalMaxPool3d(_FractionalMaxPool):
    """3-D fractional max pooling.

    >>> import kittygrad as kitty
    >>> kitty.nn.FractionalMaxPool3d(2, output_size=2)(kitty.ones(1, 1, 4, 4, 4)).shape
    kittygrad.Size([1, 1, 2, 2, 2])
    """

    _kernel = staticmethod(F.fractional_max_pool3d)
    _dims = 3
