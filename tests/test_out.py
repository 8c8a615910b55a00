"""``out=`` (kittygrad/_out.py), checked against torch on every function that takes it.

Each name gets a sample call (``SAMPLES``; the same table made the data in ``kittygrad/_out.py``).
For each: the values written into ``out`` and the returned object, the dtype rules (an ``out`` of
a dtype the result casts to and of one it does not: same outcome and message as torch), and the
autograd refusal. Then the shared rules: resizing, version counters and views, overlap, tuples.
"""
from __future__ import annotations

import random
import re
import warnings

import numpy as np
import pytest
import torch

import kittygrad as kitty
from kittygrad import _out

_R = random.Random(0)


def _mat(r, c, lo=0.5, hi=1.5):
    return [[round(_R.uniform(lo, hi), 4) for _ in range(c)] for _ in range(r)]


X, Y, Z = _mat(3, 4), _mat(3, 4), _mat(3, 4)
U = _mat(3, 4, -0.9, 0.9)
SQ = [[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]]
B3, B4 = [_mat(3, 4), _mat(3, 4)], [_mat(4, 2), _mat(4, 2)]
XI = [[_R.randrange(0, 6) for _ in range(4)] for _ in range(3)]
YI = [[_R.randrange(1, 5) for _ in range(4)] for _ in range(3)]
MASK = [[_R.random() < 0.5 for _ in range(4)] for _ in range(3)]
GIDX = [[_R.randrange(0, 4) for _ in range(4)] for _ in range(3)]


def tensors(L):
    t = L.tensor
    return dict(
        x=t(X), y=t(Y), z=t(Z), u=t(U), sq=t(SQ), v=t(X[0]), w=t(Y[0][:3]), b3=t(B3), b4=t(B4),
        xi=t(XI), yi=t(YI), mask=t(MASK), idx=t([0, 2]), gidx=t(GIDX), c3=t(X[0][:3]), d3=t(Y[0][:3]),
        nanx=t([[1.0, float("nan"), 3.0], [float("inf"), -2.0, 0.5]]), rep=t([1, 1, 2, 2, 2, 3]),
    )


def _lu(L, T):
    return L.linalg.lu_factor(T["sq"])


