"""The loss functions of ``kittygrad.nn.functional`` composed from tensor ops (re-exported there):
Poisson and Gaussian negative log-likelihood, the multi-class / multi-label margin losses, the
multi-label soft-margin loss and the CTC loss.

Where torch's kernel compares strictly (``z > 0`` in the margin losses) the hinge is ``relu``, so
the gradient at exactly zero is zero, as torch's.
"""
from __future__ import annotations

import math

from .. import backend as B
from .. import creation as C
from ..autograd.function import Function
from ..errors import KittyRuntimeError, KittyValueError
from ..ops import activation as _act
from ..ops.comparison import where as _where
from ..ops._prep import dtype_name, torch_named
from ..ops.nn.loss import _check_reduction, _legacy_reduction
from ..tensor import Tensor

__all__ = ["poisson_nll_loss", "gaussian_nll_loss", "multi_margin_loss", "multilabel_margin_loss",
           "multilabel_soft_margin_loss", "ctc_loss"]

xp = B.xp


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under a Poisson distribution of rate ``exp(input)``
    (``log_input``) or ``input``; ``full`` adds Stirling's term.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.poisson_nll_loss(kitty.tensor([0.]), kitty.tensor([1.]))
    tensor(1.)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under ``N(input, var)``: ``(log var + (x - y)^2 / var) / 2``
    (``var`` clamped below by ``eps``; its shape may drop or have 1 in one dim).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.gaussian_nll_loss(kitty.tensor([1.]), kitty.tensor([1.]), kitty.tensor([1.]))
    tensor(0.)
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise KittyValueError("var has negative entry/entries")
        var = C.full(input.shape, float(var), dtype=input.dtype)
    elif bool((var < 0).any()):
        raise KittyValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise KittyValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise KittyValueError(reduction + " is not valid")
    # torch clamps a copy in place under no_grad: the value is clamped, the gradient passes unchanged
    var = var + (var.detach().clamp(min=eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def _class_targets(name: str, input: Tensor, target: Tensor):
    """``(x (N, C), target (N,), batched)`` for the multi-class losses, checked as torch checks them."""
    if input.ndim not in (1, 2) or input.numel() == 0 and input.ndim != 2:
        raise KittyRuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(input.shape)}")
    if target.dtype.is_floating_point:
        raise KittyRuntimeError(f"expected scalar type Long but found {dtype_name(target)}")
    batched = input.ndim == 2
    x = input if batched else input.unsqueeze(0)
    t = target.reshape(-1)
    if t.numel() != x.shape[0] or (target.ndim > 1):
        raise KittyRuntimeError(
            f"{name}: target tensor should be 1-D with size equal to the number of input samples (batch size). "
            f"Expected target size [{x.shape[0]}], but got {list(target.shape)}. Input has shape {list(input.shape)}."
        )
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= x.shape[1]):
        raise KittyRuntimeError("target out of range")
    return x, t, batched


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """The multi-class hinge loss: ``sum_{i != y} max(0, margin - x[y] + x[i])^p / C`` per sample
    (times ``weight[y]``).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.multi_margin_loss(kitty.tensor([[0.1, 0.2, 0.4, 0.8]]), kitty.tensor([3]))
    tensor(0.3250)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise KittyValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim > 1:
        raise KittyValueError("weight must be one-dimensional")
    _check_reduction(reduction)
    x, t, batched = _class_targets("multi_margin_loss", input, target)
    classes = x.shape[1]
    picked = x.gather(1, t.unsqueeze(1))
    hinge = _act.relu(margin - picked + x)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight.gather(0, t).unsqueeze(1)
    others = C.ones(x.shape, dtype=x.dtype).scatter(1, t.unsqueeze(1), 0.0)
    loss = (hinge * others).sum(1) / classes
    # torch's is one kernel: its node is MultiMarginLossBackward0 whatever the reduction
    return torch_named(_reduce(loss if batched else loss.reshape(()), reduction), "MultiMarginLossBackward0")


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """The multi-label hinge loss: ``target`` lists each sample's classes, ended by the first -1;
    ``sum_{j in targets, i not in targets} max(0, 1 - (x[j] - x[i])) / C``.

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.multilabel_margin_loss(kitty.tensor([[0.1, 0.2, 0.4, 0.8]]), kitty.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    if input.ndim not in (1, 2):
        raise KittyRuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(input.shape)}")
    if tuple(target.shape) != tuple(input.shape):
        raise KittyRuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    batched = input.ndim == 2
    x = input if batched else input.unsqueeze(0)
    labels = target.detach().numpy().reshape(x.shape)
    classes = x.shape[1]
    if labels.size and (labels.min() < -1 or labels.max() >= classes):
        raise KittyRuntimeError("argument #2 'target' is out of range")
    counts = xp.zeros(x.shape, x.dtype.np)  # how often each class is listed before the first -1
    for n, row in enumerate(labels):
        for c in row:
            if c < 0:
                break
            counts[n, c] += 1
    is_target = (counts > 0).astype(x.dtype.np)
    pairs = _act.relu(1 - x.unsqueeze(2) + x.unsqueeze(1))  # [n, j, i] = max(0, 1 - (x[j] - x[i]))
    weights = C.tensor(counts[:, :, None] * (1 - is_target[:, None, :]))
    loss = (pairs * weights).sum((1, 2)) / classes
    return torch_named(_reduce(loss if batched else loss.reshape(()), reduction), "MultilabelMarginLossBackward0")


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy with logits per class, averaged over the classes (``target`` in {0, 1}).

    >>> import kittygrad as kitty
    >>> kitty.nn.functional.multilabel_soft_margin_loss(kitty.tensor([[0., 0.]]), kitty.tensor([[1., 0.]]))
    tensor(0.6931)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * _act.logsigmoid(input) + (1 - target) * _act.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.ndim - 1) / input.shape[-1]
    if reduction not in ("none", "mean", "sum"):
        raise KittyValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------------------------
