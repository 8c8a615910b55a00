"""Linear layers as ops: ``linear`` and ``bilinear``."""
from __future__ import annotations

import math

from ... import backend as B
from ...autograd import function as _function
from ...autograd.function import Op
from ...errors import KittyIndexError, KittyRuntimeError
from .. import _gemm
from .. import linalg as _linalg
from .._fused import _same_dtype
from .._autocast import _state as _autocast_state
from .._autocast import autocast_args
from .._prep import as_tensor_arg, dtype_name, mm_dtype_error, torch_named

# ---------------------------------------------------------------------------------------------
# linear maps


#: torch's node for linear by (input dims, capped at 3; bias given): addmm/mm for a matrix input,
#: a view of one otherwise
_TORCH_LINEAR = {
    (1, True): "ViewBackward0", (1, False): "SqueezeBackward4",
    (2, True): "AddmmBackward0", (2, False): "MmBackward0",
    (3, True): "ViewBackward0", (3, False): "UnsafeViewBackward0",
}


class Linear(Op):
    """``x @ w.T + b`` in one node (the gradient of b is summed over the leading dims)."""

    saved_fields = ("w", "x")
    saved_inputs = (0, 1)
    save_needed = {0: (1,), 1: (0,)}  # x is read only for w's gradient and w only for x's (torch saves so)
    _name = "AddmmBackward"
    float16_opmath = True  # torch's float16 addmm adds the bias before its one rounding
    torch_saved = {"mat1": "x", "mat2": ("w", "T")}  # torch's addmm saves weight.t()

    def forward(self, x, w, b):
        self.x, self.w = x, w
        self.torch_label = _TORCH_LINEAR[min(x.ndim, 3), b is not None]  # (only torch's name reads it)
        return _gemm.rows_affine(x, w, b)

    def torch_leaf_order(self):
        # torch's linear is addmm(bias, input, weight.t()), through views of the input but for a
        # matrix: the bias's leaf is reached first, the weight's only after the t() node, and the
        # input's between them for a matrix, after them through its views
        label = self.__dict__.get("torch_label")
        if label == "AddmmBackward0":
            return (2, 0, 1)
        return (2, 1, 0) if label == "ViewBackward0" else None

    def backward(self, g):
        need = self.needs_input_grad
        x, w = self.x, self.w
        g = _gemm.blas_ready(g)
        gx = gw = gb = None
        if g.ndim == 2:  # a batch of rows, the common case: no stack to fold
            if need[0]:
                gx = _gemm.matmul(g, w)
            if need[1]:
                gw = _gemm.matmul(g.T, x)
            g2 = g
        else:
            if need[0]:
                gx = _gemm.rows_matmul(g, w)
            if need[1]:
                gw = _gemm.rows_outer(g, x)
            g2 = g.reshape(-1, w.shape[0]) if need[2] else None
        if need[2]:
            gb = _column_sums(g2)
        return gx, gw, gb