#: name -> function(L, T) -> (args, kwargs): a call of kittygrad.<name> / torch.<name>
SAMPLES = {
    "abs": lambda L, T: ((T["u"],), {}),
    "absolute": lambda L, T: ((T["u"],), {}),
    "acos": lambda L, T: ((T["u"],), {}),
    "acosh": lambda L, T: ((T["x"] + 1,), {}),
    "add": lambda L, T: ((T["x"], T["y"]), {"alpha": 2}),
    "addbmm": lambda L, T: ((L.ones(3, 2), T["b3"], T["b4"]), {}),
    "addcdiv": lambda L, T: ((T["x"], T["y"], T["z"]), {"value": 0.5}),
    "addcmul": lambda L, T: ((T["x"], T["y"], T["z"]), {"value": 0.5}),
    "addmm": lambda L, T: ((T["sq"], T["x"], T["y"].t()), {}),
    "addmv": lambda L, T: ((T["w"], T["x"], T["v"]), {}),
    "addr": lambda L, T: ((T["x"], T["w"], T["v"]), {}),
    "all": lambda L, T: ((T["mask"], 1), {}),
    "amax": lambda L, T: ((T["x"], 1), {}),
    "amin": lambda L, T: ((T["x"], 1), {}),
    "aminmax": lambda L, T: ((T["x"],), {"dim": 1}),
    "any": lambda L, T: ((T["mask"], 1), {}),
    "arange": lambda L, T: ((0, 5, 2), {}),
    "arccos": lambda L, T: ((T["u"],), {}),
    "arccosh": lambda L, T: ((T["x"] + 1,), {}),
    "arcsin": lambda L, T: ((T["u"],), {}),
    "arcsinh": lambda L, T: ((T["u"],), {}),
    "arctan": lambda L, T: ((T["u"],), {}),
    "arctan2": lambda L, T: ((T["u"], T["x"]), {}),
    "arctanh": lambda L, T: ((T["u"],), {}),
    "argmax": lambda L, T: ((T["x"], 1), {}),
    "argmin": lambda L, T: ((T["x"], 1), {}),
    "argsort": lambda L, T: ((T["x"],), {"stable": True, "dim": 1}),
    "asin": lambda L, T: ((T["u"],), {}),
    "asinh": lambda L, T: ((T["u"],), {}),
    "atan": lambda L, T: ((T["u"],), {}),
    "atan2": lambda L, T: ((T["u"], T["x"]), {}),
    "atanh": lambda L, T: ((T["u"],), {}),
    "baddbmm": lambda L, T: ((L.ones(2, 3, 2), T["b3"], T["b4"]), {"beta": 0.5}),
    "bernoulli": lambda L, T: ((T["x"] * 0.5,), {}),
    "bitwise_and": lambda L, T: ((T["xi"], T["yi"]), {}),
    "bitwise_left_shift": lambda L, T: ((T["xi"], T["yi"]), {}),
    "bitwise_not": lambda L, T: ((T["xi"],), {}),
    "bitwise_or": lambda L, T: ((T["xi"], T["yi"]), {}),
    "bitwise_right_shift": lambda L, T: ((T["xi"], T["yi"]), {}),
    "bitwise_xor": lambda L, T: ((T["xi"], T["yi"]), {}),
    "bmm": lambda L, T: ((T["b3"], T["b4"]), {}),
    "cat": lambda L, T: (([T["x"], T["y"]], 1), {}),
    "ceil": lambda L, T: ((T["u"] * 3,), {}),
    "celu": lambda L, T: ((T["u"],), {}),
    "cholesky": lambda L, T: ((T["sq"],), {}),
    "clamp": lambda L, T: ((T["u"], -0.5, 0.5), {}),
    "clamp_max": lambda L, T: ((T["u"], 0.5), {}),
    "clamp_min": lambda L, T: ((T["u"], -0.5), {}),
    "clip": lambda L, T: ((T["u"], -0.5, 0.5), {}),
    "clone": lambda L, T: ((T["x"],), {}),
    "column_stack": lambda L, T: (([T["v"], T["v"] * 2],), {}),
    "concat": lambda L, T: (([T["x"], T["y"]],), {}),
    "concatenate": lambda L, T: (([T["x"], T["y"]],), {}),
    "cos": lambda L, T: ((T["u"],), {}),
    "cosh": lambda L, T: ((T["u"],), {}),
    "count_nonzero": lambda L, T: ((T["xi"], 1), {}),
    "cross": lambda L, T: ((T["x"][:, :3], T["y"][:, :3]), {"dim": 1}),
    "cummax": lambda L, T: ((T["x"], 1), {}),
    "cummin": lambda L, T: ((T["x"], 1), {}),
    "cumprod": lambda L, T: ((T["x"], 1), {}),
    "cumsum": lambda L, T: ((T["x"], 1), {}),
    "diag": lambda L, T: ((T["v"],), {}),
    "diag_embed": lambda L, T: ((T["x"],), {}),
    "div": lambda L, T: ((T["x"], T["y"]), {"rounding_mode": "floor"}),
    "divide": lambda L, T: ((T["x"], T["y"]), {}),
    "dot": lambda L, T: ((T["v"], T["v"]), {}),
    "dstack": lambda L, T: (([T["x"], T["y"]],), {}),
    "empty": lambda L, T: ((2, 3), {}),
    "empty_like": lambda L, T: ((T["x"],), {}),
    "eq": lambda L, T: ((T["xi"], T["yi"]), {}),
    "erf": lambda L, T: ((T["u"],), {}),
    "erfc": lambda L, T: ((T["u"],), {}),
    "erfinv": lambda L, T: ((T["u"],), {}),
    "exp": lambda L, T: ((T["u"],), {}),
    "exp2": lambda L, T: ((T["u"],), {}),
    "expm1": lambda L, T: ((T["u"],), {}),
    "eye": lambda L, T: ((3, 2), {}),
    "fix": lambda L, T: ((T["u"] * 3,), {}),
    "flip": lambda L, T: ((T["x"], (0, 1)), {}),
    "floor": lambda L, T: ((T["u"] * 3,), {}),
    "floor_divide": lambda L, T: ((T["xi"], T["yi"]), {}),
    "fmax": lambda L, T: ((T["nanx"], T["nanx"].flip(1)), {}),
    "fmin": lambda L, T: ((T["nanx"], T["nanx"].flip(1)), {}),
    "fmod": lambda L, T: ((T["u"] * 5, T["x"]), {}),
    "frac": lambda L, T: ((T["u"] * 3,), {}),
    "full": lambda L, T: (((2, 3), 1.5), {}),
    "full_like": lambda L, T: ((T["x"], 2.0), {}),
    "gather": lambda L, T: ((T["x"], 1, T["gidx"]), {}),
    "ge": lambda L, T: ((T["x"], T["y"]), {}),
    "ger": lambda L, T: ((T["w"], T["v"]), {}),
    "greater": lambda L, T: ((T["x"], T["y"]), {}),
    "greater_equal": lambda L, T: ((T["x"], T["y"]), {}),
    "gt": lambda L, T: ((T["x"], T["y"]), {}),
    "hstack": lambda L, T: (([T["x"], T["y"]],), {}),
    "hypot": lambda L, T: ((T["x"], T["y"]), {}),
    "index_add": lambda L, T: ((T["x"], 0, T["idx"], T["y"][:2]), {"alpha": 2}),
    "index_copy": lambda L, T: ((T["x"], 0, T["idx"], T["y"][:2]), {}),
    "index_fill": lambda L, T: ((T["x"], 0, T["idx"], -1.0), {}),
    "index_select": lambda L, T: ((T["x"], 0, T["idx"]), {}),
    "inverse": lambda L, T: ((T["sq"],), {}),
    "isinf": lambda L, T: ((T["nanx"],), {}),
    "isnan": lambda L, T: ((T["nanx"],), {}),
    "isneginf": lambda L, T: ((-T["nanx"],), {}),
    "isposinf": lambda L, T: ((T["nanx"],), {}),
    "kthvalue": lambda L, T: ((T["x"], 2, 1), {}),
    "le": lambda L, T: ((T["x"], T["y"]), {}),
    "lerp": lambda L, T: ((T["x"], T["y"], 0.3), {}),
    "less": lambda L, T: ((T["x"], T["y"]), {}),
    "less_equal": lambda L, T: ((T["x"], T["y"]), {}),
    "linspace": lambda L, T: ((0.0, 1.0, 5), {}),
    "log": lambda L, T: ((T["x"],), {}),
    "log10": lambda L, T: ((T["x"],), {}),
    "log1p": lambda L, T: ((T["x"],), {}),
    "log2": lambda L, T: ((T["x"],), {}),
    "log_softmax": lambda L, T: ((T["x"], 1), {}),
    "logaddexp": lambda L, T: ((T["x"], T["y"]), {}),
    "logical_and": lambda L, T: ((T["mask"], T["xi"]), {}),
    "logical_not": lambda L, T: ((T["xi"],), {}),
    "logical_or": lambda L, T: ((T["mask"], T["xi"]), {}),
    "logical_xor": lambda L, T: ((T["mask"], T["xi"]), {}),
    "logit": lambda L, T: ((T["x"] * 0.5,), {}),
    "logspace": lambda L, T: ((0.0, 2.0, 3), {}),
    "logsumexp": lambda L, T: ((T["x"], 1), {}),
    "lt": lambda L, T: ((T["x"], T["y"]), {}),
    "lu_solve": lambda L, T: ((T["x"][:, :2],) + tuple(_lu(L, T)), {}),
    "lu_unpack": lambda L, T: (tuple(_lu(L, T)), {}),
    "masked_fill": lambda L, T: ((T["x"], T["mask"], 0.0), {}),
    "masked_scatter": lambda L, T: ((T["x"], T["mask"], T["y"]), {}),
    "masked_select": lambda L, T: ((T["x"], T["mask"]), {}),
    "matmul": lambda L, T: ((T["x"], T["y"].t()), {}),
    "matrix_power": lambda L, T: ((T["sq"], 3), {}),
    "max": lambda L, T: ((T["x"], 1), {}),
    "maximum": lambda L, T: ((T["x"], T["y"]), {}),
    "mean": lambda L, T: ((T["x"], 1), {}),
    "median": lambda L, T: ((T["x"], 1), {}),
    "min": lambda L, T: ((T["x"], 1), {}),
    "minimum": lambda L, T: ((T["x"], T["y"]), {}),
    "mm": lambda L, T: ((T["x"], T["y"].t()), {}),
    "msort": lambda L, T: ((T["x"],), {}),
    "mul": lambda L, T: ((T["x"], T["y"]), {}),
    "multinomial": lambda L, T: ((T["x"], 2), {}),
    "multiply": lambda L, T: ((T["x"], T["y"]), {}),
    "mv": lambda L, T: ((T["x"], T["v"]), {}),
    "nan_to_num": lambda L, T: ((T["nanx"],), {"posinf": 9.0}),
    "nanmean": lambda L, T: ((T["nanx"], 1), {}),
    "nanmedian": lambda L, T: ((T["nanx"], 1), {}),
    "nansum": lambda L, T: ((T["nanx"], 1), {}),
    "ne": lambda L, T: ((T["xi"], T["yi"]), {}),
    "neg": lambda L, T: ((T["x"],), {}),
    "negative": lambda L, T: ((T["x"],), {}),
    "nonzero": lambda L, T: ((T["mask"],), {}),
    "norm": lambda L, T: ((T["x"],), {"dim": 1}),
    "normal": lambda L, T: ((T["x"], T["y"]), {}),
    "not_equal": lambda L, T: ((T["xi"], T["yi"]), {}),
    "ones": lambda L, T: ((2, 3), {}),
    "ones_like": lambda L, T: ((T["x"],), {}),
    "outer": lambda L, T: ((T["w"], T["v"]), {}),
    "poisson": lambda L, T: ((T["x"] * 3,), {}),
    "pow": lambda L, T: ((T["x"], 2.5), {}),
    "prod": lambda L, T: ((T["x"], 1), {}),
    "qr": lambda L, T: ((T["x"],), {}),
    "rand": lambda L, T: ((2, 3), {}),
    "rand_like": lambda L, T: ((T["x"],), {}),
    "randint": lambda L, T: ((0, 5, (2, 3)), {}),
    "randint_like": lambda L, T: ((T["x"], 5), {}),
    "randn": lambda L, T: ((2, 3), {}),
    "randn_like": lambda L, T: ((T["x"],), {}),
    "randperm": lambda L, T: ((5,), {}),
    "reciprocal": lambda L, T: ((T["x"],), {}),
    "relu": lambda L, T: ((T["u"],), {}),
    "remainder": lambda L, T: ((T["u"] * 5, T["x"]), {}),
    "repeat_interleave": lambda L, T: ((T["x"], 2), {"dim": 0}),
    "roll": lambda L, T: ((T["x"], 1, 1), {}),
    "rot90": lambda L, T: ((T["x"],), {}),
    "round": lambda L, T: ((T["u"] * 3,), {}),
    "row_stack": lambda L, T: (([T["x"], T["y"]],), {}),
    "rsqrt": lambda L, T: ((T["x"],), {}),
    "rsub": lambda L, T: ((T["x"], T["y"]), {}),
    "scatter": lambda L, T: ((T["x"], 1, T["gidx"], T["y"]), {}),
    "scatter_add": lambda L, T: ((T["x"], 1, T["gidx"], T["y"]), {}),
    "scatter_reduce": lambda L, T: ((T["x"], 1, T["gidx"], T["y"], "amax"), {}),
    "sgn": lambda L, T: ((T["u"],), {}),
    "sigmoid": lambda L, T: ((T["u"],), {}),
    "sign": lambda L, T: ((T["u"],), {}),
    "signbit": lambda L, T: ((T["u"],), {}),
    "sin": lambda L, T: ((T["u"],), {}),
    "sinh": lambda L, T: ((T["u"],), {}),
    "slogdet": lambda L, T: ((T["sq"],), {}),
    "softmax": lambda L, T: ((T["x"], 1), {}),
    "sort": lambda L, T: ((T["x"], 1), {}),
    "sqrt": lambda L, T: ((T["x"],), {}),
    "square": lambda L, T: ((T["u"],), {}),
    "stack": lambda L, T: (([T["x"], T["y"]], 1), {}),
    "std": lambda L, T: ((T["x"], 1), {}),
    "std_mean": lambda L, T: ((T["x"], 1), {}),
    "sub": lambda L, T: ((T["x"], T["y"]), {"alpha": 3}),
    "subtract": lambda L, T: ((T["x"], T["y"]), {}),
    "sum": lambda L, T: ((T["x"], 1), {}),
    "svd": lambda L, T: ((T["sq"],), {}),
    "take": lambda L, T: ((T["x"], T["idx"]), {}),
    "take_along_dim": lambda L, T: ((T["x"], T["gidx"], 1), {}),
    "tan": lambda L, T: ((T["u"],), {}),
    "tanh": lambda L, T: ((T["u"],), {}),
    "tensordot": lambda L, T: ((T["x"], T["y"]), {"dims": ([1], [1])}),
    "topk": lambda L, T: ((T["x"], 2), {}),
    "trace": lambda L, T: ((T["sq"],), {}),
    "tril": lambda L, T: ((T["x"],), {}),
    "triu": lambda L, T: ((T["x"], 1), {}),
    "true_divide": lambda L, T: ((T["x"], T["y"]), {}),
    "trunc": lambda L, T: ((T["u"] * 3,), {}),
    "unique_consecutive": lambda L, T: ((T["rep"],), {}),
    "var": lambda L, T: ((T["x"], 1), {}),
    "var_mean": lambda L, T: ((T["x"], 1), {}),
    "vdot": lambda L, T: ((T["v"], T["v"]), {}),
    "vstack": lambda L, T: (([T["x"], T["y"]],), {}),
    "where": lambda L, T: ((T["mask"], T["x"], T["y"]), {}),
    "xlogy": lambda L, T: ((T["x"], T["y"]), {}),
    "zeros": lambda L, T: ((2, 3), {}),
    "zeros_like": lambda L, T: ((T["x"],), {}),
}

