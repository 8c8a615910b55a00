"""Lazy modules: layers whose input size (in_features, in_channels, num_features) is read from the
first input. Until then their parameters are ``UninitializedParameter``s; the first forward gives them
their shapes, initialises them as the plain layer does (same random draws, same order) and turns the
module into that plain layer (``cls_to_become``). A state_dict loaded before the first forward gives
the parameters the checkpoint's shapes.
"""
from __future__ import annotations

from ... import creation as C
from ... import dtypes as D
from ...tensor import Tensor
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm, _ChannelNorm
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, _Conv, _ConvTranspose
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, _InstanceNorm
from .linear import Linear

__all__ = [
    "LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
    "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
    "LazyInstanceNorm2d", "LazyInstanceNorm3d",
]


class LazyModuleMixin:
    """Mixed in before a Module class: a forward pre-hook infers the parameters' shapes on the
    first call (``initialize_parameters``), then the module becomes ``cls_to_become``.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.LazyLinear(2); m.has_uninitialized_params()
    True
    >>> _ = m(kitty.ones(1, 3)); type(m).__name__, m.weight.shape
    ('Linear', kittygrad.Size([2, 3]))
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._shape_from_checkpoint)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def _shape_from_checkpoint(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs) -> None:
        """Before loading: an uninitialised entry the checkpoint holds gets the checkpoint's shape."""
        for name, value in [*self._parameters.items(), *self._buffers.items()]:
            key = prefix + name
            if value is not None and key in state_dict and is_lazy(value) and not is_lazy(state_dict[key]):
                value.materialize(state_dict[key].shape)

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer still waits for its shape."""
        return any(is_lazy(t) for t in [*self._parameters.values(), *self._buffers.values()])

    def _infer_parameters(self, module, args, kwargs=None) -> None:
        # registered as a bound method, so ``module`` is ``self``
        self.initialize_parameters(*args, **(kwargs or {}))
        if any(is_lazy(t) for t in [*self._parameters.values(), *self._buffers.values()]):
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        # one-shot: both hooks go away, and the module becomes its eager class
        for handle in (self._initialize_hook, self._load_hook):
            handle.remove()
        del self._initialize_hook, self._load_hook
        eager_cls = self.cls_to_become
        if eager_cls is not None:
            self.__class__ = eager_cls

    def _materialize_all(self, shapes) -> None:
        """Give each (tensor, shape) pair's tensor its shape; absent (None) tensors are skipped."""
        for tensor, shape in shapes:
            if tensor is not None and is_lazy(tensor):
                tensor.materialize(shape)

    def _apply(self, fn, recurse: bool = True):
        """As Module's, with the uninitialised entries left out (``fn`` may only record their dtype)."""
        lazy = [(table, name, t) for table in (self._parameters, self._buffers) for name, t in table.items() if is_lazy(t)]
        for table, name, t in lazy:
            try:
                fn(t)
            except ValueError:  # fn needs the values, which are not there yet
                pass
            table[name] = None
        try:
            return super()._apply(fn, recurse)
        finally:
            for table, name, t in lazy:
                table[name] = t

    def _get_name(self) -> str:
        return type(self).__name__


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose ``in_features`` is the last dim of its first input.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.LazyLinear(4); m
    LazyLinear(in_features=0, out_features=4, bias=True)
    >>> m(kitty.ones(2, 3)).shape, m
    (kittygrad.Size([2, 4]), Linear(in_features=3, out_features=4, bias=True))
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        # only meaningful once the shapes are known
        if self.in_features and not self.has_uninitialized_params():
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        features = input.shape[-1]
        self.in_features = features
        out = self.out_features
        self._materialize_all([(self.weight, (out, features)), (self.bias, (out,))])
        self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    def reset_parameters(self) -> None:
        if self.in_channels and not self.has_uninitialized_params():
            super().reset_parameters()

    def _channels_of(self, input: Tensor) -> int:
        unbatched = self._nd + 1
        if input.ndim not in (unbatched, unbatched + 1):
            raise RuntimeError(
                f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to {type(self).__name__}, "
                f"but got input of size: {input.shape}"
            )
        return input.shape[1] if input.ndim == unbatched + 1 else input.shape[0]

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        channels = self._channels_of(input)
        self.in_channels = channels
        if channels % self.groups:
            raise ValueError("in_channels must be divisible by groups")
        out, groups = self.out_channels, self.groups
        # transposed convolutions store (in, out / groups, *kernel), the others (out, in / groups, *kernel)
        first, second = (channels, out // groups) if self.transposed else (out, channels // groups)
        self._materialize_all([(self.weight, (first, second, *self.kernel_size)), (self.bias, (out,))])
        self.reset_parameters()


class _LazyConv(_LazyConvMixin, _Conv):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)


class _LazyConvTranspose(_LazyConvMixin, _ConvTranspose):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0, groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode, device, dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)


class LazyConv1d(_LazyConv):
    """A Conv1d whose ``in_channels`` is read from its first input.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.LazyConv1d(4, 3); _ = m(kitty.ones(1, 2, 5)); m
    Conv1d(2, 4, kernel_size=(3,), stride=(1,))
    """

    _nd, _kernel, cls_to_become = Conv1d._nd, Conv1d._kernel, Conv1d


