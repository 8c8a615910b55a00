"""In-place twins: comparisons written into ``self`` (``eq_``, ``lt_``, ...), the in-place view ops
(``t_``, ``transpose_``, ``squeeze_``, ``unsqueeze_``), the ``x.op_()`` of composite ops (written
back with ``copy_``), and torch's top-level in-place functions (``torch.abs_``, ``torch.relu_``, ...)."""
from __future__ import annotations

from .. import backend as B
from ..autograd import function as F
from ..autograd.engine import retarget_retained
from ..autograd.function import Op, apply_inplace
from ..autograd.refusals import _check_view_inplace
from ..autograd.grad_mode import _state
from ..errors import KittyRuntimeError
from ._prep import as_tensor_arg, broadcast_shape_of, check_scalar, dtype_name, expand_to, normalize_dim
from .activation import celu as _celu
from .activation import selu as _selu
from .comparison import _inplace_result, bitwise_left_shift, bitwise_right_shift
from .shape import Squeeze, Transpose, Unsqueeze, _squeeze_axes

# ---------------------------------------------------------------------------------------------
# comparisons into self: the boolean result cast to self's dtype; the gradient is zero (torch)

_COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


class CompareInto(Op):
    """``x.eq_(other)`` and its kin out of place: ``x == other`` as x's dtype, with zero gradients."""

    saved_fields = ("kind",)

    def forward(self, x, other, kind):
        self.kind = kind
        return B.xp.asarray(_COMPARE[kind](x, other)).astype(x.dtype)

    def backward(self, g):
        zeros = self.xp.zeros_like(g)
        return zeros, (zeros if self.needs_input_grad[1] else None), None


#: one node class per comparison, so messages and graphs name it (EqBackward, LtBackward, ...)
_COMPARE_OPS = {kind: type(kind.capitalize(), (CompareInto,), {"_name": kind.capitalize() + "Backward",
                                                                "__module__": __name__})
                for kind in _COMPARE}


def _compare_inplace(self, other, kind: str):
    """``self.<kind>_(other)``: write the comparison (1 or 0, in self's dtype) into ``self``; the
    values are compared at their promoted precision, as torch.

    >>> import kittygrad as kitty
    >>> kitty.tensor([1., 2.]).lt_(2)
    tensor([1., 0.])
    """
    if isinstance(other, F.Tensor) or B.is_array(other):
        other = as_tensor_arg(other, "other")
        shape = self._data.shape
        full = broadcast_shape_of(other._data.shape, shape)
        if full != shape:
            raise KittyRuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}")
        other = expand_to(other, shape)
    else:
        other = check_scalar(other, kind + "_")
    return apply_inplace(_COMPARE_OPS[kind], self, other, kind)


def bitwise_left_shift_(self, other):
    """``self <<= other`` in place (integer tensors).

    >>> import kittygrad as kitty
    >>> kitty.tensor([1, 2]).bitwise_left_shift_(1)
    tensor([2, 4])
    """
    return _inplace_result(self, bitwise_left_shift(self, other), "bitwise_left_shift")


def bitwise_right_shift_(self, other):
    """``self >>= other`` in place (integer tensors).

    >>> import kittygrad as kitty
    >>> kitty.tensor([4, 8]).bitwise_right_shift_(2)
    tensor([1, 2])
    """
    return _inplace_result(self, bitwise_right_shift(self, other), "bitwise_right_shift")


# ---------------------------------------------------------------------------------------------
# in-place view ops: self takes the view's shape (and grad_fn), still on the same memory


def _check_inplace_view(self, cls, args) -> None:
    if _state.enabled:
        if self._view is None:
            if self._grad_fn is None and self._requires_grad:
                raise KittyRuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation.\n"
                    f"({cls._name[:-8].lower()}_)"
                )
        else:
            _check_view_inplace(self, cls, args, False)


def _inplace_view(self, cls, *args):
    if F.vmap_inplace is not None:  # inside vmap: a batched self takes its new layout from the batching rule
        done = F.vmap_inplace(cls, self, args, {})
        if done is not NotImplemented:
            return done
    _check_inplace_view(self, cls, args)
    out = cls.apply(self, *args)
    self._data = out._data
    if F.dual_inplace is not None:  # forward AD: self becomes out, tangent included
        F.dual_inplace(self, out, False)
    if self._view is not None:
        self._view = out._view  # still a view of the same base, re-derived through this op
    elif self._retains_grad and out._grad_fn is not None:
        retarget_retained(self, out._grad_fn)
    if _state.enabled:  # (under no_grad torch leaves the autograd side alone: a leaf still requires grad)
        self._grad_fn, self._output_nr, self._requires_grad = out._grad_fn, out._output_nr, out._requires_grad
    self._vc[0] += 1
    self._view_version = self._vc[0]
    return self


