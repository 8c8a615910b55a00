"""Top-level functions of the op families beyond the foundation (``kitty.sin``, ``kitty.cat``, ...)."""
from __future__ import annotations

from . import linalg
from .ops import _return_types as return_types
from .ops.activation import celu, prelu, selu
# the families added for API breadth (issue 15): one import per family file
from .ops.calculus import cumulative_trapezoid, diff, gradient, trapezoid, trapz
from .ops.conjugation import adjoint, conj, conj_physical, imag, real, resolve_conj, resolve_neg
from .ops.distances import dist
from .ops.inplace_twins import (
    abs_, absolute_, addmv_, acos_, acosh_, arccos_, arccosh_, arcsin_, arcsinh_, arctan_, arctanh_, asin_, asinh_, atan_,
    atanh_, ceil_, clamp_, clamp_max_, clamp_min_, clip_, conj_physical_, cos_, cosh_, deg2rad_, detach_, erf_, erfc_,
    exp2_, exp_, expm1_, fill, fill_, fix_, floor_, frac_, gcd_, i0_, lcm_, ldexp_, log1p_, log2_, log10_, log_,
    logit_, nan_to_num_, neg_, negative_, rad2deg_, reciprocal_, relu_, round_, rsqrt_, sigmoid_, sin_, sinc_,
    sinh_, sqrt_, square_, tan_, tanh_, trunc_, xlogy_, zero_, celu_, selu_, resize_as_,
)
from .ops.pointwise import (
    angle, copysign, deg2rad, float_power, frexp, gcd, heaviside, lcm, ldexp, logaddexp2, nextafter, positive, rad2deg,
)
from .ops.products import combinations, inner, kron
from .ops.index_reduce import index_reduce
from .ops.renorm import renorm
from .ops.scans import logcumsumexp
from .ops.searching import bucketize, isin, nonzero_static, searchsorted
from .ops.sliding_windows import as_strided
from .ops.splits import (
    dsplit, hsplit, narrow_copy, split_with_sizes, unsafe_chunk, unsafe_split, unsafe_split_with_sizes, vsplit,
)
from .ops.statistics import bincount, corrcoef, cov, histc, histogram, histogramdd, mode, nanquantile, quantile
from .ops.triangle_indices import tril_indices, triu_indices
from .ops.view_copies import (
    alias_copy, detach_copy, diagonal_copy, expand_copy, permute_copy, select_copy, slice_copy, split_copy,
    split_with_sizes_copy, squeeze_copy, t_copy, transpose_copy, unbind_copy, unfold_copy, unsqueeze_copy, view_copy,
)
from .ops.view_scatter import diagonal_scatter, index_put, index_put_, put, select_scatter, slice_scatter
from .ops.arithmetic import (
    addcdiv,
    addcmul,
    arctan2,
    atan2,
    floor_divide,
    fmod,
    hypot,
    lerp,
    logaddexp,
    remainder,
    xlogy,
)
from .ops.comparison import (
    allclose,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    clamp_max,
    clamp_min,
    eq,
    equal,
    fmax,
    fmin,
    ge,
    greater,
    greater_equal,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    isreal,
    le,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    ne,
    not_equal,
    signbit,
    where,
)
from .ops.decompositions import lu_unpack
from .ops.decompositions import torch_cholesky as cholesky
from .ops.decompositions import torch_lu as lu
from .ops.decompositions import torch_lu_solve as lu_solve
from .ops.decompositions import torch_qr as qr
from .ops.decompositions import torch_svd as svd
from .ops.gather_scatter import (
    argwhere,
    gather,
    index_add,
    index_copy,
    index_fill,
    index_select,
    masked_fill,
    masked_scatter,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
)
from .ops.householder import geqrf, orgqr, ormqr
from .ops.inverses import det, inverse, logdet, matrix_power, pinverse, slogdet
from .ops.matrix_functions import matrix_exp
from .ops.conditioning import torch_matrix_rank as matrix_rank
from .ops.eigen import torch_eig as eig
from .ops.eigen import torch_symeig as symeig
from .ops.least_squares import torch_lstsq as lstsq
from .ops.solvers import cholesky_inverse, cholesky_solve, triangular_solve
from .ops.solvers import torch_solve as solve
from .ops.vectors import vander
from .ops.joining import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    cat,
    chunk,
    column_stack,
    concat,
    concatenate,
    dstack,
    flip,
    fliplr,
    flipud,
    hstack,
    meshgrid,
    moveaxis,
    movedim,
    narrow,
    ravel,
    repeat_interleave,
    roll,
    rot90,
    row_stack,
    select,
    split,
    stack,
    tensor_split,
    tile,
    unbind,
    unflatten,
    vstack,
)
from .ops.linalg import (
    addbmm,
    addmm,
    addmv,
    addr,
    baddbmm,
    cross,
    diag,
    diag_embed,
    diagflat,
    diagonal,
    einsum,
    ger,
    outer,
    tensordot,
    trace,
    tril,
    triu,
    vdot,
)
from .ops.norms import norm
from .ops.nn.embedding import embedding_renorm_
from .ops.random_ops import bernoulli, binomial, multinomial, normal, poisson
from .ops.reduction import (
    all,
    amax,
    amin,
    aminmax,
    any,
    argmax,
    argmin,
    count_nonzero,
    cummax,
    cummin,
    cumprod,
    cumsum,
    logsumexp,
    max,
    min,
    nanmean,
    nansum,
    prod,
    std_mean,
    var_mean,
)
from .ops.sorting import argsort, kthvalue, median, msort, nanmedian, sort, topk, unique, unique_consecutive
from .ops.special import digamma, i0, igamma, igammac, lgamma, mvlgamma, polygamma, sinc
from .ops.unary import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctanh,
    asin,
    asinh,
    atan,
    atanh,
    ceil,
    cos,
    cosh,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    fix,
    floor,
    frac,
    log1p,
    log2,
    log10,
    logit,
    nan_to_num,
    reciprocal,
    round,
    rsqrt,
    sgn,
    sign,
    sin,
    sinh,
    square,
    tan,
    trunc,
)

__all__ = [name for name in dir() if not name.startswith("_") and name != "annotations"]