#: the same for kittygrad.linalg / torch.linalg
LINALG_SAMPLES = {
    "cholesky": lambda L, T: ((T["sq"],), {}),
    "cross": lambda L, T: ((T["x"][:, :3], T["y"][:, :3]), {}),
    "det": lambda L, T: ((T["sq"],), {}),
    "inv": lambda L, T: ((T["sq"],), {}),
    "lu": lambda L, T: ((T["sq"],), {}),
    "lu_factor": lambda L, T: ((T["sq"],), {}),
    "lu_factor_ex": lambda L, T: ((T["sq"],), {}),
    "lu_solve": lambda L, T: (tuple(_lu(L, T)) + (T["x"][:, :2],), {}),
    "matmul": lambda L, T: ((T["x"], T["y"].t()), {}),
    "matrix_norm": lambda L, T: ((T["sq"],), {}),
    "matrix_power": lambda L, T: ((T["sq"], 2), {}),
    "multi_dot": lambda L, T: (([T["x"], T["y"].t(), T["sq"]],), {}),
    "norm": lambda L, T: ((T["x"],), {}),
    "pinv": lambda L, T: ((T["x"],), {}),
    "qr": lambda L, T: ((T["sq"],), {}),
    "slogdet": lambda L, T: ((T["sq"],), {}),
    "solve": lambda L, T: ((T["sq"], T["x"][:, :2]), {}),
    "solve_triangular": lambda L, T: ((T["sq"].triu(), T["x"][:, :2]), {"upper": True}),
    "svd": lambda L, T: ((T["sq"],), {}),
    "svdvals": lambda L, T: ((T["sq"],), {}),
    "vector_norm": lambda L, T: ((T["x"],), {"dim": 1}),
}


