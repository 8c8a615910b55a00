"""Tensor methods for the op families beyond the foundation (one line each, calling ops).

Kept apart from ``tensor.py`` so op families grow without touching the core class.
"""
from __future__ import annotations

from .autograd.function import apply_inplace as _inplace
from .errors import KittyTypeError
from .ops import activation as _act
from .ops import arithmetic as _arith
from .ops import comparison as _cmp
from .ops import decompositions as _dec
from .ops import eigen as _eigen
from .ops import gather_scatter as _gs
from .ops import householder as _hh
from .ops import inverses as _inv
from .ops import joining as _join
from .ops import shape as _shape
from .ops import least_squares as _lstsq
from .ops import linalg as _la
from .ops import matrix_functions as _mf
from .ops import norms as _norms
from .ops import random_ops as _rnd
from .ops import solvers as _solvers
from .ops import reduction as _red
from .ops import sorting as _sort
from .ops import special as _special
from .ops import unary as _unary


class TensorMethods:
    __slots__ = ()

    # ---- unary math ---------------------------------------------------------------------------
    def sin(self):
        return _unary.sin(self)

    def cos(self):
        return _unary.cos(self)

    def tan(self):
        return _unary.tan(self)

    def asin(self):
        return _unary.asin(self)

    def acos(self):
        return _unary.acos(self)

    def atan(self):
        return _unary.atan(self)

    def sinh(self):
        return _unary.sinh(self)

    def cosh(self):
        return _unary.cosh(self)

    def asinh(self):
        return _unary.asinh(self)

    def acosh(self):
        return _unary.acosh(self)

    def atanh(self):
        return _unary.atanh(self)

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def exp2(self):
        return _unary.exp2(self)

    def expm1(self):
        return _unary.expm1(self)

    def log2(self):
        return _unary.log2(self)

    def log10(self):
        return _unary.log10(self)

    def log1p(self):
        return _unary.log1p(self)

    def rsqrt(self):
        return _unary.rsqrt(self)

    def square(self):
        return _unary.square(self)

    def reciprocal(self):
        return _unary.reciprocal(self)

    def logit(self, eps=None):
        return _unary.logit(self, eps)

    def erf(self):
        return _unary.erf(self)

    def erfc(self):
        return _unary.erfc(self)

    def erfinv(self):
        return _unary.erfinv(self)

    def lgamma(self):
        return _special.lgamma(self)

    def digamma(self):
        return _special.digamma(self)

    def polygamma(self, n):
        return _special.polygamma(n, self)

    def mvlgamma(self, p):
        return _special.mvlgamma(self, p)

    def i0(self):
        return _special.i0(self)

    def sinc(self):
        return _special.sinc(self)

    def igamma(self, other):
        return _special.igamma(self, other)

    def igammac(self, other):
        return _special.igammac(self, other)

    def frac(self):
        return _unary.frac(self)

    def sign(self):
        return _unary.sign(self)

    def sgn(self):
        return _unary.sgn(self)

    def floor(self):
        return _unary.floor(self)

    def ceil(self):
        return _unary.ceil(self)

    def trunc(self):
        return _unary.trunc(self)

    fix = trunc

    def round(self, *, decimals=None):
        return _unary.round(self, decimals=decimals)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _unary.nan_to_num(self, nan, posinf, neginf)

    def clamp_min(self, min):  # noqa: A002
        return _cmp.clamp_min(self, min)

    def clamp_max(self, max):  # noqa: A002
        return _cmp.clamp_max(self, max)

    # ---- binary and ternary math --------------------------------------------------------------
    def floor_divide(self, other):
        return _arith.floor_divide(self, other)

    def atan2(self, other):
        return _arith.atan2(self, other)

    arctan2 = atan2

    def maximum(self, other):
        return _cmp.maximum(self, other)

    def minimum(self, other):
        return _cmp.minimum(self, other)

    def fmax(self, other):
        return _cmp.fmax(self, other)

    def fmin(self, other):
        return _cmp.fmin(self, other)

    def fmod(self, other):
        return _arith.fmod(self, other)

    def remainder(self, other):
        return _arith.remainder(self, other)

    def hypot(self, other):
        return _arith.hypot(self, other)

    def logaddexp(self, other):
        return _arith.logaddexp(self, other)

    def xlogy(self, other):
        return _arith.xlogy(self, other)

    def where(self, condition, other):
        return _cmp.where(condition, self, other)

    def lerp(self, end, weight):
        return _arith.lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return _arith.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return _arith.addcdiv(self, tensor1, tensor2, value=value)

    def __floordiv__(self, other):
        return _arith.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _arith.floor_divide(other, self)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __mod__(self, other):
        return _arith.remainder(self, other)

    def __rmod__(self, other):
        return _arith.remainder(other, self)

    def __imod__(self, other):
        return self.remainder_(other)

    # ---- comparisons, predicates, logical and bitwise ops ---------------------------------------
    def greater(self, other):
        return _cmp.gt(self, other)

    def greater_equal(self, other):
        return _cmp.ge(self, other)

    def less(self, other):
        return _cmp.lt(self, other)

    def less_equal(self, other):
        return _cmp.le(self, other)

    def not_equal(self, other):
        return _cmp.ne(self, other)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _cmp.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _cmp.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other):
        return _cmp.equal(self, other)

    def isnan(self):
        return _cmp.isnan(self)

    def isinf(self):
        return _cmp.isinf(self)

    def isposinf(self):
        return _cmp.isposinf(self)

    def isneginf(self):
        return _cmp.isneginf(self)

    def isfinite(self):
        return _cmp.isfinite(self)

    def isreal(self):
        return _cmp.isreal(self)

    def signbit(self):
        return _cmp.signbit(self)

    def logical_and(self, other):
        return _cmp.logical_and(self, other)

    def logical_or(self, other):
        return _cmp.logical_or(self, other)

    def logical_xor(self, other):
        return _cmp.logical_xor(self, other)

    def logical_not(self):
        return _cmp.logical_not(self)

    def bitwise_and(self, other):
        return _cmp.bitwise_and(self, other)

    def bitwise_or(self, other):
        return _cmp.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return _cmp.bitwise_xor(self, other)

    def bitwise_not(self):
        return _cmp.bitwise_not(self)

    def bitwise_left_shift(self, other):
        return _cmp.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        return _cmp.bitwise_right_shift(self, other)

    def __and__(self, other):
        return _cmp.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _cmp.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _cmp.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __invert__(self):
        if self._data.dtype.kind not in "biu":  # (the operator's own message; bitwise_not's is another)
            raise KittyTypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return _cmp.bitwise_not(self)

    def __lshift__(self, other):
        return _cmp.bitwise_left_shift(self, other)

    def __rshift__(self, other):
        return _cmp.bitwise_right_shift(self, other)

    # ``number << tensor``: the number becomes a tensor of the tensor's dtype, as torch's operator does
    def __rlshift__(self, other):
        return _cmp.bitwise_left_shift(self.new_full(self.shape, other), self)

    def __rrshift__(self, other):
        return _cmp.bitwise_right_shift(self.new_full(self.shape, other), self)

    def __reversed__(self):
        """``reversed(t)``: ``t`` flipped along its first dimension (a 0-d tensor is itself), as torch."""
        return self if self._data.ndim == 0 else _join.flip(self, (0,))

    def __iand__(self, other):
        return _cmp._inplace_result(self, _cmp.bitwise_and(self, other), "bitwise_and")

    def __ior__(self, other):
        return _cmp._inplace_result(self, _cmp.bitwise_or(self, other), "bitwise_or")

    def __ixor__(self, other):
        return _cmp._inplace_result(self, _cmp.bitwise_xor(self, other), "bitwise_xor")

    bitwise_and_, bitwise_or_, bitwise_xor_ = __iand__, __ior__, __ixor__

    def bitwise_not_(self):
        return _cmp._inplace_result(self, _cmp.bitwise_not(self), "bitwise_not")

    def logical_and_(self, other):
        return _cmp._inplace_result(self, _cmp.logical_and(self, other), "logical_and")

    def logical_or_(self, other):
        return _cmp._inplace_result(self, _cmp.logical_or(self, other), "logical_or")

    def logical_xor_(self, other):
        return _cmp._inplace_result(self, _cmp.logical_xor(self, other), "logical_xor")

    def logical_not_(self):
        return _cmp._inplace_result(self, _cmp.logical_not(self), "logical_not")

    # ---- in-place math ------------------------------------------------------------------------
    def sin_(self):
        return _special._inplace(self, _unary.Sin)

    def cos_(self):
        return _special._inplace(self, _unary.Cos)

    def tan_(self):
        return _special._inplace(self, _unary.Tan)

    def asin_(self):
        return _special._inplace(self, _unary.Asin)

    def acos_(self):
        return _special._inplace(self, _unary.Acos)

    def atan_(self):
        return _special._inplace(self, _unary.Atan)

    def sinh_(self):
        return _special._inplace(self, _unary.Sinh)

    def cosh_(self):
        return _special._inplace(self, _unary.Cosh)

    def asinh_(self):
        return _special._inplace(self, _unary.Asinh)

    def acosh_(self):
        return _special._inplace(self, _unary.Acosh)

    def atanh_(self):
        return _special._inplace(self, _unary.Atanh)

    arcsin_, arccos_, arctan_ = asin_, acos_, atan_
    arcsinh_, arccosh_, arctanh_ = asinh_, acosh_, atanh_

    def exp_(self):
        return _special._inplace(self, _unary.Exp)

    def exp2_(self):
        return _special._inplace(self, _unary.Exp2)

    def expm1_(self):
        return _special._inplace(self, _unary.Expm1)

    def log_(self):
        return _special._inplace(self, _unary.Log)

    def log2_(self):
        return _special._inplace(self, _unary.Log2)

    def log10_(self):
        return _special._inplace(self, _unary.Log10)

    def log1p_(self):
        return _special._inplace(self, _unary.Log1p)

    def sqrt_(self):
        return _special._inplace(self, _unary.Sqrt)

    def rsqrt_(self):
        return _special._inplace(self, _unary.Rsqrt)

    def square_(self):
        return _inplace(_unary.Square, self)

    def reciprocal_(self):
        return _special._inplace(self, _unary.Reciprocal)

    def prelu(self, weight):
        return _act.prelu(self, weight)

    def sigmoid_(self):
        return _special._inplace(self, _act.Sigmoid)

    def tanh_(self):
        return _special._inplace(self, _act.Tanh)

    def relu_(self):
        return _inplace(_act.Relu, self)

    def abs_(self):
        return _inplace(_unary.Abs, self)

    absolute_ = abs_

    def neg_(self):
        return _inplace(_arith.Neg, self)

    negative_ = neg_

    def sign_(self):
        return _unary._inplace_rounding(self, _unary.Sign)

    sgn_ = sign_

    def floor_(self):
        return _unary._inplace_rounding(self, _unary.Floor)

    def ceil_(self):
        return _unary._inplace_rounding(self, _unary.Ceil)

    def trunc_(self):
        return _unary._inplace_rounding(self, _unary.Trunc)

    fix_ = trunc_

    def round_(self, *, decimals=None):
        return _unary._inplace_rounding(self, _unary.Round, decimals=decimals)

    def frac_(self):
        return _inplace(_unary.Frac, self)

    def logit_(self, eps=None):
        return _special._inplace(self, _unary.Logit, eps=eps)

    def erf_(self):
        return _special._inplace(self, _unary.Erf)

    def erfc_(self):
        return _special._inplace(self, _unary.Erfc)

    def erfinv_(self):
        return _special._inplace(self, _unary.Erfinv)

    def lgamma_(self):
        return _special._inplace(self, _special.Lgamma)

    def digamma_(self):
        return _special._inplace(self, _special.Digamma)

    def polygamma_(self, n):
        return _special._inplace_polygamma(self, n)

    def mvlgamma_(self, p):
        return _special._inplace_mvlgamma(self, p)

    def i0_(self):
        return _special._inplace(self, _special.I0)

    def sinc_(self):
        return _special._inplace(self, _special.Sinc)

    def igamma_(self, other):
        return _special._inplace_incomplete_gamma(self, _special.Igamma, other, "igamma_")

    def igammac_(self, other):
        return _special._inplace_incomplete_gamma(self, _special.Igammac, other, "igammac_")

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return _inplace(_unary.NanToNum, self, **_unary.nan_to_num_params(self, nan, posinf, neginf))

    def clamp_min_(self, min):  # noqa: A002
        return self.clamp_(min=min)

    def clamp_max_(self, max):  # noqa: A002
        return self.clamp_(max=max)

    def atan2_(self, other):
        return _arith._inplace_binary(self, _arith.Atan2, other, "atan2_", float_result=True)

    arctan2_ = atan2_

    def fmod_(self, other):
        return _arith._inplace_binary(self, _arith.Fmod, other, "fmod_")

    def remainder_(self, other):
        return _arith._inplace_binary(self, _arith.Remainder, other, "remainder_")

    def floor_divide_(self, other):
        return _arith._inplace_binary(self, _arith.FloorDivide, other, "floor_divide_")

    def hypot_(self, other):
        return _arith._inplace_binary(self, _arith.Hypot, other, "hypot_")

    def xlogy_(self, other):
        return _arith._inplace_binary(self, _arith.Xlogy, other, "xlogy_", float_result=True)

    def lerp_(self, end, weight):
        return _arith._inplace_lerp(self, end, weight)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return _arith._inplace_addc(self, _arith.Addcmul, tensor1, tensor2, value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return _arith._inplace_addc(self, _arith.Addcdiv, tensor1, tensor2, value)

    # ---- reductions ---------------------------------------------------------------------------
    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _red.prod(self, dim, keepdim, dtype=dtype)

    def max(self, dim=None, keepdim=False):
        return _red.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _red.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return _red.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _red.amin(self, dim, keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        return _red.aminmax(self, dim=dim, keepdim=keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _red.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _red.argmin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return _red.logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return _red.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim, *, dtype=None):
        return _red.cumprod(self, dim, dtype=dtype)

    def cummax(self, dim):
        return _red.cummax(self, dim)

    def cummin(self, dim):
        return _red.cummin(self, dim)

    def median(self, dim=None, keepdim=False):
        return _sort.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return _sort.nanmedian(self, dim, keepdim)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return _sort.kthvalue(self, k, dim, keepdim)

    def sort(self, dim=-1, descending=False, stable=False):
        return _sort.sort(self, dim, descending, stable)

    def msort(self):
        return _sort.msort(self)

    def argsort(self, dim=-1, descending=False, stable=False):
        return _sort.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002
        return _sort.topk(self, k, dim, largest, sorted)

    def all(self, dim=None, keepdim=False):
        return _red.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _red.any(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        return _red.count_nonzero(self, dim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _red.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _red.nanmean(self, dim, keepdim, dtype=dtype)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        return _sort.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _sort.unique_consecutive(self, return_inverse, return_counts, dim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _norms.norm(self, p, dim, keepdim, dtype)

    # ---- linear algebra -----------------------------------------------------------------------
    def vdot(self, other):
        return _la.vdot(self, other)

    def outer(self, vec2):
        return _la.outer(self, vec2)

    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _la.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _la.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _la.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _la.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return _la.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return self.copy_(_la.addmm(self, mat1, mat2, beta=beta, alpha=alpha))

    def tril(self, diagonal=0):
        return _la.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _la.triu(self, diagonal)

    def tril_(self, diagonal=0):
        return _inplace(_la.Tril, self, k=diagonal, upper=False)

    def triu_(self, diagonal=0):
        return _inplace(_la.Tril, self, k=diagonal, upper=True)

    def diag(self, diagonal=0):
        return _la.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _la.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _la.diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset=0):
        return _la.diagflat(self, offset)

    def trace(self):
        return _la.trace(self)

    def inverse(self):
        return _inv.inv(self)

    def det(self):
        return _inv.det(self)

    def logdet(self):
        return _inv.logdet(self)

    def slogdet(self):
        return _inv.slogdet(self)

    def cross(self, other, dim=None):
        return _la.cross(self, other, dim)

    def matrix_power(self, n):
        return _inv.matrix_power(self, n)

    def lu(self, pivot=True, get_infos=False):
        return _dec.torch_lu(self, pivot, get_infos)

    def lu_solve(self, LU_data, LU_pivots):
        return _dec.torch_lu_solve(self, LU_data, LU_pivots)

    def pinverse(self, rcond=1e-15):
        return _inv.pinverse(self, rcond)

    def cholesky(self, upper=False):
        return _dec.torch_cholesky(self, upper)

    def qr(self, some=True):
        return _dec.torch_qr(self, some)

    def svd(self, some=True, compute_uv=True):
        return _dec.torch_svd(self, some, compute_uv)

    def matrix_exp(self):
        return _mf.matrix_exp(self)

    def cholesky_solve(self, input2, upper=False):
        return _solvers.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        return _solvers.cholesky_inverse(self, upper)

    def geqrf(self):
        return _hh.geqrf(self)

    def orgqr(self, input2):
        return _hh.orgqr(self, input2)

    def ormqr(self, input2, input3, left=True, transpose=False):
        return _hh.ormqr(self, input2, input3, left, transpose)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        return _solvers.triangular_solve(self, A, upper, transpose, unitriangular)

    # removed from torch (errors there too)
    eig = _eigen.torch_eig
    symeig = _eigen.torch_symeig
    lstsq = _lstsq.torch_lstsq
    solve = _solvers.torch_solve

    # ---- shape, joining, indexing -------------------------------------------------------------
    def movedim(self, source, destination):
        return _join.movedim(self, source, destination)

    moveaxis = movedim

    def unflatten(self, dim, sizes):
        return _join.unflatten(self, dim, sizes)

    def ravel(self):
        return _join.ravel(self)

    def repeat(self, *sizes, repeats=None):
        return _join.repeat(self, *_shape._sizes_or_keyword(sizes, repeats, "repeats", "repeat"))

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return _join.repeat_interleave(self, repeats, dim, output_size=output_size)

    def tile(self, dims):
        return _join.tile(self, dims)

    def flip(self, *dims, **kwargs):
        return _join.flip(self, kwargs["dims"] if "dims" in kwargs else dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims)

    def fliplr(self):
        return _join.fliplr(self)

    def flipud(self):
        return _join.flipud(self)

    def roll(self, shifts, dims=None):
        return _join.roll(self, shifts, dims)

    def rot90(self, k=1, dims=(0, 1)):
        return _join.rot90(self, k, dims)

    def narrow(self, dim, start, length):
        return _join.narrow(self, dim, start, length)

    def select(self, dim, index):
        return _join.select(self, dim, index)

    def split(self, split_size, dim=0):
        return _join.split(self, split_size, dim)

    def tensor_split(self, indices_or_sections, dim=0):
        return _join.tensor_split(self, indices_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return _join.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return _join.unbind(self, dim)

    def gather(self, dim, index, *, sparse_grad=False):
        return _gs.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return _gs.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return _gs._scatter_(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return _gs.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return _gs._scatter_add_(self, dim, index, src)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return _gs.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return _gs._scatter_reduce_(self, dim, index, src, reduce, include_self=include_self)

    def index_select(self, dim, index):
        return _gs.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return _gs.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return _gs._index_add_(self, dim, index, source, alpha=alpha)

    def index_copy(self, dim, index, source):
        return _gs.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return _gs._index_copy_(self, dim, index, source)

    def index_fill(self, dim, index, value):
        return _gs.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return _gs._index_fill_(self, dim, index, value)

    def masked_fill(self, mask, value):
        return _gs.masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        return _gs._masked_fill_(self, mask, value)

    def masked_scatter(self, mask, source):
        return _gs._masked_scatter(self, mask, source, "masked_scatter", 1)

    def masked_scatter_(self, mask, source):
        return _gs._masked_scatter_(self, mask, source)

    def masked_select(self, mask):
        return _gs.masked_select(self, mask)

    def take(self, index):
        return _gs.take(self, index)

    def take_along_dim(self, indices, dim=None):
        return _gs.take_along_dim(self, indices, dim)

    def nonzero(self, *, as_tuple=False):
        return _gs.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return _gs.argwhere(self)

    # ---- random -------------------------------------------------------------------------------
    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        return _rnd._uniform_(self, from_, to, generator=generator)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return _rnd._normal_(self, mean, std, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        return _rnd._bernoulli_(self, p, generator=generator)

    def exponential_(self, lambd=1.0, *, generator=None):
        return _rnd._exponential_(self, lambd, generator=generator)

    def geometric_(self, p, *, generator=None):
        return _rnd._geometric_(self, p, generator=generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return _rnd._log_normal_(self, mean, std, generator=generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return _rnd._cauchy_(self, median, sigma, generator=generator)

    def random_(self, from_=None, to=None, *, generator=None):
        return _rnd._random_(self, from_, to, generator=generator)

    def bernoulli(self, p=None, *, generator=None):
        return _rnd.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return _rnd.multinomial(self, num_samples, replacement, generator=generator)
