"""``out=``: write a function's result into given tensors, with torch's rules.

torch accepts ``out=`` on most of its functions. :func:`install` wraps, once, each kittygrad
function whose torch counterpart takes it (the names and rules below), so the op itself never sees
``out``:

- the result is computed as usual, then written into ``out`` (a tensor, or a tuple of tensors for
  ops with several results: ``kitty.max(x, 1, out=(values, indices))``) and ``out`` is returned;
  the write is an in-place change, so it bumps ``out``'s version counter and views of ``out`` see it;
- an ``out`` of another shape is resized (with torch's deprecation warning when it was not empty);
- a result whose dtype differs from ``out``'s is cast into it or refused, per op, as torch does;
- autograd does not go through ``out=``: with grad mode on, an input or an ``out`` that requires
  grad is refused with torch's error (except for results that have no gradient, such as
  comparisons, and for torch's composite ``tensordot``/``linalg.norm``/``linalg.matrix_norm``,
  whose result is copied into ``out`` with autograd, as in torch);
- factories (``zeros``, ``arange``, ``rand``, ...) and ``sum``/``prod``/``cumsum``/``cumprod`` compute
  in ``out``'s dtype, as torch does.

>>> import kittygrad as kitty
>>> o = kitty.empty(0)
>>> kitty.add(kitty.ones(2), 1, out=o) is o, o
(True, tensor([2., 2.]))
"""
from __future__ import annotations

import functools
import inspect
import warnings

from . import backend as B
from . import dtypes as D
from .autograd.grad_mode import _state, no_grad
from .errors import KittyNotImplementedError, KittyRuntimeError, KittyTypeError, user_stacklevel
from .ops import _return_types
from .ops._prep import _SCALAR_NAMES
from .tensor import Tensor

# ---------------------------------------------------------------------------------------------
# The data. Made with one-off scripts against torch 2.13 (CPU):
#   1. the candidates: every public ``torch.<name>`` / ``torch.linalg.<name>`` / ``torch.special.<name>``
#      that kittygrad also has and that has an ``aten::`` schema overload with keyword-only written
#      (``Tensor(a!)``) arguments, or ``out (Tensor`` in its docstring;
#   2. each was called on sample arguments (tests/test_out.py: SAMPLES, written for the first ones;
#      then the first of PATTERNS that both libraries accept, or MANUAL) with ``out=`` of the
#      result's dtype (names that raised TypeError there -- clone, flip, relu, ... -- were dropped);
#      with an input, then an ``out``, that requires grad: the op name in torch's refusal, "copy"
#      where torch instead records the copy into ``out`` (a CopyBackwards grad_fn: its composite
#      functions), None where it allows it (results without a gradient: comparisons, argmax, ...);
#      and with an ``out`` of another dtype that the result can be cast to and of one it cannot
#      (float32 -> float64 / int64, int64 -> float64 / bool, bool -> int64 / float32): torch's
#      refusal in each case, with the dtype names made "{R}"/"{O}" and "torch." made "kittygrad.".
# ``TOP_LEVEL[name] = (op name in torch's autograd refusal, dtype rule)``. The dtype rule: None (any
# out dtype; the result is cast), a key of ``_MESSAGES`` (the refusal whenever the dtypes differ), a
# pair (the refusal when the result can be cast to out's dtype, the one when it cannot; None:
# allowed), or a list of those, one per result. A new op with out= in torch gets its row here and a
# sample in tests/test_out.py (whose first test fails until it has one).