# CTC


def _logaddexp(*arrays):
    top = arrays[0]
    for a in arrays[1:]:
        top = xp.maximum(top, a)
    safe = xp.where(xp.isfinite(top), top, 0)
    total = sum(xp.exp(a - safe) for a in arrays)
    with xp.errstate(divide="ignore"):
        return xp.where(xp.isfinite(top), xp.log(total) + safe, top)


def _shifted(rows, by: int):
    """``rows`` (N, S) moved ``by`` places along S (right for by > 0), -inf filling the gap."""
    out = xp.full(rows.shape, -xp.inf)
    if by > 0:
        out[:, by:] = rows[:, :-by]
    else:
        out[:, :by] = rows[:, -by:]
    return out


class _CtcLattice:
    """The CTC lattice of a batch: each sample's target with blanks interleaved (``ext``, padded to
    the longest with blanks, ``S`` positions in use), and the log-probability each position emits
    at each step (``emit``, (T, N, S), -inf past a sample's positions). The forward and backward
    variables run over the whole batch at once, one step at a time: the same operations per
    element as a sample alone, so the same values, in T steps rather than N times T."""

    def __init__(self, lp, targets, blank: int):
        batch = lp.shape[1]
        self.sizes = xp.array([2 * len(t) + 1 for t in targets], xp.int64)
        width = int(self.sizes.max(initial=1))
        self.ext = xp.full((batch, width), blank, xp.int64)
        for n, target in enumerate(targets):
            self.ext[n, 1 : 2 * len(target) : 2] = target
        inside = xp.arange(width) < self.sizes[:, None]
        self.emit = xp.where(inside, lp[:, xp.arange(batch)[:, None], self.ext], -xp.inf)
        # a jump over the blank between two different labels: into s from s - 2 (skip_in), out of
        # s to s + 2 (skip_out); never into the padding, whose positions hold blanks
        ext = self.ext
        self.skip_in = xp.zeros((batch, width), bool)
        self.skip_in[:, 2:] = (ext[:, 2:] != ext[:, :-2]) & (ext[:, 2:] != blank)
        self.skip_out = xp.zeros((batch, width), bool)
        self.skip_out[:, :-2] = self.skip_in[:, 2:]

    def alpha(self):
        """Forward variables (log space), (T, N, S); a sample's rows past its input length are not used."""
        emit = self.emit
        alpha = xp.full(emit.shape, -xp.inf)
        if len(emit) == 0:
            return alpha
        alpha[0, :, 0] = emit[0, :, 0]
        if alpha.shape[2] > 1:
            alpha[0, :, 1] = emit[0, :, 1]
        for t in range(1, len(emit)):
            prev = alpha[t - 1]
            two = xp.where(self.skip_in, _shifted(prev, 2), -xp.inf)
            alpha[t] = _logaddexp(prev, _shifted(prev, 1), two) + emit[t]
        return alpha

    def beta(self, lengths):
        """Backward variables (log space), (T, N, S), each sample's starting at its last step
        ``lengths[n] - 1`` (-inf after it)."""
        emit = self.emit
        beta = xp.full(emit.shape, -xp.inf)
        batch, width = emit.shape[1:]
        rows = xp.arange(batch)
        last = self.sizes - 1
        start = xp.full((batch, width), -xp.inf)
        start[rows, last] = emit[lengths - 1, rows, last]
        pair = last >= 1
        start[rows[pair], last[pair] - 1] = emit[lengths[pair] - 1, rows[pair], last[pair] - 1]
        for t in range(len(emit) - 1, -1, -1):
            if t + 1 < len(emit):
                nxt = beta[t + 1]
                two = xp.where(self.skip_out, _shifted(nxt, -2), -xp.inf)
                beta[t] = _logaddexp(nxt, _shifted(nxt, -1), two) + emit[t]
            beta[t] = xp.where((lengths - 1 == t)[:, None], start, xp.where((t < lengths - 1)[:, None], beta[t], -xp.inf))
        return beta


