"""Loss modules: each holds its settings and calls its nn.functional form (see ``_Loss``)."""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ._functional_module import _FunctionalModule
from .distance import PairwiseDistance

__all__ = [
    "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "TripletMarginLoss",
    "HingeEmbeddingLoss", "SoftMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss", "MultiMarginLoss",
    "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss", "NLLLoss2d",
]


class _Loss(_FunctionalModule, settings=("reduction",)):
    """Base of the loss modules: resolves the deprecated ``size_average``/``reduce`` pair into
    ``reduction`` once, at construction, and calls the functional with the settings by keyword
    (loss functionals keep those deprecated slots before ``reduction``)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F._legacy_reduction(size_average, reduce, reduction)

    def _hold(self, **tensors: Tensor | None) -> None:
        # Class weights are buffers, so .to()/.double() convert them and state_dict saves them.
        for name, tensor in tensors.items():
            self.register_buffer(name, tensor)

    def _call(self, *inputs: Tensor) -> Tensor:
        return self._function(*inputs, **dict(zip(self._settings, self._read(self))))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return self._call(input, target)

    def extra_repr(self) -> str:
        return ""  # torch prints a loss without its settings


class L1Loss(_Loss, function=F.l1_loss):
    """Mean absolute error (``reduction`` 'mean', 'sum' or 'none').

    >>> import kittygrad as kitty
    >>> kitty.nn.L1Loss()(kitty.tensor([1., 2.]), kitty.tensor([0., 0.]))
    tensor(1.5000)
    """


class MSELoss(_Loss, function=F.mse_loss):
    """Mean squared error.

    >>> import kittygrad as kitty
    >>> kitty.nn.MSELoss()(kitty.tensor([1., 2.]), kitty.tensor([0., 0.]))
    tensor(2.5000)
    """


class SmoothL1Loss(_Loss, function=F.smooth_l1_loss, settings=("reduction", "beta")):
    """Quadratic below ``beta``, linear above.

    >>> import kittygrad as kitty
    >>> kitty.nn.SmoothL1Loss()(kitty.tensor([0.]), kitty.tensor([3.]))
    tensor(2.5000)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta


class HuberLoss(_Loss, function=F.huber_loss, settings=("reduction", "delta")):
    """``0.5 d**2`` below ``delta``, ``delta * (|d| - delta / 2)`` above.

    >>> import kittygrad as kitty
    >>> kitty.nn.HuberLoss()(kitty.tensor([0.]), kitty.tensor([0.5]))
    tensor(0.1250)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta


class CrossEntropyLoss(_Loss, function=F.cross_entropy, settings=("weight", "ignore_index", "reduction", "label_smoothing")):
    """Cross-entropy of logits against class indices or class probabilities, with ``weight``,
    ``ignore_index`` and ``label_smoothing``; log-softmax is fused in.

    >>> import kittygrad as kitty
    >>> kitty.nn.CrossEntropyLoss()(kitty.tensor([[0., 0.]]), kitty.tensor([0]))
    tensor(0.6931)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100, reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self._hold(weight=weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        # (spelled out: a classifier's every step calls it, and the general _call builds a dict)
        buffers = self._buffers  # (the registry read directly: Module.__getattr__ costs 0.4 us)
        weight = buffers["weight"] if "weight" in buffers else self.weight
        return F.cross_entropy(input, target, weight=weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss, function=F.nll_loss, settings=("weight", "ignore_index", "reduction")):
    """Negative log-likelihood of log-probabilities at class indices.

    >>> import kittygrad as kitty
    >>> kitty.nn.NLLLoss()(kitty.tensor([[-1., -2.]]), kitty.tensor([0]))
    tensor(1.)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self._hold(weight=weight)
        self.ignore_index = ignore_index


class BCELoss(_Loss, function=F.binary_cross_entropy, settings=("weight", "reduction")):
    """Binary cross-entropy of probabilities.

    >>> import kittygrad as kitty
    >>> kitty.nn.BCELoss()(kitty.tensor([0.5]), kitty.tensor([1.]))
    tensor(0.6931)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self._hold(weight=weight)


class BCEWithLogitsLoss(_Loss, function=F.binary_cross_entropy_with_logits, settings=("weight", "pos_weight", "reduction")):
    """Binary cross-entropy of logits (stable), with ``weight`` and ``pos_weight``.

    >>> import kittygrad as kitty
    >>> kitty.nn.BCEWithLogitsLoss()(kitty.tensor([0.]), kitty.tensor([1.]))
    tensor(0.6931)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self._hold(weight=weight, pos_weight=pos_weight)


class KLDivLoss(_Loss, function=F.kl_div, settings=("reduction", "log_target")):
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``.

    >>> import kittygrad as kitty
    >>> kitty.nn.KLDivLoss(reduction='batchmean')(kitty.tensor([[0.]]), kitty.tensor([[1.]]))
    tensor(0.)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target


class CosineEmbeddingLoss(_Loss, function=F.cosine_embedding_loss, settings=("margin", "reduction")):
    """``1 - cos`` for similar pairs (target 1), ``max(0, cos - margin)`` for dissimilar ones (-1).

    >>> import kittygrad as kitty
    >>> kitty.nn.CosineEmbeddingLoss()(kitty.ones(1, 2), kitty.ones(1, 2), kitty.tensor([1]))
    tensor(0.)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return self._call(input1, input2, target)


class MarginRankingLoss(_Loss, function=F.margin_ranking_loss, settings=("margin", "reduction")):
    """``max(0, -y * (x1 - x2) + margin)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.MarginRankingLoss()(kitty.tensor([1.]), kitty.tensor([2.]), kitty.tensor([1.]))
    tensor(1.)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return self._call(input1, input2, target)


class TripletMarginLoss(_Loss, function=F.triplet_margin_loss, settings=("margin", "p", "eps", "swap", "reduction")):
    """``max(0, d(a, p) - d(a, n) + margin)``.

    >>> import kittygrad as kitty
    >>> kitty.nn.TripletMarginLoss()(kitty.zeros(1, 2), kitty.zeros(1, 2), kitty.ones(1, 2) * 3)
    tensor(0.)
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return self._call(anchor, positive, negative)


class HingeEmbeddingLoss(_Loss, function=F.hinge_embedding_loss, settings=("margin", "reduction")):
    """``x`` for target 1, ``max(0, margin - x)`` for target -1.

    >>> import kittygrad as kitty
    >>> kitty.nn.HingeEmbeddingLoss()(kitty.tensor([0.25]), kitty.tensor([-1.]))
    tensor(0.7500)
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class SoftMarginLoss(_Loss, function=F.soft_margin_loss):
    """``log(1 + exp(-y * x))``.

    >>> import kittygrad as kitty
    >>> kitty.nn.SoftMarginLoss()(kitty.tensor([0.]), kitty.tensor([1.]))
    tensor(0.6931)
    """


class PoissonNLLLoss(_Loss, function=F.poisson_nll_loss, settings=("log_input", "full", "eps", "reduction")):
    """Negative log-likelihood of a Poisson-distributed target (rate ``exp(input)`` with ``log_input``).

    >>> import kittygrad as kitty
    >>> kitty.nn.PoissonNLLLoss()(kitty.tensor([0.]), kitty.tensor([1.]))
    tensor(1.)
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:  # torch names the input log_input
        return self._call(log_input, target)


class GaussianNLLLoss(_Loss, function=F.gaussian_nll_loss, settings=("full", "eps", "reduction")):
    """Negative log-likelihood of a Gaussian target with predicted mean ``input`` and variance ``var``.

    >>> import kittygrad as kitty
    >>> kitty.nn.GaussianNLLLoss()(kitty.tensor([1.]), kitty.tensor([1.]), kitty.tensor([1.]))
    tensor(0.)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return self._call(input, target, var)


class MultiMarginLoss(_Loss, function=F.multi_margin_loss, settings=("p", "margin", "weight", "reduction")):
    """Multi-class hinge loss over class scores ``(N, C)`` and class indices.

    >>> import kittygrad as kitty
    >>> kitty.nn.MultiMarginLoss()(kitty.tensor([[0.1, 0.2, 0.4, 0.8]]), kitty.tensor([3]))
    tensor(0.3250)
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.ndim}D instead")
        self.p = p
        self.margin = margin
        self._hold(weight=weight)


