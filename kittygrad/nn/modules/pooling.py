"""MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d.

Each family stores its settings and hands them to its functional op (``_kernel``), in the op's
argument order; the stored form (an int stays an int, except in AvgPool1d) is torch's, as the
printed form shows.
"""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ._layer_utils import as_tuple
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d"]


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


class AvgPool2d(_AvgPool):
    """Mean over windows of ``(N, C, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.AvgPool2d(2)(kitty.ones(1, 1, 4, 4)).shape
    kittygrad.Size([1, 1, 2, 2])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True, divisor_override=None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(
            input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad, self.divisor_override
        )


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