class _CtcLoss(Function):
    """Per-sample CTC negative log-likelihood (``(N,)``), with torch's gradient: for ``log_probs``
    it is ``exp(log_probs) - posterior`` (exact once ``log_probs`` come from ``log_softmax``)."""

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        lp = log_probs.detach().numpy().astype(xp.float64)
        lattice = _CtcLattice(lp, targets, blank)
        lengths = xp.array(input_lengths, xp.int64)
        with xp.errstate(invalid="ignore", over="ignore"):
            alpha = lattice.alpha()
        rows = xp.arange(lp.shape[1])
        at = xp.maximum(lengths - 1, 0)
        last = lattice.sizes - 1
        end = alpha[at, rows, last]
        before = alpha[at, rows, xp.maximum(last - 1, 0)]
        losses = -xp.where(last >= 1, _logaddexp(before, end), end)
        losses[lengths == 0] = xp.where(lattice.sizes[lengths == 0] == 1, 0.0, xp.inf)
        ctx.lattice, ctx.alpha, ctx.lengths = lattice, alpha, lengths
        ctx.lp, ctx.losses, ctx.zero_infinity = lp, losses, zero_infinity
        return C.tensor(losses.astype(log_probs.dtype.np))

    @staticmethod
    def backward(ctx, grad):
        lp, g, lattice, lengths = ctx.lp, grad.detach().numpy(), ctx.lattice, ctx.lengths
        steps, batch, classes = lp.shape
        used = lengths > 0
        if ctx.zero_infinity:
            used &= ~xp.isinf(ctx.losses)
        if not used.any():
            return C.tensor(xp.zeros(lp.shape, grad.dtype.np)), None, None, None, None, None
        with xp.errstate(invalid="ignore", over="ignore"):
            both = ctx.alpha + lattice.beta(xp.maximum(lengths, 1))
            # log of sum over the positions s labelled c of alpha * beta (which counts p[t, c] twice),
            # position after position as each sample's own sum
            posterior = xp.full(lp.shape, -xp.inf)
            rows = xp.arange(batch)
            for s in range(lattice.ext.shape[1]):
                c = lattice.ext[:, s]
                posterior[:, rows, c] = _logaddexp(posterior[:, rows, c], both[:, :, s])
            out = (xp.exp(lp) - xp.exp(posterior + ctx.losses[:, None] - lp)) * g[:, None]
        keep = (xp.arange(steps)[:, None] < lengths) & used
        return C.tensor(xp.where(keep[:, :, None], out, 0.0).astype(grad.dtype.np)), None, None, None, None, None


