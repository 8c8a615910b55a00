"""Loss functions: pointwise (MSE, L1, Huber), classification (NLL, cross-entropy, BCE) and KL."""
from __future__ import annotations

import math
import warnings

from ... import backend as B
from ... import dtypes as D
from ...autograd import function as F
from ...autograd.function import Op
from ...autograd.refusals import check_saved_index
from ...errors import KittyIndexError, KittyNotImplementedError, KittyRuntimeError, KittyValueError, user_stacklevel
from .. import _kernels as _k
from .. import activation as _activation
from .. import comparison as _comparison
from .._autocast import float32_args
from .._fused import _const, _float, _sigmoid, _softplus, xp
from .._prep import as_tensor_arg, broadcast_shape_of, cast, dtype_name, expand_to, scaled_own, torch_named
from ..activation import Softplus

# ---------------------------------------------------------------------------------------------
# losses


_REDUCTIONS = ("none", "mean", "sum")
_INT64, _UINT64 = xp.dtype(xp.int64), xp.dtype(xp.uint64)
_PLAIN_LOGITS = (xp.dtype(xp.float32), xp.dtype(xp.float64))


def _check_reduction(reduction: str) -> str:
    if reduction not in _REDUCTIONS:
        raise KittyValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """torch's rule for the deprecated ``size_average``/``reduce`` arguments."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "none" if not reduce else "mean" if size_average else "sum"
    # the advice names the reduction the old arguments amount to
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{result}' instead.")
    return result


def _reduce_array(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return xp.asarray(loss.sum(), dtype=loss.dtype)
    with B.errstate(invalid="ignore", divide="ignore"):
        return xp.asarray(loss.mean(), dtype=loss.dtype)


def _expand_reduced(g, shape, reduction, dtype):
    """The upstream gradient of a reduced loss, per element."""
    if reduction == "none":
        return g
    n = math.prod(shape)
    if reduction == "mean":
        g = g / n if n else g
    if g.dtype != dtype:  # (astype, not asarray: a graph-building g must stay one)
        g = g.astype(dtype)
    return xp.broadcast_to(g, shape)


def _recomputing(node, grads, names):
    """``Op._graph_backward`` with the derived values ``names`` hidden (their class default is
    None), so the backward formula recomputes them from the graph-building inputs."""
    d = node.__dict__
    hidden = {n: d.pop(n) for n in names if n in d}
    try:
        return Op._graph_backward(node, grads)
    finally:
        d.update(hidden)


class PointwiseLoss(Op):
    """Elementwise regression losses of ``d = input - target``: mse, l1, smooth_l1, huber."""

    saved_fields = ("beta", "d", "kind", "loss", "reduction", "w")
    saved_inputs = (0, 1)

    def forward(self, x, y, w=None, kind="mse", reduction="mean", beta=1.0):
        d = x - y
        a = xp.abs(d) if kind != "mse" else None
        if kind == "mse" and w is None and reduction != "none" and type(d) is B.ndarray and d.size:
            # the sum of squares in one fused pass (no array of squares)
            self.d, self.w, self.kind, self.reduction, self.beta = d, w, kind, reduction, beta
            self._name = "MseLossBackward"
            total = _k.sum_of_squares(d)
            return xp.asarray(total if reduction == "sum" else total / d.dtype.type(d.size), dtype=x.dtype)
        if kind == "mse":
            loss = d * d
        elif kind == "l1":
            loss = a
        elif kind == "smooth_l1":
            loss = a - 0.5 * beta if beta == 0 else B.select(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)
        else:  # huber
            loss = B.select(a < beta, 0.5 * d * d, beta * (a - 0.5 * beta))
        loss = loss.astype(x.dtype, copy=False)
        self.d, self.w, self.kind, self.reduction, self.beta = d, w, kind, reduction, beta
        self._name = {"mse": "MseLossBackward", "l1": "L1LossBackward", "smooth_l1": "SmoothL1LossBackward"}.get(kind, "HuberLossBackward")
        if w is not None:
            self.loss = loss
            loss = loss * w
        return _reduce_array(loss, reduction)

    def composite(self, x, y, w=None, kind="mse", reduction="mean", beta=1.0):
        d = x - y
        a = d.abs()
        if kind == "mse":
            loss = d * d
        elif kind == "l1":
            loss = a
        elif kind == "smooth_l1":
            loss = a - 0.5 * beta if beta == 0 else _comparison.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)
        else:
            loss = _comparison.where(a < beta, 0.5 * d * d, beta * (a - 0.5 * beta))
        if w is not None:
            loss = loss * w
        if reduction == "none":
            return loss
        return loss.sum() if reduction == "sum" else loss.mean()

    def backward(self, g):
        need = self.needs_input_grad
        d, kind, beta = self.d, self.kind, self.beta
        if kind == "mse" and self.w is None and self.reduction != "none":
            # the upstream gradient is one number: scale it first, then one pass over d
            n = math.prod(d.shape)
            coef = (g * (2 / n) if self.reduction == "mean" and n else g * 2).astype(d.dtype, copy=False)
            gd = scaled_own(self, d, coef)  # (d was made for backward alone)
            return (gd if need[0] else None), (-gd if need[1] else None), None
        ge = _expand_reduced(g, d.shape, self.reduction, d.dtype)
        if kind == "mse":
            dd = 2 * d
        elif kind == "l1":
            dd = _k.signs(d)  # (torch's sign: a NaN difference gets 0)
        elif kind == "smooth_l1":
            dd = _k.signs(d) if beta == 0 else xp.clip(d / beta, -1, 1)  # (d / beta is +-1 or beyond where |d| >= beta)
        else:
            dd = xp.clip(d, -beta, beta)
        gd = ge * dd
        gw = None
        if self.w is not None:
            if len(need) > 2 and need[2]:
                gw = ge * self.loss
            gd = gd * self.w
        gd = gd.astype(d.dtype, copy=False)
        return (gd if need[0] else None), (-gd if need[1] else None), gw


def _loss_pair(name, input, target, check_size=True):
    x, y = float32_args(name, as_tensor_arg(input), as_tensor_arg(target, "target"))
    if check_size and x._data.shape != y._data.shape:
        warnings.warn(
            f"Using a target size ({y.shape}) that is different to the input size ({x.shape}). This will "
            "likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=user_stacklevel(),  # (the caller's line, as torch's: mse_loss reaches here through _pointwise)
        )
    if x._data.dtype != y._data.dtype:
        rt = D.promote_types(x.dtype, y.dtype)
        x, y = cast(x, rt), cast(y, rt)
    if not B.is_float(x._data.dtype):
        if name == "l1_loss":  # torch's l1 is a mean of |x - y|, which refuses integers itself
            raise KittyRuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                                    f"point or complex dtype. Got: {dtype_name(x)}")
        kernel = {"mse_loss": "mse_cpu", "smooth_l1_loss": "smooth_l1_cpu", "huber_loss": "huber_cpu"}.get(name, name)
        raise KittyNotImplementedError(f'"{kernel}" not implemented for \'{dtype_name(x)}\'')
    shape = broadcast_shape_of(x._data.shape, y._data.shape)
    return expand_to(x, shape), expand_to(y, shape)


def _pointwise(kind, name, input, target, reduction, beta=1.0, weight=None):
    _check_reduction(reduction)
    x, y = _loss_pair(name, input, target)
    w = None
    if weight is not None:
        w = expand_to(cast(as_tensor_arg(weight, "weight"), x.dtype), x._data.shape)
    return PointwiseLoss.apply(x, y, w, kind=kind, reduction=reduction, beta=float(beta))


def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None):
    """Mean squared error.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.mse_loss(kitty.tensor([1., 2.]), kitty.tensor([1., 4.]))
    tensor(2.)
    """
    return _pointwise("mse", "mse_loss", input, target, _legacy_reduction(size_average, reduce, reduction), weight=weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None):
    """Mean absolute error.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.l1_loss(kitty.tensor([1., 2.]), kitty.tensor([1., 4.]))
    tensor(1.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _named_as_l1(_pointwise("l1", "l1_loss", input, target, reduction, weight=weight), reduction)


#: the node torch's last op records when it composes a loss from pointwise ops and a reduction
_REDUCTION_NODES = {"mean": "MeanBackward0", "sum": "SumBackward0"}


def _named_as_l1(out, reduction: str):
    """``out`` named as torch names l1_loss: ``|input - target|`` then the reduction, whose node is last."""
    return torch_named(out, _REDUCTION_NODES.get(reduction, "AbsBackward0"))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
    """Quadratic below ``beta``, linear above (``0.5 d**2 / beta`` or ``|d| - beta / 2``).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.smooth_l1_loss(kitty.tensor([0., 0.]), kitty.tensor([0.5, 3.]))
    tensor(1.3125)
    """
    if beta < 0:
        raise KittyRuntimeError("smooth_l1_loss does not support negative values for beta.")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    out = _pointwise("smooth_l1", "smooth_l1_loss", input, target, reduction, beta)
    return _named_as_l1(out, reduction) if beta == 0 else out  # (torch computes l1_loss then)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """``0.5 d**2`` below ``delta``, ``delta * (|d| - delta / 2)`` above.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.huber_loss(kitty.tensor([0., 0.]), kitty.tensor([0.5, 3.]))
    tensor(1.3125)
    """
    if delta <= 0:
        raise KittyRuntimeError("huber_loss does not support non-positive values for delta.")
    return _pointwise("huber", "huber_loss", input, target, reduction, delta, weight)


def _accumulator(dtype):
    """The dtype a loss sums its rows and weights in: float32 for 16-bit floats (as torch's
    accumulate type), else the loss's own."""
    return xp.dtype(xp.float32) if dtype.itemsize < 4 else dtype


class ClassNll(Op):
    """Negative log-likelihood of class indices, optionally on logits (a fused log-softmax).

    ``x``: ``(M, C)`` rows; ``target``: ``(M,)`` ints; weight, ignore_index and label smoothing
    as torch's cross_entropy. Output: per-row losses or their weighted mean / sum.
    """

    saved_fields = ("args", "denom", "e", "shape", "ssum", "tc", "valid", "weight", "wt")
    _name = "NllLossBackward"
    graph_formal_inputs = (0,)  # torch: nll_loss_backward(grad, self, target, ...)

    def forward(self, x, target=None, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0, logits=True, out_shape=None):
        m, c = x.shape
        if m and weight is None and not label_smoothing:
            if ignore_index < 0 and target.dtype is _INT64:
                # every target in [0, c), so none ignored, in one reduction: read as unsigned, a
                # negative target is huge
                plain = int(target.view(_UINT64).max()) < c
            else:
                lo, hi = int(target.min()), int(target.max())
                plain = 0 <= lo and hi < c and not lo <= ignore_index <= hi
            if plain:
                if logits:
                    return self._plain_forward(x, target, reduction, out_shape)
                return self._plain_nll_forward(x, target, reduction, out_shape)
        valid = target != ignore_index
        tc = xp.where(valid, target, 0)
        if m and (tc.min() < 0 or tc.max() >= c):  # (ignored rows hold 0 in tc: look closer)
            bad = target[valid]
            bad = bad[(bad < 0) | (bad >= c)]
            if bad.size:
                raise KittyIndexError(f"Target {int(bad[0])} is out of bounds.")
        wt = weight[tc] * valid if weight is not None else valid.astype(x.dtype)
        picked = x[xp.arange(m), tc]
        if logits:
            # log p = x - lse(x); only the picked entries (and, with smoothing, a row sum) are needed
            self._name = "CrossEntropyLossBackward"
            shift = x.max(axis=1, keepdims=True, initial=-xp.inf)
            xs = x - shift
            e = xp.exp(xs)
            ssum = _k.sum_last(e)
            log_ssum = xp.log(ssum)[:, 0]
            # (x - shift) - log(ssum), not x - lse: no cancellation between two large numbers
            picked = (picked - shift[:, 0]) - log_ssum
            self.e, self.ssum = e, ssum
        loss = -(1 - label_smoothing) * wt * picked
        if label_smoothing:
            src = xs if logits else x
            rows = (src * weight).sum(1) if weight is not None else src.sum(1)
            if logits:
                rows = rows - log_ssum * (weight.sum(dtype=_accumulator(weight.dtype)) if weight is not None else c)
            loss = loss - (label_smoothing / c) * rows * valid
        loss = loss.astype(x.dtype, copy=False)
        self.tc, self.valid, self.wt, self.weight, self.shape = tc, valid, wt, weight, x.shape
        self.args = (reduction, label_smoothing, logits, out_shape)
        if reduction == "none":
            return loss.reshape(out_shape)
        acc = _accumulator(x.dtype)
        if reduction == "sum":
            return xp.asarray(xp.add.reduce(loss, dtype=acc), dtype=x.dtype)
        self.denom = wt.sum(dtype=acc)  # (a 16-bit sum of the weights stops growing: 256 in bfloat16)
        with B.errstate(invalid="ignore", divide="ignore"):
            return xp.asarray(xp.add.reduce(loss, dtype=acc) / self.denom, dtype=x.dtype)

    def _plain_forward(self, x, target, reduction, out_shape):
        """Cross-entropy without class weights or smoothing, every target in range and none
        ignored: the general formulas with the all-ones weights and masks left out (the same
        roundings; a quarter of the array calls, which is what a small batch's step pays for)."""
        m = x.shape[0]
        self._name = "CrossEntropyLossBackward"
        e = x - x.max(axis=1, keepdims=True, initial=-xp.inf)  # (initial: NumPy's faster loop, 1.4-1.7x)
        picked = e[xp.arange(m), target]
        xp.exp(e, out=e)  # (the shifted logits are not needed once the targets' are picked)
        ssum = _k.sum_last(e)
        loss = xp.log(ssum)[:, 0]
        loss -= picked  # -((x - shift) - log ssum) at the target, as the general path
        self.e, self.ssum, self.tc, self.valid, self.wt, self.weight, self.shape = e, ssum, target, None, None, None, x.shape
        self.args = (reduction, 0.0, True, out_shape)
        return self._plain_reduced(loss, x, reduction, out_shape)

    def _plain_nll_forward(self, x, target, reduction, out_shape):
        """NLL of log-probabilities under _plain_forward's conditions: the general formulas' values
        (their weights and masks are ones, so each loss is the picked entry negated, exactly)."""
        m = x.shape[0]
        loss = -x[xp.arange(m), target]
        self.e = self.ssum = None
        self.tc, self.valid, self.wt, self.weight, self.shape = target, None, None, None, x.shape
        self.args = (reduction, 0.0, False, out_shape)
        return self._plain_reduced(loss, x, reduction, out_shape)

    def _plain_reduced(self, loss, x, reduction, out_shape):
        """The plain routes' per-row losses reduced as the general route reduces them."""
        if reduction == "none":
            return loss.reshape(out_shape)
        acc = _accumulator(x.dtype)
        if reduction == "sum":
            return xp.asarray(xp.add.reduce(loss, dtype=acc), dtype=x.dtype)
        self.denom = acc.type(x.shape[0])
        return xp.asarray(xp.add.reduce(loss, dtype=acc) / self.denom, dtype=x.dtype)

    def composite(self, x, target=None, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0, logits=True, out_shape=None):
        """The same loss from differentiable ops (double backward differentiates this)."""
        m, c = x._data.shape
        logp = _activation.log_softmax(x, 1) if logits else x
        onehot = xp.zeros((m, c), x._data.dtype)
        onehot[xp.arange(m), self.tc] = 1
        picked = (logp * _const(onehot, x)).sum(1)
        wt = self.wt if self.valid is not None else xp.ones(m, x._data.dtype)  # (_plain_forward's case)
        loss = picked * _const(-(1 - label_smoothing) * wt, x)
        if label_smoothing:
            rows = (logp * _const(weight, x)).sum(1) if weight is not None else logp.sum(1)
            loss = loss - rows * _const((label_smoothing / c) * self.valid, x)
        if reduction == "none":
            return loss.reshape(out_shape)
        if reduction == "sum":
            return loss.sum()
        return loss.sum() / _const(self.denom, x)

    def backward(self, g):
        reduction, ls, logits, _ = self.args
        tc, valid, wt, weight = self.tc, self.valid, self.wt, self.weight
        m, c = self.shape
        if reduction == "none":
            scale = g.reshape(-1)
        elif reduction == "sum":
            scale = g  # (one number: it broadcasts over the rows below)
        elif valid is None:
            scale = g / self.denom  # (the number of rows, one or more: nothing to keep NumPy quiet about)
        else:
            with B.errstate(invalid="ignore", divide="ignore"):
                scale = g / self.denom
        if valid is None and not logits:  # _plain_nll_forward's case: -scale at each target
            gx = xp.zeros(self.shape, g.dtype)
            gx[xp.arange(m), tc] -= scale
            return (gx,)
        if valid is None:  # _plain_forward's case: softmax * scale, less scale at the target
            gx = scaled_own(self, self.e, scale / self.ssum if scale.ndim == 0 else (scale / self.ssum[:, 0])[:, None])
            gx[xp.arange(m), tc] -= scale
            return (gx.astype(g.dtype, copy=False),)
        # d loss / d log p at the target, and (times the class weight) at every class; ignored
        # rows are selected out, as torch, so an infinite gradient leaves them 0, not nan
        hit = xp.where(valid, -(1 - ls) * wt * scale, 0)
        smooth = xp.where(valid, (ls / c) * scale, 0) if ls else 0  # (not 0 * scale: inf would give nan)
        if logits:
            # d/dx = G - softmax * rowsum(G), with G the gradient w.r.t. log p
            total = -hit + smooth * (weight.sum(dtype=_accumulator(weight.dtype)) if weight is not None else c)
            gx = scaled_own(self, self.e, (total / self.ssum[:, 0])[:, None])
        else:
            gx = xp.zeros(self.shape, g.dtype)
        gx[xp.arange(m), tc] += hit  # (one target per row: no repeated index to accumulate)
        if ls:
            gx -= smooth[:, None] * (weight if weight is not None else 1.0)
        return (gx.astype(g.dtype, copy=False),)


class SoftCrossEntropy(Op):
    """Cross-entropy against class probabilities (``target`` has the logits' shape)."""

    saved_fields = ("args", "logp", "tt", "weight", "wl")
    _name = "CrossEntropyLossBackward"

    def forward(self, x, t, weight=None, reduction="mean", label_smoothing=0.0, out_shape=None):
        m, c = x.shape
        shifted = x - x.max(axis=1, keepdims=True, initial=-xp.inf)
        logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        tt = t * (1 - label_smoothing) + label_smoothing / c if label_smoothing else t
        wl = logp * weight if weight is not None else logp
        loss = -(wl * tt).sum(1)
        self.logp, self.tt, self.wl, self.weight = logp, tt, wl, weight
        self.args = (reduction, label_smoothing, out_shape)
        if reduction == "none":
            return loss.reshape(out_shape)
        if reduction == "sum":
            return xp.asarray(loss.sum(), dtype=x.dtype)
        return xp.asarray(loss.sum() / m, dtype=x.dtype)

    def composite(self, x, t, weight=None, reduction="mean", label_smoothing=0.0, out_shape=None):
        m, c = x._data.shape
        logp = _activation.log_softmax(x, 1)
        tt = t * (1 - label_smoothing) + label_smoothing / c if label_smoothing else t
        wl = logp * _const(weight, x) if weight is not None else logp
        loss = -(wl * tt).sum(1)
        if reduction == "none":
            return loss.reshape(out_shape)
        if reduction == "sum":
            return loss.sum()
        return loss.sum() / m

    def backward(self, g):
        need = self.needs_input_grad
        reduction, ls, _ = self.args
        logp = self.logp
        m, c = logp.shape
        if reduction == "none":
            scale = g.reshape(-1, 1)
        elif reduction == "sum":
            scale = g
        else:
            scale = g / m
        gx = gt = None
        if need[0]:
            G = -self.tt * scale
            if self.weight is not None:
                G = G * self.weight
            gx = (G - xp.exp(logp) * G.sum(axis=1, keepdims=True)).astype(logp.dtype, copy=False)
        if need[1]:
            gt = (-self.wl * scale * (1 - ls)).astype(logp.dtype, copy=False)
        return gx, gt


def _class_rows(x, name):
    """Logits ``(N, C, d1, ...)`` (or ``(C,)``) as rows ``(M, C)`` plus the per-sample shape."""
    nd = x._data.ndim
    if nd == 0:
        raise KittyValueError(f"{name}: input must have at least 1 dimension")
    if nd == 1:
        return x.unsqueeze(0), (), True
    if nd == 2:
        return x, (x._data.shape[0],), False
    n, c = x._data.shape[:2]
    rest = x._data.shape[2:]
    perm = (0,) + tuple(range(2, nd)) + (1,)
    return x.permute(*perm).reshape(-1, c), (n,) + rest, False


def _class_weight(weight, x, c):
    if weight is None:
        return None
    w = as_tensor_arg(weight, "weight")
    if w._data.ndim != 1 or w._data.shape[0] != c:
        raise KittyRuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got weight tensor "
            f"of shape: {list(w._data.shape)}"
        )
    return w._data.astype(x._data.dtype, copy=False)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    """Cross-entropy of logits ``(N, C, ...)`` against class indices ``(N, ...)`` or class
    probabilities (same shape as the logits); log-softmax is fused in and stable.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.cross_entropy(kitty.tensor([[0., 0.]]), kitty.tensor([1]))
    tensor(0.6931)
    """
    if (weight is None and size_average is None and reduce is None and not label_smoothing
            and (reduction == "mean" or reduction == "sum")):
        plain = _plain_class_rows(input, target)
        if plain is not None:
            loss = ClassNll.apply(input, target=plain, weight=None, ignore_index=ignore_index, reduction=reduction,
                                  label_smoothing=0.0, logits=True, out_shape=plain.shape)
            return torch_named(loss, "NllLossBackward0")
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    x = float32_args("cross_entropy", as_tensor_arg(input))[0]
    # torch's log_softmax kernel refuses integer logits, in its words for the class dim being last or not
    x = _float(x, "log_softmax_lastdim_kernel_impl" if x._data.ndim <= 2 else "log_softmax_kernel_impl")
    t = as_tensor_arg(target, "target")
    check_saved_index(t, x)
    if not 0.0 <= label_smoothing <= 1.0:
        raise KittyRuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    # as torch: a target of the input's shape holds class probabilities, any other class indices
    soft = t._data.shape == x._data.shape
    if soft and not B.is_float(t._data.dtype):
        raise KittyRuntimeError(f"Expected floating point type for target with class probabilities, got {dtype_name(t)}")
    if x._data.ndim == 0:  # (torch's log-softmax over the class dim 1 is what refuses it)
        raise KittyIndexError("Dimension specified as 1 but tensor has no dimensions" if soft else
                              "Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    rows, out_shape, unbatched = _class_rows(x, "cross_entropy")
    c = rows._data.shape[1]
    w = _class_weight(weight, x, c)
    if soft:
        if ignore_index >= 0:
            raise KittyRuntimeError("ignore_index is not supported for floating point target")
        # torch multiplies the log-probabilities by the target: the wider float dtype of the two is
        # the loss's (float64 probabilities from NumPy make a float64 loss of float32 logits)
        dtype = D.from_numpy_dtype(B.promote_types(x._data.dtype, t._data.dtype))
        rows = cast(rows, dtype)
        w = w.astype(dtype.np, copy=False) if w is not None else None
        trows, _, _ = _class_rows(cast(t, dtype), "cross_entropy")
        loss = SoftCrossEntropy.apply(rows, trows, weight=w, reduction=reduction, label_smoothing=float(label_smoothing), out_shape=out_shape)
        return torch_named(loss, _class_loss_label(x, reduction, label_smoothing, soft=True))
    _check_targets(x, t, out_shape, unbatched)
    loss = ClassNll.apply(
        rows, target=t._data.reshape(-1).astype(xp.int64, copy=False), weight=w, ignore_index=ignore_index,
        reduction=reduction, label_smoothing=float(label_smoothing), logits=True, out_shape=out_shape,
    )
    return torch_named(loss, _class_loss_label(x, reduction, label_smoothing))


def _plain_class_rows(input, target):
    """The int64 targets of the common classifier call (float32/float64 logits ``(N, C)``, ``N`` long
    int64 class indices, N > 0), which every check of the general path passes as they are; else
    None. Such a call goes straight to its node: the general path's checks and conversions cost as
    much Python as the loss's own arithmetic at a small batch."""
    T = F.Tensor
    if type(input) is not T or type(target) is not T:
        return None
    x, t = input._data, target._data
    if (x.ndim != 2 or t.ndim != 1 or t.dtype is not _INT64 or x.dtype not in _PLAIN_LOGITS
            or t.shape[0] != x.shape[0] or not t.shape[0] or target._inference):
        return None
    return t


def _class_loss_label(x, reduction, label_smoothing=0.0, soft=False) -> str:
    """The node torch's cross_entropy / nll_loss ends on, which a printed loss names as its grad_fn:
    torch composes label smoothing (an add of two losses) and class-probability targets (a negated
    sum, divided for the mean) from other ops, and runs class indices of inputs of 3 or more dims
    through its 4-D kernel, reshaping an unreduced loss of another rank afterwards."""
    if soft:
        return "DivBackward1" if reduction == "mean" and x._data.size else "NegBackward0"
    if label_smoothing:
        return "AddBackward0"
    nd = x._data.ndim
    if nd <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if reduction == "none" and nd != 4 else "NllLoss2DBackward0"


def _check_targets(x, t, out_shape, unbatched):
    """torch's checks of class-index targets, in its order and words: they differ by the input's
    rank (1-D or 2-D, 4-D, and the rest, which torch folds into 4-D)."""
    nd, shape, tshape = x._data.ndim, tuple(x._data.shape), tuple(t._data.shape)
    if nd != 1 and (t._data.ndim == 0 or tshape[0] != shape[0]):
        raise KittyValueError(
            f"Expected input batch_size ({shape[0]}) to match target batch_size ({tshape[0] if tshape else 0})."
        )
    # torch's class-index kernels take these two dtypes (its 4-D path then only Long, below)
    wrong_dtype = t._data.dtype not in (xp.int64, xp.uint8)
    if nd <= 2:
        if t._data.ndim > 1:
            raise KittyRuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if wrong_dtype:
            raise KittyRuntimeError(f"expected target dtype to be Long or Byte, but got {dtype_name(t)}")
        if nd == 1 and tshape not in ((), (1,)):  # (one class index, squeezed, as the unbatched sample's)
            raise KittyValueError(f"For 1D input, 1D target must have size 1, but got target size: {tshape[0]}")
        return
    if nd == 4 and t._data.ndim != 3:
        raise KittyRuntimeError(
            f"only batches of spatial targets supported (3D tensors) but got targets of dimension: {t._data.ndim}"
        )
    if nd != 4 and tshape != tuple(out_shape):
        raise KittyRuntimeError(f"Expected target size {list(out_shape)}, got {list(tshape)}")
    if wrong_dtype:
        raise KittyRuntimeError(f"expected target dtype to be Long or Byte, but got {dtype_name(t)}")
    if tshape != tuple(out_shape):
        raise KittyRuntimeError(f"size mismatch (got input: {list(shape)} , target: {list(tshape)}")
    if t._data.dtype != xp.int64:
        raise KittyRuntimeError(f"expected scalar type Long but found {dtype_name(t)}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None, reduction: str = "mean"):
    """Negative log-likelihood of log-probabilities ``(N, C, ...)`` at class indices ``(N, ...)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.nll_loss(kitty.tensor([[-1., -2.]]), kitty.tensor([1]))
    tensor(2.)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    x = float32_args("nll_loss", as_tensor_arg(input))[0]
    if x._data.ndim == 0:
        raise KittyValueError("Expected 1 or more dimensions (got 0)")
    x = _float(x, "nll_loss_out_frame" if x._data.ndim <= 2 else "nll_loss2d_forward_out_frame")  # (torch's kernels)
    t = as_tensor_arg(target, "target")
    check_saved_index(t, x)
    rows, out_shape, unbatched = _class_rows(x, "nll_loss")
    w = _class_weight(weight, x, rows._data.shape[1])
    _check_targets(x, t, out_shape, unbatched)
    loss = ClassNll.apply(
        rows, target=t._data.reshape(-1).astype(xp.int64, copy=False), weight=w, ignore_index=ignore_index,
        reduction=reduction, logits=False, out_shape=out_shape,
    )
    return torch_named(loss, _class_loss_label(x, reduction))


class BinaryCrossEntropy(Op):
    saved_fields = ("reduction", "w", "x", "y")
    saved_inputs = (0, 1)
    _name = "BinaryCrossEntropyBackward"

    def forward(self, x, y, w, reduction="mean"):
        with B.errstate(divide="ignore"):
            lx = _k.bounded(xp.maximum, xp.log(x), -100)
            l1x = _k.bounded(xp.maximum, xp.log1p(-x), -100)
        loss = -(y * lx + (1 - y) * l1x)
        if w is not None:
            loss = loss * w
        self.x, self.y, self.w, self.reduction = x, y, w, reduction
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    graph_constants = ("w",)  # the weight argument: an array, never differentiated

    def backward(self, g):
        need = self.needs_input_grad
        x, y, w = self.x, self.y, self.w
        ge = _expand_reduced(g, x.shape, self.reduction, x.dtype)
        if w is not None:
            ge = ge * w
        gx = gy = None
        if need[0]:
            gx = ge * (x - y) / _k.bounded(xp.maximum, (1 - x) * x, 1e-12)
        if need[1]:
            # -logit(x), with the logs not clamped at -100 (as torch): +-inf where x is 0 or 1
            with B.errstate(divide="ignore"):
                gy = ge * -xp.log(x / (1 - x))
        return gx, gy, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
    """``-w (t log x + (1 - t) log(1 - x))`` for probabilities ``x`` (logs clamped at -100).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.binary_cross_entropy(kitty.tensor([0.5]), kitty.tensor([1.]))
    tensor(0.6931)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = float32_args("binary_cross_entropy", as_tensor_arg(input), as_tensor_arg(target, "target"))
    if x._data.shape != y._data.shape:
        raise KittyValueError(
            f"Using a target size ({y.shape}) that is different to the input size ({x.shape}) is deprecated. "
            "Please ensure they have the same size."
        )
    if y._data.dtype != x._data.dtype:
        # torch's kernel takes the target in the input's dtype only: 0/1 labels left as Long (the
        # usual slip with BCELoss) are refused, not cast
        raise KittyRuntimeError(f"Found dtype {dtype_name(y)} but expected {dtype_name(x)}")
    x = _float(x, "binary_cross_entropy")
    # by the extremes (NaN fails too, as in torch): inside vmap they are those of every sample at once
    if x._data.size and not (x._data.min() >= 0 and x._data.max() <= 1):
        raise KittyRuntimeError("all elements of input should be between 0 and 1")
    if y._data.size and not (y._data.min() >= 0 and y._data.max() <= 1):
        raise KittyRuntimeError("all elements of target should be between 0 and 1")
    w = None
    if weight is not None:
        w = xp.broadcast_to(as_tensor_arg(weight, "weight")._data.astype(x._data.dtype), x._data.shape)
    return BinaryCrossEntropy.apply(x, y, w, reduction=reduction)


class BceWithLogits(Op):
    """Sigmoid + binary cross-entropy in one stable step, with ``weight`` and ``pos_weight``."""

    saved_fields = ("lw", "pw", "raw", "reduction", "sp", "w", "x", "y")
    saved_inputs = (0, 1, 2, 3)
    _name = "BinaryCrossEntropyWithLogitsBackward"

    def forward(self, x, y, w, pw, reduction="mean"):
        sp = _softplus(-x)  # -log(sigmoid(x))
        lw = 1 + (pw - 1) * y if pw is not None else None
        raw = (1 - y) * x + (lw * sp if lw is not None else sp)
        loss = raw * w if w is not None else raw
        self.x, self.y, self.w, self.pw, self.lw, self.sp, self.raw = x, y, w, pw, lw, sp, raw
        self.reduction = reduction
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    def composite(self, x, y, w, pw, reduction="mean"):
        sp = Softplus.apply(-x, beta=1.0, threshold=math.inf)  # -log(sigmoid(x)), exact
        raw = (1 - y) * x + ((1 + (pw - 1) * y) * sp if pw is not None else sp)
        loss = raw * w if w is not None else raw
        if reduction == "none":
            return loss
        return loss.sum() if reduction == "sum" else loss.mean()

    def backward(self, g):
        need = self.needs_input_grad
        x, y, w, pw, lw, sp = self.x, self.y, self.w, self.pw, self.lw, self.sp
        shape = x.shape
        ge = _expand_reduced(g, shape, self.reduction, x.dtype)
        gw_el = ge * w if w is not None else ge
        gx = gy = gw = gpw = None
        if need[0]:
            s_neg = _sigmoid(-x)
            gx = gw_el * ((1 - y) - (lw if lw is not None else 1) * s_neg)
        if need[1]:
            gy = gw_el * (-x + ((pw - 1) * sp if pw is not None else 0))
        if w is not None and need[2]:
            gw = B.sum_to_shape(ge * self.raw, w.shape)
        if pw is not None and need[3]:
            gpw = B.sum_to_shape(gw_el * y * sp, pw.shape)
        return (gx, gy, gw, gpw)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None):
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits.

    ``pos_weight`` weighs the positive term (broadcast over the last dim, one per class).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.binary_cross_entropy_with_logits(kitty.tensor([0.]), kitty.tensor([1.]))
    tensor(0.6931)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = float32_args("binary_cross_entropy_with_logits", as_tensor_arg(input), as_tensor_arg(target, "target"))
    if x._data.shape != y._data.shape:
        raise KittyValueError(f"Target size ({y.shape}) must be the same as input size ({x.shape})")
    x = _float(x, "log_sigmoid_cpu")
    if not B.is_float(y._data.dtype):  # torch computes in the target's dtype, and a float result cannot go there
        if y._data.dtype.kind == "b":
            raise KittyRuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
                                    "`^` or `logical_xor()` operator instead.")
        raise KittyRuntimeError(f"result type {dtype_name(x)} can't be cast to the desired output type {dtype_name(y)}")
    if y._data.dtype != x._data.dtype:  # float32 logits with float64 targets give a float64 loss, as torch
        common = D.promote_types(x.dtype, y.dtype)
        x, y = cast(x, common), cast(y, common)
    w = pw = None
    if weight is not None:
        w = cast(as_tensor_arg(weight, "weight"), x.dtype)
        broadcast_shape_of(w._data.shape, x._data.shape)
    if pos_weight is not None:
        pw = cast(as_tensor_arg(pos_weight, "pos_weight"), x.dtype)
        broadcast_shape_of(pw._data.shape, x._data.shape)
    return BceWithLogits.apply(x, y, w, pw, reduction=reduction)


