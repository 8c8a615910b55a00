"""Adaptive softmax (Grave et al., "Efficient softmax approximation for GPUs"): a softmax over a
large vocabulary split by frequency. The frequent words (the shortlist) and one entry per rarer
cluster share a small "head" softmax; a word in a cluster costs the head's probability of its
cluster times a smaller softmax inside the cluster, computed through a projection whose width
shrinks by ``div_value`` per cluster. Training evaluates only the clusters the batch's targets
fall in.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Sequence

from ... import creation as C
from ...errors import KittyRuntimeError
from ...ops.activation import log_softmax
from ...ops.joining import cat
from ...tensor import Tensor
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", "output loss")  # torch's type name, which reprs show


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive log-softmax over ``n_classes`` classes sorted by frequency, split at ``cutoffs``.

    ``forward(input, target)`` returns ``(output, loss)``: each target's log-probability and the
    mean negative log-likelihood; ``log_prob(input)`` gives all classes', ``predict(input)`` the
    most likely class.

    >>> import kittygrad as kitty
    >>> asm = kitty.nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4], div_value=2.0)
    >>> out = asm(kitty.randn(3, 8), kitty.tensor([0, 5, 9]))
    >>> out.output.shape, asm.log_prob(kitty.randn(3, 8)).exp().sum(1).allclose(kitty.ones(3))
    (kittygrad.Size([3]), True)
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int], div_value: float = 4.0,
                 head_bias: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        valid = (
            len(cutoffs) > 0 and all(isinstance(c, int) and not isinstance(c, bool) for c in cutoffs)
            and cutoffs == sorted(set(cutoffs)) and cutoffs[0] > 0 and cutoffs[-1] <= n_classes - 1
        )
        if not valid:
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = [*cutoffs, n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size, self.n_clusters = cutoffs[0], len(cutoffs)
        self.head_size = cutoffs[0] + len(cutoffs)  # the shortlist's words and one entry per cluster
        # built in this order (head, then each cluster's two layers) so a seeded model holds torch's weights
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        clusters = []
        for i, (low, high) in enumerate(zip(self.cutoffs, self.cutoffs[1:])):
            width = int(in_features // (div_value ** (i + 1)))
            clusters.append(Sequential(Linear(in_features, width, bias=False, dtype=dtype),
                                       Linear(width, high - low, bias=False, dtype=dtype)))
        self.tail = ModuleList(clusters)

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for cluster in self.tail:
            for layer in cluster:
                layer.reset_parameters()

    def forward(self, input: Tensor, target: Tensor) -> _ASMoutput:
        unbatched = target.ndim == 0
        if target.ndim > 1:
            raise KittyRuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if unbatched and input.ndim != 1:
            raise KittyRuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size {input.shape}")
        if not unbatched and input.ndim != 2:
            raise KittyRuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size {input.shape}")
        if unbatched:
            input, target = input.unsqueeze(0), target.unsqueeze(0)
        if input.shape[0] != target.shape[0]:
            raise KittyRuntimeError("Input and target should have the same size in the batch dimension.")
        if target.numel() and (int(target.min()) < 0 or int(target.max()) >= self.n_classes):
            raise KittyRuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                                    f"[{int(target.min())}, {int(target.max())}] were found. ")
        # which head entry each sample reads (its word, or its word's cluster), and the log-probability
        # of the word inside its cluster (0 for shortlist words)
        head_index = target.clone()
        within = C.zeros(target.shape[0], dtype=input.dtype)
        for cluster, (low, high) in enumerate(zip(self.cutoffs, self.cutoffs[1:])):
            rows = ((target >= low) & (target < high)).nonzero().squeeze(1)
            if rows.numel() == 0:
                continue
            head_index[rows] = self.shortlist_size + cluster
            scores = log_softmax(self.tail[cluster](input.index_select(0, rows)), 1)
            picked = scores.gather(1, (target.index_select(0, rows) - low).unsqueeze(1)).squeeze(1)
            within = within.index_copy(0, rows, picked)
        head = log_softmax(self.head(input), 1)
        output = within + head.gather(1, head_index.unsqueeze(1)).squeeze(1)
        loss = (-output).mean()
        return _ASMoutput(output.squeeze(0) if unbatched else output, loss)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities of every class, ``(N, n_classes)``."""
        head = log_softmax(self.head(input), 1)
        parts = [head[:, : self.shortlist_size]]
        for cluster in range(self.n_clusters):
            cluster_scores = log_softmax(self.tail[cluster](input), 1)
            parts.append(cluster_scores + head[:, self.shortlist_size + cluster].unsqueeze(1))
        return cat(parts, 1)

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row (``log_prob(input).argmax(1)``)."""
        return self.log_prob(input).argmax(1)