#: torch's refusals of an out dtype: {R}/{O} are the result's and out's scalar-type names
#: ("Float"), {R_cpp}/{O_cpp} their C++ names ("float", "long int")
_MESSAGES = {
    "cast": (KittyRuntimeError, "result type {R} can't be cast to the desired output type {O}"),
    "exact": (KittyRuntimeError, "Expected out tensor to have dtype {R_cpp}, but got {O_cpp} instead"),
    "found": (KittyRuntimeError, "Found dtype {O} but expected {R}"),
    "addbmm": (KittyRuntimeError, "self and mat2 must have the same dtype, but got {O} and {R}"),
    "all": (KittyRuntimeError, "all only supports {R_cpp} tensor for result, got: {O}"),
    "amax": (KittyRuntimeError, "Expected the dtype for input and out to match, but got {R} for input's dtype and {O} for out's dtype."),
    "any": (KittyRuntimeError, "any only supports {R_cpp} tensor for result, got: {O}"),
    "cat": (KittyTypeError, "kittygrad.cat(): input types can't be cast to the desired output type {O}"),
    "cholesky": (KittyRuntimeError, "cholesky: Expected result to be safely castable from {R} dtype, but got result with dtype {O}"),
    "cummax": (KittyRuntimeError, "expected scalar_type {R} but found {O}"),
    "diag": (KittyRuntimeError, "diag: result type {R} can't be cast to the desired out= type {O}"),
    "dot": (KittyRuntimeError, "result dtype {O} does not match input dtype {R}"),
    "index_select": (KittyRuntimeError, "index_select(): self and result must have the same scalar type"),
    "isneginf": (KittyRuntimeError, "isneginf does not support non-boolean outputs."),
    "isposinf": (KittyRuntimeError, "isposinf does not support non-boolean outputs."),
    "kthvalue": (KittyRuntimeError, "output values must be of same type as input"),
    "kthvalue_indices": (KittyRuntimeError, "output indices must be of scalar type {R}"),
    "linalg_matrix_norm": (KittyRuntimeError, "linalg.matrix_norm expected out tensor dtype {R} but got: {O}"),
    "linalg_matrix_power": (KittyRuntimeError, "matrix_power: Expected result to be safely castable from {R} dtype, but got result with dtype {O}"),
    "linalg_multi_dot": (KittyRuntimeError, "multi_dot(): expected out tensor to have dtype {R_cpp} but got {O_cpp}"),
    "linalg_norm": (KittyRuntimeError, "linalg.norm expected out tensor dtype {R} but got: {O}"),
    "linalg_pinv": (KittyRuntimeError, "linalg.pinv: Expected result to be safely castable from {R} dtype, but got result with dtype {O}"),
    "linalg_solve_triangular": (KittyRuntimeError, "expected scalar type {R} but found {O}"),
    "logsumexp": (KittyRuntimeError, "logsumexp(): Expected floating point type for result tensor, but got: {O}"),
    "masked_select": (KittyRuntimeError, "masked_select(): self and result must have the same scalar type"),
    "median_values": (KittyRuntimeError, "Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; but type kittygrad.{O}Tensor does not equal kittygrad.{R}Tensor (while checking arguments for median)"),
    "median_indices": (KittyRuntimeError, "Expected tensor for argument #1 'indices' to have scalar type {R}; but got kittygrad.{O}Tensor instead (while checking arguments for median)"),
    "median_indices_bool": (KittyRuntimeError, "Expected tensor for argument #1 'indices' to have scalar type {R}; but got CPUBoolType instead (while checking arguments for median)"),
    "multinomial": (KittyRuntimeError, "multinomial expects {R} tensor out, got: {O}"),
    "nan_to_num": (KittyRuntimeError, "nan_to_num: dtype of out: {O} should be same as input: {R}"),
    "nansum": (KittyNotImplementedError, '"nansum_cpu" not implemented for \'{O}\''),
    "nonzero": (KittyRuntimeError, "nonzero: Expected out tensor to have scalar type {R} but got scalar type{O}"),
    "normal": (KittyNotImplementedError, '"normal_kernel_cpu" not implemented for \'{O}\''),
    "signbit": (KittyRuntimeError, "signbit does not support non-boolean outputs."),
    "take": (KittyRuntimeError, "take(): self and out expected to have the same dtype, but got self.dtype = {R} and out.dtype = {O}"),
    "tensordot": (KittyRuntimeError, "tensordot: Expected the output tensor to have dtype {R}, but got an output tensor with dtype {O}"),
    "where": (KittyRuntimeError, "Expected out type to be {R} but got {O}"),
    "bucketize": (KittyRuntimeError, "kittygrad.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or {R}(int64) depending on whether out_int32 flag is True, but we got output tensor's dtype {O} and out_int32 flag is False"),
    "cholesky_inverse": (KittyRuntimeError, "cholesky_inverse: Expected result to be safely castable from {R} dtype, but got result with dtype {O}"),
    "cholesky_solve": (KittyRuntimeError, "cholesky_solve: Expected result to be safely castable from {R} dtype, but got result with dtype {O}"),
    "float_power": (KittyRuntimeError, "the output given to float_power has dtype {O} but the operation's result requires dtype {R}"),
    "frexp": (KittyRuntimeError, "kittygrad.frexp() expects mantissa to have dtype {R_cpp} but got {O_cpp}"),
    "frexp_exponent": (KittyRuntimeError, "kittygrad.frexp() expects exponent to have {R_cpp} dtype but got {O_cpp}"),
    "geqrf": (KittyRuntimeError, "kittygrad.geqrf: Expected a to be safely castable from {R} dtype, but got a with dtype {O}"),
    "geqrf_tau": (KittyRuntimeError, "kittygrad.geqrf: Expected tau to be safely castable from {R} dtype, but got tau with dtype {O}"),
    "heaviside": (KittyRuntimeError, "heaviside is not yet implemented for tensors with different dtypes."),
    "histc": (KittyRuntimeError, "kittygrad.histogram: input tensor and hist tensor should have the same dtype, but got input {R_cpp} and hist {O_cpp}"),
    "histogram": (KittyRuntimeError, "kittygrad.histogram: input tensor and bin_edges tensor should have the same dtype, but got input {R_cpp} and bin_edges {O_cpp} for dimension 0"),
    "ldexp": (KittyRuntimeError, "ldexp can't be cast to the desired output type {O}"),
    "mode": (KittyRuntimeError, "expected scalar type '{R}' but got '{O}' for values output"),
    "mode_indices": (KittyRuntimeError, "expected scalar type '{R}' but got '{O}' for indices output"),
    "mvlgamma": (KittyRuntimeError, "mvlgamma: result type {R} can't be cast to the desired output type {R}"),
    "nanquantile": (KittyRuntimeError, "quantile() out tensor must be same dtype as the input tensor"),
    "narrow_copy": (KittyRuntimeError, "Expected self.dtype() == output.dtype() to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)"),
    "ormqr": (KittyRuntimeError, "kittygrad.ormqr: Expected input and result to have the same dtype, but input has dtype{R} and result has dtype {O}"),
    "linalg_cond": (KittyRuntimeError, "linalg.cond: Expected result to be safely castable from {R} dtype, but got result with dtype {O}"),
    "linalg_householder_product": (KittyRuntimeError, "kittygrad.linalg.householder_product: Expected result to be safely castable from {R} dtype, but got result with dtype {O}"),
    "linalg_lstsq": (KittyRuntimeError, "kittygrad.linalg.lstsq: Expected solution to be safely castable from {R} dtype, but got solution with dtype {O}"),
    "linalg_lstsq_rank": (KittyRuntimeError, "kittygrad.linalg.lstsq: Expected rank to be safely castable from {R} dtype, but got rank with dtype {O}"),
    "linalg_lstsq_singular_values": (KittyRuntimeError, "kittygrad.linalg.lstsq: Expected singular_values to be safely castable from {R} dtype, but got singular_values with dtype {O}"),
    "linalg_matrix_rank": (KittyRuntimeError, "kittygrad.linalg.matrix_rank: Expected result to be safely castable from {R} dtype, but got result with dtype {O}"),
    "linalg_tensorinv": (KittyRuntimeError, "tensorinv: Expected result to be safely castable from {R} dtype, but got result with dtype {O}"),
    "linalg_tensorsolve": (KittyRuntimeError, "tensorsolve: Expected result to be safely castable from {R} dtype, but got result with dtype {O}"),
    "linalg_vecdot": (KittyRuntimeError, "linalg.vecdot: Expected out of dtype{R} but found {O}"),
}