SAMPLES["chain_matmul"] = lambda L, T: ((T["x"], T["y"].t(), T["sq"]), {})

#: argument patterns for the rest (the first one both libraries accepted, per name, in AUTO)
PATTERNS = {
    "x": lambda L, T: ((T["x"],), {}),
    "xy": lambda L, T: ((T["x"], T["y"]), {}),
    "xi_yi": lambda L, T: ((T["xi"], T["yi"]), {}),
    "x_1": lambda L, T: ((T["x"], 1), {}),
    "1_x": lambda L, T: ((1, T["x"]), {}),
    "sq": lambda L, T: ((T["sq"],), {}),
    "sq_sq": lambda L, T: ((T["sq"], T["sq"]), {}),
    "3_3": lambda L, T: ((3, 3), {}),
}
AUTO = {
    "": {
        "angle": "x", "cholesky_inverse": "sq", "cholesky_solve": "sq_sq", "conj_physical": "x",
        "copysign": "xy", "deg2rad": "x", "diff": "x", "digamma": "x", "float_power": "xy", "frexp": "x",
        "gcd": "xi_yi", "geqrf": "x", "heaviside": "xy", "histc": "x", "histogram": "x_1", "i0": "x", "igamma": "xy",
        "igammac": "xy", "inner": "xy", "isin": "xy", "kron": "xy", "lcm": "xi_yi", "ldexp": "xy", "lgamma": "x",
        "logaddexp2": "xy", "logcumsumexp": "x_1", "mode": "x", "mvlgamma": "x_1", "nanquantile": "x_1",
        "nextafter": "xy", "polygamma": "1_x", "quantile": "x_1", "rad2deg": "x", "range": "3_3",
        "sinc": "x", "slice_scatter": "xy",
    },
    "linalg": {
        "cholesky_ex": "sq", "cond": "x", "eigh": "sq", "eigvalsh": "sq", "inv_ex": "sq", "ldl_factor": "sq",
        "ldl_factor_ex": "sq", "lstsq": "xy", "matrix_rank": "x", "solve_ex": "sq_sq", "vecdot": "xy",
    },
    "special": {
        "airy_ai": "x", "bessel_j0": "x", "bessel_j1": "x", "bessel_y0": "x", "bessel_y1": "x",
        "chebyshev_polynomial_t": "xy", "chebyshev_polynomial_u": "xy", "chebyshev_polynomial_v": "xy",
        "chebyshev_polynomial_w": "xy", "digamma": "x", "entr": "x", "erf": "x", "erfc": "x", "erfcx": "x",
        "erfinv": "x", "exp2": "x", "expit": "x", "expm1": "x", "gammainc": "xy", "gammaincc": "xy", "gammaln": "x",
        "hermite_polynomial_h": "xy", "hermite_polynomial_he": "xy", "i0": "x", "i0e": "x", "i1": "x", "i1e": "x",
        "laguerre_polynomial_l": "xy", "legendre_polynomial_p": "xy", "log1p": "x", "log_ndtr": "x", "logit": "x",
        "logsumexp": "x_1", "modified_bessel_i0": "x", "modified_bessel_i1": "x", "modified_bessel_k0": "x",
        "modified_bessel_k1": "x", "multigammaln": "x_1", "ndtr": "x", "ndtri": "x", "polygamma": "1_x", "psi": "x",
        "round": "x", "scaled_modified_bessel_k0": "x", "scaled_modified_bessel_k1": "x",
        "shifted_chebyshev_polynomial_t": "xy", "shifted_chebyshev_polynomial_u": "xy",
        "shifted_chebyshev_polynomial_v": "xy", "shifted_chebyshev_polynomial_w": "xy", "sinc": "x",
        "spherical_bessel_j0": "x", "xlog1py": "xy", "xlogy": "xy", "zeta": "xy",
    },
}
#: calls no pattern fits
MANUAL = {
    ("", "narrow_copy"): lambda L, T: ((T["x"], 0, 0, 2), {}),
    ("", "searchsorted"): lambda L, T: ((T["x"].sort(-1).values, T["y"]), {}),  # (a sorted sequence)
    ("", "bucketize"): lambda L, T: ((T["v"], T["v"].sort().values), {}),
    ("", "renorm"): lambda L, T: ((T["x"], 2, 0, 1.0), {}),
    ("", "ormqr"): lambda L, T: (tuple(L.geqrf(T["sq"])) + (T["x"][:, :2],), {}),
    ("linalg", "householder_product"): lambda L, T: (tuple(L.geqrf(T["sq"])), {}),
    ("linalg", "ldl_solve"): lambda L, T: (tuple(L.linalg.ldl_factor(T["sq"])) + (T["x"][:, :2],), {}),
    ("linalg", "tensorinv"): lambda L, T: ((L.eye(6).reshape(2, 3, 6) + 0.1,), {"ind": 2}),
    ("linalg", "tensorsolve"): lambda L, T: ((L.eye(6).reshape(2, 3, 6) + 0.1, T["x"][:2, :3]), {}),
}
SPECIAL_SAMPLES = {}
for _space, _table in (("", SAMPLES), ("linalg", LINALG_SAMPLES), ("special", SPECIAL_SAMPLES)):
    _table.update({n: PATTERNS[p] for n, p in AUTO[_space].items()})
    _table.update({n: f for (sp, n), f in MANUAL.items() if sp == _space})
