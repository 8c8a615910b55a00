"""Autocast's state (per thread and device type) and its one hook in the ops, :func:`autocast_args`.

``kittygrad.autocast`` (``kittygrad/amp``) sets the state; the public functions of the ops on
torch's lower-precision list call :func:`autocast_args` on their tensor arguments, which, inside
an enabled CPU autocast region, casts float32 ones to the region's dtype through a differentiable
cast (so gradients come back in float32). Outside a region it returns its arguments untouched.

>>> import kittygrad as kitty
>>> with kitty.autocast("cpu", dtype=kitty.float16):
...     (kitty.ones(2, 3) @ kitty.ones(3, 2)).dtype
kittygrad.float16
"""
from __future__ import annotations

import threading

from .. import backend as B
from .. import dtypes as D
from ._prep import cast, tensor_cls

# torch 2.13's CPU autocast lists, restricted to the ops kittygrad has. Made with a one-off script:
# each op ran on sample float32 arguments under torch.autocast("cpu", dtype=torch.float16) -- a
# float16 result puts it on LOWER_PRECISION --, then on float16 arguments -- a float32 result (where
# it is float16 outside autocast) puts it on FP32 --, then with one float16 and one float32
# argument -- a float32 result where torch refuses the mix outside autocast puts it on PROMOTE.
# (tensordot and matrix_power came out lower-precision through the products they are made of.)

#: ops that run in the autocast dtype; those with a hook (HOOKED) are cast by kittygrad
LOWER_PRECISION = frozenset({
    "addbmm", "addmm", "baddbmm", "bmm", "matmul", "mm", "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu", "scaled_dot_product_attention",
})
#: ops that run in float32 under autocast; the losses among them call :func:`float32_args`
FP32 = frozenset({
    "cholesky", "inverse", "lu_solve", "prod", "qr", "svd", "trace", "mse_loss", "l1_loss", "smooth_l1_loss",
    "huber_loss", "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "soft_margin_loss", "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
    "triplet_margin_loss", "pad",
})
#: ops that run in the widest input dtype (kittygrad's own promotion already does this)
PROMOTE = frozenset({"index_copy"})
#: the lower-precision ops whose public function calls :func:`autocast_args`
HOOKED = frozenset({
    "addbmm", "addmm", "baddbmm", "bmm", "matmul", "mm", "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
})
#: the dtypes CPU autocast runs ops in (torch: bfloat16 and float16)
CPU_DTYPES = ("bfloat16", "float16")


class _State(threading.local):
    """Per thread: whether autocast is on and its dtype, for each device type (CPU by default off)."""

    def __init__(self) -> None:
        self.enabled: dict[str, bool] = {}
        self.dtype: dict[str, D.dtype | None] = {}
        self.cpu_dtype = None  # the dtype ops cast to while CPU autocast is on, else None


_state = _State()


def default_dtype(device_type: str):
    """torch's default autocast dtype: bfloat16 on the CPU, float16 elsewhere."""
    return D.bfloat16 if device_type == "cpu" else D.float16


def is_enabled(device_type: str) -> bool:
    return _state.enabled.get(device_type, False)


def get_dtype(device_type: str):
    """The autocast dtype of ``device_type``: the one set for it, else its default."""
    return _state.dtype.get(device_type) or default_dtype(device_type)


def set_state(device_type: str, enabled: bool, dtype) -> None:
    _state.enabled[device_type] = enabled
    _state.dtype[device_type] = dtype
    on = enabled and dtype is not None and dtype.name in CPU_DTYPES
    _state.cpu_dtype = (dtype if on else None) if device_type == "cpu" else _state.cpu_dtype


def autocast_args(op: str, *args) -> tuple:
    """``args`` for ``op`` (one of :data:`HOOKED`): under CPU autocast, float tensors in its dtype.

    float64 tensors are left as they are, as torch does (a float16 or bfloat16 one of the other
    lower-precision dtype is cast too); non-tensors pass through.

    >>> import kittygrad as kitty
    >>> autocast_args("mm", kitty.ones(1), None)[0].dtype
    kittygrad.float32
    """
    target = _state.cpu_dtype
    if target is None:
        return args
    T = tensor_cls()
    return tuple(
        cast(a, target) if isinstance(a, T) and B.is_float(a._data.dtype) and a._data.dtype.itemsize < 8 else a
        for a in args
    )


def float32_args(op: str, *args) -> tuple:
    """``args`` for ``op`` (one of :data:`FP32`): under CPU autocast, float16/bfloat16 tensors in float32.

    Outside an enabled region, or for other tensors and non-tensors, the arguments pass through.

    >>> import kittygrad as kitty
    >>> with kitty.autocast("cpu"):
    ...     float32_args("mse_loss", kitty.ones(1, dtype=kitty.bfloat16), 2)[0].dtype
    kittygrad.float32
    """
    if _state.cpu_dtype is None or op not in FP32:
        return args
    T = tensor_cls()
    return tuple(
        cast(a, D.float32) if isinstance(a, T) and B.is_float(a._data.dtype) and a._data.dtype.itemsize == 2 else a
        for a in args
    )