TOP_LEVEL = {
    'abs': ('abs', 'found'), 'absolute': ('abs', 'found'), 'acos': ('acos', (None, 'cast')),
    'acosh': ('acosh', (None, 'cast')), 'add': ('add', (None, 'cast')), 'addbmm': ('addbmm', 'addbmm'),
    'addcdiv': ('addcdiv', (None, 'cast')), 'addcmul': ('addcmul', (None, 'cast')), 'addmm': ('addmm', 'exact'),
    'addmv': ('addmv', 'exact'), 'addr': ('addr', (None, 'cast')), 'all': (None, 'all'), 'amax': ('amax', 'amax'),
    'amin': ('amin', 'amax'), 'aminmax': ('aminmax', 'exact'), 'angle': ('angle', (None, 'cast')),
    'any': (None, 'any'), 'arange': ('aten::arange', None), 'arccos': ('acos', (None, 'cast')),
    'arccosh': ('acosh', (None, 'cast')), 'arcsin': ('asin', (None, 'cast')), 'arcsinh': ('asinh', (None, 'cast')),
    'arctan': ('atan', (None, 'cast')), 'arctan2': ('atan2', (None, 'cast')), 'arctanh': ('atanh', (None, 'cast')),
    'argmax': (None, 'exact'), 'argmin': (None, 'exact'), 'argsort': ('sort', 'exact'),
    'asin': ('asin', (None, 'cast')), 'asinh': ('asinh', (None, 'cast')), 'atan': ('atan', (None, 'cast')),
    'atan2': ('atan2', (None, 'cast')), 'atanh': ('atanh', (None, 'cast')), 'baddbmm': ('baddbmm', 'exact'),
    'bernoulli': ('bernoulli', None), 'bitwise_and': ('aten::bitwise_and', (None, 'cast')),
    'bitwise_left_shift': ('aten::bitwise_left_shift', (None, 'cast')),
    'bitwise_not': ('aten::bitwise_not', 'found'), 'bitwise_or': ('aten::bitwise_or', (None, 'cast')),
    'bitwise_right_shift': ('aten::bitwise_right_shift', (None, 'cast')),
    'bitwise_xor': ('aten::bitwise_xor', (None, 'cast')), 'bmm': ('bmm', 'exact'), 'bucketize': (None, 'bucketize'),
    'cat': ('cat', (None, 'cat')), 'ceil': ('ceil', 'found'), 'chain_matmul': ('mm', 'linalg_multi_dot'),
    'cholesky': ('cholesky', (None, 'cholesky')),
    'cholesky_inverse': ('cholesky_inverse', (None, 'cholesky_inverse')),
    'cholesky_solve': ('cholesky_solve', (None, 'cholesky_solve')), 'clamp': ('clamp', 'found'),
    'clamp_max': ('clamp_max', 'found'), 'clamp_min': ('clamp_min', 'found'), 'clip': ('clamp', 'found'),
    'column_stack': ('cat', (None, 'cat')), 'concat': ('cat', (None, 'cat')), 'concatenate': ('cat', (None, 'cat')),
    'conj_physical': ('aten::conj_physical', 'found'), 'copysign': ('copysign', (None, 'cast')),
    'cos': ('cos', (None, 'cast')), 'cosh': ('cosh', (None, 'cast')), 'cross': ('linalg_cross', 'exact'),
    'cummax': ('cummax', 'cummax'), 'cummin': ('cummin', 'cummax'), 'cumprod': ('cumprod', None),
    'cumsum': ('cumsum', None), 'deg2rad': ('deg2rad', (None, 'cast')),
    'diag': ('aten::diag_embed', ('exact', 'diag')), 'diff': ('sub', (None, 'cast')),
    'digamma': ('digamma', (None, 'cast')), 'div': ('div', (None, 'cast')), 'divide': ('div', (None, 'cast')),
    'dot': ('dot', 'dot'), 'dstack': ('cat', (None, 'cat')), 'empty': ('aten::empty', None), 'eq': (None, None),
    'erf': ('erf', (None, 'cast')), 'erfc': ('erfc', (None, 'cast')), 'erfinv': ('erfinv', (None, 'cast')),
    'exp': ('exp', (None, 'cast')), 'exp2': ('exp2', (None, 'cast')), 'expm1': ('expm1', (None, 'cast')),
    'eye': ('aten::eye', None), 'fix': ('trunc', 'found'), 'float_power': ('pow', 'float_power'),
    'floor': ('floor', 'found'), 'floor_divide': ('aten::floor_divide', (None, 'cast')),
    'fmax': ('fmax', (None, 'cast')), 'fmin': ('fmin', (None, 'cast')), 'fmod': ('fmod', (None, 'cast')),
    'frac': ('frac', 'found'), 'frexp': ('frexp', ['frexp', 'frexp_exponent']), 'full': ('aten::full', None),
    'gather': ('gather', 'exact'), 'gcd': ('aten::gcd', (None, 'cast')), 'ge': (None, None),
    'geqrf': ('geqrf', [(None, 'geqrf'), (None, 'geqrf_tau')]), 'ger': ('mul', (None, 'cast')),
    'greater': (None, None), 'greater_equal': (None, None), 'gt': (None, None),
    'heaviside': ('aten::heaviside', 'heaviside'), 'histc': (None, 'histc'),
    'histogram': ('aten::histogram', ['histc', 'histogram']), 'hstack': ('cat', (None, 'cat')),
    'hypot': ('hypot', (None, 'cast')), 'i0': ('i0', (None, 'cast')), 'igamma': ('igamma', (None, 'cast')),
    'igammac': ('igammac', (None, 'cast')), 'index_add': ('index_add', 'exact'),
    'index_copy': ('index_copy', 'exact'), 'index_select': ('index_select', 'index_select'),
    'inner': ('copy', 'tensordot'), 'inverse': ('linalg_inv_ex', 'exact'), 'isin': (None, 'exact'),
    'isneginf': (None, 'isneginf'), 'isposinf': (None, 'isposinf'), 'kron': ('mul', (None, 'cast')),
    'kthvalue': ('kthvalue', ['kthvalue', 'kthvalue_indices']), 'lcm': ('aten::lcm', (None, 'cast')),
    'ldexp': ('ldexp', (None, 'ldexp')), 'le': (None, None), 'lerp': ('lerp', (None, 'cast')), 'less': (None, None),
    'less_equal': (None, None), 'lgamma': ('lgamma', (None, 'cast')), 'linspace': ('aten::linspace', None),
    'log': ('log', (None, 'cast')), 'log10': ('log10', (None, 'cast')), 'log1p': ('log1p', (None, 'cast')),
    'log2': ('log2', (None, 'cast')), 'log_softmax': ('aten::log_softmax', 'exact'),
    'logaddexp': ('logaddexp', (None, 'cast')), 'logaddexp2': ('logaddexp2', (None, 'cast')),
    'logcumsumexp': ('logcumsumexp', 'cummax'), 'logical_and': (None, None), 'logical_not': (None, None),
    'logical_or': (None, None), 'logical_xor': (None, None), 'logit': ('logit', (None, 'cast')),
    'logspace': ('aten::logspace', None), 'logsumexp': ('logsumexp', (None, 'logsumexp')), 'lt': (None, None),
    'lu_solve': ('linalg_lu_solve', 'exact'), 'lu_unpack': ('lu_unpack', 'exact'),
    'masked_select': ('masked_select', 'masked_select'), 'matmul': ('matmul', 'exact'),
    'matrix_power': ('matmul', ('exact', 'linalg_matrix_power')), 'max': ('max', 'exact'),
    'maximum': ('maximum', (None, 'cast')), 'mean': ('mean', (None, 'cast')),
    'median': ('median', ['median_values', ('median_indices', 'median_indices_bool')]), 'min': ('min', 'exact'),
    'minimum': ('minimum', (None, 'cast')), 'mm': ('mm', 'exact'), 'mode': ('mode', ['mode', 'mode_indices']),
    'msort': ('sort', 'exact'), 'mul': ('mul', (None, 'cast')), 'multinomial': (None, 'multinomial'),
    'multiply': ('mul', (None, 'cast')), 'mv': ('mv', 'exact'), 'mvlgamma': ('mvlgamma', (None, 'mvlgamma')),
    'nan_to_num': ('nan_to_num', 'nan_to_num'), 'nanmean': ('nansum', (None, 'nansum')),
    'nanmedian': ('nanmedian', ['median_values', ('median_indices', 'median_indices_bool')]),
    'nanquantile': ('copy', 'nanquantile'), 'nansum': ('nansum', (None, 'nansum')),
    'narrow_copy': ('narrow_copy', 'narrow_copy'), 'ne': (None, None), 'neg': ('neg', 'found'),
    'negative': ('neg', 'found'), 'nextafter': ('nextafter', (None, 'cast')), 'nonzero': (None, 'nonzero'),
    'norm': ('linalg_vector_norm', 'exact'), 'normal': ('normal', (None, 'normal')), 'not_equal': (None, None),
    'ones': ('aten::ones', None), 'ormqr': ('ormqr', 'ormqr'), 'outer': ('mul', (None, 'cast')),
    'polygamma': ('polygamma', (None, 'cast')), 'pow': ('pow', (None, 'cast')), 'prod': ('prod', None),
    'qr': ('linalg_qr', 'exact'), 'quantile': ('copy', 'nanquantile'), 'rad2deg': ('rad2deg', (None, 'cast')),
    'rand': ('aten::rand', None), 'randint': ('aten::randint', None), 'randn': ('aten::randn', None),
    'randperm': ('aten::randperm', None), 'range': ('aten::range', None),
    'reciprocal': ('reciprocal', (None, 'cast')), 'remainder': ('remainder', (None, 'cast')),
    'renorm': ('renorm', 'exact'), 'round': ('round', 'found'), 'row_stack': ('cat', (None, 'cat')),
    'rsqrt': ('rsqrt', (None, 'cast')), 'scatter': ('scatter', 'exact'), 'scatter_add': ('scatter_add', 'exact'),
    'scatter_reduce': ('scatter_reduce', 'exact'), 'searchsorted': (None, 'bucketize'), 'sgn': ('sgn', 'found'),
    'sigmoid': ('sigmoid', (None, 'cast')), 'sign': ('sign', 'found'), 'signbit': (None, 'signbit'),
    'sin': ('sin', (None, 'cast')), 'sinc': ('sinc', (None, 'cast')), 'sinh': ('sinh', (None, 'cast')),
    'slice_scatter': ('aten::slice_scatter', 'exact'), 'slogdet': ('_linalg_slogdet', 'exact'),
    'softmax': ('aten::softmax', 'exact'), 'sort': ('sort', 'exact'), 'sqrt': ('sqrt', (None, 'cast')),
    'square': ('pow', (None, 'cast')), 'stack': ('stack', (None, 'cat')), 'std': ('std', (None, 'cast')),
    'sub': ('sub', (None, 'cast')), 'subtract': ('sub', (None, 'cast')), 'sum': ('sum', None),
    'svd': ('_linalg_svd', 'exact'), 'take': ('take', 'take'), 'take_along_dim': ('gather', 'exact'),
    'tan': ('tan', (None, 'cast')), 'tanh': ('tanh', (None, 'cast')), 'tensordot': ('copy', 'tensordot'),
    'topk': ('topk', 'exact'), 'tril': ('tril', 'exact'), 'triu': ('triu', 'exact'),
    'true_divide': ('div', (None, 'cast')), 'trunc': ('trunc', 'found'), 'var': ('var', (None, 'cast')),
    'vdot': ('vdot', 'dot'), 'vstack': ('cat', (None, 'cat')), 'where': ('where', 'where'),
    'xlogy': ('xlogy', (None, 'cast')), 'zeros': ('aten::zeros', None),
}

