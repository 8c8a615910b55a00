"""kittygrad: a small deep-learning library on NumPy with PyTorch's API.

>>> import kittygrad as kitty
>>> a = kitty.tensor([1., 2., 3.], requires_grad=True)
>>> (a * a).sum().backward(); a.grad
tensor([2., 4., 6.])
"""
from __future__ import annotations

__version__ = "0.1.0"

from . import autograd, nn, optim, utils, viz  # noqa: E402  (torch.nn, torch.optim, torch.utils.data)
from ._ops_exports import *  # noqa: F401,F403
from ._printing import set_printoptions
from .autograd import Function, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from .backend import Generator, get_num_threads, set_num_threads
from .creation import (
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    initial_seed,
    linspace,
    logspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint8,
)
from .errors import BackwardGraphWarning, KittygradError
from .ops.activation import log_softmax, relu, sigmoid, softmax, tanh
from .ops.arithmetic import add, div, mul, neg, negative, pow, rsub, sub
from .ops.comparison import clamp, clip
from .ops.linalg import bmm, dot, matmul, mm, mv
from .ops.reduction import mean, std, sum, var
from .ops.shape import (
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    expand,
    flatten,
    permute,
    reshape,
    squeeze,
    swapaxes,
    swapdims,
    t,
    transpose,
    unsqueeze,
)
from .ops.unary import abs, absolute, exp, log, sqrt
from .serialization import SerializationError, load, save
from .tensor import Size, Tensor

divide = true_divide = div
multiply = mul
subtract = sub

FloatTensor = DoubleTensor = LongTensor = Tensor  # legacy constructors behave as Tensor


def is_tensor(obj) -> bool:
    """True for kittygrad Tensors.

    >>> import kittygrad as kitty
    >>> kitty.is_tensor(kitty.zeros(1))
    True
    """
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def clone(input: Tensor) -> Tensor:
    return input.clone()


def detach(input: Tensor) -> Tensor:
    return input.detach()


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


from .viz import CompGraph  # noqa: E402  (imports graphviz only when a picture is made)