TABLES = {"": SAMPLES, "linalg": LINALG_SAMPLES, "special": SPECIAL_SAMPLES}


#: results drawn at random: compared with kittygrad's own call under the same seed, and with torch
#: by shape and dtype only (``empty`` is uninitialised in torch)
RANDOM = {"bernoulli", "multinomial", "normal", "rand", "randint", "randn", "randperm", "empty"}
#: factories that accept dtypes torch's refuse (randint/randperm with bool): out= passes the dtype on
LAX_FACTORIES = {"randint", "randperm"}
RULES = {"": _out.TOP_LEVEL, "linalg": _out.LINALG, "special": _out.SPECIAL}
CASES = [(space, n) for space, rules in RULES.items() for n in sorted(rules)]
TORCH_NAME = {"": torch, "linalg": torch.linalg, "special": torch.special}
KITTY_NAME = {"": kitty, "linalg": kitty.linalg, "special": kitty.special}
TORCH_DTYPE = {torch.float32: kitty.float32, torch.float64: kitty.float64, torch.int64: kitty.int64,
               torch.int32: kitty.int32, torch.bool: kitty.bool, torch.float16: kitty.float16}
KITTY_DTYPE = {v: k for k, v in TORCH_DTYPE.items()}


def _call(lib, space, name, seed=0, **extra):
    args, kwargs = TABLES[space][name](lib, tensors(lib))
    lib.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation notes (torch.cholesky, torch.qr, ...)
        return getattr(TORCH_NAME[space] if lib is torch else KITTY_NAME[space], name)(*args, **kwargs, **extra)