LINALG = {
    'cholesky': ('linalg_cholesky_ex', 'exact'), 'cholesky_ex': ('linalg_cholesky_ex', 'exact'),
    'cond': ('copy', (None, 'linalg_cond')), 'cross': ('linalg_cross', 'exact'), 'det': ('_linalg_det', 'exact'),
    'eigh': ('_linalg_eigh', 'exact'), 'eigvalsh': ('_linalg_eigh', 'exact'),
    'householder_product': ('linalg_householder_product', (None, 'linalg_householder_product')),
    'inv': ('linalg_inv_ex', 'exact'), 'inv_ex': ('linalg_inv_ex', 'exact'),
    'ldl_factor': ('aten::linalg_ldl_factor_ex', 'exact'), 'ldl_factor_ex': ('aten::linalg_ldl_factor_ex', 'exact'),
    'ldl_solve': ('aten::linalg_ldl_solve', 'exact'),
    'lstsq': ('linalg_lstsq', [(None, 'linalg_lstsq'), (None, 'linalg_lstsq'), (None, 'linalg_lstsq_rank'),
              (None, 'linalg_lstsq_singular_values')]),
    'lu': ('linalg_lu', 'exact'), 'lu_factor': ('linalg_lu_factor_ex', 'exact'),
    'lu_factor_ex': ('linalg_lu_factor_ex', 'exact'), 'lu_solve': ('linalg_lu_solve', 'exact'),
    'matmul': ('matmul', 'exact'), 'matrix_norm': ('copy', 'linalg_matrix_norm'),
    'matrix_power': ('matmul', ('exact', 'linalg_matrix_power')),
    'matrix_rank': (None, (None, 'linalg_matrix_rank')), 'multi_dot': ('mm', 'linalg_multi_dot'),
    'norm': ('copy', 'linalg_norm'), 'pinv': ('linalg_pinv', (None, 'linalg_pinv')), 'qr': ('linalg_qr', 'exact'),
    'slogdet': ('_linalg_slogdet', 'exact'), 'solve': ('_linalg_solve_ex', 'exact'),
    'solve_ex': ('_linalg_solve_ex', 'exact'),
    'solve_triangular': ('linalg_solve_triangular', 'linalg_solve_triangular'), 'svd': ('_linalg_svd', 'exact'),
    'svdvals': ('_linalg_svd', 'exact'), 'tensorinv': ('copy', (None, 'linalg_tensorinv')),
    'tensorsolve': ('copy', (None, 'linalg_tensorsolve')), 'vecdot': ('sum', 'linalg_vecdot'),
    'vector_norm': ('linalg_vector_norm', 'exact'),
}

