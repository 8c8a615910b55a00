"""``CosineSimilarity`` and ``PairwiseDistance`` between two batches of vectors."""
from __future__ import annotations

from ...tensor import Tensor
from .. import functional as F
from ._functional_module import _FunctionalModule

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(_FunctionalModule, function=F.cosine_similarity, settings=("dim", "eps"), shown=()):
    """Cosine similarity along ``dim``.

    >>> import kittygrad as kitty
    >>> kitty.nn.CosineSimilarity()(kitty.tensor([[1., 0.]]), kitty.tensor([[2., 0.]]))
    tensor([1.])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return self._call(x1, x2)


class PairwiseDistance(_FunctionalModule, function=F.pairwise_distance, settings=("norm", "eps", "keepdim"), shown=()):
    """p-norm distance along the last dim.

    >>> import kittygrad as kitty
    >>> kitty.nn.PairwiseDistance(eps=0)(kitty.tensor([[0., 0.]]), kitty.tensor([[3., 4.]]))
    tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p  # torch keeps the order of the norm as `norm`
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return self._call(x1, x2)