def _results(r):
    return list(r) if isinstance(r, tuple) else [r]


def _empties(lib, dtypes):
    outs = [lib.empty(0, dtype=d) for d in dtypes]
    return outs[0] if len(outs) == 1 else tuple(outs)


def _outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    except Exception as e:  # noqa: BLE001 - the outcome is compared
        return e


def _same_error(ke, te):
    assert isinstance(ke, type(te)) or isinstance(ke, tuple(type(te).__mro__[:1])), (ke, te)
    assert str(ke) == str(te).replace("torch.", "kittygrad."), (str(ke), str(te))


def test_every_row_has_a_sample_and_a_wrapped_function():
    for space, rules in RULES.items():
        assert set(rules) <= set(TABLES[space]), sorted(set(rules) - set(TABLES[space]))
        unwrapped = [n for n in rules if getattr(getattr(KITTY_NAME[space], n, None), "_out_rule", None) is None]
        assert not unwrapped, (space, unwrapped)


@pytest.mark.parametrize("space,name", CASES)
def test_out_gets_the_result_and_is_returned(space, name):
    t_res = _results(_call(torch, space, name))
    k_plain = _results(_call(kitty, space, name))
    outs = _empties(kitty, [TORCH_DTYPE[r.dtype] for r in t_res])
    got = _call(kitty, space, name, out=outs)
    k_outs = outs if isinstance(outs, tuple) else (outs,)
    if isinstance(outs, tuple):
        assert isinstance(got, tuple) and all(g is o for g, o in zip(got, k_outs))
        t_got = _call(torch, space, name, out=_empties(torch, [r.dtype for r in t_res]))
        # torch's "<name>_out" named tuple (kitty.slogdet's plain result is named linalg_slogdet)
        plain = _call(kitty, space, name)
        assert type(got).__name__ == type(plain).__name__ + "_out" and type(t_got).__name__.endswith("_out")
        assert list(got._fields) == re.findall(r"^(\w+)=", repr(t_got), re.M)
    else:
        assert got is outs
    for o, plain, t in zip(k_outs, k_plain, t_res):
        assert o.shape == tuple(t.shape) and KITTY_DTYPE[o.dtype] == t.dtype, (o, t)
        np.testing.assert_array_equal(o.numpy(), plain.numpy())  # the same call without out=
        if name not in RANDOM:
            np.testing.assert_allclose(o.numpy().astype(float), t.numpy().astype(float), rtol=1e-5, atol=1e-6)


def _dtype_pairs(dtype):
    return {torch.float32: (torch.float64, torch.int64), torch.float64: (torch.float32, torch.int64),
            torch.int64: (torch.float64, torch.bool),
            torch.bool: (torch.int64, torch.float32), torch.int32: (torch.int64, torch.bool)}[dtype]