SPECIAL = {
    'airy_ai': (None, (None, 'cast')), 'bessel_j0': (None, (None, 'cast')), 'bessel_j1': (None, (None, 'cast')),
    'bessel_y0': (None, (None, 'cast')), 'bessel_y1': (None, (None, 'cast')),
    'chebyshev_polynomial_t': (None, (None, 'cast')), 'chebyshev_polynomial_u': (None, (None, 'cast')),
    'chebyshev_polynomial_v': (None, (None, 'cast')), 'chebyshev_polynomial_w': (None, (None, 'cast')),
    'digamma': ('digamma', (None, 'cast')), 'entr': ('special_entr', (None, 'cast')),
    'erf': ('erf', (None, 'cast')), 'erfc': ('erfc', (None, 'cast')), 'erfcx': ('special_erfcx', (None, 'cast')),
    'erfinv': ('erfinv', (None, 'cast')), 'exp2': ('exp2', (None, 'cast')), 'expit': ('sigmoid', (None, 'cast')),
    'expm1': ('expm1', (None, 'cast')), 'gammainc': ('igamma', (None, 'cast')),
    'gammaincc': ('igammac', (None, 'cast')), 'gammaln': ('lgamma', (None, 'cast')),
    'hermite_polynomial_h': (None, (None, 'cast')), 'hermite_polynomial_he': (None, (None, 'cast')),
    'i0': ('i0', (None, 'cast')), 'i0e': ('special_i0e', (None, 'cast')), 'i1': ('special_i1', (None, 'cast')),
    'i1e': ('special_i1e', (None, 'cast')), 'laguerre_polynomial_l': (None, (None, 'cast')),
    'legendre_polynomial_p': (None, (None, 'cast')), 'log1p': ('log1p', (None, 'cast')),
    'log_ndtr': ('special_log_ndtr', (None, 'cast')), 'logit': ('logit', (None, 'cast')),
    'logsumexp': ('logsumexp', (None, 'logsumexp')), 'modified_bessel_i0': (None, (None, 'cast')),
    'modified_bessel_i1': (None, (None, 'cast')), 'modified_bessel_k0': (None, (None, 'cast')),
    'modified_bessel_k1': (None, (None, 'cast')), 'multigammaln': ('mvlgamma', (None, 'mvlgamma')),
    'ndtr': ('copy', (None, 'cast')), 'ndtri': ('special_ndtri', (None, 'cast')),
    'polygamma': ('polygamma', (None, 'cast')), 'psi': ('digamma', (None, 'cast')), 'round': ('round', 'found'),
    'scaled_modified_bessel_k0': (None, (None, 'cast')), 'scaled_modified_bessel_k1': (None, (None, 'cast')),
    'shifted_chebyshev_polynomial_t': (None, (None, 'cast')),
    'shifted_chebyshev_polynomial_u': (None, (None, 'cast')),
    'shifted_chebyshev_polynomial_v': (None, (None, 'cast')),
    'shifted_chebyshev_polynomial_w': (None, (None, 'cast')), 'sinc': ('sinc', (None, 'cast')),
    'spherical_bessel_j0': (None, (None, 'cast')), 'xlog1py': ('special_xlog1py', (None, 'cast')),
    'xlogy': ('xlogy', (None, 'cast')), 'zeta': ('special_zeta', (None, 'cast')),
}