def _log_target(t):
    """log(t), with 0 where t is 0 (safe there for double backward; the loss uses t * 0)."""
    with B.errstate(divide="ignore", invalid="ignore"):
        return xp.where(t == 0, 0, xp.log(xp.where(t == 0, 1, t)))


class KlDiv(Op):
    """``target * (log(target) - input)`` (0 where target is 0), or with a log-target."""

    saved_fields = ("et", "log_target", "lt", "reduction", "t", "x")
    saved_inputs = (0, 1)
    _name = "KlDivBackward"

    def forward(self, x, t, reduction="mean", log_target=False):
        if log_target:
            et = xp.exp(t)
            loss = et * (t - x)
            self.et = et
        else:
            # as torch (xlogy(t, t) - t x): 0 where t is 0, nan where t < 0
            lt = _log_target(t)
            loss = xp.where(t == 0, 0, t * lt) - t * x
            self.lt = lt
        self.x, self.t, self.reduction, self.log_target = x, t, reduction, log_target
        loss = loss.astype(x.dtype, copy=False)
        if reduction == "batchmean":
            n = x.shape[0] if x.ndim else 1
            return xp.asarray(loss.sum() / n, dtype=x.dtype)
        return _reduce_array(loss, reduction)

    et = lt = None

    def _graph_backward(self, grads):
        # exp(t) / log(t) are derived from the target: the formula recomputes them from it
        return _recomputing(self, grads, ("et", "lt"))

    def backward(self, g):
        need = self.needs_input_grad
        x, t = self.x, self.t
        if self.reduction == "batchmean":
            n = x.shape[0] if x.ndim else 1
            ge = _expand_reduced(g / n, x.shape, "sum", x.dtype)
        else:
            ge = _expand_reduced(g, x.shape, self.reduction, x.dtype)
        gx = gt = None
        if self.log_target:
            et = self.et if self.et is not None else xp.exp(t)
            if need[0]:
                gx = -ge * et
            if need[1]:
                gt = ge * et * (t - x + 1)
        else:
            if need[0]:
                gx = -ge * t
            if need[1]:
                lt = self.lt if self.lt is not None else _log_target(t)
                # nan where t is 0, as torch: there its xlogy(t, t)'s derivative in the second
                # argument is t / t
                gt = xp.where(t == 0, xp.nan, ge * (lt + 1 - x))
        return gx, gt


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
    """Kullback-Leibler divergence; ``input`` holds log-probabilities. ``reduction='batchmean'``
    divides the sum by the batch size (the mathematically correct mean).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.kl_div(kitty.tensor([0.]), kitty.tensor([1.]), reduction='sum')
    tensor(0.)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise KittyValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    x, t = as_tensor_arg(input), as_tensor_arg(target, "target")
    # torch refuses integers (either side) before it broadcasts, then broadcasts target first
    if not (B.is_float(x._data.dtype) and B.is_float(t._data.dtype)):
        raise KittyRuntimeError("kl_div: Integral inputs not supported.")
    broadcast_shape_of(t._data.shape, x._data.shape)
    x, t = _loss_pair("kl_div", x, t, check_size=False)
    # torch composes kl_div from pointwise ops and a reduction: its last node names it
    label = {**_REDUCTION_NODES, "batchmean": "DivBackward0"}.get(reduction, "MulBackward0" if log_target else "SubBackward0")
    return torch_named(KlDiv.apply(x, t, reduction=reduction, log_target=bool(log_target)), label)