def _column_sums(g2):
    """``g2.sum(0)``: a bias's gradient. einsum's loop for rows of up to 128 (0.07 vs 0.09 ms at
    2048 x 96), NumPy's reduction for longer rows (3.7 vs 4.3 us at 128 x 256); the two add the rows
    in the same order, so the bits are the same."""
    if type(g2) is B.ndarray and g2.flags.c_contiguous and g2.shape[1] <= 128:
        return B.array_einsum("ij->j", g2)
    return g2.sum(0)


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` (torch's layout: weight is ``(out_features, in_features)``).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.linear(kitty.ones(2, 3), kitty.ones(4, 3)).shape
    kittygrad.Size([2, 4])
    """
    T = _function.Tensor
    if isinstance(input, T) and isinstance(weight, T) and _autocast_state.cpu_dtype is None:
        # the common call, every check passed as is: one dtype, a matrix weight whose columns
        # match the input's last dim (the general path below costs a microsecond more per layer)
        xd, wd = input._data, weight._data
        if (wd.ndim == 2 and xd.ndim and xd.shape[-1] == wd.shape[1] and xd.dtype == wd.dtype
                and (bias is None or (isinstance(bias, T) and bias._data.dtype == wd.dtype))):
            return Linear.apply(input, weight, bias)
    x, w = as_tensor_arg(input), as_tensor_arg(weight, "weight")
    b = as_tensor_arg(bias, "bias") if bias is not None else None
    x, w, b = autocast_args("linear", x, w, b)
    if x._data.ndim == 0 or w._data.ndim == 0:
        raise KittyRuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {x._data.ndim}D and {w._data.ndim}D"
        )
    if w._data.ndim > 2:  # (torch transposes the weight first)
        raise KittyRuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {w._data.ndim}D")
    if w._data.ndim != 2:
        raise KittyRuntimeError(f"linear: weight must be 2-D, got {w._data.ndim}-D")
    if x._data.ndim == 0 or x._data.shape[-1] != w._data.shape[1]:
        shape = x._data.shape
        rows = int(math.prod(shape[:-1])) if len(shape) > 1 else 1
        raise KittyRuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{shape[-1] if shape else 1} and "
            f"{w._data.shape[1]}x{w._data.shape[0]})"
        )
    _check_linear_dtypes(x, w, b)
    return Linear.apply(x, w, b)


def _check_linear_dtypes(x, w, b) -> None:
    """Raise torch's error where ``linear(x, w, b)``'s dtypes differ: addmm's with a bias, mm's without."""
    if b is not None and b._data.dtype != w._data.dtype:  # (torch's addmm checks its bias first)
        raise KittyRuntimeError(f"self and mat2 must have the same dtype, but got {dtype_name(b)} and {dtype_name(w)}")
    if x._data.dtype != w._data.dtype:
        if b is None:
            raise mm_dtype_error(x, w)
        raise KittyRuntimeError(f"mat1 and mat2 must have the same dtype, but got {dtype_name(x)} and {dtype_name(w)}")


class Bilinear(Op):
    """``y[n, o] = x1[n, i] w[o, i, j] x2[n, j] + b[o]``."""

    saved_fields = ("a", "c", "lead", "w")
    saved_inputs = (0, 1, 2)

    def forward(self, x1, x2, w, b):
        xp = self.xp
        # torch's bilinear is a product viewed back to the input's shape, plus the bias
        self.torch_label = "AddBackward0" if b is not None else "ViewBackward0"  # (only torch's name reads it)
        lead = x1.shape[:-1]
        a = x1.reshape(-1, x1.shape[-1])
        c = x2.reshape(-1, x2.shape[-1])
        self.a, self.c, self.w, self.lead = a, c, w, lead
        out = xp.einsum("ni,oij,nj->no", a, w, c, optimize=True)
        if b is not None:
            out += b
        return out.reshape(lead + (w.shape[0],))

    def torch_leaf_order(self):
        # torch's bilinear adds the bias after its product (a node that takes the inputs and
        # weight in its own order): the bias's leaf is reached first
        return (3, 2, 1, 0)

    def composite(self, x1, x2, w, b):
        out = _linalg.einsum("...i,oij,...j->...o", x1, w, x2)
        return out + b if b is not None else out

    def backward(self, g):
        xp = self.xp
        need = self.needs_input_grad
        a, c, w = self.a, self.c, self.w
        g2 = g.reshape(-1, w.shape[0])
        g1 = gc = gw = gb = None
        if need[0]:
            g1 = xp.einsum("no,oij,nj->ni", g2, w, c, optimize=True).reshape(self.lead + (a.shape[1],))
        if need[1]:
            gc = xp.einsum("no,oij,ni->nj", g2, w, a, optimize=True).reshape(self.lead + (c.shape[1],))
        if need[2]:
            gw = xp.einsum("no,ni,nj->oij", g2, a, c, optimize=True)
        if need[3]:
            gb = g2.sum(0)
        return g1, gc, gw, gb


def bilinear(input1, input2, weight, bias=None):
    """``x1^T W x2 + b`` for each output feature; weight is ``(out, in1, in2)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.bilinear(kitty.ones(2, 3), kitty.ones(2, 4), kitty.ones(5, 3, 4)).shape
    kittygrad.Size([2, 5])
    """
    x1, x2, w = as_tensor_arg(input1), as_tensor_arg(input2, "input2"), as_tensor_arg(weight, "weight")
    b = as_tensor_arg(bias, "bias") if bias is not None else None
    # torch's checks, in its order and words: ranks, each batch dim, each input's features, the bias
    s1, s2, sw = x1._data.shape, x2._data.shape, w._data.shape
    if len(s1) != len(s2):
        raise KittyRuntimeError(f"bilinear(): input dimensions do not match: got {len(s1)} and {len(s2)}")
    for dim, (a, c) in enumerate(zip(s1[:-1], s2[:-1])):
        if a != c:
            raise KittyRuntimeError(f"bilinear(): input batch dimensions do not match at dim {dim}: got {a} and {c}")
    for which, features, wdim in (("input1", s1[-1], 1), ("input2", s2[-1], 2)):
        if wdim >= len(sw):
            raise KittyIndexError(
                f"Dimension out of range (expected to be in range of [{-len(sw)}, {len(sw) - 1}], but got {wdim})"
            )
        if features != sw[wdim]:
            raise KittyRuntimeError(
                f"bilinear(): {which} size does not match weight size: got {features} but expected {sw[wdim]}"
            )
    if b is not None and b._data.ndim == 0:
        raise KittyIndexError("Dimension specified as 0 but tensor has no dimensions")
    if b is not None and b._data.shape[0] != sw[0]:
        raise KittyRuntimeError(f"bilinear(): bias size does not match weight size: got {b._data.shape[0]} but expected {sw[0]}")
    if len(sw) != 3:
        raise KittyRuntimeError("number of dimensions must match")
    _same_dtype("bilinear", x1, x2, w, b)
    # (torch's bilinear is a view of its _trilinear product, plus the bias)
    return torch_named(Bilinear.apply(x1, x2, w, b), "AddBackward0" if b is not None else "ViewBackward0")