#: the range factories fill an out of as many elements in its own shape, and resize one of
#: another count to 1-D without the generic warning (arange with its own, when out was not empty)
_RANGES = frozenset({"arange", "range", "linspace", "logspace"})
#: ``max(input)`` and ``max(input, other)`` return one tensor and cast it into out (the dim
#: overload, two results, follows the row above)
_ONE_RESULT = {"max": (None, "cast"), "min": (None, "cast")}
#: compute in out's dtype (torch passes it as the ``dtype``): the factories ...
_FACTORIES = frozenset({"arange", "empty", "eye", "full", "linspace", "logspace", "ones", "rand", "randint", "randn",
                        "randperm", "range", "zeros"})
#: ... and these reductions
_REDUCE_IN_OUT_DTYPE = frozenset({"sum", "prod", "cumsum", "cumprod"})

#: C++ type names torch's messages use
_CPP_NAMES = {
    "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double", "int8": "signed char",
    "int16": "short int", "int32": "int", "int64": "long int", "uint8": "unsigned char", "bool": "bool",
}
_RESIZE_WARNING = (
    "An output with one or more elements was resized since it had shape {old}, which does not match the required "
    "output shape {new}. This behavior is deprecated, and in a future PyTorch release outputs will not be resized "
    "unless they have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
    "elements with t.resize_(0)."
)
_ARANGE_RESIZE_WARNING = (
    "The number of elements in the out tensor of shape {old} is {count} which does not match the computed number of "
    "elements {n}. Note that this may occur as a result of rounding error. The out tensor will be resized to a "
    "tensor of shape ({n},)."
)


