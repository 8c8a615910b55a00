"""``kittygrad.nn.init``: in-place weight initialisation, as torch.nn.init.

Every function fills its tensor without recording a graph and draws from
``kittygrad.backend_random.default_generator`` (``kitty.manual_seed``) unless a ``generator`` is given.

>>> import kittygrad as kitty
>>> w = kitty.nn.init.xavier_uniform_(kitty.empty(3, 4))
>>> bool(abs(w.numpy()).max() <= (6 / 7) ** 0.5)
True
"""
from __future__ import annotations

import math
import warnings

from .. import backend as B
from ..backend_random import default_generator
from ..ops.random_ops import _float_fill as _require_float
from ..ops.random_ops import _check_normal_fill, _check_uniform_fill
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
]

_LINEAR = {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid"}


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended scale of the weights for a nonlinearity (torch's table).

    >>> calculate_gain("tanh")
    1.6666666666666667
    """
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _gen(generator):
    return generator if generator is not None else default_generator


def _write(tensor: Tensor, arr) -> Tensor:
    tensor._data[...] = arr
    tensor._vc[0] += 1
    return tensor


def _write_drawn(tensor: Tensor, values) -> Tensor:
    """Write values in the order they were drawn, along the tensor's memory (as torch fills)."""
    return _write(tensor, B.memory_order(values, tensor._data))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with samples from U(a, b): torch's numbers after the same seed.

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(0); kitty.nn.init.uniform_(kitty.empty(3), 2, 3)
    tensor([2.4963, 2.7682, 2.0885])
    """
    _check_uniform_fill(tensor, a, b)
    return _write_drawn(tensor, _gen(generator).uniform(a, b, tuple(tensor.shape), tensor._data.dtype))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with samples from N(mean, std**2): torch's numbers after the same seed.

    >>> import kittygrad as kitty
    >>> _ = kitty.manual_seed(0); kitty.nn.init.normal_(kitty.empty(3), 1.0, 0.1)
    tensor([1.1541, 0.9707, 0.7821])
    """
    _check_normal_fill(tensor, std)
    data = tensor._data
    values = _gen(generator).normal(mean, std, tuple(tensor.shape), data.dtype, contiguous=data.flags.c_contiguous)
    return _write_drawn(tensor, values)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator=None) -> Tensor:
    """Fill with N(mean, std**2) samples restricted to ``[a, b]``, by torch's rejection sampling
    (so with torch's numbers after the same seed).

    When ``[a, b]`` holds more than 30% of the distribution's mass, normals are drawn for the whole
    tensor again and again, each draw replacing the values still outside. Otherwise proposals are
    uniform on ``[a, b]``, each accepted when ``log(u)`` of a fresh uniform is at most its log
    density below the peak, and the tensor is proposed again where none was accepted yet.

    >>> import kittygrad as kitty
    >>> t = kitty.nn.init.trunc_normal_(kitty.empty(100), a=-1, b=1).numpy()
    >>> bool(-1 <= t.min() and t.max() <= 1)
    True
    """
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may be incorrect.",
            stacklevel=2,
        )
    g, data, shape = _gen(generator), tensor._data, tuple(tensor.shape)
    dt = data.dtype
    xp = B.xp
    if _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std) > 0.3:
        _require_float(tensor, "normal_kernel_cpu")  # integer tensors: refused, as torch's fills do
        def draw():
            values = g.normal(mean, std, shape, dt, contiguous=data.flags.c_contiguous)
            return B.memory_order(values, data)

        lo, hi = dt.type(a), dt.type(b)  # the bounds as the tensor holds them
        values = draw()
        while True:
            outside = (values < lo) | (values > hi)
            if not outside.any():
                break
            values = xp.where(outside, draw(), values)
        return _write(tensor, values)
    _check_uniform_fill(tensor, a, b)  # the proposals below are uniform on [a, b]
    mode = max(a, min(mean, b))
    peak_z = (mode - mean) / std
    log_peak = (peak_z * peak_z) * -0.5  # the log density at the mode, as propose() measures it

    def propose():
        """Uniform proposals and their log density below the peak, step by step in the dtype."""
        x = B.memory_order(g.uniform(a, b, shape, dt), data)
        z = (x - dt.type(mean)) / dt.type(std)
        return x, (z * z) * dt.type(-0.5) - dt.type(log_peak)

    def rejected(log_density):
        u = B.memory_order(g.uniform(0.0, 1.0, shape, dt), data)
        with B.errstate(divide="ignore"):
            return xp.log(u.astype(xp.float64)).astype(dt) > log_density

    values, log_density = propose()
    pending = rejected(log_density)
    while pending.any():
        proposal, log_density = propose()
        values = xp.where(pending, proposal, values)
        pending = xp.where(pending, rejected(log_density), pending)
    return _write(tensor, values)


