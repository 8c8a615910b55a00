"""Questions about tensors and dtypes (answers are Python values): ``get_device``, ``is_complex``, ``is_signed``,
``is_nonzero``, ``is_same_size``, ``is_conj``/``is_neg`` (always False: kittygrad has no lazy
conjugate or negative views), ``is_inference``, ``is_storage``, ``is_distributed``, ``can_cast``."""
from __future__ import annotations

from . import backend as B
from . import dtypes as D
from .errors import KittyTypeError
from .storage import TypedStorage, UntypedStorage
from .tensor import Tensor


def _tensor(x, name: str):
    if not isinstance(x, Tensor):
        raise KittyTypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    return x


def is_complex(input) -> bool:
    """False: kittygrad tensors are real (float, integer or bool).

    >>> import kittygrad as kitty
    >>> kitty.is_complex(kitty.zeros(1))
    False
    """
    return _tensor(input, "is_complex").is_complex()


def is_signed(input) -> bool:
    """Whether the dtype holds negative numbers (False for uint8 and bool).

    >>> import kittygrad as kitty
    >>> kitty.is_signed(kitty.zeros(1, dtype=kitty.uint8))
    False
    """
    return _tensor(input, "is_signed").is_signed()


def is_conj(input) -> bool:
    """False: kittygrad has no lazily conjugated views (real tensors only).

    >>> import kittygrad as kitty
    >>> kitty.is_conj(kitty.zeros(1))
    False
    """
    return _tensor(input, "is_conj").is_conj()


def is_neg(input) -> bool:
    """False: kittygrad has no lazily negated views.

    >>> import kittygrad as kitty
    >>> kitty.is_neg(kitty.zeros(1))
    False
    """
    return _tensor(input, "is_neg").is_neg()


def is_inference(input) -> bool:
    """False: kittygrad has no inference tensors (``inference_mode`` works as ``no_grad``).

    >>> import kittygrad as kitty
    >>> kitty.is_inference(kitty.zeros(1))
    False
    """
    return _tensor(input, "is_inference").is_inference()


def is_nonzero(input) -> bool:
    """The truth of a one-element tensor (more or fewer elements raise, as ``bool(t)``).

    >>> import kittygrad as kitty
    >>> kitty.is_nonzero(kitty.tensor([1.5]))
    True
    """
    return _tensor(input, "is_nonzero").is_nonzero()


def is_same_size(input, other) -> bool:
    """Whether two tensors have the same shape.

    >>> import kittygrad as kitty
    >>> kitty.is_same_size(kitty.zeros(2, 3), kitty.ones(2, 3))
    True
    """
    return _tensor(input, "is_same_size")._data.shape == _tensor(other, "is_same_size")._data.shape


def is_storage(obj) -> bool:
    """Whether ``obj`` is a storage (``t.storage()`` or ``t.untyped_storage()``), not a tensor.

    >>> import kittygrad as kitty
    >>> kitty.is_storage(kitty.zeros(1)), kitty.is_storage(kitty.zeros(1).untyped_storage())
    (False, True)
    """
    return isinstance(obj, (TypedStorage, UntypedStorage))


def is_distributed(input) -> bool:
    """False: kittygrad has no distributed tensors.

    >>> import kittygrad as kitty
    >>> kitty.is_distributed(kitty.zeros(1))
    False
    """
    return _tensor(input, "is_distributed").is_distributed()


def can_cast(from_, to) -> bool:
    """Whether torch's casting rules allow an in-place result of dtype ``from_`` to be written into
    ``to`` (no float to integer, no number to bool).

    >>> import kittygrad as kitty
    >>> kitty.can_cast(kitty.float64, kitty.int32), kitty.can_cast(kitty.int32, kitty.float32)
    (False, True)
    """
    a, b = D.to_dtype(from_), D.to_dtype(to)
    if a.np.kind in "iu" and b.np.kind in "iu":
        return True  # any integer into any integer (it wraps), as torch
    return bool(B.xp.can_cast(a.np, b.np, casting="same_kind"))


def get_device(input) -> int:
    """The device index of a tensor: -1, the CPU's (torch's answer for CPU tensors).

    >>> import kittygrad as kitty
    >>> kitty.get_device(kitty.zeros(1))
    -1
    """
    return _tensor(input, "get_device").get_device()