def install(namespace: dict, table: dict) -> None:
    """Give each function of ``namespace`` named in ``table`` torch's ``out=`` keyword.

    >>> import kittygrad as kitty
    >>> ns = {"exp": kitty.ops.unary.exp}
    >>> install(ns, TOP_LEVEL); "out" in inspect.signature(ns["exp"]).parameters
    True
    """
    for name, rule in table.items():
        fn = namespace.get(name)
        if fn is not None and getattr(fn, "_out_rule", None) is None:
            namespace[name] = with_out(fn, name, rule)


def with_out(fn, name: str, rule: tuple):
    """``fn`` with an ``out=`` keyword that follows ``rule`` (a row of :data:`TOP_LEVEL`).

    >>> import kittygrad as kitty
    >>> neg = with_out(kitty.ops.arithmetic.neg, "neg", TOP_LEVEL["neg"])
    >>> o = kitty.zeros(2); _ = neg(kitty.ones(2), out=o); o
    tensor([-1., -1.])
    """

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        return _call(fn, name, rule, args, kwargs, out)

    wrapper._out_rule = rule
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - every kittygrad function has one
        return wrapper
    params = [p for p in sig.parameters.values() if p.name != "out"]
    at = next((i for i, p in enumerate(params) if p.kind is inspect.Parameter.VAR_KEYWORD), len(params))
    params.insert(at, inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
    wrapper.__signature__ = sig.replace(parameters=params)
    return wrapper


def _call(fn, name, rule, args, kwargs, out):
    grad_name, spec = rule
    outs = _check_out_type(name, out)
    if grad_name not in (None, "copy") and _state.enabled and (
        any(o._requires_grad for o in outs) or _any_requires_grad(args) or _any_requires_grad(kwargs.values())
    ):
        raise KittyRuntimeError(
            f"{grad_name}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    requires_grad = False
    if name in _FACTORIES or name in _REDUCE_IN_OUT_DTYPE:
        requires_grad = kwargs.pop("requires_grad", False) if name in _FACTORIES else False
        _compute_in(name, kwargs, outs[0])
        if name == "arange" and not outs[0].dtype.is_floating_point:  # torch casts the bounds to out's dtype
            args = tuple(int(v) if isinstance(v, float) else v for v in args)
            kwargs = {k: int(v) if isinstance(v, float) else v for k, v in kwargs.items()}
    if grad_name == "copy":
        result = fn(*args, **kwargs)
    else:
        with no_grad():
            result = fn(*args, **kwargs)
    multi = isinstance(result, tuple)
    results = tuple(result) if multi else (result,)
    if multi != isinstance(out, (tuple, list)):
        raise KittyTypeError(
            f"{name}(): argument 'out' must be {'tuple of Tensors' if multi else 'Tensor'}, not {type(out).__name__}"
        )
    if len(outs) != len(results):
        raise KittyTypeError(f"expected tuple of {len(results)} elements but got {len(outs)}")
    if not multi and name in _ONE_RESULT:
        spec = _ONE_RESULT[name]
    elif not multi and isinstance(spec, list):
        raise KittyTypeError(f'{name}() missing 1 required positional arguments: "dim"')
    specs = spec if isinstance(spec, list) else [spec] * len(results)
    for o, r, s in zip(outs, results, specs):
        _check_dtype(s, r, o)
    inputs = _tensors(args) + _tensors(kwargs.values())
    for o, s in zip(outs, specs):
        if s is None or (isinstance(s, tuple) and s[0] is None):  # torch's elementwise kernels refuse
            _check_overlap(o, inputs)  # an out that partly overlaps an input
    for o, r in zip(outs, results):
        if name in _RANGES:
            r = _range_into(name, o, r)
        else:
            _resize(o, r._data.shape)
        if grad_name == "copy":
            o.copy_(r)
        else:
            with no_grad():
                o.copy_(r)
    if requires_grad:
        outs[0].requires_grad_(True)
    if not multi:
        return outs[0]
    return _out_type(type(result))(*outs)


def _check_out_type(name, out) -> tuple:
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        if not isinstance(o, Tensor):
            what = "tuple of Tensors" if isinstance(out, (tuple, list)) else "Tensor"
            raise KittyTypeError(f"{name}(): argument 'out' must be {what}, not {type(o).__name__}")
    return outs


def _tensors(values) -> list:
    found = []
    for v in values:
        group = v if isinstance(v, (tuple, list)) else (v,)  # a tuple/list argument is looked into
        found.extend(t for t in group if isinstance(t, Tensor))
    return found


def _any_requires_grad(values) -> bool:
    return any(t._requires_grad for t in _tensors(values))


def _compute_in(name, kwargs, o) -> None:
    """Pass out's dtype as the computation's ``dtype``, refusing another one given, as torch."""
    given = kwargs.get("dtype")
    if given is not None and D.to_dtype(given) is not o.dtype:
        given = D.to_dtype(given)
        if name in _FACTORIES:
            raise KittyRuntimeError(
                f"dtype {_scalar(given)} does not match dtype of out parameter ({_scalar(o.dtype)})"
            )
        raise KittyRuntimeError(
            f"Expected out tensor to have dtype {_CPP_NAMES[given.name]}, but got {_CPP_NAMES[o.dtype.name]} instead"
        )
    kwargs["dtype"] = o.dtype


def _scalar(d) -> str:
    return _SCALAR_NAMES.get(d.name) or d.name.capitalize()


def _can_cast(src, dst) -> bool:
    """torch's canCast: no float to integral, no non-bool to bool."""
    if src.is_floating_point and not dst.is_floating_point:
        return False
    return not (dst.name == "bool" and src.name != "bool")


def _check_dtype(spec, r, o) -> None:
    rd, od = r.dtype, o.dtype
    if rd is od or spec is None:
        return
    castable = _can_cast(rd, od)
    key = spec if isinstance(spec, str) else spec[0 if castable else 1]
    if key is None:
        return
    kind, template = _MESSAGES[key]
    raise kind(template.format(R=_scalar(rd), O=_scalar(od), R_cpp=_CPP_NAMES[rd.name], O_cpp=_CPP_NAMES[od.name]))


def _same_memory(a, b) -> bool:
    return (
        a.shape == b.shape and a.strides == b.strides
        and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    )


def _check_overlap(o, inputs) -> None:
    arr = o._data
    for t in inputs:
        if t is not o and not _same_memory(t._data, arr) and _shares(t._data, arr):
            raise KittyRuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
                "single memory location. Please clone() the tensor before performing the operation."
            )


def _shares(a, b) -> bool:
    return a.size > 0 and b.size > 0 and B.shares_memory(a, b)


def _range_into(name, o, r):
    """A range factory's 1-D result ``r`` laid out for ``o`` (see :data:`_RANGES`)."""
    old, n = o._data, r._data.size
    if old.size == n:
        return r.reshape(old.shape)
    if name == "arange" and old.size:
        warnings.warn(_ARANGE_RESIZE_WARNING.format(old=list(old.shape), count=old.size, n=n), UserWarning,
                      stacklevel=user_stacklevel())
    _resize(o, r._data.shape, warn=False)
    return r


def _resize(o, shape, warn: bool = True) -> None:
    """Give ``o`` the result's shape, as torch's resize_: in its own memory when it fits."""
    old = o._data
    if old.shape == shape:
        return
    if old.size and warn:
        warnings.warn(_RESIZE_WARNING.format(old=list(old.shape), new=list(shape)), UserWarning,
                      stacklevel=user_stacklevel())  # the NumPy-spelling wrapper may sit between
    n = 1
    for s in shape:
        n *= s
    if old.flags.c_contiguous and n <= old.size:
        o._data = old.reshape(-1)[:n].reshape(shape)  # same memory: the storage still fits
    else:
        o._data = B.xp.zeros(shape, old.dtype)
        o._vc = [o._vc[0]]  # new memory: no longer shared with a base
    o._view = None  # its sizes no longer follow from a base


@functools.lru_cache(maxsize=None)
def _out_type(cls):
    """torch returns ``return_types.<name>_out`` for ops with several results given out=."""
    fields = getattr(cls, "_fields", None)
    if fields is None:
        return lambda *outs: tuple(outs)
    return _return_types._make(cls.__name__ + "_out", fields)
