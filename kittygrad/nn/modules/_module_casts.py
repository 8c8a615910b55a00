"""The dtype and device casts every module has (``float()``, ``half()``, ``type()``, ``cpu()``,
``cuda()``...), kept beside ``Module`` (module.py), which takes them as a base class."""
from __future__ import annotations

from ... import dtypes as D
from ...device import check_device
from ...errors import KittyRuntimeError
from ._to_arguments import accelerator_device, type_name_dtype


class ModuleCasts:
    """``Module``'s cast methods; each goes through ``_cast_floats`` or ``_apply``."""

    def float(self) -> ModuleCasts:
        """Cast floating-point parameters and buffers to float32."""
        return self._cast_floats(D.float32)

    def double(self) -> ModuleCasts:
        """Cast floating-point parameters and buffers to float64."""
        return self._cast_floats(D.float64)

    def half(self) -> ModuleCasts:
        """Cast floating-point parameters and buffers to float16."""
        return self._cast_floats(D.float16)

    def bfloat16(self) -> ModuleCasts:
        """Cast floating-point parameters and buffers to bfloat16.

        >>> import kittygrad as kitty
        >>> kitty.nn.Linear(2, 1).bfloat16().weight.dtype
        kittygrad.bfloat16
        """
        return self._cast_floats(D.bfloat16)

    def type(self, dst_type) -> ModuleCasts:
        """Cast every parameter and buffer to ``dst_type`` (a dtype or a tensor type name such as
        ``'torch.DoubleTensor'``); a parameter that requires grad must stay floating point.

        >>> import kittygrad as kitty
        >>> kitty.nn.Linear(1, 1).type("torch.DoubleTensor").weight.dtype
        kittygrad.float64
        """
        dtype = type_name_dtype(dst_type)
        if not dtype.is_floating_point and any(p.requires_grad for p in self.parameters()):
            raise KittyRuntimeError("data set to a tensor that requires gradients must be floating point or complex dtype")
        return self._apply(lambda t: t.to(dtype))

    def cpu(self) -> ModuleCasts:
        """The module itself: kittygrad's tensors live on the CPU.

        >>> import kittygrad as kitty
        >>> m = kitty.nn.ReLU(); m.cpu() is m
        True
        """
        return self

    def cuda(self, device=None) -> ModuleCasts:
        """Refused with a clear error: kittygrad has no GPU backend.

        >>> import kittygrad as kitty
        >>> try:
        ...     kitty.nn.ReLU().cuda()
        ... except RuntimeError as err:
        ...     print(err)
        kittygrad has no GPU backend installed: device 'cuda' is not available; kittygrad runs on the CPU (use device='cpu')
        """
        check_device(accelerator_device("cuda", device))
        return self

    def xpu(self, device=None) -> ModuleCasts:
        """Refused with a clear error, as ``cuda()``: kittygrad has no GPU backend."""
        check_device(accelerator_device("xpu", device))
        return self