_SQRT_2 = math.sqrt(2.0)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / _SQRT_2))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    >>> import kittygrad as kitty
    >>> kitty.nn.init.constant_(kitty.empty(2), 0.5)
    tensor([0.5000, 0.5000])
    """
    return _write(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones.

    >>> import kittygrad as kitty
    >>> kitty.nn.init.ones_(kitty.empty(2))
    tensor([1., 1.])
    """
    return _write(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros.

    >>> import kittygrad as kitty
    >>> kitty.nn.init.zeros_(kitty.empty(2))
    tensor([0., 0.])
    """
    return _write(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix.

    >>> import kittygrad as kitty
    >>> kitty.nn.init.eye_(kitty.empty(2, 2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, B.xp.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a {3,4,5}-D conv weight so the convolution is the identity (per group).

    >>> import kittygrad as kitty
    >>> kitty.nn.init.dirac_(kitty.empty(1, 1, 3))
    tensor([[[0., 1., 0.]]])
    """
    nd = tensor.ndim
    if nd not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    shape = tuple(tensor.shape)
    if shape[0] % groups:
        raise ValueError("dim 0 must be divisible by groups")
    out_per = shape[0] // groups
    n = min(out_per, shape[1])
    arr = B.xp.zeros(shape)
    for g in range(groups):
        for d in range(n):
            arr[(g * out_per + d, d) + tuple(s // 2 for s in shape[2:])] = 1
    return _write(tensor, arr)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    shape = tuple(tensor.shape)
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


_FAN_POSITION = {"fan_in": 0, "fan_out": 1}


def _fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in _FAN_POSITION:  # checked before the tensor, as torch does
        raise ValueError(f"Mode {mode} not supported, please use one of {list(_FAN_POSITION)}")
    return _calculate_fan_in_and_fan_out(tensor)[_FAN_POSITION[mode]]


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    """The fan ``mode`` names ("fan_in" or "fan_out") of a weight of at least 2 dims.

    >>> import kittygrad as kitty
    >>> _calculate_correct_fan(kitty.empty(3, 4), "fan_out")
    3
    """
    return _fan(tensor, mode)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot).

    >>> import kittygrad as kitty
    >>> kitty.nn.init.xavier_uniform_(kitty.empty(3, 5)).shape
    kittygrad.Size([3, 5])
    """
    a = math.sqrt(3.0) * _glorot_std(tensor, gain)  # in torch's order, so the bound is torch's to the last bit
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))`` (Glorot).

    >>> import kittygrad as kitty
    >>> kitty.nn.init.xavier_normal_(kitty.empty(3, 5)).shape
    kittygrad.Size([3, 5])
    """
    return normal_(tensor, 0.0, _glorot_std(tensor, gain), generator)


def _glorot_std(tensor: Tensor, gain: float) -> float:
    """Glorot's standard deviation ``gain * sqrt(2 / (fan_in + fan_out))``, shared by the xavier inits."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def _warn_if_empty(tensor: Tensor) -> bool:
    """Kaiming inits of a tensor with no elements do nothing, with torch's warning at the caller's line."""
    empty = 0 in tuple(tensor.shape)
    if empty:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
    return empty


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """U(-b, b) with ``b = gain * sqrt(3 / fan)`` (He); ``a`` is the leaky-relu slope.

    >>> import kittygrad as kitty
    >>> kitty.nn.init.kaiming_uniform_(kitty.empty(4, 3), a=5 ** 0.5).shape
    kittygrad.Size([4, 3])
    """
    if _warn_if_empty(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """N(0, std**2) with ``std = gain / sqrt(fan)`` (He).

    >>> import kittygrad as kitty
    >>> kitty.nn.init.kaiming_normal_(kitty.empty(3, 5), nonlinearity='relu').shape
    kittygrad.Size([3, 5])
    """
    if _warn_if_empty(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one, times ``gain``.

    >>> import kittygrad as kitty
    >>> w = kitty.nn.init.orthogonal_(kitty.empty(3, 3, dtype=kitty.float64))
    >>> bool(abs((w @ w.t() - kitty.eye(3, dtype=kitty.float64)).sum().item()) < 1e-9)
    True
    """
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    _require_float(tensor, "normal_kernel_cpu")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    # torch draws a fresh (rows, cols) tensor of the weight's dtype; QR runs in float64 here
    flat = _gen(generator).normal(0.0, 1.0, (rows, cols), tensor._data.dtype).astype(B.xp.float64)
    if rows < cols:
        flat = flat.T
    q, r = B.xp.linalg.qr(flat)
    q = q * B.xp.sign(B.xp.diag(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tuple(tensor.shape)))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """A 2-D matrix of N(0, std**2) values with ``ceil(sparsity * rows)`` zeros in every column, at
    rows chosen by a random permutation per column (Martens' sparse initialisation). As in torch, a
    ``generator`` draws the values only: the permutations come from the default generator.

    >>> import kittygrad as kitty
    >>> w = kitty.nn.init.sparse_(kitty.empty(4, 3), 0.5)
    >>> (w == 0).sum(0).tolist()
    [2, 2, 2]
    """
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    zeros_per_column = int(math.ceil(sparsity * rows))
    normal_(tensor, 0.0, std, generator)
    values = tensor._data
    for col in range(cols):  # the permutations come from the default generator even when one is given, as in torch
        values[default_generator.permutation(rows)[:zeros_per_column], col] = 0
    return tensor


def _deprecated(name: str, fn):
    """torch's old spelling without the trailing underscore: the same, with its FutureWarning."""

    def old(*args, **kwargs):
        warnings.warn(f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`.", FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)

    old.__name__ = old.__qualname__ = name
    old.__doc__ = f"Deprecated spelling of :func:`{name}_` (warns, then calls it)."
    return old


uniform = _deprecated("uniform", uniform_)
normal = _deprecated("normal", normal_)
constant = _deprecated("constant", constant_)
eye = _deprecated("eye", eye_)
dirac = _deprecated("dirac", dirac_)
xavier_uniform = _deprecated("xavier_uniform", xavier_uniform_)
xavier_normal = _deprecated("xavier_normal", xavier_normal_)
kaiming_uniform = _deprecated("kaiming_uniform", kaiming_uniform_)
kaiming_normal = _deprecated("kaiming_normal", kaiming_normal_)
orthogonal = _deprecated("orthogonal", orthogonal_)
sparse = _deprecated("sparse", sparse_)