def transpose_(self, dim0: int, dim1: int):
    """Swap two dims of ``self`` in place (a metadata change: same memory).

    >>> import kittygrad as kitty
    >>> kitty.zeros(2, 3).transpose_(0, 1).shape
    kittygrad.Size([3, 2])
    """
    nd = self._data.ndim
    d0, d1 = normalize_dim(dim0, max(nd, 1)), normalize_dim(dim1, max(nd, 1))
    if nd == 0:
        return _touch(self, Transpose, (d0, d1))
    return _inplace_view(self, Transpose, d0, d1)


def t_(self):
    """Transpose a tensor of at most 2 dims in place.

    >>> import kittygrad as kitty
    >>> kitty.zeros(2, 3).t_().shape
    kittygrad.Size([3, 2])
    """
    nd = self._data.ndim
    if nd > 2:
        raise KittyRuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return _touch(self, Transpose, (0, 0)) if nd < 2 else _inplace_view(self, Transpose, 0, 1)


def squeeze_(self, dim=None):
    """Drop size-1 dims (all, or those in ``dim``) in place.

    >>> import kittygrad as kitty
    >>> kitty.zeros(1, 3, 1).squeeze_().shape
    kittygrad.Size([3])
    """
    axes = _squeeze_axes(self._data.shape, dim)
    return _inplace_view(self, Squeeze, axes) if axes else _touch(self, Squeeze, (axes,))


def _touch(self, cls, args):
    """An in-place view op that changes nothing: torch still refuses it on a leaf (or a view of
    one) that requires grad, and counts the call."""
    _check_inplace_view(self, cls, args)
    self._vc[0] += 1  # torch counts the in-place call even when the shape stays
    self._view_version = self._vc[0]
    return self


def unsqueeze_(self, dim: int):
    """Insert a size-1 dim at ``dim`` in place.

    >>> import kittygrad as kitty
    >>> kitty.zeros(3).unsqueeze_(0).shape
    kittygrad.Size([1, 3])
    """
    return _inplace_view(self, Unsqueeze, normalize_dim(dim, self._data.ndim + 1))


# ---------------------------------------------------------------------------------------------
# x.op_() of composite ops: computed out of place, then written back with copy_


def _assign_result(self, result, name: str):
    """Write ``result`` (computed from ``self``) into ``self``, with torch's cast rule."""
    rd, sd = result._data.dtype, self._data.dtype
    if rd != sd and not B.xp.can_cast(rd, sd, casting="same_kind"):
        raise KittyRuntimeError(
            f"result type {dtype_name(result)} can't be cast to the desired output type {dtype_name(self)}"
        )
    return self.copy_(result)


def _source_of(self):
    """``self`` for an out-of-place computation whose result goes back into ``self``: a clone when
    autograd records it, so what that computation saves is not the memory ``copy_`` overwrites."""
    return self.clone() if _state.enabled and self._requires_grad else self


# ---------------------------------------------------------------------------------------------
# torch's top-level in-place functions: torch.abs_(x) is x.abs_()


def _method_call(name: str, example: str, result: str):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"``input.{name}(...)``: the in-place twin, called as a function (torch.{name}).\n\n"
        f"    >>> import kittygrad as kitty\n    >>> kitty.{name}({example})\n    {result}\n"
    )
    return fn


