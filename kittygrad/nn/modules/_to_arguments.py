"""The arguments of ``Module.type`` and ``Module.cuda``/``xpu`` (``Module.to`` parses its own with
:func:`kittygrad.device.parse_to`, as ``Tensor.to`` does)."""
from __future__ import annotations

from ... import dtypes as D
from ...device import check_device

#: the legacy tensor type names ``Module.type`` accepts
_TYPE_NAMES = {"FloatTensor": D.float32, "DoubleTensor": D.float64, "HalfTensor": D.float16, "LongTensor": D.int64,
               "IntTensor": D.int32, "ShortTensor": D.int16, "CharTensor": D.int8, "ByteTensor": D.uint8,
               "BoolTensor": D.bool}


def accelerator_device(kind: str, device) -> str:
    """The device ``Module.cuda(device)`` (or ``xpu``) names: ``kind``, or ``kind:index`` for an index.

    >>> accelerator_device("cuda", 1)
    'cuda:1'
    """
    if device is None:
        return kind
    if isinstance(device, int) and not isinstance(device, bool):
        return f"{kind}:{device}"
    return str(device)


def type_name_dtype(dst_type) -> D.dtype:
    """The dtype ``Module.type`` casts to: a dtype, or a legacy name like ``'torch.FloatTensor'``
    (a ``torch.cuda.*`` name asks for the GPU, which is refused).

    >>> type_name_dtype("torch.DoubleTensor")
    kittygrad.float64
    """
    if isinstance(dst_type, D.dtype):
        return dst_type
    if isinstance(dst_type, str):
        package, _, name = dst_type.rpartition(".")
        if package in ("torch", "kittygrad") and name in _TYPE_NAMES:
            return _TYPE_NAMES[name]
        if package.endswith("cuda"):
            check_device("cuda")
    raise ValueError(f"invalid type: {dst_type!r}")
