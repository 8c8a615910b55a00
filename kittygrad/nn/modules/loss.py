"""Loss modules: each holds its settings and calls its nn.functional form (see ``_Loss``)."""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ._functional_module import _FunctionalModule

__all__ = [
    "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "TripletMarginLoss",
    "HingeEmbeddingLoss", "SoftMarginLoss",
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
