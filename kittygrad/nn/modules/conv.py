"""Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d (torch's weight layout and init)."""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ._layer_utils import as_tuple, empty_parameter, fan_in_uniform_, set_optional_bias
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _pad_widths(padding, kernel_size: tuple, dilation: tuple) -> tuple:
    """The (before, after) padding of each spatial dim, flattened last dim first (``F.pad``'s order).

    'same' pads ``dilation * (kernel - 1)`` in all, the odd one after, so the output keeps the input's size.
    """
    if padding == "same":
        pairs = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel_size, dilation)]
    elif padding == "valid":
        pairs = [(0, 0)] * len(kernel_size)
    else:
        pairs = [(p, p) for p in padding]
    return tuple(width for pair in reversed(pairs) for width in pair)


class _Convolution(Module):
    """What every convolution layer shares: argument checks, weight layout, init and printed form.

    A subclass sets ``_nd`` (spatial dims) and ``_kernel`` (its functional op).
    """

    _nd = 2
    _kernel = None

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed, output_padding, groups, bias, padding_mode, device=None, dtype=None) -> None:
        super().__init__()
        n = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        for what, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(f"{what} must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and as_tuple(stride, n) != (1,) * n:
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = as_tuple(kernel_size, n)
        self.stride = as_tuple(stride, n)
        self.padding = padding if isinstance(padding, str) else as_tuple(padding, n)
        self.dilation = as_tuple(dilation, n)
        self.transposed = transposed
        self.output_padding = as_tuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
        # what a non-zeros padding_mode pads the input by before a padding-free convolution
        self._input_pad = _pad_widths(self.padding, self.kernel_size, self.dilation)
        # torch's layouts: (out, in/groups, *k), and (in, out/groups, *k) when transposed
        rows, cols = (in_channels, out_channels) if transposed else (out_channels, in_channels)
        self.weight = empty_parameter(rows, cols // groups, *self.kernel_size, dtype=dtype)
        set_optional_bias(self, bias, out_channels, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight and bias again, as a new layer's (torch's default init)."""
        fan_in_uniform_(self.weight, self.bias, bias_without_fan_in=False)

    def extra_repr(self) -> str:
        zeros, ones = (0,) * self._nd, (1,) * self._nd
        # (setting, value, the default that is not printed), in torch's order
        optional = (
            ("padding", self.padding, zeros), ("dilation", self.dilation, ones),
            ("output_padding", self.output_padding, zeros), ("groups", self.groups, 1),
            ("bias", self.bias is not None, True), ("padding_mode", self.padding_mode, "zeros"),
        )
        head = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        return ", ".join([head] + [f"{name}={value}" for name, value, default in optional if value != default])


class _Conv(_Convolution):
    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias, padding_mode, dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode == "zeros":
            x, padding = input, self.padding
        else:  # the functional op pads with zeros only: pad the input first, in the chosen mode
            x, padding = F.pad(input, self._input_pad, mode=self.padding_mode), 0
        return self._kernel(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_Conv):
    """1-D convolution over ``(N, C_in, L)``; weight ``(C_out, C_in/groups, k)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Conv1d(2, 4, 3, padding=1)(kitty.zeros(1, 2, 10)).shape
    kittygrad.Size([1, 4, 10])
    """

    _nd = 1
    _kernel = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution over ``(N, C_in, H, W)``; stride, padding (int, pair, 'same', 'valid'),
    dilation, groups, bias and padding_mode as torch.

    >>> import kittygrad as kitty
    >>> kitty.nn.Conv2d(3, 8, 3, padding="same")(kitty.zeros(2, 3, 16, 16)).shape
    kittygrad.Size([2, 8, 16, 16])
    """

    _nd = 2
    _kernel = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-D convolution over ``(N, C_in, D, H, W)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.Conv3d(1, 2, 3, padding=1)(kitty.zeros(1, 1, 4, 4, 4)).shape
    kittygrad.Size([1, 2, 4, 4, 4])
    """

    _nd = 3
    _kernel = staticmethod(F.conv3d)


class _ConvTranspose(_Convolution):
    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding, groups, bias, padding_mode, dtype=dtype)

    def _extra_size_for(self, input: Tensor, output_size) -> tuple:
        """The output_padding that makes the output ``output_size`` (spatial dims, or with batch and
        channel dims); the layer's own ``output_padding`` when no size is asked for."""
        if output_size is None:
            return self.output_padding
        n = self._nd
        # sliced, not copied to a list: the range error below prints the size as the caller gave it
        non_spatial = 2 if input.ndim == n + 2 else 1
        wanted = output_size
        if len(wanted) == n + non_spatial:
            wanted = wanted[non_spatial:]
        if len(wanted) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or {n + non_spatial} elements (got {len(wanted)})"
            )
        # per dim, the size without output_padding; output_padding may add up to stride - 1
        smallest = [
            (size - 1) * s - 2 * p + d * (k - 1) + 1
            for size, k, s, p, d in zip(input.shape[-n:], self.kernel_size, self.stride, self.padding, self.dilation)
        ]
        largest = [low + s - 1 for low, s in zip(smallest, self.stride)]
        if any(not low <= want <= high for low, want, high in zip(smallest, wanted, largest)):
            raise ValueError(
                f"requested an output size of {wanted}, but valid sizes range from {smallest} to {largest} "
                f"(for an input of {input.shape[2:]})"
            )
        return tuple(want - low for want, low in zip(wanted, smallest))

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        extra = self._extra_size_for(input, output_size)
        return self._kernel(input, self.weight, self.bias, self.stride, self.padding, extra, self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-D convolution; weight ``(C_in, C_out/groups, k)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.ConvTranspose1d(2, 3, 4, stride=2)(kitty.zeros(1, 2, 5)).shape
    kittygrad.Size([1, 3, 12])
    """

    _nd = 1
    _kernel = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-D convolution (a learned upsampling); weight ``(C_in, C_out/groups, kh, kw)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.ConvTranspose2d(4, 2, 2, stride=2)(kitty.zeros(1, 4, 8, 8)).shape
    kittygrad.Size([1, 2, 16, 16])
    """

    _nd = 2
    _kernel = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """Transposed 3-D convolution over ``(N, C_in, D, H, W)``; weight ``(C_in, C_out/groups, kd, kh, kw)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.ConvTranspose3d(4, 2, 2, stride=2)(kitty.zeros(1, 4, 2, 3, 3)).shape
    kittygrad.Size([1, 2, 4, 6, 6])
    """

    _nd = 3
    _kernel = staticmethod(F.conv_transpose3d)


# torch's names for the shared bases, which custom convolution layers subclass
# (``from torch.nn.modules.conv import _ConvNd``): the same positional arguments as torch's
_ConvNd = _Convolution
_ConvTransposeNd = _ConvTranspose
