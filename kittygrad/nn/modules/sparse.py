"""Embedding and EmbeddingBag."""
from __future__ import annotations

from ... import creation as C
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding", "EmbeddingBag"]


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``, initialised N(0, 1).

    ``padding_idx``'s row starts at zero and gets no gradient.

    >>> import kittygrad as kitty
    >>> emb = kitty.nn.Embedding(10, 3, padding_idx=0)
    >>> emb(kitty.tensor([[0, 4], [2, 9]])).shape
    kittygrad.Size([2, 2, 3])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False, _weight: Tensor | None = None, _freeze: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            # a negative index counts from the end and is stored as its positive equivalent; 0 is
            # always accepted (as torch)
            if padding_idx < -num_embeddings or padding_idx >= max(num_embeddings, 1):
                raise AssertionError("Padding_idx must be within num_embeddings")
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is not None and tuple(_weight.shape) != (num_embeddings, embedding_dim):
            raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
        table = C.empty(num_embeddings, embedding_dim, dtype=dtype) if _weight is None else _weight
        self.weight = Parameter(table, requires_grad=not _freeze)
        if _weight is None:
            self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the table again from N(0, 1), with the padding row at zero."""
        init.normal_(self.weight)
        _zero_padding_row(self.weight, self.padding_idx)

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type, self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        # (setting, is it printed), in torch's order
        optional = (
            (f"padding_idx={self.padding_idx}", self.padding_idx is not None),
            (f"max_norm={self.max_norm}", self.max_norm is not None),
            (f"norm_type={self.norm_type}", self.norm_type != 2),
            (f"scale_grad_by_freq={self.scale_grad_by_freq}", self.scale_grad_by_freq is not False),
            ("sparse=True", self.sparse is not False),
        )
        return ", ".join([f"{self.num_embeddings}, {self.embedding_dim}"] + [text for text, shown in optional if shown])

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None, max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (frozen by default).

        >>> import kittygrad as kitty
        >>> kitty.nn.Embedding.from_pretrained(kitty.eye(3))(kitty.tensor([1]))
        tensor([[0., 1., 0.]])
        """
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _weight=embeddings, _freeze=freeze)


def _zero_padding_row(weight: Parameter, row: int | None) -> None:
    """Zero the table's padding row (nothing when there is none), as both embedding modules start."""
    if row is None:
        return
    with no_grad():
        weight._data[row] = 0
        weight._vc[0] += 1  # an in-place write: saved copies of the weight must notice


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embeddings (``F.embedding_bag``) over a table of
    ``num_embeddings`` vectors, initialised N(0, 1) (``padding_idx``'s row at zero).

    >>> import kittygrad as kitty
    >>> bag = kitty.nn.EmbeddingBag(10, 3, mode="sum")
    >>> bag(kitty.tensor([1, 2, 4, 5]), kitty.tensor([0, 2])).shape
    kittygrad.Size([2, 3])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False, _weight: Tensor | None = None, include_last_offset: bool = False, padding_idx: int | None = None, device=None, dtype=None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if padding_idx is not None:
            if padding_idx < -num_embeddings or padding_idx >= num_embeddings:
                raise AssertionError("padding_idx must be within num_embeddings")
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.padding_idx = padding_idx
        if _weight is not None and tuple(_weight.shape) != (num_embeddings, embedding_dim):
            raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
        self.weight = Parameter(C.empty(num_embeddings, embedding_dim, dtype=dtype) if _weight is None else _weight)
        if _weight is None:
            self.reset_parameters()
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    def reset_parameters(self) -> None:
        """Draw the table again from N(0, 1), with the padding row at zero."""
        init.normal_(self.weight)
        _zero_padding_row(self.weight, self.padding_idx)

    def forward(self, input: Tensor, offsets: Tensor | None = None, per_sample_weights: Tensor | None = None) -> Tensor:
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        optional = (
            (f"max_norm={self.max_norm!r}", self.max_norm is not None),
            (f"norm_type={self.norm_type!r}", self.norm_type != 2),
            (f"scale_grad_by_freq={self.scale_grad_by_freq!r}", self.scale_grad_by_freq is not False),
            (f"mode={self.mode!r}", True),
            (f"padding_idx={self.padding_idx!r}", self.padding_idx is not None),
        )
        return ", ".join([f"{self.num_embeddings}, {self.embedding_dim}"] + [text for text, shown in optional if shown])

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False, include_last_offset: bool = False, padding_idx: int | None = None) -> EmbeddingBag:
        """An EmbeddingBag whose weight is ``embeddings`` (frozen by default).

        >>> import kittygrad as kitty
        >>> kitty.nn.EmbeddingBag.from_pretrained(kitty.eye(3))(kitty.tensor([[0, 1]]))
        tensor([[0.5000, 0.5000, 0.0000]])
        """
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings, include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
