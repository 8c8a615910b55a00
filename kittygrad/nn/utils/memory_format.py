"""``convert_conv2d_weight_memory_format``/``3d``: torch stores convolution weights channels-last for
faster GPU kernels. kittygrad's convolutions read any layout at the same speed (NumPy strides), so
these return the module unchanged: a documented no-op.

>>> import kittygrad as kitty
>>> conv = kitty.nn.Conv2d(1, 1, 1)
>>> convert_conv2d_weight_memory_format(conv, kitty.channels_last) is conv
True
"""
from __future__ import annotations

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def convert_conv2d_weight_memory_format(module, memory_format):
    """``module`` itself (see the module: kittygrad's convolutions need no weight layout)."""
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    """``module`` itself (see :func:`convert_conv2d_weight_memory_format`)."""
    return module