class MultiLabelMarginLoss(_Loss, function=F.multilabel_margin_loss):
    """Multi-label hinge loss: each target row lists classes, ended by -1.

    >>> import kittygrad as kitty
    >>> kitty.nn.MultiLabelMarginLoss()(kitty.tensor([[0.1, 0.2, 0.4, 0.8]]), kitty.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """


class MultiLabelSoftMarginLoss(_Loss, function=F.multilabel_soft_margin_loss, settings=("weight", "reduction")):
    """Binary cross-entropy with logits per class, averaged over classes.

    >>> import kittygrad as kitty
    >>> kitty.nn.MultiLabelSoftMarginLoss()(kitty.tensor([[0., 0.]]), kitty.tensor([[1., 0.]]))
    tensor(0.6931)
    """

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self._hold(weight=weight)


class TripletMarginWithDistanceLoss(_Loss, function=F.triplet_margin_with_distance_loss,
                                    settings=("distance_function", "margin", "swap", "reduction")):
    """``max(0, d(a, p) - d(a, n) + margin)`` for a distance module or function ``d``
    (``PairwiseDistance()`` by default).

    >>> import kittygrad as kitty
    >>> kitty.nn.TripletMarginWithDistanceLoss()(kitty.zeros(1, 2), kitty.zeros(1, 2), kitty.ones(1, 2) * 3)
    tensor(0.)
    """

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(
                f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead"
            )
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin = margin
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap, reduction=self.reduction)


class CTCLoss(_Loss, function=F.ctc_loss, settings=("blank", "reduction", "zero_infinity")):
    """Connectionist Temporal Classification loss of log-probabilities ``(T, N, C)`` against
    unaligned target sequences.

    >>> import kittygrad as kitty
    >>> lp = kitty.zeros(3, 1, 2).log_softmax(2)
    >>> kitty.nn.CTCLoss(reduction="sum")(lp, kitty.tensor([[1]]), kitty.tensor([3]), kitty.tensor([1]))
    tensor(0.2877)
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths, target_lengths) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)


class NLLLoss2d(NLLLoss):
    """The deprecated 2-D name of ``NLLLoss`` (which takes ``(N, C, H, W)`` inputs itself).

    >>> import kittygrad as kitty
    >>> kitty.nn.NLLLoss2d()(kitty.zeros(1, 2, 1, 1), kitty.zeros(1, 1, 1, dtype=kitty.int64))
    tensor(0.)
    """