@pytest.mark.parametrize("space,name", CASES)
def test_out_of_another_dtype_as_torch(space, name):
    t_res = _results(_call(torch, space, name))
    base = [r.dtype for r in t_res]
    for i, d in enumerate(base):
        for other in _dtype_pairs(d):
            dts = list(base)
            dts[i] = other
            te = _outcome(lambda: _call(torch, space, name, out=_empties(torch, dts)))
            ke = _outcome(lambda: _call(kitty, space, name, out=_empties(kitty, [TORCH_DTYPE[x] for x in dts])))
            if isinstance(te, Exception) and name in LAX_FACTORIES and not isinstance(ke, Exception):
                continue  # kittygrad's factory takes the dtype (a gap of the factory, not of out=)
            if isinstance(te, Exception) and "INTERNAL ASSERT FAILED" in str(te):
                continue  # a torch bug (linalg.lstsq's singular_values), not mirrored
            if isinstance(te, Exception):
                assert isinstance(ke, Exception), f"torch refused {other} for result {i}: {te}"
                if name not in ("rand", "randn", "randint", "randperm", "arange"):  # (kittygrad's own dtype check)
                    _same_error(ke, te)
                continue
            assert not isinstance(ke, Exception), ke
            for k, t in zip(_results(ke), _results(te)):
                assert KITTY_DTYPE[k.dtype] == t.dtype
                if name not in RANDOM:
                    np.testing.assert_allclose(k.numpy().astype(float), t.numpy().astype(float), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("space,name", CASES)
def test_autograd_through_out_refused_as_torch(space, name):
    t_res = _results(_call(torch, space, name))
    table = TABLES[space]

    def run(lib, out_requires_grad):
        args, kwargs = table[name](lib, tensors(lib))
        flat = list(args) + [y for x in args if isinstance(x, list) for y in x]
        floats = [t for t in flat if isinstance(t, (torch.Tensor, kitty.Tensor)) and t.is_floating_point()]
        dtypes = [r.dtype if lib is torch else TORCH_DTYPE[r.dtype] for r in t_res]
        shapes = [tuple(r.shape) for r in t_res]
        outs = [lib.empty(s, dtype=d) for s, d in zip(shapes, dtypes)]
        if out_requires_grad:
            if not outs[0].is_floating_point():
                return None
            outs[0].requires_grad_(True)
        elif floats:
            floats[0].requires_grad_(True)
        else:
            return None
        fn = getattr(TORCH_NAME[space] if lib is torch else KITTY_NAME[space], name)
        return _outcome(lambda: fn(*args, **kwargs, out=outs[0] if len(outs) == 1 else tuple(outs)))

    for out_requires_grad in (False, True):
        te, ke = run(torch, out_requires_grad), run(kitty, out_requires_grad)
        if not isinstance(te, Exception) and te is not None and type(_results(te)[0].grad_fn).__name__ == "NotImplemented":
            # torch lets these through with a grad_fn that fails at backward; kittygrad refuses at once
            assert "automatic differentiation" in str(ke)
            continue
        if isinstance(te, Exception) and "automatic differentiation" in str(te):
            assert isinstance(ke, RuntimeError)
            _same_error(ke, te)
        elif not isinstance(te, Exception) and te is not None and not out_requires_grad:
            assert not isinstance(ke, Exception), ke
            for k, t in zip(_results(ke), _results(te)):
                assert k.requires_grad == t.requires_grad


def test_no_grad_allows_out_with_inputs_that_require_grad():
    x = kitty.ones(3, requires_grad=True)
    o = kitty.empty(3)
    with kitty.no_grad():
        kitty.mul(x, 2, out=o)
    assert o.tolist() == [2.0, 2.0, 2.0] and not o.requires_grad


def test_copy_ops_record_the_copy_as_torch():
    x = kitty.tensor([[3.0, 4.0]], requires_grad=True)
    o = kitty.empty(0)
    kitty.linalg.norm(x, out=o)
    assert o.grad_fn is not None and o.requires_grad
    o.backward()
    tx = torch.tensor([[3.0, 4.0]], requires_grad=True)
    to = torch.empty(0)
    torch.linalg.norm(tx, out=to)
    to.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_resize_warns_when_out_had_elements():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kitty.add(kitty.ones(2, 2), 1, out=kitty.empty(0))  # an empty out: no warning
    with pytest.warns(UserWarning, match=r"had shape \[3\], which does not match the required output shape \[2, 2\]"):
        o = kitty.add(kitty.ones(2, 2), 1, out=kitty.zeros(3))
    assert o.shape == (2, 2)
    with pytest.warns(UserWarning, match=r"shape \[4\].*shape \[2, 2\]"):  # same numel, other shape
        kitty.add(kitty.ones(2, 2), 1, out=kitty.zeros(4))


def test_resize_warning_text_is_torchs():
    with pytest.warns(UserWarning) as k:
        kitty.add(kitty.ones(2), 1, out=kitty.zeros(3))
    with pytest.warns(UserWarning) as t:
        torch.add(torch.ones(2), 1, out=torch.zeros(3))
    assert str(t[0].message).startswith(str(k[0].message))


def _warnings_and_out(lib, fn, out_shape):
    o = lib.empty(out_shape)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn(lib, o)
    return [(str(x.message).split(" (Triggered")[0], x.filename) for x in w], list(o.shape), o.flatten().tolist()


@pytest.mark.parametrize("call", [
    lambda M, o: M.arange(4, out=o), lambda M, o: M.arange(0, 1, 0.25, out=o), lambda M, o: M.range(0, 3, out=o),
    lambda M, o: M.linspace(0, 1, 4, out=o), lambda M, o: M.logspace(0, 1, 4, out=o),
])
@pytest.mark.parametrize("out_shape", [(2, 2), (3,), (0,), (2, 3)])
def test_range_factories_fill_or_resize_out_as_torch(call, out_shape):
    # torch's range factories keep an out of as many elements in its shape, and resize another to
    # 1-D: arange with its own warning, the others silently; a warning points at this file
    assert _warnings_and_out(kitty, call, out_shape) == _warnings_and_out(torch, call, out_shape)


def test_resize_warning_points_at_the_caller_through_the_numpy_spellings():
    with pytest.warns(UserWarning) as k:
        kitty.cat([kitty.ones(2), kitty.ones(2)], dim=0, out=kitty.zeros(3))
    assert k[0].filename == __file__


def test_out_write_bumps_the_version_and_views_see_it():
    base = kitty.zeros(2, 3)
    row = base[0]
    v0 = base._version
    kitty.add(kitty.ones(3), 1, out=row)
    assert base._version == v0 + 1 and row._version == v0 + 1
    assert base.tolist() == [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]]
    alias = base.view(6)
    kitty.mul(kitty.ones(2, 3), 5, out=base)
    assert alias.tolist() == [5.0] * 6


def test_an_out_shrunk_in_its_memory_writes_through_as_torch():
    for lib in (torch, kitty):
        base = lib.zeros(6)
        with pytest.warns(UserWarning):
            lib.add(lib.ones(2), 1, out=base[:4])
        assert base.tolist() == [2.0, 2.0, 0.0, 0.0, 0.0, 0.0]