_X = "kitty.tensor([0.5])"
abs_ = _method_call("abs_", "kitty.tensor([-1.])", "tensor([1.])")
absolute_ = abs_
addmv_ = _method_call("addmv_", "kitty.zeros(2), kitty.eye(2), kitty.ones(2)", "tensor([1., 1.])")
acos_ = _method_call("acos_", "kitty.tensor([1.])", "tensor([0.])")
acosh_ = _method_call("acosh_", "kitty.tensor([1.])", "tensor([0.])")
asin_ = _method_call("asin_", "kitty.tensor([0.])", "tensor([0.])")
asinh_ = _method_call("asinh_", "kitty.tensor([0.])", "tensor([0.])")
atan_ = _method_call("atan_", "kitty.tensor([0.])", "tensor([0.])")
atanh_ = _method_call("atanh_", "kitty.tensor([0.])", "tensor([0.])")
arccos_, arccosh_, arcsin_, arcsinh_, arctan_, arctanh_ = acos_, acosh_, asin_, asinh_, atan_, atanh_
ceil_ = _method_call("ceil_", _X, "tensor([1.])")
clamp_ = _method_call("clamp_", "kitty.tensor([2.]), max=1", "tensor([1.])")
clip_ = clamp_
clamp_max_ = _method_call("clamp_max_", "kitty.tensor([2.]), 1", "tensor([1.])")
clamp_min_ = _method_call("clamp_min_", "kitty.tensor([0.]), 1", "tensor([1.])")
cos_ = _method_call("cos_", "kitty.tensor([0.])", "tensor([1.])")
cosh_ = _method_call("cosh_", "kitty.tensor([0.])", "tensor([1.])")
deg2rad_ = _method_call("deg2rad_", "kitty.tensor([180.])", "tensor([3.1416])")
rad2deg_ = _method_call("rad2deg_", "kitty.tensor([3.14159265])", "tensor([180.])")
erf_ = _method_call("erf_", "kitty.tensor([0.])", "tensor([0.])")
erfc_ = _method_call("erfc_", "kitty.tensor([0.])", "tensor([1.])")
exp_ = _method_call("exp_", "kitty.tensor([0.])", "tensor([1.])")
exp2_ = _method_call("exp2_", "kitty.tensor([1.])", "tensor([2.])")
expm1_ = _method_call("expm1_", "kitty.tensor([0.])", "tensor([0.])")
fill_ = _method_call("fill_", "kitty.zeros(1), 2", "tensor([2.])")
fix_ = _method_call("fix_", "kitty.tensor([1.5])", "tensor([1.])")
floor_ = _method_call("floor_", _X, "tensor([0.])")
frac_ = _method_call("frac_", "kitty.tensor([1.5])", "tensor([0.5000])")
gcd_ = _method_call("gcd_", "kitty.tensor([4]), kitty.tensor([6])", "tensor([2])")
lcm_ = _method_call("lcm_", "kitty.tensor([4]), kitty.tensor([6])", "tensor([12])")
ldexp_ = _method_call("ldexp_", "kitty.tensor([1.]), kitty.tensor([3])", "tensor([8.])")
i0_ = _method_call("i0_", "kitty.tensor([0.])", "tensor([1.])")
log_ = _method_call("log_", "kitty.tensor([1.])", "tensor([0.])")
log10_ = _method_call("log10_", "kitty.tensor([10.])", "tensor([1.])")
log1p_ = _method_call("log1p_", "kitty.tensor([0.])", "tensor([0.])")
log2_ = _method_call("log2_", "kitty.tensor([2.])", "tensor([1.])")
logit_ = _method_call("logit_", _X, "tensor([0.])")
nan_to_num_ = _method_call("nan_to_num_", "kitty.tensor([float('nan')])", "tensor([0.])")
neg_ = _method_call("neg_", "kitty.tensor([1.])", "tensor([-1.])")
negative_ = neg_
reciprocal_ = _method_call("reciprocal_", "kitty.tensor([2.])", "tensor([0.5000])")
relu_ = _method_call("relu_", "kitty.tensor([-1.])", "tensor([0.])")
round_ = _method_call("round_", "kitty.tensor([1.4])", "tensor([1.])")
rsqrt_ = _method_call("rsqrt_", "kitty.tensor([4.])", "tensor([0.5000])")
sigmoid_ = _method_call("sigmoid_", "kitty.tensor([0.])", "tensor([0.5000])")
sin_ = _method_call("sin_", "kitty.tensor([0.])", "tensor([0.])")
sinc_ = _method_call("sinc_", "kitty.tensor([0.])", "tensor([1.])")
sinh_ = _method_call("sinh_", "kitty.tensor([0.])", "tensor([0.])")
sqrt_ = _method_call("sqrt_", "kitty.tensor([4.])", "tensor([2.])")
square_ = _method_call("square_", "kitty.tensor([3.])", "tensor([9.])")
tan_ = _method_call("tan_", "kitty.tensor([0.])", "tensor([0.])")
tanh_ = _method_call("tanh_", "kitty.tensor([0.])", "tensor([0.])")
trunc_ = _method_call("trunc_", "kitty.tensor([1.5])", "tensor([1.])")
xlogy_ = _method_call("xlogy_", "kitty.tensor([0.]), kitty.tensor([2.])", "tensor([0.])")
zero_ = _method_call("zero_", "kitty.ones(1)", "tensor([0.])")
detach_ = _method_call("detach_", "kitty.ones(1)", "tensor([1.])")
conj_physical_ = _method_call("conj_physical_", "kitty.ones(1)", "tensor([1.])")
resize_as_ = _method_call("resize_as_", "kitty.arange(3.), kitty.ones(2)", "tensor([0., 1.])")


def selu_(input):
    """``selu`` in place (torch.selu_).

    >>> import kittygrad as kitty
    >>> kitty.selu_(kitty.tensor([0.]))
    tensor([0.])
    """
    return _selu(input, inplace=True)


def celu_(input, alpha: float = 1.0):
    """``celu`` in place (torch.celu_).

    >>> import kittygrad as kitty
    >>> kitty.celu_(kitty.tensor([1.]))
    tensor([1.])
    """
    return _celu(input, alpha, inplace=True)


def fill(input, value):
    """A copy of ``input`` with every element ``value`` (torch.fill); ``input`` gets a zero gradient.

    >>> import kittygrad as kitty
    >>> kitty.fill(kitty.zeros(2), 3)
    tensor([3., 3.])
    """
    return input.clone().fill_(value)