class LazyConv2d(_LazyConv):
    """A Conv2d whose ``in_channels`` is read from its first input.

    >>> import kittygrad as kitty
    >>> kitty.nn.LazyConv2d(4, 3)(kitty.ones(1, 2, 5, 5)).shape
    kittygrad.Size([1, 4, 3, 3])
    """

    _nd, _kernel, cls_to_become = Conv2d._nd, Conv2d._kernel, Conv2d


class LazyConv3d(_LazyConv):
    """A Conv3d whose ``in_channels`` is read from its first input.

    >>> import kittygrad as kitty
    >>> kitty.nn.LazyConv3d(2, 3)(kitty.ones(1, 1, 4, 4, 4)).shape
    kittygrad.Size([1, 2, 2, 2, 2])
    """

    _nd, _kernel, cls_to_become = Conv3d._nd, Conv3d._kernel, Conv3d


class LazyConvTranspose1d(_LazyConvTranspose):
    """A ConvTranspose1d whose ``in_channels`` is read from its first input.

    >>> import kittygrad as kitty
    >>> kitty.nn.LazyConvTranspose1d(3, 4, stride=2)(kitty.ones(1, 2, 5)).shape
    kittygrad.Size([1, 3, 12])
    """

    _nd, _kernel, cls_to_become = ConvTranspose1d._nd, ConvTranspose1d._kernel, ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose):
    """A ConvTranspose2d whose ``in_channels`` is read from its first input.

    >>> import kittygrad as kitty
    >>> kitty.nn.LazyConvTranspose2d(2, 2, stride=2)(kitty.ones(1, 4, 3, 3)).shape
    kittygrad.Size([1, 2, 6, 6])
    """

    _nd, _kernel, cls_to_become = ConvTranspose2d._nd, ConvTranspose2d._kernel, ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose):
    """A ConvTranspose3d whose ``in_channels`` is read from its first input.

    >>> import kittygrad as kitty
    >>> kitty.nn.LazyConvTranspose3d(2, 2, stride=2)(kitty.ones(1, 4, 2, 3, 3)).shape
    kittygrad.Size([1, 2, 4, 6, 6])
    """

    _nd, _kernel, cls_to_become = ConvTranspose3d._nd, ConvTranspose3d._kernel, ConvTranspose3d


class _LazyNormBase(LazyModuleMixin, _ChannelNorm):
    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True, track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = C.tensor(0, dtype=D.int64)

    def reset_parameters(self) -> None:
        if self.num_features and not self.has_uninitialized_params():
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        channels = input.shape[1]
        self.num_features = channels
        per_channel = (self.weight, self.bias, self.running_mean, self.running_var)
        self._materialize_all([(t, (channels,)) for t in per_channel])
        self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    """A BatchNorm1d whose ``num_features`` is read from its first input.

    >>> import kittygrad as kitty
    >>> m = kitty.nn.LazyBatchNorm1d(); _ = m(kitty.randn(4, 3)); m.weight.shape
    kittygrad.Size([3])
    """

    _ndims, cls_to_become = BatchNorm1d._ndims, BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    """A BatchNorm2d whose ``num_features`` is read from its first input.

    >>> import kittygrad as kitty
    >>> kitty.nn.LazyBatchNorm2d()(kitty.randn(2, 3, 4, 4)).shape
    kittygrad.Size([2, 3, 4, 4])
    """

    _ndims, cls_to_become = BatchNorm2d._ndims, BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    """A BatchNorm3d whose ``num_features`` is read from its first input.

    >>> import kittygrad as kitty
    >>> kitty.nn.LazyBatchNorm3d()(kitty.randn(2, 3, 2, 2, 2)).shape
    kittygrad.Size([2, 3, 2, 2, 2])
    """

    _ndims, cls_to_become = BatchNorm3d._ndims, BatchNorm3d


class LazyInstanceNorm1d(_LazyNormBase, _InstanceNorm):
    """An InstanceNorm1d whose ``num_features`` is read from its first input (``input.shape[1]``).

    >>> import kittygrad as kitty
    >>> kitty.nn.LazyInstanceNorm1d()(kitty.randn(2, 3, 5)).shape
    kittygrad.Size([2, 3, 5])
    """

    _spatial, cls_to_become = InstanceNorm1d._spatial, InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, _InstanceNorm):
    """An InstanceNorm2d whose ``num_features`` is read from its first input.

    >>> import kittygrad as kitty
    >>> kitty.nn.LazyInstanceNorm2d()(kitty.randn(2, 3, 4, 4)).shape
    kittygrad.Size([2, 3, 4, 4])
    """

    _spatial, cls_to_become = InstanceNorm2d._spatial, InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormBase, _InstanceNorm):
    """An InstanceNorm3d whose ``num_features`` is read from its first input.

    >>> import kittygrad as kitty
    >>> kitty.nn.LazyInstanceNorm3d()(kitty.randn(2, 3, 2, 2, 2)).shape
    kittygrad.Size([2, 3, 2, 2, 2])
    """

    _spatial, cls_to_become = InstanceNorm3d._spatial, InstanceNorm3d