def _check_ctc_arguments(lp: Tensor, targets, in_lens: list, tgt_lens: list, blank: int) -> None:
    """torch's checks of the CTC arguments, in its order and words: a bad length or a targets
    tensor too short for them is refused, never read past or cut short."""
    where = "(while checking arguments for ctc_loss_allocate_outputs)"
    if lp.ndim != 3:
        raise KittyRuntimeError(
            f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional tensor for argument #1 'log_probs' {where}"
        )
    if targets.ndim not in (1, 2):
        raise KittyRuntimeError(
            f"Expected 1 to 2 dimensions, but got {targets.ndim}-dimensional tensor for argument #2 'targets' {where}"
        )
    _, batch, labels = lp.shape
    if not 0 <= blank < labels:
        raise KittyRuntimeError("blank must be in label range")
    if len(in_lens) != batch:
        raise KittyRuntimeError("input_lengths must be of size batch_size")
    if len(tgt_lens) != batch:
        raise KittyRuntimeError("target_lengths must be of size batch_size")
    for length in tgt_lens:
        if length < 0:
            raise KittyRuntimeError(f"Expected target_lengths to have value at least 0, but got value {length} {where}")
    longest = max(tgt_lens, default=0)
    if targets.ndim == 1 and targets.shape[0] != sum(tgt_lens):  # the targets concatenated
        raise KittyRuntimeError(
            f"Expected tensor to have size {sum(tgt_lens)} at dimension 0, but got size {targets.shape[0]} "
            f"for argument #2 'targets' {where}"
        )
    if targets.ndim == 2 and targets.shape[0] != batch:
        raise KittyRuntimeError(
            f"Expected tensor to have size {batch} at dimension 0, but got size {targets.shape[0]} "
            f"for argument #2 'targets' {where}"
        )
    if targets.ndim == 2 and targets.shape[1] < longest:
        raise KittyRuntimeError(
            f"Expected tensor to have size at least {longest} at dimension 1, but got size {targets.shape[1]} "
            f"for argument #2 'targets' {where}"
        )
    for length in in_lens:
        if length < 0:
            raise KittyRuntimeError(f"Expected input_lengths to have value at least 0, but got value {length} {where}")
        if length > lp.shape[0]:
            raise KittyRuntimeError(
                f"Expected input_lengths to have value at most {lp.shape[0]}, but got value {length} {where}"
            )


def _as_list(value, name: str) -> list:
    if isinstance(value, Tensor):
        return [int(v) for v in value.reshape(-1).tolist()]
    if isinstance(value, int):
        return [value]
    return [int(v) for v in value]


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist Temporal Classification loss of ``log_probs`` ``(T, N, C)`` (or ``(T, C)``)
    against ``targets`` (padded ``(N, S)`` or concatenated 1-D), each sample using its
    ``input_lengths`` and ``target_lengths``. ``mean`` divides each loss by its target length,
    then averages.

    >>> import kittygrad as kitty
    >>> lp = kitty.zeros(3, 1, 2).log_softmax(2)
    >>> kitty.nn.functional.ctc_loss(lp, kitty.tensor([[1]]), [3], [1], reduction="sum")  # 6 of the 8 paths give [1]
    tensor(0.2877)
    """
    _check_reduction(reduction)
    for lengths, name in ((input_lengths, "input_lengths"), (target_lengths, "target_lengths")):
        if isinstance(lengths, Tensor) and lengths._data.dtype.kind not in "iu":
            raise KittyRuntimeError(f"{name} must be integral")
    if log_probs.numel() == 0:
        raise KittyRuntimeError("log_probs tensor must not be empty")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    in_lens = _as_list(input_lengths, "input_lengths")
    tgt_lens = _as_list(target_lengths, "target_lengths")
    flat = targets.detach().numpy()  # (unbatched too: 1-D targets are read as concatenated)
    _check_ctc_arguments(lp, flat, in_lens, tgt_lens, blank)
    per_sample, start = [], 0
    for n in range(lp.shape[1]):
        if flat.ndim == 2:
            row = flat[n, : tgt_lens[n]]
        else:
            row = flat[start : start + tgt_lens[n]]
            start += tgt_lens[n]
        per_sample.append(row.astype(xp.int64))
    losses = torch_named(_CtcLoss.apply(lp, per_sample, in_lens, tgt_lens, blank, zero_infinity), "CtcLossBackward0")
    if zero_infinity:  # a where after the loss node, as torch records it (its backward skips those samples)
        losses = _where(losses == math.inf, C.zeros((), dtype=losses.dtype), losses)
    if reduction == "mean":
        lengths = C.tensor([max(n, 1) for n in tgt_lens], dtype=losses.dtype)
        return (losses / lengths).mean()
    if reduction == "sum":
        return losses.sum()
    return losses if batched else losses.squeeze(0)
