"""kittygrad: a small deep-learning library on NumPy with PyTorch's API.

>>> import kittygrad as kitty
>>> a = kitty.tensor([1., 2., 3.], requires_grad=True)
>>> (a * a).sum().backward(); a.grad
tensor([2., 4., 6.])
"""
from __future__ import annotations

import math as _math

from .version import __version__ as _version_text  # noqa: E402  (one place for the version: kittygrad.version)
from . import torch_version  # noqa: E402  (torch.torch_version)

__version__ = torch_version.TorchVersion(_version_text)  # compares as a version, as torch.__version__
from . import _allocator  # noqa: E402

_allocator.tune_malloc()  # glibc's malloc set for arrays made and freed every step (see kittygrad._allocator)

from . import version  # noqa: E402  (torch.version: cuda is None on this build)
from . import autograd, nn, optim, utils, viz  # noqa: E402  (torch.nn, torch.optim, torch.utils.data)
from . import distributions, special  # torch.distributions, torch.special
from ._ops_exports import *  # noqa: F401,F403
from ._foreach import *  # noqa: F401,F403  (torch._foreach_add_, _foreach_lerp_, ...: list-at-a-time ops)
from ._printing import set_printoptions
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.seed_function import Function  # the seed's style; torch's is kittygrad.autograd.Function
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from .backend_random import Generator
from .blas_threads import get_num_threads, set_num_threads
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
from . import accelerator, backends, cuda, mps, xpu  # torch's device namespaces, answered for a CPU-only build
from .backends._determinism import (
    are_deterministic_algorithms_enabled,
    get_deterministic_debug_mode,
    is_deterministic_algorithms_warn_only_enabled,
    set_deterministic_debug_mode,
    use_deterministic_algorithms,
)
from .device import (  # binds kittygrad.device to the class, as torch.device
    channels_last,
    channels_last_3d,
    contiguous_format,
    device,
    get_default_device,
    layout,
    memory_format,
    preserve_format,
    set_default_device,
    sparse_coo,
    sparse_csr,
    strided,
)
from .dtypes import (
    bfloat16,
    bool,
    cdouble,
    cfloat,
    chalf,
    complex32,
    complex64,
    complex128,
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

# legacy typed tensors (isinstance checks the dtype), tensors over raw memory, bool questions, refusals
from ._refused import NO_COMPLEX as _NO_COMPLEX  # noqa: E402
from ._refused import refused as _refused  # noqa: E402
from .storage import TypedStorage, UntypedStorage  # noqa: E402
from .buffers import empty_permuted, empty_strided, from_dlpack, from_file, frombuffer, to_dlpack  # noqa: E402
from .legacy import (  # noqa: E402
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    range,
    scalar_tensor,
    typename,
)
from .predicates import (  # noqa: E402
    can_cast,
    get_device,
    is_complex,
    is_conj,
    is_distributed,
    is_inference,
    is_neg,
    is_nonzero,
    is_same_size,
    is_signed,
    is_storage,
)

complex, polar, view_as_real, view_as_complex, view_as_real_copy, view_as_complex_copy = (  # noqa: A001
    _refused(n, _NO_COMPLEX)
    for n in ("complex", "polar", "view_as_real", "view_as_complex", "view_as_real_copy", "view_as_complex_copy"))
from .amp import GradScaler  # noqa: E402  (torch.GradScaler is torch.amp.GradScaler)
from .nn_bindings import *  # noqa: E402,F403  (torch.conv2d, torch.dropout, torch.layer_norm, ...)
from .signal_windows import bartlett_window, blackman_window, hamming_window, hann_window, kaiser_window  # noqa: E402


def is_tensor(obj) -> bool:
    """True for kittygrad Tensors.

    >>> import kittygrad as kitty
    >>> kitty.is_tensor(kitty.zeros(1))
    True
    """
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``.

    >>> import kittygrad as kitty
    >>> kitty.numel(kitty.zeros(2, 3))
    6
    """
    return input.numel()


def clone(input: Tensor) -> Tensor:
    """A copy of ``input`` with its own memory; gradients flow back to ``input``.

    >>> import kittygrad as kitty
    >>> kitty.clone(kitty.tensor([1.0, 2.0]))
    tensor([1., 2.])
    """
    return input.clone()


def detach(input: Tensor) -> Tensor:
    """``input``'s values cut from the graph: shares memory, ``requires_grad=False``.

    >>> import kittygrad as kitty
    >>> kitty.detach(kitty.ones(2, requires_grad=True)).requires_grad
    False
    """
    return input.detach()


def is_floating_point(input: Tensor) -> bool:
    """Whether ``input`` has a floating-point dtype.

    >>> import kittygrad as kitty
    >>> kitty.is_floating_point(kitty.tensor([1, 2]))
    False
    """
    return input.is_floating_point()


from .viz import CompGraph  # noqa: E402  (imports graphviz only when a picture is made)

# torch's constants, plain Python floats: ``kitty.sin(kitty.tensor(kitty.pi / 2))`` is tensor(1.)
pi: float = _math.pi
e: float = _math.e
inf: float = _math.inf
nan: float = _math.nan

# torch's everyday surface: testing, jit, onnx, functional, compile, finfo/iinfo, matmul precision, amp
from . import amp, compiler, cpu, functional, jit, onnx, testing  # noqa: E402
from . import func  # noqa: E402  (torch.func: grad, vjp, jacrev, jacfwd, hessian, vmap, functional_call)
from . import multiprocessing  # noqa: E402  (torch.multiprocessing: the standard library's, and spawn)
from . import futures  # noqa: E402  (torch.futures: Future, collect_all, wait_all)
from .control_flow import cond, fork, wait, while_loop  # noqa: E402  (eager: branches and body run as Python)
from . import random  # noqa: E402  (torch.random: fork_rng and the default generator)
from . import profiler  # noqa: E402  (torch.profiler; binds torch.autograd.profiler too)
from . import fft, hub, quasirandom, signal, types  # noqa: E402  (torch.fft: real helpers, transforms refused; torch.hub; torch.types)
from .creation import default_generator  # noqa: E402
from .func import vmap  # noqa: E402  (torch.vmap)
from .cuda import amp as _cuda_amp  # noqa: E402,F401  (kittygrad.cuda.amp: torch's deprecated CUDA spellings)
from ._matmul_precision import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: E402
from .amp.autocast_mode import (  # noqa: E402
    clear_autocast_cache,
    get_autocast_cpu_dtype,
    get_autocast_dtype,
    get_autocast_gpu_dtype,
    is_autocast_cache_enabled,
    is_autocast_cpu_enabled,
    is_autocast_enabled,
    set_autocast_cache_enabled,
    set_autocast_cpu_dtype,
    set_autocast_cpu_enabled,
    set_autocast_dtype,
    set_autocast_enabled,
    set_autocast_gpu_dtype,
)
from ._runtime import (  # noqa: E402
    AcceleratorError,
    OutOfMemoryError,
    compiled_with_cxx11_abi,
    get_device_module,
    get_num_interop_threads,
    init_num_threads,
    is_warn_always_enabled,
    set_flush_denormal,
    set_num_interop_threads,
    set_warn_always,
)
from .compiler import compile  # noqa: E402,A004
from .dtypes import finfo, iinfo, set_default_tensor_type  # noqa: E402
from .functional import (  # noqa: E402
    block_diag,
    cartesian_prod,
    cdist,
    chain_matmul,
    istft,
    pca_lowrank,
    stft,
    svd_lowrank,
    unravel_index,
)

autocast = amp.autocast

# out= where torch accepts it, with torch's rules (kittygrad/_out.py); after every top-level name exists
from . import _out  # noqa: E402

_out.install(globals(), _out.TOP_LEVEL)

# axis=/keepdims= for dim=/keepdim=, as torch's argument parser takes them (kittygrad/_numpy_aliases.py)
from . import _numpy_aliases  # noqa: E402

_numpy_aliases.install(globals(), Tensor)

# torch's __name__ for aliases (concat, absolute, Tensor.clip, ...): last, over every wrapper above
from . import _torch_names  # noqa: E402

_torch_names.install(globals(), Tensor)