def test_out_version_check_catches_a_saved_out():
    x = kitty.ones(3, requires_grad=True)
    o = kitty.ones(3)
    y = x * o  # saves o for x's gradient
    kitty.add(kitty.ones(3), 1, out=o)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_out_that_is_an_input():
    a = kitty.arange(4.0)
    kitty.add(a, 1, out=a)
    assert a.tolist() == [1.0, 2.0, 3.0, 4.0]
    m = kitty.tensor([[1.0, 2.0], [3.0, 4.0]])
    kitty.mm(m, m, out=m)  # computed before the write
    assert m.tolist() == [[7.0, 10.0], [15.0, 22.0]]


def test_partial_overlap_refused_as_torch():
    for lib in (torch, kitty):
        b = lib.arange(4.0)
        with pytest.raises(RuntimeError, match="some elements of the input tensor and the written-to tensor refer"):
            lib.add(b[:3], 1, out=b[1:])
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
            lib.add(lib.ones(2), 1, out=lib.zeros(1).expand(2))


def test_out_type_errors():
    x = kitty.rand(2, 3)
    with pytest.raises(TypeError, match="argument 'out' must be Tensor, not ndarray"):
        kitty.add(x, x, out=np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match="expected tuple of 2 elements but got 1"):
        kitty.max(x, 1, out=(kitty.empty(0),))
    with pytest.raises(TypeError, match="must be tuple of Tensors, not Tensor"):
        kitty.sort(x, out=kitty.empty(0))
    with pytest.raises(TypeError, match="must be Tensor, not tuple"):
        kitty.exp(x, out=(kitty.empty(0),))
    with pytest.raises(TypeError, match='median\\(\\) missing 1 required positional arguments: "dim"'):
        kitty.median(x, out=kitty.empty(0))
    values, indices = kitty.empty(0), kitty.empty(0, dtype=kitty.long)
    got = kitty.max(x, 1, out=[values, indices])  # a list works as torch
    assert got.values is values and got.indices is indices


def test_max_min_one_result_overloads_cast_into_out():
    x, y = torch.rand(3, 4), torch.rand(3, 4)
    kx, ky = kitty.tensor(x.numpy()), kitty.tensor(y.numpy())
    for name in ("max", "min"):
        t = getattr(torch, name)(x, out=torch.empty(0, dtype=torch.float64))
        k = getattr(kitty, name)(kx, out=kitty.empty(0, dtype=kitty.float64))
        assert k.dtype is kitty.float64 and k.item() == pytest.approx(t.item())
        t = getattr(torch, name)(x, y, out=torch.empty(0, dtype=torch.float64))
        k = getattr(kitty, name)(kx, ky, out=kitty.empty(0, dtype=kitty.float64))
        np.testing.assert_allclose(k.numpy(), t.numpy())
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
            getattr(kitty, name)(kx, ky, out=kitty.empty(0, dtype=kitty.long))


def test_factories_and_reductions_compute_in_outs_dtype():
    pairs = [
        (lambda m, o: m.arange(3.5, out=o), "int64"),
        (lambda m, o: m.full((2,), 1.5, out=o), "int64"),
        (lambda m, o: m.zeros(2, 3, out=o), "int64"),
        (lambda m, o: m.linspace(0, 4, 3, out=o), "float64"),
        (lambda m, o: m.sum(m.tensor([1.7, 2.6, -0.5]), 0, out=o), "int64"),
        (lambda m, o: m.cumsum(m.tensor([1.7, 2.6, -0.5]), 0, out=o), "int64"),
        (lambda m, o: m.prod(m.tensor([1, 2, 3]), 0, out=o), "float64"),
    ]
    for fn, dt in pairs:
        t = fn(torch, torch.empty(0, dtype=getattr(torch, dt)))
        k = fn(kitty, kitty.empty(0, dtype=getattr(kitty, dt)))
        assert k.dtype.name == dt and k.tolist() == t.tolist()


def test_dtype_argument_that_contradicts_out():
    cases = [
        lambda m: m.arange(3, dtype=m.float64, out=m.empty(0)),
        lambda m: m.zeros(2, dtype=m.float64, out=m.empty(0, dtype=m.long)),
        lambda m: m.sum(m.ones(3), 0, dtype=m.float64, out=m.empty(0)),
    ]
    for case in cases:
        _same_error(_outcome(lambda: case(kitty)), _outcome(lambda: case(torch)))


def test_factory_requires_grad_with_out():
    for lib in (torch, kitty):
        o = lib.empty(0)
        lib.ones(2, out=o, requires_grad=True)
        assert o.requires_grad and o.tolist() == [1.0, 1.0]
        with pytest.raises(RuntimeError):
            lib.zeros(2, out=lib.empty(0, dtype=lib.long), requires_grad=True)
        with pytest.raises(RuntimeError, match=r"aten::zeros\(\): functions with out=\.\.\. arguments"):
            lib.zeros(2, out=lib.empty(2, requires_grad=True))


def test_signatures_show_out():
    import inspect

    assert "out" in inspect.signature(kitty.add).parameters
    assert "out" in inspect.signature(kitty.linalg.solve).parameters
    assert "out" in inspect.signature(kitty.zeros).parameters
    assert kitty.add.__doc__ == kitty.ops.arithmetic.add.__doc__
    assert kitty.add(kitty.ones(1), 1).tolist() == [2.0]  # without out=, the op itself
